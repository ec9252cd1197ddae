/*
 * metrics.c - request counters, latency histograms, event counters and the
 * /metrics exposition (see metrics.h).
 *
 * Everything here runs on the loop thread, so plain integers suffice. The
 * tables (state.h) are fixed-size and allocated once: a scrape or a request
 * never allocates per label, and a hostile client cannot grow them (the
 * endpoint label is one of a fixed set, and status codes beyond the slots
 * per endpoint fold into code="other"). The modules' families are written
 * here from their snapshots (report.h), beside the status that shows the
 * same figures.
 */
#include "report/metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "http/reply.h"
#include "report/report.h"
#include "report/state.h"

#define METRICS_BODY_LIMIT (1024 * 1024)
#define CODE_SLOTS TS_METRICS_CODE_SLOTS
#define CODE_OTHER 0 /* the slot status codes past CODE_SLOTS share */

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
_Static_assert(BUCKETS == TS_METRICS_BUCKETS, "state.h sizes the histogram");
_Static_assert(ENDPOINTS == TS_METRICS_ENDPOINTS, "state.h sizes the endpoints");

typedef ts_code_slot code_slot;
typedef ts_named_counter named_counter;

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
    m->started_at_ms = ts_wall_ms();
    m->started_mono_ms = ts_mono_ms();
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
        if (m->n_named == TS_METRICS_NAMED_MAX || strlen(name) >= TS_METRICS_NAME_MAX) {
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

static void write_build_and_uptime(ts_agent *a, const ts_report_figures *f, ts_buf *out)
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
    ts_buf_printf(out, "tillsync_start_time_seconds %" PRId64 ".%03d\n", f->started_at_ms / 1000,
                  (int)(f->started_at_ms % 1000));
    ts_prom_metric_i64(out, "tillsync_uptime_seconds", "gauge",
                       "Seconds since the agent started (monotonic clock).", f->uptime_s);
    if (f->has_http) {
        const ts_http_server_stats *h = &f->http;
        ts_prom_metric_u64(out, "tillsync_http_open_connections", "gauge",
                           "Local API connections open now.", h->open_conns);
        ts_prom_metric_u64(out, "tillsync_http_client_addresses", "gauge",
                           "Client addresses with a local API connection open now.",
                           h->peer_addresses);
        ts_prom_family(out, "tillsync_http_connections_refused_total", "counter",
                       "Connections closed at once, unread: over http.max_conns_per_addr "
                       "(bound=\"per_addr\") or http.max_conns (bound=\"total\").");
        ts_buf_printf(out,
                      "tillsync_http_connections_refused_total{bound=\"per_addr\"} %" PRIu64
                      "\ntillsync_http_connections_refused_total{bound=\"total\"} %" PRIu64 "\n",
                      h->rejected_per_addr_total, h->rejected_total);
        ts_prom_metric_u64(out, "tillsync_http_idle_reclaimed_total", "counter",
                           "Idle keep-alive connections closed to make room near http.max_conns.",
                           h->reclaimed_idle_total);
        ts_prom_metric_u64(out, "tillsync_http_request_timeouts_total", "counter",
                           "Requests not whole before their deadline (408).",
                           h->request_timeouts_total);
    }
}

static void write_queue(const ts_report_figures *f, ts_buf *out)
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

