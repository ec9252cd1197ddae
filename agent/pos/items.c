/*
 * items.c - the tills' look-ups in the price and stock copy.
 *
 *   GET /v1/items/{sku}                 one item, or 404 unknown_sku
 *   GET /v1/items?sku=A&sku=B (<= 200)  {"items": [...], "unknown": [...]}
 *   GET /v1/items?barcode=X             one item, or 404 unknown_barcode
 *   (several barcodes, or barcodes with SKUs, answer in the bulk form)
 *
 * pending_out comes from the txn log: moves of this store's txns that the
 * copy does not reflect yet, i.e. txns central had not acknowledged at
 * least odoo.reflect_margin_s before the copy's read began.
 */
#include "pos/items.h"

#include <stdio.h>
#include <string.h>

#include "http/reply.h"
#include "odoo/catalog.h"
#include "core/clock.h"
#include "config/config.h"
#include "core/error.h"
#include "store/txnlog.h"

#define VALUE_MAX 256            /* a decoded sku or barcode; longer: unknown */
#define ANSWER_MAX (1024 * 1024) /* 200 items fit many times over */

#define QTY_MAX_MILLI INT64_C(1000000000) /* 1 000 000, as a txn line's qty */

static ts_items_counters counters;

typedef struct lookup {
    char value[VALUE_MAX + 1];
    int by_barcode;
} lookup;

/* ---- query parsing ---------------------------------------------------- */

/* SKUs and barcodes are printable: a decoded control character is refused. */
static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

typedef struct query_error {
    const char *code;
    char message[160];
} query_error;

/* ?qty=: a number > 0 with at most 3 decimals (pos-api.md), in thousandths. */
static int parse_qty(const char *s, size_t len, int64_t *milli)
{
    int64_t whole = 0, frac = 0;
    size_t i = 0, digits = 0, places = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        whole = whole * 10 + (s[i] - '0');
        if (whole > QTY_MAX_MILLI / 1000)
            return TS_EINVAL;
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, places++) {
            if (places == 3)
                return TS_EINVAL;
            frac = frac * 10 + (s[i] - '0');
        }
        if (places == 0)
            return TS_EINVAL;
    }
    if (i != len || digits == 0)
        return TS_EINVAL;
    for (; places < 3; places++)
        frac *= 10;
    *milli = whole * 1000 + frac;
    return *milli > 0 && *milli <= QTY_MAX_MILLI ? 0 : TS_EINVAL;
}

static void bad_qty(query_error *qe)
{
    qe->code = "invalid_qty";
    snprintf(qe->message, sizeof(qe->message),
             "qty must be a number above 0, at most 1000000, with at most 3 decimals");
}

/* Splits "sku=A&sku=B&barcode=C&qty=Q" into lookups (max 0: qty only). */
static int parse_query(ts_str q, lookup *out, size_t max, size_t *n, int64_t *qty_milli,
                       query_error *qe)
{
    ts_http_query_iter it;
    ts_http_query_param p;
    int rc, have_qty = 0;
    *n = 0;
    ts_http_query_init(&it, q);
    while ((rc = ts_http_query_next(&it, &p)) == 1) {
        if (strcmp(p.name, "qty") == 0) {
            if (have_qty++ || parse_qty(p.value, p.value_len, qty_milli) != 0) {
                bad_qty(qe);
                return TS_EINVAL;
            }
            continue;
        }
        if (max == 0)
            continue; /* the path names the item; other parameters are not ours */
        int is_sku = strcmp(p.name, "sku") == 0;
        if (!is_sku && strcmp(p.name, "barcode") != 0) {
            qe->code = "invalid_query";
            snprintf(qe->message, sizeof(qe->message),
                     "the query takes only sku=..., barcode=... and qty=... parameters");
            return TS_EINVAL;
        }
        if (*n == max) {
            qe->code = "too_many_skus";
            snprintf(qe->message, sizeof(qe->message),
                     "at most %d SKUs or barcodes per request; split the list", TS_ITEMS_BULK_MAX);
            return TS_EINVAL;
        }
        if (p.value_len == 0 || has_control(p.value)) {
            qe->code = is_sku ? "invalid_sku" : "invalid_barcode";
            snprintf(qe->message, sizeof(qe->message), "a %s parameter is empty or badly encoded",
                     is_sku ? "sku" : "barcode");
            return TS_EINVAL;
        }
        lookup *l = &out[(*n)++];
        l->by_barcode = !is_sku;
        /* longer than any SKU or barcode can be: kept cut, answered as unknown */
        size_t len = p.value_len < VALUE_MAX ? p.value_len : VALUE_MAX;
        memcpy(l->value, p.value, len);
        l->value[len] = '\0';
    }
    if (rc < 0) {
        qe->code = "invalid_query";
        snprintf(qe->message, sizeof(qe->message),
                 "the query is badly encoded or too long; see /v1/items in the POS API");
        return TS_EINVAL;
    }
    if (*n == 0 && max > 0) {
        qe->code = "invalid_query";
        snprintf(qe->message, sizeof(qe->message),
                 "name at least one item: /v1/items/{sku}, ?sku=... or ?barcode=...");
        return TS_EINVAL;
    }
    return 0;
}

