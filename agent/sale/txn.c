/*
 * txn.c - judging a POS txn body (see txn.h). The decisions taken where
 * pos-api.md is silent are listed, with their reasons, in
 * docs/pos-api-decisions.md.
 *
 * A body is judged in this order, and the first failure is the answer:
 *   1. strict JSON, nesting, top-level object      400 malformed_json
 *   2. card data in any string value or key         422 card_data_forbidden
 *   3. a key twice in one object                    422 duplicate_key
 *   3b. a number literal over 64 characters, anywhere 422 invalid_number
 *   4. the fields, in the spec's order: txn_id, type, original_txn_id,
 *      register_id, occurred_at, currency, lines (line by line: sku, qty,
 *      unit_price, amount), total, payments (one by one: method, amount),
 *      then the payment sum.                        422 <rule's code>
 * Card data comes before anything that names a field so no answer can be
 * about a value that must not be echoed; messages are fixed texts and
 * never hold a value from the body, and field paths print a key only when
 * it is a short plain identifier.
 */
#include "sale/txn.h"
#include "core/strutil.h"
#include "core/error.h"
#include "sale/json_scan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_NODE UINT32_MAX
#define REGISTER_ID_MAX 32
#define MAX_PAYMENTS 20
#define MAX_AMOUNT 1000000000000LL          /* 10^12 minor units */
#define MAX_QTY_MILLI 1000000000LL          /* 1 000 000 units */
#define MONEY_SATURATED 10000000000000000LL /* 10^16: above any possible sum */
#define CARD_MIN_DIGITS 13
#define CARD_MAX_DIGITS 19
#define MARK_ID_FIELD 1 /* node mark: a string the card-data rule skips */
#define PATH_KEY_MAX 40
#define NUMBER_MAX_CHARS 64 /* central parses no longer literal (reliability.md) */

/* ---- answers ------------------------------------------------------------ */

/* One fixed message per 422 code: it states the rule, never the value. */
static const struct {
    const char *code;
    const char *message;
} rule_messages[] = {
    {"card_data_forbidden", "a value looks like a payment card number (13-19 digits passing the "
                            "Luhn check); card data must not be sent"},
    {"duplicate_key", "a key appears twice in one object; each key may appear once"},
    {"invalid_number", "a JSON number is longer than 64 characters; central cannot take it"},
    {"invalid_txn_id", "txn_id must be 1-64 characters of A-Z a-z 0-9 . _ : -"},
    {"invalid_type", "type must be \"sale\" or \"return\""},
    {"missing_original_txn_id",
     "a return needs original_txn_id: 1-64 characters of A-Z a-z 0-9 . _ : -"},
    {"invalid_register_id", "register_id must be 1-32 characters of A-Z a-z 0-9 . _ : -"},
    {"invalid_timestamp",
     "occurred_at must be an RFC 3339 date-time with an offset, e.g. 2026-11-22T10:15:00+01:00"},
    {"invalid_currency", "currency must be three upper-case letters, e.g. EUR"},
    {"invalid_lines", "lines must be an array of 1-500 objects"},
    {"invalid_sku", "sku must be a string of 1-64 characters without control characters"},
    {"invalid_qty", "qty must be a JSON number > 0 and <= 1000000 with at most 3 decimals"},
    {"invalid_amount", "unit_price and amount must be integers from 0 to 1000000000000 (minor "
                       "units, no fraction or exponent)"},
    {"total_mismatch", "total must be an integer equal to the sum of lines[].amount"},
    {"invalid_payment", "payments must be 1-20 objects, each with a method (cash, card, voucher, "
                        "gift_card, store_credit or other) and an integer amount >= 0"},
    {"payment_mismatch", "the payment amounts must add up to total"},
    {"invalid_batch", "the body must be {\"transactions\": [txn, ...]} with at least one txn"},
    {"too_many_transactions", "a batch holds at most 500 transactions"},
};

static const char *rule_message(const char *code)
{
    for (size_t i = 0; i < sizeof(rule_messages) / sizeof(rule_messages[0]); i++)
        if (strcmp(rule_messages[i].code, code) == 0)
            return rule_messages[i].message;
    return "the transaction breaks a rule of the POS API";
}

