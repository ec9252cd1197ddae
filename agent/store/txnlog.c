/*
 * txnlog.c - the durable log of txns (txnlog.h).
 *
 * Record layout in "txns" (value of key seq, 8 bytes big-endian so LMDB's
 * byte order is seq order):
 *   u8 version | u8 flags | u16 txn_id_len | u32 body_len | u32 moves_len
 *   | i64 received_at_ms | 32-byte digest | txn_id | body | moves
 * where moves is n x (u8 sku_len | sku | i64 qty_milli), kept so pruning
 * can remove the txn's entries from "moves". Fields are copied with memcpy:
 * LMDB values need not be aligned, and 32-bit ARM must not fault.
 *
 * The loop keeps a copy of the counters (last_seq, acked_through, ...);
 * the writer's apply functions read and write the durable ones inside their
 * transaction and return the new values for the loop to take over in done.
 */
#include "store/txnlog.h"
#include "core/clock.h"
#include "config/config.h"
#include "core/error.h"
#include "core/fsinfo.h"
#include "core/log.h"
#include "store/journal.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC_HEADER 52 /* 1+1+2+4+4+8+32 */
/* Small prune commits: freeing pages needs free pages (LMDB's free list is
 * itself a B-tree), so near a full map only a small delete fits. A prune
 * with more to do chains the next commit itself. */
#define PRUNE_MAX_PER_COMMIT 500
/* Journal mode: unfolded sales are folded into LMDB at the latest this
 * long after the oldest of them (bounds the replay after a quiet crash). */
#define FOLD_MAX_AGE_MS (5 * 60 * 1000)
/* Journal mode: one LMDB commit folds at most this much of the table
 * (fold_estimate bytes, ~230 small sales), and a table this big is folded
 * without waiting for another LMDB write. A commit's fresh pages, and so
 * the step by which LMDB's data file can grow, stay bounded and alike
 * whatever the traffic or the uplink do (one fold of everything a 5 s
 * uplink outage piled up grew the file by ~90 pages at once). */
#define FOLD_CHUNK_EST (512u << 10)
/* With no other LMDB write in hand, folding starts when the table reaches
 * this much (or an eighth of the room left before the intake's hard
 * lines, so that near them the estimate becomes LMDB's real use early)
 * and then goes on, a chunk per journal group, until less than a chunk is
 * left: every fold commit flushes its pages, so fewer, fuller commits
 * write fewer bytes per sale (a leaf of txn_ids or moves takes more sales
 * per write), while each commit's fresh pages stay bounded by the chunk. */
#define FOLD_START_EST (4u << 20)

typedef struct txnlog_counters {
    uint64_t last_seq;
    uint64_t acked_through;
    uint64_t accepted_total;
    uint64_t rejected_total;
} txnlog_counters;

struct ts_txnlog {
    ts_agent *agent;
    MDB_dbi txns, ids, acks, moves, meta;
    txnlog_counters c;         /* the loop's copy, updated in done callbacks */
    uint64_t rejected_unsaved; /* counted on the loop, folded into the next append */
    uint64_t lowest_held;      /* 0 when empty */
    int64_t oldest_pending_at; /* received_at of acked_through+1, 0 when none:
                                * kept here so the status never reads disk */
    void (*on_append)(void *);
    void *on_append_arg;
    /* Journal mode (docs/intake-journal.md): sales journaled and not yet
     * folded into LMDB, in seq order. The writer adds and drops entries
     * under mt_mu; readers on the loop take mt_mu and see seqs up to
     * visible (the last flushed group). */
    int journal;
    uv_mutex_t mt_mu;
    struct mt_entry *mt;
    size_t mt_n, mt_cap, mt_bytes, mt_limit;
    uint64_t mt_est;   /* fold_estimate of the table: published with LMDB's used bytes */
    uint32_t *mt_hash; /* index+1 by txn_id, open addressing */
    size_t mt_hcap;
    uint64_t visible;
    uint64_t fold_through;          /* LMDB's last seq after the fold in flight */
    int folding;                    /* idle folds under way (FOLD_START_EST) */
    txnlog_counters jc, jc_durable; /* writer's: with the journal, before LMDB */
};

typedef struct mt_entry {
    uint64_t seq;
    uint8_t *rec; /* the "txns" value */
    size_t len, est;
    uint64_t at_ms; /* journaled (monotonic): the age limit */
} mt_entry;

/* ---- encoding helpers ---- */

static void be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

static uint64_t from_be64(const void *p)
{
    const uint8_t *b = p;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

static int64_t get_i64(const void *p)
{
    int64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

typedef struct rec_view {
    int flags;
    size_t id_len, body_len, moves_len;
    int64_t received_at_ms;
    const uint8_t *digest;
    const char *txn_id, *body;
    const uint8_t *moves;
} rec_view;

static int rec_parse(const MDB_val *v, rec_view *r)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size < REC_HEADER || p[0] != 1)
        return TS_EFORMAT;
    uint16_t id_len;
    uint32_t body_len, moves_len;
    memcpy(&id_len, p + 2, 2);
    memcpy(&body_len, p + 4, 4);
    memcpy(&moves_len, p + 8, 4);
    if ((uint64_t)REC_HEADER + id_len + body_len + moves_len != v->mv_size)
        return TS_EFORMAT;
    r->flags = p[1];
    r->id_len = id_len;
    r->body_len = body_len;
    r->moves_len = moves_len;
    r->received_at_ms = get_i64(p + 12);
    r->digest = p + 20;
    r->txn_id = (const char *)p + REC_HEADER;
    r->body = r->txn_id + id_len;
    r->moves = (const uint8_t *)r->body + body_len;
    return 0;
}

static size_t moves_size(const ts_txn_info *info)
{
    size_t n = 0;
    for (size_t i = 0; i < info->n_moves; i++)
        n += 1 + strlen(info->moves[i].sku) + 8;
    return n;
}

/* Writes the record for item into the reserved value buffer. */
static void rec_write(uint8_t *p, const ts_append_item *it, int64_t received_at_ms)
{
    const ts_txn_info *info = it->info;
    uint16_t id_len = (uint16_t)strlen(info->txn_id);
    uint32_t body_len = (uint32_t)it->len, mlen = (uint32_t)moves_size(info);
    p[0] = 1;
    p[1] = (uint8_t)(info->is_return ? 1 : 0);
    memcpy(p + 2, &id_len, 2);
    memcpy(p + 4, &body_len, 4);
    memcpy(p + 8, &mlen, 4);
    memcpy(p + 12, &received_at_ms, 8);
    memcpy(p + 20, info->digest, 32);
    p += REC_HEADER;
    memcpy(p, info->txn_id, id_len);
    p += id_len;
    memcpy(p, it->body, it->len);
    p += it->len;
    for (size_t i = 0; i < info->n_moves; i++) {
        uint8_t sl = (uint8_t)strlen(info->moves[i].sku);
        int64_t q = info->is_return ? -info->moves[i].qty_milli : info->moves[i].qty_milli;
        *p++ = sl;
        memcpy(p, info->moves[i].sku, sl);
        p += sl;
        memcpy(p, &q, 8);
        p += 8;
    }
}

