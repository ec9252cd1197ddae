/*
 * router.c - the local API's router (router.h): which module answers which
 * path, the status token on GETs, and /healthz. It sits above every layer,
 * beside main.c, because it is wiring: it names each module's handler.
 */
#include "router.h"
#include "config/config.h"
#include "core/error.h"
#include "core/log.h"
#include "http/reply.h"
#include "pos/intake.h"
#include "central/update.h"
#include "pos/items.h"
#include "report/history.h"
#include "report/metrics.h"
#include "report/status.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

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
    /* From memory only: answers while the disk stalls. */
    char body[96];
    if (!a->txnlog) { /* the store could not be opened (main.c retries) */
        static const char closed[] = "storage_unavailable: the store cannot be opened\n";
        ts_http_respond(ex, 503, "text/plain; charset=utf-8", "Retry-After: 30\r\n", closed,
                        sizeof(closed) - 1);
        return;
    }
    const char *why = ts_intake_refusal(a);
    if (ts_store_healthy(a->store) && !why) {
        ts_http_respond(ex, 200, "text/plain; charset=utf-8", "", "ok\n", 3);
        return;
    }
    int n = snprintf(body, sizeof(body), "%s\n", why ? why : "store not writable");
    ts_http_respond(ex, 503, "text/plain; charset=utf-8", "Retry-After: 30\r\n", body, (size_t)n);
}

typedef struct route {
    const char *method;
    const char *path;
    int prefix;        /* path is a prefix */
    int open;          /* no status token needed */
    const char *label; /* endpoint label in /metrics */
    ts_route_handler handler;
    int store; /* needs the store: 503 while it could not be opened */
} route;

/* POSTs check the register tokens themselves. GETs need the status token
 * when the config sets one, except /healthz and the page's HTML (the page
 * asks for the token and sends it on its own requests). */
static const route routes[] = {
    {"POST", "/v1/transactions", 0, 1, "post_txn", ts_intake_post, 1},
    {"POST", "/v1/transactions:batch", 0, 1, "post_batch", ts_intake_post_batch, 1},
    {"GET", "/v1/transactions/", 1, 0, "get_txn", ts_intake_get, 1},
    {"GET", "/v1/items", 0, 0, "items", ts_items_handle, 1},
    {"GET", "/v1/items/", 1, 0, "items", ts_items_handle, 1},
    {"GET", "/v1/status", 0, 0, "status", ts_status_handle_json, 0},
    {"GET", "/v1/status/history", 0, 0, "history", ts_history_handle, 0},
    {"GET", "/metrics", 0, 0, "metrics", ts_metrics_handle, 0},
    {"GET", "/", 0, 1, "page", ts_status_handle_page, 0},
    {"GET", "/healthz", 0, 1, "healthz", healthz, 0},
};

static void dispatch(void *user, ts_http_exchange *ex, const ts_http_request *req)
{
    ts_agent *a = user;
    int path_known = 0;
    ts_update_note_request(a, ts_str_eq(req->method, "POST"));
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const route *r = &routes[i];
        if (!(r->prefix ? path_starts(req, r->path) : path_is(req, r->path)))
            continue;
        path_known = 1;
        if (!ts_str_eq(req->method, r->method))
            continue;
        ts_http_exchange_set_label(ex, r->label);
        if (!r->open && a->cfg->has_status_token &&
            !ts_bearer_matches(req, a->cfg->status_token_sha256)) {
            ts_reply_error(ex, 401, "unauthorized", "this page needs the store's status token",
                           NULL, "WWW-Authenticate: Bearer\r\n");
            return;
        }
        if (r->store && !a->txnlog) {
            ts_reply_error(ex, 503, "storage_unavailable",
                           "the agent cannot open its store; keep the txn and retry", NULL,
                           "Retry-After: 30\r\n");
            return;
        }
        r->handler(a, ex, req);
        return;
    }
    if (path_known)
        ts_reply_error(ex, 405, "method_not_allowed", "this path does not take that method", NULL,
                       "");
    else
        ts_reply_error(ex, 404, "not_found", "no such path", NULL, "");
}

static void on_answer(void *user, const char *label, int status, uint64_t latency_us)
{
    ts_metrics_observe_request(user, label, status, latency_us);
}

/* The listening socket a self-update restart handed over (docs/update.md):
 * taken once, so a later exec does not see a stale number. */
static int inherited_listen_fd(void)
{
    const char *v = getenv("TILLSYNC_LISTEN_FD");
    char *end;
    long fd = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || fd <= 2 || fd > 65535)
        fd = 0;
    unsetenv("TILLSYNC_LISTEN_FD");
    return (int)fd;
}

int ts_router_start(ts_agent *a)
{
    ts_http_server_options opt = {
        .host = a->cfg->listen_host,
        .port = a->cfg->listen_port,
        .max_conns = a->cfg->http_max_conns,
        .idle_timeout_ms = (uint64_t)a->cfg->http_idle_timeout_ms,
        .max_conns_per_addr = a->cfg->http_max_conns_per_addr,
        .header_timeout_ms = (uint64_t)a->cfg->http_header_timeout_ms,
        .body_limit = TS_HTTP_MAX_BODY_BYTES,
        .on_answer = on_answer,
        .inherit_fd = inherited_listen_fd(),
    };
    return ts_http_server_start(&a->http, a->loop, &opt, dispatch, a);
}

void ts_router_stop(ts_agent *a, void (*cb)(void *), void *arg)
{
    if (a->http)
        ts_http_server_close(a->http, cb, arg);
    else if (cb)
        cb(arg);
}
