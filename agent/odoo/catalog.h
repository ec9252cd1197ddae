/*
 * catalog.h - the LMDB copy of prices and stock the tills look up.
 *
 * Owns the named databases (every key starts with a 4-byte big-endian
 * version, so a snapshot is built beside the live copy):
 *   cat_items    ver + product_id(BE) -> item record (sku, barcode, name, price)
 *   cat_sku      ver + sku            -> product_id
 *   cat_barcode  ver + barcode        -> product_id
 *   cat_stock    ver + product_id(BE) -> on-hand in thousandths (int64)
 *   cat_inputs   ver + kind + id(BE)  -> a pricing input (inputs.h: pricelist
 *                                       items, categories, units, one meta)
 *   cat_meta     "state"              -> active version and what it is as of
 * Each item record also keeps the product's raw pricing inputs (list price,
 * price extra, cost, unit), so a changed rule, rate or category reprices
 * from the copy alone, and a restart needs no full read of Odoo.
 * A full snapshot writes a NEW version page by page (each page one small op
 * in the store's group commit, so nothing big is held in memory) and is
 * switched in by one op that rewrites "state": a till sees all of one
 * snapshot or all of the other. Versions that are not live (the one just
 * replaced, or a snapshot that failed half-way) are dropped afterwards in
 * chunks, so no commit holds the writer for long. Deltas edit the live
 * version in place.
 *
 * Writes run on the store's writer thread; reads on the loop in short
 * read-only transactions.
 */
#ifndef TILLSYNC_CATALOG_H
#define TILLSYNC_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/agent.h"
#include "core/buf.h"
#include "odoo/odoo_parse.h"
#include "odoo/pricing.h"

#define TS_UOM_NAME_MAX 64
#define TS_CATALOG_TIERS_MAX TS_PRICE_TIERS_MAX

typedef struct ts_catalog_item {
    int64_t product_id;
    int64_t tmpl_id;
    int64_t categ_id;
    char sku[TS_SKU_MAX + 1]; /* "" when the product has only a barcode */
    char barcode[TS_BARCODE_MAX + 1];
    char name[TS_ITEM_NAME_MAX + 1];
    int64_t price_minor; /* unit price at the smallest quantity (0.001) */
    int decimal_places;
    ts_price_source source;
    double unit;            /* that price as Odoo keeps it (Product Price digits) */
    int price_digits;       /* the "Product Price" decimal precision */
    int64_t rounding_minor; /* the currency's rounding step in minor units (CHF 0.05: 5) */
    int ambiguous;          /* another Odoo product shares this code or barcode */
    char uom[TS_UOM_NAME_MAX + 1];
    /* From these quantities on, the unit price is another (ascending). */
    size_t n_tiers;
    ts_price_tier tiers[TS_CATALOG_TIERS_MAX];
    double tier_unit[TS_CATALOG_TIERS_MAX];
    int64_t on_hand_milli; /* filled by lookups from cat_stock */
    /* What the price was derived from (Odoo's raw values, company currency). */
    ts_decimal lst_price;
    int has_raw; /* list_price, price_extra and standard_price were read */
    double list_price, price_extra, standard_price;
    int64_t uom_id;
    int64_t write_s; /* the product's write_date, UTC seconds (0: none) */
} ts_catalog_item;

/* The stored form of an item (exposed for tests): its size, the bytes,
 * and back (0 or TS_EFORMAT for a truncated or garbled record). */
size_t ts_catalog_record_size(const ts_catalog_item *it);
void ts_catalog_record_encode(unsigned char *p, const ts_catalog_item *it);
int ts_catalog_record_decode(const void *p, size_t len, ts_catalog_item *it);

/* The price of an item at quantity qty (from its tiers): amount, unit. */
void ts_catalog_item_price_at(const ts_catalog_item *it, double qty, ts_price *out);

/* On-hand for one product, in thousandths. */
typedef struct ts_catalog_stock {
    int64_t product_id;
    int64_t qty_milli;
} ts_catalog_stock;