/* Key of "moves": sku NUL seq(BE). */
static size_t move_key(uint8_t *out, const char *sku, size_t sku_len, uint64_t seq)
{
    memcpy(out, sku, sku_len);
    out[sku_len] = 0;
    be64(out + sku_len + 1, seq);
    return sku_len + 9;
}

/* ---- counters ---- */

static const char *const counter_names[] = {"last_seq", "acked_through", "accepted_total",
                                            "rejected_total"};

static int counters_read(MDB_txn *txn, MDB_dbi meta, txnlog_counters *c)
{
    uint64_t *fields[] = {&c->last_seq, &c->acked_through, &c->accepted_total, &c->rejected_total};
    for (int i = 0; i < 4; i++) {
        MDB_val k = {strlen(counter_names[i]), (void *)counter_names[i]}, v;
        int rc = mdb_get(txn, meta, &k, &v);
        *fields[i] = 0;
        if (rc == 0 && v.mv_size == 8)
            *fields[i] = from_be64(v.mv_data);
        else if (rc != MDB_NOTFOUND && rc != 0)
            return ts_store_err(rc);
    }
    return 0;
}

static int counters_write(MDB_txn *txn, MDB_dbi meta, const txnlog_counters *c)
{
    const uint64_t fields[] = {c->last_seq, c->acked_through, c->accepted_total, c->rejected_total};
    for (int i = 0; i < 4; i++) {
        uint8_t b[8];
        be64(b, fields[i]);
        MDB_val k = {strlen(counter_names[i]), (void *)counter_names[i]}, v = {8, b};
        int rc = mdb_put(txn, meta, &k, &v, 0);
        if (rc)
            return ts_store_err(rc);
    }
    return 0;
}

static uint64_t lowest_seq(MDB_txn *txn, MDB_dbi txns)
{
    MDB_cursor *c;
    MDB_val k, v;
    uint64_t seq = 0;
    if (mdb_cursor_open(txn, txns, &c) == 0) {
        if (mdb_cursor_get(c, &k, &v, MDB_FIRST) == 0 && k.mv_size == 8)
            seq = from_be64(k.mv_data);
        mdb_cursor_close(c);
    }
    return seq;
}

/* When was seq acked: the first ack entry at or after it (0: not acked). */
static int64_t acked_at(MDB_txn *txn, MDB_dbi acks, uint64_t seq)
{
    uint8_t kb[8];
    be64(kb, seq);
    MDB_val k = {8, kb}, v;
    MDB_cursor *c;
    int64_t at = 0;
    if (mdb_cursor_open(txn, acks, &c) == 0) {
        if (mdb_cursor_get(c, &k, &v, MDB_SET_RANGE) == 0 && v.mv_size == 8)
            at = get_i64(v.mv_data);
        mdb_cursor_close(c);
    }
    return at;
}

/* received_at of the oldest pending txn (0: none), inside a transaction. */
static int64_t oldest_pending_in(MDB_txn *txn, MDB_dbi txns, const txnlog_counters *c)
{
    if (c->last_seq <= c->acked_through)
        return 0;
    uint8_t kb[8];
    be64(kb, c->acked_through + 1);
    MDB_val k = {8, kb}, v;
    rec_view r;
    if (mdb_get(txn, txns, &k, &v) == 0 && rec_parse(&v, &r) == 0)
        return r.received_at_ms;
    return 0;
}

/* ---- open / close ---- */

static int journal_open(ts_txnlog *t, ts_agent *a);

static void ts_txnlog_close_t(ts_txnlog *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->mt_n; i++)
        free(t->mt[i].rec);
    free(t->mt);
    free(t->mt_hash);
    if (t->journal)
        uv_mutex_destroy(&t->mt_mu);
    free(t);
}

int ts_txnlog_open(ts_agent *a)
{
    ts_txnlog *t = calloc(1, sizeof(*t));
    if (!t)
        return TS_ENOMEM;
    t->agent = a;
    int rc = ts_store_dbi(a->store, "txns", 0, &t->txns);
    if (!rc)
        rc = ts_store_dbi(a->store, "txn_ids", 0, &t->ids);
    if (!rc)
        rc = ts_store_dbi(a->store, "acks", 0, &t->acks);
    if (!rc)
        rc = ts_store_dbi(a->store, "moves", 0, &t->moves);
    if (!rc)
        rc = ts_store_dbi(a->store, "txn_meta", 0, &t->meta);
    MDB_txn *txn = NULL;
    if (!rc)
        rc = ts_store_read_begin(a->store, &txn);
    if (!rc) {
        rc = counters_read(txn, t->meta, &t->c);
        ts_store_read_end(txn);
    }
    if (!rc && a->cfg->storage.journal && (rc = journal_open(t, a)) != 0)
        ts_error("txnlog.journal_open_failed", "error=\"%s\"", ts_strerror(rc));
    if (!rc)
        rc = ts_store_read_begin(a->store, &txn);
    if (!rc) { /* after the fold: LMDB holds everything again */
        txnlog_counters lm;
        rc = counters_read(txn, t->meta, &lm);
        if (lm.last_seq >= t->c.last_seq)
            t->c = lm;
        t->lowest_held = lowest_seq(txn, t->txns);
        if (!t->lowest_held && t->mt_n)
            t->lowest_held = t->mt[0].seq;
        t->oldest_pending_at = oldest_pending_in(txn, t->txns, &t->c);
        ts_store_read_end(txn);
    }
    if (rc) {
        ts_txnlog_close_t(t);
        return rc;
    }
    a->txnlog = t;
    ts_info("txnlog.open", "last_seq=%llu acked_through=%llu", (unsigned long long)t->c.last_seq,
            (unsigned long long)t->c.acked_through);
    return 0;
}

void ts_txnlog_close(ts_agent *a)
{
    ts_txnlog_close_t(a->txnlog);
    a->txnlog = NULL;
}

/* ---- append ---- */

