/*
 * odoo.h - the price and stock sync with Odoo (spec: odoo-sync.md "When").
 *
 * Owns the schedule and the state: a full snapshot at start, after an Odoo
 * outage longer than odoo.full_resync_s, and every odoo.full_resync_s ±10 %
 * (drawn per store); a delta every odoo.delta_s (never on the uplink to
 * central coming back); retries with back-off and jitter (auth_failed:
 * no faster than every 5 minutes); the state ok | unreachable |
 * auth_failed | config_error | never shown in the status and metrics. It reads Odoo with
 * odoo_rpc.h, prices with pricing.h and writes the copy with catalog.h.
 */
#ifndef TILLSYNC_ODOO_H
#define TILLSYNC_ODOO_H

#include <stddef.h>

#include "core/agent.h"
#include "core/buf.h"

/* The least time between two attempts after Odoo refused the credentials. */
#define TS_ODOO_AUTH_RETRY_MS (5 * 60 * 1000)

/* Starts the sync (a->odoo) when odoo is configured; a no-op otherwise.
 * Call after ts_catalog_open(). On failure err says why in one line. */
int ts_odoo_start(ts_agent *a, char *err, size_t errlen);
void ts_odoo_stop(ts_agent *a);

/* The "odoo" object of /v1/status (written whether or not odoo is set). */
void ts_odoo_status_json(ts_agent *a, ts_buf *out);
/* Prometheus lines (HELP/TYPE) for the Odoo sync and the copy. */
void ts_odoo_metrics(ts_agent *a, ts_buf *out);

#endif
