#!/bin/sh
# Builds every libFuzzer target (fuzz/fuzz_*.c) with clang and runs each for
# SECONDS (default 60), starting from its seed corpus in fuzz/corpus/NAME.
# A crash, leak or sanitizer report fails the script; so does a target
# without a seed corpus (every parser of outside input keeps real seeds).
#
# The repository's corpora are read-only by default (CI): new inputs go to
# build-fuzz/corpus-NAME. With --merge, each run's finds that add coverage
# are merged back into fuzz/corpus/NAME (libFuzzer -merge=1: only inputs
# that reach new code), to be reviewed and committed.
#
# Usage: scripts/fuzz.sh [--merge] [SECONDS] [TARGET...]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
merge=0
if [ "${1:-}" = "--merge" ]; then
    merge=1
    shift
fi
secs=${1:-60}
[ $# -gt 0 ] && shift
build="$root/build-fuzz"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DTS_FUZZ=ON -DTS_TESTS=OFF -DTS_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)"
if [ $# -gt 0 ]; then
    names="$*"
else
    names=$(for src in "$root"/fuzz/fuzz_*.c; do basename "$src" .c; done)
fi
for name in $names; do
    seeds="$root/fuzz/corpus/$name"
    if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
        echo "fuzz: $name has no seed corpus in fuzz/corpus/$name"
        exit 1
    fi
    work="$build/corpus-$name"
    mkdir -p "$work"
    echo "fuzz: $name for ${secs}s ($(ls "$seeds" | wc -l) seeds)"
    "$build/fuzz/$name" -max_total_time="$secs" -max_len=300000 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$work" "$seeds" 2>"$build/$name.log" ||
        { tail -50 "$build/$name.log"; echo "fuzz: $name FAILED"; exit 1; }
    grep -E "stat::number_of_executed_units" "$build/$name.log" || true
    if [ "$merge" = 1 ]; then
        before=$(ls "$seeds" | wc -l)
        "$build/fuzz/$name" -merge=1 -max_len=300000 -timeout=10 "$seeds" "$work" \
            2>"$build/$name.merge.log" ||
            { tail -20 "$build/$name.merge.log"; echo "fuzz: merge of $name FAILED"; exit 1; }
        echo "fuzz: $name corpus $before -> $(ls "$seeds" | wc -l) inputs (review, then commit)"
    fi
done
echo "fuzz: all targets ran clean"
