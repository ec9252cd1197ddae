"""A bulk change of 10 000 products is caught up by deltas alone, and once
the overlap has passed the deltas stop reading it again (the window starts
from the previous delta's start in Odoo's time, not from the newest
write_date seen). The deltas whose window still holds the change read it
again in the small form only (template id, write_date, list_price): the
changed variants are read whole once. Asserted on the stand-in's request
log: rows and fields served per delta.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import odoo_common as oc  # noqa: E402
from odoo_common import harness  # noqa: E402

BULK = 10000


PAGE = 500


def template_reads(odoo):
    """Template rows each delta read (its windowed product.template pages
    summed: a delta's last page is the first one shorter than a page)."""
    out, run = [], 0
    for e in odoo.cmd("stats")["log"]:
        if e["model"] == "product.template" and e["window"]:
            run += e["rows"]
            if e["rows"] < PAGE:
                out.append(run)
                run = 0
    return out


def test(workdir):
    odoo = oc.OdooProc(products=BULK + 20)
    agent = None
    try:
        cfg = oc.odoo_config(workdir, odoo, page_size=PAGE, delta_overlap_s=4)
        agent = oc.start_agent(workdir, cfg)
        oc.wait_synced(agent, timeout=120)
        harness.wait_for(lambda: oc.deltas_done(agent) >= 1, 30, "a first delta")
        before = oc.price(agent, "SKU-000012")[0]
        odoo.cmd("reset_stats")
        assert odoo.cmd("bulk_list_price", count=BULK)["changed"] == BULK

        # Caught up by deltas: the last product of the bulk has its new price.
        last = "SKU-%06d" % (12 + BULK - 1)
        harness.wait_for(lambda: oc.price(agent, "SKU-000012")[0] != before, 60,
                         "the bulk change by delta")
        # Deltas go on until two of them read no template at all.
        harness.wait_for(lambda: template_reads(odoo)[-2:] == [0, 0], 60,
                         "deltas that no longer read the bulk change")
        reads = template_reads(odoo)
        print("template rows per delta:", reads)
        # the bulk read whole, as deltas (the first may also hold the catalogue
        # as generated, when the full snapshot was still in its window)
        assert max(reads) >= BULK, reads
        first_empty = reads.index(0, reads.index(max(reads)))
        assert all(r == 0 for r in reads[first_empty:]), reads  # and not again
        assert oc.item(agent, last)[0] == 200
        # The window read the change again (small form), the variants whole once.
        log = odoo.cmd("stats")["log"]
        tmpl = [e for e in log if e["model"] == "product.template" and e["window"]]
        assert all(e["fields"] == 3 for e in tmpl), tmpl[:3]  # id, write_date, list_price
        whole = sum(e["rows"] for e in log if e["model"] == "product.product" and
                    e["fields"] > 2)
        repeats = sum(1 for r in reads if r >= BULK)
        print("deltas that read the bulk:", repeats, "variant rows read whole:", whole)
        assert repeats >= 2, reads  # the overlap: later deltas saw it too
        assert whole == BULK, whole  # ... and fetched only the small form
        s = oc.odoo_status(agent)
        assert s["last_delta_at"] and oc.fulls_done(agent) == 1, s
        calls = odoo.calls()
        print("requests after the bulk change:", sum(calls.values()), calls)
    finally:
        if agent:
            agent.kill()
        odoo.stop()


if __name__ == "__main__":
    oc.run(test, "odoo_bulk")
