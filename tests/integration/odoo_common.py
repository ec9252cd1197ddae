"""What the Odoo tests share: the Odoo stand-in as a subprocess, agents
pointed at it, and small look-up helpers.

The stand-in (tests/standins/odoo.py) is driven through its control port;
see its docstring for the changes and faults it can make.
"""
import http.client
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402

ODOO = os.path.join(harness.SOURCE_DIR, "tests", "standins", "odoo.py")
KEY = "odoo-test-key"


class OdooProc:
    """The Odoo stand-in in its own process."""

    def __init__(self, products=60, seed=42, cert=None, key_file=None, port=0):
        args = [sys.executable, ODOO, "--products", str(products), "--seed", str(seed),
                "--port", str(port), "--key", KEY]
        if cert:
            args += ["--cert", cert, "--key-file", key_file]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("odoo stand-in did not start")
        info = json.loads(line)
        self.port = info["port"]
        self.control_port = info["control_port"]
        self.scheme = info["scheme"]

    def url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def cmd(self, _command, **args):
        args["cmd"] = _command
        c = http.client.HTTPConnection("127.0.0.1", self.control_port, timeout=60)
        try:
            c.request("POST", "/", body=json.dumps(args).encode(),
                      headers={"Content-Type": "application/json"})
            out = json.loads(c.getresponse().read())
        finally:
            c.close()
        if "error" in out:
            raise AssertionError("odoo control %s: %s" % (_command, out["error"]))
        return out

    def calls(self):
        return self.cmd("stats")["calls"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
        self.proc.stdout.close()


def write_key(workdir, key=KEY):
    path = os.path.join(workdir, "odoo.key")
    with open(path, "w") as f:
        f.write(key + "\n")  # a trailing newline, as editors leave it
    os.chmod(path, 0o600)
    return path


def odoo_config(workdir, odoo, **over):
    cfg = {"url": odoo.url(), "db": "retail", "login": "store-s042-bot",
           "api_key_file": write_key(workdir), "location_id": 8, "pricelist_id": 3,
           "page_size": 20, "delta_s": 1, "full_resync_s": 3600, "resync_jitter_s": 1, "delta_overlap_s": 300,
           "stale_after_s": 3600}
    cfg.update(over)
    return cfg


def start_agent(workdir, odoo_cfg, **kw):
    overrides = kw.pop("overrides", {})
    overrides["odoo"] = odoo_cfg
    agent = harness.Agent(workdir, overrides=overrides, **kw)
    agent.start()
    return agent


def odoo_status(agent):
    return agent.status()["odoo"]


def wait_synced(agent, what="a full snapshot", timeout=30, pred=None):
    """Waits until the status shows state ok (and pred(status) if given)."""
    def ok():
        s = odoo_status(agent)
        if s["state"] == "ok" and s["last_full_at"] and (pred is None or pred(s)):
            return s
        return None
    return harness.wait_for(ok, timeout, what)


def item(agent, sku):
    status, _, body = agent.request("GET", "/v1/items/" + sku)
    return status, body


def price(agent, sku):
    status, body = item(agent, sku)
    assert status == 200, (sku, status, body)
    return body["price"]["amount"], body["price"]["source"]


def metric(agent, name, labels=""):
    """The value of one sample of /metrics (labels as written, e.g. 'kind="full"')."""
    _, _, text = agent.request("GET", "/metrics")
    harness.Scrape(text)  # the whole scrape must parse as Prometheus text
    rx = re.compile(r"^%s(\{[^}]*\})? (\S+)$" % re.escape(name), re.M)
    for m in rx.finditer(text):
        if labels in (m.group(1) or ""):
            return float(m.group(2))
    return None


def deltas_done(agent):
    return metric(agent, "tillsync_odoo_syncs_total", 'kind="delta",result="ok"') or 0


def fulls_done(agent):
    return metric(agent, "tillsync_odoo_syncs_total", 'kind="full",result="ok"') or 0


def wait_next_delta(agent, timeout=30):
    """Waits for a delta that started after this call (so it saw what changed)."""
    start = deltas_done(agent)
    harness.wait_for(lambda: deltas_done(agent) >= start + 2, timeout, "two more deltas")


def run(test, name):
    """Runs test(workdir) with a fresh directory; cleans up on success."""
    workdir = harness.make_workdir(name)
    t0 = time.monotonic()
    test(workdir)
    harness.cleanup(workdir)
    print("%s: ok (%.1f s)" % (name, time.monotonic() - t0))
