/*
 * fsinfo.h - what the file system under a path has room for
 * (agent/core/fsinfo.c), for the status page and /metrics.
 *
 * One statvfs() call: it reads the file system's in-memory counters and
 * does not touch the disk, so it is cheap enough to call on the loop for a
 * status request.
 */
#ifndef TILLSYNC_FSINFO_H
#define TILLSYNC_FSINFO_H

#include <stdint.h>

typedef struct ts_fs_space {
    uint64_t total_bytes; /* size of the file system */
    uint64_t avail_bytes; /* free to an unprivileged writer (what the agent can use) */
} ts_fs_space;

/* Fills out for the file system holding path; 0 or TS_EIO. */
int ts_fs_space_of(const char *path, ts_fs_space *out);

#endif