/* ---- answers ---------------------------------------------------------- */

/* A quantity in thousandths as a JSON number: 14, 0.345, -2.5. */
static void put_qty(ts_buf *b, int64_t milli)
{
    uint64_t m = milli < 0 ? (uint64_t)0 - (uint64_t)milli : (uint64_t)milli;
    const char *sign = milli < 0 ? "-" : "";
    unsigned frac = (unsigned)(m % 1000);
    if (frac == 0) {
        ts_buf_printf(b, "%s%llu", sign, (unsigned long long)(m / 1000));
        return;
    }
    char f[4];
    snprintf(f, sizeof(f), "%03u", frac);
    for (int i = 2; i > 0 && f[i] == '0'; i--)
        f[i] = '\0';
    ts_buf_printf(b, "%s%llu.%s", sign, (unsigned long long)(m / 1000), f);
}

static void put_opt_string(ts_buf *b, const char *s)
{
    if (s[0])
        ts_buf_json_string(b, s, strlen(s));
    else
        ts_buf_puts(b, "null");
}

typedef struct view {
    ts_catalog_reader r;
    int64_t qty_milli;      /* the quantity prices are for */
    uint64_t reflected_seq; /* txns up to here are in the copy's on_hand */
    char as_of[TS_RFC3339_LEN];
    int64_t age_s;
    int stale;
} view;

/* "price": Odoo's unit price at the quantity, the currency's rounding step,
 * the line amount Odoo's POS charges, and the tiers above the quantity. */
static void put_price(const view *v, const ts_catalog_item *it, ts_buf *b)
{
    double qty = (double)v->qty_milli / 1000.0;
    ts_price p;
    int64_t line = 0;
    char exact[TS_DECIMAL_TEXT_LEN];
    ts_catalog_item_price_at(it, qty, &p);
    ts_buf_printf(b, ",\"price\":{\"amount\":%lld,\"currency\":", (long long)p.amount_minor);
    ts_buf_json_string(b, v->r.currency, strlen(v->r.currency));
    ts_buf_printf(b, ",\"rounding\":%lld,\"source\":\"%s\",\"qty\":",
                  (long long)(p.rounding_minor > 0 ? p.rounding_minor : 1),
                  ts_price_source_name(p.source));
    put_qty(b, v->qty_milli);
    if (ts_price_line_amount(&p, qty, &line) == 0)
        ts_buf_printf(b, ",\"line_amount\":%lld", (long long)line);
    else
        ts_buf_puts(b, ",\"line_amount\":null");
    if (ts_price_unit_exact(&p, exact))
        ts_buf_printf(b, ",\"unit_exact\":\"%s\"", exact);
    ts_buf_puts(b, ",\"tiers\":[");
    int first = 1;
    for (size_t i = 0; i < it->n_tiers; i++) {
        if (!(it->tiers[i].min_qty > qty))
            continue;
        ts_buf_printf(b, "%s{\"min_qty\":%.15g,\"amount\":%lld}", first ? "" : ",",
                      it->tiers[i].min_qty, (long long)it->tiers[i].amount_minor);
        first = 0;
    }
    ts_buf_puts(b, "]}");
}

