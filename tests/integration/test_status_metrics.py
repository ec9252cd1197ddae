"""GET /metrics: parses with a real Prometheus text-format parser (Python's
prometheus_client, from Debian's python3-prometheus-client), has HELP and
TYPE for every family, carries the figures /v1/status shows, and its
counters and histograms move as txns flow through the agent."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402


Scrape = harness.Scrape



class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = harness.make_workdir("status-metrics")
        # Central is down (the harness default): txns stay pending.
        cls.agent = harness.Agent(cls.workdir).start()

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        harness.cleanup(cls.workdir)

    def scrape(self):
        status, headers, body = self.agent.request("GET", "/metrics")
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"),
                        headers["content-type"])
        return Scrape(body)

    def test_every_family_has_help_and_type(self):
        m = self.scrape()
        helps = {l.split()[2] for l in m.text.splitlines() if l.startswith("# HELP ")}
        types = {l.split()[2]: l.split()[3] for l in m.text.splitlines()
                 if l.startswith("# TYPE ")}
        self.assertEqual(helps, set(types), "HELP and TYPE lines do not pair up")
        for line in m.text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            name = line.split("{")[0].split()[0]
            base = name
            for suffix in ("_bucket", "_sum", "_count"):
                if name.endswith(suffix) and name[:-len(suffix)] in types:
                    base = name[:-len(suffix)]
            self.assertIn(base, types, "sample without TYPE: " + line)
        self.assertTrue(m.text.endswith("\n"))

    def test_figures_of_the_status(self):
        m = self.scrape()
        expect = {
            "tillsync_build_info": "gauge",
            "tillsync_uptime_seconds": "gauge",
            "tillsync_queue_pending": "gauge",
            "tillsync_queue_oldest_pending_age_seconds": "gauge",
            "tillsync_queue_last_seq": "gauge",
            "tillsync_txns_accepted": "counter",
            "tillsync_txns_rejected": "counter",
            "tillsync_storage_map_used_bytes": "gauge",
            "tillsync_storage_lmdb_used_bytes": "gauge",
            "tillsync_storage_map_used_percent": "gauge",
            "tillsync_disk_free_bytes": "gauge",
            "tillsync_http_requests": "counter",
        }
        for name, kind in expect.items():
            self.assertIn(name, m.families, name)
            self.assertEqual(m.families[name].type, kind, name)
        self.assertEqual(m.value("tillsync_build_info", version=self.agent.status()["version"],
                                 store_id="S042"), 1.0)
        status = self.agent.status()
        self.assertEqual(m.value("tillsync_disk_free_bytes") // (1 << 20) // 64,
                         status["storage"]["disk_free_mb"] // 64)
        self.assertAlmostEqual(m.value("tillsync_storage_map_used_percent"),
                               status["storage"]["map_used_pct"], delta=0.2)
        self.assertGreater(m.value("tillsync_storage_map_used_bytes"), 0)

    def test_counters_move_as_txns_flow(self):
        before = self.scrape()
        n = 7
        for i in range(n):
            status, _, body = self.agent.post_txn(harness.sample_txn(1000 + i, register="R2"))
            self.assertEqual(status, 201, body)
        bad = harness.sample_txn(2000, register="R2")
        bad["total"] += 1
        status, _, _ = self.agent.post_txn(bad)
        self.assertEqual(status, 422)
        status, _, _ = self.agent.request("GET", "/v1/transactions/R2-T001000")
        self.assertEqual(status, 200)
        after = self.scrape()

        def delta(name, **labels):
            return after.value(name, 0.0, **labels) - before.value(name, 0.0, **labels)

        self.assertEqual(delta("tillsync_txns_accepted_total"), n)
        self.assertEqual(delta("tillsync_txns_rejected_total"), 1)
        self.assertEqual(delta("tillsync_queue_pending"), n)  # central is down
        self.assertEqual(delta("tillsync_queue_last_seq"), n)
        self.assertEqual(delta("tillsync_http_requests_total", endpoint="post_txn", code="201"), n)
        self.assertEqual(delta("tillsync_http_requests_total", endpoint="post_txn", code="422"), 1)
        self.assertEqual(delta("tillsync_http_requests_total", endpoint="get_txn", code="200"), 1)
        self.assertGreaterEqual(delta("tillsync_http_requests_total", endpoint="metrics",
                                      code="200"), 1)
        hist = "tillsync_http_request_duration_seconds"
        self.assertEqual(delta(hist + "_count", endpoint="post_txn", code="201"), n)
        self.assertEqual(delta(hist + "_bucket", endpoint="post_txn", code="201", le="+Inf"), n)
        self.assertGreater(delta(hist + "_sum", endpoint="post_txn", code="201"), 0)
        # Buckets are cumulative and end at the count.
        fam = after.families[hist]
        buckets = sorted(((float(s.labels["le"]), s.value) for s in fam.samples
                          if s.name == hist + "_bucket" and s.labels["endpoint"] == "post_txn"
                          and s.labels["code"] == "201"))
        self.assertEqual([le for le, _ in buckets][:2], [0.0005, 0.001])
        self.assertEqual(buckets[-1][0], float("inf"))
        values = [v for _, v in buckets]
        self.assertEqual(values, sorted(values))
        # Non-POS endpoints are counted but get no histogram.
        self.assertFalse([s for s in fam.samples if s.labels["endpoint"] in ("metrics", "status")])
        # The queue's age is exposed (its value is the status's figure, clamped at 0).
        self.assertIsNotNone(after.value("tillsync_queue_oldest_pending_age_seconds"))

    def test_status_and_page_requests_are_counted(self):
        before = self.scrape()
        self.agent.status()
        self.agent.request("GET", "/")
        self.agent.request("GET", "/no/such/path")
        after = self.scrape()
        for endpoint, code in (("status", "200"), ("page", "200"), ("other", "404")):
            self.assertEqual(after.value("tillsync_http_requests_total", 0.0, endpoint=endpoint,
                                         code=code)
                             - before.value("tillsync_http_requests_total", 0.0,
                                            endpoint=endpoint, code=code), 1, endpoint)


if __name__ == "__main__":
    unittest.main(verbosity=2)
