/*
 * test_history.c - the 24-hour sample ring (report/history.h): wrap-around,
 * the disk copy across a restart (a real LMDB store), and a wall clock that
 * steps back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "core/clock.h"
#include "report/history.h"
#include "store/store.h"

#define MIN_MS 60000LL
#define T0 1795000000000LL /* 2026-11-18, any fixed wall time */

static ts_history_sample list[TS_HISTORY_SLOTS + 8];

static ts_history_sample make(int64_t at_ms, uint32_t pending)
{
    ts_history_sample s = {.at_ms = at_ms,
                           .pending = pending,
                           .odoo_copy_age_s = 90,
                           .accepted = pending % 7,
                           .disk_free_mb = 5000,
                           .central_online = pending % 2};
    return s;
}

static void assert_in_order(const ts_history_sample *l, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        assert_int_equal(l[i].seq, l[i - 1].seq + 1);
        assert_true(l[i].at_ms > l[i - 1].at_ms);
    }
}

static void test_wraps_around(void **state)
{
    (void)state;
    static ts_history_ring r;
    ts_history_ring_init(&r);
    assert_int_equal(ts_history_ring_list(&r, list, TS_HISTORY_SLOTS), 0);
    for (uint32_t i = 0; i < 3000; i++) {
        ts_history_sample s = make(T0 + i * MIN_MS, i);
        assert_int_equal(ts_history_ring_push(&r, &s), 0);
        assert_int_equal(s.seq, i + 1);
    }
    size_t n = ts_history_ring_list(&r, list, TS_HISTORY_SLOTS + 8);
    assert_int_equal(n, TS_HISTORY_SLOTS);
    assert_int_equal(list[0].seq, 3000 - TS_HISTORY_SLOTS + 1);
    assert_int_equal(list[n - 1].pending, 2999);
    assert_in_order(list, n);
}

static void test_record_round_trip(void **state)
{
    (void)state;
    ts_history_sample s = make(T0, 12345), back;
    s.seq = 987654321;
    s.odoo_copy_age_s = TS_HISTORY_NO_AGE;
    s.disk_free_mb = TS_HISTORY_NO_DISK;
    uint8_t rec[TS_HISTORY_RECORD_BYTES];
    ts_history_encode(&s, rec);
    assert_int_equal(ts_history_decode(rec, sizeof(rec), &back), 0);
    assert_memory_equal(&s, &back, offsetof(ts_history_sample, central_online) + 1);
    assert_int_equal(ts_history_decode(rec, sizeof(rec) - 1, &back), -1);
    rec[0] = 99; /* a format this build does not know */
    assert_int_equal(ts_history_decode(rec, sizeof(rec), &back), -1);
}

static void test_clock_steps_back(void **state)
{
    (void)state;
    static ts_history_ring r;
    ts_history_ring_init(&r);
    for (uint32_t i = 0; i < 100; i++) {
        ts_history_sample s = make(T0 + i * MIN_MS, i);
        ts_history_ring_push(&r, &s);
    }
    /* The clock goes back 50 minutes and a bit: samples 50..99 now lie in
     * the future and go; the new one follows sample 49. */
    ts_history_sample s = make(T0 + 49 * MIN_MS + 1000, 777);
    assert_int_equal(ts_history_ring_push(&r, &s), 50);
    assert_int_equal(s.seq, 51);
    size_t n = ts_history_ring_list(&r, list, TS_HISTORY_SLOTS);
    assert_int_equal(n, 51);
    assert_in_order(list, n);
    assert_int_equal(list[50].pending, 777);
    /* A clock step back past everything empties the ring but never breaks it. */
    s = make(T0 - 3600 * 1000LL, 1);
    assert_int_equal(ts_history_ring_push(&r, &s), 51);
    assert_int_equal(ts_history_ring_list(&r, list, TS_HISTORY_SLOTS), 1);
}

