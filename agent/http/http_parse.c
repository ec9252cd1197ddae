/*
 * http_parse.c - the strict, allocation-free HTTP/1.1 request parser and the
 * percent-decoding helpers (see http_parse.h for the rules).
 *
 * The parser is a scanner over the bytes seen so far. Every step either
 * moves on, or stops with the result to return: AGAIN when it ran out of
 * bytes, or an error as soon as a byte cannot belong to a good request.
 * Scanning never goes past TS_HTTP_MAX_HEADER_BYTES before the blank line
 * that ends the headers, which bounds the work per call.
 */
#include "core/strutil.h"
#include "http/http_parse.h"

#include <stdint.h>
#include <string.h>

#include "core/error.h"

#define MAX_METHOD_LEN 16

typedef struct scanner {
    const char *buf;
    size_t len; /* bytes available */
    size_t end; /* scanning stops here: min(len, TS_HTTP_MAX_HEADER_BYTES) */
    size_t pos;
    ts_http_request *req;
} scanner;

/* A step's outcome: STEP_OK to go on, anything else is the parse result. */
#define STEP_OK 0x100

static int fail(scanner *s, ts_http_parse_result result, int status, const char *why)
{
    s->req->error_status = status;
    s->req->error = why;
    return result;
}

static int bad(scanner *s, const char *why)
{
    return fail(s, TS_HTTP_PARSE_BAD, 400, why);
}

/* Ran out of bytes: more may come, unless the header bound is reached. */
static int out_of_bytes(scanner *s)
{
    if (s->end < s->len || s->end == TS_HTTP_MAX_HEADER_BYTES)
        return fail(s, TS_HTTP_PARSE_TOO_LARGE_HEADERS, 431, "request line and headers too large");
    return TS_HTTP_PARSE_AGAIN;
}

static int at_end(const scanner *s)
{
    return s->pos == s->end;
}

static unsigned char peek(const scanner *s)
{
    return (unsigned char)s->buf[s->pos];
}

/* RFC 9110 tchar: the characters of methods and header names. */
static int is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Visible ASCII except '#' (a fragment never reaches a server). */
static int is_target_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && c != '#';
}

/* Header values: SP, HTAB, visible ASCII and obs-text; no other control. */
static int is_value_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int is_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static int expect_crlf(scanner *s)
{
    if (at_end(s))
        return out_of_bytes(s);
    if (peek(s) == '\n')
        return bad(s, "line ends in a bare LF, CRLF needed");
    if (peek(s) != '\r')
        return bad(s, "unexpected character at end of line");
    s->pos++;
    if (at_end(s))
        return out_of_bytes(s);
    if (peek(s) != '\n')
        return bad(s, "CR not followed by LF");
    s->pos++;
    return STEP_OK;
}

static int scan_method(scanner *s)
{
    size_t start = s->pos;

    while (!at_end(s) && is_tchar(peek(s))) {
        if (s->pos - start == MAX_METHOD_LEN)
            return bad(s, "method too long");
        s->pos++;
    }
    if (at_end(s))
        return out_of_bytes(s);
    if (peek(s) != ' ' || s->pos == start)
        return bad(s, "malformed method");
    s->req->method = (ts_str){s->buf + start, s->pos - start};
    s->pos++;
    return STEP_OK;
}

static void split_target(ts_http_request *req)
{
    const char *q = memchr(req->target.p, '?', req->target.len);

    if (q == NULL) {
        req->path = req->target;
        req->query = (ts_str){req->target.p + req->target.len, 0};
        return;
    }
    req->path = (ts_str){req->target.p, (size_t)(q - req->target.p)};
    req->query = (ts_str){q + 1, req->target.len - req->path.len - 1};
}

static int scan_target(scanner *s)
{
    size_t start = s->pos;

    if (!at_end(s) && peek(s) != '/')
        return bad(s, "target must be a path starting with /");
    while (!at_end(s) && is_target_char(peek(s)))
        s->pos++;
    if (at_end(s))
        return out_of_bytes(s);
    if (peek(s) != ' ')
        return bad(s, "bad character in target");
    s->req->target = (ts_str){s->buf + start, s->pos - start};
    split_target(s->req);
    s->pos++;
    return STEP_OK;
}

