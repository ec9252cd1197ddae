#!/bin/sh
# The whole test suite, from a clean clone on Debian 12:
#   scripts/test.sh              build (warnings are errors) and run every test
#   scripts/test.sh --sanitize   the same under AddressSanitizer + UBSan
# Installs what it needs first (apt-get; as root, or through sudo).
# Extra arguments after the mode go to ctest (e.g. -R txnlog).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
mode=plain
case "${1:-}" in
--sanitize) mode=sanitize; shift ;;
--plain) shift ;;
esac
"$root/scripts/install-deps.sh"
# playwright-core for the browser test, pinned by tests/browser/package-lock.json
if [ ! -d "$root/tests/browser/node_modules/playwright-core" ]; then
    (cd "$root/tests/browser" && npm ci --no-audit --no-fund --silent)
fi
build="$root/build"
flags="-DTS_WERROR=ON"
if [ "$mode" = sanitize ]; then
    build="$root/build-sanitize"
    flags="$flags -DTS_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"
    # leaks are errors too; abort on the first report so ctest sees it
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1"
    # The plain run makes the 400 power cuts; under the sanitizers 100 keep
    # the same checks on the instrumented build in a quarter of the time.
    export TS_PC_CUTS="${TS_PC_CUTS:-100}"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
fi
# shellcheck disable=SC2086
cmake -S "$root" -B "$build" $flags >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j2 "$@"
