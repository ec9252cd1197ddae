/*
 * test_pricing_odoo.c - the unit prices and line amounts Odoo 17 gives, case
 * by case (ties, 0.05 cash rounding, JPY, KWD, surcharges, margins, cost,
 * chains of pricelists, quantity tiers). Each expected figure is what Odoo's
 * own steps give: product.pricelist.item._compute_price and
 * tools.float_round run in Python on the same inputs (the steps are in the
 * comments), and the transcript's "Store S042" answer (519.77 EUR).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "odoo/pricing.h"

static ts_decimal dec(const char *text)
{
    ts_decimal d = {0};

    assert_int_equal(ts_decimal_parse(text, strlen(text), &d), 0);
    return d;
}

static ts_currency cur(int places, const char *rate, const char *rounding)
{
    ts_currency c = {places, dec(rate), dec(rounding)};

    return c;
}

enum kind { NONE, PCT, FORMULA, FIXED_TIER, CHAIN, CYCLE, COST };

typedef struct pcase {
    const char *what;
    double list, extra, cost;
    int places;
    const char *rate, *rounding; /* the store pricelist's currency */
    enum kind kind;
    const char *a, *b, *c, *d; /* discount/percent, price_round, surcharge, min/max margin */
    double qty;
    int64_t amount; /* minor units */
    int64_t line;   /* minor units, unit × qty to the rounding step */
    const char *source;
} pcase;

static const pcase cases[] = {
    /* float_round(2.675, 2): 267.49999999999997 + epsilon rounds up: 2.68 */
    {"tie 2.675", 2.675, 0, 0, 2, "1", "0.01", NONE, 0, 0, 0, 0, 1, 268, 268, "list_price"},
    /* 1.015 is 1.01499999999999990 in binary; Odoo says 1.02 */
    {"tie 1.015", 1.015, 0, 0, 2, "1", "0.01", NONE, 0, 0, 0, 0, 1, 102, 102, "list_price"},
    /* 1.69 - 1.69 × 0.5 = 0.845 (0.84499999...): 0.85 */
    {"tie 0.845", 1.69, 0, 0, 2, "1", "0.01", PCT, "50", 0, 0, 0, 1, 85, 85, "pricelist"},
    /* 10.05 × 50 % = 5.025: 5.03 */
    {"tie 5.025", 10.05, 0, 0, 2, "1", "0.01", PCT, "50", 0, 0, 0, 1, 503, 503, "pricelist"},
    /* transcript S042: 450 USD × (1 / (1 / 1.2834)) × 0.9 − 0.01 = 519.767 */
    {"S042 EUR", 450, 0, 0, 2, "1.2834", "0.01", FORMULA, "10", "0", "-0.01", 0, 1, 51977, 51977,
     "pricelist"},
    /* CHF 0.05 step: unit 3.33, 3 units = 9.99 → 10.00 on the line */
    {"CHF 0.05 line", 3.33, 0, 0, 2, "1", "0.05", NONE, 0, 0, 0, 0, 3, 333, 1000, "list_price"},
    /* 17.35 USD × 0.9123 = 15.828... → 15.83; 7 units 110.81 → 110.80 */
    {"CHF converted", 17.35, 0, 0, 2, "0.9123", "0.05", NONE, 0, 0, 0, 0, 7, 1583, 11080,
     "list_price"},
    /* JPY: 19.99 × 150.25 = 3003.4975 → 3003.50 (2 digits) → 3004 yen */
    {"JPY", 19.99, 0, 0, 0, "150.25", "1", NONE, 0, 0, 0, 0, 1, 3004, 3004, "list_price"},
    /* KWD: 19.99 × 0.3075 = 6.146925 → 6.15 (2 digits) → 6150 fils */
    {"KWD", 19.99, 0, 0, 3, "0.3075", "0.001", NONE, 0, 0, 0, 0, 2, 6150, 12300, "list_price"},
    /* round 23.4 to 10 → 20, surcharge −0.01 → 19.990000000000002 → 19.99 */
    {"price_round+surcharge", 23.4, 0, 0, 2, "1", "0.01", FORMULA, "0", "10", "-0.01", 0, 1, 1999,
     1999, "pricelist"},
    /* 50 % off 100 = 50, held at base − 20 = 80 */
    {"min margin", 100, 0, 0, 2, "1", "0.01", FORMULA, "50", "0", "0", "-20", 1, 8000, 8000,
     "pricelist"},
    /* variant extra: (33 + 6.4) × 85 % = 33.49 */
    {"price_extra", 33, 6.4, 0, 2, "1", "0.01", PCT, "15", 0, 0, 0, 1, 3349, 3349, "pricelist"},
    /* cost 60 USD → EUR 77.004, 25 % markup → 96.255 → 96.26 */
    {"cost base", 100, 0, 60, 2, "1.2834", "0.01", COST, "-25", 0, 0, 0, 1, 9626, 9626,
     "pricelist"},
    /* base pricelist (USD, 20 % off 100 = 80) → EUR 102.672, 10 % off → 92.40 */
    {"chain", 100, 0, 0, 2, "1.2834", "0.01", CHAIN, "10", 0, 0, 0, 1, 9240, 9240, "pricelist"},
    /* a cycle back to the store pricelist: the list price, as a fallback */
    {"cycle", 100, 0, 0, 2, "1", "0.01", CYCLE, "10", 0, 0, 0, 1, 10000, 10000,
     "list_price_fallback"},
    /* min_quantity 10: 12.00 below, 9.50 from 10 units (line 10 × 9.50) */
    {"tier below", 12, 0, 0, 2, "1", "0.01", FIXED_TIER, 0, 0, 0, 0, 9, 1200, 10800, "list_price"},
    {"tier at", 12, 0, 0, 2, "1", "0.01", FIXED_TIER, 0, 0, 0, 0, 10, 950, 9500, "pricelist"},
    {"tier 2.5", 12, 0, 0, 2, "1", "0.01", FIXED_TIER, 0, 0, 0, 0, 2.5, 1200, 3000, "list_price"},
};

