/*
 * items.h - GET /v1/items/{sku}, GET /v1/items?sku=A&sku=B (up to 200) and
 * GET /v1/items?barcode=X (spec: pos-api.md). Answers from the LMDB copy
 * (catalog.h) with on_hand, pending_out (txnlog.h moves not yet reflected
 * by the copy) and available, as_of, snapshot_age_s and stale.
 */
#ifndef TILLSYNC_ITEMS_H
#define TILLSYNC_ITEMS_H

#include <stdint.h>

#include "core/agent.h"
#include "http/http_server.h"

#define TS_ITEMS_BULK_MAX 200

/* For every request whose path starts with /v1/items. */
void ts_items_handle(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req);
/* The look-up counters since start (tillsync_item_* in /metrics). */
typedef struct ts_items_counters {
    uint64_t found;    /* SKUs or barcodes answered */
    uint64_t unknown;  /* looked up but not in the copy */
    uint64_t requests; /* to /v1/items */
    uint64_t refused;  /* answered with an error */
} ts_items_counters;

void ts_items_get_counters(ts_items_counters *out);

#endif
