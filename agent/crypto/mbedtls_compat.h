/*
 * mbedtls_compat.h - what differs between mbedTLS 2.28 (Debian 12) and 3.6
 * (Debian 13): the one place that looks at MBEDTLS_VERSION_NUMBER. Only
 * crypto.c includes it (the only file that calls mbedTLS); docs/tls.md
 * lists each difference, and CI builds and tests against both.
 */
#ifndef TILLSYNC_MBEDTLS_COMPAT_H
#define TILLSYNC_MBEDTLS_COMPAT_H

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <psa/crypto.h>
#endif

/* 3.x hides struct fields behind MBEDTLS_PRIVATE(); 2.x has them plain. */
#ifndef MBEDTLS_PRIVATE
#define MBEDTLS_PRIVATE(member) member
#endif

/* 2.x has the _ret variants; 3.x renamed them back to the plain names. */
#if MBEDTLS_VERSION_NUMBER < 0x03000000
#define ts_mbed_sha256_starts mbedtls_sha256_starts_ret
#define ts_mbed_sha256_update mbedtls_sha256_update_ret
#define ts_mbed_sha256_finish mbedtls_sha256_finish_ret
#else
#define ts_mbed_sha256_starts mbedtls_sha256_starts
#define ts_mbed_sha256_update mbedtls_sha256_update
#define ts_mbed_sha256_finish mbedtls_sha256_finish
#endif

/* 3.x runs much of its crypto (all of TLS 1.3, and pk with USE_PSA)
 * through PSA, which must be initialised first; idempotent. 1 when ready. */
static inline int ts_mbed_psa_ready(void)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return psa_crypto_init() == PSA_SUCCESS;
#else
    return 1;
#endif
}

/* The curve of an EC key, MBEDTLS_ECP_DP_NONE for any other key. */
static inline mbedtls_ecp_group_id ts_mbed_pk_curve(mbedtls_pk_context *pk)
{
    if (mbedtls_pk_get_type(pk) != MBEDTLS_PK_ECKEY)
        return MBEDTLS_ECP_DP_NONE;
    const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(*pk);
    if (!ec)
        return MBEDTLS_ECP_DP_NONE;
#if MBEDTLS_VERSION_NUMBER >= 0x03060000
    return mbedtls_ecp_keypair_get_group_id(ec);
#else
    return ec->MBEDTLS_PRIVATE(grp).id;
#endif
}

/* 3.x wants a random generator to parse a private key and to check a
 * pair (blinding); 2.x takes none. */
static inline int ts_mbed_parse_keyfile(mbedtls_pk_context *pk, const char *path,
                                        mbedtls_ctr_drbg_context *drbg)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_pk_parse_keyfile(pk, path, NULL, mbedtls_ctr_drbg_random, drbg);
#else
    (void)drbg;
    return mbedtls_pk_parse_keyfile(pk, path, NULL);
#endif
}

static inline int ts_mbed_check_pair(const mbedtls_pk_context *pub, const mbedtls_pk_context *prv,
                                     mbedtls_ctr_drbg_context *drbg)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_pk_check_pair(pub, prv, mbedtls_ctr_drbg_random, drbg);
#else
    (void)drbg;
    return mbedtls_pk_check_pair(pub, prv);
#endif
}

static inline void ts_mbed_min_tls12(mbedtls_ssl_config *conf)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
    mbedtls_ssl_conf_min_tls_version(conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
    mbedtls_ssl_conf_min_version(conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
#endif
}

static inline int ts_mbed_is_tls13(const mbedtls_ssl_context *ssl)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
    return mbedtls_ssl_get_version_number(ssl) == MBEDTLS_SSL_VERSION_TLS1_3;
#else
    (void)ssl;
    return 0; /* 2.28 speaks TLS 1.2 at most */
#endif
}

/* A TLS 1.3 session ticket came in (3.6 with tickets built in): nothing
 * for the caller, who does not resume sessions. */
static inline int ts_mbed_is_ticket(int rc)
{
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
    return rc == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET;
#else
    (void)rc;
    return 0;
#endif
}

#endif
