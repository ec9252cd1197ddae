"""The copy keeps Odoo's raw records (odoo-sync.md "When", "At start"): a
restart with a fresh copy reads a delta, not a full snapshot, and prices
as before; changes made in Odoo while the agent was down (a rate, a
category moved, a rule moved) are repriced by that delta from the inputs
kept in the copy; a copy older than full_resync_s, or one made for another
location, pricelist or database, is replaced by a full snapshot.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import odoo_common as oc  # noqa: E402
from odoo_common import harness  # noqa: E402

SKUS = ["FURN_7777", "FURN_8888", "FURN_9999", "FURN_7800", "E-COM06", "E-COM12", "E-COM13",
        "ROPE-M", "SKU-000012", "SKU-000013", "SKU-000040"]
# Asked for by a full snapshot only (a delta reads by write_date).
FULL_ONLY = ("res.company", "uom.uom", "decimal.precision")


def prices(agent):
    out = {}
    for sku in SKUS:
        status, body = oc.item(agent, sku)
        assert status == 200, (sku, status, body)
        out[sku] = (body["price"], body["name"])
    return out


def asked(odoo):
    """Models the stand-in was asked for since reset_stats, and how often."""
    n = {}
    for e in odoo.cmd("stats")["log"]:
        n[e["model"]] = n.get(e["model"], 0) + 1
    return n


def product_rows(odoo):
    return sum(e["rows"] for e in odoo.cmd("stats")["log"] if e["model"] == "product.product")


def deltas_failed(agent):
    return oc.metric(agent, "tillsync_odoo_syncs_total", 'kind="delta",result="failed"') or 0


def restart(agent, odoo, **cfg):
    assert agent.stop() == 0, "the agent did not stop cleanly"
    agent.config["odoo"].update(cfg)
    odoo.cmd("reset_stats")
    agent.start()


def wait_delta_only(agent, odoo):
    """A delta completed after the restart, and no full snapshot."""
    harness.wait_for(lambda: oc.deltas_done(agent) >= 1, 30, "a delta after the restart")
    assert oc.fulls_done(agent) == 0, "a full snapshot after a restart with a fresh copy"
    n = asked(odoo)
    assert not any(m in n for m in FULL_ONLY), n
    agent.wait_log(r"event=odoo\.start first=delta")


def test(workdir):
    odoo = oc.OdooProc()
    agent = None
    try:
        # overlap 0: a delta reads only what changed since the last read began
        agent = oc.start_agent(workdir, oc.odoo_config(workdir, odoo, delta_overlap_s=0))
        oc.wait_synced(agent)
        harness.wait_for(lambda: oc.deltas_done(agent) >= 1, 30, "a first delta")
        before = prices(agent)
        full_at = oc.odoo_status(agent)["last_full_at"]

        # 1. A fresh copy: a delta, the same prices, the same full snapshot.
        restart(agent, odoo)
        wait_delta_only(agent, odoo)
        assert prices(agent) == before
        assert oc.odoo_status(agent)["last_full_at"] == full_at

        # 2. Changes while the agent is down: the delta after the restart
        # reprices them from the copy's inputs (the pricelist items, the
        # categories and the currencies were kept), reading no product.
        # A rate: every price again; the chairs (category 11 under 8) keep the
        # category 8 rule only if the categories' paths were kept.
        assert agent.stop() == 0
        odoo.cmd("set_rate", currency="EUR", rate=1.5)
        restart(agent, odoo)
        wait_delta_only(agent, odoo)
        harness.wait_for(lambda: oc.price(agent, "ROPE-M") == (413, "list_price"), 30,
                         "the new rate")  # 2.75 x 1.5 = 4.125 -> 4.13
        assert oc.price(agent, "E-COM12") == (4454, "pricelist")  # 33 x 1.5 x 0.9 - 0.01
        assert product_rows(odoo) < 20, "repriced from the copy, not read again"
        # A category moved and a rule moved.
        assert agent.stop() == 0
        odoo.cmd("move_category", categ_id=11, parent_id=9)  # the chairs leave the 8 rule
        odoo.cmd("set_item", id=1, fields={"product_id": 3, "product_tmpl_id": 3})
        restart(agent, odoo)
        wait_delta_only(agent, odoo)
        harness.wait_for(lambda: oc.price(agent, "E-COM12") == (4950, "list_price"), 30,
                         "the chairs out of the category 8 rule")  # 33 x 1.5
        assert oc.price(agent, "E-COM13") == (5910, "list_price")  # 39.4 x 1.5
        assert oc.price(agent, "FURN_8888") == (1299, "pricelist")  # the moved rule
        assert oc.price(agent, "FURN_7777") == (9449, "pricelist")  # 70 x 1.5 x 0.9 - 0.01
        assert product_rows(odoo) < 20, "repriced from the copy, not read again"
        agent.wait_log(r"event=odoo\.repriced products=\d+ why=delta from=copy")

        # A delta cut short after it read a changed rule (the category 8
        # formula, 10 % -> 20 % off): the retry reprices although the rule
        # now looks unchanged to it.
        failed = deltas_failed(agent)
        odoo.cmd("fail_next", model="product.template.attribute.value", kind="error")
        odoo.cmd("set_item", id=5, fields={"price_discount": 20.0})
        harness.wait_for(lambda: deltas_failed(agent) > failed, 30, "a delta to fail")
        harness.wait_for(lambda: oc.price(agent, "FURN_7777") == (8399, "pricelist"), 30,
                         "the rule's products repriced")  # 70 x 1.5 x 0.8 - 0.01
        # The same, and the agent killed before a delta completes: the rule
        # was not stored with the copy, so the delta after the restart finds
        # it changed again.
        failed = deltas_failed(agent)
        odoo.cmd("fail_next", model="product.template.attribute.value", kind="error")
        odoo.cmd("set_item", id=5, fields={"price_discount": 30.0})
        harness.wait_for(lambda: deltas_failed(agent) > failed, 30, "a delta to fail")
        agent.kill()
        odoo.cmd("reset_stats")
        agent.start()
        harness.wait_for(lambda: oc.price(agent, "FURN_7777") == (7349, "pricelist"), 30,
                         "the rule's products repriced after the restart")  # x 0.7 - 0.01
        after = prices(agent)

        # 3. A copy older than full_resync_s: a full snapshot. A rule deleted
        # in Odoo meanwhile (the category 8 formula) is not in its version,
        # nor in the inputs kept with it.
        agent.stop()
        odoo.cmd("delete_item", id=5)
        restart(agent, odoo, full_resync_s=1)
        agent.wait_log(r"event=odoo\.start first=full why=\"the copy's last full snapshot is "
                       r"older than odoo\.full_resync_s\"")
        harness.wait_for(lambda: oc.fulls_done(agent) >= 1, 30, "a full snapshot")
        assert "res.company" in asked(odoo)
        assert oc.price(agent, "FURN_7777") == (10500, "list_price")  # 70 x 1.5, no rule
        assert oc.price(agent, "FURN_8888") == (1299, "pricelist")
        after = prices(agent)

        # 4. Another location: a full snapshot, even with a fresh copy.
        restart(agent, odoo, full_resync_s=3600, location_id=7)
        agent.wait_log(r"event=odoo\.start first=full why=\"the copy is of another Odoo")
        harness.wait_for(lambda: oc.fulls_done(agent) >= 1, 30, "a full snapshot")
        assert prices(agent) == after

        # 5. No pricelist any more: a full snapshot, list prices.
        restart(agent, odoo, pricelist_id=0)
        agent.wait_log(r"event=odoo\.start first=full why=\"the copy is of another Odoo")
        harness.wait_for(lambda: oc.fulls_done(agent) >= 1, 30, "a full snapshot")
        assert oc.price(agent, "FURN_8888") == (4000, "list_price"), oc.price(agent, "FURN_8888")

        # 6. Another database: the copy is not used to decide (the stand-in
        # knows one database: the full snapshot it asks for fails).
        restart(agent, odoo, pricelist_id=3, db="retail2")
        agent.wait_log(r"event=odoo\.start first=full why=\"the copy is of another Odoo")

        # 7. Back to the first settings, the copy just made: a delta again.
        restart(agent, odoo, db="retail", location_id=8)
        agent.wait_log(r"event=odoo\.start first=full")  # the copy was for no pricelist
        harness.wait_for(lambda: oc.fulls_done(agent) >= 1, 30, "a full snapshot")
        restart(agent, odoo)
        wait_delta_only(agent, odoo)
        assert prices(agent) == after
        # the deleted rule did not come back with the kept inputs: a rate
        # change reprices every product from them
        odoo.cmd("set_rate", currency="EUR", rate=2.0)
        harness.wait_for(lambda: oc.price(agent, "FURN_7777") == (14000, "list_price"), 30,
                         "the rate repriced without the deleted rule")  # 70 x 2
    finally:
        if agent:
            agent.kill()
        odoo.stop()


if __name__ == "__main__":
    oc.run(test, "odoo_restart")
