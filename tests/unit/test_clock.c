/*
 * test_clock.c - calendar conversions without time_t (core/clock.c): the
 * HTTP Date header Odoo's clock is read from, on both sides of 2038.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/error.h"

static int64_t http_date(const char *s)
{
    int64_t ms = -1;
    int rc = ts_parse_http_date(s, strlen(s), &ms);
    return rc == 0 ? ms : rc;
}

static void test_imf_fixdate(void **state)
{
    (void)state;
    /* RFC 9110's own example, and the odoo-rpc-transcripts' form. */
    assert_int_equal(http_date("Sun, 06 Nov 1994 08:49:37 GMT"), INT64_C(784111777000));
    assert_int_equal(http_date("Sun, 06 Dec 2026 23:02:16 GMT"), INT64_C(1796598136000));
    /* As curl hands the header line over: a blank after the colon, CRLF. */
    assert_int_equal(http_date(" Sun, 06 Nov 1994 08:49:37 GMT\r\n"), INT64_C(784111777000));
    /* One second past a 32-bit time_t: what curl_getdate got wrong on armhf. */
    assert_int_equal(http_date("Tue, 19 Jan 2038 03:14:08 GMT"), INT64_C(2147483648000));
    assert_int_equal(http_date("Thu, 29 Feb 2024 00:00:00 GMT"), INT64_C(1709164800000));
}

static void test_refused(void **state)
{
    (void)state;
    assert_int_equal(http_date("Sunday, 06-Nov-94 08:49:37 GMT"), TS_EINVAL); /* RFC 850 */
    assert_int_equal(http_date("Sun Nov  6 08:49:37 1994"), TS_EINVAL);       /* asctime */
    assert_int_equal(http_date("Sun, 06 Foo 1994 08:49:37 GMT"), TS_EINVAL);
    assert_int_equal(http_date("Sun, 06 Nov 1994 24:49:37 GMT"), TS_EINVAL);
    assert_int_equal(http_date("Sun, 00 Nov 1994 08:49:37 GMT"), TS_EINVAL);
    assert_int_equal(http_date("Sun, 06 Nov 1994 08:49:37 UTC"), TS_EINVAL);
    assert_int_equal(http_date("Sun, 06 Nov 1994 08:49:3x GMT"), TS_EINVAL);
    assert_int_equal(http_date(""), TS_EINVAL);
    assert_int_equal(http_date("   \r\n"), TS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_imf_fixdate),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
