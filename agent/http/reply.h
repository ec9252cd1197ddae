/*
 * reply.h - the answer helpers every endpoint module uses (spec: pos-api.md).
 */
#ifndef TILLSYNC_REPLY_H
#define TILLSYNC_REPLY_H

#include "core/buf.h"
#include "http/http_server.h"

/* {"error": {"code", "message", "field"?}} with the right status.
 * extra_headers as in ts_http_respond ("" for none). */
void ts_reply_error(ts_http_exchange *ex, int status, const char *code, const char *message,
                    const char *field, const char *extra_headers);
/* Sends the buffer as application/json (500 when the buffer failed). */
void ts_reply_json(ts_http_exchange *ex, int status, ts_buf *body);
/* Is this a bearer token whose SHA-256 equals want (constant time)? */
int ts_bearer_matches(const ts_http_request *req, const unsigned char want[32]);
/* The SHA-256 of the request's bearer token: 1, or 0 when there is none. */
int ts_bearer_digest(const ts_http_request *req, unsigned char out[32]);

#endif