typedef struct append_op {
    ts_txnlog *t;
    ts_append_item *items;
    size_t n;
    uint64_t max_pending;
    uint64_t rejected_delta;
    int64_t received_at_ms;
    txnlog_counters after; /* written by apply */
    uint64_t first_stored; /* seq of the first new txn, 0 when none */
    void (*done)(void *);
    void *arg;
} append_op;

/* An existing txn_id: a replay when the content matches, else a conflict. */
static int judge_known(append_op *op, MDB_txn *txn, ts_append_item *it, const MDB_val *seqv)
{
    uint8_t kb[8];
    memcpy(kb, seqv->mv_data, 8);
    MDB_val k = {8, kb}, v;
    rec_view r;
    int rc = mdb_get(txn, op->t->txns, &k, &v);
    if (rc)
        return ts_store_err(rc);
    if (rec_parse(&v, &r))
        return TS_EFORMAT;
    it->seq = from_be64(kb);
    it->acked = it->seq <= op->after.acked_through;
    it->result =
        memcmp(r.digest, it->info->digest, 32) == 0 ? TS_APPEND_REPLAY : TS_APPEND_CONFLICT;
    return 0;
}

/* The item got seq: what the answer and the counters say of it. */
static void mark_stored(append_op *op, ts_append_item *it, uint64_t seq)
{
    it->seq = seq;
    it->acked = 0;
    it->result = TS_APPEND_STORED;
    op->after.last_seq = seq;
    op->after.accepted_total++;
    if (!op->first_stored)
        op->first_stored = seq;
}

static int store_new(append_op *op, MDB_txn *txn, ts_append_item *it)
{
    ts_txnlog *t = op->t;
    uint64_t seq = op->after.last_seq + 1;
    uint8_t kb[8];
    be64(kb, seq);
    size_t id_len = strlen(it->info->txn_id);
    MDB_val k = {8, kb}, v = {REC_HEADER + id_len + it->len + moves_size(it->info), NULL};
    int rc = mdb_put(txn, t->txns, &k, &v, MDB_RESERVE | MDB_APPEND);
    if (rc)
        return ts_store_err(rc);
    rec_write(v.mv_data, it, op->received_at_ms);
    MDB_val ik = {id_len, (void *)it->info->txn_id}, iv = {8, kb};
    if ((rc = mdb_put(txn, t->ids, &ik, &iv, MDB_NOOVERWRITE)) != 0)
        return ts_store_err(rc);
    for (size_t i = 0; i < it->info->n_moves; i++) {
        const ts_txn_move *m = &it->info->moves[i];
        uint8_t mk[TS_SKU_MAX + 9];
        int64_t q = it->info->is_return ? -m->qty_milli : m->qty_milli;
        MDB_val mkv = {move_key(mk, m->sku, strlen(m->sku), seq), mk}, mv = {8, &q};
        if ((rc = mdb_put(txn, t->moves, &mkv, &mv, 0)) != 0)
            return ts_store_err(rc);
    }
    mark_stored(op, it, seq);
    return 0;
}

static int append_apply(MDB_txn *txn, void *arg)
{
    append_op *op = arg;
    ts_txnlog *t = op->t;
    int rc = counters_read(txn, t->meta, &op->after);
    op->first_stored = 0;
    for (size_t i = 0; i < op->n && rc == 0; i++) {
        ts_append_item *it = &op->items[i];
        MDB_val k = {strlen(it->info->txn_id), (void *)it->info->txn_id}, v;
        int grc = mdb_get(txn, t->ids, &k, &v);
        if (grc == 0 && v.mv_size == 8)
            rc = judge_known(op, txn, it, &v);
        else if (grc != MDB_NOTFOUND)
            rc = ts_store_err(grc);
        else if (op->after.last_seq - op->after.acked_through >= op->max_pending)
            it->result = TS_APPEND_FULL;
        else
            rc = store_new(op, txn, it);
    }
    op->after.rejected_total += op->rejected_delta;
    if (rc == 0)
        rc = counters_write(txn, t->meta, &op->after);
    return rc;
}

static void append_done(void *arg, int err)
{
    append_op *op = arg;
    ts_txnlog *t = op->t;
    int stored = 0;
    for (size_t i = 0; i < op->n; i++) {
        ts_append_item *it = &op->items[i];
        if (err) /* nothing of this op is on disk */
            it->result = err == TS_EFULL ? TS_APPEND_NO_SPACE : TS_APPEND_FAILED;
        else
            stored |= it->result == TS_APPEND_STORED;
    }
    if (!err) {
        if (t->c.last_seq <= t->c.acked_through && op->first_stored)
            t->oldest_pending_at = op->received_at_ms;
        t->c = op->after;
        if (!t->lowest_held)
            t->lowest_held = op->first_stored;
    } else {
        t->rejected_unsaved += op->rejected_delta;
    }
    op->done(op->arg);
    if (stored && t->on_append)
        t->on_append(t->on_append_arg);
    free(op);
}

static int append_apply_journal(MDB_txn *rtxn, void *arg);

int ts_txnlog_append(ts_agent *a, ts_append_item *items, size_t n, void (*done)(void *arg),
                     void *arg)
{
    ts_txnlog *t = a->txnlog;
    append_op *op = calloc(1, sizeof(*op));
    if (!op)
        return TS_ENOMEM;
    op->t = t;
    op->items = items;
    op->n = n;
    op->max_pending = a->cfg->storage.max_pending;
    op->rejected_delta = t->rejected_unsaved;
    op->received_at_ms = ts_run_ms();
    op->done = done;
    op->arg = arg;
    t->rejected_unsaved = 0;
    int rc = t->journal && ts_store_journal(a->store)
                 ? ts_store_submit_journal(a->store, append_apply_journal, append_done, op)
                 : ts_store_submit(a->store, append_apply, append_done, op);
    if (rc) {
        t->rejected_unsaved += op->rejected_delta;
        free(op);
    }
    return rc;
}

/* ---- journal mode: the table of journaled, unfolded sales ---- */

static uint32_t id_hash(const char *id, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)id[i]) * 16777619u;
    return h;
}

static const char *mt_id(const mt_entry *e, size_t *len)
{
    uint16_t id_len;
    memcpy(&id_len, e->rec + 2, 2);
    *len = id_len;
    return (const char *)e->rec + REC_HEADER;
}