static void set_error(ts_txn_error *err, int status, const char *code, const char *message)
{
    err->status = status;
    err->code = code;
    snprintf(err->message, sizeof(err->message), "%s", message);
    err->field[0] = '\0';
}

/* 422 with the rule's code; field_fmt names the field ("lines[%u].qty"). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
refuse(ts_txn_error *err, const char *code, const char *field_fmt, ...)
{
    va_list ap;
    set_error(err, 422, code, rule_message(code));
    va_start(ap, field_fmt);
    vsnprintf(err->field, sizeof(err->field), field_fmt, ap);
    va_end(ap);
    return TS_EINVAL;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
malformed(ts_txn_error *err, const char *fmt, ...)
{
    va_list ap;
    set_error(err, 400, "malformed_json", "");
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return TS_EINVAL;
}

static int out_of_memory(ts_txn_error *err)
{
    set_error(err, 500, "internal_error", "the agent ran out of memory; try again");
    return TS_ENOMEM;
}

/* Parses body; 0 when it is strict JSON whose top level is an object. */
static int read_document(ts_json_doc *doc, const char *body, size_t len, int max_depth,
                         int store_level, ts_txn_error *err)
{
    size_t at = 0;
    switch (ts_json_parse(doc, body, len, max_depth, store_level, &at)) {
    case TS_JSON_OK:
        break;
    case TS_JSON_EDEPTH:
        return malformed(err, "the JSON nests deeper than %d levels (per transaction)",
                         TS_TXN_MAX_DEPTH);
    case TS_JSON_ENOMEM:
        return out_of_memory(err);
    case TS_JSON_ETOOBIG:
        set_error(err, 413, "too_large", "the body is too large");
        return TS_EINVAL;
    default:
        return malformed(err, "the body is not valid JSON (RFC 8259, UTF-8); stopped at byte %zu",
                         at);
    }
    if (doc->nodes[0].type != TS_JSON_OBJECT) {
        ts_json_free(doc);
        return malformed(err, "the body must be a JSON object");
    }
    return 0;
}

/* ---- field paths for card data and duplicate keys ----------------------- */

/* A bounded string builder: what does not fit is cut and marked. */
typedef struct path {
    char text[128];
    size_t len;
    int cut;
} path;

static void path_add(path *p, const char *s)
{
    size_t n = strlen(s);
    if (p->len + n >= sizeof(p->text)) {
        p->cut = 1;
        return;
    }
    memcpy(p->text + p->len, s, n + 1);
    p->len += n;
}

static int is_plain_key_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* A key is printed only when it is a short plain identifier; any other key
 * shows as "?", so a path never carries quotes, controls or long text. */
static void path_add_key(path *p, const ts_json_doc *d, uint32_t key)
{
    char name[PATH_KEY_MAX + 1];
    size_t n = ts_json_str_decode(d, key, name, PATH_KEY_MAX);
    int plain = n > 0 && n <= PATH_KEY_MAX;
    for (size_t i = 0; plain && i < n; i++)
        plain = is_plain_key_char((unsigned char)name[i]);
    name[plain ? n : 0] = '\0';
    if (p->len > 0)
        path_add(p, ".");
    path_add(p, plain ? name : "?");
}

static void path_add_index(path *p, uint32_t index)
{
    char s[16];
    snprintf(s, sizeof(s), "[%u]", (unsigned)index);
    path_add(p, s);
}

/* The child of container c whose subtree holds target, with its name
 * added to the path. When target is a key of c, the answer is the key
 * itself, named "?": the key may be the very value we must not print. */
static uint32_t child_holding(const ts_json_doc *d, uint32_t c, uint32_t target, path *p)
{
    const ts_json_node *nodes = d->nodes;
    uint32_t index = 0;
    for (uint32_t k = c + 1; k < nodes[c].end; k = nodes[k].end, index++) {
        if (nodes[c].type == TS_JSON_OBJECT) {
            if (k == target) {
                path_add(p, p->len > 0 ? ".?" : "?");
                return target;
            }
            k++; /* the member's value */
        }
        if (target >= k && target < nodes[k].end) {
            if (nodes[c].type == TS_JSON_OBJECT)
                path_add_key(p, d, k - 1);
            else
                path_add_index(p, index);
            return k;
        }
    }
    return NO_NODE;
}

