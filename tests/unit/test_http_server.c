/*
 * test_http_server.c - the HTTP server over real loopback sockets.
 *
 * Each scenario is one cmocka case. Its client runs in the test's (main)
 * thread, where cmocka's assertions work, with plain blocking sockets
 * (SO_RCVTIMEO bounds every read, EINTR is retried: see recv_retrying); the
 * server's libuv loop runs in a second thread, started by the case's setup
 * and stopped by its teardown through a uv_async, which also runs when an
 * assertion ends the case early. The client
 * waits for the server's state (open connections, exchanges held by the
 * handler) on a condition variable the loop thread updates after every loop
 * turn: no sleep is used to synchronise.
 *
 * Handler routes: /hello, /echo (method, target and body back), /async
 * (answered from a uv_timer), /hold (kept until /release answers it).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

/* cmocka.h needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/error.h"
#include "http/http_server.h"

#define CLIENT_TIMEOUT_S 10
#define BODY_LIMIT 4096
#define MAX_HELD 4
#define HUGE_BODY (8 * 1024 * 1024)

/* --- state shared between the loop thread and the client thread ----------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int open_conns; /* as the server saw it after the last loop turn */
    int held;       /* exchanges the handler holds */
    int rejected;   /* connections refused over the bound */
} shared = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};

static int server_port;
static const char *server_host;

/* Waits until *field == want; 0 on success, -1 after the deadline. */
static int wait_shared(const int *field, int want)
{
    struct timespec deadline;
    int rc = 0;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += CLIENT_TIMEOUT_S;
    pthread_mutex_lock(&shared.mu);
    while (*field != want && rc == 0)
        rc = pthread_cond_timedwait(&shared.cv, &shared.mu, &deadline);
    rc = *field == want ? 0 : -1;
    pthread_mutex_unlock(&shared.mu);
    return rc;
}

/* --- the loop thread: server and handler ----------------------------------- */

static uv_loop_t loop;
static ts_http_server *server;
static uv_async_t client_done;
static uv_check_t publisher;
static ts_http_exchange *held[MAX_HELD];
static int n_held;
static int server_closed;

static void publish_state(uv_check_t *h)
{
    pthread_mutex_lock(&shared.mu);
    shared.open_conns = server_closed ? 0 : ts_http_server_open_conns(server);
    shared.held = n_held;
    shared.rejected = server_closed ? 0 : (int)ts_http_server_rejected_total(server);
    pthread_cond_broadcast(&shared.cv);
    pthread_mutex_unlock(&shared.mu);
}

static void respond_text(ts_http_exchange *ex, int status, const char *text)
{
    ts_http_respond(ex, status, "text/plain", "", text, strlen(text));
}

static void on_async_timer_closed(uv_handle_t *h)
{
    free(h);
}

static void on_async_timer(uv_timer_t *t)
{
    respond_text(t->data, 200, "async");
    uv_close((uv_handle_t *)t, on_async_timer_closed);
}

static void echo(ts_http_exchange *ex, const ts_http_request *req)
{
    char out[BODY_LIMIT + 600];
    int n = snprintf(out, sizeof out, "%.*s %.*s %.*s", (int)req->method.len, req->method.p,
                     (int)req->target.len, req->target.p, (int)req->body_len,
                     req->body != NULL ? req->body : "");

    /* The body points into the request; ts_http_respond copies it out. */
    ts_http_respond(ex, 200, "text/plain", "X-Echo: yes\r\n", out, (size_t)n);
}

static void release_held(void)
{
    while (n_held > 0)
        respond_text(held[--n_held], 200, "held answer");
}

static void handler(void *user, ts_http_exchange *ex, const ts_http_request *req)
{
    if (ts_str_eq(req->path, "/hello")) {
        respond_text(ex, 200, "hello");
    } else if (ts_str_eq(req->path, "/echo")) {
        echo(ex, req);
    } else if (ts_str_eq(req->path, "/async")) {
        uv_timer_t *t = malloc(sizeof *t);
        uv_timer_init(&loop, t);
        t->data = ex;
        uv_timer_start(t, on_async_timer, 20, 0);
    } else if (ts_str_eq(req->path, "/hold") && n_held < MAX_HELD) {
        held[n_held++] = ex;
    } else if (ts_str_eq(req->path, "/release")) {
        release_held();
        respond_text(ex, 200, "released");
    } else {
        respond_text(ex, 404, "no such route");
    }
}