static void write_storage(const ts_report_figures *f, ts_buf *out)
{
    const ts_store_stats *st = &f->storage;
    ts_prom_metric_u64(out, "tillsync_storage_map_size_bytes", "gauge", "LMDB map size.",
                       st->map_bytes);
    ts_prom_metric_u64(out, "tillsync_storage_map_used_bytes", "gauge",
                       "LMDB pages in use, with the journal's unfolded sales (estimated).",
                       st->used_bytes);
    ts_prom_metric_u64(out, "tillsync_storage_lmdb_used_bytes", "gauge",
                       "LMDB pages in use, without the journal's unfolded sales.",
                       st->lmdb_used_bytes);
    ts_prom_metric_double(out, "tillsync_storage_map_used_percent", "gauge",
                          "LMDB map in use, percent (new txns are refused at 95).",
                          f->map_used_pct);
    ts_prom_metric_u64(out, "tillsync_storage_healthy", "gauge",
                       "1 when the last LMDB commit succeeded, 0 after a failed one.",
                       st->healthy ? 1 : 0);
    ts_prom_metric_u64(out, "tillsync_storage_commits_total", "counter", "LMDB group commits.",
                       st->commits);
    ts_prom_metric_u64(out, "tillsync_storage_commit_failures_total", "counter",
                       "LMDB group commits that failed.", st->commit_failures);
    ts_prom_metric_u64(out, "tillsync_storage_fsyncs_total", "counter",
                       "Flushes to the disk: two per LMDB commit, one per journal group.",
                       st->fsyncs);
    ts_prom_metric_u64(out, "tillsync_storage_journal_groups_total", "counter",
                       "Groups of sales made durable by one journal flush.", st->journal_groups);
    ts_prom_metric_u64(out, "tillsync_storage_journal_bytes_total", "counter",
                       "Bytes written to the intake journal.", st->journal_bytes);
    ts_prom_metric_u64(out, "tillsync_storage_stale_readers_cleared_total", "counter",
                       "LMDB reader slots of dead processes cleared.",
                       f->storage.stale_readers_cleared);
    ts_prom_metric_u64(out, "tillsync_intake_refusing", "gauge",
                       "1 while new sales are refused (buffer or disk full, storage failed).",
                       f->refusing ? 1 : 0);
    ts_prom_family(out, "tillsync_storage_last_commit_seconds", "gauge",
                   "Duration of the last group commit including its fsync.");
    ts_buf_puts(out, "tillsync_storage_last_commit_seconds ");
    prom_seconds_us(out, st->last_commit_us);
    ts_buf_puts(out, "\n");
    if (!f->disk_known)
        return;
    ts_prom_metric_u64(out, "tillsync_disk_free_bytes", "gauge",
                       "Free space on the file system holding data_dir.", f->disk_free_bytes);
    ts_prom_metric_u64(out, "tillsync_disk_size_bytes", "gauge",
                       "Size of the file system holding data_dir.", f->disk_total_bytes);
}

static void labelled_u64(ts_buf *out, const char *name, const char *label, const char *value,
                         uint64_t v)
{
    ts_buf_printf(out, "%s{%s=", name, label);
    ts_prom_label_value(out, value);
    ts_buf_printf(out, "} %" PRIu64 "\n", v);
}

static void write_uplink_counts(const ts_uplink_snapshot *u, ts_buf *out)
{
    ts_prom_family(out, "tillsync_uplink_state", "gauge",
                   "1 for the uplink's current state (online, backoff, offline), else 0.");
    for (int i = 0; i < TS_LINK_STATES; i++)
        labelled_u64(out, "tillsync_uplink_state", "state", ts_link_state_name((ts_link_state)i),
                     i == (int)u->state);
    ts_prom_family(out, "tillsync_uplink_batches_total", "counter",
                   "Batches of txns sent to central, by outcome.");
    for (int i = 0; i < TS_BATCH_RESULTS; i++)
        labelled_u64(out, "tillsync_uplink_batches_total", "result",
                     ts_uplink_batch_result_name((ts_uplink_batch_result)i), u->batches[i]);
    ts_prom_family(out, "tillsync_uplink_retries_total", "counter",
                   "Back-offs of the forwarder, by cause.");
    for (int i = 0; i < TS_RETRY_CAUSES; i++)
        labelled_u64(out, "tillsync_uplink_retries_total", "cause",
                     ts_uplink_retry_cause_name((ts_uplink_retry_cause)i), u->retries[i]);
    ts_prom_metric_u64(out, "tillsync_uplink_txns_sent_total", "counter",
                       "Txns put in batches to central, re-sends included.", u->txns_sent);
    ts_prom_metric_u64(out, "tillsync_uplink_txns_acked_total", "counter",
                       "Txns central acknowledged as durably stored.", u->txns_acked);
    ts_prom_metric_u64(out, "tillsync_uplink_bytes_sent_total", "counter",
                       "Bytes of batch bodies sent to central.", u->bytes_sent);
}

