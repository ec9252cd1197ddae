"""50 agents started together against one Odoo spread their first full
reads over odoo.resync_jitter_s: asserted on the spread of the first-read
times the stand-in logged, relative to the window (no wall-clock limit).
Tiny catalogues keep it light.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import odoo_common as oc  # noqa: E402
from odoo_common import harness  # noqa: E402

AGENTS = 50
WINDOW_S = 10


def test(workdir):
    odoo = oc.OdooProc(products=12)
    agents = []
    try:
        certs = harness.make_certs(workdir)
        for i in range(AGENTS):
            d = os.path.join(workdir, "a%02d" % i)
            os.makedirs(d)
            cfg = oc.odoo_config(d, odoo, resync_jitter_s=WINDOW_S, delta_s=3600)
            agents.append(harness.Agent(d, certs=certs, overrides={"odoo": cfg,
                                                                   "log_level": "info"}))
        for a in agents:
            a.start(wait=False)
        for a in agents:
            a.wait_ready()
        # Each first full snapshot begins with one res.company read.
        def firsts():
            t = [e["t"] for e in odoo.cmd("stats")["log"] if e["model"] == "res.company"]
            return t if len(t) >= AGENTS else None
        times = sorted(harness.wait_for(firsts, 3 * WINDOW_S + 60, "50 first reads"))
        spread = times[-1] - times[0]
        per_second = {}
        for t in times:
            per_second[int(t - times[0])] = per_second.get(int(t - times[0]), 0) + 1
        print("first reads: spread %.1f s over a %d s window; most in one second: %d"
              % (spread, WINDOW_S, max(per_second.values())))
        assert spread >= WINDOW_S / 2, (spread, times)
        assert max(per_second.values()) <= AGENTS // 3, per_second
    finally:
        for a in agents:
            a.kill()
        odoo.stop()


if __name__ == "__main__":
    oc.run(test, "odoo_herd")
