/*
 * odoo_parse.h - Odoo's answers to typed records (pure: no I/O, fuzzable).
 *
 * Owns the reading of Odoo's shapes (odoo-sync.md, transcripts): the
 * JSON-RPC envelope ({"result": ...} or {"error": {"data": {"name",
 * "message"}}}), JSON-2 answers (bare result, or {"name", "message"} with a
 * 4xx/5xx), false for an empty value, many2one as [id, "name"], write_date
 * as "YYYY-MM-DD HH:MM:SS" UTC, floats as exact decimals (pricing.h).
 * Error text keeps only name and message: never the debug traceback.
 */
#ifndef TILLSYNC_ODOO_PARSE_H
#define TILLSYNC_ODOO_PARSE_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "odoo/pricing.h"
#include "sale/txn.h"

#define TS_BARCODE_MAX 64
#define TS_ITEM_NAME_MAX 200 /* bytes; longer names are cut at a UTF-8 boundary */
#define TS_PARENT_PATH_MAX 256
#define TS_ODOO_DATETIME_LEN 20 /* "YYYY-MM-DD HH:MM:SS" and NUL */
#define TS_ODOO_MAX_DEPTH 32    /* deepest nesting accepted in an answer */

typedef struct ts_odoo_error {
    char name[96];     /* "odoo.exceptions.AccessDenied" */
    char message[224]; /* "Access Denied" (one line, cut) */
} ts_odoo_error;

/*
 * Envelopes. A page of 2000 products is a large answer; it is never made
 * into one cJSON tree: the envelope is scanned for the span of its result,
 * and the records are then read one by one (ts_odoo_list).
 *
 * JSON-RPC (HTTP 200): returns 0 with the JSON text of "result" in
 * result and result_len (pointing into body); TS_EPROTO with err filled for
 * an Odoo error; TS_EINVAL (err filled) for an answer that is not JSON-RPC.
 */
int ts_odoo_parse_jsonrpc(const char *body, size_t len, const char **result, size_t *result_len,
                          ts_odoo_error *err);
/* JSON-2: 200 gives the bare result (the body); any other status an error. */
int ts_odoo_parse_json2(int http_status, const char *body, size_t len, const char **result,
                        size_t *result_len, ts_odoo_error *err);

/* A JSON list read one element at a time (each a small cJSON tree). */
typedef struct ts_odoo_list {
    const char *p;
    size_t len;
    size_t pos;
    int ended;
} ts_odoo_list;

/* TS_EINVAL when text is not a list. */
int ts_odoo_list_begin(ts_odoo_list *l, const char *text, size_t len);
/* 0 with the next element in *elem (free with cJSON_Delete), or with *elem
 * NULL at the end of the list; TS_EINVAL for malformed text. */
int ts_odoo_list_next(ts_odoo_list *l, cJSON **elem);
/* Counts the list's elements and parses only the last one (*last NULL for
 * an empty list; free it with cJSON_Delete). 0 or TS_EINVAL. */
int ts_odoo_list_last(const char *text, size_t len, size_t *count, cJSON **last);

/* Is this error Odoo's "your credentials are wrong"? */
int ts_odoo_error_is_auth(const ts_odoo_error *err);

/* Odoo values. All return 0 or TS_EINVAL (wrong shape). */
int ts_odoo_many2one_id(const cJSON *v, int64_t *id); /* false -> 0 */
int ts_odoo_int(const cJSON *v, int64_t *out);        /* integral number */
/* false -> "" ; longer than outlen-1: TS_ETOOBIG. */
int ts_odoo_string(const cJSON *v, char *out, size_t outlen);
/* "YYYY-MM-DD HH:MM:SS" or false (-> "" and 0 ms). */
int ts_odoo_datetime(const cJSON *v, char out[TS_ODOO_DATETIME_LEN], int64_t *ms);
/* A float quantity in thousandths, rounded half away from zero. */
int ts_odoo_qty_milli(const cJSON *v, int64_t *milli);

typedef struct ts_odoo_product {
    int64_t id;
    int64_t tmpl_id;
    int64_t categ_id;
    char sku[TS_SKU_MAX + 1]; /* default_code, "" when false */
    char barcode[TS_BARCODE_MAX + 1];
    char name[TS_ITEM_NAME_MAX + 1];
    ts_decimal lst_price;
    int has_raw;           /* list_price, price_extra and standard_price were read */
    double list_price;     /* the template's, company currency */
    double price_extra;    /* the variant's attribute values' price_extra */
    double standard_price; /* cost, for the company in the context */
    int64_t uom_id;        /* 0: not read */
    char write_date[TS_ODOO_DATETIME_LEN];
    int active;  /* 1 when the field was not asked for */
    int sale_ok; /* 1 when the field was not asked for */
} ts_odoo_product;

/* product.product. TS_ETOOBIG when default_code or barcode is longer than
 * the till's limits (the caller skips and counts the product). */
int ts_odoo_parse_product(const cJSON *rec, ts_odoo_product *out);

typedef struct ts_odoo_quant {
    int64_t id;
    int64_t product_id;
    int64_t uom_id;    /* product_uom_id, 0 when not read */
    ts_decimal qty;    /* exact: quants are summed before any rounding */
    int64_t qty_milli; /* qty in thousandths (one quant alone) */
    char write_date[TS_ODOO_DATETIME_LEN];
} ts_odoo_quant;

int ts_odoo_parse_quant(const cJSON *rec, ts_odoo_quant *out);

/*
 * A product's on-hand as Odoo shows it: the exact sum of its quants rounded
 * to its unit's rounding step (uom.uom rounding, e.g. 0.01 Units, 0.001 kg)
 * with float_round's HALF-UP, then in the copy's thousandths. rounding <= 0
 * or not a usable step: thousandths only.
 */
int64_t ts_odoo_stock_milli(ts_decimal sum, double uom_rounding);

/* product.pricelist.item (dates parsed as UTC). */
int ts_odoo_parse_price_item(const cJSON *rec, ts_price_item *out,
                             char write_date[TS_ODOO_DATETIME_LEN]);

typedef struct ts_odoo_category {
    int64_t id;
    char parent_path[TS_PARENT_PATH_MAX]; /* "1/2/8/" */
} ts_odoo_category;

int ts_odoo_parse_category(const cJSON *rec, ts_odoo_category *out);

typedef struct ts_odoo_currency {
    int64_t id;
    char name[8]; /* "EUR" */
    ts_currency cur;
} ts_odoo_currency;

/* res.currency with decimal_places and rate. */
int ts_odoo_parse_currency(const cJSON *rec, ts_odoo_currency *out);

/* Any record: its id and write_date (product.template in deltas). */
int ts_odoo_parse_stamp(const cJSON *rec, int64_t *id, char write_date[TS_ODOO_DATETIME_LEN]);

/* ms -> "YYYY-MM-DD HH:MM:SS" (UTC), for write_date domains. */
void ts_odoo_format_datetime(int64_t wall_ms, char out[TS_ODOO_DATETIME_LEN]);

#endif
