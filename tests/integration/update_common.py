"""What the self-update tests share (spec update.md, docs/update.md).

* Second builds of this very source tree with another version number (and
  for the rollback tests one that aborts at the top of main), made once per
  test run into TS_TEST_TMP/update-builds and shared by the test files.
* A signing key pair and signed offers, made with scripts/sign-update.sh.
* Supervised: the agent run the way systemd runs it (Restart=always): the
  test restarts the packaged binary (the launcher) whenever it exits, and
  keeps every log line across restarts and execs.
"""
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import uplink_common  # noqa: E402
from uplink_common import harness  # noqa: E402

SIGN = os.path.join(harness.SOURCE_DIR, "scripts", "sign-update.sh")
BUILDS = os.path.join(harness.TMP_ROOT, "update-builds")


def _source_key(extra):
    h = hashlib.sha256(extra.encode())
    for top in ("agent", "CMakeLists.txt", "cross"):
        root = os.path.join(harness.SOURCE_DIR, top)
        paths = [root] if os.path.isfile(root) else sorted(
            os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
        for p in paths:
            h.update(p.encode())
            with open(p, "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:16]


def build_variant(version, abort=False, store_format=None):
    """Path of a tillsync built from this tree as `version` (cached)."""
    flags = ["-DTS_VERSION_OVERRIDE=" + version, "-DTS_TESTS=OFF", "-DCMAKE_BUILD_TYPE=Debug",
             "-DCMAKE_C_FLAGS_DEBUG=-O0"]
    if abort:
        flags.append("-DTS_TEST_ABORT_AT_START=ON")
    if store_format:
        flags.append("-DTS_STORE_FORMAT_OVERRIDE=%d" % store_format)
    name = "%s%s%s-%s" % (version, "-abort" if abort else "",
                          "-fmt%d" % store_format if store_format else "", _source_key(" ".join(flags)))
    out = os.path.join(BUILDS, name)
    binary = os.path.join(out, "tillsync")
    os.makedirs(BUILDS, exist_ok=True)
    with open(os.path.join(BUILDS, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # test files may run side by side
        if not os.path.exists(binary):
            t0 = time.monotonic()
            subprocess.run(["cmake", "-S", harness.SOURCE_DIR, "-B", out, *flags], check=True,
                           stdout=subprocess.DEVNULL)
            subprocess.run(["cmake", "--build", out, "-j2", "--target", "tillsync"], check=True,
                           stdout=subprocess.DEVNULL)
            print("built %s in %.0f s" % (name, time.monotonic() - t0), flush=True)
    return binary


def make_keys(workdir):
    d = os.path.join(workdir, "keys")
    subprocess.run([SIGN, "keygen", d], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(d, "update-signing.key"), os.path.join(d, "update-signing.pub")


def offer(key, path, version, url):
    out = subprocess.run([SIGN, "offer", key, path, version, url], check=True,
                         stdout=subprocess.PIPE).stdout
    return json.loads(out)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def publish(central, workdir, key, binary, version, name=None, mutate=None):
    """Serves a copy of binary as /updates/<name> and offers it, signed."""
    name = name or "tillsync-" + version
    path = os.path.join(workdir, name)
    shutil.copyfile(binary, path)
    if mutate:
        mutate(path)
    doc = offer(key, path, version, central.url() + "/updates/" + name)
    central.cmd("serve_file", name=name, path=path)
    central.cmd("set_config", doc={"version": "cfg-" + name, "settings": {}, "update": doc})
    return doc, path


class Supervised(harness.Agent):
    """The agent under a supervisor that restarts it like systemd's
    Restart=always (exit codes and signals alike), keeping the log."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.exits = []
        self.supervising = False
        self._sup = None

    def start(self, wait=True, extra_args=()):
        self.write_config()
        self.lines = []
        self.supervising = True
        self._spawn()
        self._sup = threading.Thread(target=self._supervise, daemon=True)
        self._sup.start()
        if wait:
            self.wait_ready()
        return self

    def _spawn(self):
        self.proc = subprocess.Popen([harness.BIN, "--config", self.config_path],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()

    def _supervise(self):
        while self.supervising:
            rc = self.proc.wait()
            self._reader.join(timeout=10)
            self.proc.stdout.close()
            self.exits.append(rc)
            if not self.supervising:
                return
            with self._lines_lock:
                self.lines.append("supervisor: exit=%s, restarting" % rc)
            self._spawn()

    def wait_log(self, pattern, timeout=30.0):
        import re
        rx = re.compile(pattern)

        def found():
            for line in self.log_lines():
                m = rx.search(line)
                if m:
                    return m
            return None
        return harness.wait_for(found, timeout, "log line /%s/" % pattern)

    def count_log(self, pattern):
        import re
        rx = re.compile(pattern)
        return sum(1 for line in self.log_lines() if rx.search(line))

    def stop(self):
        self.supervising = False
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
        if self._sup:
            self._sup.join(timeout=30)
        return self.exits[-1] if self.exits else None

    def update_status(self):
        return self.status()["update"]


def agent_for(workdir, certs, central, pub, overrides=None):
    port = free_port()
    cfg = {"listen": "127.0.0.1:%d" % port,
           "central": {"url": central.url(), "retry_initial_ms": 20, "retry_max_ms": 300,
                       "heartbeat_s": 1, "config_poll_s": 1},
           "update": {"public_key_file": pub, "health_grace_s": 60, "max_probation_starts": 3,
                      "idle_s": 1, "max_wait_s": 30},
           "log_level": "info"}
    a = Supervised(workdir, harness.deep_merge(cfg, overrides or {}), certs=certs)
    a.port = port
    return a


def version_of(agent):
    return agent.status()["version"]


CentralProc = uplink_common.CentralProc
