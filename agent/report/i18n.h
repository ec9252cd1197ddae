/*
 * i18n.h - the page's languages (pos-api.md, GET /): which one to answer
 * with, from Accept-Language, and the page with its <html lang> set.
 *
 * The words themselves are not in C: one table per language in
 * agent/www/i18n/<lang>.json, compiled into the page at build time
 * (agent/www/embed.cmake), and the page translates on the browser side.
 * The server's own sentences (headline.issues[].text) stay English in the
 * JSON; the page translates them by their stable "code" (docs/status-page.md).
 */
#ifndef TILLSYNC_I18N_H
#define TILLSYNC_I18N_H

#include <stddef.h>

#include "http/http_server.h"

#define TS_I18N_LANGS 5
/* "en" first: the answer when nothing in Accept-Language matches. */
extern const char *const ts_i18n_langs[TS_I18N_LANGS];

/* The best of ts_i18n_langs for an Accept-Language value (RFC 9110 12.5.4:
 * comma-separated ranges with optional ;q=, primary subtag compared, q=0
 * refuses); header may be NULL. Returns an index into ts_i18n_langs. */
int ts_i18n_pick(const char *header, size_t len);
/* Same, from the request's Accept-Language header. */
int ts_i18n_pick_request(const ts_http_request *req);

/* Answers with page (which starts with <html lang="en">) in language lang:
 * <html lang> and Content-Language set, Vary: Accept-Language added to
 * headers. */
void ts_i18n_respond_page(ts_http_exchange *ex, const char *headers, const unsigned char *page,
                          size_t len, int lang);

#endif
