/*
 * store.c - the LMDB environment and its single writer thread (store.h).
 *
 * Group commit: the loop queues ops; the writer takes everything queued,
 * applies each op in a nested transaction of one write transaction and
 * commits once. While that commit (and its fsync) runs, new ops pile up in
 * the queue and ride the next commit together. So one fsync serves many
 * txns, the loop never waits on the disk, and durability is LMDB's: after
 * mdb_txn_commit returns, the data survives a crash or power cut.
 *
 * A commit that fails on the disk (EIO, ENOSPC from a write or from
 * fdatasync) leaves the environment suspect: after a failed fdatasync the
 * kernel may have dropped the pages it could not write (PostgreSQL's
 * "fsyncgate"), and a failed meta-page write leaves LMDB in MDB_PANIC for
 * good. So the writer parks, and the loop closes the environment and opens
 * it again from what the file holds (tests/integration/test_disk_faults.py).
 */
#include "store/store.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/fifo.h"
#include "core/log.h"

#include "core/fsinfo.h"
#include "store/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

/* Slots of killed readers pin old pages until someone clears them; the
 * writer does so this often (and at once when the map looks full). */
#define READER_CHECK_MS 10000
#define REOPEN_RETRY_MIN_MS 1000 /* a failed reopen is tried again after 1-30 s */
#define REOPEN_RETRY_MAX_MS 30000

typedef struct store_op {
    ts_store_apply_fn apply;
    ts_store_done_fn done;
    void *arg;
    int err;
    int journal; /* submitted with ts_store_submit_journal */
    struct store_op *next;
} store_op;

typedef TS_FIFO(store_op) op_list;

struct ts_store {
    MDB_env *env; /* NULL while a reopen after a disk fault has not succeeded */
    MDB_dbi meta; /* store-level facts: the format version */
    char dir[1100];
    uint64_t map_bytes;
    /* Named databases in the order they were opened, to open them again
     * with the same handles after a reopen. */
    struct {
        char name[32];
        unsigned flags;
        MDB_dbi dbi;
    } dbis[16];
    size_t n_dbis;
    uv_loop_t *loop;
    uv_thread_t writer;
    uv_mutex_t mu;    /* guards everything below */
    uv_cond_t wake;   /* the writer waits here for work */
    op_list queued;   /* submitted, not yet taken by the writer */
    op_list finished; /* committed or failed, waiting for the loop */
    /* The writer pokes the loop through an eventfd it watches. Not a
     * uv_async_t: libuv 1.44's loop spins, then sched_yield()s, until the
     * sender's write() has returned (0.7 sched_yield per sale at one till). */
    int poke_fd;
    uv_poll_t async;
    uv_timer_t retry; /* the next reopen, while the last one failed */
    ts_backoff retry_backoff;
    int handles_open; /* async and retry: st is freed when both are closed */
    size_t in_flight; /* loop thread only: ops submitted, not yet delivered */
    int stopping;
    int reopen; /* the writer waits for the loop to reopen the environment */
    int writer_started;
    int healthy;
    int check_soon;      /* the loop asked for a reader check */
    int readonly;        /* opened for reading only (--export-pending) */
    char data_dir[1024]; /* for statvfs */
    uint64_t last_reader_check_ms;
    const char *fault_fifo; /* test-only: TILLSYNC_TEST_WRITER_FIFO */
    ts_store_stats stats;
    ts_journal *journal; /* NULL: every op is an LMDB commit */
    ts_store_journal_client jc;
    uint64_t lmdb_used, file_hw; /* writer's: LMDB's figures at the last commit */
};

int ts_store_err(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return 0;
    case MDB_NOTFOUND:
        return TS_ENOTFOUND;
    case MDB_MAP_FULL:
        return TS_EFULL;
    case MDB_KEYEXIST:
        return TS_ECONFLICT;
    case MDB_VERSION_MISMATCH:
    case MDB_INVALID:
        return TS_EFORMAT;
    case ENOMEM:
        return TS_ENOMEM;
    default:
        return TS_EIO;
    }
}

/* Pages in use. The high-water mark is an upper bound and costs nothing;
 * only near the 90 % line, or with the disk low (the file cannot grow, so
 * its free pages are all the room there is), is it worth walking the free
 * list (pages LMDB will reuse) for the real figure. */
#define DISK_LOW_BYTES (64ull << 20)
/* The journal's hard lines (ts_store_unfolded_room): the intake refuses at
 * 90 % and at the full disk reserve from the published figures; these stop
 * a sale the figures were too old to see, and leave the rest to acks and
 * prunes (which fold first). */
