/*
 * odoo_rpc.c - search_read against Odoo over JSON-RPC or JSON-2.
 *
 * A call is a small state machine run by curl's completion callbacks:
 *
 *   json2:   POST /json/2/<model>/search_read ------------------> done
 *              | 404 and protocol auto: remember "jsonrpc"
 *              v
 *   jsonrpc: [common.authenticate when no uid] -> execute_kw ---> done
 *
 * The key sits in memory only: it goes into the request body (JSON-RPC) or
 * the Authorization header (JSON-2), never into a log line or a message.
 */
#include "odoo/odoo_rpc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "http/curl_uv.h"
#include "core/error.h"
#include "core/log.h"
#include "odoo/odoo_parse.h"

#define KEY_MAX 1024
#define REQUEST_BODY_MAX (4u * 1024u * 1024u)
#define CONNECT_TIMEOUT_MS 10000L
#define TOTAL_TIMEOUT_MS 180000L
#define LOW_SPEED_TIME_S 60L /* less than 1 byte/s for this long: give up */

typedef enum { PROTO_UNKNOWN = 0, PROTO_JSONRPC, PROTO_JSON2 } proto;
typedef enum { STEP_JSON2, STEP_AUTHENTICATE, STEP_EXECUTE } step;

struct ts_odoo_rpc {
    uv_loop_t *loop;
    const ts_odoo_config *cfg;
    ts_curl_uv *curl;
    char key[KEY_MAX];
    int64_t uid;      /* JSON-RPC user id, 0 until authenticated */
    proto remembered; /* auto: what the server showed it speaks */
    uint64_t next_id;
    ts_odoo_rpc_stats stats;

    /* The call in flight. */
    int busy;
    step step;
    ts_odoo_query q;
    char *q_strings; /* owned copies of the query's strings */
    ts_odoo_rpc_cb cb;
    void *cb_arg;
    CURL *easy;
    struct curl_slist *headers;
    ts_buf request;
    ts_buf answer;
    char curl_error[CURL_ERROR_SIZE];
    int64_t date_ms; /* the answer's HTTP Date, 0: none */
};

/* ---- the key file ----------------------------------------------------- */

int ts_odoo_read_key_file(const char *path, char *out, size_t outlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return TS_EIO;
    size_t n = fread(out, 1, outlen, f);
    int failed = ferror(f);
    fclose(f);
    if (failed)
        return TS_EIO;
    if (n == outlen) {
        memset(out, 0, outlen);
        return TS_ETOOBIG;
    }
    while (n > 0 &&
           (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' ' || out[n - 1] == '\t'))
        n--;
    out[n] = '\0';
    if (n == 0 || memchr(out, '\0', n) != NULL)
        return TS_EINVAL;
    return 0;
}

int ts_odoo_rpc_reload_key(ts_odoo_rpc *c, char *err, size_t errlen)
{
    char key[KEY_MAX];
    int rc = ts_odoo_read_key_file(c->cfg->api_key_file, key, sizeof(key));
    if (rc != 0) {
        const char *why = rc == TS_EIO       ? strerror(errno)
                          : rc == TS_ETOOBIG ? "the file is too large for an API key"
                                             : "the file holds no key";
        ts_errorf(err, errlen, "odoo.api_key_file %s cannot be used: %s", c->cfg->api_key_file,
                  why);
        ts_zeroize(key, sizeof(key));
        return rc;
    }
    memcpy(c->key, key, sizeof(key));
    ts_zeroize(key, sizeof(key));
    c->uid = 0;
    return 0;
}

/* ---- building requests ------------------------------------------------ */

static void put_options(ts_buf *b, const ts_odoo_query *q)
{
    ts_buf_printf(b, "\"fields\":%s", q->fields);
    if (q->order) {
        ts_buf_puts(b, ",\"order\":");
        ts_buf_json_string(b, q->order, strlen(q->order));
    }
    if (q->limit > 0)
        ts_buf_printf(b, ",\"limit\":%d", q->limit);
    if (q->offset > 0)
        ts_buf_printf(b, ",\"offset\":%d", q->offset);
    int extra = q->context && q->context[0];
    if (q->include_archived || extra)
        ts_buf_printf(b, ",\"context\":{%s%s%s}",
                      q->include_archived ? "\"active_test\":false" : "",
                      q->include_archived && extra ? "," : "", extra ? q->context : "");
}

