/*
 * pc_state.c - the harness's on-disk record (pc_state.h). Raw syscalls
 * only: the shim links this, and must not call its own interposed
 * functions.
 */
#include "pc_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int pc_open(const char *path, int flags, int mode)
{
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, mode);
}

int pc_close(int fd)
{
    return (int)syscall(SYS_close, fd);
}

ssize_t pc_pread(int fd, void *buf, size_t n, off_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = syscall(SYS_pread64, fd, (char *)buf + done, n - done, off + (off_t)done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -1 : (ssize_t)done;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

ssize_t pc_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r =
            syscall(SYS_pwrite64, fd, (const char *)buf + done, n - done, off + (off_t)done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

int pc_write_all(int fd, const void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = syscall(SYS_write, fd, (const char *)buf + done, n - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

int pc_ftruncate(int fd, off_t len)
{
    return (int)syscall(SYS_ftruncate, fd, len);
}

off_t pc_size(int fd)
{
    struct stat sb;
    if (syscall(SYS_fstat, fd, &sb) != 0)
        return -1;
    return sb.st_size;
}

int pc_rename(const char *from, const char *to)
{
    return (int)syscall(SYS_renameat, AT_FDCWD, from, AT_FDCWD, to);
}

int pc_unlink(const char *path)
{
    return (int)syscall(SYS_unlinkat, AT_FDCWD, path, 0);
}

void pc_path(char *out, size_t n, const char *dir, const char *fmt, int id)
{
    /* fmt is one of the state's file names: "f%d.img", "f%d.log", "fold" */
    if (strcmp(fmt, "f%d.img") == 0 || strcmp(fmt, "f%d.log") == 0)
        snprintf(out, n, "%s/f%d.%s", dir, id, fmt + 4);
    else
        snprintf(out, n, "%s/%s", dir, fmt);
}

/* ---- namespace ---- */

int pc_ns_find(const pc_entry *ent, int n_ent, const char *name)
{
    for (int i = 0; i < n_ent; i++)
        if (strcmp(ent[i].name, name) == 0)
            return i;
    return -1;
}

static void ns_remove(pc_entry *ent, int *n_ent, const char *name)
{
    int i = pc_ns_find(ent, *n_ent, name);
    if (i >= 0)
        ent[i] = ent[--*n_ent];
}

void pc_ns_apply(pc_entry *ent, int *n_ent, const pc_op *op)
{
    if (op->kind == 'U') {
        ns_remove(ent, n_ent, op->name);
        return;
    }
    const char *name = op->kind == 'R' ? op->to : op->name;
    if (op->kind == 'R')
        ns_remove(ent, n_ent, op->name);
    ns_remove(ent, n_ent, name);
    if (*n_ent >= PC_MAX_FILES)
        return;
    ent[*n_ent].id = op->id;
    snprintf(ent[*n_ent].name, PC_NAME_MAX, "%s", name);
    ++*n_ent;
}

void pc_ns_commit(pc_ns *ns, int upto)
{
    for (int i = 0; i < upto; i++)
        pc_ns_apply(ns->ent, &ns->n_ent, &ns->op[i]);
    memmove(ns->op, ns->op + upto, (size_t)(ns->n_op - upto) * sizeof(pc_op));
    ns->n_op -= upto;
}

static int read_small(const char *path, char **out)
{
    *out = NULL;
    int fd = pc_open(path, O_RDONLY, 0);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    off_t size = pc_size(fd);
    char *buf = size >= 0 ? malloc((size_t)size + 1) : NULL;
    ssize_t r = buf ? pc_pread(fd, buf, (size_t)size, 0) : -1;
    pc_close(fd);
    if (r != size) {
        free(buf);
        return -1;
    }
    buf[size] = '\0';
    *out = buf;
    return 0;
}

int pc_ns_load(const char *state, pc_ns *ns)
{
    char path[1200], *text;
    memset(ns, 0, sizeof(*ns));
    snprintf(path, sizeof(path), "%s/ns", state);
    if (read_small(path, &text) != 0)
        return -1;
    int rc = 0;
    for (char *save = NULL, *line = text ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == 'D' && ns->n_ent < PC_MAX_FILES) {
            pc_entry *e = &ns->ent[ns->n_ent];
            if (sscanf(line, "D %d %239s", &e->id, e->name) != 2)
                rc = -1;
            else
                ns->n_ent++;
        } else if (line[0] == 'P' && ns->n_op < PC_MAX_OPS) {
            pc_op *o = &ns->op[ns->n_op];
            int n = sscanf(line, "P %c %d %239s %239s", &o->kind, &o->id, o->name, o->to);
            if (n < 3 || (o->kind == 'R' && n != 4))
                rc = -1;
            else
                ns->n_op++;
        } else {
            rc = -1;
        }
    }
    free(text);
    return rc;
}

int pc_ns_save(const char *state, const pc_ns *ns)
{
    char path[1200], tmp[1200];
    snprintf(path, sizeof(path), "%s/ns", state);
    snprintf(tmp, sizeof(tmp), "%s/ns.tmp", state);
    size_t cap = (size_t)(ns->n_ent + ns->n_op + 1) * (2 * PC_NAME_MAX + 32);
    char *buf = malloc(cap);
    if (!buf)
        return -1;
    size_t len = 0;
    for (int i = 0; i < ns->n_ent; i++)
        len += (size_t)snprintf(buf + len, cap - len, "D %d %s\n", ns->ent[i].id, ns->ent[i].name);
    for (int i = 0; i < ns->n_op; i++) {
        const pc_op *o = &ns->op[i];
        len += (size_t)snprintf(buf + len, cap - len, "P %c %d %s%s%s\n", o->kind, o->id, o->name,
                                o->kind == 'R' ? " " : "", o->kind == 'R' ? o->to : "");
    }
    int fd = pc_open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int rc = fd < 0 || pc_write_all(fd, buf, len) != 0 ? -1 : 0;
    if (fd >= 0)
        pc_close(fd);
    free(buf);
    /* No fsync: the state only has to survive SIGKILL, and the page cache
     * does. The rename makes the switch atomic for pc_restore. */
    return rc == 0 ? pc_rename(tmp, path) : -1;
}

/* ---- logs ---- */

int pc_log_read(int fd, pc_log *log)
{
    memset(log, 0, sizeof(*log));
    off_t size = pc_size(fd);
    if (size < 0)
        return -1;
    log->size = (size_t)size;
    log->buf = malloc(log->size + 1);
    if (!log->buf || pc_pread(fd, log->buf, log->size, 0) != size)
        goto fail;
    size_t cap = 0;
    for (size_t at = 0; at + sizeof(pc_rec) <= log->size;) {
        pc_rec r;
        memcpy(&r, log->buf + at, sizeof(r));
        if (r.magic != PC_MAGIC || r.len > log->size - at - sizeof(r))
            break; /* the tail of a record the kill cut short */
        if (log->n == cap) {
            cap = cap ? 2 * cap : 64;
            pc_rec *nr = realloc(log->recs, cap * sizeof(*nr));
            if (nr)
                log->recs = nr;
            size_t *nd = realloc(log->data_at, cap * sizeof(*nd));
            if (nd)
                log->data_at = nd;
            if (!nr || !nd)
                goto fail;
        }
        log->recs[log->n] = r;
        log->data_at[log->n] = at + sizeof(r);
        if (r.kind == PC_LOST)
            log->last_lost = log->n + 1;
        log->n++;
        at += sizeof(r) + r.len;
    }
    return 0;
fail:
    pc_log_free(log);
    return -1;
}

void pc_log_free(pc_log *log)
{
    free(log->buf);
    free(log->recs);
    free(log->data_at);
    memset(log, 0, sizeof(*log));
}

int pc_log_fold(const pc_log *log, int img_fd)
{
    for (size_t i = 0; i < log->n; i++) {
        const pc_rec *r = &log->recs[i];
        if (i < log->last_lost && !(r->flags & PC_DURABLE))
            continue; /* a failed fsync dropped it for good */
        if (r->kind == PC_WRITE &&
            pc_pwrite(img_fd, log->buf + log->data_at[i], r->len, (off_t)r->off) < 0)
            return -1;
        if (r->kind == PC_TRUNC && pc_ftruncate(img_fd, (off_t)r->off) != 0)
            return -1;
    }
    return 0;
}
