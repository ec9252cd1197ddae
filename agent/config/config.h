/*
 * config.h - the config file (spec: config.md) as a plain struct.
 *
 * ts_config_load() reads and validates a JSON file; every problem is named
 * with its key. Durations keep the spec's units in their names. Secrets are
 * never in here: only the paths of the files that hold them.
 * Remote settings (uplink.md config poll) change the few live fields through
 * ts_config_apply_setting().
 */
#ifndef TILLSYNC_CONFIG_H
#define TILLSYNC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define TS_MAX_REGISTERS 256
#define TS_REGISTER_ID_MAX 32
#define TS_STORE_ID_MAX 64
#define TS_PATH_MAX 1024
#define TS_URL_MAX 1024

typedef struct ts_register {
    char id[TS_REGISTER_ID_MAX + 1];
    uint8_t token_sha256[32];
} ts_register;

typedef struct ts_central_config {
    char url[TS_URL_MAX];
    char ca_file[TS_PATH_MAX];
    char cert_file[TS_PATH_MAX];
    char key_file[TS_PATH_MAX];
    int batch_max;            /* 1..10000, default 500 */
    int64_t retry_initial_ms; /* default 1000 */
    int64_t retry_max_ms;     /* default 300000 */
    int64_t heartbeat_s;      /* default 60 */
    int64_t config_poll_s;    /* default 300 */
    int skip_lost;            /* default false */
    int insecure_plain;       /* tests only: plain TCP, status shows a warning */
} ts_central_config;

typedef enum { TS_ODOO_AUTO = 0, TS_ODOO_JSONRPC, TS_ODOO_JSON2 } ts_odoo_protocol;

typedef struct ts_odoo_config {
    int enabled; /* 0 when the "odoo" object is absent */
    char url[TS_URL_MAX];
    ts_odoo_protocol protocol;
    char db[128];
    char login[128];
    char api_key_file[TS_PATH_MAX];
    int64_t location_id;
    int64_t pricelist_id;      /* 0 = none */
    int64_t company_id;        /* 0 = the bot user's company (costs read for it) */
    int64_t full_resync_s;     /* 900 */
    int64_t resync_jitter_s;   /* 60: most delay of a resync after the link returns */
    int64_t delta_s;           /* 60 */
    int64_t delta_overlap_s;   /* 300 */
    int64_t reflect_margin_s;  /* 120 */
    int64_t stale_after_s;     /* 3600 */
    int page_size;             /* 2000 */
    char ca_file[TS_PATH_MAX]; /* "" = system trust store */
} ts_odoo_config;

typedef struct ts_storage_config {
    uint64_t map_size_mb;     /* 1024 on 64-bit, 256 on 32-bit */
    uint64_t max_pending;     /* 1000000 */
    double acked_retention_h; /* 168; fractions allowed */
    int journal; /* intake journal (docs/intake-journal.md); 0 = LMDB commit per group */
    uint64_t journal_segment_mb; /* 16 on 64-bit, 4 on 32-bit */
} ts_storage_config;

typedef struct ts_update_config {
    char public_key_file[TS_PATH_MAX];
    int allow_downgrade;
    int64_t health_grace_s;   /* 120 */
    int max_probation_starts; /* 3 */
    int64_t idle_s;           /* 30: no POST this long = between sales */
    int64_t max_wait_s;       /* 3600: restart at the latest this long after install */
} ts_update_config;

typedef struct ts_config {
    char store_id[TS_STORE_ID_MAX + 1];
    char data_dir[TS_PATH_MAX];
    char listen_host[64];
    int listen_port;
    ts_register registers[TS_MAX_REGISTERS];
    int n_registers;
    int has_status_token;
    uint8_t status_token_sha256[32];
    ts_central_config central;
    ts_odoo_config odoo;
    ts_storage_config storage;
    ts_update_config update;
    int log_level; /* ts_log_level */
    /* Local-API limits (not in the spec; defaults suit a store). */
    int http_max_conns;             /* 256 */
    int64_t http_idle_timeout_ms;   /* 30000: read time-out per connection */
    int http_max_conns_per_addr;    /* 32: per client address (docs/decisions.md) */
    int64_t http_header_timeout_ms; /* 10000: first byte to whole headers */
    char remote_version[128];       /* version of the remote settings applied */
} ts_config;

/* Fills every default. */
void ts_config_defaults(ts_config *cfg);

/*
 * Loads FILE over the defaults. strict: unknown keys are errors (for
 * --check-config); otherwise they are warnings logged. On failure returns
 * TS_EINVAL and writes one line "key: why" into err.
 */
int ts_config_load(ts_config *cfg, const char *path, int strict, char *err, size_t errlen);
int ts_config_parse(ts_config *cfg, const char *json, size_t len, int strict, char *err,
                    size_t errlen);

/* Applies one remote setting ("central.batch_max", JSON-typed value as
 * text); returns 0, or TS_EINVAL with a reason in err (caller warns). */
int ts_config_apply_setting(ts_config *cfg, const char *key, const char *json_value, char *err,
                            size_t errlen);

/* The store's path on central: "/v1/stores/{store_id}/{what}" (uplink.md),
 * into out of TS_CENTRAL_PATH_MAX bytes. */
#define TS_CENTRAL_PATH_MAX 256
void ts_config_central_path(const ts_config *cfg, const char *what, char *out, size_t outlen);

#endif
