/*
 * test_tls_client.c - the HTTP client over real mutual TLS, against the
 * central stand-in (tests/standins/central.py) on loopback, with
 * certificates made now by scripts/make-test-certs.sh.
 *
 * Checks: a keep-alive round trip, the FIFO queue, each bad server
 * certificate with its plain-words reason, a refused client certificate, a
 * world-readable key, time-outs, a cut answer, refused connections and
 * reconnecting, Retry-After, Connection: close, bounded answers, and close()
 * cancelling what is queued (run under ASan for the frees).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"
#include "http/http_client.h"

#include <cjson/cJSON.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char certs[1100], workdir[1024], source[1024];

/* ---- the stand-in ---- */

typedef struct central {
    pid_t pid;
    int port, control_port;
    int stdin_fd; /* closing it makes central.py exit even if we crash */
} central;

static central cen;

static void source_dir(char *out, size_t cap)
{
    const char *env = getenv("TS_SOURCE_DIR");
    if (env) {
        snprintf(out, cap, "%s", env);
        return;
    }
    /* __FILE__ is .../tests/unit/test_tls_client.c (absolute under CMake). */
    snprintf(out, cap, "%s", __FILE__);
    char *tests = strstr(out, "tests/unit/");
    if (tests)
        *tests = '\0';
    if (!out[0])
        snprintf(out, cap, ".");
}

/* dir + "/" + name into out (cut short if it must: the test then fails). */
static void join(char *out, size_t cap, const char *dir, const char *name)
{
    size_t d = strlen(dir), n = strlen(name);
    if (d + 1 + n >= cap) {
        out[0] = '\0';
        return;
    }
    memcpy(out, dir, d);
    out[d] = '/';
    memcpy(out + d + 1, name, n + 1);
}

/* Reads one line from fd within timeout_ms. */
static int read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t n = 0;
    while (n + 1 < cap) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) <= 0)
            return -1;
        ssize_t r = read(fd, buf + n, 1);
        if (r <= 0)
            return -1;
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = '\0';
    return 0;
}

