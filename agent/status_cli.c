/*
 * status_cli.c - `tillsync status` (see status_cli.h).
 *
 * Three steps, each in its own part below: fetch the document (one GET on
 * a blocking socket with a deadline, answer parsed by the agent's own
 * bounded response parser), judge it (config.md's exit-code rules, plus any
 * issue the status page raises that no rule here covers, so the terminal
 * never says "all good" while the page does not), and print it.
 */
#include "status_cli.h"

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/agent.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "http/http_response.h"
#include "core/log.h"

#define DEFAULT_CONFIG "/etc/tillsync/tillsync.json"
#define DEFAULT_TIMEOUT_S 5
#define MAX_TIMEOUT_S 120
#define MAX_BODY (1024 * 1024) /* the agent caps its document at 256 KiB */
#define MAX_TOKEN 512
#define FIELD_MAX 300 /* longest text from the agent printed on one line */

/* config.md's thresholds. */
#define CENTRAL_PROBLEM_S 900
#define OLDEST_PROBLEM_S 3600
#define CERT_PROBLEM_DAYS 14
#define CERT_WARN_DAYS 30
#define DISK_PROBLEM_PCT 10

typedef struct cli {
    const char *config_path;
    const char *token_file;
    int json;
    int timeout_s;
    ts_config cfg;
    char token[MAX_TOKEN + 1];
    char host[64];
    char port[8];
    char where[96]; /* "127.0.0.1:8470", for messages */
} cli;

/* ---- Reading the document ---- */

static const cJSON *obj(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsObject(v) ? v : NULL;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int num(const cJSON *o, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v))
        return 0;
    *out = v->valuedouble;
    return 1;
}

static int64_t int_or(const cJSON *o, const char *key, int64_t dflt)
{
    double d;
    return num(o, key, &d) ? (int64_t)d : dflt;
}

