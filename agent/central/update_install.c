/* update_install.c - verify and install off the loop (see update_install.h). */
#include "central/update_install.h"
#include "core/elfcheck.h"
#include "core/error.h"
#include "crypto/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static int hash_file(const char *path, uint8_t digest[32])
{
    static __thread uint8_t buf[64 * 1024];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ts_sha256_ctx *c = fd >= 0 ? ts_sha256_new() : NULL;
    ssize_t n = 0;
    if (!c) {
        if (fd >= 0)
            close(fd);
        return TS_EIO;
    }
    while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            ts_sha256_update(c, buf, (size_t)n);
    ts_sha256_finish(c, digest);
    close(fd);
    return n < 0 ? TS_EIO : 0;
}

int ts_update_verify_file(const char *path, const char *sha256_hex, const char *sig_b64,
                          const char *pubkey, char *why, size_t whylen)
{
    uint8_t digest[32];
    char hex[65];
    if (hash_file(path, digest) != 0) {
        snprintf(why, whylen, "cannot read the downloaded file");
        return TS_EIO;
    }
    ts_hex32(digest, hex);
    if (strcasecmp(hex, sha256_hex) != 0) {
        snprintf(why, whylen,
                 "the downloaded file's SHA-256 (%.12s...) does not match the offer's (%.12s...): "
                 "damaged or truncated download, or a wrong offer",
                 hex, sha256_hex);
        return TS_EINVAL;
    }
    int rc = ts_verify_update_signature(sig_b64, digest, pubkey, why, whylen);
    if (rc)
        return rc;
    return ts_elf_check_file(path, why, whylen);
}

static int mkdir_durable(const char *path)
{
    if (mkdir(path, 0750) != 0 && errno != EEXIST)
        return TS_EIO;
    return ts_fsync_parent(path);
}

/* .part -> versions/<v>/tillsync: fsync the file, rename, fsync both dirs. */
static int place_binary(ts_update_job *j)
{
    char dir[TS_PATH_MAX + 128], bin[TS_PATH_MAX + 160];
    snprintf(dir, sizeof(dir), "%s/versions", j->data_dir);
    if (mkdir_durable(dir) != 0)
        return TS_EIO;
    snprintf(dir, sizeof(dir), "%s/versions/%s", j->data_dir, j->version);
    if (mkdir_durable(dir) != 0)
        return TS_EIO;
    ts_update_binary_path(j->data_dir, j->version, bin, sizeof(bin));
    int fd = open(j->part, O_RDONLY | O_CLOEXEC);
    int rc = fd >= 0 && fchmod(fd, 0755) == 0 && fsync(fd) == 0 ? 0 : TS_EIO;
    if (fd >= 0)
        close(fd);
    if (rc == 0 && rename(j->part, bin) != 0)
        rc = TS_EIO;
    if (rc == 0)
        rc = ts_fsync_parent(bin);
    return rc ? rc : ts_fsync_parent(j->part);
}

/* The state first (a power cut between the two leaves current on the old
 * version, which ignores a probation that is not its own), then current. */
static int switch_to_new(ts_update_job *j)
{
    ts_update_state *st = &j->state;
    snprintf(st->previous, sizeof(st->previous), "%s", j->running_installed ? j->running : "");
    snprintf(st->previous_label, sizeof(st->previous_label), "%s", j->running);
    st->previous_format = j->store_format;
    snprintf(st->probation, sizeof(st->probation), "%s", j->version);
    st->starts = 0;
    st->first_start_ms = 0;
    ts_update_set_result(st, 0, "%s installed; restarting into it between sales", j->version);
    int rc = ts_update_state_save(j->data_dir, st);
    return rc ? rc : ts_update_switch_current(j->data_dir, j->version);
}

static void work(uv_work_t *w)
{
    ts_update_job *j = w->data;
    j->rc =
        ts_update_verify_file(j->part, j->sha256, j->signature, j->pubkey, j->why, sizeof(j->why));
    if (j->rc) {
        unlink(j->part);
        return;
    }
    if ((j->rc = place_binary(j)) != 0) {
        snprintf(j->why, sizeof(j->why), "cannot install into %.200s/versions: %s", j->data_dir,
                 strerror(errno));
        unlink(j->part);
        return;
    }
    if ((j->rc = switch_to_new(j)) != 0)
        snprintf(j->why, sizeof(j->why), "cannot switch %.200s/current: %s", j->data_dir,
                 strerror(errno));
}

static void after_work(uv_work_t *w, int status)
{
    ts_update_job *j = w->data;
    if (status != 0 && j->rc == 0) {
        j->rc = TS_ECANCELED;
        snprintf(j->why, sizeof(j->why), "stopped before the check ended");
    }
    if (j->done)
        j->done(j->arg, j);
    else
        free(j); /* the update module stopped meanwhile */
}

int ts_update_job_queue(uv_loop_t *loop, ts_update_job *job)
{
    job->work.data = job;
    return uv_queue_work(loop, &job->work, work, after_work) == 0 ? 0 : TS_EIO;
}
