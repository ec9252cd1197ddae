/*
 * http_response.h - incremental HTTP/1.1 response parser (no I/O, fuzzable).
 *
 * The HTTP client (http_client.c) feeds it the plaintext it reads, in
 * pieces of any size; the parser says when a whole answer is there. It owns
 * the decoded body (Content-Length, chunked, or read until the connection
 * closes) and the few headers the uplink needs: Connection, Retry-After,
 * ETag. Everything is bounded: the head (status line and headers), the
 * number of headers, chunk-size lines, trailers, and the body. Errors are
 * TS_EPROTO (not HTTP) and TS_ETOOBIG (over a bound).
 */
#ifndef TILLSYNC_HTTP_RESPONSE_H
#define TILLSYNC_HTTP_RESPONSE_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

#define TS_HTTP_RESP_MAX_HEAD 16384 /* status line + headers */
#define TS_HTTP_RESP_MAX_HEADERS 100
#define TS_HTTP_RESP_MAX_TRAILER 8192
#define TS_HTTP_RESP_LINE_MAX 256 /* a chunk-size line */
#define TS_HTTP_RESP_ETAG_MAX 128

enum {
    TS_HTTP_RESP_AGAIN = 0, /* need more bytes */
    TS_HTTP_RESP_DONE = 1   /* a whole answer; *used says how many bytes of this feed */
};

typedef struct ts_http_response_parser {
    /* The answer (valid once feed returned TS_HTTP_RESP_DONE). */
    int status;
    int minor_version;
    int keep_alive;                   /* the connection may carry the next request */
    int64_t retry_after_s;            /* Retry-After in seconds; -1 when absent */
    int64_t retry_after_at_ms;        /* Retry-After as an HTTP-date (wall ms); -1 when absent */
    char etag[TS_HTTP_RESP_ETAG_MAX]; /* as sent, quotes included; "" when absent or too long */
    ts_buf body;                      /* decoded body; body.data may be NULL when empty */

    /* Parser state (private). */
    int state;
    int error;
    int head_request;
    size_t max_body;
    ts_buf head;
    uint64_t remaining; /* bytes left of the Content-Length or of the chunk */
    char line[TS_HTTP_RESP_LINE_MAX];
    size_t line_len;
    size_t trailer_bytes;
} ts_http_response_parser;

/* head_request: the answer is to a HEAD (it has no body whatever it says). */
void ts_http_response_parser_init(ts_http_response_parser *p, size_t max_body, int head_request);
void ts_http_response_parser_free(ts_http_response_parser *p);

/*
 * Feeds len bytes. Returns TS_HTTP_RESP_AGAIN (all used), TS_HTTP_RESP_DONE
 * (*used bytes belong to this answer; the rest do not), or TS_EPROTO /
 * TS_ETOOBIG (the connection is unusable). Interim 1xx answers are skipped.
 */
int ts_http_response_parser_feed(ts_http_response_parser *p, const char *data, size_t len,
                                 size_t *used);

/* The connection closed: TS_HTTP_RESP_DONE when the close ends the answer
 * (a body without length), TS_ECONN when the answer was cut short. */
int ts_http_response_parser_eof(ts_http_response_parser *p);

/* True once the status line and headers are in. */
int ts_http_response_parser_has_head(const ts_http_response_parser *p);

#endif
