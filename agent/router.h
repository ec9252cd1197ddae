/*
 * router.h - the local API's router (spec: pos-api.md). It checks the
 * status token for GETs and hands each route to its module:
 *   POST /v1/transactions[:batch], GET /v1/transactions/{id}  pos/intake.c
 *   GET /v1/items...                                          pos/items.c
 *   GET /, GET /v1/status                                     report/status.c
 *   GET /metrics                                              report/metrics.c
 *   GET /healthz                                              router.c
 */
#ifndef TILLSYNC_ROUTER_H
#define TILLSYNC_ROUTER_H

#include "core/agent.h"
#include "http/http_server.h"

typedef void (*ts_route_handler)(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req);

/* Starts the local API listener on cfg->listen (port 0: any free port). */
int ts_router_start(ts_agent *a);
void ts_router_stop(ts_agent *a, void (*cb)(void *), void *arg);

#endif