/* Writes the path of node target ("payments[0].reference") into field. */
static void describe_location(const ts_json_doc *d, uint32_t target, char *field, size_t cap)
{
    path p = {{0}, 0, 0};
    uint32_t at = 0;
    while (at != target && at != NO_NODE)
        at = child_holding(d, at, target, &p);
    if (p.cut || p.len >= cap) {
        size_t keep = p.len < cap - 4 ? p.len : cap - 4;
        memcpy(field, p.text, keep);
        memcpy(field + keep, "...", 4);
    } else {
        memcpy(field, p.text, p.len + 1);
    }
}

/* ---- card data ---------------------------------------------------------- */

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int passes_luhn(const unsigned char *digits, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v = digits[n - 1 - i];
        if (i % 2 == 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

/*
 * A candidate is a maximal run of digits where a single space or dash may
 * stand between two digits. Only a run of 13-19 digits in all is judged:
 * a longer run (a 25-digit loyalty number) is not a card number, though
 * some 16-digit window of it would pass Luhn one time in ten.
 */
int ts_has_card_number(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char digits[CARD_MAX_DIGITS];
        size_t n = 0;
        if (!is_digit(u[i])) {
            i++;
            continue;
        }
        for (;;) {
            if (n < CARD_MAX_DIGITS)
                digits[n] = (unsigned char)(u[i] - '0');
            n++;
            i++;
            if (i + 1 < len && (u[i] == ' ' || u[i] == '-') && is_digit(u[i + 1]))
                i++;
            else if (i >= len || !is_digit(u[i]))
                break;
        }
        if (n >= CARD_MIN_DIGITS && n <= CARD_MAX_DIGITS && passes_luhn(digits, n))
            return 1;
    }
    return 0;
}

/* The id fields the spec exempts from the card rule: top-level txn_id,
 * original_txn_id, register_id and lines[].sku, lines[].barcode. */
static void mark_if_string(ts_json_doc *d, uint32_t v)
{
    if (d->nodes[v].type == TS_JSON_STRING)
        d->nodes[v].mark = MARK_ID_FIELD;
}

static void mark_line_ids(ts_json_doc *d, uint32_t lines)
{
    const ts_json_node *nodes = d->nodes;
    for (uint32_t line = lines + 1; line < nodes[lines].end; line = nodes[line].end) {
        if (nodes[line].type != TS_JSON_OBJECT)
            continue;
        for (uint32_t k = line + 1; k < nodes[line].end; k = nodes[k + 1].end)
            if (ts_json_str_eq(d, k, "sku", 3) || ts_json_str_eq(d, k, "barcode", 7))
                mark_if_string(d, k + 1);
    }
}

static void mark_id_fields(ts_json_doc *d)
{
    const ts_json_node *nodes = d->nodes;
    for (uint32_t k = 1; k < nodes[0].end; k = nodes[k + 1].end) {
        if (ts_json_str_eq(d, k, "txn_id", 6) || ts_json_str_eq(d, k, "register_id", 11) ||
            ts_json_str_eq(d, k, "original_txn_id", 15))
            mark_if_string(d, k + 1);
        else if (ts_json_str_eq(d, k, "lines", 5) && nodes[k + 1].type == TS_JSON_ARRAY)
            mark_line_ids(d, k + 1);
    }
}

/* Every string, keys included, at any depth, decoded (so an escaped digit
 * cannot hide a number), except the marked id fields. */
static int refuse_card_data(ts_json_doc *d, ts_txn_error *err)
{
    char *scratch = malloc((size_t)d->max_string + 1);
    uint32_t found = NO_NODE;
    if (!scratch)
        return out_of_memory(err);
    mark_id_fields(d);
    for (uint32_t i = 0; i < d->n && found == NO_NODE; i++) {
        const ts_json_node *nd = &d->nodes[i];
        if (nd->type != TS_JSON_STRING || nd->mark == MARK_ID_FIELD)
            continue;
        const char *text = d->src + nd->off + 1;
        size_t n = nd->len - 2;
        if (nd->escaped) {
            n = ts_json_str_decode(d, i, scratch, d->max_string);
            text = scratch;
        }
        if (ts_has_card_number(text, n))
            found = i;
    }
    free(scratch);
    if (found == NO_NODE)
        return 0;
    refuse(err, "card_data_forbidden", "%s", "");
    describe_location(d, found, err->field, sizeof(err->field));
    return TS_EINVAL;
}

/* Keys are sorted here once for both the duplicate rule and the digest. */
static int refuse_duplicate_keys(ts_json_doc *d, ts_txn_error *err)
{
    uint32_t dup = 0;
    switch (ts_json_sort_keys(d, &dup)) {
    case TS_JSON_OK:
        return 0;
    case TS_JSON_ENOMEM:
        return out_of_memory(err);
    default:
        refuse(err, "duplicate_key", "%s", "");
        describe_location(d, dup + 1, err->field, sizeof(err->field));
        return TS_EINVAL;
    }
}

/* A number central cannot parse would block the queue head after a 201;
 * unknown fields included, so it is refused here (pos-api-decisions.md). */
static int refuse_long_numbers(const ts_json_doc *d, ts_txn_error *err)
{
    if (d->max_number <= NUMBER_MAX_CHARS)
        return 0;
    return refuse(err, "invalid_number", "%s", "");
}

/* ---- field rules -------------------------------------------------------- */

typedef struct judge {
    ts_json_doc *doc;
    ts_txn_info *info;
    ts_txn_error *err;
    int64_t lines_total;
    int64_t total;
} judge;

static uint32_t field(const judge *j, uint32_t obj, const char *key)
{
    return ts_json_get(j->doc, obj, key);
}

static int is_type(const judge *j, uint32_t v, ts_json_type type)
{
    return v != 0 && j->doc->nodes[v].type == type;
}

static int is_string_value(const judge *j, uint32_t v, const char *s)
{
    return is_type(j, v, TS_JSON_STRING) && ts_json_str_eq(j->doc, v, s, strlen(s));
}

static int is_id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '-';
}

