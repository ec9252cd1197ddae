/*
 * http_client.c - HTTP/1.1 client for central (see http_client.h).
 *
 * Requests wait in a FIFO queue and go out one at a time over a single
 * keep-alive connection (a tls_stream), opened when a request needs it.
 * The answer is read with the response parser (http_response.h) under a
 * whole-answer timer. Whatever goes wrong on the way is reported to the
 * request's callback as status 0 with a TS_E* code and a reason; the client
 * never resends a request by itself: after a cut answer only the caller
 * knows whether sending again is safe (the forwarder resends by seq).
 */
#include "http/http_client.h"
#include "core/buf.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "core/error.h"
#include "core/fifo.h"
#include "http/http_response.h"
#include "core/log.h"
#include "crypto/tls_stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEER "central"
#define MAX_REQUEST_HEAD 16384

typedef struct request {
    struct request *next;
    char *wire; /* the whole request: head and body */
    size_t wire_len;
    int is_head; /* a HEAD request: the answer has no body */
    ts_http_client_cb cb;
    void *arg;
} request;

struct ts_http_client {
    uv_loop_t *loop;
    ts_tls_config *tls; /* NULL for insecure_plain */
    char host[256], port[8], host_header[300], prefix[512];
    uint64_t connect_timeout_ms, handshake_timeout_ms, response_timeout_ms;
    size_t max_response_bytes;

    TS_FIFO(request) queue; /* queue.head is in flight when in_flight */
    int in_flight;
    ts_tls_stream *stream; /* the connection, NULL when none */
    int stream_open;       /* connected and handshake done */
    int streams_alive;     /* streams not yet through on_close (old ones included) */
    ts_http_response_parser parser;
    uv_timer_t answer_timer;
    int closing;
    int timer_closed;
};

static void kick(ts_http_client *c);

/* ---- the queue ---- */

static void push(ts_http_client *c, request *r)
{
    TS_FIFO_PUSH(&c->queue, r);
}

static request *pop(ts_http_client *c)
{
    request *r;
    TS_FIFO_POP(&c->queue, r);
    return r;
}

static void request_free(request *r)
{
    free(r->wire);
    free(r);
}

/* Runs r's callback with a transport failure and frees r. */
static void fail_request(request *r, int err, const char *reason)
{
    ts_http_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.err = err;
    resp.body = "";
    resp.retry_after_s = -1;
    snprintf(resp.reason, sizeof(resp.reason), "%s", reason);
    r->cb(r->arg, &resp);
    request_free(r);
}

/* Fails every request in the queue. The queue is detached first, so a
 * callback that queues a new request puts it in a fresh queue. */
static void fail_queue(ts_http_client *c, int err, const char *reason)
{
    request *r;
    TS_FIFO_TAKE_ALL(&c->queue, r);
    while (r) {
        request *next = r->next;
        fail_request(r, err, reason);
        r = next;
    }
}

/* ---- the connection ---- */

static void maybe_free(ts_http_client *c)
{
    if (!c->closing || !c->timer_closed || c->streams_alive > 0)
        return;
    ts_tls_config_free(c->tls);
    free(c);
}

static void drop_connection(ts_http_client *c)
{
    if (!c->stream)
        return;
    ts_tls_stream_close(c->stream);
    c->stream = NULL;
    c->stream_open = 0;
}

/* The request in flight ends without an answer. */
static void fail_in_flight(ts_http_client *c, int err, const char *reason)
{
    if (!c->in_flight)
        return;
    c->in_flight = 0;
    uv_timer_stop(&c->answer_timer);
    ts_http_response_parser_free(&c->parser);
    fail_request(pop(c), err, reason);
}

static void deliver(ts_http_client *c)
{
    /* The answer leaves the client's parser before the callback runs: the
     * callback may well send the next request, which needs the parser. */
    ts_http_response_parser done = c->parser;
    memset(&c->parser, 0, sizeof(c->parser));
    ts_http_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.status = done.status;
    resp.body = done.body.data ? done.body.data : "";
    resp.body_len = done.body.len;
    resp.retry_after_s = done.retry_after_s;
    if (resp.retry_after_s < 0 && done.retry_after_at_ms >= 0) { /* HTTP-date form */
        int64_t wait_ms = done.retry_after_at_ms - ts_wall_ms();
        resp.retry_after_s = wait_ms > 0 ? (wait_ms + 999) / 1000 : 0;
    }
    snprintf(resp.etag, sizeof(resp.etag), "%s", done.etag);

    uv_timer_stop(&c->answer_timer);
    c->in_flight = 0;
    request *r = pop(c);
    r->cb(r->arg, &resp);
    request_free(r);
    ts_http_response_parser_free(&done);
}

