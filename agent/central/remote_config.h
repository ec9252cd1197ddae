/*
 * remote_config.h - the agent's side of GET /v1/stores/{id}/config
 * (spec: uplink.md, config.md).
 *
 * Polls every central.config_poll_s with If-None-Match of the version it
 * applied last; on 200 applies each setting live through
 * ts_config_apply_setting() (an unknown or invalid one is skipped with a
 * warning, the rest still apply) and remembers the version in
 * cfg->remote_version. The "update" part is only recorded here, for the
 * status; acting on it belongs to the update module (update.md).
 * The uplink owns the HTTP client and drives this module.
 */
#ifndef TILLSYNC_REMOTE_CONFIG_H
#define TILLSYNC_REMOTE_CONFIG_H

#include <stdint.h>

#include "core/agent.h"
#include "http/http_client.h"

typedef struct ts_remote_config ts_remote_config;

typedef struct ts_remote_config_hooks {
    /* Every poll's outcome: ok is 1 for 200/304 (counts for the link). */
    void (*exchange_done)(void *arg, int ok, const ts_http_response *resp);
    /* Some setting changed: re-read the live ones (timers, batch size). */
    void (*settings_applied)(void *arg);
    void *arg;
} ts_remote_config_hooks;

/* What central offered in "update" (strings bounded and sanitised). */
typedef struct ts_update_offer {
    char version[64];
    char url[512];
    char sha256[65];
    char signature[256]; /* base64 of a DER ECDSA P-256 signature (<= 72 bytes) */
    int present;
} ts_update_offer;

int ts_remote_config_start(ts_remote_config **out, ts_agent *a, ts_http_client *client,
                           const ts_remote_config_hooks *hooks);
/* Polls now (besides the timer), unless a poll is in flight. */
void ts_remote_config_poll(ts_remote_config *rc);
/* Re-arms the timer after config_poll_s changed. */
void ts_remote_config_rearm(ts_remote_config *rc);
/* Stops the timer; the struct is freed once the timer handle closed and
 * any poll in flight has ended (close the client to end it). */
void ts_remote_config_stop(ts_remote_config *rc);

const ts_update_offer *ts_remote_config_update_offer(const ts_remote_config *rc);
/* The poll's figures ("central"."remote_config" in /v1/status and the
 * tillsync_config_* metrics); the version applied is cfg->remote_version. */
typedef struct ts_remote_config_snapshot {
    int64_t last_poll_ms;    /* wall ms; 0: never */
    int64_t last_applied_ms; /* 0: never */
    char last_error[256];
    char update_offered[64]; /* the version central offers; "" for none */
    uint64_t polls_applied, polls_unchanged, polls_failed, settings_skipped;
} ts_remote_config_snapshot;

void ts_remote_config_get_snapshot(const ts_remote_config *rc, ts_remote_config_snapshot *out);

/* Applies one settings object (the JSON text of "settings"); returns how
 * many settings were applied, logs a warning for each skipped one. Pure
 * apart from logging; for tests. */
int ts_remote_config_apply_settings(ts_config *cfg, const char *json, size_t len);

/* The "update" object of a whole config document, as the poll records it
 * (for the fuzz target and tests): 0, or TS_EINVAL when there is none. */
int ts_remote_config_parse_offer(const char *json, size_t len, ts_update_offer *out);

#endif
