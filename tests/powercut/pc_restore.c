/*
 * pc_restore.c - "the power came back": rebuilds a watched directory as a
 * disk could have left it, from the record the shim kept (pc_state.h).
 *
 *   pc_restore [--seed N] STATE DATA_DIR NEW_STATE
 *
 * For every file: its durable image, then each write made since in the
 * order they were made, each independently dropped, kept, or torn (a random
 * subset of its 512-byte sectors reaches the disk); O_DSYNC writes are
 * kept; writes lost to a failed fsync are dropped. Pending directory
 * operations survive as a random prefix (a journal commits in order).
 * Overlapping writes that both survive land in the order they were made:
 * the page cache holds only the newest bytes of a page, so an older version
 * can never overwrite a newer one on the disk; any other reordering is
 * covered by the independent choices. NEW_STATE (which must not exist)
 * receives the state for the next run: the rebuilt files as durable images.
 * Prints one line of figures, starting with the seed.
 */
#include "pc_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct stats {
    unsigned writes, kept, dropped, torn, lost, durable, truncs;
    unsigned sectors_dropped;
} stats;

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    int rc = out < 0 ? -1 : 0;
    if (in >= 0 && out >= 0) {
        for (ssize_t n; (n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) != 0;)
            if (n < 0) {
                rc = -1;
                break;
            }
    } else if (in < 0 && errno != ENOENT) {
        rc = -1;
    }
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return rc;
}

/* Writes the sectors of one write that the cut let through. */
static int apply_torn(int fd, const char *data, const pc_rec *r, stats *s)
{
    uint64_t end = r->off + r->len;
    for (uint64_t at = r->off; at < end;) {
        uint64_t next = (at / PC_SECTOR + 1) * PC_SECTOR;
        if (next > end)
            next = end;
        if (rnd() & 1) {
            if (pc_pwrite(fd, data + (at - r->off), next - at, (off_t)at) < 0)
                return -1;
        } else {
            s->sectors_dropped++;
        }
        at = next;
    }
    return 0;
}

/* The fate of one record; whole = 1 where the write must be kept. */
static int apply_rec(int fd, const pc_log *log, size_t i, int whole, stats *s)
{
    const pc_rec *r = &log->recs[i];
    const char *data = log->buf + log->data_at[i];
    if (r->kind == PC_LOST)
        return 0;
    if (i < log->last_lost && !(r->flags & PC_DURABLE)) {
        s->lost++;
        return 0;
    }
    if (r->kind == PC_TRUNC) {
        s->truncs++;
        return whole || (rnd() & 1) ? pc_ftruncate(fd, (off_t)r->off) : 0;
    }
    s->writes++;
    if (r->flags & PC_DURABLE) {
        s->durable++;
        whole = 1;
    }
    int fate = whole ? 1 : (int)(rnd() % 3);
    if (fate == 0) {
        s->dropped++;
        return 0;
    }
    if (fate == 2) {
        s->torn++;
        return apply_torn(fd, data, r, s);
    }
    s->kept++;
    return pc_pwrite(fd, data, r->len, (off_t)r->off) < 0 ? -1 : 0;
}

static int rebuild(const char *state, const char *data_dir, const pc_entry *e, int folding,
                   stats *s)
{
    char img[1200], logp[1200], target[1200], tmp[1300];
    pc_path(img, sizeof(img), state, "f%d.img", e->id);
    pc_path(logp, sizeof(logp), state, "f%d.log", e->id);
    snprintf(target, sizeof(target), "%s/%s", data_dir, e->name);
    snprintf(tmp, sizeof(tmp), "%s.pc-tmp", target);
    if (copy_file(img, tmp) != 0)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CLOEXEC), lfd = open(logp, O_RDONLY | O_CLOEXEC);
    pc_log log = {0};
    int rc = fd < 0 ? -1 : 0;
    if (rc == 0 && lfd >= 0)
        rc = pc_log_read(lfd, &log);
    /* A fold the kill interrupted: that fsync had not returned, so it may
     * as well have completed. */
    for (size_t i = 0; rc == 0 && i < log.n; i++)
        rc = apply_rec(fd, &log, i, e->id == folding, s);
    pc_log_free(&log);
    if (lfd >= 0)
        close(lfd);
    if (fd >= 0)
        close(fd);
    return rc == 0 ? rename(tmp, target) : -1;
}

