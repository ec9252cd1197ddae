/*
 * test_pricing.c - exact decimals and Odoo 17's pricelist rules (pricing.h).
 *
 * The expected prices are worked out by hand in the comments, from the
 * transcript's "Store S042" pricelist (odoo-rpc-transcripts) and small
 * made-up cases for each rule. Company currency USD (rate 1) unless said.
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

#include "core/clock.h"
#include "core/error.h"
#include "odoo/pricing.h"

#include <math.h>
#include <stdint.h>

/* ---- helpers ------------------------------------------------------------- */

static ts_decimal dec(const char *text)
{
    ts_decimal d = {0};
    int rc = ts_decimal_parse(text, strlen(text), &d);

    if (rc != 0)
        fail_msg("test decimal \"%s\" does not parse (%d)", text, rc);
    return d;
}

/* Odoo's "YYYY-MM-DD HH:MM:SS" (UTC) plus some milliseconds. */
static int64_t utc(const char *odoo_datetime, int64_t plus_ms)
{
    int64_t ms = 0;

    assert_int_equal(ts_parse_odoo_datetime(odoo_datetime, &ms), 0);
    return ms + plus_ms;
}

static const ts_currency USD = {2, {1000000000}, {0}};
static const ts_currency EUR = {2, {1283400000}, {0}}; /* transcript: rate 1.2834 */

/* An item on the product, template or category key, fixed price 0, qty 0. */
static ts_price_item item(int64_t id, ts_applied_on on, int64_t key)
{
    ts_price_item it;

    memset(&it, 0, sizeof(it));
    it.id = id;
    it.applied_on = on;
    it.compute_price = TS_COMPUTE_FIXED;
    it.base = TS_BASE_LIST_PRICE;
    if (on == TS_APPLIED_VARIANT)
        it.product_id = key;
    else if (on == TS_APPLIED_TEMPLATE)
        it.product_tmpl_id = key;
    else if (on == TS_APPLIED_CATEGORY)
        it.categ_id = key;
    return it;
}

static ts_price_item fixed(int64_t id, ts_applied_on on, int64_t key, const char *price)
{
    ts_price_item it = item(id, on, key);

    it.fixed_price = dec(price);
    return it;
}

static ts_price_item formula(int64_t id, const char *discount, const char *surcharge)
{
    ts_price_item it = item(id, TS_APPLIED_GLOBAL, 0);

    it.compute_price = TS_COMPUTE_FORMULA;
    it.price_discount = dec(discount);
    it.price_surcharge = dec(surcharge);
    return it;
}

static ts_price_product product(int64_t id, int64_t tmpl_id, int64_t categ_id, const char *lst)
{
    ts_price_product p = {
        .id = id, .tmpl_id = tmpl_id, .categ_id = categ_id, .lst_price = dec(lst)};

    return p;
}

static ts_pricer *pricer(const ts_price_item *items, size_t n, const ts_currency *pricelist,
                         int64_t now_ms)
{
    ts_pricer *p = NULL;

    assert_int_equal(ts_pricer_new(items, n, pricelist, &USD, now_ms, &p), 0);
    return p;
}

static ts_price price_of(ts_pricer *p, const ts_price_product *prod, const char *path)
{
    ts_price out;

    memset(&out, 0, sizeof(out));
    assert_int_equal(ts_pricer_price(p, prod, path, &out), 0);
    return out;
}

/* A price's amount, source and item; a failure names the case ("line 408",
 * "case 3") and what came instead. */
static void expect_price_at(ts_price got, int64_t amount, const char *src, int64_t item,
                            const char *where, long at)
{
    const char *got_src = ts_price_source_name(got.source);

    if (got.amount_minor != amount || strcmp(got_src, src) != 0 || got.item_id != item)
        fail_msg("%s %ld: %lld from %s item %lld, want %lld from %s item %lld", where, at,
                 (long long)got.amount_minor, got_src, (long long)got.item_id, (long long)amount,
                 src, (long long)item);
}

#define EXPECT_PRICE(pr, amount, src, item)                                                        \
    expect_price_at((pr), (amount), (src), (item), "line", __LINE__)

/* ---- decimals ------------------------------------------------------------ */

static void expect_parse(const char *text, int64_t scaled)
{
    ts_decimal d = {-42};
    int rc = ts_decimal_parse(text, strlen(text), &d);

    if (rc != 0 || d.scaled != scaled)
        fail_msg("parse \"%s\": rc %d, %lld, want %lld", text, rc, (long long)d.scaled,
                 (long long)scaled);
}

static void expect_parse_error(const char *text, int err)
{
    ts_decimal d = {-42};
    int rc = ts_decimal_parse(text, strlen(text), &d);

    if (rc != err || d.scaled != -42) /* untouched on error */
        fail_msg("parse \"%s\": rc %d, %lld, want rc %d and the value untouched", text, rc,
                 (long long)d.scaled, err);
}

