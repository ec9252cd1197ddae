/*
 * test_txn.c - the txn validator (txn.c, json_scan.c): one case per error
 * code and field, card data, canonical digests, batch spans, limits.
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
#include "core/buf.h"
#include "core/error.h"
#include "sale/txn.h"

#include <stdarg.h>

/* ---- building bodies ---------------------------------------------------- */

/* The spec's example txn, member by member, so a case can swap one. */
static const char *const base_txn[][2] = {
    {"txn_id", "\"R1-20261122-000123\""},
    {"type", "\"sale\""},
    {"register_id", "\"R1\""},
    {"occurred_at", "\"2026-11-22T10:15:00+01:00\""},
    {"currency", "\"EUR\""},
    {"lines", "[{\"sku\": \"SKU-1001\", \"qty\": 2, \"unit_price\": 1299, \"amount\": 2598},"
              " {\"sku\": \"SKU-2002\", \"qty\": 0.345, \"unit_price\": 1990, \"amount\": 687}]"},
    {"payments", "[{\"method\": \"card\", \"amount\": 3285, \"reference\": \"auth 55AB12\"}]"},
    {"total", "3285"},
    {"cashier_id", "\"C7\""},
    {"customer_ref", "\"LOY-99812\""},
};
#define BASE_MEMBERS (sizeof(base_txn) / sizeof(base_txn[0]))

static char bodies[64][1 << 16];
static int next_body;

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static const char *
fmt(const char *f, ...)
{
    char *out = bodies[next_body++ % 64];
    va_list ap;
    va_start(ap, f);
    vsnprintf(out, sizeof(bodies[0]), f, ap);
    va_end(ap);
    return out;
}

/* The example with member key set to value (raw JSON); NULL drops it; a
 * key the example lacks is added at the end. */
static const char *txn_with(const char *key, const char *value)
{
    char *out = bodies[next_body++ % 64];
    size_t n = 0, cap = sizeof(bodies[0]);
    int found = 0;
    n += (size_t)snprintf(out + n, cap - n, "{");
    for (size_t i = 0; i < BASE_MEMBERS; i++) {
        const char *v = base_txn[i][1];
        if (strcmp(base_txn[i][0], key) == 0) {
            found = 1;
            v = value;
        }
        if (v)
            n += (size_t)snprintf(out + n, cap - n, "%s\"%s\": %s", n > 1 ? ", " : "",
                                  base_txn[i][0], v);
    }
    if (!found && value)
        n += (size_t)snprintf(out + n, cap - n, ", \"%s\": %s", key, value);
    snprintf(out + n, cap - n, "}");
    return out;
}

static const char *base(void)
{
    return txn_with("", NULL);
}

/* A line (sku "S", qty 1) with unit_price and amount a, repeated n times. */
static const char *lines_of(int n, long long a)
{
    ts_buf b;
    char *out = bodies[next_body++ % 64];
    ts_buf_init(&b, sizeof(bodies[0]));
    ts_buf_puts(&b, "[");
    for (int i = 0; i < n; i++)
        ts_buf_printf(&b, "%s{\"sku\":\"S\",\"qty\":1,\"unit_price\":%lld,\"amount\":%lld}",
                      i ? "," : "", a, a);
    ts_buf_puts(&b, "]");
    snprintf(out, sizeof(bodies[0]), "%s", ts_buf_ok(&b) ? b.data : "");
    ts_buf_free(&b);
    return out;
}

/* n payments of amount a each. */
static const char *payments_of(int n, long long a)
{
    char *out = bodies[next_body++ % 64];
    size_t len = 0;
    len += (size_t)snprintf(out, sizeof(bodies[0]), "[");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, sizeof(bodies[0]) - len,
                                "%s{\"method\":\"cash\",\"amount\":%lld}", i ? "," : "", a);
    snprintf(out + len, sizeof(bodies[0]) - len, "]");
    return out;
}

/* A value nested in `levels` arrays: [[[...1...]]]. */
static const char *nested(int levels)
{
    char *out = bodies[next_body++ % 64];
    int n = 0;
    for (int i = 0; i < levels; i++)
        out[n++] = '[';
    out[n++] = '1';
    for (int i = 0; i < levels; i++)
        out[n++] = ']';
    out[n] = '\0';
    return out;
}

/* ---- checking ----------------------------------------------------------- */

static int validate(const char *body, ts_txn_info *info, ts_txn_error *err)
{
    return ts_txn_validate(body, strlen(body), info, err);
}

static void expect_valid_at(const char *body, int line)
{
    ts_txn_info info;
    ts_txn_error err;
    int rc = validate(body, &info, &err);
    if (rc != 0)
        fail_msg("line %d: refused %s field=%s: %.200s", line, err.code, err.field, body);
    ts_txn_info_free(&info);
}
#define expect_valid(body) expect_valid_at(body, __LINE__)

static void expect_error_at(const char *body, int status, const char *code, const char *field,
                            int line)
{
    ts_txn_info info;
    ts_txn_error err;
    int rc = validate(body, &info, &err);
    if (rc == 0)
        ts_txn_info_free(&info);
    if (rc != TS_EINVAL || err.status != status || strcmp(err.code, code) != 0 ||
        strcmp(err.field, field) != 0)
        fail_msg("line %d: want %d %s [%s], got rc=%d %d %s [%s]: %.200s", line, status, code,
                 field, rc, err.status, rc ? err.code : "-", rc ? err.field : "", body);
    if (err.message[0] == '\0')
        fail_msg("line %d: no message", line);
    /* Nothing is left allocated or half filled. */
    if (info.moves != NULL || info.n_moves != 0 || info.register_id[0] != '\0')
        fail_msg("line %d: the refused transaction left its info filled", line);
}
#define expect_error(body, status, code, field) expect_error_at(body, status, code, field, __LINE__)
#define expect_422(body, code, field) expect_error_at(body, 422, code, field, __LINE__)
#define expect_400(body) expect_error_at(body, 400, "malformed_json", "", __LINE__)

/* ---- the cases ---------------------------------------------------------- */

/* One case per error code and field: the example txn with one member
 * swapped (value NULL drops it), and the exact answer expected. */
