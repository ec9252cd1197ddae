/*
 * uplink.c - the forwarder to central, the heartbeat, pruning and the link
 * state (see uplink.h; operator view in docs/uplink.md).
 *
 * The forwarder is a small loop driven by events, never by polling:
 *
 *     new txn / retry timer / answer ──> pump() ──> one batch in flight
 *                                                        │
 *          200 ack ──> move acked_through, pump again <──┤
 *          409     ──> rewind (or hold: data lost)    <──┤
 *          4xx     ──> hold the head, back off        <──┤
 *          5xx/429/transport ──> back off, same head  <──┘
 *
 * The next batch always starts at acked_through + 1, where acked_through is
 * central's word for what it durably holds. That value is also written to
 * the txn log (ts_txnlog_ack), but the forwarder does not wait for that
 * commit before sending the next batch: central drops seqs it already has,
 * so the durable ack only saves re-sending after a restart.
 */
#include "core/sdnotify.h"
#include "central/uplink.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/backoff.h"
#include "core/clock.h"
#include "config/config.h"
#include "core/error.h"
#include "http/http_client.h"
#include "core/log.h"
#include "central/remote_config.h"
#include "store/txnlog.h"

/* Failures in a row (or seconds without success) after which the state
 * says "offline" rather than "backoff". */
#define OFFLINE_AFTER_FAILURES 3
#define OFFLINE_AFTER_MS 60000
/* Bounds on what central may make us parse or show. */
#define MAX_ANSWER_PARSE_BYTES (64 * 1024)
#define MAX_REASON_CHARS 160
#define MAX_SEQ 9007199254740991.0 /* 2^53 - 1: exact in a JSON double */
#define HEARTBEAT_MAX_BYTES (256 * 1024)
#define PRUNE_MIN_INTERVAL_MS 1000
#define PRUNE_MAX_INTERVAL_MS (5 * 60 * 1000)
/* "]}" closes the body. */
#define BATCH_TAIL "]}"

static const char *const state_names[TS_LINK_STATES] = {"online", "backoff", "offline"};
static const char *const hold_names[TS_HOLD_REASONS] = {NULL, "rejected", "lost_data",
                                                        "central_ahead"};
static const char *const cause_names[TS_RETRY_CAUSES] = {
    "http_5xx", "http_429", "http_other", "timeout",       "connection", "tls",
    "protocol", "rejected", "lost_data",  "central_ahead", "storage"};
static const char *const result_names[TS_BATCH_RESULTS] = {"acked", "partial", "conflict",
                                                           "rejected", "failed"};

typedef struct link_up_hook {
    void (*cb)(void *arg);
    void *arg;
} link_up_hook;

struct ts_uplink {
    ts_agent *agent;
    ts_uplink_body_fn heartbeat_body; /* the status document, from main */
    void *heartbeat_arg;
    ts_http_client *client;
    ts_remote_config *remote;
    ts_backoff backoff;
    uv_timer_t retry_timer;
    uv_timer_t heartbeat_timer;
    uv_timer_t prune_timer;
    int open_handles; /* timers not yet closed */
    int pending_ops;  /* requests and store ops whose callback is still due */
    int stopping;

    /* Forwarder. */
    uint64_t acked_through; /* central's word; the next batch starts after it */
    int busy;               /* a batch or a rewind is under way */
    int retry_armed;
    uint64_t retry_due_mono;
    uint64_t batch_first, batch_last; /* the batch in flight */
    uint64_t last_conflict_seq;       /* expected_seq of the previous 409, 0 after progress */
    ts_uplink_hold hold;
    uint64_t rejected_seq;                      /* 0 when none */
    char rejected_reason[TS_UPLINK_REASON_MAX]; /* central's words for it */
    int heartbeat_in_flight;
    int prune_in_flight;
    int64_t heartbeat_s; /* as armed, to see live changes */
    uint64_t prune_interval_ms;

    /* Link state. */
    ts_link_state state;
    int64_t since_ms;
    int64_t last_ok_ms; /* 0: never */
    unsigned failures;  /* consecutive */
    uint64_t failing_since_mono;
    char last_error[256];
    int64_t last_error_ms;
    link_up_hook link_up[TS_UPLINK_MAX_LINK_UP_CBS];
    int n_link_up;
    int link_up_events;

    /* Counters. */
    uint64_t batches[TS_BATCH_RESULTS];
    uint64_t retries[TS_RETRY_CAUSES];
    uint64_t txns_sent, txns_acked, bytes_sent;
    uint64_t heartbeats_ok, heartbeats_failed;
    uint64_t ack_commit_failures;
};

static void pump(ts_uplink *u);

/* ---- Small helpers ---- */

/* Copies at most max printable ASCII chars of src (others become '?');
 * never echoes anything unbounded or with control bytes from outside. */
