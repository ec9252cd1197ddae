#!/bin/sh
# Builds tillsync for one architecture from this checkout (a clean clone is
# enough: it installs what it needs), runs the unit tests (under qemu-user
# for ARM), and shows what came out.
#
# Usage: scripts/cross-build.sh ARCH [--no-tests] [--integration] [--clean]
#   ARCH           amd64 (native), arm64 (aarch64-linux-gnu) or armhf
#                  (arm-linux-gnueabihf)
#   --no-tests     build only
#   --integration  also run the integration tests (tests/integration), the
#                  agent under qemu-user for ARM
#   --clean        start from an empty build directory
# Output: build-cross-ARCH/tillsync; `cd build-cross-ARCH && cpack -G DEB`
# makes its .deb (scripts/build-debs.sh does it for all three).
# Run as root or with sudo (the first run installs packages with apt-get).
set -eu
usage() {
    echo "usage: $0 amd64|arm64|armhf [--no-tests] [--integration] [--clean]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
arch=$1
shift
tests=yes
integration=""
clean=""
for opt in "$@"; do
    case $opt in
    --no-tests) tests="" ;;
    --integration) integration=yes ;;
    --clean) clean=yes ;;
    *) usage ;;
    esac
done
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build-cross-$arch
log=$build/build.log

case $arch in
amd64)
    toolchain=""
    toolchain_prefix=""
    expect="ELF 64-bit LSB .*x86-64"
    ;;
arm64)
    toolchain=$src/cross/aarch64-linux-gnu.cmake
    toolchain_prefix=aarch64-linux-gnu-
    expect="ELF 64-bit LSB .*ARM aarch64"
    ;;
armhf)
    toolchain=$src/cross/arm-linux-gnueabihf.cmake
    toolchain_prefix=arm-linux-gnueabihf-
    expect="ELF 32-bit LSB .*ARM, EABI5"
    ;;
*) usage ;;
esac
sh "$src/scripts/install-deps.sh" # the host's tools and libraries
[ -z "$toolchain" ] || sh "$src/scripts/install-cross-deps.sh" "$arch"

# A build directory first configured without the flags below (by hand)
# would keep its own: start it again.
if [ -f "$build/CMakeCache.txt" ] && ! grep -q '^CMAKE_C_FLAGS:.*_FORTIFY_SOURCE' "$build/CMakeCache.txt"; then
    clean=yes
fi
[ -z "$clean" ] || rm -rf "$build"
mkdir -p "$build"

# Debian's hardening flags for this architecture (stack protector, fortify,
# relro/now), as a Debian package build would use them, less the file
# prefix map: tests find their fixtures through __FILE__. Given through the
# environment: CMake starts CMAKE_C_FLAGS from $CFLAGS plus the toolchain
# file's own flags (only when it first configures a build directory).
flags() {
    DEB_HOST_ARCH=$arch DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get "$1" |
        sed 's/-ffile-prefix-map=[^ ]*//g'
}
CFLAGS="$(flags CPPFLAGS) $(flags CFLAGS)"
LDFLAGS=$(flags LDFLAGS)
export CFLAGS LDFLAGS

# The integration tests are Python driving the agent binary named by
# TILLSYNC_BIN; for ARM that is a wrapper that execs it under qemu-user
# (exec: signals sent to the pid reach the agent). They run one by one
# like ctest would, each in its own process.
# Under qemu-user the ARM agent runs the tests that exercise its own code
# paths on that architecture: intake and durability, the txn log, the uplink
# over mutual TLS, the Odoo copy and pricing, the status. The others run
# natively on amd64 only, because they cannot see an emulated agent as they
# need to (the power-cut and disk-fault shim is an LD_PRELOAD library for the
# host, which qemu-user's syscall emulation bypasses; the update tests build
# a second agent for the host; store_recovery runs the host's mdb_dump beside
# the agent on a shared lock file; store_readonly remounts file systems) or
# would take most of CI's time under emulation (thousands of connections,
# 50 agents, 10 000-product deltas, a 90 s soak, Chromium).
QEMU_TESTS="central_standin cli http_robustness intake_api intake_crash intake_space
    odoo_auth odoo_base_pricelist odoo_dates odoo_delta odoo_duplicates odoo_failures odoo_pending
    odoo_protocol odoo_reprice odoo_restart
    odoo_snapshot pos_contract status_json status_metrics status_page uplink_config
    uplink_delivery uplink_kill uplink_reject uplink_tls"
QEMU_TESTS=$(echo $QEMU_TESTS)

