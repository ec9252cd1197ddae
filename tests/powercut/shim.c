/*
 * shim.c - LD_PRELOAD layer of the power-cut harness (docs/reliability.md).
 *
 * Watches every file under $TS_PC_DIR and records into $TS_PC_STATE what a
 * power cut could keep of it (pc_state.h): a durable image per file as of
 * its last successful fsync/fdatasync, plus each write since. O_DSYNC/O_SYNC
 * writes are durable when they return (LMDB writes its meta page so).
 * Directory entries (create, rename, unlink) follow ext4's journal, taken
 * conservatively: they become durable, in order, when the directory is
 * fsynced or when the file they name is fsynced (its fsync commits the
 * journal transaction holding its own entry); nothing else is assumed.
 *
 * Faults: the file $TS_PC_STATE/fault, read on every watched call, holds
 * e.g. "write=EIO fsync=ENOSPC" ("dsync_write=EIO": only writes through
 * O_DSYNC fds, LMDB's meta page; "open=EROFS": opening a file under the
 * directory for writing, as after a read-only remount; EIO, ENOSPC and
 * EROFS are known). A failed write writes nothing; a failed
 * fsync loses, for good, every write to that file not yet durable (Linux
 * marks the pages clean: PostgreSQL's "fsyncgate").
 *
 * Files named $TS_PC_IGNORE (default lock.mdb: LMDB's reader table, which
 * LMDB rebuilds after a crash) are not watched. A writable shared mapping
 * of a watched file cannot be modelled: it is reported in "unsupported".
 * TS_PC_LIE=1 models a disk that lies about flushes (nothing is ever
 * durable): the tests use it to show that they notice lost sales.
 */
#include "pc_state.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define FD_MAX 4096

typedef struct watched_fd {
    int id;    /* 0: not watched; -1: a watched directory */
    int dsync; /* opened O_DSYNC or O_SYNC */
} watched_fd;

static struct {
    int active;
    char dir[PATH_MAX]; /* canonical $TS_PC_DIR */
    size_t dir_len;
    char state[PATH_MAX];
    const char *ignore;
    int lie; /* TS_PC_LIE=1: a disk that acknowledges flushes and keeps nothing */
    pthread_mutex_t mu;
    watched_fd fds[FD_MAX];
    pc_entry cur[PC_MAX_FILES]; /* the namespace as the process sees it */
    int n_cur;
    pc_ns ns; /* what is durable, and the pending ops */
    int next_id;
    int log_fd[PC_MAX_FILES + 1], img_fd[PC_MAX_FILES + 1]; /* by id, opened lazily */
} g = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int (*real_openat)(int, const char *, int, ...);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static int (*real_ftruncate)(int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_close)(int);
static int (*real_renameat)(int, const char *, int, const char *);
static int (*real_unlinkat)(int, const char *, int);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);

static void note_unsupported(const char *why)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/unsupported", g.state);
    int fd = pc_open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        pc_write_all(fd, why, strlen(why));
        pc_write_all(fd, "\n", 1);
        pc_close(fd);
    }
}

static void load_real(void)
{
    real_openat = dlsym(RTLD_NEXT, "openat");
    real_pwrite = dlsym(RTLD_NEXT, "pwrite");
    real_pwritev = dlsym(RTLD_NEXT, "pwritev");
    real_write = dlsym(RTLD_NEXT, "write");
    real_writev = dlsym(RTLD_NEXT, "writev");
    real_ftruncate = dlsym(RTLD_NEXT, "ftruncate");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    real_close = dlsym(RTLD_NEXT, "close");
    real_renameat = dlsym(RTLD_NEXT, "renameat");
    real_unlinkat = dlsym(RTLD_NEXT, "unlinkat");
    real_mmap = dlsym(RTLD_NEXT, "mmap");
}

/* Interposed calls can come before the constructor runs (other libraries'
 * constructors): look the real functions up on first use. */
#define REAL(f) (real_##f ? real_##f : (load_real(), real_##f))

