"""Power cuts: a 201 means the sale survives the power going off at any instant.

The agent runs under the power-cut shim (tests/powercut/), which records
every write and sync to data_dir. Four tills post sales concurrently while
the uplink forwards them to the central stand-in; after a random number of
acknowledged sales the agent is SIGKILLed and pc_restore rebuilds data_dir
as the disk could have kept it (unsynced writes dropped or torn at sector
boundaries, synced ones kept). The agent must start again by itself, still
answer for every sale it acknowledged, with the same seq; at the end it
drains to central, which must hold every sale exactly once, in seq order,
with no seq skipped.

A second test gives the same run a disk that lies about flushes and
checks that losses are seen: the checks have teeth.

TS_PC_CUTS sets the number of cuts (default 400), TS_PC_SEED the seed
(printed; with pc-state.prev kept by TS_TEST_KEEP=1 a cut's rebuild can be
replayed: pc_restore --seed N pc-state.prev data out).
"""
import os
import random
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import powercut_common as pc  # noqa: E402
import uplink_common  # noqa: E402
from powercut_common import harness  # noqa: E402

CUTS = int(os.environ.get("TS_PC_CUTS", "400"))


class PowerCutTest(unittest.TestCase):
    def setUp(self):
        self.workdir = harness.make_workdir("powercut")
        self.certs = harness.make_certs(self.workdir)
        self.central = uplink_common.CentralProc(self.workdir, self.certs)
        cfg = {"central": {"url": self.central.url(), "retry_initial_ms": 20,
                           "retry_max_ms": 300, "heartbeat_s": 3600, "config_poll_s": 3600},
               # the LMDB-commit path, whatever the default
               # (test_powercut_journal.py turns the journal on)
               "storage": {"journal": False}, "log_level": "info"}
        self.agent = pc.ShimAgent(self.workdir, overrides=cfg, certs=self.certs)
        self.tills = [pc.Till(r, 0, lambda: self.agent) for r in harness.REGISTERS]
        self.failed = True

    def tearDown(self):
        for t in self.tills:
            t.stop.set()
        self.agent.kill()
        self.central.stop()
        if self.failed:
            print("workdir kept: %s" % self.workdir)
        else:
            harness.cleanup(self.workdir)

    def acked(self):
        out = []
        for t in self.tills:
            with t.lock:
                out.extend(t.acked)
        return out

    def check_acked(self, acked, where):
        for txn_id, seq, _ in acked:
            code, _, body = self.agent.request("GET", "/v1/transactions/" + txn_id)
            self.assertEqual(code, 200, "%s: acknowledged %s (seq %d) lost" % (where, txn_id, seq))
            self.assertEqual(body["seq"], seq, "%s: seq of %s changed" % (where, txn_id))

    def start_after(self, where):
        try:
            self.agent.start()
        except AssertionError as e:
            self.fail("%s: the agent did not start by itself: %s" % (where, e))

    def test_power_cuts(self):
        seed = int(os.environ.get("TS_PC_SEED") or random.SystemRandom().getrandbits(32))
        rnd = random.Random(seed)
        print("powercut: seed=%d cuts=%d" % (seed, CUTS))
        totals = {k: 0 for k in ("writes", "kept", "dropped", "torn", "sectors_dropped",
                                 "durable", "lost", "ns_pending")}
        cut_s = restart_s = 0.0
        self.agent.start()
        for t in self.tills:
            t.start()
        checked = 0
        t_begin = time.monotonic()
        for cut in range(CUTS):
            for t in self.tills:
                t.go.set()
            target = len(self.acked()) + rnd.randint(1, 40)
            harness.wait_for(lambda: len(self.acked()) >= target, 60,
                             "%d sales acknowledged before cut %d" % (target, cut))
            t0 = time.monotonic()
            for t in self.tills:
                t.go.clear()
            rseed = rnd.getrandbits(32)
            where = "cut %d (seed %d, restore seed %d)" % (cut, seed, rseed)
            figures = self.agent.power_cut(rseed)
            for k in totals:
                totals[k] += figures.get(k, 0)
            t1 = time.monotonic()
            self.start_after(where)
            restart_s += time.monotonic() - t1
            cut_s += time.monotonic() - t0
            # The sales acknowledged since the last check are the ones a cut
            # would lose; all of them are checked again at the end.
            acked = self.acked()
            self.check_acked(acked[checked:], where)
            checked = len(acked)
            last_seq = self.agent.status()["queue"]["last_seq"]
            self.assertGreaterEqual(last_seq, max(s for _, s, _ in acked), where)
        elapsed = time.monotonic() - t_begin
        for t in self.tills:
            t.stop.set()
        for t in self.tills:
            t.join(timeout=30)
        self.drain_and_check(seed)
        acked = self.acked()
        print("powercut: cuts=%d sales_acknowledged=%d lost=0 run_s=%.1f "
              "per_cut_ms=%.1f (restore+restart %.1f, restart %.1f)"
              % (CUTS, len(acked), elapsed, 1000 * elapsed / CUTS, 1000 * cut_s / CUTS,
                 1000 * restart_s / CUTS))
        print("powercut: unsynced writes at the cuts: %d (kept %d, dropped %d, torn %d with "
              "%d sectors dropped); O_DSYNC writes kept %d; directory ops pending %d"
              % (totals["writes"] - totals["durable"], totals["kept"] - totals["durable"],
                 totals["dropped"], totals["torn"], totals["sectors_dropped"],
                 totals["durable"], totals["ns_pending"]))
        self.failed = False

    def lost_after_cut(self, rseed):
        """Cuts the power; how many acknowledged sales the restart lost
        (all of them when it does not start)."""
        for t in self.tills:
            t.go.clear()
        self.agent.power_cut(rseed)
        acked = self.acked()
        try:
            self.agent.start()
        except AssertionError:
            return len(acked)
        lost = 0
        for txn_id, seq, _ in acked:
            code, _, body = self.agent.request("GET", "/v1/transactions/" + txn_id)
            lost += code != 200 or body["seq"] != seq
        return lost

    def test_lying_disk_is_caught(self):
        """Negative control: with flushes ignored (TS_PC_LIE=1) sales are lost
        and the checks above see it."""
        self.agent.env["TS_PC_LIE"] = "1"
        rnd = random.Random(int(os.environ.get("TS_PC_SEED") or 1))
        self.agent.start()
        for t in self.tills:
            t.start()
        for cut in range(50):
            for t in self.tills:
                t.go.set()
            target = len(self.acked()) + rnd.randint(1, 40)
            harness.wait_for(lambda: len(self.acked()) >= target, 60, "sales acknowledged")
            lost = self.lost_after_cut(rnd.getrandbits(32))
            if lost:
                print("powercut: lying disk: %d acknowledged sales lost at cut %d" % (lost, cut))
                self.failed = False
                return
        self.fail("50 cuts of a disk that ignores flushes lost nothing: the harness is blind")

    def drain_and_check(self, seed):
        acked = self.acked()
        self.assertEqual([b for t in self.tills for b in t.bad], [])
        self.check_acked(acked, "after the last cut (seed %d)" % seed)
        last_seq = self.agent.status()["queue"]["last_seq"]
        harness.wait_for(lambda: self.central.acked_through() >= last_seq, 120,
                         "central to hold seq %d" % last_seq)
        got = self.central.txns()
        seqs = [s for s, _ in got]
        self.assertEqual(seqs, list(range(1, last_seq + 1)),
                         "central's seqs skip, repeat or are out of order")
        ids = [uplink_common.json.loads(text)["txn_id"] for _, text in got]
        self.assertEqual(len(ids), len(set(ids)), "central holds a sale twice")
        by_seq = dict(zip(seqs, ids))
        for txn_id, seq, _ in acked:
            self.assertEqual(by_seq.get(seq), txn_id, "central has another sale at seq %d" % seq)


if __name__ == "__main__":
    unittest.main()