static int is_true(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static int str_is(const char *s, const char *want)
{
    return s && strcmp(s, want) == 0;
}

/* "2026-11-25T14:02:11Z" (what the agent writes) to wall ms; 0 if not. */
static int64_t parse_time(const char *s)
{
    char t[20];
    int64_t ms;
    if (!s || strlen(s) != 20 || s[10] != 'T' || s[19] != 'Z')
        return 0;
    memcpy(t, s, 19);
    t[10] = ' ';
    t[19] = '\0';
    return ts_parse_odoo_datetime(t, &ms) == 0 ? ms : 0;
}

/* "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
static void fmt_age(int64_t s, char *out, size_t n)
{
    if (s < 0)
        s = 0;
    if (s < 60)
        snprintf(out, n, "%" PRId64 " s", s);
    else if (s < 3600)
        snprintf(out, n, "%" PRId64 " min", s / 60);
    else if (s < 86400)
        snprintf(out, n, "%" PRId64 " h %" PRId64 " min", s / 3600, s / 60 % 60);
    else
        snprintf(out, n, "%" PRId64 " d %" PRId64 " h", s / 86400, s / 3600 % 24);
}

/* ---- Judging it ---- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
find(ts_status_verdict *v, int level, const char *fmt, ...)
{
    if (v->n == TS_STATUS_MAX_FINDINGS)
        return;
    ts_status_finding *f = &v->findings[v->n];
    f->level = level;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->text, sizeof(f->text), fmt, ap);
    va_end(ap);
    if (level > v->code) {
        v->code = level;
        v->decider = v->n;
    }
    v->n++;
}

/* Not online since the last good exchange (or since start-up when there
 * was none): "since" alone restarts at each backoff/offline switch. */
static void judge_central(const cJSON *doc, int64_t now_ms, ts_status_verdict *v)
{
    const cJSON *c = obj(doc, "central");
    if (!c)
        return;
    const char *held = str(c, "held");
    if (held) {
        int64_t seq = int_or(c, "rejected_seq", 0);
        if (seq > 0)
            find(v, TS_STATUS_PROBLEM, "central refuses sale %" PRId64 "; later sales wait (held)",
                 seq);
        else
            find(v, TS_STATUS_PROBLEM, "sending to central is on hold (%.40s)", held);
        return;
    }
    if (str_is(str(c, "state"), "online"))
        return;
    int64_t from = parse_time(str(c, "last_ok_at"));
    if (!from)
        from = parse_time(str(doc, "started_at"));
    char age[32];
    int64_t s = from && now_ms > from ? (now_ms - from) / 1000 : 0;
    fmt_age(s, age, sizeof(age));
    if (s >= CENTRAL_PROBLEM_S)
        find(v, TS_STATUS_PROBLEM, "central offline for %s (15 min or more)", age);
    else
        find(v, TS_STATUS_WARNING, "central offline for %s (less than 15 min)", age);
}

static void judge_queue(const cJSON *doc, ts_status_verdict *v)
{
    const cJSON *q = obj(doc, "queue");
    int64_t oldest = int_or(q, "oldest_pending_age_s", -1);
    char age[32];
    fmt_age(oldest, age, sizeof(age));
    if (oldest > OLDEST_PROBLEM_S)
        find(v, TS_STATUS_PROBLEM, "oldest waiting sale is %s old (more than an hour)", age);
    int64_t pending = int_or(q, "pending", 0), max = int_or(q, "max_pending", 0);
    if (max > 0 && pending >= max)
        find(v, TS_STATUS_PROBLEM, "the agent is full: %" PRId64 " sales wait, new ones refused",
             pending);
}

static void judge_odoo(const cJSON *doc, const ts_config *cfg, ts_status_verdict *v)
{
    const cJSON *o = obj(doc, "odoo");
    if (!o || cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "configured")))
        return;
    const char *state = str(o, "state");
    if (str_is(state, "auth_failed") || str_is(state, "config_error")) {
        find(v, TS_STATUS_PROBLEM, "Odoo: %s (the agent cannot fetch prices and stock)", state);
        return;
    }
    int64_t age = int_or(o, "snapshot_age_s", -1);
    char a[32];
    fmt_age(age, a, sizeof(a));
    if (is_true(o, "stale"))
        find(v, TS_STATUS_PROBLEM, "price/stock copy is stale: %s old (odoo.stale_after_s)", a);
    else if (age >= 0 && cfg && age > cfg->odoo.full_resync_s)
        find(v, TS_STATUS_WARNING, "price/stock copy is %s old (older than odoo.full_resync_s)", a);
    if (str_is(state, "never"))
        find(v, TS_STATUS_WARNING, "no price/stock copy from Odoo yet");
    else if (str_is(state, "unreachable"))
        find(v, TS_STATUS_WARNING, "Odoo cannot be reached");
}

static void judge_tls(const cJSON *doc, ts_status_verdict *v)
{
    double d;
    if (!num(obj(doc, "tls"), "days_left", &d))
        return;
    int64_t days = (int64_t)d;
    if (days < 0)
        find(v, TS_STATUS_PROBLEM, "the client certificate for central has expired");
    else if (days <= CERT_PROBLEM_DAYS)
        find(v, TS_STATUS_PROBLEM, "client certificate expires in %" PRId64 " days (14 or fewer)",
             days);
    else if (days < CERT_WARN_DAYS)
        find(v, TS_STATUS_WARNING, "client certificate expires in %" PRId64 " days (under 30)",
             days);
}

static void judge_storage(const cJSON *doc, ts_status_verdict *v)
{
    const cJSON *s = obj(doc, "storage");
    double free_mb, total_mb, used;
    if (num(s, "disk_free_mb", &free_mb) && num(s, "disk_total_mb", &total_mb) && total_mb > 0 &&
        free_mb * 100.0 < total_mb * DISK_PROBLEM_PCT)
        find(v, TS_STATUS_PROBLEM, "disk nearly full: %.0f MB free, %.1f %% (under 10 %%)", free_mb,
             100.0 * free_mb / total_mb);
    if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s, "healthy")))
        find(v, TS_STATUS_PROBLEM, "the agent cannot write to its store");
    if (num(s, "map_used_pct", &used) && used >= 90.0)
        find(v, TS_STATUS_PROBLEM, "the agent's database is %.1f %% full", used);
}