#define MAP_HARD_PCT 95
#define DISK_RESERVE_MIN (1ull << 20)
#define DISK_RESERVE_MAX (64ull << 20)
static uint64_t used_bytes(MDB_env *env, uint64_t *file_bytes, int disk_low, uint64_t extra)
{
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info(env, &info);
    mdb_env_stat(env, &st);
    uint64_t pages = (uint64_t)info.me_last_pgno + 1, free_pages = 0;
    *file_bytes = pages * st.ms_psize; /* the data file's high-water mark */
    if (!disk_low && (pages * st.ms_psize + extra) * 100 < (uint64_t)info.me_mapsize * 90)
        return pages * st.ms_psize;
    MDB_txn *txn;
    MDB_cursor *c;
    if (mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) != 0)
        return pages * st.ms_psize;
    if (mdb_cursor_open(txn, 0 /* FREE_DBI */, &c) == 0) {
        MDB_val k, v;
        while (mdb_cursor_get(c, &k, &v, MDB_NEXT) == 0)
            if (v.mv_size >= sizeof(size_t)) { /* an IDL: its count first */
                size_t count;
                memcpy(&count, v.mv_data, sizeof(count));
                free_pages += count;
            }
        mdb_cursor_close(c);
    }
    mdb_txn_abort(txn);
    return (pages > free_pages ? pages - free_pages : 0) * st.ms_psize;
}

/* A failed commit that says nothing about the data itself. */
static int disk_suspect(int rc)
{
    return rc != 0 && rc != MDB_MAP_FULL && rc != ENOMEM;
}

/* Clears reader slots left by dead processes (a killed --export-pending):
 * they pin the pages of their snapshot, so the map fills although the data
 * in it is small. Writer thread only. Returns the slots cleared. */
static int clear_stale_readers(ts_store *st)
{
    int dead = 0;
    st->last_reader_check_ms = ts_mono_ms();
    if (!st->env || mdb_reader_check(st->env, &dead) != 0 || dead <= 0)
        return 0;
    ts_warn("store.stale_readers_cleared", "slots=%d", dead);
    uv_mutex_lock(&st->mu);
    st->stats.stale_readers_cleared += (uint64_t)dead;
    uv_mutex_unlock(&st->mu);
    return dead;
}

/* Free space of data_dir's file system, published for the loop (the loop
 * itself never asks the disk). With the journal, less the next segment it
 * may have to create: that room is not LMDB's. */
static void publish_disk(ts_store *st)
{
    ts_fs_space sp;
    int known = ts_fs_space_of(st->data_dir, &sp) == 0;
    if (known && st->journal) {
        uint64_t need = ts_journal_disk_need(st->journal);
        sp.avail_bytes = sp.avail_bytes > need ? sp.avail_bytes - need : 0;
    }
    uv_mutex_lock(&st->mu);
    st->stats.disk_known = known;
    st->stats.disk_avail_bytes = known ? sp.avail_bytes : 0;
    st->stats.disk_total_bytes = known ? sp.total_bytes : 0;
    uv_mutex_unlock(&st->mu);
}

static int disk_low(ts_store *st);

static uint64_t unfolded(const ts_store *st)
{
    return st->journal ? st->jc.unfolded_bytes(st->jc.arg) : 0;
}

/* LMDB's pages in use, and (published) with the unfolded sales' estimate:
 * the intake's space rules see a sale from its 201 on. */
static void measure_used(ts_store *st)
{
    if (!st->env)
        return;
    uint64_t extra = unfolded(st);
    st->lmdb_used = used_bytes(st->env, &st->file_hw, disk_low(st), extra);
}

static void publish_used_locked(ts_store *st)
{
    st->stats.lmdb_used_bytes = st->lmdb_used;
    st->stats.used_bytes = st->lmdb_used + unfolded(st);
    st->stats.file_bytes = st->file_hw;
}

/* Test-only fault hook (never set in production): with
 * TILLSYNC_TEST_WRITER_FIFO naming a FIFO, the writer reads one byte from
 * it before each commit or journal group, so a test can hold the disk "stalled". */
static void test_stall(ts_store *st)
{
    if (!st->fault_fifo)
        return;
    int fd = open(st->fault_fifo, O_RDONLY);
    if (fd >= 0) {
        char c;
        while (read(fd, &c, 1) < 0 && errno == EINTR)
            ;
        close(fd);
    }
}

static int op_failed_full(const store_op *ops, int rc)
{
    if (rc == MDB_MAP_FULL)
        return 1;
    for (const store_op *op = ops; op; op = op->next)
        if (op->err == TS_EFULL)
            return 1;
    return 0;
}

