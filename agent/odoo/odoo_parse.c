/*
 * odoo_parse.c - Odoo's answers to typed records. Pure and fuzzable: every
 * input is hostile, every string copy is bounded, nothing is trusted to
 * have the type the transcripts show.
 */
#include "odoo/odoo_parse.h"
#include "core/strutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"

/* ---- small helpers ---------------------------------------------------- */

/* Deeper nesting than any Odoo answer has is refused before cJSON recurses. */
static int depth_ok(const char *s, size_t len)
{
    int depth = 0, in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > TS_ODOO_MAX_DEPTH)
                return 0;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 1;
}

/* Copies a string cut to fit, never in the middle of a UTF-8 sequence, with
 * control characters (a newline in a message) turned into spaces. */
static void copy_text(char *out, size_t outlen, const char *s)
{
    size_t n = strlen(s);
    if (n > outlen - 1) {
        n = outlen - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* s[n] continues a sequence: cut before its lead byte */
    }
    for (size_t i = 0; i < n; i++)
        out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
    out[n] = '\0';
    while (n > 0 && out[n - 1] == ' ')
        out[--n] = '\0';
}

static void set_error(ts_odoo_error *err, const char *name, const char *message)
{
    copy_text(err->name, sizeof(err->name), name ? name : "");
    copy_text(err->message, sizeof(err->message), message ? message : "");
}

static cJSON *parse_bounded(const char *body, size_t len)
{
    if (!body || len == 0 || !depth_ok(body, len))
        return NULL;
    return cJSON_ParseWithLength(body, len);
}

static const char *string_member(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- scanning without a tree ------------------------------------------ */

static size_t skip_ws(const char *p, size_t len, size_t i)
{
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    return i;
}

/* The end of the string starting at p[i] == '"', or 0 when unterminated. */
static size_t string_end(const char *p, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '"')
            return i + 1;
    }
    return 0;
}

/* The end of the JSON value starting at p[i] (brackets matched, strings
 * skipped, nesting bounded); 0 when it does not end well. cJSON judges the
 * value itself later; this only finds where it stops. */
static size_t value_end(const char *p, size_t len, size_t i)
{
    if (i >= len)
        return 0;
    if (p[i] == '"')
        return string_end(p, len, i);
    if (p[i] != '{' && p[i] != '[') {
        while (i < len && p[i] != ',' && p[i] != ']' && p[i] != '}' && p[i] != ' ' &&
               p[i] != '\n' && p[i] != '\r' && p[i] != '\t')
            i++;
        return i;
    }
    int depth = 0;
    for (; i < len; i++) {
        char c = p[i];
        if (c == '"') {
            size_t e = string_end(p, len, i);
            if (!e)
                return 0;
            i = e - 1;
        } else if (c == '{' || c == '[') {
            if (++depth > TS_ODOO_MAX_DEPTH)
                return 0;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                return i + 1;
        }
    }
    return 0;
}

/* Finds the top-level member key of the object text; its value's span. */
static int member_span(const char *p, size_t len, const char *key, const char **val, size_t *vlen)
{
    size_t klen = strlen(key);
    size_t i = skip_ws(p, len, 0);
    if (i >= len || p[i] != '{')
        return TS_EINVAL;
    i = skip_ws(p, len, i + 1);
    if (i < len && p[i] == '}')
        return TS_ENOTFOUND;
    while (i < len) {
        size_t kend = p[i] == '"' ? string_end(p, len, i) : 0;
        if (!kend)
            return TS_EINVAL;
        int match = kend - i - 2 == klen && memcmp(p + i + 1, key, klen) == 0;
        i = skip_ws(p, len, kend);
        if (i >= len || p[i] != ':')
            return TS_EINVAL;
        i = skip_ws(p, len, i + 1);
        size_t vend = value_end(p, len, i);
        if (!vend)
            return TS_EINVAL;
        if (match) {
            *val = p + i;
            *vlen = vend - i;
            return 0;
        }
        i = skip_ws(p, len, vend);
        if (i < len && p[i] == '}')
            return TS_ENOTFOUND;
        if (i >= len || p[i] != ',')
            return TS_EINVAL;
        i = skip_ws(p, len, i + 1);
    }
    return TS_EINVAL;
}