static void on_stream_data(ts_tls_stream *s, const char *data, size_t len)
{
    ts_http_client *c = ts_tls_stream_arg(s);
    if (!c->in_flight) { /* nobody asked: the connection is out of step */
        ts_warn("http_client.unexpected_data", "peer=%s bytes=%zu", PEER, len);
        drop_connection(c);
        kick(c);
        return;
    }
    size_t used;
    int rc = ts_http_response_parser_feed(&c->parser, data, len, &used);
    if (rc == TS_HTTP_RESP_AGAIN)
        return;
    if (rc < 0) {
        char reason[160];
        if (rc == TS_ETOOBIG)
            snprintf(reason, sizeof(reason), PEER "'s answer is larger than %zu bytes",
                     c->max_response_bytes);
        else
            snprintf(reason, sizeof(reason), PEER "'s answer is not valid HTTP/1.1");
        drop_connection(c);
        fail_in_flight(c, rc, reason);
        kick(c);
        return;
    }
    /* A keep-alive connection only continues when the answer ended
     * exactly where the bytes did and the server did not say close. */
    int keep = c->parser.keep_alive && used == len;
    if (!keep)
        drop_connection(c);
    deliver(c);
    kick(c);
}

static void on_stream_error(ts_tls_stream *s, int err, const char *reason)
{
    ts_http_client *c = ts_tls_stream_arg(s);
    c->stream = NULL; /* it closes itself */
    c->stream_open = 0;
    ts_debug("http_client.disconnected", "peer=%s reason=\"%s\"", PEER, reason);
    if (c->in_flight) {
        if (err == TS_ECONN && ts_http_response_parser_eof(&c->parser) == TS_HTTP_RESP_DONE) {
            deliver(c); /* the close was the end of a body without length */
        } else {
            char why[256];
            snprintf(why, sizeof(why), "%s %s", reason,
                     ts_http_response_parser_has_head(&c->parser) ? "in the middle of its answer"
                                                                  : "before answering");
            fail_in_flight(c, err, err == TS_ECONN ? why : reason);
        }
    }
    kick(c);
}

static void on_stream_open(ts_tls_stream *s, int err, const char *reason)
{
    ts_http_client *c = ts_tls_stream_arg(s);
    if (err) {
        c->stream = NULL; /* it closes itself */
        ts_debug("http_client.connect_failed", "peer=%s reason=\"%s\"", PEER, reason);
        /* Every queued request would meet the same fate: tell them all
         * now rather than hammer a peer that is not there. */
        fail_queue(c, err, reason);
        return;
    }
    c->stream_open = 1;
    ts_debug("http_client.connected", "peer=%s host=%s port=%s", PEER, c->host, c->port);
    kick(c);
}

static void on_stream_close(ts_tls_stream *s)
{
    ts_http_client *c = ts_tls_stream_arg(s);
    c->streams_alive--;
    maybe_free(c);
}

static void connect_stream(ts_http_client *c)
{
    static const ts_tls_stream_events events = {on_stream_open, on_stream_data, on_stream_error,
                                                on_stream_close};
    ts_tls_stream_options opt = {
        c->host, c->port, c->tls, PEER, c->connect_timeout_ms, c->handshake_timeout_ms};
    int rc = ts_tls_stream_open(&c->stream, c->loop, &opt, &events, c);
    if (rc != 0) {
        fail_queue(c, rc, "cannot start a connection to " PEER);
        return;
    }
    c->streams_alive++;
}

static void on_answer_timeout(uv_timer_t *t)
{
    ts_http_client *c = t->data;
    char reason[128];
    snprintf(reason, sizeof(reason), PEER " did not answer within %llu ms",
             (unsigned long long)c->response_timeout_ms);
    drop_connection(c); /* a late answer must not be taken for the next one */
    fail_in_flight(c, TS_ETIMEDOUT, reason);
    kick(c);
}

