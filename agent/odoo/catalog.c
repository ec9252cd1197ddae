/*
 * catalog.c - the LMDB copy of prices and stock (layout in catalog.h).
 *
 * Every write is an "op" handed to the store's writer: the loop encodes the
 * rows into one compact buffer, the writer applies them inside the group
 * commit, and the op's done callback runs back on the loop. Records are
 * stored in the machine's byte order (an LMDB file never moves between
 * machines); keys are big-endian so versions and ids sort as numbers.
 */
#include "odoo/catalog.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "config/config.h"
#include "core/error.h"
#include "core/log.h"
#include "store/store.h"

#define RECORD_FORMAT 3
#define STATE_FORMAT 4
#define GC_CHUNK 20000     /* entries deleted per op while dropping a version */
#define DUP_SCAN_TRIM 2048 /* codes walked between two trims of the map */
#define KEY_MAX (4 + 511)

struct ts_catalog {
    ts_agent *a;
    MDB_dbi items, sku, barcode, stock, meta, inputs;
    ts_catalog_info info; /* the live copy, as of the last op done */
    uint32_t next_version;
    uint32_t building; /* version a snapshot is being built in, 0: none */
    int in_flight;
    int gc_running;
    int gc_again;             /* asked for while one ran: run again with fresh bounds */
    int gc_deferred;          /* leftovers found at open, dropped once writes may start */
    void *map_addr;           /* LMDB's map of data.mdb (see trim_map) */
    _Atomic uintptr_t w_addr; /* the same, for the writer thread */
    _Atomic size_t w_len;
    _Atomic unsigned w_reopens; /* its reopen count (32 bits: lock-free on 32-bit ARM) */
    size_t map_len;
    uint64_t map_reopens; /* the store's reopen count when the map was found */
};

typedef enum {
    OP_PUT,
    OP_REMOVE,
    OP_ADD_STOCK,
    OP_SET_STOCK,
    OP_STATE,
    OP_GC,
    OP_INPUTS,
    OP_ADD_EXACT,
    OP_ROUND_STOCK
} op_kind;

typedef struct cat_op {
    ts_catalog *cat;
    op_kind kind;
    uint32_t version;
    unsigned char *rows; /* encoded records, ids or stock pairs */
    size_t rows_len;
    size_t n;
    ts_catalog_info info;  /* OP_STATE, with the inputs' meta record in rows */
    uint32_t keep;         /* OP_GC: the version to keep ... */
    uint32_t below;        /* ... and drop only versions under this one */
    int more;              /* OP_GC, OP_ROUND_STOCK: chunk full, go on */
    int trim;              /* not the live version's: drop its pages once applied */
    unsigned char *inputs; /* OP_STATE of a delta: input rows it changed */
    size_t inputs_len, n_inputs;
    int64_t after; /* OP_ROUND_STOCK: the last product id done */
    int64_t added; /* items added minus removed */
    ts_catalog_done_fn done;
    void *arg;
} cat_op;

struct ts_catalog_build {
    ts_catalog *cat;
    uint32_t version;
};

/* ---- keys and records -------------------------------------------------- */

