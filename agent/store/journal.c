/*
 * journal.c - the intake journal (journal.h, docs/intake-journal.md).
 *
 * Segment file seg-<16 hex>: block 0 holds the header, records follow from
 * offset `align` (the direct-I/O alignment), packed:
 *   u32 len | u32 crc32c(seg_no, seq, len, payload) | u64 seq | payload
 * A record with len 0 ends the segment (segments are zero-filled when
 * created). Segments are recycled, not re-zeroed: a recycled segment's old
 * records carry another segment number in their CRC, so they never pass.
 *
 * The group buffer mirrors the file from the aligned block holding the
 * first unwritten byte; a sync writes that aligned span (rewriting the
 * partial last block with the same bytes) and flushes once.
 */
#include "store/journal.h"
#include "core/error.h"
#include "core/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "TSJRNL01"
#define HDR_SIZE 44
#define REC_HDR 16
#define MAX_SPARES 2
#define MAX_BUF (4u << 20) /* a bigger group is written in parts, flushed once */
#define ZERO_CHUNK (256u << 10)

struct ts_journal {
    char dir[1024];
    uint64_t seg_bytes;
    size_t align;
    int fd, prev_fd; /* current segment; the one a group filled (flushed at sync) */
    int direct;
    uint64_t seg_no, max_no; /* current; highest number seen or given */
    uint64_t seg_first_seq;  /* of the current segment */
    uint64_t spare_no;
    uint64_t pos;     /* where the next record goes */
    uint64_t buf_off; /* file offset of buf[0], aligned */
    uint8_t *buf;
    size_t cap;
    uint64_t next_seq, synced_next_seq;
    size_t group_records;
    int broken;
    ts_journal_stats st;
};

/* ---- CRC32C (Castagnoli), table-driven: the ARM boxes may lack the
 * instruction, and a record is small. ---- */
static uint32_t crc_table[256];
static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t ts_crc32c(uint32_t crc, const void *data, size_t len)
{
    if (!crc_table[1])
        crc_init();
    const uint8_t *p = data;
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}
static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint64_t get64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static uint32_t rec_crc(uint64_t seg_no, uint64_t seq, uint32_t len, const void *payload)
{
    uint8_t h[20];
    put64(h, seg_no);
    put64(h + 8, seq);
    put32(h + 16, len);
    return ts_crc32c(ts_crc32c(0, h, sizeof(h)), payload, len);
}

static uint64_t round_down(uint64_t v, size_t a)
{
    return v - v % a;
}
static uint64_t round_up(uint64_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

static void seg_path(const ts_journal *j, const char *kind, uint64_t no, char *out, size_t n)
{
    snprintf(out, n, "%s/%s-%016" PRIx64, j->dir, kind, no);
}

static int fsync_dir(const ts_journal *j)
{
    int fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return TS_EIO;
    int rc = fsync(fd) == 0 ? 0 : TS_EIO;
    close(fd);
    return rc;
}

/* Direct-I/O alignment of the file system (4096 when it does not say). */
static size_t dio_align(int fd)
{
#ifdef STATX_DIOALIGN
    struct statx sx;
    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 && (sx.stx_mask & STATX_DIOALIGN) &&
        sx.stx_dio_offset_align >= 512 && sx.stx_dio_offset_align <= 4096 &&
        sx.stx_dio_mem_align <= 4096)
        return sx.stx_dio_offset_align;
#else
    (void)fd;
#endif
    return 4096;
}

int ts_journal_open(ts_journal **out, const char *dir, uint64_t segment_bytes)
{
    if (segment_bytes < (256u << 10) || segment_bytes > (1ull << 30))
        return TS_EINVAL;
    ts_journal *j = calloc(1, sizeof(*j));
    if (!j)
        return TS_ENOMEM;
    if (snprintf(j->dir, sizeof(j->dir), "%s", dir) >= (int)sizeof(j->dir) ||
        (mkdir(dir, 0750) != 0 && errno != EEXIST)) {
        free(j);
        return TS_EIO;
    }
    j->seg_bytes = round_up(segment_bytes, 64u << 10);
    j->fd = j->prev_fd = -1;
    j->align = 4096;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        unsigned long long no;
        if (sscanf(e->d_name, "seg-%llx", &no) == 1 && no > j->max_no)
            j->max_no = no;
        if (sscanf(e->d_name, "spare-%llx", &no) == 1 && no >= j->spare_no)
            j->spare_no = no + 1;
    }
    if (d)
        closedir(d);
    *out = j;
    return 0;
}

