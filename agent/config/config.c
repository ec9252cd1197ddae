/*
 * config.c - the config file (spec: config.md).
 *
 * One table describes every scalar key: its JSON path, type, bounds, where
 * it lands in ts_config, and whether central may change it live. The file
 * loader, --check-config and the remote settings all go through that table,
 * so a key is validated the same way wherever it comes from. The few keys
 * with structure (listen, registers, tokens) have small parsers of their own.
 */
#include "config/config.h"
#include "core/buf.h"
#include "crypto/crypto.h"
#include "core/error.h"
#include "core/log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TS_CONFIG_MAX_BYTES (1024 * 1024)

typedef enum { K_STR, K_I64, K_INT, K_BOOL, K_HOURS, K_U64, K_SPECIAL } key_type;

typedef struct key_spec {
    const char *name; /* "central.batch_max" */
    key_type type;
    size_t offset;    /* of the field in ts_config (not K_SPECIAL) */
    size_t size;      /* of that field: K_STR's buffer size */
    size_t min_len;   /* K_STR: 0 may be null or empty */
    int64_t min, max; /* K_I64, K_INT, K_U64, K_HOURS */
    int live;         /* may central change it (uplink.md settings)? */
} key_spec;

#define FIELD(field) .offset = offsetof(ts_config, field), .size = sizeof(((ts_config *)0)->field)
#define DAY (86400LL)