__attribute__((constructor)) static void shim_init(void)
{
    if (!real_openat)
        load_real();
    const char *dir = getenv("TS_PC_DIR"), *state = getenv("TS_PC_STATE");
    if (!dir || !state || !*dir || !*state)
        return;
    if (!realpath(dir, g.dir))
        snprintf(g.dir, sizeof(g.dir), "%s", dir);
    g.dir_len = strlen(g.dir);
    snprintf(g.state, sizeof(g.state), "%s", state);
    g.ignore = getenv("TS_PC_IGNORE") ? getenv("TS_PC_IGNORE") : "lock.mdb";
    g.lie = getenv("TS_PC_LIE") && strcmp(getenv("TS_PC_LIE"), "1") == 0;
    if (pc_ns_load(g.state, &g.ns) != 0) {
        note_unsupported("the state's ns file is unreadable");
        return;
    }
    /* What the process sees: the durable entries plus every pending op. */
    memcpy(g.cur, g.ns.ent, sizeof(g.cur));
    g.n_cur = g.ns.n_ent;
    for (int i = 0; i < g.ns.n_op; i++)
        pc_ns_apply(g.cur, &g.n_cur, &g.ns.op[i]);
    for (int i = 0; i < g.ns.n_ent; i++)
        g.next_id = g.ns.ent[i].id > g.next_id ? g.ns.ent[i].id : g.next_id;
    for (int i = 0; i < g.ns.n_op; i++)
        g.next_id = g.ns.op[i].id > g.next_id ? g.ns.op[i].id : g.next_id;
    g.next_id++;
    for (int i = 0; i <= PC_MAX_FILES; i++)
        g.log_fd[i] = g.img_fd[i] = -1;
    g.active = 1;
}

/* ---- helpers, all under g.mu ---- */

static int state_fd(int *cache, const char *fmt, int id, int flags)
{
    if (id <= 0 || id > PC_MAX_FILES)
        return -1;
    if (cache[id] < 0) {
        char path[PATH_MAX + 32];
        pc_path(path, sizeof(path), g.state, fmt, id);
        cache[id] = pc_open(path, flags | O_CREAT, 0644);
    }
    return cache[id];
}

static int log_fd(int id)
{
    return state_fd(g.log_fd, "f%d.log", id, O_WRONLY | O_APPEND);
}

static int img_fd(int id)
{
    return state_fd(g.img_fd, "f%d.img", id, O_RDWR);
}

static void log_append(int id, uint32_t kind, uint64_t off, const void *data, uint64_t len,
                       uint32_t flags)
{
    pc_rec r = {PC_MAGIC, kind, off, len, flags, 0};
    struct iovec iov[2] = {{&r, sizeof(r)}, {(void *)data, (size_t)len}};
    int fd = log_fd(id);
    if (fd < 0) {
        note_unsupported("cannot write a state log");
        return;
    }
    /* One writev: a kill can cut it short only at the tail, which the
     * reader drops. Small enough to go in one call in practice. */
    size_t want = sizeof(r) + (size_t)len;
    ssize_t w = syscall(SYS_writev, fd, iov, len ? 2 : 1);
    if (w >= 0 && (size_t)w < want)
        pc_write_all(fd, (const char *)data + (w - (ssize_t)sizeof(r)), want - (size_t)w);
}

/* ns ops up to and including the last one naming id become durable. */
static void commit_ns_for(int id)
{
    int upto = 0;
    for (int i = 0; i < g.ns.n_op; i++)
        if (id < 0 || g.ns.op[i].id == id)
            upto = i + 1;
    if (upto == 0)
        return;
    pc_ns_commit(&g.ns, upto);
    if (pc_ns_save(g.state, &g.ns) != 0)
        note_unsupported("cannot save ns");
}

static void add_op(char kind, int id, const char *name, const char *to)
{
    if (g.ns.n_op >= PC_MAX_OPS) {
        note_unsupported("too many pending directory operations");
        return;
    }
    pc_op *o = &g.ns.op[g.ns.n_op++];
    o->kind = kind;
    o->id = id;
    snprintf(o->name, PC_NAME_MAX, "%s", name);
    snprintf(o->to, PC_NAME_MAX, "%s", to ? to : "");
    pc_ns_apply(g.cur, &g.n_cur, o);
    if (pc_ns_save(g.state, &g.ns) != 0)
        note_unsupported("cannot save ns");
}

/* A successful fsync of id: fold its log into the image. The "fold"
 * marker lets pc_restore finish a fold the kill interrupted. */
