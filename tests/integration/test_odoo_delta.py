"""Deltas: a price change, a stock change, a deleted quant and an archived
product reach the copy by delta (no full snapshot in between), and a quant
deleted with no other change is caught by the next full snapshot.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import odoo_common as oc  # noqa: E402
from odoo_common import harness  # noqa: E402


def test(workdir):
    odoo = oc.OdooProc()
    agent = None
    try:
        agent = oc.start_agent(workdir, oc.odoo_config(workdir, odoo))
        oc.wait_synced(agent)
        harness.wait_for(lambda: oc.deltas_done(agent) >= 1, 30, "a first delta")
        fulls = oc.fulls_done(agent)

        # A price set on the product form moves only the template's write_date.
        odoo.cmd("set_list_price", sku="ROPE-M", price=3.0)  # 3 x 1.2834 = 3.8502
        # Stock: one quant changes, another of the same product is deleted:
        # the product's quants are read again whole, so the deleted one goes.
        odoo.cmd("set_quant", sku="FURN_7777", location_id=8, quantity=6)
        odoo.cmd("delete_quants", sku="FURN_7777", location_id=17)
        odoo.cmd("set_quant", sku="FURN_8888", location_id=18, quantity=2.5)
        # Archived: leaves the copy. No longer a SKU: gone by SKU, kept by barcode.
        odoo.cmd("archive", sku="FURN_7800")
        odoo.cmd("set_product", sku="E-COM12", default_code=False, barcode="5901234123457")
        # 4-decimal quants in kg: summed exactly (3.0012), then rounded to the
        # unit's 0.001 as Odoo shows it; rounded one by one they made 3.000.
        odoo.cmd("set_product", sku="SKU-000013", uom_id=12)
        for loc, q in ((8, 1.0004), (17, 2.0004), (18, 0.0004)):
            odoo.cmd("set_quant", sku="SKU-000013", location_id=loc, quantity=q)

        harness.wait_for(lambda: oc.price(agent, "ROPE-M") == (385, "list_price"), 30,
                         "the new price by delta")
        harness.wait_for(lambda: oc.item(agent, "FURN_7800")[0] == 404, 30,
                         "the archived product to leave")
        oc.wait_next_delta(agent)
        _, body = oc.item(agent, "FURN_7777")
        assert body["stock"]["on_hand"] == 6, body  # 10 -> 6, and the 4 deleted
        _, body = oc.item(agent, "FURN_8888")
        assert body["stock"]["on_hand"] == 2.5, body
        _, body = oc.item(agent, "SKU-000013")
        assert body["stock"]["on_hand"] == 3.001 and body["stock"]["uom"] == "kg", body
        assert oc.item(agent, "E-COM12")[0] == 404
        status, _, body = agent.request("GET", "/v1/items?barcode=5901234123457")
        assert status == 200 and body["name"] == "Conference Chair (Steel)", body
        assert body["price"]["amount"] == 3811, body
        s = oc.odoo_status(agent)
        assert s["items"] == 57 and s["last_delta_at"], s
        assert oc.fulls_done(agent) == fulls, "a delta should have done it, not a full"

        # One quant written twice with the same write_date (two transactions
        # begun in the same second, a delta read between their commits): the
        # deltas' small form compares the quantity too, so the second is seen.
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        odoo.cmd("set_quant", sku="FURN_8888", location_id=18, quantity=4, write_date=stamp)
        oc.wait_next_delta(agent)
        assert oc.item(agent, "FURN_8888")[1]["stock"]["on_hand"] == 4
        odoo.cmd("set_quant", sku="FURN_8888", location_id=18, quantity=5, write_date=stamp)
        oc.wait_next_delta(agent)
        assert oc.item(agent, "FURN_8888")[1]["stock"]["on_hand"] == 5

        # A quant deleted with nothing else changing: a delta sees it only while
        # another quant of the product is inside the overlap window; the next
        # full snapshot (here: at the restart, the copy's last full snapshot
        # being older than full_resync_s) drops it in any case.
        assert agent.stop() == 0, "the agent did not stop cleanly"
        agent.config["odoo"]["delta_overlap_s"] = 0
        agent.config["odoo"]["full_resync_s"] = 1
        odoo.cmd("delete_quants", sku="ROPE-M", location_id=18)  # 2.5 + 0.345 -> 2.5
        agent.start()
        harness.wait_for(lambda: oc.item(agent, "ROPE-M")[1]["stock"]["on_hand"] == 2.5, 30,
                         "the full snapshot at start")
        assert oc.item(agent, "SKU-000013")[1]["stock"]["on_hand"] == 3.001
    finally:
        if agent:
            agent.kill()
        odoo.stop()


if __name__ == "__main__":
    oc.run(test, "odoo_delta")
