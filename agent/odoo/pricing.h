/*
 * pricing.h - the unit price a till charges, computed from the store's Odoo
 * pricelist the way Odoo 17 computes it (spec: odoo-sync.md, "Prices"), in
 * integer arithmetic only.
 *
 * This module owns: exact decimals made from Odoo's JSON numbers
 * (ts_decimal), the order and matching of pricelist items, the fixed /
 * percentage / formula computations, currency conversion and the final
 * rounding to the currency's minor unit. It is pure: no I/O, no clock, no
 * logging; the caller passes "now". See docs/pricing.md.
 *
 * Use: build one ts_pricer per pricelist version (snapshot or delta) with
 * ts_pricer_new(), price every product with ts_pricer_price(), free it. The
 * pricer sorts and indexes the items once, so a price costs only the items
 * that name the product, its template, its categories, or no product at all.
 * A pricer is not shared between threads while pricing (it keeps counters).
 */
#ifndef TILLSYNC_PRICING_H
#define TILLSYNC_PRICING_H

#include <stddef.h>
#include <stdint.h>

/*
 * An exact decimal: value × 10^9 in an int64 (range about ±9.2 × 10^9).
 * Nine places keep Odoo's currency rates (digits=0, e.g. 0.7791803023219572)
 * precise enough that converting a price never moves its last cent, while
 * money itself never exceeds 2-6 places. Plain struct so it cannot be mixed
 * up with minor units by accident.
 */
#define TS_DECIMAL_DIGITS 9
#define TS_DECIMAL_SCALE INT64_C(1000000000)
#define TS_DECIMAL_TEXT_LEN 32 /* "-9223372036.854775808" and NUL fit */

typedef struct ts_decimal {
    int64_t scaled; /* value × TS_DECIMAL_SCALE */
} ts_decimal;

/*
 * Parses a JSON number's text ("39.4", "-0.01", "1e-7", "10"): optional
 * minus, digits, optional fraction, optional exponent. Digits beyond the
 * ninth decimal are rounded half away from zero. Returns 0, TS_EINVAL when
 * the text is not a JSON number (also "NaN", "inf", "", "+1", " 1"), or
 * TS_ETOOBIG when the value is out of range. *out is set only on success.
 */
int ts_decimal_parse(const char *text, size_t len, ts_decimal *out);

/*
 * For callers that only have a double (cJSON keeps numbers as doubles):
 * prints the shortest text that reads back as the same double (%.15g, else
 * %.16g, else %.17g) and parses that. Odoo printed its number the same
 * shortest way (Python's repr), so 0.1 becomes exactly 0.1, not the binary
 * 0.1000000000000000055511151231257827; going through %.17g alone would
 * give "0.10000000000000001" and a wrong last digit on ties. Returns as
 * ts_decimal_parse (TS_EINVAL for NaN and infinities).
 */
int ts_decimal_from_double(double value, ts_decimal *out);

/* Whole number to decimal (e.g. 100 → 100.0); TS_ETOOBIG out of range. */
int ts_decimal_from_int(int64_t units, ts_decimal *out);

/*
 * Rounds half away from zero to decimal_places (0..9) and returns the
 * amount in minor units: 12.345 at 2 places → 1235, -12.345 → -1235.
 * Returns 0 or TS_EINVAL (bad decimal_places).
 */
int ts_decimal_to_minor(ts_decimal d, int decimal_places, int64_t *minor);

/* "39.4", "-0.01", "12" (no trailing zeros); out holds TS_DECIMAL_TEXT_LEN. */
void ts_decimal_format(ts_decimal d, char *out);

/* product.pricelist.item applied_on, most specific first (Odoo's order). */
typedef enum ts_applied_on {
    TS_APPLIED_VARIANT = 0,  /* "0_product_variant" */
    TS_APPLIED_TEMPLATE = 1, /* "1_product" */
    TS_APPLIED_CATEGORY = 2, /* "2_product_category" */
    TS_APPLIED_GLOBAL = 3    /* "3_global" */
} ts_applied_on;

typedef enum ts_compute_price {
    TS_COMPUTE_FIXED,      /* "fixed" */
    TS_COMPUTE_PERCENTAGE, /* "percentage" */
    TS_COMPUTE_FORMULA,    /* "formula" */
    TS_COMPUTE_OTHER       /* a value some Odoo module added: not computed */
} ts_compute_price;

typedef enum ts_price_base {
    TS_BASE_LIST_PRICE,     /* "list_price": the variant's lst_price */
    TS_BASE_STANDARD_PRICE, /* "standard_price" (cost): not computed */
    TS_BASE_PRICELIST,      /* "pricelist" (another pricelist): not computed */
    TS_BASE_OTHER           /* a value some Odoo module added: not computed */
} ts_price_base;

