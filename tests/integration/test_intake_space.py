"""Space rules of pos-api.md with central acking: when the LMDB map is 95 %
used, acked txns (central holds them) are pruned early, oldest first, and
new txns are still taken; pending txns are never dropped.

About 2.5 times the map's size flows through a 16 MB map in batches of
3 KB txns; whenever the agent answers 507 the till waits for central to
catch up and sends the batch again, as a real till would."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402
import uplink_common  # noqa: E402

BATCHES = 200
PER_BATCH = 50


def batch(b):
    txns = []
    for i in range(PER_BATCH):
        t = harness.sample_txn(b * PER_BATCH + i)
        t["note"] = "p" * 3000
        txns.append(t)
    return {"transactions": txns}


class EarlyPrune(unittest.TestCase):
    def test_acked_txns_make_room(self):
        workdir = harness.make_workdir("space")
        certs = harness.make_certs(workdir)
        central = uplink_common.CentralProc(workdir, certs)
        agent = uplink_common.agent_for(workdir, certs, central,
                                        {"storage": {"map_size_mb": 16}})
        try:
            agent.start()
            full_answers = 0
            for b in range(BATCHES):
                for attempt in range(20):
                    status, _, body = agent.request("POST", "/v1/transactions:batch", batch(b))
                    self.assertEqual(status, 200, body)
                    codes = {r["status"] for r in body["results"]}
                    self.assertLessEqual(codes, {200, 201, 507}, body)
                    if 507 not in codes:
                        break
                    full_answers += 1
                    done = agent.status()["queue"]["last_seq"]
                    harness.wait_for(lambda: central.acked_through() >= done, 60,
                                     "central to catch up")
                else:
                    self.fail("batch %d never fitted although central acked everything" % b)
            total = BATCHES * PER_BATCH
            harness.wait_for(lambda: central.acked_through() == total, 60,
                             "central to receive everything")
            # the oldest acked txns made room: pruned early, long before retention
            self.assertEqual(agent.request("GET", "/v1/transactions/R1-T000000")[0], 404)
            self.assertTrue(any("event=txnlog.pruned" in l for l in agent.log_lines()))
            # and every txn reached central once, in order
            self.assertEqual([seq for seq, _ in central.txns()], list(range(1, total + 1)))
            print("507 answers on the way: %d" % full_answers)
        finally:
            agent.kill()
            central.stop()
            harness.cleanup(workdir)


if __name__ == "__main__":
    unittest.main()
