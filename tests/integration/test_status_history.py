"""GET /v1/status/history against a real agent: the shape pos-api.md pins,
the status token rule of /v1/status, the samples kept across a restart
(the last minute is written at a clean stop), kept too when the store
reopened LMDB after a failed commit (the power-cut shim's disk faults), a
seeded day read back, and the page's languages (Accept-Language ->
Content-Language and <html lang>)."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import history_seed  # noqa: E402
import powercut_common as pc  # noqa: E402
import status_scenarios as sc  # noqa: E402
from status_scenarios import harness  # noqa: E402

KEYS = {"at", "pending", "oldest_pending_age_s", "central_online", "odoo_copy_age_s",
        "accepted", "disk_free_mb"}
TOKEN = "history-token-31c"


def check_shape(test, doc):
    test.assertEqual(set(doc), {"interval_s", "samples"})
    test.assertEqual(doc["interval_s"], 60)
    last = None
    for s in doc["samples"]:
        test.assertEqual(set(s), KEYS, s)
        test.assertRegex(s["at"], sc.RFC3339)
        for k in ("pending", "oldest_pending_age_s", "accepted"):
            test.assertIsInstance(s[k], int)
            test.assertGreaterEqual(s[k], 0)
        test.assertIsInstance(s["central_online"], bool)
        test.assertTrue(s["odoo_copy_age_s"] is None or isinstance(s["odoo_copy_age_s"], int))
        test.assertTrue(s["disk_free_mb"] is None or isinstance(s["disk_free_mb"], int))
        if last is not None:
            test.assertGreaterEqual(s["at"], last, "samples not oldest first")
        last = s["at"]


class History(unittest.TestCase):
    def setUp(self):
        self.workdir = harness.make_workdir("history")
        self.agent = harness.Agent(self.workdir, overrides={
            "status_token_sha256": harness.sha256_hex(TOKEN)})

    def tearDown(self):
        self.agent.stop()
        harness.cleanup(self.workdir)

    def history(self):
        code, hdrs, body = self.agent.request("GET", "/v1/status/history", token=TOKEN)
        self.assertEqual(code, 200, body)
        self.assertTrue(hdrs["content-type"].startswith("application/json"))
        check_shape(self, body)
        return body["samples"]

    def test_token_shape_and_restart(self):
        self.agent.start()
        code, hdrs, body = self.agent.request("GET", "/v1/status/history")
        self.assertEqual(code, 401)
        self.assertEqual(body["error"]["code"], "unauthorized")
        code, _, _ = self.agent.request("GET", "/v1/status/history", token="wrong")
        self.assertEqual(code, 401)
        first = self.history()
        self.assertEqual(len(first), 1, "the minute in progress is there from the start")
        for n in range(3):
            self.assertEqual(self.agent.post_txn(harness.sample_txn(n + 1))[0], 201)
        live = self.history()[-1]
        self.assertEqual(live["accepted"], 3)
        self.assertEqual(live["pending"], 3)
        self.assertFalse(live["central_online"])  # the harness's central is a closed port
        self.assertEqual(self.agent.stop(), 0)

        self.agent.start()  # the minute cut short by the stop was kept
        after = self.history()
        self.assertEqual(len(after), 2, after)
        self.assertEqual(after[0]["accepted"], 3)
        self.assertEqual(after[0]["pending"], 3)
        self.assertEqual(after[1]["accepted"], 0)

    def test_kept_through_a_store_reopen(self):
        self.agent = pc.ShimAgent(self.workdir, overrides={
            "status_token_sha256": harness.sha256_hex(TOKEN), "log_level": "info"})
        self.agent.start()
        stored = 0
        for n in range(2):
            self.assertEqual(self.agent.post_txn(harness.sample_txn(n + 1))[0], 201)
            stored += 1
        # A commit fails on the disk: the store reopens LMDB and its named
        # databases, the history's among them, in the order they were opened.
        self.agent.set_fault("write=EIO")
        codes = [self.agent.post_txn(harness.sample_txn(n))[0] for n in range(3, 13)]
        self.assertIn(503, codes)
        stored += codes.count(201)
        self.agent.wait_log(r"event=store\.reopened")
        self.agent.set_fault("")
        again = harness.sample_txn(13)
        harness.wait_for(lambda: self.agent.post_txn(again)[0] == 201, 30,
                         "a sale taken again after the fault")
        stored += 1
        live = self.history()[-1]
        self.assertEqual(live["accepted"], stored)
        self.assertEqual(self.agent.stop(), 0)  # the last minute goes through the reopened store

        self.agent.start()
        after = self.history()
        self.assertEqual(len(after), 2, after)
        self.assertEqual(after[0]["accepted"], stored)
        self.assertEqual(after[0]["pending"], stored)

    def test_seeded_day(self):
        self.agent.start()
        self.agent.stop()
        history_seed.seed(self.agent)
        self.agent.start()
        samples = self.history()
        self.assertGreaterEqual(len(samples), 1439)  # + the minute in progress
        self.assertLessEqual(len(samples), 1441)
        offline = [s for s in samples if not s["central_online"]]
        self.assertGreaterEqual(len(offline), 90)
        self.assertEqual(max(s["pending"] for s in samples), history_seed.PEAK)

    def test_languages(self):
        self.agent.start()
        cases = [(None, "en"), ("fr-FR,fr;q=0.9,en;q=0.8", "fr"), ("de-DE", "de"),
                 ("es;q=0.9, nl", "nl"), ("ja, es;q=0.3", "es"), ("it", "en")]
        for accept, want in cases:
            headers = {"Accept-Language": accept} if accept else {}
            code, hdrs, page = self.agent.request("GET", "/", headers=headers)
            self.assertEqual(code, 200)
            self.assertEqual(hdrs.get("content-language"), want, accept)
            self.assertIn("Accept-Language", hdrs.get("vary", ""))
            self.assertRegex(page, r'^<!doctype html>\s*<html lang="%s">' % want)
            csp = hdrs["content-security-policy"]
            self.assertRegex(csp, r"script-src 'sha256-[A-Za-z0-9+/=]+';")
            self.assertNotIn("unsafe-inline", csp)
            self.assertTrue(re.search(r'<script type="application/json" id="i18n">', page))


if __name__ == "__main__":
    unittest.main(verbosity=2)
