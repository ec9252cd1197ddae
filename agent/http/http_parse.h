/*
 * http_parse.h - incremental HTTP/1.1 request parser (no I/O, fuzzable).
 *
 * Feed it the bytes read so far; it says whether a whole request is there,
 * how many bytes it used, or why the request is bad. It never allocates:
 * the request's strings point into the caller's buffer. It keeps no state
 * between calls (each call scans from the start), so a request split at any
 * byte gives the same answer as the whole; an error in the bytes so far is
 * reported at once, without waiting for the rest.
 *
 * Strict by design (RFC 9112), so that nothing between the till and the
 * agent can read a request differently than we do:
 * - lines end in CRLF; a bare LF or CR is a bad request (not tolerated);
 * - request line is METHOD SP origin-form-target SP HTTP/1.x, one space each;
 *   another major version is UNSUPPORTED (505);
 * - header names are tokens, no space before the colon, no obsolete line
 *   folding; values may hold SP, HTAB, visible and non-ASCII bytes and are
 *   trimmed of surrounding white space;
 * - HTTP/1.1 needs exactly one Host header (HTTP/1.0: at most one);
 * - the body is framed by Content-Length only: digits only, repeated headers
 *   must agree, a value that overflows is bad; any Transfer-Encoding is
 *   UNSUPPORTED (501); a Content-Length over body_limit is TOO_LARGE_BODY as
 *   soon as the headers are complete, before any body byte arrives;
 * - request line plus headers at most TS_HTTP_MAX_HEADER_BYTES, at most
 *   TS_HTTP_MAX_HEADERS header lines, else TOO_LARGE_HEADERS.
 * keep_alive: HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
 * "Connection: keep-alive".
 *
 * Also here: percent-decoding of a path segment and a bounded iterator over
 * query parameters (for GET /v1/items/{sku} and /v1/items?sku=A&sku=B).
 */
#ifndef TILLSYNC_HTTP_PARSE_H
#define TILLSYNC_HTTP_PARSE_H

#include <stddef.h>

#define TS_HTTP_MAX_HEADER_BYTES 16384 /* request line + headers: 200 SKUs in a query fit */
#define TS_HTTP_MAX_BODY_BYTES (256 * 1024)
#define TS_HTTP_MAX_HEADERS 64

typedef struct ts_str {
    const char *p;
    size_t len;
} ts_str;

typedef struct ts_http_header {
    ts_str name;
    ts_str value;
} ts_http_header;

typedef struct ts_http_request {
    ts_str method;
    ts_str target;     /* as sent: path plus ?query */
    ts_str path;       /* target up to '?' (not decoded) */
    ts_str query;      /* after '?', may be empty */
    int minor_version; /* HTTP/1.x */
    ts_http_header headers[TS_HTTP_MAX_HEADERS];
    size_t n_headers;
    int keep_alive;       /* per version and Connection header */
    ts_str content_type;  /* empty when absent */
    ts_str authorization; /* empty when absent */
    const char *body;
    size_t body_len;
    /* Set as soon as the headers are complete, also when the result is AGAIN
     * because body bytes are still missing (the server answers
     * "Expect: 100-continue" then). */
    size_t head_len;       /* request line + headers + blank line; 0 before */
    size_t content_length; /* declared body size, 0 when absent */
    int expect_continue;   /* HTTP/1.1 "Expect: 100-continue" */
    /* When the result is an error: the status to answer (400, 413, 431, 501
     * or 505) and why, in words fit for a log line or an error message (a
     * static string without quotes or backslashes). */
    int error_status;
    const char *error;
} ts_http_request;

typedef enum {
    TS_HTTP_PARSE_DONE = 0,               /* a whole request; *used bytes consumed */
    TS_HTTP_PARSE_AGAIN = 1,              /* need more bytes */
    TS_HTTP_PARSE_BAD = -1,               /* malformed: answer 400 and close */
    TS_HTTP_PARSE_TOO_LARGE_HEADERS = -2, /* answer 431 and close */
    TS_HTTP_PARSE_TOO_LARGE_BODY = -3,    /* answer 413 and close */
    TS_HTTP_PARSE_UNSUPPORTED = -4        /* e.g. chunked request body, bad version: 501/505 */
} ts_http_parse_result;

/* body_limit: the largest body accepted (TS_HTTP_MAX_BODY_BYTES or less). */
ts_http_parse_result ts_http_parse_request(const char *buf, size_t len, size_t body_limit,
                                           ts_http_request *req, size_t *used);

/* Case-insensitive header lookup; returns NULL when absent. */
const ts_str *ts_http_header_get(const ts_http_request *req, const char *name);
/* Exact, case-sensitive compare of a ts_str with a C string. */
int ts_str_eq(ts_str s, const char *c);
/* Case-insensitive (ASCII) compare of a ts_str with a C string. */
int ts_str_ieq(ts_str s, const char *c);

/*
 * Percent-decodes one path segment (e.g. the {sku} of /v1/items/{sku}) into
 * out, NUL-terminated; '+' stays '+'. Returns 0, TS_EINVAL for a bad escape,
 * a '/' or a decoded NUL, or TS_ETOOBIG when the result plus its NUL does not
 * fit in cap bytes. *out_len (may be NULL) gets the decoded length.
 */
int ts_http_decode_segment(ts_str segment, char *out, size_t cap, size_t *out_len);

/*
 * Query parameters, one at a time, decoded ('+' is a space, %XX a byte):
 *
 *     ts_http_query_iter it;
 *     ts_http_query_param p;
 *     int rc;
 *     ts_http_query_init(&it, req->query);
 *     while ((rc = ts_http_query_next(&it, &p)) == 1)
 *         if (strcmp(p.name, "sku") == 0) ... p.value, p.value_len ...
 *     if (rc < 0) ... 400 ...
 *
 * Empty pairs ("a=1&&b=2") are skipped; a pair without '=' has an empty
 * value. Bounds: a name up to TS_HTTP_QUERY_NAME_MAX - 1 bytes, a value up to
 * TS_HTTP_QUERY_VALUE_MAX - 1 bytes, at most TS_HTTP_QUERY_MAX_PARAMS pairs.
 * Endpoints put their own, smaller bounds on top (e.g. 200 SKUs).
 */
#define TS_HTTP_QUERY_NAME_MAX 64
#define TS_HTTP_QUERY_VALUE_MAX 512
#define TS_HTTP_QUERY_MAX_PARAMS 512

typedef struct ts_http_query_iter {
    ts_str rest;  /* what is left of the query */
    size_t count; /* pairs returned so far */
} ts_http_query_iter;

typedef struct ts_http_query_param {
    char name[TS_HTTP_QUERY_NAME_MAX]; /* decoded, NUL-terminated */
    size_t name_len;
    char value[TS_HTTP_QUERY_VALUE_MAX]; /* decoded, NUL-terminated */
    size_t value_len;
} ts_http_query_param;

void ts_http_query_init(ts_http_query_iter *it, ts_str query);
/* 1: *out holds the next pair; 0: no more; TS_EINVAL: a bad escape or a
 * decoded NUL; TS_ETOOBIG: a name or value over its bound, or more than
 * TS_HTTP_QUERY_MAX_PARAMS pairs. After an error the iterator stays at end. */
int ts_http_query_next(ts_http_query_iter *it, ts_http_query_param *out);

#endif
