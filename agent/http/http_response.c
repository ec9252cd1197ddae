/*
 * http_response.c - incremental HTTP/1.1 response parser (see
 * http_response.h). A small state machine: the head is collected whole
 * (bounded) and parsed at once; the body is decoded as it streams in.
 */
#include "core/strutil.h"
#include "http/http_response.h"
#include "core/clock.h"
#include "core/error.h"

#include <stdio.h>
#include <string.h>

enum state {
    ST_HEAD,        /* collecting the status line and headers */
    ST_LENGTH,      /* body of Content-Length bytes */
    ST_CHUNK_SIZE,  /* a chunk-size line */
    ST_CHUNK_DATA,  /* chunk bytes */
    ST_CHUNK_END,   /* the CRLF after a chunk */
    ST_TRAILER,     /* trailer lines after the last chunk */
    ST_UNTIL_CLOSE, /* body ends when the connection does */
    ST_DONE,
    ST_ERROR
};

/* Largest Content-Length or chunk size we even try to parse (15 digits). */
#define MAX_SIZE_DIGITS 15

static void reset_answer(ts_http_response_parser *p)
{
    p->status = 0;
    p->minor_version = 1;
    p->keep_alive = 1;
    p->retry_after_s = -1;
    p->retry_after_at_ms = -1;
    p->etag[0] = '\0';
    ts_buf_reset(&p->head);
    ts_buf_reset(&p->body);
    p->remaining = 0;
    p->line_len = 0;
    p->trailer_bytes = 0;
    p->state = ST_HEAD;
}

void ts_http_response_parser_init(ts_http_response_parser *p, size_t max_body, int head_request)
{
    memset(p, 0, sizeof(*p));
    ts_buf_init(&p->head, TS_HTTP_RESP_MAX_HEAD);
    ts_buf_init(&p->body, max_body);
    p->max_body = max_body;
    p->head_request = head_request;
    reset_answer(p);
}

void ts_http_response_parser_free(ts_http_response_parser *p)
{
    ts_buf_free(&p->head);
    ts_buf_free(&p->body);
}

int ts_http_response_parser_has_head(const ts_http_response_parser *p)
{
    return p->state != ST_HEAD && p->state != ST_ERROR;
}

static int fail(ts_http_response_parser *p, int err)
{
    p->state = ST_ERROR;
    p->error = err;
    return err;
}

/* ---- small text helpers over (pointer, length) ---- */

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return 0;
    for (size_t i = 0; i < alen; i++)
        if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
            return 0;
    return 1;
}

static void trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

static int is_tchar(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Decimal digits only, at most MAX_SIZE_DIGITS; 0 or -1. */
static int parse_decimal(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > MAX_SIZE_DIGITS)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* ---- headers the client cares about ---- */

/* Retry-After's HTTP-date form, IMF-fixdate only: "Sun, 06 Nov 1994 08:49:37 GMT". */
static int parse_http_date(const char *s, size_t len, int64_t *wall_ms)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char text[64], wday[4], mon[4];
    int day, year, hh, mm, ss, end = 0;
    if (len >= sizeof(text))
        return -1;
    memcpy(text, s, len);
    text[len] = '\0';
    if (sscanf(text, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n", wday, &day, mon, &year,
               &hh, &mm, &ss, &end) != 7 ||
        (size_t)end != len)
        return -1;
    const char *m = strlen(mon) == 3 ? strstr(months, mon) : NULL;
    if (!m || (m - months) % 3 != 0 || day < 1 || day > 31 || year < 1970 || hh < 0 || hh > 23 ||
        mm < 0 || mm > 59 || ss < 0 || ss > 60)
        return -1;
    int64_t days = ts_days_from_civil(year, (unsigned)((m - months) / 3 + 1), (unsigned)day);
    *wall_ms = (((days * 24 + hh) * 60 + mm) * 60 + ss) * 1000;
    return 0;
}

static void parse_retry_after(ts_http_response_parser *p, const char *v, size_t len)
{
    uint64_t secs;
    if (parse_decimal(v, len, &secs) == 0)
        p->retry_after_s = (int64_t)secs;
    else if (parse_http_date(v, len, &p->retry_after_at_ms) != 0)
        p->retry_after_at_ms = -1; /* neither form: ignored */
}

/* Connection: a comma-separated list of tokens. */
static void parse_connection(ts_http_response_parser *p, const char *v, size_t len,
                             int *saw_keep_alive)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && v[j] != ',')
            j++;
        const char *tok = v + i;
        size_t tlen = j - i;
        trim(&tok, &tlen);
        if (ieq(tok, tlen, "close"))
            p->keep_alive = 0;
        else if (ieq(tok, tlen, "keep-alive"))
            *saw_keep_alive = 1;
        i = j + 1;
    }
}

/* What the headers say about the body. */
typedef struct framing {
    int chunked;
    int has_length;
    uint64_t length;
    int saw_keep_alive;
} framing;

