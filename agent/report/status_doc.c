/*
 * status_doc.c - the /v1/status document (status.h, spec: pos-api.md
 * "Status"), written from the typed figures (report.h) and the headline
 * (headline.h). The one JSON writer of the status: every part is here,
 * none is read back.
 */
#include "report/status.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "report/headline.h"
#include "report/report.h"

#define STATUS_DOC_LIMIT (256 * 1024)

/* The uplink's parts show milliseconds, the rest whole seconds. */
enum { SECONDS, MILLIS };

static void json_time_or_null(ts_buf *out, int64_t wall_ms, int precision)
{
    char t[TS_RFC3339_LEN];
    if (wall_ms <= 0) {
        ts_buf_puts(out, "null");
        return;
    }
    if (precision == MILLIS)
        ts_format_rfc3339_ms(wall_ms, t);
    else
        ts_format_rfc3339_s(wall_ms, t);
    ts_buf_printf(out, "\"%s\"", t);
}

static void json_string_or_null(ts_buf *out, const char *s)
{
    if (s && s[0])
        ts_buf_json_string(out, s, strlen(s));
    else
        ts_buf_puts(out, "null");
}

static void json_bool(ts_buf *out, const char *key, int v)
{
    ts_buf_printf(out, ",\"%s\":%s", key, v ? "true" : "false");
}

/* ---- "central" and "tls" ---- */

static void write_remote_config(ts_agent *a, const ts_remote_config_snapshot *rc, ts_buf *out)
{
    ts_buf_puts(out, ",\"remote_config\":{\"version\":");
    json_string_or_null(out, a->cfg ? a->cfg->remote_version : NULL);
    ts_buf_puts(out, ",\"last_poll_at\":");
    json_time_or_null(out, rc->last_poll_ms, MILLIS);
    ts_buf_puts(out, ",\"last_applied_at\":");
    json_time_or_null(out, rc->last_applied_ms, MILLIS);
    ts_buf_puts(out, ",\"last_error\":");
    json_string_or_null(out, rc->last_error);
    ts_buf_puts(out, ",\"update_offered\":");
    json_string_or_null(out, rc->update_offered);
    ts_buf_puts(out, "}");
}

static void write_central_part(ts_agent *a, const ts_uplink_snapshot *u, ts_buf *out)
{
    if (!u->running) {
        ts_buf_puts(out, "{\"state\":\"offline\",\"since\":null,\"last_ok_at\":null,"
                         "\"last_error\":\"" TS_UPLINK_NOT_RUNNING "\",\"acked_through\":null,"
                         "\"next_retry_in_s\":0}");
        return;
    }
    ts_buf_printf(out, "{\"state\":\"%s\",\"since\":", ts_link_state_name(u->state));
    json_time_or_null(out, u->since_ms, MILLIS);
    ts_buf_puts(out, ",\"last_ok_at\":");
    json_time_or_null(out, u->last_ok_ms, MILLIS);
    ts_buf_puts(out, ",\"last_error\":");
    json_string_or_null(out, u->last_error);
    ts_buf_puts(out, ",\"last_error_at\":");
    json_time_or_null(out, u->last_error_ms, MILLIS);
    ts_buf_printf(out,
                  ",\"acked_through\":%" PRIu64 ",\"next_retry_in_s\":%" PRIu64
                  ",\"consecutive_failures\":%" PRIu64,
                  u->acked_through, (u->next_retry_in_ms + 999) / 1000, u->consecutive_failures);
    json_bool(out, "batch_in_flight", u->batch_in_flight);
    const char *held = ts_uplink_hold_name(u->held);
    ts_buf_puts(out, ",\"held\":");
    json_string_or_null(out, held);
    if (u->rejected_seq)
        ts_buf_printf(out, ",\"rejected_seq\":%" PRIu64, u->rejected_seq);
    else
        ts_buf_puts(out, ",\"rejected_seq\":null");
    const char *url = a->cfg ? a->cfg->central.url : "";
    ts_buf_puts(out, ",\"url\":");
    ts_buf_json_string(out, url, strlen(url));
    ts_buf_printf(out, ",\"link_up_events\":%" PRIu64, u->link_up_events);
    if (a->cfg && a->cfg->central.insecure_plain)
        ts_buf_puts(out, ",\"insecure_plain\":true,\"warning\":\"central.insecure_plain is on: "
                         "txns go to central unencrypted (tests only)\"");
    if (u->has_remote_config)
        write_remote_config(a, &u->remote_config, out);
    ts_buf_puts(out, "}");
}