/* What the live copy is (persisted with the switch and after each delta). */
typedef struct ts_catalog_info {
    int has_copy;
    uint32_t version;
    int64_t as_of_ms;    /* wall ms the last sync that completed began reading */
    int64_t full_at_ms;  /* when the last full snapshot was switched in */
    int64_t delta_at_ms; /* when the last delta completed (0: none since the full) */
    int64_t items;       /* products in the copy */
    int64_t skipped;     /* products with neither SKU nor barcode (or too long) */
    int64_t fallback;    /* prices that fell back to the list price */
    char currency[8];    /* "EUR" */
} ts_catalog_info;

typedef void (*ts_catalog_done_fn)(void *arg, int err);

/* Opens the databases (before the store's first submit, even without odoo),
 * reads the live copy's info and drops leftovers of unfinished snapshots. */
int ts_catalog_open(ts_agent *a);
void ts_catalog_close(ts_agent *a);
/* The live copy's info (in memory: cheap). */
void ts_catalog_get_info(ts_agent *a, ts_catalog_info *out);

/* ---- reading (loop thread) -------------------------------------------- */

typedef struct ts_catalog_reader {
    ts_agent *a;
    void *txn; /* MDB_txn */
    uint32_t version;
    int64_t as_of_ms; /* of the copy this view sees */
    char currency[8];
} ts_catalog_reader;

/* One consistent view of the live copy; TS_ENOTFOUND when there is none. */
int ts_catalog_read_begin(ts_agent *a, ts_catalog_reader *r);
int ts_catalog_find_sku(ts_catalog_reader *r, const char *sku, ts_catalog_item *out);
int ts_catalog_find_barcode(ts_catalog_reader *r, const char *barcode, ts_catalog_item *out);
/* By Odoo product id (a delta repricing it locally); stock and ambiguous
 * are not filled. TS_ENOTFOUND when the copy does not hold it. */
int ts_catalog_find_id(ts_catalog_reader *r, int64_t product_id, ts_catalog_item *out);
/* One pricing input of this view (kind, id): its bytes copied into out
 * (cap bytes at most), *len set; TS_ENOTFOUND when there is none. */
int ts_catalog_find_input(ts_catalog_reader *r, char kind, int64_t id, void *out, size_t cap,
                          size_t *len);

/* A code or barcode two products or more share in Odoo. */
typedef struct ts_catalog_code {
    char code[TS_SKU_MAX + 1]; /* a SKU or a barcode (the longer of the two) */
    uint32_t holders;          /* products that share it */
} ts_catalog_code;
/* The codes (by_barcode 0) or barcodes (1) shared by several products, in
 * order, the first max of them in codes; *total counts them all. */
int ts_catalog_duplicates(ts_catalog_reader *r, int by_barcode, ts_catalog_code *codes, size_t max,
                          size_t *n, int64_t *total);
void ts_catalog_read_end(ts_catalog_reader *r);

/* ---- a full snapshot -------------------------------------------------- */

typedef struct ts_catalog_build ts_catalog_build;

int ts_catalog_build_begin(ts_agent *a, ts_catalog_build **out);
/* Writes products (copied) into the new version. */
int ts_catalog_build_put(ts_catalog_build *b, const ts_catalog_item *items, size_t n,
                         ts_catalog_done_fn done, void *arg);
/* Adds quant quantities to the products' on-hand in the new version. */
int ts_catalog_build_add_stock(ts_catalog_build *b, const ts_catalog_stock *s, size_t n,
                               ts_catalog_done_fn done, void *arg);
/* Quants summed exactly (ts_decimal scale) with the product's unit: added
 * into the new version as they are read, so the agent never holds a sum
 * per product; ts_catalog_build_round_stock then rounds each once whole. */
typedef struct ts_catalog_stock_exact {
    int64_t product_id;
    int64_t uom_id; /* 0: not known (kept if another part knew it) */
    int64_t scaled;
} ts_catalog_stock_exact;
int ts_catalog_build_add_exact(ts_catalog_build *b, const ts_catalog_stock_exact *s, size_t n,
                               ts_catalog_done_fn done, void *arg);
