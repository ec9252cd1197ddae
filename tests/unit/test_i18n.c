/*
 * test_i18n.c - the page's languages: every word table has every key of
 * English with the same {placeholders}, and Accept-Language picks the
 * language a browser asks for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/i18n.h"

static cJSON *load_table(const char *lang)
{
    char path[1024];
    const char *src = getenv("TS_SOURCE_DIR") ? getenv("TS_SOURCE_DIR") : TS_SOURCE_DIR;
    snprintf(path, sizeof(path), "%s/agent/www/i18n/%s.json", src, lang);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("no word table %s", path);
    static char text[256 * 1024];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    cJSON *t = cJSON_Parse(text);
    if (!cJSON_IsObject(t))
        fail_msg("%s is not a JSON object", path);
    return t;
}

/* The {name} placeholders of s, sorted and joined, into out. */
static void placeholders(const char *s, char *out, size_t cap)
{
    const char *names[16];
    size_t lens[16], n = 0;
    for (const char *p = strchr(s, '{'); p && n < 16; p = strchr(p + 1, '{')) {
        const char *end = strchr(p, '}');
        if (!end)
            break;
        names[n] = p + 1;
        lens[n++] = (size_t)(end - p - 1);
    }
    for (size_t i = 1; i < n; i++) { /* insertion sort: a handful at most */
        for (size_t j = i; j > 0 && strncmp(names[j - 1], names[j], 32) > 0; j--) {
            const char *tn = names[j];
            size_t tl = lens[j];
            names[j] = names[j - 1], lens[j] = lens[j - 1];
            names[j - 1] = tn, lens[j - 1] = tl;
        }
    }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), cap - strlen(out), "%.*s,", (int)lens[i], names[i]);
}

static void test_tables_complete(void **state)
{
    (void)state;
    cJSON *en = load_table("en");
    assert_true(cJSON_GetArraySize(en) > 100);
    int failures = 0;
    for (int l = 0; l < TS_I18N_LANGS; l++) {
        cJSON *t = load_table(ts_i18n_langs[l]);
        const cJSON *e;
        cJSON_ArrayForEach(e, en)
        {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, e->string);
            char want[256], got[256];
            if (!cJSON_IsString(v) || !v->valuestring[0]) {
                fprintf(stderr, "%s.json: key \"%s\" missing or empty\n", ts_i18n_langs[l],
                        e->string);
                failures++;
                continue;
            }
            placeholders(e->valuestring, want, sizeof(want));
            placeholders(v->valuestring, got, sizeof(got));
            if (strcmp(want, got) != 0) {
                fprintf(stderr, "%s.json: \"%s\" has placeholders {%s}, English {%s}\n",
                        ts_i18n_langs[l], e->string, got, want);
                failures++;
            }
            if (strstr(v->valuestring, "</")) { /* it is spliced into the page */
                fprintf(stderr, "%s.json: \"%s\" contains </\n", ts_i18n_langs[l], e->string);
                failures++;
            }
        }
        cJSON_ArrayForEach(e, t)
        {
            if (!cJSON_GetObjectItemCaseSensitive(en, e->string)) {
                fprintf(stderr, "%s.json: key \"%s\" is not in en.json\n", ts_i18n_langs[l],
                        e->string);
                failures++;
            }
        }
        cJSON_Delete(t);
    }
    cJSON_Delete(en);
    assert_int_equal(failures, 0);
}

static int pick(const char *h)
{
    return ts_i18n_pick(h, h ? strlen(h) : 0);
}

static void test_accept_language(void **state)
{
    (void)state;
    assert_string_equal(ts_i18n_langs[0], "en");
    assert_int_equal(pick(NULL), 0);
    assert_int_equal(pick(""), 0);
    assert_string_equal(ts_i18n_langs[pick("fr-FR,fr;q=0.9,en;q=0.8")], "fr");
    assert_string_equal(ts_i18n_langs[pick("de-CH")], "de");
    assert_string_equal(ts_i18n_langs[pick("NL-be")], "nl");
    assert_string_equal(ts_i18n_langs[pick("ja, es;q=0.5, en;q=0.4")], "es");
    assert_string_equal(ts_i18n_langs[pick("en;q=0.2, de;q=0.7")], "de");
    assert_string_equal(ts_i18n_langs[pick("fr;q=0, nl;q=0.1")], "nl");
    assert_string_equal(ts_i18n_langs[pick("fr;q=0")], "en"); /* refused, then the default */
    assert_string_equal(ts_i18n_langs[pick("it, *;q=0.5")], "en");
    assert_string_equal(ts_i18n_langs[pick("fra, esperanto, es-419")], "es");
    assert_string_equal(ts_i18n_langs[pick(";;;,,,q=,")], "en");
    char big[4096];
    memset(big, 'x', sizeof(big));
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(pick(big), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_complete),
        cmocka_unit_test(test_accept_language),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
