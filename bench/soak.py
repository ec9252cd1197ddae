#!/usr/bin/env python3
"""Soak (issue 13): the agent under steady sales for hours, central flapping.

Tills post sales over keep-alive connections as fast as the agent answers
(or at --rate per till); the central stand-in goes down and comes back every
--flap seconds (half the period down); acked sales are pruned after
--retention-s. Every --every seconds one line is printed:

    t=  120s anon=  5.8MB file=  3.1MB fds= 17 map=  4.2MB (0.4%) sales=  51234 p99=  3.1ms

anon and file are RssAnon and RssFile from /proc/PID/status (heap growth
shows in anon; the LMDB map, being a file mapping, in file), fds the
entries of /proc/PID/fd, map the LMDB pages in use (/metrics), p99 the
POST latency over the interval as the tills saw it. Nothing is asserted:
tests/integration/test_soak_short.py runs it for 90 s and checks that anon,
fds and map stop growing.

Usage: python3 bench/soak.py [--bin build/tillsync] [--duration-s 14400]
       [--every 60] [--tills 4] [--rate 0] [--flap 60] [--retention-s 300]
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402
import uplink_common as uc  # noqa: E402


def proc_figures(pid):
    """(RssAnon bytes, RssFile bytes, open fds) of a live process."""
    anon = file_ = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                anon = int(line.split()[1]) * 1024
            elif line.startswith("RssFile:"):
                file_ = int(line.split()[1]) * 1024
    return anon, file_, len(os.listdir("/proc/%d/fd" % pid))


class Till(threading.Thread):
    """Posts sales on one keep-alive connection; keeps each latency."""

    def __init__(self, agent, register, rate, stop):
        super().__init__(daemon=True)
        self.agent, self.register, self.rate, self.stop = agent, register, rate, stop
        self.lock = threading.Lock()
        self.latencies = []  # since the last take()
        self.sales = 0
        self.failures = []

    def take(self):
        with self.lock:
            out, self.latencies = self.latencies, []
            return out

    def run(self):
        conn, n = None, 0
        headers = {"Content-Type": "application/json",
                   "Authorization": "Bearer " + harness.token_for(self.register)}
        while not self.stop.is_set():
            n += 1
            body = json.dumps(harness.sample_txn(n, register=self.register))
            t0 = time.monotonic()
            try:
                conn = conn or http.client.HTTPConnection("127.0.0.1", self.agent.port,
                                                          timeout=30)
                conn.request("POST", "/v1/transactions", body=body, headers=headers)
                r = conn.getresponse()
                r.read()
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                status = repr(e)
                conn.close()
                conn = None
            took = time.monotonic() - t0
            with self.lock:
                if status == 201:
                    self.sales += 1
                    self.latencies.append(took)
                else:
                    self.failures.append((n, status))
            if self.rate:
                self.stop.wait(max(0.0, 1.0 / self.rate - took))
        if conn:
            conn.close()


def flapper(central, period, stop):
    while not stop.wait(period / 2):
        central.cmd("go_down")
        if stop.wait(period / 2):
            break
        central.cmd("come_up")
    central.cmd("come_up")


def map_used(agent):
    status, _, text = agent.request("GET", "/metrics")
    if status != 200:
        return 0, 0.0
    m = harness.Scrape(text)
    # LMDB's own pages: the journal's unfolded sales (counted in
    # map_used_bytes) come and go with each fold, bounded by the segment
    return (m.value("tillsync_storage_lmdb_used_bytes",
                    m.value("tillsync_storage_map_used_bytes", 0)),
            m.value("tillsync_storage_map_used_percent", 0.0))


def p99(lat):
    if not lat:
        return float("nan")
    lat = sorted(lat)
    return lat[min(len(lat) - 1, int(len(lat) * 0.99))]


def soak(duration_s, every_s, tills=4, rate=0.0, flap_s=60.0, retention_s=300.0, out=sys.stdout):
    """Runs the soak; returns the samples (dicts) and the tills' failures.
    The agent's fd limit and memory are its own (nothing is raised)."""
    workdir = harness.make_workdir("soak")
    certs = harness.make_certs(workdir)
    central = uc.CentralProc(workdir, certs)
    agent = uc.agent_for(workdir, certs, central, {
        "log_level": "info", "storage": {"acked_retention_h": retention_s / 3600.0}})
    # A sanitized build's freed-memory quarantine would read as growth.
    agent.env = dict(os.environ, ASAN_OPTIONS="quarantine_size_mb=4:" +
                     os.environ.get("ASAN_OPTIONS", ""))
    samples, failures = [], []
    stop = threading.Event()
    try:
        agent.start()
        pid = agent.proc.pid
        ts = [Till(agent, r, rate, stop) for r in harness.REGISTERS[:tills]]
        for t in ts:
            t.start()
        flap = threading.Thread(target=flapper, args=(central, flap_s, stop), daemon=True)
        flap.start()
        t_start = time.monotonic()
        next_at = t_start + every_s
        while True:
            now = time.monotonic()
            if stop.wait(max(0.0, next_at - now)):
                break
            next_at += every_s
            anon, file_, fds = proc_figures(pid)
            used, pct = map_used(agent)
            lat = [x for t in ts for x in t.take()]
            s = {"t": time.monotonic() - t_start, "anon": anon, "file": file_, "fds": fds,
                 "map_used": used, "map_pct": pct, "sales": sum(t.sales for t in ts),
                 "p99_ms": p99(lat) * 1000}
            samples.append(s)
            print("t=%6.0fs anon=%6.1fMB file=%6.1fMB fds=%3d map=%6.1fMB (%.1f%%) "
                  "sales=%8d p99=%6.1fms" % (s["t"], anon / 1e6, file_ / 1e6, fds, used / 1e6,
                                              pct, s["sales"], s["p99_ms"]), file=out,
                  flush=True)
            if s["t"] >= duration_s:
                break
        stop.set()
        for t in ts:
            t.join(60)
            failures.extend(t.failures)
        flap.join(60)
        code = agent.stop()
        if code != 0:
            failures.append(("agent exit", code))
    finally:
        stop.set()
        agent.kill()
        central.stop()
        harness.cleanup(workdir)
    return samples, failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", help="the tillsync binary (default build/tillsync)")
    ap.add_argument("--duration-s", type=float, default=4 * 3600)
    ap.add_argument("--every", type=float, default=60)
    ap.add_argument("--tills", type=int, default=4)
    ap.add_argument("--rate", type=float, default=0, help="sales/s per till; 0: flat out")
    ap.add_argument("--flap", type=float, default=60, help="central down/up period, s")
    ap.add_argument("--retention-s", type=float, default=300)
    a = ap.parse_args()
    if a.bin:
        harness.BIN = os.path.abspath(a.bin)
    _, failures = soak(a.duration_s, a.every, a.tills, a.rate, a.flap, a.retention_s)
    print("failed POSTs: %d %s" % (len(failures), failures[:5]))


if __name__ == "__main__":
    main()
