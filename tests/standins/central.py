#!/usr/bin/env python3
"""Stand-in for central: the central side of uplink.md, for tests and the demo.

Real mutual TLS (the client must present a certificate from the test CA made
by scripts/make-test-certs.sh), HTTP/1.1 keep-alive, and what it receives kept
durably in an append-only JSON-lines file (fdatasync'ed before it answers 200).

  POST /v1/stores/{id}/transactions  200 {"acked_through": N} | 409 {"expected_seq": M}
  GET  /v1/stores/{id}/config        304 | 200 with ETag
  POST /v1/stores/{id}/heartbeat     204

Used two ways:
  * as a program:
      python3 central.py --certs DIR --port 0 --control-port 0 --db FILE
    prints {"port": P, "control_port": C, "pid": N} as one line on stdout,
    then serves until SIGTERM/SIGINT (or until stdin closes, with
    --exit-on-stdin-eof). The control port (plain HTTP, loopback) takes
      POST /control  {"cmd": "<method below>", ...its arguments}
      GET  /state    everything it holds and counts (see Central.state)
      GET  /txns?store=S042   {"txns": [[seq, "txn JSON as sent"], ...]}
  * in-process: Central(...).start(), then call the same methods.

Faults to inject (each applies to the next n transaction batches unless said):
  fail_next(n, status=500, retry_after=None)   5xx/429 answers (Retry-After seconds)
  cut_next(n, store=False)   read the request, close without answering
                             (store=True: keep the batch first: a lost answer)
  cut_mid_answer(n, store=True)  send half an answer, then close
  hang_next(n, seconds)      hold the answer (for client time-outs)
  partial_ack(k, n=1)        store and ack only the first k txns of the batch
  conflict_next(m, n=1)      answer 409 {"expected_seq": m} (data kept)
  rewind(m)                  lose every seq >= m, so the next batch gets 409 m
  lose_after(k)              forget every seq > k ("central lost data")
  reject_seq(seq, reason)    422 for any batch holding seq, until clear_reject()
  close_after_answer(n)      answer with "Connection: close"
  go_down() / come_up()      close the listener and every connection / listen
                             again on the same port
  use_server_cert(name)      present certs/<name>.pem from now on (server,
                             server-other-ca, server-wrong-host, server-expired)
  set_config(doc, etag)      what GET .../config answers
  serve_file(name, path)     GET /updates/<name> serves the file (self-update
                             builds, update.md), with Range (206) support
  drop_update_at(fraction, n=1)  the next n update downloads send the headers
                             of the whole answer, then fraction of the bytes,
                             then close (a link dropped mid-download)
  clear_faults()

Every request, connection and failed handshake is recorded with its arrival
time (state()["events"]), e.g. for the test of reconnects spreading out.
With --check-identity (check_identity=True) a client certificate
"CN=store S042" may only post for S042.
"""
import argparse
import http.server
import json
import os
import re
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

MAX_BATCH_BYTES = 1024 * 1024
MAX_OTHER_BYTES = 4 * 1024 * 1024
MAX_EVENTS = 200000
ROUTE = re.compile(r"/v1/stores/([^/]+)/(transactions|config|heartbeat)$")

_decoder = json.JSONDecoder()
_ws = re.compile(r"[ \t\r\n]*")


class BadBatch(Exception):
    pass


# ---- the batch body, with each txn's bytes exactly as sent ----

def _skip(text, i):
    return _ws.match(text, i).end()


def _expect(text, i, ch):
    i = _skip(text, i)
    if i >= len(text) or text[i] != ch:
        raise BadBatch("expected %r at offset %d" % (ch, i))
    return i + 1


_txn_key = re.compile(r'"txn"[ \t\r\n]*:[ \t\r\n]*')
_value_end = re.compile(r"[ \t\r\n]*[,}]")


