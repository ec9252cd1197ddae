/*
 * odoo.h - the price and stock sync with Odoo (spec: odoo-sync.md "When").
 *
 * Owns the schedule and the state: a full snapshot at start, after an Odoo
 * outage longer than odoo.full_resync_s, and every odoo.full_resync_s ±10 %
 * (drawn per store); a delta every odoo.delta_s (never on the uplink to
 * central coming back); retries with back-off and jitter (auth_failed:
 * no faster than every 5 minutes); the state ok | unreachable |
 * auth_failed | config_error | never, handed out with the counters as a
 * ts_odoo_snapshot. It reads Odoo with
 * odoo_rpc.h, prices with pricing.h and writes the copy with catalog.h.
 */
#ifndef TILLSYNC_ODOO_H
#define TILLSYNC_ODOO_H

#include <stddef.h>

#include "core/agent.h"
#include "odoo/catalog.h"
#include "odoo/odoo_rpc.h"

/* The least time between two attempts after Odoo refused the credentials. */
#define TS_ODOO_AUTH_RETRY_MS (5 * 60 * 1000)

/* Starts the sync (a->odoo) when odoo is configured; a no-op otherwise.
 * Call after ts_catalog_open(). On failure err says why in one line. */
int ts_odoo_start(ts_agent *a, char *err, size_t errlen);
void ts_odoo_stop(ts_agent *a);

/* The sync's state (odoo-sync.md "Status"). */
typedef enum {
    TS_ODOO_NEVER = 0, /* no copy yet */
    TS_ODOO_OK,
    TS_ODOO_UNREACHABLE,
    TS_ODOO_AUTH_FAILED,
    TS_ODOO_CONFIG_ERROR, /* a setting is wrong: last_error names it */
    TS_ODOO_STATES
} ts_odoo_state;

typedef enum { TS_ODOO_IDLE = 0, TS_ODOO_SYNC_FULL, TS_ODOO_SYNC_DELTA } ts_odoo_sync;

const char *ts_odoo_state_name(ts_odoo_state s);

/* Problems store IT should fix in Odoo (odoo-sync.md, status odoo.problems). */
typedef enum {
    TS_ODOO_DUPLICATE_CODE = 0, /* two products or more share a default_code */
    TS_ODOO_DUPLICATE_BARCODE,
    TS_ODOO_PROBLEM_KINDS
} ts_odoo_problem_kind;

#define TS_ODOO_PROBLEM_CODES_MAX 50

typedef struct ts_odoo_problem {
    ts_odoo_problem_kind kind;
    int64_t count;  /* codes in all */
    size_t n_codes; /* the first ones (by code), at most TS_ODOO_PROBLEM_CODES_MAX */
    ts_catalog_code codes[TS_ODOO_PROBLEM_CODES_MAX];
} ts_odoo_problem;

const char *ts_odoo_problem_name(ts_odoo_problem_kind k);

/* The sync's and the copy's figures at one moment: what the "odoo" part of
 * /v1/status, its headline and /metrics are written from (report/). */
typedef struct ts_odoo_snapshot {
    int configured; /* odoo.enabled */
    int running;    /* the sync runs; the fields marked (run) are 0 otherwise */
    ts_odoo_state state;
    ts_catalog_info copy; /* copy.has_copy 0: nothing else in it is set */
    int stale;            /* no copy, or older than odoo.stale_after_s */
    int64_t age_s;        /* of the copy; 0 without one */
    /* Why the last sync failed: "" when it did not; a fixed sentence when
     * odoo is not configured (then last_error_ms is 0). */
    char last_error[TS_ODOO_MESSAGE_MAX];
    int64_t last_error_ms;
    /* config_error: the setting to change ("odoo.db", "odoo.pricelist_id",
     * ...); "" when the fix is in Odoo (the bot user's access rights). */
    char setting[32];
    char protocol[16];                                         /* (run) "json-rpc" or "json-2" */
    ts_odoo_sync syncing;                                      /* (run) */
    uint64_t next_attempt_in_ms;                               /* (run) 0 while syncing or due */
    uint64_t fulls_ok, fulls_failed, deltas_ok, deltas_failed; /* (run) */
    uint64_t requests, bytes_received;                         /* (run) */
    int64_t last_full_duration_ms;                             /* (run) */
    size_t n_problems; /* kinds with at least one code, in problems[] */
    ts_odoo_problem problems[TS_ODOO_PROBLEM_KINDS];
} ts_odoo_snapshot;

/* Fills out whether or not odoo is configured. */
void ts_odoo_get_snapshot(ts_agent *a, ts_odoo_snapshot *out);

#endif
