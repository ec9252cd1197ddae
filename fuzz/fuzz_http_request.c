/*
 * fuzz_http_request.c - arbitrary bytes into the HTTP request parser and the
 * query and path-segment decoders.
 *
 * Besides memory errors (run with ASan), it checks what the server relies
 * on: every string of the request lies inside the input, the used bytes add
 * up, an error says which status to answer, and a prefix of the input never
 * gives an answer the whole input contradicts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_parse.h"

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void require_inside(ts_str s, const char *buf, size_t len)
{
    if (s.len == 0)
        return;
    REQUIRE(s.p >= buf && s.p + s.len <= buf + len);
}

static void check_request(const ts_http_request *req, const char *buf, size_t len,
                          ts_http_parse_result rc, size_t used, size_t limit)
{
    size_t i;

    if (rc < 0) {
        REQUIRE(req->error != NULL);
        REQUIRE(req->error_status == 400 || req->error_status == 413 || req->error_status == 431 ||
                req->error_status == 501 || req->error_status == 505);
        return;
    }
    if (rc == TS_HTTP_PARSE_AGAIN && req->head_len == 0)
        return;
    REQUIRE(req->head_len <= len && req->head_len <= TS_HTTP_MAX_HEADER_BYTES);
    REQUIRE(req->content_length <= limit);
    REQUIRE(req->n_headers <= TS_HTTP_MAX_HEADERS);
    require_inside(req->method, buf, req->head_len);
    require_inside(req->target, buf, req->head_len);
    require_inside(req->path, buf, req->head_len);
    require_inside(req->query, buf, req->head_len);
    require_inside(req->content_type, buf, req->head_len);
    require_inside(req->authorization, buf, req->head_len);
    REQUIRE(req->method.len > 0 && req->target.len > 0 && req->target.p[0] == '/');
    for (i = 0; i < req->n_headers; i++) {
        require_inside(req->headers[i].name, buf, req->head_len);
        require_inside(req->headers[i].value, buf, req->head_len);
        REQUIRE(req->headers[i].name.len > 0);
    }
    if (rc == TS_HTTP_PARSE_DONE) {
        REQUIRE(used == req->head_len + req->body_len && used <= len);
        REQUIRE(req->body == buf + req->head_len);
    }
}

static void decode_query(ts_str query)
{
    ts_http_query_iter it;
    ts_http_query_param p;
    int rc;

    ts_http_query_init(&it, query);
    while ((rc = ts_http_query_next(&it, &p)) == 1) {
        REQUIRE(p.name_len < sizeof p.name && p.name[p.name_len] == '\0');
        REQUIRE(p.value_len < sizeof p.value && p.value[p.value_len] == '\0');
        REQUIRE(strlen(p.value) == p.value_len); /* no NUL inside */
    }
    REQUIRE(rc == 0 || rc < 0);
    REQUIRE(ts_http_query_next(&it, &p) == 0);
}

static void decode_segments(ts_str path)
{
    char out[128];
    size_t i = 0, n;

    while (i < path.len) {
        size_t start = ++i; /* skip the '/' */
        while (i < path.len && path.p[i] != '/')
            i++;
        if (ts_http_decode_segment((ts_str){path.p + start, i - start}, out, sizeof out, &n) == 0)
            REQUIRE(n < sizeof out && out[n] == '\0' && strlen(out) == n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t limit, used, used2, split;
    ts_http_request req, req2;
    ts_http_parse_result rc, rc2;

    /* The first byte picks the body limit, the rest is the request. */
    if (size < 1)
        return 0;
    limit = (size_t)data[0] * 64;
    buf++;
    size--;

    rc = ts_http_parse_request(buf, size, limit, &req, &used);
    check_request(&req, buf, size, rc, used, limit);

    /* A prefix: AGAIN, or the same error early, or (DONE) the same request. */
    split = size / 2;
    rc2 = ts_http_parse_request(buf, split, limit, &req2, &used2);
    check_request(&req2, buf, split, rc2, used2, limit);
    if (rc2 != TS_HTTP_PARSE_AGAIN)
        REQUIRE(rc2 == rc && (rc != TS_HTTP_PARSE_DONE || used2 == used));

    if (rc == TS_HTTP_PARSE_DONE) {
        decode_query(req.query);
        decode_segments(req.path);
    }
    /* The decoders on raw bytes too (they must not rely on the parser). */
    decode_query((ts_str){buf, size});
    decode_segments((ts_str){buf, size});
    return 0;
}
