#!/usr/bin/env bash
# The agent (journal on) beside PostgreSQL 15 and Mosquitto 2.0 in one run,
# same sale JSON, same disk (/tmp), loopback; one table of ratios. Not part
# of ctest/CI. Run as root (pg.sh runs PostgreSQL as postgres).
#
# Usage: bench/peers/compare.sh [build-dir] [sales-per-agent-cell] [peer-seconds]
#   BEFORE=/path/to/older/tillsync  also runs that build (before/after)
#   ROUNDS=5                         1-client rounds, agent and PostgreSQL
#                                    alternating (the box is shared: a
#                                    neighbour's burst must hit both alike)
#   BACKLOG=100000                   the drains' backlog
#
# In order: the disk's one-flush-per-write ceilings (bench_flush); the
# agent at 1/8/16/64 clients with bytes written and fdatasyncs per sale
# (bench_io); PostgreSQL at 1/8/64 (pg.sh); Mosquitto at 1/8/64, the
# SIGKILL loss and the bridge drain (mqtt.py); the agent's drain of the
# same backlog (agent_drain.py); the alternating 1-client rounds.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-$HERE/../../build}" && pwd)
SALES=${2:-4000}
SECS=${3:-10}
ROUNDS=${ROUNDS:-5}
BACKLOG=${BACKLOG:-100000}
OUT=$(mktemp -d /tmp/tillsync-compare-XXXXXX)
trap 'rm -rf "$OUT"' EXIT
J=',"storage":{"journal":true}'
BINS=("agent=$BUILD/tillsync,$J")
[ -n "${BEFORE:-}" ] && BINS+=("before=$BEFORE,$J")

echo "box: $(nproc) cpus, $(uname -r), $(df -T /tmp | awk 'NR == 2 { print $1, $2 }'); $(date -u '+%F %H:%M UTC')"
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/bench/bench_flush" /tmp 1 3 | tee "$OUT/flush"
"$BUILD/bench/bench_io" "${BINS[@]}" "$SALES" | tee "$OUT/agent"
"$HERE/pg.sh" "$SECS" | tee "$OUT/pg"
/usr/bin/python3 "$HERE/mqtt.py" "$SECS" 10000 "$BACKLOG" | tee "$OUT/mqtt"
python3 "$HERE/agent_drain.py" --bin "$BUILD/tillsync" --txns "$BACKLOG" | tee "$OUT/drain"
for r in $(seq "$ROUNDS"); do
    "$BUILD/bench/bench_io" "${BINS[@]}" clients=1 "$SALES" | sed "s/^/round$r /" |
        tee -a "$OUT/rounds"
    PG_CELLS=1 "$HERE/pg.sh" 3 | sed "s/^/round$r /" | tee -a "$OUT/rounds"
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$HERE/summary.py" "$OUT"