static void write_tls_part(const ts_report_figures *f, ts_buf *out)
{
    if (!f->cert_known) {
        ts_buf_puts(out, "{\"client_cert_expires_at\":null,\"days_left\":null}");
        return;
    }
    ts_buf_puts(out, "{\"client_cert_expires_at\":");
    json_time_or_null(out, f->uplink.cert_not_after_ms, SECONDS);
    ts_buf_printf(out, ",\"days_left\":%" PRId64 "}", f->cert_days_left);
}

/* ---- "odoo" ---- */

static void write_odoo_running(const ts_odoo_snapshot *o, ts_buf *out)
{
    static const char *const syncing[] = {"null", "\"full\"", "\"delta\""};
    ts_buf_puts(out, ",\"protocol\":");
    json_string_or_null(out, o->protocol);
    ts_buf_printf(out, ",\"syncing\":%s,\"next_attempt_in_s\":%" PRIu64,
                  syncing[o->syncing <= TS_ODOO_SYNC_DELTA ? o->syncing : 0],
                  (o->next_attempt_in_ms + 999) / 1000);
    if (o->state == TS_ODOO_AUTH_FAILED)
        ts_buf_puts(out, ",\"retry_policy\":\"Odoo refused the credentials: the agent tries "
                         "again no more than once every 5 minutes, re-reading "
                         "odoo.api_key_file each time\"");
    else if (o->state == TS_ODOO_CONFIG_ERROR)
        ts_buf_puts(out, ",\"retry_policy\":\"a setting is wrong: the agent tries again no more "
                         "than once every 5 minutes, so it picks up a fix made in Odoo\"");
}

/* odoo.problems: what store IT should fix in Odoo (pos-api.md). */
static void write_odoo_problems(const ts_odoo_snapshot *o, ts_buf *out)
{
    ts_buf_puts(out, ",\"problems\":[");
    for (size_t i = 0; i < o->n_problems; i++) {
        const ts_odoo_problem *p = &o->problems[i];
        int bc = p->kind == TS_ODOO_DUPLICATE_BARCODE;
        ts_buf_printf(
            out,
            "%s{\"kind\":\"%s\",\"message\":\"%" PRId64
            " %s shared by several products in Odoo: a till gets the one with the "
            "lowest id. Give each product its own %s in Odoo.\",\"count\":%" PRId64 ",\"codes\":[",
            i ? "," : "", ts_odoo_problem_name(p->kind), p->count,
            bc ? (p->count == 1 ? "barcode is" : "barcodes are")
               : (p->count == 1 ? "internal reference (SKU) is" : "internal references (SKUs) are"),
            bc ? "barcode" : "internal reference", p->count);
        for (size_t j = 0; j < p->n_codes; j++) {
            if (j)
                ts_buf_puts(out, ",");
            ts_buf_json_string(out, p->codes[j].code, strlen(p->codes[j].code));
        }
        ts_buf_puts(out, "]}");
    }
    ts_buf_puts(out, "]");
}

static void write_odoo_part(const ts_odoo_snapshot *o, ts_buf *out)
{
    const ts_catalog_info *c = &o->copy;
    ts_buf_printf(out, "{\"configured\":%s,\"state\":\"%s\"", o->configured ? "true" : "false",
                  ts_odoo_state_name(o->state));
    ts_buf_puts(out, ",\"last_full_at\":");
    json_time_or_null(out, c->has_copy ? c->full_at_ms : 0, SECONDS);
    ts_buf_puts(out, ",\"last_delta_at\":");
    json_time_or_null(out, c->has_copy ? c->delta_at_ms : 0, SECONDS);
    ts_buf_puts(out, ",\"as_of\":");
    json_time_or_null(out, c->has_copy ? c->as_of_ms : 0, SECONDS);
    ts_buf_printf(out, ",\"items\":%" PRId64, c->has_copy ? c->items : 0);
    json_bool(out, "stale", o->stale);
    if (c->has_copy)
        ts_buf_printf(out, ",\"snapshot_age_s\":%" PRId64, o->age_s);
    else
        ts_buf_puts(out, ",\"snapshot_age_s\":null");
    ts_buf_puts(out, ",\"last_error\":");
    json_string_or_null(out, o->last_error);
    if (o->configured && o->last_error[0]) {
        ts_buf_puts(out, ",\"last_error_at\":");
        json_time_or_null(out, o->last_error_ms, SECONDS);
    }
    if (o->state == TS_ODOO_CONFIG_ERROR) {
        ts_buf_puts(out, ",\"setting\":");
        json_string_or_null(out, o->setting);
    }
    if (o->running)
        write_odoo_running(o, out);
    if (o->configured)
        write_odoo_problems(o, out);
    ts_buf_printf(out, ",\"skipped_products\":%" PRId64 ",\"list_price_fallback\":%" PRId64,
                  c->skipped, c->fallback);
    if (c->has_copy) {
        ts_buf_puts(out, ",\"currency\":");
        ts_buf_json_string(out, c->currency, strnlen(c->currency, sizeof(c->currency)));
    }
    ts_buf_puts(out, "}");
}