static void put_be32(unsigned char *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const unsigned char *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

/* ver + id (12 bytes) */
static MDB_val id_key(unsigned char buf[12], uint32_t version, int64_t id)
{
    put_be32(buf, version);
    put_be64(buf + 4, (uint64_t)id);
    MDB_val k = {12, buf};
    return k;
}

/* ver + text */
static MDB_val text_key(unsigned char buf[KEY_MAX], uint32_t version, const char *s, size_t len)
{
    put_be32(buf, version);
    memcpy(buf + 4, s, len);
    MDB_val k = {4 + len, buf};
    return k;
}

/*
 * Item record (format 3): u8 format, u8 source, u8 decimal places, u8 sku
 * len, u8 barcode len, u8 flags (1: ambiguous), u16 name len, i64 product,
 * template, category, price; u8 price digits, u8 tiers, u8 uom len, u8
 * has_raw, 4 unused, f64 unit, i64 rounding step; the raw inputs: i64
 * lst_price (decimal), f64 list_price, price_extra, standard_price, i64
 * uom_id, i64 write_date (UTC seconds); then the sku, barcode, name and uom bytes, then per
 * tier f64 min qty, i64 amount, f64 unit.
 */
#define RECORD_HEAD 112
#define TIER_SIZE 24

size_t ts_catalog_record_size(const ts_catalog_item *it)
{
    return RECORD_HEAD + strlen(it->sku) + strlen(it->barcode) + strlen(it->name) +
           strlen(it->uom) + it->n_tiers * TIER_SIZE;
}

void ts_catalog_record_encode(unsigned char *p, const ts_catalog_item *it)
{
    size_t ls = strlen(it->sku), lb = strlen(it->barcode), ln = strlen(it->name);
    size_t lu = strlen(it->uom);
    uint16_t ln16 = (uint16_t)ln;
    memset(p, 0, RECORD_HEAD);
    p[0] = RECORD_FORMAT;
    p[1] = (unsigned char)it->source;
    p[2] = (unsigned char)it->decimal_places;
    p[3] = (unsigned char)ls;
    p[4] = (unsigned char)lb;
    p[5] = it->ambiguous ? 1 : 0;
    memcpy(p + 6, &ln16, 2);
    memcpy(p + 8, &it->product_id, 8);
    memcpy(p + 16, &it->tmpl_id, 8);
    memcpy(p + 24, &it->categ_id, 8);
    memcpy(p + 32, &it->price_minor, 8);
    p[40] = (unsigned char)it->price_digits;
    p[41] = (unsigned char)it->n_tiers;
    p[42] = (unsigned char)lu;
    memcpy(p + 48, &it->unit, 8);
    memcpy(p + 56, &it->rounding_minor, 8);
    p[43] = it->has_raw ? 1 : 0;
    memcpy(p + 64, &it->lst_price.scaled, 8);
    memcpy(p + 72, &it->list_price, 8);
    memcpy(p + 80, &it->price_extra, 8);
    memcpy(p + 88, &it->standard_price, 8);
    memcpy(p + 96, &it->uom_id, 8);
    memcpy(p + 104, &it->write_s, 8);
    unsigned char *q = p + RECORD_HEAD;
    memcpy(q, it->sku, ls);
    memcpy(q += ls, it->barcode, lb);
    memcpy(q += lb, it->name, ln);
    memcpy(q += ln, it->uom, lu);
    q += lu;
    for (size_t i = 0; i < it->n_tiers; i++, q += TIER_SIZE) {
        memcpy(q, &it->tiers[i].min_qty, 8);
        memcpy(q + 8, &it->tiers[i].amount_minor, 8);
        memcpy(q + 16, &it->tier_unit[i], 8);
    }
}

/* The sku and barcode spans of a stored record (for index upkeep). */
typedef struct record_keys {
    int64_t product_id;
    const char *sku, *barcode;
    size_t sku_len, barcode_len;
} record_keys;

static int record_keys_of(const unsigned char *p, size_t len, record_keys *k)
{
    if (len < RECORD_HEAD || p[0] != RECORD_FORMAT)
        return TS_EFORMAT;
    uint16_t ln;
    memcpy(&ln, p + 6, 2);
    k->sku_len = p[3];
    k->barcode_len = p[4];
    if (RECORD_HEAD + k->sku_len + k->barcode_len + ln + p[42] + (size_t)p[41] * TIER_SIZE != len)
        return TS_EFORMAT;
    memcpy(&k->product_id, p + 8, 8);
    k->sku = (const char *)p + RECORD_HEAD;
    k->barcode = k->sku + k->sku_len;
    return 0;
}

int ts_catalog_record_decode(const void *data, size_t len, ts_catalog_item *it)
{
    const unsigned char *p = data;
    record_keys k;
    if (record_keys_of(p, len, &k) != 0 || k.sku_len > TS_SKU_MAX ||
        k.barcode_len > TS_BARCODE_MAX || p[41] > TS_CATALOG_TIERS_MAX || p[42] > TS_UOM_NAME_MAX)
        return TS_EFORMAT;
    uint16_t ln;
    memcpy(&ln, p + 6, 2);
    if (ln > TS_ITEM_NAME_MAX)
        return TS_EFORMAT;
    memset(it, 0, sizeof(*it));
    it->source = (ts_price_source)p[1];
    it->decimal_places = p[2];
    it->ambiguous = p[5] & 1;
    memcpy(&it->product_id, p + 8, 8);
    memcpy(&it->tmpl_id, p + 16, 8);
    memcpy(&it->categ_id, p + 24, 8);
    memcpy(&it->price_minor, p + 32, 8);
    it->price_digits = p[40];
    it->n_tiers = p[41];
    memcpy(&it->unit, p + 48, 8);
    memcpy(&it->rounding_minor, p + 56, 8);
    it->has_raw = p[43] & 1;
    memcpy(&it->lst_price.scaled, p + 64, 8);
    memcpy(&it->list_price, p + 72, 8);
    memcpy(&it->price_extra, p + 80, 8);
    memcpy(&it->standard_price, p + 88, 8);
    memcpy(&it->uom_id, p + 96, 8);
    memcpy(&it->write_s, p + 104, 8);
    if (p[1] > TS_PRICE_LIST_PRICE_FALLBACK || p[2] > 9)
        return TS_EFORMAT;
    memcpy(it->sku, k.sku, k.sku_len);
    memcpy(it->barcode, k.barcode, k.barcode_len);
    const unsigned char *q = (const unsigned char *)k.barcode + k.barcode_len;
    memcpy(it->name, q, ln);
    memcpy(it->uom, q += ln, p[42]);
    q += p[42];
    for (size_t i = 0; i < it->n_tiers; i++, q += TIER_SIZE) {
        memcpy(&it->tiers[i].min_qty, q, 8);
        memcpy(&it->tiers[i].amount_minor, q + 8, 8);
        memcpy(&it->tier_unit[i], q + 16, 8);
    }
    return 0;
}

void ts_catalog_item_price_at(const ts_catalog_item *it, double qty, ts_price *out)
{
    static const double tens[] = {1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    memset(out, 0, sizeof(*out));
    out->amount_minor = it->price_minor;
    out->unit = it->unit;
    for (size_t i = 0; i < it->n_tiers && it->tiers[i].min_qty <= qty; i++) {
        out->amount_minor = it->tiers[i].amount_minor;
        out->unit = it->tier_unit[i];
    }
    out->decimal_places = it->decimal_places;
    out->source = it->source;
    out->price_digits = it->price_digits;
    out->rounding_minor = it->rounding_minor;
    int dp = it->decimal_places >= 0 && it->decimal_places <= 9 ? it->decimal_places : 2;
    out->rounding = (double)(it->rounding_minor > 0 ? it->rounding_minor : 1) / tens[dp];
}

/* "state": the live version and what it is as of. */
#define STATE_SIZE (8 + 6 * 8 + 8)

static void encode_state(unsigned char *p, const ts_catalog_info *in)
{
    uint32_t fmt = STATE_FORMAT;
    int64_t v[6] = {in->as_of_ms, in->full_at_ms, in->delta_at_ms,
                    in->items,    in->skipped,    in->fallback};
    memcpy(p, &fmt, 4);
    memcpy(p + 4, &in->version, 4);
    memcpy(p + 8, v, sizeof(v));
    memcpy(p + 56, in->currency, 8);
}

static int decode_state(const MDB_val *val, ts_catalog_info *out)
{
    const unsigned char *p = val->mv_data;
    uint32_t fmt;
    int64_t v[6];
    if (val->mv_size != STATE_SIZE)
        return TS_EFORMAT;
    memcpy(&fmt, p, 4);
    if (fmt != STATE_FORMAT)
        return TS_EFORMAT;
    memset(out, 0, sizeof(*out));
    memcpy(&out->version, p + 4, 4);
    memcpy(v, p + 8, sizeof(v));
    out->as_of_ms = v[0];
    out->full_at_ms = v[1];
    out->delta_at_ms = v[2];
    out->items = v[3];
    out->skipped = v[4];
    out->fallback = v[5];
    memcpy(out->currency, p + 56, 8);
    out->currency[7] = '\0';
    out->has_copy = 1;
    return 0;
}

static MDB_val state_key(void)
{
    MDB_val k = {5, (void *)"state"};
    return k;
}

/* ---- writer side: index upkeep ---------------------------------------- */

/*
 * The code and barcode indexes hold every product that has the code (LMDB
 * duplicates, ids big-endian so they sort by number): Odoo lets two products
 * share one, the lowest id wins a look-up and the others stay listed, so a
 * duplicate that goes away in Odoo leaves the right product in place.
 */
static int unindex(MDB_txn *txn, MDB_dbi dbi, uint32_t version, const char *s, size_t len,
                   int64_t product_id)
{
    if (len == 0)
        return 0;
    unsigned char kb[KEY_MAX], vb[8];
    put_be64(vb, (uint64_t)product_id);
    MDB_val k = text_key(kb, version, s, len), v = {8, vb};
    int rc = mdb_del(txn, dbi, &k, &v);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int index_put(MDB_txn *txn, MDB_dbi dbi, uint32_t version, const char *s, size_t len,
                     int64_t product_id)
{
    if (len == 0)
        return 0;
    unsigned char kb[KEY_MAX], vb[8];
    put_be64(vb, (uint64_t)product_id);
    MDB_val k = text_key(kb, version, s, len);
    MDB_val v = {8, vb};
    int rc = mdb_put(txn, dbi, &k, &v, MDB_NODUPDATA);
    return rc == MDB_KEYEXIST ? 0 : rc;
}

/* Removes the product's record and its index entries; *existed says
 * whether there was one. */
static int drop_product(ts_catalog *cat, MDB_txn *txn, uint32_t version, int64_t id, int drop_stock,
                        int *existed)
{
    unsigned char kb[12];
    MDB_val k = id_key(kb, version, id), v;
    *existed = 0;
    int rc = mdb_get(txn, cat->items, &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    record_keys old;
    if (record_keys_of(v.mv_data, v.mv_size, &old) == 0) {
        rc = unindex(txn, cat->sku, version, old.sku, old.sku_len, id);
        if (rc == 0)
            rc = unindex(txn, cat->barcode, version, old.barcode, old.barcode_len, id);
        if (rc != 0)
            return rc;
    }
    *existed = 1;
    rc = mdb_del(txn, cat->items, &k, NULL);
    if (rc == 0 && drop_stock) {
        rc = mdb_del(txn, cat->stock, &k, NULL);
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    return rc;
}

static int apply_put(cat_op *op, MDB_txn *txn)
{
    ts_catalog *cat = op->cat;
    size_t off = 0;
    for (size_t i = 0; i < op->n; i++) {
        uint32_t len;
        memcpy(&len, op->rows + off, 4);
        unsigned char *rec = op->rows + off + 4;
        off += 4 + len;
        record_keys nk;
        if (record_keys_of(rec, len, &nk) != 0)
            return TS_EINVAL;
        int existed;
        int rc = drop_product(cat, txn, op->version, nk.product_id, 0, &existed);
        unsigned char kb[12];
        MDB_val k = id_key(kb, op->version, nk.product_id);
        MDB_val v = {len, rec};
        if (rc == 0)
            rc = mdb_put(txn, cat->items, &k, &v, 0);
        if (rc == 0)
            rc = index_put(txn, cat->sku, op->version, nk.sku, nk.sku_len, nk.product_id);
        if (rc == 0)
            rc = index_put(txn, cat->barcode, op->version, nk.barcode, nk.barcode_len,
                           nk.product_id);
        if (rc != 0)
            return ts_store_err(rc);
        op->added += !existed;
    }
    return 0;
}

static int apply_remove(cat_op *op, MDB_txn *txn)
{
    const int64_t *ids = (const int64_t *)(void *)op->rows;
    for (size_t i = 0; i < op->n; i++) {
        int existed;
        int rc = drop_product(op->cat, txn, op->version, ids[i], 1, &existed);
        if (rc != 0)
            return ts_store_err(rc);
        op->added -= existed;
    }
    return 0;
}

static int apply_stock(cat_op *op, MDB_txn *txn, int add)
{
    const ts_catalog_stock *s = (const ts_catalog_stock *)(void *)op->rows;
    for (size_t i = 0; i < op->n; i++) {
        unsigned char kb[12];
        MDB_val k = id_key(kb, op->version, s[i].product_id), v;
        int64_t qty = s[i].qty_milli;
        if (add) {
            int rc = mdb_get(txn, op->cat->stock, &k, &v);
            if (rc == 0 && v.mv_size == 8) {
                int64_t old;
                memcpy(&old, v.mv_data, 8);
                qty += old;
            } else if (rc != 0 && rc != MDB_NOTFOUND) {
                return ts_store_err(rc);
            }
        }
        v.mv_size = 8;
        v.mv_data = &qty;
        int rc = mdb_put(txn, op->cat->stock, &k, &v, 0);
        if (rc != 0)
            return ts_store_err(rc);
    }
    return 0;
}

/* ver + kind + id (13 bytes) */
static MDB_val input_key(unsigned char buf[13], uint32_t version, char kind, int64_t id)
{
    put_be32(buf, version);
    buf[4] = (unsigned char)kind;
    put_be64(buf + 5, (uint64_t)id);
    MDB_val k = {13, buf};
    return k;
}

/* Input rows: u8 kind, i64 id, u16 length, bytes. */
#define INPUT_ROW_HEAD 11

static int put_input_rows(cat_op *op, MDB_txn *txn, const unsigned char *rows, size_t rows_len,
                          size_t n)
{
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows_len - off < INPUT_ROW_HEAD)
            return TS_EINVAL;
        int64_t id;
        uint16_t len;
        memcpy(&id, rows + off + 1, 8);
        memcpy(&len, rows + off + 9, 2);
        if (rows_len - off - INPUT_ROW_HEAD < len)
            return TS_EINVAL;
        unsigned char kb[13];
        MDB_val k = input_key(kb, op->version, (char)rows[off], id);
        MDB_val v = {len, (void *)(rows + off + INPUT_ROW_HEAD)};
        int rc = mdb_put(txn, op->cat->inputs, &k, &v, 0);
        if (rc != 0)
            return ts_store_err(rc);
        off += INPUT_ROW_HEAD + len;
    }
    return 0;
}

static int apply_inputs(cat_op *op, MDB_txn *txn)
{
    return put_input_rows(op, txn, op->rows, op->rows_len, op->n);
}

/* Build-time stock: 16 bytes, the exact sum (ts_decimal scale) and the
 * unit, until OP_ROUND_STOCK makes it the 8-byte thousandths lookups read. */
static int apply_add_exact(cat_op *op, MDB_txn *txn)
{
    const ts_catalog_stock_exact *s = (const ts_catalog_stock_exact *)(void *)op->rows;
    for (size_t i = 0; i < op->n; i++) {
        unsigned char kb[12];
        MDB_val k = id_key(kb, op->version, s[i].product_id), v;
        int64_t rec[2] = {s[i].scaled, s[i].uom_id};
        int rc = mdb_get(txn, op->cat->stock, &k, &v);
        if (rc == 0 && v.mv_size == sizeof(rec)) {
            int64_t old[2];
            memcpy(old, v.mv_data, sizeof(old));
            rec[0] += old[0];
            if (!rec[1])
                rec[1] = old[1];
        } else if (rc != 0 && rc != MDB_NOTFOUND) {
            return ts_store_err(rc);
        }
        v.mv_size = sizeof(rec);
        v.mv_data = rec;
        rc = mdb_put(txn, op->cat->stock, &k, &v, 0);
        if (rc != 0)
            return ts_store_err(rc);
    }
    return 0;
}

static double step_of(const cat_op *op, int64_t uom_id)
{
    const ts_catalog_uom_step *u = (const ts_catalog_uom_step *)(void *)op->rows;
    size_t lo = 0, hi = op->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (u[mid].uom_id < uom_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < op->n && u[lo].uom_id == uom_id ? u[lo].rounding : 0;
}

static int apply_round_stock(cat_op *op, MDB_txn *txn)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, op->cat->stock, &cur);
    if (rc != 0)
        return ts_store_err(rc);
    unsigned char kb[12];
    MDB_val k = id_key(kb, op->version, op->after), v;
    int budget = GC_CHUNK;
    op->more = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 12 || get_be32(k.mv_data) != op->version)
            break;
        if (v.mv_size != 16)
            continue;
        if (budget-- == 0) {
            op->more = 1;
            break;
        }
        int64_t rec[2];
        memcpy(rec, v.mv_data, sizeof(rec));
        int64_t milli = ts_odoo_stock_milli((ts_decimal){rec[0]}, step_of(op, rec[1]));
        op->after = (int64_t)get_be64((const unsigned char *)k.mv_data + 4);
        /* the key is copied: a smaller value moves the node, and k points
         * into the page */
        unsigned char own[12];
        MDB_val ok = id_key(own, op->version, op->after), nv = {8, &milli};
        rc = mdb_cursor_put(cur, &ok, &nv, MDB_CURRENT);
        if (rc != 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : ts_store_err(rc);
}

/* The state, with the inputs' meta record of its version and (a delta)
 * the inputs it changed, in the same commit: a delta cut short leaves the
 * old inputs, which the next delta then finds changed again. */
static int apply_state(cat_op *op, MDB_txn *txn)
{
    unsigned char buf[STATE_SIZE];
    encode_state(buf, &op->info);
    MDB_val k = state_key(), v = {sizeof(buf), buf};
    int rc = mdb_put(txn, op->cat->meta, &k, &v, 0);
    if (rc == 0 && op->rows_len) {
        unsigned char kb[13];
        MDB_val mk = input_key(kb, op->info.version, 'M', 0), mv = {op->rows_len, op->rows};
        rc = mdb_put(txn, op->cat->inputs, &mk, &mv, 0);
    }
    if (rc != 0)
        return ts_store_err(rc);
    return put_input_rows(op, txn, op->inputs, op->inputs_len, op->n_inputs);
}

/* Deletes keys of versions other than op->keep and below op->below, at most
 * *budget of them; versions at or above op->below belong to a snapshot
 * being built. */
static int gc_dbi(cat_op *op, MDB_txn *txn, MDB_dbi dbi, int *budget)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0)
        return rc;
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (rc == 0) {
        if (k.mv_size < 4) {
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            continue;
        }
        uint32_t ver = get_be32(k.mv_data);
        if (ver >= op->below)
            break;
        if (ver == op->keep) {
            unsigned char next[4];
            put_be32(next, ver + 1);
            k.mv_size = 4;
            k.mv_data = next;
            rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
            continue;
        }
        if (*budget == 0) {
            op->more = 1;
            break;
        }
        rc = mdb_cursor_del(cur, 0);
        if (rc != 0)
            break;
        (*budget)--;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

static int apply_gc(cat_op *op, MDB_txn *txn)
{
    MDB_dbi dbis[5] = {op->cat->items, op->cat->sku, op->cat->barcode, op->cat->stock,
                       op->cat->inputs};
    int budget = GC_CHUNK;
    op->more = 0;
    for (int i = 0; i < 5 && !op->more; i++) {
        int rc = gc_dbi(op, txn, dbis[i], &budget);
        if (rc != 0)
            return ts_store_err(rc);
    }
    return 0;
}

static int apply_op_kind(MDB_txn *txn, cat_op *op);

static int apply_op(MDB_txn *txn, void *arg)
{
    cat_op *op = arg;
    int rc = apply_op_kind(txn, op);
    /* A snapshot's op or a clean-up maps pages nobody reads next (see
     * trim_map): dropped here on the writer, before the next op of the same
     * group commit maps more, so the peak stays one op's worth. */
    if (!op->trim)
        return rc;
    ts_store_stats st;
    ts_store_get_stats(op->cat->a->store, &st);
    void *addr = (void *)atomic_load(&op->cat->w_addr);
    /* after a reopen the range is stale until the loop finds the new map */
    if (addr && (unsigned)st.reopens == atomic_load(&op->cat->w_reopens))
        (void)madvise(addr, atomic_load(&op->cat->w_len), MADV_DONTNEED);
    return rc;
}

static int apply_op_kind(MDB_txn *txn, cat_op *op)
{
    switch (op->kind) {
    case OP_PUT:
        return apply_put(op, txn);
    case OP_REMOVE:
        return apply_remove(op, txn);
    case OP_ADD_STOCK:
        return apply_stock(op, txn, 1);
    case OP_SET_STOCK:
        return apply_stock(op, txn, 0);
    case OP_STATE:
        return apply_state(op, txn);
    case OP_GC:
        return apply_gc(op, txn);
    case OP_INPUTS:
        return apply_inputs(op, txn);
    case OP_ADD_EXACT:
        return apply_add_exact(op, txn);
    case OP_ROUND_STOCK:
        return apply_round_stock(op, txn);
    }
    return TS_EINVAL;
}

/* ---- loop side -------------------------------------------------------- */

static void start_gc(ts_catalog *cat);

/*
 * Writing a snapshot makes the writer read B-tree pages through LMDB's map,
 * and every page read stays mapped into this process and counts in its RSS:
 * a 100 000-item copy would add tens of MiB on a box with little memory.
 * After each snapshot write we drop our mapping of those pages. The data
 * stays in the file and the page cache; a later read maps it back with a
 * minor fault. LMDB only ever reads through the map (no MDB_WRITEMAP), so
 * dropping pages under a running reader is safe on a shared file mapping.
 */
static void find_map(ts_catalog *cat);

static void trim_map(ts_catalog *cat)
{
    ts_store_stats s;
    ts_store_get_stats(cat->a->store, &s);
    if (s.reopens != cat->map_reopens) { /* a reopen moved the map: never trim a stale range */
        cat->map_addr = NULL;
        cat->map_len = 0;
        cat->map_reopens = s.reopens;
        find_map(cat);
    }
    if (cat->map_addr)
        (void)madvise(cat->map_addr, cat->map_len, MADV_DONTNEED);
}

/* Where LMDB mapped data.mdb (mdb_env_info gives no address unless the
 * map is fixed): the largest mapping of that file in /proc/self/maps. */
static void find_map(ts_catalog *cat)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[TS_PATH_MAX + 128];
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
            line[--n] = '\0';
        if (n < 9 || strcmp(line + n - 9, "/data.mdb") != 0 ||
            !strstr(line, cat->a->cfg->data_dir) || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
            continue;
        if (hi - lo > cat->map_len) {
            cat->map_addr = (void *)(uintptr_t)lo;
            cat->map_len = hi - lo;
        }
    }
    fclose(f);
    atomic_store(&cat->w_addr, (uintptr_t)cat->map_addr);
    atomic_store(&cat->w_len, cat->map_len);
    atomic_store(&cat->w_reopens, (unsigned)cat->map_reopens);
}

static void on_op_done(void *arg, int err)
{
    cat_op *op = arg;
    ts_catalog *cat = op->cat;
    if (op->kind != OP_GC)
        cat->in_flight--;
    if (err == 0) {
        if (op->kind == OP_PUT || op->kind == OP_REMOVE) {
            if (op->version == cat->info.version)
                cat->info.items += op->added;
        } else if (op->kind == OP_STATE) {
            int switched = op->info.version != cat->info.version || !cat->info.has_copy;
            cat->info = op->info;
            cat->info.has_copy = 1;
            if (switched) {
                cat->building = 0;
                start_gc(cat);
            }
        }
    }
    if (op->version != cat->info.version || op->kind == OP_GC)
        trim_map(cat); /* a snapshot page or a clean-up: pages we will not read */
    if (op->kind == OP_GC) {
        cat->gc_running = 0;
        if (err != 0)
            ts_warn("catalog.gc_failed", "err=\"%s\"", ts_strerror(err));
        else if (op->more || cat->gc_again)
            start_gc(cat);
    }
    if (op->kind == OP_ROUND_STOCK && err == 0 && op->more) {
        /* the next chunk, as the same op: done runs after the last one */
        err = ts_store_submit(cat->a->store, apply_op, on_op_done, op);
        if (err == 0) {
            cat->in_flight++;
            return;
        }
    }
    if (op->done)
        op->done(op->arg, err);
    free(op->rows);
    free(op->inputs);
    free(op);
}

static cat_op *new_op(ts_catalog *cat, op_kind kind, uint32_t version, ts_catalog_done_fn done,
                      void *arg)
{
    cat_op *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->cat = cat;
    op->kind = kind;
    op->version = version;
    op->done = done;
    op->arg = arg;
    return op;
}

static int submit(cat_op *op)
{
    op->trim = op->kind == OP_GC || op->version != op->cat->info.version;
    int rc = ts_store_submit(op->cat->a->store, apply_op, on_op_done, op);
    if (rc != 0) {
        free(op->rows);
        free(op);
        return rc;
    }
    if (op->kind != OP_GC) /* clean-ups run in the background, unwaited */
        op->cat->in_flight++;
    return 0;
}

/* Drops every version but the live one that no snapshot is being built in. */
static void start_gc(ts_catalog *cat)
{
    if (cat->gc_running) {
        cat->gc_again = 1;
        return;
    }
    cat->gc_again = 0;
    cat_op *op = new_op(cat, OP_GC, 0, NULL, NULL);
    if (!op)
        return;
    op->keep = cat->info.has_copy ? cat->info.version : 0;
    op->below = cat->building ? cat->building : cat->next_version;
    if (submit(op) == 0)
        cat->gc_running = 1;
}

static int submit_rows(ts_catalog *cat, op_kind kind, uint32_t version, const void *rows,
                       size_t size, size_t n, ts_catalog_done_fn done, void *arg)
{
    cat_op *op = new_op(cat, kind, version, done, arg);
    if (!op)
        return TS_ENOMEM;
    op->rows = malloc(size ? size : 1);
    if (!op->rows) {
        free(op);
        return TS_ENOMEM;
    }
    memcpy(op->rows, rows, size);
    op->rows_len = size;
    op->n = n;
    return submit(op);
}

static int submit_items(ts_catalog *cat, uint32_t version, const ts_catalog_item *items, size_t n,
                        ts_catalog_done_fn done, void *arg)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += 4 + ts_catalog_record_size(&items[i]);
    cat_op *op = new_op(cat, OP_PUT, version, done, arg);
    if (!op)
        return TS_ENOMEM;
    op->rows = malloc(total ? total : 1);
    if (!op->rows) {
        free(op);
        return TS_ENOMEM;
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t len = (uint32_t)ts_catalog_record_size(&items[i]);
        memcpy(op->rows + off, &len, 4);
        ts_catalog_record_encode(op->rows + off + 4, &items[i]);
        off += 4 + len;
    }
    op->rows_len = total;
    op->n = n;
    return submit(op);
}

