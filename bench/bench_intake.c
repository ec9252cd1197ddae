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

#include "agent_client.h"
#include "crypto/crypto.h"

static double run_seconds = 3.0;

/* One POST and its answer on a keep-alive connection; returns the status. */

typedef struct worker {
    pthread_t th;
    long done;
    int failed;
} worker;

static double stop_at;

static void *worker_main(void *arg)
{
    worker *w = arg;
    int fd = bench_connect();
    if (fd < 0) {
        w->failed = 1;
        return NULL;
    }
    while (bench_now_s() < stop_at) {
        if (bench_post_one(fd) != 201) {
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
    double t0 = bench_now_s();
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
    return total / (bench_now_s() - t0);
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
    int fd = bench_connect();
    double t0 = bench_now_s();
    for (int i = 0; i < n; i++) {
        double due = t0 + (double)i / rate;
        /* Sleep to the due time rather than spin: on a 2-core box a spinning
         * client would take a core from the agent. The latency is measured
         * from the send, so the sleep's wake-up jitter is not counted. */
        struct timespec ts = {(time_t)due, (long)((due - (double)(time_t)due) * 1e9)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        double s = bench_now_s();
        bench_post_one(fd);
        lat[i] = (bench_now_s() - s) * 1000.0;
    }
    close(fd);
    qsort(lat, (size_t)n, sizeof(double), cmp_double);
    *p50 = lat[n / 2];
    *p99 = lat[(int)(n * 0.99)];
    free(lat);
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
    double sync_rate = bench_fdatasync_rate(dir);
    pid_t pid = bench_start_agent(argv[1], dir, "");
    if (!bench_port) {
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
