/*
 * bench_intake.c - durable txns per second through the real agent.
 *
 * Usage: bench_intake PATH/TO/tillsync [seconds-per-run]
 * Starts the agent on a fresh data dir (central unreachable, so nothing is
 * forwarded), then measures with plain sockets on loopback:
 *   - the disk's raw fdatasync rate (4 KiB writes), for scale;
 *   - durable txns/s with 1, 8 and 64 concurrent keep-alive clients;
 *   - p50/p99 time to 201 at a steady 200 txns/s.
 * Prints figures; asserts nothing (timing goals belong here, not in tests).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"

static const char *TOKEN = "bench-token";
static int port;
static double run_seconds = 3.0;
static volatile int next_id;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double fdatasync_rate(const char *dir)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/fsync-probe", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0)
        return 0;
    char block[4096];
    memset(block, 'x', sizeof(block));
    int n = 0;
    double t0 = now_s();
    while (now_s() - t0 < 1.0) {
        if (pwrite(fd, block, sizeof(block), (off_t)(n % 64) * 4096) < 0 || fdatasync(fd) < 0)
            break;
        n++;
    }
    double rate = n / (now_s() - t0);
    close(fd);
    unlink(path);
    return rate;
}

static int connect_agent(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One POST and its answer on a keep-alive connection; returns the status. */
static int post_one(int fd)
{
    int id = __sync_fetch_and_add(&next_id, 1);
    char body[512], req[1024], resp[2048];
    int blen = snprintf(body, sizeof(body),
                        "{\"txn_id\":\"B-%d\",\"type\":\"sale\",\"register_id\":\"R1\","
                        "\"occurred_at\":\"2026-11-22T10:15:00+01:00\",\"currency\":\"EUR\","
                        "\"lines\":[{\"sku\":\"SKU-1\",\"qty\":1,\"unit_price\":1299,"
                        "\"amount\":1299}],\"payments\":[{\"method\":\"cash\",\"amount\":1299}],"
                        "\"total\":1299}",
                        id);
    int rlen = snprintf(req, sizeof(req),
                        "POST /v1/transactions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                        "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                        TOKEN, blen, body);
    if (write(fd, req, (size_t)rlen) != rlen)
        return -1;
    size_t got = 0;
    for (;;) { /* read until the body (Content-Length) is complete */
        ssize_t n = read(fd, resp + got, sizeof(resp) - 1 - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
        resp[got] = '\0';
        char *hdr_end = strstr(resp, "\r\n\r\n");
        char *cl = strcasestr(resp, "Content-Length:");
        if (hdr_end && cl && got >= (size_t)(hdr_end + 4 - resp) + (size_t)atoi(cl + 15))
            break;
    }
    return atoi(resp + 9);
}

typedef struct worker {
    pthread_t th;
    long done;
    int failed;
} worker;

static double stop_at;

static void *worker_main(void *arg)
{
    worker *w = arg;
    int fd = connect_agent();
    if (fd < 0) {
        w->failed = 1;
        return NULL;
    }
    while (now_s() < stop_at) {
        if (post_one(fd) != 201) {
            w->failed = 1;
            break;
        }
        w->done++;
    }
    close(fd);
    return NULL;
}

static double throughput(int clients)
{
    worker *ws = calloc((size_t)clients, sizeof(*ws));
    double t0 = now_s();
    stop_at = t0 + run_seconds;
    for (int i = 0; i < clients; i++)
        pthread_create(&ws[i].th, NULL, worker_main, &ws[i]);
    long total = 0;
    int failed = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(ws[i].th, NULL);
        total += ws[i].done;
        failed |= ws[i].failed;
    }
    free(ws);
    if (failed)
        fprintf(stderr, "warning: some requests failed with %d clients\n", clients);
    return total / (now_s() - t0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void steady_latency(int rate, double seconds, double *p50, double *p99)
{
    int n = (int)(rate * seconds);
    double *lat = calloc((size_t)n, sizeof(double));
    int fd = connect_agent();
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        double due = t0 + (double)i / rate;
        /* Sleep to the due time rather than spin: on a 2-core box a spinning
         * client would take a core from the agent. The latency is measured
         * from the send, so the sleep's wake-up jitter is not counted. */
        struct timespec ts = {(time_t)due, (long)((due - (double)(time_t)due) * 1e9)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        double s = now_s();
        post_one(fd);
        lat[i] = (now_s() - s) * 1000.0;
    }
    close(fd);
    qsort(lat, (size_t)n, sizeof(double), cmp_double);
    *p50 = lat[n / 2];
    *p99 = lat[(int)(n * 0.99)];
    free(lat);
}

static pid_t start_agent(const char *bin, const char *dir)
{
    char cfg_path[600], data[600], logp[600];
    uint8_t h[32];
    char hex[65];
    ts_sha256(TOKEN, strlen(TOKEN), h);
    ts_hex32(h, hex);
    snprintf(cfg_path, sizeof(cfg_path), "%s/bench.json", dir);
    snprintf(data, sizeof(data), "%s/data", dir);
    snprintf(logp, sizeof(logp), "%s/agent.log", dir);
    FILE *f = fopen(cfg_path, "w");
    fprintf(f,
            "{\"store_id\":\"BENCH\",\"data_dir\":\"%s\",\"listen\":\"127.0.0.1:0\","
            "\"registers\":[{\"id\":\"R1\",\"token_sha256\":\"%s\"}],"
            "\"central\":{\"url\":\"http://127.0.0.1:9\",\"insecure_plain\":true,"
            "\"retry_initial_ms\":60000,\"retry_max_ms\":60000},\"log_level\":\"info\"}",
            data, hex);
    fclose(f);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(logp, O_CREAT | O_WRONLY | O_TRUNC, 0600);
        dup2(fd, 2);
        execl(bin, bin, "--config", cfg_path, (char *)NULL);
        _exit(127);
    }
    /* wait for the ready line, which names the port */
    for (int tries = 0; tries < 2000 && !port; tries++) {
        FILE *lf = fopen(logp, "r");
        char line[1024];
        while (lf && fgets(line, sizeof(line), lf)) {
            char *p = strstr(line, "event=agent.ready");
            char *q = p ? strstr(p, " port=") : NULL;
            if (q)
                port = atoi(q + 6);
        }
        if (lf)
            fclose(lf);
        if (!port)
            usleep(5000);
    }
    return pid;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH/TO/tillsync [seconds]\n", argv[0]);
        return 2;
    }
    if (argc > 2)
        run_seconds = atof(argv[2]);
    char dir[] = "/tmp/tillsync-bench-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    double sync_rate = fdatasync_rate(dir);
    pid_t pid = start_agent(argv[1], dir);
    if (!port) {
        fprintf(stderr, "the agent did not start; see %s/agent.log\n", dir);
        return 1;
    }
    printf("raw fdatasync rate (4 KiB): %.0f/s\n", sync_rate);
    const int clients[] = {1, 8, 64};
    for (int i = 0; i < 3; i++) {
        double r = throughput(clients[i]);
        printf("durable txns/s, %2d clients: %8.0f  (%.1fx the fdatasync rate)\n", clients[i], r,
               sync_rate > 0 ? r / sync_rate : 0);
    }
    double p50, p99;
    steady_latency(200, run_seconds, &p50, &p99);
    printf("time to 201 at a steady 200 txns/s: p50 %.2f ms, p99 %.2f ms\n", p50, p99);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
