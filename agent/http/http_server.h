/*
 * http_server.h - the local API's HTTP/1.1 server on the libuv loop.
 *
 * Owns the listening socket and the connections: keep-alive, bounded header
 * and body sizes (http_parse.h), a read time-out per connection (a slow or
 * silent client loses its slot), a bound on open connections, and 400/413/
 * 431 answers to malformed requests. It knows nothing of the routes: each
 * whole request goes to the handler, which answers now or later (after a
 * durable commit) with ts_http_respond(). One request per connection is in
 * hand at a time; pipelined bytes wait in the buffer.
 *
 * Choices made here:
 * - Three deadlines, each measured from when its wait began, so bytes that
 *   trickle in never extend one (a slowloris is cut): idle_timeout_ms from
 *   the moment a connection starts waiting for a request (accepted, or its
 *   last answer sent) until the first byte; header_timeout_ms from the
 *   first byte until the headers are whole; idle_timeout_ms again from then
 *   until the body is whole. A request cut short gets 408 and is closed; an
 *   idle keep-alive connection is closed without a word. While the handler
 *   holds a request no time-out runs; an answer the client does not take
 *   within idle_timeout_ms closes the connection.
 * - Bounds like nginx's: at most max_conns_per_addr connections from one
 *   client address, and max_conns in all. Near max_conns (within 1/16) the
 *   connection idle the longest is closed to make room (idle: a keep-alive
 *   connection between requests, or a new one silent for 1 s); when none
 *   is idle, the address holding the most connections (two more than the
 *   newcomer's at least) gives up its oldest one still being read. A
 *   connection over a bound is accepted and closed at once, unread and with
 *   no answer (an answer would cost the memory and time the bound
 *   protects); a warning is logged at most every 10 s.
 * - Malformed requests get the server's own JSON error and the connection
 *   is closed: 400 bad_request, 413 too_large (from the Content-Length,
 *   before the body is read), 431 headers_too_large, 501 not_implemented
 *   (Transfer-Encoding), 505 http_version_not_supported, 408
 *   request_timeout. Closing sends FIN first and drops what the client still
 *   sends for up to 2 s, so that it reads the answer instead of a reset.
 * - "Expect: 100-continue" is answered with 100 Continue once the headers
 *   are whole and acceptable (a too-large body gets 413 instead).
 * - A client that half-closes (FIN) still gets the answers to the requests
 *   it sent; a reset closes the connection at once.
 * The process must ignore SIGPIPE (main.c does): libuv writes with write(2).
 */
#ifndef TILLSYNC_HTTP_SERVER_H
#define TILLSYNC_HTTP_SERVER_H

#include <stddef.h>
#include <uv.h>

#include "http/http_parse.h"

typedef struct ts_http_server ts_http_server;
typedef struct ts_http_exchange ts_http_exchange; /* one request awaiting its answer */

/* Called for each whole request. The request (and its strings) stay valid
 * until ts_http_respond() is called on the exchange. */
typedef void (*ts_http_handler)(void *user, ts_http_exchange *ex, const ts_http_request *req);

typedef struct ts_http_server_options {
    const char *host;         /* "127.0.0.1", "0.0.0.0", "::1" */
    int port;                 /* 0 = any free port (tests), see ts_http_server_port() */
    int max_conns;            /* > 0 */
    uint64_t idle_timeout_ms; /* > 0; no complete request within this: closed */
    size_t body_limit;        /* 0: TS_HTTP_MAX_BODY_BYTES; more is refused */
    /* Optional: called once per answered exchange with the label the
     * handler set (ts_http_exchange_set_label, "other" if none), the status
     * and the time from the complete request to the answer (for metrics). */
    void (*on_answer)(void *user, const char *label, int status, uint64_t latency_us);
    /* > 0: adopt this listening socket instead of binding (handed over
     * through exec on a self-update restart); 0: bind host:port. */
    int inherit_fd;
    /* At most this many connections from one client address; more are
     * closed at once without a word. 0: no per-address bound. */
    int max_conns_per_addr;
    /* A request's headers must be whole this long after its first byte
     * (capped at idle_timeout_ms). 0: idle_timeout_ms. */
    uint64_t header_timeout_ms;
} ts_http_server_options;

/* Listens on host:port. 0, TS_EINVAL (bad options or address) or TS_EIO
 * (bind/listen failed, e.g. the port is taken; logged with the reason). */
int ts_http_server_start(ts_http_server **out, uv_loop_t *loop, const ts_http_server_options *opt,
                         ts_http_handler handler, void *user);
int ts_http_server_port(const ts_http_server *srv);
/* Stops listening and closes every connection; pending exchanges are
 * answered with nothing (their later ts_http_respond is a no-op, but must
 * still come: it frees the exchange). cb runs when all handles are closed;
 * srv is freed by then. */
void ts_http_server_close(ts_http_server *srv, void (*cb)(void *), void *arg);
/* The listening socket's fd (to hand over through exec), -1 when closed. */
int ts_http_server_listen_fd(const ts_http_server *srv);
/* Stops accepting (the socket stays open if the caller dup()ed it: new
 * connections wait in its backlog), closes idle keep-alive connections,
 * and answers the rest with "Connection: close". For a restart. */
void ts_http_server_drain(ts_http_server *srv);
/* Connections with a request being read, in hand or being answered. */
int ts_http_server_busy(const ts_http_server *srv);
/* Connections open now (for /metrics). */
int ts_http_server_open_conns(const ts_http_server *srv);
/* Connections closed at once because max_conns were open (for /metrics). */
uint64_t ts_http_server_rejected_total(const ts_http_server *srv);

/* The server's figures for the report layer (NULL srv: all zero). */
typedef struct ts_http_server_stats {
    uint64_t open_conns;
    uint64_t peer_addresses;          /* client addresses with a connection open */
    uint64_t rejected_total;          /* closed at once: max_conns were open */
    uint64_t rejected_per_addr_total; /* closed at once: its address had its share */
    uint64_t reclaimed_idle_total;    /* idle keep-alive closed to make room */
    uint64_t request_timeouts_total;  /* 408: request not whole in time */
} ts_http_server_stats;
void ts_http_server_get_stats(const ts_http_server *srv, ts_http_server_stats *out);

/*
 * Answers the exchange and frees it. extra_headers: "" or full lines each
 * ending in "\r\n" (e.g. "Retry-After: 5\r\n"). Safe to call after the
 * client went away (the bytes are dropped). Content-Length, Date-free,
 * Connection handled here.
 */
void ts_http_respond(ts_http_exchange *ex, int status, const char *content_type,
                     const char *extra_headers, const char *body, size_t body_len);
/* Milliseconds since the request was complete (for latency histograms). */
uint64_t ts_http_exchange_age_ms(const ts_http_exchange *ex);
/* Names the exchange's endpoint for on_answer; label must be static. */
void ts_http_exchange_set_label(ts_http_exchange *ex, const char *label);

const char *ts_http_reason(int status);

#endif