static void build_json2_body(ts_odoo_rpc *c)
{
    ts_buf *b = &c->request;
    ts_buf_reset(b);
    ts_buf_printf(b, "{\"domain\":%s,", c->q.domain);
    put_options(b, &c->q);
    ts_buf_puts(b, "}");
}

static void put_jsonrpc_head(ts_odoo_rpc *c, const char *service, const char *method)
{
    ts_buf *b = &c->request;
    ts_buf_reset(b);
    ts_buf_printf(b,
                  "{\"jsonrpc\":\"2.0\",\"method\":\"call\",\"id\":%llu,\"params\":"
                  "{\"service\":\"%s\",\"method\":\"%s\",\"args\":[",
                  (unsigned long long)++c->next_id, service, method);
    ts_buf_json_string(b, c->cfg->db, strlen(c->cfg->db));
}

static void build_authenticate_body(ts_odoo_rpc *c)
{
    ts_buf *b = &c->request;
    put_jsonrpc_head(c, "common", "authenticate");
    ts_buf_puts(b, ",");
    ts_buf_json_string(b, c->cfg->login, strlen(c->cfg->login));
    ts_buf_puts(b, ",");
    ts_buf_json_string(b, c->key, strlen(c->key));
    ts_buf_puts(b, ",{}]}}");
}

static void build_execute_body(ts_odoo_rpc *c)
{
    ts_buf *b = &c->request;
    put_jsonrpc_head(c, "object", "execute_kw");
    ts_buf_printf(b, ",%lld,", (long long)c->uid);
    ts_buf_json_string(b, c->key, strlen(c->key));
    ts_buf_puts(b, ",");
    ts_buf_json_string(b, c->q.model, strlen(c->q.model));
    ts_buf_printf(b, ",\"search_read\",[%s],{", c->q.domain);
    put_options(b, &c->q);
    ts_buf_puts(b, "}]}}");
}

/* ---- transfers -------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    ts_odoo_rpc *c = arg;
    size_t n = size * nmemb;
    ts_buf_append(&c->answer, data, n);
    return ts_buf_ok(&c->answer) ? n : 0; /* 0 aborts: CURLE_WRITE_ERROR */
}

/* Odoo's clock: the Date header of its answer (second resolution). Lines
 * are bounded by curl (CURL_MAX_HTTP_HEADER); one under 64 bytes is
 * parsed in place (not with curl_getdate: see ts_parse_http_date). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    ts_odoo_rpc *c = arg;
    size_t n = size * nmemb;
    int64_t ms;
    if (n > 5 && n < 64 && strncasecmp(data, "date:", 5) == 0 &&
        ts_parse_http_date(data + 5, n - 5, &ms) == 0 && ms > 0)
        c->date_ms = ms;
    return n;
}

static void on_transfer_done(void *arg, CURL *easy, CURLcode rc);

static void forget_transfer(ts_odoo_rpc *c)
{
    if (c->easy)
        curl_easy_cleanup(c->easy);
    c->easy = NULL;
    curl_slist_free_all(c->headers); /* may hold the key (JSON-2) */
    c->headers = NULL;
    if (c->request.data)
        ts_zeroize(c->request.data, c->request.len); /* may hold the key */
}

static int add_header(ts_odoo_rpc *c, const char *line)
{
    struct curl_slist *h = curl_slist_append(c->headers, line);
    if (!h)
        return TS_ENOMEM;
    c->headers = h;
    return 0;
}

static int json2_headers(ts_odoo_rpc *c)
{
    char line[KEY_MAX + 64];
    snprintf(line, sizeof(line), "Authorization: bearer %s", c->key);
    int rc = add_header(c, line);
    memset(line, 0, sizeof(line));
    snprintf(line, sizeof(line), "X-Odoo-Database: %s", c->cfg->db);
    return rc ? rc : add_header(c, line);
}