/* Copies string v into out[max + 1] when it is 1..max id characters. */
static int read_id(const judge *j, uint32_t v, size_t max, char *out)
{
    char text[TS_TXN_ID_MAX + 1];
    if (!is_type(j, v, TS_JSON_STRING))
        return -1;
    size_t n = ts_json_str_decode(j->doc, v, text, sizeof(text));
    if (n < 1 || n > max)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!is_id_char((unsigned char)text[i]))
            return -1;
    memcpy(out, text, n);
    out[n] = '\0';
    return 0;
}

/* An integer literal: digits only (no sign, fraction or exponent: 12.0
 * and 1e3 are refused for money). Values past 10^16 saturate there. */
static int read_money(const judge *j, uint32_t v, int64_t *out)
{
    if (!is_type(j, v, TS_JSON_NUMBER))
        return -1;
    const char *s = j->doc->src + j->doc->nodes[v].off;
    uint32_t n = j->doc->nodes[v].len;
    int64_t value = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!is_digit((unsigned char)s[i]))
            return -1;
    if (n > 16) {
        *out = MONEY_SATURATED;
        return 0;
    }
    for (uint32_t i = 0; i < n; i++)
        value = value * 10 + (s[i] - '0');
    *out = value < MONEY_SATURATED ? value : MONEY_SATURATED;
    return 0;
}

/* qty in thousandths, from the literal's exact decimal value: 0.1 is 100,
 * 2.50 and 25e-1 are 2500, 1e-4 and 0.0005 have too many decimals. */
