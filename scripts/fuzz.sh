#!/bin/sh
# Builds every libFuzzer target (fuzz/fuzz_*.c) with clang and runs each for
# SECONDS (default 60), starting from its seed corpus in fuzz/corpus/NAME.
# A crash, leak or sanitizer report fails the script.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
build="$root/build-fuzz"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DTS_FUZZ=ON -DTS_TESTS=OFF -DTS_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)"
for src in "$root"/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    work="$build/corpus-$name"
    mkdir -p "$work"
    seeds="$root/fuzz/corpus/$name"
    [ -d "$seeds" ] || seeds=""
    echo "fuzz: $name for ${secs}s"
    # shellcheck disable=SC2086
    "$build/fuzz/$name" -max_total_time="$secs" -max_len=300000 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$work" $seeds 2>"$build/$name.log" ||
        { tail -50 "$build/$name.log"; echo "fuzz: $name FAILED"; exit 1; }
    grep -E "stat::number_of_executed_units" "$build/$name.log" || true
done
echo "fuzz: all targets ran clean"
