/*
 * tls_stream.c - libuv TCP plus the TLS engine (see tls_stream.h).
 *
 * The engine works on memory: what uv reads is fed to it, what it wants to
 * send is taken out and handed to uv_write. Handshake and reads are simply
 * retried whenever new ciphertext arrives, so nothing here ever waits.
 */
#include "crypto/tls_stream.h"
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum phase { PH_CONNECTING, PH_HANDSHAKE, PH_OPEN };

#define READ_BUF_BYTES 65536
#define PLAIN_BUF_BYTES 16384

struct ts_tls_stream {
    uv_loop_t *loop;
    uv_getaddrinfo_t resolver;
    uv_connect_t connector;
    uv_tcp_t tcp;
    uv_timer_t timer; /* connect, then handshake time-out */
    ts_tls_config *tls_cfg;
    ts_tls_session *tls;
    ts_tls_stream_events ev;
    void *arg;
    enum phase phase;
    int closing;
    int resolving;    /* a getaddrinfo is in the thread pool */
    int tcp_started;  /* tcp handle initialised */
    int handles_open; /* handles not yet through their close callback */
    int early_err;    /* uv error of a connect that failed at once */
    int user_closed;  /* ts_tls_stream_close() was called */
    int heard;        /* bytes came from the peer after the handshake */
    uint64_t connect_timeout_ms, handshake_timeout_ms;
    char host[256], port[8], peer[32];
    char read_buf[READ_BUF_BYTES];
    char plain[PLAIN_BUF_BYTES];
};

typedef struct write_req {
    uv_write_t req;
    ts_tls_stream *stream;
    char *data;
} write_req;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static const char *
words(char buf[256], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, 256, fmt, ap);
    va_end(ap);
    return buf;
}

/* ---- closing: every handle and request must be back before free ---- */

static void maybe_free(ts_tls_stream *s)
{
    if (!s->closing || s->handles_open > 0 || s->resolving)
        return;
    s->ev.on_close(s);
    ts_tls_session_free(s->tls);
    free(s);
}

static void on_handle_closed(uv_handle_t *h)
{
    ts_tls_stream *s = h->data;
    s->handles_open--;
    maybe_free(s);
}

static void write_raw(ts_tls_stream *s, char *data, size_t len);
static void flush_tls_output(ts_tls_stream *s);
static void on_timeout(uv_timer_t *t);
static int refused_late(ts_tls_stream *s, const char *what, char buf[256]);

static void begin_close(ts_tls_stream *s)
{
    if (s->closing)
        return;
    s->closing = 1;
    if (s->resolving)
        uv_cancel((uv_req_t *)&s->resolver);
    if (s->tcp_started) {
        s->handles_open++;
        uv_close((uv_handle_t *)&s->tcp, on_handle_closed);
    }
    s->handles_open++;
    uv_close((uv_handle_t *)&s->timer, on_handle_closed);
}

void ts_tls_stream_close(ts_tls_stream *s)
{
    if (s->closing)
        return;
    s->user_closed = 1; /* from here on, no callback but on_close */
    if (s->phase == PH_OPEN && s->tls) {
        /* Say goodbye, best effort: libuv tries a write at once, before
         * the close below cancels what is still queued. */
        ts_tls_close_notify(s->tls);
        flush_tls_output(s);
    }
    begin_close(s);
}

void *ts_tls_stream_arg(const ts_tls_stream *s)
{
    return s->arg;
}

/* A failure: close first (so the user may call close again), then tell. */
static void fail(ts_tls_stream *s, int err, const char *reason)
{
    if (s->closing)
        return;
    begin_close(s);
    if (s->user_closed)
        return;
    if (s->phase == PH_OPEN)
        s->ev.on_error(s, err, reason);
    else
        s->ev.on_open(s, err, reason);
}

/* ---- writing ---- */

static void on_written(uv_write_t *req, int status)
{
    write_req *w = (write_req *)req;
    ts_tls_stream *s = w->stream;
    free(w->data);
    free(w);
    if (status < 0 && status != UV_ECANCELED) {
        char buf[256];
        if (refused_late(s, uv_strerror(status), buf))
            fail(s, TS_ETLS, buf);
        else
            fail(s, TS_ECONN, words(buf, "cannot send to %s: %s", s->peer, uv_strerror(status)));
    }
}

/* Takes ownership of data. */
static void write_raw(ts_tls_stream *s, char *data, size_t len)
{
    if (!data || len == 0 || s->closing) {
        free(data);
        return;
    }
    write_req *w = malloc(sizeof(*w));
    if (!w) {
        free(data);
        fail(s, TS_ENOMEM, "out of memory");
        return;
    }
    w->stream = s;
    w->data = data;
    uv_buf_t b = uv_buf_init(data, (unsigned)len);
    int rc = uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, on_written);
    if (rc < 0) {
        char buf[256];
        free(data);
        free(w);
        fail(s, TS_ECONN, words(buf, "cannot send to %s: %s", s->peer, uv_strerror(rc)));
    }
}

