/*
 * agent.h - the loop context: the one thing passed between modules.
 *
 * Each module keeps its state behind an opaque pointer here and exposes
 * functions in its own header; no module touches another's struct. The
 * agent runs one libuv loop on one thread; the only other thread is the
 * store's writer (store.h), which never touches anything but LMDB.
 */
#ifndef TILLSYNC_AGENT_H
#define TILLSYNC_AGENT_H

#include <uv.h>

/* From project(VERSION) in CMakeLists.txt (TS_VERSION_OVERRIDE for the
 * update tests' second build). */
#define TS_VERSION TS_VERSION_STRING

typedef struct ts_config ts_config;
typedef struct ts_store ts_store;
typedef struct ts_txnlog ts_txnlog;
typedef struct ts_catalog ts_catalog;
typedef struct ts_http_server ts_http_server;
typedef struct ts_uplink ts_uplink;
typedef struct ts_odoo ts_odoo;
typedef struct ts_metrics ts_metrics;
typedef struct ts_tls_ctx ts_tls_ctx;
typedef struct ts_update ts_update;
typedef struct ts_history ts_history;

typedef struct ts_agent {
    uv_loop_t *loop;
    ts_config *cfg;
    ts_store *store;      /* LMDB environment and the group-commit writer */
    ts_txnlog *txnlog;    /* txns by seq, txn_id index, counters */
    ts_catalog *catalog;  /* price and stock copy from Odoo (may be NULL) */
    ts_http_server *http; /* local API listener */
    ts_uplink *uplink;    /* forwarder to central (may be NULL in tests) */
    ts_odoo *odoo;        /* Odoo sync (NULL when odoo is not configured) */
    ts_metrics *metrics;  /* the report layer: counters, providers, start time */
    ts_update *update;    /* self-update (NULL in tests that do not start it) */
    ts_history *history;  /* the last 24 hours, a sample a minute (may be NULL) */
} ts_agent;

#endif
