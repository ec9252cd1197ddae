/*
 * update_state.h - what the self-update keeps in data_dir (update.md), shared
 * by the launcher (agent/launcher.c, before any agent code runs) and the
 * update module (central/update.c):
 *
 *   data_dir/versions/<v>/tillsync   installed builds
 *   data_dir/current                 symlink to versions/<v>; absent: the
 *                                    packaged binary runs itself
 *   data_dir/update-state.json       previous version, the version on
 *                                    probation and its start count, the bad
 *                                    versions with reason, the last result
 *
 * Every write is write + fsync + rename + fsync of the directory, so a
 * power cut leaves the old or the new file, never half of one.
 */
#ifndef TILLSYNC_UPDATE_STATE_H
#define TILLSYNC_UPDATE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/semver.h"

#define TS_UPDATE_MAX_BAD 16
#define TS_UPDATE_REASON_MAX 256

typedef struct ts_update_bad {
    char version[TS_SEMVER_MAX + 1];
    char reason[TS_UPDATE_REASON_MAX];
    int starts;
    int64_t at_ms;
} ts_update_bad;

typedef struct ts_update_state {
    /* The version to switch back to; "" = the packaged binary. */
    char previous[TS_SEMVER_MAX + 1];
    char previous_label[TS_SEMVER_MAX + 1]; /* its version number, for words */
    uint32_t previous_format;               /* store format it reads (0: unknown) */
    char probation[TS_SEMVER_MAX + 1];      /* "" when none is on probation */
    int starts;                             /* counted by the launcher */
    int64_t first_start_ms;
    ts_update_bad bad[TS_UPDATE_MAX_BAD];
    int n_bad;
    char last_result[TS_UPDATE_REASON_MAX * 2];
    int64_t last_result_ms;
    int rolled_back;    /* the last result is a rollback */
    uint64_t rollbacks; /* since the state file was made */
} ts_update_state;

/* A missing file gives an empty state (0). TS_EIO on an unreadable one. */
int ts_update_state_load(const char *data_dir, ts_update_state *st);
int ts_update_state_save(const char *data_dir, const ts_update_state *st);

int ts_update_is_bad(const ts_update_state *st, const char *version);
/* Adds (or refreshes) a bad version; the oldest entry goes when full. */
void ts_update_mark_bad(ts_update_state *st, const char *version, const char *reason, int starts);
void ts_update_set_result(ts_update_state *st, int rolled_back, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The version data_dir/current names, into out; TS_ENOTFOUND when there
 * is no link (the packaged binary runs). */
int ts_update_read_current(const char *data_dir, char *out, size_t outlen);
/* Points current at versions/<version> (NULL or "": removes the link). */
int ts_update_switch_current(const char *data_dir, const char *version);
/* data_dir/versions/<version>/tillsync into out. */
void ts_update_binary_path(const char *data_dir, const char *version, char *out, size_t outlen);

/* Writes path with data (a small file), durably: tmp, fsync, rename, fsync dir. */
int ts_write_file_durable(const char *path, const void *data, size_t len, int mode);
/* fsyncs the directory holding path (after a rename into it). */
int ts_fsync_parent(const char *path);

/*
 * Ends a failed probation: marks st->probation bad with reason and the
 * start count, switches current back to the previous version, writes the
 * result words. store_format: the store's format now; when the previous
 * version cannot read it (one-way update), current is not switched back
 * and 1 is returned (the caller keeps the new version running), else 0.
 */
int ts_update_roll_back(const char *data_dir, ts_update_state *st, const char *reason,
                        uint32_t store_format);

#endif