/* Sends the request for the current step. */
static int send_step(ts_odoo_rpc *c)
{
    char url[TS_URL_MAX + 128];
    const char *base = c->cfg->url;
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    if (c->step == STEP_JSON2) {
        snprintf(url, sizeof(url), "%.*s/json/2/%s/search_read", (int)blen, base, c->q.model);
        build_json2_body(c);
    } else {
        snprintf(url, sizeof(url), "%.*s/jsonrpc", (int)blen, base);
        if (c->step == STEP_AUTHENTICATE)
            build_authenticate_body(c);
        else
            build_execute_body(c);
    }
    if (!ts_buf_ok(&c->request))
        return TS_ETOOBIG;

    c->easy = curl_easy_init();
    if (!c->easy || add_header(c, "Content-Type: application/json") != 0 ||
        add_header(c, "Accept: application/json") != 0 ||
        add_header(c, "Expect:") != 0 || /* no 100-continue wait for long domains */
        (c->step == STEP_JSON2 && json2_headers(c) != 0)) {
        forget_transfer(c);
        return TS_ENOMEM;
    }
    CURL *e = c->easy;
    ts_buf_reset(&c->answer);
    c->curl_error[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->request.data);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->request.len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
    c->date_ms = 0;
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->curl_error);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, TOTAL_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME_S);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)TS_ODOO_MAX_ANSWER_BYTES);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* gzip when Odoo offers it */
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (c->cfg->ca_file[0])
        curl_easy_setopt(e, CURLOPT_CAINFO, c->cfg->ca_file);
    int rc = ts_curl_uv_add(c->curl, e, on_transfer_done, c);
    if (rc != 0) {
        forget_transfer(c);
        return rc;
    }
    c->stats.requests++;
    return 0;
}

/* ---- finishing -------------------------------------------------------- */

static void finish(ts_odoo_rpc *c, ts_odoo_answer *ans)
{
    ts_odoo_rpc_cb cb = c->cb;
    void *arg = c->cb_arg;
    c->busy = 0;
    c->cb = NULL;
    free(c->q_strings);
    c->q_strings = NULL;
    if (ans->err)
        c->stats.failures++;
    cb(arg, ans);
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void
fail(ts_odoo_rpc *c, int err, int http_status, const char *fmt, ...)
{
    ts_odoo_answer ans;
    memset(&ans, 0, sizeof(ans));
    ans.err = err;
    ans.http_status = http_status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ans.message, sizeof(ans.message), fmt, ap);
    va_end(ap);
    finish(c, &ans);
}

/*
 * Odoo errors that a setting causes, in plain words naming the setting
 * (odoo-sync.md "Errors"): no such database, no such model (an API or
 * module this Odoo does not have), a model the bot user cannot read.
 * Returns 1 when oe is one of them; the driver text is never shown.
 */
static int config_error_message(const ts_odoo_rpc *c, const ts_odoo_error *oe, char *out,
                                size_t outlen)
{
    if (strstr(oe->name, "OperationalError") && strstr(oe->message, "does not exist") &&
        strstr(oe->message, "database")) {
        ts_errorf(out, outlen, "Odoo has no database \"%s\": check odoo.db", c->cfg->db);
        return 1;
    }
    if (strcmp(oe->name, "odoo.exceptions.UserError") == 0 && strstr(oe->message, "Object ") &&
        strstr(oe->message, "doesn't exist")) {
        ts_errorf(out, outlen,
                  "this Odoo has no model %s (a module is missing, or odoo.url points at "
                  "another server): check odoo.url and odoo.protocol",
                  c->q.model);
        return 1;
    }
    if (strcmp(oe->name, "odoo.exceptions.AccessError") == 0) {
        ts_errorf(out, outlen,
                  "the Odoo user %s may not read %s: give the bot user read access in Odoo",
                  c->cfg->login[0] ? c->cfg->login : "(bearer key)", c->q.model);
        return 1;
    }
    return 0;
}

