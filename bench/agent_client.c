/*
 * agent_client.c - what every benchmark needs to drive the real agent:
 * start it on a fresh data dir (central unreachable), find its port, post
 * sales over plain keep-alive sockets, and the disk's raw fdatasync rate
 * for scale (agent_client.h).
 */
#include "agent_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"

int bench_port;
static const char *TOKEN = "bench-token";
static volatile int next_id;

double bench_now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

double bench_fdatasync_rate(const char *dir)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/fsync-probe", dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0)
        return 0;
    char block[4096];
    memset(block, 'x', sizeof(block));
    int n = 0;
    double t0 = bench_now_s();
    while (bench_now_s() - t0 < 1.0) {
        if (pwrite(fd, block, sizeof(block), (off_t)(n % 64) * 4096) < 0 || fdatasync(fd) < 0)
            break;
        n++;
    }
    double rate = n / (bench_now_s() - t0);
    close(fd);
    unlink(path);
    return rate;
}

int bench_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)bench_port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int bench_post_one(int fd)
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

pid_t bench_start_agent(const char *bin, const char *dir, const char *extra_cfg)
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
            "\"retry_initial_ms\":60000,\"retry_max_ms\":60000},\"log_level\":\"info\","
            /* every client posts from 127.0.0.1: lift the per-address cap */
            "\"http\":{\"max_conns_per_addr\":256}%s}",
            data, hex, extra_cfg);
    fclose(f);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(logp, O_CREAT | O_WRONLY | O_TRUNC, 0600);
        dup2(fd, 2);
        execl(bin, bin, "--config", cfg_path, (char *)NULL);
        _exit(127);
    }
    /* wait for the ready line, which names the bench_port */
    for (int tries = 0; tries < 2000 && !bench_port; tries++) {
        FILE *lf = fopen(logp, "r");
        char line[1024];
        while (lf && fgets(line, sizeof(line), lf)) {
            char *p = strstr(line, "event=agent.ready");
            char *q = p ? strstr(p, " port=") : NULL;
            if (q)
                bench_port = atoi(q + 6);
        }
        if (lf)
            fclose(lf);
        if (!bench_port)
            usleep(5000);
    }
    return pid;
}
