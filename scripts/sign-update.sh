#!/bin/sh
# sign-update.sh - the signing side of the self-update (docs/update.md,
# spec update.md), with openssl: the same primitives the agent checks with
# mbedTLS (ECDSA P-256 over the SHA-256 of the file, DER, base64).
#
#   sign-update.sh keygen DIR
#       makes DIR/update-signing.key (private: keep it off central and off
#       the stores, mode 0600) and DIR/update-signing.pub (PEM; install it
#       on every store as update.public_key_file).
#   sign-update.sh sign KEY FILE
#       prints {"sha256": "...", "signature": "..."} for FILE.
#   sign-update.sh offer KEY FILE VERSION URL
#       prints the whole "update" object for central's config (uplink.md).
#   sign-update.sh verify PUB FILE SIGNATURE_B64
#       checks a signature the way the agent will (exit 0 when it verifies).
set -eu

die() { echo "sign-update.sh: $*" >&2; exit 1; }

sha256_of() { openssl dgst -sha256 -r "$1" | cut -d' ' -f1; }

sig_of() { openssl dgst -sha256 -sign "$1" "$2" | openssl base64 -A; }

cmd=${1:-}
case "$cmd" in
keygen)
    [ $# -eq 2 ] || die "usage: keygen DIR"
    mkdir -p "$2"
    [ -e "$2/update-signing.key" ] && die "$2/update-signing.key exists; not overwriting a key"
    (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$2/update-signing.key")
    openssl ec -in "$2/update-signing.key" -pubout -out "$2/update-signing.pub" 2>/dev/null
    echo "private: $2/update-signing.key  public: $2/update-signing.pub"
    ;;
sign)
    [ $# -eq 3 ] || die "usage: sign KEY FILE"
    printf '{"sha256": "%s", "signature": "%s"}\n' "$(sha256_of "$3")" "$(sig_of "$2" "$3")"
    ;;
offer)
    [ $# -eq 5 ] || die "usage: offer KEY FILE VERSION URL"
    printf '{"version": "%s", "url": "%s", "sha256": "%s", "signature": "%s"}\n' \
        "$4" "$5" "$(sha256_of "$3")" "$(sig_of "$2" "$3")"
    ;;
verify)
    [ $# -eq 4 ] || die "usage: verify PUB FILE SIGNATURE_B64"
    tmp=$(mktemp)
    trap 'rm -f "$tmp"' EXIT
    printf '%s' "$4" | openssl base64 -d -A > "$tmp"
    openssl dgst -sha256 -verify "$2" -signature "$tmp" "$3"
    ;;
*)
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    [ -z "$cmd" ] && exit 2 || exit 2
    ;;
esac
