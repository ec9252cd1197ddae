/*
 * intake.c - POST /v1/transactions[:batch] and GET /v1/transactions/{id}.
 *
 * A POST walks: token -> media type -> validation -> (space) -> txn log
 * append -> answer in the append's done callback, which runs only after the
 * group commit holding the txn is on disk. So "201" always means durable.
 * Nothing here logs a txn's content: a refused txn may hold card data.
 */
#include "pos/intake.h"
#include "http/reply.h"
#include "core/buf.h"
#include "core/clock.h"
#include "config/config.h"
#include "crypto/crypto.h"
#include "core/error.h"
#include "core/log.h"
#include "store/store.h"
#include "sale/txn.h"
#include "store/txnlog.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Space rules (docs/reliability.md). New sales are refused at a lower
 * line than the one where acks and prunes stop working, so the store always
 * has the free pages and disk it needs to free space: acked txns go early
 * from PRUNE_*, new txns are refused from REFUSE_*, and 100 % is left to
 * acks and prunes. */
#define MAP_PRUNE_PCT 80
#define MAP_REFUSE_PCT 90
#define DISK_RESERVE_MIN (1ull << 20)
#define DISK_RESERVE_MAX (64ull << 20)
#define REFUSAL_FRESH_MS 60000 /* a refusal this recent still shows in the status */

typedef enum { SPACE_OK, SPACE_LOW, SPACE_REFUSE } space_level;

/* Refused POSTs are logged once per burst, not once per request; the same
 * facts feed the status headline. Loop thread only. */
static struct {
    int refusing;
    const char *why;
    uint64_t refused;      /* txns refused in this burst */
    uint64_t last_mono_ms; /* last refusal */
} burst;

/* One POST in flight: one txn, or the accepted part of a batch. */
typedef struct intake_req {
    ts_agent *agent;
    ts_http_exchange *ex;
    int is_batch;
    size_t n;              /* elements in the request */
    ts_txn_info *infos;    /* n, filled for valid ones */
    ts_txn_error *errors;  /* n; status 0 = valid */
    ts_append_item *items; /* the valid ones, in order */
    size_t n_items;
    int pruned;      /* acked txns were pruned early for this request */
    size_t *item_of; /* element index -> items index, or SIZE_MAX */
} intake_req;

static void intake_req_free(intake_req *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->infos && i < r->n; i++)
        ts_txn_info_free(&r->infos[i]);
    free(r->infos);
    free(r->errors);
    free(r->items);
    free(r->item_of);
    free(r);
}

static intake_req *intake_req_new(ts_agent *a, ts_http_exchange *ex, size_t n, int is_batch)
{
    intake_req *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->agent = a;
    r->ex = ex;
    r->n = n;
    r->is_batch = is_batch;
    r->infos = calloc(n, sizeof(*r->infos));
    r->errors = calloc(n, sizeof(*r->errors));
    r->items = calloc(n, sizeof(*r->items));
    r->item_of = calloc(n, sizeof(*r->item_of));
    if (!r->infos || !r->errors || !r->items || !r->item_of) {
        intake_req_free(r);
        return NULL;
    }
    return r;
}

/* The register whose token the request bears, or NULL. Every register is
 * compared, so the time taken does not tell which one matched. */
static const ts_register *authenticate(ts_agent *a, const ts_http_request *req)
{
    unsigned char got[32];
    const ts_register *found = NULL;
    if (!ts_bearer_digest(req, got))
        return NULL;
    for (int i = 0; i < a->cfg->n_registers; i++)
        if (ts_digest_eq(got, a->cfg->registers[i].token_sha256))
            found = &a->cfg->registers[i];
    return found;
}

static int is_json(const ts_http_request *req)
{
    const ts_str *ct = &req->content_type;
    static const char want[] = "application/json";
    size_t n = sizeof(want) - 1;
    if (ct->len < n || strncasecmp(ct->p, want, n) != 0)
        return 0;
    return ct->len == n || ct->p[n] == ';' || ct->p[n] == ' ';
}

/* 401 / 415: the checks every POST makes before reading its body.
 * Returns the register, or NULL after answering. */
