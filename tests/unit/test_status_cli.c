/* test_status_cli.c - the exit-code rules of `tillsync status` (config.md
 * "Command line") on documents shaped like /v1/status, including the
 * states a test cannot wait for (central down for 20 minutes, a sale
 * waiting for two hours, an update rolled back). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>

#include "status_cli.h"

#define NOW "2026-11-25T14:00:00Z"

/* An all-good document; each test changes one part. */
static const char base[] =
    "{\"store_id\":\"S042\",\"now\":\"" NOW "\",\"started_at\":\"2026-11-25T08:00:00Z\","
    "\"headline\":{\"level\":\"ok\",\"issues\":[]},"
    "\"central\":{\"state\":\"online\",\"last_ok_at\":\"" NOW "\",\"held\":null},"
    "\"queue\":{\"pending\":0,\"oldest_pending_age_s\":null,\"max_pending\":1000},"
    "\"odoo\":{\"configured\":true,\"state\":\"ok\",\"stale\":false,\"snapshot_age_s\":60},"
    "\"storage\":{\"map_used_pct\":3.0,\"disk_free_mb\":5000,\"disk_total_mb\":10000,"
    "\"healthy\":true},"
    "\"tls\":{\"days_left\":200},"
    "\"update\":{\"running\":\"0.4.0\",\"state\":\"idle\",\"last_result\":null}}";

static ts_config cfg;

/* The verdict after setting part.key to the JSON value (NULL part: none). */
static int code_with(const char *part, const char *key, const char *value, char *text, size_t n)
{
    cJSON *doc = cJSON_Parse(base);
    if (part) {
        cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, part);
        cJSON_ReplaceItemInObjectCaseSensitive(p, key, cJSON_Parse(value));
    }
    ts_status_verdict v;
    ts_status_cli_verdict(doc, &cfg, &v);
    if (text)
        snprintf(text, n, "%s", v.decider >= 0 ? v.findings[v.decider].text : "");
    cJSON_Delete(doc);
    return v.code;
}

static int code_of(const char *part, const char *key, const char *value)
{
    return code_with(part, key, value, NULL, 0);
}

static void test_all_good(void **state)
{
    (void)state;
    assert_int_equal(code_of(NULL, NULL, NULL), TS_STATUS_OK);
}

static void test_central(void **state)
{
    (void)state;
    char text[256];
    cJSON *doc = cJSON_Parse(base);
    cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "central");
    cJSON_ReplaceItemInObjectCaseSensitive(c, "state", cJSON_CreateString("backoff"));
    cJSON_ReplaceItemInObjectCaseSensitive(c, "last_ok_at",
                                           cJSON_CreateString("2026-11-25T13:50:00Z"));
    ts_status_verdict v;
    ts_status_cli_verdict(doc, &cfg, &v);
    assert_int_equal(v.code, TS_STATUS_WARNING); /* 10 min */
    assert_string_equal(v.findings[v.decider].text,
                        "central offline for 10 min (less than 15 min)");
    cJSON_ReplaceItemInObjectCaseSensitive(c, "last_ok_at",
                                           cJSON_CreateString("2026-11-25T13:45:00Z"));
    ts_status_cli_verdict(doc, &cfg, &v);
    assert_int_equal(v.code, TS_STATUS_PROBLEM); /* exactly 15 min */
    /* Never reached since start-up (08:00): counted from the start. */
    cJSON_ReplaceItemInObjectCaseSensitive(c, "last_ok_at", cJSON_CreateNull());
    ts_status_cli_verdict(doc, &cfg, &v);
    assert_int_equal(v.code, TS_STATUS_PROBLEM);
    assert_string_equal(v.findings[v.decider].text,
                        "central offline for 6 h 0 min (15 min or more)");
    cJSON_Delete(doc);
    assert_int_equal(code_with("central", "held", "\"rejected\"", text, sizeof(text)),
                     TS_STATUS_PROBLEM);
}

static void test_queue(void **state)
{
    (void)state;
    assert_int_equal(code_of("queue", "oldest_pending_age_s", "3600"), TS_STATUS_OK);
    assert_int_equal(code_of("queue", "oldest_pending_age_s", "3601"), TS_STATUS_PROBLEM);
    assert_int_equal(code_of("queue", "pending", "1000"), TS_STATUS_PROBLEM); /* full */
}