static int read_qty_milli(const judge *j, uint32_t v, int64_t *out)
{
    ts_json_decimal dec;
    int64_t milli = 0;
    if (!is_type(j, v, TS_JSON_NUMBER))
        return -1;
    ts_json_number(j->doc, v, &dec);
    if (dec.negative || dec.ndigits == 0 || dec.exp_huge)
        return -1;                 /* <= 0, or absurdly large or small */
    int64_t shift = dec.exp10 + 3; /* milli = digits * 10^shift */
    if (shift < 0 || (int64_t)dec.ndigits + shift > 10)
        return -1; /* more than 3 decimals, or 10^7 and more */
    for (uint32_t k = 0; k < dec.ndigits; k++)
        milli = milli * 10 + ts_json_digit(&dec, k);
    for (int64_t k = 0; k < shift; k++)
        milli *= 10;
    if (milli > MAX_QTY_MILLI)
        return -1;
    *out = milli;
    return 0;
}

static int read_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    return days[month - 1] + (month == 2 && leap);
}

/* The offset at s ("Z" or "+hh:mm"/"-hh:mm", exactly n bytes) in minutes
 * east of UTC; 0 when it parses, else -1. */
static int read_offset(const char *s, size_t n, int *minutes)
{
    if (n == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *minutes = 0;
        return 0;
    }
    if (n != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
        return -1;
    int hh = read_digits(s + 1, 2), mm = read_digits(s + 4, 2);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
        return -1;
    *minutes = (s[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    return 0;
}

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm), with
 * real calendar days and a leap second only where it can fall (23:59:60
 * UTC). */
static int is_rfc3339(const char *s, size_t n)
{
    int offset, sec;
    if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
        s[16] != ':')
        return 0;
    int year = read_digits(s, 4), month = read_digits(s + 5, 2), day = read_digits(s + 8, 2);
    int hour = read_digits(s + 11, 2), minute = read_digits(s + 14, 2);
    sec = read_digits(s + 17, 2);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 60)
        return 0;
    size_t at = 19;
    if (s[at] == '.') {
        size_t digits_from = ++at;
        while (at < n && is_digit((unsigned char)s[at]))
            at++;
        if (at == digits_from)
            return 0;
    }
    if (read_offset(s + at, n - at, &offset) != 0)
        return 0;
    if (sec == 60) {
        int utc_minute = ((hour * 60 + minute - offset) % 1440 + 1440) % 1440;
        return utc_minute == 23 * 60 + 59;
    }
    return 1;
}

static int check_timestamp(const judge *j, uint32_t v)
{
    char text[64];
    if (!is_type(j, v, TS_JSON_STRING))
        return -1;
    size_t n = ts_json_str_decode(j->doc, v, text, sizeof(text));
    return n < sizeof(text) && is_rfc3339(text, n) ? 0 : -1;
}

static int check_currency(const judge *j, uint32_t v)
{
    char text[4];
    if (!is_type(j, v, TS_JSON_STRING) || ts_json_str_decode(j->doc, v, text, 4) != 3)
        return -1;
    for (int i = 0; i < 3; i++)
        if (text[i] < 'A' || text[i] > 'Z')
            return -1;
    return 0;
}

static int judge_header(judge *j)
{
    char original[TS_TXN_ID_MAX + 1];
    ts_txn_info *info = j->info;
    if (read_id(j, field(j, 0, "txn_id"), TS_TXN_ID_MAX, info->txn_id) != 0)
        return refuse(j->err, "invalid_txn_id", "txn_id");
    uint32_t type = field(j, 0, "type");
    info->is_return = is_string_value(j, type, "return");
    if (!info->is_return && !is_string_value(j, type, "sale"))
        return refuse(j->err, "invalid_type", "type");
    if (info->is_return && read_id(j, field(j, 0, "original_txn_id"), TS_TXN_ID_MAX, original) != 0)
        return refuse(j->err, "missing_original_txn_id", "original_txn_id");
    if (read_id(j, field(j, 0, "register_id"), REGISTER_ID_MAX, info->register_id) != 0)
        return refuse(j->err, "invalid_register_id", "register_id");
    if (check_timestamp(j, field(j, 0, "occurred_at")) != 0)
        return refuse(j->err, "invalid_timestamp", "occurred_at");
    if (check_currency(j, field(j, 0, "currency")) != 0)
        return refuse(j->err, "invalid_currency", "currency");
    return 0;
}

