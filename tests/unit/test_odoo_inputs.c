/*
 * test_odoo_inputs.c - the pricing inputs and item records kept in the
 * copy: what is written reads back the same, and a truncated, garbled or
 * other-format record is refused (TS_EFORMAT), never read past its end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include "core/error.h"
#include "odoo/catalog.h"
#include "odoo/inputs.h"

/* Each shorter prefix, and the record with one byte more, is refused; the
 * prefixes are copied to the heap so a read past them shows under ASan. */
typedef int (*decode_fn)(const void *data, size_t len, void *out);

static void refuses_cut(const unsigned char *rec, size_t len, decode_fn decode, void *out)
{
    for (size_t cut = 0; cut < len; cut++) {
        unsigned char *p = malloc(cut ? cut : 1);
        assert_non_null(p);
        memcpy(p, rec, cut);
        assert_int_equal(decode(p, cut, out), TS_EFORMAT);
        free(p);
    }
    unsigned char *longer = calloc(1, len + 1);
    assert_non_null(longer);
    memcpy(longer, rec, len);
    assert_int_equal(decode(longer, len + 1, out), TS_EFORMAT);
    longer[0] ^= 0x7f; /* another format */
    assert_int_equal(decode(longer, len, out), TS_EFORMAT);
    free(longer);
}

static int meta_decode(const void *d, size_t len, void *out)
{
    return ts_inputs_meta_decode(d, len, out);
}

static int categ_decode(const void *d, size_t len, void *out)
{
    return ts_inputs_categ_decode(d, len, out);
}

static int uom_decode(const void *d, size_t len, void *out)
{
    double r;
    return ts_inputs_uom_decode(d, len, &r, out);
}

static int record_decode(const void *d, size_t len, void *out)
{
    return ts_catalog_record_decode(d, len, out);
}

static void test_meta(void **state)
{
    (void)state;
    ts_inputs_meta m, back;
    memset(&m, 0, sizeof(m));
    snprintf(m.who.url, sizeof(m.who.url), "https://erp.example.net");
    snprintf(m.who.db, sizeof(m.who.db), "retail");
    m.who.pricelist_id = 3;
    m.who.location_id = 8;
    m.window_from_ms = INT64_C(1796598382000);
    m.company_currency_id = 1;
    m.pricelist_currency_id = 126;
    m.company_cur = (ts_odoo_currency){1, "USD", {2, {TS_DECIMAL_SCALE}, {10000000}}};
    m.pricelist_cur = (ts_odoo_currency){126, "EUR", {2, {1283400000}, {10000000}}};
    m.price_digits = 2;
    unsigned char rec[TS_INPUT_META_MAX];
    size_t len = ts_inputs_meta_encode(&m, rec, sizeof(rec));
    assert_true(len > 0);
    assert_int_equal(ts_inputs_meta_decode(rec, len, &back), 0);
    assert_string_equal(back.who.url, m.who.url);
    assert_int_equal(back.window_from_ms, m.window_from_ms);
    assert_int_equal(back.pricelist_currency_id, 126);
    assert_string_equal(back.pricelist_cur.name, "EUR");
    assert_int_equal(back.pricelist_cur.cur.rate.scaled, 1283400000);
    assert_int_equal(back.company_cur.cur.rounding.scaled, 10000000);
    assert_int_equal(back.price_digits, 2);
    assert_true(ts_inputs_identity_same(&m.who, &back.who));
    back.who.location_id = 7;
    assert_false(ts_inputs_identity_same(&m.who, &back.who));
    refuses_cut(rec, len, meta_decode, &back);
    /* too small a buffer: nothing encoded */
    assert_int_equal(ts_inputs_meta_encode(&m, rec, 20), 0);
    /* a rate of 0 or a digit count out of range is not a currency */
    m.pricelist_cur.cur.rate.scaled = 0;
    len = ts_inputs_meta_encode(&m, rec, sizeof(rec));
    assert_int_equal(ts_inputs_meta_decode(rec, len, &back), TS_EFORMAT);
}

/* The base pricelists and their currencies (format 2): one given by Odoo,
 * one without a currency (priced as a fallback), and the most it holds. */
