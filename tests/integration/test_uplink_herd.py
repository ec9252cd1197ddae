"""Many stores losing central together must not come back in lock-step.

Fifty agents (TS_HERD_AGENTS to change), each with its own data dir and
store id, forward to one stand-in. The stand-in goes away; each agent gets a
txn and fails to send it until its back-off window has grown to the cap.
Then the stand-in comes back and every agent delivers.

The assertion is on what the agents chose, not on when anything arrived:
the delay each agent logged for its last back-off before reconnecting
(event=uplink.backoff ... delay_ms=N), drawn at the cap. Every delay lies in
the window [retry_initial_ms, retry_max_ms]; no tenth of the window holds
more than 40% of the agents and the smallest and largest delays are at
least 40% of the window apart. Without jitter every agent would have chosen
the cap itself: all in one tenth, no spread. (When the reconnects then
arrive at central is a timing figure: bench/bench_herd.py prints it.)
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
ATTEMPT = re.compile(r"event=uplink\.backoff cause=\S+ attempt=(\d+) delay_ms=(\d+)")


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


def backoffs(agent):
    """(attempt, delay_ms) of each back-off the agent logged, in order."""
    out = []
    for line in agent.log_lines():
        m = ATTEMPT.search(line)
        if m:
            out.append((int(m.group(1)), int(m.group(2))))
    return out


def max_attempt(agent):
    return max((attempt for attempt, _ in backoffs(agent)), default=0)


def spread_problems(delays, initial_ms, max_ms, share=0.4):
    """What is wrong with the spread of these delays over [initial, max]:
    a list of sentences, empty when none."""
    problems = []
    outside = [d for d in delays if not initial_ms <= d <= max_ms]
    if outside:
        problems.append("delays outside [%d, %d] ms: %s" % (initial_ms, max_ms, outside))
    width = max_ms - initial_ms
    slices = [0] * 10
    for d in delays:
        slices[min(9, max(0, (d - initial_ms) * 10 // width))] += 1
    if max(slices) > share * len(delays):
        problems.append("delays bunched together, per tenth of the window: %s" % slices)
    if max(delays) - min(delays) < share * width:
        problems.append("delays spread over too little of the window: %s" % sorted(delays))
    return problems


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

        # The delay each agent waited before the reconnect that delivered.
        chosen = []
        for a in self.agents:
            attempt, delay = backoffs(a)[-1]
            self.assertGreaterEqual(attempt, FAILURES_AT_CAP, a.config["store_id"])
            chosen.append(delay)
        self.assertEqual(spread_problems(chosen, RETRY_INITIAL_MS, RETRY_MAX_MS), [])
        # The check itself tells lock-step from jitter: every agent at the cap.
        self.assertNotEqual(spread_problems([RETRY_MAX_MS] * AGENTS, RETRY_INITIAL_MS,
                                            RETRY_MAX_MS), [])


if __name__ == "__main__":
    unittest.main()
