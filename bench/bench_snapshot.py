#!/usr/bin/env python3
"""Benchmark (prints figures, asserts nothing): a full snapshot of a large
catalogue from the Odoo stand-in, beside the stand-in's own time to serve
the same pages to a plain client, and item look-ups per second.

  python3 bench/bench_snapshot.py [--products 100000] [--page-size 2000]
      [--bin build/tillsync]

Then a restart with the copy (a delta, not a full snapshot) and a rate
change repriced from the copy's inputs.

Goal (issue 11): the snapshot within 1.1x of the serving time (issue 4:
1.2x; measured before issue 11: 1.14x, 14.6 MiB), and no more
than 16 MiB peak RSS (VmHWM) for the agent while it does it. The serving
time is shown two ways: a plain keep-alive client fetching the same pages
before the agent starts, and the stand-in's own time spent answering the
agent during its snapshot (the two share this machine's cores).
"""
import argparse
import http.client
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import odoo_common as oc  # noqa: E402
from odoo_common import harness  # noqa: E402


def vm(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # kB
    return 0


def plain_client_time(odoo, page_size):
    """The pages the agent reads for a full snapshot, fetched over JSON-2
    with keep-alive by a client that only reads the bytes."""
    c = http.client.HTTPConnection("127.0.0.1", odoo.port, timeout=600)
    headers = {"Authorization": "bearer " + oc.KEY, "X-Odoo-Database": "retail",
               "Content-Type": "application/json"}

    def read(model, domain, fields, by_id=True, limit=page_size):
        last, total, n = 0, 0, limit
        while n == limit:
            dom = domain + ([["id", ">", last]] if by_id else [])
            body = {"domain": dom, "fields": fields, "order": "id", "limit": limit}
            c.request("POST", "/json/2/%s/search_read" % model, json.dumps(body), headers)
            data = c.getresponse().read()
            total += len(data)
            m = re.findall(rb'"id": (\d+)', data[-400:])
            n = data.count(b'"id": ') if model != "stock.quant" else data.count(b'"quantity"')
            if m:
                last = int(m[-1])
            if not by_id:
                break
        return total

    t0 = time.monotonic()
    size = read("res.company", [], ["id", "currency_id"], by_id=False, limit=1)
    size += read("product.pricelist", [["id", "=", 3]], ["id", "currency_id"], by_id=False)
    size += read("res.currency", [["id", "in", [1, 126]]], ["id", "name", "decimal_places",
                                                            "rate"], by_id=False)
    size += read("product.category", [], ["id", "parent_path"])
    size += read("product.pricelist.item", [["pricelist_id", "=", 3]],
                 ["id", "applied_on", "product_id", "product_tmpl_id", "categ_id",
                  "min_quantity", "compute_price", "fixed_price", "percent_price", "base",
                  "base_pricelist_id", "price_discount", "price_round", "price_surcharge",
                  "price_min_margin", "price_max_margin", "date_start", "date_end",
                  "write_date"])
    size += read("product.product", [["sale_ok", "=", True]],
                 ["id", "default_code", "barcode", "name", "lst_price", "categ_id",
                  "product_tmpl_id", "write_date", "active", "sale_ok"])
    size += read("stock.quant", [["location_id", "child_of", 8]],
                 ["id", "product_id", "quantity", "write_date"])
    c.close()
    return time.monotonic() - t0, size


def lookups_per_s(agent, skus, seconds=3.0):
    c = agent.conn()
    n, i = 0, 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        c.request("GET", "/v1/items/" + skus[i % len(skus)])
        r = c.getresponse()
        r.read()
        assert r.status == 200
        n += 1
        i += 7919
    single = n / (time.monotonic() - t0)
    n = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        q = "&".join("sku=" + skus[(i + k * 104729) % len(skus)] for k in range(200))
        c.request("GET", "/v1/items?" + q)
        r = c.getresponse()
        r.read()
        assert r.status == 200
        n += 200
        i += 1
    bulk = n / (time.monotonic() - t0)
    n = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:  # a quantity: tiers, line amount, rounding
        c.request("GET", "/v1/items/%s?qty=%d" % (skus[i % len(skus)], 1 + i % 50))
        r = c.getresponse()
        r.read()
        assert r.status == 200
        n += 1
        i += 7919
    qty = n / (time.monotonic() - t0)
    c.close()
    return single, bulk, qty


def restart_figures(agent, odoo, old_pid):
    """A restart with the fresh copy: a delta, not a full snapshot (issue 11);
    then a rate change repriced from the copy's inputs."""
    agent.stop()
    # deltas every 2 s; overlap 0: the stand-in wrote its whole catalogue
    # moments ago, which a window reaching 300 s back would read again
    agent.config["odoo"].update(delta_s=2, delta_overlap_s=0)
    odoo.cmd("reset_stats")
    t0 = time.monotonic()
    agent.start()
    harness.wait_for(lambda: oc.deltas_done(agent) >= 1, 600, "the first delta")
    st = odoo.cmd("stats")
    print("restart with the copy: first delta done %.2f s after the start, %d requests, "
          "%.2f MB from Odoo, full snapshots %d, peak RSS %.1f MiB" % (
              time.monotonic() - t0, sum(st["calls"].values()), st["bytes_out"] / 1e6,
              oc.fulls_done(agent), vm(agent.proc.pid, "VmHWM") / 1024.0))
    odoo.cmd("reset_stats")
    done = oc.deltas_done(agent)
    t0 = time.monotonic()
    odoo.cmd("set_rate", currency="EUR", rate=1.5)
    m = agent.wait_log(r"event=odoo\.repriced products=(\d+) why=delta from=copy", timeout=600)
    harness.wait_for(lambda: oc.deltas_done(agent) > done, 600, "the delta")
    st = odoo.cmd("stats")
    print("a rate change: %s products repriced from the copy, delta done %.2f s after the "
          "change, %.2f MB from Odoo, peak RSS %.1f MiB" % (
              m.group(1), time.monotonic() - t0, st["bytes_out"] / 1e6,
              vm(agent.proc.pid, "VmHWM") / 1024.0))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--products", type=int, default=100000)
    ap.add_argument("--page-size", type=int, default=2000)
    ap.add_argument("--bin", default=harness.BIN)
    args = ap.parse_args()
    harness.BIN = args.bin
    workdir = harness.make_workdir("bench_snapshot")
    t0 = time.monotonic()
    odoo = oc.OdooProc(products=args.products)
    print("stand-in: %d products generated in %.1f s" % (args.products, time.monotonic() - t0))
    agent = None
    try:
        serve_s, serve_bytes = plain_client_time(odoo, args.page_size)
        print("stand-in serving the snapshot's pages to a plain client: %.2f s (%.1f MB)" % (
            serve_s, serve_bytes / 1e6))
        cfg = oc.odoo_config(workdir, odoo, page_size=args.page_size, delta_s=86400,
                             full_resync_s=86400)
        agent = harness.Agent(workdir, overrides={"odoo": cfg, "log_level": "info"})
        odoo.cmd("reset_stats")
        agent.start()
        m = agent.wait_log(r"event=odoo\.snapshot_done items=(\d+) .*duration_ms=(\d+)",
                           timeout=1200)
        pid = agent.proc.pid
        hwm, rss = vm(pid, "VmHWM"), vm(pid, "VmRSS")
        items, ms = int(m.group(1)), int(m.group(2))
        mdb = os.path.join(agent.data_dir, "store", "data.mdb")
        size = os.path.getsize(mdb) if os.path.exists(mdb) else 0
        st = agent.status()["storage"]
        busy_s = odoo.cmd("stats")["service_s"]
        print("agent full snapshot: %d items in %.2f s (%.2fx the plain client's time)" % (
            items, ms / 1000.0, (ms / 1000.0) / serve_s))
        print("  the stand-in was busy answering the agent for %.2f s of it (%.2fx)" % (
            busy_s, (ms / 1000.0) / busy_s))
        print("agent peak RSS (VmHWM) %.1f MiB, RSS after %.1f MiB" % (hwm / 1024.0, rss / 1024.0))
        print("LMDB file %.1f MB, map used %s" % (size / 1e6, json.dumps(st)))
        skus = ["SKU-%06d" % i for i in range(12, args.products + 1)]
        single, bulk, qty = lookups_per_s(agent, skus)
        print("look-ups: %.0f requests/s one item each (one keep-alive Python client), "
              "%.0f items/s in bulk requests of 200, %.0f requests/s with ?qty=1..50" % (
                  single, bulk, qty))
        restart_figures(agent, odoo, pid)
    finally:
        if agent:
            agent.stop()
        odoo.stop()
        harness.cleanup(workdir)


if __name__ == "__main__":
    main()