static int folding_id(const char *state)
{
    char path[1200], buf[32] = {0};
    snprintf(path, sizeof(path), "%s/fold", state);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    return n > 0 ? atoi(buf) : 0;
}

static int unsupported(const char *state)
{
    char path[1200], buf[512] = {0};
    snprintf(path, sizeof(path), "%s/unsupported", state);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    fprintf(stderr, "pc_restore: the run cannot be modelled: %s\n", n > 0 ? buf : "?");
    return 1;
}

/* Files the process created whose entries did not survive disappear. */
static void remove_vanished(const pc_ns *ns, const pc_entry *fin, int n_fin, const char *data_dir)
{
    char path[1200];
    for (int i = 0; i < ns->n_ent + 2 * ns->n_op; i++) {
        const char *name = i < ns->n_ent              ? ns->ent[i].name
                           : (i - ns->n_ent) % 2 == 0 ? ns->op[(i - ns->n_ent) / 2].name
                                                      : ns->op[(i - ns->n_ent) / 2].to;
        if (!*name || pc_ns_find(fin, n_fin, name) >= 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", data_dir, name);
        unlink(path);
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: pc_restore [--seed N] STATE DATA_DIR NEW_STATE\n");
    return 2;
}

int main(int argc, char **argv)
{
    uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    int a = 1;
    if (argc > 2 && strcmp(argv[1], "--seed") == 0) {
        seed = strtoull(argv[2], NULL, 0);
        a = 3;
    }
    if (argc - a != 3)
        return usage();
    const char *state = argv[a], *data_dir = argv[a + 1], *new_state = argv[a + 2];
    rng_state = seed;
    if (unsupported(state))
        return 2;
    static pc_ns ns, fin;
    if (pc_ns_load(state, &ns) != 0) {
        fprintf(stderr, "pc_restore: %s/ns is unreadable\n", state);
        return 1;
    }
    int applied = ns.n_op ? (int)(rnd() % (uint64_t)(ns.n_op + 1)) : 0;
    fin = ns;
    pc_ns_commit(&fin, applied);
    fin.n_op = 0;
    remove_vanished(&ns, fin.ent, fin.n_ent, data_dir);
    if (mkdir(new_state, 0755) != 0) {
        fprintf(stderr, "pc_restore: cannot create %s: %s\n", new_state, strerror(errno));
        return 1;
    }
    int folding = folding_id(state);
    stats s = {0};
    for (int i = 0; i < fin.n_ent; i++) {
        char target[1200], img[1200];
        snprintf(target, sizeof(target), "%s/%s", data_dir, fin.ent[i].name);
        pc_path(img, sizeof(img), new_state, "f%d.img", fin.ent[i].id);
        if (rebuild(state, data_dir, &fin.ent[i], folding, &s) != 0 ||
            copy_file(target, img) != 0) {
            fprintf(stderr, "pc_restore: cannot rebuild %s: %s\n", target, strerror(errno));
            return 1;
        }
    }
    if (pc_ns_save(new_state, &fin) != 0) {
        fprintf(stderr, "pc_restore: cannot write %s/ns\n", new_state);
        return 1;
    }
    printf("pc_restore seed=%" PRIu64 " files=%d ns_pending=%d ns_applied=%d writes=%u kept=%u "
           "dropped=%u torn=%u sectors_dropped=%u durable=%u lost=%u truncs=%u\n",
           seed, fin.n_ent, ns.n_op, applied, s.writes, s.kept, s.dropped, s.torn,
           s.sectors_dropped, s.durable, s.lost, s.truncs);
    return 0;
}
