/*
 * update.c - the self-update's state machine on the loop (see update.h).
 * Download: update_fetch.c; verify and install: update_install.c; files in
 * data_dir: update_state.c; choosing the version at start: ../launcher.c.
 */
#include "central/update.h"
#include "central/remote_config.h"
#include "central/update_fetch.h"
#include "central/update_install.h"
#include "central/uplink.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/prom.h"
#include "crypto/crypto.h"
#include "http/http_server.h"
#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TICK_MS 200
#define OFFER_KEY_MAX (TS_SEMVER_MAX + 70)

static const char *const state_names[TS_UPDATE_STATE_COUNT] = {
    "idle", "downloading", "verifying", "waiting_for_quiet", "installing", "probation",
    "good", "rolled_back", "refused"};

struct ts_update {
    ts_agent *a;
    ts_curl_uv *cu;
    uv_timer_t timer;
    ts_update_state files; /* update-state.json as last read or written */
    ts_update_state_id state;
    ts_update_offer offer;           /* the offer being acted on */
    char offered[TS_SEMVER_MAX + 1]; /* what central offers now */
    char handled[OFFER_KEY_MAX];     /* version|sha256 of the last offer decided */
    char part[TS_PATH_MAX + 128];
    ts_update_fetch *fetch;
    ts_update_job *job;
    uint64_t progress;
    int64_t size;
    int fetch_failures;
    uint64_t retry_at_mono, wait_since_mono, last_post_mono;
    int64_t probation_deadline_ms;
    int served;
    CURL *probe;
    int restart_asked;
    ts_update_restart_fn restart;
    void *restart_arg;
    uint64_t refusals, downloads, download_failures;
};

const char *ts_update_state_name(ts_update_state_id s)
{
    return s < TS_UPDATE_STATE_COUNT ? state_names[s] : "idle";
}

static void set_state(ts_update *u, ts_update_state_id s)
{
    if (u->state != s)
        ts_info("update.state", "state=%s previous=%s", state_names[s], state_names[u->state]);
    u->state = s;
}

static void save_result(ts_update *u, int rolled_back, const char *words)
{
    ts_update_set_result(&u->files, rolled_back, "%s", words);
    ts_update_state_save(u->a->cfg->data_dir, &u->files);
}

static void refuse(ts_update *u, const char *why)
{
    char words[TS_UPDATE_REASON_MAX * 2];
    snprintf(words, sizeof(words), "%s refused: %s", u->offer.version, why);
    ts_warn("update.refused", "version=%s reason=\"%s\"", u->offer.version, why);
    u->refusals++;
    save_result(u, 0, words);
    set_state(u, TS_UPDATE_REFUSED);
}

/* ---- Restart ---- */

static void ask_restart(ts_update *u, const char *why)
{
    if (u->restart_asked || !u->restart)
        return;
    u->restart_asked = 1;
    ts_info("update.restart", "why=%s", why);
    u->restart(u->restart_arg, why);
}

/* Between sales: no POST for idle_s and no LMDB write in hand, or
 * max_wait_s after the install at the latest. */
static void check_quiet(ts_update *u)
{
    const ts_update_config *c = &u->a->cfg->update;
    uint64_t now = ts_mono_ms();
    int idle = now - u->last_post_mono >= (uint64_t)c->idle_s * 1000 &&
               ts_store_in_flight(u->a->store) == 0;
    if (idle || now - u->wait_since_mono >= (uint64_t)c->max_wait_s * 1000)
        ask_restart(u, idle ? "update_quiet" : "update_max_wait");
}

/* ---- Install (after the download) ---- */

static void on_job_done(void *arg, ts_update_job *job)
{
    ts_update *u = arg;
    u->job = NULL;
    if (job->rc == 0) {
        u->files = job->state;
        ts_info("update.installed", "version=%s previous=%s", job->version, job->running);
        u->wait_since_mono = ts_mono_ms();
        set_state(u, TS_UPDATE_WAITING_FOR_QUIET);
    } else if (job->rc != TS_ECANCELED) {
        refuse(u, job->why);
    }
    free(job);
}

