#!/usr/bin/env python3
"""Uplink benchmark (issue 3): prints figures, asserts nothing.

1. The central stand-in alone: a Python mTLS client posts ready-made batches
   straight to it. This is the ceiling any agent can reach against it.
2. Drain: the agent holds a backlog (100 000 txns by default) while central
   is down; central comes up; time until central has durably stored the
   last one. txns/s and MB/s of batch bodies, for batch_max 100 and 500.
   Then the same drain to a null sink (tests/standins/central_sink.py: acks
   at once, no fsync): the agent's own pace, the stand-in out of the way.
3. Idle forward: one txn at a time on an idle, online link; time from the
   POS getting its 201 to the txn being on disk at the stand-in (its
   store's add() has returned, after its fdatasync), p50/p99; the same to
   the null sink (the agent's own part); and the stand-in's own answer
   time for a one-txn batch, the floor of the first figure.

Usage: python3 bench/bench_drain.py [--bin build/tillsync] [--txns 100000]
       [--idle 300]
Everything runs on loopback with real mutual TLS and fsyncs on both sides;
the stand-in is Python (one thread per connection, an fdatasync per
batch), so compare the drain figures with the stand-in-alone figure before
blaming the agent.
"""
import argparse
import http.client
import json
import os
import platform
import ssl
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "standins"))
import harness  # noqa: E402
import uplink_common as uc  # noqa: E402
import central as central_standin  # noqa: E402
from central_sink import CentralSink  # noqa: E402


def txn_text(n):
    return json.dumps(harness.sample_txn(n))


def post_backlog(agent, total, per_post=500):
    for start in range(1, total + 1, per_post):
        texts = [txn_text(n) for n in range(start, min(start + per_post, total + 1))]
        results = uc.post_raw_batch(agent, texts)
        bad = [r for r in results if r["status"] != 201]
        if bad:
            raise SystemExit("intake refused txns: %s" % bad[:3])


def metric(agent, name):
    _, _, text = agent.request("GET", "/metrics")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def client_context(certs):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(os.path.join(certs, "ca.pem"))
    ctx.load_cert_chain(os.path.join(certs, "store.pem"), os.path.join(certs, "store.key"))
    return ctx


def percentiles(lat):
    lat = sorted(lat)
    return lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))], lat[-1]


