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
 *   - the link state shown in /v1/status ("central", "tls") and /metrics.
 * Everything runs on the agent's loop; nothing here blocks.
 */
#ifndef TILLSYNC_UPLINK_H
#define TILLSYNC_UPLINK_H

#include <stddef.h>
#include <stdint.h>

#include "core/agent.h"
#include "core/buf.h"

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

/* The "central" object of /v1/status: state online|offline|backoff, since,
 * last_ok_at, last_error, acked_through, next_retry_in_s, and more. */
void ts_uplink_status_json(ts_agent *a, ts_buf *out);
/* The "tls" object: client_cert_expires_at, days_left. */
void ts_uplink_tls_status_json(ts_agent *a, ts_buf *out);
/* Prometheus text (with # HELP / # TYPE) for the uplink. */
void ts_uplink_metrics(ts_agent *a, ts_buf *out);

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
