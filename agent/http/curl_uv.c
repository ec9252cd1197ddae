/*
 * curl_uv.c - libcurl's multi socket interface on the libuv loop.
 *
 * The classic pairing (see curl's docs/examples/multi-uv.c): curl calls
 * socket_cb to say "watch this socket for reading/writing" or "forget it",
 * and timer_cb to say "call me back in N ms". We turn the first into a
 * uv_poll per socket and the second into one uv_timer; when either fires we
 * call curl_multi_socket_action() and then collect finished transfers.
 * Nothing here ever waits: all of curl's work happens inside these calls.
 */
#include "http/curl_uv.h"

#include <stdlib.h>

#include "core/error.h"

typedef struct transfer {
    CURL *easy;
    ts_curl_uv_done_fn done;
    void *arg;
    struct transfer *prev, *next;
} transfer;

typedef struct watched_socket {
    uv_poll_t poll;
    curl_socket_t fd;
    ts_curl_uv *cu;
} watched_socket;

struct ts_curl_uv {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    transfer *transfers; /* running, for cancel and close */
    int running;
    int open_handles; /* uv handles not yet closed (timer + polls) */
    int closing;
};

static void maybe_free(ts_curl_uv *cu)
{
    if (cu->closing && cu->open_handles == 0)
        free(cu);
}

static void on_handle_closed(uv_handle_t *h)
{
    ts_curl_uv *cu = h->data;
    if (h->type == UV_POLL)
        free(h); /* the uv_poll_t is the first member of watched_socket */
    cu->open_handles--;
    maybe_free(cu);
}

static void unlink_transfer(ts_curl_uv *cu, transfer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        cu->transfers = t->next;
    if (t->next)
        t->next->prev = t->prev;
}

/* Hands every finished transfer back to its owner. Called only from loop
 * callbacks, never from inside curl, so owners may start new transfers. */
static void collect_finished(ts_curl_uv *cu)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(cu->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result;
        transfer *t = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        curl_multi_remove_handle(cu->multi, easy);
        if (t) {
            unlink_transfer(cu, t);
            ts_curl_uv_done_fn done = t->done;
            void *arg = t->arg;
            free(t);
            done(arg, easy, rc);
        }
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    watched_socket *ws = (watched_socket *)h;
    ts_curl_uv *cu = ws->cu;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(cu->multi, ws->fd, flags, &cu->running);
    collect_finished(cu);
}

static void on_timeout(uv_timer_t *t)
{
    ts_curl_uv *cu = t->data;
    curl_multi_socket_action(cu->multi, CURL_SOCKET_TIMEOUT, 0, &cu->running);
    collect_finished(cu);
}

/* CURLMOPT_TIMERFUNCTION: one deadline for the whole multi handle. */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    ts_curl_uv *cu = userp;
    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&cu->timer);
    else /* 0 means "as soon as possible": the next loop iteration */
        uv_timer_start(&cu->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

static void forget_socket(ts_curl_uv *cu, curl_socket_t s, watched_socket *ws)
{
    curl_multi_assign(cu->multi, s, NULL);
    uv_poll_stop(&ws->poll);
    uv_close((uv_handle_t *)&ws->poll, on_handle_closed);
}

/* CURLMOPT_SOCKETFUNCTION: start, change or stop watching one socket. */
static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    ts_curl_uv *cu = userp;
    watched_socket *ws = socketp;
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (ws)
            forget_socket(cu, s, ws);
        return 0;
    }
    if (!ws) {
        ws = calloc(1, sizeof(*ws));
        if (!ws)
            return -1;
        if (uv_poll_init_socket(cu->loop, &ws->poll, s) != 0) {
            free(ws);
            return -1;
        }
        ws->fd = s;
        ws->cu = cu;
        ws->poll.data = cu;
        cu->open_handles++;
        curl_multi_assign(cu->multi, s, ws);
    }
    int events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= UV_WRITABLE;
    uv_poll_start(&ws->poll, events, on_poll);
    return 0;
}

int ts_curl_uv_new(ts_curl_uv **out, uv_loop_t *loop)
{
    ts_curl_uv *cu = calloc(1, sizeof(*cu));
    if (!cu)
        return TS_ENOMEM;
    cu->loop = loop;
    cu->multi = curl_multi_init();
    if (!cu->multi) {
        free(cu);
        return TS_ENOMEM;
    }
    uv_timer_init(loop, &cu->timer);
    cu->timer.data = cu;
    cu->open_handles = 1;
    curl_multi_setopt(cu->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(cu->multi, CURLMOPT_SOCKETDATA, cu);
    curl_multi_setopt(cu->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(cu->multi, CURLMOPT_TIMERDATA, cu);
    *out = cu;
    return 0;
}

int ts_curl_uv_add(ts_curl_uv *cu, CURL *easy, ts_curl_uv_done_fn done, void *arg)
{
    if (cu->closing)
        return TS_ECANCELED;
    transfer *t = calloc(1, sizeof(*t));
    if (!t)
        return TS_ENOMEM;
    t->easy = easy;
    t->done = done;
    t->arg = arg;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t);
    if (curl_multi_add_handle(cu->multi, easy) != CURLM_OK) {
        free(t);
        return TS_EINVAL;
    }
    t->next = cu->transfers;
    if (t->next)
        t->next->prev = t;
    cu->transfers = t;
    return 0;
}

static transfer *find_transfer(ts_curl_uv *cu, CURL *easy)
{
    for (transfer *t = cu->transfers; t; t = t->next)
        if (t->easy == easy)
            return t;
    return NULL;
}

void ts_curl_uv_cancel(ts_curl_uv *cu, CURL *easy)
{
    transfer *t = find_transfer(cu, easy);
    if (!t)
        return;
    unlink_transfer(cu, t);
    curl_multi_remove_handle(cu->multi, easy);
    free(t);
}

int ts_curl_uv_running(const ts_curl_uv *cu)
{
    int n = 0;
    for (const transfer *t = cu->transfers; t; t = t->next)
        n++;
    return n;
}

void ts_curl_uv_close(ts_curl_uv *cu)
{
    if (!cu || cu->closing)
        return;
    cu->closing = 1;
    while (cu->transfers) {
        transfer *t = cu->transfers;
        unlink_transfer(cu, t);
        curl_multi_remove_handle(cu->multi, t->easy);
        t->done(t->arg, t->easy, CURLE_ABORTED_BY_CALLBACK);
        free(t);
    }
    curl_multi_cleanup(cu->multi); /* may still report sockets to forget */
    cu->multi = NULL;
    uv_timer_stop(&cu->timer);
    uv_close((uv_handle_t *)&cu->timer, on_handle_closed);
}
