/*
 * bench_io.c - bytes written to disk and fdatasyncs per sale, before/after.
 *
 * Usage: bench_io LABEL=PATH/TO/tillsync [LABEL=PATH ...] [clients=1,8] [sales-per-run]
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

#include "agent_client.h"
#include "crypto/crypto.h"

static const char *extra_cfg = "";

/* One POST and its answer on a keep-alive connection; returns the status. */

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
    int fd = bench_connect();
    if (fd < 0) {
        w->failed = 1;
        return NULL;
    }
    for (long i = 0; i < w->todo; i++)
        if (bench_post_one(fd) != 201) {
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
    double t0 = bench_now_s();
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
    return bench_now_s() - t0;
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
    int fd = bench_connect();
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

typedef struct row {
    double per_s, bytes_per_sale, syncs_per_sale, sales_per_commit;
} row;

/* Bytes over the whole run, the stop's checkpoint included, per sale. */
static double whole_run[8];
static int cur_bin;

#define MAX_CELLS 8
/* clients=1,8: only those cells (for profiling one of them) */
static int CLIENTS[MAX_CELLS] = {1, 8, 16, 64};
static int N_CLIENTS = 4;

static int run_binary(const char *bin, long sales, row *rows)
{
    char dir[] = "/tmp/tillsync-benchio-XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    bench_port = 0;
    pid_t pid = bench_start_agent(bin, dir, extra_cfg);
    if (!bench_port) {
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
        if (strncmp(argv[i], "clients=", 8) == 0) {
            N_CLIENTS = 0;
            for (char *p = argv[i] + 8; *p && N_CLIENTS < MAX_CELLS; p += strspn(p, ","))
                CLIENTS[N_CLIENTS++] = (int)strtol(p, &p, 10);
        } else if (eq && nb < 8) {
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
    double sync_rate = bench_fdatasync_rate(dir);
    rmdir(dir);
    row rows[8][MAX_CELLS];
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