def _txn_span(text, start, end, element):
    """The text of element["txn"] inside text[start:end] (one element).

    Outside strings a '"txn":' can only be a key (a quote inside a string is
    escaped), so the first one whose value decodes to element["txn"] and is
    followed by ',' or '}' is the member (a nested "txn" key comes later,
    inside the value)."""
    want = element.get("txn")
    i = start
    while True:
        m = _txn_key.search(text, i, end)
        if not m:
            return None
        try:
            value, vend = _decoder.raw_decode(text, m.end())
        except ValueError:
            value, vend = None, m.end()
        if value == want and _value_end.match(text, vend):
            return text[m.end():vend]
        i = m.start() + 1


def _transactions(text, i):
    """The "transactions" array at i: [(element, txn_text)], end."""
    out = []
    i = _expect(text, i, "[")
    if text[_skip(text, i)] == "]":
        return out, _skip(text, i) + 1
    while True:
        i = _skip(text, i)
        element, end = _decoder.raw_decode(text, i)  # one C call per element
        if not isinstance(element, dict):
            raise BadBatch("transactions[%d] is not an object" % len(out))
        out.append((element, _txn_span(text, i, end, element)))
        i = _skip(text, end)
        if text[i] == ",":
            i += 1
            continue
        return out, _expect(text, i, "]")


def _walk_batch(text):
    """The batch object: its members, with the transactions' raw text."""
    doc = {}
    i = _expect(text, 0, "{")
    if text[_skip(text, i)] == "}":
        return doc
    while True:
        i = _skip(text, i)
        key, i = _decoder.raw_decode(text, i)
        i = _skip(text, _expect(text, i, ":"))
        if key == "transactions":
            doc[key], i = _transactions(text, i)
        else:
            doc[key], i = _decoder.raw_decode(text, i)
        i = _skip(text, i)
        if text[i] == ",":
            i += 1
            continue
        _expect(text, i, "}")
        if _skip(text, i + 1) != len(text):
            raise BadBatch("bytes after the batch object")
        return doc


def parse_batch(body, store_id):
    """Returns [(seq, txn_bytes)], each txn's bytes exactly as sent, or raises BadBatch."""
    try:
        text = body.decode("utf-8")
        doc = _walk_batch(text)
    except (UnicodeDecodeError, ValueError, IndexError) as e:
        raise BadBatch("not a JSON batch: %s" % e)
    if doc.get("store_id") != store_id:
        raise BadBatch("store_id does not match the path")
    txns = doc.get("transactions")
    if not isinstance(txns, list) or not txns:
        raise BadBatch("transactions must be a non-empty array")
    out = []
    for k, (t, span) in enumerate(txns):
        seq = t.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise BadBatch("transactions[%d].seq is not a positive integer" % k)
        if not isinstance(t.get("txn"), dict) or span is None:
            raise BadBatch("transactions[%d].txn is not an object" % k)
        if not isinstance(t.get("received_at"), str):
            raise BadBatch("transactions[%d].received_at is missing" % k)
        if out and seq != out[-1][0] + 1:
            raise BadBatch("seqs are not contiguous at transactions[%d]" % k)
        out.append((seq, span.encode("utf-8")))
    return out


# ---- durable storage ----

