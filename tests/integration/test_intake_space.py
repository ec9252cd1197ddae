"""Space rules of pos-api.md with central acking: when the LMDB map is 95 %
used, acked txns (central holds them) are pruned early, oldest first, and
new txns are still taken; pending txns are never dropped."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
import uplink_common  # noqa: E402


class EarlyPrune(unittest.TestCase):
    def test_acked_txns_make_room(self):
        workdir = harness.make_workdir("space")
        certs = harness.make_certs(workdir)
        central = uplink_common.CentralProc(workdir, certs)
        agent = uplink_common.agent_for(workdir, certs, central,
                                        {"storage": {"map_size_mb": 16}})
        try:
            agent.start()
            first = None
            n_posted = 600  # about 36 MB of txns through a 16 MB map
            for i in range(n_posted):
                txn = harness.sample_txn(i)
                txn["note"] = "p" * 60000
                status, _, body = agent.post_txn(txn)
                if status == 507:  # central has not acked enough yet: wait for it
                    harness.wait_for(lambda: central.acked_through() >= i, 60,
                                     "central to ack")
                    status, _, body = agent.post_txn(txn)
                self.assertEqual(status, 201, body)
                first = first or txn["txn_id"]
            harness.wait_for(lambda: central.acked_through() == n_posted, 60,
                             "central to receive everything")
            # the oldest acked txns made room; all arrived at central once, in order
            self.assertEqual(agent.request("GET", "/v1/transactions/" + first)[0], 404)
            self.assertTrue(any("event=txnlog.pruned" in l for l in agent.log_lines()))
            seqs = [seq for seq, _ in central.txns()]
            self.assertEqual(seqs, list(range(1, n_posted + 1)))
        finally:
            agent.kill()
            central.stop()
            harness.cleanup(workdir)


if __name__ == "__main__":
    unittest.main()
