/*
 * test_http_parse.c - the request parser against a table of good and bad
 * requests, each also fed in two parts split at every byte, and the
 * percent-decoding and query helpers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
#include "http/http_parse.h"

#define LIMIT 1000 /* body limit used by the table */

typedef struct parse_case {
    const char *name;
    const char *raw;
    ts_http_parse_result want;
    int want_status; /* for errors */
} parse_case;

#define H11 " HTTP/1.1\r\nHost: t\r\n"

static const parse_case cases[] = {
    /* good */
    {"simple get", "GET /" H11 "\r\n", TS_HTTP_PARSE_DONE, 0},
    {"query", "GET /v1/items?sku=A&sku=B" H11 "\r\n", TS_HTTP_PARSE_DONE, 0},
    {"post body", "POST /v1/transactions" H11 "Content-Length: 2\r\n\r\n{}", TS_HTTP_PARSE_DONE, 0},
    {"http/1.0 no host", "GET / HTTP/1.0\r\n\r\n", TS_HTTP_PARSE_DONE, 0},
    {"http/1.2 is 1.x", "GET / HTTP/1.2\r\nHost: t\r\n\r\n", TS_HTTP_PARSE_DONE, 0},
    {"same length twice", "POST /" H11 "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx",
     TS_HTTP_PARSE_DONE, 0},
    {"utf-8 value", "GET /" H11 "X-Name: caf\xc3\xa9\r\n\r\n", TS_HTTP_PARSE_DONE, 0},
    {"empty value", "GET /" H11 "X-Empty:\r\n\r\n", TS_HTTP_PARSE_DONE, 0},
    {"zero length", "POST /" H11 "Content-Length: 0\r\n\r\n", TS_HTTP_PARSE_DONE, 0},
    {"length at limit", NULL, TS_HTTP_PARSE_DONE, 0}, /* built below */
    {"lower-case method token", "get /" H11 "\r\n", TS_HTTP_PARSE_DONE, 0},
    /* request line */
    {"leading empty line", "\r\nGET /" H11 "\r\n", TS_HTTP_PARSE_BAD, 400},
    {"double space", "GET  /" H11 "\r\n", TS_HTTP_PARSE_BAD, 400},
    {"bare lf request line", "GET / HTTP/1.1\nHost: t\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"cr without lf", "GET / HTTP/1.1\rHost: t\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"absolute target", "GET http://t/" H11 "\r\n", TS_HTTP_PARSE_BAD, 400},
    {"trailing space", "GET / HTTP/1.1 \r\nHost: t\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"fragment", "GET /a#b" H11 "\r\n", TS_HTTP_PARSE_BAD, 400},
    {"control in target", "GET /\x01" H11 "\r\n", TS_HTTP_PARSE_BAD, 400},
    {"non-ascii target", "GET /\xc3\xa9" H11 "\r\n", TS_HTTP_PARSE_BAD, 400},
    {"http/2", "GET / HTTP/2.0\r\n\r\n", TS_HTTP_PARSE_UNSUPPORTED, 505},
    {"http/0.9", "GET / HTTP/0.9\r\n\r\n", TS_HTTP_PARSE_UNSUPPORTED, 505},
    {"lower-case version", "GET / http/1.1\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"long version", "GET / HTTP/1.10\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"no version", "GET /\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"bad method char", "G(T /" H11 "\r\n", TS_HTTP_PARSE_BAD, 400},
    {"method too long", "ABCDEFGHIJKLMNOPQ /" H11 "\r\n", TS_HTTP_PARSE_BAD, 400},
    {"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", TS_HTTP_PARSE_BAD, 400},
    /* headers */
    {"space before colon", "GET /" H11 "X-A : 1\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"empty name", "GET /" H11 ": 1\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"no colon", "GET /" H11 "X-A\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"obs-fold", "GET /" H11 "X-A: 1\r\n 2\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"nul in value", "GET /" H11 "X-A: a\0b\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"del in value", "GET /" H11 "X-A: a\x7f\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"bare lf header", "GET /" H11 "X-A: 1\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"bare lf end", "GET /" H11 "\n", TS_HTTP_PARSE_BAD, 400},
    {"no host 1.1", "GET / HTTP/1.1\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"two hosts", "GET /" H11 "Host: u\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"two content types", "GET /" H11 "Content-Type: a\r\ncontent-type: a\r\n\r\n",
     TS_HTTP_PARSE_BAD, 400},
    {"two authorizations", "GET /" H11 "Authorization: a\r\nAuthorization: b\r\n\r\n",
     TS_HTTP_PARSE_BAD, 400},
    /* framing */
    {"length letters", "POST /" H11 "Content-Length: abc\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"length negative", "POST /" H11 "Content-Length: -1\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"length plus", "POST /" H11 "Content-Length: +1\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"length list", "POST /" H11 "Content-Length: 1, 1\r\n\r\nx", TS_HTTP_PARSE_BAD, 400},
    {"length hex", "POST /" H11 "Content-Length: 0x1\r\n\r\nx", TS_HTTP_PARSE_BAD, 400},
    {"length empty", "POST /" H11 "Content-Length:\r\n\r\n", TS_HTTP_PARSE_BAD, 400},
    {"length overflow", "POST /" H11 "Content-Length: 99999999999999999999999\r\n\r\n",
     TS_HTTP_PARSE_BAD, 400},
    {"lengths differ", "POST /" H11 "Content-Length: 1\r\nContent-Length: 2\r\n\r\nxy",
     TS_HTTP_PARSE_BAD, 400},
    {"chunked", "POST /" H11 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     TS_HTTP_PARSE_UNSUPPORTED, 501},
    {"chunked and length", "POST /" H11 "Transfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\nx",
     TS_HTTP_PARSE_UNSUPPORTED, 501},
    {"body too large", "POST /" H11 "Content-Length: 1001\r\n\r\n", TS_HTTP_PARSE_TOO_LARGE_BODY,
     413},
    {"body far too large", "POST /" H11 "Content-Length: 18446744073709551615\r\n\r\n",
     TS_HTTP_PARSE_TOO_LARGE_BODY, 413},
};

static const char *result_name(int r)
{
    switch (r) {
    case TS_HTTP_PARSE_DONE:
        return "DONE";
    case TS_HTTP_PARSE_AGAIN:
        return "AGAIN";
    case TS_HTTP_PARSE_BAD:
        return "BAD";
    case TS_HTTP_PARSE_TOO_LARGE_HEADERS:
        return "TOO_LARGE_HEADERS";
    case TS_HTTP_PARSE_TOO_LARGE_BODY:
        return "TOO_LARGE_BODY";
    case TS_HTTP_PARSE_UNSUPPORTED:
        return "UNSUPPORTED";
    default:
        return "?";
    }
}

/*
 * Whole, then every split: the first part alone must give AGAIN or the
 * whole's error (errors are seen early, never late), and the parser keeps no
 * state, so the whole again gives the same answer. A copy of exactly len
 * bytes lets ASan catch any read past the end.
 */
static void check_case(const char *name, const char *raw, size_t len, ts_http_parse_result want,
                       int want_status)
{
    char *copy = malloc(len ? len : 1);
    ts_http_request req;
    size_t used, k;
    int whole;

    memcpy(copy, raw, len);
    whole = ts_http_parse_request(copy, len, LIMIT, &req, &used);
    if (whole != (int)want)
        fail_msg("case '%s': got %s, want %s (%s)", name, result_name(whole), result_name(want),
                 req.error ? req.error : "");
    if (want < 0 && req.error_status != want_status)
        fail_msg("case '%s': status %d, want %d", name, req.error_status, want_status);
    if (want < 0 && (req.error == NULL || strchr(req.error, '"') != NULL))
        fail_msg("case '%s': no error text, or one with a quote", name);
    if (want == TS_HTTP_PARSE_DONE && (used == 0 || used > len))
        fail_msg("case '%s': used %zu of %zu bytes", name, used, len);
    for (k = 0; k < len; k++) {
        size_t u;
        int part = ts_http_parse_request(copy, k, LIMIT, &req, &u);
        int ok = part == TS_HTTP_PARSE_AGAIN || (whole < 0 && part == whole) ||
                 (whole == TS_HTTP_PARSE_DONE && part == TS_HTTP_PARSE_DONE && k >= used);
        if (!ok)
            fail_msg("case '%s': split at %zu gives %s", name, k, result_name(part));
    }
    if (ts_http_parse_request(copy, len, LIMIT, &req, &used) != whole)
        fail_msg("case '%s': the whole again gives another answer", name);
    free(copy);
}

static void test_table(void **state)
{
    size_t i;
    char at_limit[2000];
    int n;

    n = snprintf(at_limit, sizeof at_limit, "POST /" H11 "Content-Length: %d\r\n\r\n", LIMIT);
    memset(at_limit + n, 'b', LIMIT);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *raw = cases[i].raw;
        size_t len;
        if (raw == NULL) {
            raw = at_limit;
            len = (size_t)n + LIMIT;
        } else {
            /* NUL in the middle of a case: the table holds one at most. */
            len = strlen(raw);
            if (strcmp(cases[i].name, "nul in value") == 0)
                len += 1 + strlen(raw + len + 1);
        }
        check_case(cases[i].name, raw, len, cases[i].want, cases[i].want_status);
    }
}

static int str_is(ts_str s, const char *c)
{
    return ts_str_eq(s, c);
}

static void test_fields(void **state)
{
    static const char raw[] = "POST /v1/items?sku=A&sku=B HTTP/1.1\r\n"
                              "Host: till\r\n"
                              "Content-Type:   application/json \t\r\n"
                              "authorization: Bearer abc\r\n"
                              "Content-Length: 2\r\n"
                              "X-Empty:\r\n"
                              "\r\n"
                              "{}GET /next HTTP/1.1\r\n";
    ts_http_request req;
    size_t used;
    const ts_str *v;

    assert_int_equal(ts_http_parse_request(raw, sizeof raw - 1, LIMIT, &req, &used),
                     TS_HTTP_PARSE_DONE);
    assert_true(str_is(req.method, "POST"));
    assert_true(str_is(req.target, "/v1/items?sku=A&sku=B"));
    assert_true(str_is(req.path, "/v1/items"));
    assert_true(str_is(req.query, "sku=A&sku=B"));
    assert_int_equal(req.minor_version, 1);
    assert_int_equal(req.n_headers, 5);
    assert_true(str_is(req.content_type, "application/json"));
    assert_true(str_is(req.authorization, "Bearer abc"));
    assert_int_equal(req.keep_alive, 1);
    assert_int_equal(req.body_len, 2);
    assert_non_null(req.body);
    assert_memory_equal(req.body, "{}", 2);
    assert_int_equal(used, strstr(raw, "GET /next") - raw);
    assert_int_equal(req.head_len + req.content_length, used);
    v = ts_http_header_get(&req, "CONTENT-LENGTH");
    assert_non_null(v);
    assert_true(str_is(*v, "2"));
    v = ts_http_header_get(&req, "x-empty");
    assert_non_null(v);
    assert_int_equal(v->len, 0);
    assert_null(ts_http_header_get(&req, "Cookie"));
    assert_true(ts_str_ieq(req.method, "post"));
    assert_false(ts_str_eq(req.method, "post"));

    /* The rest is the start of the next, pipelined request. */
    assert_int_equal(ts_http_parse_request(raw + used, sizeof raw - 1 - used, LIMIT, &req, &used),
                     TS_HTTP_PARSE_AGAIN);
}

static void test_absent_fields_are_empty(void **state)
{
    static const char raw[] = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";
    ts_http_request req;
    size_t used;

    assert_int_equal(ts_http_parse_request(raw, sizeof raw - 1, LIMIT, &req, &used),
                     TS_HTTP_PARSE_DONE);
    assert_non_null(req.content_type.p);
    assert_int_equal(req.content_type.len, 0);
    assert_non_null(req.authorization.p);
    assert_int_equal(req.authorization.len, 0);
    assert_int_equal(req.query.len, 0);
    assert_true(str_is(req.path, "/x"));
    assert_int_equal(req.body_len, 0);
}

static int keep_alive_of(const char *raw)
{
    ts_http_request req;
    size_t used;

    if (ts_http_parse_request(raw, strlen(raw), LIMIT, &req, &used) != TS_HTTP_PARSE_DONE)
        return -1;
    return req.keep_alive;
}

static void test_keep_alive(void **state)
{
    assert_int_equal(keep_alive_of("GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 1);
    assert_int_equal(keep_alive_of("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"), 0);
    assert_int_equal(
        keep_alive_of("GET / HTTP/1.1\r\nHost: t\r\nConnection: Keep-Alive, CLOSE\r\n\r\n"), 0);
    assert_int_equal(keep_alive_of("GET / HTTP/1.1\r\nHost: t\r\nConnection: upgrade\r\n\r\n"), 1);
    assert_int_equal(keep_alive_of("GET / HTTP/1.0\r\n\r\n"), 0);
    assert_int_equal(keep_alive_of("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 1);
    assert_int_equal(
        keep_alive_of("GET / HTTP/1.0\r\nConnection: x\r\nConnection: keep-alive\r\n\r\n"), 1);
    assert_int_equal(keep_alive_of("GET / HTTP/1.0\r\nConnection: keep-alive,close\r\n\r\n"), 0);
}

/* Headers complete, body missing: AGAIN, but what the server needs is there. */
static void test_expect_continue(void **state)
{
    static const char raw[] = "POST /v1/transactions HTTP/1.1\r\nHost: t\r\n"
                              "Expect: 100-Continue\r\nContent-Length: 500\r\n\r\n";
    static const char raw10[] = "POST / HTTP/1.0\r\nExpect: 100-continue\r\n"
                                "Content-Length: 5\r\n\r\n";
    ts_http_request req;
    size_t used;

    assert_int_equal(ts_http_parse_request(raw, sizeof raw - 1, LIMIT, &req, &used),
                     TS_HTTP_PARSE_AGAIN);
    assert_int_equal(req.head_len, sizeof raw - 1);
    assert_int_equal(req.content_length, 500);
    assert_int_equal(req.expect_continue, 1);
    assert_null(req.body);
    assert_int_equal(used, 0);
    /* Incomplete headers: nothing known yet. */
    assert_int_equal(ts_http_parse_request(raw, sizeof raw - 3, LIMIT, &req, &used),
                     TS_HTTP_PARSE_AGAIN);
    assert_int_equal(req.head_len, 0);
    /* HTTP/1.0 has no 100 Continue. */
    assert_int_equal(ts_http_parse_request(raw10, sizeof raw10 - 1, LIMIT, &req, &used),
                     TS_HTTP_PARSE_AGAIN);
    assert_int_equal(req.expect_continue, 0);
}

/* Builds a request whose head is exactly head_bytes long. */
static size_t build_head_of(char *out, size_t head_bytes)
{
    static const char start[] = "GET / HTTP/1.1\r\nHost: t\r\nX-Pad: ";
    size_t pad = head_bytes - (sizeof start - 1) - 4;

    memcpy(out, start, sizeof start - 1);
    memset(out + sizeof start - 1, 'p', pad);
    memcpy(out + sizeof start - 1 + pad, "\r\n\r\n", 4);
    return head_bytes;
}

static void test_header_bounds(void **state)
{
    static char raw[TS_HTTP_MAX_HEADER_BYTES + 64];
    ts_http_request req;
    size_t used, len, n, i;

    len = build_head_of(raw, TS_HTTP_MAX_HEADER_BYTES);
    assert_int_equal(ts_http_parse_request(raw, len, LIMIT, &req, &used), TS_HTTP_PARSE_DONE);
    check_case("head at the bound", raw, len, TS_HTTP_PARSE_DONE, 0);
    len = build_head_of(raw, TS_HTTP_MAX_HEADER_BYTES + 1);
    check_case("head over the bound", raw, len, TS_HTTP_PARSE_TOO_LARGE_HEADERS, 431);

    /* A target longer than the bound. */
    memcpy(raw, "GET /", 5);
    memset(raw + 5, 'a', sizeof raw - 5);
    check_case("long target", raw, sizeof raw, TS_HTTP_PARSE_TOO_LARGE_HEADERS, 431);

    /* TS_HTTP_MAX_HEADERS lines are fine, one more is not. */
    for (n = TS_HTTP_MAX_HEADERS; n <= TS_HTTP_MAX_HEADERS + 1; n++) {
        len = (size_t)sprintf(raw, "GET / HTTP/1.1\r\nHost: t\r\n");
        for (i = 1; i < n; i++)
            len += (size_t)sprintf(raw + len, "X-%zu: v\r\n", i);
        len += (size_t)sprintf(raw + len, "\r\n");
        check_case(n == TS_HTTP_MAX_HEADERS ? "max headers" : "too many headers", raw, len,
                   n == TS_HTTP_MAX_HEADERS ? TS_HTTP_PARSE_DONE : TS_HTTP_PARSE_TOO_LARGE_HEADERS,
                   431);
    }
}

/* The 413 comes from the headers alone, before any body byte. */
static void test_body_limit_before_body(void **state)
{
    static const char raw[] = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 300000\r\n\r\n";
    ts_http_request req;
    size_t used;

    assert_int_equal(
        ts_http_parse_request(raw, sizeof raw - 1, TS_HTTP_MAX_BODY_BYTES, &req, &used),
        TS_HTTP_PARSE_TOO_LARGE_BODY);
    assert_int_equal(req.error_status, 413);
    assert_int_equal(ts_http_parse_request(raw, sizeof raw - 1, 300000, &req, &used),
                     TS_HTTP_PARSE_AGAIN);
}

static ts_str S(const char *s)
{
    return (ts_str){s, strlen(s)};
}

static void test_decode_segment(void **state)
{
    char out[16];
    size_t n = 99;

    assert_int_equal(ts_http_decode_segment(S("SKU%2D1001"), out, sizeof out, &n), 0);
    assert_string_equal(out, "SKU-1001");
    assert_int_equal(n, 8);
    assert_int_equal(ts_http_decode_segment(S("a+b%2fc%C3%A9"), out, sizeof out, &n), 0);
    assert_string_equal(out, "a+b/c\xc3\xa9");
    assert_int_equal(ts_http_decode_segment(S(""), out, sizeof out, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ts_http_decode_segment(S("%zz"), out, sizeof out, NULL), TS_EINVAL);
    assert_int_equal(ts_http_decode_segment(S("ab%4"), out, sizeof out, NULL), TS_EINVAL);
    assert_int_equal(ts_http_decode_segment(S("ab%"), out, sizeof out, NULL), TS_EINVAL);
    assert_int_equal(ts_http_decode_segment(S("a%00b"), out, sizeof out, NULL), TS_EINVAL);
    assert_int_equal(ts_http_decode_segment(S("a/b"), out, sizeof out, NULL), TS_EINVAL);
    assert_int_equal(ts_http_decode_segment(S("abc"), out, 4, &n), 0);
    assert_int_equal(ts_http_decode_segment(S("abcd"), out, 4, NULL), TS_ETOOBIG);
    assert_int_equal(ts_http_decode_segment(S("%41%42%43"), out, 4, &n), 0);
    assert_string_equal(out, "ABC");
    assert_int_equal(ts_http_decode_segment(S(""), out, 0, NULL), TS_ETOOBIG);
}

/* Collects "name=value;" for every pair, or "ERR<code>" at the end. */
static void query_to_text(const char *q, char *out, size_t cap)
{
    ts_http_query_iter it;
    ts_http_query_param p;
    size_t len = 0;
    int rc;

    out[0] = '\0';
    ts_http_query_init(&it, S(q));
    while ((rc = ts_http_query_next(&it, &p)) == 1)
        len += (size_t)snprintf(out + len, cap - len, "%s=%s;", p.name, p.value);
    if (rc < 0)
        snprintf(out + len, cap - len, "ERR%d", rc);
    /* After the end or an error it stays at the end. */
    assert_int_equal(ts_http_query_next(&it, &p), 0);
}

static void test_query(void **state)
{
    char text[4096];
    char *big;
    size_t i, len;
    ts_http_query_iter it;
    ts_http_query_param p;
    int rc, count;

    query_to_text("sku=A&sku=B", text, sizeof text);
    assert_string_equal(text, "sku=A;sku=B;");
    query_to_text("&a=1&&b=2&", text, sizeof text);
    assert_string_equal(text, "a=1;b=2;");
    query_to_text("flag&=v&x=", text, sizeof text);
    assert_string_equal(text, "flag=;=v;x=;");
    query_to_text("q=a+b%20c%2B&n%61me=1=2", text, sizeof text);
    assert_string_equal(text, "q=a b c+;name=1=2;");
    query_to_text("barcode=4006381333931&sku=x%zz&after=1", text, sizeof text);
    assert_string_equal(text, "barcode=4006381333931;ERR-1");
    query_to_text("a=%00", text, sizeof text);
    assert_string_equal(text, "ERR-1");
    query_to_text("", text, sizeof text);
    assert_string_equal(text, "");

    /* A value over its bound. */
    big = malloc(TS_HTTP_QUERY_VALUE_MAX * 8 + 16);
    memcpy(big, "sku=", 4);
    memset(big + 4, 'v', TS_HTTP_QUERY_VALUE_MAX - 1);
    big[4 + TS_HTTP_QUERY_VALUE_MAX - 1] = '\0';
    ts_http_query_init(&it, S(big));
    assert_int_equal(ts_http_query_next(&it, &p), 1);
    assert_int_equal(p.value_len, TS_HTTP_QUERY_VALUE_MAX - 1);
    strcpy(big + 4 + TS_HTTP_QUERY_VALUE_MAX - 1, "v");
    ts_http_query_init(&it, S(big));
    assert_int_equal(ts_http_query_next(&it, &p), TS_ETOOBIG);

    /* 200 SKUs are fine; more pairs than the bound are not. */
    for (len = 0, i = 0; i < TS_HTTP_QUERY_MAX_PARAMS + 1; i++)
        len += (size_t)sprintf(big + len, "&%zu", i % 10);
    ts_http_query_init(&it, S(big));
    count = 0;
    while ((rc = ts_http_query_next(&it, &p)) == 1)
        count++;
    assert_int_equal(count, TS_HTTP_QUERY_MAX_PARAMS);
    assert_int_equal(rc, TS_ETOOBIG);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_absent_fields_are_empty),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_header_bounds),
        cmocka_unit_test(test_body_limit_before_body),
        cmocka_unit_test(test_decode_segment),
        cmocka_unit_test(test_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
