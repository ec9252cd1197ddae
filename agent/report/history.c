/*
 * history.c - the history module (history.h): a minute timer on the loop
 * takes a sample from the same figures /v1/status shows, keeps it in the
 * ring, and hands one small write to the store's writer.
 *
 * On disk (database "history"): key = 2-byte big-endian slot (seq % 1440),
 * value = the 38-byte record; key "head" = the newest seq (8 bytes LE).
 * Both go in one op, so a crash leaves either the old or the new minute.
 * Records whose seq is above "head" were dropped after a clock step back
 * and are ignored when loading.
 */
#include "report/history.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "http/reply.h"
#include "report/report.h"
#include "store/store.h"

static const char head_key[] = "head";

struct ts_history {
    ts_agent *agent;
    MDB_dbi dbi;
    uv_timer_t timer;
    int timer_on;
    uint64_t accepted_base; /* accepted_total when the minute began */
    ts_history_ring ring;
};

typedef struct write_op {
    MDB_dbi dbi;
    uint8_t key[2];
    uint8_t rec[TS_HISTORY_RECORD_BYTES];
    uint8_t head[8];
} write_op;

static uint32_t clamp32(uint64_t v)
{
    return v > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)v;
}

static int32_t clamp_age(int64_t v)
{
    return v < 0 ? 0 : v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

/* The minute in progress, from the typed figures /v1/status is written
 * from (report.h), so the timeline and the status agree. */
static void sample_now(ts_agent *a, const ts_history *h, ts_history_sample *s)
{
    ts_report_figures f;
    ts_report_figures_get(a, &f);
    memset(s, 0, sizeof(*s));
    s->at_ms = f.now_ms;
    s->pending = clamp32(f.queue.pending);
    s->oldest_pending_age_s =
        f.oldest_pending_age_s > 0 ? clamp32((uint64_t)f.oldest_pending_age_s) : 0;
    s->accepted = f.queue.accepted_total >= h->accepted_base
                      ? clamp32(f.queue.accepted_total - h->accepted_base)
                      : 0;
    s->disk_free_mb = f.disk_known ? clamp32(f.disk_free_bytes >> 20) : TS_HISTORY_NO_DISK;
    s->central_online = f.uplink.running && f.uplink.state == TS_LINK_ONLINE;
    s->odoo_copy_age_s = f.has_odoo && f.odoo.configured && f.odoo.copy.has_copy
                             ? clamp_age(f.odoo.age_s)
                             : TS_HISTORY_NO_AGE;
}

/* ---- Writing (on the store's writer thread) ---- */

static int write_apply(MDB_txn *txn, void *arg)
{
    write_op *op = arg;
    MDB_val k = {sizeof(op->key), op->key}, v = {sizeof(op->rec), op->rec};
    int rc = mdb_put(txn, op->dbi, &k, &v, 0);
    if (rc == 0) {
        MDB_val hk = {sizeof(head_key) - 1, (void *)head_key}, hv = {sizeof(op->head), op->head};
        rc = mdb_put(txn, op->dbi, &hk, &hv, 0);
    }
    return rc ? ts_store_err(rc) : 0;
}

static void write_done(void *arg, int err)
{
    if (err)
        ts_warn("history.write_failed", "err=%s", ts_strerror(err));
    free(arg);
}

int ts_history_record(ts_agent *a, const ts_history_sample *in)
{
    ts_history *h = a->history;
    if (!h)
        return TS_EINVAL;
    ts_history_sample s = *in;
    size_t dropped = ts_history_ring_push(&h->ring, &s);
    if (dropped)
        ts_warn("history.clock_back", "dropped=%zu", dropped);
    write_op *op = malloc(sizeof(*op));
    if (!op)
        return TS_ENOMEM;
    op->dbi = h->dbi;
    uint32_t slot = (uint32_t)(s.seq % TS_HISTORY_SLOTS);
    op->key[0] = (uint8_t)(slot >> 8);
    op->key[1] = (uint8_t)slot;
    ts_history_encode(&s, op->rec);
    for (int i = 0; i < 8; i++)
        op->head[i] = (uint8_t)(s.seq >> (8 * i));
    int rc = ts_store_submit(a->store, write_apply, write_done, op);
    if (rc)
        free(op); /* the ring keeps it; the disk misses one minute */
    return rc;
}

static void take_sample(ts_agent *a)
{
    ts_history *h = a->history;
    ts_history_sample s;
    sample_now(a, h, &s);
    h->accepted_base += s.accepted;
    ts_history_record(a, &s);
}

static void on_tick(uv_timer_t *t)
{
    take_sample(t->data);
}

/* ---- Start, load, stop ---- */

static int load(ts_history *h, ts_store *st)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = ts_store_read_begin(st, &txn);
    if (rc)
        return rc;
    uint64_t head = 0;
    MDB_val k = {sizeof(head_key) - 1, (void *)head_key}, v;
    if (mdb_get(txn, h->dbi, &k, &v) == 0 && v.mv_size == 8) {
        for (int i = 0; i < 8; i++)
            head |= (uint64_t)((const uint8_t *)v.mv_data)[i] << (8 * i);
    }
    if (head && mdb_cursor_open(txn, h->dbi, &cur) == 0) {
        while (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0) {
            ts_history_sample s;
            if (k.mv_size == 2 && ts_history_decode(v.mv_data, v.mv_size, &s) == 0)
                ts_history_ring_restore(&h->ring, &s, head);
        }
        mdb_cursor_close(cur);
    }
    ts_store_read_end(txn);
    return 0;
}