static void put_item(ts_agent *a, const view *v, const ts_catalog_item *it, ts_buf *b)
{
    /* Moves are kept by the SKU the till sent; a product with only a
     * barcode is sold under its barcode. */
    const char *key = it->sku[0] ? it->sku : it->barcode;
    int64_t pending = ts_txnlog_pending_out(a, key, v->reflected_seq);
    ts_buf_puts(b, "{\"sku\":");
    put_opt_string(b, it->sku);
    ts_buf_puts(b, ",\"name\":");
    ts_buf_json_string(b, it->name, strlen(it->name));
    ts_buf_puts(b, ",\"barcode\":");
    put_opt_string(b, it->barcode);
    put_price(v, it, b);
    ts_buf_puts(b, ",\"stock\":{\"on_hand\":");
    put_qty(b, it->on_hand_milli);
    ts_buf_puts(b, ",\"pending_out\":");
    put_qty(b, pending);
    ts_buf_puts(b, ",\"available\":");
    put_qty(b, it->on_hand_milli - pending);
    ts_buf_puts(b, ",\"uom\":");
    ts_buf_json_string(b, it->uom, strlen(it->uom));
    if (it->ambiguous)
        ts_buf_puts(b, "},\"ambiguous\":true");
    else
        ts_buf_puts(b, "}");
    ts_buf_printf(b, ",\"as_of\":\"%s\",\"snapshot_age_s\":%lld,\"stale\":%s}", v->as_of,
                  (long long)v->age_s, v->stale ? "true" : "false");
}

static int open_view(ts_agent *a, view *v)
{
    int rc = ts_catalog_read_begin(a, &v->r);
    if (rc != 0)
        return rc;
    int64_t cutoff = v->r.as_of_ms - a->cfg->odoo.reflect_margin_s * 1000;
    v->reflected_seq = ts_txnlog_acked_before(a, cutoff);
    ts_format_rfc3339_s(v->r.as_of_ms, v->as_of);
    v->age_s = (ts_wall_ms() - v->r.as_of_ms) / 1000;
    if (v->age_s < 0)
        v->age_s = 0;
    v->stale = v->age_s > a->cfg->odoo.stale_after_s;
    return 0;
}

static int find(view *v, const lookup *l, ts_catalog_item *it)
{
    int rc = l->by_barcode ? ts_catalog_find_barcode(&v->r, l->value, it)
                           : ts_catalog_find_sku(&v->r, l->value, it);
    if (rc == 0)
        counters.found++;
    else
        counters.unknown++;
    return rc;
}

static void answer_one(ts_agent *a, ts_http_exchange *ex, view *v, const lookup *l)
{
    ts_catalog_item it;
    int rc = find(v, l, &it);
    if (rc == TS_ENOTFOUND) {
        ts_catalog_read_end(&v->r);
        if (l->by_barcode)
            ts_reply_error(ex, 404, "unknown_barcode", "no item with this barcode in the copy",
                           NULL, "");
        else
            ts_reply_error(ex, 404, "unknown_sku", "no item with this SKU in the copy", NULL, "");
        return;
    }
    if (rc != 0) {
        ts_catalog_read_end(&v->r);
        ts_reply_error(ex, 503, "storage_unavailable", "the local copy cannot be read", NULL, "");
        return;
    }
    ts_buf b;
    ts_buf_init(&b, ANSWER_MAX);
    put_item(a, v, &it, &b);
    ts_catalog_read_end(&v->r);
    ts_reply_json(ex, 200, &b);
    ts_buf_free(&b);
}

