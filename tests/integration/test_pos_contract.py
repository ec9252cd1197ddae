"""The three places where the POS API broke its own contract (issue 12),
against the real agent: a percent-encoded txn_id in GET, txn_id in every
batch result (rejected ones included), and the SKU limit in characters."""
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402


class PosContract(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = harness.make_workdir("pos_contract")
        cls.agent = harness.Agent(cls.workdir).start()

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        harness.cleanup(cls.workdir)

    def test_get_decodes_the_path_segment(self):
        txn = harness.sample_txn(1)
        txn["txn_id"] = "R1:0042"
        status, _, body = self.agent.post_txn(txn)
        self.assertEqual(status, 201, body)
        seq = body["seq"]
        for path in ("R1:0042", "R1%3A0042", "R1%3a0042", urllib.parse.quote("R1:0042", safe="")):
            status, _, body = self.agent.request("GET", "/v1/transactions/" + path)
            self.assertEqual(status, 200, (path, body))
            self.assertEqual((body["txn_id"], body["seq"]), ("R1:0042", seq))
        # a bad escape or an encoded slash names no txn
        for path in ("R1%3", "R1%2F0042", "R1%zz"):
            status, _, body = self.agent.request("GET", "/v1/transactions/" + path)
            self.assertEqual(status, 404, (path, body))

    def test_every_batch_result_names_its_txn(self):
        good = harness.sample_txn(2)
        bad_total = dict(harness.sample_txn(3), total=1)
        bad_id = dict(harness.sample_txn(4), txn_id="has space")
        no_id = harness.sample_txn(5)
        del no_id["txn_id"]
        number_id = dict(harness.sample_txn(6), txn_id=17)
        other_register = harness.sample_txn(7, register="R2")
        batch = {"transactions": [good, bad_total, bad_id, no_id, number_id, other_register]}
        status, _, answer = self.agent.request("POST", "/v1/transactions:batch", batch)
        self.assertEqual(status, 200, answer)
        results = answer["results"]
        self.assertEqual([r["txn_id"] for r in results],
                         [good["txn_id"], bad_total["txn_id"], "has space", None, None,
                          other_register["txn_id"]])
        self.assertEqual([r["status"] for r in results], [201, 422, 422, 422, 422, 403])
        self.assertEqual(results[1]["error"]["code"], "total_mismatch")

    def test_sku_limit_counts_characters(self):
        for n, sku, want in ((1, "é" * 64, 201), (2, "\U0001F34E" * 64, 201),
                             (3, "é" * 65, 422), (4, "a" * 65, 422)):
            status, _, body = self.agent.post_txn(harness.sample_txn(100 + n, sku=sku))
            self.assertEqual(status, want, (n, body))
            if want == 422:
                self.assertEqual(body["error"]["code"], "invalid_sku")


if __name__ == "__main__":
    unittest.main(verbosity=2)
