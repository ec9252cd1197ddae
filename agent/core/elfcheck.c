/* elfcheck.c - ELF header checks for update files (see elfcheck.h). */
#include "core/elfcheck.h"
#include "core/error.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__)
#define OWN_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define OWN_MACHINE EM_AARCH64
#elif defined(__arm__)
#define OWN_MACHINE EM_ARM
#elif defined(__i386__)
#define OWN_MACHINE EM_386
#elif defined(__riscv)
#define OWN_MACHINE EM_RISCV
#else
#error "unknown architecture: add it to elfcheck.c"
#endif

static const char *machine_name(unsigned m, int is64)
{
    switch (m) {
    case EM_X86_64:
        return "amd64";
    case EM_AARCH64:
        return "arm64";
    case EM_ARM:
        return "armhf";
    case EM_386:
        return "i386";
    case EM_RISCV:
        return is64 ? "riscv64" : "riscv32";
    default:
        return NULL;
    }
}

const char *ts_elf_own_arch(void)
{
    return machine_name(OWN_MACHINE, sizeof(void *) == 8);
}

static int own_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

static unsigned read_u16(const uint8_t *p, int little)
{
    return little ? (unsigned)(p[0] | p[1] << 8) : (unsigned)(p[1] | p[0] << 8);
}

int ts_elf_check(const uint8_t *head, size_t len, char *err, size_t errlen)
{
    if (len < 20 || memcmp(head, ELFMAG, SELFMAG) != 0) {
        snprintf(err, errlen, "the file is not a Linux program (no ELF header)");
        return TS_EINVAL;
    }
    int is64 = head[EI_CLASS] == ELFCLASS64, little = head[EI_DATA] == ELFDATA2LSB;
    unsigned type = read_u16(head + 16, little), machine = read_u16(head + 18, little);
    const char *theirs = machine_name(machine, is64);
    if (machine != OWN_MACHINE || is64 != (sizeof(void *) == 8) || little != own_little_endian()) {
        snprintf(err, errlen, "the file is built for %s%s; this box runs %s",
                 theirs ? theirs : "another machine", is64 ? " (64-bit)" : " (32-bit)",
                 ts_elf_own_arch());
        return TS_EINVAL;
    }
    if (type != ET_EXEC && type != ET_DYN) {
        snprintf(err, errlen, "the file is an ELF object but not a program (type %u)", type);
        return TS_EINVAL;
    }
    return 0;
}

int ts_elf_check_file(const char *path, char *err, size_t errlen)
{
    uint8_t head[64];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return TS_EIO;
    }
    ssize_t n = read(fd, head, sizeof(head));
    close(fd);
    return ts_elf_check(head, n > 0 ? (size_t)n : 0, err, errlen);
}