/* A unit's rounding step (uom.uom rounding), by id. */
typedef struct ts_catalog_uom_step {
    int64_t uom_id;
    double rounding;
} ts_catalog_uom_step;
/* Rounds every exact sum of the new version to its unit (ts_odoo_stock_milli)
 * in chunks on the writer; done runs once, after the last chunk. steps
 * sorted by uom_id (copied). */
int ts_catalog_build_round_stock(ts_catalog_build *b, const ts_catalog_uom_step *steps, size_t n,
                                 ts_catalog_done_fn done, void *arg);
/* Switches the new version in (one commit) with info (version ignored)
 * and the inputs' meta record (inputs.h; stored in the same commit), then
 * drops the old one in the background. Frees b. */
int ts_catalog_build_commit(ts_catalog_build *b, const ts_catalog_info *info, const void *meta,
                            size_t meta_len, ts_catalog_done_fn done, void *arg);
/* Gives up: the live copy stays; the partial version is dropped. Frees b. */
void ts_catalog_build_abort(ts_catalog_build *b);

/* ---- deltas on the live copy ------------------------------------------ */

/* Inserts or replaces products (their stock is kept). */
int ts_catalog_put(ts_agent *a, const ts_catalog_item *items, size_t n, ts_catalog_done_fn done,
                   void *arg);
/* Removes products (archived, no longer for sale); unknown ids are fine. */
int ts_catalog_remove(ts_agent *a, const int64_t *product_ids, size_t n, ts_catalog_done_fn done,
                      void *arg);
/* Replaces the on-hand of these products (quants read again whole). */
int ts_catalog_set_stock(ts_agent *a, const ts_catalog_stock *s, size_t n, ts_catalog_done_fn done,
                         void *arg);
/* Records a completed delta: as_of, delta_at, the inputs' meta record and
 * the n_inputs input rows it changed (taken from inputs, which is left
 * empty; NULL for none), all in one commit. */
int ts_catalog_mark_delta(ts_agent *a, int64_t as_of_ms, int64_t delta_at_ms, const void *meta,
                          size_t meta_len, ts_buf *inputs, size_t n_inputs, ts_catalog_done_fn done,
                          void *arg);

/* ---- pricing inputs ---------------------------------------------------- */

/* Rows for ts_catalog_put_inputs, appended to a ts_buf: kind, id, bytes. */
#define TS_CATALOG_INPUT_MAX 4096 /* bytes of one input record */
void ts_catalog_input_row(ts_buf *rows, char kind, int64_t id, const void *data, size_t len);
/* Writes n rows into the snapshot b is building, or (b NULL) the live copy,
 * replacing what the same kind and id held (a delta's go with its mark). */
int ts_catalog_put_inputs(ts_agent *a, ts_catalog_build *b, const ts_buf *rows, size_t n,
                          ts_catalog_done_fn done, void *arg);
/* Calls fn for each input of the live copy of the kinds listed (one
 * character each, in that order; by id within a kind): a start reads the
 * rules, not the many versions a delta compares with. fn returning
 * non-zero stops and is returned. TS_ENOTFOUND: no copy. */
typedef int (*ts_catalog_input_fn)(void *arg, char kind, int64_t id, const void *data, size_t len);
int ts_catalog_inputs_each(ts_agent *a, const char *kinds, ts_catalog_input_fn fn, void *arg);
/* Up to max products of the live copy with an id above after_id, in id
 * order (one short read; *n 0 at the end). For repricing from the copy. */
int ts_catalog_scan(ts_agent *a, int64_t after_id, ts_catalog_item *out, size_t max, size_t *n);

/* Ops submitted and not yet done, background clean-ups aside (the sync
 * waits for 0 before switching). */
int ts_catalog_ops_in_flight(ts_agent *a);

#endif
