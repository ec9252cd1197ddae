/*
 * sdnotify.h - talking to systemd as a Type=notify service, without
 * libsystemd (agent/core/sdnotify.c).
 *
 * Owns the service-manager side of the process: the datagrams to
 * $NOTIFY_SOCKET (READY=1, STOPPING=1, STATUS=..., WATCHDOG=1) and the
 * watchdog timer that keeps systemd's WatchdogSec= satisfied. Outside
 * systemd (no NOTIFY_SOCKET) every call is a cheap no-op, so main() calls
 * them unconditionally.
 *
 * The watchdog pings come from a timer on the agent's own libuv loop: when
 * the loop hangs, the pings stop and systemd restarts the service.
 * NOTIFY_SOCKET is left in the environment on purpose: a re-exec into an
 * updated binary keeps the same PID and still has to report READY=1.
 */
#ifndef TILLSYNC_SDNOTIFY_H
#define TILLSYNC_SDNOTIFY_H

#include <stdint.h>
#include <uv.h>

/*
 * Sends one notify message, e.g. "READY=1" or "STATUS=queue 12 pending"
 * (several may be joined with '\n'). Never blocks. Returns 0 when sent or
 * when there is no NOTIFY_SOCKET; TS_EINVAL for a NOTIFY_SOCKET this code
 * does not understand (only "/path" and "@abstract"), TS_ECONN when nobody
 * listens there, TS_EIO for other socket errors.
 */
int ts_sd_notify(const char *state);

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
/* ts_sd_notify() with printf formatting; the text is cut at 512 bytes. */
int ts_sd_notifyf(const char *fmt, ...);

/*
 * The watchdog interval systemd asks for, in microseconds: WATCHDOG_USEC,
 * if set, valid and meant for this process (WATCHDOG_PID absent or equal
 * to getpid()); 0 otherwise (no watchdog).
 */
uint64_t ts_sd_watchdog_usec(void);

/*
 * Starts sending WATCHDOG=1 every half watchdog interval from an unref'd
 * timer on loop (it never keeps the loop alive). Does nothing when systemd
 * asked for no watchdog. One watchdog per process. Returns 0 or a negative
 * TS_E* code.
 */
int ts_watchdog_start(uv_loop_t *loop);

/* Stops and closes the watchdog timer (safe when none runs); the loop
 * must run once more for the close to finish, as for any handle. */
void ts_watchdog_stop(void);

#endif
