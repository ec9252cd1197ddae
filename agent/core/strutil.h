/*
 * strutil.h - small text helpers shared by the parsers.
 */
#ifndef TILLSYNC_STRUTIL_H
#define TILLSYNC_STRUTIL_H

#include <stddef.h>

/* The value of one hex digit (either case), or -1. */
int ts_hex_digit(int c);
/* Code points in n bytes of valid UTF-8 (continuation bytes not counted). */
size_t ts_utf8_chars(const char *s, size_t n);

#endif