static void fail_odoo_error(ts_odoo_rpc *c, int http_status, const ts_odoo_error *oe)
{
    ts_odoo_answer ans;
    memset(&ans, 0, sizeof(ans));
    ans.err = TS_EPROTO;
    ans.http_status = http_status;
    ans.auth_failed = ts_odoo_error_is_auth(oe);
    if (ans.auth_failed) {
        c->uid = 0;
        ts_errorf(ans.message, sizeof(ans.message),
                  "Odoo refused the API key of user %s (%s: %s): replace the key in "
                  "odoo.api_key_file",
                  c->cfg->login[0] ? c->cfg->login : "(bearer key)", oe->name, oe->message);
    } else if (config_error_message(c, oe, ans.message, sizeof(ans.message))) {
        ans.config_error = 1;
    } else if (oe->name[0]) {
        ts_errorf(ans.message, sizeof(ans.message), "Odoo error on %s: %s: %s", c->q.model,
                  oe->name, oe->message);
    } else {
        ts_errorf(ans.message, sizeof(ans.message), "Odoo error on %s: %s", c->q.model,
                  oe->message);
    }
    finish(c, &ans);
}

/* The result must be a list; the caller reads it record by record. */
static void succeed(ts_odoo_rpc *c, int http_status, const char *records, size_t len)
{
    ts_odoo_list probe;
    if (ts_odoo_list_begin(&probe, records, len) != 0) {
        fail(c, TS_EPROTO, http_status, "Odoo's answer to %s is not a list of records", c->q.model);
        return;
    }
    ts_odoo_answer ans;
    memset(&ans, 0, sizeof(ans));
    ans.http_status = 200;
    ans.date_ms = c->date_ms;
    ans.records = records;
    ans.records_len = len;
    finish(c, &ans);
}

/* curl's failure in plain words, and whether it means "unreachable". */
static void fail_transport(ts_odoo_rpc *c, CURLcode rc)
{
    int err = TS_ECONN;
    const char *what = "cannot reach Odoo";
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        err = TS_ETIMEDOUT;
        what = "Odoo did not answer in time";
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
        err = TS_ETLS;
        what = "TLS with Odoo failed (check odoo.url's certificate or odoo.ca_file)";
        break;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        err = TS_ETOOBIG;
        what = "Odoo's answer is larger than the agent accepts (lower odoo.page_size)";
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        what = "Odoo's host name is not known to the DNS (check odoo.url, or the store's DNS)";
        break;
    case CURLE_COULDNT_CONNECT:
        what = "Odoo refused the connection or cannot be reached (no route, or Odoo is down)";
        break;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        what = "the connection to Odoo broke off before the answer was complete";
        break;
    case CURLE_ABORTED_BY_CALLBACK:
        err = TS_ECANCELED;
        what = "canceled";
        break;
    default:
        break;
    }
    /* curl's own text ("Failed to connect to 10.0.0.5 port 8069 after 3 ms:
     * Couldn't connect to server") is for the debug log, not the status. */
    ts_debug("odoo.transport", "curl_code=%d detail=%s", (int)rc,
             c->curl_error[0] ? c->curl_error : curl_easy_strerror(rc));
    fail(c, err, 0, "%s", what);
}

static void on_authenticated(ts_odoo_rpc *c, const char *text, size_t len)
{
    int64_t uid = 0;
    cJSON *result = len < 64 ? cJSON_ParseWithLength(text, len) : NULL;
    int refused = cJSON_IsFalse(result);
    int ok = !refused && ts_odoo_int(result, &uid) == 0 && uid > 0;
    cJSON_Delete(result);
    if (refused) {
        ts_odoo_answer ans;
        memset(&ans, 0, sizeof(ans));
        ans.err = TS_EPROTO;
        ans.auth_failed = 1;
        ans.http_status = 200;
        ts_errorf(ans.message, sizeof(ans.message),
                  "Odoo refused the log-in of user %s on database %s: check odoo.login and the "
                  "key in odoo.api_key_file",
                  c->cfg->login, c->cfg->db);
        finish(c, &ans);
        return;
    }
    if (!ok) {
        fail(c, TS_EPROTO, 200, "Odoo's log-in answer holds no user id");
        return;
    }
    c->uid = uid;
    c->step = STEP_EXECUTE;
    int rc = send_step(c);
    if (rc != 0)
        fail(c, rc, 0, "%s: %s", "cannot send the request to Odoo", ts_strerror(rc));
}

