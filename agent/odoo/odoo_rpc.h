/*
 * odoo_rpc.h - the Odoo client: search_read over JSON-RPC or JSON-2
 * (spec: odoo-sync.md "Calls"), on libcurl driven by the loop (curl_uv.h).
 *
 * Owns the protocol choice (auto: JSON-2 first, JSON-RPC after a 404 on
 * /json/2/..., remembered until restart or until /jsonrpc itself answers
 * 404), the JSON-RPC log-in (common.authenticate -> uid), the API key read
 * from odoo.api_key_file (never logged, never in a message), TLS with the
 * system trust store or odoo.ca_file, time-outs, and the bound on answer
 * sizes. It knows nothing of products: callers pass the model, domain and
 * fields and get the parsed record list back.
 *
 * One call at a time: the sync (odoo.c) runs its reads one after another.
 */
#ifndef TILLSYNC_ODOO_RPC_H
#define TILLSYNC_ODOO_RPC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config/config.h"

#define TS_ODOO_MAX_ANSWER_BYTES (64u * 1024u * 1024u)
#define TS_ODOO_MESSAGE_MAX 320

typedef struct ts_odoo_rpc ts_odoo_rpc;

typedef struct ts_odoo_query {
    const char *model;    /* "product.product" */
    const char *domain;   /* JSON text of the domain list, "[]" for all */
    const char *fields;   /* JSON text of the list of field names */
    const char *order;    /* NULL: Odoo's default order */
    int limit;            /* 0: no limit */
    int offset;           /* 0: none */
    int include_archived; /* context {"active_test": false} */
    const char *context;  /* NULL, or more context members as JSON text ("\"a\":1") */
} ts_odoo_query;

typedef struct ts_odoo_answer {
    int err;          /* 0, or TS_E* (TS_ECONN/TS_ETIMEDOUT/TS_ETLS: unreachable) */
    int auth_failed;  /* Odoo refused the credentials */
    int config_error; /* a setting is wrong (message names it): store IT must fix it */
    int http_status;  /* last HTTP status (0: none) */
    int64_t date_ms;  /* Odoo's clock: the answer's HTTP Date (0: none) */
    char message[TS_ODOO_MESSAGE_MAX]; /* plain words when err != 0 */
    const char *records;               /* JSON text of the result list (read it with ts_odoo_list,
                                          odoo_parse.h); valid during the callback only */
    size_t records_len;
} ts_odoo_answer;

typedef void (*ts_odoo_rpc_cb)(void *arg, const ts_odoo_answer *ans);

typedef struct ts_odoo_rpc_stats {
    uint64_t requests;       /* HTTP requests sent */
    uint64_t bytes_received; /* answer bodies */
    uint64_t failures;       /* calls that ended with err != 0 */
} ts_odoo_rpc_stats;

/* cfg must outlive the client. Reads the API key file; err says why not. */
int ts_odoo_rpc_new(ts_odoo_rpc **out, uv_loop_t *loop, const ts_odoo_config *cfg, char *err,
                    size_t errlen);
/* Re-reads odoo.api_key_file (key rotation) and forgets the JSON-RPC uid.
 * On failure the old key is kept and err says why. */
int ts_odoo_rpc_reload_key(ts_odoo_rpc *c, char *err, size_t errlen);
/* Starts one search_read; cb runs exactly once, on the loop (with
 * TS_ECANCELED when the client closes first). TS_EINVAL when busy. */
int ts_odoo_rpc_search_read(ts_odoo_rpc *c, const ts_odoo_query *q, ts_odoo_rpc_cb cb, void *arg);
/* Drops the call in flight, if any, without calling its cb. */
void ts_odoo_rpc_cancel(ts_odoo_rpc *c);
/* "json2", "jsonrpc", or "auto" while auto has not settled yet. */
const char *ts_odoo_rpc_protocol(const ts_odoo_rpc *c);
void ts_odoo_rpc_get_stats(const ts_odoo_rpc *c, ts_odoo_rpc_stats *out);
/* Cancels the call in flight (its cb runs with TS_ECANCELED) and frees. */
void ts_odoo_rpc_close(ts_odoo_rpc *c);

/* The key file's content without trailing white space (pure helper,
 * exposed for tests). Returns 0, TS_EIO, TS_ETOOBIG or TS_EINVAL (empty). */
int ts_odoo_read_key_file(const char *path, char *out, size_t outlen);

#endif
