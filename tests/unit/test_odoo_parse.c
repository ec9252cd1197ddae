/*
 * test_odoo_parse.c - Odoo's real answers (tests/fixtures/odoo, copied from
 * the Odoo 17 transcripts) read into typed records, and hostile ones
 * refused cleanly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
#include "odoo/odoo_parse.h"
#include "odoo/odoo_rpc.h"

/* The fixtures sit beside this file: tests/unit/../fixtures/odoo/. */
static char *read_fixture(const char *name, size_t *len)
{
    char path[1024];
    const char *here = __FILE__;
    const char *slash = strrchr(here, '/');
    int dir_len = slash ? (int)(slash - here) : 1;
    snprintf(path, sizeof(path), "%.*s/../fixtures/odoo/%s", dir_len, slash ? here : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail_msg("cannot open %s", path);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Parses a JSON-RPC fixture; returns its result as a tree (also in *result). */
static cJSON *rpc(const char *name, const cJSON **result, ts_odoo_error *err, int *rc)
{
    size_t len, span_len;
    const char *span;
    char *body = read_fixture(name, &len);
    *rc = ts_odoo_parse_jsonrpc(body, len, &span, &span_len, err);
    cJSON *doc = *rc == 0 ? cJSON_ParseWithLength(span, span_len) : NULL;
    free(body);
    *result = doc;
    return doc;
}

static int64_t decimal_cents(ts_decimal d)
{
    return d.scaled / (TS_DECIMAL_SCALE / 100);
}

static void test_envelopes(void **state)
{
    const cJSON *res;
    ts_odoo_error err;
    int rc;
    cJSON *doc = rpc("authenticate_good.json", &res, &err, &rc);
    int64_t uid = 0;
    assert_int_equal(rc, 0);
    assert_int_equal(ts_odoo_int(res, &uid), 0);
    assert_int_equal(uid, 2);
    cJSON_Delete(doc);

    doc = rpc("authenticate_false.json", &res, &err, &rc);
    assert_int_equal(rc, 0);
    assert_true(cJSON_IsFalse(res)); /* bad credentials are a result, not an error */
    cJSON_Delete(doc);

    doc = rpc("error_access_denied.json", &res, &err, &rc);
    assert_int_equal(rc, TS_EPROTO);
    assert_null(doc);
    assert_string_equal(err.name, "odoo.exceptions.AccessDenied");
    assert_string_equal(err.message, "Access Denied");
    assert_true(ts_odoo_error_is_auth(&err));

    doc = rpc("error_unknown_db.json", &res, &err, &rc);
    assert_int_equal(rc, TS_EPROTO);
    assert_string_equal(err.name, "psycopg2.OperationalError");
    assert_non_null(strstr(err.message, "database \"nosuchdb\" does not exist"));
    assert_null(strchr(err.message, '\n')); /* one line for the status */
    assert_null(strstr(err.message, "Traceback"));
    assert_null(strstr(err.message, "site-packages"));
    assert_false(ts_odoo_error_is_auth(&err));

    doc = rpc("error_unknown_field.json", &res, &err, &rc);
    assert_int_equal(rc, TS_EPROTO);
    assert_string_equal(err.name, "builtins.ValueError");
    assert_string_equal(err.message, "Invalid field 'no_such_field' on model 'product.product'");

    size_t len, span_len;
    const char *span;
    char *body = read_fixture("json2_unauthorized.json", &len);
    assert_int_equal(ts_odoo_parse_json2(401, body, len, &span, &span_len, &err), TS_EPROTO);
    assert_string_equal(err.name, "werkzeug.exceptions.Unauthorized");
    assert_string_equal(err.message, "Invalid apikey");
    assert_true(ts_odoo_error_is_auth(&err));
    free(body);
    assert_int_equal(ts_odoo_parse_json2(200, "[]", 2, &span, &span_len, &err), 0);
    assert_int_equal(span_len, 2);
    assert_int_equal(ts_odoo_parse_json2(502, "<html>", 6, &span, &span_len, &err), TS_EPROTO);
    assert_string_equal(err.message, "Odoo answered HTTP 502");
}

/* A page read record by record, never as one tree. */
static void test_list(void **state)
{
    size_t len, span_len, count;
    const char *span;
    ts_odoo_error err;
    char *body = read_fixture("products_page.json", &len);
    assert_int_equal(ts_odoo_parse_jsonrpc(body, len, &span, &span_len, &err), 0);
    ts_odoo_list l;
    cJSON *rec, *last;
    int n = 0;
    assert_int_equal(ts_odoo_list_begin(&l, span, span_len), 0);
    while (ts_odoo_list_next(&l, &rec) == 0 && rec) {
        ts_odoo_product p;
        assert_int_equal(ts_odoo_parse_product(rec, &p), 0);
        n++;
        cJSON_Delete(rec);
    }
    assert_int_equal(n, 5);
    assert_int_equal(ts_odoo_list_last(span, span_len, &count, &last), 0);
    assert_int_equal(count, 5);
    assert_int_equal(cJSON_GetObjectItem(last, "id")->valueint, 13);
    cJSON_Delete(last);
    free(body);

    const char *bad[] = {"[1,", "[{\"a\": 1} {}]", "[1]x", "{}", "[\"unterminated]", "[1,,2]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = ts_odoo_list_begin(&l, bad[i], strlen(bad[i]));
        while (rc == 0 && (rc = ts_odoo_list_next(&l, &rec)) == 0 && rec)
            cJSON_Delete(rec);
        assert_int_equal(rc, TS_EINVAL);
    }
    assert_int_equal(ts_odoo_list_begin(&l, " [ ] ", 5), 0);
    assert_int_equal(ts_odoo_list_next(&l, &rec), 0);
    assert_null(rec);
}

static void test_products(void **state)
{
    const cJSON *res;
    ts_odoo_error err;
    int rc;
    cJSON *doc = rpc("products_page.json", &res, &err, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(cJSON_GetArraySize(res), 5);
    ts_odoo_product p;
    assert_int_equal(ts_odoo_parse_product(cJSON_GetArrayItem(res, 0), &p), 0);
    assert_int_equal(p.id, 6);
    assert_string_equal(p.sku, "FURN_8888");
    assert_string_equal(p.barcode, ""); /* false */
    assert_string_equal(p.name, "Office Lamp");
    assert_int_equal(p.tmpl_id, 6);
    assert_int_equal(decimal_cents(p.lst_price), 4000);
    assert_string_equal(p.write_date, "2026-11-22 16:27:16");
    assert_true(p.active);
    assert_true(p.sale_ok);
    cJSON_Delete(doc);

    doc = rpc("products_delta.json", &res, &err, &rc);
    assert_int_equal(ts_odoo_parse_product(cJSON_GetArrayItem(res, 0), &p), 0);
    assert_string_equal(p.sku, ""); /* "Restaurant Expenses": neither SKU nor barcode */
    cJSON_Delete(doc);

    doc = rpc("products_categ.json", &res, &err, &rc);
    assert_int_equal(ts_odoo_parse_product(cJSON_GetArrayItem(res, 2), &p), 0);
    assert_string_equal(p.sku, "FURN_9999");
    assert_int_equal(p.categ_id, 7);
    cJSON_Delete(doc);

    /* lst_price, not list_price: the variant's extra is in it. */
    doc = rpc("variants_extra.json", &res, &err, &rc);
    assert_int_equal(ts_odoo_parse_product(cJSON_GetArrayItem(res, 3), &p), 0);
    assert_string_equal(p.sku, "E-COM13");
    assert_int_equal(p.lst_price.scaled, 39400000000LL); /* exactly 39.4 */
    cJSON_Delete(doc);
}

static void test_quants_items_categories(void **state)
{
    const cJSON *res;
    ts_odoo_error err;
    int rc;
    cJSON *doc = rpc("quants.json", &res, &err, &rc);
    ts_odoo_quant q;
    assert_int_equal(ts_odoo_parse_quant(cJSON_GetArrayItem(res, 2), &q), 0);
    assert_int_equal(q.product_id, 17);
    assert_int_equal(q.qty_milli, 500000);
    cJSON_Delete(doc);

    doc = rpc("pricelist_items.json", &res, &err, &rc);
    assert_int_equal(cJSON_GetArraySize(res), 5);
    ts_price_item it;
    char wd[TS_ODOO_DATETIME_LEN];
    assert_int_equal(ts_odoo_parse_price_item(cJSON_GetArrayItem(res, 0), &it, wd), 0);
    assert_int_equal(it.applied_on, TS_APPLIED_VARIANT);
    assert_int_equal(it.product_id, 5);
    assert_int_equal(it.compute_price, TS_COMPUTE_FIXED);
    assert_int_equal(decimal_cents(it.fixed_price), 1299);
    assert_int_equal(it.date_start_ms, 0);
    assert_int_equal(ts_odoo_parse_price_item(cJSON_GetArrayItem(res, 1), &it, wd), 0);
    assert_int_equal(it.applied_on, TS_APPLIED_TEMPLATE);
    assert_int_equal(it.product_tmpl_id, 6);
    assert_int_equal(it.compute_price, TS_COMPUTE_PERCENTAGE);
    assert_int_equal(ts_odoo_parse_price_item(cJSON_GetArrayItem(res, 3), &it, wd), 0);
    assert_true(it.date_start_ms > 0);
    assert_true(it.date_end_ms > it.date_start_ms); /* December dates */
    assert_int_equal(ts_odoo_parse_price_item(cJSON_GetArrayItem(res, 4), &it, wd), 0);
    assert_int_equal(it.applied_on, TS_APPLIED_GLOBAL);
    assert_int_equal(it.compute_price, TS_COMPUTE_FORMULA);
    assert_int_equal(it.base, TS_BASE_LIST_PRICE);
    assert_int_equal(decimal_cents(it.price_discount), 1000);
    assert_int_equal(decimal_cents(it.price_surcharge), -1);
    assert_string_equal(wd, "2026-11-22 16:45:25");
    cJSON_Delete(doc);

    doc = rpc("categories.json", &res, &err, &rc);
    ts_odoo_category c;
    assert_int_equal(ts_odoo_parse_category(cJSON_GetArrayItem(res, 5), &c), 0);
    assert_int_equal(c.id, 6);
    assert_string_equal(c.parent_path, "1/2/5/6/");
    cJSON_Delete(doc);

    doc = rpc("currency_rates.json", &res, &err, &rc);
    ts_odoo_currency cur;
    assert_int_equal(ts_odoo_parse_currency(cJSON_GetArrayItem(res, 0), &cur), 0);
    assert_string_equal(cur.name, "EUR");
    assert_int_equal(cur.cur.decimal_places, 2);
    assert_int_equal(cur.cur.rate.scaled, 1283400000LL);
    cJSON_Delete(doc);

    doc = rpc("currency_places.json", &res, &err, &rc);
    assert_int_equal(ts_odoo_parse_currency(cJSON_GetArrayItem(res, 2), &cur), 0);
    assert_string_equal(cur.name, "JPY");
    assert_int_equal(cur.cur.decimal_places, 0);
    assert_int_equal(ts_odoo_parse_currency(cJSON_GetArrayItem(res, 3), &cur), 0);
    assert_int_equal(cur.cur.decimal_places, 3);
    cJSON_Delete(doc);
}

static int parse_product_text(const char *json, ts_odoo_product *p)
{
    cJSON *rec = cJSON_Parse(json);
    int rc = ts_odoo_parse_product(rec, p);
    cJSON_Delete(rec);
    return rc;
}

static void test_hostile(void **state)
{
    ts_odoo_product p;
    /* Wrong types, missing id, ids that are not integers. */
    assert_int_equal(parse_product_text("{\"default_code\": \"A\"}", &p), TS_EINVAL);
    assert_int_equal(parse_product_text("{\"id\": 1.5}", &p), TS_EINVAL);
    assert_int_equal(parse_product_text("{\"id\": -3}", &p), TS_EINVAL);
    assert_int_equal(parse_product_text("{\"id\": 1, \"write_date\": \"2026-13-01 00:00:00\"}", &p),
                     TS_EINVAL);
    assert_int_equal(parse_product_text("{\"id\": 1, \"lst_price\": \"12\"}", &p), TS_EINVAL);
    assert_int_equal(parse_product_text("{\"id\": 1, \"product_tmpl_id\": [\"x\", 1]}", &p),
                     TS_EINVAL);
    assert_int_equal(parse_product_text("[1]", &p), TS_EINVAL);
    /* A SKU longer than the tills accept: skipped and counted by the caller. */
    char big[300];
    snprintf(big, sizeof(big), "{\"id\": 1, \"default_code\": \"%0100d\"}", 7);
    assert_int_equal(parse_product_text(big, &p), TS_ETOOBIG);
    /* Long names are cut at a UTF-8 boundary. */
    char name[600] = "{\"id\": 1, \"name\": \"";
    for (int i = 0; i < 150; i++)
        strcat(name, "\xc3\xa9"); /* é, two bytes each: 300 bytes */
    strcat(name, "\"}");
    assert_int_equal(parse_product_text(name, &p), 0);
    assert_int_equal(strlen(p.name), 200);

    /* Envelopes: not JSON, too deep, neither result nor error. */
    const char *span;
    size_t span_len;
    ts_odoo_error err;
    assert_int_equal(ts_odoo_parse_jsonrpc("nope", 4, &span, &span_len, &err), TS_EINVAL);
    assert_int_equal(ts_odoo_parse_jsonrpc("{\"id\": 1}", 9, &span, &span_len, &err), TS_EINVAL);
    char deep[200] = "{\"result\": ";
    memset(deep + 11, '[', 100);
    deep[111] = '\0';
    assert_int_equal(ts_odoo_parse_jsonrpc(deep, 111, &span, &span_len, &err), TS_EINVAL);
    assert_int_equal(ts_odoo_parse_jsonrpc("", 0, &span, &span_len, &err), TS_EINVAL);
}

static void test_values(void **state)
{
    char out[TS_ODOO_DATETIME_LEN];
    ts_odoo_format_datetime(0, out);
    assert_string_equal(out, "1970-01-01 00:00:00");
    int64_t ms;
    cJSON *v = cJSON_CreateString("2026-11-22 16:27:16");
    assert_int_equal(ts_odoo_datetime(v, out, &ms), 0);
    ts_odoo_format_datetime(ms, out);
    assert_string_equal(out, "2026-11-22 16:27:16");
    cJSON_Delete(v);

    int64_t milli;
    v = cJSON_CreateNumber(0.345);
    assert_int_equal(ts_odoo_qty_milli(v, &milli), 0);
    assert_int_equal(milli, 345);
    cJSON_Delete(v);
    v = cJSON_CreateNumber(-2.0005); /* half away from zero */
    assert_int_equal(ts_odoo_qty_milli(v, &milli), 0);
    assert_int_equal(milli, -2001);
    cJSON_Delete(v);
}

/* Quants summed exactly, then rounded to the unit as Odoo shows it: four
 * 4-decimal quants rounded one by one would give 0.002 too much. */
static void test_stock_rounding(void **state)
{
    (void)state;
    const char *quants[] = {"1.0004", "2.0004", "0.0004", "0.0003"};
    ts_decimal sum = {0};
    int64_t one_by_one = 0;
    for (size_t i = 0; i < 4; i++) {
        ts_decimal d;
        int64_t m;
        cJSON *v = cJSON_Parse(quants[i]);
        assert_int_equal(ts_decimal_parse(quants[i], strlen(quants[i]), &d), 0);
        assert_int_equal(ts_odoo_qty_milli(v, &m), 0);
        cJSON_Delete(v);
        sum.scaled += d.scaled;
        one_by_one += m;
    }
    assert_int_equal(one_by_one, 3000);                      /* the old, wrong figure */
    assert_int_equal(ts_odoo_stock_milli(sum, 0.001), 3002); /* 3.0015 -> 3.002 (HALF-UP) */
    assert_int_equal(ts_odoo_stock_milli(sum, 0.01), 3000);
    assert_int_equal(ts_odoo_stock_milli(sum, 1.0), 3000);
    assert_int_equal(ts_odoo_stock_milli(sum, 0), 3002);
    ts_decimal neg = {-2845 * (TS_DECIMAL_SCALE / 1000)};
    assert_int_equal(ts_odoo_stock_milli(neg, 0.01), -2850); /* away from zero */
    ts_decimal half = {2845 * (TS_DECIMAL_SCALE / 1000)};
    assert_int_equal(ts_odoo_stock_milli(half, 0.01), 2850);
    assert_int_equal(ts_odoo_stock_milli(half, 0.5), 3000);
    assert_int_equal(ts_odoo_stock_milli(half, 0.0001), 2845);
}

static void test_key_file(void **state)
{
    const char *dir = getenv("TS_TEST_TMP");
    char path[1024], key[64];
    snprintf(path, sizeof(path), "%s/odoo-key-test", dir && dir[0] ? dir : "/tmp");
    if (dir && dir[0])
        mkdir(dir, 0700); /* ctest's TS_TEST_TMP may not exist yet */
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fputs("abc123\r\n", f);
    fclose(f);
    assert_int_equal(ts_odoo_read_key_file(path, key, sizeof(key)), 0);
    assert_string_equal(key, "abc123");
    f = fopen(path, "w");
    fputs("\n", f);
    fclose(f);
    assert_int_equal(ts_odoo_read_key_file(path, key, sizeof(key)), TS_EINVAL);
    f = fopen(path, "w");
    for (int i = 0; i < 100; i++)
        fputc('k', f);
    fclose(f);
    assert_int_equal(ts_odoo_read_key_file(path, key, sizeof(key)), TS_ETOOBIG);
    remove(path);
    assert_int_equal(ts_odoo_read_key_file(path, key, sizeof(key)), TS_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envelopes), cmocka_unit_test(test_list),
        cmocka_unit_test(test_products),  cmocka_unit_test(test_quants_items_categories),
        cmocka_unit_test(test_hostile),   cmocka_unit_test(test_values),
        cmocka_unit_test(test_key_file),  cmocka_unit_test(test_stock_rounding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
