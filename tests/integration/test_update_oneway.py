"""A one-way update that fails its probation (update.md "Probation and
rollback", docs/update.md "Store format: one-way updates").

The running 0.4.0 (store format 1) takes 0.5.0, a build that moves the store
to format 2 (TS_STORE_FORMAT_OVERRIDE; the test build's stand-in for a real
migration), and central goes down before the restart, so 0.5.0 never
reaches central within update.health_grace_s. Rolling back would leave the
store with no agent that can open it (0.4.0 refuses format 2), so:

* 0.5.0 is marked bad but keeps running: the tills still get 201, no exit;
* the status says state `refused` with words naming format 2, and so does
  the heartbeat once central is back;
* a restart (systemd's) still runs 0.5.0: the launcher does not fall back
  onto the packaged build that cannot read the store, and the state stays
  `refused` (not `rolled_back`);
* every sale accepted before, during and after reaches central once.
"""
import json
import os
import unittest

import uplink_common
import update_common as uc
from update_common import harness


def post_sales(test, agent, first, count, sent):
    for n in range(first, first + count):
        text = json.dumps(harness.sample_txn(n))
        status, _, body = agent.request("POST", "/v1/transactions", text)
        test.assertEqual(status, 201, body)
        sent[body["seq"]] = text


def wait_state(agent, state, timeout=60):
    return harness.wait_for(lambda: (lambda u: u if u["state"] == state else None)(
        agent.update_status()), timeout, "update state " + state)


class OneWayUpdate(unittest.TestCase):
    def test_failed_one_way_update_keeps_running(self):
        fmt2 = uc.build_variant("0.5.0", store_format=2)
        workdir = harness.make_workdir("update-oneway")
        certs = harness.make_certs(workdir)
        central = uc.CentralProc(workdir, certs)
        key, pub = uc.make_keys(workdir)
        agent = uc.agent_for(workdir, certs, central, pub,
                             {"update": {"health_grace_s": 4, "idle_s": 2}})
        sent = {}
        try:
            agent.start()
            post_sales(self, agent, 1, 20, sent)
            uc.publish(central, workdir, key, fmt2, "0.5.0")
            agent.wait_log(r"event=update\.installed version=0\.5\.0", 60)
            central.cmd("go_down")  # before the restart (idle_s later)
            agent.wait_log(r"event=store\.format_upgraded from=1 to=2", 60)
            agent.wait_log(r"event=update\.rolled_back version=0\.5\.0 .*one_way=1", 60)
            u = wait_state(agent, "refused")
            self.check_kept(agent, u)
            self.assertEqual(agent.exits, [])  # exec'ed once, never exited
            self.assertEqual(agent.count_log(r"event=agent\.exec "), 1)
            post_sales(self, agent, 21, 20, sent)  # central still down

            # systemd restarts it: the launcher must not run 0.4.0 now.
            ready = agent.count_log(r"event=agent\.ready ")
            agent.proc.terminate()
            harness.wait_for(lambda: agent.count_log(r"event=agent\.ready ") > ready, 60,
                             "the agent back after the restart")
            self.assertEqual(len(agent.exits), 1, agent.exits)
            self.assertGreaterEqual(agent.count_log(r"event=launcher\.exec version=0\.5\.0"), 2)
            self.check_kept(agent, wait_state(agent, "refused"))
            post_sales(self, agent, 41, 20, sent)

            central.cmd("come_up")
            hb = harness.wait_for(lambda: (lambda h: h if h and h.get("update", {}).get(
                "state") == "refused" else None)(central.store_state().get(
                    "last_heartbeat")), 30, "heartbeat with the refused rollback")
            self.assertIn("format 2", hb["update"]["last_result"])
            self.assertEqual(hb["update"]["bad_versions"], ["0.5.0"])
            post_sales(self, agent, 61, 20, sent)
            last = max(sent)
            harness.wait_for(lambda: central.acked_through() >= last, 60, "central to ack all")
            uplink_common.assert_central_holds(self, central, sent)
            self.assertEqual(len(central.txns()), len(sent))
            self.assertEqual(agent.count_log(r"Sanitizer|runtime error"), 0)
            print("one-way rollback says: " + u["last_result"])
        finally:
            agent.stop()
            central.stop()
            harness.cleanup(workdir)

    def check_kept(self, agent, u):
        """0.5.0 still runs on the format-2 store, marked bad, saying why."""
        self.assertEqual(agent.status()["version"], "0.5.0")
        self.assertEqual(u["running"], "0.5.0")
        self.assertEqual(u["bad_versions"], ["0.5.0"])
        words = u["last_result"]
        self.assertIn("0.5.0 failed its probation", words)
        self.assertIn("did not reach central", words)
        self.assertIn("format 2, which 0.4.0 cannot read", words)
        self.assertIn("kept 0.5.0 running", words)
        self.assertEqual(os.readlink(os.path.join(agent.data_dir, "current")), "versions/0.5.0")


if __name__ == "__main__":
    unittest.main(verbosity=2)
