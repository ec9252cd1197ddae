#!/usr/bin/env bash
# The agent (bench_io, journal on) beside PostgreSQL 15 and Mosquitto 2.0
# in one run, same sale JSON, same disk (/tmp), loopback: one table of
# ratios agent / peer at 1, 8 and 64 clients. Not part of ctest/CI.
# Usage: bench/peers/compare.sh [build-dir] [sales-per-agent-cell] [peer-seconds]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../../build}
SALES=${2:-4000}
SECS=${3:-10}
OUT=$(mktemp -d /tmp/tillsync-compare-XXXXXX)
trap 'rm -rf "$OUT"' EXIT
"$BUILD/bench/bench_io" "agent=$BUILD/tillsync,,\"storage\":{\"journal\":true}" "$SALES" |
    tee "$OUT/agent"
"$HERE/pg.sh" "$SECS" | tee "$OUT/pg"
/usr/bin/python3 "$HERE/mqtt.py" "$SECS" | tee "$OUT/mqtt"
echo
printf '%-8s %12s %12s %12s %10s %10s\n' clients agent/s pg/s mqtt/s agent÷pg agent÷mqtt
for c in 1 8 64; do
    a=$(awk -v c="$c" '$1 == "agent" && $2 == c { print $3 }' "$OUT/agent")
    p=$(awk -v c="$c" '$1 == "pg" && $2 == c { print $3 }' "$OUT/pg")
    m=$(awk -v c="$c" '$1 == "mqtt" && $2 == c { print $3 }' "$OUT/mqtt")
    awk -v c="$c" -v a="$a" -v p="$p" -v m="$m" 'BEGIN {
        printf "%-8s %12.0f %12.0f %12.0f %10.2f %10.2f\n", c, a, p, m, a / p, a / m }'
done
grep '^mqtt sigkill' "$OUT/mqtt" || true