static void judge_update(const cJSON *doc, ts_status_verdict *v)
{
    const cJSON *u = obj(doc, "update");
    const char *state = str(u, "state");
    const char *why = str(u, "last_result");
    if (str_is(state, "rolled_back"))
        find(v, TS_STATUS_PROBLEM, "an update was rolled back: %.150s", why ? why : "no reason");
    else if (str_is(state, "refused"))
        find(v, TS_STATUS_WARNING, "an update was refused: %.150s", why ? why : "no reason");
}

/* The page's issues the rules above do not cover (a new one the page
 * learns later included) count by the page's own level. */
static void judge_other_issues(const cJSON *doc, ts_status_verdict *v)
{
    static const char *const covered[] = {
        "central_unreachable", "central_rejects_seq", "central_lost_data", "central_held",
        "cert_expired",        "cert_expiring",       "odoo_auth_failed",  "odoo_no_copy",
        "odoo_unreachable",    "odoo_stale",          "disk_nearly_full",  "storage_failed",
        "storage_nearly_full", "buffer_full"};
    const cJSON *issues = cJSON_GetObjectItemCaseSensitive(obj(doc, "headline"), "issues");
    const cJSON *is;
    cJSON_ArrayForEach(is, issues)
    {
        const char *code = str(is, "code"), *text = str(is, "text");
        int known = 0;
        for (size_t i = 0; code && i < sizeof(covered) / sizeof(covered[0]); i++)
            known |= strcmp(code, covered[i]) == 0;
        if (known || !code)
            continue;
        int level = str_is(str(is, "level"), "attention") ? TS_STATUS_PROBLEM : TS_STATUS_WARNING;
        find(v, level, "%.200s (%.40s)", text ? text : "see the status page", code);
    }
}

void ts_status_cli_verdict(const cJSON *doc, const ts_config *cfg, ts_status_verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->decider = -1;
    int64_t now_ms = parse_time(str(doc, "now"));
    if (!now_ms)
        now_ms = ts_wall_ms();
    judge_central(doc, now_ms, v);
    judge_queue(doc, v);
    judge_odoo(doc, cfg, v);
    judge_tls(doc, v);
    judge_storage(doc, v);
    judge_update(doc, v);
    judge_other_issues(doc, v);
}

/* ---- Fetching it ---- */

static int remaining_ms(uint64_t deadline)
{
    uint64_t now = ts_mono_ms();
    return now >= deadline ? 0 : (int)(deadline - now);
}

/* Waits for fd to be ready for events; 0, or ETIMEDOUT / errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        int r = poll(&p, 1, remaining_ms(deadline));
        if (r > 0)
            return 0;
        if (r == 0)
            return ETIMEDOUT;
        if (errno != EINTR)
            return errno;
    }
}

static int connect_one(const struct addrinfo *ai, uint64_t deadline, int *fd_out)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0)
        return errno;
    int err = 0;
    socklen_t len = sizeof(err);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        err = errno == EINPROGRESS ? wait_fd(fd, POLLOUT, deadline) : errno;
        if (!err && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
            err = errno;
    }
    if (err) {
        close(fd);
        return err;
    }
    *fd_out = fd;
    return 0;
}

static int connect_agent(const cli *c, uint64_t deadline, int *fd, char *err, size_t n)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(c->host, c->port, &hints, &res);
    if (rc != 0) {
        snprintf(err, n, "cannot resolve %s: %s", c->host, gai_strerror(rc));
        return -1;
    }
    int last = ECONNREFUSED;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if ((last = connect_one(ai, deadline, fd)) == 0)
            break;
    }
    freeaddrinfo(res);
    if (last == 0)
        return 0;
    if (last == ECONNREFUSED)
        snprintf(err, n,
                 "no agent answers on %s (connection refused): is tillsync running? "
                 "(systemctl status tillsync)",
                 c->where);
    else if (last == ETIMEDOUT)
        snprintf(err, n, "no answer from %s within %d s", c->where, c->timeout_s);
    else
        snprintf(err, n, "cannot connect to %s: %s", c->where, strerror(last));
    return -1;
}

static int send_all(int fd, const char *data, size_t len, uint64_t deadline)
{
    while (len > 0) {
        ssize_t w = send(fd, data, len, MSG_NOSIGNAL);
        if (w > 0) {
            data += w;
            len -= (size_t)w;
            continue;
        }
        int e = w < 0 ? errno : EPIPE;
        if (e == EINTR)
            continue;
        if (e != EAGAIN && e != EWOULDBLOCK)
            return e;
        if ((e = wait_fd(fd, POLLOUT, deadline)) != 0)
            return e;
    }
    return 0;
}

/* Reads until the parser has a whole answer, the peer closes, or the
 * deadline passes. */