/* Every op in its own nested transaction; returns the commit's rc. */
static int apply_group(ts_store *st, store_op *ops)
{
    MDB_txn *txn = NULL;
    int rc = st->env ? mdb_txn_begin(st->env, NULL, 0, &txn) : EIO;
    if (rc == 0 && st->journal) { /* the journaled ops come first: they came first */
        int frc = st->jc.fold(txn, st->jc.arg);
        if (frc) {
            mdb_txn_abort(txn);
            rc = frc == TS_EFULL ? MDB_MAP_FULL : EIO;
        }
    }
    for (store_op *op = ops; op; op = op->next) {
        if (rc) {
            op->err = ts_store_err(rc);
            continue;
        }
        MDB_txn *child;
        int crc = mdb_txn_begin(st->env, txn, 0, &child);
        if (crc) {
            op->err = ts_store_err(crc);
            continue;
        }
        op->err = op->apply(child, op->arg);
        if (op->err)
            mdb_txn_abort(child);
        else if ((crc = mdb_txn_commit(child)) != 0)
            op->err = ts_store_err(crc);
    }
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    if (st->journal) {
        st->jc.folded(st->jc.arg, rc ? TS_EIO : 0);
        /* Everything journaled is in LMDB now: older segments can go, and
         * after a failed flush the journal starts again on a fresh one. */
        int jr = 0;
        if (rc == 0 && ts_journal_broken(st->journal) && unfolded(st) == 0)
            jr = ts_journal_reset(st->journal, st->jc.next_seq(st->jc.arg));
        else if (rc == 0)
            jr = ts_journal_checkpoint(st->journal, st->jc.folded_seq(st->jc.arg));
        if (jr)
            ts_warn("store.journal_recycle_failed", "error=\"%s\"", ts_strerror(jr));
    }
    return rc;
}

static int disk_low(ts_store *st)
{
    uv_mutex_lock(&st->mu);
    int low = st->stats.disk_known && st->stats.disk_avail_bytes < DISK_LOW_BYTES;
    uv_mutex_unlock(&st->mu);
    return low;
}

/* Queues a group's ops for the loop, in commit order (st->mu held). */
static void finish_locked(ts_store *st, store_op *ops)
{
    for (store_op *op = ops, *next; op; op = next) {
        next = op->next;
        TS_FIFO_PUSH(&st->finished, op);
    }
}

/* After finish_locked, with st->mu released: wakes the loop. Every group
 * writes (no "already poked" flag to race with the loop's read): the fd
 * stays readable from the push until the loop has read it, and the loop
 * reads before it takes the list. */
static void poke_loop(ts_store *st)
{
    uint64_t one = 1;
    while (write(st->poke_fd, &one, sizeof(one)) < 0 && errno == EINTR)
        ;
    /* EAGAIN (the counter is full) still leaves the fd readable */
}

/* Logs a failing write once per failing spell, not once per commit, and
 * the first success after one. failed_event NULL: this write worked. */
static void log_spell(ts_store *st, const char *failed_event, size_t ops, const char *why)
{
    uv_mutex_lock(&st->mu);
    int was_healthy = st->healthy;
    uv_mutex_unlock(&st->mu);
    if (failed_event && was_healthy)
        ts_error(failed_event, "ops=%zu error=%s", ops, why);
    else if (!failed_event && !was_healthy)
        ts_info("store.commit_ok_again", "ops=%zu", ops);
}

/* One group commit: every op in its own nested transaction, one fsync.
 * A full map may only be pages pinned by dead readers: clear them and try
 * the group once more. */
static void commit_group(ts_store *st, store_op *ops)
{
    uint64_t t0 = uv_hrtime();
    test_stall(st);
    int rc = apply_group(st, ops);
    if (op_failed_full(ops, rc) && clear_stale_readers(st) > 0) {
        for (store_op *op = ops; op; op = op->next)
            op->err = 0;
        rc = apply_group(st, ops);
    }
    measure_used(st);
    size_t n = 0;
    for (store_op *op = ops; op; op = op->next, n++)
        if (rc && !op->err)
            op->err = ts_store_err(rc);
    log_spell(st, rc ? "store.commit_failed" : NULL, n, rc ? mdb_strerror(rc) : "");
    publish_disk(st);

    uv_mutex_lock(&st->mu);
    st->healthy = rc == 0;
    st->reopen = disk_suspect(rc);
    st->stats.commits += rc == 0;
    st->stats.fsyncs += 2; /* the data, then the meta page (O_DSYNC) */
    st->stats.checkpoints += rc == 0 && st->journal;
    st->stats.commit_failures += rc != 0;
    st->stats.ops_committed += rc == 0 ? n : 0;
    publish_used_locked(st);
    if (rc)
        snprintf(st->stats.last_error, sizeof(st->stats.last_error), "%s", mdb_strerror(rc));
    st->stats.last_commit_us = (uv_hrtime() - t0) / 1000;
    finish_locked(st, ops);
    uv_mutex_unlock(&st->mu);
    poke_loop(st);
}

/* Fold commits (a bounded chunk each) while the client says one is due
 * (idle: with no other write in hand), or (all) until nothing is left;
 * stops when a commit makes no progress. */
static void fold_while(ts_store *st, int all, int idle)
{
    uint64_t left;
    do {
        left = unfolded(st);
        commit_group(st, NULL);
    } while (unfolded(st) > 0 && unfolded(st) < left && (all || st->jc.due(st->jc.arg, idle)));
}

static void publish_journal(ts_store *st)
{
    ts_journal_stats js;
    ts_journal_get_stats(st->journal, &js);
    uv_mutex_lock(&st->mu);
    st->stats.journal = 1;
    st->stats.journal_groups = js.groups;
    st->stats.journal_records = js.records;
    st->stats.journal_bytes = js.bytes_written;
    st->stats.fsyncs = 2 * (st->stats.commits + st->stats.commit_failures) + js.fsyncs;
    uv_mutex_unlock(&st->mu);
}

