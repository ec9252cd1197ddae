/* launcher.c - choosing the build at start (see launcher.h). */
#include "launcher.h"
#include "central/update_state.h"
#include "config/config.h"
#include "core/agent.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/semver.h"
#include "store/store.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_HOPS 4 /* rollbacks in one start (each one moves current back) */

static int roll_back(const ts_config *cfg, ts_update_state *st, const char *reason,
                     uint32_t store_format)
{
    return ts_update_roll_back(cfg->data_dir, st, reason, store_format);
}

/* Counts one more start of the version on probation; 1 when it has had
 * its max_probation_starts and is rolled back instead. */
static int count_start(const ts_config *cfg, ts_update_state *st, uint32_t store_format)
{
    char reason[160];
    if (st->starts >= cfg->update.max_probation_starts) {
        snprintf(reason, sizeof(reason),
                 "it stopped %d times before it became healthy (crashed or was killed at start)",
                 st->starts);
        return roll_back(cfg, st, reason, store_format) ? 0 : 1;
    }
    st->starts++;
    if (!st->first_start_ms)
        st->first_start_ms = ts_wall_ms();
    ts_info("launcher.probation_start", "version=%s start=%d of=%d", st->probation, st->starts,
            cfg->update.max_probation_starts);
    ts_update_state_save(cfg->data_dir, st);
    return 0;
}

/* 0: run this binary; 1: the state changed (a rollback), look again.
 * Does not return when it execs. */
static int try_current(const ts_config *cfg, char **argv)
{
    char v[TS_SEMVER_MAX + 1], bin[TS_PATH_MAX + 128], reason[160];
    ts_update_state st;
    uint32_t fmt = 0;
    int cmp;
    if (ts_update_read_current(cfg->data_dir, v, sizeof(v)) != 0 ||
        ts_update_state_load(cfg->data_dir, &st) != 0)
        return 0;
    if (ts_semver_cmp_str(v, TS_VERSION, &cmp) != 0 || cmp <= 0) {
        ts_info("launcher.package_wins", "current=%s package=%s", v, TS_VERSION);
        return 0;
    }
    ts_store_peek_format(cfg->data_dir, &fmt);
    int self_reads_store = fmt == 0 || fmt == TS_STORE_FORMAT;
    if (ts_update_is_bad(&st, v) && self_reads_store)
        return 0;
    int on_probation = strcmp(st.probation, v) == 0;
    if (on_probation && count_start(cfg, &st, fmt))
        return 1;
    ts_update_binary_path(cfg->data_dir, v, bin, sizeof(bin));
    ts_info("launcher.exec", "version=%s path=\"%s\"", v, bin);
    setenv("TILLSYNC_INSTALLED", v, 1);
    execv(bin, argv);
    snprintf(reason, sizeof(reason), "it cannot be started: %s", strerror(errno));
    unsetenv("TILLSYNC_INSTALLED");
    ts_error("launcher.exec_failed", "version=%s reason=\"%s\"", v, reason);
    if (!on_probation)
        return 0;
    ts_update_state_load(cfg->data_dir, &st);
    return roll_back(cfg, &st, reason, fmt) ? 0 : 1;
}

void ts_launcher_choose(char **argv, const char *config_path)
{
    static ts_config cfg;
    char self[PATH_MAX], err[512];
    if (getenv("TILLSYNC_INSTALLED"))
        return; /* an installed version never execs further */
    if (realpath("/proc/self/exe", self))
        setenv("TILLSYNC_LAUNCHER", self, 1);
    ts_config_defaults(&cfg);
    ts_log_set_level(TS_LOG_ERROR); /* the agent reports the config itself */
    int rc = ts_config_load(&cfg, config_path, 0, err, sizeof(err));
    ts_log_set_level(rc == 0 ? (ts_log_level)cfg.log_level : TS_LOG_INFO);
    for (int hop = 0; rc == 0 && hop < MAX_HOPS; hop++)
        if (try_current(&cfg, argv) == 0)
            return;
}
