/*
 * test_http_response.c - the HTTP/1.1 response parser: a table of answers
 * (good and bad), each also fed split at every byte and one byte at a time,
 * since a TLS record can end anywhere.
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
#include "core/error.h"
#include "http/http_response.h"

#include <stdint.h>

typedef struct response_case {
    const char *name;
    const char *wire;
    size_t max_body;
    int expect;          /* TS_HTTP_RESP_DONE, _AGAIN, or a TS_E* code */
    int status;          /* when DONE */
    const char *body;    /* when DONE */
    int keep_alive;      /* when DONE */
    int64_t retry_after; /* when DONE */
    const char *etag;    /* when DONE */
    size_t extra;        /* bytes after the answer that are not used */
} response_case;

#define MB (1024 * 1024)

static const response_case cases[] = {
    {"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", MB, TS_HTTP_RESP_DONE,
     200, "hello", 1, -1, "", 0},
    {"json ack",
     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 19\r\n\r\n"
     "{\"acked_through\":7}",
     MB, TS_HTTP_RESP_DONE, 200, "{\"acked_through\":7}", 1, -1, "", 0},
    {"no reason phrase", "HTTP/1.1 204\r\n\r\n", MB, TS_HTTP_RESP_DONE, 204, "", 1, -1, "", 0},
    {"empty reason phrase", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", MB, TS_HTTP_RESP_DONE,
     200, "", 1, -1, "", 0},
    {"bare LF lines", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", MB, TS_HTTP_RESP_DONE, 200, "ok",
     1, -1, "", 0},
    {"connection close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", MB,
     TS_HTTP_RESP_DONE, 200, "", 0, -1, "", 0},
    {"connection token list",
     "HTTP/1.1 200 OK\r\nConnection: foo, Close\r\nContent-Length: 0\r\n\r\n", MB,
     TS_HTTP_RESP_DONE, 200, "", 0, -1, "", 0},
    {"http/1.0 closes", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", MB, TS_HTTP_RESP_DONE, 200,
     "x", 0, -1, "", 0},
    {"http/1.0 keep-alive",
     "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", MB,
     TS_HTTP_RESP_DONE, 200, "x", 1, -1, "", 0},
    {"retry-after seconds",
     "HTTP/1.1 429 Too Many\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n", MB,
     TS_HTTP_RESP_DONE, 429, "", 1, 120, "", 0},
    {"retry-after junk ignored", "HTTP/1.1 503 x\r\nRetry-After: soon\r\nContent-Length: 0\r\n\r\n",
     MB, TS_HTTP_RESP_DONE, 503, "", 1, -1, "", 0},
    {"etag", "HTTP/1.1 200 OK\r\nETag:   \"2026-11-20.3\"  \r\nContent-Length: 2\r\n\r\n{}", MB,
     TS_HTTP_RESP_DONE, 200, "{}", 1, -1, "\"2026-11-20.3\"", 0},
    {"304 has no body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n", MB,
     TS_HTTP_RESP_DONE, 304, "", 1, -1, "", 0},
    {"100 continue skipped",
     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nk", MB,
     TS_HTTP_RESP_DONE, 201, "k", 1, -1, "", 0},
    {"chunked",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n "
     "world\r\n0\r\n\r\n",
     MB, TS_HTTP_RESP_DONE, 200, "hello world", 1, -1, "", 0},
    {"chunked upper hex + trailer",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
     MB, TS_HTTP_RESP_DONE, 200, "0123456789", 1, -1, "", 0},
    {"chunked wins over length",
     "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: "
     "chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n",
     MB, TS_HTTP_RESP_DONE, 200, "z", 1, -1, "", 0},
    {"bytes after the answer", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1", MB,
     TS_HTTP_RESP_DONE, 200, "ok", 1, -1, "", 8},
    {"same length twice", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", MB,
     TS_HTTP_RESP_DONE, 200, "ok", 1, -1, "", 0},
    /* Incomplete answers. */
    {"head cut", "HTTP/1.1 200 OK\r\nContent-Len", MB, TS_HTTP_RESP_AGAIN, 0, NULL, 0, 0, NULL, 0},
    {"body cut", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", MB, TS_HTTP_RESP_AGAIN, 0,
     NULL, 0, 0, NULL, 0},
    {"chunk cut", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", MB,
     TS_HTTP_RESP_AGAIN, 0, NULL, 0, 0, NULL, 0},
    {"no length: until close", "HTTP/1.1 200 OK\r\n\r\nabc", MB, TS_HTTP_RESP_AGAIN, 0, NULL, 0, 0,
     NULL, 0},
    /* Broken answers. */
    {"not http", "SSH-2.0-OpenSSH\r\n\r\n", MB, TS_EPROTO, 0, NULL, 0, 0, NULL, 0},
    {"http/2 status", "HTTP/2 200\r\n\r\n", MB, TS_EPROTO, 0, NULL, 0, 0, NULL, 0},
    {"short status", "HTTP/1.1 20\r\n\r\n", MB, TS_EPROTO, 0, NULL, 0, 0, NULL, 0},
    {"status 099", "HTTP/1.1 099 x\r\n\r\n", MB, TS_EPROTO, 0, NULL, 0, 0, NULL, 0},
    {"status glued to reason", "HTTP/1.1 200OK\r\n\r\n", MB, TS_EPROTO, 0, NULL, 0, 0, NULL, 0},
    {"bad length", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", MB, TS_EPROTO, 0, NULL, 0, 0,
     NULL, 0},
    {"negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", MB, TS_EPROTO, 0, NULL, 0,
     0, NULL, 0},
    {"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", MB,
     TS_EPROTO, 0, NULL, 0, 0, NULL, 0},
    {"gzip coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", MB, TS_EPROTO, 0,
     NULL, 0, 0, NULL, 0},
    {"header without colon", "HTTP/1.1 200 OK\r\nBroken\r\n\r\n", MB, TS_EPROTO, 0, NULL, 0, 0,
     NULL, 0},
    {"space in header name", "HTTP/1.1 200 OK\r\nContent Length: 1\r\n\r\n", MB, TS_EPROTO, 0, NULL,
     0, 0, NULL, 0},
    {"folded header", "HTTP/1.1 200 OK\r\nX-A: 1\r\n  2\r\n\r\n", MB, TS_EPROTO, 0, NULL, 0, 0,
     NULL, 0},
    {"switching protocols", "HTTP/1.1 101 Switching\r\n\r\n", MB, TS_EPROTO, 0, NULL, 0, 0, NULL,
     0},
    {"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", MB, TS_EPROTO,
     0, NULL, 0, 0, NULL, 0},
    {"huge chunk size",
     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", MB, TS_EPROTO,
     0, NULL, 0, 0, NULL, 0},
    {"chunk without CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", MB,
     TS_EPROTO, 0, NULL, 0, 0, NULL, 0},
    /* Bounds. */
    {"length over max", "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", 10, TS_ETOOBIG, 0, NULL, 0,
     0, NULL, 0},
    {"length at max", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 10,
     TS_HTTP_RESP_DONE, 200, "0123456789", 1, -1, "", 0},
    {"chunks over max", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n",
     10, TS_ETOOBIG, 0, NULL, 0, 0, NULL, 0},
    {"until close over max", "HTTP/1.1 200 OK\r\n\r\n0123456789a", 10, TS_ETOOBIG, 0, NULL, 0, 0,
     NULL, 0},
};