static int read_answer(int fd, ts_http_response_parser *p, uint64_t deadline)
{
    char buf[16384];
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof(buf), 0);
        if (r == 0)
            return ts_http_response_parser_eof(p) == TS_HTTP_RESP_DONE ? 0 : ECONNRESET;
        if (r < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            if (e != EAGAIN && e != EWOULDBLOCK)
                return e;
            if ((e = wait_fd(fd, POLLIN, deadline)) != 0)
                return e;
            continue;
        }
        size_t used;
        int rc = ts_http_response_parser_feed(p, buf, (size_t)r, &used);
        if (rc == TS_HTTP_RESP_DONE)
            return 0;
        if (rc != TS_HTTP_RESP_AGAIN)
            return EPROTO;
    }
}

/* GET /v1/status into p. 0, or -1 with one line in err. */
static int fetch(const cli *c, ts_http_response_parser *p, char *err, size_t n)
{
    uint64_t deadline = ts_mono_ms() + (uint64_t)c->timeout_s * 1000;
    int fd = -1;
    if (connect_agent(c, deadline, &fd, err, n) != 0)
        return -1;
    char req[MAX_TOKEN + 256];
    int len = snprintf(
        req, sizeof(req),
        "GET /v1/status HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\n"
        "User-Agent: tillsync-status/" TS_VERSION "\r\n%s%s%sConnection: close\r\n\r\n",
        c->where, c->token[0] ? "Authorization: Bearer " : "", c->token, c->token[0] ? "\r\n" : "");
    int e = send_all(fd, req, (size_t)len, deadline);
    if (!e)
        e = read_answer(fd, p, deadline);
    close(fd);
    if (e == ETIMEDOUT)
        snprintf(err, n, "the agent at %s did not answer within %d s", c->where, c->timeout_s);
    else if (e == EPROTO)
        snprintf(err, n,
                 "the answer from %s is not HTTP the agent would send (too large or "
                 "malformed): is something else listening there?",
                 c->where);
    else if (e)
        snprintf(err, n, "lost the connection to %s: %s", c->where, strerror(e));
    return e ? -1 : 0;
}

/* ---- Printing it ---- */

enum { C_NONE, C_GREEN, C_YELLOW, C_RED, C_BOLD };
static const char *const colour_codes[] = {"", "\033[32m", "\033[33m", "\033[31m", "\033[1m"};
static int use_colour;

static void colour_on(int c)
{
    if (use_colour && c != C_NONE)
        fputs(colour_codes[c], stdout);
}

static void colour_off(int c)
{
    if (use_colour && c != C_NONE)
        fputs("\033[0m", stdout);
}

/* Text from the agent (central's and Odoo's error messages included) may
 * hold anything: control characters are shown as '?' so nothing can move
 * the cursor or recolour the terminal. */