static const ts_register *admit(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req)
{
    const ts_register *reg = authenticate(a, req);
    if (!reg) {
        ts_reply_error(ex, 401, "unauthorized",
                       "send this register's token as \"Authorization: Bearer <token>\"", NULL,
                       "WWW-Authenticate: Bearer\r\n");
        return NULL;
    }
    if (!is_json(req)) {
        ts_reply_error(ex, 415, "unsupported_media_type",
                       "send the txn as Content-Type: application/json", NULL, "");
        return NULL;
    }
    if (req->body_len > TS_HTTP_MAX_BODY_BYTES) {
        ts_reply_error(ex, 413, "too_large", "the body is over 256 KiB", NULL, "");
        return NULL;
    }
    return reg;
}

/* Validates element i; on failure fills r->errors[i]. */
static void judge(intake_req *r, size_t i, const ts_register *reg, const char *body, size_t len)
{
    ts_txn_error *e = &r->errors[i];
    if (ts_txn_validate(body, len, &r->infos[i], e) != 0) {
        ts_txnlog_count_rejected(r->agent);
        return;
    }
    if (strcmp(r->infos[i].register_id, reg->id) != 0) {
        ts_txn_info keep = r->infos[i]; /* the batch answer still names it */
        ts_txn_info_free(&r->infos[i]);
        memcpy(r->infos[i].txn_id, keep.txn_id, sizeof(keep.txn_id));
        e->status = 403;
        e->code = "register_mismatch";
        snprintf(e->message, sizeof(e->message),
                 "this token belongs to register %s, not to the txn's register_id", reg->id);
        snprintf(e->field, sizeof(e->field), "register_id");
        ts_txnlog_count_rejected(r->agent);
        return;
    }
    e->status = 0;
    r->item_of[i] = r->n_items;
    ts_append_item *it = &r->items[r->n_items++];
    it->body = body;
    it->len = len;
    it->info = &r->infos[i];
}

/* ---- answers ---- */

static int item_status(const ts_append_item *it)
{
    switch (it->result) {
    case TS_APPEND_STORED:
        return 201;
    case TS_APPEND_REPLAY:
        return 200;
    case TS_APPEND_CONFLICT:
        return 409;
    case TS_APPEND_FULL:
    case TS_APPEND_NO_SPACE:
        return 507;
    default:
        return 503;
    }
}

static void error_fields(const ts_append_item *it, const char **code, const char **msg)
{
    switch (it->result) {
    case TS_APPEND_CONFLICT:
        *code = "txn_id_conflict";
        *msg = "this txn_id was already stored with other content";
        break;
    case TS_APPEND_FULL:
    case TS_APPEND_NO_SPACE:
        *code = "buffer_full";
        *msg = "the agent's buffer is full; keep the txn and retry later";
        break;
    default:
        *code = "storage_unavailable";
        *msg = "the agent could not write to its disk; keep the txn and retry";
        break;
    }
}

static void put_error_object(ts_buf *b, const char *code, const char *msg, const char *field)
{
    ts_buf_printf(b, "{\"code\":\"%s\",\"message\":", code);
    ts_buf_json_string(b, msg, strlen(msg));
    if (field && field[0]) {
        ts_buf_puts(b, ",\"field\":");
        ts_buf_json_string(b, field, strlen(field));
    }
    ts_buf_puts(b, "}");
}

static void answer_single(intake_req *r)
{
    const ts_append_item *it = &r->items[0];
    int status = item_status(it);
    if (status == 201 || status == 200) {
        ts_buf b;
        ts_buf_init(&b, 4096);
        ts_buf_puts(&b, "{\"txn_id\":");
        ts_buf_json_string(&b, it->info->txn_id, strlen(it->info->txn_id));
        ts_buf_printf(&b, ",\"seq\":%llu,\"state\":\"%s\"}", (unsigned long long)it->seq,
                      it->acked ? "acked" : "pending");
        ts_reply_json(r->ex, status, &b);
        ts_buf_free(&b);
        return;
    }
    const char *code, *msg;
    error_fields(it, &code, &msg);
    char retry[48] = "";
    if (status == 507 || status == 503)
        snprintf(retry, sizeof(retry), "Retry-After: %d\r\n", TS_RETRY_AFTER_FULL_S);
    ts_reply_error(r->ex, status, code, msg, NULL, retry);
}

