/*
 * strutil.h - small text helpers shared by the parsers.
 */
#ifndef TILLSYNC_STRUTIL_H
#define TILLSYNC_STRUTIL_H

/* The value of one hex digit (either case), or -1. */
int ts_hex_digit(int c);

#endif
