"""Probation and rollback (update.md "Probation and rollback").

* A build that aborts at the top of main (TS_TEST_ABORT_AT_START) is run by
  the launcher at most update.max_probation_starts times, then rolled back:
  the old version serves the tills again, the bad version is never fetched
  again, and /v1/status, /metrics and the heartbeat say what happened. The
  test plays systemd's part (Restart=always): update_common.Supervised
  starts the packaged binary again whenever the process ends.
* A build that starts but never reaches central (central goes down right
  after the install) is rolled back once update.health_grace_s has passed.
"""
import os
import unittest

import update_common as uc
from update_common import harness


def update_part(agent):
    try:
        return agent.update_status()
    except (OSError, AssertionError):
        return None  # between starts of the crashing build nobody listens


def wait_state(agent, state, timeout=120):
    return harness.wait_for(lambda: (lambda u: u if u and u["state"] == state else None)(
        update_part(agent)), timeout, "update state " + state)


class CrashingBuild(unittest.TestCase):
    def test_rolled_back_after_max_starts(self):
        crashing = uc.build_variant("0.5.1", abort=True)
        workdir = harness.make_workdir("update-crash")
        certs = harness.make_certs(workdir)
        central = uc.CentralProc(workdir, certs)
        key, pub = uc.make_keys(workdir)
        agent = uc.agent_for(workdir, certs, central, pub)
        try:
            agent.start()
            uc.publish(central, workdir, key, crashing, "0.5.1")
            u = wait_state(agent, "rolled_back")
            self.assertEqual(u["running"], "0.4.0")
            self.assertEqual(u["bad_versions"], ["0.5.1"])
            self.assertEqual(u["bad"][0]["starts"], 3)
            self.assertIn("stopped 3 times", u["bad"][0]["reason"])
            self.assertIn("0.5.1 rolled back to 0.4.0", u["last_result"])
            print("rollback says: " + u["last_result"])
            self.assertEqual(agent.count_log(r"event=launcher\.probation_start "), 3)
            self.assertEqual(len(agent.exits), 3, agent.exits)  # three aborts, no more
            self.assertFalse(os.path.lexists(os.path.join(agent.data_dir, "current")))
            # The old version serves the tills again.
            status, _, body = agent.post_txn(harness.sample_txn(1))
            self.assertEqual(status, 201, body)
            # Never fetched again, however often central offers it.
            polls = central.store_state()["config_polls"]
            central.cmd("set_config", doc={"version": "again", "settings": {},
                                           "update": uc.offer(
                                               key, crashing, "0.5.1",
                                               central.url() + "/updates/tillsync-0.5.1")})
            harness.wait_for(lambda: central.store_state()["config_polls"] >= polls + 3, 30,
                             "three more config polls")
            gets = [e for e in central.state()["events"] if e.get("kind") == "update_get"]
            self.assertEqual(len(gets), 1, gets)
            self.assertEqual(wait_state(agent, "rolled_back")["bad_versions"], ["0.5.1"])
            # The heartbeat carries the failure to central.
            hb = harness.wait_for(lambda: (lambda h: h if h and h.get("update", {}).get(
                "bad_versions") == ["0.5.1"] else None)(central.store_state().get(
                    "last_heartbeat")), 30, "heartbeat with the rollback")
            self.assertEqual(hb["update"]["state"], "rolled_back")
            scrape = harness.Scrape(agent.request("GET", "/metrics")[2])
            self.assertEqual(scrape.value("tillsync_update_rollbacks_total"), 1)
        finally:
            agent.stop()
            central.stop()
            harness.cleanup(workdir)


class NeverReachesCentral(unittest.TestCase):
    def test_rolled_back_after_grace(self):
        good = uc.build_variant("0.5.0")
        workdir = harness.make_workdir("update-grace")
        certs = harness.make_certs(workdir)
        central = uc.CentralProc(workdir, certs)
        key, pub = uc.make_keys(workdir)
        agent = uc.agent_for(workdir, certs, central, pub,
                             {"update": {"health_grace_s": 4, "idle_s": 2}})
        try:
            agent.start()
            uc.publish(central, workdir, key, good, "0.5.0")
            agent.wait_log(r"event=update\.installed version=0\.5\.0", 60)
            central.cmd("go_down")  # before the restart (idle_s later)
            agent.wait_log(r"event=update\.probation version=0\.5\.0", 60)
            agent.wait_log(r"event=update\.rolled_back version=0\.5\.0", 60)
            u = wait_state(agent, "rolled_back")
            self.assertEqual(agent.status()["version"], "0.4.0")
            self.assertIn("did not reach central", u["last_result"])
            self.assertEqual(u["bad_versions"], ["0.5.0"])
            self.assertEqual(agent.exits, [])  # exec'ed both ways, never exited
            central.cmd("come_up")
            hb = harness.wait_for(lambda: (lambda h: h if h and h.get("update", {}).get(
                "state") == "rolled_back" else None)(central.store_state().get(
                    "last_heartbeat")), 30, "heartbeat with the rollback")
            self.assertIn("did not reach central", hb["update"]["last_result"])
        finally:
            agent.stop()
            central.stop()
            harness.cleanup(workdir)


if __name__ == "__main__":
    unittest.main(verbosity=2)
