"""Shared by the status tests (test_status_json.py, test_status_browser.py):
the /v1/status schema of pos-api.md with its types, and the store situations
the status must describe (all good, offline with a queue, needs attention),
each a real agent against the real stand-ins for central and Odoo."""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "standins"))
import harness  # noqa: E402

ODOO_KEY = "odoo-status-test-key"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

INT, NUM, STR, BOOL, TIME = "int", "number", "string", "bool", "time"

# Every field of the spec (pos-api.md "GET /v1/status"), with its type.
# A tuple of strings is an enum. "?" after a type: null allowed.
SCHEMA = {
    "store_id": STR, "version": STR, "started_at": TIME, "uptime_s": INT,
    "headline": {"level": ("ok", "offline", "attention"), "text": STR, "issues": list},
    "central": {"state": ("online", "offline", "backoff"), "since": TIME + "?",
                "last_ok_at": TIME + "?", "last_error": STR + "?", "acked_through": INT,
                "next_retry_in_s": INT},
    "queue": {"pending": INT, "oldest_pending_age_s": INT + "?", "last_seq": INT,
              "accepted_total": INT, "rejected_total": INT},
    "odoo": {"state": ("ok", "unreachable", "auth_failed", "never"), "last_full_at": TIME + "?",
             "last_delta_at": TIME + "?", "items": INT, "stale": BOOL, "last_error": STR + "?"},
    "storage": {"map_used_pct": NUM, "disk_free_mb": INT},
    "tls": {"client_cert_expires_at": TIME, "days_left": INT},
    "update": {"running": STR, "offered": STR + "?",
               "state": ("idle", "downloading", "verifying", "waiting_for_quiet", "installing",
                         "probation", "good", "rolled_back", "refused"),
               "progress_bytes": INT, "size_bytes": INT + "?", "last_result": STR + "?",
               "last_result_at": TIME + "?", "bad_versions": list},
    "config": {"remote_version": STR + "?"},
}


def type_errors(value, kind, path):
    """Returns a list of 'path: why' for value against kind."""
    if isinstance(kind, dict):
        if not isinstance(value, dict):
            return ["%s: want an object, got %r" % (path, value)]
        errs = []
        for k, sub in kind.items():
            if k not in value:
                errs.append("%s.%s: missing" % (path, k))
            else:
                errs += type_errors(value[k], sub, path + "." + k)
        return errs
    if isinstance(kind, tuple):
        return [] if value in kind else ["%s: %r not one of %s" % (path, value, kind)]
    if kind is list:
        return [] if isinstance(value, list) else ["%s: want a list" % path]
    nullable = kind.endswith("?")
    kind = kind.rstrip("?")
    if value is None:
        return [] if nullable else ["%s: null not allowed" % path]
    ok = {
        INT: isinstance(value, int) and not isinstance(value, bool),
        NUM: isinstance(value, (int, float)) and not isinstance(value, bool),
        STR: isinstance(value, str),
        BOOL: isinstance(value, bool),
        TIME: isinstance(value, str) and bool(RFC3339.match(value)),
    }[kind]
    return [] if ok else ["%s: want %s, got %r" % (path, kind, value)]


def schema_errors(doc, overrides=None):
    """Type errors of a whole status document; overrides: {"odoo.last_full_at": TIME, ...}
    tightens a field for one situation (e.g. not null once online)."""
    errs = type_errors(doc, SCHEMA, "status")
    for dotted, kind in (overrides or {}).items():
        v = doc
        for k in dotted.split("."):
            v = v.get(k) if isinstance(v, dict) else None
        errs += type_errors(v, kind, "status." + dotted)
    return errs


def issue_codes(doc):
    return [i["code"] for i in doc["headline"]["issues"]]


class Scenario:
    """One agent (and the stand-ins it talks to) in a given situation.
    start() returns once the agent's status shows the situation; close()
    stops everything, whatever start() got to."""

    name = "scenario"
    overrides = {}
    heartbeat_s = 1
    status_token = None  # set with overrides["status_token_sha256"]

    def __init__(self, workdir=None):
        self.workdir = workdir or harness.make_workdir("status-" + self.name)
        self.certs = harness.make_certs(self.workdir)
        self.central = None
        self.odoo = None
        self.agent = None
        self.posted = 0
        self.odoo_items = 0

    # -- pieces --

    def start_central(self):
        from central import Central
        self.central = Central(self.certs, os.path.join(self.workdir, "central.db")).start()
        return self.central.url()

    def start_odoo(self):
        """Starts tests/standins/odoo.py; returns the agent's "odoo" config for it."""
        import json
        import subprocess
        self.odoo = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "..", "standins", "odoo.py"), "--products", "40",
             "--key", ODOO_KEY], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        ports = json.loads(self.odoo.stdout.readline())
        self.odoo_control = ports["control_port"]
        key_file = os.path.join(self.workdir, "odoo.key")
        with open(key_file, "w") as f:
            f.write(ODOO_KEY + "\n")
        os.chmod(key_file, 0o600)
        return {"url": "http://127.0.0.1:%d" % ports["port"], "db": "retail",
                "login": "store-s042-bot", "api_key_file": key_file, "location_id": 8,
                "pricelist_id": 3,
                "resync_jitter_s": 0}  # the first read at once (no fleet here)

    def odoo_command(self, cmd):
        import http.client
        import json
        c = http.client.HTTPConnection("127.0.0.1", self.odoo_control, timeout=30)
        try:
            c.request("POST", "/", json.dumps(cmd), {"Content-Type": "application/json"})
            return json.loads(c.getresponse().read())
        finally:
            c.close()

    def start_agent(self, central_url=None, overrides=None):
        cfg = {"central": {"heartbeat_s": self.heartbeat_s}}
        harness.deep_merge(cfg, dict(self.overrides))
        harness.deep_merge(cfg, overrides or {})
        self.agent = harness.Agent(self.workdir, overrides=cfg, certs=self.certs,
                                   central_url=central_url).start()
        return self.agent

    def post(self, n, register="R1"):
        for _ in range(n):
            self.posted += 1
            status, _, body = self.agent.post_txn(harness.sample_txn(self.posted, register))
            assert status == 201, (status, body)

    def status(self):
        """/v1/status, with the status token when the scenario sets one."""
        code, _, body = self.agent.request("GET", "/v1/status", token=self.status_token)
        assert code == 200, (code, body)
        return body

    def wait_status(self, pred, what, timeout=30):
        return harness.wait_for(lambda: pred(self.status()), timeout, what)

    # -- life --

    def start(self):
        raise NotImplementedError

    def close(self):
        if self.agent:
            self.agent.stop()
        if self.central:
            self.central.stop()
        if self.odoo:
            self.odoo.kill()
            self.odoo.wait()
            self.odoo.stdout.close()
        harness.cleanup(self.workdir)


