/*
 * test_headline.c - the headline from typed figures alone (report/headline.h):
 * the most serious issue first, central's own reason for a refused sale
 * even after a later transport error replaced last_error, and the words
 * for a store with nothing wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

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

static void test_all_good(void **state)
{
    (void)state;
    ts_report_figures f;
    ts_headline h;
    all_good(&f);
    ts_headline_derive(&f, &h);
    assert_int_equal(h.n, 0);
    assert_int_equal(h.level, TS_LEVEL_OK);
    assert_string_equal(h.text, "All good: sales are reaching central");
}

static void test_rejected_reason_is_centrals(void **state)
{
    (void)state;
    ts_report_figures f;
    ts_headline h;
    all_good(&f);
    f.uplink.state = TS_LINK_OFFLINE;
    f.uplink.held = TS_HOLD_REJECTED;
    f.uplink.rejected_seq = 13;
    strcpy(f.uplink.rejected_reason, "unknown cashier C7");
    strcpy(f.uplink.last_error, "connection refused");
    ts_headline_derive(&f, &h);
    assert_int_equal(h.n, 1);
    assert_string_equal(h.issues[0].code, "central_rejects_seq");
    assert_string_equal(h.issues[0].text, "Central refuses sale number 13: unknown cashier C7");
}

static void test_most_serious_first(void **state)
{
    (void)state;
    ts_report_figures f;
    ts_headline h;
    all_good(&f);
    f.uplink.state = TS_LINK_BACKOFF; /* offline level, found before the certificate */
    f.queue.pending = 2;
    f.cert_known = 1;
    f.cert_days_left = -1; /* attention */
    f.odoo.stale = 1;      /* offline */
    ts_headline_derive(&f, &h);
    assert_int_equal(h.n, 3);
    assert_int_equal(h.level, TS_LEVEL_ATTENTION);
    assert_string_equal(h.issues[0].code, "cert_expired");
    assert_string_equal(h.issues[1].code, "central_unreachable");
    assert_string_equal(h.issues[2].code, "odoo_stale");
    assert_string_equal(h.text, "Needs attention: The store's certificate for central has expired");
}

static void test_no_uplink_and_no_odoo(void **state)
{
    (void)state;
    ts_report_figures f;
    ts_headline h;
    memset(&f, 0, sizeof(f));
    f.storage.healthy = 1;
    ts_headline_derive(&f, &h);
    assert_int_equal(h.n, 1);
    assert_string_equal(h.issues[0].code, "central_unreachable");
    assert_true(
        strstr(h.issues[0].text,
               "since start-up; 0 sales waiting here. Last error: " TS_UPLINK_NOT_RUNNING) != NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_good),
        cmocka_unit_test(test_rejected_reason_is_centrals),
        cmocka_unit_test(test_most_serious_first),
        cmocka_unit_test(test_no_uplink_and_no_odoo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
