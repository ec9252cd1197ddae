/* test_remote_config.c - applying central's settings object: good ones
 * apply, unknown, invalid and not-live ones are skipped, the rest still
 * apply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config/config.h"
#include "core/error.h"
#include "central/remote_config.h"

static ts_config cfg; /* large: keep it off the stack */

static int apply(const char *json)
{
    return ts_remote_config_apply_settings(&cfg, json, strlen(json));
}

static void test_good_settings_apply(void **state)
{
    ts_config_defaults(&cfg);
    assert_int_equal(apply("{\"central.batch_max\": 200, \"central.heartbeat_s\": 30,"
                           " \"storage.acked_retention_h\": 0.5, \"log_level\": \"warn\"}"),
                     4);
    assert_int_equal(cfg.central.batch_max, 200);
    assert_int_equal(cfg.central.heartbeat_s, 30);
    assert_true(cfg.storage.acked_retention_h == 0.5);
    assert_int_equal(apply("{\"log_level\": \"info\"}"), 1);
}

static void test_bad_settings_are_skipped_alone(void **state)
{
    ts_config_defaults(&cfg);
    assert_int_equal(apply("{\"no.such.key\": 1, \"central.batch_max\": \"many\","
                           " \"central.url\": \"https://elsewhere\", \"central.batch_max\": 0,"
                           " \"central.config_poll_s\": 60}"),
                     1);
    assert_int_equal(cfg.central.batch_max, 500); /* untouched */
    assert_int_equal(cfg.central.config_poll_s, 60);
    assert_string_equal(cfg.central.url, "");
    /* A key with a quote or control character is not even looked up. */
    assert_int_equal(apply("{\"central.batch_max\\\"\": 5, \"central.batch_max\\n\": 5}"), 0);
    assert_int_equal(cfg.central.batch_max, 500);
}

static void test_not_an_object(void **state)
{
    ts_config_defaults(&cfg);
    assert_int_equal(apply("[1, 2]"), TS_EINVAL);
    assert_int_equal(apply("{\"central.batch_max\": "), TS_EINVAL);
    assert_int_equal(apply("{}"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_settings_apply),
        cmocka_unit_test(test_bad_settings_are_skipped_alone),
        cmocka_unit_test(test_not_an_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
