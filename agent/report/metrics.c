/*
 * metrics.c - request counters, latency histograms, event counters and the
 * /metrics exposition (see metrics.h).
 *
 * Everything here runs on the loop thread, so plain integers suffice. The
 * tables are fixed-size and allocated once: a scrape or a request never
 * allocates per label, and a hostile client cannot grow them (the endpoint
 * label is one of a fixed set, and status codes beyond the slots per
 * endpoint fold into code="other").
 */
#include "report/metrics.h"

#include <cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/reply.h"
#include "config/config.h"
#include "core/error.h"
#include "core/log.h"
#include "odoo/odoo.h"
#include "pos/items.h"
#include "report/status.h"
#include "central/update.h"
#include "central/uplink.h"

#define METRICS_BODY_LIMIT (1024 * 1024)
#define CODE_SLOTS 16 /* distinct status codes kept per endpoint */
#define CODE_OTHER 0  /* the slot status codes past CODE_SLOTS share */
#define NAMED_COUNTERS_MAX 64
#define NAMED_NAME_MAX 96
#define NAMED_HELP_MAX 160

static const char *const endpoint_names[] = {"post_txn", "post_batch", "get_txn", "items", "status",
                                             "page",     "metrics",    "healthz", "other"};
enum { ENDPOINTS = sizeof(endpoint_names) / sizeof(endpoint_names[0]), ENDPOINT_OTHER = 8 };
/* The POS endpoints (the first four) get latency histograms. */
enum { POS_ENDPOINTS = 4 };

/* Histogram upper bounds, 0.5 ms .. 5 s: a till waits for a durable commit
 * (about one fsync) so the interesting range is 1-50 ms; seconds mean trouble. */
static const uint64_t bucket_us[] = {500,    1000,   2500,   5000,    10000,   25000,  50000,
                                     100000, 250000, 500000, 1000000, 2500000, 5000000};
static const char *const bucket_le[] = {"0.0005", "0.001", "0.0025", "0.005", "0.01",
                                        "0.025",  "0.05",  "0.1",    "0.25",  "0.5",
                                        "1",      "2.5",   "5"};
enum { BUCKETS = sizeof(bucket_us) / sizeof(bucket_us[0]) };

typedef struct code_slot {
    int code; /* HTTP status; CODE_OTHER; -1 while unused */
    uint64_t count;
    uint64_t buckets[BUCKETS]; /* not cumulative; summed when written */
    uint64_t sum_us;
} code_slot;

typedef struct named_counter {
    char name[NAMED_NAME_MAX];
    char help[NAMED_HELP_MAX];
    uint64_t value;
} named_counter;

struct ts_metrics {
    code_slot slots[ENDPOINTS][CODE_SLOTS];
    named_counter named[NAMED_COUNTERS_MAX];
    int n_named;
    int named_overflow_logged;
};

/* Microseconds as decimal seconds without going through a double. */
static void prom_seconds_us(ts_buf *out, uint64_t us)
{
    ts_buf_printf(out, "%" PRIu64 ".%06" PRIu64, us / 1000000u, us % 1000000u);
}

/* ---- Life cycle ---- */

int ts_metrics_new(ts_agent *a)
{
    ts_metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return TS_ENOMEM;
    for (int e = 0; e < ENDPOINTS; e++) {
        for (int i = 0; i < CODE_SLOTS; i++)
            m->slots[e][i].code = -1;
    }
    a->metrics = m;
    return 0;
}

void ts_metrics_free(ts_agent *a)
{
    free(a->metrics);
    a->metrics = NULL;
}

/* ---- Counting ---- */

static int endpoint_index(const char *endpoint)
{
    for (int e = 0; e < ENDPOINT_OTHER; e++) {
        if (endpoint && strcmp(endpoint, endpoint_names[e]) == 0)
            return e;
    }
    return ENDPOINT_OTHER;
}

