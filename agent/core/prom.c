/*
 * prom.c - the Prometheus text exposition format 0.0.4 (prom.h): every
 * module writes its figures through these so HELP/TYPE lines and label
 * escaping are done one way.
 */
#include "core/prom.h"

#include <inttypes.h>
#include <stdio.h>

/* HELP text escapes only backslash and newline (exposition format 0.0.4). */
static void prom_help_text(ts_buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            ts_buf_puts(out, "\\\\");
        else if (*s == '\n')
            ts_buf_puts(out, "\\n");
        else
            ts_buf_append(out, s, 1);
    }
}

void ts_prom_family(ts_buf *out, const char *name, const char *type, const char *help)
{
    ts_buf_printf(out, "# HELP %s ", name);
    prom_help_text(out, help);
    ts_buf_printf(out, "\n# TYPE %s %s\n", name, type);
}

void ts_prom_label_value(ts_buf *out, const char *s)
{
    ts_buf_puts(out, "\"");
    for (; *s; s++) {
        if (*s == '\\')
            ts_buf_puts(out, "\\\\");
        else if (*s == '"')
            ts_buf_puts(out, "\\\"");
        else if (*s == '\n')
            ts_buf_puts(out, "\\n");
        else
            ts_buf_append(out, s, 1);
    }
    ts_buf_puts(out, "\"");
}

void ts_prom_u64(ts_buf *out, const char *name, uint64_t v)
{
    ts_buf_printf(out, "%s %" PRIu64 "\n", name, v);
}

void ts_prom_i64(ts_buf *out, const char *name, int64_t v)
{
    ts_buf_printf(out, "%s %" PRId64 "\n", name, v);
}

void ts_prom_double(ts_buf *out, const char *name, double v)
{
    ts_buf_printf(out, "%s %.15g\n", name, v);
}

void ts_prom_metric_u64(ts_buf *out, const char *name, const char *type, const char *help,
                        uint64_t v)
{
    ts_prom_family(out, name, type, help);
    ts_prom_u64(out, name, v);
}

void ts_prom_metric_i64(ts_buf *out, const char *name, const char *type, const char *help,
                        int64_t v)
{
    ts_prom_family(out, name, type, help);
    ts_prom_i64(out, name, v);
}

void ts_prom_metric_double(ts_buf *out, const char *name, const char *type, const char *help,
                           double v)
{
    ts_prom_family(out, name, type, help);
    ts_prom_double(out, name, v);
}
