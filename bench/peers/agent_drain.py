#!/usr/bin/env python3
"""The agent's side of the store-and-forward comparison (bench/peers/
compare.sh): a backlog (100 000 sales by default) taken while central is
down, then central up, timed until central has the last one; with the
journal on. Twice: to the central stand-in (mutual TLS, an fdatasync per
batch: the real shape) and to the null sink (acks at once, no fsync: the
agent's own pace, as Mosquitto's central broker keeps nothing on disk).
Reuses bench/bench_drain.py. Prints "drain agent ..." and
"drain agent_sink ..." lines. Not part of ctest/CI.
Usage: bench/peers/agent_drain.py --bin build/tillsync [--txns 100000]"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bench_drain as bd  # noqa: E402

JOURNAL = {"journal": True}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--txns", type=int, default=100000)
    ap.add_argument("--batch-max", type=int, default=500)
    args = ap.parse_args()
    bd.harness.BIN = os.path.abspath(args.bin)
    root = bd.harness.make_workdir("peers-drain")
    certs = bd.harness.make_certs(root)
    wd = os.path.join(root, "standin")
    os.makedirs(wd)
    tps, mbs, elapsed, intake = bd.drain(wd, certs, args.txns, args.batch_max, JOURNAL)
    print("drain agent %.0f txns_per_s backlog %d in %.2f s (%.1f MB/s; batch_max %d; "
          "backlog taken at %.0f/s)" % (tps, args.txns, elapsed, mbs, args.batch_max, intake),
          flush=True)
    wd = os.path.join(root, "sink")
    os.makedirs(wd)
    tps, mbs, elapsed = bd.drain_to_sink(wd, certs, args.txns, args.batch_max, JOURNAL)
    print("drain agent_sink %.0f txns_per_s backlog %d in %.2f s (%.1f MB/s)"
          % (tps, args.txns, elapsed, mbs), flush=True)
    bd.harness.cleanup(root)


if __name__ == "__main__":
    main()
