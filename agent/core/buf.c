/* buf.c - bounded growable buffer (see buf.h). */
#include "core/buf.h"
#include "core/strutil.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ts_buf_init(ts_buf *b, size_t limit)
{
    memset(b, 0, sizeof(*b));
    b->limit = limit;
}

void ts_buf_free(ts_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void ts_buf_reset(ts_buf *b)
{
    b->len = 0;
    b->failed = 0;
    if (b->data)
        b->data[0] = '\0';
}

int ts_buf_ok(const ts_buf *b)
{
    return !b->failed;
}

/* Makes room for extra bytes plus the NUL; 0 or -1 (and failed set). */
static int buf_reserve(ts_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (extra > b->limit || b->len > b->limit - extra) {
        b->failed = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void ts_buf_append(ts_buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len) != 0)
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void ts_buf_puts(ts_buf *b, const char *s)
{
    ts_buf_append(b, s, strlen(s));
}

void ts_buf_printf(ts_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (buf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void ts_buf_json_string(ts_buf *b, const char *s, size_t len)
{
    ts_buf_append(b, "\"", 1);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            ts_buf_append(b, esc, 2);
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', ts_hex_char(c >> 4), ts_hex_char(c)};
            ts_buf_append(b, esc, 6);
        } else {
            ts_buf_append(b, &s[i], 1);
        }
    }
    ts_buf_append(b, "\"", 1);
}

char *ts_buf_take(ts_buf *b, size_t *len)
{
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