static void flush_tls_output(ts_tls_stream *s)
{
    char *data;
    size_t len;
    ts_tls_take_output(s->tls, &data, &len);
    write_raw(s, data, len);
}

int ts_tls_stream_write(ts_tls_stream *s, const void *data, size_t len)
{
    if (s->closing || s->phase != PH_OPEN)
        return TS_ECONN;
    if (s->tls) {
        int rc = ts_tls_write(s->tls, data, len);
        if (rc != 0) {
            fail(s, rc, ts_tls_reason(s->tls));
            return rc;
        }
        flush_tls_output(s);
        return 0;
    }
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return TS_ENOMEM;
    memcpy(copy, data, len);
    write_raw(s, copy, len);
    return 0;
}

/* ---- reading ---- */

static void opened(ts_tls_stream *s)
{
    s->phase = PH_OPEN;
    uv_timer_stop(&s->timer);
    s->ev.on_open(s, 0, "");
}

/* Decrypts and hands over all the plaintext there is. */
static void drain_plaintext(ts_tls_stream *s)
{
    while (!s->closing) {
        size_t got;
        int rc = ts_tls_read(s->tls, s->plain, sizeof(s->plain), &got);
        flush_tls_output(s);
        if (rc != 0) {
            fail(s, rc, ts_tls_reason(s->tls));
            return;
        }
        if (got == 0)
            return;
        s->ev.on_data(s, s->plain, got);
    }
}

static void drive_handshake(ts_tls_stream *s)
{
    int done;
    int rc = ts_tls_handshake(s->tls, &done);
    flush_tls_output(s);
    if (rc != 0) {
        fail(s, rc, ts_tls_reason(s->tls));
        return;
    }
    if (!done || s->closing)
        return;
    opened(s);
    drain_plaintext(s); /* application data may have come with the last flight */
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    ts_tls_stream *s = h->data;
    *buf = uv_buf_init(s->read_buf, sizeof(s->read_buf));
}

/* TLS 1.3 lets a client finish its handshake before the server has checked
 * the client's certificate. A server that refuses it sends an alert and
 * closes, and the reset our request then meets can destroy that alert in
 * flight. So a connection that dies before the peer said anything after a
 * TLS 1.3 handshake is reported as the refusal it almost always is. */
static int refused_late(ts_tls_stream *s, const char *what, char buf[256])
{
    if (s->phase != PH_OPEN || s->heard || !s->tls || !ts_tls_is_tls13(s->tls))
        return 0;
    words(buf,
          "%s refused our client certificate, it seems: it closed the connection right "
          "after the TLS 1.3 handshake (%s)",
          s->peer, what);
    return 1;
}

static void on_read_failed(ts_tls_stream *s, ssize_t nread)
{
    char buf[256];
    if (refused_late(s, nread == UV_EOF ? "no alert" : uv_strerror((int)nread), buf))
        fail(s, TS_ETLS, buf);
    else if (s->phase == PH_HANDSHAKE)
        fail(s, TS_ETLS,
             words(buf, "%s closed the connection during the TLS handshake (%s)", s->peer,
                   nread == UV_EOF ? "no alert" : uv_strerror((int)nread)));
    else if (nread == UV_EOF)
        fail(s, TS_ECONN, words(buf, "%s closed the connection", s->peer));
    else if (nread == UV_ECONNRESET)
        fail(s, TS_ECONN, words(buf, "connection reset by %s", s->peer));
    else
        fail(s, TS_ECONN,
             words(buf, "connection to %s broke: %s", s->peer, uv_strerror((int)nread)));
}

static void on_read(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
    ts_tls_stream *s = h->data;
    if (s->closing || nread == 0)
        return;
    if (nread < 0) {
        on_read_failed(s, nread);
        return;
    }
    if (!s->tls) {
        s->ev.on_data(s, buf->base, (size_t)nread);
        return;
    }
    if (s->phase == PH_OPEN)
        s->heard = 1;
    int rc = ts_tls_feed(s->tls, buf->base, (size_t)nread);
    if (rc != 0) {
        fail(s, rc, "TLS input from the peer is over its bound");
        return;
    }
    if (s->phase == PH_HANDSHAKE)
        drive_handshake(s);
    else
        drain_plaintext(s);
}

/* ---- connecting ---- */

static const char *connect_words(ts_tls_stream *s, int status, char buf[256])
{
    switch (status) {
    case UV_ECONNREFUSED:
        return words(buf, "connection refused by %s at %s:%s", s->peer, s->host, s->port);
    case UV_ETIMEDOUT:
        return words(buf, "timed out connecting to %s at %s:%s", s->peer, s->host, s->port);
    case UV_ENETUNREACH:
    case UV_EHOSTUNREACH:
        return words(buf, "no route to %s at %s:%s", s->peer, s->host, s->port);
    default:
        return words(buf, "cannot connect to %s at %s:%s: %s", s->peer, s->host, s->port,
                     uv_strerror(status));
    }
}

