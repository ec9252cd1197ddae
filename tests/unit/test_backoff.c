/* test_backoff.c - the retry delays of backoff.h: windows, jitter spread,
 * Retry-After as a floor, bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/backoff.h"

/* An injected generator that returns what the test put in *arg. */
static uint64_t fixed_rng(void *arg)
{
    return *(uint64_t *)arg;
}

static void test_window_doubles_up_to_max(void **state)
{
    ts_backoff b;
    uint64_t draw;
    ts_backoff_init(&b, 1000, 300000, 1);
    ts_backoff_set_rng(&b, fixed_rng, &draw);
    uint64_t want[] = {2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000, 300000, 300000};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        assert_int_equal(ts_backoff_ceiling(&b), want[i]);
        draw = want[i] - 1000; /* the largest draw: the top of the window */
        assert_int_equal(ts_backoff_next(&b, -1), want[i]);
    }
    /* One past the window wraps: the delay never leaves the window. */
    draw = 300000 - 1000 + 1;
    assert_int_equal(ts_backoff_next(&b, -1), 1000);
    /* The smallest draw is always initial: never faster than that. */
    draw = 0;
    assert_int_equal(ts_backoff_next(&b, -1), 1000);
}

static void test_reset_starts_over(void **state)
{
    ts_backoff b;
    ts_backoff_init(&b, 100, 10000, 7);
    for (int i = 0; i < 20; i++)
        ts_backoff_next(&b, -1);
    assert_int_equal(ts_backoff_ceiling(&b), 10000);
    ts_backoff_reset(&b);
    assert_int_equal(ts_backoff_ceiling(&b), 200);
    uint64_t d = ts_backoff_next(&b, -1);
    assert_in_range(d, 100, 200);
}

static void test_retry_after_is_a_floor(void **state)
{
    ts_backoff b;
    ts_backoff_init(&b, 1000, 300000, 42);
    for (int i = 0; i < 1000; i++) {
        ts_backoff_reset(&b);
        uint64_t d = ts_backoff_next(&b, 30); /* window [1000, 2000] */
        assert_in_range(d, 30000, 31000);     /* spread by the window's width, not more */
    }
    /* A Retry-After below the drawn delay changes nothing. */
    uint64_t draw = 1000;
    ts_backoff_reset(&b);
    ts_backoff_set_rng(&b, fixed_rng, &draw);
    assert_int_equal(ts_backoff_next(&b, 1), 2000);
    /* Zero and absent mean "no floor". */
    draw = 0;
    assert_int_equal(ts_backoff_next(&b, 0), 1000);
    assert_int_equal(ts_backoff_next(&b, -1), 1000);
}

static void test_retry_after_is_capped(void **state)
{
    ts_backoff b;
    uint64_t draw = 0;
    ts_backoff_init(&b, 1000, 5000, 3);
    ts_backoff_set_rng(&b, fixed_rng, &draw);
    uint64_t d = ts_backoff_next(&b, INT64_MAX);
    assert_int_equal(d, (uint64_t)TS_BACKOFF_MAX_RETRY_AFTER_S * 1000);
}

static void test_bounds_are_sane(void **state)
{
    ts_backoff b;
    ts_backoff_init(&b, 0, 0, 0);
    assert_int_equal(b.initial_ms, 1);
    assert_int_equal(b.max_ms, 1);
    assert_int_equal(ts_backoff_next(&b, -1), 1);
    ts_backoff_init(&b, 5000, 100, 0);
    assert_int_equal(b.max_ms, 5000);
    assert_int_equal(ts_backoff_next(&b, -1), 5000);
    /* Huge bounds and many failures: no overflow, stays within max. */
    ts_backoff_init(&b, UINT64_MAX / 4, UINT64_MAX - 1, 9);
    for (int i = 0; i < 200; i++) {
        uint64_t d = ts_backoff_next(&b, -1);
        assert_in_range(d, UINT64_MAX / 4, UINT64_MAX - 1);
    }
    /* Live bounds change keeps the failure count. */
    ts_backoff_init(&b, 100, 100000, 5);
    ts_backoff_next(&b, -1);
    ts_backoff_next(&b, -1);
    ts_backoff_set_bounds(&b, 10, 1000);
    assert_int_equal(ts_backoff_ceiling(&b), 80);
}

/* With the built-in generator, draws at the cap cover [initial, max]
 * evenly: no tenth of the window gets much more than its share. */
static void test_full_jitter_spreads(void **state)
{
    enum { DRAWS = 20000, SLICES = 10 };
    int slice[SLICES] = {0};
    ts_backoff b;
    ts_backoff_init(&b, 1000, 11000, 12345);
    for (int i = 0; i < 10; i++)
        ts_backoff_next(&b, -1); /* reach the cap */
    for (int i = 0; i < DRAWS; i++) {
        uint64_t d = ts_backoff_next(&b, -1);
        assert_in_range(d, 1000, 11000);
        size_t k = (size_t)((d - 1000) * SLICES / 10001);
        slice[k < SLICES ? k : SLICES - 1]++;
    }
    for (int k = 0; k < SLICES; k++) {
        if (slice[k] <= DRAWS / SLICES * 8 / 10 || slice[k] >= DRAWS / SLICES * 12 / 10)
            fail_msg("tenth %d of the window got %d of %d draws", k, slice[k], DRAWS);
    }
}

/* Agents seeded differently (pids, clocks) draw differently. */
static void test_seeds_differ(void **state)
{
    ts_backoff a, b;
    int same = 0;
    ts_backoff_init(&a, 1000, 300000, 1000);
    ts_backoff_init(&b, 1000, 300000, 1001);
    for (int i = 0; i < 20; i++)
        same += ts_backoff_next(&a, -1) == ts_backoff_next(&b, -1);
    assert_true(same < 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_doubles_up_to_max),
        cmocka_unit_test(test_reset_starts_over),
        cmocka_unit_test(test_retry_after_is_a_floor),
        cmocka_unit_test(test_retry_after_is_capped),
        cmocka_unit_test(test_bounds_are_sane),
        cmocka_unit_test(test_full_jitter_spreads),
        cmocka_unit_test(test_seeds_differ),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
