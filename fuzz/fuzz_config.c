/*
 * fuzz_config.c - the config parser (a file from store IT) and the remote
 * settings (from central) with arbitrary bytes: never a crash, a leak or an
 * unbounded read; either accepted or refused with a reason.
 */
#include "config/config.h"
#include "core/log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ts_config cfg;
    char err[256];
    ts_log_set_level(TS_LOG_ERROR); /* unknown-key warnings would flood the output */
    ts_config_defaults(&cfg);
    ts_config_parse(&cfg, (const char *)data, size, 1, err, sizeof(err));
    ts_config_defaults(&cfg);
    ts_config_parse(&cfg, (const char *)data, size, 0, err, sizeof(err));

    /* "key=value" as a remote setting */
    const uint8_t *eq = memchr(data, '=', size);
    if (eq && size < 4096) {
        char *key = strndup((const char *)data, (size_t)(eq - data));
        char *val = strndup((const char *)eq + 1, size - (size_t)(eq - data) - 1);
        if (key && val)
            ts_config_apply_setting(&cfg, key, val, err, sizeof(err));
        free(key);
        free(val);
    }
    return 0;
}