/* The highest version any key holds (a snapshot cut short by a crash). */
static uint32_t highest_version(ts_catalog *cat, MDB_txn *txn)
{
    MDB_dbi dbis[5] = {cat->items, cat->sku, cat->barcode, cat->stock, cat->inputs};
    uint32_t hi = 0;
    for (int i = 0; i < 5; i++) {
        MDB_cursor *cur;
        MDB_val k, v;
        if (mdb_cursor_open(txn, dbis[i], &cur) != 0)
            continue;
        if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 && k.mv_size >= 4 &&
            get_be32(k.mv_data) > hi)
            hi = get_be32(k.mv_data);
        mdb_cursor_close(cur);
    }
    return hi;
}

int ts_catalog_open(ts_agent *a)
{
    ts_catalog *cat = calloc(1, sizeof(*cat));
    if (!cat)
        return TS_ENOMEM;
    cat->a = a;
    /* cat_sku2/cat_barcode2 (duplicates allowed) replaced cat_sku/cat_barcode
     * with STATE_FORMAT 3: a copy of format 2 is replaced by a snapshot. */
    const char *names[6] = {"cat_items", "cat_sku2", "cat_barcode2",
                            "cat_stock", "cat_meta", "cat_inputs"};
    MDB_dbi *dbis[6] = {&cat->items, &cat->sku,  &cat->barcode,
                        &cat->stock, &cat->meta, &cat->inputs};
    for (int i = 0; i < 6; i++) {
        unsigned flags = MDB_CREATE | (i == 1 || i == 2 ? MDB_DUPSORT | MDB_DUPFIXED : 0);
        int rc = ts_store_dbi(a->store, names[i], flags, dbis[i]);
        if (rc != 0) {
            free(cat);
            return rc;
        }
    }
    MDB_txn *txn;
    int rc = ts_store_read_begin(a->store, &txn);
    if (rc != 0) {
        free(cat);
        return rc;
    }
    MDB_val k = state_key(), v;
    if (mdb_get(txn, cat->meta, &k, &v) == 0 && decode_state(&v, &cat->info) != 0) {
        ts_warn("catalog.state_unreadable", "msg=\"the copy's state record has another "
                                            "format; a new snapshot replaces it\"");
        memset(&cat->info, 0, sizeof(cat->info));
    }
    uint32_t hi = highest_version(cat, txn);
    ts_store_read_end(txn);
    cat->next_version = (hi > cat->info.version ? hi : cat->info.version) + 1;
    a->catalog = cat;
    find_map(cat);
    /* Leftovers of a snapshot cut short, or of an old version, are dropped
     * when the first snapshot begins: other modules may still be opening
     * their databases now, which must happen before the first write. */
    cat->gc_deferred = hi != 0;
    return 0;
}

