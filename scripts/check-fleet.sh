#!/bin/sh
# CI: checks fleet/prometheus/*.yml with promtool, from Debian 12's
# prometheus package (about 100 MB, so installed here for CI only, not by
# install-deps.sh). The metric names themselves are checked against a
# running agent by tests/integration/test_fleet_metrics.py, which also runs
# promtool when it is installed.
set -eu
cd "$(dirname "$0")/.."
if ! command -v promtool >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool check rules fleet/prometheus/*.yml
python3 -m json.tool fleet/grafana/tillsync-fleet.json >/dev/null
echo "fleet: rules and dashboard check out"