static int parse_header(ts_http_response_parser *p, const char *line, size_t len, framing *f)
{
    const char *colon = memchr(line, ':', len);
    if (!colon || colon == line)
        return TS_EPROTO;
    size_t nlen = (size_t)(colon - line);
    for (size_t i = 0; i < nlen; i++)
        if (!is_tchar((unsigned char)line[i]))
            return TS_EPROTO;
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
    trim(&v, &vlen);
    for (size_t i = 0; i < vlen; i++)
        if ((unsigned char)v[i] < 0x20 && v[i] != '\t')
            return TS_EPROTO;

    if (ieq(line, nlen, "content-length")) {
        uint64_t n;
        if (parse_decimal(v, vlen, &n) != 0 || (f->has_length && f->length != n))
            return TS_EPROTO;
        f->has_length = 1;
        f->length = n;
    } else if (ieq(line, nlen, "transfer-encoding")) {
        /* We ask for no content coding: "chunked" is the only one allowed. */
        if (!ieq(v, vlen, "chunked") || f->chunked)
            return TS_EPROTO;
        f->chunked = 1;
    } else if (ieq(line, nlen, "connection")) {
        parse_connection(p, v, vlen, &f->saw_keep_alive);
    } else if (ieq(line, nlen, "retry-after")) {
        parse_retry_after(p, v, vlen);
    } else if (ieq(line, nlen, "etag")) {
        if (vlen < sizeof(p->etag)) {
            memcpy(p->etag, v, vlen);
            p->etag[vlen] = '\0';
        }
    }
    return 0;
}

/* "HTTP/1.1 200 OK" (the reason phrase may be empty or absent). */
static int parse_status_line(ts_http_response_parser *p, const char *line, size_t len)
{
    if (len < 12 || memcmp(line, "HTTP/1.", 7) != 0 || (line[7] != '0' && line[7] != '1') ||
        line[8] != ' ')
        return TS_EPROTO;
    for (int i = 9; i < 12; i++)
        if (line[i] < '0' || line[i] > '9')
            return TS_EPROTO;
    if (len > 12 && line[12] != ' ')
        return TS_EPROTO;
    p->minor_version = line[7] - '0';
    p->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (p->status < 100)
        return TS_EPROTO;
    return 0;
}

/* Next line of the head: [*pos, end) up to '\n', without the '\r'. */
static int next_line(const char *head, size_t end, size_t *pos, const char **line, size_t *len)
{
    if (*pos >= end)
        return 0;
    const char *start = head + *pos;
    const char *nl = memchr(start, '\n', end - *pos);
    size_t n = nl ? (size_t)(nl - start) : end - *pos;
    *pos += n + (nl ? 1 : 0);
    if (n && start[n - 1] == '\r')
        n--;
    *line = start;
    *len = n;
    return 1;
}

/* Picks the body's framing once the head is parsed. */
static int start_body(ts_http_response_parser *p, const framing *f)
{
    if (p->minor_version == 0 && !f->saw_keep_alive)
        p->keep_alive = 0;
    if (p->head_request || p->status == 204 || p->status == 304) {
        p->state = ST_DONE;
        return 0;
    }
    if (f->chunked) {
        p->state = ST_CHUNK_SIZE;
        p->line_len = 0;
    } else if (f->has_length) {
        if (f->length > p->max_body)
            return TS_ETOOBIG;
        p->remaining = f->length;
        p->state = f->length ? ST_LENGTH : ST_DONE;
    } else {
        p->keep_alive = 0; /* only the close can end it */
        p->state = ST_UNTIL_CLOSE;
    }
    return 0;
}

static int parse_head(ts_http_response_parser *p)
{
    const char *head = p->head.data, *line;
    size_t end = p->head.len, pos = 0, len, n_headers = 0;
    framing f = {0};
    if (!next_line(head, end, &pos, &line, &len) || parse_status_line(p, line, len) != 0)
        return TS_EPROTO;
    while (next_line(head, end, &pos, &line, &len) && len > 0) {
        if (line[0] == ' ' || line[0] == '\t')
            return TS_EPROTO; /* obsolete line folding */
        if (++n_headers > TS_HTTP_RESP_MAX_HEADERS)
            return TS_ETOOBIG;
        int rc = parse_header(p, line, len, &f);
        if (rc != 0)
            return rc;
    }
    if (p->status == 101)
        return TS_EPROTO; /* we never ask to switch protocols */
    return start_body(p, &f);
}

/* ---- the states ---- */

/* Collects the head byte by byte (heads are small) until the empty line. */
static int feed_head(ts_http_response_parser *p, const char *data, size_t len, size_t *i)
{
    while (*i < len) {
        char c = data[(*i)++];
        if (p->head.len == 0 && (c == '\r' || c == '\n'))
            continue; /* stray empty lines before an answer are tolerated */
        if (p->head.len >= TS_HTTP_RESP_MAX_HEAD)
            return TS_ETOOBIG;
        ts_buf_append(&p->head, &c, 1);
        if (!ts_buf_ok(&p->head))
            return TS_ENOMEM;
        const char *h = p->head.data;
        size_t n = p->head.len;
        if (c == '\n' &&
            ((n >= 2 && h[n - 2] == '\n') || (n >= 3 && memcmp(h + n - 3, "\n\r\n", 3) == 0))) {
            int rc = parse_head(p);
            if (rc != 0)
                return rc;
            if (p->status < 200) { /* interim answer: the real one follows */
                int head_request = p->head_request;
                reset_answer(p);
                p->head_request = head_request;
                continue;
            }
            return 0;
        }
    }
    return 0;
}

