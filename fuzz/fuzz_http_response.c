/*
 * fuzz_http_response.c - libFuzzer target for the HTTP/1.1 response parser
 * (agent/http/http_response.c), the first code that reads what central sends.
 *
 * The first two bytes pick the piece size the answer is fed in (a TLS
 * record can end anywhere) and the body bound; the rest is the wire. The
 * parser must never crash, never read past its input, never hand back more
 * body than the bound, and never claim more bytes used than it was given.
 */
#include "core/error.h"
#include "http/http_response.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t piece = (size_t)data[0] + 1;
    size_t max_body = (size_t)data[1] * 64;
    const char *wire = (const char *)data + 2;
    size_t len = size - 2;

    ts_http_response_parser p;
    ts_http_response_parser_init(&p, max_body, 0);
    int rc = TS_HTTP_RESP_AGAIN;
    for (size_t off = 0; off < len && rc == TS_HTTP_RESP_AGAIN;) {
        size_t n = len - off < piece ? len - off : piece;
        size_t used = 0;
        rc = ts_http_response_parser_feed(&p, wire + off, n, &used);
        if (used > n)
            abort();
        off += rc == TS_HTTP_RESP_AGAIN ? n : used;
    }
    if (rc == TS_HTTP_RESP_AGAIN)
        rc = ts_http_response_parser_eof(&p);
    if (rc == TS_HTTP_RESP_DONE && (p.body.len > max_body || p.status < 200 || p.status > 999))
        abort();
    ts_http_response_parser_free(&p);
    return 0;
}