static void on_connected(uv_connect_t *req, int status)
{
    ts_tls_stream *s = req->data;
    char buf[256];
    if (s->closing)
        return;
    if (status < 0) {
        fail(s, status == UV_ETIMEDOUT ? TS_ETIMEDOUT : TS_ECONN, connect_words(s, status, buf));
        return;
    }
    int rc = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
    if (rc < 0) {
        fail(s, TS_ECONN, connect_words(s, rc, buf));
        return;
    }
    if (!s->tls_cfg) {
        opened(s);
        return;
    }
    if (ts_tls_session_new(&s->tls, s->tls_cfg, s->host) != 0) {
        fail(s, TS_ENOMEM, "out of memory");
        return;
    }
    s->phase = PH_HANDSHAKE;
    uv_timer_start(&s->timer, on_timeout, s->handshake_timeout_ms, 0);
    drive_handshake(s);
}

/* 0, or a uv error when the connect could not even start. */
static int start_connect(ts_tls_stream *s, const struct sockaddr *addr)
{
    int rc = uv_tcp_init(s->loop, &s->tcp);
    if (rc == 0) {
        s->tcp_started = 1;
        s->tcp.data = s;
        uv_tcp_nodelay(&s->tcp, 1);
        s->connector.data = s;
        rc = uv_tcp_connect(&s->connector, &s->tcp, addr, on_connected);
    }
    return rc;
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    ts_tls_stream *s = req->data;
    char buf[256];
    s->resolving = 0;
    if (s->closing) {
        uv_freeaddrinfo(res);
        maybe_free(s);
        return;
    }
    if (status < 0 || !res) {
        fail(s, TS_ECONN,
             words(buf, "cannot resolve %s's host name %s: %s", s->peer, s->host,
                   uv_strerror(status)));
    } else {
        int rc = start_connect(s, res->ai_addr);
        if (rc < 0)
            fail(s, TS_ECONN, connect_words(s, rc, buf));
    }
    uv_freeaddrinfo(res);
}

static void on_timeout(uv_timer_t *t)
{
    ts_tls_stream *s = t->data;
    char buf[256];
    if (s->early_err)
        fail(s, TS_ECONN, connect_words(s, s->early_err, buf));
    else if (s->phase == PH_HANDSHAKE)
        fail(s, TS_ETIMEDOUT,
             words(buf, "timed out in the TLS handshake with %s (%llu ms)", s->peer,
                   (unsigned long long)s->handshake_timeout_ms));
    else
        fail(s, TS_ETIMEDOUT,
             words(buf, "timed out connecting to %s at %s:%s (%llu ms)", s->peer, s->host, s->port,
                   (unsigned long long)s->connect_timeout_ms));
}

/* A numeric address needs no resolver (and no thread pool). */
static int parse_numeric(const char *host, const char *port, struct sockaddr_storage *ss)
{
    int p = atoi(port);
    if (uv_ip4_addr(host, p, (struct sockaddr_in *)ss) == 0)
        return 0;
    return uv_ip6_addr(host, p, (struct sockaddr_in6 *)ss);
}

static int start_resolve(ts_tls_stream *s)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    s->resolver.data = s;
    int rc = uv_getaddrinfo(s->loop, &s->resolver, on_resolved, s->host, s->port, &hints);
    if (rc == 0)
        s->resolving = 1;
    return rc;
}

int ts_tls_stream_open(ts_tls_stream **out, uv_loop_t *loop, const ts_tls_stream_options *opt,
                       const ts_tls_stream_events *ev, void *arg)
{
    *out = NULL;
    if (strlen(opt->host) >= sizeof(((ts_tls_stream *)0)->host) || strlen(opt->port) >= 8)
        return TS_EINVAL;
    ts_tls_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return TS_ENOMEM;
    s->loop = loop;
    s->tls_cfg = opt->tls;
    s->ev = *ev;
    s->arg = arg;
    s->phase = PH_CONNECTING;
    s->connect_timeout_ms = opt->connect_timeout_ms;
    s->handshake_timeout_ms = opt->handshake_timeout_ms;
    snprintf(s->host, sizeof(s->host), "%s", opt->host);
    snprintf(s->port, sizeof(s->port), "%s", opt->port);
    snprintf(s->peer, sizeof(s->peer), "%s", opt->peer ? opt->peer : "the server");

    struct sockaddr_storage ss;
    int numeric = parse_numeric(s->host, s->port, &ss) == 0;
    int rc = numeric ? 0 : start_resolve(s);
    if (rc < 0) {
        free(s);
        return TS_EINVAL;
    }
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    uint64_t timeout = s->connect_timeout_ms;
    if (numeric) {
        /* A connect that fails at once is reported from the loop, like
         * every other outcome, never from inside this call. */
        s->early_err = start_connect(s, (struct sockaddr *)&ss);
        if (s->early_err)
            timeout = 0;
    }
    uv_timer_start(&s->timer, on_timeout, timeout, 0);
    *out = s;
    return 0;
}
