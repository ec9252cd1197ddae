/*
 * main.c - the command line (config.md) and the agent's life: open the
 * store, start the modules on one libuv loop, stop cleanly on SIGTERM or
 * SIGINT (finish the commit in hand, close LMDB) within a few seconds.
 *
 * Exit codes: 0 clean stop; 1 bad config or start-up failure (the reason
 * in one line on stderr); 2 bad command line.
 */
#include "core/agent.h"
#include "router.h"
#include "odoo/catalog.h"
#include "core/clock.h"
#include "config/config.h"
#include "core/error.h"
#include "http/http_server.h"
#include "core/log.h"
#include "report/history.h"
#include "report/metrics.h"
#include "report/status.h"
#include "odoo/odoo.h"
#include "core/sdnotify.h"
#include "store/store.h"
#include "store/txnlog.h"
#include "central/uplink.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_BAD_USAGE 2

typedef struct agent_main {
    ts_agent agent;
    ts_config cfg;
    uv_signal_t sigterm, sigint;
} agent_main;

static void usage(FILE *out)
{
    fprintf(out, "usage: tillsync --config FILE      run the agent\n"
                 "       tillsync --check-config FILE  validate a config, exit 0 or 1\n"
                 "       tillsync --export-pending FILE  print txns central has not acked\n"
                 "       tillsync --version\n");
}

