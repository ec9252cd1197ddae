#!/bin/sh
# Installs a tillsync .deb on this machine (as root) and checks it the way
# store IT would use it (firmware-notes/installing.md), then purges it:
#  - the unit passes `systemd-analyze verify` (systemd need not be running);
#  - the tillsync user, /var/lib/tillsync and /etc/tillsync exist with the
#    owners and modes the notes promise;
#  - with test certificates in /etc/tillsync and the packaged sample config
#    filled in, the installed binary passes --check-config as the tillsync
#    user, then runs (scripts/check-installed-agent.py: READY=1 and
#    watchdog pings over a notify socket, /healthz, idle RSS, clean stop),
#    and refuses to start once store.key is readable by others.
# Usage: scripts/check-deb-install.sh out/debs/tillsync_<version>_amd64.deb
# Not for a box where tillsync is in real use: it replaces its config and
# purges the package at the end.
set -eu
deb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$(dirname "$0")/.." && pwd)
export DEBIAN_FRONTEND=noninteractive
work=$(mktemp -d /tmp/tillsync-deb-check.XXXXXX)
fail() {
    echo "check-deb-install: FAILED: $*" >&2
    exit 1
}
cleanup() {
    apt-get -o DPkg::Lock::Timeout=600 purge -y -qq tillsync >/dev/null 2>&1 || true
    rm -rf /etc/tillsync /var/lib/tillsync "$work"
    if getent passwd tillsync >/dev/null; then deluser --system --quiet tillsync 2>/dev/null || true; fi
    if getent group tillsync >/dev/null; then delgroup --system --quiet tillsync || true; fi
}
trap cleanup EXIT
expect_stat() { # path owner:group mode
    got=$(stat -c '%U:%G %a' "$1")
    [ "$got" = "$2 $3" ] || fail "$1 is '$got', expected '$2 $3'"
}

dpkg-query -W -f='${Status}' tillsync 2>/dev/null | grep -q "install ok installed" &&
    fail "tillsync is already installed here; not touching it"
echo "check-deb-install: installing $(basename "$deb")"
apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$deb" >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log"; fail "apt-get install"; }

getent passwd tillsync >/dev/null || fail "no tillsync user"
expect_stat /var/lib/tillsync tillsync:tillsync 750
expect_stat /etc/tillsync root:tillsync 750
expect_stat /usr/bin/tillsync root:root 755
unit=/lib/systemd/system/tillsync.service
# verify also runs "man tillsync(8)" for Documentation=; without man-db
# that check cannot run, so it is left out then.
man_opt=""
command -v man >/dev/null || man_opt="--man=no"
systemd-analyze verify $man_opt "$unit" || fail "systemd-analyze verify $unit"
echo "check-deb-install: systemd-analyze verify: ok;" \
    "$(systemd-analyze security --offline=yes "$unit" 2>/dev/null | tail -1 | sed 's/^→ //')"

# The first steps of firmware-notes/installing.md, with a throw-away PKI in
# place of the one central's operators would sign.
sh "$src/scripts/make-test-certs.sh" "$work/pki" >/dev/null
install -m 0644 -o root -g root "$work/pki/ca.pem" /etc/tillsync/central-ca.pem
install -m 0644 -o root -g root "$work/pki/store.pem" /etc/tillsync/store.pem
install -m 0600 -o tillsync -g tillsync "$work/pki/store.key" /etc/tillsync/store.key
cp /etc/tillsync/tillsync.json.sample /etc/tillsync/tillsync.json
chgrp tillsync /etc/tillsync/tillsync.json
chmod 0640 /etc/tillsync/tillsync.json
python3 - /etc/tillsync/tillsync.json <<'PY'
import hashlib, json, socket, sys
path = sys.argv[1]
cfg = json.load(open(path))
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
cfg["store_id"] = "S042"
cfg["listen"] = "127.0.0.1:%d" % free_port()
cfg["registers"] = [{"id": "R1", "token_sha256": hashlib.sha256(b"till-R1-token").hexdigest()}]
# Nobody answers there: the agent runs offline and keeps sales for later.
cfg["central"]["url"] = "https://127.0.0.1:%d" % free_port()
json.dump(cfg, open(path, "w"), indent=2)
PY

runuser -u tillsync -- /usr/bin/tillsync --check-config /etc/tillsync/tillsync.json ||
    fail "--check-config as the tillsync user"
python3 "$src/scripts/check-installed-agent.py" /usr/bin/tillsync /etc/tillsync/tillsync.json ||
    fail "running the installed agent"
# installing.md promises that a key others can read stops the agent.
chmod 0644 /etc/tillsync/store.key
if runuser -u tillsync -- timeout 60 /usr/bin/tillsync --config /etc/tillsync/tillsync.json \
    >"$work/refused.log" 2>&1; then
    fail "the agent started with a world-readable store.key"
fi
grep -q 'event=agent.start_failed reason="central.key_file: .*can be read by group or others' \
    "$work/refused.log" || { cat "$work/refused.log"; fail "no clear refusal for a readable key"; }
echo "check-deb-install: a world-readable store.key is refused at start"
echo "check-deb-install: ok"
