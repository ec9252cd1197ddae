/*
 * http_server.c - the local API's HTTP/1.1 server on the libuv loop (see
 * http_server.h for what it promises).
 *
 * Each connection goes through these phases:
 *
 *   READING  waiting for a whole request; the deadline runs from the moment
 *            the wait began, so bytes that keep trickling in do not extend it
 *   IN_HAND  the handler has the request; no deadline (a durable commit may
 *            take a while); still reading, to notice a client that leaves,
 *            until the buffer is full
 *   WRITING  the answer is on its way; the deadline runs again
 *   LINGER   the last answer is out and our FIN sent; what the client still
 *            sends is read and dropped for a short while, so that closing
 *            does not reset the connection before it has read the answer
 *   CLOSED   uv_close called; the memory stays until both handles are closed
 *            and the exchange, if one is in hand, has been answered
 *
 * The connection owns one buffer: request bytes are parsed in place and the
 * request handed to the handler points into it, so the buffer only moves
 * (grows, shrinks, compacts) while no request is in hand. It starts small
 * and grows up to TS_HTTP_MAX_HEADER_BYTES + body_limit.
 */
#include "http/http_server.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "http/peer_count.h"

#define INITIAL_BUFFER_BYTES 8192
#define LISTEN_BACKLOG 128
#define LINGER_MAX_MS 2000           /* discard the client's leftovers at most this long */
#define REJECT_LOG_INTERVAL_MS 10000 /* one warning per interval when over the bound */
#define RECLAIM_FRESH_AFTER_MS 1000  /* a new connection silent this long may be reclaimed */

typedef enum { CONN_READING, CONN_IN_HAND, CONN_WRITING, CONN_LINGER, CONN_CLOSED } conn_phase;

struct ts_http_exchange {
    ts_http_request req;
    size_t used;       /* bytes of the connection's buffer this request takes */
    uint64_t done_ns;  /* uv_hrtime() when the request was complete */
    const char *label; /* endpoint name for on_answer; NULL: "other" */
};

typedef struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t continue_req;
    uv_shutdown_t shutdown_req;
    ts_http_server *srv; /* NULL once both handles are closed */
    struct conn *prev, *next;
    conn_phase phase;
    char *buf;
    size_t len;  /* bytes received and not yet consumed */
    size_t size; /* bytes allocated */
    size_t cap;  /* the most the buffer may grow to */
    size_t need; /* the pending request is complete at this length; 0: unknown */
    int reading;
    int peer_eof;
    int continue_sent;
    int close_after_write;
    int handles_open;
    int in_hand; /* the exchange awaits ts_http_respond() */
    int counted; /* peer is counted in srv->peers */
    ts_peer_key peer;
    uint64_t wait_since_ms; /* uv_now() when it began waiting for a request */
    uint64_t served;        /* requests handed to the handler */
    ts_http_exchange ex;
} conn;

struct ts_http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    ts_http_handler handler;
    void *user;
    int max_conns;
    int max_per_addr; /* 0: no per-address bound */
    uint64_t idle_timeout_ms;
    uint64_t header_timeout_ms;
    size_t body_limit;
    ts_peer_count *peers; /* open connections per client address */
    void (*on_answer)(void *user, const char *label, int status, uint64_t latency_us);
    int port;
    conn *conns; /* the open connections */
    int n_conns;
    int handles_closing; /* closed handles whose close callback is still due */
    int closing;
    void (*close_cb)(void *);
    void *close_arg;
    uint64_t rejected;          /* over max_conns */
    uint64_t rejected_per_addr; /* over max_per_addr */
    uint64_t reclaimed_idle;    /* idle keep-alive closed to make room */
    uint64_t timed_out;         /* 408 answers */
    uint64_t last_reject_log_ms;
    int draining; /* stopped accepting for a restart: answers close */
};

typedef struct out_msg {
    uv_write_t req;
    size_t len;
    char data[];
} out_msg;

static void process_buffer(conn *c);
static void conn_close(conn *c);

/* The exchange lives inside its connection; so does its memory. */
static conn *conn_of(ts_http_exchange *ex)
{
    char *p = (char *)ex;

    return (conn *)(void *)(p - offsetof(conn, ex));
}

static out_msg *msg_of(uv_write_t *req)
{
    char *p = (char *)req;

    return (out_msg *)(void *)(p - offsetof(out_msg, req));
}

