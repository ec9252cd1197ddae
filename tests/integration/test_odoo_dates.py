"""A pricelist rule whose date_start passes reprices its products at that
second, and again when its date_end passes, from the inputs in memory: the
stand-in's request log shows no request at all after the full snapshot
(deltas are an hour apart here). A variant rule and a category rule.
"""
import datetime
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import odoo_common as oc  # noqa: E402
from odoo_common import harness  # noqa: E402

LEAD_S = 15  # the rules start this long after the test begins


def odoo_time(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S")


def test(workdir):
    odoo = oc.OdooProc()
    agent = None
    try:
        start = int(time.time()) + LEAD_S
        end = start + 2  # holds for the seconds start..start+2, inclusive
        odoo.cmd("add_item", item={
            "applied_on": "0_product_variant", "product_id": 11, "compute_price": "fixed",
            "fixed_price": 1.0, "date_start": odoo_time(start), "date_end": odoo_time(end)})
        odoo.cmd("add_item", item={
            "applied_on": "2_product_category", "categ_id": 7, "compute_price": "percentage",
            "percent_price": 50.0, "date_start": odoo_time(start)})
        cfg = oc.odoo_config(workdir, odoo, delta_s=3600, full_resync_s=7200)
        agent = oc.start_agent(workdir, cfg, overrides={"log_level": "info"})
        oc.wait_synced(agent)
        odoo.cmd("reset_stats")
        if time.time() < start - 1:  # else the box was too slow to see "before"
            assert oc.price(agent, "ROPE-M") == (353, "list_price")
            assert oc.price(agent, "FURN_9999") == (35935, "list_price")  # 280 x 1.2834

        harness.wait_for(lambda: oc.price(agent, "ROPE-M") == (100, "pricelist"),
                         LEAD_S + 30, "the variant rule to start")
        assert oc.price(agent, "FURN_9999") == (17968, "pricelist")  # 359.352 / 2
        harness.wait_for(lambda: oc.price(agent, "ROPE-M") == (353, "list_price"), 30,
                         "the variant rule to end")
        assert oc.price(agent, "FURN_9999") == (17968, "pricelist")  # no end: holds

        calls = odoo.calls()
        assert calls == {}, calls  # no request to Odoo: repriced from memory
        rx = re.compile(r"event=odoo\.repriced products=(\d+) why=dates")
        counts = [int(m.group(1)) for m in map(rx.search, agent.log_lines()) if m]
        # at the start: ROPE-M and the Software category's products; at the
        # end: ROPE-M alone
        assert len(counts) == 2 and counts[0] > 1 and counts[1] == 1, counts
        assert oc.deltas_done(agent) == 0 and oc.fulls_done(agent) == 1
    finally:
        if agent:
            agent.kill()
        odoo.stop()


if __name__ == "__main__":
    oc.run(test, "odoo_dates")