int ts_odoo_list_begin(ts_odoo_list *l, const char *text, size_t len)
{
    memset(l, 0, sizeof(*l));
    size_t i = skip_ws(text, len, 0);
    if (!text || i >= len || text[i] != '[')
        return TS_EINVAL;
    l->p = text;
    l->len = len;
    l->pos = skip_ws(text, len, i + 1);
    if (l->pos < len && text[l->pos] == ']') {
        l->ended = 1;
        l->pos++;
    }
    return 0;
}

int ts_odoo_list_next(ts_odoo_list *l, cJSON **elem)
{
    *elem = NULL;
    if (l->ended)
        return skip_ws(l->p, l->len, l->pos) == l->len ? 0 : TS_EINVAL;
    size_t end = value_end(l->p, l->len, l->pos);
    if (!end)
        return TS_EINVAL;
    cJSON *v = cJSON_ParseWithLength(l->p + l->pos, end - l->pos);
    if (!v)
        return TS_EINVAL;
    size_t i = skip_ws(l->p, l->len, end);
    if (i < l->len && l->p[i] == ',') {
        l->pos = skip_ws(l->p, l->len, i + 1);
    } else if (i < l->len && l->p[i] == ']') {
        l->ended = 1;
        l->pos = i + 1;
    } else {
        cJSON_Delete(v);
        return TS_EINVAL;
    }
    *elem = v;
    return 0;
}

int ts_odoo_list_last(const char *text, size_t len, size_t *count, cJSON **last)
{
    ts_odoo_list l;
    const char *span = NULL;
    size_t span_len = 0;
    *count = 0;
    *last = NULL;
    if (ts_odoo_list_begin(&l, text, len) != 0)
        return TS_EINVAL;
    while (!l.ended) {
        size_t end = value_end(l.p, l.len, l.pos);
        if (!end)
            return TS_EINVAL;
        span = l.p + l.pos;
        span_len = end - l.pos;
        (*count)++;
        size_t i = skip_ws(l.p, l.len, end);
        if (i < l.len && l.p[i] == ',')
            l.pos = skip_ws(l.p, l.len, i + 1);
        else if (i < l.len && l.p[i] == ']')
            l.ended = 1;
        else
            return TS_EINVAL;
    }
    if (span && !(*last = cJSON_ParseWithLength(span, span_len)))
        return TS_EINVAL;
    return 0;
}

/* ---- envelopes -------------------------------------------------------- */

/* An error object (small: parsed whole) to name and message. */
static void error_of(const cJSON *name_holder, const cJSON *message_holder, ts_odoo_error *err,
                     const char *fallback)
{
    const char *name = cJSON_IsObject(name_holder) ? string_member(name_holder, "name") : NULL;
    const char *msg =
        cJSON_IsObject(message_holder) ? string_member(message_holder, "message") : NULL;
    set_error(err, name, msg ? msg : fallback);
}

int ts_odoo_parse_jsonrpc(const char *body, size_t len, const char **result, size_t *result_len,
                          ts_odoo_error *err)
{
    const char *span;
    size_t span_len;
    *result = NULL;
    *result_len = 0;
    memset(err, 0, sizeof(*err));
    if (!body || len == 0) {
        set_error(err, "", "the answer is empty");
        return TS_EINVAL;
    }
    int rc = member_span(body, len, "error", &span, &span_len);
    if (rc == 0) {
        cJSON *error = parse_bounded(span, span_len);
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(error, "data");
        error_of(data, cJSON_IsObject(data) && string_member(data, "message") ? data : error, err,
                 "Odoo reported an error without a message");
        cJSON_Delete(error);
        return TS_EPROTO;
    }
    if (rc == TS_ENOTFOUND)
        rc = member_span(body, len, "result", &span, &span_len);
    if (rc != 0) {
        set_error(err, "",
                  rc == TS_ENOTFOUND ? "the JSON-RPC answer has neither result nor error"
                                     : "the answer is not a JSON-RPC object");
        return TS_EINVAL;
    }
    *result = span;
    *result_len = span_len;
    return 0;
}

int ts_odoo_parse_json2(int http_status, const char *body, size_t len, const char **result,
                        size_t *result_len, ts_odoo_error *err)
{
    *result = NULL;
    *result_len = 0;
    memset(err, 0, sizeof(*err));
    if (http_status == 200) {
        if (!body || skip_ws(body, len, 0) == len) {
            set_error(err, "", "the answer is empty");
            return TS_EINVAL;
        }
        *result = body;
        *result_len = len;
        return 0;
    }
    /* Error bodies are small, but bound them anyway before a tree. */
    cJSON *root = len <= 65536 ? parse_bounded(body, len) : NULL;
    char fallback[64];
    snprintf(fallback, sizeof(fallback), "Odoo answered HTTP %d", http_status);
    error_of(root, root, err, fallback);
    cJSON_Delete(root);
    return TS_EPROTO;
}

