/*
 * store.h - the LMDB environment and its single writer (group commit).
 *
 * Owns the LMDB environment in data_dir, the store-format version checked at
 * open, and the writer thread. Modules that keep data (txnlog, catalog) own
 * their named databases and hand the writer small "apply" functions; the
 * writer runs every op queued while its previous commit was in flight inside
 * one LMDB write transaction, one nested transaction per op (an op that
 * fails is rolled back alone), commits once (one fsync for all), then calls
 * each op's "done" back on the loop thread. So the loop never waits on disk
 * and throughput grows with the number of concurrent writers.
 *
 * Reads happen on the loop thread in short read-only transactions: LMDB
 * reads are lock-free and do not wait for the writer.
 */
#ifndef TILLSYNC_STORE_H
#define TILLSYNC_STORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Bump on any incompatible change of layout. A build that bumps it is a
 * one-way update (docs/update.md): the build before it refuses the store.
 * TS_STORE_FORMAT_OVERRIDE exists for the update tests only. */
#ifdef TS_STORE_FORMAT_OVERRIDE
#define TS_STORE_FORMAT TS_STORE_FORMAT_OVERRIDE
#else
#define TS_STORE_FORMAT 1
#endif

typedef struct ts_store ts_store;

/* Runs on the writer thread inside a nested write transaction. Must only
 * touch txn and its own arg. Returns 0, or a TS_E* code that rolls back
 * this op alone (TS_EFULL for MDB_MAP_FULL). */
typedef int (*ts_store_apply_fn)(MDB_txn *txn, void *arg);
/* Runs on the loop thread once the group commit holding the op is on disk
 * (err 0) or the op or its commit failed (err < 0: nothing of it stored). */
typedef void (*ts_store_done_fn)(void *arg, int err);

typedef struct ts_store_stats {
    uint64_t commits;       /* group commits done */
    uint64_t ops_committed; /* ops carried by them */
    uint64_t commit_failures;
    uint64_t reopens;               /* environment reopened after a disk fault: the map moved */
    uint64_t map_bytes;             /* size of the map */
    uint64_t used_bytes;            /* pages in use, with the journal's unfolded sales' estimate */
    uint64_t lmdb_used_bytes;       /* pages in use in LMDB alone */
    uint64_t file_bytes;            /* pages the data file holds, in use or free */
    uint64_t last_commit_us;        /* duration of the last commit with its fsync */
    uint64_t stale_readers_cleared; /* reader slots of dead processes freed */
    int healthy;                    /* ts_store_healthy() */
    int disk_known;                 /* statvfs of data_dir worked */
    int not_open;                   /* could not be opened at all: last_error says why */
    uint64_t disk_avail_bytes, disk_total_bytes;
    char last_error[160]; /* LMDB's words for the last failed commit or open */
    uint64_t fsyncs;      /* flushes: 2 per LMDB commit (data, meta), 1 per journal group */
    int journal;          /* the intake journal is on */
    uint64_t journal_groups, journal_records, journal_bytes, checkpoints;
} ts_store_stats;

/* Opens (creating) data_dir/store/, checks the format version. map_bytes
 * must fit the address space (config.h default). */
int ts_store_open(ts_store **out, uv_loop_t *loop, const char *data_dir, uint64_t map_bytes,
                  char *err, size_t errlen);
/* Opens data_dir/store/ for reading only (MDB_RDONLY: no write lock, no
 * writer; submits fail). For tools beside a running agent. */
int ts_store_open_readonly(ts_store **out, uv_loop_t *loop, const char *data_dir, char *err,
                           size_t errlen);
/* Opens or creates a named database; only before the first submit. */
int ts_store_dbi(ts_store *st, const char *name, unsigned flags, MDB_dbi *out);
/* Starts the writer thread, once every module has opened its databases
 * (ts_store_dbi is refused after), so the first sale after a start does not
 * pay for creating it. ts_store_submit starts it too if nobody did. */
