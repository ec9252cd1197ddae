/*
 * state.h - the report layer's state (a->metrics), private to agent/report/:
 * the providers main.c wired, the start time, and the request counters
 * metrics.c keeps. Fixed-size and allocated once by ts_metrics_new(), so a
 * scrape or a request never allocates per label and a hostile client
 * cannot grow it.
 */
#ifndef TILLSYNC_REPORT_STATE_H
#define TILLSYNC_REPORT_STATE_H

#include <stdint.h>

#include "report/report.h"

#define TS_METRICS_ENDPOINTS 9   /* metrics.c endpoint_names */
#define TS_METRICS_CODE_SLOTS 16 /* distinct status codes kept per endpoint */
#define TS_METRICS_BUCKETS 13    /* metrics.c bucket_us */
#define TS_METRICS_NAMED_MAX 64
#define TS_METRICS_NAME_MAX 96
#define TS_METRICS_HELP_MAX 160

typedef struct ts_code_slot {
    int code; /* HTTP status; 0 for "other"; -1 while unused */
    uint64_t count;
    uint64_t buckets[TS_METRICS_BUCKETS]; /* not cumulative; summed when written */
    uint64_t sum_us;
} ts_code_slot;

typedef struct ts_named_counter {
    char name[TS_METRICS_NAME_MAX];
    char help[TS_METRICS_HELP_MAX];
    uint64_t value;
} ts_named_counter;

struct ts_metrics {
    ts_report_providers providers;
    int64_t started_at_ms; /* wall clock */
    uint64_t started_mono_ms;
    ts_code_slot slots[TS_METRICS_ENDPOINTS][TS_METRICS_CODE_SLOTS];
    ts_named_counter named[TS_METRICS_NAMED_MAX];
    int n_named;
    int named_overflow_logged;
};

#endif
