/*
 * update.h - signed self-update (spec: update.md; operator view:
 * docs/update.md).
 *
 * Watches the "update" offer of central's config, and for an acceptable one
 * (newer than the running version unless update.allow_downgrade, never a
 * version marked bad) downloads it on the loop (update_fetch.c), verifies
 * SHA-256, the ECDSA P-256 signature and the ELF machine, installs it as
 * data_dir/versions/<v>/tillsync and switches data_dir/current
 * (update_install.c), then asks main to restart between sales: no POST for
 * update.idle_s and no LMDB write in hand, or update.max_wait_s at the
 * latest. A version on probation marks itself good once its store is open,
 * it served the local API and central acknowledged a heartbeat or batch
 * within update.health_grace_s; else it rolls itself back. The launcher
 * (agent/launcher.c) counts starts and rolls back builds that crash.
 */
#ifndef TILLSYNC_UPDATE_H
#define TILLSYNC_UPDATE_H

#include <stdint.h>

#include "central/update_state.h"
#include "core/agent.h"
#include "core/buf.h"

typedef struct ts_update ts_update;

typedef enum {
    TS_UPDATE_IDLE = 0,
    TS_UPDATE_DOWNLOADING,
    TS_UPDATE_VERIFYING,
    TS_UPDATE_WAITING_FOR_QUIET,
    TS_UPDATE_INSTALLING,
    TS_UPDATE_PROBATION,
    TS_UPDATE_GOOD,
    TS_UPDATE_ROLLED_BACK,
    TS_UPDATE_REFUSED,
    TS_UPDATE_STATE_COUNT
} ts_update_state_id;

/* Main restarts the process into the launcher (restart_fn); the update
 * module only says when. why: "update" or "rollback". */
typedef void (*ts_update_restart_fn)(void *arg, const char *why);

/* A typed view for the report layer (status, metrics, CLI). */
typedef struct ts_update_snapshot {
    const char *running;
    char offered[TS_SEMVER_MAX + 1]; /* "" when nothing is offered */
    ts_update_state_id state;
    const char *state_name;
    uint64_t progress_bytes;
    int64_t size_bytes;      /* -1 unknown */
    const char *last_result; /* "" none */
    int64_t last_result_ms;
    int rolled_back;
    int probation_starts;
    uint64_t rollbacks_total, refusals_total, downloads_total, download_failures_total;
    const ts_update_state *files; /* bad versions with reasons */
} ts_update_snapshot;

/* Starts watching (a->update). Needs a->uplink and a->store. */
int ts_update_start(ts_agent *a, ts_update_restart_fn restart, void *arg);
void ts_update_stop(ts_agent *a);
/* The router tells of each request (a POST resets the quiet time; any
 * answered request counts as "served the local API"). */
void ts_update_note_request(ts_agent *a, int is_post);

void ts_update_get_snapshot(ts_agent *a, ts_update_snapshot *out);

const char *ts_update_state_name(ts_update_state_id s);

#endif
