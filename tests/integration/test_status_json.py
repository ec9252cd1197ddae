"""GET /v1/status against real agents and the stand-ins: every field of the
spec with its type in each situation a store meets (online, central down,
central refusing a sale, Odoo down with an old copy, a full buffer, a
certificate about to expire), and the headline that sums it up."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import status_scenarios as sc  # noqa: E402
from status_scenarios import harness, INT, STR, TIME  # noqa: E402


class StatusCase(unittest.TestCase):
    scenario = None  # a status_scenarios.Scenario subclass
    kwargs = {}

    @classmethod
    def setUpClass(cls):
        cls.sc = cls.scenario(**cls.kwargs)
        try:
            cls.sc.start()
        except BaseException:
            cls.sc.close()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.sc.close()

    def assertSchema(self, doc, **overrides):
        errs = sc.schema_errors(doc, {k.replace("__", "."): v for k, v in overrides.items()})
        self.assertEqual(errs, [], doc)

    def assertHeadline(self, doc, level, code=None):
        h = doc["headline"]
        self.assertEqual(h["level"], level, h)
        self.assertTrue(h["text"])
        for issue in h["issues"]:
            self.assertIn(issue["level"], ("offline", "attention"))
            self.assertTrue(issue["text"] and issue["action"] and issue["code"], issue)
        if code:
            self.assertIn(code, sc.issue_codes(doc), h)
        if level == "ok":
            self.assertEqual(h["issues"], [])
        return h


class AllGood(StatusCase):
    scenario = sc.AllGood

    def test_every_field_online(self):
        doc = self.sc.agent.status()
        self.assertSchema(doc, central__since=TIME, central__last_ok_at=TIME,
                          odoo__last_full_at=TIME, queue__oldest_pending_age_s="int?")
        self.assertEqual(doc["store_id"], "S042")
        self.assertEqual(doc["central"]["state"], "online")
        self.assertEqual(doc["central"]["next_retry_in_s"], 0)
        self.assertEqual(doc["central"]["acked_through"], self.sc.posted)
        self.assertEqual(doc["queue"]["pending"], 0)
        self.assertIsNone(doc["queue"]["oldest_pending_age_s"])
        self.assertEqual(doc["queue"]["last_seq"], self.sc.posted)
        self.assertEqual(doc["queue"]["accepted_total"], self.sc.posted)
        self.assertEqual(doc["odoo"]["state"], "ok")
        self.assertFalse(doc["odoo"]["stale"])
        self.assertGreater(doc["odoo"]["items"], 0)
        self.assertGreater(doc["tls"]["days_left"], 30)
        self.assertEqual(doc["update"]["running"], doc["version"])
        self.assertGreater(doc["storage"]["disk_free_mb"], 0)
        self.assertLess(doc["storage"]["map_used_pct"], 100)
        self.assertEqual(round(doc["storage"]["map_used_pct"], 1), doc["storage"]["map_used_pct"])
        self.assertHeadline(doc, "ok")

    def test_uptime_grows_and_started_at_stays(self):
        a = self.sc.agent.status()
        harness.wait_for(lambda: self.sc.agent.status()["uptime_s"] > a["uptime_s"], 10,
                         "uptime to grow")
        b = self.sc.agent.status()
        self.assertEqual(a["started_at"], b["started_at"])

    def test_heartbeat_carries_the_document(self):
        hb = harness.wait_for(lambda: self.sc.central.state()["stores"].get("S042", {})
                              .get("last_heartbeat"), 30, "a heartbeat at central")
        self.assertSchema(hb)
        self.assertEqual(hb["store_id"], "S042")


class CentralDown(StatusCase):
    scenario = sc.OfflineWithQueue

    def test_state_since_next_retry(self):
        doc = self.sc.agent.status()
        self.assertSchema(doc, central__since=TIME, central__last_error=STR,
                          queue__oldest_pending_age_s=INT)
        c = doc["central"]
        self.assertIn(c["state"], ("offline", "backoff"))
        self.assertIsNone(c["last_ok_at"])  # never reached since start
        self.assertEqual(c["acked_through"], 0)
        q = doc["queue"]
        self.assertEqual(q["pending"], self.sc.posted)
        self.assertEqual(q["last_seq"], self.sc.posted)
        h = self.assertHeadline(doc, "offline", "central_unreachable")
        self.assertIn("%d sales waiting" % self.sc.posted, h["text"])

    def test_oldest_age_counts_up(self):
        first = self.sc.agent.status()["queue"]["oldest_pending_age_s"]
        harness.wait_for(lambda: self.sc.agent.status()["queue"]["oldest_pending_age_s"] > first,
                         10, "the oldest sale's age to grow")

    def test_next_retry_is_within_the_back_off_bound(self):
        retry_max_s = self.sc.agent.config["central"]["retry_max_ms"] / 1000.0
        for _ in range(5):
            c = self.sc.agent.status()["central"]
            self.assertLessEqual(c["next_retry_in_s"], int(retry_max_s) + 1, c)


class CentralRejects(StatusCase):
    scenario = sc.CentralRejects

    def test_names_the_seq_and_reason(self):
        doc = self.sc.agent.status()
        self.assertSchema(doc)
        c = doc["central"]
        self.assertEqual(c["held"], "rejected")
        self.assertEqual(c["rejected_seq"], self.sc.rejected_seq)
        h = self.assertHeadline(doc, "attention", "central_rejects_seq")
        issue = [i for i in h["issues"] if i["code"] == "central_rejects_seq"][0]
        self.assertIn(str(self.sc.rejected_seq), issue["text"])
        self.assertIn(self.sc.reason, issue["text"])
        self.assertTrue(h["text"].startswith("Needs attention: "), h["text"])
        self.assertEqual(doc["queue"]["pending"], self.sc.posted - self.sc.rejected_seq + 1)


class CertificateExpiring(StatusCase):
    scenario = sc.CertExpiring

    def test_days_left_and_attention(self):
        doc = self.sc.agent.status()
        self.assertSchema(doc)
        self.assertIn(doc["tls"]["days_left"], (9, 10))
        self.assertHeadline(doc, "attention", "cert_expiring")


class FullBuffer(StatusCase):
    scenario = sc.FullBuffer

    def test_buffer_full_is_attention(self):
        doc = self.sc.agent.status()
        self.assertSchema(doc, queue__oldest_pending_age_s=INT)
        self.assertEqual(doc["queue"]["pending"], self.sc.max_pending)
        self.assertEqual(doc["queue"]["max_pending"], self.sc.max_pending)
        self.assertEqual(doc["queue"]["rejected_total"], 0)  # 507 is not a refusal
        self.assertHeadline(doc, "attention", "buffer_full")
        # Both problems are listed, the serious one first.
        codes = sc.issue_codes(doc)
        self.assertLess(codes.index("buffer_full"), codes.index("central_unreachable"))


class OdooDown(StatusCase):
    scenario = sc.OdooDownStale

    def test_stale_copy_served(self):
        doc = self.sc.agent.status()
        self.assertSchema(doc, odoo__last_full_at=TIME, odoo__last_error=STR)
        o = doc["odoo"]
        self.assertEqual(o["state"], "unreachable")
        self.assertTrue(o["stale"])
        self.assertEqual(o["items"], self.sc.odoo_items)
        self.assertHeadline(doc, "offline", "odoo_unreachable")


if __name__ == "__main__":
    unittest.main(verbosity=2)
