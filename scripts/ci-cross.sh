#!/bin/sh
# CI for the ARM builds and the packages (called by .ci/run; runs as root):
#  1. installs the cross toolchains, qemu-user and the target libraries;
#  2. builds arm64 and armhf and runs their unit and integration tests
#     under qemu-user, checking the ELF class and machine of each binary
#     (cross-build.sh);
#  3. builds the amd64, arm64 and armhf .debs and runs lintian on them;
#  4. installs the amd64 .deb on this machine and checks it: the unit passes
#     `systemd-analyze verify`, the user and directories exist with the
#     right owners and modes, and after the first steps of
#     firmware-notes/installing.md (certificates, the config filled in from
#     the packaged sample) the installed binary passes --check-config as
#     the tillsync user, starts, answers /healthz, and stops cleanly;
#  5. removes the package again (purge) and the test config and keys.
# Exits non-zero at the first failure. Takes about 7 minutes on 2 cores
# with the packages already installed (most of it the integration tests
# under qemu), about 3 more for the installs on a fresh machine.
# Do not run it on a box where tillsync is in real use: step 4 replaces
# /etc/tillsync/tillsync.json and step 5 purges the package.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
t0=$(date +%s)
step() { echo "ci-cross: [$(($(date +%s) - t0))s] $*"; }
fail() {
    echo "ci-cross: FAILED: $*" >&2
    exit 1
}

step "dependencies"
sh "$src/scripts/install-deps.sh"
sh "$src/scripts/install-cross-deps.sh" arm64 armhf

for arch in arm64 armhf; do
    step "cross build, unit and integration tests under qemu-user: $arch"
    sh "$src/scripts/cross-build.sh" "$arch" --integration || fail "$arch build or tests"
done

step "packages and lintian"
sh "$src/scripts/build-debs.sh" amd64 arm64 armhf || fail "packages"
for arch in amd64 arm64 armhf; do
    deb=$(ls "$src"/out/debs/tillsync_*_"$arch".deb)
    [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || fail "$deb: wrong architecture"
    # The packaged binary is stripped and of the right machine too.
    tmp=$(mktemp -d)
    dpkg-deb -x "$deb" "$tmp"
    file -b "$tmp/usr/bin/tillsync" | grep -q 'stripped' || fail "$deb: binary not stripped"
    echo "  $arch: $(file -b "$tmp/usr/bin/tillsync" | cut -d, -f1-2)," \
        "stripped binary $(stat -c %s "$tmp/usr/bin/tillsync") bytes"
    rm -rf "$tmp"
done

step "install the amd64 package"
sh "$src/scripts/check-deb-install.sh" "$(ls "$src"/out/debs/tillsync_*_amd64.deb)" ||
    fail "installed package"

step "done"
echo "ci-cross: all checks passed"