static void on_handle_closed(uv_handle_t *h)
{
}

static void on_server_closed(void *arg)
{
    server_closed = 1;
    /* Exchanges still held are answered after the close: a no-op that frees. */
    release_held();
    uv_close((uv_handle_t *)&client_done, on_handle_closed);
    uv_close((uv_handle_t *)&publisher, on_handle_closed);
}

static void on_client_done(uv_async_t *a)
{
    ts_http_server_close(server, on_server_closed, NULL);
}

/* A scenario: the server's options and the client that drives it. */
typedef struct scenario {
    const char *host;
    int max_conns;
    uint64_t idle_ms;
    void (*client)(void);
    int optional; /* skipped when the server cannot listen there */
    int start_rc;
    pthread_t thread;
} scenario;

static void *loop_thread(void *arg)
{
    uv_run(&loop, UV_RUN_DEFAULT);
    return NULL;
}

static int start_server(void **state)
{
    scenario *sc = *state;
    ts_http_server_options opt = {sc->host, 0, sc->max_conns, sc->idle_ms, BODY_LIMIT, NULL, 0,
                                  0,        0};

    uv_loop_init(&loop);
    sc->start_rc = ts_http_server_start(&server, &loop, &opt, handler, NULL);
    if (sc->start_rc != 0) {
        uv_run(&loop, UV_RUN_DEFAULT);
        return uv_loop_close(&loop) == 0 ? 0 : -1;
    }
    server_closed = 0;
    server_port = ts_http_server_port(server);
    server_host = sc->host;
    if (server_port <= 0)
        return -1;
    uv_async_init(&loop, &client_done, on_client_done);
    uv_check_init(&loop, &publisher);
    uv_check_start(&publisher, publish_state);
    publish_state(&publisher);
    return pthread_create(&sc->thread, NULL, loop_thread, NULL) == 0 ? 0 : -1;
}

/* Closes the server from its loop, then every handle must be closed. */
static int stop_server(void **state)
{
    scenario *sc = *state;

    if (sc->start_rc != 0)
        return 0;
    uv_async_send(&client_done);
    pthread_join(sc->thread, NULL);
    return uv_loop_close(&loop) == 0 ? 0 : -1;
}

static void run_client(void **state)
{
    scenario *sc = *state;

    if (sc->start_rc != 0 && sc->optional) {
        print_message("cannot listen on %s here: skipped\n", sc->host);
        skip();
    }
    assert_int_equal(sc->start_rc, 0);
    sc->client();
}

/* --- the client side: blocking sockets ------------------------------------- */

/*
 * A socket call that waits under SO_RCVTIMEO/SO_SNDTIMEO fails with EINTR
 * when the thread is interrupted, even with no signal handler installed: on
 * Linux with libuv >= 1.45 (io_uring), closing a loop makes the kernel's
 * ring teardown queue work on every thread that used the ring, which
 * interrupts such a wait in the next case. The client retries; each retry
 * is still bounded by the socket's time-out.
 */
static ssize_t recv_retrying(int fd, void *buf, size_t len)
{
    ssize_t n;

    do
        n = recv(fd, buf, len, 0);
    while (n < 0 && errno == EINTR);
    return n;
}

