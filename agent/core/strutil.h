/*
 * strutil.h - small text helpers shared by the parsers.
 */
#ifndef TILLSYNC_STRUTIL_H
#define TILLSYNC_STRUTIL_H

#include <stddef.h>

/* The value of one hex digit (either case), or -1. */
int ts_hex_digit(int c);
/* The lower-case hex digit for v & 15; the one hex table of the agent. */
char ts_hex_char(unsigned v);
/* n bytes as 2n lower-case hex digits and a NUL (out holds 2n + 1). */
void ts_hex_encode(const unsigned char *in, size_t n, char *out);
/* Code points in n bytes of valid UTF-8 (continuation bytes not counted). */
size_t ts_utf8_chars(const char *s, size_t n);

#endif
