/*
 * status.c - the /v1/status document, its headline, and the status page
 * (see status.h).
 *
 * Each module writes its own part of the document; this file writes the
 * parts no other module owns (queue, storage, update, config), puts them
 * together, and derives the headline. The headline rules live in one place
 * (the *_issues functions below) and read the parts as JSON, exactly as a
 * reader of the document would, so no module's state is read behind its
 * back and the page, the heartbeat and /v1/status always agree.
 */
#include "report/status.h"

#include <cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http/reply.h"
#include "core/clock.h"
#include "config/config.h"
#include "crypto/crypto.h"
#include "core/error.h"
#include "core/fsinfo.h"
#include "core/log.h"
#include "odoo/odoo.h"
#include "report/i18n.h"
#include "store/store.h"
#include "central/uplink.h"

#define STATUS_DOC_LIMIT (256 * 1024)
#define PART_LIMIT (32 * 1024)
#define MAX_ISSUES 12
#define ISSUE_TEXT_MAX 320

/* Thresholds for "needs attention". */
#define CERT_WARN_DAYS 30
#define DISK_LOW_MB 200   /* absolute floor... */
#define DISK_LOW_PCT 5    /* ...or this share of the file system */
#define MAP_HIGH_PCT 90.0 /* new txns are refused at 95 */
#define QUEUE_NEAR_FULL_PCT 90

/* The page, generated at build time from agent/www/status.html
 * (agent/www/embed.cmake). */
extern const unsigned char ts_www_status_html[];
extern const size_t ts_www_status_html_len;

/* ---- Figures shared with /metrics ---- */

static double round_one_decimal(double v)
{
    return (double)(int64_t)(v * 10.0 + 0.5) / 10.0;
}

void ts_status_figures_get(ts_agent *a, ts_status_figures *f)
{
    memset(f, 0, sizeof(*f));
    f->now_ms = ts_wall_ms();
    f->uptime_s = (int64_t)((ts_mono_ms() - a->started_mono_ms) / 1000u);
    f->oldest_pending_age_s = -1;
    f->storage_healthy = 1;
    if (a->txnlog) {
        ts_txnlog_get_stats(a, &f->queue);
        if (f->queue.pending > 0 && f->queue.oldest_pending_received_at_ms > 0) {
            int64_t age = (f->now_ms - f->queue.oldest_pending_received_at_ms) / 1000;
            f->oldest_pending_age_s = age < 0 ? 0 : age; /* the wall clock may step back */
        }
    }
    if (a->cfg)
        f->max_pending = a->cfg->storage.max_pending;
    if (a->store) {
        ts_store_stats st;
        ts_store_get_stats(a->store, &st);
        f->map_bytes = st.map_bytes;
        f->map_used_bytes = st.used_bytes;
        f->commits = st.commits;
        f->commit_failures = st.commit_failures;
        f->last_commit_us = st.last_commit_us;
        if (st.map_bytes > 0)
            f->map_used_pct =
                round_one_decimal(100.0 * (double)st.used_bytes / (double)st.map_bytes);
        f->storage_healthy = ts_store_healthy(a->store);
    }
    ts_fs_space space;
    if (a->cfg && ts_fs_space_of(a->cfg->data_dir, &space) == 0) {
        f->disk_known = 1;
        f->disk_free_bytes = space.avail_bytes;
        f->disk_total_bytes = space.total_bytes;
    }
}

/* ---- The parts this file owns ---- */

