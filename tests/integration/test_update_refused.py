"""Offers the agent must refuse (update.md steps 1 and 3): a bad signature, a
wrong SHA-256, a truncated download, a downgrade, a build for another
machine. Each changes nothing (no installed version, no `current` link, the
same process still serving) and says why in /v1/status `update`."""
import os
import unittest

import update_common as uc
from update_common import harness


def patch_machine(path):
    """Makes the ELF header claim another machine (arm64, or amd64 on arm64)."""
    with open(path, "r+b") as f:
        head = bytearray(f.read(20))
        machine = int.from_bytes(head[18:20], "little")
        other = 183 if machine != 183 else 62
        f.seek(18)
        f.write(other.to_bytes(2, "little"))


def truncate_half(path):
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


class RefusedUpdates(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = harness.make_workdir("update-refused")
        cls.certs = harness.make_certs(cls.workdir)
        cls.central = uc.CentralProc(cls.workdir, cls.certs)
        cls.key, cls.pub = uc.make_keys(cls.workdir)
        cls.other_key, _ = uc.make_keys(os.path.join(cls.workdir, "other"))
        cls.agent = uc.agent_for(cls.workdir, cls.certs, cls.central, cls.pub).start()
        cls.pid = cls.agent.proc.pid

    @classmethod
    def tearDownClass(cls):
        cls.agent.stop()
        cls.central.stop()
        harness.cleanup(cls.workdir)

    def offer_and_expect(self, version, words, mutate=None, tamper=None, sign_with=None):
        doc, path = uc.publish(self.central, self.workdir, sign_with or self.key,
                               harness.BIN, version, mutate=mutate)
        if tamper:
            tamper(doc)
            self.central.cmd("set_config", doc={"version": "cfg-t-" + version, "settings": {},
                                                "update": doc})

        def refused():
            u = self.agent.update_status()
            return u if u["state"] == "refused" and version in (u["last_result"] or "") else None
        u = harness.wait_for(refused, 60, "refusal of " + version)
        self.assertIn(words, u["last_result"])
        self.assertEqual(u["running"], "0.4.0")
        data = self.agent.data_dir
        self.assertFalse(os.path.lexists(os.path.join(data, "current")))
        self.assertFalse(os.path.exists(os.path.join(data, "versions", version)))
        self.assertEqual(os.listdir(os.path.join(data, "updates"))
                         if os.path.isdir(os.path.join(data, "updates")) else [], [],
                         "the refused file was not deleted")
        self.assertEqual(self.agent.proc.pid, self.pid, "the agent restarted")
        self.assertEqual(self.agent.exits, [])
        return u

    def test_1_bad_signature(self):
        self.offer_and_expect("0.5.1", "signature does not match", sign_with=self.other_key)

    def test_2_wrong_sha256(self):
        self.offer_and_expect("0.5.2", "SHA-256", tamper=lambda d: d.update(sha256="ab" * 32))

    def test_3_truncated_download(self):
        # The offer is signed for the whole file; the server only has half.
        key = self.key

        def tamper(doc):
            full = os.path.join(self.workdir, "tillsync-0.5.3")
            doc.update(uc.offer(key, harness.BIN, "0.5.3", doc["url"]))
            truncate_half(full)
        self.offer_and_expect("0.5.3", "truncated", tamper=tamper)

    def test_4_downgrade(self):
        self.offer_and_expect("0.3.9", "older than the running 0.4.0")

    def test_5_wrong_architecture(self):
        u = self.offer_and_expect("0.5.5", "this box runs", mutate=patch_machine)
        print("wrong architecture says: " + u["last_result"])

    def test_6_metrics(self):
        text = self.agent.request("GET", "/metrics")[2]
        scrape = harness.Scrape(text)
        self.assertGreaterEqual(scrape.value("tillsync_update_refused_total"), 1)
        self.assertEqual(scrape.value("tillsync_update_rollbacks_total"), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
