/* test_remote_config.c - applying central's settings object: good ones
 * apply, unknown, invalid and not-live ones are skipped, the rest still
 * apply. */
#include "check.h"

#include "config/config.h"
#include "core/error.h"
#include "central/remote_config.h"

static ts_config cfg; /* large: keep it off the stack */

static int apply(const char *json)
{
    return ts_remote_config_apply_settings(&cfg, json, strlen(json));
}

static void test_good_settings_apply(void)
{
    ts_config_defaults(&cfg);
    CHECK_EQ_INT(apply("{\"central.batch_max\": 200, \"central.heartbeat_s\": 30,"
                       " \"storage.acked_retention_h\": 0.5, \"log_level\": \"warn\"}"),
                 4);
    CHECK_EQ_INT(cfg.central.batch_max, 200);
    CHECK_EQ_INT(cfg.central.heartbeat_s, 30);
    CHECK(cfg.storage.acked_retention_h == 0.5);
    CHECK_EQ_INT(apply("{\"log_level\": \"info\"}"), 1);
}

static void test_bad_settings_are_skipped_alone(void)
{
    ts_config_defaults(&cfg);
    CHECK_EQ_INT(apply("{\"no.such.key\": 1, \"central.batch_max\": \"many\","
                       " \"central.url\": \"https://elsewhere\", \"central.batch_max\": 0,"
                       " \"central.config_poll_s\": 60}"),
                 1);
    CHECK_EQ_INT(cfg.central.batch_max, 500); /* untouched */
    CHECK_EQ_INT(cfg.central.config_poll_s, 60);
    CHECK_EQ_STR(cfg.central.url, "");
    /* A key with a quote or control character is not even looked up. */
    CHECK_EQ_INT(apply("{\"central.batch_max\\\"\": 5, \"central.batch_max\\n\": 5}"), 0);
    CHECK_EQ_INT(cfg.central.batch_max, 500);
}

static void test_not_an_object(void)
{
    ts_config_defaults(&cfg);
    CHECK_EQ_INT(apply("[1, 2]"), TS_EINVAL);
    CHECK_EQ_INT(apply("{\"central.batch_max\": "), TS_EINVAL);
    CHECK_EQ_INT(apply("{}"), 0);
}

int main(void)
{
    test_good_settings_apply();
    test_bad_settings_are_skipped_alone();
    test_not_an_object();
    CHECK_DONE();
}