/* The slot for code: its own, a free one, or the shared "other" slot
 * (kept last, so real codes always find room before it). */
static code_slot *slot_for(code_slot *slots, int code)
{
    if (code < 100 || code > 599)
        code = CODE_OTHER;
    for (int i = 0; i < CODE_SLOTS - 1; i++) {
        if (slots[i].code == code)
            return &slots[i];
        if (slots[i].code == -1 && code != CODE_OTHER) {
            slots[i].code = code;
            return &slots[i];
        }
    }
    code_slot *other = &slots[CODE_SLOTS - 1];
    other->code = CODE_OTHER;
    return other;
}

void ts_metrics_observe_request(ts_agent *a, const char *endpoint, int status, uint64_t latency_us)
{
    ts_metrics *m = a->metrics;
    if (!m)
        return;
    int e = endpoint_index(endpoint);
    code_slot *s = slot_for(m->slots[e], status);
    s->count++;
    if (e >= POS_ENDPOINTS)
        return;
    s->sum_us += latency_us;
    for (int b = 0; b < BUCKETS; b++) {
        if (latency_us <= bucket_us[b]) {
            s->buckets[b]++;
            break;
        }
    }
}

static named_counter *named_find(ts_metrics *m, const char *name)
{
    for (int i = 0; i < m->n_named; i++) {
        if (strcmp(m->named[i].name, name) == 0)
            return &m->named[i];
    }
    return NULL;
}

void ts_metrics_count(ts_agent *a, const char *name, const char *help, uint64_t delta)
{
    ts_metrics *m = a->metrics;
    if (!m)
        return;
    named_counter *c = named_find(m, name);
    if (!c) {
        if (m->n_named == NAMED_COUNTERS_MAX || strlen(name) >= NAMED_NAME_MAX) {
            if (!m->named_overflow_logged)
                ts_warn("metrics.counter_dropped", "name=%s", name);
            m->named_overflow_logged = 1;
            return;
        }
        c = &m->named[m->n_named++];
        snprintf(c->name, sizeof(c->name), "%s", name);
        snprintf(c->help, sizeof(c->help), "%s", help ? help : name);
    }
    c->value += delta;
}

/* ---- The exposition ---- */

static void write_code_label(ts_buf *out, int code)
{
    if (code == CODE_OTHER)
        ts_buf_puts(out, "code=\"other\"");
    else
        ts_buf_printf(out, "code=\"%d\"", code);
}

static void write_request_counts(ts_metrics *m, ts_buf *out)
{
    ts_prom_family(out, "tillsync_http_requests_total", "counter",
                   "Local API requests answered, by endpoint and HTTP status code.");
    for (int e = 0; e < ENDPOINTS; e++) {
        for (int i = 0; i < CODE_SLOTS; i++) {
            const code_slot *s = &m->slots[e][i];
            if (s->code == -1)
                continue;
            ts_buf_printf(out, "tillsync_http_requests_total{endpoint=\"%s\",", endpoint_names[e]);
            write_code_label(out, s->code);
            ts_buf_printf(out, "} %" PRIu64 "\n", s->count);
        }
    }
}

static void write_one_histogram(ts_buf *out, const char *endpoint, const code_slot *s)
{
    static const char *const name = "tillsync_http_request_duration_seconds";
    uint64_t cumulative = 0;
    for (int b = 0; b < BUCKETS; b++) {
        cumulative += s->buckets[b];
        ts_buf_printf(out, "%s_bucket{endpoint=\"%s\",", name, endpoint);
        write_code_label(out, s->code);
        ts_buf_printf(out, ",le=\"%s\"} %" PRIu64 "\n", bucket_le[b], cumulative);
    }
    ts_buf_printf(out, "%s_bucket{endpoint=\"%s\",", name, endpoint);
    write_code_label(out, s->code);
    ts_buf_printf(out, ",le=\"+Inf\"} %" PRIu64 "\n", s->count);
    ts_buf_printf(out, "%s_sum{endpoint=\"%s\",", name, endpoint);
    write_code_label(out, s->code);
    ts_buf_puts(out, "} ");
    prom_seconds_us(out, s->sum_us);
    ts_buf_printf(out, "\n%s_count{endpoint=\"%s\",", name, endpoint);
    write_code_label(out, s->code);
    ts_buf_printf(out, "} %" PRIu64 "\n", s->count);
}

