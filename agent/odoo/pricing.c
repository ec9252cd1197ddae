/*
 * pricing.c - Odoo 17's pricelist rules in integer arithmetic (see
 * pricing.h and docs/pricing.md).
 *
 * The file reads top-down: a small 128-bit helper (32-bit ARM has no
 * __int128), checked and rounding arithmetic on ts_decimal, parsing and
 * printing of decimals, the category chain, and the pricer itself.
 *
 * Every intermediate result is a ts_decimal (nine decimal places), rounded
 * half away from zero where an exact result would need more places. Odoo
 * computes in doubles (about 16 significant digits) and rounds at the end;
 * nine places agree with it to far below the last cent of any price.
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

/* ---- 128-bit unsigned arithmetic, just what a*b/d needs ---------------- */

typedef struct u128 {
    uint64_t hi;
    uint64_t lo;
} u128;

/* The full product of two 64-bit numbers, from four 32×32-bit products. */
static u128 u128_mul(uint64_t a, uint64_t b)
{
    uint64_t a_lo = (uint32_t)a, a_hi = a >> 32;
    uint64_t b_lo = (uint32_t)b, b_hi = b >> 32;
    uint64_t lo_lo = a_lo * b_lo;
    uint64_t hi_lo = a_hi * b_lo;
    uint64_t lo_hi = a_lo * b_hi;
    uint64_t hi_hi = a_hi * b_hi;
    /* Cannot overflow: at most (2^32-1) + (2^32-1) + (2^32-1)^2. */
    uint64_t middle = (lo_lo >> 32) + (uint32_t)hi_lo + lo_hi;
    u128 r;

    r.hi = hi_hi + (hi_lo >> 32) + (middle >> 32);
    r.lo = (middle << 32) | (uint32_t)lo_lo;
    return r;
}

/*
 * n / d with remainder, for 0 < d < 2^63 (a positive int64). Long division
 * one bit at a time: plain rather than fast, and the 64-bit case (most
 * prices) skips it. The remainder stays below d < 2^63, so shifting it
 * left never loses a bit.
 */
static u128 u128_divmod(u128 n, uint64_t d, uint64_t *rem)
{
    u128 q = {0, 0};
    uint64_t r = 0;

    if (n.hi == 0) {
        q.lo = n.lo / d;
        *rem = n.lo % d;
        return q;
    }
    /* Start at n's top bit: the zeros above it add nothing. */
    for (int i = 127 - __builtin_clzll(n.hi); i >= 0; i--) {
        uint64_t bit = i >= 64 ? (n.hi >> (i - 64)) & 1 : (n.lo >> i) & 1;

        r = (r << 1) | bit;
        if (r >= d) {
            r -= d;
            if (i >= 64)
                q.hi |= UINT64_C(1) << (i - 64);
            else
                q.lo |= UINT64_C(1) << i;
        }
    }
    *rem = r;
    return q;
}

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

static int add_checked(int64_t a, int64_t b, int64_t *out)
{
    int64_t sum;

    if (__builtin_add_overflow(a, b, &sum) || sum == INT64_MIN)
        return TS_ETOOBIG;
    *out = sum;
    return 0;
}

/* True when a remainder r of a division by d is at least half of d. */
static int is_half_or_more(uint64_t r, uint64_t d)
{
    return r >= d - r;
}

