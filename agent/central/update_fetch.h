/*
 * update_fetch.h - downloading an offered build (update.md step 2) with
 * libcurl on the loop: into a .part file, resumed with an HTTP Range from
 * what a broken earlier try left (a server that answers 200 instead of 206
 * starts the file over), at most TS_UPDATE_MAX_BYTES. Central's own host
 * gets the uplink's mutual TLS (central.ca_file, cert_file, key_file); any
 * other host the system trust store.
 */
#ifndef TILLSYNC_UPDATE_FETCH_H
#define TILLSYNC_UPDATE_FETCH_H

#include <stdint.h>

#include "config/config.h"
#include "http/curl_uv.h"

#define TS_UPDATE_MAX_BYTES (64LL * 1024 * 1024)

typedef struct ts_update_fetch ts_update_fetch;

/* Runs once: ok 1 when the whole file is in the .part file, else why says
 * what went wrong in plain words; have: bytes in the .part file. The fetch
 * frees itself after it returns. */
typedef void (*ts_update_fetch_done)(void *arg, int ok, const char *why, uint64_t have);

int ts_update_fetch_start(ts_update_fetch **out, ts_curl_uv *cu, const ts_config *cfg,
                          const char *url, const char *part_path, ts_update_fetch_done done,
                          void *arg);
/* Bytes in the .part file so far, and the whole size (-1 while unknown). */
void ts_update_fetch_progress(const ts_update_fetch *f, uint64_t *got, int64_t *size);
/* Bytes this try asked the server for (the resumed part only). */
uint64_t ts_update_fetch_transferred(const ts_update_fetch *f);
/* Stops the transfer without calling done; frees f. */
void ts_update_fetch_cancel(ts_update_fetch *f);

/* Does url point at the same scheme, host and port as central.url? */
int ts_update_same_origin(const char *url, const char *central_url);

#endif