static void test_meta_bases(void **state)
{
    (void)state;
    ts_inputs_meta m, back;
    memset(&m, 0, sizeof(m));
    snprintf(m.who.url, sizeof(m.who.url), "https://erp.example.net");
    m.company_currency_id = 1;
    m.company_cur = (ts_odoo_currency){1, "USD", {2, {TS_DECIMAL_SCALE}, {10000000}}};
    m.pricelist_cur = m.company_cur;
    m.n_bases = 2;
    m.base_ids[0] = 5;
    m.base_currency_ids[0] = 126;
    m.base_curs[0] = (ts_odoo_currency){126, "EUR", {2, {1283400000}, {10000000}}};
    m.base_ids[1] = 6; /* currency_id 0: the currency is all zeros */
    unsigned char rec[TS_INPUT_META_MAX];
    size_t len = ts_inputs_meta_encode(&m, rec, sizeof(rec));
    assert_true(len > 0);
    assert_int_equal(ts_inputs_meta_decode(rec, len, &back), 0);
    assert_int_equal(back.n_bases, 2);
    assert_int_equal(back.base_ids[0], 5);
    assert_int_equal(back.base_currency_ids[0], 126);
    assert_string_equal(back.base_curs[0].name, "EUR");
    assert_int_equal(back.base_curs[0].cur.rate.scaled, 1283400000);
    assert_int_equal(back.base_ids[1], 6);
    assert_int_equal(back.base_currency_ids[1], 0);
    refuses_cut(rec, len, meta_decode, &back);
    /* a base with a currency that is not one is refused */
    m.base_curs[0].cur.rate.scaled = 0;
    len = ts_inputs_meta_encode(&m, rec, sizeof(rec));
    assert_int_equal(ts_inputs_meta_decode(rec, len, &back), TS_EFORMAT);
    m.base_curs[0].cur.rate.scaled = 1;
    /* all of them fit in TS_INPUT_META_MAX with the longest URL */
    memset(m.who.url, 'u', sizeof(m.who.url) - 1);
    memset(m.who.db, 'd', sizeof(m.who.db) - 1);
    m.n_bases = TS_INPUTS_BASES_MAX;
    for (size_t i = 0; i < TS_INPUTS_BASES_MAX; i++) {
        m.base_ids[i] = (int64_t)i + 10;
        m.base_currency_ids[i] = 126;
        m.base_curs[i] = m.base_curs[0];
    }
    len = ts_inputs_meta_encode(&m, rec, sizeof(rec));
    assert_true(len > 0);
    assert_int_equal(ts_inputs_meta_decode(rec, len, &back), 0);
    assert_int_equal(back.n_bases, TS_INPUTS_BASES_MAX);
    m.n_bases = TS_INPUTS_BASES_MAX + 1; /* more than a copy keeps */
    assert_int_equal(ts_inputs_meta_encode(&m, rec, sizeof(rec)), 0);
}

static int stamp_decode(const void *d, size_t len, void *out)
{
    double v;
    return ts_inputs_stamp_decode(d, len, out, &v);
}

/* A version as applied (a quant: write_date seconds and quantity). */
static void test_stamp(void **state)
{
    (void)state;
    unsigned char rec[TS_INPUT_STAMP_SIZE];
    size_t len =
        ts_inputs_stamp_encode(INT64_C(1796598382), 26.0 * TS_DECIMAL_SCALE, rec, sizeof(rec));
    assert_int_equal(len, TS_INPUT_STAMP_SIZE);
    int64_t s;
    double v;
    assert_int_equal(ts_inputs_stamp_decode(rec, len, &s, &v), 0);
    assert_int_equal(s, INT64_C(1796598382));
    assert_true(v == 26.0 * TS_DECIMAL_SCALE);
    refuses_cut(rec, len, stamp_decode, &s);
    assert_int_equal(ts_inputs_stamp_encode(1, 0, rec, TS_INPUT_STAMP_SIZE - 1), 0);
}

static void test_item(void **state)
{
    (void)state;
    ts_price_item it, back;
    memset(&it, 0, sizeof(it)); /* as the parser gives it: padding zeroed */
    it.id = 5;
    it.applied_on = TS_APPLIED_CATEGORY;
    it.categ_id = 8;
    it.compute_price = TS_COMPUTE_FORMULA;
    it.base = TS_BASE_PRICELIST;
    it.price_discount.scaled = 10 * TS_DECIMAL_SCALE;
    it.price_surcharge.scaled = -10000000;
    it.min_quantity.scaled = 3 * TS_DECIMAL_SCALE;
    it.date_start_ms = INT64_C(1796598382000);
    it.date_end_ms = INT64_C(1799190382000);
    it.pricelist_id = 3;
    it.base_pricelist_id = 4;
    unsigned char rec[TS_INPUT_ITEM_SIZE];
    assert_int_equal(ts_inputs_item_encode(&it, rec, sizeof(rec)), TS_INPUT_ITEM_SIZE);
    assert_int_equal(ts_inputs_item_decode(rec, sizeof(rec), &back), 0);
    assert_memory_equal(&it, &back, sizeof(it)); /* odoo.c compares items with memcmp */
    for (size_t cut = 0; cut < sizeof(rec); cut++)
        assert_int_equal(ts_inputs_item_decode(rec, cut, &back), TS_EFORMAT);
    rec[1] = 9; /* applied_on out of range */
    assert_int_equal(ts_inputs_item_decode(rec, sizeof(rec), &back), TS_EFORMAT);
    memset(rec, 0xff, sizeof(rec));
    assert_int_equal(ts_inputs_item_decode(rec, sizeof(rec), &back), TS_EFORMAT);
}

