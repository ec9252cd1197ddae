/*
 * headline.c - the issues and the headline (headline.h), from the typed
 * figures alone: no document is read back, no message parsed.
 */
#include "report/headline.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"

/* Thresholds for "needs attention". */
#define CERT_WARN_DAYS 30
#define DISK_LOW_MB 200   /* absolute floor... */
#define DISK_LOW_PCT 5    /* ...or this share of the file system */
#define MAP_HIGH_PCT 90.0 /* new txns are refused at 95 */
#define QUEUE_NEAR_FULL_PCT 90

static const char *const level_names[] = {"ok", "offline", "attention"};
static const char *const level_words[] = {"All good", "Working offline", "Needs attention"};

const char *ts_level_name(ts_level l)
{
    return level_names[l <= TS_LEVEL_ATTENTION ? l : TS_LEVEL_ATTENTION];
}

const char *ts_level_words(ts_level l)
{
    return level_words[l <= TS_LEVEL_ATTENTION ? l : TS_LEVEL_ATTENTION];
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static void
add_issue(ts_headline *h, ts_level lvl, const char *code, const char *action, const char *fmt, ...)
{
    if (h->n == TS_HEADLINE_MAX_ISSUES)
        return;
    ts_issue *is = &h->issues[h->n++];
    is->level = lvl;
    is->code = code;
    is->action = action;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(is->text, sizeof(is->text), fmt, ap);
    va_end(ap);
}

/* A wall time as "14:02 UTC"; "start-up" when there is none. */
static void short_time(int64_t wall_ms, char *out, size_t n)
{
    char t[TS_RFC3339_LEN];
    if (wall_ms <= 0) {
        snprintf(out, n, "start-up");
        return;
    }
    ts_format_rfc3339_s(wall_ms, t); /* "2026-11-25T14:02:11Z" */
    snprintf(out, n, "%.5s UTC", t + 11);
}

/* The uplink holds the head of the queue (uplink.h ts_uplink_hold): later
 * sales wait until a person sorts it out. */
static void central_hold_issue(ts_headline *h, const ts_uplink_snapshot *u, const char *err)
{
    if (u->held == TS_HOLD_REJECTED && u->rejected_seq)
        add_issue(h, TS_LEVEL_ATTENTION, "central_rejects_seq",
                  "Keep selling: later sales wait safely in the agent. Call store IT with this "
                  "sale number; central must accept or fix it before the rest can go.",
                  "Central refuses sale number %" PRIu64 ": %s", u->rejected_seq,
                  u->rejected_reason[0] ? u->rejected_reason : "no reason given");
    else if (u->held == TS_HOLD_LOST_DATA)
        add_issue(h, TS_LEVEL_ATTENTION, "central_lost_data",
                  "Call store IT now: central lost sales this agent no longer holds. They must "
                  "be recovered from the back office before sending can go on.",
                  "%s", err ? err : "Central lost sales this agent already removed");
    else
        add_issue(h, TS_LEVEL_ATTENTION, "central_held",
                  "Call store IT: central and this agent disagree on which sales central has. "
                  "Sales are kept here meanwhile.",
                  "%s", err ? err : "Sending to central is on hold");
}

static void central_issues(ts_headline *h, const ts_report_figures *f)
{
    const ts_uplink_snapshot *u = &f->uplink;
    const char *err = !u->running ? TS_UPLINK_NOT_RUNNING : u->last_error[0] ? u->last_error : NULL;
    if (u->running && u->held != TS_HOLD_NONE) {
        central_hold_issue(h, u, err);
        return; /* the hold says more than "offline" would */
    }
    if (u->running && u->state == TS_LINK_ONLINE)
        return;
    char since[40];
    short_time(u->since_ms, since, sizeof(since));
    add_issue(h, TS_LEVEL_OFFLINE, "central_unreachable",
              "Keep selling: the sales are kept safely here and sent by themselves when the link "
              "is back. If it lasts over an hour, check the store's internet connection, then "
              "call store IT.",
              "No link to central since %s; %" PRIu64 " %s waiting here%s%s", since,
              f->queue.pending, f->queue.pending == 1 ? "sale" : "sales",
              err ? ". Last error: " : "", err ? err : "");
}

static void tls_issues(ts_headline *h, const ts_report_figures *f)
{
    if (!f->cert_known)
        return;
    static const char *const action =
        "Ask store IT for a new store certificate: without a valid one central refuses the "
        "link and sales wait here.";
    if (f->cert_days_left < 0)
        add_issue(h, TS_LEVEL_ATTENTION, "cert_expired", action,
                  "The store's certificate for central has expired");
    else if (f->cert_days_left < CERT_WARN_DAYS)
        add_issue(h, TS_LEVEL_ATTENTION, "cert_expiring", action,
                  "The store's certificate for central expires in %" PRId64 " day(s)",
                  f->cert_days_left);
}

static void odoo_issues(ts_headline *h, const ts_odoo_snapshot *o)
{
    const char *err = o->last_error[0] ? o->last_error : NULL;
    const char *sep = err ? ": " : "", *why = err ? err : "";
    int64_t dups = 0;
    for (size_t i = 0; i < o->n_problems; i++)
        dups += o->problems[i].count;
    if (dups > 0)
        add_issue(h, TS_LEVEL_ATTENTION, "odoo_duplicates",
                  "Call store IT: in Odoo, give each product its own internal reference and "
                  "barcode. Until then a till gets the product with the lowest id.",
                  "%" PRId64 " code(s) or barcode(s) are shared by several products in Odoo", dups);
    switch (o->state) {
    case TS_ODOO_AUTH_FAILED:
        add_issue(h, TS_LEVEL_ATTENTION, "odoo_auth_failed",
                  "Call store IT: the Odoo user or its API key (odoo.api_key_file) must be "
                  "fixed. The tills go on with the last copy of prices and stock.",
                  "Odoo refuses the agent's log-in%s%s", sep, why);
        return;
    case TS_ODOO_CONFIG_ERROR:
        if (o->setting[0])
            add_issue(h, TS_LEVEL_ATTENTION, "odoo_config_error",
                      "Call store IT: the setting named here must be changed in the agent's "
                      "config, or the record it names created in Odoo. The tills go on with the "
                      "last copy of prices and stock.",
                      "Setting %s is wrong%s%s", o->setting, sep, why);
        else
            add_issue(h, TS_LEVEL_ATTENTION, "odoo_config_error",
                      "Call store IT: the Odoo administrator must fix what is named here (the "
                      "bot user's access rights in Odoo). The tills go on with the last copy of "
                      "prices and stock.",
                      "Odoo refuses what the agent needs%s%s", sep, why);
        return;
    case TS_ODOO_NEVER:
        add_issue(h, TS_LEVEL_OFFLINE, "odoo_no_copy",
                  "Wait a few minutes after start-up; if it stays, call store IT. Until then the "
                  "tills cannot look up prices here.",
                  "No copy of prices and stock from Odoo yet%s%s", sep, why);
        return;
    case TS_ODOO_UNREACHABLE:
        add_issue(h, TS_LEVEL_OFFLINE, "odoo_unreachable",
                  "Keep selling: the tills use the last copy. Check the store's internet "
                  "connection if it lasts; the copy updates by itself when Odoo is back.",
                  "Odoo cannot be reached%s%s%s",
                  o->stale ? " and the price/stock copy is old" : "", sep, why);
        return;
    default:
        break;
    }
    if (o->stale)
        add_issue(h, TS_LEVEL_OFFLINE, "odoo_stale",
                  "Prices and stock on the tills may be out of date. If it lasts, call store IT.",
                  "The copy of prices and stock is older than it should be");
}

/* A rolled-back update needs store IT (config.md: status exit 2). */
/* A rolled-back update, or one refused (a bad offer, or a one-way build
 * kept running after a failed probation), needs store IT; sales go on. */
static void update_issues(ts_headline *h, const ts_report_figures *f)
{
    const char *why =
        f->update.last_result && f->update.last_result[0] ? f->update.last_result : NULL;
    if (!f->has_update)
        return;
    if (f->update.state == TS_UPDATE_ROLLED_BACK)
        add_issue(h, TS_LEVEL_ATTENTION, "update_rolled_back",
                  "Tell store IT: the update failed here and was undone; sales go on.", "%s",
                  why ? why : "an update was rolled back");
    else if (f->update.state == TS_UPDATE_REFUSED)
        add_issue(h, TS_LEVEL_OFFLINE, "update_refused",
                  "Tell store IT: the offered update was not installed (or was kept only "
                  "because the store cannot go back); sales go on.",
                  "%s", why ? why : "an update was refused");
}

static void storage_issues(ts_headline *h, const ts_report_figures *f)
{
    /* never "All good" while sales bounce; a store that cannot be opened
     * says why below instead */
    if (f->refusing && !f->storage.not_open)
        add_issue(h, TS_LEVEL_ATTENTION, "sales_refused",
                  "The tills keep the sales and retry. Call store IT if this lasts: the agent "
                  "needs room (disk, database) or a working disk.",
                  "The agent is turning new sales away (%s)", f->refusing);
    if (f->storage.not_open && strstr(f->storage.last_error, "Read-only file system"))
        add_issue(h, TS_LEVEL_ATTENTION, "storage_read_only",
                  "Call store IT now: the gateway's disk is read-only (often after a disk "
                  "error) and must be checked and made writable again. The tills keep their "
                  "sales; the agent tries again by itself every 5-30 s.",
                  "The agent cannot take sales: its disk is read-only (%s)", f->storage.last_error);
    else if (f->storage.not_open)
        add_issue(h, TS_LEVEL_ATTENTION, "storage_unavailable",
                  "Call store IT now: the agent's data directory (data_dir) cannot be written "
                  "(disk, mount or permissions). The tills keep their sales; the agent tries "
                  "again by itself every 5-30 s.",
                  "The agent cannot take sales: it cannot open its store (%s)",
                  f->storage.last_error);
    else if (!f->storage.healthy)
        add_issue(h, TS_LEVEL_ATTENTION, "storage_failed",
                  "Call store IT now: the agent cannot write to its disk. The tills keep the "
                  "sales they could not hand over.",
                  "The agent cannot save new sales: its storage reported a write error");
    if (f->map_used_pct >= MAP_HIGH_PCT)
        add_issue(h, TS_LEVEL_ATTENTION, "storage_nearly_full",
                  "Call store IT: the agent's database is nearly full (storage.map_size_mb).",
                  "The agent's database is %.1f%% full", f->map_used_pct);
    uint64_t free_mb = f->disk_free_bytes >> 20;
    if (f->disk_known &&
        (free_mb < DISK_LOW_MB || f->disk_free_bytes < f->disk_total_bytes / 100 * DISK_LOW_PCT))
        add_issue(h, TS_LEVEL_ATTENTION, "disk_nearly_full",
                  "Call store IT: the gateway's disk needs room (old logs or files removed).",
                  "The disk is nearly full: %" PRIu64 " MB free", free_mb);
}

static void queue_issues(ts_headline *h, const ts_report_figures *f)
{
    uint64_t pending = f->queue.pending, max = f->max_pending;
    if (max == 0)
        return;
    if (pending >= max)
        add_issue(h, TS_LEVEL_ATTENTION, "buffer_full",
                  "The tills keep new sales and retry; nothing is lost. Call store IT: the link "
                  "to central must come back for room to free up.",
                  "The agent is full: %" PRIu64 " sales wait and it takes no more", pending);
    else if (pending * 100 >= max * QUEUE_NEAR_FULL_PCT)
        add_issue(h, TS_LEVEL_ATTENTION, "buffer_nearly_full",
                  "Call store IT: the link to central must come back before the agent fills up.",
                  "The agent is nearly full: %" PRIu64 " of %" PRIu64 " places used", pending, max);
}

/* The most serious first; the order found is kept within a level. */
static void sort_by_level(ts_headline *h)
{
    for (int i = 1; i < h->n; i++) {
        ts_issue is = h->issues[i];
        int j = i;
        for (; j > 0 && h->issues[j - 1].level < is.level; j--)
            h->issues[j] = h->issues[j - 1];
        h->issues[j] = is;
    }
}

void ts_headline_derive(const ts_report_figures *f, ts_headline *h)
{
    memset(h, 0, sizeof(*h));
    storage_issues(h, f);
    update_issues(h, f);
    queue_issues(h, f);
    central_issues(h, f);
    tls_issues(h, f);
    if (f->has_odoo && f->odoo.configured)
        odoo_issues(h, &f->odoo);
    sort_by_level(h);
    h->level = h->n ? h->issues[0].level : TS_LEVEL_OK;
    if (h->n)
        snprintf(h->text, sizeof(h->text), "%s: %s", level_words[h->level], h->issues[0].text);
    else
        snprintf(h->text, sizeof(h->text), "%s: sales are reaching central", level_words[h->level]);
}
