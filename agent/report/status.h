/*
 * status.h - the whole state in one JSON document (GET /v1/status, the
 * heartbeat body) and the store manager's page (GET /).
 *
 * status.c composes the document; each module writes its own part, so no
 * module reads another's state. The parts, each a JSON object value:
 *   "central"  ts_uplink_status_json()   (uplink.h)
 *   "queue"    status.c from ts_txnlog_get_stats() (txnlog.h)
 *   "odoo"     ts_odoo_status_json()     (odoo.h)
 *   "storage"  status.c from store.h stats
 *   "tls"      ts_uplink_tls_status_json() (uplink.h)
 *   "update"   ts_update_status_json()   (update.h, later)
 *   "config"   status.c from the config
 * Likewise for /metrics each module appends Prometheus text lines to a
 * ts_buf with its own ts_<module>_metrics(agent, buf).
 */
#ifndef TILLSYNC_STATUS_H
#define TILLSYNC_STATUS_H

#include "core/agent.h"
#include "http/reply.h"
#include "core/buf.h"
#include "store/txnlog.h"

/*
 * The figures /v1/status and /metrics both show, read once per request so
 * the two never disagree on how they are computed.
 */
typedef struct ts_status_figures {
    int64_t now_ms;
    int64_t uptime_s;
    ts_txnlog_stats queue;        /* zero when the log is not open */
    int64_t oldest_pending_age_s; /* -1 when nothing is pending */
    uint64_t max_pending;
    uint64_t map_bytes;      /* LMDB map size */
    uint64_t map_used_bytes; /* pages in use */
    double map_used_pct;     /* rounded to one decimal */
    int storage_healthy;     /* the last commit did not fail */
    uint64_t commits, commit_failures, last_commit_us;
    int disk_known; /* statvfs on data_dir worked */
    uint64_t disk_free_bytes, disk_total_bytes;
    uint64_t stale_readers_cleared;
    const char *refusing; /* why new sales are refused right now, or NULL */
} ts_status_figures;

void ts_status_figures_get(ts_agent *a, ts_status_figures *out);

/* Appends the whole /v1/status document to out. */
void ts_status_document(ts_agent *a, ts_buf *out);

void ts_status_handle_json(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req);
void ts_status_handle_page(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req);

#endif