static void copy_plain(char *dst, size_t dstlen, const char *src, size_t srclen, size_t max)
{
    size_t n = 0;
    if (max > dstlen - 1)
        max = dstlen - 1;
    for (size_t i = 0; i < srclen && n < max; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[n++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
    }
    if (srclen > max && max >= 3)
        memcpy(dst + max - 3, "...", 3);
    dst[n] = '\0';
}

/* Parses a bounded JSON answer; NULL when absent, too big or not an object. */
static cJSON *parse_answer(const ts_http_response *resp)
{
    if (!resp->body || resp->body_len == 0 || resp->body_len > MAX_ANSWER_PARSE_BYTES)
        return NULL;
    cJSON *root = cJSON_ParseWithLength(resp->body, resp->body_len);
    if (root && !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* A seq-like member: an integral number in [0, 2^53). */
static int json_seq(const cJSON *obj, const char *key, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > MAX_SEQ ||
        floor(v->valuedouble) != v->valuedouble)
        return TS_EINVAL;
    *out = (uint64_t)v->valuedouble;
    return 0;
}

static void maybe_free(ts_uplink *u)
{
    if (u->stopping && u->open_handles == 0 && u->pending_ops == 0 && !u->remote)
        free(u);
}

/* ---- Link state ---- */

static void set_state(ts_uplink *u, ts_link_state s)
{
    if (s == u->state)
        return;
    ts_info("uplink.state", "state=%s previous=%s failures=%u", state_names[s],
            state_names[u->state], u->failures);
    ts_link_state previous = u->state;
    u->state = s;
    u->since_ms = ts_wall_ms();
    ts_sd_notifyf("STATUS=central %s", state_names[s]); /* shown by systemctl status */
    if (s == TS_LINK_ONLINE && previous != TS_LINK_ONLINE) {
        if (!u->last_error_ms) /* only the start-up "no answer yet" was there */
            u->last_error[0] = '\0';
        u->link_up_events++;
        for (int i = 0; i < u->n_link_up; i++)
            u->link_up[i].cb(u->link_up[i].arg);
    }
}

/* online: the last exchange went well and the queue is not held;
 * backoff: a retry is scheduled after a recent failure;
 * offline: failing for OFFLINE_AFTER_FAILURES tries or OFFLINE_AFTER_MS,
 *          or a failure with nothing scheduled (an idle link whose
 *          heartbeat failed). */
static ts_link_state current_state(const ts_uplink *u)
{
    if (u->failures == 0 && u->hold == TS_HOLD_NONE)
        return u->last_ok_ms ? TS_LINK_ONLINE : TS_LINK_OFFLINE; /* never reached yet */
    if (u->retry_armed && u->failures < OFFLINE_AFTER_FAILURES &&
        ts_mono_ms() - u->failing_since_mono < OFFLINE_AFTER_MS)
        return TS_LINK_BACKOFF;
    return TS_LINK_OFFLINE;
}

/* Time alone turns a long backoff into offline: callers that show the
 * state refresh it first. Never turns anything online (only answers do). */
static ts_link_state refresh_state(ts_uplink *u)
{
    set_state(u, current_state(u));
    return u->state;
}

static void set_error(ts_uplink *u, const char *msg)
{
    snprintf(u->last_error, sizeof(u->last_error), "%s", msg);
    u->last_error_ms = ts_wall_ms();
}

/* Any exchange with central that went well. */
static void note_ok(ts_uplink *u)
{
    u->last_ok_ms = ts_wall_ms();
    if (u->retry_armed)
        return; /* the forwarder's own retry decides when it is over */
    u->failures = 0;
    set_state(u, current_state(u));
}

/* A failed exchange that schedules nothing (heartbeat, config poll). */
static void note_failure(ts_uplink *u)
{
    if (u->failures++ == 0)
        u->failing_since_mono = ts_mono_ms();
    set_state(u, current_state(u));
}

/* ---- Retrying ---- */

static void on_retry_timer(uv_timer_t *t)
{
    ts_uplink *u = t->data;
    u->retry_armed = 0;
    pump(u);
}

/* The batch at the head failed: count it, back off, try the same head
 * again later. msg goes to last_error and the log. */
static void back_off(ts_uplink *u, ts_uplink_retry_cause cause, int64_t retry_after_s,
                     const char *msg)
{
    const ts_central_config *cc = &u->agent->cfg->central;
    ts_backoff_set_bounds(&u->backoff, (uint64_t)cc->retry_initial_ms, (uint64_t)cc->retry_max_ms);
    uint64_t delay = ts_backoff_next(&u->backoff, retry_after_s);
    u->retries[cause]++;
    if (u->failures++ == 0)
        u->failing_since_mono = ts_mono_ms();
    set_error(u, msg);
    u->retry_armed = 1;
    u->retry_due_mono = ts_mono_ms() + delay;
    uv_timer_start(&u->retry_timer, on_retry_timer, delay, 0);
    ts_log(u->failures == 1 ? TS_LOG_INFO : TS_LOG_WARN, "uplink.backoff",
           "cause=%s attempt=%u delay_ms=%" PRIu64 " retry_after_s=%" PRId64 " next_seq=%" PRIu64
           " error=\"%s\"",
           cause_names[cause], u->backoff.failures, delay, retry_after_s, u->acked_through + 1,
           msg);
    set_state(u, current_state(u));
}

/* ---- Acks ---- */

static void on_ack_committed(void *arg, int err)
{
    ts_uplink *u = arg;
    u->pending_ops--;
    if (err && err != TS_ECANCELED) {
        /* Harmless for delivery (central holds the txns); after a restart
         * they are sent again and central drops them. */
        u->ack_commit_failures++;
        ts_warn("uplink.ack.commit_failed", "err=\"%s\"", ts_strerror(err));
    }
    maybe_free(u);
}

/* Central holds every seq <= through: remember it, in memory now, on disk
 * soon. */
static void advance_ack(ts_uplink *u, uint64_t through)
{
    uint64_t newly = through - u->acked_through;
    u->acked_through = through;
    u->txns_acked += newly;
    if (ts_txnlog_ack(u->agent, through, on_ack_committed, u) == 0)
        u->pending_ops++;
    else
        u->ack_commit_failures++;
}

/* The head moved: clear holds and failure streaks. */
static void progress(ts_uplink *u)
{
    u->hold = TS_HOLD_NONE;
    u->rejected_seq = 0;
    u->rejected_reason[0] = '\0';
    u->last_conflict_seq = 0;
    ts_backoff_reset(&u->backoff);
    u->failures = 0;
    u->last_ok_ms = ts_wall_ms();
    set_state(u, current_state(u));
}

/* ---- Answers ---- */

static void on_ok(ts_uplink *u, const ts_http_response *resp)
{
    char msg[256];
    uint64_t n;
    cJSON *root = parse_answer(resp);
    int bad = !root || json_seq(root, "acked_through", &n) != 0;
    cJSON_Delete(root);
    if (bad) {
        u->batches[TS_BATCH_FAILED]++;
        snprintf(msg, sizeof(msg), "central answered 200 without a valid acked_through");
        back_off(u, TS_RETRY_PROTOCOL, -1, msg);
        return;
    }
    ts_txnlog_stats st;
    ts_txnlog_get_stats(u->agent, &st);
    if (n < u->acked_through || n > st.last_seq) {
        u->batches[TS_BATCH_FAILED]++;
        snprintf(msg, sizeof(msg),
                 "central acknowledged seq %" PRIu64 ", outside what it may ack (sent %" PRIu64
                 "..%" PRIu64 ", acknowledged before through %" PRIu64 ", newest here %" PRIu64 ")",
                 n, u->batch_first, u->batch_last, u->acked_through, st.last_seq);
        ts_error("uplink.protocol", "msg=\"%s\"", msg);
        back_off(u, TS_RETRY_PROTOCOL, -1, msg);
        return;
    }
    if (n > u->batch_last)
        /* Central already held more than this batch (sent before a restart
         * whose ack had not reached the disk): its word, as for a 409. */
        ts_info("uplink.ack_beyond_batch", "last_sent=%" PRIu64 " acked_through=%" PRIu64,
                u->batch_last, n);
    if (n == u->acked_through) {
        /* Nothing taken: going on at once would spin. */
        u->batches[TS_BATCH_FAILED]++;
        snprintf(msg, sizeof(msg), "central acknowledged none of seqs %" PRIu64 "..%" PRIu64,
                 u->batch_first, u->batch_last);
        back_off(u, TS_RETRY_PROTOCOL, resp->retry_after_s, msg);
        return;
    }
    u->batches[n >= u->batch_last ? TS_BATCH_ACKED : TS_BATCH_PARTIAL]++;
    ts_debug("uplink.batch.acked", "first=%" PRIu64 " last=%" PRIu64 " acked_through=%" PRIu64,
             u->batch_first, u->batch_last, n);
    advance_ack(u, n);
    progress(u);
    pump(u);
}

/* Central wants seq m next, but m is gone from this agent (pruned). */
static void on_lost(ts_uplink *u, uint64_t m)
{
    ts_txnlog_stats st;
    char msg[256];
    ts_txnlog_get_stats(u->agent, &st);
    uint64_t oldest = st.lowest_held_seq ? st.lowest_held_seq : st.last_seq + 1;
    snprintf(msg, sizeof(msg),
             "central lost data I already pruned (expected seq %" PRIu64 ", oldest held %" PRIu64
             ")",
             m, oldest);
    ts_error("uplink.lost_data",
             "expected_seq=%" PRIu64 " oldest_held=%" PRIu64 " skip_lost=%d msg=\"%s\"", m, oldest,
             u->agent->cfg->central.skip_lost, msg);
    if (!u->agent->cfg->central.skip_lost) {
        u->hold = TS_HOLD_LOST_DATA;
        back_off(u, TS_RETRY_LOST, -1, msg);
        return;
    }
    /* The operator accepted the loss: go on from the oldest seq held. */
    set_error(u, msg);
    ts_error("uplink.skip_lost",
             "skipped_from=%" PRIu64 " skipped_through=%" PRIu64 " resume_at=%" PRIu64, m,
             oldest - 1, oldest);
    u->acked_through = oldest - 1;
    if (oldest <= st.last_seq && ts_txnlog_rewind(u->agent, oldest, on_ack_committed, u) == 0)
        u->pending_ops++;
    u->last_conflict_seq = m;
    pump(u);
}

typedef struct rewind_req {
    ts_uplink *u;
    uint64_t m;
} rewind_req;

static void on_rewound(void *arg, int err)
{
    rewind_req *r = arg;
    ts_uplink *u = r->u;
    uint64_t m = r->m;
    free(r);
    u->pending_ops--;
    u->busy = 0;
    if (u->stopping) {
        maybe_free(u);
        return;
    }
    if (err == TS_ENOTFOUND) {
        on_lost(u, m);
    } else if (err) {
        char msg[160];
        snprintf(msg, sizeof(msg), "could not rewind the local log to seq %" PRIu64 ": %s", m,
                 ts_strerror(err));
        back_off(u, TS_RETRY_STORAGE, -1, msg);
    } else {
        ts_warn("uplink.rewound", "resend_from=%" PRIu64, m);
        u->acked_through = m - 1;
        pump(u);
    }
}

static void on_conflict(ts_uplink *u, const ts_http_response *resp)
{
    char msg[256];
    uint64_t m;
    ts_txnlog_stats st;
    cJSON *root = parse_answer(resp);
    int bad = !root || json_seq(root, "expected_seq", &m) != 0 || m == 0;
    cJSON_Delete(root);
    u->batches[TS_BATCH_CONFLICT]++;
    if (bad) {
        back_off(u, TS_RETRY_PROTOCOL, -1, "central answered 409 without a valid expected_seq");
        return;
    }
    ts_txnlog_get_stats(u->agent, &st);
    ts_warn("uplink.conflict", "expected_seq=%" PRIu64 " sent_from=%" PRIu64 " last_seq=%" PRIu64,
            m, u->batch_first, st.last_seq);
    if (m > st.last_seq + 1) {
        /* Central claims seqs this agent never gave out (a replaced data
         * dir?). Sending ours would have central drop them as duplicates:
         * hold, whatever skip_lost says, until a person sorts it out. */
        snprintf(msg, sizeof(msg),
                 "central expects seq %" PRIu64 " but the newest txn here is seq %" PRIu64
                 ": central is ahead of this agent; holding",
                 m, st.last_seq);
        ts_error("uplink.central_ahead", "expected_seq=%" PRIu64 " last_seq=%" PRIu64, m,
                 st.last_seq);
        u->hold = TS_HOLD_CENTRAL_AHEAD;
        back_off(u, TS_RETRY_CENTRAL_AHEAD, -1, msg);
        return;
    }
    if ((m == u->last_conflict_seq && u->hold == TS_HOLD_NONE) || m == u->acked_through + 1) {
        /* Asked for what we just sent, or the same again: do not ping-pong. */
        snprintf(msg, sizeof(msg), "central keeps asking for seq %" PRIu64, m);
        u->last_conflict_seq = m;
        back_off(u, TS_RETRY_PROTOCOL, resp->retry_after_s, msg);
        return;
    }
    u->last_conflict_seq = m;
    if (m - 1 > u->acked_through) {
        /* Central holds more than it had acknowledged: take its word. */
        advance_ack(u, m - 1);
        note_ok(u);
        pump(u);
        return;
    }
    rewind_req *r = malloc(sizeof(*r));
    if (!r) {
        back_off(u, TS_RETRY_STORAGE, -1, "out of memory");
        return;
    }
    r->u = u;
    r->m = m;
    u->busy = 1;
    if (ts_txnlog_rewind(u->agent, m, on_rewound, r) != 0) {
        free(r);
        u->busy = 0;
        back_off(u, TS_RETRY_STORAGE, -1, "could not queue the rewind of the local log");
        return;
    }
    u->pending_ops++;
    note_ok(u);
}

/* Other 4xx: central refuses the head. Strict order: hold it. */
static void on_rejected(ts_uplink *u, const ts_http_response *resp)
{
    char reason[MAX_REASON_CHARS + 1] = "";
    char msg[256];
    uint64_t seq = u->batch_first;
    cJSON *root = parse_answer(resp);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsObject(e)) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
        const cJSON *text = cJSON_IsString(m) ? m : cJSON_IsString(c) ? c : NULL;
        if (text)
            copy_plain(reason, sizeof(reason), text->valuestring, strlen(text->valuestring),
                       MAX_REASON_CHARS);
        uint64_t s;
        if (json_seq(e, "seq", &s) == 0)
            seq = s;
    }
    cJSON_Delete(root);
    if (!reason[0])
        snprintf(reason, sizeof(reason), "HTTP %d", resp->status);
    snprintf(msg, sizeof(msg), "central rejects seq %" PRIu64 ": %s", seq, reason);
    ts_error("uplink.rejected", "status=%d seq=%" PRIu64 " reason=\"%s\"", resp->status, seq,
             reason);
    u->batches[TS_BATCH_REJECTED]++;
    u->hold = TS_HOLD_REJECTED;
    u->rejected_seq = seq;
    snprintf(u->rejected_reason, sizeof(u->rejected_reason), "%s", reason);
    back_off(u, TS_RETRY_REJECTED, resp->retry_after_s, msg);
}

