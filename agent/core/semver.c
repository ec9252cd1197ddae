/* semver.c - semantic version parsing and precedence (see semver.h). */
#include "core/semver.h"
#include "core/error.h"

#include <stddef.h>
#include <string.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_ident_char(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* A numeric field: digits, no leading zero, fits 32 bits. */
static const char *parse_num(const char *p, uint32_t *out)
{
    const char *start = p;
    uint64_t v = 0;
    while (is_digit(*p)) {
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > UINT32_MAX)
            return NULL;
        p++;
    }
    if (p == start || (*start == '0' && p - start > 1))
        return NULL;
    *out = (uint32_t)v;
    return p;
}

/* Dot-separated identifiers of [0-9A-Za-z-], none empty, up to end. */
static int valid_idents(const char *p, const char *end)
{
    const char *start = p;
    for (; p < end; p++) {
        if (*p == '.') {
            if (p == start)
                return 0;
            start = p + 1;
        } else if (!is_ident_char(*p)) {
            return 0;
        }
    }
    return p > start;
}

int ts_semver_parse(const char *s, ts_semver *out)
{
    memset(out, 0, sizeof(*out));
    size_t n = strlen(s);
    if (n == 0 || n > TS_SEMVER_MAX)
        return TS_EINVAL;
    const char *p = parse_num(s, &out->major);
    if (!p || *p++ != '.' || !(p = parse_num(p, &out->minor)) || *p++ != '.' ||
        !(p = parse_num(p, &out->patch)))
        return TS_EINVAL;
    const char *plus = strchr(p, '+');
    const char *end = plus ? plus : s + n;
    if (plus && !valid_idents(plus + 1, s + n))
        return TS_EINVAL;
    if (*p == '-') {
        if (!valid_idents(p + 1, end))
            return TS_EINVAL;
        memcpy(out->pre, p + 1, (size_t)(end - p - 1));
    } else if (p != end) {
        return TS_EINVAL;
    }
    return 0;
}

static int all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(p[i]))
            return 0;
    return n > 0;
}

/* One pre-release identifier against another (semver.org rule 11). */
static int cmp_ident(const char *a, size_t an, const char *b, size_t bn)
{
    int ad = all_digits(a, an), bd = all_digits(b, bn);
    if (ad && bd) /* numbers: the longer one is larger (no leading zeros) */
        return an != bn ? (an < bn ? -1 : 1) : memcmp(a, b, an);
    if (ad != bd)
        return ad ? -1 : 1; /* numeric identifiers are lower */
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an < bn ? -1 : an > bn);
}

static int cmp_pre(const char *a, const char *b)
{
    if (!*a || !*b) /* a release is higher than any of its pre-releases */
        return *a ? -1 : *b ? 1 : 0;
    while (*a && *b) {
        size_t an = strcspn(a, "."), bn = strcspn(b, ".");
        int c = cmp_ident(a, an, b, bn);
        if (c)
            return c;
        a += an + (a[an] == '.');
        b += bn + (b[bn] == '.');
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int cmp_u32(uint32_t a, uint32_t b)
{
    return a < b ? -1 : a > b;
}

int ts_semver_cmp(const ts_semver *a, const ts_semver *b)
{
    int c = cmp_u32(a->major, b->major);
    if (!c)
        c = cmp_u32(a->minor, b->minor);
    if (!c)
        c = cmp_u32(a->patch, b->patch);
    if (!c)
        c = cmp_pre(a->pre, b->pre);
    return c < 0 ? -1 : c > 0;
}

int ts_semver_cmp_str(const char *a, const char *b, int *out)
{
    ts_semver va, vb;
    if (ts_semver_parse(a, &va) || ts_semver_parse(b, &vb))
        return TS_EINVAL;
    *out = ts_semver_cmp(&va, &vb);
    return 0;
}
