/*
 * inputs.c - stored pricing inputs (layout in inputs.h).
 */
#include "odoo/inputs.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"

#define META_FORMAT 2 /* 2: the base pricelists */
#define ITEM_FORMAT 1
#define CATEG_FORMAT 1
#define UOM_FORMAT 1
#define STAMP_FORMAT 1

/* A bounded writer and reader: a field that does not fit fails the whole
 * record, never writes or reads past it. */
typedef struct wr {
    unsigned char *p;
    size_t len, cap;
    int fail;
} wr;

typedef struct rd {
    const unsigned char *p;
    size_t len, pos;
    int fail;
} rd;

static void put(wr *w, const void *v, size_t n)
{
    if (w->fail || n > w->cap - w->len) {
        w->fail = 1;
        return;
    }
    memcpy(w->p + w->len, v, n);
    w->len += n;
}

static void put_u8(wr *w, unsigned v)
{
    unsigned char b = (unsigned char)v;
    put(w, &b, 1);
}

static void put_i64(wr *w, int64_t v)
{
    put(w, &v, 8);
}

static void put_f64(wr *w, double v)
{
    put(w, &v, 8);
}

static void put_str(wr *w, const char *s)
{
    size_t n = strlen(s);
    if (n > UINT16_MAX) {
        w->fail = 1;
        return;
    }
    uint16_t n16 = (uint16_t)n;
    put(w, &n16, 2);
    put(w, s, n);
}

static void get(rd *r, void *v, size_t n)
{
    if (r->fail || n > r->len - r->pos) {
        r->fail = 1;
        memset(v, 0, n);
        return;
    }
    memcpy(v, r->p + r->pos, n);
    r->pos += n;
}

static unsigned get_u8(rd *r)
{
    unsigned char b;
    get(r, &b, 1);
    return b;
}

static int64_t get_i64(rd *r)
{
    int64_t v;
    get(r, &v, 8);
    return v;
}

static double get_f64(rd *r)
{
    double v;
    get(r, &v, 8);
    return v;
}

/* A string of at most cap - 1 bytes with no NUL in it. */
static void get_str(rd *r, char *out, size_t cap)
{
    uint16_t n;
    get(r, &n, 2);
    out[0] = '\0';
    if (r->fail || n >= cap || n > r->len - r->pos || memchr(r->p + r->pos, 0, n)) {
        r->fail = 1;
        return;
    }
    memcpy(out, r->p + r->pos, n);
    out[n] = '\0';
    r->pos += n;
}

static int done(const rd *r)
{
    return r->fail || r->pos != r->len ? TS_EFORMAT : 0;
}

/* ---- identity ---------------------------------------------------------- */

void ts_inputs_identity_of(const ts_odoo_config *cfg, ts_inputs_identity *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->url, sizeof(out->url), "%s", cfg->url);
    snprintf(out->db, sizeof(out->db), "%s", cfg->db);
    out->pricelist_id = cfg->pricelist_id;
    out->location_id = cfg->location_id;
    out->company_id = cfg->company_id;
}

int ts_inputs_identity_same(const ts_inputs_identity *a, const ts_inputs_identity *b)
{
    return strcmp(a->url, b->url) == 0 && strcmp(a->db, b->db) == 0 &&
           a->pricelist_id == b->pricelist_id && a->location_id == b->location_id &&
           a->company_id == b->company_id;
}

/* ---- meta -------------------------------------------------------------- */

static void put_currency(wr *w, const ts_odoo_currency *c)
{
    put_i64(w, c->id);
    put(w, c->name, sizeof(c->name));
    put_u8(w, (unsigned)c->cur.decimal_places);
    put_i64(w, c->cur.rate.scaled);
    put_i64(w, c->cur.rounding.scaled);
}

static void get_currency_raw(rd *r, ts_odoo_currency *c)
{
    memset(c, 0, sizeof(*c));
    c->id = get_i64(r);
    get(r, c->name, sizeof(c->name));
    c->name[sizeof(c->name) - 1] = '\0';
    c->cur.decimal_places = (int)get_u8(r);
    c->cur.rate.scaled = get_i64(r);
    c->cur.rounding.scaled = get_i64(r);
}