static int central_start(central *cn, const char *src, const char *db, int plain)
{
    char script[1200];
    snprintf(script, sizeof(script), "%s/tests/standins/central.py", src);
    int out[2], in[2];
    if (pipe(out) != 0 || pipe(in) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *argv[] = {"python3",
                    script,
                    "--certs",
                    certs,
                    "--db",
                    (char *)db,
                    "--port",
                    "0",
                    "--control-port",
                    "0",
                    "--exit-on-stdin-eof",
                    plain ? "--plain" : NULL, /* last */
                    NULL};
    int rc = posix_spawnp(&cn->pid, "python3", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    cn->stdin_fd = in[1];
    fcntl(in[1], F_SETFD, FD_CLOEXEC);
    char line[256];
    if (rc != 0 || read_line(out[0], line, sizeof(line), 30000) != 0) {
        close(out[0]);
        return -1;
    }
    close(out[0]);
    cJSON *j = cJSON_Parse(line);
    cJSON *port = cJSON_GetObjectItem(j, "port"), *control = cJSON_GetObjectItem(j, "control_port");
    cn->port = cJSON_IsNumber(port) ? port->valueint : 0;
    cn->control_port = cJSON_IsNumber(control) ? control->valueint : 0;
    cJSON_Delete(j);
    return cn->port && cn->control_port ? 0 : -1;
}

static void central_stop(central *cn)
{
    if (cn->pid > 0) {
        kill(cn->pid, SIGTERM);
        waitpid(cn->pid, NULL, 0);
        close(cn->stdin_fd);
        cn->pid = 0;
    }
}

/* One blocking plain-HTTP exchange with the control port; body in *out. */
static int control_http(const char *method, const char *path, const char *body, char **out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)cen.control_port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    ts_buf req;
    ts_buf_init(&req, 1 << 20);
    ts_buf_printf(&req,
                  "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
                  method, path, strlen(body), body);
    ssize_t w = write(fd, req.data, req.len);
    ts_buf_free(&req);
    ts_buf resp;
    ts_buf_init(&resp, 64 << 20);
    char chunk[4096];
    ssize_t r;
    /* EINTR: under SO_RCVTIMEO a closed libuv loop's io_uring teardown
     * interrupts the read (see test_http_server.c); not the end. */
    while ((r = read(fd, chunk, sizeof(chunk))) > 0 || (r < 0 && errno == EINTR))
        if (r > 0)
            ts_buf_append(&resp, chunk, (size_t)r);
    close(fd);
    char *sep = resp.data ? strstr(resp.data, "\r\n\r\n") : NULL;
    int ok = w > 0 && sep && strncmp(resp.data, "HTTP/1.1 200", 12) == 0;
    if (!ok)
        fprintf(stderr, "control %s %s %s: %s\n", method, path, body,
                resp.data ? resp.data : "(nothing)");
    if (out)
        *out = sep ? strdup(sep + 4) : NULL;
    ts_buf_free(&resp);
    return ok ? 0 : -1;
}

static int control(const char *json)
{
    return control_http("POST", "/control", json, NULL);
}

/* A number from central's /state: counts.<name> or stores.S042.<name>. */
static long state_number(const char *section, const char *name)
{
    char *body = NULL;
    long v = -1;
    if (control_http("GET", "/state", "", &body) == 0) {
        cJSON *j = cJSON_Parse(body);
        cJSON *sec = cJSON_GetObjectItem(j, section);
        if (strcmp(section, "stores") == 0)
            sec = cJSON_GetObjectItem(sec, "S042");
        cJSON *item = cJSON_GetObjectItem(sec, name);
        v = cJSON_IsNumber(item) ? (long)item->valuedouble : 0;
        cJSON_Delete(j);
    }
    free(body);
    return v;
}

/* ---- the client side ---- */

typedef struct result {
    int done;
    int order; /* when it completed, among results */
    int status, err;
    char reason[256];
    char body[4096];
    int64_t retry_after_s;
    char etag[128];
} result;

static int completions;

static void on_response(void *arg, const ts_http_response *r)
{
    result *res = arg;
    res->done = 1;
    res->order = ++completions;
    res->status = r->status;
    res->err = r->err;
    res->retry_after_s = r->retry_after_s;
    snprintf(res->reason, sizeof(res->reason), "%s", r->reason);
    snprintf(res->etag, sizeof(res->etag), "%s", r->etag);
    size_t n = r->body_len < sizeof(res->body) - 1 ? r->body_len : sizeof(res->body) - 1;
    memcpy(res->body, r->body, n);
    res->body[n] = '\0';
}

static void run_until(uv_loop_t *loop, const int *done)
{
    uint64_t deadline = ts_mono_ms() + 60000;
    while (!*done && ts_mono_ms() < deadline)
        if (uv_run(loop, UV_RUN_ONCE) == 0 && !*done)
            break;
    assert_true(*done);
}

static ts_http_client_options options(char *url, const char *cert, const char *key)
{
    static char ca[1100], certp[1100], keyp[1100];
    snprintf(url, 64, "https://127.0.0.1:%d", cen.port);
    join(ca, sizeof(ca), certs, "ca.pem");
    join(certp, sizeof(certp), certs, cert);
    join(keyp, sizeof(keyp), certs, key);
    ts_http_client_options o = {0};
    o.url = url;
    o.ca_file = ca;
    o.cert_file = certp;
    o.key_file = keyp;
    o.connect_timeout_ms = 5000;
    o.handshake_timeout_ms = 5000;
    o.response_timeout_ms = 10000;
    return o;
}

static ts_http_client *new_client(uv_loop_t *loop, ts_http_client_options *o)
{
    ts_http_client *c = NULL;
    char err[512];
    int rc = ts_http_client_new(&c, loop, o, err, sizeof(err));
    if (rc != 0)
        fail_msg("ts_http_client_new: %s", err);
    return c;
}

/* Closes the client and runs the loop until every handle is gone. */
static void close_client(uv_loop_t *loop, ts_http_client *c)
{
    ts_http_client_close(c);
    uv_run(loop, UV_RUN_DEFAULT);
}

static char batch_buf[4096];

/* A batch of txns first..last with a txn body whose bytes must survive. */
static const char *batch(int first, int last)
{
    ts_buf b;
    ts_buf_init(&b, sizeof(batch_buf) - 1);
    ts_buf_puts(&b, "{\"store_id\":\"S042\",\"agent_version\":\"0.4.0\",\"transactions\":[");
    for (int s = first; s <= last; s++)
        ts_buf_printf(&b,
                      "%s{\"seq\":%d,\"received_at\":\"2026-11-22T09:14:03.120Z\",\"txn\":"
                      "{\"txn_id\":\"R1-%d\", \"total\":1299,\"big\":12345678901234567890}}",
                      s > first ? "," : "", s, s);
    ts_buf_puts(&b, "]}");
    snprintf(batch_buf, sizeof(batch_buf), "%s", b.data);
    ts_buf_free(&b);
    return batch_buf;
}

#define TXN_PATH "/v1/stores/S042/transactions"

static void post_batch(ts_http_client *c, int first, int last, result *r)
{
    const char *body = batch(first, last);
    memset(r, 0, sizeof(*r));
    assert_int_equal(ts_http_client_request(c, "POST", TXN_PATH, "", "application/json", body,
                                            strlen(body), on_response, r),
                     0);
}

static void get_config(ts_http_client *c, const char *headers, result *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(ts_http_client_request(c, "GET", "/v1/stores/S042/config", headers, NULL, NULL,
                                            0, on_response, r),
                     0);
}

/* ---- the tests ---- */

static void test_round_trip_keep_alive(void **state)
{
    uv_loop_t *loop = *state;
    char url[64];
    ts_http_client_options o = options(url, "store.pem", "store.key");
    ts_http_client *c = new_client(loop, &o);
    long connects = state_number("counts", "connect");

    /* Two requests queued at once run in order on one connection. */
    result a, b;
    post_batch(c, 1, 2, &a);
    char body_b[256];
    snprintf(body_b, sizeof(body_b), "%s", batch(3, 3));
    memset(&b, 0, sizeof(b));
    ts_http_client_request(c, "POST", TXN_PATH, "", "application/json", body_b, strlen(body_b),
                           on_response, &b);
    run_until(loop, &b.done);
    assert_true(a.done);
    assert_true(a.order < b.order);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "{\"acked_through\": 2}");
    assert_int_equal(b.status, 200);
    assert_string_equal(b.body, "{\"acked_through\": 3}");

    /* A resend is a duplicate to central, acked all the same. */
    post_batch(c, 2, 3, &a);
    run_until(loop, &a.done);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "{\"acked_through\": 3}");

    /* Config poll: 200 with ETag, then 304 for that ETag. */
    get_config(c, "", &a);
    run_until(loop, &a.done);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.etag, "\"0\"");
    get_config(c, "If-None-Match: \"0\"\r\n", &a);
    run_until(loop, &a.done);
    assert_int_equal(a.status, 304);

    assert_int_equal(state_number("counts", "connect"), connects + 1); /* keep-alive */
    assert_int_equal(state_number("stores", "duplicates"), 2);
    assert_int_equal(state_number("stores", "acked_through"), 3);
    assert_true(ts_http_client_cert_not_after_ms(c) > ts_wall_ms() + 824LL * 86400000);
    assert_true(ts_http_client_cert_not_after_ms(c) < ts_wall_ms() + 826LL * 86400000);
    close_client(loop, c);
}

