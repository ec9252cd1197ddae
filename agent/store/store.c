/*
 * store.c - the LMDB environment and its single writer thread (store.h).
 *
 * Group commit: the loop queues ops; the writer takes everything queued,
 * applies each op in a nested transaction of one write transaction and
 * commits once. While that commit (and its fsync) runs, new ops pile up in
 * the queue and ride the next commit together. So one fsync serves many
 * txns, the loop never waits on the disk, and durability is LMDB's: after
 * mdb_txn_commit returns, the data survives a crash or power cut.
 */
#include "store/store.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct store_op {
    ts_store_apply_fn apply;
    ts_store_done_fn done;
    void *arg;
    int err;
    struct store_op *next;
} store_op;

typedef struct op_list {
    store_op *head, *tail;
} op_list;

struct ts_store {
    MDB_env *env;
    MDB_dbi meta; /* store-level facts: the format version */
    uv_loop_t *loop;
    uv_thread_t writer;
    uv_mutex_t mu;    /* guards everything below */
    uv_cond_t wake;   /* the writer waits here for work */
    op_list queued;   /* submitted, not yet taken by the writer */
    op_list finished; /* committed or failed, waiting for the loop */
    uv_async_t async; /* the writer pokes the loop through it */
    size_t in_flight; /* loop thread only: ops submitted, not yet delivered */
    int stopping;
    int writer_started;
    int healthy;
    ts_store_stats stats;
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

static void list_push(op_list *l, store_op *op)
{
    op->next = NULL;
    if (l->tail)
        l->tail->next = op;
    else
        l->head = op;
    l->tail = op;
}

static store_op *list_take(op_list *l)
{
    store_op *h = l->head;
    l->head = l->tail = NULL;
    return h;
}

/* Pages in use. The high-water mark is an upper bound and costs nothing;
 * only near the 95 % line is it worth walking the free list (pages LMDB
 * will reuse) for the real figure. */
static uint64_t used_bytes(MDB_env *env)
{
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info(env, &info);
    mdb_env_stat(env, &st);
    uint64_t pages = (uint64_t)info.me_last_pgno + 1, free_pages = 0;
    if (pages * st.ms_psize * 100 < (uint64_t)info.me_mapsize * 90)
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

/* One group commit: every op in its own nested transaction, one fsync. */
static void commit_group(ts_store *st, store_op *ops)
{
    uint64_t t0 = uv_hrtime();
    MDB_txn *txn = NULL;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
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
    uint64_t used = used_bytes(st->env);
    size_t n = 0;
    for (store_op *op = ops; op; op = op->next, n++)
        if (rc && !op->err)
            op->err = ts_store_err(rc);
    if (rc)
        ts_error("store.commit_failed", "ops=%zu error=\"%s\"", n, mdb_strerror(rc));

    uv_mutex_lock(&st->mu);
    st->healthy = rc == 0;
    st->stats.commits += rc == 0;
    st->stats.commit_failures += rc != 0;
    st->stats.ops_committed += rc == 0 ? n : 0;
    st->stats.used_bytes = used;
    st->stats.last_commit_us = (uv_hrtime() - t0) / 1000;
    for (store_op *op = ops, *next; op; op = next) {
        next = op->next;
        list_push(&st->finished, op);
    }
    uv_mutex_unlock(&st->mu);
    uv_async_send(&st->async);
}

static void writer_main(void *arg)
{
    ts_store *st = arg;
    uv_mutex_lock(&st->mu);
    for (;;) {
        while (!st->queued.head && !st->stopping)
            uv_cond_wait(&st->wake, &st->mu);
        store_op *ops = list_take(&st->queued);
        if (!ops)
            break; /* stopping, and nothing left to write */
        uv_mutex_unlock(&st->mu);
        commit_group(st, ops);
        uv_mutex_lock(&st->mu);
    }
    uv_mutex_unlock(&st->mu);
}

/* On the loop: hand each finished op its result, in commit order. */
static void deliver_finished(ts_store *st)
{
    uv_mutex_lock(&st->mu);
    store_op *ops = list_take(&st->finished);
    uv_mutex_unlock(&st->mu);
    for (store_op *op = ops, *next; op; op = next) {
        next = op->next;
        if (--st->in_flight == 0)
            uv_unref((uv_handle_t *)&st->async);
        if (op->done)
            op->done(op->arg, op->err);
        free(op);
    }
}

static void on_async(uv_async_t *h)
{
    deliver_finished(h->data);
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
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "store_meta", MDB_CREATE, &st->meta);
    if (rc) {
        snprintf(err, errlen, "cannot open the store: %s", mdb_strerror(rc));
        if (txn)
            mdb_txn_abort(txn);
        return ts_store_err(rc);
    }
    MDB_val k = {6, "format"}, v;
    uint32_t mine = TS_STORE_FORMAT;
    rc = mdb_get(txn, st->meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        v.mv_size = sizeof(mine);
        v.mv_data = &mine;
        rc = mdb_put(txn, st->meta, &k, &v, 0);
    } else if (rc == 0) {
        uint32_t theirs = 0;
        if (v.mv_size == sizeof(theirs))
            memcpy(&theirs, v.mv_data, sizeof(theirs));
        if (theirs != mine) {
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

int ts_store_open(ts_store **out, uv_loop_t *loop, const char *data_dir, uint64_t map_bytes,
                  char *err, size_t errlen)
{
    char dir[1100];
    snprintf(dir, sizeof(dir), "%s/store", data_dir);
    if (mkdir_p(dir)) {
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
    int rc = mdb_env_create(&st->env);
    if (rc == 0)
        rc = mdb_env_set_mapsize(st->env, (size_t)map_bytes);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(st->env, 32);
    /* MDB_NOTLS: read transactions are not tied to the thread's TLS slot. */
    if (rc == 0)
        rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0640);
    if (rc) {
        snprintf(err, errlen, "cannot open LMDB in %s: %s", dir, mdb_strerror(rc));
        mdb_env_close(st->env);
        free(st);
        return ts_store_err(rc);
    }
    int dead = 0;
    mdb_reader_check(st->env, &dead); /* slots left by a killed process */
    int frc = check_format(st, err, errlen);
    if (frc) {
        mdb_env_close(st->env);
        free(st);
        return frc;
    }
    MDB_envinfo info;
    mdb_env_info(st->env, &info);
    st->stats.map_bytes = info.me_mapsize;
    uv_mutex_init(&st->mu);
    uv_cond_init(&st->wake);
    uv_async_init(loop, &st->async, on_async);
    st->async.data = st;
    /* The store keeps the loop running only while ops are in flight. */
    uv_unref((uv_handle_t *)&st->async);
    st->stats.used_bytes = used_bytes(st->env);
    *out = st;
    return 0;
}

int ts_store_dbi(ts_store *st, const char *name, unsigned flags, MDB_dbi *out)
{
    if (st->writer_started)
        return TS_EINVAL;
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc)
        return ts_store_err(rc);
    rc = mdb_dbi_open(txn, name, flags | MDB_CREATE, out);
    if (rc == 0)
        return ts_store_err(mdb_txn_commit(txn));
    mdb_txn_abort(txn);
    return ts_store_err(rc);
}

int ts_store_submit(ts_store *st, ts_store_apply_fn apply, ts_store_done_fn done, void *arg)
{
    store_op *op = calloc(1, sizeof(*op));
    if (!op)
        return TS_ENOMEM;
    op->apply = apply;
    op->done = done;
    op->arg = arg;
    uv_mutex_lock(&st->mu);
    if (st->stopping) {
        uv_mutex_unlock(&st->mu);
        free(op);
        return TS_ECANCELED;
    }
    if (!st->writer_started) {
        if (uv_thread_create(&st->writer, writer_main, st) != 0) {
            uv_mutex_unlock(&st->mu);
            free(op);
            return TS_EIO;
        }
        st->writer_started = 1;
    }
    list_push(&st->queued, op);
    uv_cond_signal(&st->wake);
    uv_mutex_unlock(&st->mu);
    if (st->in_flight++ == 0)
        uv_ref((uv_handle_t *)&st->async);
    return 0;
}

int ts_store_read_begin(ts_store *st, MDB_txn **txn)
{
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
    mdb_env_close(st->env);
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
    uv_close((uv_handle_t *)&st->async, on_async_closed);
}
