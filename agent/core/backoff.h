/*
 * backoff.h - retry delays for the uplink: exponential back-off with full
 * jitter, honouring Retry-After (spec: uplink.md). Pure: no clock, no I/O;
 * the random source can be injected so tests can pin the draws.
 *
 * After the n-th consecutive failure (n = 1, 2, ...) the delay is drawn
 * uniformly from the window
 *
 *     [initial_ms, min(max_ms, initial_ms * 2^n)]
 *
 * so the first retry lands in [initial, 2*initial] and, once the ceiling
 * reaches max_ms, every retry lands anywhere in [initial, max]. Agents that
 * lose central at the same moment therefore spread out instead of coming
 * back in lock-step (full jitter), yet never retry faster than initial_ms.
 *
 * Retry-After (seconds) is a floor: the delay is never shorter than what
 * the server asked. When the floor is above the drawn delay, the retry is
 * placed uniformly in [retry_after, retry_after + (ceiling - initial)], so
 * agents told the same Retry-After do not all return together either.
 * Retry-After is capped at TS_BACKOFF_MAX_RETRY_AFTER_S (a hostile or
 * broken server cannot park the agent for years).
 */
#ifndef TILLSYNC_BACKOFF_H
#define TILLSYNC_BACKOFF_H

#include <stdint.h>

#define TS_BACKOFF_MAX_RETRY_AFTER_S 86400 /* one day */

/* Returns 64 uniformly random bits. */
typedef uint64_t (*ts_backoff_rng)(void *arg);

typedef struct ts_backoff {
    uint64_t initial_ms;
    uint64_t max_ms;
    unsigned failures; /* consecutive failures so far */
    ts_backoff_rng rng;
    void *rng_arg;
    uint64_t state; /* the built-in generator's state (xorshift64*) */
} ts_backoff;

/* Bounds in ms (max below initial is raised to initial; 0 initial is 1).
 * seed feeds the built-in generator; any value, 0 included, works. */
void ts_backoff_init(ts_backoff *b, uint64_t initial_ms, uint64_t max_ms, uint64_t seed);
/* Changes the bounds (live config), keeping the failure count. */
void ts_backoff_set_bounds(ts_backoff *b, uint64_t initial_ms, uint64_t max_ms);
/* Replaces the built-in generator (tests). */
void ts_backoff_set_rng(ts_backoff *b, ts_backoff_rng rng, void *arg);

/* Counts one more failure and returns the delay before the next attempt in
 * ms. retry_after_s: the server's Retry-After, or -1 when absent. */
uint64_t ts_backoff_next(ts_backoff *b, int64_t retry_after_s);
/* A success: the next failure starts again from the smallest window. */
void ts_backoff_reset(ts_backoff *b);
/* Upper end of the window the next failure will draw from. */
uint64_t ts_backoff_ceiling(const ts_backoff *b);

#endif