int ts_odoo_error_is_auth(const ts_odoo_error *err)
{
    return strcmp(err->name, "odoo.exceptions.AccessDenied") == 0 ||
           strcmp(err->name, "werkzeug.exceptions.Unauthorized") == 0;
}

/* ---- values ----------------------------------------------------------- */

int ts_odoo_int(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v))
        return TS_EINVAL;
    double d = v->valuedouble;
    if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0) || floor(d) != d)
        return TS_EINVAL;
    *out = (int64_t)d;
    return 0;
}

int ts_odoo_many2one_id(const cJSON *v, int64_t *id)
{
    if (cJSON_IsFalse(v) || cJSON_IsNull(v) || !v) {
        *id = 0;
        return 0;
    }
    /* [id, "display name"]; a bare id is accepted too (some clients ask for it). */
    const cJSON *first = cJSON_IsArray(v) ? v->child : v;
    int64_t x;
    if (ts_odoo_int(first, &x) != 0 || x <= 0)
        return TS_EINVAL;
    *id = x;
    return 0;
}

int ts_odoo_string(const cJSON *v, char *out, size_t outlen)
{
    out[0] = '\0';
    if (!v || cJSON_IsFalse(v) || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v))
        return TS_EINVAL;
    size_t n = strlen(v->valuestring);
    if (n >= outlen)
        return TS_ETOOBIG;
    memcpy(out, v->valuestring, n + 1);
    return 0;
}

int ts_odoo_datetime(const cJSON *v, char out[TS_ODOO_DATETIME_LEN], int64_t *ms)
{
    out[0] = '\0';
    *ms = 0;
    if (!v || cJSON_IsFalse(v) || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v) || ts_parse_odoo_datetime(v->valuestring, ms) != 0)
        return TS_EINVAL;
    memcpy(out, v->valuestring, TS_ODOO_DATETIME_LEN - 1);
    out[TS_ODOO_DATETIME_LEN - 1] = '\0';
    return 0;
}

static int decimal_of(const cJSON *v, ts_decimal *out)
{
    if (!v || cJSON_IsFalse(v) || cJSON_IsNull(v)) {
        out->scaled = 0;
        return 0;
    }
    if (!cJSON_IsNumber(v))
        return TS_EINVAL;
    return ts_decimal_from_double(v->valuedouble, out) == 0 ? 0 : TS_EINVAL;
}

int ts_odoo_qty_milli(const cJSON *v, int64_t *milli)
{
    ts_decimal d;
    if (decimal_of(v, &d) != 0)
        return TS_EINVAL;
    const int64_t per_milli = TS_DECIMAL_SCALE / 1000;
    int64_t q = d.scaled / per_milli, r = d.scaled % per_milli;
    if (r >= per_milli / 2)
        q++;
    else if (r <= -per_milli / 2)
        q--;
    *milli = q;
    return 0;
}

static const cJSON *field(const cJSON *rec, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(rec, name);
}

/* The record's id: every record has one, a positive integer. */
static int record_id(const cJSON *rec, int64_t *id)
{
    if (!cJSON_IsObject(rec) || ts_odoo_int(field(rec, "id"), id) != 0 || *id <= 0)
        return TS_EINVAL;
    return 0;
}

/* A boolean that defaults to true when the field was not asked for. */
static int flag(const cJSON *rec, const char *name, int *out)
{
    const cJSON *v = field(rec, name);
    if (!v) {
        *out = 1;
        return 0;
    }
    if (!cJSON_IsBool(v))
        return TS_EINVAL;
    *out = cJSON_IsTrue(v);
    return 0;
}

/* ---- records ---------------------------------------------------------- */

int ts_odoo_parse_stamp(const cJSON *rec, int64_t *id, char write_date[TS_ODOO_DATETIME_LEN])
{
    int64_t ms;
    if (record_id(rec, id) != 0 || ts_odoo_datetime(field(rec, "write_date"), write_date, &ms))
        return TS_EINVAL;
    return 0;
}