static void test_error_table(void **state)
{
    static const struct {
        const char *key, *value;
        int status;
        const char *code, *field;
    } cases[] = {
        {"txn_id", "\"bad id\"", 422, "invalid_txn_id", "txn_id"},
        {"type", "\"refund\"", 422, "invalid_type", "type"},
        {"type", "\"return\"", 422, "missing_original_txn_id", "original_txn_id"},
        {"register_id", NULL, 422, "invalid_register_id", "register_id"},
        {"occurred_at", "\"2026-02-30T10:15:00Z\"", 422, "invalid_timestamp", "occurred_at"},
        {"currency", "\"eur\"", 422, "invalid_currency", "currency"},
        {"lines", "[]", 422, "invalid_lines", "lines"},
        {"lines", "[[]]", 422, "invalid_lines", "lines[0]"},
        {"lines", "[{\"sku\":\"\",\"qty\":1,\"unit_price\":1,\"amount\":1}]", 422, "invalid_sku",
         "lines[0].sku"},
        {"lines", "[{\"sku\":\"S\",\"qty\":1e-4,\"unit_price\":1,\"amount\":1}]", 422,
         "invalid_qty", "lines[0].qty"},
        {"lines", "[{\"sku\":\"S\",\"qty\":1,\"unit_price\":1.0,\"amount\":1}]", 422,
         "invalid_amount", "lines[0].unit_price"},
        {"lines", "[{\"sku\":\"S\",\"qty\":1,\"unit_price\":1,\"amount\":-1}]", 422,
         "invalid_amount", "lines[0].amount"},
        {"total", "3286", 422, "total_mismatch", "total"},
        {"payments", "[]", 422, "invalid_payment", "payments"},
        {"payments", "[\"cash\"]", 422, "invalid_payment", "payments[0]"},
        {"payments", "[{\"method\":\"iou\",\"amount\":3285}]", 422, "invalid_payment",
         "payments[0].method"},
        {"payments", "[{\"method\":\"cash\",\"amount\":\"3285\"}]", 422, "invalid_payment",
         "payments[0].amount"},
        {"payments", "[{\"method\":\"cash\",\"amount\":3284}]", 422, "payment_mismatch",
         "payments"},
        {"payments",
         "[{\"method\":\"card\",\"amount\":3285,\"reference\":\"4111 1111 1111 1111\"}]", 422,
         "card_data_forbidden", "payments[0].reference"},
        {"total", "3285, \"total\": 3285", 422, "duplicate_key", "total"},
        {"total", "3285,", 400, "malformed_json", ""},
        {"deep", "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]", 400, "malformed_json", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) /* "line" = case index */
        expect_error_at(txn_with(cases[i].key, cases[i].value), cases[i].status, cases[i].code,
                        cases[i].field, (int)i);
}

static void test_valid_sale_and_return(void **state)
{
    ts_txn_info info;
    ts_txn_error err;
    assert_int_equal(validate(base(), &info, &err), 0);
    assert_string_equal(info.txn_id, "R1-20261122-000123");
    assert_string_equal(info.register_id, "R1");
    assert_int_equal(info.is_return, 0);
    assert_int_equal(info.n_moves, 2);
    assert_string_equal(info.moves[0].sku, "SKU-1001");
    assert_int_equal(info.moves[0].qty_milli, 2000);
    assert_string_equal(info.moves[1].sku, "SKU-2002");
    assert_int_equal(info.moves[1].qty_milli, 345);
    ts_txn_info_free(&info);
    assert_null(info.moves);

    const char *ret = fmt("{\"txn_id\":\"R1-2\",\"type\":\"return\",\"original_txn_id\":\"R1-1\","
                          "\"register_id\":\"R1\",\"occurred_at\":\"2026-11-22T10:15:00Z\","
                          "\"currency\":\"EUR\",\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1,"
                          "\"unit_price\":500,\"amount\":500}],\"total\":500,"
                          "\"payments\":[{\"method\":\"cash\",\"amount\":500}]}");
    assert_int_equal(validate(ret, &info, &err), 0);
    assert_int_equal(info.is_return, 1);
    assert_string_equal(info.txn_id, "R1-2");
    assert_int_equal(info.n_moves, 1);
    assert_int_equal(info.moves[0].qty_milli, 1000);
    ts_txn_info_free(&info);
}

static void test_unknown_fields_kept(void **state)
{
    ts_txn_info info, plain;
    ts_txn_error err;
    const char *body =
        "{\"txn_id\":\"T-9\",\"type\":\"sale\",\"register_id\":\"R7\",\"x_top\":{\"a\":[1,{\"b\":"
        "null}]},\"occurred_at\":\"2026-02-28T23:59:59.123456-05:30\",\"currency\":\"USD\","
        "\"lines\":[{\"sku\":\"A\",\"qty\":1.5,\"unit_price\":100,\"amount\":150,\"note\":\"x\","
        "\"barcode\":\"4006381333931\",\"tax\":{\"rate\":0.19}}],\"total\":150,"
        "\"payments\":[{\"method\":\"gift_card\",\"amount\":150,\"extra\":[true,false]}]}";
    assert_int_equal(validate(body, &info, &err), 0);
    assert_string_equal(info.txn_id, "T-9");
    assert_string_equal(info.register_id, "R7");
    assert_int_equal(info.n_moves, 1);
    assert_int_equal(info.moves[0].qty_milli, 1500);
    /* Unknown fields are part of the value, so they change the digest. */
    assert_int_equal(validate(base(), &plain, &err), 0);
    assert_memory_not_equal(info.digest, plain.digest, 32);
    ts_txn_info_free(&info);
    ts_txn_info_free(&plain);
}

static void test_malformed(void **state)
{
    expect_400("");
    expect_400(" ");
    expect_400("{");
    expect_400("[]");
    expect_400("\"txn\"");
    expect_400("42");
    expect_400("null");
    expect_400(fmt("%s x", base()));
    expect_400(fmt("%s}", base()));
    expect_400(fmt("%s%s", base(), base()));
    expect_400("{\"a\":1,}");
    expect_400("{\"a\" 1}");
    expect_400("{'a':1}");
    expect_400("{\"a\":01}");
    expect_400("{\"a\":1.}");
    expect_400("{\"a\":.5}");
    expect_400("{\"a\":1e}");
    expect_400("{\"a\":NaN}");
    expect_400("{\"a\":tru}");
    expect_400("{\"a\":\"\\x\"}");
    expect_400("{\"a\":\"\\u12G4\"}");
    expect_400("{\"a\":\"\\ud800\"}");          /* lone high surrogate */
    expect_400("{\"a\":\"\\udc00\\ud800\"}");   /* pair in the wrong order */
    expect_400("{\"a\":\"tab\there\"}");        /* raw control character */
    expect_400("{\"a\":\"\xc3\x28\"}");         /* invalid UTF-8 */
    expect_400("{\"a\":\"\xc0\xaf\"}");         /* overlong '/' */
    expect_400("{\"a\":\"\xed\xa0\x80\"}");     /* encoded surrogate */
    expect_400("{\"a\":\"\xf4\x90\x80\x80\"}"); /* above U+10FFFF */
    expect_400("\xef\xbb\xbf{}");               /* byte order mark */
    /* A NUL byte ends nothing: the length is what counts. */
    ts_txn_info info;
    ts_txn_error err;
    assert_int_equal(ts_txn_validate("{}\0", 3, &info, &err), TS_EINVAL);
    assert_int_equal(err.status, 400);
    /* Valid UTF-8 and escapes are fine, also in unknown fields. */
    expect_valid(txn_with("note", "\"gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80 "
                                  "\\ud83d\\ude00 \\u00e9 \\\" \\\\ \\/ \\b\\f\\n\\r\\t\""));
}

static void test_refused_txn_keeps_its_id(void **state)
{
    ts_txn_info info;
    ts_txn_error err;
    assert_int_equal(validate(txn_with("total", "1"), &info, &err), TS_EINVAL);
    assert_string_equal(info.txn_id, "R1-20261122-000123");
    assert_null(info.moves);
    assert_int_equal(validate(txn_with("memo", "\"4111111111111111\""), &info, &err), TS_EINVAL);
    assert_string_equal(info.txn_id, "R1-20261122-000123");
    assert_int_equal(validate(txn_with("txn_id", "\"a b\""), &info, &err), TS_EINVAL);
    assert_string_equal(info.txn_id, "");
    assert_int_equal(validate("[1]", &info, &err), TS_EINVAL);
    assert_string_equal(info.txn_id, "");
}

static void test_depth(void **state)
{
    /* The body is depth 1, so a member may nest 15 more levels. */
    expect_valid(txn_with("deep", nested(15)));
    expect_400(txn_with("deep", nested(16)));
    expect_400(txn_with("deep", nested(5000)));
    const char *depth_error = txn_with("deep", nested(16));
    ts_txn_info info;
    ts_txn_error err;
    validate(depth_error, &info, &err);
    assert_non_null(strstr(err.message, "16"));
}

static void test_txn_id_type_register(void **state)
{
    expect_422(txn_with("txn_id", NULL), "invalid_txn_id", "txn_id");
    expect_422(txn_with("txn_id", "\"\""), "invalid_txn_id", "txn_id");
    expect_422(txn_with("txn_id", "\"a b\""), "invalid_txn_id", "txn_id");
    expect_422(txn_with("txn_id", "\"caf\xc3\xa9\""), "invalid_txn_id", "txn_id");
    expect_422(txn_with("txn_id", "123"), "invalid_txn_id", "txn_id");
    expect_422(txn_with("txn_id", "null"), "invalid_txn_id", "txn_id");
    expect_422(txn_with("txn_id", fmt("\"%065d\"", 7)), "invalid_txn_id", "txn_id");
    expect_valid(txn_with("txn_id", fmt("\"%064d\"", 7)));
    expect_valid(txn_with("txn_id", "\"Az09._:-\""));
    expect_valid(txn_with("txn_id", "\"\\u0041-1\"")); /* judged decoded: "A-1" */

    expect_422(txn_with("type", NULL), "invalid_type", "type");
    expect_422(txn_with("type", "\"refund\""), "invalid_type", "type");
    expect_422(txn_with("type", "\"Sale\""), "invalid_type", "type");
    expect_422(txn_with("type", "1"), "invalid_type", "type");

    expect_422(txn_with("type", "\"return\""), "missing_original_txn_id", "original_txn_id");
    const char *ret = txn_with("type", "\"return\"");
    expect_422(fmt("%.*s, \"original_txn_id\": \"\"}", (int)strlen(ret) - 1, ret),
               "missing_original_txn_id", "original_txn_id");
    expect_422(fmt("%.*s, \"original_txn_id\": \"R1 1\"}", (int)strlen(ret) - 1, ret),
               "missing_original_txn_id", "original_txn_id");
    expect_422(fmt("%.*s, \"original_txn_id\": 17}", (int)strlen(ret) - 1, ret),
               "missing_original_txn_id", "original_txn_id");
    expect_valid(fmt("%.*s, \"original_txn_id\": \"R1-1\"}", (int)strlen(ret) - 1, ret));
    /* On a sale it is not judged. */
    expect_valid(txn_with("original_txn_id", "null"));

    expect_422(txn_with("register_id", NULL), "invalid_register_id", "register_id");
    expect_422(txn_with("register_id", "\"\""), "invalid_register_id", "register_id");
    expect_422(txn_with("register_id", "\"R 1\""), "invalid_register_id", "register_id");
    expect_422(txn_with("register_id", fmt("\"%033d\"", 1)), "invalid_register_id", "register_id");
    expect_valid(txn_with("register_id", fmt("\"%032d\"", 1)));
}

static void test_timestamp(void **state)
{
    static const char *const bad[] = {
        "2026-11-22T10:15:00",
        "2026-11-22 10:15:00Z",
        "2026-13-01T10:15:00Z",
        "2026-00-01T10:15:00Z",
        "2026-02-30T10:15:00Z",
        "2025-02-29T10:15:00Z",
        "1900-02-29T10:15:00Z",
        "2026-04-31T10:15:00Z",
        "2026-11-00T10:15:00Z",
        "2026-11-22T24:00:00Z",
        "2026-11-22T10:60:00Z",
        "2026-11-22T10:15:61Z",
        "2026-11-22T10:15:60Z",
        "2026-11-22T10:15:00+24:00",
        "2026-11-22T10:15:00+01:60",
        "2026-11-22T10:15:00+0100",
        "2026-11-22T10:15:00+01",
        "2026-11-22T10:15:00.Z",
        "2026-11-22T10:15:00ZZ",
        "26-11-22T10:15:00Z",
        "2026-1-22T10:15:00Z",
        "2026-11-22T10:15:00 +01:00",
        "+2026-11-22T10:15:00Z",
        "2026-11-22T1a:15:00Z",
        "",
    };
    static const char *const good[] = {
        "2026-11-22T10:15:00Z",        "2026-11-22t10:15:00z",
        "2024-02-29T00:00:00Z",        "2000-02-29T23:59:59-12:00",
        "2026-11-22T10:15:00.5+01:00", "2026-11-22T10:15:00.123456789Z",
        "2016-12-31T23:59:60Z",        "2017-01-01T00:59:60+01:00",
        "2026-06-30T19:59:60-04:00",   "0001-01-01T00:00:00-00:00",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_422(txn_with("occurred_at", fmt("\"%s\"", bad[i])), "invalid_timestamp",
                   "occurred_at");
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        expect_valid(txn_with("occurred_at", fmt("\"%s\"", good[i])));
    expect_422(txn_with("occurred_at", NULL), "invalid_timestamp", "occurred_at");
    expect_422(txn_with("occurred_at", "1764000000"), "invalid_timestamp", "occurred_at");
}

static void test_currency(void **state)
{
    expect_422(txn_with("currency", NULL), "invalid_currency", "currency");
    expect_422(txn_with("currency", "\"eur\""), "invalid_currency", "currency");
    expect_422(txn_with("currency", "\"EU\""), "invalid_currency", "currency");
    expect_422(txn_with("currency", "\"EURO\""), "invalid_currency", "currency");
    expect_422(txn_with("currency", "978"), "invalid_currency", "currency");
    expect_valid(txn_with("currency", "\"CHF\""));
}

/* A txn with one line {sku, qty, unit_price, amount} given as raw JSON,
 * whose total and payment both equal total. */
static const char *one_line(const char *sku, const char *qty, const char *unit_price,
                            const char *amount, const char *total)
{
    return fmt("{\"txn_id\":\"T1\",\"type\":\"sale\",\"register_id\":\"R1\","
               "\"occurred_at\":\"2026-11-22T10:15:00Z\",\"currency\":\"EUR\","
               "\"lines\":[{\"sku\":%s,\"qty\":%s,\"unit_price\":%s,\"amount\":%s}],"
               "\"total\":%s,\"payments\":[{\"method\":\"cash\",\"amount\":%s}]}",
               sku, qty, unit_price, amount, total, total);
}

static int64_t qty_milli_of(const char *qty)
{
    ts_txn_info info;
    ts_txn_error err;
    int64_t q = -1;
    if (validate(one_line("\"S\"", qty, "1", "1", "1"), &info, &err) == 0)
        q = info.moves[0].qty_milli;
    ts_txn_info_free(&info);
    return q;
}

static void test_lines(void **state)
{
    expect_422(txn_with("lines", NULL), "invalid_lines", "lines");
    expect_422(txn_with("lines", "[]"), "invalid_lines", "lines");
    expect_422(txn_with("lines", "{}"), "invalid_lines", "lines");
    expect_422(txn_with("lines", "\"x\""), "invalid_lines", "lines");
    expect_422(txn_with("lines", "[1]"), "invalid_lines", "lines[0]");
    expect_422(txn_with("lines", "[{\"sku\":\"S\",\"qty\":1,\"unit_price\":1,\"amount\":1},null]"),
               "invalid_lines", "lines[1]");
    /* 500 lines are fine, 501 are not. */
    const char *many = fmt("{\"txn_id\":\"T1\",\"type\":\"sale\",\"register_id\":\"R1\","
                           "\"occurred_at\":\"2026-11-22T10:15:00Z\",\"currency\":\"EUR\","
                           "\"lines\":%s,\"total\":1000,\"payments\":%s}",
                           lines_of(500, 2), payments_of(1, 1000));
    ts_txn_info info;
    ts_txn_error err;
    assert_int_equal(validate(many, &info, &err), 0);
    assert_int_equal(info.n_moves, 500);
    ts_txn_info_free(&info);
    expect_422(fmt("{\"txn_id\":\"T1\",\"type\":\"sale\",\"register_id\":\"R1\","
                   "\"occurred_at\":\"2026-11-22T10:15:00Z\",\"currency\":\"EUR\","
                   "\"lines\":%s,\"total\":1002,\"payments\":%s}",
                   lines_of(501, 2), payments_of(1, 1002)),
               "invalid_lines", "lines");
}

static void test_sku(void **state)
{
    expect_422(one_line("\"\"", "1", "1", "1", "1"), "invalid_sku", "lines[0].sku");
    expect_422(one_line("17", "1", "1", "1", "1"), "invalid_sku", "lines[0].sku");
    expect_422(one_line("null", "1", "1", "1", "1"), "invalid_sku", "lines[0].sku");
    expect_422(one_line("\"a\\u0007b\"", "1", "1", "1", "1"), "invalid_sku", "lines[0].sku");
    expect_422(one_line("\"a\\nb\"", "1", "1", "1", "1"), "invalid_sku", "lines[0].sku");
    expect_422(one_line("\"a\\u0000\"", "1", "1", "1", "1"), "invalid_sku", "lines[0].sku");
    expect_422(one_line("\"a\x7f\"", "1", "1", "1", "1"), "invalid_sku", "lines[0].sku");
    expect_422(one_line("\"a\xc2\x85\"", "1", "1", "1", "1"), "invalid_sku", "lines[0].sku");
    expect_422(one_line(fmt("\"%065d\"", 1), "1", "1", "1", "1"), "invalid_sku", "lines[0].sku");
    /* 64 characters, not bytes: 64 two-byte characters are fine, 65 are not;
     * 64 four-byte characters too (pos-api.md counts code points). */
    char u[300] = "\"";
    for (int i = 0; i < 64; i++)
        strcat(u, "\xc3\xa9");
    expect_valid(one_line(fmt("%s\"", u), "1", "1", "1", "1"));
    expect_422(one_line(fmt("%s\xc3\xa9\"", u), "1", "1", "1", "1"), "invalid_sku", "lines[0].sku");
    expect_valid(one_line(fmt("\"%064d\"", 1), "1", "1", "1", "1"));
    char emoji[300] = "\"";
    for (int i = 0; i < 64; i++)
        strcat(emoji, "\xf0\x9f\x8d\x8e");
    expect_valid(one_line(fmt("%s\"", emoji), "1", "1", "1", "1"));
    expect_422(one_line(fmt("%sx\"", emoji), "1", "1", "1", "1"), "invalid_sku", "lines[0].sku");
    expect_valid(one_line("\"SKU 1/2 \\\"x\\\"\"", "1", "1", "1", "1"));
    /* A missing sku in the second line names that line. */
    expect_422(txn_with("lines", "[{\"sku\":\"S\",\"qty\":1,\"unit_price\":1,\"amount\":1},"
                                 "{\"qty\":1,\"unit_price\":1,\"amount\":1}]"),
               "invalid_sku", "lines[1].sku");
}

static void test_qty(void **state)
{
    static const char *const bad[] = {"0",
                                      "0.0",
                                      "-1",
                                      "-0.5",
                                      "0.0005",
                                      "1e-4",
                                      "0.00001e1",
                                      "\"2\"",
                                      "null",
                                      "true",
                                      "1000000.001",
                                      "1000001",
                                      "1e7",
                                      "1e999999999999999999999",
                                      "1e-999999999999999999",
                                      "123456789012345678901234567890"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_422(one_line("\"S\"", bad[i], "1", "1", "1"), "invalid_qty", "lines[0].qty");
    assert_int_equal(qty_milli_of("1000000"), 1000000000);
    assert_int_equal(qty_milli_of("1e6"), 1000000000);
    assert_int_equal(qty_milli_of("1000000.000"), 1000000000);
    assert_int_equal(qty_milli_of("0.001"), 1);
    assert_int_equal(qty_milli_of("1e-3"), 1);
    assert_int_equal(qty_milli_of("0.1"), 100);
    assert_int_equal(qty_milli_of("2.500"), 2500);
    assert_int_equal(qty_milli_of("2.5000"), 2500); /* value, not literal, decides */
    assert_int_equal(qty_milli_of("25e-1"), 2500);
    assert_int_equal(qty_milli_of("1E2"), 100000);
    assert_int_equal(qty_milli_of("0.345"), 345);
    assert_int_equal(qty_milli_of("10.01"), 10010);
    assert_int_equal(qty_milli_of("0.00012e1"), -1);
    assert_int_equal(qty_milli_of("0.0012e1"), 12);
    expect_422(txn_with("lines", "[{\"sku\":\"S\",\"qty\":1,\"unit_price\":1,\"amount\":1},"
                                 "{\"sku\":\"S\",\"unit_price\":1,\"amount\":1}]"),
               "invalid_qty", "lines[1].qty");
}

static void test_amounts(void **state)
{
    static const char *const bad[] = {
        "12.0",  "1e3",  "-1",  "-0",  "1000000000001",
        "\"5\"", "null", "1.5", "0e0", "123456789012345678901234567890"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_422(one_line("\"S\"", "1", bad[i], "1", "1"), "invalid_amount",
                   "lines[0].unit_price");
        expect_422(one_line("\"S\"", "1", "1", bad[i], "1"), "invalid_amount", "lines[0].amount");
    }
    expect_valid(one_line("\"S\"", "1", "0", "0", "0"));
    expect_valid(one_line("\"S\"", "1", "1000000000000", "1000000000000", "1000000000000"));
    /* unit_price * qty need not equal amount (discounts, rounding). */
    expect_valid(one_line("\"S\"", "3", "333", "1000", "1000"));
    /* 500 lines at the maximum add up without overflow. */
    const char *sum = fmt("{\"txn_id\":\"T1\",\"type\":\"sale\",\"register_id\":\"R1\","
                          "\"occurred_at\":\"2026-11-22T10:15:00Z\",\"currency\":\"EUR\","
                          "\"lines\":%s,\"total\":500000000000000,\"payments\":%s}",
                          lines_of(500, 1000000000000LL), payments_of(20, 25000000000000LL));
    expect_valid(sum);
}

static void test_total_and_payments(void **state)
{
    expect_422(txn_with("total", NULL), "total_mismatch", "total");
    expect_422(txn_with("total", "3284"), "total_mismatch", "total");
    expect_422(txn_with("total", "\"3285\""), "total_mismatch", "total");
    expect_422(txn_with("total", "3285.0"), "total_mismatch", "total");
    expect_422(txn_with("total", "-3285"), "total_mismatch", "total");
    expect_422(txn_with("total", "99999999999999999999999999"), "total_mismatch", "total");

    expect_422(txn_with("payments", NULL), "invalid_payment", "payments");
    expect_422(txn_with("payments", "[]"), "invalid_payment", "payments");
    expect_422(txn_with("payments", "{}"), "invalid_payment", "payments");
    expect_422(txn_with("payments", payments_of(21, 1)), "invalid_payment", "payments");
    expect_422(txn_with("payments", "[1]"), "invalid_payment", "payments[0]");
    expect_422(txn_with("payments", "[{\"method\":\"bitcoin\",\"amount\":3285}]"),
               "invalid_payment", "payments[0].method");
    expect_422(txn_with("payments", "[{\"amount\":3285}]"), "invalid_payment",
               "payments[0].method");
    expect_422(txn_with("payments", "[{\"method\":\"Cash\",\"amount\":3285}]"), "invalid_payment",
               "payments[0].method");
    expect_422(txn_with("payments", "[{\"method\":\"cash\",\"amount\":3000},"
                                    "{\"method\":\"card\",\"amount\":-285}]"),
               "invalid_payment", "payments[1].amount");
    expect_422(txn_with("payments", "[{\"method\":\"cash\",\"amount\":3285.0}]"), "invalid_payment",
               "payments[0].amount");
    expect_422(txn_with("payments", "[{\"method\":\"cash\"}]"), "invalid_payment",
               "payments[0].amount");
    expect_422(txn_with("payments", "[{\"method\":\"cash\",\"amount\":3000}]"), "payment_mismatch",
               "payments");
    expect_422(txn_with("payments", "[{\"method\":\"cash\",\"amount\":99999999999999999999999}]"),
               "payment_mismatch", "payments");
    expect_valid(txn_with("payments", "[{\"method\":\"cash\",\"amount\":3000},"
                                      "{\"method\":\"voucher\",\"amount\":285},"
                                      "{\"method\":\"store_credit\",\"amount\":0},"
                                      "{\"method\":\"other\",\"amount\":0}]"));
}

static void test_twenty_payments(void **state)
{
    const char *body = fmt("{\"txn_id\":\"T1\",\"type\":\"sale\",\"register_id\":\"R1\","
                           "\"occurred_at\":\"2026-11-22T10:15:00Z\",\"currency\":\"EUR\","
                           "\"lines\":%s,\"total\":20,\"payments\":%s}",
                           lines_of(1, 20), payments_of(20, 1));
    expect_valid(body);
}

static void expect_card_refused_at(const char *body, const char *field, const char *secret,
                                   int line)
{
    ts_txn_info info;
    ts_txn_error err;
    expect_error_at(body, 422, "card_data_forbidden", field, line);
    validate(body, &info, &err);
    assert_null(strstr(err.message, secret));
    assert_null(strstr(err.field, secret));
}
#define expect_card_refused(body, field, secret)                                                   \
    expect_card_refused_at(body, field, secret, __LINE__)

static void test_card_number_detection(void **state)
{
    assert_true(ts_has_card_number("4111 1111 1111 1111", 19));
    assert_true(ts_has_card_number("5500-0000-0000-0004", 19));
    assert_true(ts_has_card_number("4111111111111111", 16));
    assert_true(ts_has_card_number("4222222222222", 13));           /* 13 digits */
    assert_true(ts_has_card_number("6011000000000000001", 19));     /* 19 digits */
    assert_true(ts_has_card_number("pan:4111111111111111;", 21));   /* inside text */
    assert_true(ts_has_card_number("abc4111-1111 1111-1111x", 23)); /* mixed separators */
    assert_true(ts_has_card_number("x 4111111111111111-", 19));     /* trailing separator */
    assert_false(ts_has_card_number("4111 1111 1111 1112", 19));    /* Luhn fails */
    assert_false(ts_has_card_number("411111111117", 12));           /* 12 digits, Luhn-valid */
    assert_false(ts_has_card_number("41111111111111111115", 20));   /* 20 digits, Luhn-valid */
    assert_false(ts_has_card_number("4111  1111 1111 1111", 20)); /* double space splits the run */
    assert_false(ts_has_card_number("4111 - 1111 1111 1111", 21));
    assert_false(ts_has_card_number("4111.1111.1111.1111", 19));
    assert_false(ts_has_card_number("", 0));
    /* A long run holding a Luhn-valid 16-digit window is not a card. */
    assert_false(ts_has_card_number("9994111111111111111998", 22));
    /* Two runs split by a letter: each is judged on its own. */
    assert_true(ts_has_card_number("12x4111111111111111", 19));
}

static void test_card_data_in_txn(void **state)
{
    const char *pan = "4111111111111111";
    expect_card_refused(txn_with("payments", "[{\"method\":\"card\",\"amount\":3285,"
                                             "\"reference\":\"4111 1111 1111 1111\"}]"),
                        "payments[0].reference", "4111");
    expect_card_refused(txn_with("customer_ref", "\"5500-0000-0000-0004\""), "customer_ref",
                        "5500");
    expect_card_refused(txn_with("x", "{\"y\":[\"a\",{\"z\":\"card 4111111111111111\"}]}"),
                        "x.y[1].z", pan);
    /* Escapes cannot hide it. */
    expect_card_refused(txn_with("memo", "\"\\u0034111111111111111\""), "memo", "111111");
    /* Keys are strings too; the key is not printed. */
    expect_card_refused(txn_with("x", "{\"4111111111111111\":1}"), "x.?", pan);
    expect_card_refused(fmt("{\"4111111111111111\":1,%s", base() + 1), "?", pan);
    /* A key that is not a plain identifier shows as "?". */
    expect_card_refused(txn_with("x", "{\"a b\":{\"c\":\"4111111111111111\"}}"), "x.?.c", pan);
    /* In the id fields it is allowed (the spec exempts them). */
    expect_valid(txn_with("txn_id", "\"4111111111111111\""));
    expect_valid(txn_with("register_id", "\"4111111111111111\""));
    expect_valid(txn_with("lines", "[{\"sku\":\"4111111111111111\",\"qty\":1,\"unit_price\":3285,"
                                   "\"amount\":3285,\"barcode\":\"4111111111111111\"}]"));
    const char *ret = txn_with("type", "\"return\"");
    expect_valid(
        fmt("%.*s, \"original_txn_id\": \"4111111111111111\"}", (int)strlen(ret) - 1, ret));
    /* ...but only as those exact fields. */
    expect_card_refused(txn_with("x", "{\"txn_id\":\"4111111111111111\"}"), "x.txn_id", pan);
    expect_card_refused(txn_with("payments", "[{\"method\":\"card\",\"amount\":3285,"
                                             "\"sku\":\"4111111111111111\"}]"),
                        "payments[0].sku", pan);
    /* Numbers are not strings: the spec only covers string values. */
    expect_valid(txn_with("created_ms", "4111111111111111"));
    /* Card data is reported before any other rule. */
    expect_card_refused(fmt("{\"type\":\"nope\",\"memo\":\"%s\"}", pan), "memo", pan);
    expect_card_refused(fmt("{\"memo\":\"%s\",\"memo\":1}", pan), "memo", pan);
    /* Not card data: wrong Luhn, too short, too long. */
    expect_valid(txn_with("memo", "\"4111111111111112 / 411111111117 / 41111111111111111115\""));
}

/* issue 13: a number central cannot parse must not be stored (it would
 * block the queue head). 64 characters pass, 65 do not, anywhere. */
static void test_long_numbers(void **state)
{
    (void)state;
    char n64[80], n65[80], big[4100];
    memset(n64, '1', 64);
    n64[64] = '\0';
    memset(n65, '1', 65);
    n65[65] = '\0';
    memset(big, '9', 4000);
    big[4000] = '\0';
    expect_valid(txn_with("x", n64));
    expect_422(txn_with("x", n65), "invalid_number", "");
    expect_422(txn_with("x", big), "invalid_number", "");
    expect_422(txn_with("x", fmt("{\"a\":[1,-0.%s]}", n64)), "invalid_number", "");
    expect_422(txn_with("x", fmt("1e%s", n64)), "invalid_number", "");
}

static void test_duplicate_keys(void **state)
{
    expect_422(txn_with("total", "3285, \"total\": 3285"), "duplicate_key", "total");
    expect_422(txn_with("total", "3285, \"total\": -1"), "duplicate_key", "total");
    expect_422(txn_with("lines", "[{\"sku\":\"S\",\"qty\":1,\"qty\":2,\"unit_price\":3285,"
                                 "\"amount\":3285}]"),
               "duplicate_key", "lines[0].qty");
    expect_422(txn_with("x", "{\"a\":1,\"b\":2,\"a\":3}"), "duplicate_key", "x.a");
    /* The same key once decoded counts as the same key. */
    expect_422(txn_with("x", "{\"ab\":1,\"a\\u0062\":2}"), "duplicate_key", "x.ab");
    expect_valid(txn_with("x", "{\"a\":1,\"A\":2,\"a \":3}"));
    /* Many keys: sorting, not pairs, so this stays fast. */
    ts_buf b;
    const char *head = base();
    ts_buf_init(&b, 1 << 20);
    ts_buf_append(&b, head, strlen(head) - 1);
    ts_buf_puts(&b, ", \"x\": {");
    for (int i = 0; i < 20000; i++)
        ts_buf_printf(&b, "\"k%d\":%d,", i, i);
    ts_buf_puts(&b, "\"k77\":0}}");
    assert_true(ts_buf_ok(&b));
    expect_422(b.data, "duplicate_key", "x.k77");
    ts_buf_free(&b);
}

static void digest_of(const char *body, uint8_t out[32])
{
    ts_txn_info info;
    ts_txn_error err;
    memset(out, 0, 32);
    if (validate(body, &info, &err) != 0) {
        fail_msg("digest_of: refused %s %s: %s", err.code, err.field, body);
    }
    memcpy(out, info.digest, 32);
    ts_txn_info_free(&info);
}

static int same_digest(const char *a, const char *b)
{
    uint8_t da[32], db[32];
    digest_of(a, da);
    digest_of(b, db);
    return memcmp(da, db, 32) == 0;
}

static void test_digest(void **state)
{
    const char *compact =
        "{\"txn_id\":\"T1\",\"type\":\"sale\",\"register_id\":\"R1\",\"occurred_at\":"
        "\"2026-11-22T10:15:00Z\",\"currency\":\"EUR\",\"lines\":[{\"sku\":\"A\",\"qty\":1.5,"
        "\"unit_price\":100,\"amount\":150}],\"total\":150,\"payments\":[{\"method\":\"cash\","
        "\"amount\":150}],\"x\":{\"b\":[1,\"\\u00e9\"],\"a\":null}}";
    const char *reordered =
        " {\n\t\"x\" : { \"a\" : null , \"b\" : [ 1 , \"\xc3\xa9\" ] } ,\r\n \"payments\":[{"
        "\"amount\":150,\"method\":\"cash\"}], \"total\":150,\"lines\":[{\"amount\":150,"
        "\"unit_price\":100,\"qty\":15e-1,\"sku\":\"\\u0041\"}],\"currency\":\"EUR\","
        "\"occurred_at\":\"2026-11-22T10:15:00Z\",\"register_id\":\"R1\",\"type\":\"sale\","
        "\"txn_id\":\"T1\"} ";
    assert_true(same_digest(compact, reordered));
    assert_true(same_digest(txn_with("n", "1.50"), txn_with("n", "1.5")));
    assert_true(same_digest(txn_with("n", "1.5"), txn_with("n", "0.15e1")));
    assert_true(same_digest(txn_with("n", "100"), txn_with("n", "1e2")));
    assert_true(same_digest(txn_with("n", "100"), txn_with("n", "1.00E+2")));
    assert_true(same_digest(txn_with("n", "0"), txn_with("n", "-0.0e5")));
    assert_true(same_digest(txn_with("s", "\"a/b\""), txn_with("s", "\"a\\/b\"")));
    assert_true(same_digest(txn_with("s", "\"\\u001f\\n\""), txn_with("s", "\"\\u001F\\u000a\"")));
    assert_true(
        same_digest(txn_with("s", "\"\xf0\x9f\x98\x80\""), txn_with("s", "\"\\uD83D\\uDE00\"")));
    /* Different values, different digests. */
    assert_false(same_digest(compact, txn_with("x", "1")));
    assert_false(same_digest(txn_with("n", "1"), txn_with("n", "2")));
    assert_false(same_digest(txn_with("n", "1"), txn_with("n", "10")));
    assert_false(same_digest(txn_with("n", "1.5"), txn_with("n", "-1.5")));
    assert_false(same_digest(txn_with("n", "15"), txn_with("n", "1.5")));
    assert_false(same_digest(txn_with("n", "1"), txn_with("n", "\"1\"")));
    assert_false(same_digest(txn_with("n", "[1,2]"), txn_with("n", "[2,1]")));
    assert_false(same_digest(txn_with("n", "[[]]"), txn_with("n", "[]")));
    assert_false(same_digest(txn_with("n", "{}"), txn_with("n", "[]")));
    assert_false(same_digest(txn_with("n", "null"), txn_with("n", "false")));
    assert_false(same_digest(txn_with("n", "{\"a\":\"b\"}"), txn_with("n", "{\"ab\":\"\"}")));
    assert_false(same_digest(txn_with("n", "\"a\\\"\""), txn_with("n", "\"a\\\\\"")));
    assert_false(same_digest(txn_with("n", "1e99999999999999999999"),
                             txn_with("n", "1e99999999999999999998")));
    assert_false(same_digest(txn_with("n", "1e-5"), txn_with("n", "1e5")));
    assert_false(same_digest(base(), txn_with("customer_ref", "\"LOY-99813\"")));
}

/* ---- batches ------------------------------------------------------------ */

static int split(const char *body, ts_span *spans, size_t max, size_t *n, ts_txn_error *err)
{
    return ts_txn_batch_split(body, strlen(body), spans, max, n, err);
}

static void expect_span(const char *body, const ts_span *s, const char *want)
{
    assert_int_equal(s->len, strlen(want));
    assert_true(s->off + s->len <= strlen(body));
    assert_memory_equal(body + s->off, want, strlen(want));
}

static void test_batch_spans(void **state)
{
    ts_span spans[TS_BATCH_MAX];
    ts_txn_error err;
    size_t n = 99;
    const char *e0 = "{\"txn_id\":\"a]}\",\"note\":\"[{\\\"}]\\\\\"}";
    const char *e1 = "{ \"x\" : [ 1 , { \"y\" : \"}\" } ] }";
    const char *body = fmt(" {\"meta\": {\"transactions\": 1},\n \"transactions\" : [ %s ,\n\t%s"
                           ", 12.5e3, \"str]\", null ] , \"other\": [] } ",
                           e0, e1);
    assert_int_equal(split(body, spans, TS_BATCH_MAX, &n, &err), 0);
    assert_int_equal(n, 5);
    expect_span(body, &spans[0], e0);
    expect_span(body, &spans[1], e1);
    expect_span(body, &spans[2], "12.5e3");
    expect_span(body, &spans[3], "\"str]\"");
    expect_span(body, &spans[4], "null");

    /* Each span is a txn of its own for the validator. */
    const char *real = fmt("{\"transactions\":[%s,%s]}", base(), txn_with("txn_id", "\"T-2\""));
    ts_txn_info info;
    assert_int_equal(split(real, spans, TS_BATCH_MAX, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(ts_txn_validate(real + spans[1].off, spans[1].len, &info, &err), 0);
    assert_string_equal(info.txn_id, "T-2");
    ts_txn_info_free(&info);
    /* A non-object element is that element's own 400. */
    assert_int_equal(ts_txn_validate(body + spans[4].off, spans[4].len, &info, &err), TS_EINVAL);
    assert_int_equal(err.status, 400);
}

static void expect_batch_error_at(const char *body, size_t max, int status, const char *code,
                                  const char *field, int line)
{
    ts_span spans[8];
    ts_txn_error err;
    size_t n = 99;
    int rc = split(body, spans, max, &n, &err);
    if (rc != TS_EINVAL || strcmp(err.code, code) != 0)
        fprintf(stderr, "line %d: want %s, got rc=%d %s\n", line, code, rc, rc ? err.code : "-");
    assert_int_equal(rc, TS_EINVAL);
    assert_int_equal(err.status, status);
    assert_string_equal(err.code, code);
    assert_string_equal(err.field, field);
    assert_int_equal(n, 0);
}
#define expect_batch_error(body, max, status, code, field)                                         \
    expect_batch_error_at(body, max, status, code, field, __LINE__)

static void test_batch_errors(void **state)
{
    expect_batch_error("", 8, 400, "malformed_json", "");
    expect_batch_error("[{}]", 8, 400, "malformed_json", "");
    expect_batch_error("{\"transactions\":[{}]", 8, 400, "malformed_json", "");
    expect_batch_error("{\"transactions\":[{}]} x", 8, 400, "malformed_json", "");
    expect_batch_error("{\"transactions\":[{\"a\":\"\xff\"}]}", 8, 400, "malformed_json", "");
    expect_batch_error("{}", 8, 422, "invalid_batch", "transactions");
    expect_batch_error("{\"txns\":[{}]}", 8, 422, "invalid_batch", "transactions");
    expect_batch_error("{\"transactions\":{}}", 8, 422, "invalid_batch", "transactions");
    expect_batch_error("{\"transactions\":[]}", 8, 422, "invalid_batch", "transactions");
    expect_batch_error("{\"transactions\":[{}],\"transactions\":[{}]}", 8, 422, "invalid_batch",
                       "transactions");
    expect_batch_error("{\"transactions\":[{},{},{}]}", 2, 422, "too_many_transactions",
                       "transactions");
    /* Each element may nest 16 levels, as a single txn may. */
    ts_span spans[8];
    ts_txn_error err;
    size_t n;
    assert_int_equal(split(fmt("{\"transactions\":[{\"d\":%s}]}", nested(15)), spans, 8, &n, &err),
                     0);
    expect_batch_error(fmt("{\"transactions\":[{\"d\":%s}]}", nested(16)), 8, 400, "malformed_json",
                       "");
    /* 500 elements are fine, 501 are not. */
    ts_buf b;
    ts_span *big = calloc(TS_BATCH_MAX, sizeof(*big));
    ts_buf_init(&b, 1 << 20);
    ts_buf_puts(&b, "{\"transactions\":[{}");
    for (int i = 1; i < TS_BATCH_MAX; i++)
        ts_buf_puts(&b, ",{}");
    ts_buf_puts(&b, "]}");
    assert_int_equal(split(b.data, big, TS_BATCH_MAX, &n, &err), 0);
    assert_int_equal(n, TS_BATCH_MAX);
    assert_int_equal(big[499].len, 2);
    b.len -= 2;
    ts_buf_puts(&b, ",{}]}");
    assert_int_equal(split(b.data, big, TS_BATCH_MAX, &n, &err), TS_EINVAL);
    assert_string_equal(err.code, "too_many_transactions");
    ts_buf_free(&b);
    free(big);
}

/* ---- big and odd inputs ------------------------------------------------- */

static void test_big_inputs(void **state)
{
    /* A 256 KiB body of one long string, one wide array, one deep-ish
     * object chain: all judged (fast: no quadratic walk). */
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    const char *head = base();
    ts_buf_append(&b, head, strlen(head) - 1);
    ts_buf_puts(&b, ", \"blob\": \"");
    while (b.len < 200 * 1024)
        ts_buf_puts(&b, "abcdefghij 0123456789 ");
    ts_buf_puts(&b, "\", \"wide\": [");
    for (int i = 0; i < 10000; i++)
        ts_buf_printf(&b, "%s%d", i ? "," : "", i);
    ts_buf_puts(&b, "]}");
    assert_true(ts_buf_ok(&b));
    expect_valid(b.data);
    ts_buf_free(&b);

    /* Every byte value at the top level is refused cleanly. */
    for (int c = 0; c < 256; c++) {
        char one[2] = {(char)c, 0};
        ts_txn_info info;
        ts_txn_error err;
        assert_int_equal(ts_txn_validate(one, 1, &info, &err), TS_EINVAL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_valid_sale_and_return),
        cmocka_unit_test(test_unknown_fields_kept),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_refused_txn_keeps_its_id),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_txn_id_type_register),
        cmocka_unit_test(test_timestamp),
        cmocka_unit_test(test_currency),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_sku),
        cmocka_unit_test(test_qty),
        cmocka_unit_test(test_amounts),
        cmocka_unit_test(test_total_and_payments),
        cmocka_unit_test(test_twenty_payments),
        cmocka_unit_test(test_card_number_detection),
        cmocka_unit_test(test_card_data_in_txn),
        cmocka_unit_test(test_long_numbers),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_batch_spans),
        cmocka_unit_test(test_batch_errors),
        cmocka_unit_test(test_big_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