static void test_decimal_parse(void **state)
{
    expect_parse("0.1", 100000000);
    expect_parse("39.4", 39400000000);
    expect_parse("-0.01", -10000000);
    expect_parse("12.99", 12990000000);
    expect_parse("10", 10000000000);
    expect_parse("0", 0);
    expect_parse("-0", 0);
    expect_parse("-0.0", 0);
    expect_parse("1.2834", 1283400000);
    expect_parse("1E+2", 100000000000);
    expect_parse("2.5e3", 2500000000000);
    expect_parse("1e0", 1000000000);
    expect_parse("1e-7", 100); /* Python's repr(1e-7) is "1e-07" */
    expect_parse("1e-07", 100);
    expect_parse("1e-9", 1);  /* the smallest step */
    expect_parse("1e-10", 0); /* 0.1 step: rounds to 0 */
    expect_parse("5e-10", 1); /* exactly half a step: away from zero */
    expect_parse("-5e-10", -1);
    expect_parse("4.9999999995", 5000000000);   /* ...9999.5 steps → up */
    expect_parse("-4.9999999995", -5000000000); /* and down for negatives */
    expect_parse("4.99999999949999", 4999999999);
    expect_parse("0.7791803023219572", 779180302); /* transcript inverse_rate */
    expect_parse("0.30000000000000004", 300000000);
    expect_parse("0.0000000000000000000000000000001", 0);
    expect_parse("1e-400", 0);
    expect_parse("0e999999999999999999", 0);
    expect_parse("0.000e5", 0);
    expect_parse("9223372036.854775807", INT64_MAX);
    expect_parse("-9223372036.854775807", -INT64_MAX);
    expect_parse("9223372036.8547758074", INT64_MAX); /* last digit rounds down */
    expect_parse("922337203685477580.7e-8", INT64_MAX);

    /* Out of range: "huge". */
    expect_parse_error("9223372036.854775808", TS_ETOOBIG);
    expect_parse_error("9223372036.8547758075", TS_ETOOBIG); /* rounds past the top */
    expect_parse_error("-9223372036.854775808", TS_ETOOBIG); /* the range is symmetric */
    expect_parse_error("1e10", TS_ETOOBIG);
    expect_parse_error("1e400", TS_ETOOBIG);
    expect_parse_error("1e999999999999999999999", TS_ETOOBIG);
    expect_parse_error("123456789012345678901234567890", TS_ETOOBIG);
    expect_parse_error("1.7976931348623157e308", TS_ETOOBIG);

    /* Not JSON numbers. */
    const char *bad[] = {"",    "NaN",  "nan", "Infinity", "-Infinity", "inf", "+1",  " 1",
                         "1 ",  "01",   "-01", "1.",       ".5",        "-",   "1e",  "1e+",
                         "--1", "0x10", "1,5", "1.5.5",    "1e5.5",     "e5",  "-.5", "1e--5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_parse_error(bad[i], TS_EINVAL);

    /* The length is honoured: no NUL needed, nothing read past len. */
    ts_decimal d = {0};
    assert_int_equal(ts_decimal_parse("39.4xyz", 4, &d), 0);
    assert_int_equal(d.scaled, 39400000000);
    assert_int_equal(ts_decimal_parse("39.4", 2, &d), 0);
    assert_int_equal(d.scaled, 39000000000);
    assert_int_equal(ts_decimal_parse(NULL, 0, &d), TS_EINVAL);

    /* Hostile length. */
    char long_text[2000];
    memset(long_text, '1', sizeof(long_text));
    assert_int_equal(ts_decimal_parse(long_text, sizeof(long_text), &d), TS_ETOOBIG);
}

static void expect_from_double(double v, int64_t scaled)
{
    ts_decimal d = {-42};
    int rc = ts_decimal_from_double(v, &d);

    if (rc != 0 || d.scaled != scaled)
        fail_msg("from_double %.17g: rc %d, %lld, want %lld", v, rc, (long long)d.scaled,
                 (long long)scaled);
}

static void test_decimal_from_double(void **state)
{
    ts_decimal d;

    expect_from_double(0.1, 100000000);
    expect_from_double(39.4, 39400000000);
    expect_from_double(-0.01, -10000000);
    expect_from_double(33.0, 33000000000);
    expect_from_double(1.2834, 1283400000);
    expect_from_double(0.7791803023219572, 779180302);
    expect_from_double(1e-7, 100);
    expect_from_double(-0.0, 0);
    /* 2.675 is 2.67499999999999982236431605997495353221893310546875 in
     * binary; its shortest text is "2.675", a half-cent tie that rounds up. */
    expect_from_double(2.675, 2675000000);
    expect_from_double(0.145, 145000000);
    /* 0.1 + 0.2 needs all 17 digits: 0.30000000000000004. */
    expect_from_double(0.1 + 0.2, 300000000);
    expect_from_double(1234567.891, 1234567891000000);
    /* %.17g would print 100000000.09999999, wrong in the 8th decimal. */
    expect_from_double(100000000.1, 100000000100000000);
    /* %.16g reads back too but prints 9329268.733933151: the 15-digit text
     * comes first. */
    expect_from_double(9329268.73393315, 9329268733933150);
    assert_int_equal(ts_decimal_from_double(NAN, &d), TS_EINVAL);
    assert_int_equal(ts_decimal_from_double(INFINITY, &d), TS_EINVAL);
    assert_int_equal(ts_decimal_from_double(-INFINITY, &d), TS_EINVAL);
    assert_int_equal(ts_decimal_from_double(1e16, &d), TS_ETOOBIG);
    assert_int_equal(ts_decimal_from_double(-1e300, &d), TS_ETOOBIG);

    /* What cJSON would hand over for every cent from 0.00 to 99.99 comes
     * back as exactly that many cents. */
    for (int cents = 0; cents < 10000; cents++) {
        char text[16];
        snprintf(text, sizeof(text), "%d.%02d", cents / 100, cents % 100);
        if (ts_decimal_from_double(strtod(text, NULL), &d) != 0 ||
            d.scaled != (int64_t)cents * 10000000)
            fail_msg("from_double(%s) is not %d cents", text, cents);
    }

    assert_int_equal(ts_decimal_from_int(12, &d), 0);
    assert_int_equal(d.scaled, 12000000000);
    assert_int_equal(ts_decimal_from_int(-9, &d), 0);
    assert_int_equal(d.scaled, -9000000000);
    assert_int_equal(ts_decimal_from_int(9223372037, &d), TS_ETOOBIG);
}

static void expect_minor(const char *text, int places, int64_t minor)
{
    int64_t got = -42;

    int rc = ts_decimal_to_minor(dec(text), places, &got);

    if (rc != 0 || got != minor)
        fail_msg("to_minor %s at %d places: rc %d, %lld, want %lld", text, places, rc,
                 (long long)got, (long long)minor);
}

static void test_decimal_to_minor(void **state)
{
    int64_t m;

    expect_minor("12.345", 2, 1235); /* half: away from zero, both signs */
    expect_minor("-12.345", 2, -1235);
    expect_minor("12.3449999", 2, 1234);
    expect_minor("-12.3449999", 2, -1234);
    expect_minor("0.005", 2, 1);
    expect_minor("-0.005", 2, -1);
    expect_minor("0.0049", 2, 0);
    expect_minor("2.5", 0, 3); /* JPY: not to even */
    expect_minor("-2.5", 0, -3);
    expect_minor("3.5", 0, 4);
    expect_minor("1.2345", 3, 1235); /* KWD */
    expect_minor("-1.2345", 3, -1235);
    expect_minor("0.000000001", 9, 1);
    expect_minor("9223372036.854775807", 0, 9223372037);
    expect_minor("-9223372036.854775807", 2, -922337203685);
    assert_int_equal(ts_decimal_to_minor(dec("1"), 10, &m), TS_EINVAL);
    assert_int_equal(ts_decimal_to_minor(dec("1"), -1, &m), TS_EINVAL);
}

static void expect_format(const char *in, const char *out)
{
    char text[TS_DECIMAL_TEXT_LEN];

    ts_decimal_format(dec(in), text);
    assert_string_equal(text, out);
}

static void test_decimal_format(void **state)
{
    char text[TS_DECIMAL_TEXT_LEN];

    expect_format("39.4", "39.4");
    expect_format("39.40", "39.4");
    expect_format("-0.01", "-0.01");
    expect_format("12", "12");
    expect_format("0", "0");
    expect_format("1e-9", "0.000000001");
    expect_format("-9223372036.854775807", "-9223372036.854775807");
    ts_decimal_format((ts_decimal){INT64_MIN}, text);
    assert_string_equal(text, "-9223372036.854775808");
}

static void test_selection_values(void **state)
{
    ts_applied_on on;
    ts_compute_price cp;
    ts_price_base base;

    assert_int_equal(ts_applied_on_parse("0_product_variant", &on), 0);
    assert_int_equal(on, TS_APPLIED_VARIANT);
    assert_int_equal(ts_applied_on_parse("1_product", &on), 0);
    assert_int_equal(on, TS_APPLIED_TEMPLATE);
    assert_int_equal(ts_applied_on_parse("2_product_category", &on), 0);
    assert_int_equal(on, TS_APPLIED_CATEGORY);
    assert_int_equal(ts_applied_on_parse("3_global", &on), 0);
    assert_int_equal(on, TS_APPLIED_GLOBAL);
    assert_int_equal(ts_applied_on_parse("4_other", &on), TS_EINVAL);
    assert_int_equal(ts_applied_on_parse(NULL, &on), TS_EINVAL);

    assert_int_equal(ts_compute_price_parse("fixed", &cp), 0);
    assert_int_equal(cp, TS_COMPUTE_FIXED);
    assert_int_equal(ts_compute_price_parse("percentage", &cp), 0);
    assert_int_equal(cp, TS_COMPUTE_PERCENTAGE);
    assert_int_equal(ts_compute_price_parse("formula", &cp), 0);
    assert_int_equal(cp, TS_COMPUTE_FORMULA);
    assert_int_equal(ts_compute_price_parse("progressive", &cp), TS_EINVAL);
    assert_int_equal(cp, TS_COMPUTE_OTHER);

    assert_int_equal(ts_price_base_parse("list_price", &base), 0);
    assert_int_equal(base, TS_BASE_LIST_PRICE);
    assert_int_equal(ts_price_base_parse("standard_price", &base), 0);
    assert_int_equal(base, TS_BASE_STANDARD_PRICE);
    assert_int_equal(ts_price_base_parse("pricelist", &base), 0);
    assert_int_equal(base, TS_BASE_PRICELIST);
    assert_int_equal(ts_price_base_parse("supplier", &base), TS_EINVAL);
    assert_int_equal(base, TS_BASE_OTHER);

    assert_string_equal(ts_price_source_name(TS_PRICE_PRICELIST), "pricelist");
    assert_string_equal(ts_price_source_name(TS_PRICE_LIST_PRICE), "list_price");
    assert_string_equal(ts_price_source_name(TS_PRICE_LIST_PRICE_FALLBACK), "list_price_fallback");
}

/* ---- the transcript's pricelist "Store S042" (EUR, rate 1.2834) ----------- */

/* The five items exactly as search_read returned them. */
static void store_s042_items(ts_price_item items[5])
{
    items[0] = fixed(1, TS_APPLIED_VARIANT, 5, "12.99"); /* min_quantity 0 */

    items[1] = item(2, TS_APPLIED_TEMPLATE, 6);
    items[1].compute_price = TS_COMPUTE_PERCENTAGE;
    items[1].percent_price = dec("15.0");
    items[1].min_quantity = dec("1.0");

    items[2] = fixed(3, TS_APPLIED_TEMPLATE, 7, "9.5");
    items[2].min_quantity = dec("10.0");

    items[3] = fixed(4, TS_APPLIED_VARIANT, 8, "5.0");
    items[3].date_start_ms = utc("2026-12-01 00:00:00", 0);
    items[3].date_end_ms = utc("2026-12-31 23:59:59", 0);

    items[4] = formula(5, "10.0", "-0.01");
}

/* The transcript's products (categ 8 "Office Furniture" is 1/2/8/). */
static const char *const FURNITURE = "1/2/8/";
static const char *const SOFTWARE = "1/2/7/";

static void test_store_s042(void **state)
{
    ts_price_item items[5];
    ts_price_product chair = product(5, 5, 8, "70.0");
    ts_price_product lamp = product(6, 6, 8, "40.0");
    ts_price_product software = product(7, 7, 7, "280.0");
    ts_price_product desk = product(8, 8, 8, "450.0");
    ts_price_product ecom13 = product(24, 16, 8, "39.4"); /* lst_price, not list_price 33.0 */

    store_s042_items(items);
    ts_pricer *p = pricer(items, 5, &EUR, utc("2026-11-25 14:00:00", 0));

    /* Item 1, fixed on the variant: 12.99 EUR, no conversion of a fixed price. */
    ts_price got = price_of(p, &chair, FURNITURE);
    EXPECT_PRICE(got, 1299, "pricelist", 1);
    assert_int_equal(got.decimal_places, 2);

    /* Item 2, 15 % off on the template: base 40.0 × 1.2834 = 51.336 EUR;
     * 51.336 × 0.85 = 43.6356 → 43.64. */
    EXPECT_PRICE(price_of(p, &lamp, FURNITURE), 4364, "pricelist", 2);

    /* Item 3 needs 10 units, so the global formula: 280 × 1.2834 = 359.352;
     * × 0.9 = 323.4168; − 0.01 = 323.4068 → 323.41. */
    EXPECT_PRICE(price_of(p, &software, SOFTWARE), 32341, "pricelist", 5);

    /* Item 4 is December only; in November the global formula:
     * 450 × 1.2834 = 577.53; × 0.9 = 519.777; − 0.01 = 519.767 → 519.77. */
    EXPECT_PRICE(price_of(p, &desk, FURNITURE), 51977, "pricelist", 5);

    /* The variant with a price extra: 39.4 × 1.2834 = 50.56596; × 0.9 =
     * 45.509364; − 0.01 = 45.499364 → 45.50. */
    EXPECT_PRICE(price_of(p, &ecom13, FURNITURE), 4550, "pricelist", 5);

    /* The pricelist's dates change prices on 1 December 00:00:00 UTC. */
    assert_int_equal(ts_pricer_next_change_ms(p), utc("2026-12-01 00:00:00", 0));

    ts_pricer_stats stats;
    ts_pricer_get_stats(p, &stats);
    assert_int_equal(stats.priced, 5);
    assert_int_equal(stats.pricelist, 5);
    assert_int_equal(stats.fallback, 0);
    ts_pricer_free(p);

    /* The same pricelist in the company's own currency (USD, no conversion):
     * E-COM13 39.4 × 0.9 = 35.46 − 0.01 = 35.45. */
    p = pricer(items, 5, &USD, utc("2026-11-25 14:00:00", 0));
    EXPECT_PRICE(price_of(p, &ecom13, FURNITURE), 3545, "pricelist", 5);
    ts_pricer_free(p);
}

/* Item 4 holds from 2026-12-01 00:00:00 to 2026-12-31 23:59:59 inclusive;
 * Odoo compares with the current second (fields.Datetime.now()). */
static void test_december_dates(void **state)
{
    ts_price_item items[5];
    ts_price_product desk = product(8, 8, 8, "450.0");
    const struct {
        const char *at;
        int64_t plus_ms;
        int64_t amount;
        int64_t item_id;
        int64_t next_change; /* 0: none */
    } cases[] = {
        {"2026-11-30 23:59:59", 999, 51977, 5, 1}, /* last ms before: formula */
        {"2026-12-01 00:00:00", 0, 500, 4, 2},     /* first second: 5.00 */
        {"2026-12-15 12:00:00", 0, 500, 4, 2},
        {"2026-12-31 23:59:59", 999, 500, 4, 2}, /* still the 23:59:59 second */
        {"2027-01-01 00:00:00", 0, 51977, 5, 0}, /* over */
    };

    store_s042_items(items);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ts_pricer *p = pricer(items, 5, &EUR, utc(cases[i].at, cases[i].plus_ms));
        int64_t next = cases[i].next_change == 1   ? utc("2026-12-01 00:00:00", 0)
                       : cases[i].next_change == 2 ? utc("2027-01-01 00:00:00", 0)
                                                   : INT64_MAX;

        expect_price_at(price_of(p, &desk, FURNITURE), cases[i].amount, "pricelist",
                        cases[i].item_id, "case", (long)i);
        if (ts_pricer_next_change_ms(p) != next)
            fail_msg("case %zu (%s): next change %lld, want %lld", i, cases[i].at,
                     (long long)ts_pricer_next_change_ms(p), (long long)next);
        /* the dated rule holds exactly where it decides the price (a delta
         * reprices its scope when this changes between two times) */
        if (ts_price_item_holds(&items[3], utc(cases[i].at, cases[i].plus_ms)) !=
            (cases[i].item_id == 4))
            fail_msg("case %zu (%s): item 4 holds %d", i, cases[i].at,
                     ts_price_item_holds(&items[3], utc(cases[i].at, cases[i].plus_ms)));
        ts_pricer_free(p);
    }
}

