/*
 * sdnotify.c - systemd's notify protocol, spoken directly.
 *
 * The protocol is one datagram per message on the AF_UNIX socket named by
 * $NOTIFY_SOCKET: a file system path ("/run/systemd/notify") or, when it
 * starts with '@', a name in the abstract namespace (leading NUL byte, no
 * terminator). systemd learns who sent a message from the kernel's
 * SCM_CREDENTIALS, which is why NotifyAccess=main works without anything
 * from us. See sd_notify(3) and systemd.service(5).
 */
#include "core/sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/error.h"
#include "core/log.h"

#define NOTIFYF_MAX 512

/* Fills addr from $NOTIFY_SOCKET's value; returns its length or TS_EINVAL. */
static int notify_address(const char *name, struct sockaddr_un *addr, socklen_t *addr_len)
{
    size_t len = strlen(name);

    if ((name[0] != '/' && name[0] != '@') || len < 2 || len >= sizeof(addr->sun_path))
        return TS_EINVAL;
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    memcpy(addr->sun_path, name, len);
    if (name[0] == '@')
        addr->sun_path[0] = '\0'; /* abstract: the length bounds the name */
    else
        len++; /* a path name is sent with its terminating NUL */
    *addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    return 0;
}

static int errno_to_ts(int err)
{
    switch (err) {
    case ENOENT:
    case ECONNREFUSED:
        return TS_ECONN;
    default:
        return TS_EIO;
    }
}

int ts_sd_notify(const char *state)
{
    const char *name = getenv("NOTIFY_SOCKET");
    struct sockaddr_un addr;
    socklen_t addr_len;
    ssize_t sent;
    int fd, rc;

    if (name == NULL || name[0] == '\0')
        return 0;
    rc = notify_address(name, &addr, &addr_len);
    if (rc != 0)
        return rc;

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return errno_to_ts(errno);
    do
        sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
    while (sent < 0 && errno == EINTR);
    rc = sent < 0 ? errno_to_ts(errno) : 0;
    close(fd);
    return rc;
}

int ts_sd_notifyf(const char *fmt, ...)
{
    char state[NOTIFYF_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(state, sizeof(state), fmt, ap);
    va_end(ap);
    return ts_sd_notify(state);
}

/* Parses a whole decimal number; returns 0 or TS_EINVAL. */
static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return TS_EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return TS_EINVAL;
    *out = v;
    return 0;
}

uint64_t ts_sd_watchdog_usec(void)
{
    const char *pid_text = getenv("WATCHDOG_PID");
    uint64_t usec, pid;

    if (parse_u64(getenv("WATCHDOG_USEC"), &usec) != 0)
        return 0;
    /* Without WATCHDOG_PID the setting is for whoever reads it; with it,
     * only for that process (not, say, for a child we started). */
    if (pid_text != NULL && (parse_u64(pid_text, &pid) != 0 || pid != (uint64_t)getpid()))
        return 0;
    return usec;
}

static struct {
    uv_timer_t timer;
    int running;
    int warned; /* one warning per failure streak, not one per ping */
} watchdog;

static void watchdog_ping(uv_timer_t *timer)
{
    int rc = ts_sd_notify("WATCHDOG=1");

    if (rc != 0 && !watchdog.warned)
        ts_warn("watchdog.ping_failed", "err=\"%s\"", ts_strerror(rc));
    watchdog.warned = rc != 0;
}

int ts_watchdog_start(uv_loop_t *loop)
{
    uint64_t usec = ts_sd_watchdog_usec();
    uint64_t every_ms;
    int rc;

    if (usec == 0 || watchdog.running)
        return 0;
    /* Half the interval, as sd_watchdog_enabled(3) advises: one late
     * ping is not yet a restart. */
    every_ms = usec / 2000;
    if (every_ms == 0)
        every_ms = 1;
    rc = uv_timer_init(loop, &watchdog.timer);
    if (rc != 0)
        return TS_EIO;
    uv_unref((uv_handle_t *)&watchdog.timer);
    rc = uv_timer_start(&watchdog.timer, watchdog_ping, every_ms, every_ms);
    if (rc != 0) {
        uv_close((uv_handle_t *)&watchdog.timer, NULL);
        return TS_EIO;
    }
    watchdog.running = 1;
    watchdog_ping(&watchdog.timer);
    ts_info("watchdog.started", "interval_ms=%llu ping_ms=%llu", (unsigned long long)(usec / 1000),
            (unsigned long long)every_ms);
    return 0;
}

void ts_watchdog_stop(void)
{
    if (!watchdog.running)
        return;
    uv_timer_stop(&watchdog.timer);
    uv_close((uv_handle_t *)&watchdog.timer, NULL);
    watchdog.running = 0;
}
