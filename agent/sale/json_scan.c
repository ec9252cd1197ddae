/* json_scan.c - strict JSON reader with byte spans, key sorting and the
 * canonical-form digest (see json_scan.h). */
#include "core/strutil.h"
#include "sale/json_scan.h"
#include "crypto/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_NODE UINT32_MAX

/* ---- parsing ---------------------------------------------------------- */

typedef struct parser {
    const char *s;
    size_t len;
    size_t pos;
    ts_json_doc *d;
    int max_depth;
    int store_level;
    ts_json_status status;
} parser;

static int parse_value(parser *p, int level);

static int fail(parser *p, ts_json_status status)
{
    if (p->status == TS_JSON_OK)
        p->status = status;
    return -1;
}

static int at_end(const parser *p)
{
    return p->pos >= p->len;
}

static unsigned char peek(const parser *p)
{
    return at_end(p) ? 0 : (unsigned char)p->s[p->pos];
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static void skip_ws(parser *p)
{
    while (!at_end(p)) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        p->pos++;
    }
}

static int grow_nodes(ts_json_doc *d)
{
    /* Each node takes at least one input byte, so n < len < 4 GiB; still,
     * size_t is 32 bits on ARM, so the byte count is checked too. */
    uint32_t cap = d->cap ? d->cap * 2 : 64;
    size_t bytes = (size_t)cap * sizeof(ts_json_node);
    if (cap <= d->cap || bytes / sizeof(ts_json_node) != cap)
        return -1;
    ts_json_node *nodes = realloc(d->nodes, bytes);
    if (!nodes)
        return -1;
    d->nodes = nodes;
    d->cap = cap;
    return 0;
}

/* Appends a node for a value starting at p->pos, or returns NO_NODE when
 * the value lies deeper than what we store (or memory ran out: see status). */
static uint32_t add_node(parser *p, ts_json_type type, int level)
{
    ts_json_doc *d = p->d;
    if (level > p->store_level) {
        d->partial = 1;
        return NO_NODE;
    }
    if (d->n == d->cap && grow_nodes(d) != 0) {
        fail(p, TS_JSON_ENOMEM);
        return NO_NODE;
    }
    ts_json_node *nd = &d->nodes[d->n];
    memset(nd, 0, sizeof(*nd));
    nd->type = (uint8_t)type;
    nd->off = (uint32_t)p->pos;
    return d->n++;
}

/* Records where a node ends, once its value has been read. */
static void close_node(parser *p, uint32_t self, uint32_t count)
{
    if (self == NO_NODE)
        return;
    ts_json_node *nd = &p->d->nodes[self];
    nd->len = (uint32_t)(p->pos - nd->off);
    nd->end = p->d->n;
    nd->count = count;
}

