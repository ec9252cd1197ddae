"""The central stand-in itself (tests/standins/central.py): the fakes that
other tests trust must do what uplink.md says, so they are tested too.

Runs in-process (Central API) and through the program's control port, with a
Python mutual-TLS client; no agent involved.
"""
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "standins"))
import harness  # noqa: E402
from central import Central  # noqa: E402

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def client(central, certs, cert="store"):
    ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
    ctx.load_cert_chain(os.path.join(certs, cert + ".pem"), os.path.join(certs, cert + ".key"))
    return http.client.HTTPSConnection("127.0.0.1", central.port, context=ctx, timeout=30)


def batch(first, last, store="S042", spacing=""):
    items = []
    for s in range(first, last + 1):
        txn = '{"txn_id": "R1-%d",%s"total": 1299, "big": 123456789012345678901}' % (s, spacing)
        items.append('{"seq": %d, "received_at": "2026-11-22T09:14:03.120Z", "txn": %s}' % (s, txn))
    return ('{"store_id": "%s", "agent_version": "0.4.0", "transactions": [%s]}'
            % (store, ", ".join(items))).encode()


def post(conn, body, store="S042"):
    conn.request("POST", "/v1/stores/%s/transactions" % store, body=body,
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), (
        json.loads(data) if data else None)


def test_in_process(workdir, certs):
    db = os.path.join(workdir, "central.db")
    c = Central(certs, db, check_identity=True).start()
    conn = client(c, certs)
    # byte-identical storage, ack, keep-alive
    check(post(conn, batch(1, 3, spacing="   "))[2] == {"acked_through": 3}, "first batch acked")
    txns = c.txns("S042")
    check([s for s, _ in txns] == [1, 2, 3], "seqs stored in order")
    check(txns[0][1] == b'{"txn_id": "R1-1",   "total": 1299, "big": 123456789012345678901}',
          "txn bytes kept as sent")
    # duplicates dropped, ack of the highest contiguous seq
    check(post(conn, batch(2, 5))[2] == {"acked_through": 5}, "overlap acked")
    check(c.state()["stores"]["S042"]["duplicates"] == 2, "duplicates counted")
    # a gap: 409 with the next expected seq
    s, _, body = post(conn, batch(7, 8))
    check((s, body) == (409, {"expected_seq": 6}), "gap answered 409 expected 6")
    # faults
    c.fail_next(1, 503)
    check(post(conn, batch(6, 6))[0] == 503, "injected 503")
    c.rate_limit(1, retry_after=9)
    s, h, _ = post(conn, batch(6, 6))
    check((s, h.get("retry-after")) == (429, "9"), "429 with Retry-After")
    c.partial_ack(2)
    check(post(conn, batch(6, 9))[2] == {"acked_through": 7}, "partial ack of 2")
    c.conflict_next(3)
    check(post(conn, batch(8, 8))[:3:2] == (409, {"expected_seq": 3}), "conflict_next 409")
    c.reject_seq(9, "unknown register R9")
    s, _, body = post(conn, batch(8, 10))
    check(s == 422 and body["error"]["seq"] == 9 and "R9" in body["error"]["message"],
          "422 names the seq and the reason")
    check(c.state()["stores"]["S042"]["acked_through"] == 7, "nothing of a rejected batch kept")
    c.clear_reject()
    c.rewind(6)
    s, _, body = post(conn, batch(8, 8))
    check((s, body) == (409, {"expected_seq": 6}), "rewind: data from 6 on lost")
    check([s for s, _ in c.txns("S042")] == [1, 2, 3, 4, 5], "rewind forgot 6 and 7")
    check(post(conn, batch(6, 8))[2] == {"acked_through": 8}, "resend after rewind")
    # bad input
    check(post(conn, b'{"store_id": "S042", "transactions": []}')[0] == 400, "empty batch 400")
    check(post(conn, batch(9, 9, store="S999"), store="S042")[0] == 400, "store_id mismatch 400")
    check(post(conn, batch(9, 9, store="S999"), store="S999")[0] == 403,
          "certificate of another store 403")
    big = b" " * (1024 * 1024 + 1)
    check(post(conn, big)[0] == 413, "body over 1 MiB 413")
    conn.close()
    conn = client(c, certs)
    # a cut: no answer, and with store=True the batch was kept
    c.cut_next(1, store=True)
    try:
        post(conn, batch(9, 10))
        check(False, "cut answered")
    except (http.client.HTTPException, OSError):
        pass
    check(c.state()["stores"]["S042"]["acked_through"] == 10, "cut with store kept the batch")
    conn.close()
    # heartbeat and config
    conn = client(c, certs)
    conn.request("POST", "/v1/stores/S042/heartbeat", body=b'{"state": "ok"}')
    r = conn.getresponse()
    r.read()
    check(r.status == 204, "heartbeat 2xx")
    check(c.state()["stores"]["S042"]["last_heartbeat"] == {"state": "ok"}, "heartbeat kept")
    c.set_config({"version": "v2", "settings": {"central.batch_max": 200}}, '"v2"')
    conn.request("GET", "/v1/stores/S042/config", headers={"If-None-Match": '"v1"'})
    r = conn.getresponse()
    check(r.status == 200 and r.getheader("ETag") == '"v2"' and
          json.loads(r.read())["version"] == "v2", "config 200 with ETag")
    conn.request("GET", "/v1/stores/S042/config", headers={"If-None-Match": '"v2"'})
    r = conn.getresponse()
    r.read()
    check(r.status == 304, "config 304")
    conn.close()
    # mutual TLS: a client without a certificate from the CA gets nothing
    try:
        bad = client(c, certs, cert="server-other-ca")
        post(bad, batch(11, 11))
        check(False, "foreign client certificate accepted")
    except (ssl.SSLError, OSError, http.client.HTTPException):
        pass
    harness.wait_for(lambda: c.state()["counts"].get("handshake_failed", 0) >= 1, 30,
                     "the handshake failure to be recorded")
    # down and up on the same port
    port = c.port
    c.go_down()
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        check(False, "still listening while down")
    except OSError:
        pass
    c.come_up()
    check(c.port == port, "back on the same port")
    conn = client(c, certs)
    check(post(conn, batch(11, 11))[2] == {"acked_through": 11}, "serves after coming back")
    conn.close()
    check(len([e for e in c.state()["events"] if e["kind"] == "connect"]) >= 5,
          "connection arrivals recorded")
    c.stop()
    # durable: a new stand-in on the same file has everything
    c = Central(certs, db).start()
    check([s for s, _ in c.txns("S042")] == list(range(1, 12)), "txns survive a restart")
    c.stop()