static ts_uplink_retry_cause transport_cause(int err)
{
    switch (err) {
    case TS_ETIMEDOUT:
        return TS_RETRY_TIMEOUT;
    case TS_ETLS:
        return TS_RETRY_TLS;
    case TS_EPROTO:
    case TS_ETOOBIG:
        return TS_RETRY_PROTOCOL;
    default:
        return TS_RETRY_CONNECTION;
    }
}

/* 5xx, 429, 408, time-outs, refused or broken connections, TLS failures. */
static void on_transient(ts_uplink *u, const ts_http_response *resp)
{
    char msg[256];
    ts_uplink_retry_cause cause;
    u->batches[TS_BATCH_FAILED]++;
    if (resp->status == 0) {
        char reason[MAX_REASON_CHARS + 1];
        const char *r = resp->reason[0] ? resp->reason : ts_strerror(resp->err);
        copy_plain(reason, sizeof(reason), r, strlen(r), MAX_REASON_CHARS);
        cause = transport_cause(resp->err);
        snprintf(msg, sizeof(msg), "%s", reason);
    } else {
        cause = resp->status == 429   ? TS_RETRY_HTTP_429
                : resp->status >= 500 ? TS_RETRY_HTTP_5XX
                                      : TS_RETRY_HTTP_OTHER;
        snprintf(msg, sizeof(msg), "central answered HTTP %d", resp->status);
    }
    back_off(u, cause, resp->retry_after_s, msg);
}

