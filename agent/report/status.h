/*
 * status.h - the whole state in one JSON document (GET /v1/status, the
 * heartbeat body) and the store manager's page (GET /).
 *
 * status_doc.c writes the document from the typed figures the modules hand
 * out (report.h) and the headline derived from them (headline.h); page.c
 * serves the page, which reads the document.
 */
#ifndef TILLSYNC_STATUS_H
#define TILLSYNC_STATUS_H

#include "core/agent.h"
#include "core/buf.h"
#include "http/reply.h"

/* Appends the whole /v1/status document to out. */
void ts_status_document(ts_agent *a, ts_buf *out);

void ts_status_handle_json(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req);
void ts_status_handle_page(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req);

#endif