static long mt_find(const ts_txnlog *t, const char *id, size_t len)
{
    if (!t->mt_hcap)
        return -1;
    for (size_t h = id_hash(id, len) & (t->mt_hcap - 1);; h = (h + 1) & (t->mt_hcap - 1)) {
        uint32_t slot = t->mt_hash[h];
        if (!slot)
            return -1;
        size_t l;
        const char *e = mt_id(&t->mt[slot - 1], &l);
        if (l == len && memcmp(e, id, len) == 0)
            return (long)slot - 1;
    }
}

static void mt_hash_put(ts_txnlog *t, size_t i)
{
    size_t l;
    const char *id = mt_id(&t->mt[i], &l);
    size_t h = id_hash(id, l) & (t->mt_hcap - 1);
    while (t->mt_hash[h])
        h = (h + 1) & (t->mt_hcap - 1);
    t->mt_hash[h] = (uint32_t)i + 1;
}

/* Rebuilds the index for capacity `want` entries. Called with mt_mu. */
static int mt_rehash(ts_txnlog *t, size_t want)
{
    size_t cap = 64;
    while (cap < want * 2)
        cap *= 2;
    if (cap != t->mt_hcap) {
        uint32_t *h = calloc(cap, sizeof(*h));
        if (!h)
            return TS_ENOMEM;
        free(t->mt_hash);
        t->mt_hash = h;
        t->mt_hcap = cap;
    } else {
        memset(t->mt_hash, 0, cap * sizeof(*t->mt_hash));
    }
    for (size_t i = 0; i < t->mt_n; i++)
        mt_hash_put(t, i);
    return 0;
}

/* LMDB bytes a sale takes once folded, over-estimated: the fold must never
 * be the write that fills the map. The txns value goes to overflow pages
 * past about half a page (LMDB's node limit), plus a quarter page for its
 * node, the branch pages and the free list a commit rewrites; else into
 * leaves that splits leave half full at worst (x2). Its txn_ids key and
 * moves keys (sku NUL seq, 8-byte value, 10 bytes of node: up to 3x their
 * bytes in the record) x2 again. Measured (data file growth over a fold of
 * 40-2 000 sales): ~400-byte sales 544 B each (estimate 1 136), 3.4 KB
 * sales 4 369 (5 422), 60 KB sales 62 668 (62 766). */
#define LMDB_PAGE 4096
#define LMDB_NODE_MAX 2000
static size_t fold_estimate(size_t len, size_t id_len, size_t moves_len)
{
    size_t v = len + 16 > LMDB_NODE_MAX
                   ? (len + 16 + LMDB_PAGE - 1) / LMDB_PAGE * LMDB_PAGE + LMDB_PAGE / 4
                   : 2 * (len + 26);
    return v + 2 * (id_len + 26) + 6 * moves_len + 128;
}

/* Writer: takes rec (malloc'd). */
static int mt_add(ts_txnlog *t, uint64_t seq, uint8_t *rec, size_t len)
{
    int rc = 0;
    MDB_val v = {len, rec};
    rec_view r;
    if (rec_parse(&v, &r))
        return TS_EFORMAT;
    size_t est = fold_estimate(len, r.id_len, r.moves_len);
    uv_mutex_lock(&t->mt_mu);
    if (t->mt_n == t->mt_cap) {
        size_t cap = t->mt_cap ? t->mt_cap * 2 : 256;
        mt_entry *nv = realloc(t->mt, cap * sizeof(*nv));
        if (nv) {
            t->mt = nv;
            t->mt_cap = cap;
        } else {
            rc = TS_ENOMEM;
        }
    }
    if (rc == 0 && (t->mt_n + 1) * 2 > t->mt_hcap)
        rc = mt_rehash(t, t->mt_n + 1);
    if (rc == 0) {
        t->mt[t->mt_n] = (mt_entry){seq, rec, len, est, ts_mono_ms()};
        mt_hash_put(t, t->mt_n++);
        t->mt_bytes += len;
        t->mt_est += est;
    }
    uv_mutex_unlock(&t->mt_mu);
    return rc;
}

/* Writer: drops the entries with seq <= through (folded) or > above
 * (their flush failed). */
static void mt_drop(ts_txnlog *t, uint64_t through, uint64_t above)
{
    uv_mutex_lock(&t->mt_mu);
    size_t keep = 0;
    for (size_t i = 0; i < t->mt_n; i++) {
        if (t->mt[i].seq <= through || t->mt[i].seq > above) {
            t->mt_bytes -= t->mt[i].len;
            t->mt_est -= t->mt[i].est;
            free(t->mt[i].rec);
        } else {
            t->mt[keep++] = t->mt[i];
        }
    }
    t->mt_n = keep;
    if (keep == 0)
        t->mt_bytes = t->mt_est = 0;
    mt_rehash(t, keep); /* same or smaller capacity: cannot fail */
    if (t->visible > above)
        t->visible = above;
    uv_mutex_unlock(&t->mt_mu);
}

static int judge_known_mt(append_op *op, ts_append_item *it, const mt_entry *e)
{
    MDB_val v = {e->len, e->rec};
    rec_view r;
    if (rec_parse(&v, &r))
        return TS_EFORMAT;
    it->seq = e->seq;
    it->acked = e->seq <= op->after.acked_through;
    it->result =
        memcmp(r.digest, it->info->digest, 32) == 0 ? TS_APPEND_REPLAY : TS_APPEND_CONFLICT;
    return 0;
}

static size_t new_estimate(const ts_append_item *it)
{
    size_t id_len = strlen(it->info->txn_id), moves = moves_size(it->info);
    return fold_estimate(REC_HEADER + id_len + it->len + moves, id_len, moves);
}

static int journal_store_new(append_op *op, ts_append_item *it)
{
    ts_txnlog *t = op->t;
    uint64_t seq = op->after.last_seq + 1;
    size_t len = REC_HEADER + strlen(it->info->txn_id) + it->len + moves_size(it->info);
    uint8_t *rec = malloc(len);
    if (!rec)
        return TS_ENOMEM;
    rec_write(rec, it, op->received_at_ms);
    int rc = ts_journal_add(ts_store_journal(t->agent->store), seq, rec, len);
    if (rc == 0)
        rc = mt_add(t, seq, rec, len);
    if (rc) {
        free(rec);
        return rc;
    }
    mark_stored(op, it, seq);
    return 0;
}

/* Writer thread, with a read-only view of LMDB: judges each item against
 * LMDB and the table, journals the new ones. */
