/*
 * elfcheck.h - is a file an executable this machine can run? (update.md:
 * an armhf box offered an amd64 build refuses it before any restart.)
 * Checks the ELF header only: magic, class (32/64-bit), byte order, type
 * (executable or PIE) and machine against what this build was compiled for.
 */
#ifndef TILLSYNC_ELFCHECK_H
#define TILLSYNC_ELFCHECK_H

#include <stddef.h>
#include <stdint.h>

/* The first bytes of a file; 0 when it runs here, else TS_EINVAL with the
 * reason in plain words ("built for arm64; this box is amd64"). */
int ts_elf_check(const uint8_t *head, size_t len, char *err, size_t errlen);
/* The same on a file's first 64 bytes (TS_EIO when unreadable). */
int ts_elf_check_file(const char *path, char *err, size_t errlen);
/* This build's architecture in Debian's words: "amd64", "arm64", "armhf". */
const char *ts_elf_own_arch(void);

#endif
