/*
 * semver.h - semantic versions (semver.org 2.0) for the update's
 * anti-rollback rule: 0.10.0 > 0.9.0, 1.0.0-rc.1 < 1.0.0; build metadata
 * (+...) is ignored. Pure functions, bounded input.
 */
#ifndef TILLSYNC_SEMVER_H
#define TILLSYNC_SEMVER_H

#include <stdint.h>

#define TS_SEMVER_MAX 63 /* longest version string accepted */

typedef struct ts_semver {
    uint32_t major, minor, patch;
    char pre[TS_SEMVER_MAX + 1]; /* "" for a release */
} ts_semver;

/* 0, or TS_EINVAL when s is not MAJOR.MINOR.PATCH[-pre][+build]. */
int ts_semver_parse(const char *s, ts_semver *out);
/* <0, 0, >0 as a is lower, equal (precedence) or higher than b. */
int ts_semver_cmp(const ts_semver *a, const ts_semver *b);
/* Parses both and compares into *out; TS_EINVAL when either is not a version. */
int ts_semver_cmp_str(const char *a, const char *b, int *out);

#endif