static ts_price_item global_item(int64_t id, ts_compute_price how, ts_price_base base)
{
    ts_price_item it;

    memset(&it, 0, sizeof(it));
    it.id = id;
    it.applied_on = TS_APPLIED_GLOBAL;
    it.compute_price = how;
    it.base = base;
    return it;
}

/* Builds the case's pricer: the store pricelist 7, and pricelist 8 for chains. */
static ts_pricer *build(const pcase *c)
{
    const ts_currency usd = cur(2, "1", "0.01");
    ts_currency store = cur(c->places, c->rate, c->rounding);
    ts_price_item items[2], base_items[1];
    size_t n = 0;
    ts_pricer *p = NULL;

    switch (c->kind) {
    case NONE:
        break;
    case PCT:
        items[n] = global_item(1, TS_COMPUTE_PERCENTAGE, TS_BASE_LIST_PRICE);
        items[n++].percent_price = dec(c->a);
        break;
    case FORMULA:
    case COST:
        items[n] = global_item(1, TS_COMPUTE_FORMULA,
                               c->kind == COST ? TS_BASE_STANDARD_PRICE : TS_BASE_LIST_PRICE);
        items[n].price_discount = dec(c->a);
        if (c->b)
            items[n].price_round = dec(c->b);
        if (c->c)
            items[n].price_surcharge = dec(c->c);
        if (c->d)
            items[n].price_min_margin = dec(c->d);
        n++;
        break;
    case FIXED_TIER:
        items[n] = global_item(1, TS_COMPUTE_FIXED, TS_BASE_LIST_PRICE);
        items[n].min_quantity = dec("10");
        items[n++].fixed_price = dec("9.5");
        break;
    case CHAIN:
    case CYCLE:
        items[n] = global_item(1, TS_COMPUTE_FORMULA, TS_BASE_PRICELIST);
        items[n].base_pricelist_id = 8;
        items[n++].price_discount = dec(c->a);
        break;
    }
    assert_int_equal(ts_pricer_new(items, n, &store, &usd, 0, &p), 0);
    ts_pricer_set_main_id(p, 7);
    if (c->kind == CHAIN || c->kind == CYCLE) {
        base_items[0] = global_item(2, TS_COMPUTE_PERCENTAGE,
                                    c->kind == CYCLE ? TS_BASE_PRICELIST : TS_BASE_LIST_PRICE);
        base_items[0].percent_price = dec("20");
        base_items[0].base_pricelist_id = 7;
        assert_int_equal(ts_pricer_add_pricelist(p, 8, &usd, base_items, 1), 0);
    }
    return p;
}

static void test_odoo_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const pcase *c = &cases[i];
        ts_price_product prod = {.id = 1,
                                 .tmpl_id = 1,
                                 .has_raw = 1,
                                 .list_price = c->list,
                                 .price_extra = c->extra,
                                 .standard_price = c->cost};
        ts_pricer *p = build(c);
        ts_price got;
        int64_t line = 0;

        print_message("case %s\n", c->what);
        assert_int_equal(ts_pricer_price_qty(p, &prod, NULL, c->qty, &got), 0);
        assert_int_equal(got.amount_minor, c->amount);
        assert_string_equal(ts_price_source_name(got.source), c->source);
        assert_int_equal(ts_price_line_amount(&got, c->qty, &line), 0);
        assert_int_equal(line, c->line);
        ts_pricer_free(p);
    }
}

