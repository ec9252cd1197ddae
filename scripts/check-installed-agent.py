#!/usr/bin/env python3
"""Runs an installed tillsync the way its systemd unit does, and checks it.

Usage (as root): check-installed-agent.py /usr/bin/tillsync /etc/tillsync/tillsync.json

Plays systemd's part of Type=notify with WatchdogSec: the agent runs as the
tillsync user with NOTIFY_SOCKET (an abstract datagram socket with
SO_PASSCRED, so every message's sender pid is known, as NotifyAccess=main
needs) and WATCHDOG_USEC. Checks, each with a deadline: READY=1 from the
main pid, /healthz answering 200, WATCHDOG=1 pings, then SIGTERM gives
STOPPING=1 and exit status 0. Prints the agent's idle RSS (VmRSS once it is
ready and has nothing to do). Exits 1 on any failure.
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request

WATCHDOG_USEC = 1_000_000  # pings every 0.5 s: quick to see
DEADLINE_S = 30.0


def fail(msg):
    print("check-installed-agent: FAILED: " + msg, file=sys.stderr)
    sys.exit(1)


def notify_socket():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    name = "tillsync-ci-notify-%d" % os.getpid()
    s.bind("\0" + name)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.settimeout(DEADLINE_S)
    return s, "@" + name


def wait_message(sock, want, pid):
    """Waits for a datagram holding the line `want` sent by `pid`."""
    deadline = time.monotonic() + DEADLINE_S
    ucred_size = struct.calcsize("3i")
    while time.monotonic() < deadline:
        try:
            data, anc, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(ucred_size))
        except socket.timeout:
            break
        sender = None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                sender = struct.unpack("3i", payload[:ucred_size])[0]
        lines = data.decode(errors="replace").split("\n")
        if want in lines:
            if sender != pid:
                fail("%s came from pid %s, not the main pid %d" % (want, sender, pid))
            return
    fail("no %s from the agent within %.0f s" % (want, DEADLINE_S))


def healthz(port):
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    fail("/healthz did not answer 200")


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def main():
    binary, config = sys.argv[1], sys.argv[2]
    port = int(json.load(open(config))["listen"].rsplit(":", 1)[1])
    sock, name = notify_socket()
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NOTIFY_SOCKET": name,
           "WATCHDOG_USEC": str(WATCHDOG_USEC)}
    log_path = "/tmp/tillsync-ci-agent-%d.log" % os.getpid()
    with open(log_path, "wb") as log:
        agent = subprocess.Popen([binary, "--config", config], env=env, stdout=log,
                                 stderr=log, user="tillsync", group="tillsync",
                                 extra_groups=[], cwd="/")
    try:
        wait_message(sock, "READY=1", agent.pid)
        healthz(port)
        for _ in range(2):
            wait_message(sock, "WATCHDOG=1", agent.pid)
        print("check-installed-agent: READY=1, /healthz 200, watchdog pings from pid %d"
              % agent.pid)
        print("check-installed-agent: idle RSS %d KiB (VmRSS of the running agent)"
              % vm_rss_kib(agent.pid))
        agent.send_signal(signal.SIGTERM)
        wait_message(sock, "STOPPING=1", agent.pid)
        try:
            status = agent.wait(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            fail("no exit within %.0f s of SIGTERM" % DEADLINE_S)
        if status != 0:
            fail("exit status %d after SIGTERM" % status)
        print("check-installed-agent: STOPPING=1, exit 0")
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
        if agent.returncode not in (0, None):
            sys.stderr.write(open(log_path).read())
        os.unlink(log_path)


if __name__ == "__main__":
    main()