static int currency_ok(const ts_odoo_currency *c)
{
    return c->cur.decimal_places <= 9 && c->cur.rate.scaled > 0 && c->cur.rounding.scaled >= 0;
}

static void get_currency(rd *r, ts_odoo_currency *c)
{
    get_currency_raw(r, c);
    if (!currency_ok(c))
        r->fail = 1;
}

size_t ts_inputs_meta_encode(const ts_inputs_meta *m, unsigned char *out, size_t cap)
{
    wr w = {out, 0, cap, 0};
    put_u8(&w, META_FORMAT);
    put_str(&w, m->who.url);
    put_str(&w, m->who.db);
    put_i64(&w, m->who.pricelist_id);
    put_i64(&w, m->who.location_id);
    put_i64(&w, m->who.company_id);
    put_i64(&w, m->window_from_ms);
    put_i64(&w, m->company_currency_id);
    put_i64(&w, m->pricelist_currency_id);
    put_currency(&w, &m->company_cur);
    put_currency(&w, &m->pricelist_cur);
    put_u8(&w, (unsigned)m->price_digits);
    put_u8(&w, m->n_bases <= TS_INPUTS_BASES_MAX ? (unsigned)m->n_bases : 255u);
    for (size_t i = 0; i < m->n_bases && i < TS_INPUTS_BASES_MAX; i++) {
        put_i64(&w, m->base_ids[i]);
        put_i64(&w, m->base_currency_ids[i]);
        put_currency(&w, &m->base_curs[i]);
    }
    return w.fail || m->n_bases > TS_INPUTS_BASES_MAX ? 0 : w.len;
}

int ts_inputs_meta_decode(const void *data, size_t len, ts_inputs_meta *out)
{
    rd r = {data, len, 0, 0};
    memset(out, 0, sizeof(*out));
    if (get_u8(&r) != META_FORMAT)
        return TS_EFORMAT;
    get_str(&r, out->who.url, sizeof(out->who.url));
    get_str(&r, out->who.db, sizeof(out->who.db));
    out->who.pricelist_id = get_i64(&r);
    out->who.location_id = get_i64(&r);
    out->who.company_id = get_i64(&r);
    out->window_from_ms = get_i64(&r);
    out->company_currency_id = get_i64(&r);
    out->pricelist_currency_id = get_i64(&r);
    get_currency(&r, &out->company_cur);
    get_currency(&r, &out->pricelist_cur);
    out->price_digits = (int)get_u8(&r);
    out->n_bases = get_u8(&r);
    if (out->n_bases > TS_INPUTS_BASES_MAX)
        return TS_EFORMAT;
    for (size_t i = 0; i < out->n_bases; i++) {
        out->base_ids[i] = get_i64(&r);
        out->base_currency_ids[i] = get_i64(&r);
        /* currency_id 0: not given by Odoo, the list priced as a fallback */
        get_currency_raw(&r, &out->base_curs[i]);
        if (out->base_currency_ids[i] && !currency_ok(&out->base_curs[i]))
            r.fail = 1;
        if (out->base_ids[i] <= 0 || out->base_currency_ids[i] < 0)
            r.fail = 1;
    }
    if (out->price_digits > 6 || out->company_currency_id <= 0 || out->pricelist_currency_id < 0)
        return TS_EFORMAT;
    return done(&r);
}

/* ---- pricelist items --------------------------------------------------- */

size_t ts_inputs_item_encode(const ts_price_item *it, unsigned char *out, size_t cap)
{
    wr w = {out, 0, cap, 0};
    put_u8(&w, ITEM_FORMAT);
    put_u8(&w, (unsigned)it->applied_on);
    put_u8(&w, (unsigned)it->compute_price);
    put_u8(&w, (unsigned)it->base);
    put_i64(&w, it->id);
    put_i64(&w, it->product_id);
    put_i64(&w, it->product_tmpl_id);
    put_i64(&w, it->categ_id);
    const ts_decimal d[9] = {it->min_quantity,     it->fixed_price,      it->percent_price,
                             it->price_discount,   it->price_round,      it->price_surcharge,
                             it->price_min_margin, it->price_max_margin, {0}};
    for (int i = 0; i < 9; i++)
        put_i64(&w, d[i].scaled);
    put_i64(&w, it->date_start_ms);
    put_i64(&w, it->date_end_ms);
    put_i64(&w, it->pricelist_id);
    put_i64(&w, it->base_pricelist_id);
    while (!w.fail && w.len < TS_INPUT_ITEM_SIZE)
        put_u8(&w, 0);
    return w.fail ? 0 : w.len;
}