/* "HTTP/" DIGIT "." DIGIT; a major version other than 1 is UNSUPPORTED. */
static int scan_version(scanner *s)
{
    static const char pattern[] = "HTTP/d.d";
    size_t i;

    for (i = 0; pattern[i] != '\0'; i++, s->pos++) {
        unsigned char c;
        if (at_end(s))
            return out_of_bytes(s);
        c = peek(s);
        if (pattern[i] != 'd' ? c != (unsigned char)pattern[i] : c < '0' || c > '9')
            return bad(s, "malformed HTTP version");
        if (i == 5 && c != '1')
            return fail(s, TS_HTTP_PARSE_UNSUPPORTED, 505, "only HTTP/1.x is supported");
        if (i == 7)
            s->req->minor_version = c - '0';
    }
    return expect_crlf(s);
}

static int scan_request_line(scanner *s)
{
    int rc = scan_method(s);

    if (rc == STEP_OK)
        rc = scan_target(s);
    if (rc == STEP_OK)
        rc = scan_version(s);
    return rc;
}

static ts_str trim_ows(const char *p, size_t n)
{
    while (n > 0 && is_ows((unsigned char)p[0])) {
        p++;
        n--;
    }
    while (n > 0 && is_ows((unsigned char)p[n - 1]))
        n--;
    return (ts_str){p, n};
}

static int scan_header(scanner *s, ts_http_header *h)
{
    size_t start = s->pos;

    while (!at_end(s) && is_tchar(peek(s)))
        s->pos++;
    if (at_end(s))
        return out_of_bytes(s);
    if (peek(s) != ':')
        return bad(s, "malformed header name");
    if (s->pos == start)
        return bad(s, "empty header name");
    h->name = (ts_str){s->buf + start, s->pos - start};
    start = ++s->pos;
    while (!at_end(s) && is_value_char(peek(s)))
        s->pos++;
    if (at_end(s))
        return out_of_bytes(s);
    if (peek(s) != '\r' && peek(s) != '\n')
        return bad(s, "control character in header value");
    h->value = trim_ows(s->buf + start, s->pos - start);
    return expect_crlf(s);
}

static int scan_headers(scanner *s)
{
    ts_http_request *req = s->req;

    for (;;) {
        int rc;
        if (at_end(s))
            return out_of_bytes(s);
        if (peek(s) == '\r' || peek(s) == '\n')
            return expect_crlf(s); /* the blank line: headers done */
        if (is_ows(peek(s)))
            return bad(s, "obsolete header line folding");
        if (req->n_headers == TS_HTTP_MAX_HEADERS)
            return fail(s, TS_HTTP_PARSE_TOO_LARGE_HEADERS, 431, "too many header lines");
        rc = scan_header(s, &req->headers[req->n_headers]);
        if (rc != STEP_OK)
            return rc;
        req->n_headers++;
    }
}

/* Digits only; 0 or -1 on empty, non-digit or overflow. */
static int parse_content_length(ts_str v, uint64_t *out)
{
    uint64_t n = 0;
    size_t i;

    if (v.len == 0)
        return -1;
    for (i = 0; i < v.len; i++) {
        unsigned d = (unsigned char)v.p[i] - '0';
        if (d > 9 || n > (UINT64_MAX - d) / 10)
            return -1;
        n = n * 10 + d;
    }
    *out = n;
    return 0;
}

/* Connection: a comma-separated list of tokens; "close" wins. */
static void apply_connection_tokens(ts_str v, int *saw_close, int *saw_keep_alive)
{
    while (v.len > 0) {
        const char *comma = memchr(v.p, ',', v.len);
        size_t n = comma ? (size_t)(comma - v.p) : v.len;
        ts_str token = trim_ows(v.p, n);

        if (ts_str_ieq(token, "close"))
            *saw_close = 1;
        else if (ts_str_ieq(token, "keep-alive"))
            *saw_keep_alive = 1;
        v.p += comma ? n + 1 : n;
        v.len -= comma ? n + 1 : n;
    }
}

