/*
 * main.c - the command line (config.md) and the agent's life: open the
 * store, start the modules on one libuv loop, stop cleanly on SIGTERM or
 * SIGINT (finish the commit in hand, close LMDB) within a few seconds.
 *
 * A store that cannot be opened for writing at start (a read-only disk)
 * does not stop it: the local API serves the status, saying why, and
 * refuses sales with 503 while a timer retries opening it (5-30 s).
 *
 * Exit codes: 0 clean stop; 1 bad config or start-up failure (the reason
 * in one line on stderr); 2 bad command line; 75 restart me (a self-update
 * restart whose exec failed; the unit's RestartForceExitStatus=75).
 *
 * A self-update restart (docs/update.md) drains the local API, stops like
 * SIGTERM, then execs the launcher with the listening socket inherited
 * (TILLSYNC_LISTEN_FD), so tills wait in its backlog instead of being
 * refused.
 */
#include "core/agent.h"
#include "core/backoff.h"
#include "core/buf.h"
#include "router.h"
#include "pos/intake.h"
#include "status_cli.h"
#include "odoo/catalog.h"
#include "core/clock.h"
#include "config/config.h"
#include "core/error.h"
#include "http/http_server.h"
#include "core/log.h"
#include "pos/items.h"
#include "report/history.h"
#include "report/metrics.h"
#include "report/report.h"
#include "report/status.h"
#include "odoo/odoo.h"
#include "core/sdnotify.h"
#include "store/store.h"
#include "store/txnlog.h"
#include "central/update.h"
#include "central/uplink.h"
#include "launcher.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_BAD_USAGE 2
#define EXIT_RESTART 75
#define DRAIN_POLL_MS 5
#define DRAIN_MAX_MS 5000
#define STORE_RETRY_MIN_MS 5000 /* a store that cannot be opened at start: retried */
#define STORE_RETRY_MAX_MS 30000

typedef struct agent_main {
    ts_agent agent;
    ts_config cfg;
    uv_signal_t sigterm, sigint;
    int stopping; /* set once SIGTERM/SIGINT arrived */
    uv_timer_t drain;
    char **argv;
    const char *restart_why; /* set: exec the launcher after stopping */
    int listen_fd;           /* dup of the listener, kept through exec */
    uint64_t drain_started_ms;
    int drain_open;
    /* The store could not be opened at start (a read-only disk): the local
     * API serves the status and refuses sales while a timer retries. */
    char store_error[160];
    uv_timer_t store_retry;
    int store_retry_open;
    ts_backoff store_backoff;
} agent_main;