/* Each bad server certificate: nothing reaches central, the reason says why. */
static void test_bad_server_certificates(void **state)
{
    uv_loop_t *loop = *state;
    static const struct {
        const char *cert, *reason;
    } cases[] = {
        {"server-other-ca", "central's certificate is not signed by a CA in central.ca_file"},
        {"server-wrong-host",
         "central's certificate is for another host name (expected 127.0.0.1)"},
        {"server-expired", "central's certificate has expired"},
    };
    long stored = state_number("stores", "stored");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char cmd[128], url[64];
        snprintf(cmd, sizeof(cmd), "{\"cmd\":\"use_server_cert\",\"name\":\"%s\"}", cases[i].cert);
        assert_int_equal(control(cmd), 0);
        ts_http_client_options o = options(url, "store.pem", "store.key");
        ts_http_client *c = new_client(loop, &o);
        result r;
        post_batch(c, 4, 4, &r);
        run_until(loop, &r.done);
        assert_int_equal(r.status, 0);
        assert_int_equal(r.err, TS_ETLS);
        assert_string_equal(r.reason, cases[i].reason);
        close_client(loop, c);
    }
    assert_int_equal(control("{\"cmd\":\"use_server_cert\",\"name\":\"server\"}"), 0);
    assert_int_equal(state_number("stores", "stored"), stored);
}

static void test_client_certificate_refused(void **state)
{
    uv_loop_t *loop = *state;
    char url[64];
    /* A certificate central's CA did not sign. */
    ts_http_client_options o = options(url, "server-other-ca.pem", "server-other-ca.key");
    ts_http_client *c = new_client(loop, &o);
    result r;
    post_batch(c, 4, 4, &r);
    run_until(loop, &r.done);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.err, TS_ETLS);
    if (!strstr(r.reason, "central refused our client certificate"))
        fail_msg("reason: %s", r.reason);
    close_client(loop, c);
}

