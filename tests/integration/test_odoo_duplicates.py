"""Duplicates: two products sharing a default_code or a barcode. The lowest
id wins a look-up, the item says "ambiguous", the status lists the codes in
odoo.problems (with a headline issue), and when the winner leaves Odoo the
other product takes the code by delta.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import odoo_common as oc  # noqa: E402
from odoo_common import harness  # noqa: E402


def problems(agent):
    return {p["kind"]: p for p in oc.odoo_status(agent)["problems"]}


def test(workdir):
    odoo = oc.OdooProc()
    agent = None
    try:
        # Product 14 takes product 13's code, 16 takes 15's barcode.
        odoo.cmd("set_product", sku="SKU-000014", default_code="SKU-000013")
        odoo.cmd("set_product", product_id=16, barcode="2000000000015")
        agent = oc.start_agent(workdir, oc.odoo_config(workdir, odoo))
        oc.wait_synced(agent)

        status, body = oc.item(agent, "SKU-000013")
        assert status == 200 and body["name"] == "Product 13", body  # lowest id
        assert body["ambiguous"] is True, body
        status, _, body = agent.request("GET", "/v1/items?barcode=2000000000014")
        assert status == 200 and body["name"] == "Product 14", body
        assert body["ambiguous"] is True, body  # found by barcode, its code is shared
        status, _, body = agent.request("GET", "/v1/items?barcode=2000000000015")
        assert status == 200 and body["name"] == "Product 15" and body["ambiguous"], body
        assert "ambiguous" not in oc.item(agent, "SKU-000017")[1]

        p = problems(agent)
        assert p["duplicate_code"]["codes"] == ["SKU-000013"], p
        assert p["duplicate_code"]["count"] == 1 and p["duplicate_code"]["message"], p
        assert p["duplicate_barcode"]["codes"] == ["2000000000015"], p
        issues = [i["code"] for i in agent.status()["headline"]["issues"]]
        assert "odoo_duplicates" in issues, issues
        status, _, page = agent.request("GET", "/")
        assert status == 200 and 'id="odoo-problems"' in page, status

        # The winner leaves Odoo: the other product keeps the code, by delta.
        odoo.cmd("archive", sku="SKU-000013")  # the first product with that code: id 13
        harness.wait_for(lambda: oc.item(agent, "SKU-000013")[1].get("name") == "Product 14",
                         30, "product 14 to take the code")
        assert "ambiguous" not in oc.item(agent, "SKU-000013")[1]
        harness.wait_for(lambda: "duplicate_code" not in problems(agent), 30,
                         "the duplicate to leave the status")
        assert "duplicate_barcode" in problems(agent)
        assert oc.fulls_done(agent) == 1, "deltas should have done it"
    finally:
        if agent:
            agent.kill()
        odoo.stop()


if __name__ == "__main__":
    oc.run(test, "odoo_duplicates")