/* --- memory: the one place a connection is freed ------------------------- */

static void conn_maybe_free(conn *c)
{
    if (c->handles_open > 0 || c->in_hand)
        return;
    free(c->buf);
    free(c);
}

static void server_maybe_finish(ts_http_server *srv)
{
    void (*cb)(void *) = srv->close_cb;
    void *arg = srv->close_arg;

    if (!srv->closing || srv->handles_closing > 0 || srv->n_conns > 0)
        return;
    ts_peer_count_free(srv->peers);
    free(srv);
    if (cb != NULL)
        cb(arg);
}

static void on_conn_handle_closed(uv_handle_t *h)
{
    conn *c = h->data;
    ts_http_server *srv = c->srv;

    srv->handles_closing--;
    if (--c->handles_open == 0) {
        c->srv = NULL;
        conn_maybe_free(c);
    }
    server_maybe_finish(srv);
}

static void conn_unlink(conn *c)
{
    ts_http_server *srv = c->srv;

    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    srv->n_conns--;
    if (c->counted)
        ts_peer_count_remove(srv->peers, &c->peer);
    c->counted = 0;
}

/* Closes the socket now; an exchange in hand stays valid until answered. */
static void conn_close(conn *c)
{
    if (c->phase == CONN_CLOSED)
        return;
    c->phase = CONN_CLOSED;
    conn_unlink(c);
    c->srv->handles_closing += 2;
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

/* --- the buffer ------------------------------------------------------------ */

static void resize_buffer(conn *c, size_t size)
{
    char *p = realloc(c->buf, size);

    if (p == NULL)
        return; /* the caller sees no room and copes */
    c->buf = p;
    c->size = size;
}

/* Only while no request is in hand: the request points into the buffer. */
static void grow_buffer(conn *c)
{
    size_t size = c->size == 0 ? INITIAL_BUFFER_BYTES : c->size * 2;

    if (c->need > size)
        size = c->need;
    if (size > c->cap)
        size = c->cap;
    if (size > c->size)
        resize_buffer(c, size);
}

/* Drops the bytes of the request just answered; pipelined bytes move up. */
static void consume(conn *c, size_t used)
{
    memmove(c->buf, c->buf + used, c->len - used);
    c->len -= used;
    c->need = 0;
    if (c->size > INITIAL_BUFFER_BYTES && c->len <= INITIAL_BUFFER_BYTES)
        resize_buffer(c, INITIAL_BUFFER_BYTES); /* idle connections stay small */
}

/* --- reading --------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
    conn *c = h->data;

    if (c->phase == CONN_LINGER)
        c->len = 0; /* leftovers are read over the same bytes and dropped */
    if (c->len == c->size && !c->in_hand)
        grow_buffer(c);
    /* A zero-length buffer makes libuv report UV_ENOBUFS. */
    *out = uv_buf_init(c->buf + c->len, (unsigned)(c->size - c->len));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b);
static void arm_deadline(conn *c, uint64_t ms);

/* Headers must be whole this long after their first byte (never longer than
 * the idle time-out: a short idle time-out keeps its old meaning). */
static uint64_t header_deadline_ms(const conn *c)
{
    const ts_http_server *srv = c->srv;
    return srv->header_timeout_ms < srv->idle_timeout_ms ? srv->header_timeout_ms
                                                         : srv->idle_timeout_ms;
}

static void start_reading(conn *c)
{
    if (c->reading || c->peer_eof || c->phase == CONN_CLOSED)
        return;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
        conn_close(c);
        return;
    }
    c->reading = 1;
}

static void stop_reading(conn *c)
{
    if (!c->reading)
        return;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = 0;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
    conn *c = stream->data;

    if (nread == 0)
        return;
    if (c->phase == CONN_LINGER) {
        if (nread < 0)
            conn_close(c);
        return;
    }
    if (nread == UV_EOF) {
        c->peer_eof = 1;
        stop_reading(c);
        /* A request cut short gets nothing; one in hand is still answered. */
        if (c->phase == CONN_READING)
            conn_close(c);
        return;
    }
    if (nread == UV_ENOBUFS && c->in_hand) {
        stop_reading(c); /* full: the rest waits until the answer is out */
        return;
    }
    if (nread < 0) {
        conn_close(c);
        return;
    }
    if (c->phase == CONN_READING && c->len == 0)
        arm_deadline(c, header_deadline_ms(c)); /* the first byte of a request */
    c->len += (size_t)nread;
    if (c->phase == CONN_READING)
        process_buffer(c);
    else if (c->len == c->size)
        stop_reading(c); /* pipelined bytes wait until this answer is out */
}

