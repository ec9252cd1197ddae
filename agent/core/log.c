/*
 * log.c - logfmt lines on stderr (see log.h).
 *
 * One fprintf per event on an unbuffered stream, so lines from the loop and
 * the writer thread never interleave mid-line.
 */
#include "core/log.h"
#include "core/clock.h"
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static ts_log_level current_level = TS_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void ts_log_set_level(ts_log_level level)
{
    current_level = level;
}

ts_log_level ts_log_get_level(void)
{
    return current_level;
}

int ts_log_level_parse(const char *name, ts_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (ts_log_level)i;
            return 0;
        }
    }
    return TS_EINVAL;
}

/* Control characters would split an event over lines; make them spaces. */
static void flatten(char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
    }
}

void ts_log(ts_log_level level, const char *event, const char *fmt, ...)
{
    if (level < current_level)
        return;
    char tail[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tail, sizeof(tail), fmt, ap);
    va_end(ap);
    if (n < 0)
        tail[0] = '\0';
    flatten(tail);
    char now[TS_RFC3339_LEN];
    ts_format_rfc3339_ms(ts_wall_ms(), now);
    fprintf(stderr, "ts=%s level=%s event=%s%s%s\n", now, level_names[level], event,
            tail[0] ? " " : "", tail);
}
