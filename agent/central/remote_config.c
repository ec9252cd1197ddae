/* remote_config.c - polling central for live settings (see remote_config.h). */
#include "central/remote_config.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "config/config.h"
#include "core/error.h"
#include "core/log.h"

#define MAX_CONFIG_BYTES (64 * 1024)
#define MAX_SETTINGS 64
#define MAX_VALUE_TEXT 1024

struct ts_remote_config {
    ts_agent *agent;
    ts_http_client *client;
    ts_remote_config_hooks hooks;
    uv_timer_t timer;
    int timer_open;
    int in_flight;
    int stopping;
    int64_t poll_every_s; /* as armed */
    int64_t last_poll_ms;
    int64_t last_applied_ms;
    char last_error[256];
    ts_update_offer offer;
    uint64_t polls_applied, polls_unchanged, polls_failed, settings_skipped;
};

/* Printable ASCII without quotes or backslashes (the version goes back into
 * an If-None-Match header); anything else makes the copy fail. */
static int copy_token(char *dst, size_t dstlen, const char *src)
{
    size_t n = strlen(src);
    if (n >= dstlen)
        return TS_ETOOBIG;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            return TS_EINVAL;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

static int apply_settings_obj(ts_config *cfg, const cJSON *settings)
{
    int applied = 0, seen = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, settings)
    {
        char key[64], err[160];
        if (++seen > MAX_SETTINGS) {
            ts_warn("config.remote.too_many", "max=%d", MAX_SETTINGS);
            break;
        }
        if (!item->string || copy_token(key, sizeof(key), item->string) != 0) {
            ts_warn("config.remote.skipped", "key=? reason=\"unreadable key\"");
            continue;
        }
        char *value = cJSON_PrintUnformatted(item);
        if (!value || strlen(value) > MAX_VALUE_TEXT) {
            ts_warn("config.remote.skipped", "key=%s reason=\"value too big\"", key);
        } else if (ts_config_apply_setting(cfg, key, value, err, sizeof(err)) != 0) {
            ts_warn("config.remote.skipped", "key=%s reason=\"%s\"", key, err);
        } else {
            ts_info("config.remote.applied", "key=%s", key);
            applied++;
        }
        free(value);
    }
    return applied;
}

int ts_remote_config_apply_settings(ts_config *cfg, const char *json, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    int n = cJSON_IsObject(root) ? apply_settings_obj(cfg, root) : TS_EINVAL;
    cJSON_Delete(root);
    return n;
}

static void record_offer(ts_remote_config *rc, const cJSON *update)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(update, "version");
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(update, "url");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(update, "sha256");
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(update, "signature");
    memset(&rc->offer, 0, sizeof(rc->offer));
    if (!cJSON_IsObject(update) || !cJSON_IsString(v) ||
        copy_token(rc->offer.version, sizeof(rc->offer.version), v->valuestring) != 0)
        return;
    if (cJSON_IsString(url))
        copy_token(rc->offer.url, sizeof(rc->offer.url), url->valuestring);
    if (cJSON_IsString(sha))
        copy_token(rc->offer.sha256, sizeof(rc->offer.sha256), sha->valuestring);
    if (cJSON_IsString(sig))
        copy_token(rc->offer.signature, sizeof(rc->offer.signature), sig->valuestring);
    rc->offer.present = 1;
    ts_info("config.remote.update_offered", "version=%s", rc->offer.version);
}

/* 200: {"version", "settings": {...}, "update": {...}}; 0 or TS_EPROTO. */
static int apply_document(ts_remote_config *rc, const ts_http_response *resp)
{
    ts_config *cfg = rc->agent->cfg;
    char version[sizeof(cfg->remote_version)];
    if (!resp->body || resp->body_len > MAX_CONFIG_BYTES)
        return TS_EPROTO;
    cJSON *root = cJSON_ParseWithLength(resp->body, resp->body_len);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(root, "settings");
    if (!cJSON_IsObject(root) || !cJSON_IsString(v) ||
        copy_token(version, sizeof(version), v->valuestring) != 0 ||
        (settings && !cJSON_IsObject(settings))) {
        cJSON_Delete(root);
        return TS_EPROTO;
    }
    int applied = settings ? apply_settings_obj(cfg, settings) : 0;
    int total = settings ? cJSON_GetArraySize(settings) : 0;
    rc->settings_skipped += (uint64_t)(total - applied);
    memcpy(cfg->remote_version, version, strlen(version) + 1);
    record_offer(rc, cJSON_GetObjectItemCaseSensitive(root, "update"));
    cJSON_Delete(root);
    rc->last_applied_ms = ts_wall_ms();
    ts_info("config.remote.version", "version=%s applied=%d skipped=%d", version, applied,
            total - applied);
    return 0;
}

static void maybe_free(ts_remote_config *rc)
{
    if (rc->stopping && !rc->timer_open && !rc->in_flight)
        free(rc);
}