static void put_clean(const char *s)
{
    for (size_t i = 0; s[i] && i < FIELD_MAX; i++) {
        unsigned char ch = (unsigned char)s[i];
        putchar(ch < 0x20 || ch == 0x7f ? '?' : ch);
    }
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
row(const char *label, int c, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    printf("  %-8s ", label);
    colour_on(c);
    put_clean(text);
    colour_off(c);
    putchar('\n');
}

static const char *or_dash(const char *s)
{
    return s ? s : "-";
}

static int64_t ago_s(const char *t, int64_t now_ms)
{
    int64_t at = parse_time(t);
    return at && now_ms > at ? (now_ms - at) / 1000 : 0;
}

static void print_central(const cJSON *doc, int64_t now_ms)
{
    const cJSON *c = obj(doc, "central");
    const char *state = or_dash(str(c, "state")), *last_ok = str(c, "last_ok_at");
    char age[32];
    if (str_is(state, "online")) {
        fmt_age(ago_s(last_ok, now_ms), age, sizeof(age));
        row("central", C_GREEN, "online; last exchange %s ago; acked through sale %" PRId64, age,
            int_or(c, "acked_through", 0));
        return;
    }
    const char *err = str(c, "last_error");
    if (last_ok)
        fmt_age(ago_s(last_ok, now_ms), age, sizeof(age));
    row("central", C_RED, "%s; last good exchange %s%s; next try in %" PRId64 " s%s%.200s", state,
        last_ok ? age : "never since start-up", last_ok ? " ago" : "",
        int_or(c, "next_retry_in_s", 0), err ? "; last error: " : "", err ? err : "");
}

static void print_queue(const cJSON *doc)
{
    const cJSON *q = obj(doc, "queue");
    int64_t pending = int_or(q, "pending", 0), oldest = int_or(q, "oldest_pending_age_s", -1);
    char age[32] = "";
    fmt_age(oldest, age, sizeof(age));
    char waiting[96];
    if (pending > 0)
        snprintf(waiting, sizeof(waiting), "%" PRId64 " waiting, the oldest %s old", pending, age);
    else
        snprintf(waiting, sizeof(waiting), "none waiting");
    row("sales", pending ? C_YELLOW : C_GREEN,
        "%s; %" PRId64 " accepted, %" PRId64 " refused in all", waiting,
        int_or(q, "accepted_total", 0), int_or(q, "rejected_total", 0));
}

static void print_odoo(const cJSON *doc)
{
    const cJSON *o = obj(doc, "odoo");
    if (!o || cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "configured"))) {
        row("odoo", C_NONE, "not configured: no local copy of prices and stock");
        return;
    }
    const char *state = or_dash(str(o, "state")), *err = str(o, "last_error");
    int64_t age = int_or(o, "snapshot_age_s", -1);
    char a[48] = "no copy yet";
    if (age >= 0) {
        char t[32];
        fmt_age(age, t, sizeof(t));
        snprintf(a, sizeof(a), "copy %s old", t);
    }
    int stale = is_true(o, "stale");
    row("odoo",
        str_is(state, "ok") && !stale ? C_GREEN
        : stale                       ? C_RED
                                      : C_YELLOW,
        "%s; %" PRId64 " items; %s%s%s%.200s", state, int_or(o, "items", 0), a,
        stale ? " (stale)" : "", err ? "; last error: " : "", err ? err : "");
}

static void print_storage(const cJSON *doc)
{
    const cJSON *s = obj(doc, "storage");
    double free_mb = -1, total_mb = -1, used = 0;
    num(s, "disk_free_mb", &free_mb);
    num(s, "disk_total_mb", &total_mb);
    num(s, "map_used_pct", &used);
    if (free_mb < 0) {
        row("disk", C_YELLOW, "free space unknown; database %.1f %% used", used);
        return;
    }
    double pct = total_mb > 0 ? 100.0 * free_mb / total_mb : 100.0;
    row("disk", pct < DISK_PROBLEM_PCT ? C_RED : C_GREEN,
        "%.0f MB free of %.0f MB (%.0f %%); database %.1f %% used", free_mb, total_mb, pct, used);
}