/* a × b / d rounded half away from zero, d > 0, exact in between. */
static int mul_div_round(int64_t a, int64_t b, int64_t d, int64_t *out)
{
    uint64_t rem;
    u128 q = u128_divmod(u128_mul(magnitude(a), magnitude(b)), (uint64_t)d, &rem);

    if (is_half_or_more(rem, (uint64_t)d) && ++q.lo == 0)
        q.hi++;
    if (q.hi != 0)
        return TS_ETOOBIG;
    return signed_from_magnitude(q.lo, (a < 0) != (b < 0), out);
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

/* The multiple of step (> 0) nearest to v, halves away from zero. */
static int round_to_multiple(int64_t v, int64_t step, int64_t *out)
{
    int64_t r;

    if (__builtin_mul_overflow(div_round(v, step), step, &r) || r == INT64_MIN)
        return TS_ETOOBIG;
    *out = r;
    return 0;
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

struct ts_pricer {
    int has_pricelist;
    ts_currency company_currency;
    ts_currency price_currency; /* the pricelist's, or the company's */
    /* The items that can apply at quantity 1 now, sorted by group, then in
     * Odoo's order within it (see item_cmp). */
    ts_price_item *items;
    size_t n_items;
    int64_t next_change_ms;
    ts_pricer_stats stats;
};

static int currency_is_valid(const ts_currency *c)
{
    return c->decimal_places >= 0 && c->decimal_places <= TS_DECIMAL_DIGITS && c->rate.scaled > 0;
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
    const ts_price_item *x = a, *y = b;
    int by_run = run_cmp(x, y);

    if (by_run != 0)
        return by_run;
    CMP_ASC(y->id, x->id);
    return 0;
}

/* Keeps the items that can apply at quantity 1 at now_s, and sorts them. */
static int pricer_load_items(ts_pricer *p, const ts_price_item *items, size_t n, int64_t now_s)
{
    p->next_change_ms = INT64_MAX;
    if (n == 0)
        return 0;
    p->items = malloc(n * sizeof(*p->items));
    if (!p->items)
        return TS_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const ts_price_item *it = &items[i];
        int64_t change;

        if (it->min_quantity.scaled > TS_DECIMAL_SCALE)
            continue; /* never at quantity 1, whatever the date */
        change = item_next_change(it, now_s);
        if (change < p->next_change_ms)
            p->next_change_ms = change;
        if (dates_hold(it, now_s))
            p->items[p->n_items++] = *it;
    }
    qsort(p->items, p->n_items, sizeof(*p->items), item_cmp);
    return 0;
}

int ts_pricer_new(const ts_price_item *items, size_t n, const ts_currency *pricelist_currency,
                  const ts_currency *company_currency, int64_t now_ms, ts_pricer **out)
{
    ts_pricer *p;
    int rc = 0;

    if (!company_currency || !currency_is_valid(company_currency) ||
        (pricelist_currency && !currency_is_valid(pricelist_currency)) || (n > 0 && !items))
        return TS_EINVAL;
    p = calloc(1, sizeof(*p));
    if (!p)
        return TS_ENOMEM;
    p->company_currency = *company_currency;
    p->has_pricelist = pricelist_currency != NULL;
    p->price_currency = p->has_pricelist ? *pricelist_currency : *company_currency;
    if (p->has_pricelist)
        rc = pricer_load_items(p, items, n, floor_to_second(now_ms));
    else
        p->next_change_ms = INT64_MAX;
    if (rc != 0) {
        ts_pricer_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void ts_pricer_free(ts_pricer *p)
{
    if (!p)
        return;
    free(p->items);
    free(p);
}

int64_t ts_pricer_next_change_ms(const ts_pricer *p)
{
    return p->next_change_ms;
}

void ts_pricer_get_stats(const ts_pricer *p, ts_pricer_stats *out)
{
    *out = p->stats;
}

/* ---- choosing the item: Odoo's _get_applicable_rules + _is_applicable_for */

/* An applicable item, with its category's depth for the order. */
typedef struct candidate {
    const ts_price_item *item;
    int categ_depth; /* -1 when the item names no category */
} candidate;

/*
 * Odoo's search domain (every product, template and category the item
 * names must match) and then _is_applicable_for (the one applied_on names
 * must be set and match). Dates and min_quantity were settled at load.
 */
static int item_applies(const ts_price_item *it, const ts_price_product *prod,
                        const categ_chain *chain, int *categ_depth)
{
    *categ_depth = it->categ_id ? categ_chain_depth(chain, it->categ_id) : -1;
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
    const ts_price_item *x = a->item, *y = b->item;
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

/* Position of the first item of group g, or n_items. */
static size_t group_start(const ts_pricer *p, group g)
{
    size_t lo = 0, hi = p->n_items;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (group_cmp(group_of(&p->items[mid]), g) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Position of the first item after the run item i is in. */
static size_t run_end(const ts_pricer *p, size_t i)
{
    size_t lo = i + 1, hi = p->n_items;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (run_cmp(&p->items[mid], &p->items[i]) <= 0)
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
 * stops at the first item past that tie. Pricing a product thus costs a
 * few binary searches, however many items the pricelist has.
 */
static void consider_group(const ts_pricer *p, group g, const ts_price_product *prod,
                           const categ_chain *chain, candidate *best)
{
    const ts_price_item *first = NULL; /* the group's first applicable item */
    size_t i = group_start(p, g);

    while (i < p->n_items && group_cmp(group_of(&p->items[i]), g) == 0) {
        candidate c = {&p->items[i], -1};

        if (first && (c.item->applied_on != first->applied_on ||
                      c.item->min_quantity.scaled != first->min_quantity.scaled))
            break;
        if (!item_applies(c.item, prod, chain, &c.categ_depth)) {
            i++;
            continue;
        }
        if (!first)
            first = c.item;
        if (!best->item || candidate_precedes(&c, best))
            *best = c;
        i = run_end(p, i);
    }
}

static const ts_price_item *find_item(const ts_pricer *p, const ts_price_product *prod,
                                      const categ_chain *chain)
{
    candidate best = {NULL, -1};

    if (prod->id != 0)
        consider_group(p, (group){BY_PRODUCT, prod->id}, prod, chain, &best);
    if (prod->tmpl_id != 0)
        consider_group(p, (group){BY_TEMPLATE, prod->tmpl_id}, prod, chain, &best);
    for (int i = 0; i < chain->n; i++)
        consider_group(p, (group){BY_CATEGORY, chain->ids[i]}, prod, chain, &best);
    consider_group(p, (group){BY_NOTHING, 0}, prod, chain, &best);
    return best.item;
}

/* ---- computing the price: Odoo's _compute_price ------------------------- */

/*
 * lst_price in the currency prices are given in: Odoo's _convert, amount ×
 * (rate of the target currency / rate of the company's), unrounded.
 */
static int base_price(const ts_pricer *p, const ts_price_product *prod, int64_t *out)
{
    if (p->price_currency.rate.scaled == p->company_currency.rate.scaled) {
        *out = prod->lst_price.scaled;
        return 0;
    }
    return mul_div_round(prod->lst_price.scaled, p->price_currency.rate.scaled,
                         p->company_currency.rate.scaled, out);
}

/* base − base × percent / 100, as base × (100 − percent) / 100 exactly. */
static int discounted(int64_t base, ts_decimal percent, int64_t *out)
{
    int64_t factor;

    if (__builtin_sub_overflow(PERCENT_BASE, percent.scaled, &factor))
        return TS_ETOOBIG;
    return mul_div_round(base, factor, PERCENT_BASE, out);
}

/* Odoo holds the price at or above base + margin, set margins only. */
static int hold_margin(int64_t *price, int64_t base, ts_decimal margin, int at_least)
{
    int64_t limit;
    int rc;

    if (margin.scaled == 0)
        return 0;
    rc = add_checked(base, margin.scaled, &limit);
    if (rc == 0 && (at_least ? *price < limit : *price > limit))
        *price = limit;
    return rc;
}

/*
 * Discount, then rounding to a multiple of price_round (tools.float_round,
 * halves away from zero; Odoo refuses a negative step in the form, a stray
 * one rounds the same as its absolute value), then the surcharge, then the
 * minimum margin and last the maximum margin.
 */
static int formula_price(const ts_price_item *it, int64_t base, int64_t *out)
{
    int64_t price;
    int rc = discounted(base, it->price_discount, &price);

    if (rc == 0 && it->price_round.scaled != 0)
        rc = round_to_multiple(price, (int64_t)magnitude(it->price_round.scaled), &price);
    if (rc == 0)
        rc = add_checked(price, it->price_surcharge.scaled, &price);
    if (rc == 0)
        rc = hold_margin(&price, base, it->price_min_margin, 1);
    if (rc == 0)
        rc = hold_margin(&price, base, it->price_max_margin, 0);
    if (rc == 0)
        *out = price;
    return rc;
}

/* Whether this agent computes the item like Odoo, or falls back. */
static int item_is_computed(const ts_price_item *it)
{
    switch (it->compute_price) {
    case TS_COMPUTE_FIXED:
        return 1;
    case TS_COMPUTE_PERCENTAGE:
    case TS_COMPUTE_FORMULA:
        return it->base == TS_BASE_LIST_PRICE;
    case TS_COMPUTE_OTHER:
        break;
    }
    return 0;
}

/* The price in ts_decimal and its source, before rounding to minor units. */
static int unit_price(const ts_pricer *p, const ts_price_item *it, const ts_price_product *prod,
                      int64_t *price, ts_price_source *source)
{
    int64_t base;
    int rc;

    if (it && it->compute_price == TS_COMPUTE_FIXED) {
        *source = TS_PRICE_PRICELIST;
        *price = it->fixed_price.scaled; /* already in the pricelist's currency */
        return 0;
    }
    rc = base_price(p, prod, &base);
    if (rc != 0)
        return rc;
    if (!it) {
        *source = TS_PRICE_LIST_PRICE;
        *price = base;
        return 0;
    }
    if (!item_is_computed(it)) {
        *source = TS_PRICE_LIST_PRICE_FALLBACK;
        *price = base;
        return 0;
    }
    *source = TS_PRICE_PRICELIST;
    if (it->compute_price == TS_COMPUTE_PERCENTAGE)
        return discounted(base, it->percent_price, price);
    return formula_price(it, base, price);
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

int ts_pricer_price(ts_pricer *p, const ts_price_product *product, const char *categ_parent_path,
                    ts_price *out)
{
    const ts_price_item *it = NULL;
    categ_chain chain;
    ts_price_source source;
    int64_t price;
    ts_price result;
    int rc;

    rc = categ_chain_parse(categ_parent_path, product->categ_id, &chain);
    if (rc != 0)
        return rc;
    if (p->has_pricelist)
        it = find_item(p, product, &chain);
    rc = unit_price(p, it, product, &price, &source);
    if (rc != 0)
        return rc;
    result.decimal_places = p->price_currency.decimal_places;
    result.source = source;
    result.item_id = it ? it->id : 0;
    ts_decimal_to_minor((ts_decimal){price}, result.decimal_places, &result.amount_minor);
    count_price(p, source);
    *out = result;
    return 0;
}
