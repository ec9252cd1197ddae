"""A good update end to end (update.md): central offers a signed second build
of this very tree (0.5.0); the agent downloads, verifies and installs it,
restarts into it while a till posts a sale every 100 ms (max_wait_s makes
the restart fall in the middle of the sales), the new version passes its
probation and marks itself good. The till sees no failed request, and
central ends up with every accepted txn exactly once.

Prints (not asserted): the restart gap the till saw, and offer-to-good time.
"""
import json
import os
import threading
import time
import unittest

import uplink_common
import update_common as uc
from update_common import harness


class Till(threading.Thread):
    """Posts one sale every 100 ms on a new connection, as many tills do."""

    def __init__(self, agent):
        super().__init__(daemon=True)
        self.agent = agent
        self.stop_flag = threading.Event()
        self.results = []  # (n, started monotonic, seconds, status, body, text)

    def run(self):
        n = 0
        while not self.stop_flag.is_set():
            n += 1
            text = json.dumps(harness.sample_txn(n))
            t0 = time.monotonic()
            try:
                status, _, body = self.agent.request("POST", "/v1/transactions", text)
            except Exception as e:  # a failed request is what the test looks for
                status, body = None, repr(e)
            self.results.append((n, t0, time.monotonic() - t0, status, body, text))
            self.stop_flag.wait(max(0.0, 0.1 - (time.monotonic() - t0)))


class GoodUpdate(unittest.TestCase):
    def test_good_update_under_sales(self):
        new_build = uc.build_variant("0.5.0")
        workdir = harness.make_workdir("update-good")
        certs = harness.make_certs(workdir)
        central = uc.CentralProc(workdir, certs)
        key, pub = uc.make_keys(workdir)
        agent = uc.agent_for(workdir, certs, central, pub,
                             {"update": {"idle_s": 30, "max_wait_s": 3, "health_grace_s": 60}})
        till = Till(agent)
        try:
            agent.start()
            self.assertEqual(uc.version_of(agent), "0.4.0")
            till.start()
            harness.wait_for(lambda: len(till.results) >= 10, 30, "first sales")
            t_offer = time.monotonic()
            uc.publish(central, workdir, key, new_build, "0.5.0")
            u = harness.wait_for(lambda: (lambda s: s if s["state"] == "good" else None)(
                agent.update_status()), 120, "0.5.0 good")
            t_good = time.monotonic()
            self.assertEqual(agent.status()["version"], "0.5.0")
            self.assertEqual(u["running"], "0.5.0")
            self.assertIn("0.5.0 is good", u["last_result"])
            self.assertEqual(u["bad_versions"], [])
            data = agent.data_dir
            self.assertEqual(os.readlink(os.path.join(data, "current")), "versions/0.5.0")
            self.assertTrue(os.access(os.path.join(data, "versions", "0.5.0", "tillsync"), os.X_OK))
            self.assertEqual(agent.exits, [], "the restart was an exec, not an exit")
            time.sleep(0.5)  # not synchronisation: a few more sales on the new version
            till.stop_flag.set()
            till.join(30)
            self.check_till(till, agent)
            self.check_central(till, central)
            gap = self.restart_gap(till, agent)
            print("figures: offer to good %.1f s; restart gap seen by the till %.0f ms "
                  "(slowest request %.0f ms, median %.0f ms)"
                  % (t_good - t_offer, gap * 1000, max(r[2] for r in till.results) * 1000,
                     sorted(r[2] for r in till.results)[len(till.results) // 2] * 1000))
        finally:
            till.stop_flag.set()
            agent.stop()
            central.stop()
            harness.cleanup(workdir)

    def check_till(self, till, agent):
        failed = [(r[0], r[3], r[4]) for r in till.results if r[3] != 201]
        self.assertEqual(failed, [], "the till saw failed requests")
        self.assertGreater(len(till.results), 30)
        self.assertEqual(agent.count_log(r"event=agent\.exec "), 1)

    def check_central(self, till, central):
        sent = {r[4]["seq"]: r[5] for r in till.results}
        self.assertEqual(len(sent), len(till.results), "two sales got the same seq")
        last = max(sent)
        harness.wait_for(lambda: central.acked_through() >= last, 60, "central to ack all")
        uplink_common.assert_central_holds(self, central, sent)

    def restart_gap(self, till, agent):
        """The longest request the till saw: the one that waited in the
        listener's backlog while the process exec'ed."""
        return max(r[2] for r in till.results)


if __name__ == "__main__":
    unittest.main(verbosity=2)
