/*
 * tls_stream.h - one outgoing TCP connection on the libuv loop, with TLS on
 * top (crypto.h's engine) or, for tests that say so, plain TCP.
 *
 * It owns the socket side: name resolution, connect, the connect and
 * handshake time-outs, moving ciphertext between the socket and the TLS
 * engine, and closing every handle before it frees itself. It never blocks
 * and never calls mbedTLS directly. The user sees plaintext only.
 *
 * Life: ts_tls_stream_open() -> on_open(0) -> writes and on_data ... ->
 * on_error() or ts_tls_stream_close() -> on_close() (then the memory is
 * gone). After a failure the stream closes itself; after a close (by either
 * side) no callback but on_close runs.
 */
#ifndef TILLSYNC_TLS_STREAM_H
#define TILLSYNC_TLS_STREAM_H

#include "crypto/crypto.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct ts_tls_stream ts_tls_stream;

typedef struct ts_tls_stream_events {
    /* Connected (and, with TLS, handshake done): err 0. Or it failed: err
     * TS_ECONN / TS_ETIMEDOUT / TS_ETLS and reason in plain words. */
    void (*on_open)(ts_tls_stream *s, int err, const char *reason);
    /* Plaintext from the peer. */
    void (*on_data)(ts_tls_stream *s, const char *data, size_t len);
    /* The open connection broke or the peer closed it: TS_ECONN or TS_ETLS. */
    void (*on_error)(ts_tls_stream *s, int err, const char *reason);
    /* Every handle is closed; the stream is freed when this returns. */
    void (*on_close)(ts_tls_stream *s);
} ts_tls_stream_events;

typedef struct ts_tls_stream_options {
    const char *host;              /* DNS name or IP address text; also the TLS name checked */
    const char *port;              /* "443" */
    ts_tls_config *tls;            /* NULL: plain TCP (tests only) */
    const char *peer;              /* for messages: "central" */
    uint64_t connect_timeout_ms;   /* resolve + TCP connect */
    uint64_t handshake_timeout_ms; /* TLS handshake */
} ts_tls_stream_options;

/* Starts connecting; events follow on the loop. 0 or TS_ENOMEM/TS_EINVAL
 * (then nothing is started and no callback runs). */
int ts_tls_stream_open(ts_tls_stream **out, uv_loop_t *loop, const ts_tls_stream_options *opt,
                       const ts_tls_stream_events *ev, void *arg);
/* Sends plaintext (copied). 0, or TS_ECONN when the stream is not open. */
int ts_tls_stream_write(ts_tls_stream *s, const void *data, size_t len);
/* Closes (idempotent); on_close follows from the loop. */
void ts_tls_stream_close(ts_tls_stream *s);
void *ts_tls_stream_arg(const ts_tls_stream *s);

#endif