class Store:
    """Received txns in an append-only JSON-lines file, fdatasync'ed before
    any 200 (one line per txn: ["S042", 101, "<txn JSON as sent>"]; a line
    {"forget_after": K, "store": "S042"} records a "lost data" fault).
    Everything is also held in memory, in seq order per store."""

    def __init__(self, path, first_seq):
        self.path = path
        self.first_seq = first_seq
        self.rows = {}  # store_id -> [(seq, txn bytes)], contiguous
        if os.path.exists(path):
            self._load()
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def _load(self):
        with open(self.path, "rb") as f:
            for line in f:
                if not line.endswith(b"\n"):
                    break  # a torn last line was never acknowledged
                rec = json.loads(line)
                if isinstance(rec, dict):
                    self._forget(rec["store"], rec["forget_after"])
                else:
                    self.rows.setdefault(rec[0], []).append((rec[1], rec[2].encode("utf-8")))

    def next_expected(self, store_id):
        rows = self.rows.get(store_id)
        return rows[-1][0] + 1 if rows else self.first_seq

    def _write(self, data):
        os.write(self.fd, data)
        os.fdatasync(self.fd)

    def add(self, store_id, rows):
        if not rows:
            return
        self._write(b"".join(
            json.dumps([store_id, seq, txn.decode("utf-8")]).encode() + b"\n" for seq, txn in rows))
        self.rows.setdefault(store_id, []).extend(rows)

    def _forget(self, store_id, k):
        rows = self.rows.get(store_id, [])
        while rows and rows[-1][0] > k:
            rows.pop()

    def forget_after(self, store_id, k):
        self._write(json.dumps({"forget_after": k, "store": store_id}).encode() + b"\n")
        self._forget(store_id, k)

    def txns(self, store_id):
        return list(self.rows.get(store_id, []))

    def count(self, store_id):
        return len(self.rows.get(store_id, []))

    def stores(self):
        return list(self.rows)

    def close(self):
        os.close(self.fd)


# ---- HTTP over mutual TLS ----