static void start_install(ts_update *u)
{
    const ts_config *cfg = u->a->cfg;
    ts_update_job *j = calloc(1, sizeof(*j));
    if (!j) {
        refuse(u, "out of memory");
        return;
    }
    snprintf(j->data_dir, sizeof(j->data_dir), "%s", cfg->data_dir);
    snprintf(j->part, sizeof(j->part), "%s", u->part);
    snprintf(j->pubkey, sizeof(j->pubkey), "%s", cfg->update.public_key_file);
    snprintf(j->version, sizeof(j->version), "%s", u->offer.version);
    snprintf(j->sha256, sizeof(j->sha256), "%s", u->offer.sha256);
    snprintf(j->signature, sizeof(j->signature), "%s", u->offer.signature);
    snprintf(j->running, sizeof(j->running), "%s", TS_VERSION);
    j->running_installed = getenv("TILLSYNC_INSTALLED") != NULL;
    j->store_format = TS_STORE_FORMAT;
    j->state = u->files;
    j->done = on_job_done;
    j->arg = u;
    if (ts_update_job_queue(u->a->loop, j) != 0) {
        free(j);
        refuse(u, "cannot start the check");
        return;
    }
    u->job = j;
    set_state(u, TS_UPDATE_VERIFYING);
}

/* ---- Download ---- */

static void start_fetch(ts_update *u);

static void on_fetch_done(void *arg, int ok, const char *why, uint64_t have)
{
    ts_update *u = arg;
    const ts_central_config *c = &u->a->cfg->central;
    u->fetch = NULL;
    u->progress = have;
    if (ok) {
        ts_info("update.download.done", "version=%s bytes=%" PRIu64, u->offer.version, u->progress);
        start_install(u);
        return;
    }
    u->download_failures++;
    if (strstr(why, "larger than")) {
        remove(u->part);
        refuse(u, why);
        return;
    }
    int64_t delay = c->retry_initial_ms << (u->fetch_failures < 16 ? u->fetch_failures : 16);
    u->fetch_failures++;
    if (delay > c->retry_max_ms)
        delay = c->retry_max_ms;
    u->retry_at_mono = ts_mono_ms() + (uint64_t)delay;
    ts_warn("update.download.failed", "version=%s reason=\"%s\" have=%" PRIu64 " retry_in_ms=%lld",
            u->offer.version, why, u->progress, (long long)delay);
    snprintf(u->files.last_result, sizeof(u->files.last_result),
             "download of %s: %s; %" PRIu64 " bytes kept, resuming", u->offer.version, why,
             u->progress);
}

static void start_fetch(ts_update *u)
{
    char dir[TS_PATH_MAX + 16];
    snprintf(dir, sizeof(dir), "%s/updates", u->a->cfg->data_dir);
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        refuse(u, "cannot create data_dir/updates");
        return;
    }
    snprintf(u->part, sizeof(u->part), "%s/%s-%.12s.part", dir, u->offer.version, u->offer.sha256);
    if (ts_update_fetch_start(&u->fetch, u->cu, u->a->cfg, u->offer.url, u->part, on_fetch_done,
                              u) != 0) {
        refuse(u, "cannot start the download");
        return;
    }
    u->downloads++;
    u->retry_at_mono = 0;
    set_state(u, TS_UPDATE_DOWNLOADING);
}

/* ---- The offer ---- */

/* NULL when the offer is acceptable, else why not in plain words. */
static const char *judge(ts_update *u, const ts_update_offer *o, char *buf, size_t len)
{
    int cmp;
    if (ts_semver_cmp_str(o->version, TS_VERSION, &cmp) != 0)
        return "the offered version is not a semantic version (like 0.5.0)";
    if (cmp < 0 && !u->a->cfg->update.allow_downgrade) {
        snprintf(buf, len, "it is older than the running %s and update.allow_downgrade is off",
                 TS_VERSION);
        return buf;
    }
    if (!u->a->cfg->update.public_key_file[0])
        return "update.public_key_file is not set, so no update can be trusted";
    uint8_t sha[32];
    if (ts_unhex32(o->sha256, sha) != 0)
        return "the offer's sha256 is not 64 hex characters";
    if (!o->signature[0])
        return "the offer carries no signature";
    if (strncmp(o->url, "https://", 8) && strncmp(o->url, "http://", 7))
        return "the offer's url is not http(s)";
    return NULL;
}

