/*
 * intake.h - the POS's door: POST /v1/transactions, POST
 * /v1/transactions:batch and GET /v1/transactions/{txn_id} (pos-api.md).
 *
 * Owns the request-to-answer path of a txn: register token, media type,
 * validation (txn.h), the buffer-full rules, and the answer once the txn
 * log's group commit is on disk. Its only state between requests is the
 * refusal burst (logged once, shown in the status).
 */
#ifndef TILLSYNC_INTAKE_H
#define TILLSYNC_INTAKE_H

#include "core/agent.h"
#include "http/http_server.h"

#define TS_RETRY_AFTER_FULL_S 30 /* what a POS is told to wait on 507 */

void ts_intake_post(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req);
void ts_intake_post_batch(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req);
/* Why new sales are being refused ("buffer_full", "disk_full",
 * "storage_unavailable"), or NULL when they are taken. From memory. */
const char *ts_intake_refusal(ts_agent *a);
void ts_intake_get(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req);

#endif
