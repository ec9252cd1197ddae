/*
 * test_config.c - the config file: defaults, every kind of bad value named
 * by its key, unknown keys (error when strict), and remote settings.
 */
#include "check.h"
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
    CHECK_EQ_INT(rc, TS_EINVAL);
    if (strncmp(err, key, strlen(key)) != 0) {
        fprintf(stderr, "expected error about %s, got: %s\n", key, err);
        CHECK(0);
    }
}

int main(void)
{
    ts_config cfg;
    char err[256];

    CHECK_EQ_INT(parse(&cfg, "{" BASE "}}", 1, err), 0);
    CHECK_EQ_STR(cfg.store_id, "S042");
    CHECK_EQ_INT(cfg.central.batch_max, 500);
    CHECK_EQ_INT(cfg.central.retry_max_ms, 300000);
    CHECK_EQ_INT(cfg.listen_port, 8470);
    CHECK_EQ_STR(cfg.listen_host, "127.0.0.1");
    CHECK_EQ_INT(cfg.odoo.enabled, 0);
    CHECK_EQ_INT(cfg.storage.map_size_mb, sizeof(void *) == 4 ? 256 : 1024);

    CHECK_EQ_INT(parse(&cfg,
                       "{" BASE ",\"batch_max\":100},\"listen\":\"[::1]:0\",\"registers\":[{\"id\":"
                       "\"R1\",\"token_sha256\":" HEX64
                       "}],\"storage\":{\"acked_retention_h\":0.5},"
                       "\"odoo\":{\"url\":\"http://o\",\"db\":\"d\",\"login\":\"l\","
                       "\"api_key_file\":\"k\",\"location_id\":8,\"protocol\":\"json2\"}}",
                       1, err),
                 0);
    CHECK_EQ_INT(cfg.central.batch_max, 100);
    CHECK_EQ_STR(cfg.listen_host, "::1");
    CHECK_EQ_INT(cfg.listen_port, 0);
    CHECK_EQ_INT(cfg.n_registers, 1);
    CHECK_EQ_INT(cfg.registers[0].token_sha256[1], 0x23);
    CHECK(cfg.storage.acked_retention_h == 0.5);
    CHECK_EQ_INT(cfg.odoo.enabled, 1);
    CHECK_EQ_INT(cfg.odoo.protocol, TS_ODOO_JSON2);

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

    /* at start-up (not strict) an unknown key is a warning only */
    CHECK_EQ_INT(parse(&cfg, "{" BASE "},\"surprise\":1}", 0, err), 0);
    /* plain TCP only when the config says so in so many words */
    CHECK_EQ_INT(parse(&cfg,
                       "{\"store_id\":\"S\",\"data_dir\":\"/x\",\"central\":{\"url\":\"http://c\","
                       "\"insecure_plain\":true}}",
                       1, err),
                 0);

    /* remote settings */
    CHECK_EQ_INT(parse(&cfg, "{" BASE "}}", 1, err), 0);
    CHECK_EQ_INT(ts_config_apply_setting(&cfg, "central.batch_max", "200", err, sizeof(err)), 0);
    CHECK_EQ_INT(cfg.central.batch_max, 200);
    CHECK_EQ_INT(ts_config_apply_setting(&cfg, "central.batch_max", "-1", err, sizeof(err)),
                 TS_EINVAL);
    CHECK_EQ_INT(cfg.central.batch_max, 200);
    CHECK_EQ_INT(ts_config_apply_setting(&cfg, "central.url", "\"https://evil\"", err, sizeof(err)),
                 TS_EINVAL);
    CHECK_EQ_INT(ts_config_apply_setting(&cfg, "no.such", "1", err, sizeof(err)), TS_EINVAL);
    CHECK_EQ_INT(
        ts_config_apply_setting(&cfg, "storage.acked_retention_h", "24.5", err, sizeof(err)), 0);
    CHECK(cfg.storage.acked_retention_h == 24.5);
    CHECK_EQ_INT(ts_config_apply_setting(&cfg, "log_level", "\"debug\"", err, sizeof(err)), 0);
    CHECK_DONE();
}