static void on_jsonrpc_answer(ts_odoo_rpc *c, long status, const ts_buf *body)
{
    if (status == 404 && c->cfg->protocol == TS_ODOO_AUTO) {
        /* /jsonrpc is gone (Odoo 22+): the server was upgraded; try JSON-2 next time. */
        c->remembered = PROTO_UNKNOWN;
        fail(c, TS_EPROTO, 404, "Odoo answered 404 for /jsonrpc; JSON-2 is tried next");
        return;
    }
    if (status != 200) {
        fail(c, TS_EPROTO, (int)status, "Odoo answered HTTP %ld to /jsonrpc", status);
        return;
    }
    const char *result;
    size_t len;
    ts_odoo_error oe;
    int rc = ts_odoo_parse_jsonrpc(body->data, body->len, &result, &len, &oe);
    if (rc == TS_EPROTO)
        fail_odoo_error(c, 200, &oe);
    else if (rc != 0)
        fail(c, TS_EPROTO, 200, "Odoo's answer cannot be read: %s", oe.message);
    else if (c->step == STEP_AUTHENTICATE)
        on_authenticated(c, result, len);
    else
        succeed(c, 200, result, len);
}

static void start_jsonrpc(ts_odoo_rpc *c)
{
    c->step = c->uid ? STEP_EXECUTE : STEP_AUTHENTICATE;
    int rc = send_step(c);
    if (rc != 0)
        fail(c, rc, 0, "%s: %s", "cannot send the request to Odoo", ts_strerror(rc));
}

static void on_json2_answer(ts_odoo_rpc *c, long status, const ts_buf *body)
{
    if (status == 404 && c->cfg->protocol == TS_ODOO_AUTO) {
        ts_info("odoo.protocol", "protocol=jsonrpc why=\"json2 answered 404\"");
        c->remembered = PROTO_JSONRPC;
        start_jsonrpc(c);
        return;
    }
    const char *result;
    size_t len;
    ts_odoo_error oe;
    int rc = ts_odoo_parse_json2((int)status, body->data, body->len, &result, &len, &oe);
    if (rc == TS_EPROTO) {
        fail_odoo_error(c, (int)status, &oe);
        return;
    }
    if (rc != 0) {
        fail(c, TS_EPROTO, (int)status, "Odoo's answer to %s is not a list of records", c->q.model);
        return;
    }
    if (c->cfg->protocol == TS_ODOO_AUTO && c->remembered != PROTO_JSON2) {
        ts_info("odoo.protocol", "protocol=json2");
        c->remembered = PROTO_JSON2;
    }
    succeed(c, 200, result, len);
}

static void on_transfer_done(void *arg, CURL *easy, CURLcode rc)
{
    ts_odoo_rpc *c = arg;
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    forget_transfer(c);
    /* The body is handed over whole: the callee may already ask for the
     * next page (into a fresh buffer) while it reads this one. */
    ts_buf body = c->answer;
    ts_buf_init(&c->answer, TS_ODOO_MAX_ANSWER_BYTES);
    if (!ts_buf_ok(&body) && rc == CURLE_OK)
        rc = CURLE_WRITE_ERROR;
    c->stats.bytes_received += body.len;
    if (rc != CURLE_OK)
        fail_transport(c, rc);
    else if (c->step == STEP_JSON2)
        on_json2_answer(c, status, &body);
    else
        on_jsonrpc_answer(c, status, &body);
    ts_buf_free(&body);
}

/* ---- public ----------------------------------------------------------- */

