/*
 * clock.c - wall and monotonic time without time_t arithmetic (clock.h).
 *
 * Calendar conversion uses Howard Hinnant's days-from-civil algorithm in
 * int64, so it is right on 32-bit ARM whatever time_t is.
 */
#include "core/clock.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* TEST ONLY: with TILLSYNC_TEST_CLOCK_OFFSET_FILE naming a file that holds
 * a signed number of ms, the wall clock is shifted by it (read on every
 * call), so a test can step the clock of a running agent. Unset in
 * production, where this costs one getenv. */
static int64_t test_offset_ms(void)
{
    const char *path = getenv("TILLSYNC_TEST_CLOCK_OFFSET_FILE");
    if (!path)
        return 0;
    FILE *f = fopen(path, "r");
    long long off = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%lld", &off) != 1)
        off = 0;
    fclose(f);
    return (int64_t)off;
}

int64_t ts_wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000 + test_offset_ms();
}

int64_t ts_run_ms(void)
{
    static int anchored;
    static int64_t anchor_wall;
    static uint64_t anchor_mono;
    if (!anchored) {
        anchor_wall = ts_wall_ms();
        if (anchor_wall < TS_TIME_FLOOR_MS) /* a box without RTC, before NTP */
            anchor_wall = TS_TIME_FLOOR_MS;
        anchor_mono = ts_mono_ms();
        anchored = 1;
    }
    return anchor_wall + (int64_t)(ts_mono_ms() - anchor_mono);
}

uint64_t ts_mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void format_rfc3339(int64_t wall_ms, char *out, int with_ms)
{
    int64_t secs = wall_ms >= 0 ? wall_ms / 1000 : (wall_ms - 999) / 1000;
    int ms = (int)(wall_ms - secs * 1000);
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int hh = (int)(rem / 3600), mm = (int)(rem % 3600 / 60), ss = (int)(rem % 60);
    char tmp[96]; /* roomy for any int64 year; the result is cut to TS_RFC3339_LEN */
    if (with_ms)
        snprintf(tmp, sizeof(tmp), "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d, hh,
                 mm, ss, ms);
    else
        snprintf(tmp, sizeof(tmp), "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, hh, mm,
                 ss);
    snprintf(out, TS_RFC3339_LEN, "%.31s", tmp);
}

void ts_format_rfc3339_ms(int64_t wall_ms, char *out)
{
    format_rfc3339(wall_ms, out, 1);
}

void ts_format_rfc3339_s(int64_t wall_ms, char *out)
{
    format_rfc3339(wall_ms, out, 0);
}

/* Reads exactly n digits; -1 when any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int ts_parse_odoo_datetime(const char *s, int64_t *wall_ms)
{
    /* "YYYY-MM-DD HH:MM:SS", UTC, one-second resolution. */
    if (strlen(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' ||
        s[16] != ':')
        return TS_EINVAL;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
        se < 0 || se > 60)
        return TS_EINVAL;
    int64_t days = ts_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *wall_ms = ((days * 86400) + h * 3600 + mi * 60 + se) * 1000;
    return 0;
}

int ts_parse_http_date(const char *s, size_t len, int64_t *wall_ms)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    while (len > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len > 0 &&
           (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' || s[len - 1] == '\n'))
        len--;
    /* "Sun, 06 Nov 1994 08:49:37 GMT": 29 bytes, fixed positions. */
    if (len != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s[19] != ':' || s[22] != ':' || memcmp(s + 25, " GMT", 4) != 0)
        return TS_EINVAL;
    int mo = 0;
    for (int i = 0; i < 12; i++)
        if (memcmp(s + 8, months + 3 * i, 3) == 0)
            mo = i + 1;
    int d = digits(s + 5, 2), y = digits(s + 12, 4);
    int h = digits(s + 17, 2), mi = digits(s + 20, 2), se = digits(s + 23, 2);
    if (mo == 0 || y < 0 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 ||
        se > 60)
        return TS_EINVAL;
    int64_t days = ts_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *wall_ms = ((days * 86400) + h * 3600 + mi * 60 + se) * 1000;
    return 0;
}