/* ---- list price, fallback, no pricelist ----------------------------------- */

static void test_list_price_and_fallback(void **state)
{
    ts_price_product chair = product(5, 5, 8, "70.0");
    ts_price_product lamp = product(6, 6, 8, "40.0");
    ts_price_item items[4];
    ts_pricer_stats stats;
    ts_pricer *p;

    /* No pricelist: lst_price in the company's currency, items ignored. */
    items[0] = fixed(1, TS_APPLIED_VARIANT, 5, "12.99");
    p = pricer(items, 1, NULL, 0);
    EXPECT_PRICE(price_of(p, &chair, FURNITURE), 7000, "list_price", 0);
    assert_int_equal(ts_pricer_next_change_ms(p), INT64_MAX);
    ts_pricer_free(p);

    /* A pricelist with no item for the lamp: its lst_price converted, as
     * Odoo does: 40 × 1.2834 = 51.336 → 51.34 EUR. */
    p = pricer(items, 1, &EUR, 0);
    EXPECT_PRICE(price_of(p, &lamp, FURNITURE), 5134, "list_price", 0);
    ts_pricer_free(p);

    /* An empty pricelist. */
    p = pricer(NULL, 0, &EUR, 0);
    EXPECT_PRICE(price_of(p, &chair, FURNITURE), 8984, "list_price", 0); /* 89.838 */
    ts_pricer_free(p);

    /* A global formula on cost (standard_price): not computed. The chair
     * still gets its variant's fixed price; the lamp falls back to lst_price
     * (51.336 → 51.34 EUR) and says which item it could not compute. */
    items[1] = formula(9, "-30", "0");
    items[1].base = TS_BASE_STANDARD_PRICE;
    p = pricer(items, 2, &EUR, 0);
    EXPECT_PRICE(price_of(p, &chair, FURNITURE), 1299, "pricelist", 1);
    EXPECT_PRICE(price_of(p, &lamp, FURNITURE), 5134, "list_price_fallback", 9);
    ts_pricer_get_stats(p, &stats);
    assert_int_equal(stats.priced, 2);
    assert_int_equal(stats.pricelist, 1);
    assert_int_equal(stats.fallback, 1);
    assert_int_equal(stats.list_price, 0);
    ts_pricer_free(p);

    /* A percentage on another pricelist, and a compute_price this agent does
     * not know, fall back too; a fixed price ignores its (unused) base. */
    items[0] = item(1, TS_APPLIED_TEMPLATE, 6);
    items[0].compute_price = TS_COMPUTE_PERCENTAGE;
    items[0].percent_price = dec("10");
    items[0].base = TS_BASE_PRICELIST;
    items[1] = item(2, TS_APPLIED_TEMPLATE, 5);
    items[1].compute_price = TS_COMPUTE_OTHER;
    items[2] = fixed(3, TS_APPLIED_GLOBAL, 0, "1.00");
    items[2].base = TS_BASE_STANDARD_PRICE;
    p = pricer(items, 3, &USD, 0);
    /* base "pricelist" with no other pricelist is Odoo's list price base */
    EXPECT_PRICE(price_of(p, &lamp, FURNITURE), 3600, "pricelist", 1);
    EXPECT_PRICE(price_of(p, &chair, FURNITURE), 7000, "list_price_fallback", 2);
    ts_price_product other = product(50, 50, 8, "3.00");
    EXPECT_PRICE(price_of(p, &other, FURNITURE), 100, "pricelist", 3);
    ts_pricer_free(p);
}

