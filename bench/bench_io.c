/*
 * bench_io.c - bytes written to disk and fdatasyncs per sale, before/after.
 *
 * Usage: bench_io LABEL=PATH/TO/tillsync [LABEL=PATH ...] [sales-per-run]
 * For each binary, starts the agent on a fresh data dir (central
 * unreachable) and, for 1, 8, 16 and 64 keep-alive clients, posts a fixed
 * number of sales, reading the agent's /proc/<pid>/io write_bytes and its
 * tillsync_storage_fsyncs_total / _commits_total counters (/metrics) before
 * and after. Prints one table beside the disk's raw fdatasync rate.
 * Asserts nothing: figures only.
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
static volatile int next_id;
static const char *extra_cfg = "";

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

typedef struct job {
    pthread_t th;
    long todo;
    int failed;
} job;

static void *job_main(void *arg)
{
    job *w = arg;
    int fd = connect_agent();
    if (fd < 0) {
        w->failed = 1;
        return NULL;
    }
    for (long i = 0; i < w->todo; i++)
        if (post_one(fd) != 201) {
            w->failed = 1;
            break;
        }
    close(fd);
    return NULL;
}

/* Posts total sales spread over clients; returns the elapsed seconds. */
static double post_sales(int clients, long total)
{
    job *ws = calloc((size_t)clients, sizeof(*ws));
    double t0 = now_s();
    for (int i = 0; i < clients; i++) {
        ws[i].todo = total / clients + (i < total % clients);
        pthread_create(&ws[i].th, NULL, job_main, &ws[i]);
    }
    int failed = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(ws[i].th, NULL);
        failed |= ws[i].failed;
    }
    free(ws);
    if (failed)
        fprintf(stderr, "warning: some requests failed with %d clients\n", clients);
    return now_s() - t0;
}

static unsigned long long proc_write_bytes(pid_t pid)
{
    char path[64], line[256];
    unsigned long long v = 0;
    snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "write_bytes: %llu", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

/* A counter from /metrics (0 when absent: an older build). */
static double metric(const char *name)
{
    int fd = connect_agent();
    if (fd < 0)
        return 0;
    char req[256];
    int n =
        snprintf(req, sizeof(req), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return 0;
    }
    size_t cap = 1 << 20, got = 0;
    char *buf = malloc(cap);
    ssize_t r;
    while (got < cap - 1 && (r = read(fd, buf + got, cap - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fd);
    double v = 0;
    size_t nl = strlen(name);
    for (char *p = buf; (p = strstr(p, name)) != NULL; p += nl)
        if ((p == buf || p[-1] == '\n') && p[nl] == ' ') {
            v = atof(p + nl + 1);
            break;
        }
    free(buf);
    return v;
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
            "\"retry_initial_ms\":60000,\"retry_max_ms\":60000},\"log_level\":\"info\"%s}",
            data, hex, extra_cfg);
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

typedef struct row {
    double per_s, bytes_per_sale, syncs_per_sale, sales_per_commit;
} row;

/* Bytes over the whole run, the stop's checkpoint included, per sale. */
static double whole_run[8];
static int cur_bin;

static const int CLIENTS[] = {1, 8, 16, 64};
#define N_CLIENTS 4

static int run_binary(const char *bin, long sales, row *rows)
{
    char dir[] = "/tmp/tillsync-benchio-XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    port = 0;
    pid_t pid = start_agent(bin, dir);
    if (!port) {
        fprintf(stderr, "the agent did not start; see %s/agent.log\n", dir);
        return -1;
    }
    post_sales(1, 50); /* warm up: first pages of every tree */
    unsigned long long w_start = proc_write_bytes(pid);
    for (int i = 0; i < N_CLIENTS; i++) {
        double s0 = metric("tillsync_storage_fsyncs_total");
        double c0 = metric("tillsync_storage_commits_total") +
                    metric("tillsync_storage_journal_groups_total");
        unsigned long long w0 = proc_write_bytes(pid);
        double secs = post_sales(CLIENTS[i], sales);
        unsigned long long w1 = proc_write_bytes(pid);
        double s1 = metric("tillsync_storage_fsyncs_total");
        double c1 = metric("tillsync_storage_commits_total") +
                    metric("tillsync_storage_journal_groups_total");
        rows[i].per_s = sales / secs;
        rows[i].bytes_per_sale = (double)(w1 - w0) / sales;
        rows[i].syncs_per_sale = s1 > 0 ? (s1 - s0) / sales : -1; /* -1: no counter */
        rows[i].sales_per_commit = c1 > c0 ? sales / (c1 - c0) : 0;
    }
    kill(pid, SIGTERM);
    /* A zombie still shows its counters: read them before reaping. */
    siginfo_t si;
    waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT);
    whole_run[cur_bin] = (double)(proc_write_bytes(pid) - w_start) / (sales * N_CLIENTS);
    waitpid(pid, NULL, 0);
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *labels[8], *bins[8];
    const char *cfgs[8];
    int nb = 0;
    long sales = 2000;
    for (int i = 1; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq && nb < 8) {
            *eq = '\0';
            labels[nb] = argv[i];
            bins[nb] = eq + 1;
            /* LABEL=PATH,EXTRA: EXTRA is appended to the config's JSON object */
            char *comma = strchr(eq + 1, ',');
            cfgs[nb] = "";
            if (comma) {
                *comma = '\0';
                cfgs[nb] = comma + 1;
            }
            nb++;
        } else {
            sales = atol(argv[i]);
        }
    }
    if (nb == 0 || sales <= 0) {
        fprintf(stderr, "usage: %s LABEL=PATH/TO/tillsync[,\"extra\":{json}] ... [sales]\n",
                argv[0]);
        return 2;
    }
    char dir[] = "/tmp/tillsync-benchio-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    double sync_rate = fdatasync_rate(dir);
    rmdir(dir);
    row rows[8][N_CLIENTS];
    for (int b = 0; b < nb; b++) {
        extra_cfg = cfgs[b];
        cur_bin = b;
        if (run_binary(bins[b], sales, rows[b]) != 0)
            return 1;
    }
    printf("raw fdatasync rate (4 KiB writes): %.0f/s; %ld sales per cell\n", sync_rate, sales);
    printf("%-8s %7s %10s %8s %12s %11s %11s\n", "build", "clients", "sales/s", "x fsync",
           "bytes/sale", "fsyncs/sale", "sales/group");
    printf("(fsyncs/sale -1: the build has no counter; an LMDB commit is 2 flushes)\n");
    for (int b = 0; b < nb; b++)
        for (int i = 0; i < N_CLIENTS; i++)
            printf("%-8s %7d %10.0f %8.2f %12.0f %11.3f %11.1f\n", labels[b], CLIENTS[i],
                   rows[b][i].per_s, sync_rate > 0 ? rows[b][i].per_s / sync_rate : 0,
                   rows[b][i].bytes_per_sale, rows[b][i].syncs_per_sale,
                   rows[b][i].sales_per_commit);
    for (int b = 0; b < nb; b++)
        printf("%s: bytes written per sale over the whole run, the stop's checkpoint "
               "included: %.0f\n",
               labels[b], whole_run[b]);
    return 0;
}
