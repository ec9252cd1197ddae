/*
 * agent_client.h - driving the real agent from a benchmark (agent_client.c).
 */
#ifndef TILLSYNC_BENCH_AGENT_CLIENT_H
#define TILLSYNC_BENCH_AGENT_CLIENT_H

#include <sys/types.h>

/* The agent's port, set by bench_start_agent once it is ready (0: not). */
extern int bench_port;

double bench_now_s(void);
/* 4 KiB write + fdatasync per round for one second in dir: syncs/s. */
double bench_fdatasync_rate(const char *dir);
/* A TCP connection to the agent on loopback, or -1. */
int bench_connect(void);
/* One POST of a fresh sale and its answer on a keep-alive connection;
 * returns the HTTP status, or -1. */
int bench_post_one(int fd);
/* Starts bin on dir/data with register R1 (central unreachable); extra_cfg
 * is appended to the config object (e.g. ",\"storage\":{...}" or "").
 * Waits for the ready line; bench_port stays 0 if it never came. */
pid_t bench_start_agent(const char *bin, const char *dir, const char *extra_cfg);

#endif