/* ---- currencies ------------------------------------------------------------ */

static void test_currency_conversion(void **state)
{
    const ts_currency eur11 = {2, {1100000000}, {0}}; /* rate 1.1 */
    const ts_currency jpy = {0, {150250000000}, {0}}; /* 150.25 yen a dollar */
    const ts_currency kwd = {3, {307500000}, {0}};    /* 0.3075 dinar a dollar */
    ts_price_product shirt = product(1, 1, 0, "19.99");
    ts_price_product ten = product(2, 2, 0, "10.00");
    ts_price_item items[1];
    ts_pricer *p;

    items[0] = item(1, TS_APPLIED_TEMPLATE, 2);
    items[0].compute_price = TS_COMPUTE_PERCENTAGE;
    items[0].percent_price = dec("10");

    /* Rate 1.1: 10.00 → 11.00, 10 % off → 9.90; 19.99 → 21.989 → 21.99. */
    p = pricer(items, 1, &eur11, 0);
    EXPECT_PRICE(price_of(p, &ten, NULL), 990, "pricelist", 1);
    EXPECT_PRICE(price_of(p, &shirt, NULL), 2199, "list_price", 0);
    ts_pricer_free(p);

    /* JPY, no decimals: 19.99 × 150.25 = 3003.4975 → 3003.50 (Product
     * Price, 2 digits) → 3004 yen;
     * 10.00 × 150.25 = 1502.5, 10 % off = 1352.25 → 1352. */
    p = pricer(items, 1, &jpy, 0);
    ts_price got = price_of(p, &shirt, NULL);
    EXPECT_PRICE(got, 3004, "list_price", 0);
    assert_int_equal(got.decimal_places, 0);
    EXPECT_PRICE(price_of(p, &ten, NULL), 1352, "pricelist", 1);
    ts_pricer_free(p);

    /* KWD, three decimals, unit prices at the Product Price's 2 digits:
     * 19.99 × 0.3075 = 6.146925 → 6.15; 2.7675 → 2.77. */
    p = pricer(items, 1, &kwd, 0);
    got = price_of(p, &shirt, NULL);
    EXPECT_PRICE(got, 6150, "list_price", 0);
    assert_int_equal(got.decimal_places, 3);
    EXPECT_PRICE(price_of(p, &ten, NULL), 2770, "pricelist", 1);
    ts_pricer_free(p);

    /* A company currency whose rate is not 1: amount × (2.5 / 2.0). */
    const ts_currency company = {2, {2000000000}, {0}};
    const ts_currency other = {2, {2500000000}, {0}};
    p = NULL;
    assert_int_equal(ts_pricer_new(NULL, 0, &other, &company, 0, &p), 0);
    EXPECT_PRICE(price_of(p, &shirt, NULL), 2499, "list_price", 0); /* 24.9875 */
    ts_pricer_free(p);

    /* A company in JPY without a pricelist: lst_price rounded to yen. */
    ts_price_product yen = product(3, 3, 0, "1234.5");
    p = NULL;
    assert_int_equal(ts_pricer_new(NULL, 0, NULL, &jpy, 0, &p), 0);
    EXPECT_PRICE(price_of(p, &yen, NULL), 1235, "list_price", 0);
    ts_pricer_free(p);

    /* Bad currencies are refused. */
    const ts_currency bad_places = {10, {1000000000}, {0}};
    const ts_currency bad_rate = {2, {0}, {0}};
    p = NULL;
    assert_int_equal(ts_pricer_new(NULL, 0, &bad_places, &USD, 0, &p), TS_EINVAL);
    assert_int_equal(ts_pricer_new(NULL, 0, &bad_rate, &USD, 0, &p), TS_EINVAL);
    assert_int_equal(ts_pricer_new(NULL, 0, &USD, &bad_rate, 0, &p), TS_EINVAL);
    assert_int_equal(ts_pricer_new(NULL, 1, &USD, &USD, 0, &p), TS_EINVAL);
    assert_null(p);
}