static char *copy_query(const ts_odoo_query *q, ts_odoo_query *out)
{
    const char *parts[5] = {q->model, q->domain, q->fields, q->order ? q->order : "",
                            q->context ? q->context : ""};
    size_t total = 0;
    for (int i = 0; i < 5; i++)
        total += strlen(parts[i]) + 1;
    char *mem = malloc(total), *p = mem;
    if (!mem)
        return NULL;
    const char **dst[5] = {&out->model, &out->domain, &out->fields, &out->order, &out->context};
    *out = *q;
    for (int i = 0; i < 5; i++) {
        size_t n = strlen(parts[i]) + 1;
        memcpy(p, parts[i], n);
        *dst[i] = p;
        p += n;
    }
    if (!q->order)
        out->order = NULL;
    return mem;
}

static proto effective_protocol(const ts_odoo_rpc *c)
{
    if (c->cfg->protocol == TS_ODOO_JSONRPC)
        return PROTO_JSONRPC;
    if (c->cfg->protocol == TS_ODOO_JSON2)
        return PROTO_JSON2;
    return c->remembered == PROTO_JSONRPC ? PROTO_JSONRPC : PROTO_JSON2;
}

int ts_odoo_rpc_search_read(ts_odoo_rpc *c, const ts_odoo_query *q, ts_odoo_rpc_cb cb, void *arg)
{
    if (c->busy)
        return TS_EINVAL;
    c->q_strings = copy_query(q, &c->q);
    if (!c->q_strings)
        return TS_ENOMEM;
    c->busy = 1;
    c->cb = cb;
    c->cb_arg = arg;
    if (effective_protocol(c) == PROTO_JSONRPC) {
        c->step = c->uid ? STEP_EXECUTE : STEP_AUTHENTICATE;
    } else {
        c->step = STEP_JSON2;
    }
    int rc = send_step(c);
    if (rc != 0) {
        c->busy = 0;
        free(c->q_strings);
        c->q_strings = NULL;
    }
    return rc;
}

void ts_odoo_rpc_cancel(ts_odoo_rpc *c)
{
    if (!c->busy)
        return;
    if (c->easy)
        ts_curl_uv_cancel(c->curl, c->easy);
    forget_transfer(c);
    c->busy = 0;
    c->cb = NULL;
    free(c->q_strings);
    c->q_strings = NULL;
}

const char *ts_odoo_rpc_protocol(const ts_odoo_rpc *c)
{
    if (c->cfg->protocol == TS_ODOO_AUTO && c->remembered == PROTO_UNKNOWN)
        return "auto";
    return effective_protocol(c) == PROTO_JSONRPC ? "jsonrpc" : "json2";
}

void ts_odoo_rpc_get_stats(const ts_odoo_rpc *c, ts_odoo_rpc_stats *out)
{
    *out = c->stats;
}

static void curl_global_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

int ts_odoo_rpc_new(ts_odoo_rpc **out, uv_loop_t *loop, const ts_odoo_config *cfg, char *err,
                    size_t errlen)
{
    static uv_once_t once = UV_ONCE_INIT;
    ts_odoo_rpc *c = calloc(1, sizeof(*c));
    if (!c)
        return TS_ENOMEM;
    c->loop = loop;
    c->cfg = cfg;
    ts_buf_init(&c->request, REQUEST_BODY_MAX);
    ts_buf_init(&c->answer, TS_ODOO_MAX_ANSWER_BYTES);
    int rc = ts_odoo_rpc_reload_key(c, err, errlen);
    if (rc == 0) {
        uv_once(&once, curl_global_once);
        rc = ts_curl_uv_new(&c->curl, loop);
        if (rc != 0)
            snprintf(err, errlen, "cannot set up libcurl: %s", ts_strerror(rc));
    }
    if (rc != 0) {
        ts_buf_free(&c->request);
        ts_buf_free(&c->answer);
        ts_zeroize(c->key, sizeof(c->key));
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void ts_odoo_rpc_close(ts_odoo_rpc *c)
{
    if (!c)
        return;
    ts_curl_uv_close(c->curl); /* a call in flight ends with TS_ECANCELED */
    forget_transfer(c);
    ts_buf_free(&c->request);
    ts_buf_free(&c->answer);
    ts_zeroize(c->key, sizeof(c->key));
    free(c->q_strings);
    free(c);
}
