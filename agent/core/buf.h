/*
 * buf.h - a growable byte buffer with a hard cap, for building answers,
 * Prometheus text and request bodies. Once an append would pass the cap
 * (or malloc fails) the buffer is marked failed and stays failed: check
 * ts_buf_ok() once at the end instead of after every append.
 */
#ifndef TILLSYNC_BUF_H
#define TILLSYNC_BUF_H

#include <stddef.h>

typedef struct ts_buf {
    char *data; /* always NUL-terminated when ok */
    size_t len;
    size_t cap;
    size_t limit;
    int failed;
} ts_buf;

void ts_buf_init(ts_buf *b, size_t limit);
void ts_buf_free(ts_buf *b);
void ts_buf_reset(ts_buf *b); /* len 0, keeps memory, clears failed */
int ts_buf_ok(const ts_buf *b);
void ts_buf_append(ts_buf *b, const void *data, size_t len);
void ts_buf_puts(ts_buf *b, const char *s);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void ts_buf_printf(ts_buf *b, const char *fmt, ...);
/* Appends s as a JSON string literal (quotes and escapes included). */
void ts_buf_json_string(ts_buf *b, const char *s, size_t len);
/* Takes the data out (caller frees); the buffer is left empty. */
char *ts_buf_take(ts_buf *b, size_t *len);

#endif