static void write_latency_histograms(ts_metrics *m, ts_buf *out)
{
    ts_prom_family(out, "tillsync_http_request_duration_seconds", "histogram",
                   "Time from a whole POS request to its answer (for a POST: until the "
                   "txn is on disk), by endpoint and status code.");
    for (int e = 0; e < POS_ENDPOINTS; e++) {
        for (int i = 0; i < CODE_SLOTS; i++) {
            if (m->slots[e][i].code != -1)
                write_one_histogram(out, endpoint_names[e], &m->slots[e][i]);
        }
    }
}

static void write_named_counters(ts_metrics *m, ts_buf *out)
{
    for (int i = 0; i < m->n_named; i++) {
        ts_prom_family(out, m->named[i].name, "counter", m->named[i].help);
        ts_prom_u64(out, m->named[i].name, m->named[i].value);
    }
}

static void write_build_and_uptime(ts_agent *a, const ts_status_figures *f, ts_buf *out)
{
    ts_prom_family(out, "tillsync_build_info", "gauge",
                   "Always 1; the labels say which agent build runs for which store.");
    ts_buf_puts(out, "tillsync_build_info{version=");
    ts_prom_label_value(out, TS_VERSION);
    ts_buf_puts(out, ",store_id=");
    ts_prom_label_value(out, a->cfg ? a->cfg->store_id : "");
    ts_buf_puts(out, "} 1\n");
    ts_prom_family(out, "tillsync_start_time_seconds", "gauge",
                   "Wall-clock time the agent started, in seconds since 1970.");
    ts_buf_printf(out, "tillsync_start_time_seconds %" PRId64 ".%03d\n", a->started_at_ms / 1000,
                  (int)(a->started_at_ms % 1000));
    ts_prom_metric_i64(out, "tillsync_uptime_seconds", "gauge",
                       "Seconds since the agent started (monotonic clock).", f->uptime_s);
    if (a->http) {
        ts_prom_metric_u64(out, "tillsync_http_open_connections", "gauge",
                           "Local API connections open now.",
                           (uint64_t)ts_http_server_open_conns(a->http));
    }
}

static void write_queue(const ts_status_figures *f, ts_buf *out)
{
    const ts_txnlog_stats *q = &f->queue;
    ts_prom_metric_u64(out, "tillsync_queue_pending", "gauge",
                       "Txns stored but not yet acknowledged by central.", q->pending);
    ts_prom_metric_u64(out, "tillsync_queue_max_pending", "gauge",
                       "Pending txns at which new txns are refused (storage.max_pending).",
                       f->max_pending);
    ts_prom_metric_i64(out, "tillsync_queue_oldest_pending_age_seconds", "gauge",
                       "Age of the oldest txn central has not acknowledged; 0 when none.",
                       f->oldest_pending_age_s < 0 ? 0 : f->oldest_pending_age_s);
    ts_prom_metric_u64(out, "tillsync_queue_last_seq", "gauge", "Highest seq given to a txn.",
                       q->last_seq);
    ts_prom_metric_u64(out, "tillsync_queue_acked_through", "gauge",
                       "Every seq up to this one is acknowledged by central.", q->acked_through);
    ts_prom_metric_u64(out, "tillsync_txns_accepted_total", "counter",
                       "Txns accepted from the tills (stored durably).", q->accepted_total);
    ts_prom_metric_u64(out, "tillsync_txns_rejected_total", "counter",
                       "Txns refused by validation (4xx answers to the tills).", q->rejected_total);
}

