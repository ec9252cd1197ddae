"""When Odoo fails: a snapshot cut off half-way leaves the old copy whole;
Odoo's errors appear in plain words (never the traceback); a slow Odoo
does not slow the tills; while Odoo is down the copy is served, turns stale
after stale_after_s, and survives a restart; when Odoo returns, a fresh
snapshot follows.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import odoo_common as oc  # noqa: E402
from odoo_common import harness  # noqa: E402


def state_is(agent, want):
    return lambda: oc.odoo_status(agent)["state"] == want


def check_half_way(agent, odoo):
    """The second page of products is cut off: nothing of that snapshot shows."""
    odoo.cmd("fail_next", model="product.product", skip=1, count=1, kind="cut")
    odoo.cmd("set_list_price", sku="FURN_9999", price=300.0)  # page 1 of products
    harness.wait_for(state_is(agent, "unreachable"), 30, "the failed snapshot")
    s = oc.odoo_status(agent)
    assert s["last_error"] and "Odoo" in s["last_error"], s
    assert s["items"] == 58, s
    assert oc.price(agent, "FURN_9999") == (35935, "list_price")  # the old copy, whole
    assert oc.price(agent, "ROPE-M") == (353, "list_price")
    # The retry (with back-off) takes a whole new snapshot.
    harness.wait_for(lambda: oc.price(agent, "FURN_9999") == (38502, "list_price"), 30,
                     "the retry")
    # A short failure is caught up by a delta, which writes as it reads.
    harness.wait_for(state_is(agent, "ok"), 30, "the retry's end")


def check_plain_words(agent, odoo):
    odoo.cmd("fail_next", model="product.pricelist.item", count=1, kind="error")
    # An Odoo server error is not the link: the state is not "unreachable".
    harness.wait_for(lambda: "SerializationFailure" in (oc.odoo_status(agent)["last_error"] or ""),
                     30, "the Odoo error")
    s = oc.odoo_status(agent)
    assert s["state"] != "unreachable", s
    err = s["last_error"]
    assert "psycopg2.errors.SerializationFailure" in err, s
    assert "could not serialize access due to concurrent update" in err, s
    assert "Traceback" not in err and oc.KEY not in str(s), s
    harness.wait_for(state_is(agent, "ok"), 30, "recovery")


def check_slow(agent, odoo):
    # Odoo holds every answer until the delay is lifted: look-ups answered
    # meanwhile cannot have waited for it.
    odoo.cmd("delay", seconds=600)
    harness.wait_for(lambda: oc.odoo_status(agent)["syncing"] is not None, 30, "a sync")
    answered = sum(odoo.calls().values())
    for _ in range(5):
        assert oc.item(agent, "FURN_7777")[0] == 200
    assert oc.odoo_status(agent)["syncing"] is not None, "the slow read should still run"
    assert sum(odoo.calls().values()) == answered, "Odoo answered meanwhile"
    odoo.cmd("delay", seconds=0)


def check_down(agent, odoo):
    odoo.cmd("down")
    harness.wait_for(state_is(agent, "unreachable"), 30, "unreachable")
    status, body = oc.item(agent, "FURN_7777")
    assert status == 200 and body["price"]["amount"] == 1299, body
    harness.wait_for(lambda: oc.item(agent, "FURN_7777")[1]["stale"], 30, "stale")
    assert oc.odoo_status(agent)["stale"] is True
    # Restarted while Odoo is down: the copy is still there and served.
    assert agent.stop() == 0, "the agent did not stop cleanly"
    agent.start()
    status, body = oc.item(agent, "FURN_7777")
    assert status == 200 and body["stale"] is True and body["price"]["amount"] == 1299, body
    harness.wait_for(state_is(agent, "unreachable"), 30, "unreachable after restart")
    s = oc.odoo_status(agent)
    assert s["items"] == 58 and "cannot be reached" in s["last_error"], s
    assert "Failed to connect" not in s["last_error"], s  # curl's words, translated
    odoo.cmd("up")
    oc.wait_synced(agent, "the snapshot after Odoo returned", timeout=60,
                   pred=lambda s: not s["stale"])
    assert oc.item(agent, "FURN_7777")[1]["stale"] is False


def test(workdir):
    odoo = oc.OdooProc()
    agent = None
    try:
        cfg = oc.odoo_config(workdir, odoo, full_resync_s=2, delta_s=3600, stale_after_s=3)
        agent = oc.start_agent(workdir, cfg)
        oc.wait_synced(agent)
        check_half_way(agent, odoo)
        check_plain_words(agent, odoo)
        check_slow(agent, odoo)
        check_down(agent, odoo)
    finally:
        if agent:
            agent.kill()
        odoo.stop()


if __name__ == "__main__":
    oc.run(test, "odoo_failures")
