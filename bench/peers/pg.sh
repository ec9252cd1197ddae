#!/usr/bin/env bash
# PostgreSQL 15 (Debian's) as the store's buffer: the same sale JSON as
# bench/bench_io.c, one INSERT per sale with a unique txn id (primary key),
# fsync=on and synchronous_commit=on, pgbench over TCP loopback at 1/8/64
# clients. Prints "pg CLIENTS SALES_PER_S" lines. Not part of ctest/CI.
# Usage: bench/peers/pg.sh [seconds-per-cell]   (as root: installs, runs as postgres)
# PG_CELLS="1 8 64" (default): the client counts, in order; repeats allowed.
set -euo pipefail
SECS=${1:-10}
PORT=${PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
command -v /usr/lib/postgresql/15/bin/pgbench >/dev/null 2>&1 ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 >/dev/null
BIN=/usr/lib/postgresql/15/bin
DIR=$(mktemp -d /tmp/tillsync-peer-pg-XXXXXX)
chown postgres: "$DIR"
as_pg() { runuser -u postgres -- "$@"; }
cleanup() {
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
    [ -n "${PG_KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT
as_pg "$BIN/initdb" -D "$DIR/data" -U bench --auth=trust >/dev/null
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/pg.log" -w start -o \
    "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=on -c synchronous_commit=on \
     -c full_page_writes=on -c max_connections=100" >/dev/null
psql() { "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U bench -d postgres -qAt "$@"; }
psql -c "CREATE TABLE sales (txn_id text PRIMARY KEY, body json NOT NULL,
                             received_at timestamptz NOT NULL DEFAULT now())"
# The body of bench_io.c's sale; a space after the colons that precede a
# number, because pgbench reads ":1299" as a variable (8 bytes more).
cat > "$DIR/sale.sql" <<'SQL'
\set id random(1, 9000000000000000000)
INSERT INTO sales (txn_id, body) VALUES ('B-' || :id::bigint, format('{"txn_id":"B-%s","type":"sale","register_id":"R1","occurred_at":"2026-11-22T10:15:00+01:00","currency":"EUR","lines":[{"sku":"SKU-1","qty": 1,"unit_price": 1299,"amount": 1299}],"payments":[{"method":"cash","amount": 1299}],"total": 1299}', :id::bigint)::json);
SQL
for c in ${PG_CELLS:-1 8 64}; do
    j=$((c < 4 ? c : 4))
    tps=$("$BIN/pgbench" -h 127.0.0.1 -p "$PORT" -U bench -n -M prepared -c "$c" -j "$j" \
        -T "$SECS" -f "$DIR/sale.sql" postgres 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
    printf 'pg %d %.0f\n' "$c" "$tps"
done
printf 'pg rows %s\n' "$(psql -c 'SELECT count(*) FROM sales')"
