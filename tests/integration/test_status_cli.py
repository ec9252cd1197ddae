"""`tillsync status` (config.md "Command line"): the real binary against a
real agent in each state a store meets (all good, central down, Odoo's copy
stale, disk low), its exit codes (0 good, 1 warning, 2 problem, 3 cannot
tell) and key lines, --json, the status token flow, colour only on a TTY,
and a clear one-line reason when no agent answers."""
import json
import os
import pty
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import status_scenarios as sc  # noqa: E402
from status_scenarios import harness  # noqa: E402

STATUS_TOKEN = "status-cli-test-token"


def cli_config(agent, drop_token=False):
    """The agent's config with the port it bound (the harness gives it port 0),
    as store IT's config file would name it."""
    cfg = json.loads(json.dumps(agent.config))
    cfg["listen"] = "127.0.0.1:%d" % agent.port
    if drop_token:
        cfg.pop("status_token_sha256", None)
    path = os.path.join(agent.workdir, "cli-%d.json" % (1 if drop_token else 0))
    with open(path, "w") as f:
        json.dump(cfg, f)
    return path


def run_cli(*args, env=None):
    """(exit code, stdout, stderr) of `tillsync status ARGS`."""
    e = {k: v for k, v in os.environ.items() if k not in ("TILLSYNC_STATUS_TOKEN", "NO_COLOR")}
    e.update(env or {})
    p = subprocess.run([harness.BIN, "status", *args], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def run_cli_tty(*args, env=None):
    """(exit code, output) with stdout on a pseudo-terminal."""
    e = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    e.update(env or {})
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([harness.BIN, "status", *args], stdin=subprocess.DEVNULL,
                             stdout=slave, stderr=subprocess.PIPE, env=e)
        os.close(slave)
        slave = None
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        p.stderr.read()
        p.stderr.close()
        return p.wait(timeout=120), out.decode()
    finally:
        os.close(master)
        if slave is not None:
            os.close(slave)


class CliCase(unittest.TestCase):
    scenario = None

    @classmethod
    def setUpClass(cls):
        cls.sc = cls.scenario()
        try:
            cls.sc.start()
        except BaseException:
            cls.sc.close()
            raise
        cls.config = cli_config(cls.sc.agent)

    @classmethod
    def tearDownClass(cls):
        cls.sc.close()

    def status(self, *args, **kw):
        code, out, err = run_cli("--config", self.config, *args, **kw)
        print("--- exit %d\n%s%s" % (code, out, err))
        return code, out, err

    def assertJsonCode(self, want):
        code, out, err = run_cli("--config", self.config, "--json")
        self.assertEqual(code, want, err)
        doc = json.loads(out)
        self.assertEqual(sc.schema_errors(doc), [])
        self.assertEqual(doc["store_id"], "S042")
        return doc


class AllGood(CliCase):
    scenario = sc.AllGood

    def test_exit_0_and_every_row(self):
        code, out, err = self.status()
        self.assertEqual(code, 0, out + err)
        self.assertEqual(err, "")
        self.assertTrue(out.startswith("tillsync S042 at 127.0.0.1:%d: All good" %
                                       self.sc.agent.port), out)
        for row in ("central", "sales", "odoo", "disk", "cert", "update", "agent"):
            self.assertRegex(out, r"(?m)^  %s +\S" % row)
        self.assertRegex(out, r"(?m)^  central +online;")
        self.assertRegex(out, r"(?m)^  odoo +ok; \d+ items; copy ")
        self.assertRegex(out, r"(?m)^ALL GOOD \(exit 0\)")
        self.assertNotIn("\033[", out)  # not a terminal: no colour

    def test_json_is_the_document(self):
        doc = self.assertJsonCode(0)
        self.assertEqual(doc["central"]["state"], "online")
        self.assertEqual(doc["headline"]["level"], "ok")

    def test_colour_on_a_terminal_only(self):
        code, out = run_cli_tty("--config", self.config)
        self.assertEqual(code, 0, out)
        self.assertIn("\033[32m", out)  # green
        code, out = run_cli_tty("--config", self.config, env={"NO_COLOR": "1"})
        self.assertEqual(code, 0, out)
        self.assertNotIn("\033[", out)
        self.assertIn("ALL GOOD (exit 0)", out)


class CentralDown(CliCase):
    scenario = sc.OfflineWithQueue

    def test_exit_1_under_15_minutes(self):
        code, out, err = self.status()
        self.assertEqual(code, 1, out + err)
        self.assertIn("Working offline", out.splitlines()[0])
        self.assertRegex(out, r"(?m)^  central +(offline|backoff); last good exchange never")
        self.assertRegex(out, r"(?m)^  sales +%d waiting, the oldest " % self.sc.posted)
        self.assertRegex(out, r"(?m)^WARNING \(exit 1\): central offline for \d+ s "
                              r"\(less than 15 min\)$")

    def test_json(self):
        doc = self.assertJsonCode(1)
        self.assertEqual(doc["queue"]["pending"], self.sc.posted)


class OdooStale(CliCase):
    scenario = sc.OdooDownStale

    def test_exit_2_stale_copy(self):
        code, out, err = self.status()
        self.assertEqual(code, 2, out + err)
        self.assertRegex(out, r"(?m)^  odoo +unreachable; %d items; copy .* \(stale\)" %
                         self.sc.odoo_items)
        self.assertRegex(out, r"(?m)^PROBLEM \(exit 2\): price/stock copy is stale")
        # Central is down in this scenario too: both checks are listed.
        self.assertRegex(out, r"(?m)^  WARNING +central offline for")
        self.assertRegex(out, r"(?m)^  PROBLEM +price/stock copy is stale")

    def test_json(self):
        self.assertTrue(self.assertJsonCode(2)["odoo"]["stale"])


class DiskLow(sc.Scenario):
    """data_dir on a small tmpfs, filled until less than 10 % is free."""
    name = "disk-low"
    size_mb = 64

    def start(self):
        self.mount = os.path.join(self.workdir, "small-fs")
        os.makedirs(self.mount)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % self.size_mb, "tmpfs",
                            self.mount], stderr=subprocess.PIPE)
        if r.returncode != 0:
            self.mount = None
            raise unittest.SkipTest("cannot mount a small tmpfs for the disk-low state: " +
                                    r.stderr.decode().strip())
        url = self.start_central()
        self.start_agent(url, {"data_dir": os.path.join(self.mount, "data"),
                               "storage": {"map_size_mb": 16}})
        self.post(2)
        self.wait_status(lambda d: d["central"]["state"] == "online" and
                         d["central"]["acked_through"] == self.posted, "central online")
        st = os.statvfs(self.mount)
        leave = st.f_blocks * st.f_frsize * 6 // 100  # 6 % free
        with open(os.path.join(self.mount, "filler"), "wb") as f:
            os.posix_fallocate(f.fileno(), 0, st.f_bavail * st.f_frsize - leave)
        self.wait_status(lambda d: d["storage"]["disk_free_mb"] * 10 < d["storage"]
                         ["disk_total_mb"], "the disk to show as nearly full")

    def close(self):
        try:
            if self.agent:
                self.agent.stop()
                self.agent = None
        finally:
            if getattr(self, "mount", None):
                subprocess.run(["umount", self.mount], check=True)
            super().close()