static void test_categ_uom(void **state)
{
    (void)state;
    unsigned char rec[512];
    char path[TS_PARENT_PATH_MAX];
    size_t len = ts_inputs_categ_encode("1/2/8/11/", rec, sizeof(rec));
    assert_int_equal(ts_inputs_categ_decode(rec, len, path), 0);
    assert_string_equal(path, "1/2/8/11/");
    refuses_cut(rec, len, categ_decode, path);
    len = ts_inputs_categ_encode("1/x/", rec, sizeof(rec)); /* not a path */
    assert_int_equal(ts_inputs_categ_decode(rec, len, path), TS_EFORMAT);
    char long_path[TS_PARENT_PATH_MAX + 10];
    memset(long_path, '1', sizeof(long_path) - 1);
    long_path[sizeof(long_path) - 1] = '\0';
    len = ts_inputs_categ_encode(long_path, rec, sizeof(rec));
    assert_int_equal(ts_inputs_categ_decode(rec, len, path), TS_EFORMAT);

    char name[TS_INPUT_UOM_NAME_MAX + 1];
    double rounding = 0;
    len = ts_inputs_uom_encode(0.001, "kg", rec, sizeof(rec));
    assert_int_equal(ts_inputs_uom_decode(rec, len, &rounding, name), 0);
    assert_true(rounding == 0.001);
    assert_string_equal(name, "kg");
    refuses_cut(rec, len, uom_decode, name);
    len = ts_inputs_uom_encode(-1, "kg", rec, sizeof(rec));
    assert_int_equal(ts_inputs_uom_decode(rec, len, &rounding, name), TS_EFORMAT);
    /* a name with a NUL inside is garbage */
    len = ts_inputs_uom_encode(0.01, "ab", rec, sizeof(rec));
    rec[len - 1] = '\0';
    assert_int_equal(ts_inputs_uom_decode(rec, len, &rounding, name), TS_EFORMAT);
}

static void test_record(void **state)
{
    (void)state;
    ts_catalog_item it, back;
    memset(&it, 0, sizeof(it));
    it.product_id = 8;
    it.tmpl_id = 7;
    it.categ_id = 11;
    snprintf(it.sku, sizeof(it.sku), "E-COM13");
    snprintf(it.barcode, sizeof(it.barcode), "5901234123457");
    snprintf(it.name, sizeof(it.name), "Conference Chair (Aluminium)");
    snprintf(it.uom, sizeof(it.uom), "Units");
    it.price_minor = 4548;
    it.decimal_places = 2;
    it.source = TS_PRICE_PRICELIST;
    it.unit = 45.48;
    it.price_digits = 2;
    it.rounding_minor = 1;
    it.n_tiers = 1;
    it.tiers[0] = (ts_price_tier){10, 4000};
    it.tier_unit[0] = 40.0;
    it.lst_price.scaled = 39400000000;
    it.has_raw = 1;
    it.list_price = 33.0;
    it.price_extra = 6.4;
    it.standard_price = 19.8;
    it.uom_id = 1;
    it.write_s = INT64_C(1796598382);
    size_t len = ts_catalog_record_size(&it);
    unsigned char *rec = malloc(len);
    assert_non_null(rec);
    ts_catalog_record_encode(rec, &it);
    assert_int_equal(ts_catalog_record_decode(rec, len, &back), 0);
    assert_int_equal(back.product_id, 8);
    assert_string_equal(back.name, it.name);
    assert_string_equal(back.barcode, it.barcode);
    assert_int_equal(back.lst_price.scaled, it.lst_price.scaled);
    assert_true(back.has_raw && back.list_price == 33.0 && back.price_extra == 6.4);
    assert_true(back.standard_price == 19.8 && back.uom_id == 1);
    assert_int_equal(back.write_s, INT64_C(1796598382));
    assert_int_equal(back.tiers[0].amount_minor, 4000);
    refuses_cut(rec, len, record_decode, &back);
    rec[1] = 77; /* a source that does not exist */
    assert_int_equal(ts_catalog_record_decode(rec, len, &back), TS_EFORMAT);
    memset(rec, 0xa5, len);
    assert_int_equal(ts_catalog_record_decode(rec, len, &back), TS_EFORMAT);
    free(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta),      cmocka_unit_test(test_meta_bases),
        cmocka_unit_test(test_stamp),     cmocka_unit_test(test_item),
        cmocka_unit_test(test_categ_uom), cmocka_unit_test(test_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