/* One group of journaled ops: applied against a read-only view, written to
 * the journal, one flush; the 201s wait for it. */
static void journal_group(ts_store *st, store_op *ops, int env_ok)
{
    uint64_t t0 = uv_hrtime();
    test_stall(st); /* the journal flush is this group's commit */
    MDB_txn *rtxn = NULL;
    int rc = env_ok && st->env && !ts_journal_broken(st->journal)
                 ? ts_store_err(mdb_txn_begin(st->env, NULL, MDB_RDONLY, &rtxn))
                 : TS_EIO;
    size_t n = 0;
    for (store_op *op = ops; op; op = op->next, n++)
        op->err = rc ? rc : op->apply(rtxn, op->arg);
    if (rtxn)
        mdb_txn_abort(rtxn);
    int jrc = rc ? rc : ts_journal_sync(st->journal);
    st->jc.synced(st->jc.arg, jrc);
    for (store_op *op = ops; op; op = op->next)
        if (jrc && !op->err)
            op->err = TS_EIO;
    log_spell(st, jrc ? "store.journal_failed" : NULL, n, jrc ? ts_strerror(jrc) : "");
    publish_journal(st);
    uv_mutex_lock(&st->mu);
    st->healthy = jrc == 0;
    publish_used_locked(st);
    st->stats.ops_committed += jrc == 0 ? n : 0;
    if (jrc)
        snprintf(st->stats.last_error, sizeof(st->stats.last_error), "journal: %s",
                 ts_strerror(jrc));
    st->stats.last_commit_us = (uv_hrtime() - t0) / 1000;
    finish_locked(st, ops);
    uv_mutex_unlock(&st->mu);
    poke_loop(st);
}

/* A group with the journal on: journaled ops to the journal; a checkpoint
 * (LMDB commit) for the others, after a failed flush, or when due. */
static void run_group(ts_store *st, store_op *ops)
{
    if (!st->journal) {
        commit_group(st, ops);
        return;
    }
    op_list j = {0}, l = {0};
    for (store_op *op = ops, *next; op; op = next) {
        next = op->next;
        TS_FIFO_PUSH(op->journal ? &j : &l, op);
    }
    int env_ok = 1;
    if (j.head && ts_journal_broken(st->journal)) {
        fold_while(st, 1, 0); /* fold, then a fresh segment */
        uv_mutex_lock(&st->mu);
        env_ok = !st->reopen;
        uv_mutex_unlock(&st->mu);
    }
    if (j.head)
        journal_group(st, j.head, env_ok);
    if (l.head && st->jc.due(st->jc.arg, 0))
        fold_while(st, 0, 0); /* the rest fits the ops' commit (the fold comes first) */
    if (l.head || st->jc.due(st->jc.arg, 1))
        commit_group(st, l.head); /* idle: one chunk per group while folding */
    publish_journal(st);
}

/* Between commits: the periodic reader check and fresh disk figures. */
static void writer_tick(ts_store *st)
{
    uv_mutex_lock(&st->mu);
    int reopening = st->reopen; /* the loop owns st->env until it is done */
    uv_mutex_unlock(&st->mu);
    if (!reopening && st->env && st->journal && st->jc.due(st->jc.arg, 1))
        fold_while(st, 0, 1); /* the age limit of unfolded sales */
    if (reopening || !st->env || ts_mono_ms() - st->last_reader_check_ms < READER_CHECK_MS)
        return;
    clear_stale_readers(st);
    measure_used(st);
    publish_disk(st);
    uv_mutex_lock(&st->mu);
    publish_used_locked(st);
    uv_mutex_unlock(&st->mu);
}

static void writer_main(void *arg)
{
    ts_store *st = arg;
    uv_mutex_lock(&st->mu);
    for (;;) {
        while (!st->queued.head && !st->stopping) {
            if (st->check_soon) {
                st->check_soon = 0;
                st->last_reader_check_ms = 0;
                uv_mutex_unlock(&st->mu);
                writer_tick(st);
                uv_mutex_lock(&st->mu);
                continue;
            }
            if (uv_cond_timedwait(&st->wake, &st->mu, (uint64_t)READER_CHECK_MS * 1000000u) == 0)
                continue;
            uv_mutex_unlock(&st->mu);
            writer_tick(st);
            uv_mutex_lock(&st->mu);
        }
        if (st->check_soon || ts_mono_ms() - st->last_reader_check_ms >= READER_CHECK_MS) {
            st->check_soon = 0;
            st->last_reader_check_ms = 0;
            uv_mutex_unlock(&st->mu);
            writer_tick(st);
            uv_mutex_lock(&st->mu);
        }
        while (st->reopen && !st->stopping)
            uv_cond_wait(&st->wake, &st->mu);
        store_op *ops;
        TS_FIFO_TAKE_ALL(&st->queued, ops);
        if (!ops)
            break; /* stopping, and nothing left to write */
        uv_mutex_unlock(&st->mu);
        run_group(st, ops);
        uv_mutex_lock(&st->mu);
    }
    int final = st->journal && !st->reopen;
    uv_mutex_unlock(&st->mu);
    if (final) /* a clean stop leaves nothing to replay */
        fold_while(st, 1, 0);
}

