/*
 * test_sdnotify.c - the notify protocol against a real AF_UNIX datagram
 * socket standing in for systemd's: a path socket, an abstract one, the
 * no-socket no-op, bad addresses, WATCHDOG_USEC/WATCHDOG_PID, and the
 * watchdog timer pinging from a libuv loop without keeping it alive.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

/* cmocka.h needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/sdnotify.h"

#define RECV_DEADLINE_MS 10000 /* generous: the tests also run under qemu */

/* systemd's end: a bound datagram socket; name is "/path" or "@abstract". */
static int listen_notify(const char *name)
{
    struct sockaddr_un addr;
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, name, strlen(name));
    if (name[0] == '@')
        addr.sun_path[0] = '\0';
    if (bind(fd, (struct sockaddr *)&addr, len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One datagram into buf (NUL-terminated); "" when none came in time. */
static void recv_message(int fd, char *buf, size_t size)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    ssize_t n = -1;

    buf[0] = '\0';
    if (poll(&pfd, 1, RECV_DEADLINE_MS) == 1)
        n = recv(fd, buf, size - 1, 0);
    if (n >= 0)
        buf[n] = '\0';
}

static void test_unset_is_a_no_op(void **state)
{
    unsetenv("NOTIFY_SOCKET");
    assert_int_equal(ts_sd_notify("READY=1"), 0);
    setenv("NOTIFY_SOCKET", "", 1);
    assert_int_equal(ts_sd_notify("READY=1"), 0);
}

static void test_path_socket(void **state)
{
    const char *dir = *state;
    char path[256], got[256];
    int fd;

    snprintf(path, sizeof(path), "%s/notify", dir);
    fd = listen_notify(path);
    assert_true(fd >= 0);
    setenv("NOTIFY_SOCKET", path, 1);
    assert_int_equal(ts_sd_notify("READY=1"), 0);
    recv_message(fd, got, sizeof(got));
    assert_string_equal(got, "READY=1");
    assert_int_equal(ts_sd_notifyf("STATUS=%d pending, central %s", 12, "online"), 0);
    recv_message(fd, got, sizeof(got));
    assert_string_equal(got, "STATUS=12 pending, central online");
    close(fd);
    unlink(path);
    /* Nobody listens any more: an error, not a hang or a crash. */
    assert_int_equal(ts_sd_notify("STOPPING=1"), TS_ECONN);
}

static void test_abstract_socket(void **state)
{
    char name[64], got[256];
    int fd;

    snprintf(name, sizeof(name), "@tillsync-test-sdnotify-%ld", (long)getpid());
    fd = listen_notify(name);
    assert_true(fd >= 0);
    setenv("NOTIFY_SOCKET", name, 1);
    assert_int_equal(ts_sd_notify("STOPPING=1"), 0);
    recv_message(fd, got, sizeof(got));
    assert_string_equal(got, "STOPPING=1");
    close(fd);
}

static void test_bad_addresses(void **state)
{
    char long_path[200];

    setenv("NOTIFY_SOCKET", "relative/notify", 1);
    assert_int_equal(ts_sd_notify("READY=1"), TS_EINVAL);
    setenv("NOTIFY_SOCKET", "@", 1);
    assert_int_equal(ts_sd_notify("READY=1"), TS_EINVAL);
    memset(long_path, 'x', sizeof(long_path) - 1);
    long_path[0] = '/';
    long_path[sizeof(long_path) - 1] = '\0';
    setenv("NOTIFY_SOCKET", long_path, 1);
    assert_int_equal(ts_sd_notify("READY=1"), TS_EINVAL);
    unsetenv("NOTIFY_SOCKET");
}

static void test_watchdog_usec(void **state)
{
    char pid[32];

    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    assert_int_equal(ts_sd_watchdog_usec(), 0);
    setenv("WATCHDOG_USEC", "30000000", 1);
    assert_int_equal(ts_sd_watchdog_usec(), 30000000);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid());
    setenv("WATCHDOG_PID", pid, 1);
    assert_int_equal(ts_sd_watchdog_usec(), 30000000);
    snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
    setenv("WATCHDOG_PID", pid, 1); /* meant for another process */
    assert_int_equal(ts_sd_watchdog_usec(), 0);
    unsetenv("WATCHDOG_PID");
    setenv("WATCHDOG_USEC", "30s", 1);
    assert_int_equal(ts_sd_watchdog_usec(), 0);
    setenv("WATCHDOG_USEC", "-5", 1);
    assert_int_equal(ts_sd_watchdog_usec(), 0);
    unsetenv("WATCHDOG_USEC");
}

