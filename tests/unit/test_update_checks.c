/*
 * test_update_checks.c - the pure parts of the self-update's checks
 * (update.md): semantic-version precedence for the anti-rollback rule and
 * the ELF header check that refuses a build for another machine. cmocka.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the four above first */
#include <cmocka.h>
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "core/elfcheck.h"
#include "core/error.h"
#include "core/semver.h"

static int cmp(const char *a, const char *b)
{
    int c = 99;
    assert_int_equal(ts_semver_cmp_str(a, b, &c), 0);
    return c;
}

static void semver_order(void **state)
{
    (void)state;
    assert_int_equal(cmp("0.10.0", "0.9.0"), 1); /* numbers, not text */
    assert_int_equal(cmp("0.9.0", "0.10.0"), -1);
    assert_int_equal(cmp("1.0.0", "1.0.0"), 0);
    assert_int_equal(cmp("1.0.0+build.7", "1.0.0"), 0); /* build metadata ignored */
    assert_int_equal(cmp("1.0.0-rc.1", "1.0.0"), -1);   /* a pre-release is lower */
    assert_int_equal(cmp("1.0.0-alpha", "1.0.0-alpha.1"), -1);
    assert_int_equal(cmp("1.0.0-alpha.1", "1.0.0-alpha.beta"), -1);
    assert_int_equal(cmp("1.0.0-beta.2", "1.0.0-beta.11"), -1);
    assert_int_equal(cmp("1.0.0-rc.1", "1.0.0-beta.11"), 1);
    assert_int_equal(cmp("2.0.0", "10.0.0"), -1);
    assert_int_equal(cmp("4294967295.0.0", "1.0.0"), 1);
}

static void semver_rejects(void **state)
{
    (void)state;
    const char *bad[] = {
        "",         "1",          "1.2",    "1.2.3.4", "01.2.3", "1.02.3",         "1.2.3-",
        "1.2.3+",   "1.2.3-a..b", "v1.2.3", "1.2.3 ",  "-1.2.3", "4294967296.0.0", "1.2.3-ä",
        "1.2.3-a_b"};
    ts_semver v;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(ts_semver_parse(bad[i], &v), TS_EINVAL);
    char longest[80];
    memset(longest, '1', sizeof(longest));
    memcpy(longest, "1.2.3-", 6);
    longest[sizeof(longest) - 1] = '\0';
    assert_int_equal(ts_semver_parse(longest, &v), TS_EINVAL); /* over TS_SEMVER_MAX */
    assert_int_equal(ts_semver_parse("0.5.0-rc.1+abc", &v), 0);
    assert_string_equal(v.pre, "rc.1");
}

/* A header as this build would write it, then changed one field at a time. */
static void own_header(uint8_t h[64])
{
    memset(h, 0, 64);
    memcpy(h, ELFMAG, SELFMAG);
    h[EI_CLASS] = sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32;
    h[EI_DATA] = ELFDATA2LSB;
    uint16_t type = ET_DYN, machine;
    FILE *f = fopen("/proc/self/exe", "rb"); /* this test is built for this machine */
    assert_non_null(f);
    uint8_t self[20];
    assert_int_equal(fread(self, 1, 20, f), 20);
    fclose(f);
    memcpy(&machine, self + 18, 2);
    memcpy(h + 16, &type, 2);
    memcpy(h + 18, &machine, 2);
}

static void elf_checks(void **state)
{
    (void)state;
    uint8_t h[64];
    char err[200];
    own_header(h);
    assert_int_equal(ts_elf_check(h, sizeof(h), err, sizeof(err)), 0);
    assert_int_equal(ts_elf_check_file("/proc/self/exe", err, sizeof(err)), 0);

    uint16_t other = h[18] == 183 ? EM_X86_64 : EM_AARCH64;
    memcpy(h + 18, &other, 2);
    assert_int_equal(ts_elf_check(h, sizeof(h), err, sizeof(err)), TS_EINVAL);
    assert_non_null(strstr(err, "this box runs"));
    assert_non_null(strstr(err, ts_elf_own_arch()));

    own_header(h);
    h[EI_CLASS] = h[EI_CLASS] == ELFCLASS64 ? ELFCLASS32 : ELFCLASS64; /* armhf on arm64 */
    assert_int_equal(ts_elf_check(h, sizeof(h), err, sizeof(err)), TS_EINVAL);

    own_header(h);
    uint16_t rel = ET_REL;
    memcpy(h + 16, &rel, 2);
    assert_int_equal(ts_elf_check(h, sizeof(h), err, sizeof(err)), TS_EINVAL);
    assert_non_null(strstr(err, "not a program"));

    assert_int_equal(ts_elf_check((const uint8_t *)"#!/bin/sh\n", 10, err, sizeof(err)), TS_EINVAL);
    assert_int_equal(ts_elf_check(h, 3, err, sizeof(err)), TS_EINVAL);
    assert_int_equal(ts_elf_check_file("/nonexistent/tillsync", err, sizeof(err)), TS_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(semver_order),
        cmocka_unit_test(semver_rejects),
        cmocka_unit_test(elf_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