/* ---- rounding, price_round, margins ---------------------------------------- */

/* The price of a product with this lst_price under one USD global item. */
static ts_price one_item_price(const ts_price_item *it, const char *lst)
{
    ts_pricer *p = pricer(it, 1, &USD, 0);
    ts_price_product prod = product(1, 1, 0, lst);
    ts_price got = price_of(p, &prod, NULL);

    ts_pricer_free(p);
    return got;
}

static void test_rounding_halves(void **state)
{
    const struct {
        const char *fixed;
        int64_t minor;
    } fixed_cases[] = {
        {"0.005", 1},     {"-0.005", -1},    {"2.675", 268}, {"-2.675", -268},
        {"0.0049999", 0}, {"-0.0049999", 0}, {"0.015", 2},   {"-0.015", -2},
    };

    for (size_t i = 0; i < sizeof(fixed_cases) / sizeof(fixed_cases[0]); i++) {
        ts_price_item it = fixed(1, TS_APPLIED_GLOBAL, 0, fixed_cases[i].fixed);
        int64_t got = one_item_price(&it, "1").amount_minor;
        if (got != fixed_cases[i].minor)
            fail_msg("fixed %s: %lld, want %lld", fixed_cases[i].fixed, (long long)got,
                     (long long)fixed_cases[i].minor);
    }

    /* Halves made by computation: 10.05 × 0.5 = 5.025 → 5.03, and a 150 %
     * "discount" 10.05 × −0.5 = −5.025 → −5.03. */
    ts_price_item half = formula(1, "50", "0");
    assert_int_equal(one_item_price(&half, "10.05").amount_minor, 503);
    ts_price_item negative = formula(1, "150", "0");
    assert_int_equal(one_item_price(&negative, "10.05").amount_minor, -503);
    /* A negative discount is a mark-up: 10.05 × 1.25 = 12.5625 → 12.56. */
    ts_price_item markup = formula(1, "-25", "0");
    assert_int_equal(one_item_price(&markup, "10.05").amount_minor, 1256);
}