/* One key per entry, as the config reference reads it. */
/* clang-format off */
static const key_spec keys[] = {
    {.name = "store_id", .type = K_STR, FIELD(store_id), .min_len = 1},
    {.name = "data_dir", .type = K_STR, FIELD(data_dir), .min_len = 1},
    {.name = "listen", .type = K_SPECIAL},
    {.name = "registers", .type = K_SPECIAL},
    {.name = "status_token_sha256", .type = K_SPECIAL},
    {.name = "log_level", .type = K_SPECIAL, .live = 1},
    {.name = "central", .type = K_SPECIAL},
    {.name = "central.url", .type = K_STR, FIELD(central.url), .min_len = 1},
    {.name = "central.ca_file", .type = K_STR, FIELD(central.ca_file), .min_len = 1},
    {.name = "central.cert_file", .type = K_STR, FIELD(central.cert_file), .min_len = 1},
    {.name = "central.key_file", .type = K_STR, FIELD(central.key_file), .min_len = 1},
    {.name = "central.batch_max", .type = K_INT, FIELD(central.batch_max),
     .min = 1, .max = 10000, .live = 1},
    {.name = "central.retry_initial_ms", .type = K_I64, FIELD(central.retry_initial_ms),
     .min = 10, .max = DAY * 1000, .live = 1},
    {.name = "central.retry_max_ms", .type = K_I64, FIELD(central.retry_max_ms),
     .min = 10, .max = DAY * 1000, .live = 1},
    {.name = "central.heartbeat_s", .type = K_I64, FIELD(central.heartbeat_s),
     .min = 1, .max = DAY, .live = 1},
    {.name = "central.config_poll_s", .type = K_I64, FIELD(central.config_poll_s),
     .min = 1, .max = DAY, .live = 1},
    {.name = "central.skip_lost", .type = K_BOOL, FIELD(central.skip_lost)},
    {.name = "central.insecure_plain", .type = K_BOOL, FIELD(central.insecure_plain)},
    {.name = "odoo", .type = K_SPECIAL},
    {.name = "odoo.url", .type = K_STR, FIELD(odoo.url), .min_len = 1},
    {.name = "odoo.protocol", .type = K_SPECIAL},
    {.name = "odoo.db", .type = K_STR, FIELD(odoo.db), .min_len = 1},
    {.name = "odoo.login", .type = K_STR, FIELD(odoo.login)},
    {.name = "odoo.api_key_file", .type = K_STR, FIELD(odoo.api_key_file), .min_len = 1},
    {.name = "odoo.location_id", .type = K_I64, FIELD(odoo.location_id),
     .min = 1, .max = INT32_MAX},
    {.name = "odoo.pricelist_id", .type = K_I64, FIELD(odoo.pricelist_id),
     .min = 0, .max = INT32_MAX},
    {.name = "odoo.company_id", .type = K_I64, FIELD(odoo.company_id),
     .min = 0, .max = INT32_MAX},
    {.name = "odoo.full_resync_s", .type = K_I64, FIELD(odoo.full_resync_s),
     .min = 1, .max = 30 * DAY, .live = 1},
    {.name = "odoo.resync_jitter_s", .type = K_I64, FIELD(odoo.resync_jitter_s),
     .min = 0, .max = DAY, .live = 1},
    {.name = "odoo.delta_s", .type = K_I64, FIELD(odoo.delta_s), .min = 1, .max = DAY, .live = 1},
    {.name = "odoo.delta_overlap_s", .type = K_I64, FIELD(odoo.delta_overlap_s),
     .min = 0, .max = DAY, .live = 1},
    {.name = "odoo.reflect_margin_s", .type = K_I64, FIELD(odoo.reflect_margin_s),
     .min = 0, .max = DAY, .live = 1},
    {.name = "odoo.stale_after_s", .type = K_I64, FIELD(odoo.stale_after_s),
     .min = 1, .max = 365 * DAY, .live = 1},
    {.name = "odoo.page_size", .type = K_INT, FIELD(odoo.page_size),
     .min = 10, .max = 10000, .live = 1},
    {.name = "odoo.ca_file", .type = K_STR, FIELD(odoo.ca_file)},
    {.name = "storage", .type = K_SPECIAL},
    {.name = "storage.map_size_mb", .type = K_U64, FIELD(storage.map_size_mb),
     .min = 16, .max = 1024 * 1024},
    {.name = "storage.max_pending", .type = K_U64, FIELD(storage.max_pending),
     .min = 1, .max = 1000000000, .live = 1},
    {.name = "storage.acked_retention_h", .type = K_HOURS, FIELD(storage.acked_retention_h),
     .min = 0, .max = 24 * 3650, .live = 1},
    {.name = "storage.journal", .type = K_BOOL, FIELD(storage.journal)},
    {.name = "storage.journal_segment_mb", .type = K_U64, FIELD(storage.journal_segment_mb),
     .min = 1, .max = 1024},
    {.name = "update", .type = K_SPECIAL},
    {.name = "update.public_key_file", .type = K_STR, FIELD(update.public_key_file)},
    {.name = "update.allow_downgrade", .type = K_BOOL, FIELD(update.allow_downgrade)},
    {.name = "update.health_grace_s", .type = K_I64, FIELD(update.health_grace_s),
     .min = 1, .max = DAY},
    {.name = "update.max_probation_starts", .type = K_INT, FIELD(update.max_probation_starts),
     .min = 1, .max = 100},
    {.name = "update.idle_s", .type = K_I64, FIELD(update.idle_s), .min = 0, .max = DAY},
    {.name = "update.max_wait_s", .type = K_I64, FIELD(update.max_wait_s), .min = 0,
     .max = 7 * DAY},
    {.name = "http.max_conns", .type = K_INT, FIELD(http_max_conns), .min = 1, .max = 65536},
    {.name = "http.idle_timeout_ms", .type = K_I64, FIELD(http_idle_timeout_ms),
     .min = 50, .max = 3600 * 1000},
    {.name = "http.max_conns_per_addr", .type = K_INT, FIELD(http_max_conns_per_addr),
     .min = 1, .max = 65536},
    {.name = "http.header_timeout_ms", .type = K_I64, FIELD(http_header_timeout_ms),
     .min = 50, .max = 3600 * 1000},
    {.name = "http", .type = K_SPECIAL},
};
/* clang-format on */
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