class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256  # many agents reconnecting at once (the spread test)

    def __init__(self, addr, central):
        self.central = central
        super().__init__(addr, _Handler)

    def handle_error(self, request, client_address):
        if self.central.verbose:  # a peer that goes away is normal here
            import traceback
            traceback.print_exc()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "central-standin/1"
    disable_nagle_algorithm = True  # answers go out at once (no delayed-ACK stalls)

    def setup(self):
        central = self.server.central
        self.central = central
        self.tls_ok = False
        self.request.settimeout(central.idle_timeout)
        central._event("connect", peer="%s:%d" % self.client_address)
        ctx = central._ssl_context()
        if ctx is not None:
            try:
                self.request = ctx.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                central._event("handshake_failed", reason=str(e))
                return
        self.tls_ok = True
        central._track(self.request, True)
        super().setup()

    def handle(self):
        if self.tls_ok:
            super().handle()

    def finish(self):
        if self.tls_ok:
            self.central._track(self.request, False)
            try:
                super().finish()
            except OSError:
                pass
            self.request.close()

    def log_message(self, fmt, *args):
        if self.central.verbose:
            sys.stderr.write("central| " + (fmt % args) + "\n")

    # -- answering --

    def _answer(self, status, doc=None, headers=()):
        body = b"" if doc is None else json.dumps(doc).encode()
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if doc is not None:
            self.send_header("Content-Type", "application/json")
        if status != 304 and status != 204:
            self.send_header("Content-Length", str(len(body)))
        if self.central._take_fault("close_after"):
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if body and status not in (204, 304):
            self.wfile.write(body)
        self.wfile.flush()

    def _cut(self):
        self.close_connection = True
        try:
            socket.socket.shutdown(self.request, socket.SHUT_RDWR)
        except OSError:
            pass

    def _half_answer_then_cut(self, doc):
        body = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:len(body) // 2])
        self.wfile.flush()
        self._cut()

    def _read_body(self, limit):
        n = self.headers.get("Content-Length")
        if n is None or not n.isdigit():
            self._answer(411, {"error": {"code": "length_required", "message": "no Content-Length"}})
            return None
        if int(n) > limit:
            # Read what was sent (within reason) so the client sees the 413
            # rather than a connection closed in the middle of its sending.
            left = min(int(n), 16 * MAX_OTHER_BYTES)
            while left > 0:
                got = self.rfile.read(min(left, 65536))
                if not got:
                    break
                left -= len(got)
            self.close_connection = True
            self._answer(413, {"error": {"code": "too_large", "message": "body over %d bytes" % limit}})
            return None
        return self.rfile.read(int(n))

    def _route(self):
        path = urllib.parse.urlsplit(self.path).path
        m = ROUTE.search(path)
        if not m:
            self._answer(404, {"error": {"code": "not_found", "message": path}})
            return None, None
        store_id = urllib.parse.unquote(m.group(1))
        cn = self._client_cn() if self.central.check_identity else None
        if cn and cn.startswith("store ") and cn[6:] != store_id:
            self._answer(403, {"error": {"code": "wrong_store",
                                         "message": "certificate is for %s" % cn[6:]}})
            return None, None
        return store_id, m.group(2)

    def _client_cn(self):
        try:
            cert = self.request.getpeercert()
        except (AttributeError, ValueError):
            return None
        for rdn in (cert or {}).get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    return v
        return None

    def _serve_update(self):
        """GET /updates/<name>: a build for the self-update, Range aware."""
        name = urllib.parse.urlsplit(self.path).path[len("/updates/"):]
        path = self.central.files.get(name)
        if path is None:
            self._answer(404, {"error": {"code": "not_found", "message": name}})
            return
        with open(path, "rb") as f:
            data = f.read()
        start = 0
        m = re.match(r"bytes=(\d+)-$", self.headers.get("Range", ""))
        if m:
            start = int(m.group(1))
            if start >= len(data):
                self._answer(416, None, [("Content-Range", "bytes */%d" % len(data))])
                return
        part = data[start:]
        drop = self.central._take_fault("drop_update")
        self.send_response(206 if m else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(part)))
        if m:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.end_headers()
        n = int(len(data) * drop) - start if drop is not None else len(part)
        n = max(0, min(n, len(part)))
        self.wfile.write(part[:n])
        self.wfile.flush()
        self.central._event("update_get", name=name, range_start=start, bytes_sent=n,
                            dropped=drop is not None)
        if drop is not None:
            self._cut()

    def do_GET(self):
        if urllib.parse.urlsplit(self.path).path.startswith("/updates/"):
            self._serve_update()
            return
        store_id, what = self._route()
        if store_id is None:
            return
        self.central._event("request", method="GET", path=self.path, store=store_id)
        if what != "config":
            self._answer(405, {"error": {"code": "method", "message": "use POST"}})
            return
        doc, etag = self.central._config_poll(store_id)
        if etag and self.headers.get("If-None-Match", "") == etag:
            self._answer(304, None, [("ETag", etag)])
        else:
            self._answer(200, doc, [("ETag", etag)])

    def do_POST(self):
        # The body is read first, whatever the answer: bytes left unread
        # would be taken for the next request on this keep-alive connection.
        is_batch = ROUTE.search(urllib.parse.urlsplit(self.path).path or "")
        is_batch = is_batch is not None and is_batch.group(2) == "transactions"
        body = self._read_body(MAX_BATCH_BYTES if is_batch else MAX_OTHER_BYTES)
        if body is None:
            return
        store_id, what = self._route()
        if store_id is None:
            return
        self.central._event("request", method="POST", path=self.path, store=store_id)
        if what == "config":
            self._answer(405, {"error": {"code": "method", "message": "use GET"}})
            return
        if what == "heartbeat":
            self.central._heartbeat(store_id, body)
            self._answer(204)
            return
        result = self.central._batch(store_id, body)
        if result is None:
            self._cut()
        elif result[0] == "cut_mid":
            self._half_answer_then_cut(result[2])
        else:
            status, doc, headers = result
            self._answer(status, doc, headers)