static void usage(FILE *out)
{
    fprintf(out, "usage: tillsync --config FILE      run the agent\n"
                 "       tillsync --check-config FILE  validate a config, exit 0 or 1\n"
                 "       tillsync --export-pending FILE  print txns central has not acked\n"
                 "       tillsync status [--config FILE] [--json] [--token-file PATH]\n"
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

/* Records are copied out of a short read transaction into memory and
 * printed after it ends: a reader that stops reading our stdout (or kills
 * us) never holds an LMDB snapshot open, which would pin the agent's map. */
#define EXPORT_CHUNK_TXNS 200
#define EXPORT_CHUNK_BYTES (4u << 20)

typedef struct export_chunk {
    ts_buf out;
    uint64_t next_seq;
} export_chunk;

/* One JSON line per txn. A raw newline can only be white space in valid
 * JSON (never inside a string), so turning it into a space keeps the value. */
static int print_record(void *arg, const ts_txn_record *rec)
{
    export_chunk *ch = arg;
    char received[TS_RFC3339_LEN];
    ts_format_rfc3339_ms(rec->received_at_ms, received);
    ts_buf_printf(&ch->out, "{\"seq\":%llu,\"received_at\":\"%s\",\"state\":\"%s\",\"txn\":",
                  (unsigned long long)rec->seq, received, rec->acked_at_ms ? "acked" : "pending");
    size_t start = ch->out.len;
    ts_buf_append(&ch->out, rec->body, rec->body_len);
    for (size_t i = start; ts_buf_ok(&ch->out) && i < ch->out.len; i++)
        if (ch->out.data[i] == '\n' || ch->out.data[i] == '\r')
            ch->out.data[i] = ' ';
    ts_buf_puts(&ch->out, "}\n");
    ch->next_seq = rec->seq + 1;
    return ts_buf_ok(&ch->out) ? 0 : 1;
}

static int export_records(ts_agent *a)
{
    ts_txnlog_stats st;
    export_chunk ch = {.next_seq = 0};
    int rc = 0;
    ts_txnlog_get_stats(a, &st);
    ch.next_seq = st.acked_through + 1;
    while (rc == 0 && ch.next_seq <= st.last_seq) {
        uint64_t before = ch.next_seq;
        ts_buf_init(&ch.out, 2 * EXPORT_CHUNK_BYTES + (1u << 20)); /* a cap, not a size */
        rc = ts_txnlog_scan(a, ch.next_seq, EXPORT_CHUNK_TXNS, EXPORT_CHUNK_BYTES, print_record,
                            &ch);
        if (rc == 0 && !ts_buf_ok(&ch.out))
            rc = TS_ENOMEM;
        if (rc == 0 && fwrite(ch.out.data, 1, ch.out.len, stdout) != ch.out.len)
            rc = TS_EIO;
        ts_buf_free(&ch.out);
        if (ch.next_seq == before)
            break; /* nothing more held (pruned meanwhile) */
    }
    return rc;
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
    /* Read-only: no writer lock, no chance of touching the agent's data. */
    int rc = ts_store_open_readonly(&a.store, a.loop, cfg.data_dir, err, sizeof(err));
    if (rc == 0 && (rc = ts_txnlog_open(&a)) == 0) {
        rc = export_records(&a);
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
    agent_main *m = (agent_main *)a;
    if (m->stopping)
        return;
    m->stopping = 1;
    ts_info("agent.stopping", "signal=%s", why);
    ts_sd_notify("STOPPING=1");
    ts_watchdog_stop();
    ts_history_stop(a); /* its last sample, taken while all still run, goes in the last commit */
    ts_router_stop(a, NULL, NULL);
    ts_update_stop(a);
    if (m->store_retry_open) {
        uv_close((uv_handle_t *)&m->store_retry, NULL);
        m->store_retry_open = 0;
    }
    if (m->drain_open) {
        uv_close((uv_handle_t *)&m->drain, NULL);
        m->drain_open = 0;
    }
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

/* ---- What the report layer reads (report.h) ---- */

/* While the store is not open: unhealthy, with the reason it gave. */
static void storage_figures(ts_agent *a, ts_store_stats *out)
{
    agent_main *m = (agent_main *)a;
    if (a->store && a->txnlog) {
        ts_store_get_stats(a->store, out);
        return;
    }
    memset(out, 0, sizeof(*out));
    out->not_open = 1;
    snprintf(out->last_error, sizeof(out->last_error), "%s", m->store_error);
}

static void queue_figures(ts_agent *a, ts_txnlog_stats *out)
{
    if (a->txnlog)
        ts_txnlog_get_stats(a, out);
    else
        memset(out, 0, sizeof(*out));
}

static const char *intake_refusal(ts_agent *a)
{
    return a->txnlog ? ts_intake_refusal(a) : "storage_unavailable";
}

static void items_figures(ts_agent *a, ts_items_counters *out)
{
    (void)a;
    ts_items_get_counters(out);
}

static void http_figures(ts_agent *a, ts_http_server_stats *out)
{
    ts_http_server_get_stats(a->http, out);
}

static void update_figures(ts_agent *a, ts_update_snapshot *out)
{
    ts_update_get_snapshot(a, out);
}

static const ts_report_providers report_providers = {
    .queue = queue_figures,
    .storage = storage_figures,
    .uplink = ts_uplink_get_snapshot,
    .odoo = ts_odoo_get_snapshot,
    .items = items_figures,
    .http = http_figures,
    .intake_refusal = intake_refusal,
    .update = update_figures,
};

/* The heartbeat carries the status document (uplink.md). */
static void heartbeat_body(void *arg, ts_buf *out)
{
    ts_status_document(arg, out);
}

/* ---- Self-update restart (docs/update.md) ---- */

/* Stops once no request is being read, held or answered and no LMDB write
 * is in hand; new connections meanwhile wait in the listener's backlog. */
static void on_drain_tick(uv_timer_t *t)
{
    agent_main *m = t->data;
    ts_agent *a = &m->agent;
    int busy = ts_http_server_busy(a->http) + (int)ts_store_in_flight(a->store);
    if (busy && ts_mono_ms() - m->drain_started_ms < DRAIN_MAX_MS)
        return;
    ts_info("agent.restart_drained", "busy=%d waited_ms=%llu", busy,
            (unsigned long long)(ts_mono_ms() - m->drain_started_ms));
    begin_stop(a, m->restart_why);
}

static void on_update_restart(void *arg, const char *why)
{
    agent_main *m = arg;
    ts_agent *a = &m->agent;
    int fd = a->http ? ts_http_server_listen_fd(a->http) : -1;
    if (m->stopping || m->restart_why)
        return;
    m->restart_why = why;
    m->listen_fd = fd >= 0 ? dup(fd) : -1; /* a dup has no FD_CLOEXEC */
    ts_http_server_drain(a->http);
    m->drain_started_ms = ts_mono_ms();
    uv_timer_init(a->loop, &m->drain);
    m->drain.data = m;
    m->drain_open = 1;
    uv_timer_start(&m->drain, on_drain_tick, 0, DRAIN_POLL_MS);
}

/* After a clean stop: the launcher again, holding the listening socket. */
static int exec_launcher(agent_main *m)
{
    const char *launcher = getenv("TILLSYNC_LAUNCHER");
    char fd[16];
    if (m->listen_fd >= 0) {
        snprintf(fd, sizeof(fd), "%d", m->listen_fd);
        setenv("TILLSYNC_LISTEN_FD", fd, 1);
    }
    unsetenv("TILLSYNC_INSTALLED");
    ts_info("agent.exec", "why=%s launcher=\"%s\" listen_fd=%d", m->restart_why,
            launcher ? launcher : "/proc/self/exe", m->listen_fd);
    execv(launcher ? launcher : "/proc/self/exe", m->argv);
    ts_error("agent.exec_failed", "reason=\"%s\" exit=%d", strerror(errno), EXIT_RESTART);
    return EXIT_RESTART;
}

/* The store and every module's databases, opened before the first write.
 * On failure nothing of it stays open. */
static int open_store(ts_agent *a, char *err, size_t errlen)
{
    int rc = ts_store_open(&a->store, a->loop, a->cfg->data_dir,
                           a->cfg->storage.map_size_mb * 1024 * 1024, err, errlen);
    if (rc)
        return rc;
    if ((rc = ts_txnlog_open(a)) != 0 || (rc = ts_catalog_open(a)) != 0 ||
        (rc = ts_history_start(a)) != 0 || (rc = ts_store_start(a->store)) != 0) {
        snprintf(err, errlen, "cannot open the store's databases: %s", ts_strerror(rc));
        if (a->catalog)
            ts_catalog_close(a);
        if (a->txnlog)
            ts_txnlog_close(a);
        ts_store_close(a->store);
        a->store = NULL;
    }
    return rc;
}

/* What needs the store: started once it is open. */
static int start_store_users(ts_agent *a, char *err, size_t errlen)
{
    int rc;
    if ((rc = ts_uplink_start(a, err, errlen)) != 0)
        return rc;
    ts_uplink_set_heartbeat_body(a, heartbeat_body, a);
    if (a->cfg->odoo.enabled && (rc = ts_odoo_start(a, err, errlen)) != 0)
        return rc;
    /* The uplink to central coming back does not read Odoo (odoo-sync.md
     * "When"): the store's own sales are already counted by pending_out. */
    if ((rc = ts_update_start(a, on_update_restart, a)) != 0) {
        snprintf(err, errlen, "cannot start the update module: %s", ts_strerror(rc));
        return rc;
    }
    return 0;
}

/* The reason, shortened to fit (the status shows it). */
static void keep_store_error(agent_main *m, const char *err)
{
    size_t n = strnlen(err, sizeof(m->store_error) - 1);
    memcpy(m->store_error, err, n);
    m->store_error[n] = '\0';
}

static void on_store_retry(uv_timer_t *t)
{
    agent_main *m = t->data;
    ts_agent *a = &m->agent;
    char err[512];
    if (m->stopping)
        return;
    if (open_store(a, err, sizeof(err)) != 0) {
        keep_store_error(m, err);
        uint64_t ms = ts_backoff_next(&m->store_backoff, -1);
        ts_warn("agent.store_unavailable", "reason=\"%s\" retry_ms=%llu", err,
                (unsigned long long)ms);
        uv_timer_start(&m->store_retry, on_store_retry, ms, 0);
        return;
    }
    ts_info("agent.store_opened", "after=\"%s\"", m->store_error);
    m->store_error[0] = '\0';
    uv_close((uv_handle_t *)&m->store_retry, NULL);
    m->store_retry_open = 0;
    if (start_store_users(a, err, sizeof(err)) != 0) {
        ts_error("agent.start_failed", "reason=\"%s\"", err);
        begin_stop(a, "start_failed");
    }
}

/* A store that cannot be opened for writing (a read-only disk, a data_dir
 * that is not writable) does not stop the agent: the status page says why
 * and POSTs get 503 while it retries. Anything else (a store of a newer
 * format, a map that does not fit) is a start-up failure. */
static int start_without_store(agent_main *m, const char *err)
{
    ts_agent *a = &m->agent;
    keep_store_error(m, err);
    ts_backoff_init(&m->store_backoff, STORE_RETRY_MIN_MS, STORE_RETRY_MAX_MS, ts_mono_ms());
    uint64_t ms = ts_backoff_next(&m->store_backoff, -1);
    ts_error("agent.store_unavailable", "reason=\"%s\" retry_ms=%llu", err, (unsigned long long)ms);
    uv_timer_init(a->loop, &m->store_retry);
    m->store_retry.data = m;
    m->store_retry_open = 1;
    uv_timer_start(&m->store_retry, on_store_retry, ms, 0);
    return 0;
}

static int start_modules(agent_main *m, char *err, size_t errlen)
{
    ts_agent *a = &m->agent;
    if (ts_metrics_new(a) != 0) { /* first: it records the start time */
        snprintf(err, errlen, "out of memory");
        return TS_ENOMEM;
    }
    ts_report_set_providers(a, &report_providers);
    int rc = open_store(a, err, errlen);
    if (rc && rc != TS_EIO)
        return rc;
    int have_store = rc == 0;
    if ((rc = ts_router_start(a)) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", a->cfg->listen_host,
                 a->cfg->listen_port, ts_strerror(rc));
        return rc;
    }
    return have_store ? start_store_users(a, err, errlen) : start_without_store(m, err);
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

static int run_agent(const char *path, char **argv)
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
    m.argv = argv;
    m.listen_fd = -1;
    signal(SIGPIPE, SIG_IGN);

    uv_signal_init(a->loop, &m.sigterm);
    uv_signal_init(a->loop, &m.sigint);
    m.sigterm.data = m.sigint.data = a;
    uv_signal_start(&m.sigterm, on_signal, SIGTERM);
    uv_signal_start(&m.sigint, on_signal, SIGINT);
    int rc = start_modules(&m, err, sizeof(err));
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
    return m.restart_why ? exec_launcher(&m) : 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("tillsync %s\n", TS_VERSION);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "status") == 0)
        return ts_status_cli_main(argc, argv); /* its own exit codes: status_cli.h */
    if (argc == 3 && strcmp(argv[1], "--check-config") == 0)
        return check_config(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--export-pending") == 0)
        return export_pending(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--config") == 0) {
#ifdef TS_TEST_ABORT_AT_START
        abort(); /* the update tests' crashing build (CMakeLists.txt) */
#endif
        ts_launcher_choose(argv, argv[2]);
        return run_agent(argv[2], argv);
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return EXIT_BAD_USAGE;
}
