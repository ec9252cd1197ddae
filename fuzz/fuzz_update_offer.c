/*
 * fuzz_update_offer.c - what central sends about an update (uplink.md
 * "update" in the config document) and what the agent derives from it:
 * the offer's parser, the semantic version, the sha256 hex, the base64
 * signature, the signature check against a key, and the ELF header check
 * on the same bytes as a downloaded file's head. Never a crash, a leak or
 * a read out of bounds; the offer's strings stay within their buffers.
 */
#include "central/remote_config.h"
#include "core/elfcheck.h"
#include "core/log.h"
#include "core/semver.h"
#include "crypto/crypto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ts_update_offer o;
    ts_semver v;
    uint8_t sha[32], sig[128];
    size_t sig_len;
    char err[256];
    int c;
    ts_log_set_level(TS_LOG_ERROR);
    if (ts_remote_config_parse_offer((const char *)data, size, &o) == 0) {
        if (strlen(o.version) >= sizeof(o.version) || strlen(o.signature) >= sizeof(o.signature))
            abort();
        ts_semver_parse(o.version, &v);
        ts_semver_cmp_str(o.version, "0.4.0", &c);
        ts_unhex32(o.sha256, sha);
        ts_base64_decode(o.signature, strlen(o.signature), sig, sizeof(sig), &sig_len);
        memset(sha, 0, sizeof(sha));
        /* No key file: the check must fail cleanly after decoding. */
        ts_verify_update_signature(o.signature, sha, "/nonexistent.pub", err, sizeof(err));
    }
    /* The raw bytes as a version, as base64 and as an ELF head. */
    char *s = strndup((const char *)data, size < 200 ? size : 200);
    if (s) {
        ts_semver_parse(s, &v);
        ts_semver_cmp_str(s, "1.0.0-rc.1", &c);
        ts_base64_decode(s, strlen(s), sig, sizeof(sig), &sig_len);
        free(s);
    }
    ts_elf_check(data, size, err, sizeof(err));
    return 0;
}