static void test_price_round(void **state)
{
    ts_price_item nickel = formula(1, "0", "0");
    ts_price_item whole = formula(1, "10", "-0.01"); /* the "x.99" recipe */

    nickel.price_round = dec("0.05");
    whole.price_round = dec("1.0");

    /* To multiples of 0.05: 17.23 → 344.6 → 345 × 0.05 = 17.25;
     * 17.22 → 344.4 → 17.20; 17.225 → 344.5, a half → 17.25. */
    assert_int_equal(one_item_price(&nickel, "17.23").amount_minor, 1725);
    assert_int_equal(one_item_price(&nickel, "17.22").amount_minor, 1720);
    assert_int_equal(one_item_price(&nickel, "17.225").amount_minor, 1725);

    /* To whole units, then −0.01: 19.49 × 0.9 = 17.541 → 18 → 17.99;
     * 19.44 × 0.9 = 17.496 → 17 → 16.99; 15 × 0.9 = 13.5, a half → 14 → 13.99. */
    assert_int_equal(one_item_price(&whole, "19.49").amount_minor, 1799);
    assert_int_equal(one_item_price(&whole, "19.44").amount_minor, 1699);
    assert_int_equal(one_item_price(&whole, "15").amount_minor, 1399);

    /* A negative price rounds away from zero too: 15 × (1 − 1.9) = −13.5 →
     * −14, − 0.01 = −14.01. */
    ts_price_item below = formula(1, "190", "-0.01");
    below.price_round = dec("1.0");
    assert_int_equal(one_item_price(&below, "15").amount_minor, -1401);

    /* Odoo's form refuses a negative step; a stray one rounds like its
     * absolute value. */
    nickel.price_round = dec("-0.05");
    assert_int_equal(one_item_price(&nickel, "17.23").amount_minor, 1725);
}

static void test_margins(void **state)
{
    ts_price_item it = formula(1, "50", "0"); /* base 100 → 50 */

    assert_int_equal(one_item_price(&it, "100").amount_minor, 5000);

    /* At least base − 20 = 80. */
    it.price_min_margin = dec("-20");
    assert_int_equal(one_item_price(&it, "100").amount_minor, 8000);

    /* At most base − 10 = 90: 80 stays. */
    it.price_max_margin = dec("-10");
    assert_int_equal(one_item_price(&it, "100").amount_minor, 8000);

    /* Odoo applies the minimum, then the maximum: with max −30 (70) below
     * min −20 (80), the maximum wins: 70. */
    it.price_max_margin = dec("-30");
    assert_int_equal(one_item_price(&it, "100").amount_minor, 7000);

    /* Only a maximum: at most base − 60 = 40. */
    it.price_min_margin = dec("0");
    it.price_max_margin = dec("-60");
    assert_int_equal(one_item_price(&it, "100").amount_minor, 4000);

    /* 0 means unset, not "base + 0": a 50 % discount stays at 50. */
    it.price_max_margin = dec("0");
    it.price_min_margin = dec("0");
    assert_int_equal(one_item_price(&it, "100").amount_minor, 5000);

    /* The surcharge comes before the margins: 50 + 45 = 95 > 90 → 90. */
    it.price_surcharge = dec("45");
    it.price_max_margin = dec("-10");
    assert_int_equal(one_item_price(&it, "100").amount_minor, 9000);

    /* Margins are on the converted base: 100 USD = 128.34 EUR, 50 % off =
     * 64.17, at least base − 20 = 108.34. */
    ts_price_item eur_it = formula(1, "50", "0");
    eur_it.price_min_margin = dec("-20");
    ts_pricer *p = pricer(&eur_it, 1, &EUR, 0);
    ts_price_product prod = product(1, 1, 0, "100");
    EXPECT_PRICE(price_of(p, &prod, NULL), 10834, "pricelist", 1);
    ts_pricer_free(p);
}

/* ---- which item applies ------------------------------------------------------ */

static void test_category_ancestors(void **state)
{
    /* Categories from the transcript: 1 All, 2 All/Saleable, 3 All/Expenses,
     * 7 All/Saleable/Software, 8 All/Saleable/Office Furniture, 9 All/Consumable. */
    ts_price_item items[] = {
        fixed(1, TS_APPLIED_CATEGORY, 2, "20"),
        fixed(2, TS_APPLIED_CATEGORY, 9, "30"),
    };
    ts_pricer *p = pricer(items, 2, &USD, 0);
    ts_price_product in8 = product(1, 1, 8, "100");
    ts_price_product in7 = product(2, 2, 7, "100");
    ts_price_product in9 = product(3, 3, 9, "100");
    ts_price_product in3 = product(4, 4, 3, "100");
    ts_price_product in2 = product(5, 5, 2, "100");
    ts_price out;

    EXPECT_PRICE(price_of(p, &in8, "1/2/8/"), 2000, "pricelist", 1); /* 2 is an ancestor */
    EXPECT_PRICE(price_of(p, &in7, "1/2/7/"), 2000, "pricelist", 1);
    EXPECT_PRICE(price_of(p, &in2, "1/2/"), 2000, "pricelist", 1); /* the category itself */
    EXPECT_PRICE(price_of(p, &in9, "1/9/"), 3000, "pricelist", 2);
    EXPECT_PRICE(price_of(p, &in3, "1/3/"), 10000, "list_price", 0); /* a sibling: no */
    /* Without its parent_path a product matches its own category only. */
    EXPECT_PRICE(price_of(p, &in8, NULL), 10000, "list_price", 0);
    EXPECT_PRICE(price_of(p, &in2, ""), 2000, "pricelist", 1);
    EXPECT_PRICE(price_of(p, &in8, "1/2/8"), 2000, "pricelist", 1); /* no trailing '/' */

    /* Malformed paths, or the path of another category, are refused. */
    const char *bad[] = {
        "1/x/8/", "1//8/", "/1/2/8/", "1/2/8//", "1/2/0/8/", "1/2/9/", "99999999999999999999/8/"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = ts_pricer_price(p, &in8, bad[i], &out);
        if (rc != TS_EINVAL)
            fail_msg("path \"%s\": rc %d, want TS_EINVAL", bad[i], rc);
    }
    char deep[1024] = "";
    for (int i = 1; i <= 70; i++)
        snprintf(deep + strlen(deep), sizeof(deep) - strlen(deep), "%d/", i);
    ts_price_product deep_prod = product(6, 6, 70, "1");
    assert_int_equal(ts_pricer_price(p, &deep_prod, deep, &out), TS_EINVAL);
    ts_pricer_free(p);
}

