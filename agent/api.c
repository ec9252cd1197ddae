/*
 * api.c - the local API's router (api.h): which module answers which path,
 * the status token on GETs, /healthz, and the shared answer helpers.
 */
#include "tillsync/api.h"
#include "tillsync/config.h"
#include "tillsync/crypto.h"
#include "tillsync/error.h"
#include "tillsync/intake.h"
#include "tillsync/items.h"
#include "tillsync/log.h"
#include "tillsync/metrics.h"
#include "tillsync/status.h"
#include "tillsync/store.h"

#include <string.h>
#include <strings.h>

void ts_api_error(ts_http_exchange *ex, int status, const char *code, const char *message,
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

void ts_api_json(ts_http_exchange *ex, int status, ts_buf *body)
{
    if (!ts_buf_ok(body)) {
        ts_api_error(ex, 500, "internal_error", "the answer did not fit; see the agent's log", NULL,
                     "");
        return;
    }
    ts_http_respond(ex, status, "application/json", "", body->data, body->len);
}

int ts_api_bearer_digest(const ts_http_request *req, unsigned char out[32])
{
    static const char scheme[] = "Bearer ";
    const ts_str *auth = &req->authorization;
    size_t n = sizeof(scheme) - 1;
    if (auth->len <= n || strncasecmp(auth->p, scheme, n) != 0)
        return 0;
    ts_sha256(auth->p + n, auth->len - n, out);
    return 1;
}

int ts_api_digest_eq(const unsigned char a[32], const unsigned char b[32])
{
    unsigned diff = 0; /* constant time: no early exit on the first mismatch */
    for (int i = 0; i < 32; i++)
        diff |= (unsigned)(a[i] ^ b[i]);
    return diff == 0;
}

int ts_api_bearer_matches(const ts_http_request *req, const unsigned char want[32])
{
    unsigned char got[32];
    return ts_api_bearer_digest(req, got) && ts_api_digest_eq(got, want);
}

static int path_is(const ts_http_request *req, const char *p)
{
    return ts_str_eq(req->path, p);
}

static int path_starts(const ts_http_request *req, const char *prefix)
{
    size_t n = strlen(prefix);
    return req->path.len > n && memcmp(req->path.p, prefix, n) == 0;
}

static void healthz(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req)
{
    if (ts_store_healthy(a->store))
        ts_http_respond(ex, 200, "text/plain; charset=utf-8", "", "ok\n", 3);
    else
        ts_http_respond(ex, 503, "text/plain; charset=utf-8", "", "store not writable\n", 19);
}

typedef struct route {
    const char *method;
    const char *path;
    int prefix;        /* path is a prefix */
    int open;          /* no status token needed */
    const char *label; /* endpoint label in /metrics */
    ts_api_handler handler;
} route;

/* POSTs check the register tokens themselves. GETs need the status token
 * when the config sets one, except /healthz and the page's HTML (the page
 * asks for the token and sends it on its own requests). */
static const route routes[] = {
    {"POST", "/v1/transactions", 0, 1, "post_txn", ts_intake_post},
    {"POST", "/v1/transactions:batch", 0, 1, "post_batch", ts_intake_post_batch},
    {"GET", "/v1/transactions/", 1, 0, "get_txn", ts_intake_get},
    {"GET", "/v1/items", 0, 0, "items", ts_items_handle},
    {"GET", "/v1/items/", 1, 0, "items", ts_items_handle},
    {"GET", "/v1/status", 0, 0, "status", ts_status_handle_json},
    {"GET", "/metrics", 0, 0, "metrics", ts_metrics_handle},
    {"GET", "/", 0, 1, "page", ts_status_handle_page},
    {"GET", "/healthz", 0, 1, "healthz", healthz},
};

static void dispatch(void *user, ts_http_exchange *ex, const ts_http_request *req)
{
    ts_agent *a = user;
    int path_known = 0;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const route *r = &routes[i];
        if (!(r->prefix ? path_starts(req, r->path) : path_is(req, r->path)))
            continue;
        path_known = 1;
        if (!ts_str_eq(req->method, r->method))
            continue;
        ts_http_exchange_set_label(ex, r->label);
        if (!r->open && a->cfg->has_status_token &&
            !ts_api_bearer_matches(req, a->cfg->status_token_sha256)) {
            ts_api_error(ex, 401, "unauthorized", "this page needs the store's status token", NULL,
                         "WWW-Authenticate: Bearer\r\n");
            return;
        }
        r->handler(a, ex, req);
        return;
    }
    if (path_known)
        ts_api_error(ex, 405, "method_not_allowed", "this path does not take that method", NULL,
                     "");
    else
        ts_api_error(ex, 404, "not_found", "no such path", NULL, "");
}

static void on_answer(void *user, const char *label, int status, uint64_t latency_us)
{
    ts_metrics_observe_request(user, label, status, latency_us);
}

int ts_api_start(ts_agent *a)
{
    ts_http_server_options opt = {
        .host = a->cfg->listen_host,
        .port = a->cfg->listen_port,
        .max_conns = a->cfg->http_max_conns,
        .idle_timeout_ms = (uint64_t)a->cfg->http_idle_timeout_ms,
        .body_limit = TS_HTTP_MAX_BODY_BYTES,
        .on_answer = on_answer,
    };
    return ts_http_server_start(&a->http, a->loop, &opt, dispatch, a);
}

void ts_api_stop(ts_agent *a, void (*cb)(void *), void *arg)
{
    if (a->http)
        ts_http_server_close(a->http, cb, arg);
    else if (cb)
        cb(arg);
}
