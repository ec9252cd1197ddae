"""Central refusing a txn (422) holds the queue at that seq: strict order
means nothing after it is sent. The status names the seq and central's
reason, bounded and cleaned of control characters; once central accepts,
the queue moves on by itself."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import uplink_common as uc  # noqa: E402
from uplink_common import harness  # noqa: E402


class RejectTest(unittest.TestCase):
    def setUp(self):
        self.workdir = harness.make_workdir("uplink-reject")
        self.certs = harness.make_certs(self.workdir)
        self.central = uc.CentralProc(self.workdir, self.certs)
        self.agent = uc.agent_for(self.workdir, self.certs, self.central)
        self.agent.start()

    def tearDown(self):
        self.agent.kill()
        self.central.stop()
        harness.cleanup(self.workdir)

    def test_422_holds_the_queue_and_says_why(self):
        sent = uc.post_odd_txns(self.agent, 1, 10)
        harness.wait_for(lambda: self.central.acked_through() >= 10, 30, "first txns")
        self.central.cmd("reject_seq", seq=13, reason="unknown cashier C7")
        sent.update(uc.post_odd_txns(self.agent, 11, 10))

        def held():
            c = self.agent.status()["central"]
            return c if c["held"] == "rejected" else None
        c = harness.wait_for(held, 30, "the agent to hold at the refused seq")
        self.assertEqual(c["last_error"], "central rejects seq 13: unknown cashier C7")
        self.assertEqual(c["rejected_seq"], 13)
        self.assertIn(c["state"], ("backoff", "offline"))
        self.assertEqual(c["acked_through"], 10)
        self.agent.wait_log(r"level=error event=uplink\.rejected status=422 seq=13")
        # It keeps retrying the head, and nothing past the refusal arrives.
        retries = self.central.store_state()["batches"]
        harness.wait_for(lambda: self.central.store_state()["batches"] >= retries + 3, 30,
                         "retries of the refused batch")
        self.assertEqual(self.central.acked_through(), 10)
        self.assertEqual(self.agent.status()["queue"]["pending"], 10)

        # A hostile reason: long, with control characters and quotes.
        self.central.cmd("reject_seq", seq=11, reason="bad\r\n\x1b[31m\"x\" " + "y" * 5000)
        harness.wait_for(lambda: self.agent.status()["central"]["rejected_seq"] == 11, 30,
                         "the new refusal")
        err = self.agent.status()["central"]["last_error"]
        self.assertTrue(err.startswith("central rejects seq 11: bad"), err)
        self.assertLess(len(err), 256)
        self.assertTrue(all(0x20 <= ord(ch) < 0x7f for ch in err), repr(err))
        for line in self.agent.log_lines():
            self.assertNotIn("y" * 200, line, "an unbounded reason reached the log")

        self.central.cmd("clear_reject")
        harness.wait_for(lambda: self.central.acked_through() >= 20, 30, "the queue to move")
        uc.assert_central_holds(self, self.central, sent)
        c = harness.wait_for(lambda: (lambda s: s if s["held"] is None else None)(
            self.agent.status()["central"]), 10, "the hold to clear")
        self.assertEqual(c["state"], "online")
        self.assertIsNone(c["rejected_seq"])


if __name__ == "__main__":
    unittest.main()