/* ---- "queue", "storage", "update", "config" ---- */

static void write_queue_part(const ts_report_figures *f, ts_buf *out)
{
    const ts_txnlog_stats *q = &f->queue;
    ts_buf_printf(out, "{\"pending\":%" PRIu64 ",\"oldest_pending_age_s\":", q->pending);
    if (f->oldest_pending_age_s < 0)
        ts_buf_puts(out, "null");
    else
        ts_buf_printf(out, "%" PRId64, f->oldest_pending_age_s);
    ts_buf_puts(out, ",\"oldest_pending_at\":");
    json_time_or_null(out, q->pending ? q->oldest_pending_received_at_ms : 0, SECONDS);
    ts_buf_printf(out,
                  ",\"last_seq\":%" PRIu64 ",\"accepted_total\":%" PRIu64
                  ",\"rejected_total\":%" PRIu64 ",\"max_pending\":%" PRIu64 "}",
                  q->last_seq, q->accepted_total, q->rejected_total, f->max_pending);
}

static void write_storage_part(const ts_report_figures *f, ts_buf *out)
{
    ts_buf_printf(out,
                  "{\"map_used_pct\":%.1f,\"map_used_mb\":%" PRIu64 ",\"map_size_mb\":%" PRIu64
                  ",\"disk_free_mb\":",
                  f->map_used_pct, f->storage.used_bytes >> 20, f->storage.map_bytes >> 20);
    if (f->disk_known)
        ts_buf_printf(out, "%" PRIu64 ",\"disk_total_mb\":%" PRIu64, f->disk_free_bytes >> 20,
                      f->disk_total_bytes >> 20);
    else
        ts_buf_puts(out, "null,\"disk_total_mb\":null");
    ts_buf_printf(out, ",\"healthy\":%s}", f->storage.healthy ? "true" : "false");
}

/* "bad_versions" (update.md) and "bad": each with its reason and starts. */
static void write_bad_versions(const ts_update_state *st, ts_buf *out)
{
    ts_buf_puts(out, ",\"bad_versions\":[");
    for (int i = 0; st && i < st->n_bad; i++) {
        ts_buf_puts(out, i ? "," : "");
        json_string_or_null(out, st->bad[i].version);
    }
    ts_buf_puts(out, "],\"bad\":[");
    for (int i = 0; st && i < st->n_bad; i++) {
        ts_buf_puts(out, i ? ",{\"version\":" : "{\"version\":");
        json_string_or_null(out, st->bad[i].version);
        ts_buf_puts(out, ",\"reason\":");
        json_string_or_null(out, st->bad[i].reason);
        ts_buf_printf(out, ",\"starts\":%d,\"at\":", st->bad[i].starts);
        json_time_or_null(out, st->bad[i].at_ms, MILLIS);
        ts_buf_puts(out, "}");
    }
    ts_buf_puts(out, "]");
}

