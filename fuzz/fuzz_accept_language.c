/*
 * fuzz_accept_language.c - the Accept-Language header a browser (or anyone
 * on the store's network) sends with GET / (report/i18n.h). Never a crash
 * or a read past the header's bytes (the input is copied to a buffer of
 * exactly its size, with no NUL after it, so ASan sees any over-read); the
 * answer is always one of the page's languages, and the same bytes always
 * pick the same one.
 */
#include "report/i18n.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *h = malloc(size ? size : 1);
    if (!h)
        return 0;
    memcpy(h, data, size);
    int lang = ts_i18n_pick(h, size);
    if (lang < 0 || lang >= TS_I18N_LANGS || ts_i18n_pick(h, size) != lang)
        abort();
    /* A cut header (a prefix) is read within its own length too. */
    lang = ts_i18n_pick(h, size / 2);
    if (lang < 0 || lang >= TS_I18N_LANGS)
        abort();
    free(h);
    return 0;
}
