#!/bin/sh
# The demo store, on a fresh Debian 12 machine, in one command:
#   scripts/demo.sh
# Builds the agent, makes throw-away certificates, and starts on loopback:
#   - a stand-in for central (mutual TLS, port 8443),
#   - a stand-in for Odoo (JSON-RPC/JSON-2, port 8069, 500 products),
#   - the agent (POS API and status page on port 8470),
#   - four sample tills selling at the prices the agent's copy gives them.
# Then it prints the status page's address. Ctrl-C stops everything.
# Ports can be moved with DEMO_AGENT_PORT, DEMO_CENTRAL_PORT, DEMO_ODOO_PORT.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
agent_port=${DEMO_AGENT_PORT:-8470}
central_port=${DEMO_CENTRAL_PORT:-8443}
odoo_port=${DEMO_ODOO_PORT:-8069}
demo=${DEMO_DIR:-$root/build/demo}

"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build" >/dev/null
cmake --build "$root/build" -j"$(nproc)" --target tillsync >/dev/null
mkdir -p "$demo"
"$root/scripts/make-test-certs.sh" "$demo/certs"

pids=""
cleanup() {
    trap - INT TERM EXIT
    # shellcheck disable=SC2086
    [ -n "$pids" ] && kill $pids 2>/dev/null
    wait 2>/dev/null || true
    echo "demo stopped; its files are in $demo"
}
trap cleanup INT TERM EXIT

# wait_line FILE PATTERN: until a process has written its ready line
wait_line() {
    i=0
    until grep -q "$2" "$1" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 300 ] || { echo "demo: $1 never said '$2':"; tail -5 "$1"; exit 1; }
        sleep 0.1
    done
}

python3 "$root/tests/standins/central.py" --certs "$demo/certs" --port "$central_port" \
    --control-port 0 --db "$demo/central.sqlite" >"$demo/central.out" 2>"$demo/central.log" &
pids="$pids $!"
python3 "$root/tests/standins/odoo.py" --products 500 --port "$odoo_port" --control-port 0 \
    --key demo-odoo-key >"$demo/odoo.out" 2>"$demo/odoo.log" &
pids="$pids $!"
wait_line "$demo/central.out" control_port
wait_line "$demo/odoo.out" control_port

umask 077
printf 'demo-odoo-key\n' >"$demo/odoo.key"
hash() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
cat >"$demo/tillsync.json" <<CFG
{
  "store_id": "S042",
  "data_dir": "$demo/data",
  "listen": "127.0.0.1:$agent_port",
  "registers": [
    {"id": "R1", "token_sha256": "$(hash demo-token-R1)"},
    {"id": "R2", "token_sha256": "$(hash demo-token-R2)"},
    {"id": "R3", "token_sha256": "$(hash demo-token-R3)"},
    {"id": "R4", "token_sha256": "$(hash demo-token-R4)"}
  ],
  "central": {
    "url": "https://127.0.0.1:$central_port",
    "ca_file": "$demo/certs/ca.pem",
    "cert_file": "$demo/certs/store.pem",
    "key_file": "$demo/certs/store.key",
    "heartbeat_s": 15,
    "retry_max_ms": 30000
  },
  "odoo": {
    "url": "http://127.0.0.1:$odoo_port",
    "db": "retail",
    "login": "store-s042-bot",
    "api_key_file": "$demo/odoo.key",
    "location_id": 8,
    "pricelist_id": 3,
    "delta_s": 20,
    "full_resync_s": 600,
    "resync_jitter_s": 0
  }
}
CFG
"$root/build/tillsync" --check-config "$demo/tillsync.json" >/dev/null
"$root/build/tillsync" --config "$demo/tillsync.json" 2>"$demo/agent.log" &
pids="$pids $!"
wait_line "$demo/agent.log" "event=agent.ready"
python3 "$root/scripts/demo-tills.py" "$agent_port" 40 >"$demo/tills.log" 2>&1 &
pids="$pids $!"

cc=$(sed -n 's/.*"control_port": *\([0-9]*\).*/\1/p' "$demo/central.out")
oc=$(sed -n 's/.*"control_port": *\([0-9]*\).*/\1/p' "$demo/odoo.out")
cat <<MSG

  tillsync demo store is running.

  Open the status page:   http://127.0.0.1:$agent_port/
  Status as JSON:         http://127.0.0.1:$agent_port/v1/status
  Metrics:                http://127.0.0.1:$agent_port/metrics
  Look up an item:        curl http://127.0.0.1:$agent_port/v1/items/SKU-000042

  Try an outage (the tills keep selling; sales wait and go out when it returns):
    curl -s -XPOST localhost:$cc/control -d '{"cmd":"go_down"}'   # central away
    curl -s -XPOST localhost:$cc/control -d '{"cmd":"come_up"}'   # and back
    curl -s -XPOST localhost:$oc/ -d '{"cmd":"down"}'             # Odoo away
    curl -s -XPOST localhost:$oc/ -d '{"cmd":"up"}'

  Logs: $demo/agent.log (agent), $demo/tills.log (tills).   Ctrl-C stops the demo.

MSG
wait
