/*
 * test_journal.c - the intake journal's recovery (agent/store/journal.c),
 * on real files: what a replay gives back after a clean run, a torn last
 * record, a bad CRC in the middle, a missing segment, a journal ahead of
 * the checkpoint by one group, a recycled segment, a checkpoint that stops
 * mid-segment and a failed group.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "store/journal.h"

#define SEG (256u << 10)

typedef struct got {
    uint64_t seqs[20000];
    size_t n;
} got;

static int collect(void *arg, uint64_t seq, const void *p, size_t len)
{
    got *g = arg;
    char want[64];
    snprintf(want, sizeof(want), "sale-%llu-", (unsigned long long)seq);
    assert_true(len >= strlen(want));
    assert_memory_equal(p, want, strlen(want));
    g->seqs[g->n++] = seq;
    return 0;
}

static char dir[512];

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TS_TEST_TMP");
    char base[400];
    snprintf(base, sizeof(base), "%s", tmp ? tmp : "/tmp");
    mkdir(base, 0750);
    snprintf(dir, sizeof(dir), "%s/journal-XXXXXX", base);
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[1100];
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') {
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            unlink(p);
        }
    if (d)
        closedir(d);
    rmdir(dir);
    return 0;
}

/* Writes groups of `per` records, seqs from first; the payload is
 * "sale-<seq>-" padded to len bytes. */
static void write_groups(ts_journal *j, uint64_t first, int groups, int per, size_t len)
{
    char buf[4096];
    uint64_t seq = first;
    for (int g = 0; g < groups; g++) {
        for (int i = 0; i < per; i++, seq++) {
            memset(buf, 'x', len);
            int n = snprintf(buf, sizeof(buf), "sale-%llu-", (unsigned long long)seq);
            buf[n] = 'x';
            assert_int_equal(ts_journal_add(j, seq, buf, len), 0);
        }
        assert_int_equal(ts_journal_sync(j), 0);
    }
}

static got *replay(uint64_t after, ts_journal_replay_info *info)
{
    static got g;
    g.n = 0;
    ts_journal *j;
    assert_int_equal(ts_journal_open(&j, dir, SEG), 0);
    assert_int_equal(ts_journal_replay(j, after, collect, &g, info), 0);
    ts_journal_close(j);
    return &g;
}

static void assert_run(const got *g, uint64_t from, uint64_t to)
{
    assert_int_equal(g->n, to >= from ? to - from + 1 : 0);
    for (size_t i = 0; i < g->n; i++)
        assert_int_equal(g->seqs[i], from + i);
}

static ts_journal *fresh(uint64_t next)
{
    ts_journal *j;
    assert_int_equal(ts_journal_open(&j, dir, SEG), 0);
    assert_int_equal(ts_journal_reset(j, next), 0);
    return j;
}

static void seg_file(int index, char *out, size_t n)
{
    /* the index-th live segment, ascending */
    DIR *d = opendir(dir);
    struct dirent *e;
    char names[16][300];
    int k = 0;
    while (d && (e = readdir(d)) != NULL && k < 16)
        if (strncmp(e->d_name, "seg-", 4) == 0)
            snprintf(names[k++], sizeof(names[0]), "%s", e->d_name);
    closedir(d);
    qsort(names, (size_t)k, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
    assert_true(index < k);
    snprintf(out, n, "%s/%s", dir, names[index]);
}

/* Offset of the record with seq in the segment file (records from 512 or
 * 4096: found by scanning for its text). */
static long find_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char data[SEG];
    size_t n = fread(data, 1, sizeof(data), f);
    fclose(f);
    size_t tl = strlen(text);
    for (size_t i = 0; i + tl <= n; i++)
        if (memcmp(data + i, text, tl) == 0)
            return (long)i;
    return -1;
}

static void flip(const char *path, long off)
{
    int fd = open(path, O_RDWR);
    unsigned char c;
    assert_int_equal(pread(fd, &c, 1, off), 1);
    c ^= 0x40;
    assert_int_equal(pwrite(fd, &c, 1, off), 1);
    close(fd);
}

static void test_clean_replay(void **state)
{
    (void)state;
    ts_journal *j = fresh(1);
    write_groups(j, 1, 10, 7, 300);
    ts_journal_stats st;
    ts_journal_get_stats(j, &st);
    assert_int_equal(st.groups, 10);
    assert_int_equal(st.fsyncs, 10); /* one flush per group */
    ts_journal_close(j);
    ts_journal_replay_info info;
    got *g = replay(0, &info);
    assert_run(g, 1, 70);
    assert_int_equal(info.damaged, 0);
    assert_int_equal(info.last_seq, 70);
}

static void test_torn_last_record(void **state)
{
    (void)state;
    ts_journal *j = fresh(1);
    write_groups(j, 1, 5, 4, 300);
    ts_journal_close(j);
    char path[1100];
    seg_file(0, path, sizeof(path));
    long off = find_text(path, "sale-20-");
    assert_true(off > 0);
    flip(path, off + 200); /* the tail of the last record never made it */
    ts_journal_replay_info info;
    got *g = replay(0, &info);
    assert_run(g, 1, 19);
    assert_int_equal(info.damaged, 0);
}

