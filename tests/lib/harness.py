"""Shared test harness: runs the real tillsync binary on loopback.

Every integration test imports this. It makes a fresh directory per test,
a throw-away PKI (scripts/make-test-certs.sh), a config with port 0, starts
the agent and waits for its "event=agent.ready" log line (which carries the
port it bound), and offers small HTTP helpers. Waiting is always on a
condition (a log line, an answer), with a deadline; never a bare sleep.
"""
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SOURCE_DIR = os.environ.get("TS_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("TILLSYNC_BIN") or os.path.join(SOURCE_DIR, "build", "tillsync")
TMP_ROOT = os.environ.get("TS_TEST_TMP") or tempfile.gettempdir()

REGISTERS = ["R1", "R2", "R3", "R4"]


def token_for(register):
    return "token-" + register + "-secret"


def sha256_hex(s):
    return hashlib.sha256(s.encode()).hexdigest()


def make_workdir(name):
    os.makedirs(TMP_ROOT, exist_ok=True)
    d = tempfile.mkdtemp(prefix=name + "-", dir=TMP_ROOT)
    return d


def make_certs(workdir, host="127.0.0.1"):
    certs = os.path.join(workdir, "certs")
    subprocess.run([os.path.join(SOURCE_DIR, "scripts", "make-test-certs.sh"), certs, host],
                   check=True)
    return certs


def wait_for(pred, timeout=30.0, what="condition", interval=0.02):
    """Polls pred() until it returns a true value; fails the test after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(interval)


def deep_merge(base, over):
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            deep_merge(base[k], v)
        else:
            base[k] = v
    return base


class Agent:
    """One agent process with its own data_dir and config."""

    def __init__(self, workdir, overrides=None, certs=None, central_url=None):
        self.workdir = workdir
        self.certs = certs or make_certs(workdir)
        self.data_dir = os.path.join(workdir, "data")
        self.config_path = os.path.join(workdir, "tillsync.json")
        cfg = {
            "store_id": "S042",
            "data_dir": self.data_dir,
            "listen": "127.0.0.1:0",
            "registers": [{"id": r, "token_sha256": sha256_hex(token_for(r))}
                          for r in REGISTERS],
            "central": {
                # Nothing listens on port 9 of loopback: central is "down".
                "url": central_url or "https://127.0.0.1:9",
                "ca_file": os.path.join(self.certs, "ca.pem"),
                "cert_file": os.path.join(self.certs, "store.pem"),
                "key_file": os.path.join(self.certs, "store.key"),
                "retry_initial_ms": 50,
                "retry_max_ms": 500,
            },
            "log_level": "debug",
        }
        self.config = deep_merge(cfg, overrides or {})
        self.proc = None
        self.env = None  # the process environment; None: this one's
        self.port = None
        self.lines = []
        self._lines_lock = threading.Lock()
        self._reader = None

    def write_config(self):
        with open(self.config_path, "w") as f:
            json.dump(self.config, f, indent=2)

    def start(self, wait=True, extra_args=()):
        self.write_config()
        self.lines = []
        self.port = None
        self.proc = subprocess.Popen([BIN, "--config", self.config_path, *extra_args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=self.env)
        self._reader = threading.Thread(target=self._read_log, daemon=True)
        self._reader.start()
        if wait:
            self.wait_ready()
        return self

    def _read_log(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if os.environ.get("TS_TEST_VERBOSE"):
                sys.stderr.write("agent| " + line + "\n")
            with self._lines_lock:
                self.lines.append(line)

    def log_lines(self):
        with self._lines_lock:
            return list(self.lines)

    def wait_log(self, pattern, timeout=30.0):
        rx = re.compile(pattern)

        def found():
            for line in self.log_lines():
                m = rx.search(line)
                if m:
                    return m
            if self.proc.poll() is not None:
                raise AssertionError("agent exited (%s) while waiting for /%s/:\n%s" % (
                    self.proc.returncode, pattern, "\n".join(self.log_lines()[-30:])))
            return None
        return wait_for(found, timeout, "log line /%s/" % pattern)

    def wait_ready(self, timeout=30.0):
        m = self.wait_log(r"event=agent\.ready .*port=(\d+)", timeout)
        self.port = int(m.group(1))
        return self.port

    def export_pending(self):
        """Runs `tillsync --export-pending` beside the agent: one JSON line per txn."""
        out = subprocess.run([BIN, "--export-pending", self.config_path], check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        return [json.loads(line) for line in out.decode().splitlines() if line.strip()]

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        if self._reader:
            self._reader.join(timeout=5)
            self._reader = None
            self.proc.stdout.close()
        return self.proc.returncode if self.proc else None

    def stop(self):
        """SIGTERM and wait; returns the exit code."""
        return self.kill(signal.SIGTERM)

    def conn(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, token=None, register="R1", headers=None,
                conn=None, content_type="application/json"):
        """Returns (status, headers dict (lower-case names), parsed JSON or text)."""
        h = dict(headers or {})
        if body is not None:
            if not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            if isinstance(body, str):
                body = body.encode()
            if content_type:
                h.setdefault("Content-Type", content_type)
        if token is None and register and method == "POST":
            token = token_for(register)
        if token:
            h["Authorization"] = "Bearer " + token
        own = conn is None
        c = conn or self.conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
        finally:
            if own:
                c.close()
        ctype = hdrs.get("content-type", "")
        if ctype.startswith("application/json"):
            return r.status, hdrs, json.loads(data)
        return r.status, hdrs, data.decode("utf-8", "replace")

    def post_txn(self, txn, **kw):
        return self.request("POST", "/v1/transactions", txn, register=txn.get(
            "register_id", "R1") if isinstance(txn, dict) else "R1", **kw)

    def status(self):
        s, _, body = self.request("GET", "/v1/status")
        assert s == 200, (s, body)
        return body


def sample_txn(n, register="R1", kind="sale", sku="SKU-1001", qty=1, unit_price=1299):
    """A valid txn; n makes the txn_id unique."""
    amount = int(round(qty * unit_price))
    t = {
        "txn_id": "%s-T%06d" % (register, n),
        "type": kind,
        "register_id": register,
        "occurred_at": "2026-11-22T10:15:00+01:00",
        "currency": "EUR",
        "lines": [{"sku": sku, "qty": qty, "unit_price": unit_price, "amount": amount}],
        "payments": [{"method": "card", "amount": amount, "reference": "auth %d" % n}],
        "total": amount,
        "cashier_id": "C7",
    }
    if kind == "return":
        t["original_txn_id"] = "%s-T%06d" % (register, max(n - 1, 1))
    return t


def cleanup(workdir):
    if not os.environ.get("TS_TEST_KEEP"):
        shutil.rmtree(workdir, ignore_errors=True)


def prometheus_parser():
    """prometheus_client's text parser; Debian installs it for the system
    Python, which may not be the Python running this test."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
        return text_string_to_metric_families
    except ImportError:
        pass
    for d in ("/usr/lib/python3/dist-packages",):
        if os.path.isdir(os.path.join(d, "prometheus_client")):
            sys.path.append(d)
            from prometheus_client.parser import text_string_to_metric_families
            return text_string_to_metric_families
    raise AssertionError("no Prometheus text parser: apt-get install python3-prometheus-client")




class Scrape:
    """One parsed scrape: families by name, samples by (name, labels)."""

    def __init__(self, text):
        self.text = text
        self.families = {}
        self.samples = {}
        for fam in prometheus_parser()(text):
            self.families[fam.name] = fam
            for s in fam.samples:
                self.samples[(s.name, tuple(sorted(s.labels.items())))] = s.value

    def value(self, name, default=None, **labels):
        return self.samples.get((name, tuple(sorted(labels.items()))), default)
