/*
 * bench_flush.c - the disk's raw one-flush-per-write ceilings, in one run,
 * beside which the agent's and PostgreSQL's sales/s at one client are read
 * (issue 15, docs/intake-journal.md "Single till").
 *
 * Usage: bench_flush [dir] [seconds-per-cell] [rounds]
 * Each cell, on a file in dir pre-allocated by writing zeros and flushing
 * (as the journal's segments and PostgreSQL's WAL segments are):
 *   pwrite 512 B + fdatasync        (buffered, the smallest record)
 *   pwrite 4 KiB + fdatasync        (buffered, what bench_io calls "raw")
 *   O_DIRECT pwrite 4 KiB + fdatasync (the journal's way until now)
 *   O_DIRECT|O_DSYNC pwrite 512 B / 4 KiB (one syscall, no fdatasync)
 *   O_DSYNC pwrite 4 KiB              (buffered, PostgreSQL's open_datasync)
 *   the agent's journal: ts_journal_add of a 400-byte record + ts_journal_sync
 * Each writes appending, as a log does (offset grows, wraps at 64 MiB).
 * Prints "flush LABEL RATE_PER_S" lines. Asserts nothing: figures only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_client.h"
#include "store/journal.h"

#define FILE_BYTES (64u << 20)

/* CPU seconds (user + system) of this process: the flush's CPU cost. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
static double cpu_us_per_op;

static int prefill(const char *path)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    static char z[1 << 20];
    for (unsigned off = 0; off < FILE_BYTES; off += sizeof(z))
        if (pwrite(fd, z, sizeof(z), off) != (ssize_t)sizeof(z))
            return close(fd), -1;
    int rc = fdatasync(fd);
    close(fd);
    return rc;
}

/* Writes of `size` at a growing offset for secs; fdatasync after each when
 * sync. Returns writes/s (0: the file system refused the flags). */
static double cell(const char *path, int flags, size_t size, int sync, double secs)
{
    int fd = open(path, O_WRONLY | flags);
    if (fd < 0)
        return 0;
    void *buf;
    if (posix_memalign(&buf, 4096, 4096) != 0)
        return close(fd), 0;
    memset(buf, 'x', 4096);
    long n = 0;
    uint64_t off = 0;
    double t0 = bench_now_s(), c0 = cpu_s();
    while (bench_now_s() - t0 < secs) {
        if (pwrite(fd, buf, size, (off_t)off) != (ssize_t)size || (sync && fdatasync(fd) != 0)) {
            n = 0;
            break;
        }
        off = (off + size) % FILE_BYTES;
        n++;
    }
    double rate = n / (bench_now_s() - t0);
    cpu_us_per_op = n ? (cpu_s() - c0) * 1e6 / n : 0;
    free(buf);
    close(fd);
    return rate;
}

/* The agent's own journal: one 400-byte record per group. */
static double journal_cell(const char *dir, double secs)
{
    char jdir[700];
    snprintf(jdir, sizeof(jdir), "%s/journal", dir);
    ts_journal *j = NULL;
    if (ts_journal_open(&j, jdir, 16u << 20) != 0 || ts_journal_reset(j, 1) != 0)
        return 0;
    uint8_t rec[400];
    memset(rec, 'r', sizeof(rec));
    uint64_t seq = 1;
    /* warm: the first segment's creation is not the steady state */
    if (ts_journal_add(j, seq++, rec, sizeof(rec)) != 0 || ts_journal_sync(j) != 0)
        return ts_journal_close(j), 0;
    long n = 0;
    double t0 = bench_now_s(), c0 = cpu_s();
    while (bench_now_s() - t0 < secs) {
        if (ts_journal_add(j, seq++, rec, sizeof(rec)) != 0 || ts_journal_sync(j) != 0) {
            n = 0;
            break;
        }
        n++;
    }
    double rate = n / (bench_now_s() - t0);
    cpu_us_per_op = n ? (cpu_s() - c0) * 1e6 / n : 0;
    ts_journal_stats js;
    ts_journal_get_stats(j, &js);
    ts_journal_close(j);
    if (!js.direct)
        fprintf(stderr, "journal cell: not O_DIRECT\n");
    return rate;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAX_ROUNDS 32

static const struct {
    const char *label;
    int flags;
    size_t size;
    int sync; /* fdatasync after each write; -1: the agent's journal */
} CELLS[] = {
    {"pwrite512+fdatasync", 0, 512, 1},
    {"pwrite4k+fdatasync", 0, 4096, 1},
    {"direct512+fdatasync", O_DIRECT, 512, 1},
    {"direct4k+fdatasync", O_DIRECT, 4096, 1},
    {"direct+dsync512", O_DIRECT | O_DSYNC, 512, 0},
    {"direct+dsync4k", O_DIRECT | O_DSYNC, 4096, 0},
    {"dsync4k", O_DSYNC, 4096, 0},
    {"journal400", 0, 400, -1},
};
#define N_CELLS (sizeof(CELLS) / sizeof(CELLS[0]))

int main(int argc, char **argv)
{
    char dir[600];
    snprintf(dir, sizeof(dir), "%s/tillsync-flush-XXXXXX", argc > 1 ? argv[1] : "/tmp");
    double secs = argc > 2 ? atof(argv[2]) : 1;
    int rounds = argc > 3 ? atoi(argv[3]) : 5;
    if (!mkdtemp(dir) || secs <= 0 || rounds < 1 || rounds > MAX_ROUNDS)
        return 2;
    char path[700];
    snprintf(path, sizeof(path), "%s/prefilled", dir);
    if (prefill(path) != 0) {
        fprintf(stderr, "cannot pre-fill %s: %s\n", path, strerror(errno));
        return 1;
    }
    /* Round-robin, so a neighbour's burst on the shared disk lands on every
     * cell alike; the median of the rounds is printed. */
    static double rate[N_CELLS][MAX_ROUNDS], cpu[N_CELLS][MAX_ROUNDS];
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < N_CELLS; i++) {
            rate[i][r] = CELLS[i].sync < 0
                             ? journal_cell(dir, secs)
                             : cell(path, CELLS[i].flags, CELLS[i].size, CELLS[i].sync, secs);
            cpu[i][r] = cpu_us_per_op;
        }
    for (size_t i = 0; i < N_CELLS; i++)
        printf("flush %s %.0f cpu_us %.1f\n", CELLS[i].label, median(rate[i], rounds),
               median(cpu[i], rounds));
    fflush(stdout);
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
