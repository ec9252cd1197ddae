/*
 * journal.h - the intake journal: append-only segments, one flush per group
 * (docs/intake-journal.md).
 *
 * Records are opaque payloads with a seq given by the caller, strictly
 * increasing by one. ts_journal_add buffers, ts_journal_sync writes the
 * buffered group with one pwrite and one fdatasync: after it returns 0 the
 * group survives a power cut. Replay hands back, in order and without a
 * gap, every record after a given seq. Not thread-safe: one owner (the
 * store's writer thread, or the opener before it starts).
 */
#ifndef TILLSYNC_JOURNAL_H
#define TILLSYNC_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct ts_journal ts_journal;

/* Largest payload of one record. */
#define TS_JOURNAL_MAX_RECORD (1u << 20)

typedef struct ts_journal_stats {
    uint64_t fsyncs;            /* fdatasyncs of segments (not of the directory) */
    uint64_t groups;            /* groups made durable */
    uint64_t records;           /* records made durable */
    uint64_t bytes_written;     /* bytes handed to pwrite for groups */
    uint64_t segments_created;  /* zero-filled from scratch */
    uint64_t segments_recycled; /* taken from the spares */
    uint64_t sync_failures;     /* groups whose write or flush failed */
    int direct;                 /* segments are written with O_DIRECT */
} ts_journal_stats;

typedef struct ts_journal_replay_info {
    uint64_t records;  /* handed to the callback */
    uint64_t last_seq; /* seq of the last one (after_seq when none) */
    int damaged;       /* 1: records past a bad one or past a missing segment
                        * were found and not replayed (logged) */
    char why[128];     /* what ended the journal */
} ts_journal_replay_info;

typedef int (*ts_journal_replay_fn)(void *arg, uint64_t seq, const void *payload, size_t len);

/* Opens (creating) dir. segment_bytes is rounded to whole 64 KiB. */
int ts_journal_open(ts_journal **out, const char *dir, uint64_t segment_bytes);
void ts_journal_close(ts_journal *j);

/* Calls fn for every record with seq after_seq+1, after_seq+2, ... in the
 * segments, stopping at the first gap, torn or bad record. fn returning
 * non-zero stops the replay with that code. */
int ts_journal_replay(ts_journal *j, uint64_t after_seq, ts_journal_replay_fn fn, void *arg,
                      ts_journal_replay_info *info);

/* Every record up to next_seq-1 is checkpointed: recycle every segment and
 * start the next one at next_seq (its header is written with the first
 * group). Also the way out after a failed sync. */
int ts_journal_reset(ts_journal *j, uint64_t next_seq);
/* Records up to through_seq are checkpointed (in LMDB): recycle the
 * segments before the current one that hold nothing past it. */
int ts_journal_checkpoint(ts_journal *j, uint64_t through_seq);

/* Buffers one record of the current group. TS_ETOOBIG, TS_ENOMEM, TS_EIO
 * (a flush of a full buffer or segment failed: the group is lost),
 * TS_EINVAL (seq out of order, or the journal is broken: reset it). */
int ts_journal_add(ts_journal *j, uint64_t seq, const void *payload, size_t len);
/* Writes the group and flushes it (one fdatasync per segment it touched).
 * 0: durable. On failure the group is dropped and the journal is broken
 * until ts_journal_reset. A group with no record costs nothing. */
int ts_journal_sync(ts_journal *j);
/* Drops the group in hand and breaks the journal until a reset (a record
 * of it must never reach the disk). */
void ts_journal_fail(ts_journal *j);
/* 1 after a failed sync, until a reset. */
int ts_journal_broken(const ts_journal *j);
/* Disk the journal may still have to take: a segment's size when no spare
 * is ready for the next segment, else 0. */
uint64_t ts_journal_disk_need(const ts_journal *j);
/* Seq the next record must carry (0: not known until a reset). */
uint64_t ts_journal_next_seq(const ts_journal *j);

void ts_journal_get_stats(const ts_journal *j, ts_journal_stats *out);

uint32_t ts_crc32c(uint32_t crc, const void *data, size_t len);

#endif
