#!/bin/bash
# CI for mbedTLS 3.6 (called by .ci/run; runs as root on Debian 12):
#  1. makes, or reuses, a Debian 13 (trixie) chroot with debootstrap, from
#     the Debian mirror this machine's apt already uses, with the build and
#     test dependencies installed (libmbedtls-dev 3.6 among them). It is
#     cached under $TS_TRIXIE_CACHE (default /var/cache/tillsync-trixie), one
#     directory per package list and mirror, so a change to either makes a
#     new one;
#  2. in a private mount namespace, mounts the source read-only at /src,
#     /proc, /dev/pts and a fresh /tmp, builds with warnings as errors and
#     runs the whole test suite (--quick: only the unit tests and the TLS,
#     uplink and signature tests; --tests REGEX: those; further arguments go
#     to ctest);
#  3. unmounts on exit (trap), whatever happened, and removes the build.
# Prints the mbedTLS version built against. Exits non-zero on any failure.
# About 2 minutes on the first run (debootstrap and apt: 1), 70 s cached.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
t0=$(date +%s)
say() { echo "ci-trixie: [$(($(date +%s) - t0))s] $*"; }
fail() {
    echo "ci-trixie: FAILED: $*" >&2
    exit 1
}
[ "$(id -u)" = 0 ] || fail "must run as root (debootstrap, chroot, mount)"

suite=trixie
# The trixie equivalents of scripts/install-deps.sh's list, less what only
# the browser, the cross builds and the packages need.
pkgs="build-essential cmake pkg-config ca-certificates
      libmbedtls-dev liblmdb-dev lmdb-utils libuv1-dev libcjson-dev libcurl4-openssl-dev
      libcmocka-dev openssl python3 python3-prometheus-client python3-yaml"
# The whole suite by default (about a minute there; the browser test skips
# itself, the chroot has no Chromium). --quick: the unit tests and every
# test that does TLS or checks a signature.
tests=''

ctest_args=()
case "${1:-}" in
--quick) shift; tests='^unit\.|tls|uplink|central|signature|update' ;;
--tests) tests=$2; shift 2 ;;
esac
ctest_args+=("$@")

# The first plain Debian archive (not security) that this machine's apt uses.
mirror() {
    local m=""
    if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
        m=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' \
            /etc/apt/sources.list.d/*.sources | grep -v -- '-security' | head -n1)
    fi
    if [ -z "$m" ]; then
        m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; break } }' |
            grep -v -- '-security' | head -n1)
    fi
    [ -n "$m" ] || fail "no Debian mirror found in /etc/apt/sources.list*"
    echo "${m%/}"
}

# Makes the chroot in a scratch directory and renames it into place only
# when complete, so an interrupted run never leaves a half-made one cached.
make_root() {
    local root=$1 url=$2 tmp="$1.partial"
    rm -rf "$tmp"
    command -v debootstrap >/dev/null || {
        say "installing debootstrap"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends debootstrap; } >/dev/null 2>&1 ||
            fail "cannot install debootstrap"
    }
    say "debootstrap $suite from $url into $tmp"
    debootstrap --variant=minbase "$suite" "$tmp" "$url" >"$tmp.log" 2>&1 || {
        tail -n 30 "$tmp.log" >&2
        fail "debootstrap"
    }
    say "installing the build and test dependencies"
    cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
    # shellcheck disable=SC2086
    unshare --mount --propagation private sh -c '
        mount -t proc proc "$1/proc" &&
        chroot "$1" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends $2 && apt-get clean"
    ' sh "$tmp" "$(echo $pkgs)" >>"$tmp.log" 2>&1 || {
        tail -n 30 "$tmp.log" >&2
        fail "installing packages in the chroot"
    }
    rm -f "$tmp.log"
    mv "$tmp" "$root"
}

url=$(mirror)
cache=${TS_TRIXIE_CACHE:-/var/cache/tillsync-trixie}
key=$(printf '%s\n' "$suite" "$url" $pkgs | sha256sum | cut -c1-12)
root="$cache/$suite-$key"
mkdir -p "$cache"
if [ -x "$root/usr/bin/cmake" ]; then
    say "reusing $root"
else
    make_root "$root" "$url"
fi

# The build and the tests, inside the chroot. /src is the source, read-only.
inner='
set -eu
v=$(sed -n "s/^#define MBEDTLS_VERSION_STRING *\"\(.*\)\"/\1/p" /usr/include/mbedtls/build_info.h \
    /usr/include/mbedtls/version.h 2>/dev/null | head -n1)
echo "ci-trixie: building against mbedTLS $v ($(. /etc/os-release; echo "$PRETTY_NAME"), $(cc --version | head -n1))"
cmake -S /src -B /tmp/build -DTS_WERROR=ON >/dev/null
cmake --build /tmp/build -j"$(nproc)"
cd /tmp/build
if [ -n "$TESTS" ]; then
    ctest --output-on-failure -j2 -R "$TESTS" "$@"
else
    ctest --output-on-failure -j2 "$@"
fi
'

# Everything below runs in a private mount namespace: the mounts cannot
# leak to the host, and the trap unmounts them in order on any exit.
run='
set -eu
root=$1; src=$2; shift 2
cleanup() {
    for m in "$root/etc/hosts" "$root/tmp" "$root/dev/pts" "$root/dev/shm" "$root/src" "$root/proc"; do
        mountpoint -q "$m" && umount "$m" || true
    done
}
trap cleanup EXIT
mkdir -p "$root/src" "$root/dev/shm" "$root/dev/pts"
mount -t proc proc "$root/proc"
mount --bind "$src" "$root/src"
mount -o remount,bind,ro "$root/src"
mount -t tmpfs -o size=4g tmpfs "$root/tmp"
mount -t tmpfs tmpfs "$root/dev/shm"
# Pseudo-terminals (the status CLI colours only a terminal): a private
# instance, so no terminal of the host is visible; the /dev/ptmx node of the
# chroot opens the instance mounted beside it.
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
# Names resolve as on the host: the default /etc/hosts of Debian 13 also maps
# localhost to ::1, where the stand-ins do not listen.
mount --bind /etc/hosts "$root/etc/hosts"
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    TESTS="$TESTS" bash -c "$INNER" inner "$@"
'
say "building and testing in the $suite chroot"
export TESTS="$tests" INNER="$inner"
if unshare --mount --propagation private bash -c "$run" run "$root" "$src" "${ctest_args[@]}"; then
    say "all passed"
else
    fail "build or tests against mbedTLS 3.6"
fi