static int append_apply_journal(MDB_txn *rtxn, void *arg)
{
    append_op *op = arg;
    ts_txnlog *t = op->t;
    txnlog_counters lm;
    int rc = counters_read(rtxn, t->meta, &lm);
    op->after = t->jc;
    op->after.acked_through = lm.acked_through; /* acks are LMDB commits */
    op->first_stored = 0;
    size_t added = 0;
    uint64_t room = ts_store_unfolded_room(t->agent->store);
    for (size_t i = 0; i < op->n && rc == 0; i++) {
        ts_append_item *it = &op->items[i];
        size_t len = strlen(it->info->txn_id);
        long idx = mt_find(t, it->info->txn_id, len);
        MDB_val k = {len, (void *)it->info->txn_id}, v;
        int grc = idx >= 0 ? 0 : mdb_get(rtxn, t->ids, &k, &v);
        if (idx >= 0)
            rc = judge_known_mt(op, it, &t->mt[idx]);
        else if (grc == 0 && v.mv_size == 8)
            rc = judge_known(op, rtxn, it, &v);
        else if (grc != MDB_NOTFOUND)
            rc = ts_store_err(grc);
        else if (op->after.last_seq - op->after.acked_through >= op->max_pending)
            it->result = TS_APPEND_FULL;
        else if (t->mt_est + new_estimate(it) > room)
            it->result = TS_APPEND_NO_SPACE; /* refused before anything is written */
        else if ((rc = journal_store_new(op, it)) == 0)
            added++;
    }
    op->after.rejected_total += op->rejected_delta;
    if (rc && added) /* its records must not reach the disk: fail the group */
        ts_journal_fail(ts_store_journal(t->agent->store));
    if (rc == 0)
        t->jc = op->after;
    return rc;
}

static void journal_synced(void *arg, int err)
{
    ts_txnlog *t = arg;
    if (err) { /* nothing of the group is acknowledged: its seqs are given again */
        mt_drop(t, 0, t->jc_durable.last_seq);
        t->jc = t->jc_durable;
        return;
    }
    uv_mutex_lock(&t->mt_mu);
    t->visible = t->jc.last_seq;
    uv_mutex_unlock(&t->mt_mu);
    t->jc_durable = t->jc;
}

/* Puts one journaled record into the LMDB trees, as store_new would. */
static int fold_one(ts_txnlog *t, MDB_txn *txn, const mt_entry *e)
{
    MDB_val v = {e->len, e->rec};
    rec_view r;
    if (rec_parse(&v, &r))
        return TS_EFORMAT;
    uint8_t kb[8];
    be64(kb, e->seq);
    MDB_val k = {8, kb};
    int rc = mdb_put(txn, t->txns, &k, &v, MDB_APPEND);
    MDB_val ik = {r.id_len, (void *)r.txn_id}, iv = {8, kb};
    if (rc == 0)
        rc = mdb_put(txn, t->ids, &ik, &iv, MDB_NOOVERWRITE);
    for (size_t off = 0; rc == 0 && off + 9 <= r.moves_len;) {
        size_t sl = r.moves[off];
        if (off + 1 + sl + 8 > r.moves_len)
            break;
        uint8_t mk[TS_SKU_MAX + 9];
        MDB_val mkv = {move_key(mk, (const char *)r.moves + off + 1, sl, e->seq), mk},
                mv = {8, (void *)(r.moves + off + 1 + sl)};
        rc = mdb_put(txn, t->moves, &mkv, &mv, 0);
        off += 1 + sl + 8;
    }
    return ts_store_err(rc);
}

/* Folds the table's oldest entries, up to FOLD_CHUNK_EST of them: a table
 * that is not due (journal_due) goes whole, so the commit of an ack or a
 * prune, which needs every journaled sale in LMDB, folds what is left. */
static int journal_fold(MDB_txn *txn, void *arg)
{
    ts_txnlog *t = arg;
    txnlog_counters c;
    size_t est = 0;
    int rc = counters_read(txn, t->meta, &c);
    for (size_t i = 0; rc == 0 && i < t->mt_n && est < FOLD_CHUNK_EST; i++) {
        const mt_entry *e = &t->mt[i];
        if (e->seq <= c.last_seq)
            continue; /* folded before a crash: replay is idempotent */
        if (e->seq != c.last_seq + 1)
            return TS_EIO;
        if ((rc = fold_one(t, txn, e)) == 0)
            c.last_seq = e->seq;
        est += e->est;
    }
    if (rc)
        return rc;
    t->fold_through = c.last_seq;
    /* The counters of the sales still in the table: theirs at their fold. */
    c.accepted_total = t->jc_durable.accepted_total - (t->jc_durable.last_seq - c.last_seq);
    c.rejected_total = t->jc_durable.rejected_total;
    return counters_write(txn, t->meta, &c);
}

static void journal_folded(void *arg, int err)
{
    ts_txnlog *t = arg;
    if (!err)
        mt_drop(t, t->fold_through, UINT64_MAX);
}

static int journal_due(void *arg, int idle)
{
    ts_txnlog *t = arg;
    uint64_t start = ts_store_unfolded_room(t->agent->store) / 8;
    start = start > FOLD_START_EST ? FOLD_START_EST : start;
    if (t->mt_est < FOLD_CHUNK_EST)
        t->folding = 0;
    else if (t->mt_est >= start || t->mt_bytes >= t->mt_limit)
        t->folding = 1;
    int big = idle ? t->folding : t->mt_est >= FOLD_CHUNK_EST;
    return t->mt_n > 0 &&
           (big || t->mt_bytes >= t->mt_limit || ts_mono_ms() - t->mt[0].at_ms >= FOLD_MAX_AGE_MS);
}

static uint64_t journal_folded_seq(void *arg)
{
    ts_txnlog *t = arg;
    return t->fold_through;
}

static uint64_t journal_next_seq(void *arg)
{
    ts_txnlog *t = arg;
    return t->jc_durable.last_seq + 1;
}

static uint64_t journal_unfolded(void *arg)
{
    ts_txnlog *t = arg;
    return t->mt_est;
}

/* The segment size, capped by the file system: pre-allocated segments
 * (the live ones and up to two spares) must leave a small disk to LMDB. */
#define SEG_FS_SHARE 8
#define SEG_MIN (256ull << 10)
static uint64_t segment_bytes(const ts_agent *a)
{
    uint64_t seg = a->cfg->storage.journal_segment_mb << 20;
    ts_fs_space sp;
    if (ts_fs_space_of(a->cfg->data_dir, &sp) == 0 && sp.total_bytes / SEG_FS_SHARE < seg) {
        uint64_t cap = sp.total_bytes / SEG_FS_SHARE / (64u << 10) * (64u << 10);
        seg = cap < SEG_MIN ? SEG_MIN : cap;
        ts_info("txnlog.journal_segment_capped", "segment_bytes=%llu fs_bytes=%llu",
                (unsigned long long)seg, (unsigned long long)sp.total_bytes);
    }
    return seg;
}

