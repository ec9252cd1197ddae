/*
 * crypto.c - the only file that calls mbedTLS (see crypto.h).
 *
 * mbedTLS 2.28 and 3.6 differ in a few places; each difference is a
 * helper in mbedtls_compat.h, the one file that tests the version.
 */
#include "core/strutil.h"
#include "crypto/crypto.h"
#include "core/clock.h"
#include "core/error.h"

#include <mbedtls/platform_util.h>
#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "crypto/mbedtls_compat.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct ts_sha256_ctx {
    mbedtls_sha256_context c;
};

ts_sha256_ctx *ts_sha256_new(void)
{
    ts_sha256_ctx *c = malloc(sizeof(*c));
    if (!c)
        return NULL;
    mbedtls_sha256_init(&c->c);
    ts_mbed_sha256_starts(&c->c, 0);
    return c;
}

void ts_sha256_update(ts_sha256_ctx *c, const void *data, size_t len)
{
    ts_mbed_sha256_update(&c->c, data, len);
}

void ts_sha256_finish(ts_sha256_ctx *c, uint8_t out[32])
{
    ts_mbed_sha256_finish(&c->c, out);
    mbedtls_sha256_free(&c->c);
    free(c);
}

void ts_sha256(const void *data, size_t len, uint8_t out[32])
{
    mbedtls_sha256_context c;
    mbedtls_sha256_init(&c);
    ts_mbed_sha256_starts(&c, 0);
    ts_mbed_sha256_update(&c, data, len);
    ts_mbed_sha256_finish(&c, out);
    mbedtls_sha256_free(&c);
}

void ts_hex32(const uint8_t in[32], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[64] = '\0';
}

int ts_unhex32(const char *hex, uint8_t out[32])
{
    if (strlen(hex) != 64)
        return TS_EINVAL;
    for (int i = 0; i < 32; i++) {
        int hi = ts_hex_digit(hex[2 * i]), lo = ts_hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return TS_EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

void ts_zeroize(void *p, size_t n)
{
    mbedtls_platform_zeroize(p, n);
}

/* ---- Base64 and update signatures ---- */

int ts_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    *out_len = 0;
    int rc = mbedtls_base64_decode(out, out_cap, out_len, (const unsigned char *)in, in_len);
    if (rc == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL)
        return TS_ETOOBIG;
    return rc == 0 ? 0 : TS_EINVAL;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
say(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* mbedTLS's own words for an error code, for the tail of a message. */
static const char *mbed_words(int rc, char *buf, size_t len)
{
    mbedtls_strerror(rc, buf, len);
    return buf;
}

/* A DER ECDSA P-256 signature is at most 72 bytes; leave room for slack. */
#define TS_SIG_MAX 160

int ts_verify_update_signature(const char *sig_b64, const uint8_t digest[32],
                               const char *pubkey_file, char *err, size_t errlen)
{
    uint8_t sig[TS_SIG_MAX];
    size_t sig_len;
    char words[128];
    if (ts_base64_decode(sig_b64, strlen(sig_b64), sig, sizeof(sig), &sig_len) != 0 ||
        sig_len == 0) {
        say(err, errlen, "the update's signature is not base64 of a DER ECDSA signature");
        return TS_EINVAL;
    }
    if (!ts_mbed_psa_ready()) {
        say(err, errlen, "cannot check the update's signature: crypto set-up failed");
        return TS_EIO;
    }
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int ret = TS_EIO;
    int rc = mbedtls_pk_parse_public_keyfile(&pk, pubkey_file);
    if (rc != 0) {
        say(err, errlen, "cannot read update.public_key_file %s: %s", pubkey_file,
            mbed_words(rc, words, sizeof(words)));
        goto done;
    }
    if (ts_mbed_pk_curve(&pk) != MBEDTLS_ECP_DP_SECP256R1) {
        say(err, errlen, "update.public_key_file %s is not an ECDSA P-256 public key", pubkey_file);
        goto done;
    }
    rc = mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, digest, 32, sig, sig_len);
    if (rc != 0) {
        say(err, errlen, "the update's signature does not match update.public_key_file");
        ret = TS_EINVAL;
        goto done;
    }
    ret = 0;
done:
    mbedtls_pk_free(&pk);
    return ret;
}

/* ---- TLS: the shared configuration ---- */

struct ts_tls_config {
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt own;
    mbedtls_pk_context key;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    char peer[32];    /* "central" */
    char setting[64]; /* "central" as in "central.ca_file" */
    int64_t not_after_ms;
};

int ts_check_key_file(const char *setting_name, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        say(err, errlen, "%s: cannot read %s: %s", setting_name, path, strerror(errno));
        return TS_EIO;
    }
    if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
        say(err, errlen,
            "%s: %s can be %s by group or others (mode %03o); a private key must be "
            "private: run chmod 600 %s",
            setting_name, path, st.st_mode & (S_IRGRP | S_IROTH) ? "read" : "changed",
            (unsigned)(st.st_mode & 0777), path);
        return TS_EIO;
    }
    return 0;
}

