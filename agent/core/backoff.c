/* backoff.c - exponential back-off with full jitter (see backoff.h). */
#include "core/backoff.h"

/* xorshift64*: small, fast, good enough to spread retries (not crypto). */
static uint64_t builtin_rng(void *arg)
{
    uint64_t *s = arg;
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

void ts_backoff_set_bounds(ts_backoff *b, uint64_t initial_ms, uint64_t max_ms)
{
    b->initial_ms = initial_ms ? initial_ms : 1;
    b->max_ms = max_ms < b->initial_ms ? b->initial_ms : max_ms;
}

void ts_backoff_init(ts_backoff *b, uint64_t initial_ms, uint64_t max_ms, uint64_t seed)
{
    b->failures = 0;
    b->rng = builtin_rng;
    b->rng_arg = &b->state;
    /* xorshift must not start from 0; mix the seed (splitmix64 finaliser)
     * so nearby seeds (pids, clocks) give unrelated sequences. */
    seed += 0x9E3779B97F4A7C15ULL;
    seed = (seed ^ (seed >> 30)) * 0xBF58476D1CE4E5B9ULL;
    seed = (seed ^ (seed >> 27)) * 0x94D049BB133111EBULL;
    seed ^= seed >> 31;
    b->state = seed ? seed : 0x9E3779B97F4A7C15ULL;
    ts_backoff_set_bounds(b, initial_ms, max_ms);
}

void ts_backoff_set_rng(ts_backoff *b, ts_backoff_rng rng, void *arg)
{
    b->rng = rng ? rng : builtin_rng;
    b->rng_arg = rng ? arg : &b->state;
}

void ts_backoff_reset(ts_backoff *b)
{
    b->failures = 0;
}

/* min(max, initial * 2^n) without overflow. */
static uint64_t window_ceiling(const ts_backoff *b, unsigned n)
{
    uint64_t c = b->initial_ms;
    for (unsigned i = 0; i < n && c < b->max_ms; i++)
        c = c > b->max_ms / 2 ? b->max_ms : c * 2;
    return c < b->max_ms ? c : b->max_ms;
}

uint64_t ts_backoff_ceiling(const ts_backoff *b)
{
    return window_ceiling(b, b->failures + 1);
}

/* Uniform in [lo, hi] (the modulo bias of a 64-bit draw is negligible). */
static uint64_t uniform(ts_backoff *b, uint64_t lo, uint64_t hi)
{
    uint64_t span = hi - lo;
    if (span == UINT64_MAX)
        return b->rng(b->rng_arg);
    return lo + b->rng(b->rng_arg) % (span + 1);
}

uint64_t ts_backoff_next(ts_backoff *b, int64_t retry_after_s)
{
    if (b->failures < 64)
        b->failures++;
    uint64_t ceiling = window_ceiling(b, b->failures);
    uint64_t delay = uniform(b, b->initial_ms, ceiling);
    if (retry_after_s > 0) {
        if (retry_after_s > TS_BACKOFF_MAX_RETRY_AFTER_S)
            retry_after_s = TS_BACKOFF_MAX_RETRY_AFTER_S;
        uint64_t floor_ms = (uint64_t)retry_after_s * 1000;
        if (delay < floor_ms)
            delay = floor_ms + uniform(b, 0, ceiling - b->initial_ms);
    }
    return delay;
}
