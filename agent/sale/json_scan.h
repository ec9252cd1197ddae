/*
 * json_scan.h - a strict JSON reader over bytes we must keep as they are.
 *
 * cJSON re-prints what it parses and loses where each value sat in the
 * input; the txn validator needs the opposite: every value with its exact
 * byte span, number literals as written (money is judged from the text,
 * never from a double), strict RFC 8259 (valid UTF-8, no trailing bytes,
 * bounded nesting) and a canonical form for replay digests. This module
 * owns that: parsing into a flat node array, decoding strings, sorting
 * object keys (which also finds duplicate keys) and hashing the canonical
 * form. It knows nothing about txns.
 *
 * Nodes are stored in document order (pre-order). A container's members
 * follow it: for an object, key node then value node, for each member; a
 * node's subtree ends at nodes[i].end, so the next sibling of i is
 * nodes[i].end. Walk the children of container c with:
 *
 *   for (uint32_t k = c + 1; k < d->nodes[c].end; k = d->nodes[k].end) ...
 *
 * Lengths and offsets are uint32_t: inputs are bounded far below 4 GiB.
 */
#ifndef TILLSYNC_JSON_SCAN_H
#define TILLSYNC_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* Nesting is bounded so the recursive walks stay shallow whatever the input. */
#define TS_JSON_DEPTH_LIMIT 64

typedef enum {
    TS_JSON_OBJECT = 1,
    TS_JSON_ARRAY,
    TS_JSON_STRING,
    TS_JSON_NUMBER,
    TS_JSON_TRUE,
    TS_JSON_FALSE,
    TS_JSON_NULL
} ts_json_type;

typedef struct ts_json_node {
    uint32_t off;    /* first byte in the source: '{', '[', '"', digit, '-', 't', ... */
    uint32_t len;    /* bytes in the source, quotes and brackets included */
    uint32_t end;    /* index just past this node's stored subtree */
    uint32_t count;  /* members (object) or elements (array) */
    uint32_t link;   /* after ts_json_sort_keys: object -> first key in key order,
                        key -> next key in key order; 0 = none */
    uint8_t type;    /* ts_json_type */
    uint8_t escaped; /* string holds at least one backslash escape */
    uint8_t mark;    /* free for the caller */
} ts_json_node;

typedef struct ts_json_doc {
    const char *src;
    size_t len;
    ts_json_node *nodes; /* nodes[0] is the top-level value */
    uint32_t n;
    uint32_t cap;
    uint32_t max_members; /* largest object, in members */
    uint32_t max_string;  /* longest string, in source bytes */
    uint32_t max_number;  /* longest number literal, in source bytes */
    int partial;          /* some nodes lay deeper than store_level */
} ts_json_doc;

typedef enum {
    TS_JSON_OK = 0,
    TS_JSON_ESYNTAX, /* not JSON (RFC 8259), or invalid UTF-8 */
    TS_JSON_EDEPTH,  /* nests deeper than max_depth */
    TS_JSON_ENOMEM,  /* out of memory */
    TS_JSON_ETOOBIG  /* input of 4 GiB or more */
} ts_json_status;

/*
 * Parses src[0..len) as one JSON text. max_depth bounds nesting (the
 * top-level container is depth 1; at most TS_JSON_DEPTH_LIMIT). Nodes
 * nested in more than store_level containers are checked but not stored:
 * a batch only needs its elements' spans (store_level 2), a txn needs
 * everything (store_level = max_depth). On error, *err_off is the byte
 * offset where reading stopped and the doc holds nothing.
 */
ts_json_status ts_json_parse(ts_json_doc *d, const char *src, size_t len, int max_depth,
                             int store_level, size_t *err_off);
void ts_json_free(ts_json_doc *d);

/* Decodes string node i into out (at most cap bytes, no NUL added);
 * returns the full decoded length, which may exceed cap. */
size_t ts_json_str_decode(const ts_json_doc *d, uint32_t i, char *out, size_t cap);
/* Is string node i, decoded, exactly s[0..n)? */
int ts_json_str_eq(const ts_json_doc *d, uint32_t i, const char *s, size_t n);

/* Value node of the first member of object obj whose key is key, or 0. */
uint32_t ts_json_get(const ts_json_doc *d, uint32_t obj, const char *key);

/*
 * Sorts the keys of every stored object by their decoded bytes (that is,
 * by code point) into the link fields. Returns TS_JSON_OK, TS_JSON_ENOMEM,
 * or TS_JSON_ESYNTAX when some object holds one key twice; then *dup_key
 * is the key node of the second occurrence in the first such object.
 */
ts_json_status ts_json_sort_keys(ts_json_doc *d, uint32_t *dup_key);

/*
 * SHA-256 of the canonical form of the whole document (after a successful
 * ts_json_sort_keys): no white space; object members in key order; strings
 * re-encoded from their decoded value, escaping only '"', '\\' and control
 * characters (\b \f \n \r \t, else \u00xx); numbers by value as
 * [-]DIGITSeEXP (digits without leading or trailing zeros, "e.." left out
 * when EXP is 0, zero always "0"), so 1.5, 1.50 and 15e-1 agree. A number
 * whose exponent has more than 15 significant digits keeps its literal
 * text, prefixed with '~' (no exact value is cheap; '~' keeps it apart).
 * Returns TS_JSON_OK, TS_JSON_ENOMEM, or TS_JSON_ESYNTAX for a document
 * parsed with some levels left unstored (it has no canonical form here).
 */
ts_json_status ts_json_canonical_sha256(const ts_json_doc *d, uint8_t out[32]);

/* The decimal value of number node i: sign * digits * 10^exp10, digits
 * without leading or trailing zeros; ndigits 0 means the value is zero.
 * Read the digits with ts_json_digit(). */
typedef struct ts_json_decimal {
    int negative;
    const char *digits; /* first significant digit, in the source */
    uint32_t ndigits;   /* significant digits */
    uint32_t dot_at;    /* offset of a '.' among them from digits, or UINT32_MAX */
    int64_t exp10;
    int exp_huge; /* the exponent literal has over 15 significant digits:
                     exp10 is not exact, only its sign is meaningful */
} ts_json_decimal;

void ts_json_number(const ts_json_doc *d, uint32_t i, ts_json_decimal *out);
/* The k-th significant digit (0-based, k < ndigits) as 0..9. */
int ts_json_digit(const ts_json_decimal *dec, uint32_t k);

#endif