static void on_batch_answer(void *arg, const ts_http_response *resp)
{
    ts_uplink *u = arg;
    u->pending_ops--;
    u->busy = 0;
    if (u->stopping) {
        maybe_free(u);
        return;
    }
    int s = resp->status; /* 0 with TS_ECANCELED (a reset): retried like a cut */
    if (s >= 200 && s < 300)
        on_ok(u, resp);
    else if (s == 409)
        on_conflict(u, resp);
    else if (s >= 400 && s < 500 && s != 408 && s != 429)
        on_rejected(u, resp);
    else
        on_transient(u, resp);
}

/* ---- Sending ---- */

typedef struct batch_builder {
    ts_buf *body;
    uint64_t next_seq; /* the seq the next record must carry */
    size_t n;
} batch_builder;

/* Appends one {"seq", "received_at", "txn"} with the POS bytes spliced in
 * as they are; stops (returns 1) at a gap or at the 1 MiB bound. */
static int add_record(void *arg, const ts_txn_record *rec)
{
    batch_builder *bb = arg;
    char head[128], when[TS_RFC3339_LEN];
    if (rec->seq != bb->next_seq)
        return 1;
    ts_format_rfc3339_ms(rec->received_at_ms, when);
    int hl = snprintf(head, sizeof(head),
                      "%s{\"seq\":%" PRIu64 ",\"received_at\":\"%s\",\"txn\":", bb->n ? "," : "",
                      rec->seq, when);
    size_t need = (size_t)hl + rec->body_len + 1 + sizeof(BATCH_TAIL) - 1;
    if (need > TS_UPLINK_MAX_BATCH_BYTES || bb->body->len > TS_UPLINK_MAX_BATCH_BYTES - need)
        return 1;
    ts_buf_append(bb->body, head, (size_t)hl);
    ts_buf_append(bb->body, rec->body, rec->body_len);
    ts_buf_append(bb->body, "}", 1);
    bb->n++;
    bb->next_seq++;
    return 0;
}