static void test_bad_crc_in_the_middle(void **state)
{
    (void)state;
    ts_journal *j = fresh(1);
    write_groups(j, 1, 6, 5, 300);
    ts_journal_close(j);
    char path[1100];
    seg_file(0, path, sizeof(path));
    long off = find_text(path, "sale-12-");
    assert_true(off > 0);
    flip(path, off + 100);
    ts_journal_replay_info info;
    got *g = replay(0, &info);
    assert_run(g, 1, 11); /* seq never skips: nothing after the hole */
    assert_int_equal(info.damaged, 1);
    assert_non_null(strstr(info.why, "seq 12"));
}

static void test_missing_segment(void **state)
{
    (void)state;
    ts_journal *j = fresh(1);
    write_groups(j, 1, 60, 10, 1000); /* ~600 KB: three segments of 256 KiB */
    ts_journal_close(j);
    char path[1100];
    seg_file(1, path, sizeof(path));
    seg_file(2, path, sizeof(path)); /* there are at least three */
    seg_file(1, path, sizeof(path));
    /* the first segment's last seq: everything up to it replays */
    ts_journal_replay_info info;
    got *all = replay(0, &info);
    assert_run(all, 1, 600);
    unlink(path);
    got *g = replay(0, &info);
    assert_true(g->n > 100 && g->n < 400);
    assert_run(g, 1, g->n);
    assert_int_equal(info.damaged, 1);
    assert_non_null(strstr(info.why, "missing"));
}

static void test_ahead_by_one_group(void **state)
{
    (void)state;
    ts_journal *j = fresh(1);
    write_groups(j, 1, 4, 8, 300);
    ts_journal_close(j);
    ts_journal_replay_info info;
    got *g = replay(24, &info); /* LMDB holds the first three groups */
    assert_run(g, 25, 32);
    assert_int_equal(info.damaged, 0);
    g = replay(32, &info); /* up to date: nothing */
    assert_int_equal(g->n, 0);
    assert_int_equal(info.last_seq, 32);
}

static void test_recycled_segment(void **state)
{
    (void)state;
    ts_journal *j = fresh(1);
    write_groups(j, 1, 30, 10, 1000); /* fills the first segment and more */
    assert_int_equal(ts_journal_checkpoint(j, 300), 0);
    assert_int_equal(ts_journal_reset(j, 301), 0); /* all below 301 checkpointed */
    write_groups(j, 301, 1, 3, 300);
    ts_journal_stats st;
    ts_journal_get_stats(j, &st);
    assert_true(st.segments_recycled >= 1); /* the new one reused a spare */
    ts_journal_close(j);
    ts_journal_replay_info info;
    got *g = replay(300, &info);
    assert_run(g, 301, 303); /* the spare's old records are not read back */
    assert_int_equal(info.damaged, 0);
}

static int live_segments(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)) != NULL)
        n += strncmp(e->d_name, "seg-", 4) == 0;
    if (d)
        closedir(d);
    return n;
}

/* A fold that stops mid-segment (bounded chunks): only the segments wholly
 * at or below the folded seq go; the rest still replays. */
static void test_partial_checkpoint(void **state)
{
    (void)state;
    ts_journal *j = fresh(1);
    write_groups(j, 1, 60, 10, 1000); /* ~250 a segment: three segments */
    assert_int_equal(live_segments(), 3);
    assert_int_equal(ts_journal_checkpoint(j, 100), 0); /* inside the first */
    assert_int_equal(live_segments(), 3);
    assert_int_equal(ts_journal_checkpoint(j, 300), 0); /* inside the second */
    assert_int_equal(live_segments(), 2);
    ts_journal_close(j);
    ts_journal_replay_info info;
    got *g = replay(300, &info);
    assert_run(g, 301, 600);
    assert_int_equal(info.damaged, 0);
}

static void test_failed_group_then_reset(void **state)
{
    (void)state;
    ts_journal *j = fresh(1);
    write_groups(j, 1, 3, 3, 300);
    char buf[300];
    memset(buf, 'x', sizeof(buf));
    memcpy(buf, "sale-10-", 8);
    assert_int_equal(ts_journal_add(j, 10, buf, sizeof(buf)), 0);
    /* a failed flush is simulated by a seq out of order: the journal must
     * refuse and stay usable only through a reset */
    assert_int_equal(ts_journal_add(j, 12, buf, sizeof(buf)), TS_EINVAL);
    assert_int_equal(ts_journal_reset(j, 10), 0);
    assert_int_equal(ts_journal_next_seq(j), 10);
    write_groups(j, 10, 2, 2, 300);
    ts_journal_close(j);
    ts_journal_replay_info info;
    got *g = replay(9, &info);
    assert_run(g, 10, 13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_clean_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_last_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_crc_in_the_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ahead_by_one_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recycled_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partial_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_group_then_reset, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
