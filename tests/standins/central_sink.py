#!/usr/bin/env python3
"""A throw-away central for benchmarks: mutual TLS, acks every batch at once.

It checks nothing, stores nothing and never fsyncs: it reads each batch,
finds the last seq in it and answers {"acked_through": that seq}. So it
measures how fast the agent can drain, where tests/standins/central.py (the
faithful stand-in, with durable SQLite storage and JSON checks) measures
what a Python central can take. Never use it to judge correctness.

  sink = CentralSink(certs, port=P).start(); sink.wait_seq(n, timeout); sink.stop()
"""
import os
import re
import socket
import ssl
import threading

LAST_SEQ = re.compile(rb'\{"seq":(\d+),')


class CentralSink:
    def __init__(self, certs, host="127.0.0.1", port=0):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self.ctx.load_cert_chain(os.path.join(certs, "server.pem"),
                                 os.path.join(certs, "server.key"))
        self.ctx.load_verify_locations(os.path.join(certs, "ca.pem"))
        self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.sock = socket.create_server((host, port))
        self.port = self.sock.getsockname()[1]
        self.last_seq = 0
        self.batches = 0
        self.bytes = 0
        self.reached = threading.Condition()
        self.stopping = False

    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        self.stopping = True
        self.sock.close()

    def wait_seq(self, seq, timeout):
        with self.reached:
            return self.reached.wait_for(lambda: self.last_seq >= seq, timeout)

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, raw):
        try:
            conn = self.ctx.wrap_socket(raw, server_side=True)
            f = conn.makefile("rb")
            while True:
                line = f.readline(8192)
                if not line:
                    return
                path = line.split()[1] if len(line.split()) > 1 else b""
                length = 0
                while True:
                    h = f.readline(8192)
                    if h in (b"\r\n", b"\n", b""):
                        break
                    if h.lower().startswith(b"content-length:"):
                        length = int(h.split(b":")[1])
                body = f.read(length) if length else b""
                conn.sendall(self._answer(path, body))
        except (OSError, ValueError):
            pass
        finally:
            raw.close()

    def _answer(self, path, body):
        if path.endswith(b"/transactions"):
            pos = body.rfind(b'{"seq":')
            m = LAST_SEQ.match(body, pos) if pos >= 0 else None
            if m:
                with self.reached:
                    self.last_seq = max(self.last_seq, int(m.group(1)))
                    self.batches += 1
                    self.bytes += len(body)
                    self.reached.notify_all()
                doc = b'{"acked_through": %d}' % self.last_seq
                return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (len(doc), doc))
        if path.endswith(b"/heartbeat"):
            return b"HTTP/1.1 204 No Content\r\n\r\n"
        return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