static void close_fds(ts_journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    if (j->prev_fd >= 0)
        close(j->prev_fd);
    j->fd = j->prev_fd = -1;
}

void ts_journal_close(ts_journal *j)
{
    if (!j)
        return;
    close_fds(j);
    free(j->buf);
    free(j);
}

/* ---- segments ---- */

/* Names of the live segments, ascending. */
static int list_segments(const ts_journal *j, uint64_t **out, size_t *n)
{
    DIR *d = opendir(j->dir);
    if (!d)
        return TS_EIO;
    size_t cap = 0;
    uint64_t *v = NULL;
    struct dirent *e;
    int rc = 0;
    *n = 0;
    while ((e = readdir(d)) != NULL) {
        unsigned long long no;
        char tail;
        if (sscanf(e->d_name, "seg-%llx%c", &no, &tail) != 1)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            uint64_t *nv = realloc(v, cap * sizeof(*v));
            if (!nv) {
                rc = TS_ENOMEM;
                break;
            }
            v = nv;
        }
        v[(*n)++] = no;
    }
    closedir(d);
    for (size_t a = 1; a < *n; a++) /* few segments: insertion sort */
        for (size_t b = a; b > 0 && v[b - 1] > v[b]; b--) {
            uint64_t t = v[b];
            v[b] = v[b - 1];
            v[b - 1] = t;
        }
    *out = v;
    return rc;
}

/* A segment no longer needed becomes a spare (or goes, past MAX_SPARES). */
static int retire(ts_journal *j, uint64_t no, size_t *spares)
{
    char from[1100], to[1100];
    seg_path(j, "seg", no, from, sizeof(from));
    if (*spares >= MAX_SPARES)
        return unlink(from) == 0 || errno == ENOENT ? 0 : TS_EIO;
    seg_path(j, "spare", j->spare_no++, to, sizeof(to));
    if (rename(from, to) != 0)
        return TS_EIO;
    (*spares)++;
    return 0;
}

static size_t count_spares(const ts_journal *j, char *first, size_t n)
{
    DIR *d = opendir(j->dir);
    struct dirent *e;
    size_t count = 0;
    unsigned long long no;
    first[0] = '\0';
    while (d && (e = readdir(d)) != NULL)
        if (sscanf(e->d_name, "spare-%llx", &no) == 1 && count++ == 0)
            seg_path(j, "spare", no, first, n);
    if (d)
        closedir(d);
    return count;
}

static int zero_fill(int fd, uint64_t bytes)
{
    uint8_t *z = calloc(1, ZERO_CHUNK);
    if (!z)
        return TS_ENOMEM;
    int rc = 0;
    for (uint64_t off = 0; off < bytes && rc == 0; off += ZERO_CHUNK)
        if (pwrite(fd, z, ZERO_CHUNK, (off_t)off) != (ssize_t)ZERO_CHUNK)
            rc = TS_EIO;
    free(z);
    if (rc == 0 && fdatasync(fd) != 0)
        rc = TS_EIO;
    return rc;
}

static int open_writer(ts_journal *j, const char *path)
{
    int fd = -1;
#ifdef O_DIRECT
    fd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
    j->direct = fd >= 0;
#endif
    if (fd < 0)
        fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0)
        j->align = j->direct ? dio_align(fd) : 4096;
    return fd;
}

/* Makes seg-<no> ready (a spare renamed, or a new zero-filled file) and
 * durable in the directory; its header goes with the first group. */