static void fold(int id)
{
    char path[PATH_MAX + 32];
    pc_path(path, sizeof(path), g.state, "fold", 0);
    int mark = pc_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char idtxt[16];
    int n = snprintf(idtxt, sizeof(idtxt), "%d\n", id);
    pc_write_all(mark, idtxt, (size_t)n);
    pc_log log;
    char lpath[PATH_MAX + 32];
    pc_path(lpath, sizeof(lpath), g.state, "f%d.log", id);
    int rfd = pc_open(lpath, O_RDONLY | O_CREAT, 0644);
    if (rfd < 0 || pc_log_read(rfd, &log) != 0 || pc_log_fold(&log, img_fd(id)) != 0)
        note_unsupported("cannot fold a log into its image");
    else
        pc_log_free(&log);
    if (rfd >= 0)
        pc_close(rfd);
    pc_ftruncate(log_fd(id), 0);
    pc_ftruncate(mark, 0);
    pc_close(mark);
    commit_ns_for(id);
}

/* The name of path relative to the watched directory, or NULL. */
static const char *rel_name(const char *abs, char *buf, size_t n)
{
    if (strncmp(abs, g.dir, g.dir_len) != 0 || abs[g.dir_len] != '/')
        return NULL;
    const char *rel = abs + g.dir_len + 1;
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    if (!*rel || strcmp(base, g.ignore) == 0 || strlen(rel) >= n || strpbrk(rel, " \n"))
        return NULL;
    return strcpy(buf, rel);
}