static void send_next(ts_http_client *c)
{
    request *r = c->queue.head;
    c->in_flight = 1;
    ts_http_response_parser_init(&c->parser, c->max_response_bytes, r->is_head);
    uv_timer_start(&c->answer_timer, on_answer_timeout, c->response_timeout_ms, 0);
    ts_tls_stream *s = c->stream;
    /* A stream that broke while writing has told on_stream_error already
     * (and c->stream has moved on): act only if it has not. */
    if (ts_tls_stream_write(s, r->wire, r->wire_len) != 0 && c->stream == s) {
        drop_connection(c);
        fail_in_flight(c, TS_ECONN, "cannot send to " PEER);
        kick(c);
    }
}

/* Moves the queue along: connects when needed, sends the next request. */
static void kick(ts_http_client *c)
{
    if (c->closing || c->in_flight || !c->queue.head)
        return;
    if (!c->stream)
        connect_stream(c);
    else if (c->stream_open)
        send_next(c);
}

/* ---- the public side ---- */

/* "https://host:port/prefix" into its parts. */
static int parse_url(ts_http_client *c, const char *url, int *is_https, char *err, size_t errlen)
{
    const char *rest;
    if (strncmp(url, "https://", 8) == 0) {
        *is_https = 1;
        rest = url + 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        *is_https = 0;
        rest = url + 7;
    } else {
        snprintf(err, errlen, "central.url: %s is not an https:// URL", url);
        return TS_EINVAL;
    }
    const char *path = strchr(rest, '/');
    size_t authority_len = path ? (size_t)(path - rest) : strlen(rest);
    const char *host = rest, *colon;
    size_t host_len;
    if (*rest == '[') { /* [v6]:port */
        const char *close = memchr(rest, ']', authority_len);
        if (!close)
            goto bad;
        host = rest + 1;
        host_len = (size_t)(close - host);
        colon = close + 1 < rest + authority_len && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(rest, ':', authority_len);
        host_len = colon ? (size_t)(colon - rest) : authority_len;
    }
    size_t port_len = colon ? (size_t)(rest + authority_len - colon - 1) : 0;
    if (host_len == 0 || host_len >= sizeof(c->host) || (colon && port_len == 0) ||
        port_len >= sizeof(c->port) || authority_len >= sizeof(c->host_header))
        goto bad;
    memcpy(c->host, host, host_len);
    c->host[host_len] = '\0';
    if (colon) {
        memcpy(c->port, colon + 1, port_len);
        c->port[port_len] = '\0';
        if (strspn(c->port, "0123456789") != port_len || atoi(c->port) <= 0 ||
            atoi(c->port) > 65535)
            goto bad;
    } else {
        snprintf(c->port, sizeof(c->port), "%s", *is_https ? "443" : "80");
    }
    memcpy(c->host_header, rest, authority_len);
    c->host_header[authority_len] = '\0';
    size_t path_len = path ? strlen(path) : 0;
    while (path_len && path[path_len - 1] == '/')
        path_len--;
    if (path_len >= sizeof(c->prefix))
        goto bad;
    if (path_len)
        memcpy(c->prefix, path, path_len);
    c->prefix[path_len] = '\0';
    return 0;
bad:
    snprintf(err, errlen, "central.url: cannot read host and port in %s", url);
    return TS_EINVAL;
}

static uint64_t or_default(uint64_t v, uint64_t def)
{
    return v ? v : def;
}

static int load_tls(ts_http_client *c, const ts_http_client_options *opt, char *err, size_t errlen)
{
    if (!opt->ca_file || !opt->cert_file || !opt->key_file) {
        snprintf(err, errlen, "central: ca_file, cert_file and key_file are required");
        return TS_EINVAL;
    }
    ts_tls_config_options t = {opt->ca_file, opt->cert_file, opt->key_file, PEER, "central"};
    return ts_tls_config_new(&c->tls, &t, err, errlen);
}

