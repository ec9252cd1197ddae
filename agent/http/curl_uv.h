/*
 * curl_uv.h - libcurl's multi socket interface driven by the libuv loop.
 *
 * Owns one CURLM handle, a uv_timer for curl's time-outs and one uv_poll per
 * socket curl asks to watch (CURLMOPT_SOCKETFUNCTION / TIMERFUNCTION). curl
 * never blocks: it tells the loop which sockets and which deadline matter,
 * and the loop calls curl back when one of them fires. Each transfer is an
 * easy handle the caller configures fully (URL, body, time-outs, TLS) and
 * hands over with ts_curl_uv_add(); its done callback runs once, on the
 * loop, with curl's result.
 */
#ifndef TILLSYNC_CURL_UV_H
#define TILLSYNC_CURL_UV_H

#include <curl/curl.h>
#include <uv.h>

typedef struct ts_curl_uv ts_curl_uv;

/* The transfer finished (rc CURLE_OK) or failed. The easy handle is no
 * longer in the multi handle; the callee owns it again (cleanup or reuse).
 * Runs with CURLE_ABORTED_BY_CALLBACK for transfers still running at close. */
typedef void (*ts_curl_uv_done_fn)(void *arg, CURL *easy, CURLcode rc);

int ts_curl_uv_new(ts_curl_uv **out, uv_loop_t *loop);
/* Starts the transfer. Uses the easy handle's CURLOPT_PRIVATE. */
int ts_curl_uv_add(ts_curl_uv *cu, CURL *easy, ts_curl_uv_done_fn done, void *arg);
/* Stops a running transfer without calling its done callback. */
void ts_curl_uv_cancel(ts_curl_uv *cu, CURL *easy);
/* Transfers now running (for tests and the status). */
int ts_curl_uv_running(const ts_curl_uv *cu);
/* Aborts every transfer (their done runs with CURLE_ABORTED_BY_CALLBACK),
 * closes the handles; frees itself once libuv has closed them. */
void ts_curl_uv_close(ts_curl_uv *cu);

#endif
