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

#include "central/update.h"
#include "odoo/odoo.h"
#include "report/i18n.h"

/* A source file's text (static: one at a time). */
static const char *read_source(const char *rel)
{
    char path[1024];
    const char *src = getenv("TS_SOURCE_DIR") ? getenv("TS_SOURCE_DIR") : TS_SOURCE_DIR;
    snprintf(path, sizeof(path), "%s/%s", src, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    static char text[256 * 1024];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    return text;
}

static cJSON *load_table(const char *lang)
{
    char path[64];
    snprintf(path, sizeof(path), "agent/www/i18n/%s.json", lang);
    const char *text = read_source(path);
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

static int has_key(const cJSON *table, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(table, key);
    if (!cJSON_IsString(v))
        fprintf(stderr, "en.json: no \"%s\"\n", key);
    return cJSON_IsString(v);
}

/* Every issue code the headline can raise (report/headline.c), every update
 * state (central/update.h) and every Odoo state (odoo/odoo.h) has its words;
 * the other tables follow from test_tables_complete. */
static void test_codes_have_words(void **state)
{
    (void)state;
    cJSON *en = load_table("en");
    int failures = 0, codes = 0;
    const char *text = read_source("agent/report/headline.c");
    for (const char *p = strstr(text, "add_issue(h, TS_LEVEL_"); p;
         p = strstr(p + 1, "add_issue(h, TS_LEVEL_")) {
        const char *q = strchr(p, '"'), *end = q ? strchr(q + 1, '"') : NULL;
        char key[96], todo[100];
        assert_non_null(end);
        snprintf(key, sizeof(key), "issue.%.*s", (int)(end - q - 1), q + 1);
        snprintf(todo, sizeof(todo), "%s.do", key);
        failures += !has_key(en, key) + !has_key(en, todo);
        codes++;
    }
    assert_true(codes >= 17); /* as many as headline.c had when this was written */
    for (int s = TS_UPDATE_IDLE + 1; s < TS_UPDATE_STATE_COUNT; s++) {
        char key[64];
        snprintf(key, sizeof(key), "update.%s", ts_update_state_name((ts_update_state_id)s));
        failures += !has_key(en, key);
    }
    for (int s = TS_ODOO_NEVER + 1; s < TS_ODOO_STATES; s++) { /* never: "no copy yet" */
        char key[64];
        snprintf(key, sizeof(key), "odoo.%s", ts_odoo_state_name((ts_odoo_state)s));
        failures += !has_key(en, key);
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
        cmocka_unit_test(test_codes_have_words),
        cmocka_unit_test(test_accept_language),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
