"""First snapshot from Odoo: the right price for each kind of pricelist rule,
the list-price fallback, stock summed over the store's locations, look-ups
by SKU, by barcode and in bulk, and the answers for what is not there.

Expected prices are worked out here by hand from the stand-in's catalogue
(tests/standins/odoo.py): company currency USD, pricelist in EUR at rate
1.2834, so every base price is lst_price x 1.2834 before its rule.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import odoo_common as oc  # noqa: E402
from odoo_common import harness  # noqa: E402

EXPECTED = {
    # sku: (amount in EUR cents, source)
    "FURN_7777": (1299, "pricelist"),  # variant rule, fixed 12.99
    "FURN_8888": (4364, "pricelist"),  # template rule, 15 % off 51.336
    "FURN_9999": (35935, "list_price"),  # template rule for 10+ only: 280 x 1.2834
    "FURN_7800": (51977, "pricelist"),  # dated variant rule not yet: category formula
    "E-COM06": (1829, "pricelist"),  # 5 % off the cost: 15.00 x 1.2834 x 0.95 = 18.288
    "E-COM12": (3811, "pricelist"),  # sub-category of the category rule
    "E-COM13": (4550, "pricelist"),  # variant price extra: lst_price 39.4, not 33
    "ROPE-M": (353, "list_price"),  # no rule: 3.52935
}


def check_prices(agent):
    for sku, want in EXPECTED.items():
        assert oc.price(agent, sku) == want, (sku, oc.price(agent, sku), want)


def check_qty(agent):
    """?qty=: Odoo's unit price at that quantity, the line amount, the tiers."""
    _, body = oc.item(agent, "FURN_9999")
    assert body["price"]["amount"] == 35935, body
    assert body["price"]["tiers"] == [{"min_qty": 10, "amount": 950}], body
    status, _, body = agent.request("GET", "/v1/items/FURN_9999?qty=10")
    assert status == 200, body
    p = body["price"]
    assert (p["amount"], p["qty"], p["line_amount"], p["tiers"]) == (950, 10, 9500, []), p
    # 2.5 x 359.35 = 898.375 -> 898.38 (the currency's 0.01 step)
    status, _, body = agent.request("GET", "/v1/items/FURN_9999?qty=2.5")
    assert (body["price"]["amount"], body["price"]["line_amount"]) == (35935, 89838), body
    # Below the template rule's min_quantity 1, the category formula decides.
    status, _, body = agent.request("GET", "/v1/items?sku=FURN_8888&qty=0.5")
    assert status == 200, body
    p = body["items"][0]["price"]
    assert p["amount"] != 4364 and p["tiers"] == [{"min_qty": 1, "amount": 4364}], p
    for bad in ("abc", "0", "-1", "1.2345", "1e3", "", "2000000"):
        for path in ("/v1/items/FURN_9999?qty=", "/v1/items?sku=FURN_9999&qty="):
            status, _, body = agent.request("GET", path + bad)
            assert status == 400 and body["error"]["code"] == "invalid_qty", (path, bad, body)


def check_lookups(agent):
    status, body = oc.item(agent, "FURN_7777")
    assert status == 200, body
    assert body["sku"] == "FURN_7777" and body["name"] == "Office Chair", body
    assert body["barcode"] is None and body["price"]["currency"] == "EUR", body
    # 10 in WH/Stock + 4 in a child location; 100 at a customer's do not count.
    assert body["stock"] == {"on_hand": 14, "pending_out": 0, "available": 14,
                             "uom": "Units"}, body
    assert body["price"]["rounding"] == 1 and body["price"]["qty"] == 1, body
    assert body["price"]["line_amount"] == 1299 and body["price"]["tiers"] == [], body
    assert "ambiguous" not in body, body
    assert body["stale"] is False and type(body["snapshot_age_s"]) is int, body
    assert body["as_of"].endswith("Z"), body

    _, rope = oc.item(agent, "ROPE-M")
    assert rope["stock"]["on_hand"] == 2.845, rope  # 2.5 + 0.345, three decimals kept

    # Barcode-only product: found by barcode, no SKU.
    status, _, body = agent.request("GET", "/v1/items?barcode=4006381333931")
    assert status == 200 and body["sku"] is None and body["price"]["amount"] == 154, body
    assert body["stock"]["on_hand"] == 120, body
    status, _, body = agent.request("GET", "/v1/items?barcode=0000000000000")
    assert status == 404 and body["error"]["code"] == "unknown_barcode", body

    # Bulk: known ones in order, unknown ones listed; URL-encoded values work.
    status, _, body = agent.request(
        "GET", "/v1/items?sku=FURN_8888&sku=NOPE%2F1&sku=E-COM13&barcode=2000000000114")
    assert status == 200, body
    assert [i["sku"] for i in body["items"]] == ["FURN_8888", "E-COM13", "ROPE-M"], body
    assert body["unknown"] == ["NOPE/1"], body

    # Not in the copy: not for sale, no SKU nor barcode, unknown.
    for sku in ("GIFT-WRAP", "NO-SUCH-SKU"):
        status, body = oc.item(agent, sku)
        assert status == 404 and body["error"]["code"] == "unknown_sku", (sku, body)

    # More than 200 in one request: a clear 400.
    many = "&".join("sku=S%d" % i for i in range(201))
    status, _, body = agent.request("GET", "/v1/items?" + many)
    assert status == 400 and body["error"]["code"] == "too_many_skus", body
    status, _, body = agent.request("GET", "/v1/items?" + many.rsplit("&", 1)[0])
    assert status == 200 and len(body["unknown"]) == 200, body
    status, _, body = agent.request("GET", "/v1/items?color=red")
    assert status == 400 and body["error"]["code"] == "invalid_query", body


