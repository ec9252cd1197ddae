#!/usr/bin/env python3
"""The one table of bench/peers/compare.sh, from the outputs it saved in
DIR (flush, agent, pg, mqtt, drain, rounds). Figures only.
Usage: bench/peers/summary.py DIR"""
import os
import re
import statistics
import sys


def lines(d, name):
    p = os.path.join(d, name)
    return open(p).read().splitlines() if os.path.exists(p) else []


def agent_rows(text, prefix=""):
    """{label: {clients: (per_s, bytes_per_sale, fsyncs_per_sale, per_group)}}"""
    rows = {}
    for ln in text:
        f = ln.split()
        if prefix:
            if not f or f[0] != prefix:
                continue
            f = f[1:]
        if len(f) == 7 and f[1].isdigit() and re.match(r"^[\d.]+$", f[2]):
            rows.setdefault(f[0], {})[int(f[1])] = tuple(float(x) for x in (f[2], f[4], f[5], f[6]))
    return rows


def ratio(a, b):
    return "%.2f" % (a / b) if a and b else "-"


def main():
    d = sys.argv[1]
    flush = {f[1]: float(f[2]) for f in (ln.split() for ln in lines(d, "flush"))
             if len(f) >= 3 and f[0] == "flush"}
    agent = agent_rows(lines(d, "agent"))
    raw = [float(m.group(1)) for ln in lines(d, "agent")
           for m in [re.search(r"raw fdatasync rate \(4 KiB writes\): (\d+)", ln)] if m]
    pg = {int(f[1]): float(f[2]) for f in (ln.split() for ln in lines(d, "pg"))
          if len(f) == 3 and f[0] == "pg" and f[1].isdigit()}
    mq = {int(f[1]): float(f[2]) for f in (ln.split() for ln in lines(d, "mqtt"))
          if len(f) == 3 and f[0] == "mqtt" and f[1].isdigit()}
    a, b = agent.get("agent", {}), agent.get("before", {})
    print("\n== agent (journal on) beside PostgreSQL 15 and Mosquitto 2.0, sales/s ==")
    print("%-8s %9s %9s %9s %9s %9s %10s %10s" % ("clients", "agent", "before", "PG", "Mosquitto",
                                                    "agent÷PG", "before÷PG", "agent÷MQTT"))
    for c in (1, 8, 64):
        av, bv = a.get(c, (0,))[0], b.get(c, (0,))[0]
        print("%-8d %9.0f %9.0f %9.0f %9.0f %9s %10s %10s" % (
            c, av, bv, pg.get(c, 0), mq.get(c, 0), ratio(av, pg.get(c)), ratio(bv, pg.get(c)),
            ratio(av, mq.get(c))))
    rounds = lines(d, "rounds")
    ra, rb, rp, rr = [], [], [], []
    for r in sorted({ln.split()[0] for ln in rounds if ln.strip()}):
        mine = [ln for ln in rounds if ln.split()[:1] == [r]]
        got = agent_rows(mine, r)
        p = [float(ln.split()[3]) for ln in mine if ln.split()[1:3] == ["pg", "1"]]
        if "agent" in got and p:
            ra.append(got["agent"][1][0])
            rp.append(p[0])
            rr.append(ra[-1] / p[0])
            if "before" in got:
                rb.append(got["before"][1][0])
    if rr:
        print("1 client, %d alternating rounds (median; per-round agent÷PG %s):" % (
            len(rr), " ".join("%.2f" % x for x in rr)))
        print("%-8s %9.0f %9s %9.0f %9s %9.2f %10s" % (
            "1", statistics.median(ra), "%.0f" % statistics.median(rb) if rb else "-",
            statistics.median(rp), "", statistics.median(rr),
            "%.2f" % statistics.median([x / y for x, y in zip(rb, rp)]) if rb else "-"))
    print("\n== the disk: one flush per write, writes/s (median of 3 x 1 s) ==")
    for k, v in flush.items():
        print("  %-22s %7.0f" % (k, v))
    if raw:
        print("  bench_io's probe (4 KiB + fdatasync): %s" % " ".join("%.0f" % x for x in raw))
    ceiling = flush.get("journal400")
    if ceiling and rp:
        best = max(flush.values())
        for what, pgv, av in (("alternating rounds' medians", statistics.median(rp),
                               statistics.median(ra)),
                              ("best round for PG", max(rp), ra[rp.index(max(rp))]),
                              ("first pass", pg.get(1, 0), a.get(1, (0,))[0])):
            print("  %s: PG at 1 client %.0f = %.2f of the journal's ceiling (%.2f of the best "
                  "mode); agent %.0f = %.2f; 1.3 x PG = %.2f of the ceiling"
                  % (what, pgv, pgv / ceiling, pgv / best, av, av / ceiling, 1.3 * pgv / ceiling))
    print("\n== bytes written and fdatasyncs ==")
    for lab, rows in (("agent", a), ("before", b)):
        if rows:
            print("  %-7s bytes/sale at 1 client %.0f, at 16 %.0f; fdatasyncs per group at 1, 8, "
                  "16, 64 clients: %s" % (lab, rows.get(1, (0, 0))[1], rows.get(16, (0, 0))[1],
                                          " ".join("%.2f" % (r[2] * r[3]) if r[2] >= 0 else "-"
                                                   for r in (rows.get(c, (0, 0, 0, 0))
                                                             for c in (1, 8, 16, 64)))))
    print("\n== store-and-forward: a backlog drained to central ==")
    for ln in lines(d, "drain") + [x for x in lines(d, "mqtt") if x.startswith("mqtt drain")]:
        print("  " + ln)
    ag = [float(ln.split()[2]) for ln in lines(d, "drain") if ln.startswith("drain agent_sink ")]
    mqd = [float(ln.split()[2]) for ln in lines(d, "mqtt") if ln.startswith("mqtt drain ")]
    if ag and mqd:
        print("  agent (null sink) ÷ Mosquitto bridge: %.2f" % (ag[0] / mqd[0]))
    for ln in lines(d, "mqtt"):
        if ln.startswith("mqtt sigkill"):
            print("\n" + ln)


if __name__ == "__main__":
    main()
