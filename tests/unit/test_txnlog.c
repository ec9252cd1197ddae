/*
 * test_txnlog.c - the txn log on a real LMDB store in a temp directory:
 * seq assignment, replays and conflicts, the pending limit, acks, rewinds,
 * pruning, pending_out, and that all of it survives a reopen.
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

#include "core/agent.h"
#include "config/config.h"
#include "crypto/crypto.h"
#include "core/error.h"
#include "store/store.h"
#include "store/txnlog.h"

#include <unistd.h>

static ts_agent agent;
static ts_config cfg;
static int callbacks;
static char store_dir[512];

static void make_info(ts_txn_info *info, const char *id, const char *body, int is_return,
                      const char *sku, int64_t qty_milli)
{
    memset(info, 0, sizeof(*info));
    snprintf(info->txn_id, sizeof(info->txn_id), "%s", id);
    snprintf(info->register_id, sizeof(info->register_id), "R1");
    info->is_return = is_return;
    ts_sha256(body, strlen(body), info->digest);
    info->n_moves = 1;
    info->moves = calloc(1, sizeof(ts_txn_move));
    snprintf(info->moves[0].sku, sizeof(info->moves[0].sku), "%s", sku);
    info->moves[0].qty_milli = qty_milli;
}

static void on_done(void *arg)
{
    (void)arg;
    callbacks++;
}

static void on_done_err(void *arg, int err)
{
    *(int *)arg = err;
    callbacks++;
}

/* Runs the loop until n more callbacks arrived. */
static void wait_callbacks(int n)
{
    int want = callbacks + n;
    while (callbacks < want)
        uv_run(agent.loop, UV_RUN_ONCE);
}

static void open_agent(const char *dir)
{
    char err[256];
    agent.loop = uv_default_loop();
    agent.cfg = &cfg;
    int rc = ts_store_open(&agent.store, agent.loop, dir, 64ull << 20, err, sizeof(err));
    assert_int_equal(rc, 0);
    assert_int_equal(ts_txnlog_open(&agent), 0);
}

static void close_agent(void)
{
    ts_store_close(agent.store);
    uv_run(agent.loop, UV_RUN_DEFAULT);
    ts_txnlog_close(&agent);
}

static ts_append_result append_one(const char *id, const char *body, int is_return, const char *sku,
                                   int64_t qty, uint64_t *seq)
{
    ts_txn_info info;
    make_info(&info, id, body, is_return, sku, qty);
    ts_append_item it = {.body = body, .len = strlen(body), .info = &info};
    assert_int_equal(ts_txnlog_append(&agent, &it, 1, on_done, NULL), 0);
    wait_callbacks(1);
    ts_txn_info_free(&info);
    if (seq)
        *seq = it.seq;
    return it.result;
}

static void test_append_and_replay(void **state)
{
    uint64_t seq = 0;
    assert_int_equal(append_one("T1", "{\"a\":1}", 0, "SKU-1", 2000, &seq), TS_APPEND_STORED);
    assert_int_equal(seq, 1);
    assert_int_equal(append_one("T2", "{\"a\":2}", 0, "SKU-1", 500, &seq), TS_APPEND_STORED);
    assert_int_equal(seq, 2);
    assert_int_equal(append_one("T1", "{\"a\":1}", 0, "SKU-1", 2000, &seq), TS_APPEND_REPLAY);
    assert_int_equal(seq, 1);
    assert_int_equal(append_one("T1", "{\"a\":9}", 0, "SKU-1", 2000, &seq), TS_APPEND_CONFLICT);
    assert_int_equal(append_one("T3", "{\"r\":1}", 1, "SKU-1", 1000, &seq), TS_APPEND_STORED);
    assert_int_equal(seq, 3);
    /* sold 2 + 0.5, returned 1 */
    assert_int_equal(ts_txnlog_pending_out(&agent, "SKU-1", 0), 1500);
    assert_int_equal(ts_txnlog_pending_out(&agent, "SKU-1", 1), -500);
    assert_int_equal(ts_txnlog_pending_out(&agent, "SKU-2", 0), 0);
}

static void test_batch_in_one_commit(void **state)
{
    ts_txn_info infos[3];
    ts_append_item items[3];
    const char *bodies[3] = {"{\"b\":1}", "{\"b\":2}", "{\"b\":1}"};
    const char *ids[3] = {"B1", "B2", "B1"}; /* the third repeats the first */
    for (int i = 0; i < 3; i++) {
        make_info(&infos[i], ids[i], bodies[i], 0, "SKU-9", 1000);
        items[i] = (ts_append_item){.body = bodies[i], .len = strlen(bodies[i]), .info = &infos[i]};
    }
    assert_int_equal(ts_txnlog_append(&agent, items, 3, on_done, NULL), 0);
    wait_callbacks(1);
    assert_int_equal(items[0].result, TS_APPEND_STORED);
    assert_int_equal(items[0].seq, 4);
    assert_int_equal(items[1].seq, 5);
    assert_int_equal(items[2].result, TS_APPEND_REPLAY);
    assert_int_equal(items[2].seq, 4);
    for (int i = 0; i < 3; i++)
        ts_txn_info_free(&infos[i]);
}

static int collect(void *arg, const ts_txn_record *rec)
{
    uint64_t *seqs = arg;
    seqs[seqs[0] + 1] = rec->seq;
    seqs[0]++;
    return 0;
}

