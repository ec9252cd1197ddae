/*
 * history_seed - writes a made-up history into an agent's store, for the
 * tests only (the agent itself has no way to be fed one). Run it while the
 * agent is stopped; it goes through the history module's own write path
 * (report/history.h), so the agent reads the samples back as its own.
 *
 * usage: history_seed DATA_DIR MAP_MB < samples
 * one sample a line, oldest first, integers separated by spaces:
 *   AGO_S PENDING OLDEST_AGE_S CENTRAL_ONLINE ODOO_AGE_S(-1: none) ACCEPTED DISK_FREE_MB
 * where AGO_S is how long before now the sample was taken.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "report/history.h"
#include "store/store.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: history_seed DATA_DIR MAP_MB < samples\n");
        return 2;
    }
    ts_agent a = {0};
    char err[256];
    a.loop = uv_default_loop();
    if (ts_store_open(&a.store, a.loop, argv[1], strtoull(argv[2], NULL, 10) << 20, err,
                      sizeof(err)) != 0 ||
        ts_history_start(&a) != 0 || ts_store_start(a.store) != 0) {
        fprintf(stderr, "history_seed: cannot open the store: %s\n", err);
        return 1;
    }
    int64_t now = ts_wall_ms();
    long long ago, pending, oldest, online, odoo, accepted, disk;
    int n = 0, rc = 0;
    while (rc == 0 && scanf("%lld %lld %lld %lld %lld %lld %lld", &ago, &pending, &oldest, &online,
                            &odoo, &accepted, &disk) == 7) {
        ts_history_sample s = {.at_ms = now - ago * 1000,
                               .pending = (uint32_t)pending,
                               .oldest_pending_age_s = (uint32_t)oldest,
                               .central_online = online != 0,
                               .odoo_copy_age_s = (int32_t)odoo,
                               .accepted = (uint32_t)accepted,
                               .disk_free_mb = (uint32_t)disk};
        rc = ts_history_record(&a, &s);
        n++;
    }
    /* Not ts_history_stop(): that would add a sample of this tool's own. */
    ts_history_halt(&a);
    ts_store_close(a.store);
    uv_run(a.loop, UV_RUN_DEFAULT);
    ts_history_free(&a);
    fprintf(stderr, "history_seed: %d samples%s\n", n, rc ? " (a write failed)" : "");
    return rc ? 1 : 0;
}