def check_status(agent):
    s = oc.odoo_status(agent)
    assert s["configured"] is True and s["state"] == "ok", s
    assert s["items"] == 58, s  # 60 products, minus one not for sale, minus one skipped
    assert s["skipped_products"] == 1 and s["list_price_fallback"] == 0, s
    assert s["stale"] is False and s["last_error"] is None, s
    assert s["protocol"] == "json2", s
    assert oc.metric(agent, "tillsync_odoo_items") == 58
    assert oc.metric(agent, "tillsync_odoo_state", 'state="ok"') == 1


def check_global_rule(agent, odoo):
    """A global formula rule (discount, rounding, surcharge, minimum margin)
    added in Odoo reaches the copy: the delta sees it and, since every price
    may move, a full snapshot follows."""
    odoo.cmd("add_item", item={"applied_on": "3_global", "compute_price": "formula",
                               "price_discount": 20.0, "price_round": 0.05,
                               "price_surcharge": 0.5, "price_min_margin": -60.0})
    # FURN_9999: 359.352 x 0.8 = 287.4816 -> 287.50 -> 288.00, held at >= 299.352.
    harness.wait_for(lambda: oc.price(agent, "FURN_9999") == (29935, "pricelist"), 30,
                     "the global rule's price")
    # ROPE-M: 3.52935 x 0.8 = 2.82348 -> 2.80 -> 3.30 (margin far below).
    assert oc.price(agent, "ROPE-M") == (330, "pricelist")
    # More specific rules still win.
    assert oc.price(agent, "FURN_7777") == (1299, "pricelist")
    assert oc.price(agent, "E-COM06") == (1829, "pricelist")


def test(workdir):
    odoo = oc.OdooProc()
    agent = None
    try:
        agent = oc.start_agent(workdir, oc.odoo_config(workdir, odoo))
        oc.wait_synced(agent)
        check_prices(agent)
        check_lookups(agent)
        check_qty(agent)
        check_status(agent)
        check_global_rule(agent, odoo)
        assert agent.stop() == 0, "the agent did not stop cleanly"

        # No pricelist configured: lst_price in the company's currency.
        cfg = oc.odoo_config(workdir, odoo)
        del cfg["pricelist_id"]
        agent.config["odoo"] = cfg
        agent.start()
        oc.wait_synced(agent, pred=lambda s: s.get("currency") == "USD")
        assert oc.price(agent, "FURN_7777") == (7000, "list_price")
        assert oc.price(agent, "E-COM13") == (3940, "list_price")
        assert agent.stop() == 0, "the agent did not stop cleanly"

        # Without odoo in the config: no copy, and the answers say so.
        del agent.config["odoo"]
        agent.start()
        status, body = oc.item(agent, "FURN_7777")
        assert status == 404 and body["error"]["code"] == "no_price_copy", body
        s = oc.odoo_status(agent)
        assert s["configured"] is False and s["state"] == "never", s
        assert "not configured" in s["last_error"], s
        assert agent.stop() == 0, "the agent did not stop cleanly"
    finally:
        if agent:
            agent.kill()
        odoo.stop()


if __name__ == "__main__":
    oc.run(test, "odoo_snapshot")