/* --- the deadline ---------------------------------------------------------- */

static void on_deadline(uv_timer_t *t);

static void arm_deadline(conn *c, uint64_t ms)
{
    uv_timer_start(&c->timer, on_deadline, ms, 0);
}

/* Waiting for the next request: the clock starts now (the header clock, if
 * pipelined bytes of it are here already). */
static void start_waiting(conn *c)
{
    c->phase = CONN_READING;
    c->continue_sent = 0;
    c->wait_since_ms = uv_now(c->srv->loop);
    arm_deadline(c, c->len > 0 ? header_deadline_ms(c) : c->srv->idle_timeout_ms);
    start_reading(c);
}

/* --- writing --------------------------------------------------------------- */

static int has_no_body(int status)
{
    return status < 200 || status == 204 || status == 304;
}

typedef struct answer {
    int status;
    const char *content_type;
    const char *extra_headers;
    const char *body;
    size_t body_len;
    int closing;           /* Connection: close, then close */
    int keep_alive_header; /* HTTP/1.0 client that asked for keep-alive */
    int head_only;         /* HEAD: headers as for GET, no body */
} answer;

/* The status line and headers; returns what snprintf returns. */
static int format_head(char *out, size_t cap, const answer *a, size_t body_len)
{
    int typed = a->content_type != NULL && a->content_type[0] != '\0';
    char length_line[48] = "";
    const char *connection = a->closing             ? "Connection: close\r\n"
                             : a->keep_alive_header ? "Connection: keep-alive\r\n"
                                                    : "";

    if (!has_no_body(a->status))
        snprintf(length_line, sizeof length_line, "Content-Length: %zu\r\n", body_len);
    return snprintf(out, cap, "HTTP/1.1 %d %s\r\n%s%s%s%s%s%s\r\n", a->status,
                    ts_http_reason(a->status), typed ? "Content-Type: " : "",
                    typed ? a->content_type : "", typed ? "\r\n" : "", length_line,
                    a->extra_headers, connection);
}

static out_msg *build_message(const answer *a)
{
    size_t body_len = a->head_only || has_no_body(a->status) ? 0 : a->body_len;
    int head_len = format_head(NULL, 0, a, a->body_len);
    out_msg *m;

    if (head_len < 0)
        return NULL;
    m = malloc(sizeof *m + (size_t)head_len + 1 + body_len);
    if (m == NULL)
        return NULL;
    format_head(m->data, (size_t)head_len + 1, a, a->body_len);
    if (body_len > 0)
        memcpy(m->data + head_len, a->body, body_len);
    m->len = (size_t)head_len + body_len;
    return m;
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    conn *c = req->handle->data;

    if (c->phase != CONN_CLOSED && (status < 0 || c->peer_eof))
        conn_close(c);
}

/* The last answer is out: send FIN, then drop what the client still sends. */
static void begin_linger(conn *c)
{
    uint64_t ms = c->srv->idle_timeout_ms < LINGER_MAX_MS ? c->srv->idle_timeout_ms : LINGER_MAX_MS;

    c->phase = CONN_LINGER;
    c->len = 0;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        conn_close(c);
        return;
    }
    arm_deadline(c, ms);
    start_reading(c);
}

static void on_written(uv_write_t *req, int status)
{
    out_msg *m = msg_of(req);
    conn *c = req->handle->data;

    free(m);
    if (c->phase == CONN_CLOSED)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->close_after_write) {
        begin_linger(c);
        return;
    }
    start_waiting(c);
    process_buffer(c); /* a pipelined request may be waiting */
    if (c->peer_eof && c->phase == CONN_READING)
        conn_close(c);
}

/* Sends the answer, then drops the request's used bytes from the buffer (the
 * answer is copied out first: its body may point into them). */
