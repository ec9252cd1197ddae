/*
 * metrics.h - GET /metrics: the agent's figures in the Prometheus text
 * exposition format 0.0.4 (agent/report/metrics.c).
 *
 * metrics.c owns the request counters (by endpoint and status code), the
 * latency histograms of the POS endpoints and a small table of named event
 * counters any module may bump. At scrape time it writes its own families
 * and, from the same typed figures /v1/status shows (report.h), the queue,
 * storage, uplink, remote config, Odoo and item look-up families. Every
 * family goes through core/prom.h, so it has its HELP and TYPE lines and
 * every label is escaped.
 *
 * a->metrics is the report layer's whole state: these counters, the
 * providers main.c wires in (ts_report_set_providers) and the start time.
 * Every function is a no-op when a->metrics is NULL.
 */
#ifndef TILLSYNC_METRICS_H
#define TILLSYNC_METRICS_H

#include <stdint.h>

#include "core/agent.h"
#include "core/buf.h"
#include "core/prom.h"
#include "http/http_server.h"

/* Allocates a->metrics and records the start time; 0 or TS_ENOMEM. */
int ts_metrics_new(ts_agent *a);
void ts_metrics_free(ts_agent *a);

/*
 * Counts one answered request. endpoint is one of the fixed labels
 * "post_txn" "post_batch" "get_txn" "items" "status" "page" "metrics"
 * "healthz" "other" (anything else counts as "other"). The POS endpoints
 * (post_txn, post_batch, get_txn, items) also feed the latency histogram.
 */
void ts_metrics_observe_request(ts_agent *a, const char *endpoint, int status, uint64_t latency_us);

/*
 * Adds delta to the named event counter, creating it on first use. name is
 * a Prometheus metric name ending in "_total" ("tillsync_" prefix), help a
 * one-line description; both are copied. The table is bounded (64 names):
 * past that the count is dropped and a warning logged once.
 */
void ts_metrics_count(ts_agent *a, const char *name, const char *help, uint64_t delta);

/* Appends the whole exposition (what GET /metrics answers). */
void ts_metrics_document(ts_agent *a, ts_buf *out);

/* GET /metrics: text/plain; version=0.0.4. */
void ts_metrics_handle(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req);

#endif
