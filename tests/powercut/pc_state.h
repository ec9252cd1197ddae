/*
 * pc_state.h - the power-cut harness's record of a directory (shared by the
 * LD_PRELOAD shim and pc_restore).
 *
 * The state directory holds, for every watched file (named by a small id,
 * not an inode, so the record survives a rebuild of the files):
 *   f<id>.img  its durable image: its content as of its last successful
 *              fsync/fdatasync (or O_DSYNC write);
 *   f<id>.log  what was done to it since: records of pc_rec, each write
 *              followed by its bytes, appended in the order they returned.
 * and one namespace file "ns": lines "D id name" (the durable directory
 * entries) then "P C|R|U id name [new]" (create, rename, unlink not yet
 * durable, in order). "fold" names the file whose fsync was being folded
 * when the process died; "fault" is the fault-injection control file;
 * "unsupported" says why a run cannot be modelled.
 *
 * All I/O here is raw syscalls, so inside the shim it never recurses into
 * the interposed functions.
 */
#ifndef PC_STATE_H
#define PC_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PC_MAGIC 0x70637231u /* "pcr1" */
#define PC_SECTOR 512
#define PC_MAX_FILES 256
#define PC_MAX_OPS 1024
#define PC_NAME_MAX 240

enum { PC_WRITE = 1, PC_TRUNC = 2, PC_LOST = 3 };
enum { PC_DURABLE = 1 }; /* pc_rec.flags: the write was O_DSYNC */

typedef struct pc_rec {
    uint32_t magic;
    uint32_t kind;  /* PC_WRITE, PC_TRUNC (off = new size), PC_LOST */
    uint64_t off;   /* file offset of the write, or the truncated size */
    uint64_t len;   /* bytes following the header (writes only) */
    uint32_t flags; /* PC_DURABLE */
    uint32_t pad;
} pc_rec;

typedef struct pc_entry {
    int id;
    char name[PC_NAME_MAX];
} pc_entry;

typedef struct pc_op {
    char kind; /* 'C' create, 'R' rename (name -> to), 'U' unlink */
    int id;
    char name[PC_NAME_MAX];
    char to[PC_NAME_MAX];
} pc_op;

typedef struct pc_ns {
    pc_entry ent[PC_MAX_FILES]; /* durable entries */
    int n_ent;
    pc_op op[PC_MAX_OPS]; /* pending, in order */
    int n_op;
} pc_ns;

/* One parsed log: records with pointers into buf. */
typedef struct pc_log {
    char *buf;
    size_t size;
    pc_rec *recs;    /* copies of the headers */
    size_t *data_at; /* offset in buf of each write's bytes */
    size_t n;
    size_t last_lost; /* index of the last PC_LOST + 1; 0 when none */
} pc_log;

/* raw syscalls */
int pc_open(const char *path, int flags, int mode);
int pc_close(int fd);
ssize_t pc_pread(int fd, void *buf, size_t n, off_t off);
ssize_t pc_pwrite(int fd, const void *buf, size_t n, off_t off);
int pc_write_all(int fd, const void *buf, size_t n); /* appends (O_APPEND fds) */
int pc_ftruncate(int fd, off_t len);
off_t pc_size(int fd);
int pc_rename(const char *from, const char *to);
int pc_unlink(const char *path);

/* namespace */
int pc_ns_load(const char *state, pc_ns *ns);                 /* missing file: empty */
int pc_ns_save(const char *state, const pc_ns *ns);           /* tmp + rename */
void pc_ns_apply(pc_entry *ent, int *n_ent, const pc_op *op); /* one op onto a map */
int pc_ns_find(const pc_entry *ent, int n_ent, const char *name);
/* Makes ops [0, upto) durable. */
void pc_ns_commit(pc_ns *ns, int upto);

/* logs */
int pc_log_read(int fd, pc_log *log); /* a torn tail record is ignored */
void pc_log_free(pc_log *log);
/* Applies every record of log to img in order, except the non-durable ones
 * lost to a failed fsync. The fold of a successful fsync. */
int pc_log_fold(const pc_log *log, int img_fd);

void pc_path(char *out, size_t n, const char *dir, const char *fmt, int id);

#endif