static void json_time_or_null(ts_buf *out, int64_t wall_ms)
{
    if (wall_ms <= 0) {
        ts_buf_puts(out, "null");
        return;
    }
    char t[TS_RFC3339_LEN];
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

static void write_queue_part(const ts_status_figures *f, ts_buf *out)
{
    const ts_txnlog_stats *q = &f->queue;
    ts_buf_printf(out, "{\"pending\":%" PRIu64 ",\"oldest_pending_age_s\":", q->pending);
    if (f->oldest_pending_age_s < 0)
        ts_buf_puts(out, "null");
    else
        ts_buf_printf(out, "%" PRId64, f->oldest_pending_age_s);
    ts_buf_puts(out, ",\"oldest_pending_at\":");
    json_time_or_null(out, q->pending ? q->oldest_pending_received_at_ms : 0);
    ts_buf_printf(out,
                  ",\"last_seq\":%" PRIu64 ",\"accepted_total\":%" PRIu64
                  ",\"rejected_total\":%" PRIu64 ",\"max_pending\":%" PRIu64 "}",
                  q->last_seq, q->accepted_total, q->rejected_total, f->max_pending);
}

static void write_storage_part(const ts_status_figures *f, ts_buf *out)
{
    ts_buf_printf(out,
                  "{\"map_used_pct\":%.1f,\"map_used_mb\":%" PRIu64 ",\"map_size_mb\":%" PRIu64
                  ",\"disk_free_mb\":",
                  f->map_used_pct, f->map_used_bytes >> 20, f->map_bytes >> 20);
    if (f->disk_known)
        ts_buf_printf(out, "%" PRIu64 ",\"disk_total_mb\":%" PRIu64, f->disk_free_bytes >> 20,
                      f->disk_total_bytes >> 20);
    else
        ts_buf_puts(out, "null,\"disk_total_mb\":null");
    ts_buf_printf(out, ",\"healthy\":%s}", f->storage_healthy ? "true" : "false");
}

/* The "update" part. The update module (update.md) replaces this one
 * function with its own ts_update_status_json(). */
static void write_update_part(ts_agent *a, ts_buf *out)
{
    (void)a;
    ts_buf_puts(out, "{\"current\":\"" TS_VERSION "\",\"available\":null,\"last_result\":null}");
}

static void write_config_part(ts_agent *a, ts_buf *out)
{
    ts_buf_puts(out, "{\"remote_version\":");
    json_string_or_null(out, a->cfg ? a->cfg->remote_version : NULL);
    ts_buf_puts(out, "}");
}

/* ---- The headline ---- */

typedef enum { LEVEL_OK = 0, LEVEL_OFFLINE = 1, LEVEL_ATTENTION = 2 } level;

static const char *const level_names[] = {"ok", "offline", "attention"};
static const char *const level_words[] = {"All good", "Working offline", "Needs attention"};

typedef struct issue {
    level lvl;
    const char *code;   /* stable, for scripts: "central_unreachable" */
    const char *action; /* what a store manager does about it */
    char text[ISSUE_TEXT_MAX];
} issue;

typedef struct headline {
    issue issues[MAX_ISSUES];
    int n;
} headline;

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static void
add_issue(headline *h, level lvl, const char *code, const char *action, const char *fmt, ...)
{
    if (h->n == MAX_ISSUES)
        return;
    issue *is = &h->issues[h->n++];
    is->lvl = lvl;
    is->code = code;
    is->action = action;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(is->text, sizeof(is->text), fmt, ap);
    va_end(ap);
}

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A JSON number as int64 (the figures here are small integers). */
static int json_int(const cJSON *obj, const char *key, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return 0;
    *out = (int64_t)v->valuedouble;
    return 1;
}

static int json_is_true(const cJSON *obj, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* "2026-11-25T14:02:11Z" -> "14:02 UTC"; anything else as it is. */
static void short_time(const char *rfc3339, char *out, size_t n)
{
    if (rfc3339 && strlen(rfc3339) >= 16 && rfc3339[10] == 'T')
        snprintf(out, n, "%.5s UTC", rfc3339 + 11);
    else
        snprintf(out, n, "%s", rfc3339 ? rfc3339 : "start-up");
}

/* Central's reason from the uplink's "central rejects seq N: <reason>"
 * (the sale number is said once, by the caller). */
static const char *reason_of(const char *err)
{
    static const char prefix[] = "central rejects seq ";
    if (!err)
        return "no reason given";
    const char *colon = strstr(err, ": ");
    if (strncmp(err, prefix, sizeof(prefix) - 1) == 0 && colon)
        return colon + 2;
    return err;
}

/* The uplink holds the head of the queue (uplink.h "held"): later sales
 * wait until a person sorts it out. */
static void central_hold_issue(headline *h, const cJSON *central, const char *held)
{
    const char *err = json_str(central, "last_error");
    int64_t seq = 0;
    if (strcmp(held, "rejected") == 0 && json_int(central, "rejected_seq", &seq))
        add_issue(h, LEVEL_ATTENTION, "central_rejects_seq",
                  "Keep selling: later sales wait safely in the agent. Call store IT with this "
                  "sale number; central must accept or fix it before the rest can go.",
                  "Central refuses sale number %" PRId64 ": %s", seq, reason_of(err));
    else if (strcmp(held, "lost_data") == 0)
        add_issue(h, LEVEL_ATTENTION, "central_lost_data",
                  "Call store IT now: central lost sales this agent no longer holds. They must "
                  "be recovered from the back office before sending can go on.",
                  "%s", err ? err : "Central lost sales this agent already removed");
    else
        add_issue(h, LEVEL_ATTENTION, "central_held",
                  "Call store IT: central and this agent disagree on which sales central has. "
                  "Sales are kept here meanwhile.",
                  "%s", err ? err : "Sending to central is on hold");
}

static void central_issues(headline *h, const cJSON *central, const ts_status_figures *f)
{
    const char *state = json_str(central, "state");
    const char *held = json_str(central, "held");
    if (held) {
        central_hold_issue(h, central, held);
        return; /* the hold says more than "offline" would */
    }
    if (state && strcmp(state, "online") == 0)
        return;
    const char *err = json_str(central, "last_error");
    char since[40];
    short_time(json_str(central, "since"), since, sizeof(since));
    add_issue(h, LEVEL_OFFLINE, "central_unreachable",
              "Keep selling: the sales are kept safely here and sent by themselves when the link "
              "is back. If it lasts over an hour, check the store's internet connection, then "
              "call store IT.",
              "No link to central since %s; %" PRIu64 " %s waiting here%s%s", since,
              f->queue.pending, f->queue.pending == 1 ? "sale" : "sales",
              err ? ". Last error: " : "", err ? err : "");
}

static void tls_issues(headline *h, const cJSON *tls)
{
    int64_t days = 0;
    if (!json_int(tls, "days_left", &days))
        return;
    static const char *const action =
        "Ask store IT for a new store certificate: without a valid one central refuses the "
        "link and sales wait here.";
    if (days < 0)
        add_issue(h, LEVEL_ATTENTION, "cert_expired", action,
                  "The store's certificate for central has expired");
    else if (days < CERT_WARN_DAYS)
        add_issue(h, LEVEL_ATTENTION, "cert_expiring", action,
                  "The store's certificate for central expires in %" PRId64 " day(s)", days);
}

static void odoo_issues(headline *h, const cJSON *odoo)
{
    const cJSON *configured = cJSON_GetObjectItemCaseSensitive(odoo, "configured");
    if (cJSON_IsFalse(configured))
        return;
    const char *state = json_str(odoo, "state");
    const char *err = json_str(odoo, "last_error");
    if (state && strcmp(state, "auth_failed") == 0) {
        add_issue(h, LEVEL_ATTENTION, "odoo_auth_failed",
                  "Call store IT: the Odoo user or its API key (odoo.api_key_file) must be "
                  "fixed. The tills go on with the last copy of prices and stock.",
                  "Odoo refuses the agent's log-in%s%s", err ? ": " : "", err ? err : "");
        return;
    }
    if (state && strcmp(state, "never") == 0) {
        add_issue(h, LEVEL_OFFLINE, "odoo_no_copy",
                  "Wait a few minutes after start-up; if it stays, call store IT. Until then the "
                  "tills cannot look up prices here.",
                  "No copy of prices and stock from Odoo yet%s%s", err ? ": " : "", err ? err : "");
        return;
    }
    int stale = json_is_true(odoo, "stale");
    if (state && strcmp(state, "unreachable") == 0) {
        add_issue(h, LEVEL_OFFLINE, "odoo_unreachable",
                  "Keep selling: the tills use the last copy. Check the store's internet "
                  "connection if it lasts; the copy updates by itself when Odoo is back.",
                  "Odoo cannot be reached%s%s%s", stale ? " and the price/stock copy is old" : "",
                  err ? ": " : "", err ? err : "");
    } else if (stale) {
        add_issue(h, LEVEL_OFFLINE, "odoo_stale",
                  "Prices and stock on the tills may be out of date. If it lasts, call store IT.",
                  "The copy of prices and stock is older than it should be");
    }
}

static void storage_issues(headline *h, const ts_status_figures *f)
{
    if (!f->storage_healthy)
        add_issue(h, LEVEL_ATTENTION, "storage_failed",
                  "Call store IT now: the agent cannot write to its disk. The tills keep the "
                  "sales they could not hand over.",
                  "The agent cannot save new sales: its storage reported a write error");
    if (f->map_used_pct >= MAP_HIGH_PCT)
        add_issue(h, LEVEL_ATTENTION, "storage_nearly_full",
                  "Call store IT: the agent's database is nearly full (storage.map_size_mb).",
                  "The agent's database is %.1f%% full", f->map_used_pct);
    uint64_t free_mb = f->disk_free_bytes >> 20;
    if (f->disk_known &&
        (free_mb < DISK_LOW_MB || f->disk_free_bytes < f->disk_total_bytes / 100 * DISK_LOW_PCT))
        add_issue(h, LEVEL_ATTENTION, "disk_nearly_full",
                  "Call store IT: the gateway's disk needs room (old logs or files removed).",
                  "The disk is nearly full: %" PRIu64 " MB free", free_mb);
}

static void queue_issues(headline *h, const ts_status_figures *f)
{
    uint64_t pending = f->queue.pending, max = f->max_pending;
    if (max == 0)
        return;
    if (pending >= max)
        add_issue(h, LEVEL_ATTENTION, "buffer_full",
                  "The tills keep new sales and retry; nothing is lost. Call store IT: the link "
                  "to central must come back for room to free up.",
                  "The agent is full: %" PRIu64 " sales wait and it takes no more", pending);
    else if (pending * 100 >= max * QUEUE_NEAR_FULL_PCT)
        add_issue(h, LEVEL_ATTENTION, "buffer_nearly_full",
                  "Call store IT: the link to central must come back before the agent fills up.",
                  "The agent is nearly full: %" PRIu64 " of %" PRIu64 " places used", pending, max);
}

static level headline_level(const headline *h)
{
    level lvl = LEVEL_OK;
    for (int i = 0; i < h->n; i++) {
        if (h->issues[i].lvl > lvl)
            lvl = h->issues[i].lvl;
    }
    return lvl;
}

static void write_issue(ts_buf *out, const issue *is)
{
    ts_buf_printf(out, "{\"level\":\"%s\",\"code\":\"%s\",\"text\":", level_names[is->lvl],
                  is->code);
    ts_buf_json_string(out, is->text, strlen(is->text));
    ts_buf_puts(out, ",\"action\":");
    ts_buf_json_string(out, is->action, strlen(is->action));
    ts_buf_puts(out, "}");
}

/* {"level","text","issues":[...]}: the most serious issues first. */
static void write_headline(ts_buf *out, const headline *h)
{
    level lvl = headline_level(h);
    const issue *first = NULL;
    for (int i = 0; i < h->n && !first; i++) {
        if (h->issues[i].lvl == lvl)
            first = &h->issues[i];
    }
    char text[ISSUE_TEXT_MAX + 32];
    if (first)
        snprintf(text, sizeof(text), "%s: %s", level_words[lvl], first->text);
    else
        snprintf(text, sizeof(text), "%s: sales are reaching central", level_words[lvl]);
    ts_buf_printf(out, "{\"level\":\"%s\",\"words\":\"%s\",\"text\":", level_names[lvl],
                  level_words[lvl]);
    ts_buf_json_string(out, text, strlen(text));
    ts_buf_puts(out, ",\"issues\":[");
    int written = 0;
    for (int l = LEVEL_ATTENTION; l >= LEVEL_OK; l--) {
        for (int i = 0; i < h->n; i++) {
            if (h->issues[i].lvl != (level)l)
                continue;
            if (written++)
                ts_buf_puts(out, ",");
            write_issue(out, &h->issues[i]);
        }
    }
    ts_buf_puts(out, "]}");
}

/* ---- Putting the document together ---- */

enum {
    PART_CENTRAL,
    PART_QUEUE,
    PART_ODOO,
    PART_STORAGE,
    PART_TLS,
    PART_UPDATE,
    PART_CONFIG,
    PARTS
};
static const char *const part_names[PARTS] = {"central", "queue",  "odoo",  "storage",
                                              "tls",     "update", "config"};

typedef struct parts {
    ts_buf text[PARTS];
    cJSON *json[PARTS]; /* NULL when a module wrote something that is not JSON */
} parts;

static void parts_collect(ts_agent *a, const ts_status_figures *f, parts *p)
{
    for (int i = 0; i < PARTS; i++)
        ts_buf_init(&p->text[i], PART_LIMIT);
    ts_uplink_status_json(a, &p->text[PART_CENTRAL]);
    write_queue_part(f, &p->text[PART_QUEUE]);
    ts_odoo_status_json(a, &p->text[PART_ODOO]); /* also when not configured */
    write_storage_part(f, &p->text[PART_STORAGE]);
    ts_uplink_tls_status_json(a, &p->text[PART_TLS]);
    write_update_part(a, &p->text[PART_UPDATE]);
    write_config_part(a, &p->text[PART_CONFIG]);
    for (int i = 0; i < PARTS; i++) {
        ts_buf *t = &p->text[i];
        p->json[i] = ts_buf_ok(t) && t->len ? cJSON_ParseWithLength(t->data, t->len) : NULL;
        if (!cJSON_IsObject(p->json[i])) {
            ts_warn("status.bad_part", "part=%s", part_names[i]);
            cJSON_Delete(p->json[i]);
            p->json[i] = NULL;
        }
    }
}

static void parts_free(parts *p)
{
    for (int i = 0; i < PARTS; i++) {
        cJSON_Delete(p->json[i]);
        ts_buf_free(&p->text[i]);
    }
}

/* The one place that decides the headline. */
static void derive_headline(const parts *p, const ts_status_figures *f, headline *h)
{
    memset(h, 0, sizeof(*h));
    storage_issues(h, f);
    queue_issues(h, f);
    if (p->json[PART_CENTRAL])
        central_issues(h, p->json[PART_CENTRAL], f);
    if (p->json[PART_TLS])
        tls_issues(h, p->json[PART_TLS]);
    if (p->json[PART_ODOO])
        odoo_issues(h, p->json[PART_ODOO]);
}

void ts_status_document(ts_agent *a, ts_buf *out)
{
    ts_status_figures f;
    ts_status_figures_get(a, &f);
    parts p;
    parts_collect(a, &f, &p);
    headline h;
    derive_headline(&p, &f, &h);

    const char *store_id = a->cfg ? a->cfg->store_id : "";
    ts_buf_puts(out, "{\"store_id\":");
    ts_buf_json_string(out, store_id, strlen(store_id));
    ts_buf_puts(out, ",\"version\":\"" TS_VERSION "\",\"started_at\":");
    json_time_or_null(out, a->started_at_ms);
    ts_buf_printf(out, ",\"uptime_s\":%" PRId64 ",\"now\":", f.uptime_s);
    json_time_or_null(out, f.now_ms);
    ts_buf_puts(out, ",\"headline\":");
    write_headline(out, &h);
    for (int i = 0; i < PARTS; i++) {
        ts_buf_printf(out, ",\"%s\":", part_names[i]);
        if (p.json[i])
            ts_buf_append(out, p.text[i].data, p.text[i].len);
        else
            ts_buf_puts(out, "null");
    }
    ts_buf_puts(out, "}");
    parts_free(&p);
}

/* ---- Handlers ---- */

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

/* Standard base64 of 32 bytes (44 characters and the NUL). */
static void base64_32(const uint8_t in[32], char out[45])
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < 32; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < 32)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < 32)
            v |= in[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = i + 1 < 32 ? abc[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < 32 ? abc[v & 63] : '=';
    }
    out[o] = '\0';
}