/* Builds the batch that starts at acked_through + 1; 0 when there is
 * nothing to send, n > 0, or a negative TS_E*. */
static int build_batch(ts_uplink *u, ts_buf *body)
{
    const ts_config *cfg = u->agent->cfg;
    batch_builder bb = {body, u->acked_through + 1, 0};
    ts_buf_puts(body, "{\"store_id\":");
    ts_buf_json_string(body, cfg->store_id, strlen(cfg->store_id));
    ts_buf_puts(body, ",\"agent_version\":\"" TS_VERSION "\",\"transactions\":[");
    size_t max_n = cfg->central.batch_max > 0 ? (size_t)cfg->central.batch_max : 1;
    int rc =
        ts_txnlog_scan(u->agent, bb.next_seq, max_n, TS_UPLINK_MAX_BATCH_BYTES, add_record, &bb);
    if (rc < 0 && rc != TS_ENOTFOUND)
        return rc;
    ts_buf_puts(body, BATCH_TAIL);
    if (!ts_buf_ok(body))
        return TS_ENOMEM;
    return (int)bb.n;
}

static void pump(ts_uplink *u)
{
    ts_txnlog_stats st;
    if (u->stopping || u->busy || u->retry_armed)
        return;
    ts_txnlog_get_stats(u->agent, &st);
    if (u->acked_through >= st.last_seq)
        return; /* idle: the next append wakes us */

    ts_buf body;
    char path[TS_CENTRAL_PATH_MAX];
    ts_buf_init(&body, TS_UPLINK_MAX_BATCH_BYTES);
    int n = build_batch(u, &body);
    if (n <= 0) {
        char msg[160];
        if (n == 0)
            snprintf(msg, sizeof(msg), "seq %" PRIu64 " is missing from the local log",
                     u->acked_through + 1);
        else
            snprintf(msg, sizeof(msg), "could not read the local log: %s", ts_strerror(n));
        ts_error("uplink.read_failed", "msg=\"%s\"", msg);
        ts_buf_free(&body);
        back_off(u, TS_RETRY_STORAGE, -1, msg);
        return;
    }
    u->batch_first = u->acked_through + 1;
    u->batch_last = u->acked_through + (uint64_t)n;
    ts_config_central_path(u->agent->cfg, "transactions", path, sizeof(path));
    int rc = ts_http_client_request(u->client, "POST", path, "", "application/json", body.data,
                                    body.len, on_batch_answer, u);
    if (rc == 0) {
        u->busy = 1;
        u->pending_ops++;
        u->txns_sent += (uint64_t)n;
        u->bytes_sent += body.len;
        ts_debug("uplink.batch.sent", "first=%" PRIu64 " last=%" PRIu64 " bytes=%zu",
                 u->batch_first, u->batch_last, body.len);
    }
    ts_buf_free(&body);
    if (rc != 0)
        back_off(u, TS_RETRY_CONNECTION, -1, "could not queue the request to central");
}