static int append_body(ts_http_response_parser *p, const char *data, size_t n)
{
    if (n > p->max_body - p->body.len)
        return TS_ETOOBIG;
    ts_buf_append(&p->body, data, n);
    return ts_buf_ok(&p->body) ? 0 : TS_ENOMEM;
}

/* Copies up to p->remaining bytes of body. */
static int feed_counted(ts_http_response_parser *p, const char *data, size_t len, size_t *i)
{
    size_t n = len - *i;
    if (n > p->remaining)
        n = (size_t)p->remaining;
    int rc = append_body(p, data + *i, n);
    if (rc != 0)
        return rc;
    *i += n;
    p->remaining -= n;
    return 0;
}

/* Collects one line (chunk size, chunk end, trailer); 1 when complete. */
static int collect_line(ts_http_response_parser *p, const char *data, size_t len, size_t *i,
                        int *rc)
{
    while (*i < len) {
        char c = data[(*i)++];
        if (c == '\n') {
            if (p->line_len && p->line[p->line_len - 1] == '\r')
                p->line_len--;
            return 1;
        }
        if (p->line_len >= sizeof(p->line)) {
            *rc = TS_EPROTO;
            return 0;
        }
        p->line[p->line_len++] = c;
    }
    return 0;
}

/* "1a3f" [ws] [";" extensions] */
static int parse_chunk_size(const char *line, size_t len, uint64_t *size)
{
    size_t i = 0;
    uint64_t v = 0;
    for (; i < len && ts_hex_digit(line[i]) >= 0; i++) {
        if (i >= MAX_SIZE_DIGITS)
            return -1;
        v = v * 16 + (uint64_t)ts_hex_digit(line[i]);
    }
    if (i == 0)
        return -1;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i < len && line[i] != ';')
        return -1;
    *size = v;
    return 0;
}

static int on_chunk_size_line(ts_http_response_parser *p)
{
    uint64_t size;
    if (parse_chunk_size(p->line, p->line_len, &size) != 0)
        return TS_EPROTO;
    p->line_len = 0;
    if (size == 0) {
        p->state = ST_TRAILER;
        return 0;
    }
    if (size > p->max_body - p->body.len)
        return TS_ETOOBIG;
    p->remaining = size;
    p->state = ST_CHUNK_DATA;
    return 0;
}

static int on_trailer_line(ts_http_response_parser *p)
{
    p->trailer_bytes += p->line_len + 2;
    if (p->trailer_bytes > TS_HTTP_RESP_MAX_TRAILER)
        return TS_ETOOBIG;
    if (p->line_len == 0)
        p->state = ST_DONE;
    p->line_len = 0; /* trailer fields are ignored */
    return 0;
}

/* Runs the machine over data until it needs more, finishes, or fails. */
static int step(ts_http_response_parser *p, const char *data, size_t len, size_t *i)
{
    int rc = 0;
    switch (p->state) {
    case ST_HEAD:
        return feed_head(p, data, len, i);
    case ST_LENGTH:
        rc = feed_counted(p, data, len, i);
        if (rc == 0 && p->remaining == 0)
            p->state = ST_DONE;
        return rc;
    case ST_CHUNK_DATA:
        rc = feed_counted(p, data, len, i);
        if (rc == 0 && p->remaining == 0)
            p->state = ST_CHUNK_END;
        return rc;
    case ST_UNTIL_CLOSE:
        rc = append_body(p, data + *i, len - *i);
        *i = len;
        return rc;
    case ST_CHUNK_SIZE:
        if (collect_line(p, data, len, i, &rc))
            rc = on_chunk_size_line(p);
        return rc;
    case ST_CHUNK_END:
        if (collect_line(p, data, len, i, &rc)) {
            if (p->line_len != 0)
                return TS_EPROTO;
            p->state = ST_CHUNK_SIZE;
        }
        return rc;
    case ST_TRAILER:
        if (collect_line(p, data, len, i, &rc))
            rc = on_trailer_line(p);
        return rc;
    default:
        return 0;
    }
}

int ts_http_response_parser_feed(ts_http_response_parser *p, const char *data, size_t len,
                                 size_t *used)
{
    size_t i = 0;
    *used = 0;
    if (p->state == ST_ERROR)
        return p->error;
    while (p->state != ST_DONE && i < len) {
        int rc = step(p, data, len, &i);
        if (rc != 0)
            return fail(p, rc);
    }
    *used = i;
    return p->state == ST_DONE ? TS_HTTP_RESP_DONE : TS_HTTP_RESP_AGAIN;
}

int ts_http_response_parser_eof(ts_http_response_parser *p)
{
    if (p->state == ST_UNTIL_CLOSE)
        p->state = ST_DONE;
    return p->state == ST_DONE ? TS_HTTP_RESP_DONE : TS_ECONN;
}