int ts_history_start(ts_agent *a)
{
    ts_history *h = calloc(1, sizeof(*h));
    if (!h)
        return TS_ENOMEM;
    h->agent = a;
    ts_history_ring_init(&h->ring);
    int rc = ts_store_dbi(a->store, "history", 0, &h->dbi);
    if (!rc)
        rc = load(h, a->store);
    if (rc) {
        free(h);
        return rc;
    }
    if (a->txnlog) {
        ts_txnlog_stats q;
        ts_txnlog_get_stats(a, &q);
        h->accepted_base = q.accepted_total;
    }
    a->history = h;
    uv_timer_init(a->loop, &h->timer);
    h->timer.data = a;
    uv_timer_start(&h->timer, on_tick, TS_HISTORY_INTERVAL_MS, TS_HISTORY_INTERVAL_MS);
    h->timer_on = 1;
    return 0;
}

void ts_history_halt(ts_agent *a)
{
    ts_history *h = a->history;
    if (!h || !h->timer_on)
        return;
    h->timer_on = 0;
    uv_timer_stop(&h->timer);
    uv_close((uv_handle_t *)&h->timer, NULL);
}

void ts_history_stop(ts_agent *a)
{
    ts_history *h = a->history;
    if (!h || !h->timer_on)
        return;
    take_sample(a); /* the minute in progress; written by the store's last commit */
    ts_history_halt(a);
}

/* After the loop has run the timer's close. */
void ts_history_free(ts_agent *a)
{
    free(a->history);
    a->history = NULL;
}

const ts_history_ring *ts_history_ring_of(const ts_agent *a)
{
    return a->history ? &a->history->ring : NULL;
}

void ts_history_handle(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req)
{
    (void)req;
    ts_history *h = a->history;
    ts_buf body;
    ts_buf_init(&body, TS_HISTORY_JSON_LIMIT);
    ts_history_sample live;
    int64_t now = ts_wall_ms();
    if (h) {
        sample_now(a, h, &live);
        ts_history_ring_json(&h->ring, now, &live, &body);
    } else {
        ts_buf_printf(&body, "{\"interval_s\":%u,\"samples\":[]}", TS_HISTORY_INTERVAL_MS / 1000u);
    }
    if (ts_buf_ok(&body))
        ts_http_respond(ex, 200, "application/json", "Cache-Control: no-store\r\n", body.data,
                        body.len);
    else
        ts_reply_error(ex, 500, "internal_error", "the history did not fit", NULL, "");
    ts_buf_free(&body);
}
