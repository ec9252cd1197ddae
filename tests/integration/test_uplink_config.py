"""Heartbeat and remote config on the uplink.

The agent polls central's config at start and every config_poll_s with
If-None-Match; settings apply live (here: a smaller batch_max and quicker
heartbeats), unknown or invalid ones are skipped with a warning while the
rest still apply, the version shows in the status, and an offered update is
recorded. Heartbeats carry the whole /v1/status document.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import uplink_common as uc  # noqa: E402
from uplink_common import harness  # noqa: E402

CONFIG = {
    "version": "2026-11-20.3",
    "settings": {"central.batch_max": 7, "central.heartbeat_s": 1, "central.config_poll_s": 1,
                 "bogus.key": 1, "central.retry_max_ms": "soon", "central.url": "https://x"},
    "update": {"version": "0.5.0", "url": "https://central.example/tillsync-0.5.0-arm64",
               "sha256": "ab" * 32, "signature": "c2ln"},
}


class RemoteConfigTest(unittest.TestCase):
    def setUp(self):
        self.workdir = harness.make_workdir("uplink-config")
        self.certs = harness.make_certs(self.workdir)
        self.central = uc.CentralProc(self.workdir, self.certs)
        self.central.cmd("set_config", doc=CONFIG)
        self.agent = uc.agent_for(self.workdir, self.certs, self.central)
        self.agent.start()

    def tearDown(self):
        self.agent.kill()
        self.central.stop()
        harness.cleanup(self.workdir)

    def test_settings_apply_live_and_heartbeats_flow(self):
        self.agent.wait_log(r"event=config\.remote\.version version=2026-11-20\.3 applied=3 "
                            r"skipped=3")
        for key in ("bogus.key", "central.retry_max_ms", "central.url"):
            self.agent.wait_log(r"level=warn event=config\.remote\.skipped key=%s "
                                % key.replace(".", r"\."))
        status = self.agent.status()
        self.assertEqual(status["config"]["remote_version"], "2026-11-20.3")
        self.assertEqual(status["central"]["remote_config"]["update_offered"], "0.5.0")

        # heartbeat_s 1: heartbeats now come every second, with the status.
        harness.wait_for(lambda: self.central.store_state().get("heartbeats", 0) >= 3, 30,
                         "heartbeats every second")
        beat = self.central.store_state()["last_heartbeat"]
        self.assertEqual(beat["store_id"], "S042")
        self.assertIn(beat["central"]["state"], ("online", "backoff", "offline"))
        # config_poll_s 1: later polls send If-None-Match and get 304.
        harness.wait_for(lambda: self.central.store_state().get("config_polls", 0) >= 3, 30,
                         "config polls every second")
        _, _, metrics = self.agent.request("GET", "/metrics")
        self.assertRegex(metrics, r'tillsync_config_polls_total\{result="unchanged"\} [1-9]')

        # batch_max 7: a 30-txn backlog goes in batches of at most 7.
        self.central.cmd("go_down")
        sent = uc.post_odd_txns(self.agent, 1, 30)
        before = self.central.store_state().get("batches", 0)
        self.central.cmd("come_up")
        harness.wait_for(lambda: self.central.acked_through() >= 30, 30, "the backlog")
        self.assertGreaterEqual(self.central.store_state()["batches"] - before, 5)
        uc.assert_central_holds(self, self.central, sent)


if __name__ == "__main__":
    unittest.main()