/* "txn_id": every batch result names its txn: as sent when it was a
 * string, null otherwise (pos-api.md). */
static void put_result_txn_id(ts_buf *b, const ts_txn_info *info)
{
    ts_buf_puts(b, ",\"txn_id\":");
    if (info->txn_id[0])
        ts_buf_json_string(b, info->txn_id, strlen(info->txn_id));
    else if (info->has_sent_txn_id)
        ts_buf_json_string(b, info->sent_txn_id, strlen(info->sent_txn_id));
    else
        ts_buf_puts(b, "null");
}

static void answer_batch(intake_req *r)
{
    ts_buf b;
    ts_buf_init(&b, 512 * 1024);
    ts_buf_puts(&b, "{\"results\":[");
    for (size_t i = 0; i < r->n; i++) {
        ts_buf_printf(&b, "%s{\"index\":%zu", i ? "," : "", i);
        const ts_txn_error *e = &r->errors[i];
        if (e->status) {
            put_result_txn_id(&b, &r->infos[i]);
            ts_buf_printf(&b, ",\"status\":%d,\"error\":", e->status);
            put_error_object(&b, e->code, e->message, e->field);
        } else {
            const ts_append_item *it = &r->items[r->item_of[i]];
            int st = item_status(it);
            put_result_txn_id(&b, it->info);
            ts_buf_printf(&b, ",\"status\":%d", st);
            if (st == 200 || st == 201) {
                ts_buf_printf(&b, ",\"seq\":%llu,\"state\":\"%s\"", (unsigned long long)it->seq,
                              it->acked ? "acked" : "pending");
            } else {
                const char *code, *msg;
                error_fields(it, &code, &msg);
                ts_buf_puts(&b, ",\"error\":");
                put_error_object(&b, code, msg, NULL);
            }
        }
        ts_buf_puts(&b, "}");
    }
    ts_buf_puts(&b, "]}");
    ts_reply_json(r->ex, 200, &b);
    ts_buf_free(&b);
}

static void note_refusal(const char *why)
{
    burst.refused++;
    burst.last_mono_ms = ts_mono_ms();
    if (burst.refusing && strcmp(burst.why, why) == 0)
        return;
    burst.refusing = 1;
    burst.why = why;
    ts_warn("intake.refusing", "reason=%s", why);
}

static void note_stored(void)
{
    if (!burst.refusing)
        return;
    ts_info("intake.accepting_again", "refused=%llu reason=%s", (unsigned long long)burst.refused,
            burst.why);
    burst.refusing = 0;
    burst.refused = 0;
}

static void log_outcome(const intake_req *r)
{
    for (size_t i = 0; i < r->n_items; i++) {
        const ts_append_item *it = &r->items[i];
        if (it->result == TS_APPEND_STORED)
            note_stored();
        if (it->result == TS_APPEND_STORED)
            ts_debug("txn.stored", "seq=%llu txn_id=%s register=%s", (unsigned long long)it->seq,
                     it->info->txn_id, it->info->register_id);
        else if (it->result == TS_APPEND_FULL || it->result == TS_APPEND_NO_SPACE)
            note_refusal("buffer_full");
        else if (it->result == TS_APPEND_FAILED)
            note_refusal("storage_unavailable");
        else if (it->result == TS_APPEND_CONFLICT)
            ts_warn("txn.conflict", "txn_id=%s", it->info->txn_id);
    }
}

static int prune_early(intake_req *r);

static void answer(intake_req *r)
{
    log_outcome(r);
    if (r->is_batch)
        answer_batch(r);
    else
        answer_single(r);
    intake_req_free(r);
}

static void on_appended(void *arg)
{
    intake_req *r = arg;
    /* The map had no room for the group (LMDB needs contiguous pages for a
     * large txn): acked txns may make room; try once more after pruning. */
    for (size_t i = 0; i < r->n_items; i++)
        if (r->items[i].result == TS_APPEND_NO_SPACE && prune_early(r))
            return;
    answer(r);
}

/* ---- space: the 95 % rule ---- */

