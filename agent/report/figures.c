/*
 * figures.c - reads every provider once into ts_report_figures (report.h)
 * and derives the few figures more than one output shows (ages, percent,
 * days left), so the status, its headline and /metrics agree.
 */
#include "report/report.h"

#include <string.h>

#include "config/config.h"
#include "core/clock.h"
#include "report/state.h"

void ts_report_set_providers(ts_agent *a, const ts_report_providers *p)
{
    if (a->metrics)
        a->metrics->providers = *p;
}

static double round_one_decimal(double v)
{
    return (double)(int64_t)(v * 10.0 + 0.5) / 10.0;
}

/* Whole days left until not_after, rounded towards the past: -1 from the
 * first millisecond after expiry. */
static int64_t days_left(int64_t not_after_ms, int64_t now_ms)
{
    int64_t left_ms = not_after_ms - now_ms;
    return left_ms >= 0 ? left_ms / 86400000 : -((-left_ms + 86399999) / 86400000);
}

static void queue_figures(ts_agent *a, const ts_report_providers *p, ts_report_figures *f)
{
    f->oldest_pending_age_s = -1;
    if (p->queue)
        p->queue(a, &f->queue);
    if (f->queue.pending > 0 && f->queue.oldest_pending_received_at_ms > 0) {
        /* received_at is on the run clock (clock.h): a stepped wall clock
         * changes neither side. */
        int64_t age = (ts_run_ms() - f->queue.oldest_pending_received_at_ms) / 1000;
        f->oldest_pending_age_s = age < 0 ? 0 : age;
    }
    if (a->cfg)
        f->max_pending = a->cfg->storage.max_pending;
}

static void storage_figures(ts_agent *a, const ts_report_providers *p, ts_report_figures *f)
{
    f->storage.healthy = 1;
    if (p->storage) {
        f->has_storage = 1;
        p->storage(a, &f->storage);
    }
    if (f->storage.map_bytes > 0)
        f->map_used_pct =
            round_one_decimal(100.0 * (double)f->storage.used_bytes / (double)f->storage.map_bytes);
    /* Disk figures as the writer last saw them: the loop never waits on
     * the disk, not even for statvfs. */
    f->disk_known = f->storage.disk_known;
    f->disk_free_bytes = f->storage.disk_avail_bytes;
    f->disk_total_bytes = f->storage.disk_total_bytes;
    if (p->intake_refusal)
        f->refusing = p->intake_refusal(a);
}

static void module_figures(ts_agent *a, const ts_report_providers *p, ts_report_figures *f)
{
    if (p->uplink)
        p->uplink(a, &f->uplink);
    if (f->uplink.cert_not_after_ms > 0) {
        f->cert_known = 1;
        f->cert_days_left = days_left(f->uplink.cert_not_after_ms, f->now_ms);
    }
    if (p->odoo) {
        f->has_odoo = 1;
        p->odoo(a, &f->odoo);
    }
    if (p->items) {
        f->has_items = 1;
        p->items(a, &f->items);
    }
    if (p->update) {
        f->has_update = 1;
        p->update(a, &f->update);
    }
    if (p->http) {
        f->has_http = 1;
        p->http(a, &f->http);
    }
}

void ts_report_figures_get(ts_agent *a, ts_report_figures *f)
{
    static const ts_report_providers none;
    const ts_report_providers *p = a->metrics ? &a->metrics->providers : &none;
    memset(f, 0, sizeof(*f));
    f->now_ms = ts_wall_ms();
    if (a->metrics) {
        f->started_at_ms = a->metrics->started_at_ms;
        f->uptime_s = (int64_t)((ts_mono_ms() - a->metrics->started_mono_ms) / 1000u);
    }
    queue_figures(a, p, f);
    storage_figures(a, p, f);
    module_figures(a, p, f);
}
