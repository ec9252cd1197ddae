/*
 * txn.h - judging a POS txn body (spec: pos-api.md), no I/O, fuzzable.
 *
 * ts_txn_validate() applies every rule of POST /v1/transactions to the raw
 * bytes the POS sent and, when they pass, fills a ts_txn_info with what the
 * agent needs: the ids, the kind, a digest of the canonical JSON value (for
 * idempotent replays: same value, key order and white space aside, gives
 * the same digest) and the stock moves per line. The bytes themselves are
 * stored and forwarded untouched; the agent never re-prints a txn.
 *
 * ts_txn_batch_split() finds the exact byte span of each element of
 * {"transactions": [...]} so each can be judged and kept as sent.
 */
#ifndef TILLSYNC_TXN_H
#define TILLSYNC_TXN_H

#include <stddef.h>
#include <stdint.h>

#define TS_TXN_ID_MAX 64
#define TS_TXN_MAX_LINES 500
#define TS_TXN_MAX_DEPTH 16
#define TS_BATCH_MAX 500
/* A SKU is 1-64 Unicode code points (pos-api.md), so up to 4 bytes each in
 * UTF-8: TS_SKU_MAX bounds the bytes, TS_SKU_MAX_CHARS the characters. */
#define TS_SKU_MAX_CHARS 64
#define TS_SKU_MAX (4 * TS_SKU_MAX_CHARS)

typedef struct ts_txn_error {
    int status;        /* 400, 422 */
    const char *code;  /* "invalid_qty", "malformed_json", ... (static) */
    char message[192]; /* what a person can act on; never holds card data */
    char field[64];    /* "lines[2].qty", or "" */
} ts_txn_error;

typedef struct ts_txn_move {
    char sku[TS_SKU_MAX + 1];
    int64_t qty_milli; /* qty in thousandths, > 0 */
} ts_txn_move;

/* A refused txn's txn_id is echoed as sent when it was a string of at most
 * this many bytes (a batch result names every txn; longer ones are null). */
#define TS_SENT_ID_MAX 256

typedef struct ts_txn_info {
    char txn_id[TS_TXN_ID_MAX + 1];
    char sent_txn_id[TS_SENT_ID_MAX + 1]; /* refused txns: txn_id as sent */
    int has_sent_txn_id;                  /* it was a string that fit */
    char register_id[33];
    int is_return;
    uint8_t digest[32]; /* SHA-256 of the canonical form */
    size_t n_moves;
    ts_txn_move *moves; /* n_moves items, owned; free with ts_txn_info_free */
} ts_txn_info;

typedef struct ts_span {
    size_t off;
    size_t len;
} ts_span;

/* 0 when valid (info filled, free it with ts_txn_info_free), else
 * TS_EINVAL with err filled: nothing is left allocated, info->txn_id
 * holds the body's txn_id when that field is valid, else "", and
 * info->sent_txn_id the txn_id as sent when it was a string (a batch
 * answer names each result's txn_id, pos-api.md). The first failure
 * in this order is reported: JSON (400 malformed_json, also for nesting
 * deeper than TS_TXN_MAX_DEPTH), card data (422 card_data_forbidden),
 * a key twice in one object (422 duplicate_key), then the fields in the
 * spec's order. TS_ENOMEM (err: 500 internal_error) when memory ran out.
 * Decisions where the spec is silent: docs/pos-api-decisions.md. */
int ts_txn_validate(const char *body, size_t len, ts_txn_info *info, ts_txn_error *err);
void ts_txn_info_free(ts_txn_info *info);

/* 0 with spans[0..*n) set, or TS_EINVAL: 400 malformed_json, 422
 * invalid_batch when not {"transactions": [..]} with at least one item (or
 * "transactions" given twice), 422 too_many_transactions over max items.
 * Each span runs from an element's first byte to its last (no white
 * space). Other top-level members are ignored. An element may nest 16
 * levels; each is judged on its own with ts_txn_validate. */
int ts_txn_batch_split(const char *body, size_t len, ts_span *spans, size_t max, size_t *n,
                       ts_txn_error *err);

/* 1 when s holds a 13-19 digit run (spaces or dashes between digits allowed)
 * that passes the Luhn check. A run is maximal: digits joined by single
 * spaces or dashes; a run of 20 or more digits is not a card number. */
int ts_has_card_number(const char *s, size_t len);

#endif