static void answer_bulk(ts_agent *a, ts_http_exchange *ex, view *v, const lookup *ls, size_t n)
{
    ts_buf b, unknown;
    ts_buf_init(&b, ANSWER_MAX);
    ts_buf_init(&unknown, ANSWER_MAX);
    ts_buf_puts(&b, "{\"items\":[");
    size_t found = 0, missing = 0;
    for (size_t i = 0; i < n; i++) {
        ts_catalog_item it;
        if (find(v, &ls[i], &it) == 0) {
            if (found++)
                ts_buf_puts(&b, ",");
            put_item(a, v, &it, &b);
        } else {
            if (missing++)
                ts_buf_puts(&unknown, ",");
            ts_buf_json_string(&unknown, ls[i].value, strlen(ls[i].value));
        }
    }
    ts_catalog_read_end(&v->r);
    ts_buf_puts(&b, "],\"unknown\":[");
    if (unknown.len)
        ts_buf_append(&b, unknown.data, unknown.len);
    ts_buf_puts(&b, "]}");
    if (!ts_buf_ok(&unknown))
        b.failed = 1;
    ts_reply_json(ex, 200, &b);
    ts_buf_free(&b);
    ts_buf_free(&unknown);
}

static void refuse(ts_http_exchange *ex, int status, const char *code, const char *message,
                   const char *headers)
{
    counters.refused++;
    ts_reply_error(ex, status, code, message, NULL, headers);
}

void ts_items_handle(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req)
{
    static lookup lookups[TS_ITEMS_BULK_MAX]; /* the loop is single-threaded */
    counters.requests++;
    if (!ts_str_eq(req->method, "GET") && !ts_str_eq(req->method, "HEAD")) {
        refuse(ex, 405, "method_not_allowed", "items are read with GET", "Allow: GET\r\n");
        return;
    }
    if (!a->cfg->odoo.enabled) {
        refuse(ex, 404, "no_price_copy",
               "this agent keeps no price and stock copy: its config has no odoo section", "");
        return;
    }
    const char *prefix = "/v1/items";
    size_t plen = strlen(prefix);
    size_t n = 0;
    query_error qe = {"invalid_query", ""};
    int single = 0;
    int64_t qty_milli = 1000;
    if (req->path.len > plen + 1 && req->path.p[plen] == '/') {
        single = 1;
        n = 1;
        lookups[0].by_barcode = 0;
        ts_str segment = {req->path.p + plen + 1, req->path.len - plen - 1};
        int rc = ts_http_decode_segment(segment, lookups[0].value, sizeof(lookups[0].value), NULL);
        if (rc == TS_ETOOBIG) {
            counters.unknown++;
            refuse(ex, 404, "unknown_sku", "no item with this SKU in the copy", "");
            return;
        }
        if (rc != 0 || has_control(lookups[0].value)) {
            refuse(ex, 400, "invalid_sku", "the SKU in the path is badly encoded", "");
            return;
        }
        size_t none;
        if (req->query.len && parse_query(req->query, NULL, 0, &none, &qty_milli, &qe) != 0) {
            refuse(ex, 400, qe.code, qe.message, "");
            return;
        }
    } else if (req->path.len == plen) {
        if (parse_query(req->query, lookups, TS_ITEMS_BULK_MAX, &n, &qty_milli, &qe) != 0) {
            refuse(ex, 400, qe.code, qe.message, "");
            return;
        }
        single = n == 1 && lookups[0].by_barcode;
    } else {
        refuse(ex, 404, "not_found", "no such path; see /v1/items/{sku}", "");
        return;
    }
    view v;
    int rc = open_view(a, &v);
    if (rc == TS_ENOTFOUND) {
        refuse(ex, 503, "no_price_copy",
               "no price and stock copy yet: the first snapshot from Odoo has not completed "
               "(see odoo in /v1/status)",
               "Retry-After: 30\r\n");
        return;
    }
    if (rc != 0) {
        refuse(ex, 503, "storage_unavailable", "the local copy cannot be read", "");
        return;
    }
    v.qty_milli = qty_milli;
    if (single)
        answer_one(a, ex, &v, &lookups[0]);
    else
        answer_bulk(a, ex, &v, lookups, n);
}

void ts_items_get_counters(ts_items_counters *out)
{
    *out = counters;
}
