/*
 * log.c - logfmt lines on stderr (see log.h).
 *
 * One write per event on an unbuffered stream, so lines from the loop and
 * the writer thread never interleave mid-line.
 */
#include "core/log.h"
#include "core/clock.h"
#include "core/error.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define LOG_LINE_MAX 2048

/* Read by every thread that logs, written by a live settings change. */
static _Atomic int current_level = TS_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void ts_log_set_level(ts_log_level level)
{
    atomic_store_explicit(&current_level, (int)level, memory_order_relaxed);
}

ts_log_level ts_log_get_level(void)
{
    return (ts_log_level)atomic_load_explicit(&current_level, memory_order_relaxed);
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

/* A line being built: bounded, silently cut at the end (an event is never
 * worth more than one line of LOG_LINE_MAX bytes). */
typedef struct line {
    char buf[LOG_LINE_MAX];
    size_t len;
} line;

static void put(line *l, const char *s, size_t n)
{
    size_t room = sizeof(l->buf) - 1 - l->len;
    if (n > room)
        n = room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

/* Text of the format itself: control characters become spaces, so one
 * event is always one line. */
static void put_literal(line *l, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
        put(l, &c, 1);
    }
}

static int needs_quotes(const char *s)
{
    if (!*s)
        return 1;
    for (; *s; s++)
        if (*s == ' ' || *s == '"' || *s == '=' || *s == '\\' || (unsigned char)*s < 0x20 ||
            *s == 0x7f)
            return 1;
    return 0;
}

/* A logfmt value: bare when it can be, else quoted with \" \\ \n \r \t
 * and \u00XX for other control characters. */
static void put_value(line *l, const char *s)
{
    if (!s)
        s = "(null)";
    if (!needs_quotes(s)) {
        put(l, s, strlen(s));
        return;
    }
    put(l, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(l, esc, 2);
        } else if (c == '\n' || c == '\r' || c == '\t') {
            esc[0] = '\\';
            esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
            put(l, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            put(l, esc, 6);
        } else {
            put(l, s, 1);
        }
    }
    put(l, "\"", 1);
}

/* The format here is a single conversion taken from a format the compiler
 * has already checked against ts_log's arguments. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* One numeric or character conversion, spec[0..n) such as "%llu" or
 * "%5.1f", formatted by snprintf with its argument taken by type. */
static void put_number(line *l, const char *spec, size_t n, va_list *ap)
{
    char f[16], out[64];
    if (n >= sizeof(f))
        return;
    memcpy(f, spec, n);
    f[n] = '\0';
    char conv = spec[n - 1];
    int longs = 0, size_t_arg = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        longs += spec[i] == 'l';
        size_t_arg |= spec[i] == 'z';
    }
    if (conv == 'f' || conv == 'g' || conv == 'e')
        snprintf(out, sizeof(out), f, va_arg(*ap, double));
    else if (conv == 'p')
        snprintf(out, sizeof(out), f, va_arg(*ap, void *));
    else if (size_t_arg)
        snprintf(out, sizeof(out), f, va_arg(*ap, size_t));
    else if (longs >= 2)
        snprintf(out, sizeof(out), f, va_arg(*ap, long long));
    else if (longs == 1)
        snprintf(out, sizeof(out), f, va_arg(*ap, long));
    else
        snprintf(out, sizeof(out), f, va_arg(*ap, int));
    put(l, out, strlen(out));
}
#pragma GCC diagnostic pop

/*
 * printf for a logfmt tail. Every %s argument is one value, escaped as
 * logfmt needs (key=%s and the older key="%s" both give one well-formed
 * value); other conversions are numbers. The format attribute on ts_log
 * lets the compiler check the arguments as printf would.
 */
static void format_tail(line *l, const char *fmt, va_list *ap)
{
    const char *p = fmt;
    while (*p) {
        const char *pct = strchr(p, '%');
        if (!pct) {
            put_literal(l, p, strlen(p));
            return;
        }
        int quoted = pct > p && pct[-1] == '"' && pct[1] == 's' && pct[2] == '"';
        put_literal(l, p, (size_t)(pct - p) - (size_t)quoted);
        if (pct[1] == '%') {
            put(l, "%", 1);
            p = pct + 2;
            continue;
        }
        size_t n = 1 + strspn(pct + 1, "-+ #0123456789.lhjzt");
        if (pct[n] == '\0')
            return;
        n++;
        if (pct[n - 1] == 's')
            put_value(l, va_arg(*ap, const char *));
        else
            put_number(l, pct, n, ap);
        p = pct + n + (size_t)quoted;
    }
}

void ts_log(ts_log_level level, const char *event, const char *fmt, ...)
{
    if ((int)level < atomic_load_explicit(&current_level, memory_order_relaxed))
        return;
    line l = {.len = 0};
    char now[TS_RFC3339_LEN];
    ts_format_rfc3339_ms(ts_wall_ms(), now);
    int n = snprintf(l.buf, sizeof(l.buf), "ts=%s level=%s event=", now, level_names[level]);
    l.len = n > 0 && (size_t)n < sizeof(l.buf) ? (size_t)n : 0;
    put_value(&l, event);
    if (fmt[0]) {
        va_list ap;
        va_start(ap, fmt);
        put(&l, " ", 1);
        format_tail(&l, fmt, &ap);
        va_end(ap);
    }
    put(&l, "\n", 1);
    if (l.buf[l.len - 1] != '\n') /* cut short: still one line */
        l.buf[l.len - 1] = '\n';
    fwrite(l.buf, 1, l.len, stderr);
}