static void test_order_ties(void **state)
{
    /* One product: variant 100, template 200, category 8 (1/2/8/). */
    ts_price_product prod = product(100, 200, 8, "100");
    ts_pricer *p;

    /* applied_on first: the variant item wins over a template item with a
     * higher min_quantity and id, which wins over category and global. */
    ts_price_item kinds[] = {
        fixed(1, TS_APPLIED_GLOBAL, 0, "4"),
        fixed(2, TS_APPLIED_CATEGORY, 8, "3"),
        fixed(3, TS_APPLIED_TEMPLATE, 200, "2"),
        fixed(4, TS_APPLIED_VARIANT, 100, "1"),
    };
    kinds[2].min_quantity = dec("1");
    for (size_t n = 4; n >= 1; n--) {
        /* Drop the most specific each round: 1.00, 2.00, 3.00, 4.00. */
        p = pricer(kinds, n, &USD, 0);
        expect_price_at(price_of(p, &prod, FURNITURE), (int64_t)(5 - n) * 100, "pricelist",
                        (int64_t)n, "with items", (long)n);
        ts_pricer_free(p);
    }

    /* min_quantity descending: 1 before 0.5 before 0 before −1, whatever the
     * ids; 1.5 never applies at quantity 1. */
    ts_price_item quantities[] = {
        fixed(10, TS_APPLIED_GLOBAL, 0, "10"), fixed(11, TS_APPLIED_GLOBAL, 0, "11"),
        fixed(12, TS_APPLIED_GLOBAL, 0, "12"), fixed(13, TS_APPLIED_GLOBAL, 0, "13"),
        fixed(14, TS_APPLIED_GLOBAL, 0, "14"),
    };
    quantities[0].min_quantity = dec("1");
    quantities[1].min_quantity = dec("0.5");
    quantities[2].min_quantity = dec("0");
    quantities[3].min_quantity = dec("-1");
    quantities[4].min_quantity = dec("1.5");
    for (size_t skip = 0; skip < 4; skip++) {
        /* Without the first `skip` of them, the next one wins. */
        p = pricer(quantities + skip, 5 - skip, &USD, 0);
        expect_price_at(price_of(p, &prod, FURNITURE), (int64_t)(10 + skip) * 100, "pricelist",
                        (int64_t)(10 + skip), "skipping", (long)skip);
        ts_pricer_free(p);
    }

    /* id descending between equals. */
    ts_price_item same[] = {
        fixed(20, TS_APPLIED_GLOBAL, 0, "20"),
        fixed(22, TS_APPLIED_GLOBAL, 0, "22"),
        fixed(21, TS_APPLIED_GLOBAL, 0, "21"),
    };
    p = pricer(same, 3, &USD, 0);
    EXPECT_PRICE(price_of(p, &prod, FURNITURE), 2200, "pricelist", 22);
    ts_pricer_free(p);

    /* categ_id descending orders by the category's complete_name: on one
     * chain the deeper category first, even when its id is the smaller (a
     * category 5 moved under a newer 12: path 1/12/5/). */
    ts_price_product moved = product(101, 201, 5, "100");
    ts_price_item categs[] = {
        fixed(30, TS_APPLIED_CATEGORY, 12, "12"),
        fixed(31, TS_APPLIED_CATEGORY, 5, "5"),
        fixed(32, TS_APPLIED_CATEGORY, 1, "1"),
    };
    p = pricer(categs, 3, &USD, 0);
    EXPECT_PRICE(price_of(p, &moved, "1/12/5/"), 500, "pricelist", 31);
    ts_pricer_free(p);
    categs[0].id = 31;
    categs[1].id = 30; /* ids swapped: the deeper still wins */
    p = pricer(categs, 3, &USD, 0);
    EXPECT_PRICE(price_of(p, &moved, "1/12/5/"), 500, "pricelist", 30);
    ts_pricer_free(p);
    /* ...but min_quantity comes before the category. */
    categs[0].min_quantity = dec("1");
    p = pricer(categs, 3, &USD, 0);
    EXPECT_PRICE(price_of(p, &moved, "1/12/5/"), 1200, "pricelist", 31);
    ts_pricer_free(p);

    /* The same between two variant items that also name categories (Odoo
     * clears categ_id on variant items it creates, but a write can set
     * it): the deeper category first, though its id is smaller. */
    ts_price_item variants[] = {
        fixed(40, TS_APPLIED_VARIANT, 100, "2"),
        fixed(41, TS_APPLIED_VARIANT, 100, "1"),
        fixed(39, TS_APPLIED_VARIANT, 100, "8"),
    };
    variants[0].categ_id = 2;
    variants[1].categ_id = 1;
    variants[2].categ_id = 8;
    p = pricer(variants, 3, &USD, 0);
    EXPECT_PRICE(price_of(p, &prod, FURNITURE), 800, "pricelist", 39);
    ts_pricer_free(p);
}

/* Variant items as Odoo's form saves them also name the template. */
static void test_item_keys(void **state)
{
    ts_price_product red = product(100, 200, 8, "100");
    ts_price_product blue = product(101, 200, 8, "100");
    ts_price_item items[] = {
        fixed(1, TS_APPLIED_VARIANT, 100, "1"),
        fixed(2, TS_APPLIED_TEMPLATE, 200, "2"),
        fixed(3, TS_APPLIED_VARIANT, 101, "3"),
    };
    items[0].product_tmpl_id = 200; /* consistent: applies */
    items[2].product_tmpl_id = 999; /* names another template: never applies */
    ts_pricer *p = pricer(items, 3, &USD, 0);

    EXPECT_PRICE(price_of(p, &red, FURNITURE), 100, "pricelist", 1);
    EXPECT_PRICE(price_of(p, &blue, FURNITURE), 200, "pricelist", 2);
    ts_pricer_free(p);

    /* Likewise a template item that also names a category off the
     * product's chain (Odoo's search wants every named key to match). */
    items[1].categ_id = 9;
    p = pricer(items, 3, &USD, 0);
    EXPECT_PRICE(price_of(p, &blue, FURNITURE), 10000, "list_price", 0);
    ts_pricer_free(p);

    /* Items missing the key their applied_on needs never apply (Odoo's
     * constraints forbid them; a stray one must not turn global). */
    ts_price_item stray[] = {
        fixed(1, TS_APPLIED_VARIANT, 0, "1"),
        fixed(2, TS_APPLIED_TEMPLATE, 0, "2"),
        fixed(3, TS_APPLIED_CATEGORY, 0, "3"),
    };
    p = pricer(stray, 3, &USD, 0);
    EXPECT_PRICE(price_of(p, &red, FURNITURE), 10000, "list_price", 0);
    ts_pricer_free(p);
}