void ts_config_defaults(ts_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    strcpy(cfg->listen_host, "127.0.0.1");
    cfg->listen_port = 8470;
    cfg->central.batch_max = 500;
    cfg->central.retry_initial_ms = 1000;
    cfg->central.retry_max_ms = 300000;
    cfg->central.heartbeat_s = 60;
    cfg->central.config_poll_s = 300;
    cfg->odoo.protocol = TS_ODOO_AUTO;
    cfg->odoo.full_resync_s = 900;
    cfg->odoo.resync_jitter_s = 60;
    cfg->odoo.delta_s = 60;
    cfg->odoo.delta_overlap_s = 300;
    cfg->odoo.reflect_margin_s = 120;
    cfg->odoo.stale_after_s = 3600;
    cfg->odoo.page_size = 2000;
    /* A 32-bit process has about 3 GiB of address space for everything. */
    cfg->storage.map_size_mb = sizeof(void *) == 4 ? 256 : 1024;
    cfg->storage.max_pending = 1000000;
    cfg->storage.acked_retention_h = 168;
    /* One flush per group of sales (docs/intake-journal.md). */
    cfg->storage.journal = 1;
    /* The journal's replay bound and the memory of unflushed sales. */
    cfg->storage.journal_segment_mb = sizeof(void *) == 4 ? 4 : 16;
    cfg->update.health_grace_s = 120;
    cfg->update.max_probation_starts = 3;
    cfg->update.idle_s = 30;
    cfg->update.max_wait_s = 3600;
    cfg->http_max_conns = 256;
    cfg->http_idle_timeout_ms = 30000;
    cfg->http_max_conns_per_addr = 32;
    cfg->http_header_timeout_ms = 10000;
    cfg->log_level = TS_LOG_INFO;
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
fail(char *err, size_t errlen, const char *key, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s: %s", key, why);
    return TS_EINVAL;
}

static const key_spec *find_key(const char *path)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].name, path) == 0)
            return &keys[i];
    return NULL;
}

/* Is v a JSON number holding a whole value (no fraction)? */
static int whole_number(const cJSON *v, double *out)
{
    if (!cJSON_IsNumber(v))
        return 0;
    double d = v->valuedouble;
    if (!isfinite(d) || floor(d) != d || fabs(d) > 9007199254740992.0)
        return 0;
    *out = d;
    return 1;
}

static int set_scalar(ts_config *cfg, const key_spec *k, const cJSON *v, char *err, size_t errlen)
{
    void *field = (char *)cfg + k->offset; /* offsetof a field of its own type */
    double d;
    switch (k->type) {
    case K_STR:
        if (cJSON_IsNull(v) && k->min_len == 0) {
            *(char *)field = '\0';
            return 0;
        }
        if (!cJSON_IsString(v))
            return fail(err, errlen, k->name, "must be a string");
        if (strlen(v->valuestring) < k->min_len)
            return fail(err, errlen, k->name, "must not be empty");
        if (strlen(v->valuestring) >= k->size)
            return fail(err, errlen, k->name, "longer than %zu characters", k->size - 1);
        strcpy((char *)field, v->valuestring);
        return 0;
    case K_BOOL:
        if (!cJSON_IsBool(v))
            return fail(err, errlen, k->name, "must be true or false");
        *(int *)field = cJSON_IsTrue(v);
        return 0;
    case K_HOURS:
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < k->min ||
            v->valuedouble > k->max)
            return fail(err, errlen, k->name, "must be a number of hours from %lld to %lld",
                        (long long)k->min, (long long)k->max);
        *(double *)field = v->valuedouble;
        return 0;
    case K_INT:
    case K_I64:
    case K_U64:
        if (cJSON_IsNull(v) && k->type == K_I64 && k->min == 0) {
            *(int64_t *)field = 0; /* "none" (odoo.pricelist_id, odoo.company_id) */
            return 0;
        }
        if (!whole_number(v, &d) || d < (double)k->min || d > (double)k->max)
            return fail(err, errlen, k->name, "must be a whole number from %lld to %lld",
                        (long long)k->min, (long long)k->max);
        if (k->type == K_INT)
            *(int *)field = (int)d;
        else if (k->type == K_I64)
            *(int64_t *)field = (int64_t)d;
        else
            *(uint64_t *)field = (uint64_t)d;
        return 0;
    case K_SPECIAL:
        break;
    }
    return fail(err, errlen, k->name, "cannot be set this way");
}

