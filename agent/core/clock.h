/*
 * clock.h - time for the agent (agent/core/clock.c).
 *
 * Wall time is int64 milliseconds since the epoch, never time_t: 32-bit ARM
 * builds must not care about 2038. Wall time is shown and stored, never used
 * for ordering (boxes without an RTC boot in 1970); ordering is by seq and
 * durations by the monotonic clock.
 */
#ifndef TILLSYNC_CLOCK_H
#define TILLSYNC_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define TS_RFC3339_LEN 32

int64_t ts_wall_ms(void);  /* UTC wall clock, ms since 1970 */
uint64_t ts_mono_ms(void); /* monotonic, ms since an arbitrary point */

/* No time stored or compared by the agent is earlier than this
 * (2025-01-01T00:00:00Z): a clock before it is a box that has not set its
 * clock yet. */
#define TS_TIME_FLOOR_MS 1735689600000LL
/* The run clock: the wall clock read once, at the first call (raised to
 * TS_TIME_FLOOR_MS), then advanced by the monotonic clock. A step of the
 * system clock during a run moves it not at all, so ages and retention
 * (received_at, acked_at, prune cutoffs) cannot jump; the next start
 * re-reads the wall clock (docs/reliability.md). Loop thread. */
int64_t ts_run_ms(void);

/* "2026-11-22T09:14:03.120Z"; out must hold TS_RFC3339_LEN bytes. */
void ts_format_rfc3339_ms(int64_t wall_ms, char *out);
/* "2026-11-22T09:14:03Z" (whole seconds). */
void ts_format_rfc3339_s(int64_t wall_ms, char *out);
/* Odoo's "YYYY-MM-DD HH:MM:SS" (UTC) to ms; returns 0 or TS_EINVAL. */
int ts_parse_odoo_datetime(const char *s, int64_t *wall_ms);
/* An HTTP Date header's value in the IMF-fixdate form every current server
 * sends ("Sun, 06 Nov 1994 08:49:37 GMT", RFC 9110 5.6.7; surrounding
 * blanks allowed) to ms, with no time_t: libcurl's curl_getdate returns a
 * time_t, whose width on 32-bit ARM differs between a 64-bit-time build and
 * the library. Returns 0 or TS_EINVAL (other forms, bad fields). */
int ts_parse_http_date(const char *s, size_t len, int64_t *wall_ms);
/* Calendar to days since 1970-01-01 (proleptic Gregorian), no time_t. */
int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