/* The "update" part (update.md), plus "probation_starts" and "bad". */
static void write_update_part(const ts_report_figures *f, ts_buf *out)
{
    const ts_update_snapshot *u = &f->update;
    if (!f->has_update) {
        ts_buf_puts(out, "{\"running\":\"" TS_VERSION "\",\"offered\":null,\"state\":\"idle\","
                         "\"progress_bytes\":0,\"size_bytes\":null,\"last_result\":null,"
                         "\"last_result_at\":null,\"bad_versions\":[]}");
        return;
    }
    ts_buf_puts(out, "{\"running\":");
    json_string_or_null(out, u->running);
    ts_buf_puts(out, ",\"offered\":");
    json_string_or_null(out, u->offered);
    ts_buf_printf(out,
                  ",\"state\":\"%s\",\"progress_bytes\":%" PRIu64 ",\"size_bytes\":", u->state_name,
                  u->progress_bytes);
    if (u->size_bytes >= 0)
        ts_buf_printf(out, "%" PRId64, u->size_bytes);
    else
        ts_buf_puts(out, "null");
    ts_buf_puts(out, ",\"last_result\":");
    json_string_or_null(out, u->last_result);
    ts_buf_puts(out, ",\"last_result_at\":");
    json_time_or_null(out, u->last_result_ms, MILLIS);
    ts_buf_printf(out, ",\"probation_starts\":%d", u->probation_starts);
    write_bad_versions(u->files, out);
    ts_buf_puts(out, "}");
}

static void write_config_part(ts_agent *a, ts_buf *out)
{
    ts_buf_puts(out, "{\"remote_version\":");
    json_string_or_null(out, a->cfg ? a->cfg->remote_version : NULL);
    ts_buf_puts(out, "}");
}

/* ---- The headline ---- */

static void write_headline(const ts_headline *h, ts_buf *out)
{
    ts_buf_printf(out, "{\"level\":\"%s\",\"words\":\"%s\",\"text\":", ts_level_name(h->level),
                  ts_level_words(h->level));
    ts_buf_json_string(out, h->text, strlen(h->text));
    ts_buf_puts(out, ",\"issues\":[");
    for (int i = 0; i < h->n; i++) {
        const ts_issue *is = &h->issues[i];
        ts_buf_printf(out, "%s{\"level\":\"%s\",\"code\":\"%s\",\"text\":", i ? "," : "",
                      ts_level_name(is->level), is->code);
        ts_buf_json_string(out, is->text, strlen(is->text));
        ts_buf_puts(out, ",\"action\":");
        ts_buf_json_string(out, is->action, strlen(is->action));
        ts_buf_puts(out, "}");
    }
    ts_buf_puts(out, "]}");
}

/* ---- The document ---- */

void ts_status_document(ts_agent *a, ts_buf *out)
{
    ts_report_figures f;
    ts_report_figures_get(a, &f);
    ts_headline h;
    ts_headline_derive(&f, &h);

    const char *store_id = a->cfg ? a->cfg->store_id : "";
    ts_buf_puts(out, "{\"store_id\":");
    ts_buf_json_string(out, store_id, strlen(store_id));
    ts_buf_puts(out, ",\"version\":\"" TS_VERSION "\",\"started_at\":");
    json_time_or_null(out, f.started_at_ms, SECONDS);
    ts_buf_printf(out, ",\"uptime_s\":%" PRId64 ",\"now\":", f.uptime_s);
    json_time_or_null(out, f.now_ms, SECONDS);
    ts_buf_puts(out, ",\"headline\":");
    write_headline(&h, out);
    ts_buf_puts(out, ",\"central\":");
    write_central_part(a, &f.uplink, out);
    ts_buf_puts(out, ",\"queue\":");
    write_queue_part(&f, out);
    ts_buf_puts(out, ",\"odoo\":");
    if (f.has_odoo)
        write_odoo_part(&f.odoo, out);
    else
        ts_buf_puts(out, "null");
    ts_buf_puts(out, ",\"storage\":");
    write_storage_part(&f, out);
    ts_buf_puts(out, ",\"tls\":");
    write_tls_part(&f, out);
    ts_buf_puts(out, ",\"update\":");
    write_update_part(&f, out);
    ts_buf_puts(out, ",\"config\":");
    write_config_part(a, out);
    ts_buf_puts(out, "}");
}

void ts_status_handle_json(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req)
{
    (void)req;
    ts_buf body;
    ts_buf_init(&body, STATUS_DOC_LIMIT);
    ts_status_document(a, &body);
    if (ts_buf_ok(&body)) {
        ts_http_respond(ex, 200, "application/json", "Cache-Control: no-store\r\n", body.data,
                        body.len);
    } else {
        ts_error("status.too_large", "limit=%d", STATUS_DOC_LIMIT);
        ts_reply_error(ex, 500, "internal_error", "the status did not fit; see the agent's log",
                       NULL, "");
    }
    ts_buf_free(&body);
}
