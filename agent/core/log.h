/*
 * log.h - one line per event on stderr.
 *
 * Format (logfmt, greppable, journald-friendly):
 *   ts=2026-11-25T14:00:00.123Z level=info event=txn.stored seq=12 txn_id=R1-1
 * The caller writes the key=value tail with printf formatting. Every %s
 * argument is one value and is escaped as logfmt needs: bare when it can
 * be, else quoted with \" \\ \n escapes (write reason=%s; the older
 * reason="%s" means the same). One event is always one line.
 * Never pass a secret, token, key or card number: the logger cannot tell.
 */
#ifndef TILLSYNC_LOG_H
#define TILLSYNC_LOG_H

typedef enum { TS_LOG_DEBUG = 0, TS_LOG_INFO, TS_LOG_WARN, TS_LOG_ERROR } ts_log_level;

void ts_log_set_level(ts_log_level level);
ts_log_level ts_log_get_level(void);
/* Parses "debug" "info" "warn" "error"; returns 0 or TS_EINVAL. */
int ts_log_level_parse(const char *name, ts_log_level *out);

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void ts_log(ts_log_level level, const char *event, const char *fmt, ...);

#define ts_debug(event, ...) ts_log(TS_LOG_DEBUG, event, __VA_ARGS__)
#define ts_info(event, ...) ts_log(TS_LOG_INFO, event, __VA_ARGS__)
#define ts_warn(event, ...) ts_log(TS_LOG_WARN, event, __VA_ARGS__)
#define ts_error(event, ...) ts_log(TS_LOG_ERROR, event, __VA_ARGS__)

#endif