static void send_answer(conn *c, const answer *a, size_t used)
{
    out_msg *m = build_message(a);
    uv_buf_t b;

    if (m == NULL) {
        conn_close(c);
        return;
    }
    consume(c, used);
    c->phase = CONN_WRITING;
    c->close_after_write = a->closing;
    if (a->closing)
        stop_reading(c);
    arm_deadline(c, c->srv->idle_timeout_ms); /* the client must take it in time */
    b = uv_buf_init(m->data, (unsigned)m->len);
    if (uv_write(&m->req, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
        free(m);
        conn_close(c);
    }
}

static const char *error_code(int status)
{
    switch (status) {
    case 408:
        return "request_timeout";
    case 413:
        return "too_large";
    case 431:
        return "headers_too_large";
    case 501:
        return "not_implemented";
    case 505:
        return "http_version_not_supported";
    default:
        return "bad_request";
    }
}

/* The server's own error answers; the framing cannot be trusted: close. */
static void answer_error(conn *c, int status, const char *why)
{
    char body[256];
    answer a;
    int n;

    ts_debug("http.request_refused", "status=%d why=\"%s\"", status, why);
    /* why is a static string of ours without quotes or backslashes. */
    n = snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
                 error_code(status), why);
    memset(&a, 0, sizeof a);
    a.status = status;
    a.content_type = "application/json";
    a.extra_headers = "";
    a.body = body;
    a.body_len = n < 0 ? 0 : (size_t)n < sizeof body ? (size_t)n : sizeof body - 1;
    a.closing = 1;
    send_answer(c, &a, 0);
}

/* --- requests -------------------------------------------------------------- */

static void on_continue_written(uv_write_t *req, int status)
{
    conn *c = req->handle->data;

    if (status < 0 && c->phase != CONN_CLOSED)
        conn_close(c);
}

/* The headers are acceptable and the client waits before sending the body. */
static void maybe_send_continue(conn *c)
{
    static char line[] = "HTTP/1.1 100 Continue\r\n\r\n";
    uv_buf_t b = uv_buf_init(line, sizeof line - 1);

    if (!c->ex.req.expect_continue || c->continue_sent)
        return;
    c->continue_sent = 1;
    if (uv_write(&c->continue_req, (uv_stream_t *)&c->tcp, &b, 1, on_continue_written) != 0)
        conn_close(c);
}

static void dispatch(conn *c, size_t used)
{
    ts_http_server *srv = c->srv;

    c->phase = CONN_IN_HAND;
    c->in_hand = 1;
    c->served++;
    c->ex.used = used;
    c->ex.done_ns = uv_hrtime();
    c->need = 0;
    uv_timer_stop(&c->timer);
    if (c->len == c->size)
        stop_reading(c);
    srv->handler(srv->user, &c->ex, &c->ex.req);
}

static void process_buffer(conn *c)
{
    ts_http_request *req = &c->ex.req;
    ts_http_parse_result rc;
    size_t used;

    if (c->phase != CONN_READING || c->len == 0 || c->len < c->need)
        return; /* nothing new to judge: the body is still arriving */
    rc = ts_http_parse_request(c->buf, c->len, c->srv->body_limit, req, &used);
    switch (rc) {
    case TS_HTTP_PARSE_DONE:
        dispatch(c, used);
        break;
    case TS_HTTP_PARSE_AGAIN:
        if (req->head_len > 0) {
            if (c->need == 0) /* headers just whole: the body's clock starts */
                arm_deadline(c, c->srv->idle_timeout_ms);
            c->need = req->head_len + req->content_length;
            maybe_send_continue(c);
        }
        break;
    default:
        answer_error(c, req->error_status, req->error);
        break;
    }
}

static void on_deadline(uv_timer_t *t)
{
    conn *c = t->data;

    if (c->phase == CONN_READING && c->len > 0) {
        c->srv->timed_out++;
        answer_error(c, 408, "request not complete in time");
    } else if (c->phase != CONN_IN_HAND)
        conn_close(c); /* an idle keep-alive connection ends without a word */
}

/* Would the bytes after this request make a whole request? */
static int next_request_complete(const conn *c, size_t used)
{
    ts_http_request next;
    size_t next_used;

    return ts_http_parse_request(c->buf + used, c->len - used, c->srv->body_limit, &next,
                                 &next_used) == TS_HTTP_PARSE_DONE;
}