static int start_segment(ts_journal *j, uint64_t no, uint64_t first_seq)
{
    char path[1100], spare[1100];
    seg_path(j, "seg", no, path, sizeof(path));
    int rc = 0;
    if (count_spares(j, spare, sizeof(spare)) > 0) {
        struct stat sb;
        if (stat(spare, &sb) == 0 && (uint64_t)sb.st_size == j->seg_bytes &&
            rename(spare, path) == 0)
            j->st.segments_recycled++;
        else
            unlink(spare); /* another size: the setting changed */
    }
    if (access(path, F_OK) != 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (fd < 0)
            return TS_EIO;
        rc = zero_fill(fd, j->seg_bytes);
        close(fd);
        if (rc) { /* a short file (ENOSPC) must not pass for a segment */
            unlink(path);
            return rc;
        }
        j->st.segments_created++;
    }
    if ((rc = fsync_dir(j)) != 0)
        return rc;
    int fd = open_writer(j, path);
    if (fd < 0)
        return TS_EIO;
    if (j->fd >= 0)
        j->prev_fd = j->fd; /* flushed with the group that filled it */
    j->fd = fd;
    j->seg_no = no;
    j->seg_first_seq = first_seq;
    if (no > j->max_no)
        j->max_no = no;
    j->buf_off = 0;
    j->pos = j->align;
    if (!j->buf || j->cap < j->align) {
        free(j->buf);
        j->cap = 0;
        if (posix_memalign((void **)&j->buf, 4096, 64u << 10) != 0) {
            j->buf = NULL;
            return TS_ENOMEM;
        }
        j->cap = 64u << 10;
    }
    memset(j->buf, 0, j->cap);
    memcpy(j->buf, MAGIC, 8);
    put32(j->buf + 8, 1);
    put32(j->buf + 12, (uint32_t)j->align);
    put64(j->buf + 16, no);
    put64(j->buf + 24, first_seq);
    put64(j->buf + 32, j->seg_bytes);
    put32(j->buf + 40, ts_crc32c(0, j->buf, 40));
    return 0;
}

/* Writes the buffered span; keeps its partial last block for the next. */
static int write_buffer(ts_journal *j)
{
    uint64_t len = round_up(j->pos - j->buf_off, j->align);
    if (len == 0)
        return 0;
    ssize_t w = pwrite(j->fd, j->buf, (size_t)len, (off_t)j->buf_off);
    if (w != (ssize_t)len)
        return TS_EIO;
    j->st.bytes_written += len;
    uint64_t keep_off = round_down(j->pos, j->align);
    size_t keep = (size_t)(j->pos - keep_off);
    size_t used = (size_t)(j->pos - j->buf_off); /* past it the buffer is still zero */
    if (keep_off != j->buf_off)
        memmove(j->buf, j->buf + (keep_off - j->buf_off), keep);
    if (used > keep) /* not the whole buffer: that was 64 KiB per sale */
        memset(j->buf + keep, 0, used - keep);
    j->buf_off = keep_off;
    return 0;
}

static int grow(ts_journal *j, size_t need)
{
    if (need <= j->cap)
        return 0;
    size_t cap = j->cap;
    while (cap < need)
        cap *= 2;
    uint8_t *nb;
    if (posix_memalign((void **)&nb, 4096, cap) != 0)
        return TS_ENOMEM;
    memcpy(nb, j->buf, j->cap);
    memset(nb + j->cap, 0, cap - j->cap);
    free(j->buf);
    j->buf = nb;
    j->cap = cap;
    return 0;
}

/* ---- the write path ---- */

int ts_journal_add(ts_journal *j, uint64_t seq, const void *payload, size_t len)
{
    if (j->broken || j->fd < 0 || seq != j->next_seq)
        return TS_EINVAL;
    if (len == 0 || len > TS_JOURNAL_MAX_RECORD || REC_HDR + len + j->align > j->seg_bytes / 2)
        return TS_ETOOBIG;
    int rc = 0;
    if (j->pos + REC_HDR + len > j->seg_bytes) { /* full: the rest goes to the next */
        if ((rc = write_buffer(j)) == 0 && j->prev_fd >= 0)
            rc = TS_EIO; /* a group may span two segments, not three */
        if (rc == 0)
            rc = start_segment(j, j->max_no + 1, seq);
    } else if (j->pos + REC_HDR + len - j->buf_off > MAX_BUF) {
        rc = write_buffer(j);
    }
    if (rc == 0)
        rc = grow(j, (size_t)round_up(j->pos + REC_HDR + len - j->buf_off, j->align));
    if (rc) {
        j->broken = 1;
        return rc;
    }
    uint8_t *p = j->buf + (j->pos - j->buf_off);
    put32(p, (uint32_t)len);
    put32(p + 4, rec_crc(j->seg_no, seq, (uint32_t)len, payload));
    put64(p + 8, seq);
    memcpy(p + REC_HDR, payload, len);
    j->pos += REC_HDR + len;
    j->next_seq = seq + 1;
    j->group_records++;
    return 0;
}