static void print_tls_update(const cJSON *doc)
{
    const cJSON *t = obj(doc, "tls"), *u = obj(doc, "update");
    double days;
    const char *exp = str(t, "client_cert_expires_at");
    if (num(t, "days_left", &days) && exp)
        row("cert",
            days <= CERT_PROBLEM_DAYS ? C_RED
            : days < CERT_WARN_DAYS   ? C_YELLOW
                                      : C_GREEN,
            "expires %.10s, in %.0f days", exp, days);
    else
        row("cert", C_NONE, "expiry unknown (no client certificate loaded)");
    /* update.md's names, or the older "current"/"available" ones. */
    const char *running = str(u, "running") ? str(u, "running") : str(u, "current");
    const char *offered = str(u, "offered") ? str(u, "offered") : str(u, "available");
    const char *state = str(u, "state"), *result = str(u, "last_result");
    row("update", str_is(state, "rolled_back") ? C_RED : C_NONE, "running %s; %s%s%s%s",
        or_dash(running), offered ? "offered " : "nothing offered", offered ? offered : "",
        state ? "; " : "", state ? state : "");
    if (result && result[0])
        row("", C_NONE, "last result: %.200s", result);
}

static void print_issues(const cJSON *doc)
{
    const cJSON *issues = cJSON_GetObjectItemCaseSensitive(obj(doc, "headline"), "issues");
    if (!cJSON_GetArraySize(issues))
        return;
    printf("\nWhat the status page says:\n");
    const cJSON *is;
    cJSON_ArrayForEach(is, issues)
    {
        int attention = str_is(str(is, "level"), "attention");
        printf("  ");
        colour_on(attention ? C_RED : C_YELLOW);
        put_clean(or_dash(str(is, "text")));
        colour_off(attention ? C_RED : C_YELLOW);
        printf("\n    ");
        put_clean(or_dash(str(is, "action")));
        putchar('\n');
    }
}

static const char *const level_words[] = {"ALL GOOD", "WARNING", "PROBLEM", "UNKNOWN"};
static const int level_colours[] = {C_GREEN, C_YELLOW, C_RED, C_RED};

static void print_verdict(const ts_status_verdict *v)
{
    if (v->n > 1) {
        printf("\nChecks:\n");
        for (int i = 0; i < v->n; i++) {
            printf("  ");
            colour_on(level_colours[v->findings[i].level]);
            printf("%-8s", level_words[v->findings[i].level]);
            colour_off(level_colours[v->findings[i].level]);
            printf(" %s\n", v->findings[i].text);
        }
    }
    printf("\n");
    colour_on(C_BOLD);
    colour_on(level_colours[v->code]);
    printf("%s (exit %d)", level_words[v->code], v->code);
    colour_off(C_BOLD);
    if (v->decider >= 0)
        printf(": %s", v->findings[v->decider].text);
    else
        printf(": every check passed");
    putchar('\n');
}

static void print_human(const cli *c, const cJSON *doc, const ts_status_verdict *v)
{
    int64_t now_ms = parse_time(str(doc, "now"));
    if (!now_ms)
        now_ms = ts_wall_ms();
    const cJSON *h = obj(doc, "headline");
    const char *lvl = str(h, "level");
    int hc = str_is(lvl, "ok") ? C_GREEN : str_is(lvl, "offline") ? C_YELLOW : C_RED;
    printf("tillsync %s at %s: ", or_dash(str(doc, "store_id")), c->where);
    colour_on(hc);
    put_clean(or_dash(str(h, "text")));
    colour_off(hc);
    putchar('\n');
    print_central(doc, now_ms);
    print_queue(doc);
    print_odoo(doc);
    print_storage(doc);
    print_tls_update(doc);
    char up[32];
    fmt_age(int_or(doc, "uptime_s", 0), up, sizeof(up));
    row("agent", C_NONE, "version %s, up %s", or_dash(str(doc, "version")), up);
    print_issues(doc);
    print_verdict(v);
}