static int check_config(const char *path)
{
    ts_config cfg;
    char err[512];
    ts_config_defaults(&cfg);
    if (ts_config_load(&cfg, path, 1, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        return 1;
    }
    printf("%s: ok\n", path);
    return 0;
}

/* One JSON line per txn. A raw newline can only be white space in valid
 * JSON (never inside a string), so turning it into a space keeps the value. */
static int print_record(void *arg, const ts_txn_record *rec)
{
    (void)arg;
    char received[TS_RFC3339_LEN];
    ts_format_rfc3339_ms(rec->received_at_ms, received);
    printf("{\"seq\":%llu,\"received_at\":\"%s\",\"state\":\"%s\",\"txn\":",
           (unsigned long long)rec->seq, received, rec->acked_at_ms ? "acked" : "pending");
    for (size_t i = 0; i < rec->body_len; i++) {
        char c = rec->body[i];
        putchar(c == '\n' || c == '\r' ? ' ' : c);
    }
    fputs("}\n", stdout);
    return ferror(stdout) ? 1 : 0;
}

/* --export-pending: what central has not acknowledged, for an operator who
 * must carry the sales out by hand. Safe beside a running agent: LMDB lets
 * another process read while the agent writes. */
static int export_pending(const char *path)
{
    static ts_config cfg;
    ts_agent a = {0};
    char err[512];
    ts_config_defaults(&cfg);
    ts_log_set_level(TS_LOG_WARN);
    if (ts_config_load(&cfg, path, 0, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s: %s\n", path, err);
        return 1;
    }
    a.cfg = &cfg;
    a.loop = uv_default_loop();
    int rc = ts_store_open(&a.store, a.loop, cfg.data_dir, cfg.storage.map_size_mb << 20, err,
                           sizeof(err));
    if (rc == 0 && (rc = ts_txnlog_open(&a)) == 0) {
        ts_txnlog_stats st;
        ts_txnlog_get_stats(&a, &st);
        for (uint64_t from = st.acked_through + 1; rc == 0 && from <= st.last_seq; from += 1000)
            rc = ts_txnlog_scan(&a, from, 1000, SIZE_MAX, print_record, NULL);
        ts_txnlog_close(&a);
    } else if (rc) {
        fprintf(stderr, "%s\n", err);
    }
    if (a.store)
        ts_store_close(a.store);
    uv_run(a.loop, UV_RUN_DEFAULT);
    return rc || fflush(stdout) ? 1 : 0;
}

static void begin_stop(ts_agent *a, const char *why)
{
    if (a->stopping)
        return;
    a->stopping = 1;
    agent_main *m = (agent_main *)a;
    ts_info("agent.stopping", "signal=%s", why);
    ts_sd_notify("STOPPING=1");
    ts_watchdog_stop();
    ts_history_stop(a); /* its last sample, taken while all still run, goes in the last commit */
    ts_router_stop(a, NULL, NULL);
    if (a->uplink)
        ts_uplink_stop(a);
    if (a->odoo)
        ts_odoo_stop(a);
    uv_close((uv_handle_t *)&m->sigterm, NULL);
    uv_close((uv_handle_t *)&m->sigint, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
    begin_stop(h->data, signum == SIGTERM ? "TERM" : "INT");
}

/* A returning uplink is a returning store link: Odoo's copy resyncs too. */
static void on_uplink_up(void *arg)
{
    ts_agent *a = arg;
    if (a->odoo)
        ts_odoo_link_up(a);
}

/* The heartbeat carries the status document (uplink.md). */
static void heartbeat_body(void *arg, ts_buf *out)
{
    ts_status_document(arg, out);
}

static int start_modules(ts_agent *a, char *err, size_t errlen)
{
    int rc = ts_store_open(&a->store, a->loop, a->cfg->data_dir,
                           a->cfg->storage.map_size_mb * 1024 * 1024, err, errlen);
    if (rc)
        return rc;
    /* Every module's databases are opened before the first write. */
    if ((rc = ts_txnlog_open(a)) != 0 || (rc = ts_catalog_open(a)) != 0 ||
        (rc = ts_history_start(a)) != 0) {
        snprintf(err, errlen, "cannot open the store's databases: %s", ts_strerror(rc));
        return rc;
    }
    if ((rc = ts_metrics_new(a)) != 0) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    if ((rc = ts_uplink_start(a, err, errlen)) != 0)
        return rc;
    ts_uplink_set_heartbeat_body(a, heartbeat_body, a);
    if (a->cfg->odoo.enabled && (rc = ts_odoo_start(a, err, errlen)) != 0)
        return rc;
    ts_uplink_on_link_up(a, on_uplink_up, a);
    if ((rc = ts_router_start(a)) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", a->cfg->listen_host,
                 a->cfg->listen_port, ts_strerror(rc));
        return rc;
    }
    return 0;
}

static void stop_modules(ts_agent *a)
{
    if (a->store)
        ts_store_close(a->store); /* writes what is queued, then closes LMDB */
    a->store = NULL;
    uv_run(a->loop, UV_RUN_DEFAULT); /* let every handle finish closing */
    if (a->metrics)
        ts_metrics_free(a);
    ts_history_free(a);
    if (a->catalog)
        ts_catalog_close(a);
    if (a->txnlog)
        ts_txnlog_close(a);
}

static int run_agent(const char *path)
{
    static agent_main m;
    ts_agent *a = &m.agent;
    char err[512];
    ts_config_defaults(&m.cfg);
    if (ts_config_load(&m.cfg, path, 0, err, sizeof(err)) != 0) {
        ts_error("agent.bad_config", "file=%s reason=\"%s\"", path, err);
        return 1;
    }
    ts_log_set_level((ts_log_level)m.cfg.log_level);
    a->cfg = &m.cfg;
    a->loop = uv_default_loop();
    a->started_at_ms = ts_wall_ms();
    a->started_mono_ms = ts_mono_ms();
    signal(SIGPIPE, SIG_IGN);

    uv_signal_init(a->loop, &m.sigterm);
    uv_signal_init(a->loop, &m.sigint);
    m.sigterm.data = m.sigint.data = a;
    uv_signal_start(&m.sigterm, on_signal, SIGTERM);
    uv_signal_start(&m.sigint, on_signal, SIGINT);
    int rc = start_modules(a, err, sizeof(err));
    if (rc) {
        ts_error("agent.start_failed", "reason=\"%s\"", err);
        begin_stop(a, "start_failed");
        stop_modules(a);
        return 1;
    }
    ts_info("agent.ready", "version=%s store_id=%s listen=%s port=%d", TS_VERSION, m.cfg.store_id,
            m.cfg.listen_host, ts_http_server_port(a->http));
    ts_sd_notify("READY=1");
    ts_watchdog_start(a->loop);

    uv_run(a->loop, UV_RUN_DEFAULT);
    stop_modules(a);
    uv_loop_close(a->loop);
    ts_info("agent.stopped", "clean=1");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("tillsync %s\n", TS_VERSION);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--check-config") == 0)
        return check_config(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--export-pending") == 0)
        return export_pending(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--config") == 0)
        return run_agent(argv[2]);
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return EXIT_BAD_USAGE;
}