int ts_journal_sync(ts_journal *j)
{
    if (j->broken)
        return TS_EIO;
    if (j->group_records == 0)
        return 0;
    int rc = write_buffer(j);
    if (rc == 0 && j->prev_fd >= 0) {
        j->st.fsyncs++;
        if (fdatasync(j->prev_fd) != 0)
            rc = TS_EIO;
        close(j->prev_fd);
        j->prev_fd = -1;
    }
    if (rc == 0) {
        j->st.fsyncs++;
        if (fdatasync(j->fd) != 0)
            rc = TS_EIO;
    }
    if (rc) {
        /* What reached the disk is unknown (a failed flush may have
         * dropped the pages): never append after it. */
        j->broken = 1;
        j->next_seq = j->synced_next_seq;
        j->st.sync_failures++;
        j->group_records = 0;
        return rc;
    }
    j->st.groups++;
    j->st.records += j->group_records;
    j->group_records = 0;
    j->synced_next_seq = j->next_seq;
    return 0;
}

void ts_journal_fail(ts_journal *j)
{
    j->broken = 1;
    j->next_seq = j->synced_next_seq;
    j->group_records = 0;
}

uint64_t ts_journal_disk_need(const ts_journal *j)
{
    char first[1100];
    return count_spares(j, first, sizeof(first)) > 0 ? 0 : j->seg_bytes;
}

int ts_journal_broken(const ts_journal *j)
{
    return j->broken;
}

uint64_t ts_journal_next_seq(const ts_journal *j)
{
    return j->next_seq;
}

void ts_journal_get_stats(const ts_journal *j, ts_journal_stats *out)
{
    *out = j->st;
    out->direct = j->direct;
}

/* Retires every segment numbered below `below`. */
static int retire_below(ts_journal *j, uint64_t below)
{
    uint64_t *segs = NULL;
    size_t n = 0, spares;
    char first[1100];
    int rc = list_segments(j, &segs, &n);
    spares = count_spares(j, first, sizeof(first));
    for (size_t i = 0; rc == 0 && i < n && segs[i] < below; i++)
        rc = retire(j, segs[i], &spares);
    free(segs);
    return rc;
}

int ts_journal_reset(ts_journal *j, uint64_t next_seq)
{
    close_fds(j);
    j->broken = 1; /* until the new segment is ready */
    j->group_records = 0;
    int rc = retire_below(j, UINT64_MAX);
    if (rc == 0)
        rc = start_segment(j, j->max_no + 1, next_seq);
    if (rc)
        return rc;
    j->broken = 0;
    j->next_seq = j->synced_next_seq = next_seq;
    return 0;
}

typedef struct seg_reader {
    int fd;
    uint64_t no, first_seq, size, align;
} seg_reader;
static int read_header(const ts_journal *j, uint64_t no, seg_reader *r);

/* First seq of live segment no (the current one's header may not be on
 * disk yet); 0 when unknown. */
static uint64_t seg_first_seq(const ts_journal *j, uint64_t no)
{
    seg_reader r;
    if (no == j->seg_no)
        return j->seg_first_seq;
    if (read_header(j, no, &r) != 0)
        return 0;
    close(r.fd);
    return r.first_seq;
}

int ts_journal_checkpoint(ts_journal *j, uint64_t through_seq)
{
    if (j->fd < 0 || j->broken)
        return 0;
    uint64_t *segs = NULL;
    size_t n = 0, i = 0;
    int rc = list_segments(j, &segs, &n);
    /* A segment can go when the next one starts at or below through+1:
     * every record in it is in LMDB (folds may stop mid-segment). */
    while (rc == 0 && i + 1 < n && segs[i] < j->seg_no) {
        uint64_t next_first = seg_first_seq(j, segs[i + 1]);
        if (next_first == 0 || next_first > through_seq + 1)
            break;
        i++;
    }
    uint64_t below = i < n ? segs[i] : 0;
    free(segs);
    if (rc || i == 0)
        return rc;
    if ((rc = retire_below(j, below)) == 0)
        rc = fsync_dir(j);
    return rc;
}

/* ---- replay ---- */