int ts_store_start(ts_store *st);

/* Queues an op for the next group commit. */
int ts_store_submit(ts_store *st, ts_store_apply_fn apply, ts_store_done_fn done, void *arg);
/* Asks the writer for a stale-reader check now (before a 507: pinned
 * pages look used). Does not wait. */
void ts_store_check_readers_soon(ts_store *st);
/* Short read-only transaction on the loop thread. */
int ts_store_read_begin(ts_store *st, MDB_txn **txn);
void ts_store_read_end(MDB_txn *txn);
void ts_store_get_stats(ts_store *st, ts_store_stats *out);
/* Is the store writable (for /healthz): the last commit did not fail. */
int ts_store_healthy(ts_store *st);
/* Writes every op already queued, stops the writer, delivers the results,
 * then closes LMDB once the loop has run the close callbacks. Blocks for
 * the last commit: call only at shutdown. Later submits get TS_ECANCELED. */
void ts_store_close(ts_store *st);

/* Ops submitted and not yet delivered (0: no LMDB write in hand). */
size_t ts_store_in_flight(const ts_store *st);
/* Reads the format number of the store in data_dir without opening it for
 * writing (the launcher, before it chooses a version): *fmt is 0 when
 * there is no store yet. Must not be called while this process has the
 * store open. 0 or TS_EIO. */
int ts_store_peek_format(const char *data_dir, uint32_t *fmt);

/* ---- the intake journal (docs/intake-journal.md) ----
 * With a journal, ops submitted with ts_store_submit_journal do not open an
 * LMDB write transaction: their apply gets a read-only transaction and
 * writes records to the journal (ts_store_journal); the writer flushes the
 * journal once per group. The client keeps what is journaled and not yet
 * in LMDB, and folds it into LMDB at checkpoints: before any other op's
 * commit, when due(), and at close. Every hook runs on the writer thread
 * (or on the opener's, before the writer starts). */
struct ts_journal;
typedef struct ts_store_journal_client {
    void *arg;
    int (*fold)(MDB_txn *txn, void *arg); /* apply the oldest journaled (a bounded chunk;
                                           * all of it when not due) to txn */
    void (*folded)(void *arg, int err);   /* the commit holding the fold is done */
    void (*synced)(void *arg, int err);   /* a group's journal flush is done */
    /* Is a fold due: idle 0 before another LMDB write (what is left must
     * fit that commit), idle 1 with no other write in hand (size, age). */
    int (*due)(void *arg, int idle);
    uint64_t (*next_seq)(void *arg);       /* seq after the last journaled one */
    uint64_t (*unfolded_bytes)(void *arg); /* estimate of their LMDB footprint */
    uint64_t (*folded_seq)(void *arg);     /* LMDB's last seq after the last fold */
} ts_store_journal_client;
/* Before the writer starts; the store owns j from then on. */
void ts_store_use_journal(ts_store *st, struct ts_journal *j, const ts_store_journal_client *c);
struct ts_journal *ts_store_journal(ts_store *st);
int ts_store_submit_journal(ts_store *st, ts_store_apply_fn apply, ts_store_done_fn done,
                            void *arg);
/* Checkpoints now and starts a fresh journal segment: at open, after the
 * replay, before the writer starts. */
int ts_store_checkpoint_now(ts_store *st);
/* Writer thread: bytes the journaled, unfolded sales may still take, all
 * told (LMDB's estimate of them included), before the fold could meet a
 * full map or a full disk: the map's hard line is 95 %, the disk's half
 * the intake's reserve, and the journal keeps room for its next segment.
 * A journaled append refuses a sale that would cross it. */
uint64_t ts_store_unfolded_room(ts_store *st);
int ts_store_is_readonly(const ts_store *st);

/* Map an LMDB return code to TS_E*. */
int ts_store_err(int mdb_rc);

#endif