/* notAfter of an x509 time as wall ms, computed from its calendar fields
 * (a 32-bit time_t would overflow in 2038; certificates run past that). */
static int64_t x509_time_ms(const mbedtls_x509_time *t)
{
    int64_t days = ts_days_from_civil(t->year, (unsigned)t->mon, (unsigned)t->day);
    int64_t s = ((days * 24 + t->hour) * 60 + t->min) * 60 + t->sec;
    return s * 1000;
}

/* Loads the three files; 0 or a TS_E* code with err filled. */
static int load_files(ts_tls_config *c, const ts_tls_config_options *opt, char *err, size_t errlen)
{
    char words[128];
    int rc = mbedtls_x509_crt_parse_file(&c->ca, opt->ca_file);
    if (rc < 0 || c->ca.version == 0) {
        say(err, errlen, "%s.ca_file: cannot load %s: %s", c->setting, opt->ca_file,
            rc < 0 ? mbed_words(rc, words, sizeof(words)) : "no certificate in it");
        return TS_EIO;
    }
    rc = mbedtls_x509_crt_parse_file(&c->own, opt->cert_file);
    if (rc != 0) {
        say(err, errlen, "%s.cert_file: cannot load %s: %s", c->setting, opt->cert_file,
            rc < 0 ? mbed_words(rc, words, sizeof(words)) : "not a PEM certificate");
        return TS_EIO;
    }
    rc = ts_mbed_parse_keyfile(&c->key, opt->key_file, &c->drbg);
    if (rc != 0) {
        say(err, errlen, "%s.key_file: cannot load %s: %s", c->setting, opt->key_file,
            mbed_words(rc, words, sizeof(words)));
        return TS_EIO;
    }
    if (ts_mbed_check_pair(&c->own.pk, &c->key, &c->drbg) != 0) {
        say(err, errlen, "%s.key_file %s is not the key of %s.cert_file %s", c->setting,
            opt->key_file, c->setting, opt->cert_file);
        return TS_ETLS;
    }
    c->not_after_ms = x509_time_ms(&c->own.valid_to);
    return 0;
}

static int setup_ssl_config(ts_tls_config *c, char *err, size_t errlen)
{
    int rc = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT,
                                         MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc == 0)
        rc = mbedtls_ssl_conf_own_cert(&c->conf, &c->own, &c->key);
    if (rc != 0) {
        char words[128];
        say(err, errlen, "TLS set-up failed: %s", mbed_words(rc, words, sizeof(words)));
        return TS_ETLS;
    }
    mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
    mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
    ts_mbed_min_tls12(&c->conf);
    return 0;
}

static int seed_rng(ts_tls_config *c, char *err, size_t errlen)
{
    static const char personal[] = "tillsync tls client";
    if (!ts_mbed_psa_ready()) {
        say(err, errlen, "TLS set-up failed: psa_crypto_init");
        return TS_ETLS;
    }
    int rc = mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy,
                                   (const unsigned char *)personal, sizeof(personal) - 1);
    if (rc != 0) {
        say(err, errlen, "TLS set-up failed: no entropy for the random generator");
        return TS_ETLS;
    }
    return 0;
}

static void copy_label(char *dst, size_t cap, const char *src, const char *fallback)
{
    snprintf(dst, cap, "%s", src && *src ? src : fallback);
}

