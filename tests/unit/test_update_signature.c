/*
 * test_update_signature.c - update signatures (update.md): base64 of a DER
 * ECDSA P-256 signature over the file's SHA-256, checked with the public
 * key. Keys and signatures are made now by the openssl CLI, never committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cmocka.h needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "core/error.h"

#include <unistd.h>

static char dir[512];

/* Runs a shell command in dir; 0 on success. */
static int sh(const char *script)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "cd '%s' && { %s; } >/dev/null 2>&1", dir, script);
    return system(cmd);
}

static char *slurp(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    return strdup(buf);
}

static void test_base64(void **state)
{
    uint8_t out[16];
    size_t n;
    assert_int_equal(ts_base64_decode("aGVsbG8=", 8, out, sizeof(out), &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "hello", 5);
    assert_int_equal(ts_base64_decode("", 0, out, sizeof(out), &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(ts_base64_decode("aGVsbG8*", 8, out, sizeof(out), &n), TS_EINVAL);
    assert_int_equal(ts_base64_decode("aGVsbG8=", 8, out, 2, &n), TS_ETOOBIG);
}

static void test_signatures(void **state)
{
    char path[1024], err[256];
    /* the release key pair, another P-256 pair, a P-384 key */
    assert_int_equal(sh("openssl ecparam -name prime256v1 -genkey -noout -out sign.key && "
                        "openssl ec -in sign.key -pubout -out sign.pub && "
                        "openssl ecparam -name prime256v1 -genkey -noout -out other.key && "
                        "openssl ec -in other.key -pubout -out other.pub && "
                        "openssl ecparam -name secp384r1 -genkey -noout -out p384.key && "
                        "openssl ec -in p384.key -pubout -out p384.pub"),
                     0);
    /* the "binary" and its signature, as the release tooling would make it */
    assert_int_equal(sh("head -c 100000 /dev/urandom > tillsync-0.5.0 && "
                        "openssl dgst -sha256 -sign sign.key -out sig.der tillsync-0.5.0 && "
                        "base64 -w0 sig.der > sig.b64 && "
                        "openssl dgst -sha256 -r tillsync-0.5.0 | cut -c1-64 > digest.hex"),
                     0);
    char *sig = slurp("sig.b64"), *hex = slurp("digest.hex");
    assert_non_null(sig);
    assert_non_null(hex);
    uint8_t digest[32];
    assert_int_equal(ts_unhex32(hex, digest), 0);

    snprintf(path, sizeof(path), "%s/sign.pub", dir);
    assert_int_equal(ts_verify_update_signature(sig, digest, path, err, sizeof(err)), 0);

    /* another file */
    digest[7] ^= 1;
    assert_int_equal(ts_verify_update_signature(sig, digest, path, err, sizeof(err)), TS_EINVAL);
    assert_non_null(strstr(err, "does not match"));
    digest[7] ^= 1;

    /* a signature by another key */
    snprintf(path, sizeof(path), "%s/other.pub", dir);
    assert_int_equal(ts_verify_update_signature(sig, digest, path, err, sizeof(err)), TS_EINVAL);

    /* not base64, truncated DER */
    snprintf(path, sizeof(path), "%s/sign.pub", dir);
    assert_int_equal(ts_verify_update_signature("@@not base64@@", digest, path, err, sizeof(err)),
                     TS_EINVAL);
    assert_non_null(strstr(err, "base64"));
    assert_int_equal(ts_verify_update_signature("MEUCIQ==", digest, path, err, sizeof(err)),
                     TS_EINVAL);

    /* a key file that is missing, or not P-256 */
    snprintf(path, sizeof(path), "%s/missing.pub", dir);
    assert_int_equal(ts_verify_update_signature(sig, digest, path, err, sizeof(err)), TS_EIO);
    assert_non_null(strstr(err, "update.public_key_file"));
    snprintf(path, sizeof(path), "%s/p384.pub", dir);
    assert_int_equal(ts_verify_update_signature(sig, digest, path, err, sizeof(err)), TS_EIO);
    assert_non_null(strstr(err, "P-256"));
    free(sig);
    free(hex);
}

/* The keys and files of the group live in one temporary directory. */
static int make_dir(void **state)
{
    const char *tmp = getenv("TS_TEST_TMP") ? getenv("TS_TEST_TMP") : "/tmp";
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", tmp);
    if (system(cmd) != 0)
        return -1;
    snprintf(dir, sizeof(dir), "%s/update-sig-XXXXXX", tmp);
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_signatures),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
