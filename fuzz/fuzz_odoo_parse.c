/*
 * fuzz_odoo_parse.c - Odoo's answers are outside input: the envelope
 * parsers (JSON-RPC and JSON-2) and every record reader must refuse
 * garbage cleanly, never crash, leak or read out of bounds. The HTTP
 * Date header of the answers too (Odoo's clock for the delta window).
 */
#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "odoo/odoo_parse.h"

static void read_record(const cJSON *rec)
{
    ts_odoo_product p;
    ts_odoo_quant q;
    ts_price_item it;
    ts_odoo_category c;
    ts_odoo_currency cur;
    char wd[TS_ODOO_DATETIME_LEN];
    int64_t id;
    (void)ts_odoo_parse_product(rec, &p);
    (void)ts_odoo_parse_quant(rec, &q);
    (void)ts_odoo_parse_price_item(rec, &it, wd);
    (void)ts_odoo_parse_category(rec, &c);
    (void)ts_odoo_parse_currency(rec, &cur);
    (void)ts_odoo_parse_stamp(rec, &id, wd);
}

/* As the sync reads a page: counted with its last record, then record by
 * record. */
static void read_list(const char *text, size_t len)
{
    size_t n;
    cJSON *rec;
    ts_odoo_list l;
    if (ts_odoo_list_last(text, len, &n, &rec) == 0) {
        if (rec)
            read_record(rec);
        cJSON_Delete(rec);
    }
    if (ts_odoo_list_begin(&l, text, len) != 0)
        return;
    while (ts_odoo_list_next(&l, &rec) == 0 && rec) {
        read_record(rec);
        cJSON_Delete(rec);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *result;
    size_t len;
    ts_odoo_error err;
    if (ts_odoo_parse_jsonrpc((const char *)data, size, &result, &len, &err) == 0)
        read_list(result, len);
    int status = size ? 200 + (data[0] % 3) * 100 : 200; /* 200, 300, 400 */
    if (ts_odoo_parse_json2(status, (const char *)data, size, &result, &len, &err) == 0)
        read_list(result, len);
    int64_t ms;
    (void)ts_parse_http_date((const char *)data, size, &ms);
    return 0;
}