/* The watchdog test's systemd: counts WATCHDOG=1 datagrams on a uv_poll. */
typedef struct {
    uv_poll_t poll;
    uv_timer_t deadline;
    int fd;
    int pings;
    int timed_out;
} watchdog_listener;

static void stop_listening(watchdog_listener *l)
{
    uv_close((uv_handle_t *)&l->poll, NULL);
    uv_close((uv_handle_t *)&l->deadline, NULL);
}

static void on_datagram(uv_poll_t *poll, int status, int events)
{
    watchdog_listener *l = poll->data;
    char buf[64];
    ssize_t n = recv(l->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

    if (n < 0)
        return;
    buf[n] = '\0';
    assert_string_equal(buf, "WATCHDOG=1");
    if (++l->pings == 3)
        stop_listening(l);
}

static void on_deadline(uv_timer_t *timer)
{
    watchdog_listener *l = timer->data;
    l->timed_out = 1;
    stop_listening(l);
}

static void test_watchdog_timer(void **state)
{
    const char *dir = *state;
    watchdog_listener l = {0};
    uv_loop_t loop;
    char path[256];

    assert_int_equal(uv_loop_init(&loop), 0);
    /* No watchdog asked for: nothing is started. */
    unsetenv("WATCHDOG_USEC");
    assert_int_equal(ts_watchdog_start(&loop), 0);
    assert_int_equal(uv_loop_alive(&loop), 0);

    snprintf(path, sizeof(path), "%s/watchdog", dir);
    l.fd = listen_notify(path);
    assert_true(l.fd >= 0);
    setenv("NOTIFY_SOCKET", path, 1);
    setenv("WATCHDOG_USEC", "100000", 1); /* pings every 50 ms */
    assert_int_equal(ts_watchdog_start(&loop), 0);
    /* The timer is unref'd: on its own it does not keep the loop alive. */
    assert_int_equal(uv_loop_alive(&loop), 0);

    uv_poll_init(&loop, &l.poll, l.fd);
    l.poll.data = &l;
    uv_poll_start(&l.poll, UV_READABLE, on_datagram);
    uv_timer_init(&loop, &l.deadline);
    l.deadline.data = &l;
    uv_timer_start(&l.deadline, on_deadline, RECV_DEADLINE_MS, 0);
    /* Returns once the listener has closed its handles: the watchdog's
     * own timer must not hold the loop open. */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(l.pings >= 3);
    assert_int_equal(l.timed_out, 0);

    ts_watchdog_stop();
    ts_watchdog_stop(); /* twice is harmless */
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    close(l.fd);
    unlink(path);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
}

/* A short directory for the path sockets: their paths are limited to 107
 * bytes. */
static char dir[] = "/tmp/ts-sdnotify-XXXXXX";

static int make_dir(void **state)
{
    if (mkdtemp(dir) == NULL)
        return -1;
    *state = dir;
    return 0;
}

static int remove_dir(void **state)
{
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unset_is_a_no_op), cmocka_unit_test(test_path_socket),
        cmocka_unit_test(test_abstract_socket),  cmocka_unit_test(test_bad_addresses),
        cmocka_unit_test(test_watchdog_usec),    cmocka_unit_test(test_watchdog_timer),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