static int read_header(const ts_journal *j, uint64_t no, seg_reader *r)
{
    char path[1100];
    uint8_t h[HDR_SIZE];
    struct stat sb;
    seg_path(j, "seg", no, path, sizeof(path));
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return TS_EIO;
    if (fstat(r->fd, &sb) != 0 || pread(r->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
        memcmp(h, MAGIC, 8) != 0 || get32(h + 40) != ts_crc32c(0, h, 40) || get64(h + 16) != no) {
        close(r->fd);
        r->fd = -1;
        return TS_EFORMAT;
    }
    r->no = no;
    r->align = get32(h + 12);
    r->first_seq = get64(h + 24);
    r->size = (uint64_t)sb.st_size;
    if (r->align < 512 || r->align > 4096 || r->size < r->align) {
        close(r->fd);
        r->fd = -1;
        return TS_EFORMAT;
    }
    return 0;
}

/* Reads the record at off into buf: 1 valid, 0 end (len 0), -1 bad. */
static int read_record(const seg_reader *r, uint64_t off, uint8_t *buf, uint64_t *seq,
                       uint32_t *len)
{
    uint8_t h[REC_HDR];
    if (off + REC_HDR > r->size || pread(r->fd, h, REC_HDR, (off_t)off) != REC_HDR)
        return 0;
    *len = get32(h);
    *seq = get64(h + 8);
    if (*len == 0)
        return 0;
    if (*len > TS_JOURNAL_MAX_RECORD || off + REC_HDR + *len > r->size ||
        pread(r->fd, buf, *len, (off_t)(off + REC_HDR)) != (ssize_t)*len)
        return -1;
    return rec_crc(r->no, *seq, *len, buf) == get32(h + 4) ? 1 : -1;
}

#define set_why(info, ...)                                                                         \
    do {                                                                                           \
        if (!(info)->why[0])                                                                       \
            snprintf((info)->why, sizeof((info)->why), __VA_ARGS__);                               \
    } while (0)

/* One segment: records from `*expected` on. Returns 1 to go on to the next
 * segment, 0 to stop, < 0 an error. */
static int replay_segment(seg_reader *r, uint64_t after_seq, uint64_t *expected, uint8_t *buf,
                          ts_journal_replay_fn fn, void *arg, ts_journal_replay_info *info)
{
    uint64_t off = r->align, seq = 0;
    uint32_t len = 0;
    for (;;) {
        int v = read_record(r, off, buf, &seq, &len);
        if (v == 0)
            return 1;
        if (v < 0) {
            /* Torn tail, or a recycled segment's old records: the end of
             * this segment. A good next record shows damage instead. */
            uint64_t nseq;
            uint32_t nlen;
            if (len <= TS_JOURNAL_MAX_RECORD &&
                read_record(r, off + REC_HDR + len, buf, &nseq, &nlen) == 1 &&
                nseq == *expected + 1) {
                info->damaged = 1;
                set_why(info, "bad record at seq %llu in segment %llx; later records kept aside",
                        (unsigned long long)*expected, (unsigned long long)r->no);
                return 0;
            }
            return 1;
        }
        if (seq > *expected) {
            info->damaged = 1;
            set_why(info, "seq %llu missing (found %llu)", (unsigned long long)*expected,
                    (unsigned long long)seq);
            return 0;
        }
        if (seq == *expected) {
            if (seq > after_seq) {
                int rc = fn(arg, seq, buf, len);
                if (rc)
                    return rc;
                info->records++;
                info->last_seq = seq;
            }
            (*expected)++;
        } else if (seq > after_seq) {
            return 1; /* an older life of this segment: its end */
        }
        off += REC_HDR + len;
    }
}

int ts_journal_replay(ts_journal *j, uint64_t after_seq, ts_journal_replay_fn fn, void *arg,
                      ts_journal_replay_info *info)
{
    memset(info, 0, sizeof(*info));
    info->last_seq = after_seq;
    uint64_t *segs = NULL;
    size_t n = 0;
    int rc = list_segments(j, &segs, &n);
    uint8_t *buf = rc == 0 ? malloc(TS_JOURNAL_MAX_RECORD) : NULL;
    if (rc == 0 && !buf)
        rc = TS_ENOMEM;
    uint64_t expected = after_seq + 1;
    int go = 1;
    for (size_t i = 0; rc == 0 && go && i < n; i++) {
        seg_reader r;
        if (read_header(j, segs[i], &r) != 0)
            continue; /* never written (its first group was cut): nothing in it */
        if (r.first_seq > expected) {
            info->damaged = 1;
            set_why(info, "segment %llx starts at seq %llu: a segment is missing",
                    (unsigned long long)r.no, (unsigned long long)r.first_seq);
            go = 0;
        } else {
            int v = replay_segment(&r, after_seq, &expected, buf, fn, arg, info);
            if (v < 0)
                rc = v;
            go = v == 1;
        }
        close(r.fd);
    }
    if (!info->why[0])
        snprintf(info->why, sizeof(info->why), "end of journal after seq %llu",
                 (unsigned long long)(expected - 1));
    free(buf);
    free(segs);
    return rc;
}
