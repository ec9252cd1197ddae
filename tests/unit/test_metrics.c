/*
 * test_metrics.c - the /metrics exposition without a running agent: bucket
 * edges of the latency histogram, the fixed endpoint labels, status codes
 * past the per-endpoint slots folding into code="other", named counters,
 * and label escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/agent.h"
#include "core/buf.h"
#include "config/config.h"
#include "report/metrics.h"

static ts_config cfg;

/* Each case scrapes a fresh registry, so no case counts another's events. */
typedef struct {
    ts_agent a;
    ts_buf out;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    ts_config_defaults(&cfg);
    snprintf(cfg.store_id, sizeof(cfg.store_id), "S042");
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), ".");
    f->a.cfg = &cfg;
    ts_buf_init(&f->out, 1 << 20);
    *state = f;
    return ts_metrics_new(&f->a);
}

static int teardown(void **state)
{
    fixture *f = *state;

    ts_buf_free(&f->out);
    ts_metrics_free(&f->a);
    free(f);
    return 0;
}

static void scrape(ts_agent *a, ts_buf *out)
{
    ts_buf_reset(out);
    ts_metrics_document(a, out);
    assert_true(ts_buf_ok(out));
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

static void test_histogram_bucket_edges(void **state)
{
    fixture *f = *state;
    ts_agent *a = &f->a;
    ts_buf *out = &f->out;

    ts_metrics_observe_request(a, "post_txn", 201, 500);     /* on the 0.5 ms edge */
    ts_metrics_observe_request(a, "post_txn", 201, 501);     /* just past it */
    ts_metrics_observe_request(a, "post_txn", 201, 6000000); /* past 5 s: +Inf only */
    scrape(a, out);
#define H "tillsync_http_request_duration_seconds"
    assert_true(has_line(out, H "_bucket{endpoint=\"post_txn\",code=\"201\",le=\"0.0005\"} 1"));
    assert_true(has_line(out, H "_bucket{endpoint=\"post_txn\",code=\"201\",le=\"0.001\"} 2"));
    assert_true(has_line(out, H "_bucket{endpoint=\"post_txn\",code=\"201\",le=\"5\"} 2"));
    assert_true(has_line(out, H "_bucket{endpoint=\"post_txn\",code=\"201\",le=\"+Inf\"} 3"));
    assert_true(has_line(out, H "_sum{endpoint=\"post_txn\",code=\"201\"} 6.001001"));
    assert_true(has_line(out, H "_count{endpoint=\"post_txn\",code=\"201\"} 3"));
    assert_true(
        has_line(out, "tillsync_http_requests_total{endpoint=\"post_txn\",code=\"201\"} 3"));
    assert_true(has_line(out, "# TYPE " H " histogram"));
#undef H
}

static void test_labels_are_bounded(void **state)
{
    fixture *f = *state;
    ts_agent *a = &f->a;
    ts_buf *out = &f->out;

    /* An endpoint outside the fixed set counts as "other". */
    ts_metrics_observe_request(a, "/etc/passwd\"", 404, 10);
    /* Non-POS endpoints get no histogram. */
    ts_metrics_observe_request(a, "status", 200, 10);
    /* More distinct codes than slots: the rest share code="other". */
    for (int code = 400; code < 440; code++)
        ts_metrics_observe_request(a, "healthz", code, 10);
    ts_metrics_observe_request(a, "healthz", 99, 10); /* not an HTTP status */
    scrape(a, out);
    assert_true(has_line(out, "tillsync_http_requests_total{endpoint=\"other\",code=\"404\"} 1"));
    assert_true(has_line(out, "tillsync_http_requests_total{endpoint=\"status\",code=\"200\"} 1"));
    assert_null(strstr(out->data, "duration_seconds_bucket{endpoint=\"status\""));
    assert_null(strstr(out->data, "/etc/passwd"));
    assert_true(has_line(out, "tillsync_http_requests_total{endpoint=\"healthz\",code=\"400\"} 1"));
    /* 15 codes have their own slot; the other 26 observations share one. */
    assert_true(
        has_line(out, "tillsync_http_requests_total{endpoint=\"healthz\",code=\"other\"} 26"));
}

static void test_named_counters(void **state)
{
    fixture *f = *state;
    ts_agent *a = &f->a;
    ts_buf *out = &f->out;

    ts_metrics_count(a, "tillsync_test_events_total", "Events for the test.", 2);
    ts_metrics_count(a, "tillsync_test_events_total", "Events for the test.", 3);
    scrape(a, out);
    assert_true(has_line(out, "# HELP tillsync_test_events_total Events for the test."));
    assert_true(has_line(out, "# TYPE tillsync_test_events_total counter"));
    assert_true(has_line(out, "tillsync_test_events_total 5"));
}

static void test_escaping(void **state)
{
    ts_buf b;
    ts_buf_init(&b, 1024);
    ts_prom_label_value(&b, "a\\b\"c\nd");
    assert_string_equal(b.data, "\"a\\\\b\\\"c\\nd\"");
    ts_buf_reset(&b);
    ts_prom_family(&b, "x_total", "counter", "one\\two\nthree");
    assert_string_equal(b.data, "# HELP x_total one\\\\two\\nthree\n# TYPE x_total counter\n");
    ts_buf_free(&b);
}

static void test_build_info_and_queue(void **state)
{
    fixture *f = *state;
    ts_agent *a = &f->a;
    ts_buf *out = &f->out;

    scrape(a, out);
    assert_true(
        has_line(out, "tillsync_build_info{version=\"" TS_VERSION "\",store_id=\"S042\"} 1"));
    assert_true(has_line(out, "tillsync_queue_pending 0"));
    assert_true(has_line(out, "tillsync_queue_max_pending 1000000"));
    assert_true(out->len > 0);
    assert_true(out->data[out->len - 1] == '\n');
}

/* Freed, the registry is gone and observing is a no-op. */
static void test_free_then_observe(void **state)
{
    fixture *f = *state;

    ts_metrics_free(&f->a);
    assert_null(f->a.metrics);
    ts_metrics_observe_request(&f->a, "post_txn", 201, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escaping),
        cmocka_unit_test_setup_teardown(test_build_info_and_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_histogram_bucket_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_labels_are_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_named_counters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_then_observe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