/* Feeds wire in pieces (cut positions given); returns the final result. */
static int feed_pieces(ts_http_response_parser *p, const char *wire, size_t len, size_t cut1,
                       size_t cut2, size_t *total_used)
{
    size_t cuts[4] = {0, cut1, cut2, len};
    int rc = TS_HTTP_RESP_AGAIN;
    *total_used = 0;
    for (int k = 0; k < 3 && rc == TS_HTTP_RESP_AGAIN; k++) {
        size_t used = 0;
        rc = ts_http_response_parser_feed(p, wire + cuts[k], cuts[k + 1] - cuts[k], &used);
        *total_used += used;
    }
    return rc;
}

static int check_case(const response_case *c, size_t cut1, size_t cut2)
{
    size_t len = strlen(c->wire), used;
    ts_http_response_parser p;
    ts_http_response_parser_init(&p, c->max_body, 0);
    int rc = feed_pieces(&p, c->wire, len, cut1, cut2, &used);
    int ok = rc == c->expect;
    if (ok && rc == TS_HTTP_RESP_DONE) {
        const char *body = p.body.data ? p.body.data : "";
        ok = p.status == c->status && p.body.len == strlen(c->body) &&
             memcmp(body, c->body, p.body.len) == 0 && p.keep_alive == c->keep_alive &&
             p.retry_after_s == c->retry_after && strcmp(p.etag, c->etag) == 0 &&
             used == len - c->extra;
    }
    if (!ok)
        print_error("case \"%s\" cut at %zu,%zu: rc %d (want %d) status %d used %zu\n", c->name,
                    cut1, cut2, rc, c->expect, p.status, used);
    ts_http_response_parser_free(&p);
    return ok;
}