class _Control(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _json(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        central = self.server.central
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        if u.path == "/state":
            self._json(200, central.state())
        elif u.path == "/txns":
            store = q.get("store", ["S042"])[0]
            self._json(200, {"txns": [[s, t.decode("utf-8")] for s, t in central.txns(store)]})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self):
        central = self.server.central
        try:
            n = int(self.headers.get("Content-Length", "0"))
            args = json.loads(self.rfile.read(n) or b"{}")
            cmd = args.pop("cmd")
            if cmd.startswith("_") or cmd not in Central.COMMANDS:
                raise ValueError("unknown command %r" % cmd)
            result = getattr(central, cmd)(**args)
        except Exception as e:  # a bad command is the test's bug: say it
            self._json(400, {"error": "%s: %s" % (type(e).__name__, e)})
            return
        self._json(200, {"ok": True, "result": result})


class _ControlServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


# ---- central itself ----

class Central:
    COMMANDS = {"fail_next", "rate_limit", "cut_next", "cut_mid_answer", "hang_next", "partial_ack",
                "conflict_next", "rewind", "lose_after", "reject_seq", "clear_reject",
                "close_after_answer", "clear_faults", "go_down", "come_up", "use_server_cert",
                "set_config", "state", "serve_file", "drop_update_at"}

    def __init__(self, certs, db_path, port=0, host="127.0.0.1", server_cert="server",
                 first_seq=1, plain=False, verbose=False, idle_timeout=120.0,
                 check_identity=False):
        self.certs = certs
        self.host = host
        self.port = port
        self.plain = plain
        self.verbose = verbose
        self.idle_timeout = idle_timeout
        # With check_identity, a certificate "CN=store S042" may only post
        # for S042 (403 otherwise). Off by default: many test agents share
        # one client certificate under different store ids.
        self.check_identity = check_identity
        self.lock = threading.RLock()
        self.store = Store(db_path, first_seq)
        self.server_cert = server_cert
        self._contexts = {}
        self.server = None
        self.control = None
        self.conns = set()
        self.events = []
        self.counts = {}
        self.heartbeats = {}
        self.config_doc = {"version": "0", "settings": {}}
        self.files = {}  # update builds served under /updates/<name>
        self.config_etag = '"0"'
        self.faults = {}
        self.reject = None
        self.hang_release = threading.Event()
        self.placeholder = None  # holds the port while down (_hold_port)
        self.clear_faults()

    # -- life --

    def start(self, control_port=None):
        self.come_up()
        if control_port is not None:
            self.control = _ControlServer(("127.0.0.1", control_port), _Control)
            self.control.central = self
            threading.Thread(target=self.control.serve_forever, daemon=True).start()
        return self

    @property
    def control_port(self):
        return self.control.server_address[1] if self.control else None

    def url(self):
        return "%s://%s:%d" % ("http" if self.plain else "https", self.host, self.port)

    def stop(self):
        self.go_down()
        if self.control:
            self.control.shutdown()
            self.control.server_close()
            self.control = None
        with self.lock:
            self.store.close()

    def go_down(self):
        """Closes the listener and every connection (the port stays ours to reuse)."""
        srv, self.server = self.server, None
        if srv:
            srv.shutdown()
            srv.server_close()
            self._hold_port()
        self.hang_release.set()
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                socket.socket.shutdown(c, socket.SHUT_RDWR)
            except OSError:
                pass
        self._event("down")
        return True

    def _hold_port(self):
        """While down, keeps the port bound but not listening: a connection
        is refused as before, and no other socket (another test's, or an
        outgoing connection's ephemeral port) can take it before come_up.
        Both sockets set SO_REUSEADDR, so Linux lets the listener bind beside
        this one, which is closed only once the listener is bound."""
        ph = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ph.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            ph.bind((self.host, self.port))
        except OSError:
            ph.close()
            return
        self.placeholder = ph

    def come_up(self):
        if self.server:
            return self.port
        self.hang_release = threading.Event()
        self.server = _Server((self.host, self.port), self)
        self.port = self.server.server_address[1]
        if self.placeholder:  # the listener is bound now: let the port go
            self.placeholder.close()
            self.placeholder = None
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()
        self._event("up")
        return self.port

    def use_server_cert(self, name):
        if not os.path.exists(os.path.join(self.certs, name + ".pem")):
            raise ValueError("no certificate %s in %s" % (name, self.certs))
        with self.lock:
            self.server_cert = name
        return True

    def _ssl_context(self):
        if self.plain:
            return None
        with self.lock:
            name = self.server_cert
            ctx = self._contexts.get(name)
            if ctx is None:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.minimum_version = ssl.TLSVersion.TLSv1_2
                ctx.load_cert_chain(os.path.join(self.certs, name + ".pem"),
                                    os.path.join(self.certs, name + ".key"))
                ctx.load_verify_locations(os.path.join(self.certs, "ca.pem"))
                ctx.verify_mode = ssl.CERT_REQUIRED
                self._contexts[name] = ctx
            return ctx

    def _track(self, conn, add):
        with self.lock:
            (self.conns.add if add else self.conns.discard)(conn)

    def _event(self, kind, **kw):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if len(self.events) < MAX_EVENTS:
                kw["kind"] = kind
                kw["t"] = time.time()
                self.events.append(kw)

    # -- faults --

    def clear_faults(self):
        with self.lock:
            self.faults = {"fail": [], "cut": [], "cut_mid": [], "hang": [], "partial": [],
                           "drop_update": [],
                           "conflict": [], "close_after": 0}
            self.reject = None
        self.hang_release.set()
        self.hang_release = threading.Event()
        return True

    def fail_next(self, n=1, status=500, retry_after=None):
        with self.lock:
            self.faults["fail"] += [(int(status), retry_after)] * int(n)
        return True

    def rate_limit(self, n=1, retry_after=1):
        return self.fail_next(n, 429, retry_after)

    def cut_next(self, n=1, store=False):
        with self.lock:
            self.faults["cut"] += [bool(store)] * int(n)
        return True

    def cut_mid_answer(self, n=1, store=True):
        with self.lock:
            self.faults["cut_mid"] += [bool(store)] * int(n)
        return True

    def hang_next(self, n=1, seconds=30.0):
        with self.lock:
            self.faults["hang"] += [float(seconds)] * int(n)
        return True

    def partial_ack(self, k, n=1):
        with self.lock:
            self.faults["partial"] += [int(k)] * int(n)
        return True

    def conflict_next(self, m, n=1):
        with self.lock:
            self.faults["conflict"] += [int(m)] * int(n)
        return True

    def close_after_answer(self, n=1):
        with self.lock:
            self.faults["close_after"] += int(n)
        return True

    def reject_seq(self, seq, reason="rejected by the stand-in", code="invalid_txn", status=422):
        with self.lock:
            self.reject = (int(seq), str(reason), str(code), int(status))
        return True

    def clear_reject(self):
        with self.lock:
            self.reject = None
        return True

    def lose_after(self, k, store_id="S042"):
        with self.lock:
            self.store.forget_after(store_id, int(k))
        self._event("lost_data", store=store_id, after=int(k))
        return True

    def rewind(self, m, store_id="S042"):
        return self.lose_after(int(m) - 1, store_id)

    def _take_fault(self, name):
        with self.lock:
            f = self.faults[name]
            if isinstance(f, int):
                if f > 0:
                    self.faults[name] = f - 1
                    return True
                return False
            return f.pop(0) if f else None

    # -- the endpoints --

    def serve_file(self, name, path):
        with self.lock:
            self.files[name] = path
        return True

    def drop_update_at(self, fraction, n=1):
        with self.lock:
            self.faults["drop_update"] = [fraction] * n
        return True

    def set_config(self, doc, etag=None):
        with self.lock:
            self.config_doc = doc
            self.config_etag = etag or '"%s"' % doc.get("version", "")
        return True

    def _config_poll(self, store_id):
        self._count(store_id, "config_polls")
        with self.lock:
            return self.config_doc, self.config_etag

    def _heartbeat(self, store_id, body):
        try:
            doc = json.loads(body)
        except ValueError:
            doc = body.decode("utf-8", "replace")
        with self.lock:
            self.heartbeats[store_id] = doc
        self._count(store_id, "heartbeats")

    def _count(self, store_id, name, n=1):
        with self.lock:
            key = (store_id, name)
            self.counts[key] = self.counts.get(key, 0) + n

    def _batch(self, store_id, body):
        """Returns (status, doc, headers), or None to cut the connection."""
        self._count(store_id, "batches")
        hang = self._take_fault("hang")
        if hang:
            self.hang_release.wait(hang)
        cut = self._take_fault("cut")
        if cut is not None:
            if cut:
                self._store_batch(store_id, body, None)
            self._count(store_id, "cuts")
            return None
        cut_mid = self._take_fault("cut_mid")
        if cut_mid is not None:
            result = self._store_batch(store_id, body, None) if cut_mid else (200, {}, [])
            self._count(store_id, "cuts")
            return ("cut_mid",) + result
        fail = self._take_fault("fail")
        if fail:
            status, retry_after = fail
            hdrs = [("Retry-After", str(retry_after))] if retry_after is not None else []
            return status, {"error": {"code": "injected", "message": "injected %d" % status}}, hdrs
        conflict = self._take_fault("conflict")
        if conflict is not None:
            return 409, {"expected_seq": conflict}, []
        return self._store_batch(store_id, body, self._take_fault("partial"))

    def _store_batch(self, store_id, body, partial):
        try:
            rows = parse_batch(body, store_id)
        except BadBatch as e:
            return 400, {"error": {"code": "bad_batch", "message": str(e)}}, []
        with self.lock:
            if self.reject and rows[0][0] <= self.reject[0] <= rows[-1][0]:
                seq, reason, code, status = self.reject
                return status, {"error": {"code": code, "message": reason, "seq": seq}}, []
            expected = self.store.next_expected(store_id)
            if rows[0][0] > expected:
                self._count(store_id, "conflicts")
                return 409, {"expected_seq": expected}, []
            if partial is not None:
                rows = rows[:partial]
            new = [r for r in rows if r[0] >= expected]
            self._count(store_id, "duplicates", len(rows) - len(new))
            self.store.add(store_id, new)
            self._count(store_id, "stored", len(new))
            acked = self.store.next_expected(store_id) - 1
        return 200, {"acked_through": acked}, []

    # -- what it holds --

    def txns(self, store_id="S042"):
        with self.lock:
            return self.store.txns(store_id)

    def state(self):
        with self.lock:
            stores = {}
            for s in set(self.store.stores()) | {k[0] for k in self.counts if isinstance(k, tuple)}:
                st = {name: v for (sid, name), v in
                      ((k, v) for k, v in self.counts.items() if isinstance(k, tuple)) if sid == s}
                st["acked_through"] = self.store.next_expected(s) - 1
                st["count"] = self.store.count(s)
                st["last_heartbeat"] = self.heartbeats.get(s)
                stores[s] = st
            return {
                "port": self.port,
                "up": self.server is not None,
                "server_cert": self.server_cert,
                "stores": stores,
                "counts": {k: v for k, v in self.counts.items() if isinstance(k, str)},
                "events": list(self.events),
                "faults": {k: (v if isinstance(v, int) else len(v)) for k, v in self.faults.items()},
            }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--certs", required=True, help="directory made by make-test-certs.sh")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--db", required=True, help="JSON-lines file for what central receives")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--server-cert", default="server")
    ap.add_argument("--first-seq", type=int, default=1)
    ap.add_argument("--plain", action="store_true", help="plain HTTP (insecure_plain tests)")
    ap.add_argument("--check-identity", action="store_true",
                    help="403 when the client certificate's CN names another store")
    ap.add_argument("--exit-on-stdin-eof", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    central = Central(a.certs, a.db, port=a.port, host=a.host, server_cert=a.server_cert,
                      first_seq=a.first_seq, plain=a.plain, verbose=a.verbose,
                      check_identity=a.check_identity)
    central.start(control_port=a.control_port)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    if a.exit_on_stdin_eof:
        def watch_stdin():
            while os.read(0, 4096):
                pass
            done.set()
        threading.Thread(target=watch_stdin, daemon=True).start()
    print(json.dumps({"port": central.port, "control_port": central.control_port,
                      "pid": os.getpid()}), flush=True)
    while not done.wait(0.5):
        pass
    central.stop()


if __name__ == "__main__":
    main()
