/*
 * history_ring.c - the 24-hour ring of per-minute samples and its disk and
 * JSON forms (history.h). Pure: no loop, no store, no clock read here.
 */
#include "report/history.h"

#include <inttypes.h>
#include <string.h>

#include "core/clock.h"

#define DAY_MS (24 * 3600 * 1000LL)
#define RECORD_FORMAT 1

static ts_history_sample *at_seq(ts_history_ring *r, uint64_t seq)
{
    ts_history_sample *s = &r->slot[seq % TS_HISTORY_SLOTS];
    return seq && s->seq == seq ? s : NULL;
}

static const ts_history_sample *at_seq_c(const ts_history_ring *r, uint64_t seq)
{
    const ts_history_sample *s = &r->slot[seq % TS_HISTORY_SLOTS];
    return seq && s->seq == seq ? s : NULL;
}

void ts_history_ring_init(ts_history_ring *r)
{
    memset(r, 0, sizeof(*r));
}

size_t ts_history_ring_push(ts_history_ring *r, ts_history_sample *s)
{
    size_t dropped = 0;
    ts_history_sample *last;
    /* The wall clock stepped back: what is stamped after s would draw the
     * timeline backwards. The seqs stay contiguous, so the next seq reuses
     * the dropped slots and the disk copy stays consistent (see history.c). */
    while ((last = at_seq(r, r->head_seq)) != NULL && last->at_ms > s->at_ms) {
        memset(last, 0, sizeof(*last));
        r->head_seq--;
        dropped++;
    }
    s->seq = r->head_seq + 1;
    r->slot[s->seq % TS_HISTORY_SLOTS] = *s;
    r->head_seq = s->seq;
    return dropped;
}

void ts_history_ring_restore(ts_history_ring *r, const ts_history_sample *s, uint64_t head_seq)
{
    if (s->seq == 0 || s->seq > head_seq || head_seq - s->seq >= TS_HISTORY_SLOTS)
        return; /* dropped after a clock step, or older than the window */
    r->slot[s->seq % TS_HISTORY_SLOTS] = *s;
    r->head_seq = head_seq;
}

size_t ts_history_ring_list(const ts_history_ring *r, ts_history_sample *out, size_t n)
{
    size_t got = 0;
    uint64_t first = r->head_seq >= TS_HISTORY_SLOTS ? r->head_seq - TS_HISTORY_SLOTS + 1 : 1;
    for (uint64_t seq = first; seq <= r->head_seq && got < n; seq++) {
        const ts_history_sample *s = at_seq_c(r, seq);
        if (s)
            out[got++] = *s;
    }
    return got;
}

static void sample_json(const ts_history_sample *s, ts_buf *out)
{
    char at[TS_RFC3339_LEN];
    ts_format_rfc3339_s(s->at_ms, at);
    ts_buf_printf(out,
                  "{\"at\":\"%s\",\"pending\":%" PRIu32 ",\"oldest_pending_age_s\":%" PRIu32
                  ",\"central_online\":%s,\"odoo_copy_age_s\":",
                  at, s->pending, s->oldest_pending_age_s, s->central_online ? "true" : "false");
    if (s->odoo_copy_age_s < 0)
        ts_buf_puts(out, "null");
    else
        ts_buf_printf(out, "%" PRId32, s->odoo_copy_age_s);
    ts_buf_printf(out, ",\"accepted\":%" PRIu32 ",\"disk_free_mb\":", s->accepted);
    if (s->disk_free_mb == TS_HISTORY_NO_DISK)
        ts_buf_puts(out, "null}");
    else
        ts_buf_printf(out, "%" PRIu32 "}", s->disk_free_mb);
}

void ts_history_ring_json(const ts_history_ring *r, int64_t now_ms, const ts_history_sample *live,
                          ts_buf *out)
{
    ts_buf_printf(out, "{\"interval_s\":%u,\"samples\":[", TS_HISTORY_INTERVAL_MS / 1000u);
    int n = 0;
    uint64_t first = r->head_seq >= TS_HISTORY_SLOTS ? r->head_seq - TS_HISTORY_SLOTS + 1 : 1;
    int64_t last_at = INT64_MIN;
    for (uint64_t seq = first; seq <= r->head_seq; seq++) {
        const ts_history_sample *s = at_seq_c(r, seq);
        /* Older than a day, or (the clock stepped back since) later than now. */
        if (!s || s->at_ms <= now_ms - DAY_MS || s->at_ms > now_ms)
            continue;
        if (n++)
            ts_buf_puts(out, ",");
        sample_json(s, out);
        last_at = s->at_ms;
    }
    if (live && live->at_ms >= last_at) {
        if (n++)
            ts_buf_puts(out, ",");
        sample_json(live, out);
    }
    ts_buf_puts(out, "]}");
}

/* ---- Disk form: fixed 38 bytes, little-endian, a format byte first ---- */

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void ts_history_encode(const ts_history_sample *s, uint8_t out[TS_HISTORY_RECORD_BYTES])
{
    out[0] = RECORD_FORMAT;
    put_le(out + 1, s->seq, 8);
    put_le(out + 9, (uint64_t)s->at_ms, 8);
    put_le(out + 17, s->pending, 4);
    put_le(out + 21, s->oldest_pending_age_s, 4);
    put_le(out + 25, (uint32_t)s->odoo_copy_age_s, 4);
    put_le(out + 29, s->accepted, 4);
    put_le(out + 33, s->disk_free_mb, 4);
    out[37] = s->central_online ? 1 : 0;
}

int ts_history_decode(const void *data, size_t len, ts_history_sample *s)
{
    const uint8_t *p = data;
    if (len != TS_HISTORY_RECORD_BYTES || p[0] != RECORD_FORMAT)
        return -1;
    s->seq = get_le(p + 1, 8);
    s->at_ms = (int64_t)get_le(p + 9, 8);
    s->pending = (uint32_t)get_le(p + 17, 4);
    s->oldest_pending_age_s = (uint32_t)get_le(p + 21, 4);
    s->odoo_copy_age_s = (int32_t)(uint32_t)get_le(p + 25, 4);
    s->accepted = (uint32_t)get_le(p + 29, 4);
    s->disk_free_mb = (uint32_t)get_le(p + 33, 4);
    s->central_online = p[37] != 0;
    return 0;
}