int ts_tls_config_new(ts_tls_config **out, const ts_tls_config_options *opt, char *err,
                      size_t errlen)
{
    *out = NULL;
    ts_tls_config *c = calloc(1, sizeof(*c));
    if (!c) {
        say(err, errlen, "out of memory");
        return TS_ENOMEM;
    }
    mbedtls_ssl_config_init(&c->conf);
    mbedtls_x509_crt_init(&c->ca);
    mbedtls_x509_crt_init(&c->own);
    mbedtls_pk_init(&c->key);
    mbedtls_entropy_init(&c->entropy);
    mbedtls_ctr_drbg_init(&c->drbg);
    copy_label(c->peer, sizeof(c->peer), opt->peer, "the server");
    copy_label(c->setting, sizeof(c->setting), opt->setting, "tls");

    char key_setting[96];
    snprintf(key_setting, sizeof(key_setting), "%s.key_file", c->setting);
    int rc = ts_check_key_file(key_setting, opt->key_file, err, errlen);
    if (rc == 0)
        rc = seed_rng(c, err, errlen);
    if (rc == 0)
        rc = load_files(c, opt, err, errlen);
    if (rc == 0)
        rc = setup_ssl_config(c, err, errlen);
    if (rc != 0) {
        ts_tls_config_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void ts_tls_config_free(ts_tls_config *c)
{
    if (!c)
        return;
    mbedtls_ssl_config_free(&c->conf);
    mbedtls_x509_crt_free(&c->ca);
    mbedtls_x509_crt_free(&c->own);
    mbedtls_pk_free(&c->key);
    mbedtls_ctr_drbg_free(&c->drbg);
    mbedtls_entropy_free(&c->entropy);
    free(c);
}

int64_t ts_tls_config_cert_not_after_ms(const ts_tls_config *c)
{
    return c ? c->not_after_ms : 0;
}

/* ---- TLS: one session over memory buffers ---- */

/* Bound on ciphertext fed but not yet decrypted: the caller reads after
 * every feed, so more than this means it is not reading. */
#define TS_TLS_MAX_PENDING_IN (1u << 20)

struct ts_tls_session {
    mbedtls_ssl_context ssl;
    ts_tls_config *cfg;
    char *in; /* ciphertext received, not yet consumed: in[in_off..in_len) */
    size_t in_len, in_off, in_cap;
    char *out; /* ciphertext to send */
    size_t out_len, out_cap;
    char host[256];
    char reason[TS_TLS_REASON_MAX];
};

static int grow(char **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    char *q = realloc(*p, n);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* mbedTLS writes a record: keep it for the caller to send. */
static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    ts_tls_session *s = ctx;
    if (grow(&s->out, &s->out_cap, s->out_len + len) != 0)
        return MBEDTLS_ERR_SSL_ALLOC_FAILED;
    memcpy(s->out + s->out_len, buf, len);
    s->out_len += len;
    return (int)len;
}

/* mbedTLS wants bytes: give what was fed, or "want read" when none. */
static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    ts_tls_session *s = ctx;
    size_t avail = s->in_len - s->in_off;
    if (avail == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    size_t n = avail < len ? avail : len;
    memcpy(buf, s->in + s->in_off, n);
    s->in_off += n;
    if (s->in_off == s->in_len)
        s->in_off = s->in_len = 0;
    return (int)n;
}

int ts_tls_session_new(ts_tls_session **out, ts_tls_config *cfg, const char *host)
{
    *out = NULL;
    ts_tls_session *s = calloc(1, sizeof(*s));
    if (!s)
        return TS_ENOMEM;
    s->cfg = cfg;
    snprintf(s->host, sizeof(s->host), "%s", host);
    mbedtls_ssl_init(&s->ssl);
    /* The host name is always set: it is what the certificate is checked
     * against (and the SNI sent). */
    if (mbedtls_ssl_setup(&s->ssl, &cfg->conf) != 0 ||
        mbedtls_ssl_set_hostname(&s->ssl, host) != 0) {
        ts_tls_session_free(s);
        return TS_ENOMEM;
    }
    mbedtls_ssl_set_bio(&s->ssl, s, bio_send, bio_recv, NULL);
    *out = s;
    return 0;
}

void ts_tls_session_free(ts_tls_session *s)
{
    if (!s)
        return;
    mbedtls_ssl_free(&s->ssl);
    free(s->in);
    free(s->out);
    free(s);
}

int ts_tls_feed(ts_tls_session *s, const void *data, size_t len)
{
    if (len > TS_TLS_MAX_PENDING_IN - (s->in_len - s->in_off))
        return TS_ETOOBIG;
    if (s->in_off > 0) { /* slide the unread bytes to the front */
        memmove(s->in, s->in + s->in_off, s->in_len - s->in_off);
        s->in_len -= s->in_off;
        s->in_off = 0;
    }
    if (grow(&s->in, &s->in_cap, s->in_len + len) != 0)
        return TS_ENOMEM;
    memcpy(s->in + s->in_len, data, len);
    s->in_len += len;
    return 0;
}

void ts_tls_take_output(ts_tls_session *s, char **data, size_t *len)
{
    *data = s->out_len ? s->out : NULL;
    *len = s->out_len;
    if (s->out_len) {
        s->out = NULL;
        s->out_len = s->out_cap = 0;
    }
}

/* The first verification problem that explains the refusal, in words. */
static void describe_verify(ts_tls_session *s, uint32_t flags)
{
    const char *peer = s->cfg->peer, *setting = s->cfg->setting;
    char *r = s->reason;
    size_t n = sizeof(s->reason);
    if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        say(r, n, "%s's certificate is not signed by a CA in %s.ca_file", peer, setting);
    else if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
        say(r, n, "%s's certificate has expired", peer);
    else if (flags & MBEDTLS_X509_BADCERT_FUTURE)
        say(r, n, "%s's certificate is not valid yet (is this box's clock right?)", peer);
    else if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
        say(r, n, "%s's certificate is for another host name (expected %s)", peer, s->host);
    else if (flags & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE))
        say(r, n, "%s's certificate is not meant for a TLS server", peer);
    else {
        char info[160];
        int len = mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
        if (len > 0 && info[len - 1] == '\n')
            info[len - 1] = '\0';
        say(r, n, "%s's certificate was rejected: %s", peer, len > 0 ? info : "unknown");
    }
}

/* The peer ended the handshake with a fatal alert: say what it means. */
static void describe_alert(ts_tls_session *s)
{
    /* No accessor exists for the alert's description in 2.28 or 3.6: read
     * it from the record that carried it (still in the input buffer). */
    int alert = s->ssl.MBEDTLS_PRIVATE(in_msg)[1];
    const char *peer = s->cfg->peer;
    switch (alert) {
    case MBEDTLS_SSL_ALERT_MSG_BAD_CERT:
    case MBEDTLS_SSL_ALERT_MSG_UNSUPPORTED_CERT:
    case MBEDTLS_SSL_ALERT_MSG_CERT_REVOKED:
    case MBEDTLS_SSL_ALERT_MSG_CERT_EXPIRED:
    case MBEDTLS_SSL_ALERT_MSG_CERT_UNKNOWN:
    case MBEDTLS_SSL_ALERT_MSG_UNKNOWN_CA:
    case MBEDTLS_SSL_ALERT_MSG_ACCESS_DENIED:
    case 116: /* certificate_required (TLS 1.3) */
        say(s->reason, sizeof(s->reason), "%s refused our client certificate (TLS alert %d)", peer,
            alert);
        break;
    case MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION:
        say(s->reason, sizeof(s->reason), "%s does not accept TLS 1.2 or newer", peer);
        break;
    case MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE:
        say(s->reason, sizeof(s->reason),
            "%s refused the TLS handshake (no common cipher suite, or it refused our "
            "client certificate)",
            peer);
        break;
    default:
        say(s->reason, sizeof(s->reason), "%s ended the TLS session with alert %d", peer, alert);
    }
}

/* Turns an mbedTLS failure into TS_ETLS and a reason in plain words. */
static int tls_fail(ts_tls_session *s, int rc)
{
    uint32_t flags = mbedtls_ssl_get_verify_result(&s->ssl);
    if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != 0 && flags != (uint32_t)-1) {
        describe_verify(s, flags);
    } else if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
        describe_alert(s);
    } else {
        char words[128];
        say(s->reason, sizeof(s->reason), "TLS with %s failed: %s (-0x%04x)", s->cfg->peer,
            mbed_words(rc, words, sizeof(words)), (unsigned)-rc);
    }
    return TS_ETLS;
}