/* ---- The command ---- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: tillsync status [--config FILE] [--json] [--token-file PATH] [--timeout S]\n"
            "  asks the running agent at the config's \"listen\" address (default config\n"
            "  " DEFAULT_CONFIG "); the status token comes from --token-file or\n"
            "  TILLSYNC_STATUS_TOKEN. Exit 0 all good, 1 warning, 2 problem, 3 unreachable.\n");
}

static int parse_args(cli *c, int argc, char **argv)
{
    c->config_path = DEFAULT_CONFIG;
    c->timeout_s = DEFAULT_TIMEOUT_S;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            c->json = 1;
        } else if (strcmp(a, "--config") == 0 && next) {
            c->config_path = argv[++i];
        } else if (strcmp(a, "--token-file") == 0 && next) {
            c->token_file = argv[++i];
        } else if (strcmp(a, "--timeout") == 0 && next) {
            char *end;
            long t = strtol(argv[++i], &end, 10);
            if (*end || t < 1 || t > MAX_TIMEOUT_S) {
                fprintf(stderr, "tillsync status: --timeout takes 1 to %d seconds\n",
                        MAX_TIMEOUT_S);
                return -1;
            }
            c->timeout_s = (int)t;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        } else {
            fprintf(stderr, "tillsync status: unknown or incomplete option %s\n", a);
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

/* One line, trailing white space and newline dropped; only characters a
 * bearer token may hold, so nothing can be smuggled into the request. */
static int read_token(cli *c, char *err, size_t n)
{
    const char *from = "TILLSYNC_STATUS_TOKEN";
    const char *env = getenv("TILLSYNC_STATUS_TOKEN");
    size_t len = 0;
    if (c->token_file) {
        from = c->token_file;
        FILE *f = fopen(c->token_file, "re");
        if (!f) {
            snprintf(err, n, "cannot read the token file %s: %s", c->token_file, strerror(errno));
            return -1;
        }
        len = fread(c->token, 1, MAX_TOKEN + 1, f);
        fclose(f);
    } else if (env && env[0]) {
        len = strnlen(env, MAX_TOKEN + 1);
        memcpy(c->token, env, len);
    }
    if (len > MAX_TOKEN) {
        snprintf(err, n, "the status token in %s is longer than %d bytes", from, MAX_TOKEN);
        return -1;
    }
    while (len > 0 && strchr(" \t\r\n", c->token[len - 1]))
        len--;
    c->token[len] = '\0';
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)c->token[i] <= 0x20 || (unsigned char)c->token[i] >= 0x7f) {
            snprintf(err, n, "the status token in %s holds a space or control character", from);
            return -1;
        }
    }
    if (c->token_file && len == 0) {
        snprintf(err, n, "the token file %s is empty", c->token_file);
        return -1;
    }
    return 0;
}

/* The config's listen address as one to connect to: a wildcard means the
 * agent listens on every address, loopback included. */
static int agent_address(cli *c, char *err, size_t n)
{
    const char *h = c->cfg.listen_host;
    if (c->cfg.listen_port == 0) {
        snprintf(err, n, "%s has \"listen\" port 0 (any free port): set the agent's port there",
                 c->config_path);
        return -1;
    }
    if (strcmp(h, "0.0.0.0") == 0 || h[0] == '\0')
        h = "127.0.0.1";
    else if (strcmp(h, "::") == 0)
        h = "::1";
    snprintf(c->host, sizeof(c->host), "%s", h);
    snprintf(c->port, sizeof(c->port), "%d", c->cfg.listen_port);
    snprintf(c->where, sizeof(c->where), strchr(h, ':') ? "[%s]:%d" : "%s:%d", h,
             c->cfg.listen_port);
    return 0;
}

