/*
 * test_headline.c - the headline from typed figures alone (report/headline.h):
 * the most serious issue first, central's own reason for a refused sale
 * even after a later transport error replaced last_error, and the words
 * for a store with nothing wrong.
 */
#include "check.h"

#include <string.h>

#include "report/headline.h"

/* A store where everything is fine. */
static void all_good(ts_report_figures *f)
{
    memset(f, 0, sizeof(*f));
    f->max_pending = 1000;
    f->storage.healthy = 1;
    f->uplink.running = 1;
    f->uplink.state = TS_LINK_ONLINE;
    f->has_odoo = 1;
    f->odoo.configured = 1;
    f->odoo.state = TS_ODOO_OK;
    f->odoo.copy.has_copy = 1;
}

static void test_all_good(void)
{
    ts_report_figures f;
    ts_headline h;
    all_good(&f);
    ts_headline_derive(&f, &h);
    CHECK_EQ_INT(h.n, 0);
    CHECK_EQ_INT(h.level, TS_LEVEL_OK);
    CHECK_EQ_STR(h.text, "All good: sales are reaching central");
}

static void test_rejected_reason_is_centrals(void)
{
    ts_report_figures f;
    ts_headline h;
    all_good(&f);
    f.uplink.state = TS_LINK_OFFLINE;
    f.uplink.held = TS_HOLD_REJECTED;
    f.uplink.rejected_seq = 13;
    strcpy(f.uplink.rejected_reason, "unknown cashier C7");
    strcpy(f.uplink.last_error, "connection refused");
    ts_headline_derive(&f, &h);
    CHECK_EQ_INT(h.n, 1);
    CHECK_EQ_STR(h.issues[0].code, "central_rejects_seq");
    CHECK_EQ_STR(h.issues[0].text, "Central refuses sale number 13: unknown cashier C7");
}

static void test_most_serious_first(void)
{
    ts_report_figures f;
    ts_headline h;
    all_good(&f);
    f.uplink.state = TS_LINK_BACKOFF; /* offline level, found before the certificate */
    f.queue.pending = 2;
    f.cert_known = 1;
    f.cert_days_left = -1; /* attention */
    f.odoo.stale = 1;      /* offline */
    ts_headline_derive(&f, &h);
    CHECK_EQ_INT(h.n, 3);
    CHECK_EQ_INT(h.level, TS_LEVEL_ATTENTION);
    CHECK_EQ_STR(h.issues[0].code, "cert_expired");
    CHECK_EQ_STR(h.issues[1].code, "central_unreachable");
    CHECK_EQ_STR(h.issues[2].code, "odoo_stale");
    CHECK_EQ_STR(h.text, "Needs attention: The store's certificate for central has expired");
}

static void test_no_uplink_and_no_odoo(void)
{
    ts_report_figures f;
    ts_headline h;
    memset(&f, 0, sizeof(f));
    f.storage.healthy = 1;
    ts_headline_derive(&f, &h);
    CHECK_EQ_INT(h.n, 1);
    CHECK_EQ_STR(h.issues[0].code, "central_unreachable");
    CHECK(strstr(h.issues[0].text,
                 "since start-up; 0 sales waiting here. Last error: " TS_UPLINK_NOT_RUNNING) !=
          NULL);
}

int main(void)
{
    test_all_good();
    test_rejected_reason_is_centrals();
    test_most_serious_first();
    test_no_uplink_and_no_odoo();
    CHECK_DONE();
}
