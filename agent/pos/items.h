/*
 * items.h - GET /v1/items/{sku}, GET /v1/items?sku=A&sku=B (up to 200) and
 * GET /v1/items?barcode=X (spec: pos-api.md). Answers from the LMDB copy
 * (catalog.h) with on_hand, pending_out (txnlog.h moves not yet reflected
 * by the copy) and available, as_of, snapshot_age_s and stale.
 */
#ifndef TILLSYNC_ITEMS_H
#define TILLSYNC_ITEMS_H

#include "core/agent.h"
#include "core/buf.h"
#include "http/http_server.h"

#define TS_ITEMS_BULK_MAX 200

/* For every request whose path starts with /v1/items. */
void ts_items_handle(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req);
/* Prometheus lines for the look-ups (called by ts_odoo_metrics). */
void ts_items_metrics(ts_buf *out);

#endif