static void test_out_of_range(void **state)
{
    ts_price_product huge = product(1, 1, 0, "9000000000");
    ts_price_item markup = formula(1, "-100", "0"); /* doubles the price */
    ts_price out;
    ts_pricer *p;

    /* 9e9 × 1.2834 does not fit a ts_decimal: refused, not wrapped. */
    p = pricer(NULL, 0, &EUR, 0);
    assert_int_equal(ts_pricer_price(p, &huge, NULL, &out), TS_ETOOBIG);
    ts_pricer_free(p);
    p = pricer(&markup, 1, &USD, 0);
    assert_int_equal(ts_pricer_price(p, &huge, NULL, &out), TS_ETOOBIG);
    ts_pricer_stats stats;
    ts_pricer_get_stats(p, &stats);
    assert_int_equal(stats.priced, 0);
    ts_pricer_free(p);

    /* A fixed price does not need the base, so a huge lst_price is fine. */
    ts_price_item fixed_it = fixed(1, TS_APPLIED_GLOBAL, 0, "1");
    p = pricer(&fixed_it, 1, &EUR, 0);
    EXPECT_PRICE(price_of(p, &huge, NULL), 100, "pricelist", 1);
    ts_pricer_free(p);
}

/* ---- the index against a plain scan of Odoo's order ------------------------- */

static uint64_t rng_state = 88172645463325252u;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Two small category trees: 1 → 2 → 4 → 8 and 1 → 3 → 6. */
static const char *path_of(int64_t categ)
{
    switch (categ) {
    case 1:
        return "1/";
    case 2:
        return "1/2/";
    case 3:
        return "1/3/";
    case 4:
        return "1/2/4/";
    case 6:
        return "1/3/6/";
    default:
        return "1/2/4/8/";
    }
}

static int depth_in(const char *path, int64_t categ)
{
    char needle[24];
    const char *at;

    snprintf(needle, sizeof(needle), "%lld/", (long long)categ);
    for (at = path; *at; at = strchr(at, '/') + 1) {
        if (strncmp(at, needle, strlen(needle)) == 0) {
            int depth = 0;
            for (const char *c = path; c < at; c++)
                depth += *c == '/';
            return depth;
        }
    }
    return -1;
}

/* Odoo spelled out: every item checked, the first in _order kept. */
static int64_t reference_item(const ts_price_item *items, size_t n, const ts_price_product *prod)
{
    const char *path = path_of(prod->categ_id);
    const ts_price_item *best = NULL;
    int best_depth = 0;

    for (size_t i = 0; i < n; i++) {
        const ts_price_item *it = &items[i];
        int depth = it->categ_id ? depth_in(path, it->categ_id) : 99;
        int ok = it->min_quantity.scaled <= TS_DECIMAL_SCALE &&
                 (!it->product_id || it->product_id == prod->id) &&
                 (!it->product_tmpl_id || it->product_tmpl_id == prod->tmpl_id) &&
                 (!it->categ_id || depth >= 0);

        if (!ok)
            continue;
        if (best && (it->applied_on > best->applied_on ||
                     (it->applied_on == best->applied_on &&
                      (it->min_quantity.scaled < best->min_quantity.scaled ||
                       (it->min_quantity.scaled == best->min_quantity.scaled &&
                        (depth < best_depth || (depth == best_depth && it->id < best->id)))))))
            continue;
        best = it;
        best_depth = depth;
    }
    return best ? best->id : 0;
}

static void test_index_matches_scan(void **state)
{
    enum { N_ITEMS = 300, N_PRODUCTS = 2000 };
    static ts_price_item items[N_ITEMS];
    static const int64_t categs[] = {1, 2, 3, 4, 6, 8};
    static const char *const quantities[] = {"0", "0", "1", "0.5", "2"};

    for (size_t i = 0; i < N_ITEMS; i++) {
        ts_applied_on on = (ts_applied_on)(rng() % 4);
        int64_t key = on == TS_APPLIED_CATEGORY ? categs[rng() % 6] : (int64_t)(rng() % 40) + 1;

        items[i] = fixed((int64_t)i + 1, on, on == TS_APPLIED_GLOBAL ? 0 : key, "1");
        items[i].min_quantity = dec(quantities[rng() % 5]);
        if (on == TS_APPLIED_VARIANT && rng() % 2)
            items[i].product_tmpl_id = (key + 1) / 2; /* the variant's own template */
        if ((on == TS_APPLIED_VARIANT || on == TS_APPLIED_TEMPLATE) && rng() % 4 == 0)
            items[i].categ_id = categs[rng() % 6]; /* a category besides: must match too */
    }
    /* Few global items, so the specific ones get their say. */
    for (size_t i = 0; i < N_ITEMS; i++) {
        if (items[i].applied_on == TS_APPLIED_GLOBAL && rng() % 8)
            items[i].applied_on = TS_APPLIED_TEMPLATE, items[i].product_tmpl_id = 1000;
    }
    ts_pricer *p = pricer(items, N_ITEMS, &USD, 0);
    for (int64_t i = 0; i < N_PRODUCTS; i++) {
        int64_t id = (int64_t)(rng() % 44) + 1; /* variants 2k-1 and 2k share template k */
        ts_price_product prod = product(id, (id + 1) / 2, categs[rng() % 6], "1");
        ts_price got = price_of(p, &prod, path_of(prod.categ_id));

        int64_t want = reference_item(items, N_ITEMS, &prod);
        if (got.item_id != want)
            fail_msg("product %lld #%lld (category %lld): item %lld, Odoo's order gives %lld",
                     (long long)id, (long long)i, (long long)prod.categ_id, (long long)got.item_id,
                     (long long)want);
    }
    ts_pricer_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimal_parse),       cmocka_unit_test(test_decimal_from_double),
        cmocka_unit_test(test_decimal_to_minor),    cmocka_unit_test(test_decimal_format),
        cmocka_unit_test(test_selection_values),    cmocka_unit_test(test_store_s042),
        cmocka_unit_test(test_december_dates),      cmocka_unit_test(test_list_price_and_fallback),
        cmocka_unit_test(test_currency_conversion), cmocka_unit_test(test_rounding_halves),
        cmocka_unit_test(test_price_round),         cmocka_unit_test(test_margins),
        cmocka_unit_test(test_category_ancestors),  cmocka_unit_test(test_order_ties),
        cmocka_unit_test(test_item_keys),           cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_index_matches_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
