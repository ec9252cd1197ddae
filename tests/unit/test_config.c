/*
 * test_config.c - the config file: defaults, every kind of bad value named
 * by its key, unknown keys (error when strict), and remote settings.
 */
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

#include <string.h>

#define HEX64 "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""
#define BASE                                                                                       \
    "\"store_id\":\"S042\",\"data_dir\":\"/tmp/x\",\"central\":{\"url\":\"https://c:8443\","       \
    "\"ca_file\":\"ca\",\"cert_file\":\"c\",\"key_file\":\"k\""

static int parse(ts_config *cfg, const char *json, int strict, char *err)
{
    ts_config_defaults(cfg);
    return ts_config_parse(cfg, json, strlen(json), strict, err, 256);
}

/* The config must be refused and the message must start with the key. */
static void refused(const char *json, const char *key)
{
    ts_config cfg;
    char err[256] = "";
    int rc = parse(&cfg, json, 1, err);
    assert_int_equal(rc, TS_EINVAL);
    if (strncmp(err, key, strlen(key)) != 0)
        fail_msg("expected an error about %s, got: %s", key, err);
}

static void test_defaults(void **state)
{
    ts_config cfg;
    char err[256];

    assert_int_equal(parse(&cfg, "{" BASE "}}", 1, err), 0);
    assert_string_equal(cfg.store_id, "S042");
    assert_int_equal(cfg.central.batch_max, 500);
    assert_int_equal(cfg.central.retry_max_ms, 300000);
    assert_int_equal(cfg.listen_port, 8470);
    assert_string_equal(cfg.listen_host, "127.0.0.1");
    assert_int_equal(cfg.odoo.enabled, 0);
    assert_int_equal(cfg.storage.map_size_mb, sizeof(void *) == 4 ? 256 : 1024);
    assert_int_equal(cfg.storage.journal, 1); /* the intake journal is the default */
    assert_int_equal(cfg.storage.journal_segment_mb, sizeof(void *) == 4 ? 4 : 16);
}

static void test_every_key(void **state)
{
    ts_config cfg;
    char err[256];

    assert_int_equal(
        parse(&cfg,
              "{" BASE ",\"batch_max\":100},\"listen\":\"[::1]:0\",\"registers\":[{\"id\":"
              "\"R1\",\"token_sha256\":" HEX64 "}],\"storage\":{\"acked_retention_h\":0.5},"
              "\"odoo\":{\"url\":\"http://o\",\"db\":\"d\",\"login\":\"l\","
              "\"api_key_file\":\"k\",\"location_id\":8,\"protocol\":\"json2\"}}",
              1, err),
        0);
    assert_int_equal(cfg.central.batch_max, 100);
    assert_string_equal(cfg.listen_host, "::1");
    assert_int_equal(cfg.listen_port, 0);
    assert_int_equal(cfg.n_registers, 1);
    assert_int_equal(cfg.registers[0].token_sha256[1], 0x23);
    assert_true(cfg.storage.acked_retention_h == 0.5);
    assert_int_equal(cfg.odoo.enabled, 1);
    assert_int_equal(cfg.odoo.protocol, TS_ODOO_JSON2);
}

static void test_bad_values_name_their_key(void **state)
{
    refused("{" BASE "}", "(file)");
    refused("[]", "(file)");
    refused("{\"data_dir\":\"/x\",\"central\":{\"url\":\"https://c\"}}", "store_id");
    refused("{" BASE "},\"surprise\":1}", "surprise");
    refused("{" BASE ",\"batch_max\":0}}", "central.batch_max");
    refused("{" BASE ",\"batch_max\":2.5}}", "central.batch_max");
    refused("{" BASE ",\"batch_max\":\"500\"}}", "central.batch_max");
    refused("{" BASE ",\"retry_initial_ms\":5000,\"retry_max_ms\":1000}}", "central.retry_max_ms");
    refused("{" BASE "},\"listen\":\"nocolon\"}", "listen");
    refused("{" BASE "},\"listen\":\"h:70000\"}", "listen");
    refused("{" BASE "},\"registers\":[{\"id\":\"R 1\",\"token_sha256\":" HEX64 "}]}",
            "registers[0]");
    refused("{" BASE "},\"registers\":[{\"id\":\"R1\",\"token_sha256\":\"abc\"}]}", "registers[0]");
    refused("{" BASE "},\"registers\":[{\"id\":\"R1\",\"token_sha256\":" HEX64
            "},{\"id\":\"R1\",\"token_sha256\":" HEX64 "}]}",
            "registers[1]");
    refused("{" BASE "},\"log_level\":\"loud\"}", "log_level");
    refused("{\"store_id\":\"S\",\"data_dir\":\"/x\",\"central\":{\"url\":\"http://c\"}}",
            "central.url");
    refused("{" BASE "},\"odoo\":{\"url\":\"http://o\"}}", "odoo.db");
    refused("{" BASE "},\"odoo\":{\"url\":\"http://o\",\"db\":\"d\",\"api_key_file\":\"k\","
            "\"location_id\":8,\"protocol\":\"xmlrpc\"}}",
            "odoo.protocol");
    refused("{" BASE "},\"storage\":[]}", "storage");
}

static void test_lenient_and_plain(void **state)
{
    ts_config cfg;
    char err[256];

    /* at start-up (not strict) an unknown key is a warning only */
    assert_int_equal(parse(&cfg, "{" BASE "},\"surprise\":1}", 0, err), 0);
    /* plain TCP only when the config says so in so many words */
    assert_int_equal(
        parse(&cfg,
              "{\"store_id\":\"S\",\"data_dir\":\"/x\",\"central\":{\"url\":\"http://c\","
              "\"insecure_plain\":true}}",
              1, err),
        0);
}

static void test_remote_settings(void **state)
{
    ts_config cfg;
    char err[256];

    assert_int_equal(parse(&cfg, "{" BASE "}}", 1, err), 0);
    assert_int_equal(ts_config_apply_setting(&cfg, "central.batch_max", "200", err, sizeof(err)),
                     0);
    assert_int_equal(cfg.central.batch_max, 200);
    assert_int_equal(ts_config_apply_setting(&cfg, "central.batch_max", "-1", err, sizeof(err)),
                     TS_EINVAL);
    assert_int_equal(cfg.central.batch_max, 200);
    assert_int_equal(
        ts_config_apply_setting(&cfg, "central.url", "\"https://evil\"", err, sizeof(err)),
        TS_EINVAL);
    assert_int_equal(ts_config_apply_setting(&cfg, "no.such", "1", err, sizeof(err)), TS_EINVAL);
    assert_int_equal(
        ts_config_apply_setting(&cfg, "storage.acked_retention_h", "24.5", err, sizeof(err)), 0);
    assert_true(cfg.storage.acked_retention_h == 24.5);
    assert_int_equal(ts_config_apply_setting(&cfg, "log_level", "\"debug\"", err, sizeof(err)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_bad_values_name_their_key),
        cmocka_unit_test(test_lenient_and_plain),
        cmocka_unit_test(test_remote_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