static void test_json_window(void **state)
{
    (void)state;
    static ts_history_ring r;
    ts_history_ring_init(&r);
    for (uint32_t i = 0; i < 30 * 60; i++) { /* 30 hours, more than the ring holds */
        ts_history_sample s = make(T0 + i * MIN_MS, i);
        ts_history_ring_push(&r, &s);
    }
    int64_t now = T0 + (30 * 60 - 1) * MIN_MS + 30000;
    ts_history_sample live = make(now, 5);
    ts_buf b;
    ts_buf_init(&b, TS_HISTORY_JSON_LIMIT);
    ts_history_ring_json(&r, now, &live, &b);
    assert_true(ts_buf_ok(&b));
    cJSON *doc = cJSON_ParseWithLength(b.data, b.len);
    assert_non_null(doc);
    assert_int_equal(cJSON_GetObjectItem(doc, "interval_s")->valueint, 60);
    cJSON *samples = cJSON_GetObjectItem(doc, "samples");
    assert_int_equal(cJSON_GetArraySize(samples), TS_HISTORY_SLOTS + 1);
    cJSON *first = cJSON_GetArrayItem(samples, 0);
    const char *keys[] = {
        "at",       "pending",     "oldest_pending_age_s", "central_online", "odoo_copy_age_s",
        "accepted", "disk_free_mb"};
    assert_int_equal(cJSON_GetArraySize(first), 7);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_non_null(cJSON_GetObjectItemCaseSensitive(first, keys[i]));
    /* A forward clock step hides what is older than a day. */
    ts_buf_reset(&b);
    ts_history_ring_json(&r, now + 20 * 3600 * 1000LL, NULL, &b);
    cJSON *later = cJSON_ParseWithLength(b.data, b.len);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(later, "samples")), 4 * 60);
    cJSON_Delete(later);
    cJSON_Delete(doc);
    ts_buf_free(&b);
}

/* ---- Across a restart, with a real store ---- */

static char dir[512];
static ts_agent agent;

static void open_agent(void)
{
    char err[256];
    memset(&agent, 0, sizeof(agent));
    agent.loop = uv_default_loop();
    assert_int_equal(ts_store_open(&agent.store, agent.loop, dir, 16ull << 20, err, sizeof(err)),
                     0);
    assert_int_equal(ts_history_start(&agent), 0);
}

static void close_agent(void)
{
    ts_history_stop(&agent); /* adds the minute in progress */
    ts_store_close(agent.store);
    uv_run(agent.loop, UV_RUN_DEFAULT);
    ts_history_free(&agent);
}

static size_t stored(void)
{
    return ts_history_ring_list(ts_history_ring_of(&agent), list, TS_HISTORY_SLOTS + 8);
}

static void test_survives_restart(void **state)
{
    (void)state;
    open_agent();
    int64_t now = ts_wall_ms();
    for (uint32_t i = 0; i < 2000; i++) { /* wraps on disk too */
        ts_history_sample s = make(now - (2000 - i) * MIN_MS, i);
        assert_int_equal(ts_history_record(&agent, &s), 0);
    }
    close_agent(); /* + the minute in progress: seq 2001 */

    open_agent();
    size_t n = stored();
    assert_int_equal(n, TS_HISTORY_SLOTS);
    assert_int_equal(list[0].seq, 2001 - TS_HISTORY_SLOTS + 1);
    assert_int_equal(list[n - 2].pending, 1999);
    assert_int_equal(list[n - 2].central_online, 1);
    assert_in_order(list, n);

    /* The clock steps back 30 minutes: the "future" minutes go, on disk too. */
    ts_history_sample s = make(ts_wall_ms() - 30 * MIN_MS, 4242);
    assert_int_equal(ts_history_record(&agent, &s), 0);
    assert_int_equal(stored(), TS_HISTORY_SLOTS - 30 + 1);
    close_agent();

    open_agent();
    n = stored();
    assert_in_order(list, n);
    assert_int_equal(list[n - 2].pending, 4242);
    assert_int_equal(list[n - 1].seq, list[n - 2].seq + 1);
    close_agent();
}

int main(void)
{
    const char *base = getenv("TS_TEST_TMP") ? getenv("TS_TEST_TMP") : "/tmp";
    snprintf(dir, sizeof(dir), "%s/history-%ld", base, (long)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wraps_around),     cmocka_unit_test(test_record_round_trip),
        cmocka_unit_test(test_clock_steps_back), cmocka_unit_test(test_json_window),
        cmocka_unit_test(test_survives_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
