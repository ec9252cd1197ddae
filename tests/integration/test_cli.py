"""The command line (config.md): --version, --check-config (exit 0/1 with
the key at fault), a bad config refused at start with one line, unknown keys
an error at --check-config but a warning at start, and a clean stop on
SIGTERM and SIGINT with exit 0 and the data intact."""
import json
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402


def run(*args):
    return subprocess.run([harness.BIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60)


class Cli(unittest.TestCase):
    def setUp(self):
        self.workdir = harness.make_workdir("cli")
        self.agent = harness.Agent(self.workdir)
        self.agent.write_config()

    def tearDown(self):
        self.agent.kill()
        harness.cleanup(self.workdir)

    def write(self, cfg):
        path = os.path.join(self.workdir, "other.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        return path

    def test_version_and_usage(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^tillsync \d+\.\d+\.\d+\n$")
        self.assertEqual(run("--bogus").returncode, 2)

    def test_check_config(self):
        r = run("--check-config", self.agent.config_path)
        self.assertEqual(r.returncode, 0, r.stderr)
        bad = dict(self.agent.config, central=dict(self.agent.config["central"], batch_max=0))
        r = run("--check-config", self.write(bad))
        self.assertEqual(r.returncode, 1)
        self.assertIn("central.batch_max", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)
        r = run("--check-config", self.write(dict(self.agent.config, colour="blue")))
        self.assertEqual(r.returncode, 1)
        self.assertIn("colour: unknown key", r.stderr)
        r = run("--check-config", os.path.join(self.workdir, "missing.json"))
        self.assertEqual(r.returncode, 1)

    def test_bad_config_refused_at_start(self):
        bad = dict(self.agent.config)
        del bad["store_id"]
        r = run("--config", self.write(bad))
        self.assertEqual(r.returncode, 1)
        lines = [l for l in r.stderr.splitlines() if "level=error" in l]
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("store_id: is required", lines[0])

    def test_unknown_key_is_a_warning_at_start(self):
        self.agent.config["colour"] = "blue"
        self.agent.start()
        self.agent.wait_log(r"level=warn event=config\.unknown_key key=colour")

    def test_clean_stop(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.agent.start()
            status, _, body = self.agent.post_txn(harness.sample_txn(int(sig)))
            self.assertEqual(status, 201)
            self.assertEqual(self.agent.kill(sig), 0)
            self.assertTrue(any("event=agent.stopped" in l for l in self.agent.log_lines()))
        self.agent.start()
        self.assertEqual(self.agent.status()["queue"]["last_seq"], 2)


if __name__ == "__main__":
    unittest.main()