/* float_round itself, on the values Odoo's own test of it uses. */
static void test_float_round(void **state)
{
    (void)state;
    assert_true(ts_float_round_digits(2.675, 2) == 2.68);
    assert_true(ts_float_round_digits(-2.675, 2) == -2.68);
    assert_true(ts_float_round_digits(0.015, 2) == 0.02);
    assert_true(ts_float_round_digits(0.01499, 2) == 0.01);
    assert_true(ts_float_round_digits(1.4555, 3) == 1.456);
    assert_true(ts_float_round(1.3, 0.5) == 1.5);
    assert_true(ts_float_round(1.23, 0.05) == 1.25);
    assert_true(ts_float_round_digits(2.5, 0) == 3.0);
    assert_true(ts_float_round_digits(0, 2) == 0.0);
}

/* The rounding step in minor units, and the exact unit where the currency
 * has fewer digits than the Product Price precision. */
static void test_step_and_exact(void **state)
{
    const ts_currency usd = cur(2, "1", "0.01");
    ts_currency chf = cur(2, "1", "0.05"), jpy = cur(0, "150.25", "1");
    ts_price_product prod = {.id = 1, .tmpl_id = 1, .has_raw = 1, .list_price = 19.99};
    char exact[TS_DECIMAL_TEXT_LEN];
    ts_pricer *p = NULL;
    ts_price got;

    (void)state;
    assert_int_equal(ts_pricer_new(NULL, 0, &chf, &usd, 0, &p), 0);
    assert_int_equal(ts_pricer_price(p, &prod, NULL, &got), 0);
    assert_int_equal(got.rounding_minor, 5);
    assert_int_equal(ts_price_unit_exact(&got, exact), 0);
    ts_pricer_free(p);
    assert_int_equal(ts_pricer_new(NULL, 0, &jpy, &usd, 0, &p), 0);
    assert_int_equal(ts_pricer_price(p, &prod, NULL, &got), 0);
    assert_int_equal(got.rounding_minor, 1);
    assert_int_equal(ts_price_unit_exact(&got, exact), 1);
    assert_string_equal(exact, "3003.50");
    ts_pricer_free(p);
}

/* Tiers: the quantities above Q where the price changes, base lists too. */
static void test_tiers(void **state)
{
    const ts_currency usd = cur(2, "1", "0.01");
    ts_price_product prod = {.id = 1, .tmpl_id = 1, .has_raw = 1, .list_price = 12};
    ts_price_item items[3], base[1];
    ts_price_tier tiers[TS_PRICE_TIERS_MAX];
    ts_pricer *p = NULL;
    size_t n = 0;

    (void)state;
    items[0] = global_item(1, TS_COMPUTE_FIXED, TS_BASE_LIST_PRICE);
    items[0].min_quantity = dec("10");
    items[0].fixed_price = dec("9.5");
    items[1] = global_item(2, TS_COMPUTE_FIXED, TS_BASE_LIST_PRICE);
    items[1].min_quantity = dec("20");
    items[1].fixed_price = dec("9.5"); /* the same price: not a tier */
    items[2] = global_item(3, TS_COMPUTE_FORMULA, TS_BASE_PRICELIST);
    items[2].base_pricelist_id = 8;
    base[0] = global_item(4, TS_COMPUTE_FIXED, TS_BASE_LIST_PRICE);
    base[0].min_quantity = dec("5");
    base[0].fixed_price = dec("11");
    assert_int_equal(ts_pricer_new(items, 3, &usd, &usd, 0, &p), 0);
    ts_pricer_set_main_id(p, 7);
    assert_int_equal(ts_pricer_add_pricelist(p, 8, &usd, base, 1), 0);
    assert_int_equal(ts_pricer_tiers(p, &prod, NULL, 1, tiers, TS_PRICE_TIERS_MAX, &n), 0);
    assert_int_equal(n, 2);
    assert_true(tiers[0].min_qty == 5);
    assert_int_equal(tiers[0].amount_minor, 1100);
    assert_true(tiers[1].min_qty == 10);
    assert_int_equal(tiers[1].amount_minor, 950);
    assert_int_equal(ts_pricer_tiers(p, &prod, NULL, 10, tiers, TS_PRICE_TIERS_MAX, &n), 0);
    assert_int_equal(n, 0);
    ts_pricer_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_odoo_answers),
        cmocka_unit_test(test_float_round),
        cmocka_unit_test(test_step_and_exact),
        cmocka_unit_test(test_tiers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