static int parse_listen(ts_config *cfg, const cJSON *v, char *err, size_t errlen)
{
    if (!cJSON_IsString(v))
        return fail(err, errlen, "listen", "must be a string \"host:port\"");
    const char *s = v->valuestring;
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return fail(err, errlen, "listen", "must be \"host:port\", e.g. \"127.0.0.1:8470\"");
    const char *host = s;
    size_t hlen = (size_t)(colon - s);
    if (host[0] == '[' && hlen >= 2 && host[hlen - 1] == ']') { /* [::1]:8470 */
        host++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= sizeof(cfg->listen_host))
        return fail(err, errlen, "listen", "host part is empty or too long");
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
        return fail(err, errlen, "listen", "port must be a number from 0 to 65535");
    memcpy(cfg->listen_host, host, hlen);
    cfg->listen_host[hlen] = '\0';
    cfg->listen_port = (int)port;
    return 0;
}

static int valid_register_id(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > TS_REGISTER_ID_MAX)
        return 0;
    for (; *s; s++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-", *s))
            return 0;
    return 1;
}

static int parse_registers(ts_config *cfg, const cJSON *v, char *err, size_t errlen)
{
    if (!cJSON_IsArray(v))
        return fail(err, errlen, "registers", "must be a list of {\"id\", \"token_sha256\"}");
    int n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, v)
    {
        char where[48];
        snprintf(where, sizeof(where), "registers[%d]", n);
        if (n >= TS_MAX_REGISTERS)
            return fail(err, errlen, "registers", "more than %d registers", TS_MAX_REGISTERS);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
        const cJSON *tok = cJSON_GetObjectItemCaseSensitive(r, "token_sha256");
        if (!cJSON_IsObject(r) || !cJSON_IsString(id) || !valid_register_id(id->valuestring))
            return fail(err, errlen, where, "id must be 1-32 characters of A-Z a-z 0-9 . _ : -");
        if (!cJSON_IsString(tok) || ts_unhex32(tok->valuestring, cfg->registers[n].token_sha256))
            return fail(err, errlen, where,
                        "token_sha256 must be 64 hex characters (sha256 of the bearer token)");
        for (int j = 0; j < n; j++)
            if (strcmp(cfg->registers[j].id, id->valuestring) == 0)
                return fail(err, errlen, where, "register \"%s\" is listed twice", id->valuestring);
        strcpy(cfg->registers[n].id, id->valuestring);
        n++;
    }
    cfg->n_registers = n;
    return 0;
}

static int parse_special(ts_config *cfg, const char *path, const cJSON *v, char *err, size_t errlen)
{
    if (strcmp(path, "listen") == 0)
        return parse_listen(cfg, v, err, errlen);
    if (strcmp(path, "registers") == 0)
        return parse_registers(cfg, v, err, errlen);
    if (strcmp(path, "status_token_sha256") == 0) {
        if (cJSON_IsNull(v)) {
            cfg->has_status_token = 0;
            return 0;
        }
        if (!cJSON_IsString(v) || ts_unhex32(v->valuestring, cfg->status_token_sha256))
            return fail(err, errlen, path, "must be null or 64 hex characters");
        cfg->has_status_token = 1;
        return 0;
    }
    if (strcmp(path, "log_level") == 0) {
        ts_log_level lvl;
        if (!cJSON_IsString(v) || ts_log_level_parse(v->valuestring, &lvl))
            return fail(err, errlen, path, "must be one of debug, info, warn, error");
        cfg->log_level = (int)lvl;
        return 0;
    }
    if (strcmp(path, "odoo.protocol") == 0) {
        static const char *const names[] = {"auto", "jsonrpc", "json2"};
        for (int i = 0; i < 3; i++)
            if (cJSON_IsString(v) && strcmp(v->valuestring, names[i]) == 0) {
                cfg->odoo.protocol = (ts_odoo_protocol)i;
                return 0;
            }
        return fail(err, errlen, path, "must be one of auto, jsonrpc, json2");
    }
    return fail(err, errlen, path, "unexpected");
}