/* C0 controls, DEL and C1 controls (U+0080..U+009F, 0xC2 0x80..0x9F). */
static int has_control_char(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) {
        if (u[i] < 0x20 || u[i] == 0x7F)
            return 1;
        if (u[i] == 0xC2 && i + 1 < n && u[i + 1] <= 0x9F)
            return 1;
    }
    return 0;
}

static int judge_line(judge *j, uint32_t line, unsigned index, ts_txn_move *move)
{
    int64_t unit_price, amount;
    if (j->doc->nodes[line].type != TS_JSON_OBJECT)
        return refuse(j->err, "invalid_lines", "lines[%u]", index);
    uint32_t sku = field(j, line, "sku");
    size_t n = is_type(j, sku, TS_JSON_STRING)
                   ? ts_json_str_decode(j->doc, sku, move->sku, TS_SKU_MAX)
                   : 0;
    if (n < 1 || n > TS_SKU_MAX || ts_utf8_chars(move->sku, n) > TS_SKU_MAX_CHARS ||
        has_control_char(move->sku, n))
        return refuse(j->err, "invalid_sku", "lines[%u].sku", index);
    move->sku[n] = '\0';
    if (read_qty_milli(j, field(j, line, "qty"), &move->qty_milli) != 0)
        return refuse(j->err, "invalid_qty", "lines[%u].qty", index);
    if (read_money(j, field(j, line, "unit_price"), &unit_price) != 0 || unit_price > MAX_AMOUNT)
        return refuse(j->err, "invalid_amount", "lines[%u].unit_price", index);
    if (read_money(j, field(j, line, "amount"), &amount) != 0 || amount > MAX_AMOUNT)
        return refuse(j->err, "invalid_amount", "lines[%u].amount", index);
    j->lines_total += amount;
    return 0;
}

static int judge_lines(judge *j)
{
    const ts_json_node *nodes = j->doc->nodes;
    uint32_t lines = field(j, 0, "lines");
    unsigned index = 0;
    if (!is_type(j, lines, TS_JSON_ARRAY) || nodes[lines].count < 1 ||
        nodes[lines].count > TS_TXN_MAX_LINES)
        return refuse(j->err, "invalid_lines", "lines");
    j->info->moves = calloc(nodes[lines].count, sizeof(ts_txn_move));
    if (!j->info->moves)
        return out_of_memory(j->err);
    for (uint32_t line = lines + 1; line < nodes[lines].end; line = nodes[line].end, index++) {
        int rc = judge_line(j, line, index, &j->info->moves[index]);
        if (rc != 0)
            return rc;
    }
    j->info->n_moves = index;
    return 0;
}

static int judge_total(judge *j)
{
    if (read_money(j, field(j, 0, "total"), &j->total) != 0 || j->total != j->lines_total)
        return refuse(j->err, "total_mismatch", "total");
    return 0;
}

