#!/usr/bin/env python3
"""Recovery time of the intake journal (docs/intake-journal.md): four tills
post N sales, the agent is SIGKILLed, and restarted; prints the agent's
txnlog.journal_replayed line (records past LMDB, ms) and the time from exec
to the ready line. Asserts nothing: figures only.

Usage: python3 bench/bench_replay.py [--bin build/tillsync] [--sales 36000]
       [--segment-mb 16]
"""
import argparse
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import harness  # noqa: E402


def till(agent, register, count, failures):
    conn = agent.conn()
    for n in range(count):
        status, _, _ = agent.post_txn(harness.sample_txn(n, register=register), conn=conn)
        if status != 201:
            failures.append(status)
            return


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", help="the tillsync binary (default build/tillsync)")
    ap.add_argument("--sales", type=int, default=36000)
    ap.add_argument("--segment-mb", type=int, default=16)
    a = ap.parse_args()
    if a.bin:
        harness.BIN = os.path.abspath(a.bin)
    workdir = harness.make_workdir("replay")
    agent = harness.Agent(workdir, overrides={
        "log_level": "info", "storage": {"journal": True, "journal_segment_mb": a.segment_mb}})
    try:
        agent.start()
        regs, failures = harness.REGISTERS[:4], []
        ts = [threading.Thread(target=till, args=(agent, r, a.sales // len(regs), failures))
              for r in regs]
        t0 = time.monotonic()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print("posted %d sales in %.1f s, failures %d; segments %s" % (
            a.sales, time.monotonic() - t0, len(failures),
            sorted(os.listdir(os.path.join(agent.data_dir, "journal")))))
        agent.kill()
        t0 = time.monotonic()
        agent.start()
        print("exec to ready: %.0f ms" % ((time.monotonic() - t0) * 1000))
        for line in agent.log_lines():
            if "txnlog.journal_replayed" in line:
                print(line)
        agent.stop()
    finally:
        agent.kill()
        harness.cleanup(workdir)


if __name__ == "__main__":
    main()
