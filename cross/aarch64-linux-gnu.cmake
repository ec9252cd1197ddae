# CMake toolchain file: 64-bit ARM (Raspberry Pi 3/4/5 and similar gateways
# running a 64-bit Debian 12), built on an x86-64 Debian 12 host.
#   cmake -S . -B build-cross-arm64 -DCMAKE_TOOLCHAIN_FILE=cross/aarch64-linux-gnu.cmake
# What it needs (scripts/install-cross-deps.sh arm64): gcc-aarch64-linux-gnu,
# the target's -dev packages as libfoo-dev:arm64 (multiarch), and
# qemu-user-static to run the tests. See cross/common.cmake.
set(TS_CROSS_TRIPLET aarch64-linux-gnu)
set(TS_CROSS_PROCESSOR aarch64)
set(TS_CROSS_DEB_ARCH arm64)
set(TS_CROSS_QEMU qemu-aarch64-static)
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