static int open_env(ts_store *st, char *err, size_t errlen);
static int dbi_open(ts_store *st, const char *name, unsigned flags, MDB_dbi *out);

/* On the loop, with the writer parked and (between callbacks) no read
 * transaction open: the environment again, from what the file holds.
 * On failure st->env stays NULL. */
static void reopen_env(ts_store *st)
{
    char err[256] = "";
    if (st->env)
        mdb_env_close(st->env);
    st->env = NULL;
    int rc = open_env(st, err, sizeof(err));
    for (size_t i = 0; rc == 0 && i < st->n_dbis; i++) {
        MDB_dbi dbi;
        rc = dbi_open(st, st->dbis[i].name, st->dbis[i].flags, &dbi);
        if (rc == 0 && dbi != st->dbis[i].dbi)
            rc = TS_EFORMAT; /* cannot happen: same names, same order */
    }
    if (rc && st->env) {
        mdb_env_close(st->env);
        st->env = NULL;
    }
    if (rc)
        ts_error("store.reopen_failed", "error=\"%s\"", err[0] ? err : ts_strerror(rc));
    else
        ts_info("store.reopened", "reason=\"a commit failed on the disk\"");
    uv_mutex_lock(&st->mu);
    st->stats.reopens++;
    uv_mutex_unlock(&st->mu);
}

static void on_retry(uv_timer_t *t);

/* Appends what was queued to ops, failed: nothing can be written while the
 * environment is closed (the tills get 503 now, not after the disk is
 * back). Called with st->mu held and the writer parked. */
static store_op *fail_queued(ts_store *st, store_op *ops)
{
    store_op *queued, **tail = &ops;
    TS_FIFO_TAKE_ALL(&st->queued, queued);
    for (store_op *op = queued; op; op = op->next)
        op->err = TS_EIO;
    while (*tail)
        tail = &(*tail)->next;
    *tail = queued;
    return ops;
}

/* With the writer parked: reopen; on failure keep it parked and try again
 * with back-off (a disk remounted read-only may take a while to come back:
 * once per commit would be a storm, once and never would be forever). */
static store_op *try_reopen(ts_store *st, store_op *ops)
{
    reopen_env(st);
    uv_mutex_lock(&st->mu);
    if (st->env) {
        if (st->retry_backoff.failures > 0)
            st->healthy = 1; /* writable again; the next commit confirms it */
        ts_backoff_reset(&st->retry_backoff);
        st->reopen = 0;
        uv_cond_signal(&st->wake);
    } else {
        ops = fail_queued(st, ops);
        uint64_t ms = ts_backoff_next(&st->retry_backoff, -1);
        ts_warn("store.reopen_retry", "in_ms=%llu failures=%u", (unsigned long long)ms,
                st->retry_backoff.failures);
        uv_timer_start(&st->retry, on_retry, ms, 0);
    }
    uv_mutex_unlock(&st->mu);
    return ops;
}

static void deliver_ops(ts_store *st, store_op *ops);

static void on_retry(uv_timer_t *t)
{
    ts_store *st = t->data;
    uv_mutex_lock(&st->mu);
    int again = st->reopen && !st->stopping && !st->env;
    uv_mutex_unlock(&st->mu);
    if (again)
        deliver_ops(st, try_reopen(st, NULL));
}

/* On the loop: hand each finished op its result, in commit order. */
static void deliver_finished(ts_store *st)
{
    uv_mutex_lock(&st->mu);
    store_op *ops;
    TS_FIFO_TAKE_ALL(&st->finished, ops);
    int reopen = st->reopen && !st->stopping && !uv_is_active((uv_handle_t *)&st->retry);
    uv_mutex_unlock(&st->mu);
    if (reopen)
        ops = try_reopen(st, ops);
    deliver_ops(st, ops);
}

static void deliver_ops(ts_store *st, store_op *ops)
{
    for (store_op *op = ops, *next; op; op = next) {
        next = op->next;
        if (--st->in_flight == 0)
            uv_unref((uv_handle_t *)&st->async);
        if (op->done)
            op->done(op->arg, op->err);
        free(op);
    }
}

static void on_async(uv_poll_t *h, int status, int events)
{
    (void)status;
    (void)events;
    ts_store *st = h->data;
    uint64_t n;
    /* The fd first, then the list: a group pushed after this read pokes
     * again, so it is never left behind. */
    while (read(st->poke_fd, &n, sizeof(n)) < 0 && errno == EINTR)
        ;
    deliver_finished(st);
}

