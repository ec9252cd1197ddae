"""A download broken at 50 % resumes where it stopped (update.md step 2):
the second request asks for the rest with a Range and the stand-in sends
only the rest; the build is then verified, installed, restarted into once
the store is quiet (no POST for update.idle_s) and marked good."""
import os
import unittest

import update_common as uc
from update_common import harness


class ResumedDownload(unittest.TestCase):
    def test_resume_after_drop_at_half(self):
        good = uc.build_variant("0.5.0")
        size = os.path.getsize(good)
        workdir = harness.make_workdir("update-resume")
        certs = harness.make_certs(workdir)
        central = uc.CentralProc(workdir, certs)
        key, pub = uc.make_keys(workdir)
        agent = uc.agent_for(workdir, certs, central, pub, {"update": {"idle_s": 1}})
        try:
            agent.start()
            central.cmd("drop_update_at", fraction=0.5)
            uc.publish(central, workdir, key, good, "0.5.0")
            harness.wait_for(lambda: (lambda u: u if u["state"] == "good" else None)(
                agent.update_status()), 120, "0.5.0 good")
            gets = [e for e in central.state()["events"] if e.get("kind") == "update_get"]
            self.assertEqual(len(gets), 2, gets)
            first, second = gets
            self.assertTrue(first["dropped"])
            self.assertEqual(first["range_start"], 0)
            self.assertEqual(first["bytes_sent"], size // 2)
            self.assertEqual(second["range_start"], size // 2)
            self.assertEqual(second["bytes_sent"], size - size // 2)
            self.assertEqual(agent.status()["version"], "0.5.0")
            scrape = harness.Scrape(agent.request("GET", "/metrics")[2])
            self.assertEqual(scrape.value("tillsync_update_state", state="good"), 1)
            print("figures: %d bytes; first try %d, resumed try %d"
                  % (size, first["bytes_sent"], second["bytes_sent"]))
        finally:
            agent.stop()
            central.stop()
            harness.cleanup(workdir)


if __name__ == "__main__":
    unittest.main(verbosity=2)
