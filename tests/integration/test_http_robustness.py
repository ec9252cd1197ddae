"""Hostile HTTP against the real agent: garbage, oversized headers,
truncated bodies, a slowloris, and more connections than allowed. After
each, the agent still answers other clients (a till must never be locked
out by a broken or malicious one)."""
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import harness  # noqa: E402

IDLE_MS = 400
MAX_CONNS = 8


class HttpRobustness(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = harness.make_workdir("http")
        cls.agent = harness.Agent(cls.workdir, {
            "http": {"idle_timeout_ms": IDLE_MS, "max_conns": MAX_CONNS}}).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.agent.stop()
        harness.cleanup(cls.workdir)
        assert code == 0, "agent did not stop cleanly: %s" % code

    def raw(self, timeout=10):
        s = socket.create_connection(("127.0.0.1", self.agent.port), timeout=timeout)
        return s

    def read_all(self, s):
        """Reads until the agent closes the connection (bounded by the timeout)."""
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return data
            data += chunk

    def still_serving(self):
        status, _, body = self.agent.request("GET", "/healthz")
        self.assertEqual(status, 200)
        status, _, body = self.agent.post_txn(harness.sample_txn(os.getpid() % 1000 +
                                                                 len(self.agent.log_lines())))
        self.assertIn(status, (200, 201), body)

    def test_garbage(self):
        s = self.raw()
        s.sendall(b"\x00\x01\x02 this is not http\r\n\r\n")
        data = self.read_all(s)
        self.assertTrue(data.startswith(b"HTTP/1.1 400"), data[:80])
        s.close()
        self.still_serving()

    def test_oversized_headers(self):
        s = self.raw()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        data = self.read_all(s)
        self.assertTrue(data.startswith(b"HTTP/1.1 431"), data[:80])
        s.close()
        self.still_serving()

    def test_truncated_body_is_cut_by_the_idle_timeout(self):
        s = self.raw()
        s.sendall(b"POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                  b"\r\nContent-Length: 500\r\n\r\n{\"txn_id\":")
        self.still_serving()  # others are served while this one hangs
        data = self.read_all(s)  # the agent closes it after the idle time-out
        self.assertNotIn(b"201", data)
        s.close()

    def test_slowloris(self):
        s = self.raw(timeout=30)
        closed = False
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Drip: y\r\n" * 400
        for i in range(len(request)):
            try:
                s.send(request[i:i + 1])
            except OSError:
                closed = True
                break
            # drip slower than the agent accepts: wait for its verdict on each byte
            s.settimeout(0.05)
            try:
                if s.recv(4096) == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
        self.assertTrue(closed, "a client dripping one byte at a time kept its slot")
        s.close()
        self.still_serving()

    def test_connection_bound(self):
        conns = [self.raw() for _ in range(MAX_CONNS * 3)]
        # beyond the bound, connections are closed at once
        dropped = 0
        for s in conns[MAX_CONNS + 2:]:
            s.settimeout(10)
            try:
                dropped += s.recv(1) == b""
            except ConnectionResetError:
                dropped += 1
        self.assertGreater(dropped, 0, "no connection over the bound was refused")
        for s in conns:
            s.close()
        def serves():
            try:
                return self.agent.request("GET", "/healthz")[0] == 200
            except OSError:  # refused while the closed slots are still being freed
                return False
        harness.wait_for(serves, 10, "the agent to serve again")
        self.still_serving()


if __name__ == "__main__":
    unittest.main()