static void test_acks_rewind_prune(void **state)
{
    int err = -99;
    assert_int_equal(ts_txnlog_ack(&agent, 3, on_done_err, &err), 0);
    wait_callbacks(1);
    assert_int_equal(err, 0);
    ts_txnlog_stats st;
    ts_txnlog_get_stats(&agent, &st);
    assert_int_equal(st.acked_through, 3);
    assert_int_equal(st.pending, 2);
    assert_true(st.oldest_pending_received_at_ms > 0);

    ts_txn_record rec;
    assert_int_equal(ts_txnlog_get(&agent, "T2", &rec), 0);
    assert_int_equal(rec.seq, 2);
    assert_true(rec.acked_at_ms > 0);
    assert_int_equal(ts_txnlog_get(&agent, "B2", &rec), 0);
    assert_int_equal(rec.acked_at_ms, 0);
    assert_int_equal(ts_txnlog_get(&agent, "nope", &rec), TS_ENOTFOUND);

    /* acking what was never stored is refused */
    assert_int_equal(ts_txnlog_ack(&agent, 99, on_done_err, &err), 0);
    wait_callbacks(1);
    assert_int_equal(err, TS_EINVAL);

    /* central lost seq 2 and 3: they count as pending again */
    assert_int_equal(ts_txnlog_rewind(&agent, 2, on_done_err, &err), 0);
    wait_callbacks(1);
    assert_int_equal(err, 0);
    ts_txnlog_get_stats(&agent, &st);
    assert_int_equal(st.acked_through, 1);
    assert_int_equal(ts_txnlog_get(&agent, "T2", &rec), 0);
    assert_int_equal(rec.acked_at_ms, 0);
    assert_int_equal(ts_txnlog_get(&agent, "T1", &rec), 0);
    assert_true(rec.acked_at_ms > 0);

    uint64_t seqs[16] = {0};
    assert_int_equal(ts_txnlog_scan(&agent, 2, 10, 1 << 20, collect, seqs), 0);
    assert_int_equal(seqs[0], 4);
    assert_int_equal(seqs[1], 2);
    assert_int_equal(seqs[4], 5);
    memset(seqs, 0, sizeof(seqs));
    assert_int_equal(ts_txnlog_scan(&agent, 1, 2, 1 << 20, collect, seqs), 0);
    assert_int_equal(seqs[0], 2);

    /* ack everything, then prune all acked: records, ids and moves go */
    assert_int_equal(ts_txnlog_ack(&agent, 4, on_done_err, &err), 0);
    wait_callbacks(1);
    assert_int_equal(ts_txnlog_acked_before(&agent, INT64_MAX), 4);
    assert_int_equal(ts_txnlog_acked_before(&agent, 0), 0);
    assert_int_equal(ts_txnlog_prune(&agent, INT64_MAX, on_done_err, &err), 0);
    wait_callbacks(1);
    assert_int_equal(err, 0);
    ts_txnlog_get_stats(&agent, &st);
    assert_int_equal(st.lowest_held_seq, 5);
    assert_int_equal(ts_txnlog_get(&agent, "T1", &rec), TS_ENOTFOUND);
    assert_int_equal(ts_txnlog_pending_out(&agent, "SKU-1", 0), 0);
    assert_int_equal(ts_txnlog_pending_out(&agent, "SKU-9", 0), 1000);

    /* a pruned seq cannot be resent */
    assert_int_equal(ts_txnlog_rewind(&agent, 2, on_done_err, &err), 0);
    wait_callbacks(1);
    assert_int_equal(err, TS_ENOTFOUND);
}

static void test_pending_limit(void **state)
{
    cfg.storage.max_pending = 1; /* seq 5 is pending already */
    assert_int_equal(append_one("F1", "{\"f\":1}", 0, "SKU-1", 1000, NULL), TS_APPEND_FULL);
    /* a replay of a stored txn is still answered */
    assert_int_equal(append_one("B2", "{\"b\":2}", 0, "SKU-9", 1000, NULL), TS_APPEND_REPLAY);
    cfg.storage.max_pending = 1000;
}

/* Everything the cases above stored is on disk: closed and opened again,
 * the log carries on where it was. */
static void test_survives_reopen(void **state)
{
    close_agent();
    open_agent(store_dir);
    ts_txnlog_stats st;
    ts_txnlog_get_stats(&agent, &st);
    assert_int_equal(st.last_seq, 5);
    assert_int_equal(st.acked_through, 4);
    assert_int_equal(st.accepted_total, 5);
    assert_int_equal(st.lowest_held_seq, 5);
    uint64_t seq;
    assert_int_equal(append_one("N1", "{\"n\":1}", 0, "SKU-1", 1000, &seq), TS_APPEND_STORED);
    assert_int_equal(seq, 6);
}

/* One store for the whole group: the cases run in order, each on what the
 * ones before it left (seq numbers, acks, prunes). */
static int open_store(void **state)
{
    const char *base = getenv("TS_TEST_TMP") ? getenv("TS_TEST_TMP") : "/tmp";
    snprintf(store_dir, sizeof(store_dir), "%s/txnlog-%ld", base, (long)getpid());
    ts_config_defaults(&cfg);
    open_agent(store_dir);
    return 0;
}

static int remove_store(void **state)
{
    char cmd[600];
    close_agent();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", store_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_replay), cmocka_unit_test(test_batch_in_one_commit),
        cmocka_unit_test(test_acks_rewind_prune), cmocka_unit_test(test_pending_limit),
        cmocka_unit_test(test_survives_reopen),
    };
    return cmocka_run_group_tests(tests, open_store, remove_store);
}