/* From the figures the writer last published: the loop never asks the
 * disk. why names the resource for the status. */
static space_level space_state(ts_agent *a, const char **why)
{
    ts_store_stats s;
    ts_store_get_stats(a->store, &s);
    space_level lvl = SPACE_OK;
    *why = "";
    if (s.map_bytes && s.used_bytes * 100 >= s.map_bytes * MAP_PRUNE_PCT) {
        lvl = s.used_bytes * 100 >= s.map_bytes * MAP_REFUSE_PCT ? SPACE_REFUSE : SPACE_LOW;
        *why = "map";
    }
    if (s.disk_known) {
        uint64_t reserve = s.disk_total_bytes / 50;
        reserve = reserve < DISK_RESERVE_MIN   ? DISK_RESERVE_MIN
                  : reserve > DISK_RESERVE_MAX ? DISK_RESERVE_MAX
                                               : reserve;
        /* Free pages inside the data file count too: LMDB reuses them
         * before it grows the file, and the file never shrinks. */
        uint64_t inside = s.file_bytes > s.used_bytes ? s.file_bytes - s.used_bytes : 0;
        uint64_t room = s.disk_avail_bytes + inside;
        space_level d = room < reserve ? SPACE_REFUSE : room < 2 * reserve ? SPACE_LOW : SPACE_OK;
        if (d > lvl) {
            lvl = d;
            *why = "disk";
        }
    }
    return lvl;
}

static int refusing_now(ts_agent *a)
{
    const char *why;
    if (space_state(a, &why) != SPACE_REFUSE)
        return 0;
    ts_store_check_readers_soon(a->store); /* pinned pages look used */
    return 1;
}

const char *ts_intake_refusal(ts_agent *a)
{
    const char *why;
    if (a->store && space_state(a, &why) == SPACE_REFUSE)
        return strcmp(why, "disk") == 0 ? "disk_full" : "buffer_full";
    if (burst.refusing && ts_mono_ms() - burst.last_mono_ms < REFUSAL_FRESH_MS)
        return burst.why;
    return NULL;
}

static void mark_all(intake_req *r, ts_append_result result)
{
    for (size_t i = 0; i < r->n_items; i++)
        r->items[i].result = result;
}

static void append_now(intake_req *r)
{
    if (r->n_items == 0) {
        answer(r);
        return;
    }
    int rc = ts_txnlog_append(r->agent, r->items, r->n_items, on_appended, r);
    if (rc) {
        mark_all(r, rc == TS_EFULL ? TS_APPEND_FULL : TS_APPEND_FAILED);
        answer(r);
    }
}

static void on_early_prune(void *arg, int err)
{
    intake_req *r = arg;
    if (err || refusing_now(r->agent)) {
        mark_all(r, TS_APPEND_FULL);
        answer(r);
        return;
    }
    append_now(r);
}

/* Acked txns go early, oldest first (central holds them), once per
 * request. Returns 1 when a prune was started (on_early_prune goes on). */
static int prune_early(intake_req *r)
{
    ts_agent *a = r->agent;
    ts_txnlog_stats st;
    ts_txnlog_get_stats(a, &st);
    int acked_held = st.lowest_held_seq && st.lowest_held_seq <= st.acked_through;
    if (r->pruned || !acked_held)
        return 0;
    r->pruned = 1;
    ts_debug("store.nearly_full", "action=prune_acked acked_through=%llu",
             (unsigned long long)st.acked_through);
    return ts_txnlog_prune(a, INT64_MAX, on_early_prune, r) == 0;
}

/* With the map or the disk low, acked txns make room first; only if that
 * is not enough is the POS told the buffer is full. Pending txns are never
 * dropped. */
static void store_accepted(intake_req *r)
{
    const char *why;
    space_level lvl = r->n_items ? space_state(r->agent, &why) : SPACE_OK;
    if (lvl != SPACE_OK && prune_early(r))
        return;
    if (lvl == SPACE_REFUSE && refusing_now(r->agent)) {
        mark_all(r, TS_APPEND_FULL);
        answer(r);
        return;
    }
    append_now(r);
}

/* ---- handlers ---- */

