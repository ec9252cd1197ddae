"""Changes a delta must see although no product's write_date moves: a
currency rate, a category moved under another, a rule moved from one
variant to another, an attribute value's price extra. Each reprices the
right products within one delta, with no full snapshot.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import odoo_common as oc  # noqa: E402
from odoo_common import harness  # noqa: E402


def one_delta(agent):
    """Waits for one delta that began after the change was made."""
    oc.wait_next_delta(agent)


def test(workdir):
    odoo = oc.OdooProc()
    agent = None
    try:
        agent = oc.start_agent(workdir, oc.odoo_config(workdir, odoo))
        oc.wait_synced(agent)
        harness.wait_for(lambda: oc.deltas_done(agent) >= 1, 30, "a first delta")
        fulls = oc.fulls_done(agent)
        assert oc.price(agent, "ROPE-M") == (353, "list_price")  # 2.75 x 1.2834
        before_7777 = oc.price(agent, "FURN_7777")
        assert before_7777 == (1299, "pricelist")

        # A rate: every price of the pricelist, in one delta.
        odoo.cmd("set_rate", currency="EUR", rate=1.5)
        one_delta(agent)
        assert oc.price(agent, "ROPE-M") == (413, "list_price")  # 4.125 -> 4.13 HALF-UP
        assert oc.price(agent, "E-COM12") == (4454, "pricelist")  # 33 x 1.5 x 0.9 - 0.01

        # Chairs (11) moved from Office Furniture (8) to Consumable (9): the
        # category 8 rule no longer applies to the conference chairs.
        odoo.cmd("move_category", categ_id=11, parent_id=9)
        one_delta(agent)
        assert oc.price(agent, "E-COM12") == (4950, "list_price"), oc.price(agent, "E-COM12")
        assert oc.price(agent, "E-COM13") == (5910, "list_price")  # 39.4 x 1.5

        # The fixed 12.99 rule moves from FURN_7777 to FURN_8888: both move.
        odoo.cmd("set_item", id=1, fields={"product_id": 3, "product_tmpl_id": 3})
        one_delta(agent)
        assert oc.price(agent, "FURN_8888") == (1299, "pricelist")
        assert oc.price(agent, "FURN_7777") == (9449, "pricelist")  # 70 x 1.5 x 0.9 - 0.01

        # A price extra on the attribute value: that variant only.
        odoo.cmd("set_price_extra", sku="E-COM13", price_extra=10.0)
        one_delta(agent)
        assert oc.price(agent, "E-COM13") == (6450, "list_price")  # 43 x 1.5
        assert oc.price(agent, "E-COM12") == (4950, "list_price")

        assert oc.fulls_done(agent) == fulls, "deltas should have done it, not a full"
    finally:
        if agent:
            agent.kill()
        odoo.stop()


if __name__ == "__main__":
    oc.run(test, "odoo_reprice")