/* Called by the txn log after each commit that stored new txns. The agent,
 * not the uplink, is the argument: the log cannot forget a callback, and
 * a->uplink is NULL once the uplink stopped. */
static void on_new_txns(void *arg)
{
    ts_agent *a = arg;
    if (a->uplink)
        pump(a->uplink);
}

/* ---- Heartbeat ---- */

static void on_heartbeat_answer(void *arg, const ts_http_response *resp)
{
    ts_uplink *u = arg;
    u->pending_ops--;
    u->heartbeat_in_flight = 0;
    if (u->stopping) {
        maybe_free(u);
        return;
    }
    if (resp->status >= 200 && resp->status < 300) {
        u->heartbeats_ok++;
        note_ok(u);
        return;
    }
    u->heartbeats_failed++;
    ts_debug("uplink.heartbeat.failed", "status=%d reason=\"%s\"", resp->status,
             resp->status ? "" : resp->reason);
    note_failure(u);
}

static void send_heartbeat(ts_uplink *u)
{
    ts_buf body;
    char path[TS_CENTRAL_PATH_MAX];
    if (u->heartbeat_in_flight || u->stopping)
        return;
    ts_buf_init(&body, HEARTBEAT_MAX_BYTES);
    if (u->heartbeat_body)
        u->heartbeat_body(u->heartbeat_arg, &body);
    ts_config_central_path(u->agent->cfg, "heartbeat", path, sizeof(path));
    if (ts_buf_ok(&body) && body.len > 0 &&
        ts_http_client_request(u->client, "POST", path, "", "application/json", body.data, body.len,
                               on_heartbeat_answer, u) == 0) {
        u->heartbeat_in_flight = 1;
        u->pending_ops++;
    }
    ts_buf_free(&body);
}

static void on_heartbeat_timer(uv_timer_t *t)
{
    send_heartbeat(t->data);
}

static void arm_heartbeat(ts_uplink *u, uint64_t first_ms)
{
    int64_t s = u->agent->cfg->central.heartbeat_s;
    u->heartbeat_s = s > 0 ? s : 60;
    uv_timer_start(&u->heartbeat_timer, on_heartbeat_timer, first_ms,
                   (uint64_t)u->heartbeat_s * 1000);
}

/* ---- Pruning ---- */

static void on_pruned(void *arg, int err)
{
    ts_uplink *u = arg;
    u->pending_ops--;
    u->prune_in_flight = 0;
    if (err && err != TS_ECANCELED)
        ts_warn("uplink.prune_failed", "err=\"%s\"", ts_strerror(err));
    maybe_free(u);
}