static int is_section(const char *path)
{
    static const char *const sections[] = {"central", "odoo", "storage", "update", "http"};
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        if (strcmp(path, sections[i]) == 0)
            return 1;
    return 0;
}

static int load_object(ts_config *cfg, const cJSON *obj, const char *prefix, int strict, char *err,
                       size_t errlen);

/* "central": {...} and friends; "odoo": null turns the Odoo copy off. */
static int load_section(ts_config *cfg, const char *name, const cJSON *v, int strict, char *err,
                        size_t errlen)
{
    int is_odoo = strcmp(name, "odoo") == 0;
    if (is_odoo && cJSON_IsNull(v)) {
        cfg->odoo.enabled = 0;
        return 0;
    }
    if (!cJSON_IsObject(v))
        return fail(err, errlen, name, "must be an object");
    if (is_odoo)
        cfg->odoo.enabled = 1;
    char prefix[160];
    snprintf(prefix, sizeof(prefix), "%s.", name);
    return load_object(cfg, v, prefix, strict, err, errlen);
}

/* Walks one object, setting each known key; prefix "" or "central." etc. */
static int load_object(ts_config *cfg, const cJSON *obj, const char *prefix, int strict, char *err,
                       size_t errlen)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, obj)
    {
        char path[128];
        if (snprintf(path, sizeof(path), "%s%s", prefix, v->string) >= (int)sizeof(path)) {
            if (strict)
                return fail(err, errlen, prefix, "has a key longer than %zu characters",
                            sizeof(path) - 1);
            continue;
        }
        const key_spec *k = find_key(path);
        if (!k) {
            if (strict)
                return fail(err, errlen, path, "unknown key");
            ts_warn("config.unknown_key", "key=%s", path);
            continue;
        }
        int rc;
        if (k->type != K_SPECIAL)
            rc = set_scalar(cfg, k, v, err, errlen);
        else if (is_section(path))
            rc = load_section(cfg, path, v, strict, err, errlen);
        else
            rc = parse_special(cfg, path, v, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

/* Rules that span keys: required keys, and values that only make sense together. */
static int check_whole(const ts_config *cfg, char *err, size_t errlen)
{
    if (!cfg->store_id[0])
        return fail(err, errlen, "store_id", "is required");
    if (!cfg->data_dir[0])
        return fail(err, errlen, "data_dir", "is required");
    if (!cfg->central.url[0])
        return fail(err, errlen, "central.url", "is required");
    int plain = strncmp(cfg->central.url, "http://", 7) == 0;
    if (plain && !cfg->central.insecure_plain)
        return fail(err, errlen, "central.url", "must be https:// (txns never go over plain TCP)");
    if (!plain && strncmp(cfg->central.url, "https://", 8) != 0)
        return fail(err, errlen, "central.url", "must start with https://");
    if (!plain) {
        if (!cfg->central.ca_file[0])
            return fail(err, errlen, "central.ca_file", "is required");
        if (!cfg->central.cert_file[0])
            return fail(err, errlen, "central.cert_file", "is required");
        if (!cfg->central.key_file[0])
            return fail(err, errlen, "central.key_file", "is required");
    }
    if (cfg->central.retry_max_ms < cfg->central.retry_initial_ms)
        return fail(err, errlen, "central.retry_max_ms", "must not be below retry_initial_ms");
    if (cfg->odoo.enabled) {
        if (!cfg->odoo.url[0])
            return fail(err, errlen, "odoo.url", "is required when odoo is set");
        if (strncmp(cfg->odoo.url, "https://", 8) && strncmp(cfg->odoo.url, "http://", 7))
            return fail(err, errlen, "odoo.url", "must start with https:// or http://");
        if (!cfg->odoo.db[0])
            return fail(err, errlen, "odoo.db", "is required when odoo is set");
        if (!cfg->odoo.api_key_file[0])
            return fail(err, errlen, "odoo.api_key_file", "is required when odoo is set");
        if (!cfg->odoo.location_id)
            return fail(err, errlen, "odoo.location_id", "is required when odoo is set");
        if (cfg->odoo.protocol != TS_ODOO_JSON2 && !cfg->odoo.login[0])
            return fail(err, errlen, "odoo.login",
                        "is required for JSON-RPC (protocol auto or jsonrpc)");
    }
    if (sizeof(void *) == 4 && cfg->storage.map_size_mb > 1024)
        return fail(err, errlen, "storage.map_size_mb",
                    "must be at most 1024 on a 32-bit system (address space)");
    return 0;
}

int ts_config_parse(ts_config *cfg, const char *json, size_t len, int strict, char *err,
                    size_t errlen)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root)
        return fail(err, errlen, "(file)", "is not valid JSON (near byte %ld)",
                    (long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - json : 0));
    int rc;
    if (!cJSON_IsObject(root))
        rc = fail(err, errlen, "(file)", "must be a JSON object");
    else
        rc = load_object(cfg, root, "", strict, err, errlen);
    cJSON_Delete(root);
    return rc ? rc : check_whole(cfg, err, errlen);
}