static void test_odoo(void **state)
{
    (void)state;
    cfg.odoo.full_resync_s = 900;
    assert_int_equal(code_of("odoo", "snapshot_age_s", "900"), TS_STATUS_OK);
    assert_int_equal(code_of("odoo", "snapshot_age_s", "901"), TS_STATUS_WARNING);
    assert_int_equal(code_of("odoo", "stale", "true"), TS_STATUS_PROBLEM);
    assert_int_equal(code_of("odoo", "state", "\"auth_failed\""), TS_STATUS_PROBLEM);
    assert_int_equal(code_of("odoo", "state", "\"config_error\""), TS_STATUS_PROBLEM);
    assert_int_equal(code_of("odoo", "state", "\"unreachable\""), TS_STATUS_WARNING);
    /* Not configured: its "stale" says nothing. */
    cJSON *doc = cJSON_Parse(base);
    cJSON *o = cJSON_GetObjectItemCaseSensitive(doc, "odoo");
    cJSON_ReplaceItemInObjectCaseSensitive(o, "configured", cJSON_CreateFalse());
    cJSON_ReplaceItemInObjectCaseSensitive(o, "stale", cJSON_CreateTrue());
    ts_status_verdict v;
    ts_status_cli_verdict(doc, &cfg, &v);
    assert_int_equal(v.code, TS_STATUS_OK);
    cJSON_Delete(doc);
}

static void test_cert_disk_update(void **state)
{
    (void)state;
    assert_int_equal(code_of("tls", "days_left", "30"), TS_STATUS_OK);
    assert_int_equal(code_of("tls", "days_left", "29"), TS_STATUS_WARNING);
    assert_int_equal(code_of("tls", "days_left", "14"), TS_STATUS_PROBLEM);
    assert_int_equal(code_of("tls", "days_left", "-1"), TS_STATUS_PROBLEM);
    assert_int_equal(code_of("storage", "disk_free_mb", "1000"), TS_STATUS_OK); /* 10 % */
    assert_int_equal(code_of("storage", "disk_free_mb", "999"), TS_STATUS_PROBLEM);
    assert_int_equal(code_of("storage", "healthy", "false"), TS_STATUS_PROBLEM);
    assert_int_equal(code_of("update", "state", "\"rolled_back\""), TS_STATUS_PROBLEM);
    assert_int_equal(code_of("update", "state", "\"refused\""), TS_STATUS_WARNING);
    assert_int_equal(code_of("update", "state", "\"probation\""), TS_STATUS_OK);
}

/* An issue of the page no rule covers still counts, by its own level. */
static void test_page_issues(void **state)
{
    (void)state;
    char text[256];
    assert_int_equal(
        code_with("headline", "issues",
                  "[{\"level\":\"attention\",\"code\":\"something_new\",\"text\":\"x\"}]", text,
                  sizeof(text)),
        TS_STATUS_PROBLEM);
    assert_string_equal(text, "x (something_new)");
    assert_int_equal(code_of("headline", "issues",
                             "[{\"level\":\"offline\",\"code\":\"something_new\",\"text\":\"x\"}]"),
                     TS_STATUS_WARNING);
    /* A covered one is judged by the rule (30-day page warning, 20 days: 1). */
    cJSON *doc = cJSON_Parse(base);
    cJSON_ReplaceItemInObjectCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "headline"), "issues",
        cJSON_Parse("[{\"level\":\"attention\",\"code\":\"cert_expiring\",\"text\":\"x\"}]"));
    cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "tls"),
                                           "days_left", cJSON_CreateNumber(20));
    ts_status_verdict v;
    ts_status_cli_verdict(doc, &cfg, &v);
    assert_int_equal(v.code, TS_STATUS_WARNING);
    cJSON_Delete(doc);
}

static int setup(void **state)
{
    (void)state;
    ts_config_defaults(&cfg);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_good),
        cmocka_unit_test(test_central),
        cmocka_unit_test(test_queue),
        cmocka_unit_test(test_odoo),
        cmocka_unit_test(test_cert_disk_update),
        cmocka_unit_test(test_page_issues),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