static int prepare(cli *c, char *err, size_t n)
{
    char why[512];
    ts_config_defaults(&c->cfg);
    if (ts_config_load(&c->cfg, c->config_path, 0, why, sizeof(why)) != 0) {
        snprintf(err, n, "cannot use the config %s: %s", c->config_path, why);
        return -1;
    }
    if (agent_address(c, err, n) != 0 || read_token(c, err, n) != 0)
        return -1;
    if (!c->cfg.has_status_token)
        return 0;
    if (!c->token[0]) {
        snprintf(err, n,
                 "the agent needs its status token (status_token_sha256 is set in %s): give "
                 "--token-file PATH or set TILLSYNC_STATUS_TOKEN",
                 c->config_path);
        return -1;
    }
    uint8_t digest[32];
    ts_sha256(c->token, strlen(c->token), digest);
    if (memcmp(digest, c->cfg.status_token_sha256, 32) != 0) {
        snprintf(err, n, "the status token from %s does not match status_token_sha256 in %s",
                 c->token_file ? c->token_file : "TILLSYNC_STATUS_TOKEN", c->config_path);
        return -1;
    }
    return 0;
}

/* The agent's own words for a refusal: {"error": {"message": ...}}. */
static void refusal(const cli *c, const ts_http_response_parser *p, char *err, size_t n)
{
    cJSON *doc = p->body.len ? cJSON_ParseWithLength(p->body.data, p->body.len) : NULL;
    const char *msg = str(obj(doc, "error"), "message");
    if (p->status == 401)
        snprintf(err, n, "the agent at %s refused the status token%s: %s", c->where,
                 c->token[0] ? "" : " (none given)",
                 c->token[0] ? "check the token and status_token_sha256"
                             : "give --token-file PATH or set TILLSYNC_STATUS_TOKEN");
    else
        snprintf(err, n, "the agent at %s answered HTTP %d%s%.200s", c->where, p->status,
                 msg ? ": " : "", msg ? msg : "");
    cJSON_Delete(doc);
}

static int report(const cli *c, const ts_http_response_parser *p, char *err, size_t n)
{
    cJSON *doc = cJSON_ParseWithLength(p->body.data ? p->body.data : "", p->body.len);
    if (!cJSON_IsObject(doc) || !obj(doc, "headline")) {
        snprintf(err, n, "the answer from %s is not a status document", c->where);
        cJSON_Delete(doc);
        return TS_STATUS_UNKNOWN;
    }
    ts_status_verdict v;
    ts_status_cli_verdict(doc, &c->cfg, &v);
    if (c->json) {
        fwrite(p->body.data, 1, p->body.len, stdout);
        if (p->body.data[p->body.len - 1] != '\n')
            putchar('\n');
    } else {
        print_human(c, doc, &v);
    }
    cJSON_Delete(doc);
    return v.code;
}

int ts_status_cli_main(int argc, char **argv)
{
    static cli c; /* ts_config is large */
    char err[1024] = "";
    int rc = parse_args(&c, argc, argv);
    if (rc != 0)
        return rc > 0 ? TS_STATUS_OK : TS_STATUS_UNKNOWN;
    ts_log_set_level(TS_LOG_ERROR); /* unknown-key warnings are the agent's to give */
    const char *nc = getenv("NO_COLOR");
    use_colour = !c.json && isatty(STDOUT_FILENO) && !(nc && nc[0]);
    ts_http_response_parser p;
    ts_http_response_parser_init(&p, MAX_BODY, 0);
    rc = TS_STATUS_UNKNOWN;
    if (prepare(&c, err, sizeof(err)) != 0 || fetch(&c, &p, err, sizeof(err)) != 0)
        goto out;
    if (p.status != 200) {
        refusal(&c, &p, err, sizeof(err));
        goto out;
    }
    rc = report(&c, &p, err, sizeof(err));
out:
    ts_http_response_parser_free(&p);
    if (err[0])
        fprintf(stderr, "tillsync status: %s\n", err);
    if (fflush(stdout) != 0 && rc != TS_STATUS_UNKNOWN)
        rc = TS_STATUS_UNKNOWN;
    return rc;
}