void ts_catalog_close(ts_agent *a)
{
    free(a->catalog);
    a->catalog = NULL;
}

void ts_catalog_get_info(ts_agent *a, ts_catalog_info *out)
{
    if (a->catalog)
        *out = a->catalog->info;
    else
        memset(out, 0, sizeof(*out));
}

int ts_catalog_ops_in_flight(ts_agent *a)
{
    return a->catalog ? a->catalog->in_flight : 0;
}

/* ---- reading ---------------------------------------------------------- */

int ts_catalog_read_begin(ts_agent *a, ts_catalog_reader *r)
{
    memset(r, 0, sizeof(*r));
    if (!a->catalog)
        return TS_ENOTFOUND;
    MDB_txn *txn;
    int rc = ts_store_read_begin(a->store, &txn);
    if (rc != 0)
        return rc;
    ts_catalog_info info;
    MDB_val k = state_key(), v;
    if (mdb_get(txn, a->catalog->meta, &k, &v) != 0 || decode_state(&v, &info) != 0) {
        ts_store_read_end(txn);
        return TS_ENOTFOUND;
    }
    r->a = a;
    r->txn = txn;
    r->version = info.version;
    r->as_of_ms = info.as_of_ms;
    memcpy(r->currency, info.currency, sizeof(r->currency));
    return 0;
}

