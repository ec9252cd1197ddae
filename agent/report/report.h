/*
 * report.h - what the report layer reads: each module's figures as a typed
 * snapshot, handed over by a provider that main.c wires in.
 *
 * The modules below never print JSON or Prometheus text for this layer;
 * they fill plain structs (ts_uplink_snapshot, ts_odoo_snapshot, ...) and
 * this layer writes the three outputs from them: the /v1/status document
 * (status.h), its headline (headline.h) and /metrics (metrics.h). A figure
 * is read once per request into ts_report_figures, so the three never
 * disagree on how it is computed.
 */
#ifndef TILLSYNC_REPORT_H
#define TILLSYNC_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "central/uplink.h"
#include "core/agent.h"
#include "central/update.h"
#include "http/http_server.h"
#include "odoo/odoo.h"
#include "pos/items.h"
#include "store/store.h"
#include "store/txnlog.h"

/*
 * One typed getter per module. A NULL getter is a module this agent does
 * not run (unit tests wire none): its part shows as not running, its
 * counters as absent. Every getter runs on the loop thread and must not
 * block.
 */
typedef struct ts_report_providers {
    void (*queue)(ts_agent *a, ts_txnlog_stats *out);
    void (*storage)(ts_agent *a, ts_store_stats *out);
    void (*uplink)(ts_agent *a, ts_uplink_snapshot *out);
    void (*odoo)(ts_agent *a, ts_odoo_snapshot *out);
    void (*items)(ts_agent *a, ts_items_counters *out);
    void (*http)(ts_agent *a, ts_http_server_stats *out);
    /* Why new sales are refused right now, or NULL (pos/intake.h). */
    const char *(*intake_refusal)(ts_agent *a);
    void (*update)(ts_agent *a, ts_update_snapshot *out);
} ts_report_providers;

/* Copies p into the report layer's state (a->metrics, ts_metrics_new()). */
void ts_report_set_providers(ts_agent *a, const ts_report_providers *p);

/* What the "central" part and the headline say while no uplink runs. */
#define TS_UPLINK_NOT_RUNNING "the uplink is not running"

typedef struct ts_report_figures {
    int64_t now_ms;
    int64_t started_at_ms;        /* wall clock at ts_metrics_new() */
    int64_t uptime_s;             /* monotonic */
    ts_txnlog_stats queue;        /* zero without a provider */
    int64_t oldest_pending_age_s; /* -1 when nothing is pending */
    uint64_t max_pending;
    int has_storage;
    ts_store_stats storage; /* healthy is 1 without a provider */
    double map_used_pct;    /* rounded to one decimal */
    int disk_known;         /* the writer's last statvfs of data_dir worked */
    uint64_t disk_free_bytes, disk_total_bytes;
    ts_uplink_snapshot uplink; /* running 0: no uplink */
    int cert_known;            /* the uplink knows its client certificate */
    int64_t cert_days_left;    /* whole days, negative once expired */
    int has_odoo;
    ts_odoo_snapshot odoo;
    int has_items;
    ts_items_counters items;
    int has_http;
    ts_http_server_stats http;
    const char *refusing; /* why new sales are refused right now, or NULL */
    int has_update;
    ts_update_snapshot update;
} ts_report_figures;

/* Reads every provider once. */
void ts_report_figures_get(ts_agent *a, ts_report_figures *out);

#endif