static int mkdir_p(const char *path)
{
    char tmp[1024];
    if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
        return TS_EINVAL;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0750) && errno != EEXIST)
            return TS_EIO;
        *p = '/';
    }
    if (mkdir(tmp, 0750) && errno != EEXIST)
        return TS_EIO;
    return 0;
}

/* The format version lives in the store; a store from a newer, incompatible
 * build is refused rather than misread. */
static int check_format(ts_store *st, char *err, size_t errlen)
{
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(st->env, NULL, st->readonly ? MDB_RDONLY : 0, &txn);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "store_meta", st->readonly ? 0 : MDB_CREATE, &st->meta);
    if (rc) {
        snprintf(err, errlen, "cannot open the store: %s", mdb_strerror(rc));
        if (txn)
            mdb_txn_abort(txn);
        return ts_store_err(rc);
    }
    MDB_val k = {6, "format"}, v;
    uint32_t mine = TS_STORE_FORMAT;
    rc = mdb_get(txn, st->meta, &k, &v);
    if (rc == MDB_NOTFOUND && st->readonly) {
        rc = 0; /* a store never written: nothing to misread */
    } else if (rc == MDB_NOTFOUND) {
        v.mv_size = sizeof(mine);
        v.mv_data = &mine;
        rc = mdb_put(txn, st->meta, &k, &v, 0);
    } else if (rc == 0) {
        uint32_t theirs = 0;
        if (v.mv_size == sizeof(theirs))
            memcpy(&theirs, v.mv_data, sizeof(theirs));
#ifdef TS_STORE_FORMAT_OVERRIDE
        /* Test build only: stands in for the migration a real format change
         * ships, so the update tests can make a one-way update. */
        if (theirs && theirs < mine && !st->readonly) {
            ts_warn("store.format_upgraded", "from=%u to=%u", theirs, mine);
            v.mv_size = sizeof(mine);
            v.mv_data = &mine;
            if ((rc = mdb_put(txn, st->meta, &k, &v, 0)) == 0)
                theirs = mine;
        }
#endif
        if (rc == 0 && theirs != mine) {
            snprintf(err, errlen,
                     "the store in this data_dir has format %u; this build reads format %u", theirs,
                     mine);
            mdb_txn_abort(txn);
            return TS_EFORMAT;
        }
    }
    if (rc == 0)
        rc = mdb_txn_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc)
        snprintf(err, errlen, "cannot write the store: %s", mdb_strerror(rc));
    return ts_store_err(rc);
}

/* Opens st->env and checks the format; on failure st->env is NULL. */
static int open_env(ts_store *st, char *err, size_t errlen)
{
    int rc = mdb_env_create(&st->env);
    if (rc == 0)
        rc = mdb_env_set_mapsize(st->env, (size_t)st->map_bytes);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(st->env, 32);
    /* MDB_NOTLS: read transactions are not tied to the thread's TLS slot. */
    if (rc == 0)
        rc = mdb_env_open(st->env, st->dir, MDB_NOTLS | (st->readonly ? MDB_RDONLY : 0), 0640);
    if (rc) {
        snprintf(err, errlen, "cannot open LMDB in %s: %s", st->dir, mdb_strerror(rc));
        mdb_env_close(st->env);
        st->env = NULL;
        return ts_store_err(rc);
    }
    int dead = 0;
    mdb_reader_check(st->env, &dead); /* slots left by a killed process */
    st->last_reader_check_ms = ts_mono_ms();
    int frc = check_format(st, err, errlen);
    if (frc) {
        mdb_env_close(st->env);
        st->env = NULL;
    }
    return frc;
}

static int store_open(ts_store **out, uv_loop_t *loop, const char *data_dir, uint64_t map_bytes,
                      int readonly, char *err, size_t errlen)
{
    char dir[1100];
    snprintf(dir, sizeof(dir), "%s/store", data_dir);
    if (!readonly && mkdir_p(dir)) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return TS_EIO;
    }
    if (map_bytes > (uint64_t)SIZE_MAX / 2) {
        snprintf(err, errlen, "map size does not fit this system's address space");
        return TS_EINVAL;
    }
    ts_store *st = calloc(1, sizeof(*st));
    if (!st)
        return TS_ENOMEM;
    st->loop = loop;
    st->healthy = 1;
    st->readonly = readonly;
    snprintf(st->dir, sizeof(st->dir), "%s", dir);
    snprintf(st->data_dir, sizeof(st->data_dir), "%s", data_dir);
    st->fault_fifo = getenv("TILLSYNC_TEST_WRITER_FIFO");
    st->map_bytes = map_bytes;
    int rc = open_env(st, err, errlen);
    if (rc) {
        free(st);
        return rc;
    }
    MDB_envinfo info;
    mdb_env_info(st->env, &info);
    st->stats.map_bytes = info.me_mapsize;
    st->poke_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (st->poke_fd < 0 || uv_poll_init(loop, &st->async, st->poke_fd) != 0) {
        snprintf(err, errlen, "cannot make the writer's wake-up: %s", strerror(errno));
        if (st->poke_fd >= 0)
            close(st->poke_fd);
        mdb_env_close(st->env);
        free(st);
        return TS_EIO;
    }
    uv_poll_start(&st->async, UV_READABLE, on_async);
    uv_mutex_init(&st->mu);
    uv_cond_init(&st->wake);
    st->async.data = st;
    uv_timer_init(loop, &st->retry);
    st->retry.data = st;
    uv_unref((uv_handle_t *)&st->retry); /* a retry alone does not keep the loop */
    st->handles_open = 2;
    ts_backoff_init(&st->retry_backoff, REOPEN_RETRY_MIN_MS, REOPEN_RETRY_MAX_MS, ts_mono_ms());
    /* The store keeps the loop running only while ops are in flight. */
    uv_unref((uv_handle_t *)&st->async);
    publish_disk(st);
    measure_used(st);
    publish_used_locked(st);
    *out = st;
    return 0;
}

