#!/usr/bin/env python3
"""A stream of sample tills for the demo store.

Four registers send sales (and now and then a return) to the agent's POS API
at a gentle pace, as real tills would: each keeps a txn until the agent
answers 201 or 200, and waits as told on 507. Stops on Ctrl-C.
Usage: demo-tills.py PORT [TXNS_PER_MINUTE]
"""
import http.client
import json
import random
import sys
import time

SKUS = ["SKU-%06d" % i for i in range(12, 80)] + ["FURN_7777", "FURN_8888", "E-COM13"]
PRICES = {}  # what the agent's copy of Odoo says, asked once per SKU
REGISTERS = ["R1", "R2", "R3", "R4"]


def price_of(conn, sku):
    """The till asks the agent, as a real till does when Odoo is out of reach."""
    if sku not in PRICES:
        try:
            conn.request("GET", "/v1/items/" + sku)
            r = conn.getresponse()
            body = json.loads(r.read())
            PRICES[sku] = body["price"]["amount"] if r.status == 200 else None
        except (OSError, ValueError, KeyError):
            conn.close()
            return 999
    return PRICES[sku] or 999


def make_txn(conn, register, n, rnd, last_sale):
    if last_sale and rnd.random() < 0.08:
        orig, lines = last_sale
        return {"txn_id": "%s-RET-%06d" % (register, n), "type": "return",
                "original_txn_id": orig, "register_id": register,
                "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                "currency": "EUR", "lines": lines[:1],
                "payments": [{"method": "card", "amount": lines[0]["amount"]}],
                "total": lines[0]["amount"]}
    lines = []
    for sku in rnd.sample(SKUS, rnd.randint(1, 4)):
        price = price_of(conn, sku)
        qty = rnd.choice([1, 1, 1, 2, 3])
        lines.append({"sku": sku, "qty": qty, "unit_price": price, "amount": qty * price})
    total = sum(l["amount"] for l in lines)
    return {"txn_id": "%s-%06d" % (register, n), "type": "sale", "register_id": register,
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "currency": "EUR", "lines": lines,
            "payments": [{"method": rnd.choice(["cash", "card", "card"]), "amount": total}],
            "total": total, "cashier_id": "C%d" % rnd.randint(1, 9)}


def main():
    port = int(sys.argv[1])
    per_minute = float(sys.argv[2]) if len(sys.argv) > 2 else 30
    rnd = random.Random()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    n = int(time.time()) % 100000 * 10
    last_sale = {}
    while True:
        register = rnd.choice(REGISTERS)
        n += 1
        txn = make_txn(conn, register, n, rnd, last_sale.get(register))
        body = json.dumps(txn)
        while True:
            try:
                conn.request("POST", "/v1/transactions", body, {
                    "Content-Type": "application/json",
                    "Authorization": "Bearer demo-token-" + register})
                r = conn.getresponse()
                answer = r.read()
            except OSError as e:
                print("till %s: agent unreachable (%s), retrying" % (register, e), flush=True)
                conn.close()
                time.sleep(2)
                continue
            if r.status in (200, 201):
                seq = json.loads(answer)["seq"]
                print("till %s: %s %s stored as seq %d" % (register, txn["type"], txn["txn_id"],
                                                         seq), flush=True)
                if txn["type"] == "sale":
                    last_sale[register] = (txn["txn_id"], txn["lines"])
                break
            if r.status in (503, 507):
                time.sleep(int(r.getheader("Retry-After", "5")))
                continue
            print("till %s: refused %d %s" % (register, r.status, answer[:200]), flush=True)
            break
        time.sleep(rnd.expovariate(per_minute / 60.0))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