/*
 * Odoo's selection strings to the enums. Return 0, or TS_EINVAL for an
 * unknown string; compute_price and base then still set *_OTHER, so the
 * item is kept and a product it decides falls back to its list price
 * (rather than a lower rule winning silently).
 */
int ts_applied_on_parse(const char *s, ts_applied_on *out);
int ts_compute_price_parse(const char *s, ts_compute_price *out);
int ts_price_base_parse(const char *s, ts_price_base *out);

/* One product.pricelist.item. Ids: Odoo's, 0 for false. */
typedef struct ts_price_item {
    int64_t id;
    ts_applied_on applied_on;
    int64_t product_id;      /* product.product, variant items */
    int64_t product_tmpl_id; /* product.template */
    int64_t categ_id;        /* product.category, category items */
    ts_decimal min_quantity; /* applies at quantity 1 only when <= 1 */
    ts_compute_price compute_price;
    ts_decimal fixed_price;      /* in the pricelist's currency */
    ts_decimal percent_price;    /* 15 means 15 % off the base */
    ts_price_base base;          /* percentage and formula */
    ts_decimal price_discount;   /* formula: percent off the base */
    ts_decimal price_round;      /* formula: 0 = none, else a multiple of it */
    ts_decimal price_surcharge;  /* formula: added after rounding */
    ts_decimal price_min_margin; /* formula: 0 = none, else >= base + it */
    ts_decimal price_max_margin; /* formula: 0 = none, else <= base + it */
    int64_t date_start_ms;       /* UTC wall ms (Odoo Datetime), 0 = none */
    int64_t date_end_ms;         /* UTC wall ms, inclusive, 0 = none */
    int64_t pricelist_id;        /* the pricelist it belongs to (0: the store's) */
    int64_t base_pricelist_id;   /* base "pricelist": the other pricelist */
} ts_price_item;

/*
 * What pricing needs of a product.product. Odoo's list-price base is the
 * template's list_price plus the variant's price_extra, unrounded; when
 * has_raw is 0 only lst_price is known and stands for it.
 */
typedef struct ts_price_product {
    int64_t id;
    int64_t tmpl_id;
    int64_t categ_id;      /* 0 = none */
    ts_decimal lst_price;  /* lst_price (with variant extra), company currency */
    int has_raw;           /* list_price, price_extra and standard_price are set */
    double list_price;     /* product.template list_price, company currency */
    double price_extra;    /* sum of the variant's attribute values' price_extra */
    double standard_price; /* cost for odoo.company_id, company currency */
} ts_price_product;

/* A res.currency as pricing needs it. */
typedef struct ts_currency {
    int decimal_places;  /* 0..9: USD/EUR 2, JPY 0, KWD 3 */
    ts_decimal rate;     /* units per one unit of the company's currency, > 0 */
    ts_decimal rounding; /* res.currency.rounding (0.05 cash CHF); 0: 10^-places */
} ts_currency;

/*
 * Odoo's tools.float_round(value, precision_rounding=step), HALF-UP, step
 * by step in doubles (the log2 epsilon, Python 2's round): the one place the
 * agent rounds a price or an amount the way Odoo does. step 0 gives 0.
 */
double ts_float_round(double value, double step);
/* precision_digits=d: the step is 10 ** -d, as Python computes it. */
double ts_float_round_digits(double value, int digits);

typedef enum ts_price_source {
    TS_PRICE_LIST_PRICE,         /* "list_price": no pricelist or no item applies */
    TS_PRICE_PRICELIST,          /* "pricelist": an item's price */
    TS_PRICE_LIST_PRICE_FALLBACK /* "list_price_fallback": item not computable */
} ts_price_source;

/* The spec's "source" string. */
const char *ts_price_source_name(ts_price_source s);

/*
 * A price is always in the pricelist's currency when there is a pricelist,
 * list prices included (lst_price converted, as Odoo does), else in the
 * company's currency.
 */
typedef struct ts_price {
    int64_t amount_minor; /* unit price at the quantity, in minor units */
    int decimal_places;   /* of the currency amount_minor is in */
    ts_price_source source;
    int64_t item_id;        /* the item that decided, 0 when none did */
    double unit;            /* float_round to the Product Price digits, as Odoo keeps it */
    int price_digits;       /* the "Product Price" decimal precision */
    double rounding;        /* the currency's rounding step (amounts) */
    int64_t rounding_minor; /* the same in minor units (5 for CHF 0.05) */
} ts_price;

