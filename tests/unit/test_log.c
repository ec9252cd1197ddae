/*
 * test_log.c - the log lines are logfmt: every value a parser reads back is
 * the value that was logged, whatever quotes, spaces, equals signs,
 * backslashes or newlines it holds, and one event is one line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

/* Runs one ts_log call with stderr sent to a file; returns the text. */
static char *capture(void (*emit)(void *), void *arg)
{
    static char text[8192];
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), 2) >= 0);
    emit(arg);
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    rewind(tmp);
    size_t n = fread(text, 1, sizeof(text) - 1, tmp);
    text[n] = '\0';
    fclose(tmp);
    return text;
}

/* A logfmt reader (the go-logfmt rules): key=bare or key="quoted" with \"
 * \\ \n \r \t escapes. Finds key's value in line; 0 when found. */
static int logfmt_get(const char *line, const char *key, char *out, size_t cap)
{
    const char *p = line;
    while (*p && *p != '\n') {
        while (*p == ' ')
            p++;
        const char *k = p;
        while (*p && *p != '=' && *p != ' ' && *p != '\n')
            p++;
        size_t klen = (size_t)(p - k);
        if (*p != '=')
            return -1;
        p++;
        size_t n = 0;
        if (*p == '"') {
            for (p++; *p && *p != '"'; p++) {
                char c = *p;
                if (c == '\n')
                    return -1; /* a raw newline inside a value: not one line */
                if (c == '\\') {
                    p++;
                    c = *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p == 't' ? '\t' : *p;
                }
                if (n + 1 < cap)
                    out[n++] = c;
            }
            if (*p != '"')
                return -1;
            p++;
        } else {
            for (; *p && *p != ' ' && *p != '\n'; p++)
                if (n + 1 < cap)
                    out[n++] = *p;
        }
        out[n] = '\0';
        if (klen == strlen(key) && memcmp(k, key, klen) == 0)
            return 0;
    }
    return -1;
}

static const char *const hostile[] = {
    "plain",     "two words", "say \"hi\"", "a=b",   "back\\slash", "line\nbreak",
    "tab\there", "",          "\"",         "end\\", "=",
};

static void emit_reason(void *arg)
{
    ts_warn("test.event", "n=%d reason=%s tail=%s", 7, (const char *)arg, "x");
}

static void emit_old_style(void *arg)
{
    ts_warn("test.event", "reason=\"%s\" n=%llu", (const char *)arg, 12345678901234ULL);
}

static void values_round_trip(void **state)
{
    (void)state;
    char got[512];
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        char *line = capture(emit_reason, (void *)hostile[i]);
        assert_int_equal(strchr(line, '\n') - line + 1, (long)strlen(line)); /* one line */
        assert_int_equal(logfmt_get(line, "reason", got, sizeof(got)), 0);
        assert_string_equal(got, hostile[i]);
        assert_int_equal(logfmt_get(line, "n", got, sizeof(got)), 0);
        assert_string_equal(got, "7");
        assert_int_equal(logfmt_get(line, "tail", got, sizeof(got)), 0);
        assert_string_equal(got, "x");
        assert_int_equal(logfmt_get(line, "level", got, sizeof(got)), 0);
        assert_string_equal(got, "warn");
    }
}

static void quoted_format_means_the_same(void **state)
{
    (void)state;
    char got[512];
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        char *line = capture(emit_old_style, (void *)hostile[i]);
        assert_int_equal(logfmt_get(line, "reason", got, sizeof(got)), 0);
        assert_string_equal(got, hostile[i]);
        assert_int_equal(logfmt_get(line, "n", got, sizeof(got)), 0);
        assert_string_equal(got, "12345678901234");
    }
}

static void emit_long(void *arg)
{
    ts_warn("test.event", "big=%s", (const char *)arg);
}

static void a_huge_value_is_cut_to_one_line(void **state)
{
    (void)state;
    static char big[10000];
    memset(big, 'a', sizeof(big) - 1);
    big[100] = '\n';
    char *line = capture(emit_long, big);
    size_t n = strlen(line);
    assert_true(n > 100 && n <= 4096);
    assert_int_equal(line[n - 1], '\n');
    assert_null(memchr(line, '\n', n - 1));
}

static void emit_debug(void *arg)
{
    (void)arg;
    ts_debug("test.hidden", "x=1");
}

static void level_filters(void **state)
{
    (void)state;
    ts_log_set_level(TS_LOG_INFO);
    assert_string_equal(capture(emit_debug, NULL), "");
    ts_log_set_level(TS_LOG_DEBUG);
    assert_non_null(strstr(capture(emit_debug, NULL), "event=test.hidden x=1\n"));
    ts_log_set_level(TS_LOG_INFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_round_trip),
        cmocka_unit_test(quoted_format_means_the_same),
        cmocka_unit_test(a_huge_value_is_cut_to_one_line),
        cmocka_unit_test(level_filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