void ts_http_respond(ts_http_exchange *ex, int status, const char *content_type,
                     const char *extra_headers, const char *body, size_t body_len)
{
    conn *c = conn_of(ex);
    const ts_http_request *req = &ex->req;
    answer a;

    if (!c->in_hand)
        return; /* answered twice: a bug of the caller, but not a crash */
    c->in_hand = 0;
    if (c->srv && c->srv->on_answer)
        c->srv->on_answer(c->srv->user, ex->label ? ex->label : "other", status,
                          (uv_hrtime() - ex->done_ns) / 1000u);
    ex->label = NULL;
    if (c->phase == CONN_CLOSED) {
        conn_maybe_free(c); /* the client or the server went away first */
        return;
    }
    memset(&a, 0, sizeof a);
    a.status = status;
    a.content_type = content_type;
    a.extra_headers = extra_headers != NULL ? extra_headers : "";
    a.body = body;
    a.body_len = body != NULL ? body_len : 0;
    a.closing = !req->keep_alive || (c->peer_eof && !next_request_complete(c, ex->used)) ||
                (c->srv && c->srv->draining);
    a.keep_alive_header = !a.closing && req->minor_version == 0;
    a.head_only = ts_str_eq(req->method, "HEAD");
    send_answer(c, &a, ex->used);
}

void ts_http_exchange_set_label(ts_http_exchange *ex, const char *label)
{
    ex->label = label;
}

uint64_t ts_http_exchange_age_ms(const ts_http_exchange *ex)
{
    return (uv_hrtime() - ex->done_ns) / 1000000u;
}

/* --- the listener ---------------------------------------------------------- */

static void on_rejected_closed(uv_handle_t *h)
{
    conn *c = h->data;
    ts_http_server *srv = c->srv;

    srv->handles_closing--;
    free(c);
    server_maybe_finish(srv);
}

/* One warning per interval, whichever bound refused. */
static void note_rejected(ts_http_server *srv, const char *bound)
{
    uint64_t now = uv_now(srv->loop);
    uint64_t total = srv->rejected + srv->rejected_per_addr;

    if (total == 1 || now - srv->last_reject_log_ms >= REJECT_LOG_INTERVAL_MS) {
        srv->last_reject_log_ms = now;
        ts_warn("http.conn_rejected",
                "bound=%s max_conns=%d max_conns_per_addr=%d rejected_total=%llu "
                "rejected_per_addr_total=%llu",
                bound, srv->max_conns, srv->max_per_addr, (unsigned long long)srv->rejected,
                (unsigned long long)srv->rejected_per_addr);
    }
}

/* Closes at once, reading nothing: no answer, since writing one would need
 * the very resources the bounds protect. */
static void refuse(ts_http_server *srv, conn *c)
{
    srv->handles_closing++;
    uv_close((uv_handle_t *)&c->tcp, on_rejected_closed);
}

static ts_peer_key peer_of(const conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;

    memset(&ss, 0, sizeof ss);
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
        ss.ss_family = AF_UNSPEC;
    return ts_peer_key_of((const struct sockaddr *)&ss);
}

/* Idle: waiting for a request with no byte of it here, after an answer
 * (keep-alive), or for a while since it was accepted (a new connection's
 * first bytes may simply not have been read yet). */
static int reclaimable(const conn *c, uint64_t now)
{
    return c->phase == CONN_READING && c->len == 0 && !c->in_hand &&
           (c->served > 0 || now - c->wait_since_ms >= RECLAIM_FRESH_AFTER_MS);
}

/* Near the total bound, the connection idle the longest makes room: it
 * costs its till one reconnect, a refusal would cost a sale. */
static void reclaim_idle(ts_http_server *srv)
{
    int reserve = srv->max_conns / 16;
    uint64_t now = uv_now(srv->loop);
    conn *oldest = NULL;

    if (srv->n_conns < srv->max_conns - reserve)
        return;
    for (conn *c = srv->conns; c != NULL; c = c->next)
        if (reclaimable(c, now) && (oldest == NULL || c->wait_since_ms < oldest->wait_since_ms))
            oldest = c;
    if (oldest == NULL)
        return;
    srv->reclaimed_idle++;
    conn_close(oldest);
}

/* Still full: the address holding the most connections gives up its oldest
 * one still being read (no request in hand, so no sale is lost), if it holds
 * at least two more than the newcomer's address: many addresses flooding at
 * once cannot lock out one that holds few. */
static void reclaim_from_hog(ts_http_server *srv, const ts_peer_key *newcomer)
{
    uint32_t own = ts_peer_count_get(srv->peers, newcomer), most = 0;
    conn *victim = NULL;

    for (conn *c = srv->conns; c != NULL; c = c->next) {
        uint32_t n = c->counted ? ts_peer_count_get(srv->peers, &c->peer) : 0;
        if (c->phase != CONN_READING || c->in_hand || n < own + 2 || n < most)
            continue;
        if (n > most || c->wait_since_ms < victim->wait_since_ms) {
            most = n;
            victim = c;
        }
    }
    if (victim == NULL)
        return;
    srv->reclaimed_idle++;
    conn_close(victim);
}

