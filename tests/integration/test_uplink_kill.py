"""SIGKILL the agent ten times at random moments while it forwards.

The agent restarts from the ack it last wrote to disk, so it may send some
seqs again; central drops those. In the end central holds every txn the
agent acknowledged to the POS, once, in order, byte-identical.
"""
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import uplink_common as uc  # noqa: E402
from uplink_common import harness  # noqa: E402

TOTAL = 1500
KILLS = 10


class KillWhileForwardingTest(unittest.TestCase):
    def setUp(self):
        self.workdir = harness.make_workdir("uplink-kill")
        self.certs = harness.make_certs(self.workdir)
        # The stand-in starts down so a backlog builds up first.
        self.central = uc.CentralProc(self.workdir, self.certs, down=True)
        # Small batches: forwarding takes many round trips to kill into.
        self.agent = uc.agent_for(self.workdir, self.certs, self.central,
                                  {"central": {"batch_max": 10}})

    def tearDown(self):
        self.agent.kill()
        self.central.stop()
        harness.cleanup(self.workdir)

    def test_ten_kills_lose_and_reorder_nothing(self):
        rng = random.Random(os.environ.get("TS_TEST_SEED", "uplink-kill"))
        self.agent.start()
        sent = uc.post_odd_txns(self.agent, 1, TOTAL, chunk=250)
        self.central.cmd("come_up")
        kills, total = 0, TOTAL
        while kills < KILLS:
            acked = self.central.acked_through()
            if acked >= total:
                # A fast box forwards hundreds while the agent restarts: give
                # it more to forward, so that every kill lands mid-stream.
                sent.update(uc.post_odd_txns(self.agent, total + 1, TOTAL, chunk=250))
                total += TOTAL
                continue
            # A random seq ahead of what central holds now: kill the moment
            # central has stored it, which is mid-stream.
            target = rng.randint(acked + 1, min(total, acked + 60))
            harness.wait_for(lambda: self.central.acked_through() >= target, 60,
                             "central to reach seq %d" % target, interval=0.002)
            self.agent.kill()
            kills += 1
            self.agent.start()
        harness.wait_for(lambda: self.central.acked_through() >= total, 90,
                         "central to hold everything")
        uc.assert_central_holds(self, self.central, sent)
        # Central saw re-sends after some kills and dropped them: fine, but
        # it must have stored each seq exactly once.
        st = self.central.store_state()
        self.assertEqual(st["count"], total)
        self.assertEqual(st["stored"], total)


if __name__ == "__main__":
    unittest.main()