static ssize_t send_retrying(int fd, const void *buf, size_t len)
{
    ssize_t n;

    do
        n = send(fd, buf, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
}

/* An interrupted connect goes on in the background: wait for its outcome. */
static int connect_retrying(int fd, const struct sockaddr *sa, socklen_t len)
{
    struct pollfd p = {fd, POLLOUT, 0};
    socklen_t elen = sizeof(int);
    int err = 0, rc;

    if (connect(fd, sa, len) == 0)
        return 0;
    if (errno != EINTR)
        return -1;
    do
        rc = poll(&p, 1, CLIENT_TIMEOUT_S * 1000);
    while (rc < 0 && errno == EINTR);
    if (rc != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0)
        return -1;
    return 0;
}

typedef struct client {
    int fd;
    char buf[65536];
    size_t len;
} client;

typedef struct response {
    int status;
    char head[4096];
    char body[BODY_LIMIT + 1024];
    size_t body_len;
    int closing;
} response;

static int client_open(client *c)
{
    struct timeval tv = {CLIENT_TIMEOUT_S, 0};
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1;

    memset(&ss, 0, sizeof ss);
    if (strchr(server_host, ':') != NULL) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((unsigned short)server_port);
        inet_pton(AF_INET6, server_host, &a->sin6_addr);
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((unsigned short)server_port);
        inet_pton(AF_INET, server_host, &a->sin_addr);
        len = sizeof *a;
    }
    c->len = 0;
    c->fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (c->fd < 0)
        return -1;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect_retrying(c->fd, (struct sockaddr *)&ss, len) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static void client_close(client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* Closes with a reset (RST) instead of a FIN. */
static void client_reset(client *c)
{
    struct linger lg = {1, 0};

    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    client_close(c);
}

static int send_all(client *c, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send_retrying(c->fd, data, len);
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int send_str(client *c, const char *s)
{
    return send_all(c, s, strlen(s));
}

static int fill(client *c)
{
    ssize_t n;

    if (c->len == sizeof c->buf)
        return -1;
    n = recv_retrying(c->fd, c->buf + c->len, sizeof c->buf - c->len);
    if (n <= 0)
        return -1;
    c->len += (size_t)n;
    return 0;
}

static const char *find_header(const char *head, const char *name)
{
    const char *p = head;
    size_t n = strlen(name);

    while ((p = strstr(p, "\r\n")) != NULL) {
        p += 2;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':')
            return p + n + 1 + strspn(p + n + 1, " ");
    }
    return NULL;
}

/* Reads one response (no body for HEAD); 0 or -1 on EOF, time-out, junk. */
static int read_response_ex(client *c, response *r, int head_request)
{
    const char *end, *cl;
    size_t head_len, need;

    memset(r, 0, sizeof *r);
    while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL)
        if (fill(c) != 0)
            return -1;
    head_len = (size_t)(end + 4 - c->buf);
    if (head_len >= sizeof r->head)
        return -1;
    memcpy(r->head, c->buf, head_len);
    if (sscanf(r->head, "HTTP/1.1 %d ", &r->status) != 1)
        return -1;
    cl = find_header(r->head, "Content-Length");
    r->body_len = cl != NULL && !head_request ? strtoul(cl, NULL, 10) : 0;
    if (r->status >= 200 && cl == NULL)
        return -1; /* every final answer carries Content-Length */
    if (r->body_len >= sizeof r->body)
        return -1;
    need = head_len + r->body_len;
    while (c->len < need)
        if (fill(c) != 0)
            return -1;
    memcpy(r->body, c->buf + head_len, r->body_len);
    memmove(c->buf, c->buf + need, c->len - need);
    c->len -= need;
    r->closing = strstr(r->head, "\r\nConnection: close\r\n") != NULL;
    return 0;
}

static int read_response(client *c, response *r)
{
    return read_response_ex(c, r, 0);
}

/* Reads until the server closes: 1 when it did, 0 on time-out. What it
 * reads meanwhile is added to c->buf (as far as it fits). */
static int wait_closed(client *c)
{
    for (;;) {
        char junk[4096];
        ssize_t n = recv_retrying(c->fd, junk, sizeof junk);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return 1;
        if (n < 0)
            return 0;
        if ((size_t)n <= sizeof c->buf - c->len) {
            memcpy(c->buf + c->len, junk, (size_t)n);
            c->len += (size_t)n;
        }
    }
}

/* GET path on a fresh connection: the status, or -1. */
static int get_once(const char *path)
{
    client c;
    response r;
    char req[256];
    int status = -1;

    if (client_open(&c) != 0)
        return -1;
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
    if (send_str(&c, req) == 0 && read_response(&c, &r) == 0)
        status = r.status;
    client_close(&c);
    return status;
}

/* The error answers: status, JSON code, Connection: close, then closed. */
static void expect_error_answer(const char *raw, size_t len, int status, const char *code)
{
    client c;
    response r;
    char want[128];

    snprintf(want, sizeof want, "{\"error\":{\"code\":\"%s\",\"message\":\"", code);
    assert_int_equal(client_open(&c), 0);
    assert_int_equal(send_all(&c, raw, len), 0);
    assert_int_equal(read_response(&c, &r), 0);
    assert_int_equal(r.status, status);
    assert_int_equal(strncmp(r.body, want, strlen(want)), 0);
    assert_non_null(strstr(r.head, "Content-Type: application/json\r\n"));
    assert_true(r.closing);
    assert_true(wait_closed(&c));
    client_close(&c);
}

/* --- scenarios ------------------------------------------------------------- */

static void keep_alive_client(void)
{
    static const char post[] =
        "POST /echo?x=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nabcde";
    client c;
    response r;

    assert_int_equal(client_open(&c), 0);
    assert_true(send_str(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
    assert_int_equal(read_response(&c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello");
    assert_true(!r.closing);
    assert_non_null(strstr(r.head, "Content-Type: text/plain\r\n"));
    assert_int_equal(send_str(&c, post), 0);
    assert_int_equal(read_response(&c, &r), 0);
    assert_string_equal(r.body, "POST /echo?x=1 abcde");
    assert_non_null(find_header(r.head, "X-Echo"));
    assert_true(send_str(&c, "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
    assert_int_equal(read_response_ex(&c, &r, 1), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "Content-Length: 5\r\n"));
    assert_true(send_str(&c, "GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n") == 0);
    assert_int_equal(read_response(&c, &r), 0);
    assert_int_equal(r.status, 404);
    assert_true(r.closing);
    assert_true(wait_closed(&c));
    client_close(&c);

    /* HTTP/1.0: closed unless it asks for keep-alive. */
    assert_int_equal(client_open(&c), 0);
    assert_true(send_str(&c, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") == 0);
    assert_int_equal(read_response(&c, &r), 0);
    assert_non_null(strstr(r.head, "Connection: keep-alive\r\n"));
    assert_true(send_str(&c, "GET /hello HTTP/1.0\r\n\r\n") == 0);
    assert_int_equal(read_response(&c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_true(r.closing);
    assert_true(wait_closed(&c));
    client_close(&c);
}

static void pipelining_client(void)
{
    static const char three[] = "GET /echo?n=1 HTTP/1.1\r\nHost: t\r\n\r\n"
                                "POST /echo?n=2 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nxyz"
                                "GET /async HTTP/1.1\r\nHost: t\r\n\r\n"
                                "GET /echo?n=4 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    client c;
    response r;

    assert_int_equal(client_open(&c), 0);
    assert_int_equal(send_str(&c, three), 0);
    assert_int_equal(read_response(&c, &r), 0);
    assert_string_equal(r.body, "GET /echo?n=1 ");
    assert_int_equal(read_response(&c, &r), 0);
    assert_string_equal(r.body, "POST /echo?n=2 xyz");
    assert_int_equal(read_response(&c, &r), 0);
    assert_string_equal(r.body, "async");
    assert_int_equal(read_response(&c, &r), 0);
    assert_string_equal(r.body, "GET /echo?n=4 ");
    assert_true(r.closing);
    assert_true(wait_closed(&c));
    client_close(&c);

    /* Pipelined after a half-close: every request is still answered. */
    assert_int_equal(client_open(&c), 0);
    assert_true(
        send_str(&c,
                 "GET /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /async HTTP/1.1\r\nHost: t\r\n\r\n") ==
        0);
    shutdown(c.fd, SHUT_WR);
    assert_int_equal(read_response(&c, &r), 0);
    assert_string_equal(r.body, "hello");
    assert_int_equal(read_response(&c, &r), 0);
    assert_string_equal(r.body, "async");
    assert_true(r.closing);
    assert_true(wait_closed(&c));
    client_close(&c);
}

/* POST /echo with n bytes of body into out; returns the request length. */
static size_t make_post(char *out, size_t n, char fill_byte)
{
    int head = sprintf(out, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %zu\r\n\r\n", n);

    memset(out + head, fill_byte, n);
    return (size_t)head + n;
}

/* A body at the limit (the buffer grows), then pipelined requests that do
 * not fit in the buffer while one is held (reading stops, then resumes). */
static void big_pipelined_client(void)
{
    static char reqs[8 * (BODY_LIMIT + 100)];
    client c, other;
    response r;
    size_t len = 0;
    int i;

    assert_int_equal(client_open(&c), 0);
    len = make_post(reqs, BODY_LIMIT, 'L');
    assert_int_equal(send_all(&c, reqs, len), 0);
    assert_int_equal(read_response(&c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, strlen("POST /echo ") + BODY_LIMIT);

    len = (size_t)sprintf(reqs, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n");
    for (i = 0; i < 6; i++)
        len += make_post(reqs + len, BODY_LIMIT - 100, (char)('a' + i));
    assert_int_equal(send_all(&c, reqs, len), 0);
    assert_int_equal(wait_shared(&shared.held, 1), 0);
    assert_int_equal(client_open(&other), 0);
    assert_true(send_str(&other, "GET /release HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
    assert_int_equal(read_response(&other, &r), 0);
    client_close(&other);
    assert_int_equal(read_response(&c, &r), 0);
    assert_string_equal(r.body, "held answer");
    for (i = 0; i < 6; i++) {
        assert_int_equal(read_response(&c, &r), 0);
        assert_int_equal(r.body_len, strlen("POST /echo ") + BODY_LIMIT - 100);
        assert_true(r.body[r.body_len - 1] == 'a' + i);
    }
    client_close(&c);
}

static void async_client(void)
{
    client c;
    response r;
    int i;

    assert_int_equal(client_open(&c), 0);
    for (i = 0; i < 3; i++) {
        assert_true(send_str(&c, "GET /async HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
        assert_int_equal(read_response(&c, &r), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "async");
    }
    client_close(&c);
}

/* The client leaves while its exchange is held: a reset, a close, a
 * half-close that still wants the answer. */
static void client_leaves_client(void)
{
    client c, other;
    response r;

    /* Reset: the server closes the connection, the exchange lives on. */
    assert_int_equal(client_open(&c), 0);
    assert_true(send_str(&c, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
    assert_int_equal(wait_shared(&shared.held, 1), 0);
    client_reset(&c);
    assert_int_equal(wait_shared(&shared.open_conns, 0), 0);
    assert_int_equal(get_once("/release"), 200); /* answers the orphan: a no-op */
    assert_int_equal(wait_shared(&shared.held, 0), 0);

    /* Plain close: answered into the void, then closed. */
    assert_int_equal(client_open(&c), 0);
    assert_true(send_str(&c, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
    assert_int_equal(wait_shared(&shared.held, 1), 0);
    client_close(&c);
    assert_int_equal(get_once("/release"), 200);
    assert_int_equal(wait_shared(&shared.open_conns, 0), 0);

    /* Half-close: the answer still arrives, with Connection: close. */
    assert_int_equal(client_open(&c), 0);
    assert_true(send_str(&c, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
    assert_int_equal(wait_shared(&shared.held, 1), 0);
    shutdown(c.fd, SHUT_WR);
    assert_int_equal(client_open(&other), 0);
    assert_true(send_str(&other, "GET /release HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
    assert_int_equal(read_response(&other, &r), 0);
    assert_int_equal(read_response(&c, &r), 0);
    assert_string_equal(r.body, "held answer");
    assert_true(r.closing);
    assert_true(wait_closed(&c));
    client_close(&c);
    client_close(&other);

    /* Held when the server closes: answered after the close (a no-op). */
    assert_int_equal(client_open(&c), 0);
    assert_true(send_str(&c, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n") == 0);
    assert_int_equal(wait_shared(&shared.held, 1), 0);
    client_close(&c);
}

static void malformed_client(void)
{
    static const char garbage[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 hello";
    static const char chunked[] = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                                  "\r\n5\r\nhello\r\n0\r\n\r\n";
    static const char big[] = "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 8388608\r\n\r\n";
    char *huge = malloc(TS_HTTP_MAX_HEADER_BYTES + 100);
    char *body = malloc(HUGE_BODY + sizeof big);
    int n;

    expect_error_answer(garbage, sizeof garbage - 1, 400, "bad_request");
    assert_int_equal(get_once("/hello"), 200);                             /* still serving */
    expect_error_answer("GET / HTTP/1.1\r\n\r\n", 18, 400, "bad_request"); /* no Host */
    expect_error_answer(chunked, sizeof chunked - 1, 501, "not_implemented");
    expect_error_answer("GET / HTTP/2.0\r\n\r\n", 18, 505, "http_version_not_supported");

    /* Headers over the bound. */
    n = sprintf(huge, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: ");
    memset(huge + n, 'h', TS_HTTP_MAX_HEADER_BYTES + 100 - (size_t)n);
    expect_error_answer(huge, TS_HTTP_MAX_HEADER_BYTES + 100, 431, "headers_too_large");

    /* Body over the limit: refused from the headers alone... */
    expect_error_answer(big, sizeof big - 1, 413, "too_large");
    /* ...and also when the client sends the body anyway: more than the
     * socket buffers hold, so the client is still sending when the answer
     * goes out; it must get the answer, not a reset. */
    memcpy(body, big, sizeof big - 1);
    memset(body + sizeof big - 1, 'b', HUGE_BODY);
    expect_error_answer(body, sizeof big - 1 + HUGE_BODY, 413, "too_large");
    assert_int_equal(get_once("/hello"), 200);
    free(huge);
    free(body);
}

static void expect_continue_client(void)
{
    static const char head[] = "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                               "Content-Length: 4\r\n\r\n";
    static const char refused[] = "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                                  "Content-Length: 99999\r\n\r\n";
    client c;
    response r;

    assert_int_equal(client_open(&c), 0);
    assert_int_equal(send_str(&c, head), 0);
    assert_int_equal(read_response(&c, &r), 0);
    assert_int_equal(r.status, 100);
    assert_int_equal(send_str(&c, "body"), 0);
    assert_int_equal(read_response(&c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "POST /echo body");
    /* A body sent without waiting for the 100 is fine too. */
    assert_int_equal(send_str(&c, head), 0);
    assert_int_equal(send_str(&c, "four"), 0);
    assert_int_equal(read_response(&c, &r), 0);
    if (r.status == 100) /* the server may have seen the headers alone first */
        assert_int_equal(read_response(&c, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "POST /echo four");
    client_close(&c);

    /* Too large: 413 instead of 100. */
    expect_error_answer(refused, sizeof refused - 1, 413, "too_large");
}

/* A request cut short, then silence: closed at the time-out (with a 408),
 * while other clients are served. */
static void truncated_client(void)
{
    client c;
    response r;

    assert_int_equal(client_open(&c), 0);
    assert_true(
        send_str(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly part") ==
        0);
    assert_int_equal(get_once("/hello"), 200);
    assert_int_equal(read_response(&c, &r), 0);
    assert_int_equal(r.status, 408);
    assert_true(r.closing);
    assert_true(wait_closed(&c));
    client_close(&c);

    /* An idle connection is closed without a word. */
    assert_int_equal(client_open(&c), 0);
    assert_true(wait_closed(&c));
    assert_int_equal(c.len, 0);
    client_close(&c);
}

/* One byte at a time, forever: cut off at the deadline anyway. */
static void slowloris_client(void)
{
    client c;
    struct pollfd p;
    int i, n, cut = 0;

    assert_int_equal(client_open(&c), 0);
    assert_true(send_str(&c, "GET /hello HTTP/1.1\r\nHost: t\r\nX-Drip: ") == 0);
    for (i = 0; i < 400 && !cut; i++) {
        p.fd = c.fd;
        p.events = POLLIN;
        p.revents = 0;
        /* The pace of the drip; the server's answer or close ends it (an
         * interrupted poll is one drip fewer, not a cut). */
        n = poll(&p, 1, 25);
        if (n > 0 || (n < 0 && errno != EINTR))
            cut = 1;
        else if (n == 0 && send_retrying(c.fd, "a", 1) != 1)
            cut = 1;
        if (i == 3)
            assert_int_equal(get_once("/hello"), 200); /* others are served meanwhile */
    }
    assert_true(cut);
    assert_true(wait_closed(&c));
    client_close(&c);
    assert_int_equal(get_once("/hello"), 200);
}

/* At the bound with every connection busy, a new one is closed at once; an
 * idle keep-alive connection, though, is closed to make room for it. */
static void conn_bound_client(void)
{
    static const char partial[] = "GET /hello HTTP/1.1\r\n";
    client c[3], extra;
    response r;
    char junk[64];
    ssize_t n;
    int i;

    for (i = 0; i < 3; i++) {
        assert_int_equal(client_open(&c[i]), 0);
        assert_true(send_str(&c[i], partial) == 0); /* busy: a request is being read */
    }
    assert_int_equal(wait_shared(&shared.open_conns, 3), 0);
    /* Over the bound: accepted and closed at once, nothing read. */
    assert_int_equal(client_open(&extra), 0);
    (void)send_str(&extra, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
    n = recv_retrying(extra.fd, junk, sizeof junk);
    assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
    client_close(&extra);
    assert_int_equal(wait_shared(&shared.rejected, 1), 0);
    /* c[0] answered is an idle keep-alive connection: the next client
     * takes its slot. */
    assert_true(send_str(&c[0], "Host: t\r\n\r\n") == 0);
    assert_int_equal(read_response(&c[0], &r), 0);
    assert_int_equal(get_once("/hello"), 200);
    assert_true(wait_closed(&c[0]));
    client_close(&c[0]);
    /* The busy ones kept their connections. */
    for (i = 1; i < 3; i++) {
        assert_true(send_str(&c[i], "Host: t\r\n\r\n") == 0);
        assert_int_equal(read_response(&c[i], &r), 0);
        assert_string_equal(r.body, "hello");
        client_close(&c[i]);
    }
}

static void simple_client(void)
{
    assert_int_equal(get_once("/hello"), 200);
    assert_int_equal(get_once("/async"), 200);
}

static void dummy_handler(void *user, ts_http_exchange *ex, const ts_http_request *req)
{
}

static void test_bad_options(void **state)
{
    ts_http_server_options opt = {"127.0.0.1", 0, 4, 1000, BODY_LIMIT, NULL, 0, 0, 0};
    ts_http_server *s = (ts_http_server *)1;

    uv_loop_init(&loop);
    opt.host = "not-an-address";
    assert_int_equal(ts_http_server_start(&s, &loop, &opt, dummy_handler, NULL), TS_EINVAL);
    assert_null(s);
    opt.host = "127.0.0.1";
    opt.body_limit = TS_HTTP_MAX_BODY_BYTES + 1;
    assert_int_equal(ts_http_server_start(&s, &loop, &opt, dummy_handler, NULL), TS_EINVAL);
    opt.body_limit = BODY_LIMIT;
    opt.max_conns = 0;
    assert_int_equal(ts_http_server_start(&s, &loop, &opt, dummy_handler, NULL), TS_EINVAL);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_reason_phrase(void **state)
{
    assert_string_equal(ts_http_reason(413), "Content Too Large");
}

#define SCENARIO(name, host, max_conns, idle_ms, client, optional)                                 \
    {                                                                                              \
        name, run_client, start_server, stop_server,                                               \
            &(scenario){host, max_conns, idle_ms, client, optional, 0, 0},                         \
    }

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_reason_phrase),
        SCENARIO("keep-alive", "127.0.0.1", 16, 10000, keep_alive_client, 0),
        SCENARIO("pipelining", "127.0.0.1", 16, 10000, pipelining_client, 0),
        SCENARIO("big and pipelined", "127.0.0.1", 16, 10000, big_pipelined_client, 0),
        SCENARIO("async answer", "127.0.0.1", 16, 10000, async_client, 0),
        SCENARIO("client leaves first", "127.0.0.1", 16, 10000, client_leaves_client, 0),
        SCENARIO("malformed", "127.0.0.1", 16, 10000, malformed_client, 0),
        SCENARIO("expect 100-continue", "127.0.0.1", 16, 10000, expect_continue_client, 0),
        SCENARIO("truncated then silent", "127.0.0.1", 16, 300, truncated_client, 0),
        SCENARIO("slowloris", "127.0.0.1", 16, 300, slowloris_client, 0),
        SCENARIO("connection bound", "127.0.0.1", 3, 10000, conn_bound_client, 0),
        SCENARIO("ipv6", "::1", 16, 10000, simple_client, 1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