class OfflineWithQueue(Scenario):
    """Central down since start-up; sales wait in the agent."""
    name = "offline"

    def start(self):
        self.start_agent()  # the harness points central at a closed port
        self.post(3)
        self.wait_status(lambda d: d["central"]["state"] != "online" and
                         d["central"]["last_error"] and d["queue"]["pending"] == self.posted,
                         "central to show as down with the sales waiting")


class CentralRejects(Scenario):
    """Central answers 422 for one seq: the queue holds at it."""
    name = "rejects"
    rejected_seq = 2
    reason = "unknown cashier C7"

    def start(self):
        url = self.start_central()
        self.central.reject_seq(self.rejected_seq, self.reason)
        self.start_agent(url)
        self.post(3)
        # The hold is known when central's answer arrives; the ack of the
        # seqs before it is an LMDB commit (a fold first, with the journal)
        # that lands a moment later: wait for both, as a till would see them.
        self.wait_status(lambda d: d["central"].get("held") == "rejected" and
                         d["central"].get("rejected_seq") == self.rejected_seq and
                         d["queue"]["pending"] == self.posted - self.rejected_seq + 1,
                         "the agent to hold at the rejected seq, the seqs before it acked")


class CertExpiring(Scenario):
    """The store's client certificate expires in 10 days."""
    name = "cert"

    def start(self):
        url = self.start_central()
        self.start_agent(url, {"central": {
            "cert_file": os.path.join(self.certs, "store-soon.pem"),
            "key_file": os.path.join(self.certs, "store-soon.key")}})
        self.wait_status(lambda d: d["tls"]["days_left"] is not None,
                         "the certificate's expiry in the status")


class FullBuffer(Scenario):
    """storage.max_pending reached while central is down: 507 to the tills."""
    name = "full"
    max_pending = 3

    def start(self):
        self.start_agent(overrides={"storage": {"max_pending": self.max_pending}})
        self.post(self.max_pending)
        status, headers, body = self.agent.post_txn(harness.sample_txn(999))
        assert status == 507, (status, body)
        self.wait_status(lambda d: d["central"]["state"] != "online",
                         "central to show as down")


class AllGood(Scenario):
    """Central and Odoo up: sales acknowledged, a fresh price/stock copy."""
    name = "all-good"

    def start(self):
        url = self.start_central()
        self.start_agent(url, {"odoo": self.start_odoo()})
        self.post(2)
        # The uplink's acked_through moves when central answers, the queue's
        # once the ack is committed: wait for both.
        self.wait_status(lambda d: d["central"]["state"] == "online" and
                         d["central"]["acked_through"] == self.posted and
                         d["queue"]["pending"] == 0 and
                         d["odoo"]["state"] == "ok" and d["headline"]["level"] == "ok",
                         "central online with every sale acked and a fresh Odoo copy")
        self.odoo_items = self.status()["odoo"]["items"]


class OdooDownStale(Scenario):
    """A copy from Odoo, then Odoo goes away and the copy grows old."""
    name = "odoo-down"
    stale_after_s = 2

    def start(self):
        # Central stays down: its coming up would start a new full snapshot,
        # and this scenario wants Odoo to go away between two syncs.
        self.start_agent(overrides={"odoo": dict(self.start_odoo(), delta_s=1,
                                                 stale_after_s=self.stale_after_s)})
        self.wait_status(lambda d: d["odoo"]["state"] == "ok" and d["odoo"]["syncing"] is None,
                         "a first copy from Odoo")
        self.odoo_items = self.status()["odoo"]["items"]
        self.odoo_command({"cmd": "down"})
        self.wait_status(lambda d: d["odoo"]["state"] == "unreachable" and d["odoo"]["stale"],
                         "Odoo unreachable with a stale copy")
