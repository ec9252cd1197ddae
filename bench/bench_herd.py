#!/usr/bin/env python3
"""Herd benchmark: prints figures, asserts nothing.

The scene of tests/integration/test_uplink_herd.py (N agents backed off to
the cap while central is down; central comes back) and the figure that test
no longer asserts: when each store's first batch after the return arrived
at central, as offsets from the return, per tenth of the back-off window,
and the first and last arrivals. The test asserts on the delays the agents
chose; this shows how those delays land on the wire.

Usage: python3 bench/bench_herd.py [--bin build/tillsync] [--agents 50]
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=None, help="the agent binary (TILLSYNC_BIN)")
    ap.add_argument("--agents", type=int, default=50)
    args = ap.parse_args()
    if args.bin:
        os.environ["TILLSYNC_BIN"] = os.path.abspath(args.bin)
    os.environ["TS_HERD_AGENTS"] = str(args.agents)
    import harness  # noqa: E402  (reads TILLSYNC_BIN on import)
    import test_uplink_herd as herd  # noqa: E402

    scene = herd.HerdTest("test_reconnects_spread_over_the_backoff_window")
    scene.setUp()
    try:
        for a in scene.agents:
            a.start()
            herd.uc.post_odd_txns(a, 1, 1)
        harness.wait_for(lambda: scene.all_acked(1), 60, "every store's first txn")
        scene.central.cmd("go_down")
        for a in scene.agents:
            herd.uc.post_odd_txns(a, 2, 1)
        harness.wait_for(lambda: all(herd.max_attempt(a) >= herd.FAILURES_AT_CAP
                                     for a in scene.agents),
                         90, "every agent to back off up to the cap", interval=0.2)
        scene.central.cmd("come_up")
        harness.wait_for(lambda: scene.all_acked(2), 60, "every store's second txn")

        events = scene.central.state()["events"]
        up_at = [e["t"] for e in events if e["kind"] == "up"][-1]
        first = {}
        for e in events:
            if (e["kind"] == "request" and e["t"] >= up_at
                    and e.get("path", "").endswith("/transactions")):
                first.setdefault(e["store"], e["t"] - up_at)
        offsets = sorted(first.values())
        window = herd.RETRY_MAX_MS / 1000.0
        slices = [0] * 10
        for d in offsets:
            slices[min(9, int(d / window * 10))] += 1
        print("agents: %d, back-off window %d-%d ms" % (args.agents, herd.RETRY_INITIAL_MS,
                                                         herd.RETRY_MAX_MS))
        print("first batches after central's return: %d stores" % len(offsets))
        print("  per tenth of the window: %s" % slices)
        print("  first at %.3f s, last at %.3f s, spread %.3f s (%.0f%% of the window)"
              % (offsets[0], offsets[-1], offsets[-1] - offsets[0],
                 100 * (offsets[-1] - offsets[0]) / window))
    finally:
        scene.tearDown()


if __name__ == "__main__":
    main()
