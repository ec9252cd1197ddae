/*
 * update_install.h - verifying and installing a downloaded build (update.md
 * steps 3 and 4), on libuv's thread pool so the loop never waits for the
 * hash of 64 MiB or an fsync: SHA-256 against the offer, the signature
 * against update.public_key_file, the ELF machine against this build; then
 * the .part file becomes data_dir/versions/<v>/tillsync (fsync, rename,
 * fsync of both directories), the state file names the running version as
 * the previous one and the new one as on probation, and data_dir/current
 * is switched. Any failure deletes the file and changes nothing.
 */
#ifndef TILLSYNC_UPDATE_INSTALL_H
#define TILLSYNC_UPDATE_INSTALL_H

#include <uv.h>

#include "central/update_state.h"
#include "config/config.h"

typedef struct ts_update_job ts_update_job;
typedef void (*ts_update_job_done)(void *arg, ts_update_job *job);

struct ts_update_job {
    uv_work_t work;
    char data_dir[TS_PATH_MAX];
    char part[TS_PATH_MAX + 128];
    char pubkey[TS_PATH_MAX];
    char version[TS_SEMVER_MAX + 1];
    char sha256[65];
    char signature[256];
    char running[TS_SEMVER_MAX + 1]; /* becomes the previous version */
    int running_installed;           /* 0: the packaged binary runs */
    uint32_t store_format;
    ts_update_state state; /* in: the state now; out: as written */
    int rc;                /* 0 installed; else why says what failed */
    char why[512];
    ts_update_job_done done;
    void *arg;
};

/* Queues the job; done runs on the loop. */
int ts_update_job_queue(uv_loop_t *loop, ts_update_job *job);

/* The checks alone, for tests: sha256 hex, signature, ELF. */
int ts_update_verify_file(const char *path, const char *sha256_hex, const char *sig_b64,
                          const char *pubkey, char *why, size_t whylen);

#endif