static void consider_offer(ts_update *u)
{
    const ts_update_offer *o = ts_uplink_update_offer(u->a);
    char key[OFFER_KEY_MAX], buf[200];
    int cmp = 0;
    if (!o || !o->present) {
        u->offered[0] = '\0';
        return;
    }
    snprintf(u->offered, sizeof(u->offered), "%s", o->version);
    snprintf(key, sizeof(key), "%s|%s", o->version, o->sha256);
    if (strcmp(key, u->handled) == 0)
        return;
    snprintf(u->handled, sizeof(u->handled), "%s", key);
    u->offer = *o;
    u->fetch_failures = 0;
    if (ts_semver_cmp_str(o->version, TS_VERSION, &cmp) == 0 && cmp == 0)
        return; /* running it already */
    if (ts_update_is_bad(&u->files, o->version)) {
        /* Never fetched again; the rollback's words stay on the page. */
        ts_info("update.offer.skipped", "version=%s reason=\"marked bad\"", o->version);
        u->refusals++;
        return;
    }
    const char *why = judge(u, o, buf, sizeof(buf));
    if (why)
        refuse(u, why);
    else
        start_fetch(u);
}

/* ---- Probation ---- */

/* "Served the local API" is proved through the real socket: the agent asks
 * its own /healthz once, so a quiet store at night is not rolled back. */
static void on_probe_done(void *arg, CURL *easy, CURLcode rc)
{
    ts_update *u = arg;
    curl_easy_cleanup(easy);
    u->probe = NULL;
    if (rc != CURLE_OK)
        ts_warn("update.probe_failed", "reason=\"%s\"", curl_easy_strerror(rc));
}