static void test_world_readable_key(void **state)
{
    uv_loop_t *loop = *state;
    char url[64], err[512], path[1100];
    ts_http_client_options o = options(url, "store.pem", "store-world-readable.key");
    ts_http_client *c = NULL;
    assert_true(ts_http_client_new(&c, loop, &o, err, sizeof(err)) != 0);
    assert_null(c);
    join(path, sizeof(path), certs, "store-world-readable.key");
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "chmod 600"));
    assert_non_null(strstr(err, "central.key_file"));
}

static void test_bad_options(void **state)
{
    uv_loop_t *loop = *state;
    char url[64], err[512];
    ts_http_client *c = NULL;
    ts_http_client_options o = options(url, "store.pem", "store.key");
    o.url = "http://127.0.0.1:1"; /* plain without insecure_plain */
    assert_int_equal(ts_http_client_new(&c, loop, &o, err, sizeof(err)), TS_EINVAL);
    assert_non_null(strstr(err, "https://"));
    o.url = "https://127.0.0.1:99999";
    assert_int_equal(ts_http_client_new(&c, loop, &o, err, sizeof(err)), TS_EINVAL);
    o = options(url, "store.pem", "other-ca.key"); /* key of another certificate */
    assert_true(ts_http_client_new(&c, loop, &o, err, sizeof(err)) != 0);
    assert_non_null(strstr(err, "is not the key of"));
    /* header injection is refused */
    o = options(url, "store.pem", "store.key");
    c = new_client(loop, &o);
    result r;
    assert_int_equal(
        ts_http_client_request(c, "GET", "/x\r\nEvil: 1", "", NULL, NULL, 0, on_response, &r),
        TS_EINVAL);
    assert_int_equal(
        ts_http_client_request(c, "GET", "/x", "Evil: 1", NULL, NULL, 0, on_response, &r),
        TS_EINVAL);
    close_client(loop, c);
}

static void test_answer_timeout_then_recovers(void **state)
{
    uv_loop_t *loop = *state;
    char url[64];
    ts_http_client_options o = options(url, "store.pem", "store.key");
    o.response_timeout_ms = 300;
    ts_http_client *c = new_client(loop, &o);
    assert_int_equal(control("{\"cmd\":\"hang_next\",\"n\":1,\"seconds\":30}"), 0);
    result r;
    post_batch(c, 1, 1, &r); /* a duplicate, whenever central gets to it */
    run_until(loop, &r.done);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.err, TS_ETIMEDOUT);
    assert_non_null(strstr(r.reason, "did not answer within 300 ms"));
    /* reset() ends the request in flight (canceled) and the connection */
    assert_int_equal(control("{\"cmd\":\"hang_next\",\"n\":1,\"seconds\":30}"), 0);
    long requests = state_number("counts", "request");
    post_batch(c, 1, 1, &r);
    uint64_t deadline = ts_mono_ms() + 30000; /* until central holds it */
    while (state_number("counts", "request") == requests && ts_mono_ms() < deadline)
        uv_run(loop, UV_RUN_NOWAIT);
    ts_http_client_reset(c);
    assert_true(r.done);
    assert_int_equal(r.err, TS_ECANCELED);
    assert_int_equal(control("{\"cmd\":\"clear_faults\"}"), 0);
    post_batch(c, 4, 4, &r); /* a new connection */
    run_until(loop, &r.done);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"acked_through\": 4}");
    close_client(loop, c);
}

static void test_cut_before_answer(void **state)
{
    uv_loop_t *loop = *state;
    char url[64];
    ts_http_client_options o = options(url, "store.pem", "store.key");
    ts_http_client *c = new_client(loop, &o);
    long before = state_number("stores", "batches");
    assert_int_equal(control("{\"cmd\":\"cut_next\",\"n\":1,\"store\":true}"), 0);
    result r;
    post_batch(c, 5, 6, &r);
    run_until(loop, &r.done);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.err, TS_ECONN);
    assert_non_null(strstr(r.reason, "central closed the connection before answering"));
    /* Not resent by the client: central saw the batch once. */
    long batches = state_number("stores", "batches");
    assert_int_equal(batches, before + 1);
    post_batch(c, 5, 6, &r); /* the caller resends; central already has it */
    run_until(loop, &r.done);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"acked_through\": 6}");
    assert_int_equal(state_number("stores", "batches"), batches + 1);

    /* Half an answer, then the close: a transport failure too. */
    assert_int_equal(control("{\"cmd\":\"cut_mid_answer\",\"n\":1}"), 0);
    post_batch(c, 7, 7, &r);
    run_until(loop, &r.done);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.err, TS_ECONN);
    assert_non_null(strstr(r.reason, "in the middle of its answer"));
    close_client(loop, c);
}

