/*
 * fuzz_odoo_parse.c - Odoo's answers are outside input: the envelope
 * parsers (JSON-RPC and JSON-2) and every record reader must refuse
 * garbage cleanly, never crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "tillsync/odoo_parse.h"

static void read_records(const cJSON *list)
{
    const cJSON *rec;
    cJSON_ArrayForEach(rec, list)
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
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *doc;
    const cJSON *result;
    ts_odoo_error err;
    if (ts_odoo_parse_jsonrpc((const char *)data, size, &doc, &result, &err) == 0) {
        read_records(result);
        cJSON_Delete(doc);
    }
    int status = size ? 200 + (data[0] % 3) * 100 : 200; /* 200, 300, 400 */
    if (ts_odoo_parse_json2(status, (const char *)data, size, &doc, &result, &err) == 0) {
        read_records(result);
        cJSON_Delete(doc);
    }
    return 0;
}
