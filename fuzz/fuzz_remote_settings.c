/*
 * fuzz_remote_settings.c - the "settings" object of central's config
 * document (uplink.md), applied live to a running agent's config: arbitrary
 * bytes must be applied or skipped with a warning, never a crash, a leak or
 * an out-of-bounds read, and never leave a setting outside its bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "central/remote_config.h"
#include "config/config.h"
#include "core/error.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ts_config cfg;
    char *copy = malloc(size ? size : 1); /* exact size: ASan sees a read past it */
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    ts_log_set_level(TS_LOG_ERROR); /* skipped-setting warnings would flood the output */
    ts_config_defaults(&cfg);
    int applied = ts_remote_config_apply_settings(&cfg, copy, size);
    if ((applied < 0 && applied != TS_EINVAL) || cfg.central.batch_max < 1 ||
        cfg.central.batch_max > 10000 || !(cfg.storage.acked_retention_h >= 0))
        abort(); /* a count or "not an object", and bounds kept (config.c's table) */
    free(copy);
    return 0;
}