int ts_config_load(ts_config *cfg, const char *path, int strict, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, errlen, path, "cannot open: %s", strerror(errno));
    char *buf = malloc(TS_CONFIG_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, TS_CONFIG_MAX_BYTES + 1, f) : 0;
    int rc;
    if (!buf)
        rc = fail(err, errlen, path, "out of memory");
    else if (ferror(f))
        rc = fail(err, errlen, path, "read error: %s", strerror(errno));
    else if (n > TS_CONFIG_MAX_BYTES)
        rc = fail(err, errlen, path, "larger than 1 MiB");
    else
        rc = ts_config_parse(cfg, buf, n, strict, err, errlen);
    free(buf);
    fclose(f);
    return rc;
}

int ts_config_apply_setting(ts_config *cfg, const char *key, const char *json_value, char *err,
                            size_t errlen)
{
    const key_spec *k = find_key(key);
    if (!k)
        return fail(err, errlen, key, "unknown setting");
    if (!k->live)
        return fail(err, errlen, key, "cannot be changed remotely");
    cJSON *v = cJSON_Parse(json_value);
    if (!v)
        return fail(err, errlen, key, "value is not JSON");
    ts_config next = *cfg;
    int rc = k->type == K_SPECIAL ? parse_special(&next, key, v, err, errlen)
                                  : set_scalar(&next, k, v, err, errlen);
    cJSON_Delete(v);
    if (rc == 0 && next.central.retry_max_ms < next.central.retry_initial_ms)
        rc = fail(err, errlen, key, "would put retry_max_ms below retry_initial_ms");
    if (rc == 0) {
        *cfg = next;
        if (strcmp(key, "log_level") == 0)
            ts_log_set_level((ts_log_level)cfg->log_level);
    }
    return rc;
}

/* The store's own path on central, "/v1/stores/{store_id}/{what}", with
 * store_id percent-encoded outside [A-Za-z0-9._-] (uplink.md). */
void ts_config_central_path(const ts_config *cfg, const char *what, char *out, size_t outlen)
{
    ts_buf b;
    ts_buf_init(&b, outlen - 1);
    ts_buf_puts(&b, "/v1/stores/");
    for (const char *p = cfg->store_id; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.')
            ts_buf_append(&b, p, 1);
        else
            ts_buf_printf(&b, "%%%02X", c);
    }
    ts_buf_printf(&b, "/%s", what);
    snprintf(out, outlen, "%s", ts_buf_ok(&b) && b.data ? b.data : "");
    ts_buf_free(&b);
}
