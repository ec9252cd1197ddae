/*
 * uplink.h - the forwarder to central (spec: uplink.md; operator view:
 * docs/uplink.md).
 *
 * Owns the one HTTP client to central and everything that travels on it:
 *   - the txn forwarder: batches of contiguous seqs from the last seq
 *     central acknowledged, one batch in flight, partial acks, 409 rewind,
 *     holds on refusals, back-off with full jitter (backoff.h) on failures;
 *   - the heartbeat (the /v1/status document every central.heartbeat_s);
 *   - the remote config poll (remote_config.h, driven from here);
 *   - pruning acked txns after storage.acked_retention_h;
 *   - the link state and counters, handed out as a ts_uplink_snapshot
 *     (report/ writes them into /v1/status and /metrics).
 * Everything runs on the agent's loop; nothing here blocks.
 */
#ifndef TILLSYNC_UPLINK_H
#define TILLSYNC_UPLINK_H

#include <stddef.h>
#include <stdint.h>

#include "core/agent.h"
#include "core/buf.h"
#include "central/remote_config.h"

/* A batch body never exceeds this (uplink.md). */
#define TS_UPLINK_MAX_BATCH_BYTES (1024 * 1024)

/*
 * Builds the client from cfg->central (fails with a one-line reason in err,
 * e.g. the key file is readable by others), registers for new txns, and
 * starts forwarding from acked_through + 1 plus the heartbeat, config poll
 * and prune timers. Sets a->uplink. Needs a->txnlog open.
 */
int ts_uplink_start(ts_agent *a, char *err, size_t errlen);
/* Stops the timers and closes the client; a->uplink becomes NULL. Memory
 * is released once libuv has closed the handles (run the loop on). */
void ts_uplink_stop(ts_agent *a);

/* The link state (uplink.md "state"). */
typedef enum { TS_LINK_ONLINE = 0, TS_LINK_BACKOFF, TS_LINK_OFFLINE, TS_LINK_STATES } ts_link_state;

/* Why the head of the queue does not move, beyond a passing failure. */
typedef enum {
    TS_HOLD_NONE = 0,
    TS_HOLD_REJECTED,      /* central refused rejected_seq */
    TS_HOLD_LOST_DATA,     /* central lost sales this agent already pruned */
    TS_HOLD_CENTRAL_AHEAD, /* central claims seqs this agent never gave */
    TS_HOLD_REASONS
} ts_uplink_hold;

/* Batch results, the label of tillsync_uplink_batches_total. */
typedef enum {
    TS_BATCH_ACKED = 0, /* every txn of the batch acknowledged */
    TS_BATCH_PARTIAL,   /* some */
    TS_BATCH_CONFLICT,  /* 409 */
    TS_BATCH_REJECTED,  /* other 4xx */
    TS_BATCH_FAILED,    /* 5xx, 429, transport, protocol */
    TS_BATCH_RESULTS
} ts_uplink_batch_result;

/* Retry causes, the label of tillsync_uplink_retries_total. */
typedef enum {
    TS_RETRY_HTTP_5XX = 0,
    TS_RETRY_HTTP_429,
    TS_RETRY_HTTP_OTHER, /* 408 and odd statuses */
    TS_RETRY_TIMEOUT,
    TS_RETRY_CONNECTION,
    TS_RETRY_TLS,
    TS_RETRY_PROTOCOL,
    TS_RETRY_REJECTED,
    TS_RETRY_LOST,
    TS_RETRY_CENTRAL_AHEAD,
    TS_RETRY_STORAGE,
    TS_RETRY_CAUSES
} ts_uplink_retry_cause;

/* The words used in the status, the metrics' labels and the log. */
const char *ts_link_state_name(ts_link_state s);
const char *ts_uplink_hold_name(ts_uplink_hold h); /* NULL for TS_HOLD_NONE */
const char *ts_uplink_batch_result_name(ts_uplink_batch_result r);
const char *ts_uplink_retry_cause_name(ts_uplink_retry_cause c);

#define TS_UPLINK_ERROR_MAX 256
#define TS_UPLINK_REASON_MAX 161 /* central's words, bounded and plain ASCII */

/* The uplink's figures at one moment: what the "central" and "tls" parts
 * of /v1/status, its headline and /metrics are written from (report/). */
typedef struct ts_uplink_snapshot {
    int running; /* 0: not started (or stopped); nothing below is set */
    ts_link_state state;
    int64_t since_ms;      /* wall ms the state began; 0: start-up */
    int64_t last_ok_ms;    /* 0: never */
    int64_t last_error_ms; /* 0: none yet */
    char last_error[TS_UPLINK_ERROR_MAX];
    uint64_t acked_through;
    uint64_t next_retry_in_ms; /* 0: no retry armed */
    uint64_t consecutive_failures;
    int batch_in_flight;
    ts_uplink_hold held;
    uint64_t rejected_seq;                      /* 0: none */
    char rejected_reason[TS_UPLINK_REASON_MAX]; /* central's reason for it */
    uint64_t link_up_events;
    int64_t cert_not_after_ms; /* client certificate; 0: unknown */
    uint64_t batches[TS_BATCH_RESULTS];
    uint64_t retries[TS_RETRY_CAUSES];
    uint64_t txns_sent, txns_acked, bytes_sent;
    uint64_t heartbeats_ok, heartbeats_failed;
    uint64_t ack_commit_failures;
    int has_remote_config; /* the config poll runs */
    ts_remote_config_snapshot remote_config;
} ts_uplink_snapshot;

/* Fills out (zeroed, running 0 when the uplink is not started). Refreshes
 * the state first: time alone turns a long backoff into offline. */
void ts_uplink_get_snapshot(ts_agent *a, ts_uplink_snapshot *out);

/* cb runs on the loop each time the link comes back (state becomes online
 * after being offline or backoff). Up to TS_UPLINK_MAX_LINK_UP_CBS. */
#define TS_UPLINK_MAX_LINK_UP_CBS 8
int ts_uplink_on_link_up(ts_agent *a, void (*cb)(void *arg), void *arg);
/* How many times the link came back since start. */
int ts_uplink_link_up_events(ts_agent *a);

/* What the heartbeat carries (the status document) is written by a layer
 * above this one; main wires it here. Without it no heartbeat is sent. */
typedef void (*ts_uplink_body_fn)(void *arg, ts_buf *out);
void ts_uplink_set_heartbeat_body(ts_agent *a, ts_uplink_body_fn fn, void *arg);

/* Heartbeats and batches central acknowledged since start (the update's
 * probation counts on one, update.md). */
uint64_t ts_uplink_central_acks(ts_agent *a);
/* What central's config offers in "update" (NULL before the first poll). */
struct ts_update_offer;
const struct ts_update_offer *ts_uplink_update_offer(ts_agent *a);

#endif