static void on_answer(void *arg, const ts_http_response *resp)
{
    ts_remote_config *rc = arg;
    int ok = 0;
    rc->in_flight = 0;
    if (rc->stopping || resp->err == TS_ECANCELED) {
        maybe_free(rc);
        return;
    }
    rc->last_poll_ms = ts_wall_ms();
    if (resp->status == 304 || resp->status == 404) {
        /* 404: central keeps no settings for this store; nothing to do. */
        rc->polls_unchanged++;
        ok = 1;
    } else if (resp->status == 200 && apply_document(rc, resp) == 0) {
        rc->polls_applied++;
        rc->last_error[0] = '\0';
        ok = 1;
    } else {
        rc->polls_failed++;
        if (resp->status == 0)
            snprintf(rc->last_error, sizeof(rc->last_error), "config poll failed: %.200s",
                     resp->reason[0] ? resp->reason : ts_strerror(resp->err));
        else
            snprintf(rc->last_error, sizeof(rc->last_error),
                     "config poll: central answered HTTP %d%s", resp->status,
                     resp->status == 200 ? " with an unreadable document" : "");
        ts_warn("config.remote.failed", "msg=\"%s\"", rc->last_error);
    }
    if (rc->hooks.exchange_done)
        rc->hooks.exchange_done(rc->hooks.arg, ok, resp);
    if (ok && resp->status == 200 && rc->hooks.settings_applied)
        rc->hooks.settings_applied(rc->hooks.arg);
}

void ts_remote_config_poll(ts_remote_config *rc)
{
    const ts_config *cfg = rc->agent->cfg;
    char path[TS_CENTRAL_PATH_MAX], headers[sizeof(cfg->remote_version) + 32];
    if (rc->in_flight || rc->stopping)
        return;
    ts_config_central_path(cfg, "config", path, sizeof(path));
    headers[0] = '\0';
    if (cfg->remote_version[0])
        snprintf(headers, sizeof(headers), "If-None-Match: \"%s\"\r\n", cfg->remote_version);
    if (ts_http_client_request(rc->client, "GET", path, headers, NULL, NULL, 0, on_answer, rc) == 0)
        rc->in_flight = 1;
}

static void on_timer(uv_timer_t *t)
{
    ts_remote_config_poll(t->data);
}

void ts_remote_config_rearm(ts_remote_config *rc)
{
    int64_t s = rc->agent->cfg->central.config_poll_s;
    if (s <= 0)
        s = 300;
    if (s == rc->poll_every_s)
        return;
    rc->poll_every_s = s;
    uv_timer_start(&rc->timer, on_timer, (uint64_t)s * 1000, (uint64_t)s * 1000);
}

int ts_remote_config_start(ts_remote_config **out, ts_agent *a, ts_http_client *client,
                           const ts_remote_config_hooks *hooks)
{
    ts_remote_config *rc = calloc(1, sizeof(*rc));
    if (!rc)
        return TS_ENOMEM;
    rc->agent = a;
    rc->client = client;
    rc->hooks = *hooks;
    uv_timer_init(a->loop, &rc->timer);
    rc->timer.data = rc;
    rc->timer_open = 1;
    ts_remote_config_rearm(rc);
    ts_remote_config_poll(rc); /* at start: settings a restart forgot */
    *out = rc;
    return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    ts_remote_config *rc = h->data;
    rc->timer_open = 0;
    maybe_free(rc);
}

void ts_remote_config_stop(ts_remote_config *rc)
{
    rc->stopping = 1;
    uv_close((uv_handle_t *)&rc->timer, on_timer_closed);
}

const ts_update_offer *ts_remote_config_update_offer(const ts_remote_config *rc)
{
    return &rc->offer;
}

void ts_remote_config_get_snapshot(const ts_remote_config *rc, ts_remote_config_snapshot *out)
{
    memset(out, 0, sizeof(*out));
    out->last_poll_ms = rc->last_poll_ms;
    out->last_applied_ms = rc->last_applied_ms;
    snprintf(out->last_error, sizeof(out->last_error), "%s", rc->last_error);
    if (rc->offer.present)
        snprintf(out->update_offered, sizeof(out->update_offered), "%s", rc->offer.version);
    out->polls_applied = rc->polls_applied;
    out->polls_unchanged = rc->polls_unchanged;
    out->polls_failed = rc->polls_failed;
    out->settings_skipped = rc->settings_skipped;
}

int ts_remote_config_parse_offer(const char *json, size_t len, ts_update_offer *out)
{
    ts_remote_config rc;
    cJSON *root = cJSON_ParseWithLength(json, len);
    memset(&rc, 0, sizeof(rc));
    record_offer(&rc, cJSON_GetObjectItemCaseSensitive(root, "update"));
    cJSON_Delete(root);
    *out = rc.offer;
    return out->present ? 0 : TS_EINVAL;
}