/* A quantity from which the unit price changes. */
typedef struct ts_price_tier {
    double min_qty;
    int64_t amount_minor;
} ts_price_tier;

#define TS_PRICE_TIERS_MAX 16
#define TS_PRICELIST_DEPTH_MAX 5 /* the spec's chain limit */

/*
 * The line amount Odoo's POS charges: unit (as rounded) × qty, rounded to
 * the currency's rounding step, in minor units. TS_ETOOBIG out of range.
 */
int ts_price_line_amount(const ts_price *p, double qty, int64_t *minor);

/*
 * The exact unit price as a decimal string when the Product Price precision
 * has more digits than the currency (JPY at 2 digits); returns 0 and ""
 * otherwise, 1 when out holds the text. out holds TS_DECIMAL_TEXT_LEN.
 */
int ts_price_unit_exact(const ts_price *p, char *out);

typedef struct ts_pricer_stats {
    uint64_t priced;    /* ts_pricer_price() successes */
    uint64_t pricelist; /* ... by source */
    uint64_t list_price;
    uint64_t fallback;          /* the status page's "not computed" count */
    uint64_t cycles;            /* prices that met a pricelist cycle */
    uint64_t too_deep;          /* ... a chain deeper than TS_PRICELIST_DEPTH_MAX */
    int64_t cycle_pricelist_id; /* one pricelist met in a cycle (0: none) */
    int64_t deep_pricelist_id;  /* one pricelist where the chain went too deep */
} ts_pricer_stats;

typedef struct ts_pricer ts_pricer;

/*
 * Builds a pricer for one pricelist: items (copied; n may be 0), the
 * pricelist's currency, the company's currency and the time prices are for
 * (UTC wall ms; Odoo compares its item dates with the current second).
 * pricelist_currency NULL means no pricelist is configured: every price is
 * lst_price in the company currency and items are ignored.
 * Returns 0, TS_EINVAL (bad currency: decimal places outside 0..9, rate <= 0)
 * or TS_ENOMEM.
 */
int ts_pricer_new(const ts_price_item *items, size_t n, const ts_currency *pricelist_currency,
                  const ts_currency *company_currency, int64_t now_ms, ts_pricer **out);

/*
 * Adds a pricelist that items of this one name as base_pricelist_id (and
 * those they name in turn), with its items (their pricelist_id is ignored).
 * main_id is the store pricelist's own id, so a chain back to it is seen
 * as a cycle. Returns 0, TS_EINVAL or TS_ENOMEM.
 */
int ts_pricer_add_pricelist(ts_pricer *p, int64_t pricelist_id, const ts_currency *currency,
                            const ts_price_item *items, size_t n);
void ts_pricer_set_main_id(ts_pricer *p, int64_t pricelist_id);
/* The "Product Price" decimal.precision (default 2). */
void ts_pricer_set_price_digits(ts_pricer *p, int digits);

/*
 * Prices one product at quantity qty (> 0), as ts_pricer_price does at 1.
 */
int ts_pricer_price_qty(ts_pricer *p, const ts_price_product *product,
                        const char *categ_parent_path, double qty, ts_price *out);

/*
 * The quantities above qty from which the unit price changes today, in
 * ascending order, at most max (TS_PRICE_TIERS_MAX). Tiers of base
 * pricelists count when they change this pricelist's price. *n is set.
 */
int ts_pricer_tiers(ts_pricer *p, const ts_price_product *product, const char *categ_parent_path,
                    double qty, ts_price_tier *out, size_t max, size_t *n);

/*
 * Prices one product at quantity 1. categ_parent_path is the product
 * category's parent_path ("1/2/8/", ids root first, the category last);
 * NULL or "" when unknown (then only items on categ_id itself match).
 * Returns 0, TS_EINVAL (malformed parent_path) or TS_ETOOBIG (a price out
 * of range: the product cannot be priced; skip it and count it, never
 * sell at a guess). *out is set only on success.
 */
int ts_pricer_price(ts_pricer *p, const ts_price_product *product, const char *categ_parent_path,
                    ts_price *out);

/*
 * The first moment after now_ms at which an item's dates start or stop
 * holding (INT64_MAX when none will): the prices must be computed again
 * then, with a new pricer, even if Odoo changed nothing.
 */
int64_t ts_pricer_next_change_ms(const ts_pricer *p);

/* Whether the item's dates hold at now_ms (to the second, as Odoo compares
 * them): a rule starting or ending between two times reprices its scope. */
int ts_price_item_holds(const ts_price_item *it, int64_t now_ms);

void ts_pricer_get_stats(const ts_pricer *p, ts_pricer_stats *out);

void ts_pricer_free(ts_pricer *p);

#endif