def test_program(workdir, certs):
    script = os.path.join(os.path.dirname(__file__), "..", "standins", "central.py")
    p = subprocess.Popen([sys.executable, script, "--certs", certs, "--port", "0",
                          "--control-port", "0", "--db", os.path.join(workdir, "prog.db")],
                         stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        ports = json.loads(p.stdout.readline())

        def control(method, path, doc=None):
            cc = http.client.HTTPConnection("127.0.0.1", ports["control_port"], timeout=30)
            cc.request(method, path, body=json.dumps(doc) if doc is not None else None)
            r = cc.getresponse()
            out = json.loads(r.read())
            cc.close()
            return r.status, out

        class Port:
            port = ports["port"]
        conn = client(Port, certs)
        check(post(conn, batch(1, 2))[2] == {"acked_through": 2}, "program: batch acked")
        check(control("POST", "/control", {"cmd": "fail_next", "n": 1, "status": 500})[0] == 200,
              "program: control command")
        check(post(conn, batch(3, 3))[0] == 500, "program: injected 500")
        status, txns = control("GET", "/txns?store=S042")
        check(status == 200 and [t[0] for t in txns["txns"]] == [1, 2], "program: txns listed")
        check(control("POST", "/control", {"cmd": "no_such"})[0] == 400, "program: bad command")
        conn.close()
    finally:
        p.terminate()
        check(p.wait(timeout=30) == 0, "program: clean exit on SIGTERM")


def main():
    workdir = harness.make_workdir("central-standin")
    certs = harness.make_certs(workdir)
    test_in_process(workdir, certs)
    test_program(workdir, certs)
    harness.cleanup(workdir)
    print("%d passed, %d failed" % (checks - len(failures), len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