static void test_table_all_splits(void **state)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const response_case *c = &cases[i];
        size_t len = strlen(c->wire);
        int ok = check_case(c, len, len); /* whole */
        /* every single split point, and every pair of split points */
        for (size_t a = 0; a <= len && ok; a++)
            for (size_t b = a; b <= len && ok; b++)
                ok = check_case(c, a, b);
        if (!ok)
            fail_msg("case \"%s\" fails (the cut is above)", c->name);
    }
}

static void test_byte_at_a_time(void **state)
{
    const char *wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: \"v1\"\r\n\r\n"
                       "3\r\nabc\r\n0\r\n\r\n";
    ts_http_response_parser p;
    ts_http_response_parser_init(&p, 100, 0);
    int rc = TS_HTTP_RESP_AGAIN;
    size_t i = 0, used;
    for (; wire[i] && rc == TS_HTTP_RESP_AGAIN; i++) {
        rc = ts_http_response_parser_feed(&p, wire + i, 1, &used);
        assert_int_equal(used, 1);
    }
    assert_int_equal(rc, TS_HTTP_RESP_DONE);
    assert_int_equal(i, strlen(wire));
    assert_string_equal(p.etag, "\"v1\"");
    assert_int_equal(p.body.len, 3);
    ts_http_response_parser_free(&p);
}

static void test_eof(void **state)
{
    ts_http_response_parser p;
    size_t used;
    /* a body without length ends with the connection */
    ts_http_response_parser_init(&p, 100, 0);
    assert_int_equal(ts_http_response_parser_feed(&p, "HTTP/1.1 200 OK\r\n\r\nabc", 22, &used),
                     TS_HTTP_RESP_AGAIN);
    assert_int_equal(ts_http_response_parser_eof(&p), TS_HTTP_RESP_DONE);
    assert_int_equal(p.body.len, 3);
    assert_int_equal(p.keep_alive, 0);
    ts_http_response_parser_free(&p);
    /* a close in the middle of a counted body is a cut answer */
    ts_http_response_parser_init(&p, 100, 0);
    ts_http_response_parser_feed(&p, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 41, &used);
    assert_true(ts_http_response_parser_has_head(&p));
    assert_int_equal(ts_http_response_parser_eof(&p), TS_ECONN);
    ts_http_response_parser_free(&p);
    /* a close before anything */
    ts_http_response_parser_init(&p, 100, 0);
    assert_false(ts_http_response_parser_has_head(&p));
    assert_int_equal(ts_http_response_parser_eof(&p), TS_ECONN);
    ts_http_response_parser_free(&p);
}

