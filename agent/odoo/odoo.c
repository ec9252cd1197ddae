/*
 * odoo.c - the sync with Odoo: when to read, what to read, and the state.
 *
 * One job runs at a time, as a chain of reads (odoo_rpc.h) whose callbacks
 * start the next read:
 *
 *   full:  company -> pricelist -> currencies -> categories -> pricelist
 *          items -> base pricelists (each: list, currencies, items, until
 *          none is new) -> products (priced, written page by page into a
 *          new version) -> quants (summed into it) -> template watermark ->
 *          switch in one commit
 *   delta: rates -> categories -> items (of the store's and base lists)
 *          -> new base lists -> attribute values, templates, products by
 *          write_date in a small form -> variants and products whose version
 *          differs from what was applied, read whole -> local reprice of
 *          what changed rules, categories and rates touch -> quants (small
 *          form) -> those products' quants read again whole -> mark the copy
 *   local: at the second a rule's dates start or stop holding: its
 *          products repriced from the copy, no read from Odoo
 *
 * Pages stream into the store: at most two page writes are in flight, so
 * reading the next page overlaps writing the last one while memory stays at
 * about one page whatever the catalogue's size. The pricelist items, the
 * categories, units and currencies stay in memory (the pricer needs them);
 * each product's raw price inputs and what was applied to the copy are
 * read from the copy (LMDB) when a change needs them.
 */
#include "odoo/odoo.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/backoff.h"
#include "core/buf.h"
#include "odoo/catalog.h"
#include "odoo/inputs.h"
#include "core/clock.h"
#include "config/config.h"
#include "core/error.h"
#include "core/log.h"
#include "odoo/odoo_parse.h"
#include "odoo/odoo_rpc.h"
#include "odoo/pricing.h"

#define RETRY_INITIAL_MS 2000
#define RETRY_MAX_MS (300 * 1000)
#define AUTH_JITTER_MS (60 * 1000)
#define LINK_UP_JITTER_MAX_MS (30 * 1000)
/* A page is parsed READ_SLICE records at a time and written WRITE_CHUNK
 * products per store op; the next page is read while at most MAX_OPS_AHEAD
 * ops (about one page) wait for the store. */
#define READ_SLICE 250
#define WRITE_CHUNK 250
#define MAX_OPS_AHEAD 8
/* Ids a delta follows up: any real change fits (a catalogue is smaller);
 * beyond, the input is not a catalogue's and a full snapshot follows. */
#define ID_SET_MAX (1u << 22)
#define IN_CHUNK 1000 /* ids per ["...", "in", [...]] request */
#define DOMAIN_MAX (512u * 1024u)
#define FULL_SUMS_MAX 8192 /* quant sums a full snapshot holds (flushed exact) */
#define DELTA_INPUTS_MAX (64u * 1024u * 1024u) /* beyond: a full snapshot */
#define INPUT_ROWS_MAX (8u * 1024u * 1024u)    /* a slice of stored inputs */
#define BASES_MAX                                                                                  \
    TS_INPUTS_BASES_MAX /* pricelists read besides the store's (a chain of 5 and more) */

#define PRODUCT_FIELDS                                                                             \
    "[\"id\",\"default_code\",\"barcode\",\"display_name\",\"lst_price\",\"list_price\","          \
    "\"price_extra\",\"standard_price\",\"uom_id\",\"categ_id\",\"product_tmpl_id\","              \
    "\"write_date\",\"active\",\"sale_ok\"]"
#define ITEM_FIELDS                                                                                \
    "[\"id\",\"applied_on\",\"product_id\",\"product_tmpl_id\",\"categ_id\",\"min_quantity\","     \
    "\"compute_price\",\"fixed_price\",\"percent_price\",\"base\",\"base_pricelist_id\","          \
    "\"price_discount\",\"price_round\",\"price_surcharge\",\"price_min_margin\","                 \
    "\"price_max_margin\",\"date_start\",\"date_end\",\"pricelist_id\",\"write_date\"]"

static const char *const state_names[TS_ODOO_STATES] = {"never", "ok", "unreachable", "auth_failed",
                                                        "config_error"};

/* JOB_LOCAL reprices from the copy (a rule's dates start or
 * stop holding): no read from Odoo. */
typedef enum { JOB_NONE, JOB_FULL, JOB_DELTA, JOB_LOCAL } job_kind;

typedef struct id_set {
    int64_t *ids;
    size_t n, cap;
    int overflow;
} id_set;

typedef struct category {
    int64_t id;
    char *parent_path;
} category;

typedef struct ts_odoo ts_odoo;
typedef void (*step_fn)(ts_odoo *o);
typedef int (*page_fn)(ts_odoo *o, const cJSON *records);

/* One paged search_read: by id (id > last seen) or by offset (write_date
 * order, where ids do not grow). */
typedef struct page_reader {
    const char *model;
    const char *fields;
    const char *order;
    char leaves[1024];    /* domain leaves before paging, JSON, "" for none */
    const id_set *in_ids; /* adds [in_field, "in", ids], IN_CHUNK of them a time */
    size_t in_off;
    const char *in_field;
    int by_id;
    int64_t last_id;
    int offset;
    int limit;    /* 0: page_size */
    int one_page; /* a single request, whatever it returns */
    int include_archived;
    char context[96]; /* more context members, JSON text */
    page_fn on_page;
    step_fn on_end;
} page_reader;

/* A product's quants summed exactly (rounded only once whole): product_id,
 * uom_id, scaled (ts_decimal scale), as a full snapshot adds them. */
typedef ts_catalog_stock_exact stock_sum;

/* A pricelist the store's is based on (an item's base "pricelist"), read
 * with its items; currency_id 0: Odoo did not give it (priced as a
 * fallback, not asked for again until the next full snapshot). */
typedef struct base_list {
    int64_t id;
    int64_t currency_id;
    ts_odoo_currency cur;
} base_list;

#define STAMP_NONE INT64_MIN /* no write_date: never the same as another */

typedef struct uom {
    int64_t id;
    double rounding;
    char name[TS_UOM_NAME_MAX + 1];
} uom;

struct ts_odoo {
    ts_agent *a;
    const ts_odoo_config *cfg;
    ts_odoo_rpc *rpc;
    uv_timer_t timer;
    int stopping;

    ts_odoo_state state;
    char last_error[TS_ODOO_MESSAGE_MAX];
    int64_t last_error_at_ms;
    ts_backoff backoff;
    job_kind next_job;
    uint64_t next_attempt_mono;
    uint64_t last_full_mono;
    int64_t next_price_change_ms;
    int full_wanted;            /* a full snapshot is due once the job in hand ends */
    uint64_t full_period_ms;    /* odoo.full_resync_s ±10 %, drawn once per run */
    uint64_t outage_since_mono; /* first failure of the link in a row, 0: none */

    /* The job in hand. */
    job_kind job;
    int64_t read_started_ms;
    uint64_t job_started_mono;
    page_reader rd;
    step_fn resume; /* run once page writes in flight <= resume_when */
    int resume_when;
    int store_err;
    ts_catalog_build *build;
    int64_t built_items, skipped;

    /* What pricing needs (rebuilt by each full snapshot). */
    int64_t company_currency_id, pricelist_currency_id;
    ts_odoo_currency company_cur, pricelist_cur;
    ts_price_item *items;
    size_t n_items, cap_items;
    int items_changed;
    category *categs;
    size_t n_categs, cap_categs;
    ts_pricer *pricer;
    int price_digits; /* decimal.precision "Product Price" */
    uom *uoms;        /* uom.uom, sorted by id */
    size_t n_uoms, cap_uoms;
    int have_pricing; /* a full snapshot in this run set the above */
    base_list *bases; /* pricelists the store's is based on, by id */
    size_t n_bases, cap_bases;
    id_set want_lists;     /* base pricelists named by items, to read */
    step_fn after_bases;   /* where the chain goes once they are read */
    int64_t pricer_now_ms; /* the time the pricer prices for */

    /* Delta bookkeeping. */
    char wm_product[TS_ODOO_DATETIME_LEN], wm_template[TS_ODOO_DATETIME_LEN];
    char wm_item[TS_ODOO_DATETIME_LEN], wm_quant[TS_ODOO_DATETIME_LEN];
    id_set tmpl_ids, product_ids, quant_products, categ_ids;
    id_set reading; /* the ids delta_reread reads now */
    /* What to reprice from the copy (rules, categories, rates, dates): */
    id_set loc_products, loc_tmpls;
    int reprice_all;    /* a rate or a global rule changed: every product */
    int reprice_next;   /* the next delta reprices every product (a rule's dates passed) */
    int64_t scan_after; /* repricing from the copy: the last product id done */
    step_fn loc_next;   /* where the chain goes after repricing */
    int64_t loc_count;  /* products repriced from the copy by this job */
    ts_buf
        delta_inputs; /* inputs a delta changed (rules, versions applied): stored with its mark */
    size_t n_delta_inputs;
    int delta_rules; /* this delta changed rules or categories in memory */
    int rates_changed;
    int64_t rates_applied[(BASES_MAX + 2) * 4]; /* currency_values before a re-read */
    size_t n_rates_applied;
    int64_t job_odoo_ms;    /* Odoo's clock (HTTP Date) at the job's first answer */
    int64_t window_from_ms; /* Odoo's clock when the last successful job began */
    stock_sum *sums;        /* quants summed per product (full: all; delta: re-read) */
    size_t n_sums, cap_sums, sums_written;
    step_fn after_sums;
    int delta_needs_full;

    /* Duplicated codes in the live copy, read after each sync. */
    size_t n_problems;
    ts_odoo_problem problems[TS_ODOO_PROBLEM_KINDS];

    /* Counters. */
    uint64_t fulls_ok, fulls_failed, deltas_ok, deltas_failed;
    int64_t last_full_duration_ms;
};

static void schedule(ts_odoo *o, job_kind job, uint64_t delay_ms);
static void job_failed(ts_odoo *o, int err, int auth_failed, const char *message);
static void config_failed(ts_odoo *o, const char *message);
static int has_copy(ts_agent *a);

/* ---- small helpers ---------------------------------------------------- */

static void set_add(id_set *s, int64_t id)
{
    if (s->overflow)
        return;
    if (s->n && s->ids[s->n - 1] == id)
        return; /* runs of the same id are common (quants of one product) */
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        int64_t *p = cap <= ID_SET_MAX ? realloc(s->ids, cap * sizeof(*p)) : NULL;
        if (!p) {
            s->overflow = 1;
            return;
        }
        s->ids = p;
        s->cap = cap;
    }
    s->ids[s->n++] = id;
}

