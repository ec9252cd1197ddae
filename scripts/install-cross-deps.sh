#!/bin/sh
# Installs, from Debian 12's packages, what the cross builds and packages
# need: the cross compilers, qemu-user-static to run the target's tests,
# file/lintian/dpkg-dev for the packages, and the target's libraries.
#
# The target's libraries come from Debian's multiarch packages
# (dpkg --add-architecture ARCH; apt-get install libfoo-dev:ARCH). A
# Multi-Arch: same library must have the very same version for every
# architecture installed, so when the mirror's lists for ARCH lag behind the
# host's (a security update not yet visible for ARCH), that install is
# impossible. Then the same ARCH packages are downloaded with apt-get into a
# private apt state and unpacked into a sysroot,
# /var/cache/tillsync-cross/ARCH/sysroot, which cross/common.cmake uses when
# the multiarch libraries are absent; the host's package database is left
# as it was (the architecture is removed again).
#
# Usage: install-cross-deps.sh [arm64] [armhf]   (no argument: both)
# Run as root (CI does); idempotent: does nothing when all is there.
set -eu
arches=${*:-"arm64 armhf"}
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
cache_root=/var/cache/tillsync-cross
# The target's -dev packages: the libraries of scripts/install-deps.sh
# (cmocka too: the unit tests are built for the target and run under qemu).
libs="liblmdb-dev libuv1-dev libmbedtls-dev libcjson-dev libcurl4-openssl-dev libcmocka-dev"
tools="cmake pkg-config file lintian dpkg-dev fakeroot qemu-user-static"

say() { echo "install-cross-deps: $*" >&2; }

# Another apt user (a parallel build, unattended-upgrades) may hold the dpkg
# lock: wait for it rather than fail.
apt_get() {
    $sudo apt-get -o DPkg::Lock::Timeout=600 "$@"
}

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

triplet_of() {
    case $1 in
    arm64) echo aarch64-linux-gnu ;;
    armhf) echo arm-linux-gnueabihf ;;
    *) say "unknown architecture '$1' (arm64 or armhf)"; exit 2 ;;
    esac
}

# "apt-get update" fails as a whole when any one list fails; the other lists
# are still updated, and a list that is really missing shows up as a failed
# install below, which is handled there.
# Another apt-get may be updating the lists right now: wait for its lock.
update_lists() {
    out=$(mktemp)
    tries=0
    until apt_get update -qq 2>"$out"; do
        tries=$((tries + 1))
        if grep -q 'Could not get lock' "$out" && [ "$tries" -lt 20 ]; then
            sleep 15
            continue
        fi
        cat "$out" >&2
        say "apt-get update reported errors (see above); going on"
        break
    done
    rm -f "$out"
}

multiarch_ready() { # arch
    for l in $libs; do installed "$l:$1" || return 1; done
}

# The marker lists the packages unpacked: a sysroot made before a library
# was added to $libs is made again.
sysroot_ready() { # arch
    [ "$(cat "$cache_root/$1/sysroot/.tillsync-complete" 2>/dev/null)" = "$libs" ]
}

install_multiarch() { # arch; returns 1 when apt cannot do it
    pkgs=""
    for l in $libs; do pkgs="$pkgs $l:$1"; done
    added=""
    if ! dpkg --print-foreign-architectures | grep -qx "$1"; then
        $sudo dpkg --add-architecture "$1"
        added=yes
    fi
    update_lists
    # shellcheck disable=SC2086
    if apt_get install -s -qq --no-install-recommends $pkgs >/dev/null 2>&1; then
        # shellcheck disable=SC2086
        apt_get install -y -qq --no-install-recommends $pkgs
        return 0
    fi
    say "the $1 libraries cannot be installed beside the host's (the lists for $1 lag behind)"
    if [ -n "$added" ]; then
        # Leave no half-usable architecture behind: every later
        # "apt-get update" on this machine would fail on its lists.
        $sudo dpkg --remove-architecture "$1" || true
    fi
    return 1
}

# The target's libraries in a sysroot: apt-get downloads them (and what they
# depend on) for ARCH alone, with the host's sources and keys but its own
# state, so the host's package database never sees them.
install_sysroot() { # arch
    root=$cache_root/$1
    sysroot=$root/sysroot
    say "building a sysroot for $1 in $sysroot"
    $sudo rm -rf "$root"
    $sudo mkdir -p "$root/state/lists/partial" "$root/cache/archives/partial" "$sysroot"
    $sudo touch "$root/status"
    set -- -o "APT::Architecture=$1" -o "APT::Architectures::=$1" \
        -o "Dir::State=$root/state" -o "Dir::State::status=$root/status" \
        -o "Dir::Cache=$root/cache"
    $sudo apt-get "$@" update -qq || say "apt-get update for the sysroot reported errors; going on"
    # shellcheck disable=SC2086
    $sudo apt-get "$@" install -y -qq -d --no-install-recommends libc6-dev $libs
    for deb in "$root"/cache/archives/*.deb; do
        $sudo dpkg-deb -x "$deb" "$sysroot"
    done
    # Absolute links (/usr/lib/T/libfoo.so -> /lib/T/libfoo.so.1) must point
    # into the sysroot, not at the host.
    find "$sysroot" -type l -lname '/*' | while read -r link; do
        $sudo ln -sfn "$sysroot$(readlink "$link")" "$link"
    done
    $sudo rm -rf "$root/cache/archives"
    echo "$libs" | $sudo tee "$sysroot/.tillsync-complete" >/dev/null
}

need=""
for arch in $arches; do
    t=$(triplet_of "$arch")
    need="$need gcc-$t libc6-dev-$arch-cross"
done
for p in $tools; do need="$need $p"; done
missing=""
for p in $need; do installed "$p" || missing="$missing $p"; done
if [ -n "$missing" ]; then
    say "installing$missing"
    update_lists
    # shellcheck disable=SC2086
    apt_get install -y -qq --no-install-recommends $missing
fi

for arch in $arches; do
    if multiarch_ready "$arch" || sysroot_ready "$arch"; then
        continue
    fi
    install_multiarch "$arch" || install_sysroot "$arch"
done
