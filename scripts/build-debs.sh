#!/bin/sh
# Builds the tillsync .deb for amd64, arm64 and armhf (or the architectures
# named) into out/debs/, and runs lintian on each, printing what it says.
# Fails when a build fails or lintian reports an error; warnings and notes
# are printed (each one left is explained in cross/packaging/lintian-overrides
# or firmware-notes/packaging.md).
#
# Usage: scripts/build-debs.sh [amd64] [arm64] [armhf]
# Builds in build-cross-ARCH (scripts/cross-build.sh ARCH --no-tests): a
# build dir already made by cross-build.sh is reused as it is.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
arches=${*:-"amd64 arm64 armhf"}
out=$src/out/debs
mkdir -p "$out"

# The Depends written in cross/packaging/Packaging.cmake must be what
# dpkg-shlibdeps finds for the binary (done on the native build, whose
# libraries are in the package database).
check_shlibs() { # build dir
    tmp=$(mktemp -d)
    mkdir "$tmp/debian"
    printf 'Source: tillsync\n\nPackage: tillsync\nArchitecture: any\n' >"$tmp/debian/control"
    found=$(cd "$tmp" && dpkg-shlibdeps -O "$1/tillsync" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
    rm -rf "$tmp"
    declared=$(sed -n 's/^TS_DEB_SHLIBS_DEPENDS:INTERNAL=//p' "$1/CMakeCache.txt")
    if [ "$found" != "$declared" ]; then
        echo "build-debs: dpkg-shlibdeps says the binary needs" >&2
        echo "  $found" >&2
        echo "but cross/packaging/Packaging.cmake declares (TS_DEB_SHLIBS_DEPENDS)" >&2
        echo "  $declared" >&2
        exit 1
    fi
}

for arch in $arches; do
    sh "$src/scripts/cross-build.sh" "$arch" --no-tests
    build=$src/build-cross-$arch
    rm -f "$build"/tillsync_*.deb
    (cd "$build" && cpack -G DEB >"$build/cpack.log" 2>&1) ||
        { cat "$build/cpack.log"; exit 1; }
    mv "$build"/tillsync_*_"$arch".deb "$out/"
    [ "$arch" != amd64 ] || check_shlibs "$build"
done

status=0
for arch in $arches; do
    deb=$(ls "$out"/tillsync_*_"$arch".deb)
    echo "build-debs: $deb ($(du -k "$deb" | cut -f1) KiB)"
    dpkg-deb -f "$deb" Package Version Architecture Depends | sed 's/^/  /'
    # -E -I --pedantic: every tag down to the pedantic ones; the overrides
    # shipped in the package are shown too (O:), with their reasons.
    report=$out/lintian-$arch.txt
    lintian -E -I --pedantic --show-overrides --fail-on error "$deb" >"$report" 2>&1 || status=1
    if grep -qv 'running with root privileges' "$report"; then
        grep -v 'running with root privileges' "$report" | sed 's/^/  lintian: /'
    else
        echo "  lintian: nothing to report"
    fi
done
[ "$status" = 0 ] || echo "build-debs: lintian reported errors" >&2
exit $status