int ts_odoo_parse_product(const cJSON *rec, ts_odoo_product *out)
{
    memset(out, 0, sizeof(*out));
    if (ts_odoo_parse_stamp(rec, &out->id, out->write_date) != 0 ||
        ts_odoo_many2one_id(field(rec, "product_tmpl_id"), &out->tmpl_id) != 0 ||
        ts_odoo_many2one_id(field(rec, "categ_id"), &out->categ_id) != 0 ||
        decimal_of(field(rec, "lst_price"), &out->lst_price) != 0 ||
        flag(rec, "active", &out->active) != 0 || flag(rec, "sale_ok", &out->sale_ok) != 0)
        return TS_EINVAL;
    /* display_name (read with display_default_code false) carries the
     * variant's attribute values: "Rain jacket (M, Blue)". */
    const cJSON *name = field(rec, "display_name");
    if (!name)
        name = field(rec, "name");
    if (cJSON_IsString(name))
        copy_text(out->name, sizeof(out->name), name->valuestring);
    else if (name && !cJSON_IsFalse(name))
        return TS_EINVAL;
    const cJSON *lp = field(rec, "list_price"), *pe = field(rec, "price_extra"),
                *sp = field(rec, "standard_price");
    if ((lp && !cJSON_IsNumber(lp)) || (pe && !cJSON_IsNumber(pe)) || (sp && !cJSON_IsNumber(sp)))
        return TS_EINVAL;
    if (lp && pe && sp) { /* all three, or lst_price stands for the base */
        out->has_raw = 1;
        out->list_price = lp->valuedouble;
        out->price_extra = pe->valuedouble;
        out->standard_price = sp->valuedouble;
    }
    if (field(rec, "uom_id") && ts_odoo_many2one_id(field(rec, "uom_id"), &out->uom_id) != 0)
        return TS_EINVAL;
    int rc = ts_odoo_string(field(rec, "default_code"), out->sku, sizeof(out->sku));
    /* The tills' rule (pos-api.md): 64 characters, however many bytes. */
    if (rc == 0 && ts_utf8_chars(out->sku, strlen(out->sku)) > TS_SKU_MAX_CHARS)
        rc = TS_ETOOBIG;
    if (rc == 0)
        rc = ts_odoo_string(field(rec, "barcode"), out->barcode, sizeof(out->barcode));
    return rc;
}

int ts_odoo_parse_quant(const cJSON *rec, ts_odoo_quant *out)
{
    memset(out, 0, sizeof(*out));
    if (ts_odoo_parse_stamp(rec, &out->id, out->write_date) != 0 ||
        ts_odoo_many2one_id(field(rec, "product_id"), &out->product_id) != 0 ||
        out->product_id == 0 || decimal_of(field(rec, "quantity"), &out->qty) != 0 ||
        ts_odoo_qty_milli(field(rec, "quantity"), &out->qty_milli) != 0)
        return TS_EINVAL;
    const cJSON *uom = field(rec, "product_uom_id");
    if (uom && ts_odoo_many2one_id(uom, &out->uom_id) != 0)
        return TS_EINVAL;
    return 0;
}

/* Rounds v to a multiple of step, half away from zero (exact integers). */
static int64_t round_to_step(int64_t v, int64_t step)
{
    int64_t q = v / step, r = v % step;
    if (r >= step - r && r > 0)
        q++;
    else if (r < 0 && -r >= step + r)
        q--;
    return q * step;
}

int64_t ts_odoo_stock_milli(ts_decimal sum, double uom_rounding)
{
    const int64_t per_milli = TS_DECIMAL_SCALE / 1000;
    ts_decimal step;
    int64_t v = sum.scaled;
    /* Odoo's float_round on the SQL sum (exact): HALF-UP, ties away from
     * zero, on the exact decimal value. */
    if (uom_rounding > 0 && ts_decimal_from_double(uom_rounding, &step) == 0 && step.scaled > 0)
        v = round_to_step(v, step.scaled);
    return round_to_step(v, per_milli) / per_milli;
}

static int selection(const cJSON *rec, const char *name, char *out, size_t outlen)
{
    const cJSON *v = field(rec, name);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= outlen)
        return TS_EINVAL;
    strcpy(out, v->valuestring);
    return 0;
}