int ts_store_open(ts_store **out, uv_loop_t *loop, const char *data_dir, uint64_t map_bytes,
                  char *err, size_t errlen)
{
    return store_open(out, loop, data_dir, map_bytes, 0, err, errlen);
}

int ts_store_open_readonly(ts_store **out, uv_loop_t *loop, const char *data_dir, char *err,
                           size_t errlen)
{
    /* Map size 0: LMDB takes the size the writer gave the file. */
    return store_open(out, loop, data_dir, 0, 1, err, errlen);
}

static int dbi_open(ts_store *st, const char *name, unsigned flags, MDB_dbi *out)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, st->readonly ? MDB_RDONLY : 0, &txn);
    if (rc)
        return ts_store_err(rc);
    rc = mdb_dbi_open(txn, name, st->readonly ? flags & ~(unsigned)MDB_CREATE : flags | MDB_CREATE,
                      out);
    if (rc == 0)
        return ts_store_err(mdb_txn_commit(txn));
    mdb_txn_abort(txn);
    return ts_store_err(rc);
}

/* Called with st->mu held. */
static int start_writer_locked(ts_store *st)
{
    if (st->writer_started)
        return 0;
    if (uv_thread_create(&st->writer, writer_main, st) != 0)
        return TS_EIO;
    st->writer_started = 1;
    return 0;
}

int ts_store_start(ts_store *st)
{
    uv_mutex_lock(&st->mu);
    int rc = start_writer_locked(st);
    uv_mutex_unlock(&st->mu);
    return rc;
}

int ts_store_dbi(ts_store *st, const char *name, unsigned flags, MDB_dbi *out)
{
    if (st->writer_started || st->n_dbis == sizeof(st->dbis) / sizeof(st->dbis[0]) ||
        strlen(name) >= sizeof(st->dbis[0].name))
        return TS_EINVAL;
    int rc = dbi_open(st, name, flags, out);
    if (rc == 0) {
        snprintf(st->dbis[st->n_dbis].name, sizeof(st->dbis[0].name), "%s", name);
        st->dbis[st->n_dbis].flags = flags;
        st->dbis[st->n_dbis++].dbi = *out;
    }
    return rc;
}

static int submit(ts_store *st, ts_store_apply_fn apply, ts_store_done_fn done, void *arg,
                  int journal)
{
    store_op *op = calloc(1, sizeof(*op));
    if (!op)
        return TS_ENOMEM;
    op->journal = journal;
    op->apply = apply;
    op->done = done;
    op->arg = arg;
    uv_mutex_lock(&st->mu);
    if (st->stopping || st->readonly || (st->reopen && !st->env)) {
        int rc = st->readonly ? TS_EINVAL : st->stopping ? TS_ECANCELED : TS_EIO;
        uv_mutex_unlock(&st->mu);
        free(op);
        return rc; /* TS_EIO: the environment is closed until a reopen works */
    }
    if (start_writer_locked(st) != 0) {
        uv_mutex_unlock(&st->mu);
        free(op);
        return TS_EIO;
    }
    TS_FIFO_PUSH(&st->queued, op);
    uv_mutex_unlock(&st->mu);
    /* After the unlock: a writer woken under the lock would only block on
     * it again (one more futex wake-up per sale at a single till). It
     * re-checks the queue under the lock, so no wake-up is lost. */
    uv_cond_signal(&st->wake);
    if (st->in_flight++ == 0)
        uv_ref((uv_handle_t *)&st->async);
    return 0;
}

int ts_store_submit(ts_store *st, ts_store_apply_fn apply, ts_store_done_fn done, void *arg)
{
    return submit(st, apply, done, arg, 0);
}

int ts_store_submit_journal(ts_store *st, ts_store_apply_fn apply, ts_store_done_fn done, void *arg)
{
    return st->journal ? submit(st, apply, done, arg, 1) : TS_EINVAL;
}

void ts_store_use_journal(ts_store *st, ts_journal *j, const ts_store_journal_client *c)
{
    st->journal = j;
    st->jc = *c;
    st->stats.journal = 1;
}

ts_journal *ts_store_journal(ts_store *st)
{
    return st->journal;
}

