"""Sales and returns through the POS API move pending_out and available
until a snapshot reflects them: a txn counts as reflected once central had
acknowledged it more than odoo.reflect_margin_s before the copy's read
began. Here central is down while the tills sell, so nothing is reflected;
then central acknowledges, Odoo books the sales, and the next sync brings
pending_out back to zero with on_hand lower.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import odoo_common as oc  # noqa: E402
import uplink_common as uc  # noqa: E402
from odoo_common import harness  # noqa: E402


def stock(agent, sku):
    status, body = oc.item(agent, sku)
    assert status == 200, body
    st = dict(body["stock"])
    assert st.pop("uom") == ("m" if sku == "ROPE-M" else "Units"), body
    return st


def test(workdir):
    certs = harness.make_certs(workdir)
    central = uc.CentralProc(workdir, certs, down=True)
    odoo = oc.OdooProc()
    agent = None
    try:
        cfg = oc.odoo_config(workdir, odoo, reflect_margin_s=1)
        agent = oc.start_agent(workdir, cfg, certs=certs, central_url=central.url())
        oc.wait_synced(agent)
        assert stock(agent, "FURN_7777") == {"on_hand": 14, "pending_out": 0, "available": 14}

        txns = [harness.sample_txn(1, sku="FURN_7777", qty=3, unit_price=1299),
                harness.sample_txn(2, sku="ROPE-M", qty=0.5, unit_price=353),
                harness.sample_txn(3, kind="return", sku="FURN_7777", qty=1, unit_price=1299)]
        for t in txns:
            status, _, body = agent.post_txn(t)
            assert status == 201, body
        assert stock(agent, "FURN_7777") == {"on_hand": 14, "pending_out": 2, "available": 12}
        assert stock(agent, "ROPE-M") == {"on_hand": 2.845, "pending_out": 0.5,
                                          "available": 2.345}
        # Bulk answers carry the same figures.
        _, _, bulk = agent.request("GET", "/v1/items?sku=FURN_7777&sku=ROPE-M")
        assert [i["stock"]["pending_out"] for i in bulk["items"]] == [2, 0.5], bulk

        # Deltas while central is down change nothing: nothing is reflected.
        oc.wait_next_delta(agent)
        assert stock(agent, "FURN_7777")["pending_out"] == 2

        # Central comes back and acknowledges; Odoo books the stock moves.
        central.cmd("come_up")
        harness.wait_for(lambda: central.acked_through() >= 3, 60, "central's acks")
        odoo.cmd("set_quant", sku="FURN_7777", location_id=8, quantity=8)  # 14 - 2
        odoo.cmd("set_quant", sku="ROPE-M", location_id=8, quantity=2.0)  # 2.845 - 0.5
        harness.wait_for(
            lambda: stock(agent, "FURN_7777") == {"on_hand": 12, "pending_out": 0,
                                                  "available": 12}, 30,
            "a sync that reflects the sales")
        assert stock(agent, "ROPE-M") == {"on_hand": 2.345, "pending_out": 0, "available": 2.345}

        # A new sale after that is pending again.
        status, _, body = agent.post_txn(harness.sample_txn(4, sku="FURN_7777", qty=1))
        assert status == 201, body
        assert stock(agent, "FURN_7777") == {"on_hand": 12, "pending_out": 1, "available": 11}
    finally:
        if agent:
            agent.kill()
        odoo.stop()
        central.stop()


if __name__ == "__main__":
    oc.run(test, "odoo_pending")