static int replay_one(void *arg, uint64_t seq, const void *payload, size_t len)
{
    ts_txnlog *t = arg;
    MDB_val v = {len, (void *)payload};
    rec_view r;
    uint8_t *rec = malloc(len);
    if (!rec)
        return TS_ENOMEM;
    memcpy(rec, payload, len);
    if (rec_parse(&v, &r) || mt_add(t, seq, rec, len)) {
        free(rec);
        return TS_EFORMAT;
    }
    t->jc.last_seq = seq;
    t->jc.accepted_total++;
    t->visible = seq;
    return 0;
}

/* At open: everything the journal holds past LMDB back into the table,
 * then (writable) folded at once. */
static int journal_open(ts_txnlog *t, ts_agent *a)
{
    char dir[TS_PATH_MAX + 16];
    snprintf(dir, sizeof(dir), "%s/journal", a->cfg->data_dir);
    uint64_t seg = segment_bytes(a);
    ts_journal *j;
    uv_mutex_init(&t->mt_mu);
    t->journal = 1;
    t->mt_limit = (size_t)(seg / 2);
    t->jc = t->c;
    int rc = ts_journal_open(&j, dir, seg);
    if (rc)
        return rc;
    ts_journal_replay_info info;
    uint64_t t0 = ts_mono_ms();
    rc = ts_journal_replay(j, t->c.last_seq, replay_one, t, &info);
    t->jc_durable = t->jc;
    if (info.damaged)
        ts_error("txnlog.journal_damaged", "replayed=%llu why=\"%s\"",
                 (unsigned long long)info.records, info.why);
    ts_info("txnlog.journal_replayed", "records=%llu last_seq=%llu ms=%llu",
            (unsigned long long)info.records, (unsigned long long)info.last_seq,
            (unsigned long long)(ts_mono_ms() - t0));
    if (rc || ts_store_is_readonly(a->store)) {
        ts_journal_close(j); /* read-only: the table alone shows them */
        t->c.last_seq = t->jc.last_seq;
        t->c.accepted_total = t->jc.accepted_total;
        return rc;
    }
    ts_store_journal_client c = {
        t,           journal_fold,     journal_folded,   journal_synced,
        journal_due, journal_next_seq, journal_unfolded, journal_folded_seq};
    ts_store_use_journal(a->store, j, &c);
    return ts_store_checkpoint_now(a->store);
}

void ts_txnlog_count_rejected(ts_agent *a)
{
    a->txnlog->rejected_unsaved++;
}

void ts_txnlog_on_append(ts_agent *a, void (*cb)(void *arg), void *arg)
{
    a->txnlog->on_append = cb;
    a->txnlog->on_append_arg = arg;
}

/* ---- reads ---- */

static void record_from_view(ts_txnlog *t, MDB_txn *txn, uint64_t seq, const rec_view *r,
                             ts_txn_record *out)
{
    out->seq = seq;
    out->received_at_ms = r->received_at_ms;
    out->acked_at_ms = txn && seq <= t->c.acked_through ? acked_at(txn, t->acks, seq) : 0;
    size_t n = r->id_len < TS_TXN_ID_MAX ? r->id_len : TS_TXN_ID_MAX;
    memcpy(out->txn_id, r->txn_id, n);
    out->txn_id[n] = '\0';
    out->body = r->body;
    out->body_len = r->body_len;
}

int ts_txnlog_get(ts_agent *a, const char *txn_id, ts_txn_record *out)
{
    ts_txnlog *t = a->txnlog;
    size_t len = strlen(txn_id);
    if (len == 0 || len > TS_TXN_ID_MAX)
        return TS_ENOTFOUND;
    if (t->journal) { /* journaled, not folded yet */
        uv_mutex_lock(&t->mt_mu);
        long idx = mt_find(t, txn_id, len);
        int found = idx >= 0 && t->mt[idx].seq <= t->visible;
        if (found) {
            MDB_val v = {t->mt[idx].len, t->mt[idx].rec};
            rec_view r;
            found = rec_parse(&v, &r) == 0;
            if (found)
                record_from_view(t, NULL, t->mt[idx].seq, &r, out);
        }
        uv_mutex_unlock(&t->mt_mu);
        if (found) {
            out->body = NULL;
            out->body_len = 0;
            return 0;
        }
    }
    MDB_txn *txn;
    int rc = ts_store_read_begin(a->store, &txn);
    if (rc)
        return rc;
    MDB_val k = {len, (void *)txn_id}, v;
    rc = ts_store_err(mdb_get(txn, t->ids, &k, &v));
    if (rc == 0 && v.mv_size == 8) {
        uint64_t seq = from_be64(v.mv_data);
        uint8_t kb[8];
        be64(kb, seq);
        MDB_val sk = {8, kb}, sv;
        rec_view r;
        rc = ts_store_err(mdb_get(txn, t->txns, &sk, &sv));
        if (rc == 0)
            rc = rec_parse(&sv, &r);
        if (rc == 0) {
            record_from_view(t, txn, seq, &r, out);
            out->body = NULL;
            out->body_len = 0;
        }
    }
    ts_store_read_end(txn);
    return rc;
}

/* The table's part of a scan: seqs from `from` on, under mt_mu. */
static int scan_table(ts_txnlog *t, uint64_t from, size_t max_n, size_t max_bytes, size_t *n,
                      size_t *bytes, int (*fn)(void *arg, const ts_txn_record *rec), void *arg)
{
    for (size_t i = 0; i < t->mt_n && *n < max_n; i++) {
        const mt_entry *e = &t->mt[i];
        if (e->seq < from)
            continue;
        if (e->seq > t->visible)
            break;
        MDB_val v = {e->len, e->rec};
        rec_view r;
        if (rec_parse(&v, &r))
            return TS_EFORMAT;
        if (*n > 0 && *bytes + r.body_len > max_bytes)
            break;
        ts_txn_record rec;
        record_from_view(t, NULL, e->seq, &r, &rec);
        (*n)++;
        *bytes += r.body_len;
        if (fn(arg, &rec) != 0)
            return 1;
    }
    return 0;
}

