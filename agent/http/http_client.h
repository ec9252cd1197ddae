/*
 * http_client.h - a small HTTP/1.1 client for central, over mutual TLS
 * (tls_stream.h, itself over crypto.c) on the libuv loop.
 *
 * One client holds one keep-alive connection to one origin and runs its
 * requests one after another (FIFO queue). Every phase has a time-out
 * (connect, TLS handshake, whole answer); answers are bounded in size. A
 * transport failure is reported as status 0 with a TS_E* code and a reason
 * in plain words ("central's certificate is not signed by central.ca_file").
 */
#ifndef TILLSYNC_HTTP_CLIENT_H
#define TILLSYNC_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct ts_http_client ts_http_client;

typedef struct ts_http_client_options {
    const char *url;               /* "https://host:port" (a path part is a prefix) */
    const char *ca_file;           /* only this CA is trusted */
    const char *cert_file;         /* client certificate (PEM) */
    const char *key_file;          /* its key: must not be readable by group/others */
    int insecure_plain;            /* tests only: plain TCP, "http://" url */
    uint64_t connect_timeout_ms;   /* default 10000 */
    uint64_t handshake_timeout_ms; /* default 10000 */
    uint64_t response_timeout_ms;  /* whole answer, default 30000 */
    size_t max_response_bytes;     /* default 1 MiB */
} ts_http_client_options;

typedef struct ts_http_response {
    int status;       /* HTTP status, or 0 on transport failure */
    int err;          /* TS_E* when status is 0 */
    char reason[256]; /* plain words when status is 0 */
    const char *body; /* valid during the callback only */
    size_t body_len;
    int64_t retry_after_s; /* -1 when absent */
    char etag[128];        /* "" when absent */
} ts_http_response;

typedef void (*ts_http_client_cb)(void *arg, const ts_http_response *resp);

/* Loads the CA, certificate and key (refusing a key file readable by group
 * or others); on failure err says why in one line. */
int ts_http_client_new(ts_http_client **out, uv_loop_t *loop, const ts_http_client_options *opt,
                       char *err, size_t errlen);
/* Queues a request; body is copied. extra_headers: "" or lines ending in
 * "\r\n". cb runs exactly once (with status 0 / TS_ECANCELED on close). */
int ts_http_client_request(ts_http_client *c, const char *method, const char *path,
                           const char *extra_headers, const char *content_type, const void *body,
                           size_t body_len, ts_http_client_cb cb, void *arg);
/* Drops the connection (the next request reconnects). */
void ts_http_client_reset(ts_http_client *c);
/* Client certificate expiry (wall ms), for the status; 0 when unknown. */
int64_t ts_http_client_cert_not_after_ms(const ts_http_client *c);
/* Cancels queued requests (their cb runs with TS_ECANCELED), closes. */
void ts_http_client_close(ts_http_client *c);

#endif