static void test_refused_then_back(void **state)
{
    uv_loop_t *loop = *state;
    char url[64];
    ts_http_client_options o = options(url, "store.pem", "store.key");
    ts_http_client *c = new_client(loop, &o);
    result r;
    post_batch(c, 7, 7, &r);
    run_until(loop, &r.done);
    assert_int_equal(r.status, 200);
    assert_int_equal(control("{\"cmd\":\"go_down\"}"), 0);
    /* The idle keep-alive connection is gone too: the next request fails
     * (cut or refused), never hangs. */
    post_batch(c, 8, 8, &r);
    run_until(loop, &r.done);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.err, TS_ECONN);
    if (!strstr(r.reason, "connection refused")) { /* it was the old connection's end */
        post_batch(c, 8, 8, &r);
        run_until(loop, &r.done);
        assert_int_equal(r.err, TS_ECONN);
    }
    assert_non_null(strstr(r.reason, "connection refused by central at 127.0.0.1:"));
    assert_int_equal(control("{\"cmd\":\"come_up\"}"), 0);
    post_batch(c, 8, 8, &r);
    run_until(loop, &r.done);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"acked_through\": 8}");
    close_client(loop, c);
}

static void test_retry_after_and_close(void **state)
{
    uv_loop_t *loop = *state;
    char url[64];
    ts_http_client_options o = options(url, "store.pem", "store.key");
    ts_http_client *c = new_client(loop, &o);
    assert_int_equal(control("{\"cmd\":\"rate_limit\",\"n\":1,\"retry_after\":7}"), 0);
    result r;
    post_batch(c, 9, 9, &r);
    run_until(loop, &r.done);
    assert_int_equal(r.status, 429);
    assert_int_equal(r.retry_after_s, 7);
    /* Connection: close is honoured: the next request opens a new one. */
    long connects = state_number("counts", "connect");
    assert_int_equal(control("{\"cmd\":\"close_after_answer\",\"n\":1}"), 0);
    post_batch(c, 9, 9, &r);
    run_until(loop, &r.done);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.retry_after_s, -1);
    post_batch(c, 10, 10, &r);
    run_until(loop, &r.done);
    assert_int_equal(r.status, 200);
    assert_int_equal(state_number("counts", "connect"), connects + 1);
    close_client(loop, c);
}

static void test_answer_too_big(void **state)
{
    uv_loop_t *loop = *state;
    char url[64];
    ts_http_client_options o = options(url, "store.pem", "store.key");
    o.max_response_bytes = 64;
    ts_http_client *c = new_client(loop, &o);
    assert_int_equal(control("{\"cmd\":\"set_config\",\"doc\":{\"version\":\"big\",\"settings\":"
                             "{\"log_level\":\"debug\",\"central.batch_max\":200,"
                             "\"odoo.delta_s\":60}}}"),
                     0);
    result r;
    get_config(c, "", &r);
    run_until(loop, &r.done);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.err, TS_ETOOBIG);
    assert_non_null(strstr(r.reason, "larger than 64 bytes"));
    close_client(loop, c);
}

static void test_close_cancels_queue(void **state)
{
    uv_loop_t *loop = *state;
    char url[64];
    ts_http_client_options o = options(url, "store.pem", "store.key");
    ts_http_client *c = new_client(loop, &o);
    result r[3];
    for (int i = 0; i < 3; i++)
        post_batch(c, 1, 1, &r[i]);
    uv_run(loop, UV_RUN_NOWAIT); /* let the connection start */
    ts_http_client_close(c);
    for (int i = 0; i < 3; i++) {
        assert_true(r[i].done);
        assert_int_equal(r[i].status, 0);
        assert_int_equal(r[i].err, TS_ECANCELED);
    }
    assert_true(r[0].order < r[1].order);
    assert_true(r[1].order < r[2].order);
    assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0); /* every handle closes */
}

