/*
 * headline.h - the one place that decides whether the store is fine: the
 * issues found in the figures (report.h), each with a level, a stable code,
 * a sentence and what a store manager does about it. /v1/status, the page
 * and the heartbeat all show this.
 */
#ifndef TILLSYNC_HEADLINE_H
#define TILLSYNC_HEADLINE_H

#include "report/report.h"

#define TS_HEADLINE_MAX_ISSUES 12
#define TS_ISSUE_TEXT_MAX 320

typedef enum { TS_LEVEL_OK = 0, TS_LEVEL_OFFLINE, TS_LEVEL_ATTENTION } ts_level;

typedef struct ts_issue {
    ts_level level;
    const char *code;   /* stable, for scripts: "central_unreachable" */
    const char *action; /* what a store manager does about it */
    char text[TS_ISSUE_TEXT_MAX];
} ts_issue;

typedef struct ts_headline {
    ts_level level; /* the most serious issue's; ok without any */
    char text[TS_ISSUE_TEXT_MAX + 32];
    ts_issue issues[TS_HEADLINE_MAX_ISSUES]; /* the most serious first */
    int n;
} ts_headline;

void ts_headline_derive(const ts_report_figures *f, ts_headline *out);

const char *ts_level_name(ts_level l);  /* "ok" "offline" "attention" */
const char *ts_level_words(ts_level l); /* "All good" ... */

#endif
