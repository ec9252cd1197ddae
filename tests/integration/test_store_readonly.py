"""A read-only disk (issue 13): the agent says so and comes back by itself.

StartReadOnly: data_dir on a tmpfs mounted read-only (root only: the test
box runs as root; skipped with the reason otherwise). The agent must start
anyway: the status page and /healthz say why it cannot take sales, POSTs get
503 storage_unavailable with Retry-After; once the mount is made writable
the agent opens its store by itself (retries every 5-30 s) and takes sales,
no restart.

ReadOnlyAtRunTime: an ext4 "errors=remount-ro" cannot be staged here (the
kernel refuses to remount a file system read-only while files are open for
writing on it), so the power-cut shim makes every write and every open for
writing under data_dir fail with EROFS. The failed commit closes the
environment and the reopen fails: POSTs must get 503 at once, reopens must
be retried with back-off (far fewer than the POSTs), and once the fault is
off the agent takes sales again without a restart.
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import powercut_common as pc  # noqa: E402
from powercut_common import harness  # noqa: E402


def mount(*args):
    return subprocess.run(["mount", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)


class StartReadOnly(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to mount a read-only tmpfs")
        self.workdir = harness.make_workdir("readonly")
        self.mnt = os.path.join(self.workdir, "mnt")
        os.makedirs(self.mnt)
        r = mount("-t", "tmpfs", "-o", "size=64m", "tmpfs", self.mnt)
        if r.returncode != 0:
            self.skipTest("cannot mount a tmpfs here: %s" % r.stdout.strip())
        os.makedirs(os.path.join(self.mnt, "data"))
        r = mount("-o", "remount,ro", self.mnt)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.agent = harness.Agent(self.workdir)
        self.agent.data_dir = os.path.join(self.mnt, "data")
        self.agent.config["data_dir"] = self.agent.data_dir

    def tearDown(self):
        if getattr(self, "agent", None):
            self.agent.kill()
        if getattr(self, "mnt", None):
            mount("-o", "remount,rw", self.mnt)
            subprocess.run(["umount", self.mnt])
            harness.cleanup(self.workdir)

    def test_serves_the_status_and_takes_sales_once_writable(self):
        self.agent.start()
        code, headers, body = self.agent.request("GET", "/healthz")
        self.assertEqual(code, 503)
        self.assertIn("storage_unavailable", body)
        self.assertIn("retry-after", headers)
        code, headers, body = self.agent.post_txn(harness.sample_txn(1))
        self.assertEqual(code, 503, body)
        self.assertEqual(body["error"]["code"], "storage_unavailable")
        self.assertIn("retry-after", headers)
        st = self.agent.status()
        issues = {i["code"]: i for i in st["headline"]["issues"]}
        print("headline: %s" % st["headline"], flush=True)
        self.assertIn("storage_read_only", issues)
        self.assertIn("disk is read-only", st["headline"]["text"])
        self.assertFalse(st["storage"]["healthy"])
        code, _, text = self.agent.request("GET", "/metrics")
        self.assertEqual(code, 200)

        r = mount("-o", "remount,rw", self.mnt)
        self.assertEqual(r.returncode, 0, r.stdout)
        n = [1]

        def takes_a_sale():
            n[0] += 1
            code, _, body = self.agent.post_txn(harness.sample_txn(n[0]))
            self.assertIn(code, (201, 503), body)
            return code == 201
        harness.wait_for(takes_a_sale, 90, "a sale taken once the disk is writable",
                         interval=0.5)
        self.agent.wait_log(r"event=agent\.store_opened")
        self.assertEqual(self.agent.request("GET", "/healthz")[0], 200)
        self.assertNotIn("storage_read_only",
                         [i["code"] for i in self.agent.status()["headline"]["issues"]])
        self.assertEqual(self.agent.stop(), 0)

    def test_bad_config_still_exits_1(self):
        self.agent.config["storage"] = {"map_size_mb": 1}  # below the minimum
        self.agent.start(wait=False)
        self.assertEqual(self.agent.proc.wait(timeout=30), 1)


class ReadOnlyAtRunTime(unittest.TestCase):
    def setUp(self):
        self.workdir = harness.make_workdir("readonly-run")
        self.agent = pc.ShimAgent(self.workdir, overrides={"log_level": "info"})

    def tearDown(self):
        self.agent.kill()
        harness.cleanup(self.workdir)

    def test_reopen_retried_with_backoff(self):
        self.agent.start()
        self.assertEqual(self.agent.post_txn(harness.sample_txn(1))[0], 201)
        self.agent.set_fault("write=EROFS open=EROFS")
        codes = []
        for i in range(2, 202):
            code, headers, body = self.agent.post_txn(harness.sample_txn(i))
            codes.append(code)
            self.assertEqual(code, 503, body)
            self.assertEqual(body["error"]["code"], "storage_unavailable")
        self.assertEqual(self.agent.request("GET", "/healthz")[0], 503)
        self.agent.wait_log(r"event=store\.reopen_retry")
        reopens = sum("event=store.reopen_failed" in ln for ln in self.agent.log_lines())
        print("200 POSTs refused while read-only; reopen attempts: %d" % reopens, flush=True)
        self.assertLess(reopens, 20, "reopened once per commit, not with back-off")

        self.agent.set_fault("")
        n = [300]

        def takes_a_sale():
            n[0] += 1
            code, _, body = self.agent.post_txn(harness.sample_txn(n[0]))
            self.assertIn(code, (201, 503), body)
            return code == 201
        harness.wait_for(takes_a_sale, 90, "a sale taken once the disk is writable",
                         interval=0.2)
        self.assertEqual(self.agent.request("GET", "/healthz")[0], 200)
        code, _, body = self.agent.request("GET", "/v1/transactions/" + harness.sample_txn(1)[
            "txn_id"])
        self.assertEqual(code, 200, body)
        self.assertEqual(self.agent.stop(), 0)


if __name__ == "__main__":
    unittest.main()