/* How many products hold this code (0 when none). */
static size_t holders(ts_catalog_reader *r, MDB_dbi index, const char *key, size_t len,
                      int64_t *first)
{
    unsigned char kb[KEY_MAX];
    MDB_val k = text_key(kb, r->version, key, len), v;
    MDB_cursor *cur;
    size_t n = 0;
    if (len == 0 || len > KEY_MAX - 4 || mdb_cursor_open(r->txn, index, &cur) != 0)
        return 0;
    if (mdb_cursor_get(cur, &k, &v, MDB_SET_KEY) == 0 && v.mv_size == 8 &&
        mdb_cursor_count(cur, &n) == 0 && first)
        *first = (int64_t)get_be64(v.mv_data);
    mdb_cursor_close(cur);
    return n;
}

static int find_by(ts_catalog_reader *r, MDB_dbi index, const char *key, ts_catalog_item *out)
{
    ts_catalog *cat = r->a->catalog;
    size_t len = strlen(key);
    int64_t id = 0;
    if (holders(r, index, key, len, &id) == 0)
        return TS_ENOTFOUND; /* (a read error reads as not found, as a miss would) */
    unsigned char ib[12];
    MDB_val k = id_key(ib, r->version, id), v;
    int rc;
    rc = mdb_get(r->txn, cat->items, &k, &v);
    if (rc != 0)
        return rc == MDB_NOTFOUND ? TS_ENOTFOUND : ts_store_err(rc);
    if (ts_catalog_record_decode(v.mv_data, v.mv_size, out) != 0)
        return TS_EFORMAT;
    /* the lowest id wins; the till is told another product shares the code
     * or the barcode (odoo-sync.md "Duplicates") */
    out->ambiguous = holders(r, cat->sku, out->sku, strlen(out->sku), NULL) > 1 ||
                     holders(r, cat->barcode, out->barcode, strlen(out->barcode), NULL) > 1;
    out->on_hand_milli = 0;
    if (mdb_get(r->txn, cat->stock, &k, &v) == 0 && v.mv_size == 8)
        memcpy(&out->on_hand_milli, v.mv_data, 8);
    return 0;
}

