/*
 * crypto.h - every mbedTLS call of the agent lives behind this header
 * (agent/crypto/crypto.c), so the agent builds against mbedTLS 2.28 (Debian 12)
 * and 3.6 (Debian 13) with the differences in one file.
 *
 * Hashing, signature checks (update.md), and the TLS engine the uplink's
 * stream runs over (tls_stream.h drives it from the libuv loop).
 */
#ifndef TILLSYNC_CRYPTO_H
#define TILLSYNC_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

void ts_sha256(const void *data, size_t len, uint8_t out[32]);

/* Incremental SHA-256 (opaque state; for canonical-form digests and files). */
typedef struct ts_sha256_ctx ts_sha256_ctx;
ts_sha256_ctx *ts_sha256_new(void);
void ts_sha256_update(ts_sha256_ctx *c, const void *data, size_t len);
void ts_sha256_finish(ts_sha256_ctx *c, uint8_t out[32]); /* also frees c */

/* Lower-case hex of 32 bytes into out[65]. */
void ts_hex32(const uint8_t in[32], char out[65]);
/* Parses 64 hex chars; returns 0 or TS_EINVAL. */
int ts_unhex32(const char *hex, uint8_t out[32]);

/* Clears memory that held a secret (a key, a token) in a way the compiler
 * cannot drop, as it may a memset before free. */
void ts_zeroize(void *p, size_t n);

/* ---- Base64 and update signatures (update.md) ---- */

/* Decodes standard base64 (with padding) into out; returns 0, TS_EINVAL
 * (not base64) or TS_ETOOBIG (out too small). */
int ts_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len);

/*
 * Checks an update's signature: sig_b64 is base64 of a DER ECDSA P-256
 * signature over digest (the file's SHA-256), made by the private half of
 * the PEM public key in pubkey_file. Returns 0 when it verifies, TS_EINVAL
 * (bad signature or encoding) or TS_EIO (key file unreadable or not a P-256
 * key), with one line in err saying why.
 */
int ts_verify_update_signature(const char *sig_b64, const uint8_t digest[32],
                               const char *pubkey_file, char *err, size_t errlen);

/* ---- The TLS engine (client side) ----
 *
 * A ts_tls_config holds what every connection shares: the trusted CA, our
 * certificate and key, the random generator. A ts_tls_session is one
 * connection's TLS state. The engine never touches a socket: the caller
 * feeds the ciphertext it read (ts_tls_feed) and sends what the engine
 * wants sent (ts_tls_take_output), so it runs on any event loop.
 *
 * Failures come with a reason in plain words for the status page, naming
 * the peer ("central") and the setting that decides (e.g. central.ca_file).
 */
typedef struct ts_tls_config ts_tls_config;
typedef struct ts_tls_session ts_tls_session;

#define TS_TLS_REASON_MAX 256

typedef struct ts_tls_config_options {
    const char *ca_file;   /* PEM; the only CA trusted */
    const char *cert_file; /* our certificate (PEM) */
    const char *key_file;  /* its key (PEM), must be private to the owner */
    const char *peer;      /* for messages: "central" */
    const char *setting;   /* for messages: "central" -> "central.ca_file" */
} ts_tls_config_options;

/*
 * Refuses a key file that group or others can read (or that is missing),
 * with a message naming the file and the fix (chmod 600). 0 or TS_EIO.
 */
int ts_check_key_file(const char *setting_name, const char *path, char *err, size_t errlen);

/* Loads CA, certificate and key once (checking the key file as above);
 * 0, or TS_EIO/TS_ETLS/TS_ENOMEM with one line in err. */
int ts_tls_config_new(ts_tls_config **out, const ts_tls_config_options *opt, char *err,
                      size_t errlen);
void ts_tls_config_free(ts_tls_config *cfg);
/* Our certificate's notAfter as wall ms (from the x509 fields, no time_t). */
int64_t ts_tls_config_cert_not_after_ms(const ts_tls_config *cfg);

/* A new client session that will check the server's name against host
 * (a DNS name or, as the certificates carry it, an IP address text). */
int ts_tls_session_new(ts_tls_session **out, ts_tls_config *cfg, const char *host);
void ts_tls_session_free(ts_tls_session *s);

/* Ciphertext read from the network; copied. 0 or TS_ENOMEM/TS_ETOOBIG. */
int ts_tls_feed(ts_tls_session *s, const void *data, size_t len);
/* Ciphertext the engine wants sent, if any: the caller owns *data (free()). */
void ts_tls_take_output(ts_tls_session *s, char **data, size_t *len);

/* Advances the handshake. 0 with *done set when it is complete; 0 with
 * *done clear when it needs more input (send the output first); TS_ETLS
 * with ts_tls_reason() on failure. */
int ts_tls_handshake(ts_tls_session *s, int *done);
/* Encrypts all of data into the output. 0 or TS_ETLS. */
int ts_tls_write(ts_tls_session *s, const void *data, size_t len);
/* Decrypts what it can into buf: 0 with *got > 0, or 0 with *got == 0 when
 * it needs more input; TS_ECONN when the peer closed the session
 * (close_notify); TS_ETLS with a reason on failure. */
int ts_tls_read(ts_tls_session *s, void *buf, size_t cap, size_t *got);
/* Queues a close_notify in the output (best effort). */
void ts_tls_close_notify(ts_tls_session *s);
/* 1 once the handshake settled on TLS 1.3 (mbedTLS 3.x): the server may
 * then refuse our certificate after the client's handshake is done. */
int ts_tls_is_tls13(const ts_tls_session *s);
/* Why the last call failed, in plain words ("" when it did not). */
const char *ts_tls_reason(const ts_tls_session *s);

/* Constant-time comparison of two SHA-256 digests: 1 when equal. */
int ts_digest_eq(const unsigned char a[32], const unsigned char b[32]);

#endif
