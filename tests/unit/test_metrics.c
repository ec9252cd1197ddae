/*
 * test_metrics.c - the /metrics exposition without a running agent: bucket
 * edges of the latency histogram, the fixed endpoint labels, status codes
 * past the per-endpoint slots folding into code="other", named counters,
 * and label escaping.
 */
#include "check.h"

#include <stdint.h>
#include <string.h>

#include "core/agent.h"
#include "core/buf.h"
#include "config/config.h"
#include "report/metrics.h"

static ts_config cfg;

static void scrape(ts_agent *a, ts_buf *out)
{
    ts_buf_reset(out);
    ts_metrics_document(a, out);
    CHECK(ts_buf_ok(out));
}

static int has_line(const ts_buf *b, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = b->data; (p = strstr(p, line)) != NULL; p++) {
        if ((p == b->data || p[-1] == '\n') && p[n] == '\n')
            return 1;
    }
    return 0;
}

static void test_histogram_bucket_edges(ts_agent *a, ts_buf *out)
{
    ts_metrics_observe_request(a, "post_txn", 201, 500);     /* on the 0.5 ms edge */
    ts_metrics_observe_request(a, "post_txn", 201, 501);     /* just past it */
    ts_metrics_observe_request(a, "post_txn", 201, 6000000); /* past 5 s: +Inf only */
    scrape(a, out);
#define H "tillsync_http_request_duration_seconds"
    CHECK(has_line(out, H "_bucket{endpoint=\"post_txn\",code=\"201\",le=\"0.0005\"} 1"));
    CHECK(has_line(out, H "_bucket{endpoint=\"post_txn\",code=\"201\",le=\"0.001\"} 2"));
    CHECK(has_line(out, H "_bucket{endpoint=\"post_txn\",code=\"201\",le=\"5\"} 2"));
    CHECK(has_line(out, H "_bucket{endpoint=\"post_txn\",code=\"201\",le=\"+Inf\"} 3"));
    CHECK(has_line(out, H "_sum{endpoint=\"post_txn\",code=\"201\"} 6.001001"));
    CHECK(has_line(out, H "_count{endpoint=\"post_txn\",code=\"201\"} 3"));
    CHECK(has_line(out, "tillsync_http_requests_total{endpoint=\"post_txn\",code=\"201\"} 3"));
    CHECK(has_line(out, "# TYPE " H " histogram"));
#undef H
}

static void test_labels_are_bounded(ts_agent *a, ts_buf *out)
{
    /* An endpoint outside the fixed set counts as "other". */
    ts_metrics_observe_request(a, "/etc/passwd\"", 404, 10);
    /* Non-POS endpoints get no histogram. */
    ts_metrics_observe_request(a, "status", 200, 10);
    /* More distinct codes than slots: the rest share code="other". */
    uint64_t total = 0;
    for (int code = 400; code < 440; code++, total++)
        ts_metrics_observe_request(a, "healthz", code, 10);
    ts_metrics_observe_request(a, "healthz", 99, 10); /* not an HTTP status */
    total++;
    scrape(a, out);
    CHECK(has_line(out, "tillsync_http_requests_total{endpoint=\"other\",code=\"404\"} 1"));
    CHECK(has_line(out, "tillsync_http_requests_total{endpoint=\"status\",code=\"200\"} 1"));
    CHECK(strstr(out->data, "duration_seconds_bucket{endpoint=\"status\"") == NULL);
    CHECK(strstr(out->data, "/etc/passwd") == NULL);
    CHECK(has_line(out, "tillsync_http_requests_total{endpoint=\"healthz\",code=\"400\"} 1"));
    /* 15 codes have their own slot; the other 26 observations share one. */
    CHECK(has_line(out, "tillsync_http_requests_total{endpoint=\"healthz\",code=\"other\"} 26"));
    CHECK_EQ_INT(total, 41);
}

static void test_named_counters(ts_agent *a, ts_buf *out)
{
    ts_metrics_count(a, "tillsync_test_events_total", "Events for the test.", 2);
    ts_metrics_count(a, "tillsync_test_events_total", "Events for the test.", 3);
    scrape(a, out);
    CHECK(has_line(out, "# HELP tillsync_test_events_total Events for the test."));
    CHECK(has_line(out, "# TYPE tillsync_test_events_total counter"));
    CHECK(has_line(out, "tillsync_test_events_total 5"));
}

static void test_escaping(void)
{
    ts_buf b;
    ts_buf_init(&b, 1024);
    ts_prom_label_value(&b, "a\\b\"c\nd");
    CHECK_EQ_STR(b.data, "\"a\\\\b\\\"c\\nd\"");
    ts_buf_reset(&b);
    ts_prom_family(&b, "x_total", "counter", "one\\two\nthree");
    CHECK_EQ_STR(b.data, "# HELP x_total one\\\\two\\nthree\n# TYPE x_total counter\n");
    ts_buf_free(&b);
}

static void test_build_info_and_queue(ts_agent *a, ts_buf *out)
{
    scrape(a, out);
    CHECK(has_line(out, "tillsync_build_info{version=\"" TS_VERSION "\",store_id=\"S042\"} 1"));
    CHECK(has_line(out, "tillsync_queue_pending 0"));
    CHECK(has_line(out, "tillsync_queue_max_pending 1000000"));
    CHECK(out->len > 0 && out->data[out->len - 1] == '\n');
}

int main(void)
{
    ts_config_defaults(&cfg);
    snprintf(cfg.store_id, sizeof(cfg.store_id), "S042");
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), ".");
    ts_agent a;
    memset(&a, 0, sizeof(a));
    a.cfg = &cfg;
    CHECK_EQ_INT(ts_metrics_new(&a), 0);
    ts_buf out;
    ts_buf_init(&out, 1 << 20);

    test_escaping();
    test_build_info_and_queue(&a, &out);
    test_histogram_bucket_edges(&a, &out);
    test_labels_are_bounded(&a, &out);
    test_named_counters(&a, &out);

    ts_buf_free(&out);
    ts_metrics_free(&a);
    CHECK(a.metrics == NULL);
    ts_metrics_observe_request(&a, "post_txn", 201, 1); /* no-op without metrics */
    CHECK_DONE();
}