static void start_probe(ts_update *u)
{
    const ts_config *cfg = u->a->cfg;
    const char *host = cfg->listen_host;
    char url[160];
    if (strcmp(host, "0.0.0.0") == 0)
        host = "127.0.0.1";
    int v6 = strchr(host, ':') != NULL;
    if (v6 && strcmp(host, "::") == 0)
        host = "::1";
    snprintf(url, sizeof(url), v6 ? "http://[%s]:%d/healthz" : "http://%s:%d/healthz", host,
             ts_http_server_port(u->a->http));
    if (!(u->probe = curl_easy_init()))
        return;
    curl_easy_setopt(u->probe, CURLOPT_URL, url);
    curl_easy_setopt(u->probe, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(u->probe, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(u->probe, CURLOPT_NOBODY, 1L);
    if (ts_curl_uv_add(u->cu, u->probe, on_probe_done, u) != 0) {
        curl_easy_cleanup(u->probe);
        u->probe = NULL;
    }
}

static void become_good(ts_update *u)
{
    char words[TS_UPDATE_REASON_MAX];
    snprintf(words, sizeof(words),
             "%s is good: store open, local API served, central reached "
             "(%d start%s)",
             TS_VERSION, u->files.starts, u->files.starts == 1 ? "" : "s");
    u->files.probation[0] = '\0';
    u->files.starts = 0;
    save_result(u, 0, words);
    ts_info("update.good", "version=%s", TS_VERSION);
    set_state(u, TS_UPDATE_GOOD);
}

static void fail_probation(ts_update *u, const char *reason)
{
    if (ts_update_roll_back(u->a->cfg->data_dir, &u->files, reason, TS_STORE_FORMAT)) {
        set_state(u, TS_UPDATE_REFUSED); /* one-way: keeps running, see docs/update.md */
        return;
    }
    set_state(u, TS_UPDATE_ROLLED_BACK);
    ask_restart(u, "rollback");
}

static void check_probation(ts_update *u)
{
    int reached = ts_uplink_central_acks(u->a) > 0;
    if (u->served && reached && ts_store_healthy(u->a->store)) {
        become_good(u);
        return;
    }
    if (ts_wall_ms() < u->probation_deadline_ms)
        return;
    fail_probation(u, !u->served ? "it did not serve the local API within update.health_grace_s"
                      : !reached ? "it did not reach central within update.health_grace_s"
                                 : "its store was not writable within update.health_grace_s");
}

static void begin_probation(ts_update *u)
{
    if (!u->files.first_start_ms)
        u->files.first_start_ms = ts_wall_ms();
    u->probation_deadline_ms =
        u->files.first_start_ms + u->a->cfg->update.health_grace_s * (int64_t)1000;
    ts_info("update.probation", "version=%s starts=%d grace_left_ms=%lld", TS_VERSION,
            u->files.starts, (long long)(u->probation_deadline_ms - ts_wall_ms()));
    set_state(u, TS_UPDATE_PROBATION);
    start_probe(u);
}

/* ---- The tick ---- */

static void on_tick(uv_timer_t *t)
{
    ts_update *u = t->data;
    if (u->restart_asked)
        return;
    if (u->fetch)
        ts_update_fetch_progress(u->fetch, &u->progress, &u->size);
    switch (u->state) {
    case TS_UPDATE_PROBATION:
        check_probation(u);
        return;
    case TS_UPDATE_WAITING_FOR_QUIET:
        check_quiet(u);
        return;
    case TS_UPDATE_VERIFYING:
    case TS_UPDATE_INSTALLING:
        return;
    case TS_UPDATE_DOWNLOADING:
        if (!u->fetch && u->retry_at_mono && ts_mono_ms() >= u->retry_at_mono)
            start_fetch(u);
        if (u->fetch || u->retry_at_mono)
            return;
        break;
    default:
        break;
    }
    consider_offer(u);
}

int ts_update_start(ts_agent *a, ts_update_restart_fn restart, void *arg)
{
    ts_update *u = calloc(1, sizeof(*u));
    if (!u || ts_curl_uv_new(&u->cu, a->loop) != 0) {
        free(u);
        return TS_ENOMEM;
    }
    u->a = a;
    u->restart = restart;
    u->restart_arg = arg;
    u->size = -1;
    u->last_post_mono = ts_mono_ms();
    ts_update_state_load(a->cfg->data_dir, &u->files);
    a->update = u;
    if (strcmp(u->files.probation, TS_VERSION) == 0)
        begin_probation(u);
    else if (u->files.rolled_back) /* running a bad version: a one-way update kept */
        u->state =
            ts_update_is_bad(&u->files, TS_VERSION) ? TS_UPDATE_REFUSED : TS_UPDATE_ROLLED_BACK;
    uv_timer_init(a->loop, &u->timer);
    u->timer.data = u;
    uv_timer_start(&u->timer, on_tick, TICK_MS, TICK_MS);
    return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void ts_update_stop(ts_agent *a)
{
    ts_update *u = a->update;
    if (!u)
        return;
    a->update = NULL;
    if (u->fetch)
        ts_update_fetch_cancel(u->fetch);
    if (u->probe) {
        ts_curl_uv_cancel(u->cu, u->probe);
        curl_easy_cleanup(u->probe);
    }
    if (u->job) /* the pool finishes it; its done only frees the job */
        u->job->done = NULL;
    ts_curl_uv_close(u->cu);
    uv_close((uv_handle_t *)&u->timer, on_timer_closed);
}

void ts_update_note_request(ts_agent *a, int is_post)
{
    ts_update *u = a->update;
    if (!u)
        return;
    u->served = 1;
    if (is_post)
        u->last_post_mono = ts_mono_ms();
}

/* ---- What it shows ---- */

void ts_update_get_snapshot(ts_agent *a, ts_update_snapshot *out)
{
    ts_update *u = a->update;
    memset(out, 0, sizeof(*out));
    out->running = TS_VERSION;
    out->size_bytes = -1;
    out->last_result = "";
    out->state_name = state_names[TS_UPDATE_IDLE];
    if (!u)
        return;
    snprintf(out->offered, sizeof(out->offered), "%s", u->offered);
    out->state = u->state;
    out->state_name = state_names[u->state];
    out->progress_bytes = u->progress;
    out->size_bytes = u->size;
    out->last_result = u->files.last_result;
    out->last_result_ms = u->files.last_result_ms;
    out->rolled_back = u->files.rolled_back;
    out->probation_starts = u->files.starts;
    out->rollbacks_total = u->files.rollbacks;
    out->refusals_total = u->refusals;
    out->downloads_total = u->downloads;
    out->download_failures_total = u->download_failures;
    out->files = &u->files;
}
