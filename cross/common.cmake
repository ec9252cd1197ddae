# Shared part of the cross toolchain files (aarch64-linux-gnu.cmake,
# arm-linux-gnueabihf.cmake), which set TS_CROSS_TRIPLET, TS_CROSS_PROCESSOR,
# TS_CROSS_DEB_ARCH and TS_CROSS_QEMU, then include this file.
#
# Debian's way of cross building: the cross compiler (gcc-TRIPLET) already
# searches the multiarch directories /usr/include/TRIPLET and
# /usr/lib/TRIPLET where libfoo-dev:ARCH installs, so no sysroot is needed.
# This file points CMake's own searches (find_library, pkg-config) at the
# same places and away from the host's libraries, and makes ctest run the
# target's test programs under qemu-user.
#
# When the multiarch packages could not be installed beside the host's (see
# scripts/install-cross-deps.sh), the same packages unpacked into a sysroot
# are used instead: -DTS_CROSS_SYSROOT=DIR, or found by itself in
# /var/cache/tillsync-cross/ARCH/sysroot.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${TS_CROSS_PROCESSOR})

# CMake finds the matching TRIPLET-ar, -ranlib and -strip (the last one is
# what CPack strips the packaged binary with) from the compiler's name.
find_program(CMAKE_C_COMPILER ${TS_CROSS_TRIPLET}-gcc REQUIRED)

# find_library() looks in lib/TRIPLET first when this is set; the host's
# /usr/lib/x86_64-linux-gnu is never searched.
set(CMAKE_LIBRARY_ARCHITECTURE ${TS_CROSS_TRIPLET})
# Programs (python3, strip, dpkg tools) are the host's.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

set(TS_CROSS_SYSROOT_GUESS /var/cache/tillsync-cross/${TS_CROSS_DEB_ARCH}/sysroot)
if(NOT DEFINED TS_CROSS_SYSROOT AND NOT EXISTS /usr/lib/${TS_CROSS_TRIPLET}/pkgconfig/libuv.pc
   AND EXISTS ${TS_CROSS_SYSROOT_GUESS}/.tillsync-complete)
    set(TS_CROSS_SYSROOT ${TS_CROSS_SYSROOT_GUESS})
endif()
set(TS_CROSS_SYSROOT "${TS_CROSS_SYSROOT}" CACHE PATH
    "Sysroot with the target's libraries (empty: multiarch directories)")

# pkg-config must read the target's .pc files, never the host's. The
# environment is set here, before the first pkg_check_modules, and again on
# every re-run of cmake (the toolchain file is read each time).
unset(ENV{PKG_CONFIG_PATH})
if(TS_CROSS_SYSROOT)
    set(CMAKE_SYSROOT ${TS_CROSS_SYSROOT})
    set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
    set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
    set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
    set(ENV{PKG_CONFIG_SYSROOT_DIR} ${TS_CROSS_SYSROOT})
    set(ENV{PKG_CONFIG_LIBDIR}
        "${TS_CROSS_SYSROOT}/usr/lib/${TS_CROSS_TRIPLET}/pkgconfig:${TS_CROSS_SYSROOT}/usr/share/pkgconfig")
    set(TS_QEMU_LD_PREFIX ${TS_CROSS_SYSROOT})
else()
    set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${TS_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
    # libc6:ARCH comes with the multiarch libraries, its dynamic loader in
    # /lib; qemu must use that one. The cross compiler's own copy in
    # /usr/TRIPLET (libc6-ARCH-cross) is an older build of glibc, and its
    # ld.so with the newer libc.so.6 hangs the first pthread_create.
    set(TS_QEMU_LD_PREFIX /)
endif()

# Show casts that raise the alignment a pointer needs: on ARM a misaligned
# access through one can trap (ARMv7 LDRD/LDM, NEON) or be split. Many such
# casts are fine (a field found with offsetof is aligned), so they stay
# warnings for a reviewer even under TS_WERROR; scripts/cross-build.sh
# lists them at the end of a build.
set(CMAKE_C_FLAGS_INIT "-Wcast-align=strict -Wno-error=cast-align")

# ctest runs the target's test programs through qemu-user. -L: where qemu
# finds the target's dynamic loader and libraries (the multiarch
# directories of the host, or the sysroot).
find_program(TS_QEMU_USER ${TS_CROSS_QEMU})
if(TS_QEMU_USER)
    set(CMAKE_CROSSCOMPILING_EMULATOR "${TS_QEMU_USER};-L;${TS_QEMU_LD_PREFIX}")
    # For scripts (cross-build.sh runs the integration tests through it).
    set(TS_CROSS_EMULATOR "${TS_QEMU_USER} -L ${TS_QEMU_LD_PREFIX}" CACHE INTERNAL
        "Command line that runs a target program")
else()
    message(WARNING "${TS_CROSS_QEMU} not found: the tests will build but not run "
                    "(apt-get install qemu-user-static)")
endif()
