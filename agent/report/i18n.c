/*
 * i18n.c - choosing the page's language (i18n.h).
 */
#include "report/i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_parse.h"
#include "http/reply.h"

#define MAX_RANGES 32 /* a browser sends a handful; the rest is ignored */

const char *const ts_i18n_langs[TS_I18N_LANGS] = {"en", "fr", "de", "es", "nl"};

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Which language a range ("fr-CH", "de", "*") names: -2 none, -1 any. */
static int range_lang(const char *p, size_t n)
{
    if (n == 1 && p[0] == '*')
        return -1;
    for (int i = 0; i < TS_I18N_LANGS; i++) {
        if ((n == 2 || (n > 2 && p[2] == '-')) && lower(p[0]) == ts_i18n_langs[i][0] &&
            lower(p[1]) == ts_i18n_langs[i][1])
            return i;
    }
    return -2;
}

/* q in thousandths from ";q=0.8" (anything unreadable counts as 1). */
static int parse_q(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (end - p < 3 || lower(p[0]) != 'q' || p[1] != '=')
        return 1000;
    p += 2;
    if (*p == '1')
        return 1000;
    if (*p != '0')
        return 1000;
    int q = 0, scale = 100;
    for (p++; p < end && *p == '.'; p++) {
        for (p++; p < end && *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
            q += (*p - '0') * scale;
        break;
    }
    return q;
}

int ts_i18n_pick(const char *h, size_t len)
{
    int best = 0, best_q = 0, ranges = 0;
    const char *p = h, *end = h ? h + len : h;
    while (h && p < end && ranges++ < MAX_RANGES) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *item_end = comma ? comma : end;
        while (p < item_end && (*p == ' ' || *p == '\t'))
            p++;
        const char *tag_end = p;
        while (tag_end < item_end && *tag_end != ';' && *tag_end != ' ' && *tag_end != '\t')
            tag_end++;
        int lang = range_lang(p, (size_t)(tag_end - p));
        const char *semi = memchr(tag_end, ';', (size_t)(item_end - tag_end));
        int q = semi ? parse_q(semi + 1, item_end) : 1000;
        if (lang != -2 && q > best_q) { /* the first of equal q wins */
            best = lang < 0 ? 0 : lang;
            best_q = q;
        }
        p = comma ? comma + 1 : end;
    }
    return best;
}

int ts_i18n_pick_request(const ts_http_request *req)
{
    const ts_str *v = ts_http_header_get(req, "Accept-Language");
    return v ? ts_i18n_pick(v->p, v->len) : 0;
}

void ts_i18n_respond_page(ts_http_exchange *ex, const char *headers, const unsigned char *page,
                          size_t len, int lang)
{
    static const char mark[] = "<html lang=\"en\">";
    const char *at = strstr((const char *)page, mark);
    char *copy = lang > 0 && lang < TS_I18N_LANGS && at ? malloc(len) : NULL;
    const char *code = ts_i18n_langs[copy ? lang : 0]; /* no copy: the page as built */
    if (copy) {
        memcpy(copy, page, len);
        memcpy(copy + (at - (const char *)page) + 12, code, 2); /* <html lang=" is 12 bytes */
    }
    char extra[1400];
    snprintf(extra, sizeof(extra), "%sContent-Language: %s\r\nVary: Accept-Language\r\n", headers,
             code);
    ts_http_respond(ex, 200, "text/html; charset=utf-8", extra, copy ? copy : (const char *)page,
                    len);
    free(copy);
}