/* A peer that accepts TCP but never speaks TLS: the handshake times out. */
static void test_handshake_timeout(void **state)
{
    uv_loop_t *loop = *state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof(a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0); /* the kernel accepts; nobody reads */
    getsockname(fd, (struct sockaddr *)&a, &alen);
    char url[64];
    ts_http_client_options o = options(url, "store.pem", "store.key");
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", ntohs(a.sin_port));
    o.handshake_timeout_ms = 200;
    ts_http_client *c = new_client(loop, &o);
    result r;
    post_batch(c, 1, 1, &r);
    run_until(loop, &r.done);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.err, TS_ETIMEDOUT);
    assert_non_null(strstr(r.reason, "timed out in the TLS handshake with central"));
    close_client(loop, c);
    close(fd);
}

/* A DNS name goes through the resolver; the certificate names 127.0.0.1
 * only, so the name check must refuse it. */
static void test_host_name_resolved(void **state)
{
    uv_loop_t *loop = *state;
    char url[64];
    ts_http_client_options o = options(url, "store.pem", "store.key");
    snprintf(url, sizeof(url), "https://localhost:%d/", cen.port);
    ts_http_client *c = new_client(loop, &o);
    result r;
    post_batch(c, 1, 1, &r);
    run_until(loop, &r.done);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.err, TS_ETLS);
    assert_string_equal(r.reason,
                        "central's certificate is for another host name (expected localhost)");
    close_client(loop, c);
}

/* insecure_plain: plain TCP to an http:// URL, with a path prefix. */
static void test_insecure_plain(void **state)
{
    uv_loop_t *loop = *state;
    central plain = {0};
    char db[1100], url[64];
    join(db, sizeof(db), workdir, "plain.db");
    assert_int_equal(central_start(&plain, source, db, 1), 0);
    ts_http_client_options o = options(url, "store.pem", "store.key");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/prefix", plain.port);
    o.insecure_plain = 1;
    ts_http_client *c = new_client(loop, &o);
    assert_int_equal(ts_http_client_cert_not_after_ms(c), 0);
    result r;
    post_batch(c, 1, 2, &r);
    run_until(loop, &r.done);
    if (r.status != 200)
        fail_msg("plain: status %d, %s", r.status, r.reason);
    assert_string_equal(r.body, "{\"acked_through\": 2}");
    close_client(loop, c);
    central_stop(&plain);
}

/* One central stand-in and one loop for the group; the cases run in order
 * against it (its store's acked_through grows from case to case). */
static int start_central(void **state)
{
    static uv_loop_t loop;
    char cmd[3000], db[1100];
    signal(SIGPIPE, SIG_IGN);
    source_dir(source, sizeof(source));
    const char *tmp = getenv("TS_TEST_TMP") ? getenv("TS_TEST_TMP") : "/tmp";
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", tmp);
    if (system(cmd) != 0)
        return -1;
    snprintf(workdir, sizeof(workdir), "%s/tls-client-XXXXXX", tmp);
    if (mkdtemp(workdir) == NULL)
        return -1;
    join(certs, sizeof(certs), workdir, "certs");
    join(db, sizeof(db), workdir, "central.db");
    snprintf(cmd, sizeof(cmd), "'%s/scripts/make-test-certs.sh' '%s'", source, certs);
    if (system(cmd) != 0)
        return -1;
    if (central_start(&cen, source, db, 0) != 0) {
        print_error("cannot start the central stand-in\n");
        central_stop(&cen);
        return -1;
    }
    uv_loop_init(&loop);
    *state = &loop;
    return 0;
}

static int stop_central(void **state)
{
    char cmd[1100];
    int rc = uv_loop_close(*state);
    central_stop(&cen);
    if (!getenv("TS_TEST_KEEP")) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", workdir);
        (void)!system(cmd);
    }
    return rc == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_keep_alive),
        cmocka_unit_test(test_bad_server_certificates),
        cmocka_unit_test(test_client_certificate_refused),
        cmocka_unit_test(test_world_readable_key),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_answer_timeout_then_recovers),
        cmocka_unit_test(test_cut_before_answer),
        cmocka_unit_test(test_refused_then_back),
        cmocka_unit_test(test_retry_after_and_close),
        cmocka_unit_test(test_answer_too_big),
        cmocka_unit_test(test_close_cancels_queue),
        cmocka_unit_test(test_handshake_timeout),
        cmocka_unit_test(test_host_name_resolved),
        cmocka_unit_test(test_insecure_plain),
    };
    return cmocka_run_group_tests(tests, start_central, stop_central);
}
