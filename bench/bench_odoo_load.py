#!/usr/bin/env python3
"""Benchmark (prints figures, asserts nothing): the load one store puts on
Odoo, from the stand-in's own count of requests and bytes.

  python3 bench/bench_odoo_load.py [--products 10542] [--bulk 10000]
      [--compress 30] [--bin build/tillsync]

Time is compressed: every period of the default configuration (delta_s 60,
delta_overlap_s 300, full_resync_s 900) is divided by --compress, and what
the stand-in served is multiplied back: an idle hour runs in 3600/compress
seconds, the 10 minutes after a bulk change in 600/compress. Compression
holds as long as one delta takes less than delta_s/compress... the number of
deltas each phase saw is printed beside the number it should have seen.

Figures: one full snapshot (requests, bytes); an idle hour (deltas and the
scheduled full snapshots); the 10 minutes after a bulk change of --bulk
products (stand-in's bulk_list_price), by a second agent whose scheduled
full snapshot is out of the way, beside one full snapshot's bytes (goal:
no more than 1.5x); and what 500 stores cost one Odoo server a minute.
Bytes are request and answer bodies (HTTP heads not counted).
Baseline (issue 11, before): deltas that became full snapshots, 6.2-6.8 MB
a minute for one store after a bulk change, against 0.4-0.6 in steady state.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import odoo_common as oc  # noqa: E402
from odoo_common import harness  # noqa: E402

STORES = 500


def served(odoo):
    s = odoo.cmd("stats")
    return {"requests": sum(s["calls"].values()), "bytes": s["bytes_in"] + s["bytes_out"],
            "log": s["log"]}


def start(workdir, odoo, k, full_resync_s):
    cfg = oc.odoo_config(workdir, odoo, page_size=2000, delta_s=max(1, 60 // k),
                         delta_overlap_s=max(1, 300 // k), full_resync_s=full_resync_s,
                         resync_jitter_s=1)
    agent = harness.Agent(workdir, overrides={"odoo": cfg, "log_level": "info"})
    odoo.cmd("reset_stats")
    agent.start()
    agent.wait_log(r"event=odoo\.snapshot_done items=(\d+)", timeout=600)
    return agent


def phase(odoo, agent, seconds):
    """What the stand-in served to the agent over `seconds` of wall time."""
    d0, f0 = oc.deltas_done(agent), oc.fulls_done(agent)
    odoo.cmd("reset_stats")
    t0 = time.monotonic()
    time.sleep(seconds)  # a bench, not a test: it measures over a span of time
    out = served(odoo)
    out["wall"] = time.monotonic() - t0
    out["deltas"] = oc.deltas_done(agent) - d0
    out["fulls"] = oc.fulls_done(agent) - f0
    return out


def mb(n):
    return n / 1e6


def by_model(log, label):
    """Where the answer bytes of windowed (delta) reads went: per model and
    form (fields asked for), requests, rows and kB."""
    agg = {}
    for e in log:
        if not e["window"] and e["fields"] <= 3:
            continue  # small unwindowed reads (currencies, a pricelist)
        key = (e["model"], e["fields"], "window" if e["window"] else "by id")
        a = agg.setdefault(key, [0, 0, 0])
        a[0] += 1
        a[1] += e["rows"]
        a[2] += e.get("bytes", 0)
    print("  %s, answers by model:" % label)
    for (model, fields, how), (n, rows, b) in sorted(agg.items(), key=lambda kv: -kv[1][2])[:8]:
        print("    %-34s %2d fields %-6s %5d requests %7d rows %9.1f kB" % (
            model, fields, how, n, rows, b / 1e3))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--products", type=int, default=10542)
    ap.add_argument("--bulk", type=int, default=10000)
    ap.add_argument("--compress", type=int, default=30)
    ap.add_argument("--bin", default=harness.BIN)
    args = ap.parse_args()
    harness.BIN = args.bin
    k = args.compress
    delta_s = max(1, 60 // k)
    odoo = oc.OdooProc(products=args.products)
    agents, dirs = [], []
    try:
        # 1. one full snapshot, and an idle hour at the default periods
        dirs.append(harness.make_workdir("bench_odoo_load_idle"))
        a = start(dirs[-1], odoo, k, max(1, 900 // k))
        agents.append(a)
        full = served(odoo)
        print("stand-in: %d products; time compressed %dx (delta_s %d, overlap %d, "
              "full_resync_s %d)" % (args.products, k, delta_s, max(1, 300 // k),
                                     max(1, 900 // k)))
        print("one full snapshot: %d requests, %.2f MB" % (full["requests"], mb(full["bytes"])))
        idle = phase(odoo, a, 3600.0 / k)
        print("idle hour: %d requests, %.2f MB (%d deltas, %d scheduled full snapshots; "
              "an hour at the defaults holds 60 deltas and ~4 full snapshots)" % (
                  idle["requests"] * 3600 / k / idle["wall"],
                  mb(idle["bytes"]) * 3600 / k / idle["wall"], idle["deltas"], idle["fulls"]))
        per_delta = [(e["bytes"] if "bytes" in e else 0) for e in idle["log"] if e["window"]]
        d_req = idle["requests"] - idle["fulls"] * full["requests"]
        d_bytes = idle["bytes"] - idle["fulls"] * full["bytes"]
        print("  of which deltas: %.1f requests and %.1f kB each (%d windowed reads)" % (
            d_req / max(1, idle["deltas"]), d_bytes / 1e3 / max(1, idle["deltas"]),
            len(per_delta)))
        by_model(idle["log"], "idle hour (the first deltas follow the first full snapshot)")
        a.stop()
        agents.remove(a)

        # 2. the 10 minutes after a bulk change, deltas only (no full snapshot due)
        dirs.append(harness.make_workdir("bench_odoo_load_bulk"))
        a = start(dirs[-1], odoo, k, 86400)
        agents.append(a)
        oc.harness.wait_for(lambda: oc.deltas_done(a) >= 1, 60, "a first delta")
        # the generated catalogue leaves the window before the bulk change
        time.sleep(300.0 / k + 2 * delta_s)
        # steady state: idle deltas once the full snapshot's window has passed
        steady = phase(odoo, a, 5 * delta_s)
        print("steady idle delta (the window past the full snapshot): %.1f requests, %.2f kB "
              "each (%d deltas)" % (steady["requests"] / max(1, steady["deltas"]),
                                   steady["bytes"] / 1e3 / max(1, steady["deltas"]),
                                   steady["deltas"]))
        changed = odoo.cmd("bulk_list_price", count=args.bulk)["changed"]
        bulk = phase(odoo, a, 600.0 / k)
        rows = sum(e["rows"] for e in bulk["log"] if e["model"] == "product.template")
        ratio = bulk["bytes"] / full["bytes"]
        print("10 minutes after a bulk change of %d products: %d requests, %.2f MB = %.2fx one "
              "full snapshot (goal <= 1.5x); %d deltas (10 expected), %d full snapshots, "
              "%d template rows read" % (changed, bulk["requests"], mb(bulk["bytes"]), ratio,
                                         bulk["deltas"], bulk["fulls"], rows))
        by_model(bulk["log"], "after the bulk change")
        print("  plus the scheduled full snapshots, 600/900 of one in 10 minutes on average: "
              "%.2fx with it" % (ratio + 600.0 / 900))
        print("  per minute: %.2f MB (before issue 11: 6.2-6.8 MB/min, as full snapshots)" % (
            mb(bulk["bytes"]) / 10))
        # 3. a fleet: per minute for one Odoo server
        idle_req_min = idle["requests"] * 3600 / k / idle["wall"] / 60
        idle_mb_min = mb(idle["bytes"]) * 3600 / k / idle["wall"] / 60
        print("one store, idle: %.1f requests/min, %.3f MB/min (before: 0.4-0.6 MB/min)" % (
            idle_req_min, idle_mb_min))
        print("%d stores on one Odoo: idle %.0f requests/min, %.1f MB/min; all after the same "
              "bulk change (10 min) %.0f requests/min, %.1f MB/min" % (
                  STORES, STORES * idle_req_min, STORES * idle_mb_min,
                  STORES * bulk["requests"] / 10, STORES * mb(bulk["bytes"]) / 10))
    finally:
        for a in agents:
            a.stop()
        odoo.stop()
        for d in dirs:
            harness.cleanup(d)


if __name__ == "__main__":
    main()