int ts_store_is_readonly(const ts_store *st)
{
    return st->readonly;
}

int ts_store_checkpoint_now(ts_store *st)
{
    if (!st->journal || st->writer_started || !st->env)
        return TS_EINVAL;
    int rc;
    uint64_t left;
    do { /* a bounded chunk per commit, as on the writer */
        left = unfolded(st);
        if ((rc = apply_group(st, NULL)) != 0)
            return ts_store_err(rc);
        uv_mutex_lock(&st->mu);
        st->stats.commits++;
        st->stats.checkpoints++;
        uv_mutex_unlock(&st->mu);
    } while (unfolded(st) > 0 && unfolded(st) < left);
    if (unfolded(st) > 0)
        return TS_EIO;
    return ts_journal_reset(st->journal, st->jc.next_seq(st->jc.arg));
}

uint64_t ts_store_unfolded_room(ts_store *st)
{
    uv_mutex_lock(&st->mu);
    uint64_t map = st->stats.map_bytes, avail = st->stats.disk_avail_bytes;
    uint64_t total = st->stats.disk_total_bytes;
    int known = st->stats.disk_known;
    uv_mutex_unlock(&st->mu);
    uint64_t line = map / 100 * MAP_HARD_PCT;
    uint64_t room = line > st->lmdb_used ? line - st->lmdb_used : 0;
    if (known) { /* free pages inside the file first, then the disk */
        uint64_t reserve = total / 50;
        reserve = reserve < DISK_RESERVE_MIN   ? DISK_RESERVE_MIN
                  : reserve > DISK_RESERVE_MAX ? DISK_RESERVE_MAX
                                               : reserve;
        uint64_t disk = avail + (st->file_hw > st->lmdb_used ? st->file_hw - st->lmdb_used : 0);
        disk = disk > reserve / 2 ? disk - reserve / 2 : 0;
        room = disk < room ? disk : room;
    }
    return room;
}

void ts_store_check_readers_soon(ts_store *st)
{
    uv_mutex_lock(&st->mu);
    if (st->writer_started && !st->check_soon) {
        st->check_soon = 1;
        uv_cond_signal(&st->wake);
    }
    uv_mutex_unlock(&st->mu);
}

int ts_store_read_begin(ts_store *st, MDB_txn **txn)
{
    if (!st->env)
        return TS_EIO; /* a reopen after a disk fault has not succeeded yet */
    return ts_store_err(mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn));
}

void ts_store_read_end(MDB_txn *txn)
{
    if (txn)
        mdb_txn_abort(txn);
}

void ts_store_get_stats(ts_store *st, ts_store_stats *out)
{
    uv_mutex_lock(&st->mu);
    *out = st->stats;
    out->healthy = st->healthy;
    uv_mutex_unlock(&st->mu);
}

size_t ts_store_in_flight(const ts_store *st)
{
    return st->in_flight;
}

int ts_store_peek_format(const char *data_dir, uint32_t *fmt)
{
    char dir[1100];
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k = {6, "format"}, v;
    struct stat st;
    *fmt = 0;
    snprintf(dir, sizeof(dir), "%s/store", data_dir);
    if (stat(dir, &st) != 0) /* no store yet: any build may create it */
        return errno == ENOENT ? 0 : TS_EIO;
    int rc = mdb_env_create(&env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(env, 32);
    if (rc == 0)
        rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0640);
    if (rc == 0)
        rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
    if (rc == 0 && (rc = mdb_dbi_open(txn, "store_meta", 0, &dbi)) == 0 &&
        (rc = mdb_get(txn, dbi, &k, &v)) == 0 && v.mv_size == sizeof(*fmt))
        memcpy(fmt, v.mv_data, sizeof(*fmt));
    if (txn)
        mdb_txn_abort(txn);
    mdb_env_close(env);
    return rc == 0 || rc == MDB_NOTFOUND || rc == ENOENT ? 0 : TS_EIO;
}

int ts_store_healthy(ts_store *st)
{
    uv_mutex_lock(&st->mu);
    int ok = st->healthy;
    uv_mutex_unlock(&st->mu);
    return ok;
}

static void on_async_closed(uv_handle_t *h)
{
    ts_store *st = h->data;
    if (--st->handles_open > 0)
        return;
    if (st->env)
        mdb_env_close(st->env);
    ts_journal_close(st->journal);
    close(st->poke_fd);
    uv_cond_destroy(&st->wake);
    uv_mutex_destroy(&st->mu);
    free(st);
}

void ts_store_close(ts_store *st)
{
    uv_mutex_lock(&st->mu);
    st->stopping = 1;
    uv_cond_signal(&st->wake);
    int started = st->writer_started;
    uv_mutex_unlock(&st->mu);
    if (started)
        uv_thread_join(&st->writer); /* it writes what was queued, then returns */
    deliver_finished(st);
    uv_close((uv_handle_t *)&st->retry, on_async_closed);
    uv_close((uv_handle_t *)&st->async, on_async_closed);
}
