/*
 * page.c - the store manager's page (GET /, status.h): the HTML compiled in
 * from agent/www/status.html, served with a Content-Security-Policy that
 * allows exactly its own inline script and style, in the language
 * Accept-Language picks (i18n.h). The page reads /v1/status itself.
 */
#include "report/status.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "report/i18n.h"

/* The page, generated at build time from agent/www/status.html
 * (agent/www/embed.cmake). */
extern const unsigned char ts_www_status_html[];
extern const size_t ts_www_status_html_len;

/* "'sha256-...'" of the text between open and close tags in the page, so
 * the CSP allows exactly the page's own inline script and style. */
static int inline_hash(const char *page, size_t len, const char *open, const char *close,
                       char out[64])
{
    const char *start = strstr(page, open);
    if (!start || (size_t)(start - page) >= len)
        return TS_ENOTFOUND;
    start += strlen(open);
    const char *end = strstr(start, close);
    if (!end)
        return TS_ENOTFOUND;
    uint8_t digest[32];
    char b64[45];
    ts_sha256(start, (size_t)(end - start), digest);
    ts_base64_encode(digest, 32, b64, sizeof(b64));
    snprintf(out, 64, "'sha256-%s'", b64);
    return 0;
}

/* The page's headers, built once: the page is compiled in and never
 * changes while the agent runs. */
static const char *page_headers(void)
{
    static char headers[1024];
    if (headers[0])
        return headers;
    const char *page = (const char *)ts_www_status_html;
    char script[64] = "'none'", style[64] = "'none'";
    if (inline_hash(page, ts_www_status_html_len, "<script>", "</script>", script) != 0 ||
        inline_hash(page, ts_www_status_html_len, "<style>", "</style>", style) != 0)
        ts_error("status.page_no_inline", "msg=\"the page lacks its <script> or <style>\"");
    snprintf(headers, sizeof(headers),
             "Cache-Control: no-store\r\n"
             "Content-Security-Policy: default-src 'self'; script-src %s; style-src %s; "
             "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
             "frame-ancestors 'none'\r\n"
             "X-Content-Type-Options: nosniff\r\n"
             "Referrer-Policy: no-referrer\r\n",
             script, style);
    return headers;
}

void ts_status_handle_page(ts_agent *a, ts_http_exchange *ex, const ts_http_request *req)
{
    (void)a;
    ts_i18n_respond_page(ex, page_headers(), ts_www_status_html, ts_www_status_html_len,
                         ts_i18n_pick_request(req));
}
