#!/bin/sh
# CI: checks the alert rules in fleet/prometheus/ with promtool, from
# Debian 12's prometheus package (about 100 MB, so installed here for CI
# only, not by install-deps.sh): `check rules` on the rule files, then the
# rules' unit tests (*.test.yml: each alert fires after its `for:` and not
# below its threshold). The metric names themselves are checked against a
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
set --
for f in fleet/prometheus/*.yml; do
    case "$f" in
    *.test.yml) ;;
    *) set -- "$@" "$f" ;;
    esac
done
promtool check rules "$@"
promtool test rules fleet/prometheus/*.test.yml
python3 -m json.tool fleet/grafana/tillsync-fleet.json >/dev/null
echo "fleet: rules, their unit tests and the dashboard check out"