static int wants_io(int rc)
{
    return rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE;
}

int ts_tls_handshake(ts_tls_session *s, int *done)
{
    *done = 0;
    int rc = mbedtls_ssl_handshake(&s->ssl);
    if (rc == 0) {
        *done = 1;
        return 0;
    }
    return wants_io(rc) ? 0 : tls_fail(s, rc);
}

int ts_tls_write(ts_tls_session *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        /* The output is memory: a write never waits, it may only take
         * less than all (one record at a time). */
        int rc = mbedtls_ssl_write(&s->ssl, p, len);
        if (rc <= 0)
            return tls_fail(s, rc == 0 ? MBEDTLS_ERR_SSL_INTERNAL_ERROR : rc);
        p += rc;
        len -= (size_t)rc;
    }
    return 0;
}

int ts_tls_read(ts_tls_session *s, void *buf, size_t cap, size_t *got)
{
    *got = 0;
    for (;;) {
        int rc = mbedtls_ssl_read(&s->ssl, buf, cap);
        if (rc > 0) {
            *got = (size_t)rc;
            return 0;
        }
        if (wants_io(rc))
            return 0;
        if (ts_mbed_is_ticket(rc))
            continue; /* TLS 1.3 tickets: we do not resume sessions */
        if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            say(s->reason, sizeof(s->reason), "%s closed the connection", s->cfg->peer);
            return TS_ECONN;
        }
        return tls_fail(s, rc);
    }
}

int ts_tls_is_tls13(const ts_tls_session *s)
{
    return ts_mbed_is_tls13(&s->ssl);
}

void ts_tls_close_notify(ts_tls_session *s)
{
    (void)mbedtls_ssl_close_notify(&s->ssl);
}

const char *ts_tls_reason(const ts_tls_session *s)
{
    return s->reason;
}

int ts_digest_eq(const unsigned char a[32], const unsigned char b[32])
{
    unsigned diff = 0; /* constant time: no early exit on the first mismatch */
    for (int i = 0; i < 32; i++)
        diff |= (unsigned)(a[i] ^ b[i]);
    return diff == 0;
}