void ts_intake_post(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req)
{
    const ts_register *reg = admit(a, ex, req);
    if (!reg)
        return;
    intake_req *r = intake_req_new(a, ex, 1, 0);
    if (!r) {
        ts_reply_error(ex, 503, "storage_unavailable", "out of memory; retry", NULL, "");
        return;
    }
    judge(r, 0, reg, req->body, req->body_len);
    if (r->errors[0].status) {
        const ts_txn_error *e = &r->errors[0];
        ts_info("txn.refused", "status=%d code=%s field=%s", e->status, e->code, e->field);
        ts_reply_error(ex, e->status, e->code, e->message, e->field, "");
        intake_req_free(r);
        return;
    }
    store_accepted(r);
}

void ts_intake_post_batch(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req)
{
    const ts_register *reg = admit(a, ex, req);
    if (!reg)
        return;
    ts_span *spans = calloc(TS_BATCH_MAX, sizeof(*spans));
    size_t n = 0;
    ts_txn_error e;
    if (!spans) {
        ts_reply_error(ex, 503, "storage_unavailable", "out of memory; retry", NULL, "");
        return;
    }
    if (ts_txn_batch_split(req->body, req->body_len, spans, TS_BATCH_MAX, &n, &e) != 0) {
        ts_reply_error(ex, e.status, e.code, e.message, e.field, "");
        free(spans);
        return;
    }
    intake_req *r = intake_req_new(a, ex, n, 1);
    if (!r) {
        free(spans);
        ts_reply_error(ex, 503, "storage_unavailable", "out of memory; retry", NULL, "");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        judge(r, i, reg, req->body + spans[i].off, spans[i].len);
        if (r->errors[i].status) { /* element paths get their index in front */
            char f[160];
            snprintf(f, sizeof(f), "transactions[%zu]%s%s", i, r->errors[i].field[0] ? "." : "",
                     r->errors[i].field);
            size_t fl =
                strlen(f) < sizeof(r->errors[i].field) ? strlen(f) : sizeof(r->errors[i].field) - 1;
            memcpy(r->errors[i].field, f, fl);
            r->errors[i].field[fl] = '\0';
        }
    }
    free(spans);
    store_accepted(r);
}

void ts_intake_get(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req)
{
    static const char prefix[] = "/v1/transactions/";
    char id[TS_TXN_ID_MAX + 1];
    size_t n = 0;
    ts_txn_record rec;
    /* The id is a URL segment: R1%3A0042 and R1:0042 are the same txn. */
    ts_str segment = {req->path.p + sizeof(prefix) - 1, req->path.len - (sizeof(prefix) - 1)};
    if (ts_http_decode_segment(segment, id, sizeof(id), &n) != 0 || n == 0) {
        ts_reply_error(ex, 404, "not_found", "no txn with this txn_id", NULL, "");
        return;
    }
    int rc = ts_txnlog_get(a, id, &rec);
    if (rc) {
        ts_reply_error(ex, rc == TS_ENOTFOUND ? 404 : 503,
                       rc == TS_ENOTFOUND ? "not_found" : "storage_unavailable",
                       rc == TS_ENOTFOUND ? "no txn with this txn_id (or pruned after retention)"
                                          : "the agent could not read its store",
                       NULL, "");
        return;
    }
    char received[TS_RFC3339_LEN], acked[TS_RFC3339_LEN];
    ts_format_rfc3339_ms(rec.received_at_ms, received);
    ts_buf b;
    ts_buf_init(&b, 4096);
    ts_buf_puts(&b, "{\"txn_id\":");
    ts_buf_json_string(&b, rec.txn_id, strlen(rec.txn_id));
    ts_buf_printf(&b, ",\"seq\":%llu,\"state\":\"%s\",\"received_at\":\"%s\"",
                  (unsigned long long)rec.seq, rec.acked_at_ms ? "acked" : "pending", received);
    if (rec.acked_at_ms) {
        ts_format_rfc3339_ms(rec.acked_at_ms, acked);
        ts_buf_printf(&b, ",\"acked_at\":\"%s\"", acked);
    }
    ts_buf_puts(&b, "}");
    ts_reply_json(ex, 200, &b);
    ts_buf_free(&b);
}
