"""Many stores losing central together must not come back in lock-step.

Fifty agents (TS_HERD_AGENTS to change), each with its own data dir and
store id, forward to one stand-in. The stand-in goes away; each agent gets a
txn and fails to send it until its back-off window has grown to the cap.
Then the stand-in comes back. With full jitter the agents' first batches
after the return spread over the back-off window; without it they would all
land within a few hundred milliseconds of each other.

The assertion is on the shape of the spread, not on absolute timing: no
tenth of the window holds more than 40% of the agents (lock-step puts them
all in one), and the first and last arrivals are at least 40% of the window
apart.
"""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import uplink_common as uc  # noqa: E402
from uplink_common import harness  # noqa: E402

AGENTS = int(os.environ.get("TS_HERD_AGENTS", "50"))
RETRY_INITIAL_MS = 100
RETRY_MAX_MS = 4000
# After this many failures in a row the window is at the cap:
# 100 * 2^6 = 6400 > 4000.
FAILURES_AT_CAP = 6
ATTEMPT = re.compile(r"event=uplink\.backoff cause=\S+ attempt=(\d+)")


def make_fleet_cert(certs):
    """One client certificate for every store of the test: its CN does not
    name a store, so the stand-in lets it speak for any store id."""
    def run(*args):
        subprocess.run(args, check=True, cwd=certs, capture_output=True)
    if not os.path.exists(os.path.join(certs, "fleet.pem")):
        run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "fleet.key")
        os.chmod(os.path.join(certs, "fleet.key"), 0o600)
        run("openssl", "req", "-new", "-key", "fleet.key", "-subj", "/CN=fleet test client",
            "-out", "fleet.csr")
        with open(os.path.join(certs, "fleet.ext"), "w") as f:
            f.write("extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
        run("openssl", "x509", "-req", "-in", "fleet.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "30", "-sha256", "-extfile", "fleet.ext",
            "-out", "fleet.pem")
    return os.path.join(certs, "fleet.pem"), os.path.join(certs, "fleet.key")


def max_attempt(agent):
    best = 0
    for line in agent.log_lines():
        m = ATTEMPT.search(line)
        if m:
            best = max(best, int(m.group(1)))
    return best


class HerdTest(unittest.TestCase):
    def setUp(self):
        self.workdir = harness.make_workdir("uplink-herd")
        self.certs = harness.make_certs(self.workdir)
        cert, key = make_fleet_cert(self.certs)
        self.central = uc.CentralProc(self.workdir, self.certs)
        self.agents = []
        for i in range(AGENTS):
            wd = os.path.join(self.workdir, "store%03d" % i)
            os.makedirs(wd)
            self.agents.append(uc.agent_for(wd, self.certs, self.central, {
                "store_id": "H%03d" % i,
                "central": {"cert_file": cert, "key_file": key,
                            "retry_initial_ms": RETRY_INITIAL_MS, "retry_max_ms": RETRY_MAX_MS},
                "storage": {"map_size_mb": 16},
                "log_level": "info"}))

    def tearDown(self):
        for a in self.agents:
            a.kill()
        self.central.stop()
        harness.cleanup(self.workdir)

    def acked(self, store):
        return self.central.state()["stores"].get(store, {}).get("acked_through", 0)

    def all_acked(self, seq):
        stores = self.central.state()["stores"]
        return all(stores.get(a.config["store_id"], {}).get("acked_through", 0) >= seq
                   for a in self.agents)

    def test_reconnects_spread_over_the_backoff_window(self):
        for a in self.agents:
            a.start()
            uc.post_odd_txns(a, 1, 1)
        harness.wait_for(lambda: self.all_acked(1), 60, "every store's first txn")

        self.central.cmd("go_down")
        for a in self.agents:
            uc.post_odd_txns(a, 2, 1)
        harness.wait_for(lambda: all(max_attempt(a) >= FAILURES_AT_CAP for a in self.agents),
                         90, "every agent to back off up to the cap", interval=0.2)

        self.central.cmd("come_up")
        harness.wait_for(lambda: self.all_acked(2), 60, "every store's second txn")

        events = self.central.state()["events"]
        up_at = [e["t"] for e in events if e["kind"] == "up"][-1]
        first = {}
        for e in events:
            if (e["kind"] == "request" and e["t"] >= up_at
                    and e.get("path", "").endswith("/transactions")):
                first.setdefault(e["store"], e["t"] - up_at)
        self.assertEqual(len(first), AGENTS)
        offsets = sorted(first.values())
        window = RETRY_MAX_MS / 1000.0
        slices = [0] * 10
        for d in offsets:
            slices[min(9, int(d / window * 10))] += 1
        sys.stderr.write("reconnects per tenth of the %.1f s window: %s\n" % (window, slices))
        self.assertLessEqual(max(slices), 0.4 * AGENTS,
                             "reconnects bunched together: %s" % slices)
        self.assertGreaterEqual(offsets[-1] - offsets[0], 0.4 * window,
                                "reconnects spread over too little of the window: %s" % offsets)


if __name__ == "__main__":
    unittest.main()