static void write_remote_config(const ts_remote_config_snapshot *rc, ts_buf *out)
{
    ts_prom_family(out, "tillsync_config_polls_total", "counter",
                   "Remote config polls, by outcome.");
    labelled_u64(out, "tillsync_config_polls_total", "result", "applied", rc->polls_applied);
    labelled_u64(out, "tillsync_config_polls_total", "result", "unchanged", rc->polls_unchanged);
    labelled_u64(out, "tillsync_config_polls_total", "result", "failed", rc->polls_failed);
    ts_prom_metric_u64(out, "tillsync_config_settings_skipped_total", "counter",
                       "Remote settings ignored as unknown or invalid.", rc->settings_skipped);
}

static void write_uplink(const ts_uplink_snapshot *u, ts_buf *out)
{
    if (!u->running)
        return;
    write_uplink_counts(u, out);
    ts_prom_metric_u64(out, "tillsync_uplink_acked_through", "gauge",
                       "Highest seq central acknowledged.", u->acked_through);
    ts_prom_metric_u64(out, "tillsync_uplink_consecutive_failures", "gauge",
                       "Failed exchanges with central since the last success.",
                       u->consecutive_failures);
    ts_prom_metric_u64(out, "tillsync_uplink_held", "gauge",
                       "1 while the head of the queue is held (refused, lost data, central ahead).",
                       u->held != TS_HOLD_NONE);
    ts_prom_family(out, "tillsync_uplink_heartbeats_total", "counter",
                   "Heartbeats sent to central, by outcome.");
    labelled_u64(out, "tillsync_uplink_heartbeats_total", "result", "ok", u->heartbeats_ok);
    labelled_u64(out, "tillsync_uplink_heartbeats_total", "result", "failed", u->heartbeats_failed);
    ts_prom_metric_u64(out, "tillsync_uplink_ack_commit_failures_total", "counter",
                       "Acks from central that could not be written to the local log.",
                       u->ack_commit_failures);
    ts_prom_metric_i64(out, "tillsync_uplink_last_ok_timestamp_seconds", "gauge",
                       "Wall time of the last good exchange with central (0: never).",
                       u->last_ok_ms / 1000);
    if (u->cert_not_after_ms > 0) {
        ts_prom_metric_i64(out, "tillsync_client_cert_expiry_timestamp_seconds", "gauge",
                           "When the client certificate for central expires.",
                           u->cert_not_after_ms / 1000);
    }
    if (u->has_remote_config)
        write_remote_config(&u->remote_config, out);
}

static void write_odoo_syncs(const ts_odoo_snapshot *o, ts_buf *out)
{
    static const char *const name = "tillsync_odoo_syncs_total";
    ts_prom_family(out, name, "counter", "Odoo syncs by kind and result.");
    ts_buf_printf(out, "%s{kind=\"full\",result=\"ok\"} %" PRIu64 "\n", name, o->fulls_ok);
    ts_buf_printf(out, "%s{kind=\"full\",result=\"failed\"} %" PRIu64 "\n", name, o->fulls_failed);
    ts_buf_printf(out, "%s{kind=\"delta\",result=\"ok\"} %" PRIu64 "\n", name, o->deltas_ok);
    ts_buf_printf(out, "%s{kind=\"delta\",result=\"failed\"} %" PRIu64 "\n", name,
                  o->deltas_failed);
    ts_prom_metric_u64(out, "tillsync_odoo_requests_total", "counter",
                       "HTTP requests sent to Odoo.", o->requests);
    ts_prom_metric_u64(out, "tillsync_odoo_received_bytes_total", "counter",
                       "Bytes of Odoo answers.", o->bytes_received);
    ts_prom_metric_double(out, "tillsync_odoo_last_full_duration_seconds", "gauge",
                          "Time the last full snapshot took.",
                          (double)o->last_full_duration_ms / 1000.0);
}