def standin_alone(workdir, certs, total, batch):
    """Posts batches of pre-built txns to the stand-in directly. Returns
    txns/s, MB/s and the answer times (ms) of the batches."""
    central = uc.CentralProc(workdir, certs)
    ctx = client_context(certs)
    bodies = []
    for start in range(1, total + 1, batch):
        items = ['{"seq":%d,"received_at":"2026-11-25T10:00:00.000Z","txn":%s}' % (n, txn_text(n))
                 for n in range(start, min(start + batch, total + 1))]
        bodies.append(('{"store_id":"S042","agent_version":"bench","transactions":[%s]}'
                       % ",".join(items)).encode())
    conn = http.client.HTTPSConnection("127.0.0.1", central.port, context=ctx, timeout=60)
    lat = []
    t0 = time.monotonic()
    for body in bodies:
        t = time.monotonic()
        conn.request("POST", "/v1/stores/S042/transactions", body,
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        lat.append((time.monotonic() - t) * 1000)
        if r.status != 200:
            raise SystemExit("stand-in answered %d" % r.status)
    elapsed = time.monotonic() - t0
    conn.close()
    central.stop()
    return total / elapsed, sum(map(len, bodies)) / elapsed / 1e6, lat


def drain(workdir, certs, total, batch_max, storage=None):
    central = uc.CentralProc(workdir, certs, down=True)
    agent = uc.agent_for(workdir, certs, central, {
        "central": {"batch_max": batch_max, "retry_initial_ms": 10, "retry_max_ms": 20},
        "storage": dict({"map_size_mb": 1024}, **(storage or {})), "log_level": "info"})
    agent.start()
    t0 = time.monotonic()
    post_backlog(agent, total)
    intake_s = time.monotonic() - t0
    bytes_before = metric(agent, "tillsync_uplink_bytes_sent_total")
    t0 = time.monotonic()
    central.cmd("come_up")
    harness.wait_for(lambda: central.acked_through() >= total, 1800, "the drain",
                     interval=0.05)
    elapsed = time.monotonic() - t0
    sent = metric(agent, "tillsync_uplink_bytes_sent_total") - bytes_before
    agent.stop()
    central.stop()
    return total / elapsed, sent / elapsed / 1e6, elapsed, total / intake_s


class _SinkAddress:
    """Stands for a central that is down: a port nothing listens on yet."""

    def __init__(self):
        s = __import__("socket").create_server(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()

    def url(self):
        return "https://127.0.0.1:%d" % self.port


def drain_to_sink(workdir, certs, total, batch_max, storage=None):
    """The same drain against central_sink.py (acks at once, no fsync): the
    agent's own pace, with the Python stand-in out of the way."""
    addr = _SinkAddress()
    agent = uc.agent_for(workdir, certs, addr, {
        "central": {"batch_max": batch_max, "retry_initial_ms": 10, "retry_max_ms": 20},
        "storage": dict({"map_size_mb": 1024}, **(storage or {})), "log_level": "info"})
    agent.start()
    post_backlog(agent, total)
    t0 = time.monotonic()
    sink = CentralSink(certs, port=addr.port).start()
    if not sink.wait_seq(total, 1800):
        raise SystemExit("the sink never got seq %d" % total)
    elapsed = time.monotonic() - t0
    agent.stop()
    sink.stop()
    return total / elapsed, sink.bytes / elapsed / 1e6, elapsed


def forward_latency(agent, count, arrived, arrived_at=None):
    """Posts count txns one at a time on an idle link; for each, the time
    from its 201 until arrived(seq) is true, or until arrived_at(seq) when
    the arrival is time-stamped where it happens (ms, never below 0)."""
    conn = agent.conn()
    lat = []
    for n in range(1, count + 1):
        status, _, body = agent.post_txn(harness.sample_txn(n), conn=conn)
        t201 = time.monotonic()
        assert status == 201, (status, body)
        deadline = t201 + 10
        while not arrived(body["seq"]):
            if time.monotonic() > deadline:
                raise SystemExit("seq %d never reached central" % body["seq"])
            time.sleep(0.0002)
        t = arrived_at(body["seq"]) if arrived_at else time.monotonic()
        lat.append(max(0.0, t - t201) * 1000)
        time.sleep(0.01)  # keep the link idle between txns (bench pacing, not sync)
    conn.close()
    return percentiles(lat)


def idle_latency(workdir, certs, count):
    """201 -> the stand-in has the txn on disk. The stand-in runs in this
    process so the moment its store's add() returns (after its fdatasync)
    is read on the same clock as the 201."""
    central = central_standin.Central(certs, os.path.join(workdir, "central.jsonl")).start()
    durable_at = {}
    add = central.store.add

    def timed_add(store_id, rows):
        add(store_id, rows)
        now = time.monotonic()
        for seq, _ in rows:
            durable_at[seq] = now
    central.store.add = timed_add
    agent = uc.agent_for(workdir, certs, central, {"log_level": "info"})
    agent.start()
    result = forward_latency(agent, count, lambda seq: seq in durable_at,
                             lambda seq: durable_at[seq])
    agent.stop()
    central.stop()
    return result


def idle_latency_sink(workdir, certs, count):
    """201 -> the null sink has read the batch: the agent's own part."""
    sink = CentralSink(certs).start()
    agent = uc.agent_for(workdir, certs, sink, {"log_level": "info"})
    agent.start()
    result = forward_latency(agent, count, lambda seq: sink.last_seq >= seq)
    agent.stop()
    sink.stop()
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get("TILLSYNC_BIN") or harness.BIN)
    ap.add_argument("--txns", type=int, default=100000)
    ap.add_argument("--idle", type=int, default=300)
    args = ap.parse_args()
    harness.BIN = os.path.abspath(args.bin)
    root = harness.make_workdir("bench-drain")
    certs = harness.make_certs(root)
    print("bench_drain: %s, %d cpus, Python %s, binary %s" % (
        platform.platform(), os.cpu_count(), platform.python_version(), harness.BIN))
    print("txn size ~%d bytes of JSON" % len(txn_text(1)))

    for batch in (100, 500):
        wd = os.path.join(root, "alone-%d" % batch)
        os.makedirs(wd)
        tps, mbs, _ = standin_alone(wd, certs, min(args.txns, 20000), batch)
        print("stand-in alone, batches of %3d: %8.0f txns/s  %6.1f MB/s   (ceiling of the "
              "Python stand-in)" % (batch, tps, mbs))
    for batch_max in (100, 500):
        wd = os.path.join(root, "drain-%d" % batch_max)
        os.makedirs(wd)
        tps, mbs, elapsed, intake = drain(wd, certs, args.txns, batch_max)
        print("agent drain, batch_max %3d:    %8.0f txns/s  %6.1f MB/s   (%d txns in %.1f s; "
              "intake of the backlog ran at %.0f txns/s)"
              % (batch_max, tps, mbs, args.txns, elapsed, intake))
    for batch_max in (100, 500):
        wd = os.path.join(root, "sink-%d" % batch_max)
        os.makedirs(wd)
        tps, mbs, elapsed = drain_to_sink(wd, certs, args.txns, batch_max)
        print("agent drain to a null sink, batch_max %3d: %8.0f txns/s  %6.1f MB/s   (%d txns "
              "in %.1f s; the agent's own pace, sink acks at once)"
              % (batch_max, tps, mbs, args.txns, elapsed))
    wd = os.path.join(root, "idle")
    os.makedirs(wd)
    p50, p99, worst = idle_latency(wd, certs, args.idle)
    print("idle forward, 201 -> on disk at the stand-in (%d txns): p50 %.1f ms  p99 %.1f ms  "
          "max %.1f ms" % (args.idle, p50, p99, worst))
    wd = os.path.join(root, "idle-sink")
    os.makedirs(wd)
    p50, p99, worst = idle_latency_sink(wd, certs, args.idle)
    print("idle forward, 201 -> read by the null sink (%d txns):  p50 %.1f ms  p99 %.1f ms  "
          "max %.1f ms   (the agent's own part)" % (args.idle, p50, p99, worst))
    wd = os.path.join(root, "alone-1")
    os.makedirs(wd)
    _, _, lat = standin_alone(wd, certs, args.idle, 1)
    p50, p99, worst = percentiles(lat)
    print("stand-in alone, one-txn batch answered (%d): p50 %.1f ms  p99 %.1f ms  max %.1f ms   "
          "(its commit + fsync, the floor of the first figure)" % (args.idle, p50, p99, worst))
    harness.cleanup(root)


if __name__ == "__main__":
    main()