/* What the headers say about framing, connection and the fields we keep. */
typedef struct head_facts {
    int have_length;
    uint64_t length;
    int transfer_encoding;
    int hosts;
    int saw_close, saw_keep_alive;
} head_facts;

static int set_once(scanner *s, ts_str *field, ts_str value, const char *dup_error)
{
    if (field->p != NULL)
        return bad(s, dup_error);
    *field = value;
    return STEP_OK;
}

static int note_header(scanner *s, const ts_http_header *h, head_facts *f)
{
    ts_http_request *req = s->req;

    if (ts_str_ieq(h->name, "content-length")) {
        uint64_t n;
        if (parse_content_length(h->value, &n) != 0)
            return bad(s, "Content-Length is not a number");
        if (f->have_length && n != f->length)
            return bad(s, "conflicting Content-Length headers");
        f->have_length = 1;
        f->length = n;
    } else if (ts_str_ieq(h->name, "transfer-encoding")) {
        f->transfer_encoding = 1;
    } else if (ts_str_ieq(h->name, "host")) {
        f->hosts++;
    } else if (ts_str_ieq(h->name, "connection")) {
        apply_connection_tokens(h->value, &f->saw_close, &f->saw_keep_alive);
    } else if (ts_str_ieq(h->name, "content-type")) {
        return set_once(s, &req->content_type, h->value, "more than one Content-Type");
    } else if (ts_str_ieq(h->name, "authorization")) {
        return set_once(s, &req->authorization, h->value, "more than one Authorization");
    } else if (ts_str_ieq(h->name, "expect")) {
        /* Other expectations are ignored, as RFC 9110 allows. */
        if (ts_str_ieq(h->value, "100-continue") && req->minor_version >= 1)
            req->expect_continue = 1;
    }
    return STEP_OK;
}

static int interpret_headers(scanner *s, size_t body_limit)
{
    ts_http_request *req = s->req;
    head_facts f;
    size_t i;

    memset(&f, 0, sizeof f);
    for (i = 0; i < req->n_headers; i++) {
        int rc = note_header(s, &req->headers[i], &f);
        if (rc != STEP_OK)
            return rc;
    }
    if (f.transfer_encoding)
        return fail(s, TS_HTTP_PARSE_UNSUPPORTED, 501,
                    "Transfer-Encoding is not supported, send Content-Length");
    if (f.hosts > 1 || (f.hosts == 0 && req->minor_version >= 1))
        return bad(s, "HTTP/1.1 needs exactly one Host header");
    if (req->content_type.p == NULL)
        req->content_type = (ts_str){"", 0};
    if (req->authorization.p == NULL)
        req->authorization = (ts_str){"", 0};
    req->keep_alive = req->minor_version >= 1 ? !f.saw_close : f.saw_keep_alive && !f.saw_close;
    if (f.length > body_limit) {
        req->content_length = f.length > SIZE_MAX ? SIZE_MAX : (size_t)f.length;
        return fail(s, TS_HTTP_PARSE_TOO_LARGE_BODY, 413, "body over the size limit");
    }
    req->content_length = (size_t)f.length;
    return STEP_OK;
}

ts_http_parse_result ts_http_parse_request(const char *buf, size_t len, size_t body_limit,
                                           ts_http_request *req, size_t *used)
{
    scanner s;
    int rc;

    memset(req, 0, sizeof *req);
    *used = 0;
    s.buf = buf;
    s.len = buf == NULL ? 0 : len;
    s.end = s.len < TS_HTTP_MAX_HEADER_BYTES ? s.len : TS_HTTP_MAX_HEADER_BYTES;
    s.pos = 0;
    s.req = req;

    rc = scan_request_line(&s);
    if (rc == STEP_OK)
        rc = scan_headers(&s);
    if (rc == STEP_OK) {
        req->head_len = s.pos;
        rc = interpret_headers(&s, body_limit);
    }
    if (rc != STEP_OK)
        return (ts_http_parse_result)rc;
    if (s.len - req->head_len < req->content_length)
        return TS_HTTP_PARSE_AGAIN;
    req->body = buf + req->head_len;
    req->body_len = req->content_length;
    *used = req->head_len + req->content_length;
    return TS_HTTP_PARSE_DONE;
}