int ts_txnlog_scan(ts_agent *a, uint64_t from_seq, size_t max_n, size_t max_bytes,
                   int (*fn)(void *arg, const ts_txn_record *rec), void *arg)
{
    ts_txnlog *t = a->txnlog;
    MDB_txn *txn;
    MDB_cursor *c = NULL;
    /* The table's lock across both parts: a fold moving records from the
     * table to LMDB cannot slip between them. */
    if (t->journal)
        uv_mutex_lock(&t->mt_mu);
    int rc = ts_store_read_begin(a->store, &txn);
    if (rc) {
        if (t->journal)
            uv_mutex_unlock(&t->mt_mu);
        return rc;
    }
    rc = ts_store_err(mdb_cursor_open(txn, t->txns, &c));
    uint8_t kb[8];
    be64(kb, from_seq);
    MDB_val k = {8, kb}, v;
    size_t n = 0, bytes = 0;
    uint64_t next = from_seq;
    int stopped = 0;
    int mrc = rc ? MDB_NOTFOUND : mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (mrc == 0 && n < max_n) {
        rec_view r;
        if ((rc = rec_parse(&v, &r)) != 0)
            break;
        if (n > 0 && bytes + r.body_len > max_bytes) {
            stopped = 1;
            break;
        }
        ts_txn_record rec;
        record_from_view(t, txn, from_be64(k.mv_data), &r, &rec);
        next = rec.seq + 1;
        n++;
        bytes += r.body_len;
        if (fn(arg, &rec) != 0) {
            stopped = 1;
            break;
        }
        mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    if (c)
        mdb_cursor_close(c);
    ts_store_read_end(txn);
    if (t->journal) {
        if (rc == 0 && !stopped && n < max_n) {
            int trc = scan_table(t, next, max_n, max_bytes, &n, &bytes, fn, arg);
            rc = trc < 0 ? trc : 0;
        }
        uv_mutex_unlock(&t->mt_mu);
    }
    return rc;
}

void ts_txnlog_get_stats(ts_agent *a, ts_txnlog_stats *out)
{
    ts_txnlog *t = a->txnlog;
    memset(out, 0, sizeof(*out));
    out->last_seq = t->c.last_seq;
    out->acked_through = t->c.acked_through;
    out->pending = t->c.last_seq - t->c.acked_through;
    out->oldest_pending_received_at_ms = out->pending ? t->oldest_pending_at : 0;
    out->accepted_total = t->c.accepted_total;
    out->rejected_total = t->c.rejected_total + t->rejected_unsaved;
    out->lowest_held_seq = t->lowest_held;
}

uint64_t ts_txnlog_acked_before(ts_agent *a, int64_t cutoff_ms)
{
    ts_txnlog *t = a->txnlog;
    MDB_txn *txn;
    MDB_cursor *c;
    uint64_t seq = 0;
    if (ts_store_read_begin(a->store, &txn))
        return 0;
    if (mdb_cursor_open(txn, t->acks, &c) == 0) {
        MDB_val k, v;
        int rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
        for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_PREV)) {
            if (k.mv_size == 8 && v.mv_size == 8 && get_i64(v.mv_data) < cutoff_ms) {
                seq = from_be64(k.mv_data);
                break;
            }
        }
        mdb_cursor_close(c);
    }
    ts_store_read_end(txn);
    return seq;
}

/* The journaled, unfolded sales' moves of sku (journal mode). */
static int64_t pending_out_table(ts_txnlog *t, const char *sku, size_t sl, uint64_t after_seq)
{
    int64_t sum = 0;
    if (!t->journal)
        return 0;
    uv_mutex_lock(&t->mt_mu);
    for (size_t i = 0; i < t->mt_n; i++) {
        const mt_entry *e = &t->mt[i];
        MDB_val v = {e->len, e->rec};
        rec_view r;
        if (e->seq <= after_seq || e->seq > t->visible || rec_parse(&v, &r))
            continue;
        for (size_t off = 0; off + 9 <= r.moves_len;) {
            size_t msl = r.moves[off];
            if (off + 1 + msl + 8 > r.moves_len)
                break;
            if (msl == sl && memcmp(r.moves + off + 1, sku, sl) == 0)
                sum += get_i64(r.moves + off + 1 + msl);
            off += 1 + msl + 8;
        }
    }
    uv_mutex_unlock(&t->mt_mu);
    return sum;
}

int64_t ts_txnlog_pending_out(ts_agent *a, const char *sku, uint64_t after_seq)
{
    ts_txnlog *t = a->txnlog;
    size_t sl = strlen(sku);
    if (sl == 0 || sl > TS_SKU_MAX)
        return 0;
    MDB_txn *txn;
    MDB_cursor *c;
    int64_t sum = 0;
    if (ts_store_read_begin(a->store, &txn))
        return 0;
    if (mdb_cursor_open(txn, t->moves, &c) == 0) {
        uint8_t kb[TS_SKU_MAX + 9];
        MDB_val k = {move_key(kb, sku, sl, after_seq + 1), kb}, v;
        int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
            if (k.mv_size != sl + 9 || memcmp(k.mv_data, sku, sl) != 0 ||
                ((const uint8_t *)k.mv_data)[sl] != 0 || v.mv_size != 8)
                break;
            sum += get_i64(v.mv_data);
        }
        mdb_cursor_close(c);
    }
    ts_store_read_end(txn);
    return sum + pending_out_table(t, sku, sl, after_seq);
}

/* ---- acks, rewinds and pruning ---- */

typedef struct ack_op {
    ts_txnlog *t;
    int kind;      /* ACK, REWIND, PRUNE */
    uint64_t seq;  /* ack: through; rewind: m */
    int64_t at_ms; /* ack: now; prune: cutoff */
    txnlog_counters after;
    uint64_t lowest_held;
    uint64_t pruned;       /* in this commit */
    uint64_t pruned_total; /* over the chained commits */
    int64_t oldest_pending_at;
    void (*done)(void *, int);
    void *arg;
} ack_op;

enum { OP_ACK, OP_REWIND, OP_PRUNE };

static int put_ack(MDB_txn *txn, MDB_dbi acks, uint64_t through, int64_t at)
{
    uint8_t kb[8];
    be64(kb, through);
    MDB_val k = {8, kb}, v = {8, &at};
    return ts_store_err(mdb_put(txn, acks, &k, &v, 0));
}

static int apply_ack(ack_op *op, MDB_txn *txn)
{
    if (op->seq > op->after.last_seq)
        return TS_EINVAL; /* central acked what we never had */
    if (op->seq <= op->after.acked_through)
        return 0;
    op->after.acked_through = op->seq;
    return put_ack(txn, op->t->acks, op->seq, op->at_ms);
}

