/*
 * status_cli.h - `tillsync status`: the running agent's state in a terminal
 * (config.md "Command line").
 *
 * It reads GET /v1/status from the `listen` address of the config file over
 * a plain blocking socket (a short-lived command, not the agent's loop),
 * with every read bounded in time and size, and prints it for a person or,
 * with --json, as the document itself. The exit code is for monitoring
 * checks (the Nagios convention): 0 all good, 1 a warning, 2 a problem a
 * person must act on, 3 the state could not be read.
 */
#ifndef TILLSYNC_STATUS_CLI_H
#define TILLSYNC_STATUS_CLI_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"

enum {
    TS_STATUS_OK = 0,
    TS_STATUS_WARNING = 1,
    TS_STATUS_PROBLEM = 2,
    TS_STATUS_UNKNOWN = 3 /* agent unreachable, token refused, config unreadable */
};

#define TS_STATUS_MAX_FINDINGS 16

/* One rule of config.md that applies to the document. */
typedef struct ts_status_finding {
    int level;      /* TS_STATUS_WARNING or TS_STATUS_PROBLEM */
    char text[256]; /* plain words, the rule included: "central offline for 20 min (15 min
                       or more)" */
} ts_status_finding;

typedef struct ts_status_verdict {
    int code;    /* the exit code: the highest level found, 0 when none */
    int decider; /* index of the finding that set it; -1 when none */
    ts_status_finding findings[TS_STATUS_MAX_FINDINGS];
    int n;
} ts_status_verdict;

/* Applies config.md's rules to a /v1/status document; cfg gives the
 * thresholds that live in the config (odoo.full_resync_s). */
void ts_status_cli_verdict(const cJSON *doc, const ts_config *cfg, ts_status_verdict *v);

/* `tillsync status ...`: argv[0] is the program, argv[1] "status".
 * Returns the exit code. */
int ts_status_cli_main(int argc, char **argv);

#endif