/* The bounds, per address first: one address never takes every slot. */
static int admit(ts_http_server *srv, conn *c)
{
    c->peer = peer_of(c);
    if (srv->max_per_addr > 0 &&
        ts_peer_count_get(srv->peers, &c->peer) >= (uint32_t)srv->max_per_addr) {
        srv->rejected_per_addr++;
        note_rejected(srv, "per_addr");
        return 0;
    }
    reclaim_idle(srv);
    if (srv->n_conns >= srv->max_conns)
        reclaim_from_hog(srv, &c->peer);
    if (srv->n_conns >= srv->max_conns) {
        srv->rejected++;
        note_rejected(srv, "total");
        return 0;
    }
    c->counted = ts_peer_count_add(srv->peers, &c->peer) > 0;
    return 1;
}

static void on_connection(uv_stream_t *listener, int status)
{
    ts_http_server *srv = listener->data;
    conn *c;

    if (status < 0) {
        ts_warn("http.accept_failed", "err=\"%s\"", uv_strerror(status));
        return;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL)
        return;
    c->srv = srv;
    uv_tcp_init(srv->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0 || !admit(srv, c)) {
        refuse(srv, c);
        return;
    }
    uv_timer_init(srv->loop, &c->timer);
    c->timer.data = c;
    c->handles_open = 2;
    c->cap = TS_HTTP_MAX_HEADER_BYTES + srv->body_limit;
    c->next = srv->conns;
    if (srv->conns != NULL)
        srv->conns->prev = c;
    srv->conns = c;
    srv->n_conns++;
    uv_tcp_nodelay(&c->tcp, 1);
    start_waiting(c);
}

static int resolve(const char *host, int port, struct sockaddr_storage *ss)
{
    char bare[64];
    size_t n = strlen(host);

    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        if (n - 2 >= sizeof bare)
            return TS_EINVAL;
        memcpy(bare, host + 1, n - 2);
        bare[n - 2] = '\0';
        host = bare;
    }
    if (strchr(host, ':') != NULL)
        return uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0 ? 0 : TS_EINVAL;
    return uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0 ? 0 : TS_EINVAL;
}

static int bound_port(const uv_tcp_t *tcp)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;

    if (uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void on_listener_closed(uv_handle_t *h)
{
    ts_http_server *srv = h->data;

    srv->handles_closing--;
    server_maybe_finish(srv);
}

/* A listening socket handed over by the process before an exec (update.md
 * restart): connections that arrived meanwhile wait in its backlog. Its
 * port must be the configured one (any, when the config says 0). */
static int adopt_listener(ts_http_server *srv, const ts_http_server_options *opt)
{
    int rc = uv_tcp_open(&srv->listener, (uv_os_sock_t)opt->inherit_fd);
    if (rc == 0) /* not into whatever this process execs next */
        fcntl(opt->inherit_fd, F_SETFD, FD_CLOEXEC);
    if (rc == 0 && opt->port != 0 && bound_port(&srv->listener) != opt->port)
        rc = UV_EADDRNOTAVAIL;
    if (rc == 0)
        ts_info("http.inherited_listener", "fd=%d port=%d", opt->inherit_fd,
                bound_port(&srv->listener));
    return rc;
}

static int check_options(const ts_http_server_options *opt)
{
    if (opt == NULL || opt->host == NULL || opt->port < 0 || opt->port > 65535 ||
        opt->max_conns <= 0 || opt->max_conns_per_addr < 0 || opt->idle_timeout_ms == 0 ||
        opt->body_limit > TS_HTTP_MAX_BODY_BYTES)
        return TS_EINVAL;
    return 0;
}

int ts_http_server_start(ts_http_server **out, uv_loop_t *loop, const ts_http_server_options *opt,
                         ts_http_handler handler, void *user)
{
    struct sockaddr_storage ss;
    ts_http_server *srv;
    int rc;

    *out = NULL;
    if (check_options(opt) != 0 || handler == NULL)
        return TS_EINVAL;
    memset(&ss, 0, sizeof ss);
    if (resolve(opt->host, opt->port, &ss) != 0) {
        ts_error("http.bad_listen_address", "host=\"%s\"", opt->host);
        return TS_EINVAL;
    }
    srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return TS_ENOMEM;
    srv->loop = loop;
    srv->handler = handler;
    srv->user = user;
    srv->max_conns = opt->max_conns;
    srv->max_per_addr = opt->max_conns_per_addr;
    srv->idle_timeout_ms = opt->idle_timeout_ms;
    srv->header_timeout_ms = opt->header_timeout_ms ? opt->header_timeout_ms : opt->idle_timeout_ms;
    srv->peers = ts_peer_count_new((size_t)opt->max_conns);
    if (srv->peers == NULL) {
        free(srv);
        return TS_ENOMEM;
    }
    srv->body_limit = opt->body_limit == 0 ? TS_HTTP_MAX_BODY_BYTES : opt->body_limit;
    srv->on_answer = opt->on_answer;
    uv_tcp_init(loop, &srv->listener);
    srv->listener.data = srv;
    if (opt->inherit_fd > 0)
        rc = adopt_listener(srv, opt);
    else
        rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&srv->listener, LISTEN_BACKLOG, on_connection);
    if (rc != 0) {
        ts_error("http.listen_failed", "host=\"%s\" port=%d err=\"%s\"", opt->host, opt->port,
                 uv_strerror(rc));
        ts_http_server_close(srv, NULL, NULL); /* frees srv on the next loop turn */
        return TS_EIO;
    }
    srv->port = bound_port(&srv->listener);
    ts_info("http.listening", "host=\"%s\" port=%d max_conns=%d max_conns_per_addr=%d", opt->host,
            srv->port, srv->max_conns, srv->max_per_addr);
    *out = srv;
    return 0;
}

