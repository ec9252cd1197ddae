/*
 * test_store_wakeup.c - the writer's wake-up of the loop never gets lost:
 * several chains of ops, each submitting its next op from the previous
 * one's done callback, so groups finish while the loop is between taking a
 * wake-up and taking the finished list (store.c on_async: the order of
 * the drain, the flag and the take).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/store.h"

#include <unistd.h>

#define CHAINS 64
#define PER_CHAIN 5000

static ts_store *store;
static int delivered, failed;
static int left[CHAINS];

static int apply_nothing(MDB_txn *txn, void *arg)
{
    (void)txn;
    (void)arg;
    return 0;
}

static void on_done(void *arg, int err)
{
    int *chain_left = arg;
    delivered++;
    failed += err != 0;
    if (--*chain_left > 0 && ts_store_submit(store, apply_nothing, on_done, chain_left) != 0)
        failed++;
}

static void test_no_lost_wakeup(void **state)
{
    (void)state;
    char dir[] = "/tmp/tillsync-wakeup-XXXXXX", err[256];
    assert_non_null(mkdtemp(dir));
    uv_loop_t *loop = uv_default_loop();
    assert_int_equal(ts_store_open(&store, loop, dir, 16ull << 20, err, sizeof(err)), 0);
    for (int c = 0; c < CHAINS; c++) {
        left[c] = PER_CHAIN;
        assert_int_equal(ts_store_submit(store, apply_nothing, on_done, &left[c]), 0);
    }
    /* The store keeps the loop alive while ops are in flight. A lost
     * wake-up leaves the loop asleep with an op finished but undelivered:
     * the test then hangs and ctest's timeout fails it. */
    while (delivered < CHAINS * PER_CHAIN && uv_run(loop, UV_RUN_ONCE))
        ;
    assert_int_equal(failed, 0);
    assert_int_equal(delivered, CHAINS * PER_CHAIN);
    ts_store_close(store);
    uv_run(loop, UV_RUN_DEFAULT);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_no_lost_wakeup)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