static void set_clear(id_set *s)
{
    free(s->ids);
    memset(s, 0, sizeof(*s));
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static void set_sort_unique(id_set *s)
{
    if (s->n < 2)
        return;
    qsort(s->ids, s->n, sizeof(*s->ids), cmp_i64);
    size_t k = 1;
    for (size_t i = 1; i < s->n; i++)
        if (s->ids[i] != s->ids[k - 1])
            s->ids[k++] = s->ids[i];
    s->n = k;
}

/* Keeps the newest write_date seen ("YYYY-MM-DD HH:MM:SS" sorts as text). */
static void watermark(char wm[TS_ODOO_DATETIME_LEN], const char *write_date)
{
    if (write_date[0] && strcmp(write_date, wm) > 0)
        memcpy(wm, write_date, TS_ODOO_DATETIME_LEN);
}

/*
 * Where a delta's write_date window starts: when the last successful job
 * began, in Odoo's time (its HTTP Date), minus odoo.delta_overlap_s. Not the
 * newest write_date seen: that stops moving when Odoo goes quiet, and a
 * bulk change would stay in the window for ever (odoo-sync.md "Delta").
 */
static void since(const ts_odoo *o, const char *wm, char out[TS_ODOO_DATETIME_LEN])
{
    (void)wm;
    int64_t ms = o->window_from_ms - o->cfg->delta_overlap_s * 1000;
    ts_odoo_format_datetime(ms < 0 ? 0 : ms, out);
}

/* Uniform in [0, n): jitter from the back-off's own generator. */
static uint64_t random_below(ts_odoo *o, uint64_t n)
{
    if (n == 0)
        return 0;
    uint64_t x = o->backoff.state ? o->backoff.state : 0x9E3779B97F4A7C15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    o->backoff.state = x;
    return x % n;
}

static const char *category_path(const ts_odoo *o, int64_t id)
{
    size_t lo = 0, hi = o->n_categs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->categs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < o->n_categs && o->categs[lo].id == id ? o->categs[lo].parent_path : NULL;
}

static void free_pricing(ts_odoo *o)
{
    for (size_t i = 0; i < o->n_categs; i++)
        free(o->categs[i].parent_path);
    free(o->categs);
    o->categs = NULL;
    o->n_categs = o->cap_categs = 0;
    free(o->items);
    o->items = NULL;
    o->n_items = o->cap_items = 0;
    ts_pricer_free(o->pricer);
    o->pricer = NULL;
    o->have_pricing = 0;
    free(o->bases);
    o->bases = NULL;
    o->n_bases = o->cap_bases = 0;
}

/* ---- what was applied ------------------------------------------------- */

/*
 * What was applied to the copy is kept in it: a product's write_date in its
 * record, and the versions of quants, templates, attribute values and
 * products left out as inputs (TS_INPUT_QUANT...). A delta compares its
 * small reads with them and reads whole only what differs; the versions it
 * applies are stored with its mark (put_inputs), so a delta cut short reads
 * them again.
 */

/* A write_date as UTC seconds (kept so: 8 bytes, not 20). */
static int64_t stamp_s(const char *write_date)
{
    int64_t ms;
    return write_date[0] && ts_parse_odoo_datetime(write_date, &ms) == 0 ? ms / 1000 : STAMP_NONE;
}

/* Was this version of the record (kind, id) applied to the copy already? */
static int stamp_applied(ts_catalog_reader *r, char kind, int64_t id, int64_t write_s, double value)
{
    unsigned char rec[TS_INPUT_STAMP_SIZE];
    size_t len;
    int64_t s;
    double v;
    return write_s != STAMP_NONE &&
           ts_catalog_find_input(r, kind, id, rec, sizeof(rec), &len) == 0 &&
           ts_inputs_stamp_decode(rec, len, &s, &v) == 0 && s == write_s && v == value;
}

/* Was this product record, stamped write_date, applied already (in the
 * copy, or seen and left out)? */
static int product_applied(ts_catalog_reader *r, int64_t id, const char *write_date)
{
    int64_t s = stamp_s(write_date);
    ts_catalog_item it;
    if (s == STAMP_NONE)
        return 0;
    if (ts_catalog_find_id(r, id, &it) == 0)
        return it.write_s == s;
    return stamp_applied(r, TS_INPUT_LEFT_OUT, id, s, 0);
}

/* A version as applied, as a row for put_inputs. */
static void stamp_row(ts_buf *rows, char kind, int64_t id, int64_t write_s, double value)
{
    unsigned char rec[TS_INPUT_STAMP_SIZE];
    size_t len = ts_inputs_stamp_encode(write_s, value, rec, sizeof(rec));
    ts_catalog_input_row(rows, kind, id, rec, len);
}

/* ---- reading pages ---------------------------------------------------- */

static void read_page(ts_odoo *o);
static int fail_page(ts_odoo *o, const char *what);

/* Runs fn once at most `when` page writes are in flight. */
static void after_writes(ts_odoo *o, int when, step_fn fn)
{
    o->resume = fn;
    o->resume_when = when;
    if (o->store_err) {
        o->resume = NULL;
        job_failed(o, o->store_err, 0, "the local copy could not be written (disk full?)");
        return;
    }
    if (ts_catalog_ops_in_flight(o->a) <= when) {
        o->resume = NULL;
        fn(o);
    }
}

/* Catalog op done (loop): arg is the agent, so a late callback after
 * ts_odoo_stop finds a->odoo NULL instead of freed memory. */
static void on_write_done(void *arg, int err)
{
    ts_agent *a = arg;
    ts_odoo *o = a->odoo;
    if (!o || o->stopping)
        return;
    if (err != 0 && !o->store_err)
        o->store_err = err;
    if (o->resume)
        after_writes(o, o->resume_when, o->resume);
}

/* Stores pricing inputs (rows of one slice, catalog.h) with the copy: into
 * the new version as a full snapshot reads them; a delta's are kept for its
 * mark, so a delta cut short leaves the stored inputs as they were (the
 * next one finds the same changes again and reprices them). */
static int put_inputs(ts_odoo *o, ts_buf *rows, size_t n)
{
    int rc = 0;
    if (!ts_buf_ok(rows)) {
        rc = TS_ENOMEM;
    } else if (n && o->job == JOB_DELTA) {
        ts_buf_append(&o->delta_inputs, rows->data, rows->len);
        o->n_delta_inputs += n;
        if (!ts_buf_ok(&o->delta_inputs))
            o->delta_needs_full = 1; /* not a catalogue's change: a full snapshot */
    } else if (n) {
        rc = ts_catalog_put_inputs(o->a, o->build, rows, n, on_write_done, o->a);
    }
    ts_buf_free(rows);
    if (rc != 0)
        job_failed(o, rc, 0, "the local copy could not be written");
    return rc;
}

static void item_row(ts_buf *rows, const ts_price_item *it)
{
    unsigned char rec[TS_INPUT_ITEM_SIZE];
    size_t len = ts_inputs_item_encode(it, rec, sizeof(rec));
    ts_catalog_input_row(rows, TS_INPUT_ITEM, it->id, rec, len);
}

static void categ_row(ts_buf *rows, int64_t id, const char *path)
{
    unsigned char rec[TS_PARENT_PATH_MAX + 8];
    size_t len = ts_inputs_categ_encode(path, rec, sizeof(rec));
    ts_catalog_input_row(rows, TS_INPUT_CATEG, id, rec, len);
}

/* Hands the page's records to rd.on_page in slices of READ_SLICE, each a
 * small cJSON array: a page is never one big tree. At least one call, so
 * a handler sees an empty answer too. */
static int read_slices(ts_odoo *o, const ts_odoo_answer *ans)
{
    ts_odoo_list list;
    if (ts_odoo_list_begin(&list, ans->records, ans->records_len) != 0)
        return fail_page(o, "not a list of records");
    int first = 1;
    for (;;) {
        cJSON *slice = cJSON_CreateArray(), *rec = NULL;
        if (!slice)
            return fail_page(o, "out of memory for a page");
        int n = 0, rc = 0;
        while (n < READ_SLICE && (rc = ts_odoo_list_next(&list, &rec)) == 0 && rec) {
            cJSON_AddItemToArray(slice, rec);
            n++;
        }
        if (rc == 0 && (n > 0 || first))
            rc = o->rd.on_page(o, slice) != 0 ? -1 : 0;
        else if (rc != 0)
            rc = fail_page(o, "a record is not well-formed JSON");
        cJSON_Delete(slice);
        if (rc != 0)
            return rc;
        if (n < READ_SLICE)
            return 0;
        first = 0;
    }
}

/* A page arrived. The next page is asked for before this one is worked on
 * (when the store keeps up), so Odoo prepares it while we price and write. */
static void on_page(void *arg, const ts_odoo_answer *ans)
{
    ts_odoo *o = arg;
    if (o->stopping || o->job == JOB_NONE)
        return;
    if (ans->err) {
        if (ans->config_error)
            config_failed(o, ans->message);
        else
            job_failed(o, ans->err, ans->auth_failed, ans->message);
        return;
    }
    if (!o->job_odoo_ms)
        o->job_odoo_ms = ans->date_ms ? ans->date_ms : o->read_started_ms;
    size_t n;
    cJSON *last;
    if (ts_odoo_list_last(ans->records, ans->records_len, &n, &last) != 0) {
        fail_page(o, "not a list of records");
        return;
    }
    int64_t id;
    if (last && ts_odoo_int(cJSON_GetObjectItemCaseSensitive(last, "id"), &id) == 0)
        o->rd.last_id = id;
    cJSON_Delete(last);
    o->rd.offset += (int)n;
    size_t limit = (size_t)(o->rd.limit ? o->rd.limit : o->cfg->page_size);
    int more = n >= limit && !o->rd.one_page;
    if (!more && o->rd.in_ids && o->rd.in_off + IN_CHUNK < o->rd.in_ids->n) {
        o->rd.in_off += IN_CHUNK; /* the next chunk of ids, from its start */
        o->rd.last_id = 0;
        o->rd.offset = 0;
        more = 1;
    }
    int asked = 0;
    if (more && ts_catalog_ops_in_flight(o->a) <= MAX_OPS_AHEAD) {
        read_page(o);
        if (o->job == JOB_NONE)
            return; /* could not send */
        asked = 1;
    }
    if (read_slices(o, ans) != 0)
        return; /* the job failed (and the read asked for was canceled) */
    if (!more)
        after_writes(o, 0, o->rd.on_end);
    else if (!asked)
        after_writes(o, MAX_OPS_AHEAD, read_page);
}

static void put_id_list(ts_buf *b, const id_set *s, size_t off)
{
    ts_buf_puts(b, "[");
    for (size_t i = off; i < s->n && i < off + IN_CHUNK; i++)
        ts_buf_printf(b, "%s%lld", i > off ? "," : "", (long long)s->ids[i]);
    ts_buf_puts(b, "]");
}

static void read_page(ts_odoo *o)
{
    page_reader *rd = &o->rd;
    ts_buf dom;
    ts_buf_init(&dom, DOMAIN_MAX);
    ts_buf_puts(&dom, "[");
    ts_buf_puts(&dom, rd->leaves);
    if (rd->in_ids) {
        ts_buf_printf(&dom, "%s[\"%s\",\"in\",", rd->leaves[0] ? "," : "", rd->in_field);
        put_id_list(&dom, rd->in_ids, rd->in_off);
        ts_buf_puts(&dom, "]");
    }
    if (rd->by_id)
        ts_buf_printf(&dom, "%s[\"id\",\">\",%lld]", dom.len > 1 ? "," : "",
                      (long long)rd->last_id);
    ts_buf_puts(&dom, "]");
    ts_odoo_query q = {rd->model,
                       dom.data,
                       rd->fields,
                       rd->order,
                       rd->limit ? rd->limit : o->cfg->page_size,
                       rd->by_id ? 0 : rd->offset,
                       rd->include_archived,
                       rd->context};
    int rc = ts_buf_ok(&dom) ? ts_odoo_rpc_search_read(o->rpc, &q, on_page, o) : TS_ETOOBIG;
    ts_buf_free(&dom);
    if (rc != 0)
        job_failed(o, rc, 0, "cannot send a request to Odoo");
}

/* Sets up a paged read (read_page sends it); leaves_fmt gives the domain's
 * leaves, printf-style. */
#if defined(__GNUC__)
__attribute__((format(printf, 8, 9)))
#endif
static void
setup_read(ts_odoo *o, const char *model, const char *fields, int by_id, page_fn on_page_fn,
           step_fn on_end, int include_archived, const char *leaves_fmt, ...)
{
    page_reader *rd = &o->rd;
    memset(rd, 0, sizeof(*rd));
    rd->model = model;
    rd->fields = fields;
    rd->by_id = by_id;
    rd->order = by_id ? "id" : "write_date,id";
    rd->on_page = on_page_fn;
    rd->on_end = on_end;
    rd->include_archived = include_archived;
    va_list ap;
    va_start(ap, leaves_fmt);
    vsnprintf(rd->leaves, sizeof(rd->leaves), leaves_fmt, ap);
    va_end(ap);
}

/* ---- full snapshot ---------------------------------------------------- */

static void full_pricelist(ts_odoo *o);
static void full_currencies(ts_odoo *o);
static void full_precision(ts_odoo *o);
static void full_uoms(ts_odoo *o);
static void full_categories(ts_odoo *o);
static void full_items(ts_odoo *o);
static void full_products(ts_odoo *o);
static void full_quants(ts_odoo *o);
static void full_template_mark(ts_odoo *o);
static void full_switch(ts_odoo *o);

static int fail_page(ts_odoo *o, const char *what)
{
    char msg[TS_ODOO_MESSAGE_MAX];
    snprintf(msg, sizeof(msg), "Odoo's answer cannot be used: %s", what);
    job_failed(o, TS_EPROTO, 0, msg);
    return TS_EPROTO;
}

static int on_company(ts_odoo *o, const cJSON *records)
{
    const cJSON *first = cJSON_GetArrayItem(records, 0);
    if (!first ||
        ts_odoo_many2one_id(cJSON_GetObjectItemCaseSensitive(first, "currency_id"),
                            &o->company_currency_id) != 0 ||
        o->company_currency_id == 0)
        return fail_page(o, "no company with a currency is readable by the Odoo user");
    return 0;
}

/* The first company (by id) the Odoo user sees gives the base currency. */
static void full_company(ts_odoo *o)
{
    setup_read(o, "res.company", "[\"id\",\"currency_id\"]", 0, on_company, full_pricelist, 0, "%s",
               "");
    o->rd.order = "id";
    o->rd.limit = 1;
    o->rd.one_page = 1;
    read_page(o);
}

static int on_pricelist(ts_odoo *o, const cJSON *records)
{
    const cJSON *first = cJSON_GetArrayItem(records, 0);
    if (!first) {
        char msg[TS_ODOO_MESSAGE_MAX];
        snprintf(msg, sizeof(msg),
                 "Odoo has no pricelist %lld (or the Odoo user cannot read it): check "
                 "odoo.pricelist_id",
                 (long long)o->cfg->pricelist_id);
        config_failed(o, msg);
        return TS_EPROTO;
    }
    if (ts_odoo_many2one_id(cJSON_GetObjectItemCaseSensitive(first, "currency_id"),
                            &o->pricelist_currency_id) != 0 ||
        o->pricelist_currency_id == 0)
        return fail_page(o, "the pricelist has no currency");
    return 0;
}

static void full_pricelist(ts_odoo *o)
{
    o->pricelist_currency_id = 0;
    if (!o->cfg->pricelist_id) {
        full_currencies(o);
        return;
    }
    setup_read(o, "product.pricelist", "[\"id\",\"currency_id\"]", 0, on_pricelist, full_currencies,
               1, "[\"id\",\"=\",%lld]", (long long)o->cfg->pricelist_id);
    o->rd.order = "id";
    o->rd.one_page = 1;
    read_page(o);
}

static int on_currencies(ts_odoo *o, const cJSON *records)
{
    int have_company = 0, have_pricelist = !o->pricelist_currency_id;
    const cJSON *rec;
    cJSON_ArrayForEach(rec, records)
    {
        ts_odoo_currency c;
        if (ts_odoo_parse_currency(rec, &c) != 0)
            return fail_page(o, "a currency without decimal_places or rate");
        if (c.id == o->company_currency_id) {
            o->company_cur = c;
            have_company = 1;
        }
        if (c.id == o->pricelist_currency_id) {
            o->pricelist_cur = c;
            have_pricelist = 1;
        }
        for (size_t i = 0; i < o->n_bases; i++)
            if (o->bases[i].currency_id == c.id)
                o->bases[i].cur = c; /* one not read: that list is a fallback */
    }
    if (!have_company || !have_pricelist)
        return fail_page(o, "the company's or the pricelist's currency cannot be read");
    return 0;
}

/* The currencies prices need: the company's, the pricelist's and those of
 * the pricelists it is based on, as a JSON list's members. */
static void currency_ids(const ts_odoo *o, char *out, size_t len)
{
    int n = snprintf(
        out, len, "%lld,%lld", (long long)o->company_currency_id,
        (long long)(o->pricelist_currency_id ? o->pricelist_currency_id : o->company_currency_id));
    for (size_t i = 0; i < o->n_bases && n > 0 && (size_t)n < len; i++)
        if (o->bases[i].currency_id)
            n += snprintf(out + n, len - (size_t)n, ",%lld", (long long)o->bases[i].currency_id);
}

/* Currencies may be archived (EUR is, in a fresh Odoo): active_test false. */
static void read_currencies(ts_odoo *o, step_fn next)
{
    char ids[(BASES_MAX + 2) * 24];
    currency_ids(o, ids, sizeof(ids));
    setup_read(o, "res.currency", "[\"id\",\"name\",\"decimal_places\",\"rounding\",\"rate\"]", 0,
               on_currencies, next, 1, "[\"id\",\"in\",[%s]]", ids);
    o->rd.order = "id";
    o->rd.one_page = 1;
    read_page(o);
}

static void full_currencies(ts_odoo *o)
{
    read_currencies(o, full_precision);
}

/* decimal.precision "Product Price": the digits Odoo keeps unit prices at
 * (2 when the record cannot be found, Odoo's default). */
static int on_precision(ts_odoo *o, const cJSON *records)
{
    const cJSON *first = cJSON_GetArrayItem(records, 0);
    int64_t digits = 2;
    if (first && (ts_odoo_int(cJSON_GetObjectItemCaseSensitive(first, "digits"), &digits) != 0 ||
                  digits < 0 || digits > 6))
        return fail_page(o, "the Product Price precision is not a number of digits from 0 to 6");
    o->price_digits = (int)digits;
    return 0;
}

static void full_precision(ts_odoo *o)
{
    setup_read(o, "decimal.precision", "[\"id\",\"name\",\"digits\"]", 0, on_precision, full_uoms,
               0, "%s", "[\"name\",\"=\",\"Product Price\"]");
    o->rd.order = "id";
    o->rd.limit = 1;
    o->rd.one_page = 1;
    read_page(o);
}

/* Appends a unit (read or loaded in id order, so o->uoms stays sorted). */
static int add_uom(ts_odoo *o, int64_t id, double rounding, const char *name)
{
    if (o->n_uoms == o->cap_uoms) {
        size_t cap = o->cap_uoms ? o->cap_uoms * 2 : 32;
        uom *p = realloc(o->uoms, cap * sizeof(*p));
        if (!p)
            return TS_ENOMEM;
        o->uoms = p;
        o->cap_uoms = cap;
    }
    uom *u = &o->uoms[o->n_uoms++];
    u->id = id;
    u->rounding = rounding;
    snprintf(u->name, sizeof(u->name), "%s", name);
    return 0;
}

static int on_uoms(ts_odoo *o, const cJSON *records)
{
    const cJSON *rec;
    ts_buf rows;
    size_t n = 0;
    ts_buf_init(&rows, INPUT_ROWS_MAX);
    cJSON_ArrayForEach(rec, records)
    {
        int64_t id;
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(rec, "rounding");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(rec, "name");
        char name[TS_UOM_NAME_MAX + 1];
        if (ts_odoo_int(cJSON_GetObjectItemCaseSensitive(rec, "id"), &id) != 0 ||
            !cJSON_IsNumber(r) || !(r->valuedouble >= 0) || !cJSON_IsString(nm)) {
            ts_buf_free(&rows);
            return fail_page(o, "a unit of measure without a rounding or a name");
        }
        ts_odoo_string(nm, name, sizeof(name)); /* too long: cut, a label only */
        if (add_uom(o, id, r->valuedouble, name) != 0) {
            ts_buf_free(&rows);
            return fail_page(o, "out of memory for the units of measure");
        }
        unsigned char ur[TS_UOM_NAME_MAX + 16];
        size_t len = ts_inputs_uom_encode(r->valuedouble, name, ur, sizeof(ur));
        ts_catalog_input_row(&rows, TS_INPUT_UOM, id, ur, len);
        n++;
    }
    return put_inputs(o, &rows, n);
}

/* Units are few (tens): read whole, by id, archived ones included. */
static void full_uoms(ts_odoo *o)
{
    free(o->uoms);
    o->uoms = NULL;
    o->n_uoms = o->cap_uoms = 0;
    setup_read(o, "uom.uom", "[\"id\",\"name\",\"rounding\"]", 1, on_uoms, full_categories, 1, "%s",
               "");
    read_page(o);
}

static const uom *find_uom(const ts_odoo *o, int64_t id)
{
    size_t lo = 0, hi = o->n_uoms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->uoms[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < o->n_uoms && o->uoms[lo].id == id ? &o->uoms[lo] : NULL;
}

/* Appends a category (read or loaded in id order, o->categs stays sorted;
 * a delta's new one is sorted in by move_category). */
static int add_category(ts_odoo *o, int64_t id, const char *parent_path)
{
    if (o->n_categs == o->cap_categs) {
        size_t cap = o->cap_categs ? o->cap_categs * 2 : 64;
        category *p = realloc(o->categs, cap * sizeof(*p));
        if (!p)
            return TS_ENOMEM;
        o->categs = p;
        o->cap_categs = cap;
    }
    char *path = strdup(parent_path);
    if (!path)
        return TS_ENOMEM;
    o->categs[o->n_categs].id = id;
    o->categs[o->n_categs++].parent_path = path;
    return 0;
}

static int on_categories(ts_odoo *o, const cJSON *records)
{
    const cJSON *rec;
    ts_buf rows;
    size_t n = 0;
    ts_buf_init(&rows, INPUT_ROWS_MAX);
    cJSON_ArrayForEach(rec, records)
    {
        ts_odoo_category c;
        const char *why = NULL;
        if (ts_odoo_parse_category(rec, &c) != 0)
            why = "a product category without a readable parent_path";
        else if (add_category(o, c.id, c.parent_path) != 0)
            why = "out of memory for the categories";
        if (why) {
            ts_buf_free(&rows);
            return fail_page(o, why);
        }
        categ_row(&rows, c.id, c.parent_path);
        n++;
    }
    return put_inputs(o, &rows, n);
}

static void full_categories(ts_odoo *o)
{
    free_pricing(o);
    setup_read(o, "product.category", "[\"id\",\"parent_path\"]", 1, on_categories, full_items, 0,
               "%s", "");
    read_page(o);
}

/* Where the item with this id is or would go in o->items (sorted by id). */
static size_t item_slot(const ts_odoo *o, int64_t id)
{
    size_t lo = 0, hi = o->n_items;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->items[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const ts_price_item *find_item(const ts_odoo *o, int64_t id)
{
    size_t i = item_slot(o, id);
    return i < o->n_items && o->items[i].id == id ? &o->items[i] : NULL;
}

/* Inserts or replaces one item, keeping o->items sorted by id. Parsed
 * items are zeroed first (ts_odoo_parse_price_item), so memcmp compares. */
static int upsert_item(ts_odoo *o, const ts_price_item *it)
{
    size_t lo = item_slot(o, it->id);
    if (lo < o->n_items && o->items[lo].id == it->id) {
        o->items[lo] = *it;
        return 0;
    }
    if (o->n_items == o->cap_items) {
        size_t cap = o->cap_items ? o->cap_items * 2 : 64;
        ts_price_item *p = realloc(o->items, cap * sizeof(*p));
        if (!p)
            return TS_ENOMEM;
        o->items = p;
        o->cap_items = cap;
    }
    memmove(&o->items[lo + 1], &o->items[lo], (o->n_items - lo) * sizeof(*o->items));
    o->items[lo] = *it;
    o->n_items++;
    return 0;
}

/* The products a rule can price (in any pricelist of the chain: a
 * product's price depends only on the rules that match it), to be priced
 * again locally. By what the rule names, as the pricer matches it. */
static void item_scope(ts_odoo *o, const ts_price_item *it)
{
    if (it->product_id)
        set_add(&o->loc_products, it->product_id);
    else if (it->product_tmpl_id)
        set_add(&o->loc_tmpls, it->product_tmpl_id);
    else if (it->categ_id)
        set_add(&o->categ_ids, it->categ_id); /* its subtree: see delta_categ_subtrees */
    else
        o->reprice_all = 1;
}

static int on_items(ts_odoo *o, const cJSON *records)
{
    const cJSON *rec;
    ts_buf rows;
    size_t n = 0;
    ts_buf_init(&rows, INPUT_ROWS_MAX);
    cJSON_ArrayForEach(rec, records)
    {
        ts_price_item it;
        char wd[TS_ODOO_DATETIME_LEN];
        if (ts_odoo_parse_price_item(rec, &it, wd) != 0) {
            ts_buf_free(&rows);
            return fail_page(o, "a pricelist item in an unexpected shape");
        }
        watermark(o->wm_item, wd);
        const ts_price_item *had = find_item(o, it.id);
        if (had && memcmp(had, &it, sizeof(it)) == 0)
            continue; /* seen again in the overlap window, unchanged */
        if (o->job == JOB_DELTA && had)
            item_scope(o, had); /* a rule moved: where it was ... */
        if (o->job == JOB_DELTA)
            item_scope(o, &it); /* ... and where it is */
        if (upsert_item(o, &it) != 0) {
            ts_buf_free(&rows);
            return fail_page(o, "out of memory for the pricelist items");
        }
        item_row(&rows, &it);
        n++;
        o->items_changed = 1;
        o->delta_rules = 1;
    }
    return put_inputs(o, &rows, n);
}

static void read_bases(ts_odoo *o);

static void full_items(ts_odoo *o)
{
    if (!o->cfg->pricelist_id) {
        full_products(o);
        return;
    }
    o->after_bases = full_products;
    setup_read(o, "product.pricelist.item", ITEM_FIELDS, 1, on_items, read_bases, 0,
               "[\"pricelist_id\",\"=\",%lld]", (long long)o->cfg->pricelist_id);
    read_page(o);
}

/* ---- the pricelists the store's is based on --------------------------- */

static const base_list *find_base(const ts_odoo *o, int64_t id)
{
    for (size_t i = 0; i < o->n_bases; i++)
        if (o->bases[i].id == id)
            return &o->bases[i];
    return NULL;
}

static int add_base(ts_odoo *o, int64_t id, int64_t currency_id)
{
    if (find_base(o, id))
        return 0;
    if (o->n_bases == o->cap_bases) {
        size_t cap = o->cap_bases ? o->cap_bases * 2 : 4;
        base_list *p = realloc(o->bases, cap * sizeof(*p));
        if (!p)
            return TS_ENOMEM;
        o->bases = p;
        o->cap_bases = cap;
    }
    o->bases[o->n_bases++] = (base_list){.id = id, .currency_id = currency_id};
    return 0;
}

static int on_base_lists(ts_odoo *o, const cJSON *records)
{
    const cJSON *rec;
    cJSON_ArrayForEach(rec, records)
    {
        int64_t id, cur;
        if (ts_odoo_int(cJSON_GetObjectItemCaseSensitive(rec, "id"), &id) != 0 ||
            ts_odoo_many2one_id(cJSON_GetObjectItemCaseSensitive(rec, "currency_id"), &cur) != 0)
            return fail_page(o, "a pricelist in an unexpected shape");
        if (add_base(o, id, cur) != 0)
            return fail_page(o, "out of memory for the pricelists");
    }
    return 0;
}

static void base_items(ts_odoo *o)
{
    setup_read(o, "product.pricelist.item", ITEM_FIELDS, 1, on_items, read_bases, 0, "%s", "");
    o->rd.in_ids = &o->want_lists;
    o->rd.in_field = "pricelist_id";
    read_page(o);
}

/* The lists asked for that Odoo did not give stay known (as fallbacks). */
static void bases_listed(ts_odoo *o)
{
    for (size_t i = 0; i < o->want_lists.n; i++)
        if (add_base(o, o->want_lists.ids[i], 0) != 0) {
            job_failed(o, TS_ENOMEM, 0, "out of memory for the pricelists");
            return;
        }
    read_currencies(o, base_items);
}

/*
 * The pricelists that items name as their base and that are not read yet:
 * each with its currency and all its items, then again for those these
 * name (odoo-sync.md "Prices"), until none is new or BASES_MAX are read;
 * then o->after_bases. A cycle ends here (lists already read are not new)
 * and is reported by the pricer.
 */
static void read_bases(ts_odoo *o)
{
    set_clear(&o->want_lists);
    for (size_t i = 0; i < o->n_items; i++) {
        int64_t b = o->items[i].base_pricelist_id;
        if (o->items[i].base == TS_BASE_PRICELIST && b && b != o->cfg->pricelist_id &&
            !find_base(o, b))
            set_add(&o->want_lists, b);
    }
    set_sort_unique(&o->want_lists);
    if (o->want_lists.n == 0 || o->n_bases >= BASES_MAX || o->want_lists.overflow) {
        set_clear(&o->want_lists);
        o->after_bases(o);
        return;
    }
    if (o->want_lists.n > BASES_MAX - o->n_bases)
        o->want_lists.n = BASES_MAX - o->n_bases;
    setup_read(o, "product.pricelist", "[\"id\",\"currency_id\"]", 1, on_base_lists, bases_listed,
               1, "%s", "");
    o->rd.in_ids = &o->want_lists;
    o->rd.in_field = "id";
    read_page(o);
}

/* The items of one pricelist (0: the store's) into out. */
static size_t items_of(const ts_odoo *o, int64_t list, ts_price_item *out)
{
    size_t n = 0;
    for (size_t i = 0; i < o->n_items; i++) {
        int64_t l = o->items[i].pricelist_id;
        if (list ? l == list : (l == 0 || l == o->cfg->pricelist_id))
            out[n++] = o->items[i];
    }
    return n;
}

/* The rules whose dates started or stopped holding between two times. */
static void dates_scope(ts_odoo *o, int64_t before_ms, int64_t now_ms)
{
    for (size_t i = 0; i < o->n_items; i++)
        if (ts_price_item_holds(&o->items[i], before_ms) !=
            ts_price_item_holds(&o->items[i], now_ms))
            item_scope(o, &o->items[i]);
}

static int new_pricer(ts_odoo *o, int64_t now_ms, ts_pricer **out)
{
    const ts_currency *pl = o->pricelist_currency_id ? &o->pricelist_cur.cur : NULL;
    ts_price_item *scratch = malloc((o->n_items ? o->n_items : 1) * sizeof(*scratch));
    if (!scratch)
        return TS_ENOMEM;
    int rc = ts_pricer_new(scratch, items_of(o, 0, scratch), pl, &o->company_cur.cur, now_ms, out);
    if (rc == 0 && pl)
        ts_pricer_set_main_id(*out, o->cfg->pricelist_id);
    for (size_t i = 0; rc == 0 && pl && i < o->n_bases; i++) {
        const base_list *b = &o->bases[i];
        if (b->currency_id && b->cur.id == b->currency_id)
            rc = ts_pricer_add_pricelist(*out, b->id, &b->cur.cur, scratch,
                                         items_of(o, b->id, scratch));
    }
    free(scratch);
    if (rc != 0) {
        ts_pricer_free(*out);
        *out = NULL;
    }
    return rc;
}

/* A pricer for now; in a delta or a local job, the products of the rules
 * whose dates started or stopped holding since the last one are marked. */
static int make_pricer(ts_odoo *o)
{
    ts_pricer *p = NULL;
    int64_t now = ts_wall_ms();
    int rc = new_pricer(o, now, &p);
    if (rc != 0)
        return rc;
    ts_pricer_set_price_digits(p, o->price_digits);
    if (o->pricer && o->job != JOB_FULL)
        dates_scope(o, o->pricer_now_ms, now);
    ts_pricer_free(o->pricer);
    o->pricer = p;
    o->pricer_now_ms = now;
    o->next_price_change_ms = ts_pricer_next_change_ms(p);
    o->items_changed = 0;
    return 0;
}

/* The price at the smallest quantity a till may sell (0.001) and the
 * quantities from which it changes, each with Odoo's unit, so that any
 * ?qty= is answered from the copy alone. */
#define QTY_MIN 0.001

static int price_tiers(ts_odoo *o, const ts_price_product *pp, const char *path,
                       ts_catalog_item *it)
{
    ts_price price;
    int rc = ts_pricer_price_qty(o->pricer, pp, path, QTY_MIN, &price);
    if (rc != 0)
        return rc;
    it->price_minor = price.amount_minor;
    it->decimal_places = price.decimal_places;
    it->source = price.source;
    it->unit = price.unit;
    it->price_digits = price.price_digits;
    it->rounding_minor = price.rounding_minor;
    rc = ts_pricer_tiers(o->pricer, pp, path, QTY_MIN, it->tiers, TS_CATALOG_TIERS_MAX,
                         &it->n_tiers);
    for (size_t i = 0; rc == 0 && i < it->n_tiers; i++) {
        ts_price at;
        rc = ts_pricer_price_qty(o->pricer, pp, path, it->tiers[i].min_qty, &at);
        it->tier_unit[i] = at.unit;
    }
    return rc;
}

/* Prices an item of the copy from the raw inputs it keeps (a new product,
 * or a rule, rate or category that changed); 0, or an error to skip it. */
static int reprice_item(ts_odoo *o, ts_catalog_item *it)
{
    ts_price_product pp = {.id = it->product_id,
                           .tmpl_id = it->tmpl_id,
                           .categ_id = it->categ_id,
                           .lst_price = it->lst_price,
                           .has_raw = it->has_raw,
                           .list_price = it->list_price,
                           .price_extra = it->price_extra,
                           .standard_price = it->standard_price};
    return price_tiers(o, &pp, category_path(o, it->categ_id), it);
}

/* Turns one parsed product into the copy's item; 0, or 1 to skip it. */
static int item_of(ts_odoo *o, const ts_odoo_product *p, ts_catalog_item *it)
{
    if (!p->sku[0] && !p->barcode[0])
        return 1;
    memset(it, 0, sizeof(*it));
    it->product_id = p->id;
    it->tmpl_id = p->tmpl_id;
    it->categ_id = p->categ_id;
    it->lst_price = p->lst_price;
    it->has_raw = p->has_raw;
    it->list_price = p->list_price;
    it->price_extra = p->price_extra;
    it->standard_price = p->standard_price;
    it->uom_id = p->uom_id;
    int64_t s = stamp_s(p->write_date); /* which version of the product the copy holds */
    it->write_s = s == STAMP_NONE ? 0 : s;
    if (reprice_item(o, it) != 0)
        return 1;
    memcpy(it->sku, p->sku, sizeof(it->sku));
    memcpy(it->barcode, p->barcode, sizeof(it->barcode));
    memcpy(it->name, p->name, sizeof(it->name));
    const uom *u = find_uom(o, p->uom_id);
    snprintf(it->uom, sizeof(it->uom), "%s", u ? u->name : "Units");
    return 0;
}

/* Product reads: names without the code, costs for the configured company. */
static void product_context(ts_odoo *o)
{
    if (o->cfg->company_id)
        snprintf(o->rd.context, sizeof(o->rd.context),
                 "\"display_default_code\":false,\"allowed_company_ids\":[%lld]",
                 (long long)o->cfg->company_id);
    else
        snprintf(o->rd.context, sizeof(o->rd.context), "\"display_default_code\":false");
}

/* Writes a page's items and removals: into the new version (full) or the
 * live copy (delta). */
static int write_products(ts_odoo *o, const ts_catalog_item *items, size_t n_items,
                          const int64_t *gone, size_t n_gone)
{
    int rc = 0;
    if (n_items)
        rc = o->job == JOB_FULL
                 ? ts_catalog_build_put(o->build, items, n_items, on_write_done, o->a)
                 : ts_catalog_put(o->a, items, n_items, on_write_done, o->a);
    if (rc == 0 && n_gone)
        rc = ts_catalog_remove(o->a, gone, n_gone, on_write_done, o->a);
    if (rc != 0)
        job_failed(o, rc, 0, "the local copy could not be written");
    return rc;
}

/* A page of products, priced, written in chunks of WRITE_CHUNK. In a delta,
 * products archived or no longer for sale leave the copy (sale_ok is
 * checked here, not in the domain, so that a product losing it is seen). */
static int on_products(ts_odoo *o, const cJSON *records)
{
    ts_catalog_item *items = malloc(WRITE_CHUNK * sizeof(*items));
    int64_t *gone = malloc(WRITE_CHUNK * sizeof(*gone));
    size_t n_items = 0, n_gone = 0, n_out = 0;
    int rc = 0;
    ts_buf out; /* products seen and left out: their versions (what was applied) */
    ts_buf_init(&out, INPUT_ROWS_MAX);
    const cJSON *rec;
    if (!items || !gone) {
        rc = fail_page(o, "out of memory for a page of products");
        goto done;
    }
    cJSON_ArrayForEach(rec, records)
    {
        ts_odoo_product p;
        int prc = ts_odoo_parse_product(rec, &p);
        if (prc == TS_EINVAL) {
            rc = fail_page(o, "a product in an unexpected shape");
            goto done;
        }
        if (prc == 0)
            watermark(o->wm_product, p.write_date);
        int wanted = prc == 0 && p.active && p.sale_ok;
        int in_copy = wanted && item_of(o, &p, &items[n_items]) == 0;
        if (in_copy) {
            n_items++;
        } else {
            if (wanted || prc != 0)
                o->skipped++; /* neither SKU nor barcode, too long, or no price */
            if (o->job == JOB_DELTA)
                gone[n_gone++] = p.id;
        }
        if (prc == 0 && !in_copy) {
            stamp_row(&out, TS_INPUT_LEFT_OUT, p.id, stamp_s(p.write_date), 0);
            n_out++;
        }
        if (n_items == WRITE_CHUNK || n_gone == WRITE_CHUNK || !rec->next) {
            o->built_items += (int64_t)n_items;
            rc = write_products(o, items, n_items, gone, n_gone);
            if (rc != 0)
                goto done;
            n_items = n_gone = 0;
        }
    }
    rc = put_inputs(o, &out, n_out); /* frees out */
done:
    ts_buf_free(&out);
    free(items);
    free(gone);
    return rc;
}

static void full_products(ts_odoo *o)
{
    int rc = make_pricer(o);
    if (rc != 0) {
        job_failed(o, rc, 0, "the pricelist's currencies cannot be used (decimal places or rate)");
        return;
    }
    o->have_pricing = 1;
    setup_read(o, "product.product", PRODUCT_FIELDS, 1, on_products, full_quants, 0, "%s",
               "[\"sale_ok\",\"=\",true]");
    product_context(o);
    read_page(o);
}

static int cmp_sum(const void *x, const void *y)
{
    const stock_sum *a = x, *b = y;
    return (a->product_id > b->product_id) - (a->product_id < b->product_id);
}

/* Sorts the sums by product and merges each product's into one. */
static void sums_compact(ts_odoo *o)
{
    if (o->n_sums < 2)
        return;
    qsort(o->sums, o->n_sums, sizeof(*o->sums), cmp_sum);
    size_t k = 0;
    for (size_t i = 1; i < o->n_sums; i++) {
        stock_sum *t = &o->sums[k], *s = &o->sums[i];
        if (s->product_id == t->product_id) {
            t->scaled += s->scaled;
            if (!t->uom_id)
                t->uom_id = s->uom_id;
        } else {
            o->sums[++k] = *s;
        }
    }
    o->n_sums = k + 1;
}

/* Memory stays about one entry per product: merged whenever it fills up. */
static int sums_add(ts_odoo *o, int64_t product_id, int64_t uom_id, int64_t scaled)
{
    if (o->n_sums == o->cap_sums) {
        sums_compact(o);
        if (o->cap_sums == 0 || o->n_sums > o->cap_sums / 2) {
            size_t cap = o->cap_sums ? o->cap_sums * 2 : 1024;
            stock_sum *p = realloc(o->sums, cap * sizeof(*p));
            if (!p)
                return TS_ENOMEM;
            o->sums = p;
            o->cap_sums = cap;
        }
    }
    o->sums[o->n_sums++] = (stock_sum){product_id, uom_id, scaled};
    return 0;
}

static void sums_clear(ts_odoo *o)
{
    free(o->sums);
    o->sums = NULL;
    o->n_sums = o->cap_sums = o->sums_written = 0;
}

/* Writes the sums, rounded to each product's unit, WRITE_CHUNK at a time:
 * added into the new version (full) or replacing the live on-hand (delta);
 * then runs o->after_sums. */
static void write_sums(ts_odoo *o)
{
    if (o->sums_written == 0)
        sums_compact(o);
    size_t n = o->n_sums - o->sums_written;
    if (n == 0) {
        step_fn next = o->after_sums;
        sums_clear(o);
        after_writes(o, 0, next);
        return;
    }
    if (n > WRITE_CHUNK)
        n = WRITE_CHUNK;
    ts_catalog_stock chunk[WRITE_CHUNK];
    for (size_t i = 0; i < n; i++) {
        const stock_sum *s = &o->sums[o->sums_written + i];
        const uom *u = find_uom(o, s->uom_id);
        chunk[i].product_id = s->product_id;
        chunk[i].qty_milli = ts_odoo_stock_milli((ts_decimal){s->scaled}, u ? u->rounding : 0);
    }
    o->sums_written += n;
    int rc = o->job == JOB_FULL
                 ? ts_catalog_build_add_stock(o->build, chunk, n, on_write_done, o->a)
                 : ts_catalog_set_stock(o->a, chunk, n, on_write_done, o->a);
    if (rc != 0) {
        job_failed(o, rc, 0, "the local copy could not be written");
        return;
    }
    after_writes(o, MAX_OPS_AHEAD, write_sums);
}

/* A full snapshot adds its sums into the new version, exact, whenever
 * FULL_SUMS_MAX are held: memory stays at that whatever the catalogue's
 * size (a sum per product was 2.4 MB at 100 000 products, the largest
 * thing a snapshot held); each product's total is rounded once at the end. */
static int flush_exact(ts_odoo *o)
{
    sums_compact(o);
    int rc = o->n_sums
                 ? ts_catalog_build_add_exact(o->build, o->sums, o->n_sums, on_write_done, o->a)
                 : 0;
    o->n_sums = 0;
    if (rc != 0)
        job_failed(o, rc, 0, "the local copy could not be written");
    return rc;
}

static int on_full_quants(ts_odoo *o, const cJSON *records)
{
    const cJSON *rec;
    ts_buf rows; /* each quant's version as summed (what was applied) */
    size_t n = 0;
    ts_buf_init(&rows, INPUT_ROWS_MAX);
    cJSON_ArrayForEach(rec, records)
    {
        ts_odoo_quant q;
        int rc = 0;
        int parsed = ts_odoo_parse_quant(rec, &q) == 0;
        if (parsed)
            watermark(o->wm_quant, q.write_date);
        if (!parsed)
            rc = fail_page(o, "a stock quant in an unexpected shape");
        else if (o->n_sums == o->cap_sums && o->cap_sums >= FULL_SUMS_MAX && flush_exact(o) != 0)
            rc = TS_EIO;
        else if (sums_add(o, q.product_id, q.uom_id, q.qty.scaled) != 0)
            rc = fail_page(o, "out of memory for the stock sums");
        if (rc != 0) {
            ts_buf_free(&rows);
            return rc;
        }
        stamp_row(&rows, TS_INPUT_QUANT, q.id, stamp_s(q.write_date), (double)q.qty.scaled);
        n++;
    }
    return put_inputs(o, &rows, n);
}

/* Every quant is in: each product's sum is rounded to its unit. */
static void full_quants_end(ts_odoo *o)
{
    if (flush_exact(o) != 0)
        return;
    sums_clear(o);
    ts_catalog_uom_step *steps = malloc((o->n_uoms ? o->n_uoms : 1) * sizeof(*steps));
    if (!steps) {
        job_failed(o, TS_ENOMEM, 0, "out of memory for the units of measure");
        return;
    }
    for (size_t i = 0; i < o->n_uoms; i++)
        steps[i] = (ts_catalog_uom_step){o->uoms[i].id, o->uoms[i].rounding};
    int rc = ts_catalog_build_round_stock(o->build, steps, o->n_uoms, on_write_done, o->a);
    free(steps);
    if (rc != 0) {
        job_failed(o, rc, 0, "the local copy could not be written");
        return;
    }
    after_writes(o, 0, full_template_mark);
}

#define QUANT_FIELDS "[\"id\",\"product_id\",\"product_uom_id\",\"quantity\",\"write_date\"]"

static void full_quants(ts_odoo *o)
{
    sums_clear(o);
    o->sums = malloc(FULL_SUMS_MAX * sizeof(*o->sums));
    o->cap_sums = o->sums ? FULL_SUMS_MAX : 0;
    setup_read(o, "stock.quant", QUANT_FIELDS, 1, on_full_quants, full_quants_end, 0,
               "[\"location_id\",\"child_of\",%lld]", (long long)o->cfg->location_id);
    read_page(o);
}

static int on_template_mark(ts_odoo *o, const cJSON *records)
{
    int64_t id;
    char wd[TS_ODOO_DATETIME_LEN];
    const cJSON *first = cJSON_GetArrayItem(records, 0);
    if (first && ts_odoo_parse_stamp(first, &id, wd) == 0)
        watermark(o->wm_template, wd);
    return 0;
}

/* The newest product.template write_date: where template deltas start. */
static void full_template_mark(ts_odoo *o)
{
    setup_read(o, "product.template", "[\"id\",\"write_date\"]", 0, on_template_mark, full_switch,
               1, "%s", "");
    o->rd.order = "write_date desc,id desc";
    o->rd.limit = 1;
    o->rd.one_page = 1;
    read_page(o);
}

static void job_succeeded(ts_odoo *o);

static void on_switched(void *arg, int err)
{
    ts_agent *a = arg;
    ts_odoo *o = a->odoo;
    if (!o || o->stopping)
        return;
    if (err != 0) {
        job_failed(o, err, 0, "the new copy could not be switched in (disk full?)");
        return;
    }
    ts_pricer_stats ps;
    ts_pricer_get_stats(o->pricer, &ps);
    o->last_full_duration_ms = (int64_t)(ts_mono_ms() - o->job_started_mono);
    ts_info("odoo.snapshot_done",
            "items=%lld skipped=%lld list_price_fallback=%llu duration_ms=%lld",
            (long long)o->built_items, (long long)o->skipped, (unsigned long long)ps.fallback,
            (long long)o->last_full_duration_ms);
    o->last_full_mono = ts_mono_ms();
    o->fulls_ok++;
    job_succeeded(o);
}

/* The meta record stored with the copy (inputs.h): which Odoo it is of,
 * where the next delta's window starts, the currencies and precision. */
static size_t meta_of(const ts_odoo *o, unsigned char *out, size_t cap)
{
    ts_inputs_meta m;
    memset(&m, 0, sizeof(m));
    ts_inputs_identity_of(o->cfg, &m.who);
    m.window_from_ms = o->job_odoo_ms ? o->job_odoo_ms : o->read_started_ms;
    m.company_currency_id = o->company_currency_id;
    m.pricelist_currency_id = o->pricelist_currency_id;
    m.company_cur = o->company_cur;
    m.pricelist_cur = o->pricelist_currency_id ? o->pricelist_cur : o->company_cur;
    m.price_digits = o->price_digits;
    for (size_t i = 0; i < o->n_bases && m.n_bases < TS_INPUTS_BASES_MAX; i++, m.n_bases++) {
        m.base_ids[m.n_bases] = o->bases[i].id;
        m.base_currency_ids[m.n_bases] = o->bases[i].currency_id;
        m.base_curs[m.n_bases] = o->bases[i].cur;
    }
    return ts_inputs_meta_encode(&m, out, cap);
}

static void full_switch(ts_odoo *o)
{
    ts_pricer_stats ps;
    ts_pricer_get_stats(o->pricer, &ps);
    ts_catalog_info info;
    memset(&info, 0, sizeof(info));
    info.as_of_ms = o->read_started_ms;
    info.full_at_ms = ts_wall_ms();
    info.items = o->built_items;
    info.skipped = o->skipped;
    info.fallback = (int64_t)ps.fallback;
    const ts_odoo_currency *c = o->pricelist_currency_id ? &o->pricelist_cur : &o->company_cur;
    memcpy(info.currency, c->name, sizeof(info.currency));
    unsigned char meta[TS_INPUT_META_MAX];
    size_t meta_len = meta_of(o, meta, sizeof(meta));
    ts_catalog_build *b = o->build;
    o->build = NULL;
    int rc = ts_catalog_build_commit(b, &info, meta, meta_len, on_switched, o->a);
    if (rc != 0)
        job_failed(o, rc, 0, "the new copy could not be switched in");
}

static void start_full(ts_odoo *o)
{
    char why[TS_ODOO_MESSAGE_MAX];
    /* Store IT rotates the key by replacing the file: read it every time. */
    if (ts_odoo_rpc_reload_key(o->rpc, why, sizeof(why)) != 0) {
        job_failed(o, TS_EIO, 1, why);
        return;
    }
    int rc = ts_catalog_build_begin(o->a, &o->build);
    if (rc != 0) {
        job_failed(o, rc, 0, "cannot start a new copy");
        return;
    }
    o->built_items = o->skipped = 0;
    o->wm_product[0] = o->wm_template[0] = o->wm_item[0] = o->wm_quant[0] = '\0';
    full_company(o);
}

/* ---- delta ------------------------------------------------------------ */

static void delta_categories(ts_odoo *o);
static void delta_categories_end(ts_odoo *o);
static void delta_items(ts_odoo *o);
static void delta_ptav(ts_odoo *o);
static void delta_templates(ts_odoo *o);
static void delta_products(ts_odoo *o);
static void delta_reread(ts_odoo *o);
static void delta_quants(ts_odoo *o);
static void delta_quants_reread(ts_odoo *o);
static void delta_mark(ts_odoo *o);

/* Any res.currency.rate of our currencies written in the window: the
 * currencies are read again, and when one differs from what the prices
 * were made with, every price is recomputed (locally). */
static int on_rates(ts_odoo *o, const cJSON *records)
{
    if (cJSON_GetArraySize(records) > 0)
        o->rates_changed = 1;
    return 0;
}

/* What the prices depend on in the currencies, as one comparable list. */
static size_t currency_values(const ts_odoo *o, int64_t *out, size_t max)
{
    const ts_odoo_currency *c[BASES_MAX + 2] = {&o->company_cur, &o->pricelist_cur};
    size_t n = 2, k = 0;
    for (size_t i = 0; i < o->n_bases && n < BASES_MAX + 2; i++)
        c[n++] = &o->bases[i].cur;
    for (size_t i = 0; i < n && k + 4 <= max; i++) {
        out[k++] = c[i]->id;
        out[k++] = c[i]->cur.decimal_places;
        out[k++] = c[i]->cur.rate.scaled;
        out[k++] = c[i]->cur.rounding.scaled;
    }
    return k;
}

static void delta_rates_compare(ts_odoo *o)
{
    int64_t now[(BASES_MAX + 2) * 4];
    size_t n = currency_values(o, now, sizeof(now) / sizeof(now[0]));
    if (n != o->n_rates_applied || memcmp(now, o->rates_applied, n * sizeof(now[0])) != 0) {
        o->items_changed = 1; /* the pricer is made again with the new rates */
        o->reprice_all = 1;
    }
    delta_categories(o);
}

static void delta_rates_end(ts_odoo *o)
{
    if (!o->rates_changed) {
        delta_categories(o);
        return;
    }
    o->n_rates_applied = currency_values(o, o->rates_applied,
                                         sizeof(o->rates_applied) / sizeof(o->rates_applied[0]));
    read_currencies(o, delta_rates_compare);
}

static void delta_rates(ts_odoo *o)
{
    char from[TS_ODOO_DATETIME_LEN];
    since(o, "", from);
    char ids[(BASES_MAX + 2) * 24];
    currency_ids(o, ids, sizeof(ids));
    setup_read(o, "res.currency.rate", "[\"id\",\"currency_id\",\"write_date\"]", 0, on_rates,
               delta_rates_end, 0, "[\"currency_id\",\"in\",[%s]],[\"write_date\",\">=\",\"%s\"]",
               ids, from);
    o->rd.limit = 1;
    o->rd.one_page = 1;
    read_page(o);
}

static int cmp_categ(const void *x, const void *y)
{
    const category *a = x, *b = y;
    return (a->id > b->id) - (a->id < b->id);
}

/*
 * A category re-parented: Odoo rewrites its descendants' parent_path in SQL
 * without touching their write_date, so the subtree is moved here the same
 * way, and every category in it is marked for re-pricing.
 */
static int move_category(ts_odoo *o, int64_t id, const char *path)
{
    const char *had = category_path(o, id);
    if (had && strcmp(had, path) == 0)
        return 0;
    if (!had) {
        int rc = add_category(o, id, path);
        if (rc)
            return rc;
        qsort(o->categs, o->n_categs, sizeof(*o->categs), cmp_categ);
        set_add(&o->categ_ids, id);
        return 0;
    }
    char old[TS_PARENT_PATH_MAX];
    snprintf(old, sizeof(old), "%s", had);
    size_t ol = strlen(old);
    for (size_t i = 0; i < o->n_categs; i++) {
        category *c = &o->categs[i];
        if (strncmp(c->parent_path, old, ol) != 0)
            continue;
        char moved[TS_PARENT_PATH_MAX];
        int n = snprintf(moved, sizeof(moved), "%s%s", path, c->parent_path + ol);
        char *dup = n > 0 && (size_t)n < sizeof(moved) ? strdup(moved) : NULL;
        if (!dup)
            return TS_ENOMEM;
        free(c->parent_path);
        c->parent_path = dup;
        set_add(&o->categ_ids, c->id);
    }
    return 0;
}

static int on_categ_changes(ts_odoo *o, const cJSON *records)
{
    const cJSON *rec;
    cJSON_ArrayForEach(rec, records)
    {
        ts_odoo_category c;
        if (ts_odoo_parse_category(rec, &c) != 0)
            return fail_page(o, "a product category without a readable parent_path");
        if (move_category(o, c.id, c.parent_path) != 0)
            return fail_page(o, "out of memory for the categories");
    }
    return 0;
}

/* The categories moved (o->categ_ids holds them, nothing else yet) are
 * stored with the copy, then the rules are read. */
static void delta_categories_end(ts_odoo *o)
{
    ts_buf rows;
    size_t n = 0;
    ts_buf_init(&rows, INPUT_ROWS_MAX);
    set_sort_unique(&o->categ_ids);
    for (size_t i = 0; i < o->categ_ids.n; i++) {
        const char *path = category_path(o, o->categ_ids.ids[i]);
        if (path) {
            categ_row(&rows, o->categ_ids.ids[i], path);
            n++;
        }
    }
    o->delta_rules |= n > 0;
    if (put_inputs(o, &rows, n) == 0)
        after_writes(o, 0, delta_items);
}

static void delta_categories(ts_odoo *o)
{
    char from[TS_ODOO_DATETIME_LEN];
    since(o, "", from);
    setup_read(o, "product.category", "[\"id\",\"parent_path\",\"write_date\"]", 0,
               on_categ_changes, delta_categories_end, 0, "[\"write_date\",\">=\",\"%s\"]", from);
    read_page(o);
}

static void delta_items(ts_odoo *o)
{
    char from[TS_ODOO_DATETIME_LEN];
    if (!o->cfg->pricelist_id) {
        delta_ptav(o);
        return;
    }
    since(o, "", from);
    /* the store's pricelist and those it is based on; a list newly named
     * as a base is read whole after (read_bases) */
    char lists[(BASES_MAX + 1) * 24];
    int n = snprintf(lists, sizeof(lists), "%lld", (long long)o->cfg->pricelist_id);
    for (size_t i = 0; i < o->n_bases && n > 0 && (size_t)n < sizeof(lists); i++)
        n += snprintf(lists + n, sizeof(lists) - (size_t)n, ",%lld", (long long)o->bases[i].id);
    o->after_bases = delta_ptav;
    setup_read(o, "product.pricelist.item", ITEM_FIELDS, 0, on_items, read_bases, 0,
               "[\"pricelist_id\",\"in\",[%s]],[\"write_date\",\">=\",\"%s\"]", lists, from);
    read_page(o);
}

/* One page of versions in the window (attribute values, templates):
 * those not applied to the copy in that version are added to tmpl_ids,
 * their templates' variants to be read again, and their versions kept for
 * the mark. value_field: price_extra or list_price. */
static int on_versions(ts_odoo *o, const cJSON *records, char kind, const char *value_field,
                       const char *tmpl_field)
{
    const cJSON *rec;
    ts_catalog_reader r;
    int have_copy = ts_catalog_read_begin(o->a, &r) == 0;
    ts_buf rows;
    size_t n = 0;
    ts_buf_init(&rows, INPUT_ROWS_MAX);
    cJSON_ArrayForEach(rec, records)
    {
        int64_t id, tmpl = 0;
        char wd[TS_ODOO_DATETIME_LEN];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, value_field);
        if (ts_odoo_parse_stamp(rec, &id, wd) != 0 || !cJSON_IsNumber(v) ||
            (tmpl_field &&
             ts_odoo_many2one_id(cJSON_GetObjectItemCaseSensitive(rec, tmpl_field), &tmpl) != 0)) {
            n = SIZE_MAX;
            break;
        }
        int64_t s = stamp_s(wd);
        if (have_copy && stamp_applied(&r, kind, id, s, v->valuedouble))
            continue;
        tmpl = tmpl_field ? tmpl : id;
        if (tmpl)
            set_add(&o->tmpl_ids, tmpl);
        stamp_row(&rows, kind, id, s, v->valuedouble);
        n++;
    }
    if (have_copy)
        ts_catalog_read_end(&r);
    if (n == SIZE_MAX) {
        ts_buf_free(&rows);
        return fail_page(o, kind == TS_INPUT_PTAV ? "an attribute value in an unexpected shape"
                                                  : "a product template in an unexpected shape");
    }
    return put_inputs(o, &rows, n);
}

/* Attribute values in the window: the variants of those whose price extra
 * was not applied in that version are read again. */
static int on_ptav(ts_odoo *o, const cJSON *records)
{
    return on_versions(o, records, TS_INPUT_PTAV, "price_extra", "product_tmpl_id");
}

/* Templates in the window, in the small form (id, write_date, list_price):
 * only those not applied in that version have their variants read again. */
static int on_templates(ts_odoo *o, const cJSON *records)
{
    return on_versions(o, records, TS_INPUT_TEMPLATE, "list_price", NULL);
}

/* Products in the window, small form (id, write_date): those whose record
 * was not applied in that version are read whole (delta_reread). */
static int on_product_stamps(ts_odoo *o, const cJSON *records)
{
    const cJSON *rec;
    ts_catalog_reader r;
    int have_copy = ts_catalog_read_begin(o->a, &r) == 0;
    int rc = 0;
    cJSON_ArrayForEach(rec, records)
    {
        int64_t id;
        char wd[TS_ODOO_DATETIME_LEN];
        if (ts_odoo_parse_stamp(rec, &id, wd) != 0) {
            rc = TS_EINVAL;
            break;
        }
        watermark(o->wm_product, wd);
        if (!have_copy || !product_applied(&r, id, wd))
            set_add(&o->product_ids, id);
    }
    if (have_copy)
        ts_catalog_read_end(&r);
    return rc ? fail_page(o, "a product in an unexpected shape") : 0;
}

/* An attribute value's price_extra moves the variants' list-price base
 * without touching product.product's write_date. */
static void delta_ptav(ts_odoo *o)
{
    char from[TS_ODOO_DATETIME_LEN];
    since(o, "", from);
    setup_read(o, "product.template.attribute.value",
               "[\"id\",\"product_tmpl_id\",\"price_extra\",\"write_date\"]", 0, on_ptav,
               delta_templates, 1, "[\"write_date\",\">=\",\"%s\"]", from);
    read_page(o);
}

static void delta_templates(ts_odoo *o)
{
    char from[TS_ODOO_DATETIME_LEN];
    since(o, "", from);
    setup_read(o, "product.template", "[\"id\",\"write_date\",\"list_price\"]", 0, on_templates,
               delta_products, 1, "[\"write_date\",\">=\",\"%s\"]", from);
    read_page(o);
}

static void delta_products(ts_odoo *o)
{
    if (o->items_changed && make_pricer(o) != 0) {
        job_failed(o, TS_EINVAL, 0, "the pricelist's currencies cannot be used");
        return;
    }
    if (o->tmpl_ids.overflow) {
        o->delta_needs_full = 1; /* millions of ids: not a catalogue's change */
        delta_mark(o);
        return;
    }
    char from[TS_ODOO_DATETIME_LEN];
    since(o, "", from);
    setup_read(o, "product.product", "[\"id\",\"write_date\"]", 0, on_product_stamps, delta_reread,
               1, "[\"write_date\",\">=\",\"%s\"]", from);
    read_page(o);
}

/* The categories under those marked (a rule on a category prices its
 * subtree), so products are read by categ_id in that set. */
static void delta_categ_subtrees(ts_odoo *o)
{
    set_sort_unique(&o->categ_ids);
    id_set roots = o->categ_ids;
    memset(&o->categ_ids, 0, sizeof(o->categ_ids));
    for (size_t i = 0; i < o->n_categs; i++) {
        for (size_t r = 0; r < roots.n; r++) {
            char mark[32];
            snprintf(mark, sizeof(mark), "/%lld/", (long long)roots.ids[r]);
            char path[TS_PARENT_PATH_MAX + 1];
            snprintf(path, sizeof(path), "/%s", o->categs[i].parent_path);
            if (strstr(path, mark)) {
                set_add(&o->categ_ids, o->categs[i].id);
                break;
            }
        }
    }
    set_clear(&roots);
    set_sort_unique(&o->categ_ids);
}

/* ---- repricing from the copy ------------------------------------------ */

static int in_set(const id_set *s, int64_t id)
{
    return s->n && bsearch(&id, s->ids, s->n, sizeof(int64_t), cmp_i64) != NULL;
}

/* A product a changed rule, rate, category or rule's dates may price
 * otherwise (by what the rules name, as the pricer matches them). */
static int in_local_scope(const ts_odoo *o, const ts_catalog_item *it)
{
    return o->reprice_all || in_set(&o->loc_products, it->product_id) ||
           in_set(&o->loc_tmpls, it->tmpl_id) || in_set(&o->categ_ids, it->categ_id);
}

static void local_end(ts_odoo *o)
{
    if (o->loc_count)
        ts_info("odoo.repriced", "products=%lld why=%s from=copy", (long long)o->loc_count,
                o->job == JOB_LOCAL ? "dates" : "delta");
    o->reprice_all = 0;
    set_clear(&o->loc_products);
    set_clear(&o->loc_tmpls);
    set_clear(&o->categ_ids);
    after_writes(o, 0, o->loc_next);
}

/*
 * Reprices from the copy: the products' raw inputs are in their records, so
 * a rate, a rule, a category or a rule's dates that changed need no read
 * from Odoo. The copy is walked WRITE_CHUNK products per short read (the
 * loop never waits long), those in scope priced again and written back
 * (stock kept); one that cannot be priced any more leaves the copy, as in a
 * read (never sold at a guess).
 */
static void reprice_slice(ts_odoo *o)
{
    size_t n = 0, k = 0, n_gone = 0;
    int64_t gone[WRITE_CHUNK];
    ts_catalog_item *items = malloc(WRITE_CHUNK * sizeof(*items));
    int rc = items ? ts_catalog_scan(o->a, o->scan_after, items, WRITE_CHUNK, &n) : TS_ENOMEM;
    if (rc == TS_ENOTFOUND) {
        n = 0; /* no copy: nothing to reprice */
    } else if (rc != 0) {
        free(items);
        job_failed(o, rc, 0, "the local copy could not be read to reprice it");
        return;
    }
    if (n == 0) {
        free(items);
        local_end(o);
        return;
    }
    o->scan_after = items[n - 1].product_id;
    for (size_t i = 0; i < n; i++) {
        if (!in_local_scope(o, &items[i]))
            continue;
        if (reprice_item(o, &items[i]) != 0) {
            gone[n_gone++] = items[i].product_id;
            o->skipped++;
            continue;
        }
        if (k != i)
            items[k] = items[i];
        k++;
    }
    o->loc_count += (int64_t)k;
    rc = k || n_gone ? write_products(o, items, k, gone, n_gone) : 0;
    free(items);
    if (rc == 0)
        after_writes(o, MAX_OPS_AHEAD, reprice_slice);
}

/*
 * Reprices, from the copy and with no read from Odoo, the products that
 * changed rules (old and new scope), moved categories, rates and rules
 * whose dates started or ended can price; then runs next.
 */
static void reprice_local(ts_odoo *o, step_fn next)
{
    o->loc_next = next;
    o->scan_after = 0;
    o->loc_count = 0;
    if (o->loc_products.overflow || o->loc_tmpls.overflow || o->categ_ids.overflow)
        o->reprice_all = 1;
    if (!o->reprice_all && !o->loc_products.n && !o->loc_tmpls.n && !o->categ_ids.n) {
        next(o);
        return;
    }
    set_sort_unique(&o->loc_products);
    set_sort_unique(&o->loc_tmpls);
    if (o->categ_ids.n)
        delta_categ_subtrees(o); /* a rule on a category prices its subtree */
    /* products this delta wrote are scanned as written, not as they were */
    after_writes(o, 0, reprice_slice);
}

/*
 * The products whose price inputs changed on Odoo elsewhere than on the
 * product (a template's price, an attribute value's extra) or whose record
 * changed, read again and priced. Each step reads one id set, IN_CHUNK ids
 * a request, then comes back here; then the local reprice.
 */
static void delta_reread(ts_odoo *o)
{
    id_set *set = NULL;
    const char *field = NULL;
    if (o->product_ids.overflow) {
        o->delta_needs_full = 1; /* millions of ids: not a catalogue's change */
        delta_mark(o);
        return;
    }
    if (o->tmpl_ids.n) {
        set = &o->tmpl_ids;
        field = "product_tmpl_id";
    } else if (o->product_ids.n) {
        set = &o->product_ids;
        field = "id";
    }
    if (!set) {
        reprice_local(o, delta_quants);
        return;
    }
    /* the set read now is handed over, so this step is not done twice */
    id_set *reading = &o->reading;
    set_clear(reading);
    set_sort_unique(set);
    *reading = *set;
    memset(set, 0, sizeof(*set));
    setup_read(o, "product.product", PRODUCT_FIELDS, 1, on_products, delta_reread, 1, "%s", "");
    product_context(o);
    o->rd.in_ids = reading;
    o->rd.in_field = field;
    read_page(o);
}

/* Quants in the window, small form (with the quantity, so that a second
 * write in the same second is seen too): the products of those not applied
 * in that version and quantity have all their quants read again. */
static int on_quant_changes(ts_odoo *o, const cJSON *records)
{
    const cJSON *rec;
    ts_catalog_reader r;
    int have_copy = ts_catalog_read_begin(o->a, &r) == 0;
    int rc = 0;
    cJSON_ArrayForEach(rec, records)
    {
        ts_odoo_quant q;
        if (ts_odoo_parse_quant(rec, &q) != 0) {
            rc = TS_EINVAL;
            break;
        }
        watermark(o->wm_quant, q.write_date);
        if (!have_copy ||
            !stamp_applied(&r, TS_INPUT_QUANT, q.id, stamp_s(q.write_date), (double)q.qty.scaled))
            set_add(&o->quant_products, q.product_id);
    }
    if (have_copy)
        ts_catalog_read_end(&r);
    return rc ? fail_page(o, "a stock quant in an unexpected shape") : 0;
}

static void delta_quants(ts_odoo *o)
{
    char from[TS_ODOO_DATETIME_LEN];
    since(o, o->wm_quant, from);
    setup_read(o, "stock.quant", "[\"id\",\"product_id\",\"quantity\",\"write_date\"]", 0,
               on_quant_changes, delta_quants_reread, 0,
               "[\"location_id\",\"child_of\",%lld],[\"write_date\",\">=\",\"%s\"]",
               (long long)o->cfg->location_id, from);
    read_page(o);
}

static int on_quant_reread(ts_odoo *o, const cJSON *records)
{
    const cJSON *rec;
    ts_buf rows; /* the versions summed: applied with the mark */
    size_t n = 0;
    ts_buf_init(&rows, INPUT_ROWS_MAX);
    cJSON_ArrayForEach(rec, records)
    {
        ts_odoo_quant q;
        const char *bad = NULL;
        if (ts_odoo_parse_quant(rec, &q) != 0)
            bad = "a stock quant in an unexpected shape";
        else if (!bsearch(&q.product_id, o->quant_products.ids, o->quant_products.n,
                          sizeof(int64_t), cmp_i64))
            continue;
        else if (sums_add(o, q.product_id, q.uom_id, q.qty.scaled) != 0)
            bad = "out of memory for the stock sums";
        if (bad) {
            ts_buf_free(&rows);
            return fail_page(o, bad);
        }
        stamp_row(&rows, TS_INPUT_QUANT, q.id, stamp_s(q.write_date), (double)q.qty.scaled);
        n++;
    }
    return put_inputs(o, &rows, n);
}

static void delta_write_stock(ts_odoo *o)
{
    o->after_sums = delta_mark;
    write_sums(o);
}

/* Each product whose quants changed gets its quants read again whole, so a
 * quant Odoo deleted does not linger in the sum. */
static void delta_quants_reread(ts_odoo *o)
{
    if (o->quant_products.overflow) {
        o->delta_needs_full = 1;
        delta_mark(o);
        return;
    }
    if (o->quant_products.n == 0) {
        delta_mark(o);
        return;
    }
    set_sort_unique(&o->quant_products);
    sums_clear(o);
    /* a product whose quants are all gone gets 0 */
    for (size_t i = 0; i < o->quant_products.n; i++)
        if (sums_add(o, o->quant_products.ids[i], 0, 0) != 0) {
            job_failed(o, TS_ENOMEM, 0, "out of memory for the changed quants");
            return;
        }
    setup_read(o, "stock.quant", QUANT_FIELDS, 1, on_quant_reread, delta_write_stock, 0,
               "[\"location_id\",\"child_of\",%lld]", (long long)o->cfg->location_id);
    o->rd.in_ids = &o->quant_products;
    o->rd.in_field = "product_id";
    read_page(o);
}

static void on_delta_marked(void *arg, int err)
{
    ts_agent *a = arg;
    ts_odoo *o = a->odoo;
    if (!o || o->stopping)
        return;
    if (err != 0) {
        job_failed(o, err, 0, "the local copy could not be written");
        return;
    }
    o->deltas_ok++;
    job_succeeded(o);
}

static void delta_mark(ts_odoo *o)
{
    if (o->delta_needs_full) {
        /* What changed touches more than a delta can follow: the rest of this
         * delta is done by a full snapshot, right now. */
        ts_info("odoo.delta_to_full", "why=\"pricelist rule on a category or all products, or "
                                      "too many changes\"");
        o->full_wanted = 1;
        o->deltas_ok++;
        job_succeeded(o);
        return;
    }
    unsigned char meta[TS_INPUT_META_MAX];
    size_t meta_len = meta_of(o, meta, sizeof(meta));
    int rc = ts_catalog_mark_delta(o->a, o->read_started_ms, ts_wall_ms(), meta, meta_len,
                                   &o->delta_inputs, o->n_delta_inputs, on_delta_marked, o->a);
    if (rc != 0)
        job_failed(o, rc, 0, "the local copy could not be written");
}

static void start_delta(ts_odoo *o)
{
    o->delta_needs_full = 0;
    /* after a delta cut short, the rules in memory may be newer than the
     * pricer: made again, and every product repriced (cleared on success) */
    o->items_changed = o->reprice_next;
    o->reprice_all = o->reprice_next;
    ts_buf_free(&o->delta_inputs);
    ts_buf_init(&o->delta_inputs, DELTA_INPUTS_MAX);
    o->n_delta_inputs = 0;
    o->delta_rules = 0;
    o->rates_changed = 0;
    delta_rates(o);
}

static void schedule_next(ts_odoo *o);
static void job_end(ts_odoo *o);

static void local_done(ts_odoo *o)
{
    job_end(o);
    schedule_next(o);
}

/* A rule's dates started or stopped holding: its products are priced
 * again from the copy, at that second, without Odoo. The
 * delta window does not move (nothing was read). */
static void start_local(ts_odoo *o)
{
    o->reprice_all = 0;
    int rc = make_pricer(o);
    if (rc != 0) {
        job_failed(o, rc, 0, "the pricelist's currencies cannot be used");
        return;
    }
    reprice_local(o, local_done);
}

/* ---- scheduling and state --------------------------------------------- */

static void set_state(ts_odoo *o, ts_odoo_state s)
{
    if (o->state != s)
        ts_info("odoo.state", "state=%s was=%s", state_names[s], state_names[o->state]);
    o->state = s;
}

static void job_end(ts_odoo *o)
{
    o->job = JOB_NONE;
    o->resume = NULL;
    o->store_err = 0;
    set_clear(&o->tmpl_ids);
    set_clear(&o->product_ids);
    set_clear(&o->quant_products);
    set_clear(&o->categ_ids);
    set_clear(&o->reading);
    set_clear(&o->loc_products);
    set_clear(&o->loc_tmpls);
    set_clear(&o->want_lists);
    sums_clear(o);
    ts_buf_free(&o->delta_inputs);
    o->n_delta_inputs = 0;
}

/* The next job after a success: a full one when due, a local reprice when
 * a rule's dates start or stop holding first, else a delta. */
static void schedule_next(ts_odoo *o)
{
    uint64_t now = ts_mono_ms();
    uint64_t full_due = o->last_full_mono + o->full_period_ms;
    uint64_t delta_due = now + (uint64_t)o->cfg->delta_s * 1000;
    if (o->full_wanted || !o->have_pricing || full_due <= now) {
        schedule(o, JOB_FULL, 0);
        return;
    }
    job_kind job = full_due <= delta_due ? JOB_FULL : JOB_DELTA;
    uint64_t at = job == JOB_FULL ? full_due : delta_due;
    if (o->next_price_change_ms != INT64_MAX) {
        int64_t in = o->next_price_change_ms - ts_wall_ms();
        /* a few ms late, so the pricer made then sees the new second */
        uint64_t change = now + (in > 0 ? (uint64_t)in : 0) + 5;
        if (change < at) {
            job = JOB_LOCAL;
            at = change;
        }
    }
    schedule(o, job, at - now);
}

/* The codes several products share, from the live copy (one short read
 * after each sync, so the status itself never waits for the disk). */
static void refresh_problems(ts_odoo *o)
{
    ts_catalog_reader r;
    o->n_problems = 0;
    if (ts_catalog_read_begin(o->a, &r) != 0)
        return;
    for (int k = 0; k < TS_ODOO_PROBLEM_KINDS; k++) {
        ts_odoo_problem *p = &o->problems[o->n_problems];
        p->kind = (ts_odoo_problem_kind)k;
        if (ts_catalog_duplicates(&r, k == TS_ODOO_DUPLICATE_BARCODE, p->codes,
                                  TS_ODOO_PROBLEM_CODES_MAX, &p->n_codes, &p->count) == 0 &&
            p->count > 0)
            o->n_problems++;
    }
    ts_catalog_read_end(&r);
    for (size_t i = 0; i < o->n_problems; i++)
        ts_info("odoo.duplicates", "kind=%s count=%lld first=\"%s\"",
                ts_odoo_problem_name(o->problems[i].kind), (long long)o->problems[i].count,
                o->problems[i].codes[0].code);
}

static void job_succeeded(ts_odoo *o)
{
    o->reprice_next = 0;
    /* the next delta's window starts where this job began, in Odoo's time */
    o->window_from_ms = o->job_odoo_ms ? o->job_odoo_ms : o->read_started_ms;
    job_end(o);
    refresh_problems(o);
    o->outage_since_mono = 0;
    ts_backoff_reset(&o->backoff);
    o->last_error[0] = '\0';
    set_state(o, TS_ODOO_OK);
    schedule_next(o);
}

/*
 * What to retry with: a delta catches up an outage shorter than
 * odoo.full_resync_s (odoo-sync.md "When"); a longer one, or a copy not yet
 * priced in this run, needs a full snapshot.
 */
static job_kind retry_job(ts_odoo *o, int err)
{
    uint64_t now = ts_mono_ms();
    int link = err == TS_ECONN || err == TS_ETIMEDOUT || err == TS_ETLS;

    if (link && o->outage_since_mono == 0)
        o->outage_since_mono = now;
    if (!o->have_pricing || !has_copy(o->a))
        return JOB_FULL;
    if (o->outage_since_mono != 0 &&
        now - o->outage_since_mono > (uint64_t)o->cfg->full_resync_s * 1000)
        return JOB_FULL;
    return JOB_DELTA;
}

static void job_failed(ts_odoo *o, int err, int auth_failed, const char *message)
{
    if (o->stopping || o->job == JOB_NONE)
        return;
    job_kind was = o->job;
    /* rules or categories this delta changed in memory are not stored, and
     * the next delta would find them unchanged: it reprices everything */
    if (was == JOB_DELTA && o->delta_rules)
        o->reprice_next = 1;
    ts_odoo_rpc_cancel(o->rpc); /* a page asked for ahead is not wanted now */
    if (o->build) {
        ts_catalog_build_abort(o->build);
        o->build = NULL;
    }
    job_end(o);
    if (was == JOB_FULL)
        o->fulls_failed++;
    else
        o->deltas_failed++;
    snprintf(o->last_error, sizeof(o->last_error), "%s", message);
    o->last_error_at_ms = ts_wall_ms();
    if (was == JOB_LOCAL)
        o->full_wanted = 1; /* the dates' products may be half repriced */
    uint64_t delay;
    if (auth_failed) {
        set_state(o, TS_ODOO_AUTH_FAILED);
        delay = TS_ODOO_AUTH_RETRY_MS + random_below(o, AUTH_JITTER_MS);
        ts_backoff_next(&o->backoff, -1);
    } else {
        /* unreachable is the link only (odoo-sync.md "Errors") */
        delay = ts_backoff_next(&o->backoff, -1);
        if (err == TS_ECONN || err == TS_ETIMEDOUT || err == TS_ETLS) {
            set_state(o, TS_ODOO_UNREACHABLE);
            /* stores that lost Odoo together must not come back together */
            delay += random_below(o, (uint64_t)o->cfg->resync_jitter_s * 1000 + 1);
        }
    }
    ts_warn("odoo.sync_failed", "job=%s state=%s retry_in_ms=%llu msg=\"%s\"",
            was == JOB_FULL ? "full" : "delta", state_names[o->state], (unsigned long long)delay,
            o->last_error);
    schedule(o, o->full_wanted ? JOB_FULL : retry_job(o, err), delay);
}

/*
 * A setting is wrong (config_error): retrying fast cannot help, and every
 * retry costs the Odoo administrator a logged error, so the agent tries
 * again at the auth_failed pace (the setting may be fixed in Odoo itself,
 * e.g. a pricelist created). The status names the setting.
 */
static void config_failed(ts_odoo *o, const char *message)
{
    if (o->stopping || o->job == JOB_NONE)
        return;
    job_kind was = o->job;
    job_failed(o, TS_EINVAL, 0, message);
    set_state(o, TS_ODOO_CONFIG_ERROR);
    schedule(o, was, TS_ODOO_AUTH_RETRY_MS + random_below(o, AUTH_JITTER_MS));
}

static int has_copy(ts_agent *a)
{
    ts_catalog_info info;
    ts_catalog_get_info(a, &info);
    return info.has_copy;
}

static void on_timer(uv_timer_t *t)
{
    ts_odoo *o = t->data;
    if (o->stopping || o->job != JOB_NONE)
        return;
    job_kind job = o->next_job;
    o->next_job = JOB_NONE;
    if ((job == JOB_DELTA || job == JOB_LOCAL) && (!o->have_pricing || !has_copy(o->a)))
        job = JOB_FULL;
    o->job = job;
    o->read_started_ms = ts_wall_ms();
    o->job_odoo_ms = 0;
    o->job_started_mono = ts_mono_ms();
    o->full_wanted = 0;
    ts_debug("odoo.sync_start", "job=%s",
             job == JOB_FULL    ? "full"
             : job == JOB_LOCAL ? "local"
                                : "delta");
    if (job == JOB_FULL)
        start_full(o);
    else if (job == JOB_LOCAL)
        start_local(o);
    else
        start_delta(o);
}

static void schedule(ts_odoo *o, job_kind job, uint64_t delay_ms)
{
    o->next_job = job;
    o->next_attempt_mono = ts_mono_ms() + delay_ms;
    uv_timer_start(&o->timer, on_timer, delay_ms, 0);
}

/* ---- start: the inputs kept with the copy ------------------------------ */

typedef struct loading {
    ts_odoo *o;
    int have_meta;
    ts_inputs_meta meta;
} loading;

static int on_stored_input(void *arg, char kind, int64_t id, const void *data, size_t len)
{
    loading *l = arg;
    ts_odoo *o = l->o;
    char text[TS_PARENT_PATH_MAX];
    char name[TS_INPUT_UOM_NAME_MAX + 1];
    double rounding;
    ts_price_item it;
    switch (kind) {
    case TS_INPUT_META:
        l->have_meta = ts_inputs_meta_decode(data, len, &l->meta) == 0;
        return l->have_meta ? 0 : TS_EFORMAT;
    case TS_INPUT_ITEM: /* in id order: appended */
        if (ts_inputs_item_decode(data, len, &it) != 0 || it.id != id)
            return TS_EFORMAT;
        return upsert_item(o, &it);
    case TS_INPUT_CATEG:
        if (ts_inputs_categ_decode(data, len, text) != 0)
            return TS_EFORMAT;
        return add_category(o, id, text);
    case TS_INPUT_UOM:
        if (ts_inputs_uom_decode(data, len, &rounding, name) != 0)
            return TS_EFORMAT;
        return add_uom(o, id, rounding, name);
    default:
        return 0; /* a kind a later build added: not needed here */
    }
}

/* Any rule whose dates started or ended between the copy's time and now:
 * the copy's prices are of before, so the first delta reprices them all. */
static int dates_passed(const ts_odoo *o, int64_t from_ms, int64_t to_ms)
{
    for (size_t i = 0; i < o->n_items; i++) {
        int64_t s = o->items[i].date_start_ms, e = o->items[i].date_end_ms;
        if ((s > from_ms && s <= to_ms) || (e && e + 1000 > from_ms && e + 1000 <= to_ms))
            return 1;
    }
    return 0;
}

/*
 * At start (odoo-sync.md "When"): the copy's pricing inputs are loaded, and
 * NULL is returned when a delta may follow; otherwise why a full snapshot
 * is needed (no copy, another Odoo, database, pricelist, location or
 * company, a last full snapshot older than odoo.full_resync_s, inputs that
 * cannot be read).
 */
static const char *load_inputs(ts_odoo *o)
{
    ts_catalog_info info;
    ts_catalog_get_info(o->a, &info);
    if (!info.has_copy)
        return "no copy";
    loading l;
    memset(&l, 0, sizeof(l));
    l.o = o;
    /* what the pricer needs; the versions applied stay in LMDB */
    static const char kinds[] = {TS_INPUT_CATEG, TS_INPUT_ITEM, TS_INPUT_META, TS_INPUT_UOM, 0};
    int rc = ts_catalog_inputs_each(o->a, kinds, on_stored_input, &l);
    const char *why = NULL;
    ts_inputs_identity want;
    ts_inputs_identity_of(o->cfg, &want);
    int64_t now = ts_wall_ms(), age = now - info.full_at_ms;
    if (rc != 0)
        why = "the copy's pricing inputs cannot be read";
    else if (!l.have_meta)
        why = "the copy keeps no pricing inputs (made by an older agent)";
    else if (!ts_inputs_identity_same(&l.meta.who, &want))
        why = "the copy is of another Odoo, database, pricelist, location or company";
    else if (age > o->cfg->full_resync_s * 1000)
        why = "the copy's last full snapshot is older than odoo.full_resync_s";
    if (!why) {
        o->company_currency_id = l.meta.company_currency_id;
        o->pricelist_currency_id = l.meta.pricelist_currency_id;
        o->company_cur = l.meta.company_cur;
        o->pricelist_cur = l.meta.pricelist_cur;
        o->price_digits = l.meta.price_digits;
        o->window_from_ms = l.meta.window_from_ms;
        for (size_t i = 0; i < l.meta.n_bases && !why; i++) {
            if (find_base(o, l.meta.base_ids[i]))
                continue;
            if (add_base(o, l.meta.base_ids[i], l.meta.base_currency_ids[i]) != 0)
                why = "out of memory for the base pricelists";
            else
                o->bases[o->n_bases - 1].cur = l.meta.base_curs[i];
        }
        if (!why && make_pricer(o) != 0)
            why = "the copy's currencies cannot be used";
    }
    if (why) {
        free_pricing(o);
        free(o->uoms);
        o->uoms = NULL;
        o->n_uoms = o->cap_uoms = 0;
        return why;
    }
    o->have_pricing = 1;
    o->reprice_next = dates_passed(o, info.as_of_ms, now);
    /* the next full snapshot is due a period after the copy's, not now */
    uint64_t mono = ts_mono_ms(), ago = age > 0 ? (uint64_t)age : 0;
    o->last_full_mono = mono > ago ? mono - ago : 0;
    return NULL;
}

int ts_odoo_start(ts_agent *a, char *err, size_t errlen)
{
    if (!a->cfg->odoo.enabled)
        return 0;
    if (!a->catalog) {
        snprintf(err, errlen, "odoo: the local copy's databases are not open");
        return TS_EINVAL;
    }
    ts_odoo *o = calloc(1, sizeof(*o));
    if (!o)
        return TS_ENOMEM;
    o->a = a;
    o->cfg = &a->cfg->odoo;
    int rc = ts_odoo_rpc_new(&o->rpc, a->loop, o->cfg, err, errlen);
    if (rc != 0) {
        free(o);
        return rc;
    }
    uint64_t retry_max = (uint64_t)o->cfg->delta_s * 5000;
    if (retry_max > RETRY_MAX_MS)
        retry_max = RETRY_MAX_MS;
    ts_backoff_init(&o->backoff, RETRY_INITIAL_MS, retry_max,
                    (uint64_t)ts_wall_ms() ^ ((uint64_t)(uintptr_t)o << 16) ^
                        ((uint64_t)getpid() << 40));
    o->next_price_change_ms = INT64_MAX;
    /* Each store draws its period within ±10 %, so a fleet started
     * together spreads its full snapshots out. */
    uint64_t period = (uint64_t)o->cfg->full_resync_s * 1000;
    o->full_period_ms = period - period / 10 + random_below(o, period / 5 + 1);
    o->state = has_copy(a) ? TS_ODOO_OK : TS_ODOO_NEVER;
    refresh_problems(o);
    uv_timer_init(a->loop, &o->timer);
    o->timer.data = o;
    a->odoo = o;
    const char *why = load_inputs(o);
    if (why)
        ts_info("odoo.start", "first=full why=\"%s\"", why);
    else
        ts_info("odoo.start", "first=delta items=%zu categories=%zu", o->n_items, o->n_categs);
    /* Stores restarted together (a power cut, a fleet update) must not all
     * read Odoo in the same second: the first read waits 0-resync_jitter_s. */
    schedule(o, why ? JOB_FULL : JOB_DELTA,
             random_below(o, (uint64_t)o->cfg->resync_jitter_s * 1000 + 1));
    return 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void ts_odoo_stop(ts_agent *a)
{
    ts_odoo *o = a->odoo;
    if (!o)
        return;
    o->stopping = 1;
    a->odoo = NULL;
    ts_odoo_rpc_close(o->rpc); /* the read in flight ends, ignored (stopping) */
    if (o->build)
        ts_catalog_build_abort(o->build);
    job_end(o);
    free_pricing(o);
    free(o->uoms);
    uv_timer_stop(&o->timer);
    uv_close((uv_handle_t *)&o->timer, on_timer_closed);
}

/* ---- figures ----------------------------------------------------------- */

const char *ts_odoo_problem_name(ts_odoo_problem_kind k)
{
    return k == TS_ODOO_DUPLICATE_BARCODE ? "duplicate_barcode" : "duplicate_code";
}

const char *ts_odoo_state_name(ts_odoo_state s)
{
    return s < TS_ODOO_STATES ? state_names[s] : "never";
}

/* The config name the message of a config_error names ("... check odoo.db"). */
static void setting_named(const char *msg, char *out, size_t outlen)
{
    static const char *const settings[] = {"odoo.pricelist_id", "odoo.location_id",
                                           "odoo.company_id",   "odoo.protocol",
                                           "odoo.db",           "odoo.url"};
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        if (strstr(msg, settings[i])) {
            snprintf(out, outlen, "%s", settings[i]);
            return;
        }
    }
}

static void running_figures(ts_odoo *o, ts_odoo_snapshot *out)
{
    out->running = 1;
    snprintf(out->protocol, sizeof(out->protocol), "%s", ts_odoo_rpc_protocol(o->rpc));
    out->syncing = o->job == JOB_FULL    ? TS_ODOO_SYNC_FULL
                   : o->job == JOB_DELTA ? TS_ODOO_SYNC_DELTA
                                         : TS_ODOO_IDLE;
    uint64_t now = ts_mono_ms();
    if (o->job == JOB_NONE && o->next_attempt_mono > now)
        out->next_attempt_in_ms = o->next_attempt_mono - now;
    out->fulls_ok = o->fulls_ok;
    out->fulls_failed = o->fulls_failed;
    out->deltas_ok = o->deltas_ok;
    out->deltas_failed = o->deltas_failed;
    ts_odoo_rpc_stats rs;
    ts_odoo_rpc_get_stats(o->rpc, &rs);
    out->requests = rs.requests;
    out->bytes_received = rs.bytes_received;
    out->last_full_duration_ms = o->last_full_duration_ms;
    out->n_problems = o->n_problems;
    memcpy(out->problems, o->problems, o->n_problems * sizeof(o->problems[0]));
}

void ts_odoo_get_snapshot(ts_agent *a, ts_odoo_snapshot *out)
{
    memset(out, 0, sizeof(*out));
    ts_odoo *o = a->odoo;
    out->configured = a->cfg->odoo.enabled;
    out->state = o ? o->state : TS_ODOO_NEVER;
    ts_catalog_get_info(a, &out->copy);
    if (out->copy.has_copy) {
        int64_t age = (ts_wall_ms() - out->copy.as_of_ms) / 1000;
        out->age_s = age < 0 ? 0 : age; /* the wall clock may step back */
    }
    out->stale = !out->copy.has_copy || out->age_s > a->cfg->odoo.stale_after_s;
    if (!out->configured) {
        snprintf(out->last_error, sizeof(out->last_error),
                 "odoo is not configured: the agent keeps no price and stock copy");
    } else if (o && o->last_error[0]) {
        snprintf(out->last_error, sizeof(out->last_error), "%s", o->last_error);
        out->last_error_ms = o->last_error_at_ms;
        if (o->state == TS_ODOO_CONFIG_ERROR)
            setting_named(o->last_error, out->setting, sizeof(out->setting));
    }
    if (o)
        running_figures(o, out);
}