int ts_http_server_port(const ts_http_server *srv)
{
    return srv->port;
}

int ts_http_server_listen_fd(const ts_http_server *srv)
{
    uv_os_fd_t fd;
    return uv_fileno((const uv_handle_t *)&srv->listener, &fd) == 0 ? (int)fd : -1;
}

void ts_http_server_drain(ts_http_server *srv)
{
    if (srv == NULL || srv->closing || srv->draining)
        return;
    srv->draining = 1;
    srv->handles_closing++;
    uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
    /* Idle keep-alive connections go now; the rest close after their
     * answer. A connection that has not brought its first request yet is
     * kept for it: its client has sent, or is sending, a request that a
     * close would turn into a reset (the header deadline bounds the wait). */
    for (conn *c = srv->conns, *next; c != NULL; c = next) {
        next = c->next;
        if (c->phase == CONN_READING && c->len == 0 && !c->in_hand && c->served > 0)
            conn_close(c);
    }
}

int ts_http_server_busy(const ts_http_server *srv)
{
    int n = 0;
    for (const conn *c = srv->conns; c != NULL; c = c->next)
        n += c->in_hand || c->phase == CONN_WRITING || (c->phase == CONN_READING && c->len > 0) ||
             (c->phase == CONN_READING && c->served == 0);
    return n;
}

int ts_http_server_open_conns(const ts_http_server *srv)
{
    return srv->n_conns;
}

uint64_t ts_http_server_rejected_total(const ts_http_server *srv)
{
    return srv->rejected;
}

void ts_http_server_get_stats(const ts_http_server *srv, ts_http_server_stats *out)
{
    memset(out, 0, sizeof *out);
    if (srv == NULL)
        return;
    out->open_conns = (uint64_t)srv->n_conns;
    out->peer_addresses = ts_peer_count_addresses(srv->peers);
    out->rejected_total = srv->rejected;
    out->rejected_per_addr_total = srv->rejected_per_addr;
    out->reclaimed_idle_total = srv->reclaimed_idle;
    out->request_timeouts_total = srv->timed_out;
}

void ts_http_server_close(ts_http_server *srv, void (*cb)(void *), void *arg)
{
    if (srv == NULL || srv->closing)
        return;
    srv->closing = 1;
    srv->close_cb = cb;
    srv->close_arg = arg;
    if (!srv->draining) {
        srv->handles_closing++;
        uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
    }
    while (srv->conns != NULL)
        conn_close(srv->conns);
}

const char *ts_http_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Content";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    case 507:
        return "Insufficient Storage";
    default:
        return "Unknown";
    }
}
