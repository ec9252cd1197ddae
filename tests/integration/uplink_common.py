"""What the uplink tests share: the central stand-in as a subprocess, agents
pointed at it, txns whose bytes are unusual on purpose, and checks on what
central ends up holding.

The stand-in (tests/standins/central.py) is driven through its control port;
see its docstring for the faults it can inject.
"""
import http.client
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402

CENTRAL = os.path.join(harness.SOURCE_DIR, "tests", "standins", "central.py")


class CentralProc:
    """The stand-in in its own process (it fsyncs in SQLite, so it is real)."""

    def __init__(self, workdir, certs, down=False, extra_args=()):
        self.db = os.path.join(workdir, "central.db")
        self.proc = subprocess.Popen(
            [sys.executable, CENTRAL, "--certs", certs, "--port", "0", "--control-port", "0",
             "--db", self.db, "--exit-on-stdin-eof", *extra_args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("central stand-in did not start")
        info = json.loads(line)
        self.port = info["port"]
        self.control_port = info["control_port"]
        if down:
            self.cmd("go_down")

    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def _call(self, method, path, doc=None):
        c = http.client.HTTPConnection("127.0.0.1", self.control_port, timeout=60)
        try:
            body = json.dumps(doc).encode() if doc is not None else None
            c.request(method, path, body=body,
                      headers={"Content-Type": "application/json"} if body else {})
            r = c.getresponse()
            data = json.loads(r.read())
        finally:
            c.close()
        if r.status != 200:
            raise AssertionError("central control %s %s: %s" % (method, path, data))
        return data

    def cmd(self, _command, **args):
        args["cmd"] = _command
        return self._call("POST", "/control", args)["result"]

    def state(self):
        return self._call("GET", "/state")

    def store_state(self, store="S042"):
        return self.state()["stores"].get(store, {})

    def acked_through(self, store="S042"):
        return self.store_state(store).get("acked_through", 0)

    def txns(self, store="S042"):
        """[(seq, txn text as received)] in seq order."""
        return [(s, t) for s, t in self._call("GET", "/txns?store=" + store)["txns"]]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


def agent_for(workdir, certs, central, overrides=None, **kw):
    cfg = {"central": {"url": central.url(), "retry_initial_ms": 20, "retry_max_ms": 300,
                       "heartbeat_s": 3600, "config_poll_s": 3600}}
    return harness.Agent(workdir, harness.deep_merge(cfg, overrides or {}), certs=certs, **kw)


def odd_txn_text(n, register="R1"):
    """A valid txn written the way no JSON printer would: odd white space and
    key order, escapes, and an unknown field holding an integer past 2^64
    and numbers cJSON would print differently. Forwarded bytes must match."""
    amount = 1299 + n % 7
    return ('{ "register_id" :"%s",\n\t"type":"sale" , "txn_id":"%s-T%06d",'
            '"occurred_at":"2026-11-22T10:15:00+01:00","currency":"EUR",'
            '"lines":[ {"qty":1.000,"sku":"SKU-1001","unit_price":%d,"amount":%d} ],'
            '"payments":[{"method":"cash","amount":%d}],"total":%d,'
            '"x_pos":{"big":12345678901234567890,"f":1.50,"e":1E2,"neg":-0,'
            '"s":"caf\\u00e9 \\"q\\" \u20ac","n":%d}   }'
            % (register, register, n, amount, amount, amount, amount, n))


def post_raw_batch(agent, texts, register="R1"):
    """POSTs texts as one /v1/transactions:batch body, keeping each text's
    bytes; returns the per-txn results."""
    body = '{"transactions": [' + ",\n".join(texts) + "]}"
    status, _, doc = agent.request("POST", "/v1/transactions:batch", body.encode("utf-8"),
                                   register=register)
    assert status == 200, (status, doc)
    return doc["results"]


def post_odd_txns(agent, first, count, chunk=100):
    """Posts count odd txns; returns {seq: text} for every one accepted (201)."""
    sent = {}
    for start in range(first, first + count, chunk):
        texts = [odd_txn_text(n) for n in range(start, min(start + chunk, first + count))]
        for text, res in zip(texts, post_raw_batch(agent, texts)):
            assert res["status"] == 201, res
            sent[res["seq"]] = text
    return sent


def assert_central_holds(test, central, sent, store="S042"):
    """Central holds every seq of sent exactly once, in order, byte-identical."""
    got = central.txns(store)
    seqs = [s for s, _ in got]
    test.assertEqual(seqs, sorted(set(seqs)), "central holds a seq twice or out of order")
    test.assertEqual(seqs, list(range(1, len(seqs) + 1)), "central's seqs have a gap")
    by_seq = dict(got)
    missing = [s for s in sent if s not in by_seq]
    test.assertEqual(missing, [], "central lacks acknowledged seqs")
    for s, text in sent.items():
        if by_seq[s] != text:
            test.fail("seq %d differs from what the POS sent:\n sent %r\n  got %r"
                      % (s, text, by_seq[s]))
