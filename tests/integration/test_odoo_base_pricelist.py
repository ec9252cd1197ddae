"""A rule of a pricelist the store's is based on (item base "pricelist",
read recursively) changes: one delta reprices exactly the products it can
price, from the inputs kept in the copy (no product read from Odoo), after
a restart too.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(__file__))
import odoo_common as oc  # noqa: E402
from odoo_common import harness  # noqa: E402


def repriced(agent, why):
    """Products each local reprice of this kind priced, in log order."""
    rx = re.compile(r"event=odoo\.repriced products=(\d+) why=%s" % why)
    return [int(m.group(1)) for m in map(rx.search, agent.log_lines()) if m]


def test(workdir):
    odoo = oc.OdooProc()
    agent = None
    try:
        # pricelist 4 (USD) prices ROPE-M at 2.00; the store's (3, EUR) takes
        # that price as its base for ROPE-M; 4 is itself based on 5 for the
        # bottle of water (a chain of two)
        odoo.cmd("add_pricelist", id=4, currency_id=1)
        odoo.cmd("add_pricelist", id=5, currency_id=1)
        base = odoo.cmd("add_item", item={
            "pricelist_id": 4, "applied_on": "0_product_variant", "product_id": 11,
            "compute_price": "fixed", "fixed_price": 2.0, "currency_id": 1})["id"]
        odoo.cmd("add_item", item={
            "pricelist_id": 3, "applied_on": "0_product_variant", "product_id": 11,
            "compute_price": "formula", "base": "pricelist", "base_pricelist_id": 4})
        odoo.cmd("add_item", item={
            "pricelist_id": 3, "applied_on": "0_product_variant", "product_id": 4,
            "compute_price": "formula", "base": "pricelist", "base_pricelist_id": 4})
        odoo.cmd("add_item", item={
            "pricelist_id": 4, "applied_on": "0_product_variant", "product_id": 4,
            "compute_price": "formula", "base": "pricelist", "base_pricelist_id": 5,
            "price_discount": 50.0, "currency_id": 1})
        deep = odoo.cmd("add_item", item={
            "pricelist_id": 5, "applied_on": "0_product_variant", "product_id": 4,
            "compute_price": "fixed", "fixed_price": 1.0, "currency_id": 1})["id"]

        agent = oc.start_agent(workdir, oc.odoo_config(workdir, odoo))
        oc.wait_synced(agent)
        harness.wait_for(lambda: oc.deltas_done(agent) >= 1, 30, "a first delta")
        fulls = oc.fulls_done(agent)
        # 2.00 USD x 1.2834 = 2.5668 -> 2.57 EUR
        assert oc.price(agent, "ROPE-M") == (257, "pricelist"), oc.price(agent, "ROPE-M")
        # 1.00 USD (list 5), half of it in list 4, x 1.2834 = 0.6417 -> 0.64 EUR
        assert oc.price(agent, "FURN_9999") == (64, "pricelist")
        other = oc.price(agent, "E-COM12")  # a category rule: untouched

        odoo.cmd("reset_stats")
        n_before = len(repriced(agent, "delta"))
        odoo.cmd("set_item", id=base, fields={"fixed_price": 3.0})
        oc.wait_next_delta(agent)
        assert oc.price(agent, "ROPE-M") == (385, "pricelist")  # 3.8502
        assert oc.price(agent, "FURN_9999") == (64, "pricelist")

        # two lists down: the rule of list 5
        odoo.cmd("set_item", id=deep, fields={"fixed_price": 2.0})
        oc.wait_next_delta(agent)
        assert oc.price(agent, "FURN_9999") == (128, "pricelist")  # 1.2834
        assert oc.price(agent, "ROPE-M") == (385, "pricelist")

        assert oc.price(agent, "E-COM12") == other
        counts = repriced(agent, "delta")[n_before:]
        assert counts == [1, 1], counts  # exactly the product each rule prices
        log = odoo.cmd("stats")["log"]
        reads = [e for e in log if e["model"] == "product.product" and e["fields"] > 2]
        assert not reads, reads  # priced from memory, not read again
        assert oc.fulls_done(agent) == fulls, "deltas should have done it, not a full"

        # a restart with the copy: a delta, priced as before (the base lists
        # and their currencies come from the copy's meta record), and a
        # base rule changed while down is repriced by that delta
        assert agent.stop() == 0, "the agent did not stop cleanly"
        odoo.cmd("set_item", id=base, fields={"fixed_price": 4.0})
        odoo.cmd("reset_stats")
        agent.start()
        harness.wait_for(lambda: oc.deltas_done(agent) >= 1, 30, "a delta after the restart")
        agent.wait_log(r"event=odoo\.start first=delta")
        assert oc.fulls_done(agent) == 0, "a full snapshot after a restart with a fresh copy"
        assert oc.price(agent, "ROPE-M") == (513, "pricelist")  # 4.00 x 1.2834 = 5.1336
        assert oc.price(agent, "FURN_9999") == (128, "pricelist")
        assert oc.price(agent, "E-COM12") == other
        log = odoo.cmd("stats")["log"]
        reads = [e for e in log if e["model"] == "product.product" and e["fields"] > 2]
        assert not reads, reads  # priced from the copy, not read again
        lists = [e for e in log if e["model"] == "product.pricelist"]
        assert not lists, lists  # the base lists known from the copy, not asked again
    finally:
        if agent:
            agent.kill()
        odoo.stop()


if __name__ == "__main__":
    oc.run(test, "odoo_base_pricelist")