/* "'sha256-...'" of the text between open and close tags in the page, so
 * the CSP allows exactly the page's own inline script and style. */
static int inline_hash(const char *page, size_t len, const char *open, const char *close,
                       char out[64])
{
    const char *start = strstr(page, open);
    if (!start || (size_t)(start - page) >= len)
        return TS_ENOTFOUND;
    start += strlen(open);
    const char *end = strstr(start, close);
    if (!end)
        return TS_ENOTFOUND;
    uint8_t digest[32];
    char b64[45];
    ts_sha256(start, (size_t)(end - start), digest);
    base64_32(digest, b64);
    snprintf(out, 64, "'sha256-%s'", b64);
    return 0;
}

/* The page's headers, built once: the page is compiled in and never
 * changes while the agent runs. */
static const char *page_headers(void)
{
    static char headers[1024];
    if (headers[0])
        return headers;
    const char *page = (const char *)ts_www_status_html;
    char script[64] = "'none'", style[64] = "'none'";
    if (inline_hash(page, ts_www_status_html_len, "<script>", "</script>", script) != 0 ||
        inline_hash(page, ts_www_status_html_len, "<style>", "</style>", style) != 0)
        ts_error("status.page_no_inline", "msg=\"the page lacks its <script> or <style>\"");
    snprintf(headers, sizeof(headers),
             "Cache-Control: no-store\r\n"
             "Content-Security-Policy: default-src 'self'; script-src %s; style-src %s; "
             "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
             "frame-ancestors 'none'\r\n"
             "X-Content-Type-Options: nosniff\r\n"
             "Referrer-Policy: no-referrer\r\n",
             script, style);
    return headers;
}

void ts_status_handle_page(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req)
{
    (void)a;
    ts_i18n_respond_page(ex, page_headers(), ts_www_status_html, ts_www_status_html_len,
                         ts_i18n_pick_request(req));
}