/* Central lost data and wants seq m again: acks from m on are void. */
static int apply_rewind(ack_op *op, MDB_txn *txn)
{
    ts_txnlog *t = op->t;
    uint64_t m = op->seq;
    if (m == 0 || m - 1 > op->after.last_seq)
        return TS_EINVAL;
    if (m - 1 >= op->after.acked_through) { /* central is ahead of our acks: an ack */
        op->seq = m - 1;
        op->at_ms = ts_run_ms();
        return apply_ack(op, txn);
    }
    uint8_t kb[8];
    be64(kb, m);
    MDB_val k = {8, kb}, v;
    if (mdb_get(txn, t->txns, &k, &v) != 0)
        return TS_ENOTFOUND; /* already pruned: cannot resend */
    int64_t covering = acked_at(txn, t->acks, m);
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, t->acks, &c);
    if (rc)
        return ts_store_err(rc);
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
        if ((rc = mdb_cursor_del(c, 0)) != 0)
            break;
    mdb_cursor_close(c);
    if (rc != MDB_NOTFOUND && rc != 0)
        return ts_store_err(rc);
    op->after.acked_through = m - 1;
    return m > 1 ? put_ack(txn, t->acks, m - 1, covering) : 0;
}

/* Removes one txn with its id and moves entries. */
static int delete_txn(ts_txnlog *t, MDB_txn *txn, MDB_cursor *c, const MDB_val *k, const MDB_val *v)
{
    rec_view r;
    int rc = rec_parse(v, &r);
    if (rc)
        return rc;
    uint64_t seq = from_be64(k->mv_data);
    MDB_val ik = {r.id_len, (void *)r.txn_id};
    rc = mdb_del(txn, t->ids, &ik, NULL);
    for (size_t off = 0; (rc == 0 || rc == MDB_NOTFOUND) && off + 9 <= r.moves_len;) {
        size_t sl = r.moves[off];
        if (off + 1 + sl + 8 > r.moves_len)
            break;
        uint8_t mk[TS_SKU_MAX + 9];
        MDB_val mkv = {move_key(mk, (const char *)r.moves + off + 1, sl, seq), mk};
        rc = mdb_del(txn, t->moves, &mkv, NULL);
        off += 1 + sl + 8;
    }
    if (rc && rc != MDB_NOTFOUND)
        return ts_store_err(rc);
    return ts_store_err(mdb_cursor_del(c, 0));
}

static int apply_prune(ack_op *op, MDB_txn *txn)
{
    ts_txnlog *t = op->t;
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_cursor_open(txn, t->txns, &c);
    if (rc)
        return ts_store_err(rc);
    int err = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && op->pruned < PRUNE_MAX_PER_COMMIT;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        uint64_t seq = from_be64(k.mv_data);
        if (seq > op->after.acked_through)
            break;
        int64_t at = acked_at(txn, t->acks, seq);
        if (at >= op->at_ms)
            break;
        if ((err = delete_txn(t, txn, c, &k, &v)) != 0)
            break;
        op->pruned++;
    }
    mdb_cursor_close(c);
    if (err)
        return err;
    op->lowest_held = lowest_seq(txn, t->txns);
    /* Ack entries below the lowest held seq cover nothing any more. */
    uint64_t keep_from = op->lowest_held ? op->lowest_held : op->after.acked_through;
    if ((rc = mdb_cursor_open(txn, t->acks, &c)) != 0)
        return ts_store_err(rc);
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (from_be64(k.mv_data) >= keep_from)
            break;
        if ((rc = mdb_cursor_del(c, 0)) != 0)
            break;
    }
    mdb_cursor_close(c);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : ts_store_err(rc);
}

static int ack_apply(MDB_txn *txn, void *arg)
{
    ack_op *op = arg;
    int rc = counters_read(txn, op->t->meta, &op->after);
    if (rc)
        return rc;
    op->lowest_held = (uint64_t)-1;
    op->pruned = 0; /* the store may run a group twice (stale readers) */
    switch (op->kind) {
    case OP_ACK:
        rc = apply_ack(op, txn);
        break;
    case OP_REWIND:
        rc = apply_rewind(op, txn);
        break;
    default:
        rc = apply_prune(op, txn);
        break;
    }
    if (rc == 0)
        op->oldest_pending_at = oldest_pending_in(txn, op->t->txns, &op->after);
    return rc ? rc : counters_write(txn, op->t->meta, &op->after);
}

static void ack_done(void *arg, int err)
{
    ack_op *op = arg;
    ts_txnlog *t = op->t;
    if (!err) {
        t->c.acked_through = op->after.acked_through;
        t->oldest_pending_at = op->oldest_pending_at;
        if (op->lowest_held != (uint64_t)-1)
            t->lowest_held = op->lowest_held;
        op->pruned_total += op->pruned;
        /* More to prune: the next small commit, same op, same cutoff. */
        if (op->kind == OP_PRUNE && op->pruned == PRUNE_MAX_PER_COMMIT &&
            ts_store_submit(t->agent->store, ack_apply, ack_done, op) == 0)
            return;
        if (op->kind == OP_PRUNE)
            ts_debug("txnlog.prune_done", "txns=%llu", (unsigned long long)op->pruned_total);
        if (op->kind == OP_PRUNE && op->pruned_total)
            ts_info("txnlog.pruned", "txns=%llu lowest_held=%llu",
                    (unsigned long long)op->pruned_total, (unsigned long long)t->lowest_held);
    }
    if (op->done)
        op->done(op->arg, err);
    free(op);
}

static int submit_ack_op(ts_agent *a, int kind, uint64_t seq, int64_t at_ms,
                         void (*done)(void *, int), void *arg)
{
    ack_op *op = calloc(1, sizeof(*op));
    if (!op)
        return TS_ENOMEM;
    op->t = a->txnlog;
    op->kind = kind;
    op->seq = seq;
    op->at_ms = at_ms;
    op->done = done;
    op->arg = arg;
    int rc = ts_store_submit(a->store, ack_apply, ack_done, op);
    if (rc)
        free(op);
    return rc;
}

int ts_txnlog_ack(ts_agent *a, uint64_t through, void (*done)(void *arg, int err), void *arg)
{
    return submit_ack_op(a, OP_ACK, through, ts_run_ms(), done, arg);
}

int ts_txnlog_rewind(ts_agent *a, uint64_t m, void (*done)(void *arg, int err), void *arg)
{
    return submit_ack_op(a, OP_REWIND, m, 0, done, arg);
}

int ts_txnlog_prune(ts_agent *a, int64_t cutoff_ms, void (*done)(void *arg, int err), void *arg)
{
    return submit_ack_op(a, OP_PRUNE, 0, cutoff_ms, done, arg);
}
