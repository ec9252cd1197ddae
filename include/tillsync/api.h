/*
 * api.h - the local API's router and the answer helpers every endpoint
 * module uses (spec: pos-api.md). The router (agent/api.c) checks the
 * status token for GETs and hands each route to its module:
 *   POST /v1/transactions[:batch], GET /v1/transactions/{id}  intake.c
 *   GET /v1/items...                                          items.c
 *   GET /, GET /v1/status                                     status.c
 *   GET /metrics                                              metrics.c
 *   GET /healthz                                              api.c
 */
#ifndef TILLSYNC_API_H
#define TILLSYNC_API_H

#include "tillsync/agent.h"
#include "tillsync/buf.h"
#include "tillsync/http_server.h"

typedef void (*ts_api_handler)(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req);

/* Starts the local API listener on cfg->listen (port 0: any free port). */
int ts_api_start(ts_agent *a);
void ts_api_stop(ts_agent *a, void (*cb)(void *), void *arg);

/* {"error": {"code", "message", "field"?}} with the right status.
 * extra_headers as in ts_http_respond ("" for none). */
void ts_api_error(ts_http_exchange *ex, int status, const char *code, const char *message,
                  const char *field, const char *extra_headers);
/* Sends the buffer as application/json (500 when the buffer failed). */
void ts_api_json(ts_http_exchange *ex, int status, ts_buf *body);
/* Is this a bearer token whose SHA-256 equals want (constant time)? */
int ts_api_bearer_matches(const ts_http_request *req, const unsigned char want[32]);
/* The SHA-256 of the request's bearer token: 1, or 0 when there is none. */
int ts_api_bearer_digest(const ts_http_request *req, unsigned char out[32]);
/* Constant-time comparison of two digests. */
int ts_api_digest_eq(const unsigned char a[32], const unsigned char b[32]);

#endif