static void write_storage(const ts_status_figures *f, ts_buf *out)
{
    ts_prom_metric_u64(out, "tillsync_storage_map_size_bytes", "gauge", "LMDB map size.",
                       f->map_bytes);
    ts_prom_metric_u64(out, "tillsync_storage_map_used_bytes", "gauge", "LMDB pages in use.",
                       f->map_used_bytes);
    ts_prom_metric_double(out, "tillsync_storage_map_used_percent", "gauge",
                          "LMDB map in use, percent (new txns are refused at 95).",
                          f->map_used_pct);
    ts_prom_metric_u64(out, "tillsync_storage_healthy", "gauge",
                       "1 when the last LMDB commit succeeded, 0 after a failed one.",
                       f->storage_healthy ? 1 : 0);
    ts_prom_metric_u64(out, "tillsync_storage_commits_total", "counter", "LMDB group commits.",
                       f->commits);
    ts_prom_metric_u64(out, "tillsync_storage_commit_failures_total", "counter",
                       "LMDB group commits that failed.", f->commit_failures);
    ts_prom_family(out, "tillsync_storage_last_commit_seconds", "gauge",
                   "Duration of the last group commit including its fsync.");
    ts_buf_puts(out, "tillsync_storage_last_commit_seconds ");
    prom_seconds_us(out, f->last_commit_us);
    ts_buf_puts(out, "\n");
    if (!f->disk_known)
        return;
    ts_prom_metric_u64(out, "tillsync_disk_free_bytes", "gauge",
                       "Free space on the file system holding data_dir.", f->disk_free_bytes);
    ts_prom_metric_u64(out, "tillsync_disk_size_bytes", "gauge",
                       "Size of the file system holding data_dir.", f->disk_total_bytes);
}

/* Days left on the client certificate, read from the "tls" part of the
 * status (uplink.h) so the page and the metric never disagree. */
static void write_cert_days_left(ts_agent *a, ts_buf *out)
{
    ts_buf tls;
    ts_buf_init(&tls, 4096);
    ts_uplink_tls_status_json(a, &tls);
    cJSON *root = ts_buf_ok(&tls) ? cJSON_ParseWithLength(tls.data, tls.len) : NULL;
    const cJSON *days = cJSON_GetObjectItemCaseSensitive(root, "days_left");
    if (cJSON_IsNumber(days)) {
        ts_prom_metric_i64(out, "tillsync_client_cert_days_left", "gauge",
                           "Whole days until the client certificate for central expires "
                           "(negative once expired).",
                           (int64_t)days->valuedouble);
    }
    cJSON_Delete(root);
    ts_buf_free(&tls);
}

void ts_metrics_document(ts_agent *a, ts_buf *out)
{
    ts_status_figures f;
    ts_status_figures_get(a, &f);
    write_build_and_uptime(a, &f, out);
    write_queue(&f, out);
    write_storage(&f, out);
    write_cert_days_left(a, out);
    ts_uplink_metrics(a, out);
    ts_update_metrics(a, out);
    ts_odoo_metrics(a, out);
    ts_items_metrics(out);
    if (a->metrics) {
        write_request_counts(a->metrics, out);
        write_latency_histograms(a->metrics, out);
        write_named_counters(a->metrics, out);
    }
}

void ts_metrics_handle(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req)
{
    (void)req;
    ts_buf body;
    ts_buf_init(&body, METRICS_BODY_LIMIT);
    ts_metrics_document(a, &body);
    if (!ts_buf_ok(&body)) {
        ts_error("metrics.too_large", "limit=%d", METRICS_BODY_LIMIT);
        ts_reply_error(ex, 500, "internal_error", "the metrics did not fit; see the agent's log",
                       NULL, "");
    } else {
        ts_http_respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                        "Cache-Control: no-store\r\n", body.data, body.len);
    }
    ts_buf_free(&body);
}