static void on_prune_timer(uv_timer_t *t)
{
    ts_uplink *u = t->data;
    if (u->prune_in_flight || u->stopping)
        return;
    double retention_ms = u->agent->cfg->storage.acked_retention_h * 3600.0 * 1000.0;
    int64_t cutoff = ts_run_ms() - (int64_t)retention_ms; /* acked_at is run clock */
    if (ts_txnlog_prune(u->agent, cutoff, on_pruned, u) == 0) {
        u->prune_in_flight = 1;
        u->pending_ops++;
    }
}

/* Often enough that a txn does not outstay its retention by much, rarely
 * enough to cost nothing: a quarter of the retention, 1 s to 5 min. */
static void arm_prune(ts_uplink *u)
{
    double q = u->agent->cfg->storage.acked_retention_h * 3600.0 * 1000.0 / 4;
    uint64_t every = q < PRUNE_MIN_INTERVAL_MS   ? PRUNE_MIN_INTERVAL_MS
                     : q > PRUNE_MAX_INTERVAL_MS ? PRUNE_MAX_INTERVAL_MS
                                                 : (uint64_t)q;
    u->prune_interval_ms = every;
    uv_timer_start(&u->prune_timer, on_prune_timer, every, every);
}

/* ---- Remote config hooks ---- */

static void on_config_exchange(void *arg, int ok, const ts_http_response *resp)
{
    ts_uplink *u = arg;
    (void)resp;
    if (ok)
        note_ok(u);
    else
        note_failure(u);
}

static void on_settings_applied(void *arg)
{
    ts_uplink *u = arg;
    if (u->agent->cfg->central.heartbeat_s != u->heartbeat_s)
        arm_heartbeat(u, (uint64_t)u->agent->cfg->central.heartbeat_s * 1000);
    arm_prune(u);
    ts_remote_config_rearm(u->remote);
    pump(u); /* batch_max may have grown */
}

/* ---- Start and stop ---- */

static uint64_t random_seed(void)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
        seed = uv_hrtime() ^ ((uint64_t)getpid() << 32);
    return seed;
}

static void init_timer(ts_uplink *u, uv_timer_t *t)
{
    uv_timer_init(u->agent->loop, t);
    t->data = u;
    u->open_handles++;
}

static void warn_cert_expiry(ts_uplink *u)
{
    int64_t not_after = ts_http_client_cert_not_after_ms(u->client);
    if (not_after <= 0)
        return;
    int64_t days = (not_after - ts_wall_ms()) / 86400000;
    char t[TS_RFC3339_LEN];
    ts_format_rfc3339_s(not_after, t);
    if (days < 30)
        ts_warn("uplink.cert_expiring", "expires_at=%s days_left=%" PRId64, t, days);
}

void ts_uplink_set_heartbeat_body(ts_agent *a, ts_uplink_body_fn fn, void *arg)
{
    if (a->uplink) {
        a->uplink->heartbeat_body = fn;
        a->uplink->heartbeat_arg = arg;
    }
}

int ts_uplink_start(ts_agent *a, char *err, size_t errlen)
{
    const ts_central_config *cc = &a->cfg->central;
    ts_http_client_options opt = {0};
    ts_txnlog_stats st;
    ts_uplink *u = calloc(1, sizeof(*u));
    if (!u) {
        snprintf(err, errlen, "central: out of memory");
        return TS_ENOMEM;
    }
    u->agent = a;
    opt.url = cc->url;
    opt.ca_file = cc->ca_file;
    opt.cert_file = cc->cert_file;
    opt.key_file = cc->key_file;
    opt.insecure_plain = cc->insecure_plain;
    opt.connect_timeout_ms = 10000;
    opt.handshake_timeout_ms = 10000;
    opt.response_timeout_ms = 30000;
    opt.max_response_bytes = 256 * 1024;
    int rc = ts_http_client_new(&u->client, a->loop, &opt, err, errlen);
    if (rc != 0) {
        free(u);
        return rc;
    }
    if (cc->insecure_plain)
        ts_warn("uplink.insecure_plain", "msg=\"central.insecure_plain is on: txns go to "
                                         "central unencrypted (tests only)\"");
    ts_backoff_init(&u->backoff, (uint64_t)cc->retry_initial_ms, (uint64_t)cc->retry_max_ms,
                    random_seed());
    ts_txnlog_get_stats(a, &st);
    u->acked_through = st.acked_through;
    u->state = TS_LINK_OFFLINE; /* until central has answered once */
    u->since_ms = ts_wall_ms();
    snprintf(u->last_error, sizeof(u->last_error), "no answer from central yet");
    init_timer(u, &u->retry_timer);
    init_timer(u, &u->heartbeat_timer);
    init_timer(u, &u->prune_timer);
    a->uplink = u;

    ts_remote_config_hooks hooks = {on_config_exchange, on_settings_applied, u};
    if (ts_remote_config_start(&u->remote, a, u->client, &hooks) != 0)
        u->remote = NULL; /* logged there; forwarding matters more */
    ts_txnlog_on_append(a, on_new_txns, a);
    warn_cert_expiry(u);
    ts_info("uplink.started",
            "url=\"%s\" acked_through=%" PRIu64 " last_seq=%" PRIu64 " batch_max=%d", cc->url,
            st.acked_through, st.last_seq, cc->batch_max);
    arm_heartbeat(u, 0);
    arm_prune(u);
    pump(u);
    return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    ts_uplink *u = h->data;
    u->open_handles--;
    maybe_free(u);
}