static void write_odoo(const ts_odoo_snapshot *o, ts_buf *out)
{
    int has = o->copy.has_copy;
    ts_prom_family(out, "tillsync_odoo_state", "gauge", "Odoo sync state (1 for the current one).");
    for (int s = 0; s < TS_ODOO_STATES; s++)
        labelled_u64(out, "tillsync_odoo_state", "state", ts_odoo_state_name((ts_odoo_state)s),
                     s == (int)o->state);
    ts_prom_metric_i64(out, "tillsync_odoo_items", "gauge",
                       "Products in the local price and stock copy.", has ? o->copy.items : 0);
    ts_prom_metric_i64(out, "tillsync_odoo_snapshot_age_seconds", "gauge", "Age of the copy.",
                       has ? o->age_s : 0);
    ts_prom_metric_u64(out, "tillsync_odoo_stale", "gauge",
                       "1 when the copy is older than odoo.stale_after_s.", (uint64_t)o->stale);
    ts_prom_metric_i64(out, "tillsync_odoo_skipped_products", "gauge",
                       "Products with neither SKU nor barcode.", o->copy.skipped);
    ts_prom_metric_i64(out, "tillsync_odoo_list_price_fallback", "gauge",
                       "Prices not computed from their rule.", o->copy.fallback);
    if (o->running)
        write_odoo_syncs(o, out);
}

static void write_items(const ts_items_counters *c, ts_buf *out)
{
    ts_prom_family(out, "tillsync_item_lookups_total", "counter", "Item look-ups by result.");
    labelled_u64(out, "tillsync_item_lookups_total", "result", "found", c->found);
    labelled_u64(out, "tillsync_item_lookups_total", "result", "unknown", c->unknown);
    ts_prom_metric_u64(out, "tillsync_item_requests_total", "counter", "Requests to /v1/items.",
                       c->requests);
    ts_prom_metric_u64(out, "tillsync_item_requests_refused_total", "counter",
                       "Requests to /v1/items answered with an error.", c->refused);
}

/* The self-update (update.md); tillsync_update_rollbacks_total is kept
 * across restarts, since a rollback is itself a restart. */
static void write_update(const ts_report_figures *f, ts_buf *out)
{
    const ts_update_snapshot *s = &f->update;
    if (!f->has_update)
        return;
    ts_prom_metric_u64(out, "tillsync_update_rollbacks_total", "counter",
                       "Updates rolled back after a failed probation (kept across restarts).",
                       s->rollbacks_total);
    ts_prom_metric_u64(out, "tillsync_update_refused_total", "counter",
                       "Offered updates refused (signature, SHA-256, version, architecture).",
                       s->refusals_total);
    ts_prom_metric_u64(out, "tillsync_update_downloads_total", "counter",
                       "Update downloads started (a resumed one counts again).",
                       s->downloads_total);
    ts_prom_metric_u64(out, "tillsync_update_download_failures_total", "counter",
                       "Update downloads broken off (resumed later).", s->download_failures_total);
    ts_prom_metric_u64(out, "tillsync_update_download_bytes", "gauge",
                       "Bytes of the offered build downloaded so far.", s->progress_bytes);
    ts_prom_metric_u64(out, "tillsync_update_bad_versions", "gauge",
                       "Versions marked bad (never downloaded again).",
                       s->files ? (uint64_t)s->files->n_bad : 0);
    ts_prom_family(out, "tillsync_update_state", "gauge", "1 for the update's current state.");
    for (int i = 0; i < TS_UPDATE_STATE_COUNT; i++)
        ts_buf_printf(out, "tillsync_update_state{state=\"%s\"} %d\n",
                      ts_update_state_name((ts_update_state_id)i), (int)s->state == i);
}

void ts_metrics_document(ts_agent *a, ts_buf *out)
{
    ts_report_figures f;
    ts_report_figures_get(a, &f);
    write_build_and_uptime(a, &f, out);
    write_queue(&f, out);
    write_storage(&f, out);
    if (f.cert_known) {
        ts_prom_metric_i64(out, "tillsync_client_cert_days_left", "gauge",
                           "Whole days until the client certificate for central expires "
                           "(negative once expired).",
                           f.cert_days_left);
    }
    write_uplink(&f.uplink, out);
    write_update(&f, out);
    if (f.has_odoo)
        write_odoo(&f.odoo, out);
    if (f.has_items)
        write_items(&f.items, out);
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
