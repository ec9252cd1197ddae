"""Central's identity is checked, and a bad one means nothing is sent.

An untrusted server CA, a certificate for another host name and an expired
certificate each leave central with nothing received, and /v1/status says
why in plain words. A key file readable by others stops start-up with a
clear message and exit code 1. The status shows the client certificate's
expiry.
"""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import uplink_common as uc  # noqa: E402
from uplink_common import harness  # noqa: E402

BAD_SERVERS = [
    ("server-other-ca", "not signed by a CA in central.ca_file"),
    ("server-wrong-host", "for another host name"),
    ("server-expired", "has expired"),
]


class TlsTest(unittest.TestCase):
    def setUp(self):
        self.workdir = harness.make_workdir("uplink-tls")
        self.certs = harness.make_certs(self.workdir)
        self.central = uc.CentralProc(self.workdir, self.certs)
        self.agent = None

    def tearDown(self):
        if self.agent:
            self.agent.kill()
        self.central.stop()
        harness.cleanup(self.workdir)

    def handshakes_failed(self):
        return self.central.state()["counts"].get("handshake_failed", 0)

    def test_bad_server_certificates_get_nothing(self):
        for cert, words in BAD_SERVERS:
            with self.subTest(cert=cert):
                self.central.cmd("use_server_cert", name=cert)
                failed_before = self.handshakes_failed()
                wd = os.path.join(self.workdir, cert)
                os.makedirs(wd)
                agent = uc.agent_for(wd, self.certs, self.central)
                self.agent = agent
                agent.start()
                uc.post_odd_txns(agent, 1, 3)

                def says_why():
                    c = agent.status()["central"]
                    return c if c["last_error"] and words in c["last_error"] else None
                c = harness.wait_for(says_why, 30, "the status to say " + words)
                self.assertIn(c["state"], ("backoff", "offline"))
                self.assertEqual(c["acked_through"], 0)
                # Retrying, never getting through.
                harness.wait_for(lambda: self.handshakes_failed() >= failed_before + 3, 30,
                                 "more handshake attempts")
                state = self.central.state()
                self.assertEqual(state["counts"].get("request", 0), 0, "central got a request")
                self.assertEqual(state["stores"], {}, "central received something")
                agent.kill()
                self.agent = None

    def test_good_certificate_and_expiry_in_status(self):
        self.agent = uc.agent_for(self.workdir, self.certs, self.central)
        self.agent.start()
        tls = self.agent.status()["tls"]
        self.assertTrue(tls["client_cert_expires_at"].endswith("Z"))
        self.assertGreater(tls["days_left"], 700)  # make-test-certs: 825 days
        uc.post_odd_txns(self.agent, 1, 1)
        harness.wait_for(lambda: self.central.acked_through() == 1, 30, "delivery")

    def test_soon_expiring_client_certificate_is_flagged(self):
        self.agent = uc.agent_for(self.workdir, self.certs, self.central, {"central": {
            "cert_file": os.path.join(self.certs, "store-soon.pem"),
            "key_file": os.path.join(self.certs, "store-soon.key")}})
        self.agent.start()
        self.assertLessEqual(self.agent.status()["tls"]["days_left"], 10)
        self.agent.wait_log(r"event=uplink\.cert_expiring .*days_left=")

    def test_world_readable_key_stops_start_up(self):
        key = os.path.join(self.certs, "store-world-readable.key")
        self.assertTrue(os.stat(key).st_mode & 0o004)
        self.agent = uc.agent_for(self.workdir, self.certs, self.central,
                                  {"central": {"key_file": key}})
        self.agent.write_config()
        p = subprocess.run([harness.BIN, "--config", self.agent.config_path],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 1)
        out = (p.stdout + p.stderr).decode()
        self.assertIn("can be read by group or others", out)
        self.assertIn(key, out)
        self.assertEqual(self.central.state()["counts"].get("connect", 0), 0)


if __name__ == "__main__":
    unittest.main()
