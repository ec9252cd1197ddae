"""Crash test: a 201 means the txn is on disk.

Several concurrent clients post a few hundred txns; the agent is SIGKILLed
(really killed, no clean stop) the moment the last 201 arrives, and again in
a second round while requests are still in flight. After each restart every
acknowledged txn is there with the seq it was given, and the seqs run
1..last_seq with none skipped or repeated.
"""
import os
import random
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402


def post_many(agent, register, start, count, acked, errors, stop=None):
    conn = agent.conn()
    for n in range(start, start + count):
        if stop is not None and stop.is_set():
            return
        txn = harness.sample_txn(n, register=register, qty=1 + n % 3)
        try:
            status, _, body = agent.post_txn(txn, conn=conn)
        except OSError:
            if stop is not None and stop.is_set():
                return  # the agent was killed under us: expected
            raise
        if status == 201:
            acked.append((txn["txn_id"], body["seq"]))
        else:
            errors.append((status, body))


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.workdir = harness.make_workdir("crash")
        self.agent = harness.Agent(self.workdir)

    def tearDown(self):
        self.agent.kill()
        harness.cleanup(self.workdir)

    def check_after_restart(self, acked):
        self.agent.start()
        status = self.agent.status()
        last_seq = status["queue"]["last_seq"]
        seen = {}
        for txn_id, seq in acked:
            code, _, body = self.agent.request("GET", "/v1/transactions/" + txn_id)
            self.assertEqual(code, 200, "acknowledged %s lost after SIGKILL" % txn_id)
            self.assertEqual(body["seq"], seq, "seq of %s changed" % txn_id)
            seen[seq] = txn_id
        self.assertEqual(len(seen), len(acked), "two txns share a seq")
        self.assertGreaterEqual(last_seq, max(seen))
        return last_seq

    def test_kill_after_last_201(self):
        self.agent.start()
        acked, errors = [], []
        clients = [threading.Thread(target=post_many,
                                    args=(self.agent, reg, 1000 * i, 80, acked, errors))
                   for i, reg in enumerate(harness.REGISTERS)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        self.agent.kill()  # SIGKILL right after the last 201
        self.assertEqual(errors, [])
        self.assertEqual(len(acked), 320)
        last_seq = self.check_after_restart(acked)
        self.assertEqual(sorted(s for _, s in acked), list(range(1, 321)))
        self.assertEqual(last_seq, 320)
        # numbering goes on from where it was
        status, _, body = self.agent.post_txn(harness.sample_txn(99999))
        self.assertEqual((status, body["seq"]), (201, 321))

    def test_kill_in_flight(self):
        rnd = random.Random(int.from_bytes(os.urandom(4), "little"))
        self.agent.start()
        acked, errors, stop = [], [], threading.Event()
        clients = [threading.Thread(target=post_many,
                                    args=(self.agent, reg, 1000 * i, 400, acked, errors, stop))
                   for i, reg in enumerate(harness.REGISTERS)]
        for c in clients:
            c.start()
        kill_after = rnd.randint(50, 300)
        harness.wait_for(lambda: len(acked) >= kill_after or not any(
            c.is_alive() for c in clients), 120, "%d txns acknowledged" % kill_after)
        stop.set()
        self.agent.kill()
        for c in clients:
            c.join()
        self.assertEqual(errors, [])
        last_seq = self.check_after_restart(list(acked))
        # no hole: every seq up to last_seq is held (unacknowledged ones may be too)
        self.assertEqual(self.agent.status()["queue"]["pending"], last_seq)
        exported = self.agent.export_pending()
        self.assertEqual([e["seq"] for e in exported], list(range(1, last_seq + 1)))
        by_seq = {e["seq"]: e["txn"]["txn_id"] for e in exported}
        for txn_id, seq in acked:
            self.assertEqual(by_seq[seq], txn_id)


if __name__ == "__main__":
    unittest.main()
