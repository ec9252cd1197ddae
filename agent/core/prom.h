/*
 * prom.h - writing the Prometheus text exposition format 0.0.4. A core
 * utility, so every module can write its own part of /metrics without
 * knowing the report layer that serves it.
 */
#ifndef TILLSYNC_PROM_H
#define TILLSYNC_PROM_H

#include <stdint.h>

#include "core/buf.h"

/* "# HELP name help\n# TYPE name type\n"; type: counter, gauge, histogram. */
void ts_prom_family(ts_buf *out, const char *name, const char *type, const char *help);
/* Appends s as a quoted label value with \\, \" and \n escaped. */
void ts_prom_label_value(ts_buf *out, const char *s);
/* One unlabelled sample: "name value\n" (integer or decimal value). */
void ts_prom_u64(ts_buf *out, const char *name, uint64_t v);
void ts_prom_i64(ts_buf *out, const char *name, int64_t v);
void ts_prom_double(ts_buf *out, const char *name, double v);
/* A whole unlabelled family: its HELP and TYPE lines and its one sample. */
void ts_prom_metric_u64(ts_buf *out, const char *name, const char *type, const char *help,
                        uint64_t v);
void ts_prom_metric_i64(ts_buf *out, const char *name, const char *type, const char *help,
                        int64_t v);
void ts_prom_metric_double(ts_buf *out, const char *name, const char *type, const char *help,
                           double v);

#endif