/* Length of the well-formed UTF-8 sequence at s (Unicode table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if (s[k] < 0x80 || s[k] > 0xBF)
            return 0;
    return n;
}

/* Reads the 4 hex digits of a \uXXXX at s; -1 when they are not hex. */
static long hex4(const char *s, size_t avail)
{
    long v = 0;
    if (avail < 6 || s[0] != '\\' || s[1] != 'u')
        return -1;
    for (int k = 2; k < 6; k++) {
        int h = ts_hex_digit((unsigned char)s[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Checks the escape at p->pos ('\\') and steps over it. A \u escape must
 * name a whole code point: a high surrogate needs its low half right after
 * it, and a lone half is refused (it has no UTF-8 form to canonicalise). */
static int scan_escape(parser *p)
{
    const char *s = p->s + p->pos;
    size_t avail = p->len - p->pos;
    if (avail < 2)
        return fail(p, TS_JSON_ESYNTAX);
    if (strchr("\"\\/bfnrt", s[1]) && s[1] != '\0') {
        p->pos += 2;
        return 0;
    }
    long cp = hex4(s, avail);
    if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
        return fail(p, TS_JSON_ESYNTAX);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        long low = hex4(s + 6, avail - 6);
        if (low < 0xDC00 || low > 0xDFFF)
            return fail(p, TS_JSON_ESYNTAX);
        p->pos += 6;
    }
    p->pos += 6;
    return 0;
}

static int parse_string(parser *p, int level)
{
    const unsigned char *s = (const unsigned char *)p->s;
    size_t start = p->pos;
    int escaped = 0;
    uint32_t self = add_node(p, TS_JSON_STRING, level);
    if (p->status)
        return -1;
    p->pos++; /* the opening quote */
    for (;;) {
        if (at_end(p))
            return fail(p, TS_JSON_ESYNTAX);
        unsigned char c = s[p->pos];
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(p, TS_JSON_ESYNTAX);
        if (c == '\\') {
            if (scan_escape(p))
                return -1;
            escaped = 1;
        } else if (c < 0x80) {
            p->pos++;
        } else {
            size_t n = utf8_seq_len(s + p->pos, p->len - p->pos);
            if (n == 0)
                return fail(p, TS_JSON_ESYNTAX);
            p->pos += n;
        }
    }
    p->pos++; /* the closing quote */
    if (p->pos - start > p->d->max_string)
        p->d->max_string = (uint32_t)(p->pos - start);
    close_node(p, self, 0);
    if (self != NO_NODE)
        p->d->nodes[self].escaped = (uint8_t)escaped;
    return 0;
}

static void skip_digits(parser *p)
{
    while (is_digit(peek(p)))
        p->pos++;
}

/* RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int parse_number(parser *p, int level)
{
    uint32_t self = add_node(p, TS_JSON_NUMBER, level);
    size_t start = p->pos;
    if (p->status)
        return -1;
    if (peek(p) == '-')
        p->pos++;
    if (peek(p) == '0')
        p->pos++;
    else if (is_digit(peek(p)))
        skip_digits(p);
    else
        return fail(p, TS_JSON_ESYNTAX);
    if (peek(p) == '.') {
        p->pos++;
        if (!is_digit(peek(p)))
            return fail(p, TS_JSON_ESYNTAX);
        skip_digits(p);
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-')
            p->pos++;
        if (!is_digit(peek(p)))
            return fail(p, TS_JSON_ESYNTAX);
        skip_digits(p);
    }
    if (p->pos - start > p->d->max_number) /* bounded by the caller (txn.c) */
        p->d->max_number = (uint32_t)(p->pos - start);
    close_node(p, self, 0);
    return 0;
}

static int parse_literal(parser *p, int level, const char *word, ts_json_type type)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail(p, TS_JSON_ESYNTAX);
    uint32_t self = add_node(p, type, level);
    if (p->status)
        return -1;
    p->pos += n;
    close_node(p, self, 0);
    return 0;
}

/* One member of an object ("key": value) or one element of an array. */
static int parse_member(parser *p, int level, ts_json_type container)
{
    if (container == TS_JSON_OBJECT) {
        skip_ws(p);
        if (peek(p) != '"')
            return fail(p, TS_JSON_ESYNTAX);
        if (parse_string(p, level))
            return -1;
        skip_ws(p);
        if (peek(p) != ':')
            return fail(p, TS_JSON_ESYNTAX);
        p->pos++;
    }
    return parse_value(p, level);
}

static int parse_container(parser *p, int level, ts_json_type type)
{
    unsigned char close = type == TS_JSON_OBJECT ? '}' : ']';
    uint32_t count = 0;
    if (level + 1 > p->max_depth)
        return fail(p, TS_JSON_EDEPTH);
    uint32_t self = add_node(p, type, level);
    if (p->status)
        return -1;
    p->pos++; /* the opening bracket */
    skip_ws(p);
    if (peek(p) == close) {
        p->pos++;
        close_node(p, self, 0);
        return 0;
    }
    for (;;) {
        if (parse_member(p, level + 1, type))
            return -1;
        count++;
        skip_ws(p);
        if (peek(p) == close)
            break;
        if (peek(p) != ',')
            return fail(p, TS_JSON_ESYNTAX);
        p->pos++;
    }
    p->pos++;
    close_node(p, self, count);
    if (type == TS_JSON_OBJECT && count > p->d->max_members)
        p->d->max_members = count;
    return 0;
}

static int parse_value(parser *p, int level)
{
    skip_ws(p);
    switch (peek(p)) {
    case '{':
        return parse_container(p, level, TS_JSON_OBJECT);
    case '[':
        return parse_container(p, level, TS_JSON_ARRAY);
    case '"':
        return parse_string(p, level);
    case 't':
        return parse_literal(p, level, "true", TS_JSON_TRUE);
    case 'f':
        return parse_literal(p, level, "false", TS_JSON_FALSE);
    case 'n':
        return parse_literal(p, level, "null", TS_JSON_NULL);
    default:
        return parse_number(p, level);
    }
}

ts_json_status ts_json_parse(ts_json_doc *d, const char *src, size_t len, int max_depth,
                             int store_level, size_t *err_off)
{
    parser p = {src, len, 0, d, max_depth, store_level, TS_JSON_OK};
    memset(d, 0, sizeof(*d));
    d->src = src;
    d->len = len;
    if (p.max_depth > TS_JSON_DEPTH_LIMIT)
        p.max_depth = TS_JSON_DEPTH_LIMIT;
    if ((uint64_t)len >= UINT32_MAX)
        p.status = TS_JSON_ETOOBIG;
    else if (parse_value(&p, 0) == 0) {
        skip_ws(&p);
        if (!at_end(&p))
            fail(&p, TS_JSON_ESYNTAX);
    }
    if (err_off)
        *err_off = p.pos;
    if (p.status != TS_JSON_OK)
        ts_json_free(d);
    return p.status;
}

void ts_json_free(ts_json_doc *d)
{
    free(d->nodes);
    memset(d, 0, sizeof(*d));
}

/* ---- strings ---------------------------------------------------------- */

/* Yields the decoded bytes of a string node one at a time. The parser has
 * checked every escape, so this trusts them. */
typedef struct str_reader {
    const char *p;
    const char *end;
    unsigned char pending[4];
    int npending;
    int next_pending;
} str_reader;

static void reader_init(str_reader *r, const ts_json_doc *d, uint32_t i)
{
    const ts_json_node *nd = &d->nodes[i];
    r->p = d->src + nd->off + 1;
    r->end = d->src + nd->off + nd->len - 1;
    r->npending = r->next_pending = 0;
}

static int utf8_encode(unsigned long cp, unsigned char out[4])
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static int reader_unicode_escape(str_reader *r)
{
    unsigned long cp = (unsigned long)hex4(r->p, 6);
    r->p += 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned long low = (unsigned long)hex4(r->p, 6);
        r->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    r->npending = utf8_encode(cp, r->pending);
    r->next_pending = 1;
    return r->pending[0];
}

/* The next decoded byte, or -1 at the end. */
static int reader_next(str_reader *r)
{
    if (r->next_pending < r->npending)
        return r->pending[r->next_pending++];
    if (r->p >= r->end)
        return -1;
    unsigned char c = (unsigned char)*r->p;
    if (c != '\\') {
        r->p++;
        return c;
    }
    if (r->p[1] == 'u')
        return reader_unicode_escape(r);
    r->p += 2;
    switch (r->p[-1]) {
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default: /* '"', '\\', '/' */
        return (unsigned char)r->p[-1];
    }
}

static const char *raw_content(const ts_json_doc *d, uint32_t i)
{
    return d->src + d->nodes[i].off + 1;
}

static size_t raw_content_len(const ts_json_doc *d, uint32_t i)
{
    return d->nodes[i].len - 2;
}

size_t ts_json_str_decode(const ts_json_doc *d, uint32_t i, char *out, size_t cap)
{
    if (!d->nodes[i].escaped) {
        size_t n = raw_content_len(d, i);
        if (out)
            memcpy(out, raw_content(d, i), n < cap ? n : cap);
        return n;
    }
    str_reader r;
    size_t n = 0;
    int c;
    reader_init(&r, d, i);
    while ((c = reader_next(&r)) >= 0) {
        if (n < cap)
            out[n] = (char)c;
        n++;
    }
    return n;
}

/* Compares two string nodes by decoded bytes, like memcmp then length. */
static int str_cmp(const ts_json_doc *d, uint32_t a, uint32_t b)
{
    if (!d->nodes[a].escaped && !d->nodes[b].escaped) {
        size_t na = raw_content_len(d, a), nb = raw_content_len(d, b);
        int c = memcmp(raw_content(d, a), raw_content(d, b), na < nb ? na : nb);
        if (c != 0)
            return c;
        return na < nb ? -1 : na > nb;
    }
    str_reader ra, rb;
    reader_init(&ra, d, a);
    reader_init(&rb, d, b);
    for (;;) {
        int ca = reader_next(&ra), cb = reader_next(&rb);
        if (ca != cb)
            return ca < cb ? -1 : 1;
        if (ca < 0)
            return 0;
    }
}

int ts_json_str_eq(const ts_json_doc *d, uint32_t i, const char *s, size_t n)
{
    if (!d->nodes[i].escaped)
        return raw_content_len(d, i) == n && memcmp(raw_content(d, i), s, n) == 0;
    str_reader r;
    size_t k = 0;
    int c;
    reader_init(&r, d, i);
    while ((c = reader_next(&r)) >= 0) {
        if (k == n || (unsigned char)s[k] != c)
            return 0;
        k++;
    }
    return k == n;
}

uint32_t ts_json_get(const ts_json_doc *d, uint32_t obj, const char *key)
{
    size_t n = strlen(key);
    if (d->nodes[obj].type != TS_JSON_OBJECT)
        return 0;
    for (uint32_t k = obj + 1; k < d->nodes[obj].end; k = d->nodes[k + 1].end)
        if (ts_json_str_eq(d, k, key, n))
            return k + 1;
    return 0;
}

/* ---- key order -------------------------------------------------------- */

/* A stable merge sort of key node indices by decoded key: O(n log n) even
 * for an object of thousands of keys, where a pairwise duplicate check
 * would be quadratic. */
static void sort_key_nodes(const ts_json_doc *d, uint32_t *keys, uint32_t *tmp, uint32_t n)
{
    if (n < 2)
        return;
    uint32_t half = n / 2, i = 0, j = half, k = 0;
    sort_key_nodes(d, keys, tmp, half);
    sort_key_nodes(d, keys + half, tmp, n - half);
    while (i < half && j < n)
        tmp[k++] = str_cmp(d, keys[j], keys[i]) < 0 ? keys[j++] : keys[i++];
    while (i < half)
        tmp[k++] = keys[i++];
    while (j < n)
        tmp[k++] = keys[j++];
    memcpy(keys, tmp, (size_t)n * sizeof(*keys));
}

/* Sorts one object's keys into its link chain; returns the key node of a
 * duplicate, or 0. */
static uint32_t link_object_keys(ts_json_doc *d, uint32_t obj, uint32_t *keys, uint32_t *tmp)
{
    ts_json_node *nodes = d->nodes;
    uint32_t n = 0, dup = 0;
    for (uint32_t k = obj + 1; k < nodes[obj].end; k = nodes[k + 1].end)
        keys[n++] = k;
    sort_key_nodes(d, keys, tmp, n);
    nodes[obj].link = keys[0];
    for (uint32_t k = 0; k + 1 < n; k++) {
        nodes[keys[k]].link = keys[k + 1];
        if (!dup && str_cmp(d, keys[k], keys[k + 1]) == 0)
            dup = keys[k + 1]; /* stable sort: the later one in the text */
    }
    nodes[keys[n - 1]].link = 0;
    return dup;
}

ts_json_status ts_json_sort_keys(ts_json_doc *d, uint32_t *dup_key)
{
    uint32_t first_dup = 0;
    uint32_t *keys = malloc(2 * ((size_t)d->max_members + 1) * sizeof(*keys));
    if (!keys)
        return TS_JSON_ENOMEM;
    for (uint32_t i = 0; i < d->n; i++) {
        /* Objects on the store boundary have members but none stored. */
        if (d->nodes[i].type != TS_JSON_OBJECT || d->nodes[i].end == i + 1)
            continue;
        uint32_t dup = link_object_keys(d, i, keys, keys + d->max_members + 1);
        if (dup && !first_dup)
            first_dup = dup;
    }
    free(keys);
    if (dup_key)
        *dup_key = first_dup;
    return first_dup ? TS_JSON_ESYNTAX : TS_JSON_OK;
}

/* ---- numbers ---------------------------------------------------------- */

/* Reads the exponent digits at s (after 'e' and its sign). */
static int64_t read_exponent(const char *s, const char *end, int *huge)
{
    int64_t v = 0;
    int significant = 0;
    for (; s < end; s++) {
        if (v == 0 && *s == '0')
            continue;
        if (++significant > 15) {
            *huge = 1;
            return 0;
        }
        v = v * 10 + (*s - '0');
    }
    return v;
}

void ts_json_number(const ts_json_doc *d, uint32_t i, ts_json_decimal *out)
{
    const char *s = d->src + d->nodes[i].off, *end = s + d->nodes[i].len;
    const char *first_sig = NULL, *last_sig = NULL, *dot = NULL;
    int64_t frac_len = 0, trailing_zeros = 0, significant = 0;
    memset(out, 0, sizeof(*out));
    out->dot_at = UINT32_MAX;
    out->negative = *s == '-';
    s += out->negative;
    /* The mantissa: digits with at most one '.', up to 'e' or the end. */
    for (; s < end && *s != 'e' && *s != 'E'; s++) {
        if (*s == '.') {
            dot = s;
            continue;
        }
        frac_len += dot != NULL;
        if (*s != '0') {
            first_sig = first_sig ? first_sig : s;
            last_sig = s;
            significant += trailing_zeros + 1;
            trailing_zeros = 0;
        } else if (first_sig) {
            trailing_zeros++;
        }
    }
    if (s < end) {
        int negative_exp = s[1] == '-';
        s += 1 + (s[1] == '-' || s[1] == '+');
        out->exp10 = read_exponent(s, end, &out->exp_huge);
        out->exp10 = negative_exp ? -out->exp10 : out->exp10;
        if (out->exp_huge)
            out->exp10 = negative_exp ? -1 : 1;
    }
    if (!first_sig)
        return; /* zero */
    out->digits = first_sig;
    out->ndigits = (uint32_t)significant;
    if (dot && dot > first_sig && dot < last_sig)
        out->dot_at = (uint32_t)(dot - first_sig);
    if (!out->exp_huge)
        out->exp10 += trailing_zeros - frac_len;
}

int ts_json_digit(const ts_json_decimal *dec, uint32_t k)
{
    return dec->digits[k < dec->dot_at ? k : k + 1] - '0';
}

/* ---- canonical form --------------------------------------------------- */

/* Buffers canonical bytes into the hash in chunks. */
typedef struct canon {
    ts_sha256_ctx *sha;
    size_t n;
    char buf[512];
} canon;

static void canon_flush(canon *w)
{
    ts_sha256_update(w->sha, w->buf, w->n);
    w->n = 0;
}

static void canon_putc(canon *w, char c)
{
    if (w->n == sizeof(w->buf))
        canon_flush(w);
    w->buf[w->n++] = c;
}

static void canon_puts(canon *w, const char *s)
{
    while (*s)
        canon_putc(w, *s++);
}

static void canon_string(canon *w, const ts_json_doc *d, uint32_t i)
{
    static const char hex[] = "0123456789abcdef";
    str_reader r;
    int c;
    reader_init(&r, d, i);
    canon_putc(w, '"');
    while ((c = reader_next(&r)) >= 0) {
        const char *esc = NULL;
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        }
        if (esc) {
            canon_puts(w, esc);
        } else if (c < 0x20) {
            canon_puts(w, "\\u00");
            canon_putc(w, hex[c >> 4]);
            canon_putc(w, hex[c & 15]);
        } else {
            canon_putc(w, (char)c);
        }
    }
    canon_putc(w, '"');
}