int ts_http_client_new(ts_http_client **out, uv_loop_t *loop, const ts_http_client_options *opt,
                       char *err, size_t errlen)
{
    *out = NULL;
    ts_http_client *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return TS_ENOMEM;
    }
    int is_https = 0;
    int rc = parse_url(c, opt->url ? opt->url : "", &is_https, err, errlen);
    if (rc == 0 && !is_https && !opt->insecure_plain) {
        snprintf(err, errlen,
                 "central.url: %s is plain http; the uplink needs https:// (plain TCP only "
                 "with central.insecure_plain, for tests)",
                 opt->url);
        rc = TS_EINVAL;
    }
    if (rc == 0 && is_https)
        rc = load_tls(c, opt, err, errlen);
    if (rc != 0) {
        free(c);
        return rc;
    }
    c->loop = loop;
    c->connect_timeout_ms = or_default(opt->connect_timeout_ms, 10000);
    c->handshake_timeout_ms = or_default(opt->handshake_timeout_ms, 10000);
    c->response_timeout_ms = or_default(opt->response_timeout_ms, 30000);
    c->max_response_bytes = opt->max_response_bytes ? opt->max_response_bytes : 1 << 20;
    uv_timer_init(loop, &c->answer_timer);
    c->answer_timer.data = c;
    *out = c;
    return 0;
}

/* No CR or LF where one would end a line early (header injection). */
static int one_line(const char *s)
{
    return s && !strpbrk(s, "\r\n");
}

/* Extra header lines: each "Name: value\r\n", nothing else. */
static int valid_extra_headers(const char *h)
{
    while (h && *h) {
        const char *eol = strstr(h, "\r\n");
        if (!eol || eol == h || memchr(h, '\n', (size_t)(eol - h)) ||
            !memchr(h, ':', (size_t)(eol - h)))
            return 0;
        h = eol + 2;
    }
    return 1;
}

static char *build_request(ts_http_client *c, const char *method, const char *path,
                           const char *extra_headers, const char *content_type, const void *body,
                           size_t body_len, size_t *len)
{
    ts_buf b;
    ts_buf_init(&b, MAX_REQUEST_HEAD + body_len);
    ts_buf_printf(&b, "%s %s%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tillsync/%s\r\n", method,
                  c->prefix, path, c->host_header, TS_VERSION_STRING);
    if (content_type && *content_type)
        ts_buf_printf(&b, "Content-Type: %s\r\n", content_type);
    if (body_len || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
        ts_buf_printf(&b, "Content-Length: %zu\r\n", body_len);
    ts_buf_puts(&b, extra_headers ? extra_headers : "");
    ts_buf_puts(&b, "\r\n");
    if (body_len)
        ts_buf_append(&b, body, body_len);
    if (!ts_buf_ok(&b)) {
        ts_buf_free(&b);
        return NULL;
    }
    return ts_buf_take(&b, len);
}

int ts_http_client_request(ts_http_client *c, const char *method, const char *path,
                           const char *extra_headers, const char *content_type, const void *body,
                           size_t body_len, ts_http_client_cb cb, void *arg)
{
    if (c->closing)
        return TS_ECANCELED;
    if (!cb || !one_line(method) || !*method || strchr(method, ' ') || !one_line(path) ||
        path[0] != '/' || strchr(path, ' ') || (content_type && !one_line(content_type)) ||
        !valid_extra_headers(extra_headers))
        return TS_EINVAL;
    request *r = calloc(1, sizeof(*r));
    if (!r)
        return TS_ENOMEM;
    r->wire =
        build_request(c, method, path, extra_headers, content_type, body, body_len, &r->wire_len);
    if (!r->wire) {
        free(r);
        return TS_ENOMEM;
    }
    r->is_head = strcmp(method, "HEAD") == 0;
    r->cb = cb;
    r->arg = arg;
    push(c, r);
    kick(c);
    return 0;
}

void ts_http_client_reset(ts_http_client *c)
{
    drop_connection(c);
    fail_in_flight(c, TS_ECANCELED, "request canceled: the connection was reset");
    kick(c);
}

int64_t ts_http_client_cert_not_after_ms(const ts_http_client *c)
{
    return ts_tls_config_cert_not_after_ms(c->tls);
}

static void on_timer_closed(uv_handle_t *h)
{
    ts_http_client *c = h->data;
    c->timer_closed = 1;
    maybe_free(c);
}

void ts_http_client_close(ts_http_client *c)
{
    if (!c || c->closing)
        return;
    c->closing = 1;
    drop_connection(c);
    fail_in_flight(c, TS_ECANCELED, "request canceled: the agent is stopping");
    fail_queue(c, TS_ECANCELED, "request canceled: the agent is stopping");
    uv_close((uv_handle_t *)&c->answer_timer, on_timer_closed);
}
