/*
 * inputs.h - the pricing inputs kept in the copy beside the products, as
 * stored records (pure: no I/O, fuzzable).
 *
 * Odoo's raw records a price is derived from (odoo-sync.md, "The copy keeps
 * Odoo's raw records"): pricelist items, categories, units of measure, and
 * one "meta" record with the currencies, the Product Price precision, the
 * copy's identity (which Odoo, database, pricelist, location and company it
 * was read from) and the delta watermark. catalog.c stores them by kind and
 * id in each version; these functions give their bytes. Records are in the
 * machine's byte order (an LMDB file never moves between machines) and
 * start with a format byte. A decoder checks every length and range and
 * returns TS_EFORMAT for anything else: a truncated or garbled record never
 * reads past its end, and the copy is then read again from Odoo.
 */
#ifndef TILLSYNC_INPUTS_H
#define TILLSYNC_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "odoo/odoo_parse.h"
#include "odoo/pricing.h"

/* Kinds (catalog keys: version + kind + id). */
#define TS_INPUT_META 'M'
#define TS_INPUT_ITEM 'I'
#define TS_INPUT_CATEG 'C'
#define TS_INPUT_UOM 'U'
/* What a delta compares its small reads with (a record's version as
 * applied to the copy): a quant (value: quantity scaled), a template
 * (list_price), an attribute value (price_extra), a product left out of the
 * copy (value 0). A product in the copy has its write_date in its record. */
#define TS_INPUT_QUANT 'Q'
#define TS_INPUT_TEMPLATE 'T'
#define TS_INPUT_PTAV 'V'
#define TS_INPUT_LEFT_OUT 'P'
#define TS_INPUT_STAMP_SIZE 17

#define TS_INPUT_ITEM_SIZE 160
#define TS_INPUT_UOM_NAME_MAX 64
#define TS_INPUTS_BASES_MAX 16 /* pricelists the store's is based on */
#define TS_INPUT_META_MAX (64 + TS_URL_MAX + 128 + (2 + TS_INPUTS_BASES_MAX) * 56)

/* Which Odoo, database, pricelist, location and company a copy is of. */
typedef struct ts_inputs_identity {
    char url[TS_URL_MAX];
    char db[128];
    int64_t pricelist_id;
    int64_t location_id;
    int64_t company_id;
} ts_inputs_identity;

typedef struct ts_inputs_meta {
    ts_inputs_identity who;
    int64_t window_from_ms; /* Odoo's time when the last successful read began */
    int64_t company_currency_id, pricelist_currency_id; /* pricelist's 0: none */
    ts_odoo_currency company_cur, pricelist_cur;
    int price_digits; /* decimal.precision "Product Price", 0..6 */
    /* The base pricelists read with the store's (their items are kept as
     * TS_INPUT_ITEM): id, currency_id (0: not given) and that currency. */
    size_t n_bases;
    int64_t base_ids[TS_INPUTS_BASES_MAX], base_currency_ids[TS_INPUTS_BASES_MAX];
    ts_odoo_currency base_curs[TS_INPUTS_BASES_MAX];
} ts_inputs_meta;

/* The identity the config asks for. */
void ts_inputs_identity_of(const ts_odoo_config *cfg, ts_inputs_identity *out);
/* 1 when both name the same copy. */
int ts_inputs_identity_same(const ts_inputs_identity *a, const ts_inputs_identity *b);

/* Encoders return the record's length (at most cap), or 0 when it does not
 * fit. Decoders return 0 or TS_EFORMAT. */
size_t ts_inputs_meta_encode(const ts_inputs_meta *m, unsigned char *out, size_t cap);
int ts_inputs_meta_decode(const void *data, size_t len, ts_inputs_meta *out);

/* A pricelist item: always TS_INPUT_ITEM_SIZE bytes. The decoded item is
 * zeroed first, so it compares with memcmp as a parsed one does. */
size_t ts_inputs_item_encode(const ts_price_item *it, unsigned char *out, size_t cap);
int ts_inputs_item_decode(const void *data, size_t len, ts_price_item *out);

/* A category's parent_path ("1/2/8/", digits and slashes only). */
size_t ts_inputs_categ_encode(const char *parent_path, unsigned char *out, size_t cap);
int ts_inputs_categ_decode(const void *data, size_t len, char out[TS_PARENT_PATH_MAX]);

/* A unit of measure: its rounding step and name. */
size_t ts_inputs_uom_encode(double rounding, const char *name, unsigned char *out, size_t cap);
int ts_inputs_uom_decode(const void *data, size_t len, double *rounding,
                         char name[TS_INPUT_UOM_NAME_MAX + 1]);

/* A record's version as applied: its write_date (UTC seconds) and value. */
size_t ts_inputs_stamp_encode(int64_t write_s, double value, unsigned char *out, size_t cap);
int ts_inputs_stamp_decode(const void *data, size_t len, int64_t *write_s, double *value);

#endif