static int is_payment_method(const judge *j, uint32_t v)
{
    static const char *const methods[] = {"cash",      "card",         "voucher",
                                          "gift_card", "store_credit", "other"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (is_string_value(j, v, methods[i]))
            return 1;
    return 0;
}

static int judge_payments(judge *j)
{
    const ts_json_node *nodes = j->doc->nodes;
    uint32_t payments = field(j, 0, "payments");
    unsigned index = 0;
    int64_t sum = 0;
    if (!is_type(j, payments, TS_JSON_ARRAY) || nodes[payments].count < 1 ||
        nodes[payments].count > MAX_PAYMENTS)
        return refuse(j->err, "invalid_payment", "payments");
    for (uint32_t p = payments + 1; p < nodes[payments].end; p = nodes[p].end, index++) {
        int64_t amount;
        if (nodes[p].type != TS_JSON_OBJECT)
            return refuse(j->err, "invalid_payment", "payments[%u]", index);
        if (!is_payment_method(j, field(j, p, "method")))
            return refuse(j->err, "invalid_payment", "payments[%u].method", index);
        if (read_money(j, field(j, p, "amount"), &amount) != 0)
            return refuse(j->err, "invalid_payment", "payments[%u].amount", index);
        sum += amount; /* at most 20 * 10^16: no overflow */
    }
    if (sum != j->total)
        return refuse(j->err, "payment_mismatch", "payments");
    return 0;
}

static int judge_txn(ts_json_doc *doc, ts_txn_info *info, ts_txn_error *err)
{
    judge j = {doc, info, err, 0, 0};
    int rc;
    if ((rc = refuse_card_data(doc, err)) != 0 || (rc = refuse_duplicate_keys(doc, err)) != 0 ||
        (rc = refuse_long_numbers(doc, err)) != 0 || (rc = judge_header(&j)) != 0 ||
        (rc = judge_lines(&j)) != 0 || (rc = judge_total(&j)) != 0 ||
        (rc = judge_payments(&j)) != 0)
        return rc;
    if (ts_json_canonical_sha256(doc, info->digest) != TS_JSON_OK)
        return out_of_memory(err);
    return 0;
}

/* A refused txn keeps its txn_id, so a batch answer can say which txn each
 * result is about: the valid id, and the string as sent even when invalid.
 * It is an id field (the spec exempts it from the card rule). */
static void name_refused_txn(ts_json_doc *doc, ts_txn_info *info)
{
    judge j = {doc, info, NULL, 0, 0};
    uint32_t v = field(&j, 0, "txn_id");
    read_id(&j, v, TS_TXN_ID_MAX, info->txn_id);
    if (!is_type(&j, v, TS_JSON_STRING))
        return;
    size_t n = ts_json_str_decode(doc, v, info->sent_txn_id, TS_SENT_ID_MAX);
    if (n <= TS_SENT_ID_MAX) {
        info->sent_txn_id[n] = '\0';
        info->has_sent_txn_id = 1;
    } else {
        info->sent_txn_id[0] = '\0';
    }
}

/* ---- public ------------------------------------------------------------- */

int ts_txn_validate(const char *body, size_t len, ts_txn_info *info, ts_txn_error *err)
{
    ts_json_doc doc;
    memset(info, 0, sizeof(*info));
    set_error(err, 0, "", "");
    int rc = read_document(&doc, body, len, TS_TXN_MAX_DEPTH, TS_TXN_MAX_DEPTH, err);
    if (rc != 0)
        return rc;
    rc = judge_txn(&doc, info, err);
    if (rc != 0) {
        ts_txn_info_free(info);
        name_refused_txn(&doc, info);
    }
    ts_json_free(&doc);
    return rc;
}

void ts_txn_info_free(ts_txn_info *info)
{
    free(info->moves);
    memset(info, 0, sizeof(*info));
}

/* The "transactions" member of the batch object, or 0 when it is missing
 * or given twice. Other top-level members are ignored (not stored). */
static uint32_t batch_array(const ts_json_doc *d)
{
    uint32_t found = 0;
    for (uint32_t k = 1; k < d->nodes[0].end; k = d->nodes[k + 1].end) {
        if (!ts_json_str_eq(d, k, "transactions", 12))
            continue;
        if (found)
            return 0;
        found = k + 1;
    }
    return found;
}

int ts_txn_batch_split(const char *body, size_t len, ts_span *spans, size_t max, size_t *n,
                       ts_txn_error *err)
{
    ts_json_doc doc;
    *n = 0;
    set_error(err, 0, "", "");
    /* Two levels for {"transactions": [...]}; only the elements' spans
     * are stored, each element is judged on its own later. */
    int rc = read_document(&doc, body, len, TS_TXN_MAX_DEPTH + 2, 2, err);
    if (rc != 0)
        return rc;
    uint32_t array = batch_array(&doc);
    if (!array || doc.nodes[array].type != TS_JSON_ARRAY || doc.nodes[array].count == 0)
        rc = refuse(err, "invalid_batch", "transactions");
    else if (doc.nodes[array].count > max)
        rc = refuse(err, "too_many_transactions", "transactions");
    for (uint32_t e = array + 1; rc == 0 && e < doc.nodes[array].end; e = doc.nodes[e].end) {
        spans[*n].off = doc.nodes[e].off;
        spans[*n].len = doc.nodes[e].len;
        (*n)++;
    }
    ts_json_free(&doc);
    return rc;
}