const ts_str *ts_http_header_get(const ts_http_request *req, const char *name)
{
    size_t i;

    for (i = 0; i < req->n_headers; i++)
        if (ts_str_ieq(req->headers[i].name, name))
            return &req->headers[i].value;
    return NULL;
}

int ts_str_eq(ts_str s, const char *c)
{
    size_t n = strlen(c);

    return s.len == n && (n == 0 || memcmp(s.p, c, n) == 0);
}

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

int ts_str_ieq(ts_str s, const char *c)
{
    size_t i, n = strlen(c);

    if (s.len != n)
        return 0;
    for (i = 0; i < n; i++)
        if (ascii_lower((unsigned char)s.p[i]) != ascii_lower((unsigned char)c[i]))
            return 0;
    return 1;
}

/* --- percent-decoding --------------------------------------------------- */

enum { DECODE_PLUS_IS_SPACE = 1, DECODE_REJECT_SLASH = 2 };

/* Decodes in into out (cap bytes with the NUL). 0, TS_EINVAL or TS_ETOOBIG. */
static int percent_decode(ts_str in, int flags, char *out, size_t cap, size_t *out_len)
{
    size_t i, n = 0;

    for (i = 0; i < in.len; i++) {
        unsigned char c = (unsigned char)in.p[i];
        if (c == '%') {
            int hi, lo;
            if (in.len - i < 3)
                return TS_EINVAL;
            hi = ts_hex_digit((unsigned char)in.p[i + 1]);
            lo = ts_hex_digit((unsigned char)in.p[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return TS_EINVAL;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && (flags & DECODE_PLUS_IS_SPACE)) {
            c = ' ';
        } else if (c == '/' && (flags & DECODE_REJECT_SLASH)) {
            return TS_EINVAL;
        } else if (c == '\0') {
            return TS_EINVAL;
        }
        if (n + 1 >= cap)
            return TS_ETOOBIG;
        out[n++] = (char)c;
    }
    if (cap == 0)
        return TS_ETOOBIG;
    out[n] = '\0';
    if (out_len != NULL)
        *out_len = n;
    return 0;
}

int ts_http_decode_segment(ts_str segment, char *out, size_t cap, size_t *out_len)
{
    return percent_decode(segment, DECODE_REJECT_SLASH, out, cap, out_len);
}

void ts_http_query_init(ts_http_query_iter *it, ts_str query)
{
    it->rest = query;
    it->count = 0;
}

/* Takes the next non-empty '&'-separated pair off it->rest. */
static int next_pair(ts_http_query_iter *it, ts_str *pair)
{
    while (it->rest.len > 0) {
        const char *amp = memchr(it->rest.p, '&', it->rest.len);
        size_t n = amp ? (size_t)(amp - it->rest.p) : it->rest.len;

        *pair = (ts_str){it->rest.p, n};
        it->rest.p += amp ? n + 1 : n;
        it->rest.len -= amp ? n + 1 : n;
        if (n > 0)
            return 1;
    }
    return 0;
}

int ts_http_query_next(ts_http_query_iter *it, ts_http_query_param *out)
{
    ts_str pair, name, value;
    const char *eq;
    int rc;

    if (!next_pair(it, &pair))
        return 0;
    if (it->count == TS_HTTP_QUERY_MAX_PARAMS) {
        rc = TS_ETOOBIG;
        goto fail;
    }
    eq = memchr(pair.p, '=', pair.len);
    name = (ts_str){pair.p, eq ? (size_t)(eq - pair.p) : pair.len};
    value = eq ? (ts_str){eq + 1, pair.len - name.len - 1} : (ts_str){pair.p + pair.len, 0};
    rc = percent_decode(name, DECODE_PLUS_IS_SPACE, out->name, sizeof out->name, &out->name_len);
    if (rc == 0)
        rc = percent_decode(value, DECODE_PLUS_IS_SPACE, out->value, sizeof out->value,
                            &out->value_len);
    if (rc != 0)
        goto fail;
    it->count++;
    return 1;

fail:
    it->rest = (ts_str){it->rest.p + it->rest.len, 0};
    return rc;
}
