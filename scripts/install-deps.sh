#!/bin/sh
# Installs, from Debian 12's packages, everything needed to build, run the
# demo store and run the test suite. Run as root (CI does); idempotent.
set -eu
need="build-essential cmake pkg-config git ca-certificates
      liblmdb-dev lmdb-utils libcmocka-dev libuv1-dev libmbedtls-dev libcjson-dev libcurl4-openssl-dev
      openssl python3 python3-prometheus-client python3-yaml clang clang-format libclang-rt-14-dev
      chromium"
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    $sudo apt-get install -y -qq --no-install-recommends $missing
fi
# The browser test drives Chromium with playwright-core (npm), on Node.js:
# the machine's own when it has one, else Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    $sudo apt-get install -y -qq --no-install-recommends nodejs npm
fi
