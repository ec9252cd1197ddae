/*
 * txnlog.h - the durable log of txns handed over by the tills.
 *
 * Owns the LMDB databases:
 *   txns   seq (8-byte big-endian) -> record header + txn_id + the POS bytes
 *   txn_id txn_id -> seq
 *   acks   acked_through (BE) -> acked_at_ms : one entry per ack, so
 *          "when was seq s acked" is the first entry at or after s
 *   moves  sku NUL seq(BE) -> signed qty in thousandths (sales +, returns -)
 *   meta   counters: last_seq, acked_through, accepted/rejected totals
 * seq is given inside the writer's transaction, so it never skips or
 * repeats; a txn is acknowledged to the POS only after its commit.
 */
#ifndef TILLSYNC_TXNLOG_H
#define TILLSYNC_TXNLOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/agent.h"
#include "sale/txn.h"

typedef enum {
    TS_APPEND_STORED = 0,   /* new: 201 */
    TS_APPEND_REPLAY = 1,   /* same txn_id, same content: 200 */
    TS_APPEND_CONFLICT = 2, /* same txn_id, other content: 409 */
    TS_APPEND_FULL = 3,     /* buffer full: 507 */
    TS_APPEND_FAILED = 4,   /* storage error: 503 */
    TS_APPEND_NO_SPACE = 5  /* the LMDB map had no room: 507, unless pruning helps */
} ts_append_result;

typedef struct ts_append_item {
    /* in */
    const char *body; /* the bytes as the POS sent them */
    size_t len;
    const ts_txn_info *info;
    /* out, valid in the done callback */
    ts_append_result result;
    uint64_t seq;
    int acked; /* for replays: current state */
} ts_append_item;

typedef struct ts_txn_record {
    uint64_t seq;
    int64_t received_at_ms;
    int64_t acked_at_ms; /* 0 while pending */
    char txn_id[TS_TXN_ID_MAX + 1];
    const char *body; /* valid only inside the read callback */
    size_t body_len;
} ts_txn_record;

typedef struct ts_txnlog_stats {
    uint64_t last_seq;
    uint64_t acked_through;
    uint64_t pending;
    int64_t oldest_pending_received_at_ms; /* 0 when none */
    uint64_t accepted_total;
    uint64_t rejected_total;
    uint64_t lowest_held_seq; /* 0 when empty: first seq not yet pruned */
} ts_txnlog_stats;

int ts_txnlog_open(ts_agent *agent);
void ts_txnlog_close(ts_agent *agent);

/* Stores the items in one group commit (their order gives their seqs);
 * done runs on the loop when every item has its result. */
int ts_txnlog_append(ts_agent *agent, ts_append_item *items, size_t n, void (*done)(void *arg),
                     void *arg);
/* Counts a txn refused by validation (rejected_total); in memory, folded
 * into the next commit. */
void ts_txnlog_count_rejected(ts_agent *agent);

int ts_txnlog_get(ts_agent *agent, const char *txn_id, ts_txn_record *out); /* body not set */
void ts_txnlog_get_stats(ts_agent *agent, ts_txnlog_stats *out);

/* Calls fn for seqs from..., at most max_n records and max_bytes of bodies
 * (at least one record when any is there). fn returns 0 to go on. */
int ts_txnlog_scan(ts_agent *agent, uint64_t from_seq, size_t max_n, size_t max_bytes,
                   int (*fn)(void *arg, const ts_txn_record *rec), void *arg);

/* Central acknowledged every seq <= through (durable, async). */
int ts_txnlog_ack(ts_agent *agent, uint64_t through, void (*done)(void *arg, int err), void *arg);
/* Central expects seq m next (409): acked_through becomes m-1 when m is
 * still held; TS_ENOTFOUND when m was already pruned. */
int ts_txnlog_rewind(ts_agent *agent, uint64_t m, void (*done)(void *arg, int err), void *arg);
/* Drops acked txns acked before cutoff_ms (retention). */
int ts_txnlog_prune(ts_agent *agent, int64_t cutoff_ms, void (*done)(void *arg, int err),
                    void *arg);

/* Newest seq acknowledged by central before cutoff_ms (0 when none). */
uint64_t ts_txnlog_acked_before(ts_agent *agent, int64_t cutoff_ms);
/* Sum of moves for sku in txns with seq > after_seq, in thousandths. */
int64_t ts_txnlog_pending_out(ts_agent *agent, const char *sku, uint64_t after_seq);

/* Called on the loop after each commit that stored new txns, so the uplink
 * wakes at once. One listener: a second call replaces the first. */
void ts_txnlog_on_append(ts_agent *agent, void (*cb)(void *arg), void *arg);

#endif