class DiskLowCase(CliCase):
    scenario = DiskLow

    def test_exit_2_disk_nearly_full(self):
        code, out, err = self.status()
        self.assertEqual(code, 2, out + err)
        self.assertRegex(out, r"(?m)^  central +online;")
        self.assertRegex(out, r"(?m)^  disk +\d+ MB free of \d+ MB \([0-9] %\)")
        self.assertRegex(out, r"(?m)^PROBLEM \(exit 2\): disk nearly full: \d+ MB free, "
                              r"[0-9.]+ % \(under 10 %\)$")

    def test_json(self):
        self.assertJsonCode(2)


class WithToken(sc.Scenario):
    """The config sets status_token_sha256; central down (so exit 1 when read)."""
    name = "cli-token"
    overrides = {"status_token_sha256": harness.sha256_hex(STATUS_TOKEN)}
    status_token = STATUS_TOKEN

    def start(self):
        self.start_agent()


class Token(CliCase):
    scenario = WithToken

    def test_refused_without_a_token(self):
        code, out, err = self.status()
        self.assertEqual(code, 3)
        self.assertEqual(out, "")
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("needs its status token", err)
        self.assertIn("--token-file", err)
        self.assertIn("TILLSYNC_STATUS_TOKEN", err)

    def test_accepted_from_a_file(self):
        path = os.path.join(self.sc.workdir, "status.token")
        with open(path, "w") as f:
            f.write(STATUS_TOKEN + "\n")
        code, out, err = self.status("--token-file", path)
        self.assertEqual(code, 1, out + err)
        self.assertIn("WARNING (exit 1): central offline", out)

    def test_accepted_from_the_environment(self):
        code, out, err = self.status("--json", env={"TILLSYNC_STATUS_TOKEN": STATUS_TOKEN})
        self.assertEqual(code, 1, out + err)
        self.assertEqual(json.loads(out)["store_id"], "S042")

    def test_wrong_token(self):
        code, out, err = self.status(env={"TILLSYNC_STATUS_TOKEN": "not-the-token"})
        self.assertEqual(code, 3)
        self.assertIn("does not match status_token_sha256", err)

    def test_agent_refuses(self):
        # A config without the hash (say, older than the agent's): the agent says 401.
        code, out, err = run_cli("--config", cli_config(self.sc.agent, drop_token=True))
        self.assertEqual(code, 3)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("refused the status token (none given)", err)

    def test_missing_token_file(self):
        code, out, err = self.status("--token-file", "/nonexistent/token")
        self.assertEqual(code, 3)
        self.assertIn("cannot read the token file /nonexistent/token", err)


class NoAgent(unittest.TestCase):
    def setUp(self):
        self.workdir = harness.make_workdir("status-cli-none")

    def tearDown(self):
        harness.cleanup(self.workdir)

    def config(self, port):
        path = os.path.join(self.workdir, "tillsync.json")
        with open(path, "w") as f:
            json.dump({"store_id": "S042", "data_dir": os.path.join(self.workdir, "data"),
                       "listen": "127.0.0.1:%d" % port,
                       "central": {"url": "https://127.0.0.1:9", "ca_file": "/x",
                                   "cert_file": "/x", "key_file": "/x"}}, f)
        return path

    def test_nothing_listens(self):
        # A bound socket that does not listen: connecting is refused, and no
        # other process can take the port meanwhile.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            code, out, err = run_cli("--config", self.config(s.getsockname()[1]))
        self.assertEqual(code, 3)
        self.assertEqual(out, "")
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("no agent answers on 127.0.0.1:", err)
        self.assertIn("connection refused", err)

    def test_listener_that_never_answers(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            code, out, err = run_cli("--config", self.config(s.getsockname()[1]),
                                     "--timeout", "1")
        self.assertEqual(code, 3)
        self.assertIn("did not answer within 1 s", err)

    def test_unreadable_config(self):
        code, out, err = run_cli("--config", os.path.join(self.workdir, "none.json"))
        self.assertEqual(code, 3)
        self.assertIn("cannot use the config", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