int ts_inputs_item_decode(const void *data, size_t len, ts_price_item *out)
{
    rd r = {data, len, 0, 0};
    memset(out, 0, sizeof(*out));
    if (len != TS_INPUT_ITEM_SIZE || get_u8(&r) != ITEM_FORMAT)
        return TS_EFORMAT;
    unsigned applied = get_u8(&r), compute = get_u8(&r), base = get_u8(&r);
    if (applied > TS_APPLIED_GLOBAL || compute > TS_COMPUTE_OTHER || base > TS_BASE_OTHER)
        return TS_EFORMAT;
    out->applied_on = (ts_applied_on)applied;
    out->compute_price = (ts_compute_price)compute;
    out->base = (ts_price_base)base;
    out->id = get_i64(&r);
    out->product_id = get_i64(&r);
    out->product_tmpl_id = get_i64(&r);
    out->categ_id = get_i64(&r);
    ts_decimal *d[8] = {&out->min_quantity,     &out->fixed_price,     &out->percent_price,
                        &out->price_discount,   &out->price_round,     &out->price_surcharge,
                        &out->price_min_margin, &out->price_max_margin};
    for (int i = 0; i < 8; i++)
        d[i]->scaled = get_i64(&r);
    (void)get_i64(&r); /* reserved */
    out->date_start_ms = get_i64(&r);
    out->date_end_ms = get_i64(&r);
    out->pricelist_id = get_i64(&r);
    out->base_pricelist_id = get_i64(&r);
    if (r.fail || out->id <= 0)
        return TS_EFORMAT;
    return 0; /* the rest is padding */
}

/* ---- categories and units ---------------------------------------------- */

size_t ts_inputs_categ_encode(const char *parent_path, unsigned char *out, size_t cap)
{
    wr w = {out, 0, cap, 0};
    put_u8(&w, CATEG_FORMAT);
    put_str(&w, parent_path);
    return w.fail ? 0 : w.len;
}

int ts_inputs_categ_decode(const void *data, size_t len, char out[TS_PARENT_PATH_MAX])
{
    rd r = {data, len, 0, 0};
    if (get_u8(&r) != CATEG_FORMAT) {
        out[0] = '\0';
        return TS_EFORMAT;
    }
    get_str(&r, out, TS_PARENT_PATH_MAX);
    if (strspn(out, "0123456789/") != strlen(out))
        r.fail = 1;
    return done(&r);
}

size_t ts_inputs_uom_encode(double rounding, const char *name, unsigned char *out, size_t cap)
{
    wr w = {out, 0, cap, 0};
    put_u8(&w, UOM_FORMAT);
    put_f64(&w, rounding);
    put_str(&w, name);
    return w.fail ? 0 : w.len;
}

int ts_inputs_uom_decode(const void *data, size_t len, double *rounding,
                         char name[TS_INPUT_UOM_NAME_MAX + 1])
{
    rd r = {data, len, 0, 0};
    name[0] = '\0';
    if (get_u8(&r) != UOM_FORMAT)
        return TS_EFORMAT;
    *rounding = get_f64(&r);
    get_str(&r, name, TS_INPUT_UOM_NAME_MAX + 1);
    if (!(*rounding >= 0) || !isfinite(*rounding))
        r.fail = 1;
    return done(&r);
}

/* ---- versions as applied ----------------------------------------------- */

size_t ts_inputs_stamp_encode(int64_t write_s, double value, unsigned char *out, size_t cap)
{
    wr w = {out, 0, cap, 0};
    put_u8(&w, STAMP_FORMAT);
    put_i64(&w, write_s);
    put_f64(&w, value);
    return w.fail ? 0 : w.len;
}

int ts_inputs_stamp_decode(const void *data, size_t len, int64_t *write_s, double *value)
{
    rd r = {data, len, 0, 0};
    if (get_u8(&r) != STAMP_FORMAT)
        return TS_EFORMAT;
    *write_s = get_i64(&r);
    *value = get_f64(&r);
    return done(&r);
}