int ts_catalog_find_id(ts_catalog_reader *r, int64_t product_id, ts_catalog_item *out)
{
    unsigned char ib[12];
    MDB_val k = id_key(ib, r->version, product_id), v;
    int rc = mdb_get(r->txn, r->a->catalog->items, &k, &v);
    if (rc != 0)
        return rc == MDB_NOTFOUND ? TS_ENOTFOUND : ts_store_err(rc);
    return ts_catalog_record_decode(v.mv_data, v.mv_size, out) != 0 ? TS_EFORMAT : 0;
}

int ts_catalog_find_input(ts_catalog_reader *r, char kind, int64_t id, void *out, size_t cap,
                          size_t *len)
{
    unsigned char kb[13];
    MDB_val k = input_key(kb, r->version, kind, id), v;
    int rc = mdb_get(r->txn, r->a->catalog->inputs, &k, &v);
    if (rc != 0)
        return rc == MDB_NOTFOUND ? TS_ENOTFOUND : ts_store_err(rc);
    if (v.mv_size > cap)
        return TS_EFORMAT;
    memcpy(out, v.mv_data, v.mv_size);
    *len = v.mv_size;
    return 0;
}

int ts_catalog_find_sku(ts_catalog_reader *r, const char *sku, ts_catalog_item *out)
{
    return find_by(r, r->a->catalog->sku, sku, out);
}

