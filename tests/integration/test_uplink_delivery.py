"""Every txn reaches central once, in seq order, with the bytes the POS sent.

- 2 000 txns accepted while central is down; central comes up: all arrive
  once, in order, byte-identical (odd white space, key order, escapes and an
  integer past 2^64 in an unknown field prove the bytes are kept).
- The same with faults injected along the way: 500, 429 with Retry-After,
  connections cut before the answer (with and without central keeping the
  batch), partial acks, and a 409 rewind after central lost data.
- Central that lost data the agent already pruned: the loud hold.
- Central ahead of the agent: hold, whatever skip_lost says.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import uplink_common as uc  # noqa: E402
from uplink_common import harness  # noqa: E402


class DeliveryTest(unittest.TestCase):
    def setUp(self):
        self.workdir = harness.make_workdir("uplink-delivery")
        self.certs = harness.make_certs(self.workdir)
        self.central = None
        self.agent = None

    def tearDown(self):
        if self.agent:
            self.agent.kill()
        if self.central:
            self.central.stop()
        harness.cleanup(self.workdir)

    def start(self, down=False, overrides=None):
        self.central = uc.CentralProc(self.workdir, self.certs, down=down)
        self.agent = uc.agent_for(self.workdir, self.certs, self.central, overrides)
        self.agent.start()

    def wait_acked(self, n, timeout=90):
        harness.wait_for(lambda: self.central.acked_through() >= n, timeout,
                         "central to acknowledge seq %d" % n)
        harness.wait_for(lambda: self.agent.status()["central"]["acked_through"] >= n, 10,
                         "the agent to learn of the ack")

    def metric(self, name):
        _, _, text = self.agent.request("GET", "/metrics")
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        self.fail("metric %s missing" % name)

    def test_backlog_while_down_arrives_once_in_order(self):
        self.start(down=True, overrides={"central": {"batch_max": 200}})
        sent = uc.post_odd_txns(self.agent, 1, 2000, chunk=200)
        self.assertEqual(sorted(sent), list(range(1, 2001)))
        central = self.agent.status()["central"]
        self.assertIn(central["state"], ("backoff", "offline"))
        self.assertEqual(central["acked_through"], 0)
        self.assertTrue(central["last_error"])
        self.assertEqual(self.central.store_state().get("count", 0), 0)

        self.central.cmd("come_up")
        self.wait_acked(2000)
        uc.assert_central_holds(self, self.central, sent)
        status = self.agent.status()
        self.assertEqual(status["central"]["state"], "online")
        self.assertEqual(status["queue"]["pending"], 0)
        # Batches kept to batch_max: 2000 txns need at least 10.
        self.assertGreaterEqual(self.central.store_state()["batches"], 10)

    def test_faults_on_the_way(self):
        self.start(overrides={"central": {"batch_max": 50}})
        sent = {}
        c = self.central
        faults = [
            lambda: c.cmd("fail_next", n=3, status=500),
            lambda: c.cmd("fail_next", n=1, status=503, retry_after=1),
            lambda: c.cmd("rate_limit", n=2, retry_after=1),
            lambda: c.cmd("cut_next", n=2),
            lambda: c.cmd("cut_next", n=1, store=True),  # stored, answer lost
            lambda: c.cmd("partial_ack", k=7, n=3),
            lambda: c.cmd("rewind", m=max(sent) - 30),   # central lost its last 31
            lambda: c.cmd("conflict_next", m=max(sent) - 10),
        ]
        first = 1
        for inject in faults:
            sent.update(uc.post_odd_txns(self.agent, first, 100, chunk=100))
            first += 100
            inject()
            sent.update(uc.post_odd_txns(self.agent, first, 100, chunk=50))
            first += 100
            self.wait_acked(max(sent))
        uc.assert_central_holds(self, self.central, sent)
        self.assertEqual(self.agent.status()["central"]["state"], "online")

        _, _, text = self.agent.request("GET", "/metrics")
        for cause in ("http_5xx", "http_429", "connection"):
            line = 'tillsync_uplink_retries_total{cause="%s"}' % cause
            self.assertTrue(any(l.startswith(line) and not l.endswith(" 0")
                                for l in text.splitlines()), "no retry counted for " + cause)
        for result in ("partial", "conflict", "failed"):
            line = 'tillsync_uplink_batches_total{result="%s"}' % result
            self.assertTrue(any(l.startswith(line) and not l.endswith(" 0")
                                for l in text.splitlines()), "no batch counted as " + result)
        self.assert_retry_after_honoured()

    def assert_retry_after_honoured(self):
        """After each answer carrying Retry-After: 1, the next batch came no
        sooner than a second later (a lower bound: a slow box only adds)."""
        events = [e for e in self.central.state()["events"]
                  if e["kind"] == "request" and e.get("path", "").endswith("/transactions")]
        self.assertGreater(len(events), 10)
        agent_log = "\n".join(self.agent.log_lines())
        self.assertIn("retry_after_s=1 ", agent_log)
        for line in self.agent.log_lines():
            if "event=uplink.backoff" in line and "retry_after_s=1 " in line:
                delay = int(line.split("delay_ms=")[1].split()[0])
                self.assertGreaterEqual(delay, 1000, line)

    def test_central_already_holding_more_than_the_batch(self):
        """After a crash the durable ack may lag what central holds: central
        then acks past the batch, and the agent takes its word (up to its own
        newest seq) instead of stalling on a "protocol error"."""
        self.start()
        sent = uc.post_odd_txns(self.agent, 1, 20)
        self.wait_acked(20)
        self.agent.kill()
        # A second agent for the same store whose log lags: same txns, no acks.
        wd = os.path.join(self.workdir, "lagging")
        os.makedirs(wd)
        self.agent = uc.agent_for(wd, self.certs, self.central, {"central": {"batch_max": 5}})
        self.agent.start()
        self.assertEqual(uc.post_odd_txns(self.agent, 1, 20), sent)
        self.agent.wait_log(r"event=uplink\.ack_beyond_batch last_sent=5 acked_through=20")
        harness.wait_for(lambda: self.agent.status()["central"]["acked_through"] == 20, 10,
                         "the agent to take central's ack")
        self.assertEqual(self.agent.status()["central"]["state"], "online")
        self.assertEqual(self.metric('tillsync_uplink_retries_total{cause="protocol"}'), 0)
        uc.assert_central_holds(self, self.central, sent)

    def test_lost_data_already_pruned_holds_loudly(self):
        # Acked txns are pruned 0.36 s after their ack.
        self.start(overrides={"storage": {"acked_retention_h": 0.0001}})
        sent = uc.post_odd_txns(self.agent, 1, 20, chunk=20)
        self.wait_acked(20)
        self.agent.wait_log(r"event=txnlog\.pruned .*lowest_held=0")
        self.central.cmd("lose_after", k=5)  # central now wants seq 6 again
        sent.update(uc.post_odd_txns(self.agent, 21, 1))
        harness.wait_for(lambda: self.agent.status()["central"]["held"] == "lost_data", 30,
                         "the agent to hold on lost data")
        central = self.agent.status()["central"]
        self.assertEqual(central["last_error"],
                         "central lost data I already pruned (expected seq 6, oldest held 21)")
        self.assertIn(central["state"], ("backoff", "offline"))
        self.agent.wait_log(r"level=error event=uplink\.lost_data expected_seq=6 oldest_held=21")
        self.assertEqual(self.central.acked_through(), 5, "central got txns across the gap")

        # skip_lost: the operator accepts the loss; the agent says what it skipped.
        self.agent.kill()
        self.agent.config["central"]["skip_lost"] = True
        self.agent.start()
        self.agent.wait_log(r"event=uplink\.skip_lost skipped_from=6 skipped_through=20 "
                            r"resume_at=21")

    def test_central_ahead_holds_even_with_skip_lost(self):
        self.start(overrides={"central": {"skip_lost": True}})
        uc.post_odd_txns(self.agent, 1, 3)
        self.wait_acked(3)
        self.central.cmd("conflict_next", m=1000, n=1000)
        uc.post_odd_txns(self.agent, 4, 1)
        harness.wait_for(lambda: self.agent.status()["central"]["held"] == "central_ahead", 30,
                         "the agent to hold with central ahead")
        err = self.agent.status()["central"]["last_error"]
        self.assertIn("central expects seq 1000 but the newest txn here is seq 4", err)
        self.assertEqual(self.central.acked_through(), 3)
        self.central.cmd("clear_faults")
        self.wait_acked(4)
        self.assertIsNone(self.agent.status()["central"]["held"])


if __name__ == "__main__":
    unittest.main()