void ts_uplink_stop(ts_agent *a)
{
    ts_uplink *u = a->uplink;
    if (!u)
        return;
    a->uplink = NULL;
    u->stopping = 1;
    if (u->remote) {
        ts_remote_config_stop(u->remote);
        u->remote = NULL;
    }
    uv_close((uv_handle_t *)&u->retry_timer, on_timer_closed);
    uv_close((uv_handle_t *)&u->heartbeat_timer, on_timer_closed);
    uv_close((uv_handle_t *)&u->prune_timer, on_timer_closed);
    ts_http_client *c = u->client;
    u->client = NULL;
    ts_http_client_close(c); /* runs the callbacks in flight with TS_ECANCELED */
}

int ts_uplink_on_link_up(ts_agent *a, void (*cb)(void *arg), void *arg)
{
    ts_uplink *u = a->uplink;
    if (!u || !cb)
        return TS_EINVAL;
    if (u->n_link_up >= TS_UPLINK_MAX_LINK_UP_CBS)
        return TS_EFULL;
    u->link_up[u->n_link_up].cb = cb;
    u->link_up[u->n_link_up].arg = arg;
    u->n_link_up++;
    return 0;
}

int ts_uplink_link_up_events(ts_agent *a)
{
    return a->uplink ? a->uplink->link_up_events : 0;
}

/* ---- Figures ---- */

const char *ts_link_state_name(ts_link_state s)
{
    return s < TS_LINK_STATES ? state_names[s] : "offline";
}

const char *ts_uplink_hold_name(ts_uplink_hold h)
{
    return h < TS_HOLD_REASONS ? hold_names[h] : NULL;
}

const char *ts_uplink_batch_result_name(ts_uplink_batch_result r)
{
    return r < TS_BATCH_RESULTS ? result_names[r] : "failed";
}

const char *ts_uplink_retry_cause_name(ts_uplink_retry_cause c)
{
    return c < TS_RETRY_CAUSES ? cause_names[c] : "protocol";
}

void ts_uplink_get_snapshot(ts_agent *a, ts_uplink_snapshot *out)
{
    memset(out, 0, sizeof(*out));
    ts_uplink *u = a->uplink;
    if (!u)
        return;
    out->running = 1;
    out->state = refresh_state(u);
    out->since_ms = u->since_ms;
    out->last_ok_ms = u->last_ok_ms;
    out->last_error_ms = u->last_error_ms;
    snprintf(out->last_error, sizeof(out->last_error), "%s", u->last_error);
    out->acked_through = u->acked_through;
    uint64_t now = ts_mono_ms();
    out->next_retry_in_ms = u->retry_armed && u->retry_due_mono > now ? u->retry_due_mono - now : 0;
    out->consecutive_failures = u->failures;
    out->batch_in_flight = u->busy;
    out->held = u->hold;
    out->rejected_seq = u->rejected_seq;
    snprintf(out->rejected_reason, sizeof(out->rejected_reason), "%s", u->rejected_reason);
    out->link_up_events = (uint64_t)u->link_up_events;
    out->cert_not_after_ms = u->client ? ts_http_client_cert_not_after_ms(u->client) : 0;
    memcpy(out->batches, u->batches, sizeof(out->batches));
    memcpy(out->retries, u->retries, sizeof(out->retries));
    out->txns_sent = u->txns_sent;
    out->txns_acked = u->txns_acked;
    out->bytes_sent = u->bytes_sent;
    out->heartbeats_ok = u->heartbeats_ok;
    out->heartbeats_failed = u->heartbeats_failed;
    out->ack_commit_failures = u->ack_commit_failures;
    if (u->remote) {
        out->has_remote_config = 1;
        ts_remote_config_get_snapshot(u->remote, &out->remote_config);
    }
}

uint64_t ts_uplink_central_acks(ts_agent *a)
{
    ts_uplink *u = a->uplink;
    return u ? u->heartbeats_ok + u->batches[TS_BATCH_ACKED] + u->batches[TS_BATCH_PARTIAL] : 0;
}

const ts_update_offer *ts_uplink_update_offer(ts_agent *a)
{
    return a->uplink && a->uplink->remote ? ts_remote_config_update_offer(a->uplink->remote) : NULL;
}
