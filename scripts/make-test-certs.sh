#!/bin/sh
# Makes a throw-away PKI for tests and the demo store, in DIR (never
# committed): a CA, central's server certificate for 127.0.0.1 (the address
# as IP SAN, DNS SAN and CN, since mbedTLS 2.28 matches DNS names and CN
# only), a store client certificate, and the bad cases the tests need: a
# server certificate from another CA, one for another host name, an expired
# one, and a client certificate that expires within 10 days.
# Usage: make-test-certs.sh DIR [HOST]
set -eu
dir=$1
host=${2:-127.0.0.1}
mkdir -p "$dir"
cd "$dir"
[ -f ca.pem ] && [ -f store.key ] && exit 0
umask 077
q() { "$@" >/dev/null 2>&1 || { echo "make-test-certs: failed: $*" >&2; exit 1; }; }
key() { q openssl ecparam -name prime256v1 -genkey -noout -out "$1"; }

mkca() { # name cn
    key "$1.key"
    q openssl req -x509 -new -key "$1.key" -sha256 -days 3650 -subj "/CN=$2" -out "$1.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
}
sign() { # name ca cn san days-or-dates eku
    key "$1.key"
    q openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
    printf 'subjectAltName=%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' "$4" "$6" > "$1.ext"
    case $5 in
    expired) expired_ca "$1" "$2" ;; # openssl 3.0's x509 cannot set past dates
    *)
        q openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -days "$5" \
            -sha256 -extfile "$1.ext" -out "$1.pem" ;;
    esac
    rm -f "$1.csr" "$1.ext"
}
expired_ca() { # name ca: sign with fixed past dates through "openssl ca"
    mkdir -p ca-db && : > ca-db/index.txt && echo 1000 > ca-db/serial
    cat > ca-db/ca.cnf <<CNF
[ca]
default_ca = d
[d]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
default_md = sha256
policy = p
copy_extensions = none
[p]
commonName = supplied
CNF
    q openssl ca -batch -config ca-db/ca.cnf -cert "$2.pem" -keyfile "$2.key" -in "$1.csr" \
        -startdate 20200101000000Z -enddate 20200201000000Z -extfile "$1.ext" -out "$1.pem" -notext
}

san="IP:$host,DNS:$host"
mkca ca "tillsync test CA"
mkca other-ca "some other CA"
sign server ca "$host" "$san" 825 serverAuth
sign store ca "store S042" "DNS:s042.store.invalid" 825 clientAuth
sign store-soon ca "store S042" "DNS:s042.store.invalid" 10 clientAuth
sign server-other-ca other-ca "$host" "$san" 825 serverAuth
sign server-wrong-host ca "central.example.invalid" "DNS:central.example.invalid" 825 serverAuth
sign server-expired ca "$host" "$san" expired serverAuth
# A world-readable copy of the store key, for the refusal test.
cp store.key store-world-readable.key && chmod 644 store-world-readable.key
rm -rf ca-db ./*.srl
chmod 600 ./*.key
chmod 644 store-world-readable.key ./*.pem