static void test_head_request(void **state)
{
    ts_http_response_parser p;
    size_t used;
    ts_http_response_parser_init(&p, 100, 1);
    const char *w = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n";
    assert_int_equal(ts_http_response_parser_feed(&p, w, strlen(w), &used), TS_HTTP_RESP_DONE);
    assert_int_equal(used, strlen(w));
    ts_http_response_parser_free(&p);
}

static void test_retry_after_date(void **state)
{
    ts_http_response_parser p;
    size_t used;
    ts_http_response_parser_init(&p, 100, 0);
    const char *w = "HTTP/1.1 503 x\r\nRetry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                    "Content-Length: 0\r\n\r\n";
    assert_int_equal(ts_http_response_parser_feed(&p, w, strlen(w), &used), TS_HTTP_RESP_DONE);
    assert_int_equal(p.retry_after_s, -1);
    assert_int_equal(p.retry_after_at_ms, 784111777000LL);
    ts_http_response_parser_free(&p);
}

/* Heads and bodies over their bounds fail cleanly, whatever the pieces. */
static void test_big_inputs(void **state)
{
    static char wire[TS_HTTP_RESP_MAX_HEAD + 200];
    ts_http_response_parser p;
    size_t used;
    /* a head longer than the bound */
    strcpy(wire, "HTTP/1.1 200 OK\r\nX-Big: ");
    size_t n = strlen(wire);
    memset(wire + n, 'a', sizeof(wire) - n - 1);
    wire[sizeof(wire) - 1] = '\0';
    ts_http_response_parser_init(&p, 100, 0);
    assert_int_equal(ts_http_response_parser_feed(&p, wire, strlen(wire), &used), TS_ETOOBIG);
    /* and it stays failed */
    assert_int_equal(ts_http_response_parser_feed(&p, "x", 1, &used), TS_ETOOBIG);
    ts_http_response_parser_free(&p);
    /* too many headers */
    ts_buf b;
    ts_buf_init(&b, 1 << 20);
    ts_buf_puts(&b, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i <= TS_HTTP_RESP_MAX_HEADERS; i++)
        ts_buf_printf(&b, "X-%d: 1\r\n", i);
    ts_buf_puts(&b, "\r\n");
    ts_http_response_parser_init(&p, 100, 0);
    assert_int_equal(ts_http_response_parser_feed(&p, b.data, b.len, &used), TS_ETOOBIG);
    ts_http_response_parser_free(&p);
    ts_buf_free(&b);
    /* a long chunk-size line */
    ts_buf_init(&b, 1 << 20);
    ts_buf_puts(&b, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;");
    for (int i = 0; i < TS_HTTP_RESP_LINE_MAX; i++)
        ts_buf_puts(&b, "e");
    ts_http_response_parser_init(&p, 100, 0);
    assert_int_equal(ts_http_response_parser_feed(&p, b.data, b.len, &used), TS_EPROTO);
    ts_http_response_parser_free(&p);
    ts_buf_free(&b);
    /* a 1 MiB body in 4 KiB pieces */
    size_t body = 1 << 20;
    ts_http_response_parser_init(&p, body, 0);
    ts_buf_init(&b, 64);
    ts_buf_printf(&b, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", body);
    assert_int_equal(ts_http_response_parser_feed(&p, b.data, b.len, &used), TS_HTTP_RESP_AGAIN);
    static char piece[4096];
    memset(piece, 'q', sizeof(piece));
    int rc = TS_HTTP_RESP_AGAIN;
    for (size_t sent = 0; sent < body; sent += sizeof(piece))
        rc = ts_http_response_parser_feed(&p, piece, sizeof(piece), &used);
    assert_int_equal(rc, TS_HTTP_RESP_DONE);
    assert_int_equal(p.body.len, body);
    ts_http_response_parser_free(&p);
    ts_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_all_splits),
        cmocka_unit_test(test_byte_at_a_time),
        cmocka_unit_test(test_eof),
        cmocka_unit_test(test_head_request),
        cmocka_unit_test(test_retry_after_date),
        cmocka_unit_test(test_big_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