int ts_odoo_parse_price_item(const cJSON *rec, ts_price_item *out,
                             char write_date[TS_ODOO_DATETIME_LEN])
{
    memset(out, 0, sizeof(*out));
    char applied[32], compute[32], base[32] = "list_price", text[TS_ODOO_DATETIME_LEN];
    if (ts_odoo_parse_stamp(rec, &out->id, write_date) != 0 ||
        selection(rec, "applied_on", applied, sizeof(applied)) != 0 ||
        selection(rec, "compute_price", compute, sizeof(compute)) != 0 ||
        ts_applied_on_parse(applied, &out->applied_on) != 0)
        return TS_EINVAL;
    if (field(rec, "base") && selection(rec, "base", base, sizeof(base)) != 0)
        return TS_EINVAL;
    /* Unknown compute/base strings still set *_OTHER: kept, then a fallback. */
    (void)ts_compute_price_parse(compute, &out->compute_price);
    (void)ts_price_base_parse(base, &out->base);
    if (ts_odoo_many2one_id(field(rec, "product_id"), &out->product_id) != 0 ||
        ts_odoo_many2one_id(field(rec, "product_tmpl_id"), &out->product_tmpl_id) != 0 ||
        ts_odoo_many2one_id(field(rec, "categ_id"), &out->categ_id) != 0 ||
        ts_odoo_many2one_id(field(rec, "pricelist_id"), &out->pricelist_id) != 0 ||
        ts_odoo_many2one_id(field(rec, "base_pricelist_id"), &out->base_pricelist_id) != 0 ||
        decimal_of(field(rec, "min_quantity"), &out->min_quantity) != 0 ||
        decimal_of(field(rec, "fixed_price"), &out->fixed_price) != 0 ||
        decimal_of(field(rec, "percent_price"), &out->percent_price) != 0 ||
        decimal_of(field(rec, "price_discount"), &out->price_discount) != 0 ||
        decimal_of(field(rec, "price_round"), &out->price_round) != 0 ||
        decimal_of(field(rec, "price_surcharge"), &out->price_surcharge) != 0 ||
        decimal_of(field(rec, "price_min_margin"), &out->price_min_margin) != 0 ||
        decimal_of(field(rec, "price_max_margin"), &out->price_max_margin) != 0 ||
        ts_odoo_datetime(field(rec, "date_start"), text, &out->date_start_ms) != 0 ||
        ts_odoo_datetime(field(rec, "date_end"), text, &out->date_end_ms) != 0)
        return TS_EINVAL;
    return 0;
}

int ts_odoo_parse_category(const cJSON *rec, ts_odoo_category *out)
{
    memset(out, 0, sizeof(*out));
    if (record_id(rec, &out->id) != 0)
        return TS_EINVAL;
    int rc = ts_odoo_string(field(rec, "parent_path"), out->parent_path, sizeof(out->parent_path));
    return rc == TS_ETOOBIG ? TS_EINVAL : rc;
}

int ts_odoo_parse_currency(const cJSON *rec, ts_odoo_currency *out)
{
    memset(out, 0, sizeof(*out));
    int64_t places;
    if (record_id(rec, &out->id) != 0 ||
        ts_odoo_string(field(rec, "name"), out->name, sizeof(out->name)) != 0 ||
        ts_odoo_int(field(rec, "decimal_places"), &places) != 0 || places < 0 || places > 9)
        return TS_EINVAL;
    out->cur.decimal_places = (int)places;
    const cJSON *rate = field(rec, "rate");
    if (!rate) {
        out->cur.rate.scaled = TS_DECIMAL_SCALE; /* not asked for: 1 */
        return 0;
    }
    if (decimal_of(rate, &out->cur.rate) != 0 || out->cur.rate.scaled <= 0)
        return TS_EINVAL;
    const cJSON *rounding = field(rec, "rounding");
    if (rounding && (decimal_of(rounding, &out->cur.rounding) != 0 || out->cur.rounding.scaled < 0))
        return TS_EINVAL;
    return 0;
}

void ts_odoo_format_datetime(int64_t wall_ms, char out[TS_ODOO_DATETIME_LEN])
{
    char rfc[TS_RFC3339_LEN];
    ts_format_rfc3339_s(wall_ms, rfc); /* "2026-11-22T09:14:03Z" */
    memcpy(out, rfc, TS_ODOO_DATETIME_LEN - 1);
    out[10] = ' ';
    out[TS_ODOO_DATETIME_LEN - 1] = '\0';
}
