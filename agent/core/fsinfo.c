/* fsinfo.c - free space of a file system (see fsinfo.h). */
#include "core/fsinfo.h"

#include <string.h>
#include <sys/statvfs.h>

#include "core/error.h"

int ts_fs_space_of(const char *path, ts_fs_space *out)
{
    struct statvfs sv;

    memset(out, 0, sizeof(*out));
    if (statvfs(path, &sv) != 0)
        return TS_EIO;
    /* The block counts are fsblkcnt_t (64-bit with _FILE_OFFSET_BITS=64),
     * f_frsize an unsigned long: widen before multiplying so 32-bit ARM
     * does not overflow on a large card. */
    uint64_t unit = sv.f_frsize ? (uint64_t)sv.f_frsize : (uint64_t)sv.f_bsize;
    out->total_bytes = (uint64_t)sv.f_blocks * unit;
    out->avail_bytes = (uint64_t)sv.f_bavail * unit;
    return 0;
}
