/*
 * reply.c - the answer helpers every endpoint uses (reply.h): the JSON
 * error shape of pos-api.md, JSON bodies, and bearer tokens.
 */
#include "http/reply.h"
#include "core/error.h"
#include "crypto/crypto.h"

#include <string.h>
#include <strings.h>

void ts_reply_error(ts_http_exchange *ex, int status, const char *code, const char *message,
                    const char *field, const char *extra_headers)
{
    ts_buf b;
    ts_buf_init(&b, 2048);
    ts_buf_printf(&b, "{\"error\":{\"code\":\"%s\",\"message\":", code);
    ts_buf_json_string(&b, message, strlen(message));
    if (field && field[0]) {
        ts_buf_puts(&b, ",\"field\":");
        ts_buf_json_string(&b, field, strlen(field));
    }
    ts_buf_puts(&b, "}}");
    if (ts_buf_ok(&b))
        ts_http_respond(ex, status, "application/json", extra_headers, b.data, b.len);
    else
        ts_http_respond(ex, 500, "application/json", "", "{}", 2);
    ts_buf_free(&b);
}

void ts_reply_json(ts_http_exchange *ex, int status, ts_buf *body)
{
    if (!ts_buf_ok(body)) {
        ts_reply_error(ex, 500, "internal_error", "the answer did not fit; see the agent's log",
                       NULL, "");
        return;
    }
    ts_http_respond(ex, status, "application/json", "", body->data, body->len);
}

int ts_bearer_digest(const ts_http_request *req, unsigned char out[32])
{
    static const char scheme[] = "Bearer ";
    const ts_str *auth = &req->authorization;
    size_t n = sizeof(scheme) - 1;
    if (auth->len <= n || strncasecmp(auth->p, scheme, n) != 0)
        return 0;
    ts_sha256(auth->p + n, auth->len - n, out);
    return 1;
}

int ts_bearer_matches(const ts_http_request *req, const unsigned char want[32])
{
    unsigned char got[32];
    return ts_bearer_digest(req, got) && ts_digest_eq(got, want);
}
