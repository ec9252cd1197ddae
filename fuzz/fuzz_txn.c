/*
 * fuzz_txn.c - libFuzzer target for the txn validator and the batch
 * splitter: arbitrary bytes must give a clean verdict, never a crash, a
 * leak or a read outside the input (ASan sees it: the input is copied to
 * an exact-size heap block).
 *
 * Beyond "no crash" it checks what callers rely on: an error always has a
 * status, a code and NUL-terminated texts; a valid txn has 1-500 moves with
 * qty > 0; the digest does not depend on anything but the bytes; every
 * batch span lies inside the body, starts and ends on a non-blank byte,
 * and is judged on its own without trouble.
 */
#include "sale/txn.h"

#include <stdlib.h>
#include <string.h>

static void check_error(const ts_txn_error *err)
{
    if (err->status != 400 && err->status != 413 && err->status != 422 && err->status != 500)
        abort();
    if (!err->code || !err->code[0])
        abort();
    if (!memchr(err->message, '\0', sizeof(err->message)) ||
        !memchr(err->field, '\0', sizeof(err->field)))
        abort();
}

static void judge(const char *body, size_t len)
{
    ts_txn_info info, again;
    ts_txn_error err;
    if (ts_txn_validate(body, len, &info, &err) != 0) {
        check_error(&err);
        if (info.moves || info.n_moves)
            abort();
        return;
    }
    if (info.n_moves < 1 || info.n_moves > TS_TXN_MAX_LINES || info.txn_id[0] == '\0')
        abort();
    for (size_t i = 0; i < info.n_moves; i++)
        if (info.moves[i].qty_milli <= 0 || info.moves[i].sku[0] == '\0')
            abort();
    if (ts_txn_validate(body, len, &again, &err) != 0 ||
        memcmp(info.digest, again.digest, sizeof(info.digest)) != 0)
        abort();
    ts_txn_info_free(&again);
    ts_txn_info_free(&info);
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void split(const char *body, size_t len)
{
    static ts_span spans[TS_BATCH_MAX];
    ts_txn_error err;
    size_t n = 0;
    if (ts_txn_batch_split(body, len, spans, TS_BATCH_MAX, &n, &err) != 0) {
        check_error(&err);
        if (n != 0)
            abort();
        return;
    }
    if (n < 1 || n > TS_BATCH_MAX)
        abort();
    for (size_t i = 0; i < n; i++) {
        const ts_span *s = &spans[i];
        if (s->len == 0 || s->off > len || s->len > len - s->off)
            abort();
        if (is_blank(body[s->off]) || is_blank(body[s->off + s->len - 1]))
            abort();
        if (i > 0 && s->off < spans[i - 1].off + spans[i - 1].len)
            abort();
        /* An exact-size copy, so ASan catches a read past the span. */
        char *elem = malloc(s->len);
        if (!elem)
            abort();
        memcpy(elem, body + s->off, s->len);
        judge(elem, s->len);
        free(elem);
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    judge(body, size);
    split(body, size);
    free(body);
    return 0;
}