run_integration_tests() {
    agent=$bin
    emulator=$(sed -n 's/^TS_CROSS_EMULATOR:INTERNAL=//p' "$build/CMakeCache.txt")
    if [ -n "$emulator" ]; then
        agent=$build/tillsync-emulated
        printf '#!/bin/sh\nexec %s %s "$@"\n' "$emulator" "$bin" >"$agent"
        chmod +x "$agent"
    fi
    echo "cross-build: integration tests for $arch${emulator:+ under qemu-user}"
    passed=0
    failed=0
    skipped=0
    for t in "$src"/tests/integration/test_*.py; do
        name=$(basename "$t" .py)
        if [ -n "$emulator" ] && ! echo " $QEMU_TESTS " | grep -q " ${name#test_} "; then
            skipped=$((skipped + 1))
            continue
        fi
        started=$(date +%s)
        if TILLSYNC_BIN=$agent TS_SOURCE_DIR=$src TS_TEST_TMP=$build/tests/tmp \
            PYTHONDONTWRITEBYTECODE=1 timeout 900 python3 -u "$t" >"$build/it-$name.log" 2>&1; then
            passed=$((passed + 1))
            echo "  it.$name: passed ($(($(date +%s) - started)) s)"
        else
            failed=$((failed + 1))
            echo "  it.$name: FAILED ($(($(date +%s) - started)) s), last lines of $build/it-$name.log:"
            tail -15 "$build/it-$name.log" | sed 's/^/    /'
        fi
    done
    echo "cross-build: $arch integration tests: $passed passed, $failed failed" \
        "(${skipped} left to the native run: see QEMU_TESTS)"
    [ "$failed" = 0 ] || exit 1
}

echo "cross-build: configuring $arch in $build"
cmake -S "$src" -B "$build" ${toolchain:+-DCMAKE_TOOLCHAIN_FILE="$toolchain"} \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTS_WERROR=ON >"$build/configure.log" ||
    { cat "$build/configure.log"; exit 1; }
echo "cross-build: building $arch"
if ! cmake --build "$build" -j "$(nproc)" >"$log" 2>&1; then
    grep -E -B3 'error|Error' "$log" | tail -40
    echo "cross-build: $arch build failed (whole log: $log)" >&2
    exit 1
fi
# Casts that raise alignment are warnings, not errors (cross/common.cmake):
# list them so a reviewer sees each one. Only a fresh compile shows them.
casts=$(grep -E 'warning: .*Wcast-align' "$log" | sort -u || true)
if [ -n "$casts" ]; then
    echo "cross-build: casts that raise the alignment (check each is aligned):"
    echo "$casts" | sed 's/^/  /'
fi

if [ -n "$tests" ]; then
    echo "cross-build: unit tests for $arch${toolchain:+ under qemu-user}"
    (cd "$build" && ctest -R '^unit\.' --output-on-failure -j "$(nproc)")
fi

bin=$build/tillsync
if [ -n "$tests" ] && [ -n "$integration" ]; then
    run_integration_tests
fi
if [ "$arch" = armhf ]; then
    # 64-bit time on 32-bit ARM: with _TIME_BITS=64 every libc call that
    # takes a time_t or struct stat binds to its 64-bit variant
    # (__clock_gettime64, __stat64_time64, ...). A plain name here means a
    # file was built without it and will break in 2038.
    time32='clock_gettime|clock_getres|clock_nanosleep|clock_settime|time|gettimeofday|nanosleep'
    time32="$time32|stat|fstat|lstat|fstatat|stat64|fstat64|lstat64|fstatat64|fcntl|fcntl64|ioctl"
    time32="$time32|gmtime|gmtime_r|localtime|localtime_r|mktime|timegm|difftime|ctime|ctime_r"
    time32="$time32|utime|utimes|utimensat|futimens|futimes|select|pselect|ppoll|recvmmsg"
    time32="$time32|setsockopt|getsockopt|pthread_cond_timedwait|pthread_mutex_timedlock"
    time32="$time32|sem_timedwait|sigtimedwait|timerfd_settime|timerfd_gettime|timer_settime"
    time32="$time32|timer_gettime|setitimer|getitimer|wait4|getrusage"
    found=$(for f in "$bin" "$build"/tests/test_*; do
        [ -f "$f" ] && "${toolchain_prefix}nm" -D --undefined-only "$f"
    done | awk '{print $2}' | sed 's/@.*//' | sort -u | grep -xE "$time32" || true)
    if [ -n "$found" ]; then
        echo "cross-build: 32-bit time_t calls in the armhf build: $(echo "$found" | tr "\n" " ")" >&2
        exit 1
    fi
    echo "cross-build: armhf: every time and stat call is its 64-bit time variant"
fi
info=$(file -b "$bin")
echo "cross-build: $bin: $info"
if ! echo "$info" | grep -Eq "$expect"; then
    echo "cross-build: expected '$expect' for $arch" >&2
    exit 1
fi
