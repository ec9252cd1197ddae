/*
 * pricing.c - Odoo 17's pricelist rules in Odoo's own float steps (see
 * pricing.h and docs/pricing.md).
 *
 * The file reads top-down: exact decimals (parsing and printing Odoo's
 * numbers), the category chain, float_round as Odoo has it, and the pricer.
 * Odoo's numbers are kept as exact decimals (ts_decimal) and priced in the
 * binary floating point Odoo itself uses, in the order of operations of
 * Odoo 17's product.pricelist.item._compute_price, so that ties fall the
 * way they fall in Odoo; ts_float_round is the one place that rounds.
 */
#include "odoo/pricing.h"

#include "core/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PERCENT_BASE (100 * TS_DECIMAL_SCALE) /* 100 %, for "x × (100 − p) / 100" */
#define CATEG_DEPTH_MAX 64                    /* deeper parent_path is refused */
#define DECIMAL_TEXT_MAX 1024                 /* longer number text is refused */

/* ---- checked int64 arithmetic ------------------------------------------ */

/* |v| as unsigned, INT64_MIN included. */
static uint64_t magnitude(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/*
 * Applies a sign to a magnitude. Results stay within ±INT64_MAX, so every
 * value can be negated; TS_ETOOBIG beyond.
 */
static int signed_from_magnitude(uint64_t mag, int negative, int64_t *out)
{
    if (mag > (uint64_t)INT64_MAX)
        return TS_ETOOBIG;
    *out = negative ? -(int64_t)mag : (int64_t)mag;
    return 0;
}

/* True when a remainder r of a division by d is at least half of d. */
static int is_half_or_more(uint64_t r, uint64_t d)
{
    return r >= d - r;
}

/* a / d rounded half away from zero, d > 0. */
static int64_t div_round(int64_t a, int64_t d)
{
    uint64_t mag = magnitude(a);
    uint64_t q = mag / (uint64_t)d;

    if (is_half_or_more(mag % (uint64_t)d, (uint64_t)d))
        q++;
    /* Rounding up needs d >= 2, so q fits; 0 - q keeps INT64_MIN / 1 whole. */
    return a < 0 ? (int64_t)(0 - q) : (int64_t)q;
}

static int64_t pow10_i64(int n)
{
    int64_t p = 1;

    while (n-- > 0)
        p *= 10;
    return p;
}

/* ---- decimals ----------------------------------------------------------- */

/* A JSON number split into its parts (text validated). */
typedef struct number_text {
    int negative;
    const char *digits; /* integer digits then fraction digits, '.' skipped */
    size_t int_len;
    size_t frac_len;
    const char *frac;
    int64_t exponent; /* stops growing past DECIMAL_TEXT_MAX * 4: 0 or overflow there */
} number_text;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static size_t count_digits(const char *s, size_t len, size_t at)
{
    size_t n = 0;

    while (at + n < len && is_digit(s[at + n]))
        n++;
    return n;
}

/* JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int split_number(const char *s, size_t len, number_text *t)
{
    size_t at = 0;

    memset(t, 0, sizeof(*t));
    if (at < len && s[at] == '-') {
        t->negative = 1;
        at++;
    }
    t->digits = s + at;
    t->int_len = count_digits(s, len, at);
    if (t->int_len == 0 || (t->int_len > 1 && s[at] == '0'))
        return TS_EINVAL;
    at += t->int_len;
    if (at < len && s[at] == '.') {
        t->frac = s + at + 1;
        t->frac_len = count_digits(s, len, at + 1);
        if (t->frac_len == 0)
            return TS_EINVAL;
        at += 1 + t->frac_len;
    }
    if (at < len && (s[at] == 'e' || s[at] == 'E')) {
        int exp_negative = 0;
        size_t n;

        at++;
        if (at < len && (s[at] == '+' || s[at] == '-'))
            exp_negative = s[at++] == '-';
        n = count_digits(s, len, at);
        if (n == 0)
            return TS_EINVAL;
        for (; n > 0; n--, at++) {
            if (t->exponent < DECIMAL_TEXT_MAX * 4)
                t->exponent = t->exponent * 10 + (s[at] - '0');
        }
        if (exp_negative)
            t->exponent = -t->exponent;
    }
    return at == len ? 0 : TS_EINVAL;
}

/* The i-th significant-position digit: integer digits, then fraction. */
static int digit_at(const number_text *t, size_t i)
{
    return i < t->int_len ? t->digits[i] - '0' : t->frac[i - t->int_len] - '0';
}

/*
 * The number times 10^TS_DECIMAL_DIGITS, as an integer: the digits whose
 * place is 1 or more after scaling are kept, the first dropped one rounds
 * (half away from zero: a dropped part >= one half starts with 5..9).
 */
static int scale_number(const number_text *t, int64_t *out)
{
    size_t n_digits = t->int_len + t->frac_len;
    /* How many digits lie left of the scaled decimal point. */
    int64_t kept = (int64_t)t->int_len + t->exponent + TS_DECIMAL_DIGITS;
    size_t n_kept = kept <= 0 ? 0 : (size_t)kept < n_digits ? (size_t)kept : n_digits;
    uint64_t mag = 0;

    for (size_t i = 0; i < n_kept; i++) {
        if (__builtin_mul_overflow(mag, 10, &mag) ||
            __builtin_add_overflow(mag, (uint64_t)digit_at(t, i), &mag))
            return TS_ETOOBIG;
    }
    if (n_kept < n_digits) {
        if (kept >= 0 && digit_at(t, n_kept) >= 5)
            mag++;
    } else {
        for (int64_t zeros = kept - (int64_t)n_digits; zeros > 0 && mag != 0; zeros--) {
            if (__builtin_mul_overflow(mag, 10, &mag))
                return TS_ETOOBIG;
        }
    }
    return signed_from_magnitude(mag, t->negative, out);
}

int ts_decimal_parse(const char *text, size_t len, ts_decimal *out)
{
    number_text t;
    int64_t scaled;
    int rc;

    if (!text || len == 0)
        return TS_EINVAL;
    if (len > DECIMAL_TEXT_MAX)
        return TS_ETOOBIG;
    rc = split_number(text, len, &t);
    if (rc == 0)
        rc = scale_number(&t, &scaled);
    if (rc == 0)
        out->scaled = scaled;
    return rc;
}

/*
 * Why the shortest round trip: Odoo (Python's repr) printed the shortest
 * text that reads back as its double, e.g. "39.4"; cJSON turned that into
 * the nearest double; the shortest %g precision that reads back as the same
 * double gives Odoo's text again. %.17g alone would print the binary
 * value's noise ("39.399999999999999"), which parses to a different
 * decimal and can move a half-cent tie.
 */
int ts_decimal_from_double(double value, ts_decimal *out)
{
    char text[40];
    int n = 0;

    if (!isfinite(value))
        return TS_EINVAL;
    for (int precision = 15; precision <= 17; precision++) {
        n = snprintf(text, sizeof(text), "%.*g", precision, value);
        if (n <= 0 || (size_t)n >= sizeof(text))
            return TS_EINVAL;
        if (strtod(text, NULL) == value)
            break;
    }
    /* The agent runs in the C locale; should it not, make the point a '.'. */
    for (int i = 0; i < n; i++) {
        if (!is_digit(text[i]) && text[i] != '-' && text[i] != '+' && text[i] != 'e')
            text[i] = '.';
    }
    return ts_decimal_parse(text, (size_t)n, out);
}

int ts_decimal_from_int(int64_t units, ts_decimal *out)
{
    int64_t scaled;

    if (__builtin_mul_overflow(units, TS_DECIMAL_SCALE, &scaled) || scaled == INT64_MIN)
        return TS_ETOOBIG;
    out->scaled = scaled;
    return 0;
}

int ts_decimal_to_minor(ts_decimal d, int decimal_places, int64_t *minor)
{
    if (decimal_places < 0 || decimal_places > TS_DECIMAL_DIGITS)
        return TS_EINVAL;
    *minor = div_round(d.scaled, pow10_i64(TS_DECIMAL_DIGITS - decimal_places));
    return 0;
}

void ts_decimal_format(ts_decimal d, char *out)
{
    uint64_t mag = magnitude(d.scaled);
    uint64_t frac = mag % (uint64_t)TS_DECIMAL_SCALE;
    int len = snprintf(out, TS_DECIMAL_TEXT_LEN, "%s%llu", d.scaled < 0 ? "-" : "",
                       (unsigned long long)(mag / (uint64_t)TS_DECIMAL_SCALE));

    if (frac != 0) {
        len += snprintf(out + len, TS_DECIMAL_TEXT_LEN - (size_t)len, ".%0*llu", TS_DECIMAL_DIGITS,
                        (unsigned long long)frac);
        while (out[len - 1] == '0')
            out[--len] = '\0';
    }
}

/* ---- Odoo's selection values -------------------------------------------- */

static int lookup(const char *s, const char *const *names, int n, int *out)
{
    for (int i = 0; s && i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return TS_EINVAL;
}

int ts_applied_on_parse(const char *s, ts_applied_on *out)
{
    static const char *const names[] = {"0_product_variant", "1_product", "2_product_category",
                                        "3_global"};
    int v;

    if (lookup(s, names, 4, &v) != 0)
        return TS_EINVAL;
    *out = (ts_applied_on)v;
    return 0;
}

int ts_compute_price_parse(const char *s, ts_compute_price *out)
{
    static const char *const names[] = {"fixed", "percentage", "formula"};
    int v = TS_COMPUTE_OTHER;
    int rc = lookup(s, names, 3, &v);

    *out = (ts_compute_price)v;
    return rc;
}

int ts_price_base_parse(const char *s, ts_price_base *out)
{
    static const char *const names[] = {"list_price", "standard_price", "pricelist"};
    int v = TS_BASE_OTHER;
    int rc = lookup(s, names, 3, &v);

    *out = (ts_price_base)v;
    return rc;
}

const char *ts_price_source_name(ts_price_source s)
{
    switch (s) {
    case TS_PRICE_PRICELIST:
        return "pricelist";
    case TS_PRICE_LIST_PRICE_FALLBACK:
        return "list_price_fallback";
    case TS_PRICE_LIST_PRICE:
        break;
    }
    return "list_price";
}

/* ---- the product's category and its ancestors --------------------------- */

/* Category ids from the root down to the product's own category. */
typedef struct categ_chain {
    int64_t ids[CATEG_DEPTH_MAX];
    int n;
} categ_chain;

/* "1/2/8/" (the trailing '/' optional) into ids; "" or NULL: none. */
static int categ_chain_parse(const char *path, int64_t categ_id, categ_chain *chain)
{
    chain->n = 0;
    while (path && *path) {
        int64_t id = 0;
        const char *start = path;

        for (; is_digit(*path); path++) {
            if (__builtin_mul_overflow(id, 10, &id) || __builtin_add_overflow(id, *path - '0', &id))
                return TS_EINVAL;
        }
        if (path == start || id == 0 || (*path != '/' && *path != '\0'))
            return TS_EINVAL;
        if (chain->n == CATEG_DEPTH_MAX)
            return TS_EINVAL;
        chain->ids[chain->n++] = id;
        if (*path == '/')
            path++;
    }
    if (chain->n == 0 && categ_id != 0)
        chain->ids[chain->n++] = categ_id;
    /* The path must be the product's category's own (a caller mix-up else). */
    if (chain->n > 0 && categ_id != 0 && chain->ids[chain->n - 1] != categ_id)
        return TS_EINVAL;
    return 0;
}

/* Depth of a category in the chain (0 = root), or -1 when not in it. */
static int categ_chain_depth(const categ_chain *chain, int64_t categ_id)
{
    for (int i = 0; i < chain->n; i++) {
        if (chain->ids[i] == categ_id)
            return i;
    }
    return -1;
}

/* ---- Odoo's float steps ------------------------------------------------- */

/*
 * Python 2's round(), as float_utils.py shims it over Python 3's: halves
 * away from zero. nearbyint() is Python 3's round (ties to even) under the
 * default rounding mode.
 */
static double py2_round(double f)
{
    double r = nearbyint(f);

    if (nearbyint(f + 1) - r != 1)
        return f + copysign(0.5, f);
    return copysign(r, f);
}

double ts_float_round(double value, double step)
{
    double normalized, epsilon;

    if (step == 0 || value == 0)
        return 0.0;
    normalized = value / step;
    /* math.log(x, 2) is log(x) / log(2) in Python, not log2(x). */
    epsilon = pow(2.0, log(fabs(normalized)) / log(2.0) - 52);
    normalized += copysign(epsilon, normalized);
    return py2_round(normalized) * step;
}

double ts_float_round_digits(double value, int digits)
{
    return ts_float_round(value, pow(10.0, -digits));
}

/* A ts_decimal as the double Odoo had: through its shortest text. */
static double dbl(ts_decimal d)
{
    char text[TS_DECIMAL_TEXT_LEN];

    ts_decimal_format(d, text);
    return strtod(text, NULL);
}

/* Largest amount priced: beyond it a price is refused, never wrapped. */
#define PRICE_ABS_MAX 1e10

static int to_minor(double v, int places, int64_t *out)
{
    double scaled = v * pow(10.0, places);

    if (!isfinite(scaled) || fabs(v) > PRICE_ABS_MAX)
        return TS_ETOOBIG;
    *out = llround(scaled);
    return 0;
}

/* ---- the pricer ---------------------------------------------------------- */

/*
 * The items are kept in groups: each under the most specific of product,
 * template and category it names (or none: global). Odoo's search requires
 * an item to match every one of those it names, so looking in the product's
 * group, its template's, its categories' and the global one finds every
 * item that can apply, and each one found is then checked in full.
 */
typedef enum group_kind { BY_PRODUCT, BY_TEMPLATE, BY_CATEGORY, BY_NOTHING } group_kind;

typedef struct group {
    int kind; /* group_kind */
    int64_t key;
} group;

/* An item with its numbers as the doubles Odoo computes with. */
typedef struct pitem {
    ts_price_item it;
    double min_qty, fixed, percent, discount, round, surcharge, min_margin, max_margin;
} pitem;

/* One pricelist: the store's (lists[0]) or one a rule is based on. */
typedef struct plist {
    int64_t id;
    ts_currency cur;
    double rate;
    pitem *items; /* holding now, sorted by group then Odoo's order */
    size_t n;
} plist;

struct ts_pricer {
    int has_pricelist;
    int price_digits;
    int64_t now_s;
    ts_currency company_currency;
    double company_rate;
    plist *lists;
    size_t n_lists;
    int64_t next_change_ms;
    ts_pricer_stats stats;
};

static int currency_is_valid(const ts_currency *c)
{
    return c->decimal_places >= 0 && c->decimal_places <= TS_DECIMAL_DIGITS && c->rate.scaled > 0 &&
           c->rounding.scaled >= 0;
}

/* The step amounts are rounded to: rounding, or 10^-places when unset. */
static double currency_step(const ts_currency *c)
{
    return c->rounding.scaled > 0 ? dbl(c->rounding) : pow(10.0, -c->decimal_places);
}

/*
 * Odoo compares item dates with fields.Datetime.now(): the current second.
 * (Times within a second of the int64 ends are left as they are.)
 */
static int64_t floor_to_second(int64_t ms)
{
    int64_t s = ms / 1000;

    if (ms < INT64_MIN + 1000)
        return ms;
    if (ms % 1000 < 0)
        s--;
    return s * 1000;
}

static int64_t ceil_to_second(int64_t ms)
{
    int64_t s = floor_to_second(ms);

    return s == ms || s > INT64_MAX - 1000 ? ms : s + 1000;
}

static int dates_hold(const ts_price_item *it, int64_t now_s)
{
    return (it->date_start_ms == 0 || it->date_start_ms <= now_s) &&
           (it->date_end_ms == 0 || now_s <= it->date_end_ms);
}

/* The first ms after now_s at which the item's dates start or stop holding. */
static int64_t item_next_change(const ts_price_item *it, int64_t now_s)
{
    int64_t next = INT64_MAX;

    if (it->date_start_ms != 0 && it->date_start_ms > now_s)
        next = ceil_to_second(it->date_start_ms);
    if (it->date_end_ms != 0 && it->date_end_ms >= now_s && it->date_end_ms < INT64_MAX - 1000) {
        int64_t end = floor_to_second(it->date_end_ms) + 1000;

        if (end < next)
            next = end;
    }
    return next;
}

static group group_of(const ts_price_item *it)
{
    group g = {BY_NOTHING, 0};

    if (it->product_id != 0) {
        g.kind = BY_PRODUCT;
        g.key = it->product_id;
    } else if (it->product_tmpl_id != 0) {
        g.kind = BY_TEMPLATE;
        g.key = it->product_tmpl_id;
    } else if (it->categ_id != 0) {
        g.kind = BY_CATEGORY;
        g.key = it->categ_id;
    }
    return g;
}

static int group_cmp(group x, group y)
{
    if (x.kind != y.kind)
        return x.kind < y.kind ? -1 : 1;
    if (x.key != y.key)
        return x.key < y.key ? -1 : 1;
    return 0;
}

#define CMP_ASC(a, b)                                                                              \
    do {                                                                                           \
        if ((a) != (b))                                                                            \
            return (a) < (b) ? -1 : 1;                                                             \
    } while (0)

/*
 * Group, then Odoo's _order "applied_on, min_quantity desc, categ_id desc"
 * as far as it is known before the product: categ_id stands for the
 * category's depth on the product's chain (see candidate_precedes), so here
 * it only keeps the items of one category together. Items equal in all of
 * these form a run, in which Odoo's last key, id desc, decides alone.
 */
static int run_cmp(const ts_price_item *x, const ts_price_item *y)
{
    int by_group = group_cmp(group_of(x), group_of(y));

    if (by_group != 0)
        return by_group;
    CMP_ASC(x->applied_on, y->applied_on);
    CMP_ASC(y->min_quantity.scaled, x->min_quantity.scaled);
    CMP_ASC(x->categ_id, y->categ_id);
    return 0;
}

static int item_cmp(const void *a, const void *b)
{
    const ts_price_item *x = &((const pitem *)a)->it, *y = &((const pitem *)b)->it;
    int by_run = run_cmp(x, y);

    if (by_run != 0)
        return by_run;
    CMP_ASC(y->id, x->id);
    return 0;
}

static void pitem_fill(pitem *d, const ts_price_item *it)
{
    d->it = *it;
    d->min_qty = dbl(it->min_quantity);
    d->fixed = dbl(it->fixed_price);
    d->percent = dbl(it->percent_price);
    d->discount = dbl(it->price_discount);
    d->round = dbl(it->price_round);
    d->surcharge = dbl(it->price_surcharge);
    d->min_margin = dbl(it->price_min_margin);
    d->max_margin = dbl(it->price_max_margin);
}

/* Keeps the items whose dates hold at now_s, and sorts them. */
static int plist_load(ts_pricer *p, plist *l, const ts_price_item *items, size_t n)
{
    if (n == 0)
        return 0;
    l->items = malloc(n * sizeof(*l->items));
    if (!l->items)
        return TS_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int64_t change = item_next_change(&items[i], p->now_s);

        if (change < p->next_change_ms)
            p->next_change_ms = change;
        if (dates_hold(&items[i], p->now_s))
            pitem_fill(&l->items[l->n++], &items[i]);
    }
    qsort(l->items, l->n, sizeof(*l->items), item_cmp);
    return 0;
}

static int pricer_add(ts_pricer *p, int64_t id, const ts_currency *cur, const ts_price_item *items,
                      size_t n)
{
    plist *grown, *l;

    if (!currency_is_valid(cur) || (n > 0 && !items))
        return TS_EINVAL;
    grown = realloc(p->lists, (p->n_lists + 1) * sizeof(*grown));
    if (!grown)
        return TS_ENOMEM;
    p->lists = grown;
    l = &p->lists[p->n_lists++];
    memset(l, 0, sizeof(*l));
    l->id = id;
    l->cur = *cur;
    l->rate = dbl(cur->rate);
    return plist_load(p, l, items, n);
}

int ts_pricer_new(const ts_price_item *items, size_t n, const ts_currency *pricelist_currency,
                  const ts_currency *company_currency, int64_t now_ms, ts_pricer **out)
{
    ts_pricer *p;
    int rc;

    if (!company_currency || !currency_is_valid(company_currency))
        return TS_EINVAL;
    p = calloc(1, sizeof(*p));
    if (!p)
        return TS_ENOMEM;
    p->company_currency = *company_currency;
    p->company_rate = dbl(company_currency->rate);
    p->has_pricelist = pricelist_currency != NULL;
    p->price_digits = 2;
    p->now_s = floor_to_second(now_ms);
    p->next_change_ms = INT64_MAX;
    if (p->has_pricelist)
        rc = pricer_add(p, 0, pricelist_currency, items, n);
    else
        rc = pricer_add(p, 0, company_currency, NULL, 0);
    if (rc != 0) {
        ts_pricer_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int ts_pricer_add_pricelist(ts_pricer *p, int64_t pricelist_id, const ts_currency *currency,
                            const ts_price_item *items, size_t n)
{
    if (pricelist_id <= 0 || !p->has_pricelist)
        return TS_EINVAL;
    return pricer_add(p, pricelist_id, currency, items, n);
}

void ts_pricer_set_main_id(ts_pricer *p, int64_t pricelist_id)
{
    p->lists[0].id = pricelist_id;
}

void ts_pricer_set_price_digits(ts_pricer *p, int digits)
{
    if (digits >= 0 && digits <= TS_DECIMAL_DIGITS)
        p->price_digits = digits;
}

void ts_pricer_free(ts_pricer *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_lists; i++)
        free(p->lists[i].items);
    free(p->lists);
    free(p);
}

int64_t ts_pricer_next_change_ms(const ts_pricer *p)
{
    return p->next_change_ms;
}

int ts_price_item_holds(const ts_price_item *it, int64_t now_ms)
{
    return dates_hold(it, floor_to_second(now_ms));
}

void ts_pricer_get_stats(const ts_pricer *p, ts_pricer_stats *out)
{
    *out = p->stats;
}

/* ---- choosing the item: Odoo's _get_applicable_rules + _is_applicable_for */

/* An applicable item, with its category's depth for the order. */
typedef struct candidate {
    const pitem *item;
    int categ_depth; /* -1 when the item names no category */
} candidate;

/*
 * Odoo's search domain (every product, template and category the item
 * names must match) and then _is_applicable_for: a set min_quantity above
 * the quantity excludes the item (qty < 0: any quantity).
 */
static int item_applies(const pitem *pi, const ts_price_product *prod, const categ_chain *chain,
                        double qty, int *categ_depth)
{
    const ts_price_item *it = &pi->it;

    *categ_depth = it->categ_id ? categ_chain_depth(chain, it->categ_id) : -1;
    if (qty >= 0 && pi->min_qty != 0 && qty < pi->min_qty)
        return 0;
    if (it->product_id != 0 && it->product_id != prod->id)
        return 0;
    if (it->product_tmpl_id != 0 && it->product_tmpl_id != prod->tmpl_id)
        return 0;
    if (it->categ_id != 0 && *categ_depth < 0)
        return 0;
    switch (it->applied_on) {
    case TS_APPLIED_VARIANT:
        return it->product_id != 0;
    case TS_APPLIED_TEMPLATE:
        return it->product_tmpl_id != 0;
    case TS_APPLIED_CATEGORY:
        return it->categ_id != 0;
    case TS_APPLIED_GLOBAL:
        return 1;
    }
    return 0;
}

/*
 * Odoo's _order "applied_on, min_quantity desc, categ_id desc, id desc".
 * Ordering by a many2one orders by the category's own _order, complete_name
 * ("All / Saleable / Office Furniture"): among the categories on one chain,
 * descending complete_name is deepest first. PostgreSQL puts NULL first in
 * a descending order. Returns nonzero when a comes before b.
 */
static int candidate_precedes(const candidate *a, const candidate *b)
{
    const ts_price_item *x = &a->item->it, *y = &b->item->it;
    int x_depth = a->categ_depth < 0 ? CATEG_DEPTH_MAX : a->categ_depth;
    int y_depth = b->categ_depth < 0 ? CATEG_DEPTH_MAX : b->categ_depth;

    if (x->applied_on != y->applied_on)
        return x->applied_on < y->applied_on;
    if (x->min_quantity.scaled != y->min_quantity.scaled)
        return x->min_quantity.scaled > y->min_quantity.scaled;
    if (x_depth != y_depth)
        return x_depth > y_depth;
    return x->id > y->id;
}

/* Position of the first item of group g, or l->n. */
static size_t group_start(const plist *l, group g)
{
    size_t lo = 0, hi = l->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (group_cmp(group_of(&l->items[mid].it), g) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Position of the first item after the run item i is in. */
static size_t run_end(const plist *l, size_t i)
{
    size_t lo = i + 1, hi = l->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (run_cmp(&l->items[mid].it, &l->items[i].it) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*
 * Offers the group's applicable items to *best. The rest of an applicable
 * item's run comes after it (smaller ids), so it is skipped. After the
 * first applicable item only items tied with it on applied_on and
 * min_quantity can still come before it (a deeper category), so the scan
 * stops at the first item past that tie.
 */
static void consider_group(const plist *l, group g, const ts_price_product *prod,
                           const categ_chain *chain, double qty, candidate *best)
{
    const ts_price_item *first = NULL; /* the group's first applicable item */
    size_t i = group_start(l, g);

    while (i < l->n && group_cmp(group_of(&l->items[i].it), g) == 0) {
        candidate c = {&l->items[i], -1};

        if (first && (c.item->it.applied_on != first->applied_on ||
                      c.item->it.min_quantity.scaled != first->min_quantity.scaled))
            break;
        if (!item_applies(c.item, prod, chain, qty, &c.categ_depth)) {
            i++;
            continue;
        }
        if (!first)
            first = &c.item->it;
        if (!best->item || candidate_precedes(&c, best))
            *best = c;
        i = run_end(l, i);
    }
}

/* The product's groups: variant, template, each category, global. */
static size_t product_groups(const ts_price_product *prod, const categ_chain *chain, group *out)
{
    size_t n = 0;

    if (prod->id != 0)
        out[n++] = (group){BY_PRODUCT, prod->id};
    if (prod->tmpl_id != 0)
        out[n++] = (group){BY_TEMPLATE, prod->tmpl_id};
    for (int i = 0; i < chain->n; i++)
        out[n++] = (group){BY_CATEGORY, chain->ids[i]};
    out[n++] = (group){BY_NOTHING, 0};
    return n;
}

static const pitem *find_item(const plist *l, const ts_price_product *prod,
                              const categ_chain *chain, double qty)
{
    group groups[CATEG_DEPTH_MAX + 3];
    size_t ng = product_groups(prod, chain, groups);
    candidate best = {NULL, -1};

    for (size_t i = 0; i < ng; i++)
        consider_group(l, groups[i], prod, chain, qty, &best);
    return best.item;
}

/* ---- computing the price: Odoo's _compute_price, in its float steps ---- */

/* Internal: a chain that cannot be priced (cycle or too deep). */
#define CHAIN_BROKEN 1

/*
 * res.currency._convert(round=False): amount × inverse_rate, where
 * inverse_rate = 1 / (rate_from / rate_to); 0 stays 0.
 */
static double convert(double amount, double from_rate, double to_rate)
{
    if (amount == 0)
        return 0.0;
    return amount * (1 / (from_rate / to_rate));
}

/* _price_compute('list_price'): list_price + price_extra, unrounded. */
static double list_base(const ts_price_product *prod)
{
    if (!prod->has_raw)
        return dbl(prod->lst_price);
    return prod->list_price + prod->price_extra;
}

typedef struct walk {
    ts_pricer *p;
    const ts_price_product *prod;
    const categ_chain *chain;
    double qty;
    size_t stack[TS_PRICELIST_DEPTH_MAX + 1]; /* list indexes being priced */
    int depth;
    int fallback; /* an item this agent cannot compute decided */
} walk;

static int list_price_in(walk *w, size_t li, double *out);

static size_t find_list(const ts_pricer *p, int64_t id)
{
    for (size_t i = 0; i < p->n_lists; i++) {
        if (p->lists[i].id == id && id != 0)
            return i;
    }
    return SIZE_MAX;
}

/* _compute_base_price: the base in the currency of list li. */
static int base_price(walk *w, size_t li, const pitem *pi, double *out)
{
    const plist *l = &w->p->lists[li];
    size_t bi;
    double price;
    int rc;

    switch (pi ? pi->it.base : TS_BASE_LIST_PRICE) {
    case TS_BASE_LIST_PRICE:
        *out = convert(list_base(w->prod), w->p->company_rate, l->rate);
        return 0;
    case TS_BASE_STANDARD_PRICE:
        if (!w->prod->has_raw)
            break;
        *out = convert(w->prod->standard_price, w->p->company_rate, l->rate);
        return 0;
    case TS_BASE_PRICELIST:
        bi = find_list(w->p, pi->it.base_pricelist_id);
        if (pi->it.base_pricelist_id == 0) { /* Odoo: no other pricelist, list price */
            *out = convert(list_base(w->prod), w->p->company_rate, l->rate);
            return 0;
        }
        if (bi == SIZE_MAX)
            break;
        rc = list_price_in(w, bi, &price);
        if (rc != 0)
            return rc;
        *out = convert(price, w->p->lists[bi].rate, l->rate);
        return 0;
    case TS_BASE_OTHER:
        break;
    }
    w->fallback = 1;
    *out = convert(list_base(w->prod), w->p->company_rate, l->rate);
    return 0;
}

/* Formula: discount, price_round, surcharge, then the margins. */
static double formula(const pitem *pi, double base)
{
    double price = base - base * (pi->discount / 100);

    if (pi->round != 0)
        price = ts_float_round(price, pi->round);
    if (pi->surcharge != 0)
        price += pi->surcharge;
    if (pi->min_margin != 0 && price < base + pi->min_margin)
        price = base + pi->min_margin;
    if (pi->max_margin != 0 && price > base + pi->max_margin)
        price = base + pi->max_margin;
    return price;
}

/* _compute_price_rule of list li for the product, unrounded. */
static int price_in(walk *w, size_t li, double *out, const pitem **used)
{
    const pitem *pi =
        w->p->has_pricelist ? find_item(&w->p->lists[li], w->prod, w->chain, w->qty) : NULL;
    double base = 0;
    int rc;

    *used = pi;
    if (pi && pi->it.compute_price == TS_COMPUTE_FIXED) {
        *out = pi->fixed;
        return 0;
    }
    if (pi && pi->it.compute_price == TS_COMPUTE_OTHER) {
        w->fallback = 1;
        pi = NULL;
    }
    rc = base_price(w, li, pi, &base);
    if (rc != 0 || !pi)
        return *out = base, rc;
    if (pi->it.compute_price == TS_COMPUTE_PERCENTAGE)
        *out = base - base * (pi->percent / 100);
    else
        *out = formula(pi, base);
    return 0;
}

/* A base pricelist's price: refuses cycles and chains that go too deep. */
static int list_price_in(walk *w, size_t li, double *out)
{
    const pitem *unused;
    int rc;

    for (int i = 0; i <= w->depth; i++) {
        if (w->stack[i] == li) {
            w->p->stats.cycles++;
            w->p->stats.cycle_pricelist_id = w->p->lists[li].id;
            return CHAIN_BROKEN;
        }
    }
    if (w->depth >= TS_PRICELIST_DEPTH_MAX) {
        w->p->stats.too_deep++;
        w->p->stats.deep_pricelist_id = w->p->lists[li].id;
        return CHAIN_BROKEN;
    }
    w->stack[++w->depth] = li;
    rc = price_in(w, li, out, &unused);
    w->depth--;
    return rc;
}

static void count_price(ts_pricer *p, ts_price_source source)
{
    p->stats.priced++;
    if (source == TS_PRICE_PRICELIST)
        p->stats.pricelist++;
    else if (source == TS_PRICE_LIST_PRICE_FALLBACK)
        p->stats.fallback++;
    else
        p->stats.list_price++;
}

/* The price before the counters: shared by pricing and tiers. */
static int price_at(ts_pricer *p, const ts_price_product *prod, const categ_chain *chain,
                    double qty, ts_price *out)
{
    const plist *main = &p->lists[0];
    walk w = {p, prod, chain, qty, {0}, 0, 0};
    const pitem *used = NULL;
    double price;
    int rc = price_in(&w, 0, &price, &used);

    memset(out, 0, sizeof(*out));
    out->source = used ? TS_PRICE_PRICELIST : TS_PRICE_LIST_PRICE;
    if (rc == CHAIN_BROKEN || w.fallback) {
        price = convert(list_base(prod), p->company_rate, main->rate);
        out->source = TS_PRICE_LIST_PRICE_FALLBACK;
    } else if (rc != 0) {
        return rc;
    }
    out->item_id = used ? used->it.id : 0;
    out->price_digits = p->price_digits;
    out->unit = ts_float_round_digits(price, p->price_digits);
    out->decimal_places = main->cur.decimal_places;
    out->rounding = currency_step(&main->cur);
    rc = to_minor(ts_float_round_digits(out->unit, out->decimal_places), out->decimal_places,
                  &out->amount_minor);
    if (rc == 0)
        rc = to_minor(out->rounding, out->decimal_places, &out->rounding_minor);
    return rc;
}

int ts_pricer_price_qty(ts_pricer *p, const ts_price_product *product,
                        const char *categ_parent_path, double qty, ts_price *out)
{
    categ_chain chain;
    ts_price result;
    int rc;

    if (!(qty > 0) || qty > PRICE_ABS_MAX)
        return TS_EINVAL;
    rc = categ_chain_parse(categ_parent_path, product->categ_id, &chain);
    if (rc == 0)
        rc = price_at(p, product, &chain, qty, &result);
    if (rc != 0)
        return rc;
    count_price(p, result.source);
    *out = result;
    return 0;
}

int ts_pricer_price(ts_pricer *p, const ts_price_product *product, const char *categ_parent_path,
                    ts_price *out)
{
    return ts_pricer_price_qty(p, product, categ_parent_path, 1.0, out);
}

int ts_price_line_amount(const ts_price *p, double qty, int64_t *minor)
{
    double line = ts_float_round(p->unit * qty, p->rounding);

    return to_minor(line, p->decimal_places, minor);
}

int ts_price_unit_exact(const ts_price *p, char *out)
{
    out[0] = '\0';
    if (p->price_digits <= p->decimal_places)
        return 0;
    snprintf(out, TS_DECIMAL_TEXT_LEN, "%.*f", p->price_digits, p->unit);
    return 1;
}

/* ---- tiers --------------------------------------------------------------- */

#define TIER_QTYS_MAX 64

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Every min_quantity above qty of the items that could apply, any list. */
static size_t tier_quantities(const ts_pricer *p, const ts_price_product *prod,
                              const categ_chain *chain, double qty, double *out)
{
    group groups[CATEG_DEPTH_MAX + 3];
    size_t ng = product_groups(prod, chain, groups), n = 0;

    for (size_t li = 0; li < p->n_lists; li++) {
        const plist *l = &p->lists[li];

        for (size_t g = 0; g < ng; g++) {
            for (size_t i = group_start(l, groups[g]);
                 i < l->n && group_cmp(group_of(&l->items[i].it), groups[g]) == 0; i++) {
                int depth;

                if (l->items[i].min_qty > qty && n < TIER_QTYS_MAX &&
                    item_applies(&l->items[i], prod, chain, -1, &depth))
                    out[n++] = l->items[i].min_qty;
            }
        }
    }
    qsort(out, n, sizeof(*out), cmp_double);
    return n;
}

int ts_pricer_tiers(ts_pricer *p, const ts_price_product *product, const char *categ_parent_path,
                    double qty, ts_price_tier *out, size_t max, size_t *n)
{
    double qtys[TIER_QTYS_MAX];
    categ_chain chain;
    ts_price at, prev;
    size_t nq;
    int rc;

    *n = 0;
    rc = categ_chain_parse(categ_parent_path, product->categ_id, &chain);
    if (rc == 0)
        rc = price_at(p, product, &chain, qty, &prev);
    if (rc != 0 || !p->has_pricelist)
        return rc;
    nq = tier_quantities(p, product, &chain, qty, qtys);
    for (size_t i = 0; i < nq && *n < max; i++) {
        if (i > 0 && qtys[i] == qtys[i - 1])
            continue;
        if (price_at(p, product, &chain, qtys[i], &at) != 0)
            continue;
        if (at.amount_minor == prev.amount_minor && at.unit == prev.unit)
            continue;
        out[*n].min_qty = qtys[i];
        out[*n].amount_minor = at.amount_minor;
        (*n)++;
        prev = at;
    }
    return 0;
}