static const char *fd_name(int fd, char *buf, size_t n)
{
    char link[64], abs[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t len = readlink(link, abs, sizeof(abs) - 1);
    if (len <= 0)
        return NULL;
    abs[len] = '\0';
    return rel_name(abs, buf, n);
}

/* Absolute form of a path given to rename/unlink (no symlink resolution
 * of the leaf: it names the entry itself). */
static const char *path_name(int dirfd, const char *path, char *buf, size_t n)
{
    char base[PATH_MAX], abs[PATH_MAX * 2];
    if (path[0] == '/') {
        snprintf(abs, sizeof(abs), "%s", path);
    } else {
        if (dirfd == AT_FDCWD) {
            if (!getcwd(base, sizeof(base)))
                return NULL;
        } else {
            char link[64];
            snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
            ssize_t len = readlink(link, base, sizeof(base) - 1);
            if (len <= 0)
                return NULL;
            base[len] = '\0';
        }
        snprintf(abs, sizeof(abs), "%s/%s", base, path);
    }
    return rel_name(abs, buf, n);
}

static int new_id(void)
{
    if (g.next_id > PC_MAX_FILES) {
        note_unsupported("too many files");
        return 0;
    }
    return g.next_id++;
}

/* A file that existed before the harness watched it: durable as it is. */
static int adopt(int fd, const char *name)
{
    int id = new_id(), img = id ? img_fd(id) : -1;
    if (img < 0)
        return 0;
    char buf[65536];
    off_t off = 0;
    for (ssize_t r; (r = pc_pread(fd, buf, sizeof(buf), off)) > 0; off += r)
        pc_pwrite(img, buf, (size_t)r, off);
    pc_ftruncate(img, off);
    pc_entry e = {.id = id};
    snprintf(e.name, PC_NAME_MAX, "%s", name);
    g.ns.ent[g.ns.n_ent++] = e;
    g.cur[g.n_cur++] = e;
    pc_ns_save(g.state, &g.ns);
    return id;
}

static void track_open(int fd, int flags, int existed)
{
    char name[PC_NAME_MAX];
    if (fd < 0 || fd >= FD_MAX || !fd_name(fd, name, sizeof(name)))
        return;
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return;
    pthread_mutex_lock(&g.mu);
    if (S_ISDIR(sb.st_mode)) {
        g.fds[fd] = (watched_fd){-1, 0};
    } else if (S_ISREG(sb.st_mode)) {
        int i = pc_ns_find(g.cur, g.n_cur, name), id;
        if (i >= 0) {
            id = g.cur[i].id;
        } else if (existed) {
            id = adopt(fd, name);
        } else if ((id = new_id()) != 0) {
            pc_ftruncate(img_fd(id), 0);
            pc_ftruncate(log_fd(id), 0);
            add_op('C', id, name, NULL);
        }
        if (id && (flags & O_TRUNC) && existed)
            log_append(id, PC_TRUNC, 0, NULL, 0, 0);
        g.fds[fd] = (watched_fd){id, (flags & O_DSYNC) != 0};
    }
    pthread_mutex_unlock(&g.mu);
}

/* Locks g.mu and returns the watched file of fd, or NULL (unlocked). */
static watched_fd *lock_fd(int fd)
{
    if (!g.active || fd < 0 || fd >= FD_MAX)
        return NULL;
    pthread_mutex_lock(&g.mu);
    if (g.fds[fd].id != 0)
        return &g.fds[fd];
    pthread_mutex_unlock(&g.mu);
    return NULL;
}

/* The fault the control file asks for on this kind of call (0: none). */
static int fault_for(const char *what)
{
    char path[PATH_MAX + 16], buf[256], key[32];
    snprintf(path, sizeof(path), "%s/fault", g.state);
    int fd = pc_open(path, O_RDONLY, 0);
    if (fd < 0)
        return 0;
    ssize_t n = pc_pread(fd, buf, sizeof(buf) - 1, 0);
    pc_close(fd);
    buf[n > 0 ? n : 0] = '\0';
    snprintf(key, sizeof(key), "%s=", what);
    const char *at = buf;
    while ((at = strstr(at, key)) != NULL && at != buf && at[-1] != ' ' && at[-1] != '\n')
        at++; /* "write=" inside "dsync_write=" */
    if (!at)
        return 0;
    at += strlen(key);
    if (strncmp(at, "EIO", 3) == 0)
        return EIO;
    if (strncmp(at, "ENOSPC", 6) == 0)
        return ENOSPC;
    if (strncmp(at, "EROFS", 5) == 0)
        return EROFS;
    return 0;
}

static void record_iov(watched_fd *w, const struct iovec *iov, int cnt, off_t off, ssize_t done)
{
    for (int i = 0; i < cnt && done > 0; i++) {
        size_t len = iov[i].iov_len < (size_t)done ? iov[i].iov_len : (size_t)done;
        if (w->id > 0 && len)
            log_append(w->id, PC_WRITE, (uint64_t)off, iov[i].iov_base, len,
                       w->dsync && !g.lie ? PC_DURABLE : 0);
        off += (off_t)len;
        done -= (ssize_t)len;
    }
    if (w->dsync && w->id > 0)
        commit_ns_for(w->id); /* an O_DSYNC write commits the journal too */
}

/* Every write path: off < 0 means "at the file position". */
static ssize_t do_write(int fd, const struct iovec *iov, int cnt, off_t off)
{
    watched_fd *w = lock_fd(fd);
    ssize_t r;
    if (w && w->id > 0 &&
        ((r = fault_for("write")) != 0 || (w->dsync && (r = fault_for("dsync_write")) != 0))) {
        pthread_mutex_unlock(&g.mu);
        errno = (int)r;
        return -1;
    }
    if (off >= 0)
        r = cnt == 1 ? REAL(pwrite)(fd, iov[0].iov_base, iov[0].iov_len, off)
                     : REAL(pwritev)(fd, iov, cnt, off);
    else
        r = cnt == 1 ? REAL(write)(fd, iov[0].iov_base, iov[0].iov_len)
                     : REAL(writev)(fd, iov, cnt);
    if (w) {
        int e = errno;
        if (r > 0 && off < 0)
            off = lseek(fd, 0, SEEK_CUR) - r; /* also right for O_APPEND */
        if (r > 0)
            record_iov(w, iov, cnt, off, r);
        pthread_mutex_unlock(&g.mu);
        errno = e;
    }
    return r;
}

static int do_sync(int fd, int (*real)(int))
{
    watched_fd *w = lock_fd(fd);
    if (!w)
        return real(fd);
    int e = w->id > 0 ? fault_for("fsync") : 0;
    if (e) {
        /* Linux reports the error once and marks the pages clean: what
         * was not durable before this call may never be. */
        log_append(w->id, PC_LOST, 0, NULL, 0, 0);
        pthread_mutex_unlock(&g.mu);
        errno = e;
        return -1;
    }
    int r = real(fd);
    e = errno;
    if (r == 0 && w->id > 0 && !g.lie)
        fold(w->id);
    else if (r == 0)
        commit_ns_for(-1); /* a directory's fsync: every entry op so far */
    pthread_mutex_unlock(&g.mu);
    errno = e;
    return r;
}

/* ---- the interposed functions ---- */

/* "open=EROFS": opening for writing anything under the watched directory
 * fails, as on a file system remounted read-only (ext4 errors=remount-ro). */
static int open_fault(const char *path, int flags)
{
    if (!g.active || (flags & O_ACCMODE) == O_RDONLY || path[0] != '/' ||
        strncmp(path, g.dir, g.dir_len) != 0 || path[g.dir_len] != '/')
        return 0;
    return fault_for("open");
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    int existed = 1;
    int fault = open_fault(path, flags);
    if (fault) {
        errno = fault;
        return -1;
    }
    if (g.active && (flags & O_CREAT))
        existed = faccessat(dirfd, path, F_OK, 0) == 0;
    int fd = REAL(openat)(dirfd, path, flags, mode);
    if (g.active && fd >= 0) {
        int e = errno;
        track_open(fd, flags, existed);
        errno = e;
    }
    return fd;
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return do_openat(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return do_openat(AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return do_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return do_openat(dirfd, path, flags, mode);
}

int creat(const char *path, mode_t mode)
{
    return do_openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

int creat64(const char *path, mode_t mode)
{
    return creat(path, mode);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    struct iovec iov = {(void *)buf, n};
    return do_write(fd, &iov, 1, off);
}

/* The *64 entry points take off64_t. The shim is built with the native
 * off_t (it must define both names); on a 64-bit host the two are the same
 * type. The power-cut tests run natively only (scripts/cross-build.sh), so
 * the cast never narrows where the shim is used. */
ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    return pwrite(fd, buf, n, (off_t)off);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    return do_write(fd, iov, cnt, off);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
    return do_write(fd, iov, cnt, (off_t)off);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    struct iovec iov = {(void *)buf, n};
    return do_write(fd, &iov, 1, -1);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    return do_write(fd, iov, cnt, -1);
}

int ftruncate(int fd, off_t len)
{
    watched_fd *w = lock_fd(fd);
    if (!w)
        return REAL(ftruncate)(fd, len);
    int r = REAL(ftruncate)(fd, len), e = errno;
    if (r == 0 && w->id > 0)
        log_append(w->id, PC_TRUNC, (uint64_t)len, NULL, 0, 0);
    pthread_mutex_unlock(&g.mu);
    errno = e;
    return r;
}

int ftruncate64(int fd, off64_t len)
{
    return ftruncate(fd, (off_t)len);
}

int fsync(int fd)
{
    return do_sync(fd, REAL(fsync));
}

int fdatasync(int fd)
{
    return do_sync(fd, REAL(fdatasync));
}

int close(int fd)
{
    if (g.active && fd >= 0 && fd < FD_MAX) {
        pthread_mutex_lock(&g.mu);
        g.fds[fd] = (watched_fd){0, 0};
        pthread_mutex_unlock(&g.mu);
    }
    return REAL(close)(fd);
}

int renameat(int olddirfd, const char *from, int newdirfd, const char *to)
{
    char a[PC_NAME_MAX], b[PC_NAME_MAX];
    const char *na = g.active ? path_name(olddirfd, from, a, sizeof(a)) : NULL;
    const char *nb = g.active ? path_name(newdirfd, to, b, sizeof(b)) : NULL;
    int r = REAL(renameat)(olddirfd, from, newdirfd, to);
    if (r != 0 || (!na && !nb))
        return r;
    int e = errno;
    pthread_mutex_lock(&g.mu);
    int i = na ? pc_ns_find(g.cur, g.n_cur, na) : -1;
    if (na && nb && i >= 0)
        add_op('R', g.cur[i].id, na, nb);
    else if (na && i >= 0)
        add_op('U', g.cur[i].id, na, NULL); /* moved out of the watched tree */
    else if (nb)
        note_unsupported("a file renamed into the watched directory");
    pthread_mutex_unlock(&g.mu);
    errno = e;
    return r;
}

int rename(const char *from, const char *to)
{
    return renameat(AT_FDCWD, from, AT_FDCWD, to);
}

int unlinkat(int dirfd, const char *path, int flags)
{
    char a[PC_NAME_MAX];
    const char *na = g.active ? path_name(dirfd, path, a, sizeof(a)) : NULL;
    int r = REAL(unlinkat)(dirfd, path, flags);
    if (r != 0 || !na)
        return r;
    int e = errno;
    pthread_mutex_lock(&g.mu);
    int i = pc_ns_find(g.cur, g.n_cur, na);
    if (i >= 0)
        add_op('U', g.cur[i].id, na, NULL);
    pthread_mutex_unlock(&g.mu);
    errno = e;
    return r;
}

int unlink(const char *path)
{
    return unlinkat(AT_FDCWD, path, 0);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    watched_fd *w = (prot & PROT_WRITE) && (flags & MAP_SHARED) ? lock_fd(fd) : NULL;
    if (w) {
        if (w->id > 0)
            note_unsupported("a writable shared mapping of a watched file");
        pthread_mutex_unlock(&g.mu);
    }
    return REAL(mmap)(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
    return mmap(addr, len, prot, flags, fd, (off_t)off);
}
