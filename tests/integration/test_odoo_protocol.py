"""Both of Odoo's APIs: JSON-2 (Odoo 19+), JSON-RPC (Odoo 16-18), and auto,
which tries JSON-2, falls back to JSON-RPC on a 404 and remembers it; and
HTTPS to Odoo with odoo.ca_file (an untrusted server is refused, in words).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import odoo_common as oc  # noqa: E402
from odoo_common import harness  # noqa: E402


def run_agent(workdir, odoo, **over):
    agent = oc.start_agent(workdir, oc.odoo_config(workdir, odoo, **over))
    oc.wait_synced(agent)
    harness.wait_for(lambda: oc.deltas_done(agent) >= 2, 30, "two deltas")
    assert oc.price(agent, "FURN_7777") == (1299, "pricelist")
    return agent


def test(workdir):
    odoo = oc.OdooProc()
    agent = None
    try:
        # auto against a server that speaks both: JSON-2, no log-in call.
        agent = run_agent(workdir, odoo)
        calls = odoo.calls()
        assert oc.odoo_status(agent)["protocol"] == "json2"
        assert "common.authenticate" not in calls and calls["json2:product.product.search_read"]
        assert agent.stop() == 0, "the agent did not stop cleanly"

        # auto against Odoo 17 (no /json/2): one 404, then JSON-RPC, remembered.
        odoo.cmd("protocol", mode="jsonrpc")
        odoo.cmd("reset_stats")
        agent = run_agent(workdir, odoo)
        calls = odoo.calls()
        assert oc.odoo_status(agent)["protocol"] == "jsonrpc"
        assert calls.get("404:/json/2") == 1, calls
        assert calls["common.authenticate"] == 1 and calls["product.product.search_read"], calls
        assert agent.stop() == 0, "the agent did not stop cleanly"

        # jsonrpc set explicitly: never asks /json/2.
        odoo.cmd("reset_stats")
        agent = run_agent(workdir, odoo, protocol="jsonrpc")
        assert "404:/json/2" not in odoo.calls()
        assert agent.stop() == 0, "the agent did not stop cleanly"

        # json2 set explicitly against a JSON-2-only server.
        odoo.cmd("protocol", mode="json2")
        odoo.cmd("reset_stats")
        agent = run_agent(workdir, odoo, protocol="json2")
        assert "common.authenticate" not in odoo.calls()
        assert agent.stop() == 0, "the agent did not stop cleanly"
    finally:
        if agent:
            agent.kill()
        odoo.stop()

    # HTTPS with odoo.ca_file.
    certs = harness.make_certs(workdir)
    odoo = oc.OdooProc(cert=os.path.join(certs, "server.pem"),
                       key_file=os.path.join(certs, "server.key"))
    agent = None
    try:
        cfg = oc.odoo_config(workdir, odoo, ca_file=os.path.join(certs, "ca.pem"))
        agent = oc.start_agent(workdir, cfg, certs=certs)
        oc.wait_synced(agent)
        assert oc.price(agent, "FURN_8888") == (4364, "pricelist")
        assert agent.stop() == 0, "the agent did not stop cleanly"
        agent.config["odoo"]["ca_file"] = os.path.join(certs, "other-ca.pem")
        agent.start()
        harness.wait_for(lambda: oc.odoo_status(agent)["state"] == "unreachable", 30,
                         "the untrusted certificate refused")
        err = oc.odoo_status(agent)["last_error"]
        assert "TLS" in err and "odoo.ca_file" in err, err
    finally:
        if agent:
            agent.kill()
        odoo.stop()


if __name__ == "__main__":
    oc.run(test, "odoo_protocol")
