# CMake toolchain file: 32-bit ARM, hard float (ARMv7: Raspberry Pi 2/3 with
# a 32-bit OS and similar gateways running Debian 12 armhf), built on an
# x86-64 Debian 12 host.
#   cmake -S . -B build-cross-armhf -DCMAKE_TOOLCHAIN_FILE=cross/arm-linux-gnueabihf.cmake
# What it needs (scripts/install-cross-deps.sh armhf): gcc-arm-linux-gnueabihf,
# the target's -dev packages as libfoo-dev:armhf (multiarch), and
# qemu-user-static to run the tests. See cross/common.cmake.
#
# 32-bit is where size and time bugs show: the top CMakeLists.txt builds with
# _TIME_BITS=64 and _FILE_OFFSET_BITS=64 (glibc 2.36 has both), and this file
# (through common.cmake) shows every cast that could make an unaligned access
# on ARM (-Wcast-align=strict).
set(TS_CROSS_TRIPLET arm-linux-gnueabihf)
set(TS_CROSS_PROCESSOR arm)
set(TS_CROSS_DEB_ARCH armhf)
set(TS_CROSS_QEMU qemu-arm-static)
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