int ts_catalog_find_barcode(ts_catalog_reader *r, const char *barcode, ts_catalog_item *out)
{
    return find_by(r, r->a->catalog->barcode, barcode, out);
}

int ts_catalog_duplicates(ts_catalog_reader *r, int by_barcode, ts_catalog_code *codes, size_t max,
                          size_t *n, int64_t *total)
{
    MDB_dbi dbi = by_barcode ? r->a->catalog->barcode : r->a->catalog->sku;
    unsigned char kb[4];
    put_be32(kb, r->version);
    MDB_val k = {4, kb}, v;
    MDB_cursor *cur;
    *n = 0;
    *total = 0;
    int rc = mdb_cursor_open(r->txn, dbi, &cur);
    if (rc != 0)
        return ts_store_err(rc);
    size_t seen = 0;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP)) {
        size_t count = 0;
        if (k.mv_size < 4 || get_be32(k.mv_data) != r->version)
            break;
        /* the whole index is walked: drop what it mapped as it goes, or a
         * 100 000-product copy adds the file's size to the RSS */
        if (++seen % DUP_SCAN_TRIM == 0)
            trim_map(r->a->catalog);
        if (mdb_cursor_count(cur, &count) != 0 || count < 2)
            continue;
        if (*n < max) {
            size_t len = k.mv_size - 4 < TS_SKU_MAX ? k.mv_size - 4 : TS_SKU_MAX;
            memcpy(codes[*n].code, (const char *)k.mv_data + 4, len);
            codes[*n].code[len] = '\0';
            codes[*n].holders = (uint32_t)count;
            (*n)++;
        }
        (*total)++;
    }
    mdb_cursor_close(cur);
    trim_map(r->a->catalog);
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : ts_store_err(rc);
}

void ts_catalog_read_end(ts_catalog_reader *r)
{
    if (r->txn)
        ts_store_read_end(r->txn);
    r->txn = NULL;
}

/* ---- a full snapshot -------------------------------------------------- */

int ts_catalog_build_begin(ts_agent *a, ts_catalog_build **out)
{
    ts_catalog_build *b = calloc(1, sizeof(*b));
    if (!b)
        return TS_ENOMEM;
    b->cat = a->catalog;
    b->version = b->cat->next_version++;
    b->cat->building = b->version;
    if (b->cat->gc_deferred) {
        b->cat->gc_deferred = 0;
        start_gc(b->cat);
    }
    *out = b;
    return 0;
}

int ts_catalog_build_put(ts_catalog_build *b, const ts_catalog_item *items, size_t n,
                         ts_catalog_done_fn done, void *arg)
{
    return submit_items(b->cat, b->version, items, n, done, arg);
}

int ts_catalog_build_add_stock(ts_catalog_build *b, const ts_catalog_stock *s, size_t n,
                               ts_catalog_done_fn done, void *arg)
{
    return submit_rows(b->cat, OP_ADD_STOCK, b->version, s, n * sizeof(*s), n, done, arg);
}

/* The meta record rides in the state op's rows. */
static int set_meta(cat_op *op, const void *meta, size_t meta_len)
{
    if (meta_len == 0)
        return 0;
    op->rows = malloc(meta_len);
    if (!op->rows)
        return TS_ENOMEM;
    memcpy(op->rows, meta, meta_len);
    op->rows_len = meta_len;
    return 0;
}

int ts_catalog_build_add_exact(ts_catalog_build *b, const ts_catalog_stock_exact *s, size_t n,
                               ts_catalog_done_fn done, void *arg)
{
    return submit_rows(b->cat, OP_ADD_EXACT, b->version, s, n * sizeof(*s), n, done, arg);
}

int ts_catalog_build_round_stock(ts_catalog_build *b, const ts_catalog_uom_step *steps, size_t n,
                                 ts_catalog_done_fn done, void *arg)
{
    return submit_rows(b->cat, OP_ROUND_STOCK, b->version, steps, n * sizeof(*steps), n, done, arg);
}

int ts_catalog_build_commit(ts_catalog_build *b, const ts_catalog_info *info, const void *meta,
                            size_t meta_len, ts_catalog_done_fn done, void *arg)
{
    cat_op *op = new_op(b->cat, OP_STATE, b->version, done, arg);
    if (!op || set_meta(op, meta, meta_len) != 0) {
        free(op);
        ts_catalog_build_abort(b);
        return TS_ENOMEM;
    }
    op->info = *info;
    op->info.version = b->version;
    op->info.has_copy = 1;
    free(b);
    return submit(op);
}

void ts_catalog_build_abort(ts_catalog_build *b)
{
    b->cat->building = 0;
    start_gc(b->cat);
    free(b);
}

/* ---- deltas ----------------------------------------------------------- */