static void canon_number(canon *w, const ts_json_doc *d, uint32_t i)
{
    ts_json_decimal dec;
    char exp[32];
    ts_json_number(d, i, &dec);
    if (dec.ndigits == 0) {
        canon_putc(w, '0');
        return;
    }
    if (dec.exp_huge) {
        canon_putc(w, '~');
        for (uint32_t k = 0; k < d->nodes[i].len; k++)
            canon_putc(w, d->src[d->nodes[i].off + k]);
        return;
    }
    if (dec.negative)
        canon_putc(w, '-');
    for (uint32_t k = 0; k < dec.ndigits; k++)
        canon_putc(w, (char)('0' + ts_json_digit(&dec, k)));
    if (dec.exp10 != 0) {
        snprintf(exp, sizeof(exp), "e%lld", (long long)dec.exp10);
        canon_puts(w, exp);
    }
}

static void canon_value(canon *w, const ts_json_doc *d, uint32_t i)
{
    const ts_json_node *nd = &d->nodes[i];
    switch (nd->type) {
    case TS_JSON_OBJECT:
        canon_putc(w, '{');
        for (uint32_t k = nd->link; k; k = d->nodes[k].link) {
            if (k != nd->link)
                canon_putc(w, ',');
            canon_string(w, d, k);
            canon_putc(w, ':');
            canon_value(w, d, k + 1);
        }
        canon_putc(w, '}');
        break;
    case TS_JSON_ARRAY:
        canon_putc(w, '[');
        for (uint32_t k = i + 1; k < nd->end; k = d->nodes[k].end) {
            if (k != i + 1)
                canon_putc(w, ',');
            canon_value(w, d, k);
        }
        canon_putc(w, ']');
        break;
    case TS_JSON_STRING:
        canon_string(w, d, i);
        break;
    case TS_JSON_NUMBER:
        canon_number(w, d, i);
        break;
    case TS_JSON_TRUE:
        canon_puts(w, "true");
        break;
    case TS_JSON_FALSE:
        canon_puts(w, "false");
        break;
    default:
        canon_puts(w, "null");
        break;
    }
}

ts_json_status ts_json_canonical_sha256(const ts_json_doc *d, uint8_t out[32])
{
    canon w;
    if (d->partial || d->n == 0)
        return TS_JSON_ESYNTAX; /* only a fully stored document has one */
    w.sha = ts_sha256_new();
    if (!w.sha)
        return TS_JSON_ENOMEM;
    w.n = 0;
    canon_value(&w, d, 0);
    canon_flush(&w);
    ts_sha256_finish(w.sha, out);
    return TS_JSON_OK;
}
