/*
 * history.h - the last 24 hours, one sample a minute (GET /v1/status/history,
 * the timeline on the status page).
 *
 * The ring (ts_history_ring) is plain memory and plain functions, so the
 * unit tests drive it without a loop or a store. The module (ts_history_*
 * with an agent) samples it on a libuv timer, which runs on the monotonic
 * clock, and keeps a copy in the store's "history" database through the
 * store's writer: one small write a minute, never from the loop itself.
 *
 * Clock safety: samples are ordered by their own sequence number, never by
 * the wall clock. Each keeps the wall time it was taken at (for display).
 * If the wall clock steps back, the samples stamped later than the new time
 * are dropped before the next one goes in, so the ring (and the page's time
 * axis) stays in order; a forward step only hides samples older than 24 h.
 */
#ifndef TILLSYNC_HISTORY_H
#define TILLSYNC_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "core/agent.h"
#include "core/buf.h"
#include "http/http_server.h"

#define TS_HISTORY_SLOTS 1440         /* 24 h of minutes */
#define TS_HISTORY_INTERVAL_MS 60000u /* monotonic */
#define TS_HISTORY_RECORD_BYTES 38    /* one sample on disk (format 1) */
#define TS_HISTORY_NO_AGE (-1)        /* odoo_copy_age_s: no copy */
#define TS_HISTORY_NO_DISK UINT32_MAX /* disk_free_mb: unknown */
#define TS_HISTORY_JSON_LIMIT (512 * 1024)

typedef struct ts_history_sample {
    uint64_t seq;                  /* sampling order, never reused, kept across restarts */
    int64_t at_ms;                 /* wall clock when taken (display only) */
    uint32_t pending;              /* sales waiting */
    uint32_t oldest_pending_age_s; /* 0 when none wait */
    int32_t odoo_copy_age_s;       /* TS_HISTORY_NO_AGE: no copy / no Odoo */
    uint32_t accepted;             /* sales taken in during the minute */
    uint32_t disk_free_mb;         /* TS_HISTORY_NO_DISK: unknown */
    uint8_t central_online;
} ts_history_sample;

typedef struct ts_history_ring {
    ts_history_sample slot[TS_HISTORY_SLOTS]; /* by seq % TS_HISTORY_SLOTS */
    uint64_t head_seq;                        /* newest sample's seq; 0: empty */
} ts_history_ring;

/* ---- The ring: no loop, no store ---- */

void ts_history_ring_init(ts_history_ring *r);
/* Adds s as the newest sample (s->seq is set here). Samples stamped later
 * than s (the wall clock stepped back) are dropped first; returns how many. */
size_t ts_history_ring_push(ts_history_ring *r, ts_history_sample *s);
/* Puts back one sample read from disk; head_seq is the newest stored.
 * Samples outside (head_seq - SLOTS, head_seq] are ignored. */
void ts_history_ring_restore(ts_history_ring *r, const ts_history_sample *s, uint64_t head_seq);
/* The samples oldest first, at most n; returns how many were copied. */
size_t ts_history_ring_list(const ts_history_ring *r, ts_history_sample *out, size_t n);
/* {"interval_s":60,"samples":[...]}: the samples taken within 24 h before
 * now_ms, oldest first, then live (the minute in progress) when not NULL. */
void ts_history_ring_json(const ts_history_ring *r, int64_t now_ms, const ts_history_sample *live,
                          ts_buf *out);

void ts_history_encode(const ts_history_sample *s, uint8_t out[TS_HISTORY_RECORD_BYTES]);
int ts_history_decode(const void *data, size_t len, ts_history_sample *out);

/* ---- The module ---- */

/* Opens the "history" database (before the store's first write), loads
 * what is kept, starts the minute timer. */
int ts_history_start(ts_agent *a);
/* Takes a last sample of the minute in progress (queued for the store's
 * final commit) and stops the timer. Call before ts_store_close(). */
void ts_history_stop(ts_agent *a);
/* Stops the timer without a last sample (the seeding tool). */
void ts_history_halt(ts_agent *a);
/* Frees the module once the loop has run the timer's close. */
void ts_history_free(ts_agent *a);
/* Takes a sample now (the timer's work; also used by the seeding tool). */
int ts_history_record(ts_agent *a, const ts_history_sample *s);

/* The module's ring, for reading (tests, the seeding tool). */
const ts_history_ring *ts_history_ring_of(const ts_agent *a);

void ts_history_handle(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req);

#endif