static int live_version(ts_agent *a, uint32_t *version)
{
    if (!a->catalog || !a->catalog->info.has_copy)
        return TS_ENOTFOUND;
    *version = a->catalog->info.version;
    return 0;
}

int ts_catalog_put(ts_agent *a, const ts_catalog_item *items, size_t n, ts_catalog_done_fn done,
                   void *arg)
{
    uint32_t ver;
    int rc = live_version(a, &ver);
    return rc ? rc : submit_items(a->catalog, ver, items, n, done, arg);
}

int ts_catalog_remove(ts_agent *a, const int64_t *product_ids, size_t n, ts_catalog_done_fn done,
                      void *arg)
{
    uint32_t ver;
    int rc = live_version(a, &ver);
    return rc ? rc
              : submit_rows(a->catalog, OP_REMOVE, ver, product_ids, n * sizeof(*product_ids), n,
                            done, arg);
}

int ts_catalog_set_stock(ts_agent *a, const ts_catalog_stock *s, size_t n, ts_catalog_done_fn done,
                         void *arg)
{
    uint32_t ver;
    int rc = live_version(a, &ver);
    return rc ? rc : submit_rows(a->catalog, OP_SET_STOCK, ver, s, n * sizeof(*s), n, done, arg);
}

int ts_catalog_mark_delta(ts_agent *a, int64_t as_of_ms, int64_t delta_at_ms, const void *meta,
                          size_t meta_len, ts_buf *inputs, size_t n_inputs, ts_catalog_done_fn done,
                          void *arg)
{
    uint32_t ver;
    int rc = live_version(a, &ver);
    if (rc != 0)
        return rc;
    cat_op *op = new_op(a->catalog, OP_STATE, ver, done, arg);
    if (!op || set_meta(op, meta, meta_len) != 0) {
        free(op);
        return TS_ENOMEM;
    }
    op->info = a->catalog->info;
    op->info.as_of_ms = as_of_ms;
    op->info.delta_at_ms = delta_at_ms;
    if (inputs && n_inputs) {
        if (!ts_buf_ok(inputs)) {
            free(op->rows);
            free(op);
            return TS_ETOOBIG;
        }
        op->inputs = (unsigned char *)ts_buf_take(inputs, &op->inputs_len);
        op->n_inputs = n_inputs;
    }
    return submit(op);
}

/* ---- pricing inputs ---------------------------------------------------- */

void ts_catalog_input_row(ts_buf *rows, char kind, int64_t id, const void *data, size_t len)
{
    unsigned char head[INPUT_ROW_HEAD];
    uint16_t len16 = (uint16_t)len;
    if (len > TS_CATALOG_INPUT_MAX) {
        rows->failed = 1;
        return;
    }
    head[0] = (unsigned char)kind;
    memcpy(head + 1, &id, 8);
    memcpy(head + 9, &len16, 2);
    ts_buf_append(rows, head, sizeof(head));
    ts_buf_append(rows, data, len);
}

int ts_catalog_put_inputs(ts_agent *a, ts_catalog_build *b, const ts_buf *rows, size_t n,
                          ts_catalog_done_fn done, void *arg)
{
    uint32_t ver;
    if (!ts_buf_ok(rows))
        return TS_ETOOBIG;
    if (b)
        ver = b->version;
    else if (live_version(a, &ver) != 0)
        return TS_ENOTFOUND;
    return submit_rows(a->catalog, OP_INPUTS, ver, rows->data, rows->len, n, done, arg);
}

/* The inputs of one kind of the view, in id order, to fn. */
static int inputs_of_kind(MDB_cursor *cur, uint32_t version, char kind, ts_catalog_input_fn fn,
                          void *arg, int *err)
{
    unsigned char kb[5];
    put_be32(kb, version);
    kb[4] = (unsigned char)kind;
    MDB_val k = {5, kb}, v;
    int rc;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && *err == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const unsigned char *kp = k.mv_data;
        if (k.mv_size != 13 || get_be32(kp) != version || (char)kp[4] != kind)
            break;
        *err = fn(arg, kind, (int64_t)get_be64(kp + 5), v.mv_data, v.mv_size);
    }
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : ts_store_err(rc);
}

int ts_catalog_inputs_each(ts_agent *a, const char *kinds, ts_catalog_input_fn fn, void *arg)
{
    ts_catalog_reader r;
    int rc = ts_catalog_read_begin(a, &r);
    if (rc != 0)
        return rc;
    MDB_cursor *cur;
    rc = mdb_cursor_open(r.txn, a->catalog->inputs, &cur);
    if (rc != 0) {
        ts_catalog_read_end(&r);
        return ts_store_err(rc);
    }
    int err = 0;
    for (const char *k = kinds; *k && rc == 0 && err == 0; k++)
        rc = inputs_of_kind(cur, r.version, *k, fn, arg, &err);
    mdb_cursor_close(cur);
    ts_catalog_read_end(&r);
    trim_map(a->catalog);
    return err != 0 ? err : rc;
}

int ts_catalog_scan(ts_agent *a, int64_t after_id, ts_catalog_item *out, size_t max, size_t *n)
{
    ts_catalog_reader r;
    *n = 0;
    int rc = ts_catalog_read_begin(a, &r);
    if (rc != 0)
        return rc;
    MDB_cursor *cur;
    rc = mdb_cursor_open(r.txn, a->catalog->items, &cur);
    if (rc != 0) {
        ts_catalog_read_end(&r);
        return ts_store_err(rc);
    }
    unsigned char kb[12];
    MDB_val k = id_key(kb, r.version, after_id), v;
    int err = 0;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && *n < max) {
        if (k.mv_size != 12 || get_be32(k.mv_data) != r.version)
            break;
        int64_t id = (int64_t)get_be64((const unsigned char *)k.mv_data + 4);
        if (id > after_id) {
            err = ts_catalog_record_decode(v.mv_data, v.mv_size, &out[*n]);
            if (err != 0)
                break;
            (*n)++;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    ts_catalog_read_end(&r);
    trim_map(a->catalog); /* a scan of every product maps the whole tree */
    if (err != 0)
        return err;
    return rc == 0 || rc == MDB_NOTFOUND ? 0 : ts_store_err(rc);
}
