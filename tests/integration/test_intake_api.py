"""POST/GET /v1/transactions against the real agent: one case per answer of
pos-api.md (201, 200 replay, 400, 401, 403, 404, 405, 409, 413, 415, 422,
503, 507), the batch form, and /healthz."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402

CARD = "4111 1111 1111 1111"


class IntakeApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = harness.make_workdir("intake")
        cls.agent = harness.Agent(cls.workdir).start()

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        harness.cleanup(cls.workdir)

    def post(self, body, **kw):
        return self.agent.request("POST", "/v1/transactions", body, **kw)

    def assertError(self, answer, status, code, field=None):
        got_status, headers, body = answer
        self.assertEqual(got_status, status, body)
        self.assertEqual(headers.get("content-type"), "application/json")
        self.assertEqual(body["error"]["code"], code, body)
        if field is not None:
            self.assertEqual(body["error"].get("field"), field, body)
        self.assertTrue(body["error"]["message"])
        return body

    def test_201_then_replay_then_conflict(self):
        txn = harness.sample_txn(1)
        status, headers, body = self.post(txn)
        self.assertEqual(status, 201, body)
        self.assertEqual(body["txn_id"], txn["txn_id"])
        self.assertEqual(body["state"], "pending")
        seq = body["seq"]
        # same value, other key order and white space: 200 with the same seq
        reordered = json.dumps(dict(reversed(list(txn.items()))), indent=3)
        status, _, body = self.post(reordered)
        self.assertEqual((status, body["seq"]), (200, seq))
        other = dict(txn, cashier_id="C8")
        self.assertError(self.post(other), 409, "txn_id_conflict")
        status, _, body = self.agent.request("GET", "/v1/transactions/" + txn["txn_id"])
        self.assertEqual(status, 200)
        self.assertEqual(body["seq"], seq)
        self.assertEqual(body["state"], "pending")
        self.assertRegex(body["received_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertNotIn("acked_at", body)

    def test_auth(self):
        txn = harness.sample_txn(2)
        self.assertError(self.post(txn, token="", register=None), 401, "unauthorized")
        self.assertError(self.post(txn, token="wrong"), 401, "unauthorized")
        self.assertError(self.post(txn, token=harness.token_for("R2")), 403,
                         "register_mismatch", "register_id")

    def test_media_type_size_and_json(self):
        txn = harness.sample_txn(3)
        self.assertError(self.post(txn, content_type="text/plain"), 415,
                         "unsupported_media_type")
        big = dict(txn, note="x" * (300 * 1024))
        self.assertError(self.post(big), 413, "too_large")
        self.assertError(self.post("{not json"), 400, "malformed_json")
        self.assertError(self.post("[1,2]"), 400, "malformed_json")

    def test_422_rules(self):
        base = harness.sample_txn(4)
        cases = [
            (dict(base, txn_id="bad id!"), "invalid_txn_id", "txn_id"),
            (dict(base, type="refund"), "invalid_type", "type"),
            (dict(base, type="return"), "missing_original_txn_id", "original_txn_id"),
            (dict(base, occurred_at="2026-11-22 10:15"), "invalid_timestamp", "occurred_at"),
            (dict(base, currency="eur"), "invalid_currency", "currency"),
            (dict(base, lines=[]), "invalid_lines", "lines"),
            (dict(base, total=1), "total_mismatch", "total"),
            (dict(base, payments=[{"method": "iou", "amount": 1299}]), "invalid_payment",
             "payments[0].method"),
            (dict(base, payments=[{"method": "cash", "amount": 1}]), "payment_mismatch",
             "payments"),
        ]
        line = base["lines"][0]
        for key, value, code in [("qty", 0, "invalid_qty"), ("qty", 0.0001, "invalid_qty"),
                                 ("amount", 12.5, "invalid_amount"),
                                 ("unit_price", -1, "invalid_amount"), ("sku", "", "invalid_sku")]:
            cases.append((dict(base, lines=[dict(line, **{key: value})]), code,
                          "lines[0].%s" % key))
        for txn, code, field in cases:
            with self.subTest(code=code, field=field):
                self.assertError(self.post(txn), 422, code, field)
        status, _, body = self.agent.request("GET", "/v1/transactions/" + base["txn_id"])
        self.assertEqual(status, 404, "a refused txn was stored")

    def test_card_data_refused_and_not_logged(self):
        txn = harness.sample_txn(5)
        txn["payments"][0]["reference"] = "pan " + CARD
        body = self.assertError(self.post(txn), 422, "card_data_forbidden",
                                "payments[0].reference")
        self.assertNotIn("4111", json.dumps(body))
        self.assertFalse([l for l in self.agent.log_lines() if "4111" in l],
                         "the card number reached the log")
        self.assertEqual(self.agent.request("GET", "/v1/transactions/" + txn["txn_id"])[0], 404)

    def test_batch(self):
        good = [harness.sample_txn(100 + i) for i in range(3)]
        bad = dict(harness.sample_txn(200), currency="x")
        body = {"transactions": [good[0], bad, good[1], good[0], good[2]]}
        status, _, answer = self.agent.request("POST", "/v1/transactions:batch", body)
        self.assertEqual(status, 200, answer)
        r = answer["results"]
        self.assertEqual([x["status"] for x in r], [201, 422, 201, 200, 201])
        self.assertEqual(r[1]["error"]["code"], "invalid_currency")
        self.assertEqual(r[3]["seq"], r[0]["seq"])
        self.assertEqual(r[2]["seq"], r[0]["seq"] + 1)
        self.assertEqual(r[4]["seq"], r[2]["seq"] + 1)
        status, _, answer = self.agent.request("POST", "/v1/transactions:batch",
                                               {"transactions": "no"})
        self.assertEqual(status, 422)

    def test_paths_and_health(self):
        status, headers, body = self.agent.request("GET", "/healthz")
        self.assertEqual((status, body.strip()), (200, "ok"))
        self.assertError(self.agent.request("GET", "/v1/nothing"), 404, "not_found")
        self.assertError(self.agent.request("DELETE", "/v1/transactions"), 405,
                         "method_not_allowed")
        self.assertError(self.agent.request("GET", "/v1/transactions/unknown-id"), 404,
                         "not_found")

    def test_keep_alive(self):
        conn = self.agent.conn()
        for i in range(5):
            status, _, _ = self.agent.post_txn(harness.sample_txn(300 + i), conn=conn)
            self.assertEqual(status, 201)
        conn.close()


class BufferFull(unittest.TestCase):
    def test_507_keeps_everything(self):
        workdir = harness.make_workdir("full")
        agent = harness.Agent(workdir, {"storage": {"max_pending": 3}}).start()
        try:
            for i in range(3):
                self.assertEqual(agent.post_txn(harness.sample_txn(i))[0], 201)
            status, headers, body = agent.post_txn(harness.sample_txn(9))
            self.assertEqual(status, 507, body)
            self.assertEqual(body["error"]["code"], "buffer_full")
            self.assertTrue(int(headers["retry-after"]) > 0)
            # a replay of a stored txn is still answered while full
            self.assertEqual(agent.post_txn(harness.sample_txn(1))[0], 200)
            self.assertEqual(agent.request("GET", "/v1/transactions/R1-T000009")[0], 404)
            self.assertEqual(agent.status()["queue"]["pending"], 3)
        finally:
            agent.stop()
            harness.cleanup(workdir)


def fill_until_refused(test, agent, note_size, what):
    """Posts ever more txns with a note_size filler until one is refused.
    Returns (txn_ids stored, (status, headers, body) of the refusal)."""
    stored = []
    for i in range(2000):
        txn = harness.sample_txn(i)
        txn["note"] = "f" * note_size
        status, headers, body = agent.post_txn(txn)
        if status != 201:
            return stored, (status, headers, body)
        stored.append(txn["txn_id"])
    test.fail(what + " never filled")


def assert_all_stored(test, agent, txn_ids):
    for txn_id in txn_ids:
        test.assertEqual(agent.request("GET", "/v1/transactions/" + txn_id)[0], 200, txn_id)


class MapFull(unittest.TestCase):
    """The LMDB map 95 % used with nothing acked to prune: 507, never a
    dropped txn, and every stored txn still there."""

    def test_507_when_the_map_is_nearly_full(self):
        workdir = harness.make_workdir("mapfull")
        agent = harness.Agent(workdir, {"storage": {"map_size_mb": 16}}).start()
        try:
            stored, (status, headers, body) = fill_until_refused(self, agent, 60000, "the map")
            self.assertEqual(status, 507, body)
            self.assertEqual(body["error"]["code"], "buffer_full")
            self.assertIn("retry-after", headers)
            self.assertGreaterEqual(agent.status()["storage"]["map_used_pct"], 80)
            # issue 13: while sales bounce, /healthz and the headline say so
            self.assertEqual(agent.request("GET", "/healthz")[0], 503)
            self.assertIn("sales_refused", [i["code"] for i in agent.status()["headline"]["issues"]])
            assert_all_stored(self, agent, stored)
        finally:
            agent.kill()
            harness.cleanup(workdir)


class DiskFull(unittest.TestCase):
    """A real full file system (a tiny tmpfs): 507 (or 503), nothing
    stored, /healthz says so; earlier txns are intact after a restart."""

    def test_503_on_disk_full(self):
        workdir = harness.make_workdir("diskfull")
        mnt = os.path.join(workdir, "small")
        os.makedirs(mnt)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", mnt],
                           stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            if os.environ.get("CI"):
                self.fail("CI runs as root and must be able to mount a tmpfs")
            self.skipTest("needs root to mount a small tmpfs")
        agent = harness.Agent(workdir, {"data_dir": os.path.join(mnt, "data"),
                                        "storage": {"map_size_mb": 64}})
        try:
            agent.start()
            stored, (status, _, body) = fill_until_refused(self, agent, 40000, "the disk")
            # the disk reserve refuses new sales (507) before LMDB meets
            # ENOSPC (503); either way nothing is lost and a retry is asked
            self.assertIn(status, (503, 507), body)
            self.assertIn(body["error"]["code"], ("storage_unavailable", "buffer_full"))
            self.assertEqual(agent.request("GET", "/healthz")[0], 503)
            agent.kill()
            agent.start()
            assert_all_stored(self, agent, stored)
        finally:
            agent.kill()
            subprocess.run(["umount", "-l", mnt])
            harness.cleanup(workdir)


if __name__ == "__main__":
    unittest.main()
