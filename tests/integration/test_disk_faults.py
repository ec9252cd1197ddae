"""A failing disk: EIO and ENOSPC on write and on fdatasync while tills post.

The power-cut shim (tests/powercut/) makes the watched calls fail on
command. While a fault is on, the agent must answer 503
storage_unavailable (never 201: the commit failed) and /healthz 503; once
it is off, the agent must take sales again without a restart. A failed
fdatasync is modelled as Linux does it ("fsyncgate"): the writes it should
have flushed may never reach the disk, so after the faults a power cut
checks that nothing acknowledged was lost and no seq was skipped.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import powercut_common as pc  # noqa: E402
from powercut_common import harness  # noqa: E402

FAULTS = ["fsync=EIO", "fsync=ENOSPC", "write=EIO", "write=ENOSPC", "dsync_write=EIO"]


class DiskFaultTest(unittest.TestCase):
    def setUp(self):
        self.workdir = harness.make_workdir("diskfault")
        self.agent = pc.ShimAgent(self.workdir, overrides={"log_level": "info",
                                                         # the LMDB-commit path, whatever the default
                                                         "storage": {"journal": False}})
        self.tills = [pc.Till(r, 0, lambda: self.agent) for r in harness.REGISTERS]

    def tearDown(self):
        for t in self.tills:
            t.stop.set()
        self.agent.kill()
        harness.cleanup(self.workdir)

    def acked(self):
        out = []
        for t in self.tills:
            with t.lock:
                out.extend(t.acked)
        return out

    def refused(self):
        out = []
        for t in self.tills:
            with t.lock:
                out.extend(t.refused)
        return out

    def healthz(self):
        code, _, _ = self.agent.request("GET", "/healthz")
        return code

    def check_acked(self, where):
        acked = self.acked()
        for txn_id, seq, _ in acked:
            code, _, body = self.agent.request("GET", "/v1/transactions/" + txn_id)
            self.assertEqual(code, 200, "%s: acknowledged %s (seq %d) lost" % (where, txn_id, seq))
            self.assertEqual(body["seq"], seq, "%s: seq of %s changed" % (where, txn_id))
        seqs = sorted(s for _, s, _ in acked)
        self.assertEqual(len(seqs), len(set(seqs)), "%s: two sales share a seq" % where)
        return acked

    def test_faults_refuse_then_recover(self):
        self.agent.start()
        for t in self.tills:
            t.start()
            t.go.set()
        harness.wait_for(lambda: len(self.acked()) >= 20, 60, "sales before the faults")
        for fault in FAULTS:
            refused_before = len(self.refused())
            self.agent.set_fault(fault)
            harness.wait_for(lambda: len(self.refused()) >= refused_before + 8, 60,
                             "8 sales refused under %s" % fault)
            self.assertEqual(self.healthz(), 503, "/healthz under %s" % fault)
            self.agent.set_fault("")
            # Once every till has been refused, no 201 came from a failed
            # commit: a till posts its next sale only after a 201 or 200.
            acked_before = len(self.acked())
            harness.wait_for(lambda: len(self.acked()) >= acked_before + 20, 60,
                             "sales taken again after %s, without a restart" % fault)
            harness.wait_for(lambda: self.healthz() == 200, 30, "/healthz 200 after %s" % fault)
            codes = {c for s, c in self.refused()[refused_before:]}
            self.assertEqual({s for s, _ in self.refused()[refused_before:]}, {503}, fault)
            self.assertEqual(codes, {"storage_unavailable"}, fault)
            self.check_acked("after %s" % fault)
            print("disk_faults: %s: %d sales refused with 503, taken again after"
                  % (fault, len(self.refused()) - refused_before))
        self.assertEqual(self.agent.proc.poll(), None, "the agent exited")
        # What a failed fdatasync did not flush may be gone: cut the power
        # while fdatasync fails (the new state after the cut has no fault)
        # and look again.
        refused_before = len(self.refused())
        self.agent.set_fault("fsync=EIO")
        for t in self.tills:
            t.go.set()
        harness.wait_for(lambda: len(self.refused()) >= refused_before + 8, 60,
                         "sales refused before the cut")
        for t in self.tills:
            t.go.clear()
        figures = self.agent.power_cut(12345)
        self.agent.start()
        acked = self.check_acked("after a power cut following the faults")
        status = self.agent.status()
        self.assertEqual(status["queue"]["pending"], status["queue"]["last_seq"],
                         "a seq is missing after the faults")
        exported = self.agent.export_pending()
        self.assertEqual([e["seq"] for e in exported],
                         list(range(1, status["queue"]["last_seq"] + 1)))
        self.assertEqual([b for t in self.tills for b in t.bad], [])
        print("disk_faults: %d sales acknowledged, lost 0; writes lost to failed fsyncs "
              "at the cut: %d" % (len(acked), figures.get("lost", 0)))


if __name__ == "__main__":
    unittest.main()
