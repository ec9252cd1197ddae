#!/usr/bin/env python3
"""A stand-in for Odoo 17/19's external API, for tests, the demo and benchmarks.

Answers what the agent asks (spec: odoo-sync.md) with the shapes of the real
Odoo 17 transcripts (../shared/odoo-rpc-transcripts): ids, false for empty
values, many2one as [id, "name"], write_date "YYYY-MM-DD HH:MM:SS" (UTC),
and the same error objects.

  POST /jsonrpc                        common.version / authenticate,
                                       object.execute_kw search_read / search_count
  POST /json/2/<model>/search_read     bearer key + X-Odoo-Database (Odoo 19)

Data: a generated catalogue (--products N, --seed S), the first products
being fixed ones the tests know by name (one per pricelist rule kind).

A control port takes JSON commands (POST /, {"cmd": ...}):
  set_list_price {sku, price}      on the template, as the product form does
  set_product {sku, default_code?, barcode?, name?, price_extra?, active?, uom_id?}
  set_quant {sku, location_id=8, quantity, write_date?}   (creates the quant
                                   if needed; write_date: a second transaction
                                   stamped in the same second as the first)
  delete_quants {sku, location_id?}
  archive {sku}
  set_rate {currency, rate}        writes the currency's res.currency.rate record
  set_price_extra {sku, price_extra}   on product.template.attribute.value
  move_category {categ_id, parent_id}  descendants' parent_path moved too
  set_item {id, fields}            a pricelist item changed (e.g. moved)
  bulk_list_price {count, factor=1.1, from_id=12}   many templates at once
  add_item {item: {...product.pricelist.item fields}}
  delete_item {id}                 a pricelist item deleted (only a full snapshot sees it)
  add_pricelist {id, currency_id=126, name?}   another pricelist (a base)
  down / up                        no listener and open connections cut / back
  delay {seconds}                  every answer waits this long; a new delay
                                   (0: none) ends the waits under way at once
  protocol {mode: both|jsonrpc|json2}   the other API answers 404
  set_key {key}                    the API key Odoo accepts from now on
  fail_next {model?, skip=0, count=1, kind=cut|drop|error}
                                   cut: head and part of the body, then close;
                                   drop: close without a byte; error: an Odoo error
  stats / reset_stats              calls by name, arrival times, service_s,
                                   bytes_in / bytes_out (request and answer
                                   bodies), and log: {t, model, rows, window,
                                   fields, bytes} per search_read (fields:
                                   how many were asked for)
  product {sku}                    the product as search_read shows it
Prints one JSON line with its ports on stdout. Python stdlib only.
"""
import argparse
import bisect
import datetime
import http.server
import json
import random
import socket
import socketserver
import ssl
import sys
import threading
import time

DB = "retail"
LOGIN = "store-s042-bot"
UID = 2
STOCK = 8  # WH/Stock; 17 and 18 are its children, 5 is Customers
PRICELIST = 3

MODELS_WITH_ACTIVE = {"product.product", "product.template", "res.currency",
                      "product.pricelist", "stock.location"}


def now_text():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def future_text(days):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days)
    return t.strftime("%Y-%m-%d %H:%M:%S")


class OdooError(Exception):
    def __init__(self, name, message, status=200):
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status


class Catalogue:
    """Every model as a dict id -> record (Python values; many2one as ids)."""

    def __init__(self, n_products, seed):
        self.lock = threading.RLock()
        rnd = random.Random(seed)
        stamp = now_text()
        self.currency = {
            1: {"id": 1, "name": "USD", "decimal_places": 2, "rounding": 0.01, "rate": 1.0,
                "active": True, "write_date": stamp},
            126: {"id": 126, "name": "EUR", "decimal_places": 2, "rounding": 0.01,
                  "rate": 1.2834, "active": False, "write_date": stamp},
            25: {"id": 25, "name": "JPY", "decimal_places": 0, "rounding": 1.0, "rate": 151.2,
                 "active": False, "write_date": stamp},
            93: {"id": 93, "name": "KWD", "decimal_places": 3, "rounding": 0.001,
                 "rate": 0.3071, "active": False, "write_date": stamp},
        }
        # res.currency.rate: one rate record per currency (today's); changing
        # a rate writes this record, not the currency (whose rate is computed).
        self.rate = {}
        for cid, cur in self.currency.items():
            self.rate[cid] = {"id": cid, "currency_id": cid, "rate": cur["rate"],
                              "name": stamp[:10], "company_id": 1, "write_date": stamp}
        # product.template.attribute.value: the price extras of variants.
        self.ptav = {}
        # Odoo 17's default units (uom.uom) and the "Product Price" precision.
        self.uom = {1: {"id": 1, "name": "Units", "rounding": 0.01, "active": True,
                        "write_date": stamp},
                    12: {"id": 12, "name": "kg", "rounding": 0.001, "active": True,
                         "write_date": stamp},
                    # set to millimetres by the store's Odoo administrator
                    5: {"id": 5, "name": "m", "rounding": 0.001, "active": True,
                        "write_date": stamp}}
        self.precision = {1: {"id": 1, "name": "Product Price", "digits": 2,
                              "write_date": stamp}}
        self.company = {1: {"id": 1, "name": "My Company (San Francisco)", "currency_id": 1,
                            "write_date": stamp}}
        self.category = {}
        for cid, name, parent, path in [(1, "All", None, "1/"), (2, "Saleable", 1, "1/2/"),
                                        (7, "Software", 2, "1/2/7/"),
                                        (8, "Office Furniture", 2, "1/2/8/"),
                                        (9, "Consumable", 1, "1/9/"),
                                        (11, "Chairs", 8, "1/2/8/11/")]:
            self.category[cid] = {"id": cid, "name": name, "parent_id": parent,
                                  "parent_path": path, "write_date": stamp}
        self.location = {}
        for lid, name, path in [(5, "Partners/Customers", "5/"), (7, "WH", "7/"),
                                (8, "WH/Stock", "7/8/"), (17, "WH/Stock/Shelf 1", "7/8/17/"),
                                (18, "WH/Stock/Shelf 2", "7/8/18/")]:
            self.location[lid] = {"id": lid, "complete_name": name, "parent_path": path,
                                  "usage": "internal", "active": True, "write_date": stamp}
        self.pricelist = {PRICELIST: {"id": PRICELIST, "name": "Store S042", "currency_id": 126,
                                      "active": True, "write_date": stamp}}
        self.template = {}
        self.product = {}
        self.quant = {}
        self.item = {}
        self.next_quant = 1
        self.next_item = 1

        def tmpl(tid, name, price, categ, sale_ok=True):
            self.template[tid] = {"id": tid, "name": name, "list_price": price,
                                  "categ_id": categ, "sale_ok": sale_ok, "active": True,
                                  "write_date": stamp}

        def prod(pid, tid, code, barcode, extra=0.0, name=None):
            t = self.template[tid]
            self.product[pid] = {"id": pid, "product_tmpl_id": tid, "default_code": code,
                                 "barcode": barcode, "price_extra": extra, "uom_id": 1,
                                 "standard_price": round(t["list_price"] * 0.6, 2),
                                 "name": name or t["name"], "active": True,
                                 "write_date": stamp}

        # The products the tests know (one per rule kind, see docs/odoo.md).
        tmpl(1, "Restaurant Expenses", 14.0, 9)
        prod(1, 1, False, False)  # neither SKU nor barcode: skipped
        tmpl(2, "Office Chair", 70.0, 8)
        prod(2, 2, "FURN_7777", False)  # variant rule: fixed 12.99
        tmpl(3, "Office Lamp", 40.0, 8)
        prod(3, 3, "FURN_8888", False)  # template rule: 15 % off
        tmpl(4, "Office Design Software", 280.0, 7)
        prod(4, 4, "FURN_9999", False)  # template rule for 10+: list price
        tmpl(5, "Desk Combination", 450.0, 8)
        prod(5, 5, "FURN_7800", False)  # future-dated variant rule: category formula
        tmpl(6, "Cable Management Box", 25.0, 9)
        prod(6, 6, "E-COM06", False)  # rule on standard_price: list_price_fallback
        tmpl(7, "Conference Chair", 33.0, 11)
        prod(7, 7, "E-COM12", False, 0.0, "Conference Chair (Steel)")
        prod(8, 7, "E-COM13", False, 6.4, "Conference Chair (Aluminium)")
        tmpl(9, "Bottle of water", 1.2, 9)
        prod(9, 9, False, "4006381333931")  # barcode only
        tmpl(10, "Gift wrapping (not for sale)", 3.0, 9, sale_ok=False)
        prod(10, 10, "GIFT-WRAP", False)
        tmpl(11, "Rope (per metre)", 2.75, 9)
        prod(11, 11, "ROPE-M", "2000000000114")
        # E-COM13's attribute value "Aluminium" carries its 6.4 price extra
        self.ptav[1] = {"id": 1, "product_tmpl_id": 7, "price_extra": 6.4,
                        "ptav_product_variant_ids": [8], "write_date": stamp}
        self.product[11]["uom_id"] = 5
        for pid in range(12, n_products + 1):
            price = round(rnd.uniform(1, 500), rnd.choice([0, 1, 2]))
            tmpl(pid, "Product %d" % pid, price, rnd.choice([7, 8, 9, 11]))
            prod(pid, pid, "SKU-%06d" % pid, "20%011d" % pid)

        def quant(pid, loc, qty):
            qid = self.next_quant
            self.next_quant += 1
            self.quant[qid] = {"id": qid, "product_id": pid, "location_id": loc,
                               "quantity": qty, "reserved_quantity": 0.0, "write_date": stamp}

        quant(2, 8, 10.0)
        quant(2, 17, 4.0)
        quant(2, 5, 100.0)  # at a customer's: not the store's stock
        quant(3, 18, 7.0)
        quant(5, 8, 3.0)
        quant(7, 8, 26.0)
        quant(8, 8, 30.0)
        quant(9, 8, 120.0)
        quant(11, 8, 2.5)
        quant(11, 18, 0.345)
        for pid in range(12, n_products + 1):
            quant(pid, 8, float(rnd.randint(0, 50)))
            if pid % 3 == 0:
                quant(pid, rnd.choice([17, 18]), float(rnd.randint(1, 9)))

        def item(**kw):
            iid = self.next_item
            self.next_item += 1
            rec = {"id": iid, "pricelist_id": PRICELIST, "applied_on": "3_global",
                   "product_id": None, "product_tmpl_id": None, "categ_id": None,
                   "min_quantity": 0.0, "compute_price": "fixed", "fixed_price": 0.0,
                   "percent_price": 0.0, "base": "list_price", "base_pricelist_id": None,
                   "price_discount": 0.0, "price_round": 0.0, "price_surcharge": 0.0,
                   "price_min_margin": 0.0, "price_max_margin": 0.0, "date_start": None,
                   "date_end": None, "currency_id": 126, "write_date": stamp}
            rec.update(kw)
            self.item[iid] = rec
            return iid

        self.add_item = item
        item(applied_on="0_product_variant", product_id=2, compute_price="fixed",
             fixed_price=12.99)
        item(applied_on="1_product", product_tmpl_id=3, compute_price="percentage",
             percent_price=15.0, min_quantity=1.0)
        item(applied_on="1_product", product_tmpl_id=4, compute_price="fixed", fixed_price=9.5,
             min_quantity=10.0)
        item(applied_on="0_product_variant", product_id=5, compute_price="fixed",
             fixed_price=5.0, date_start=future_text(30), date_end=future_text(60))
        item(applied_on="2_product_category", categ_id=8, compute_price="formula",
             price_discount=10.0, price_surcharge=-0.01)
        item(applied_on="1_product", product_tmpl_id=6, compute_price="formula",
             base="standard_price", price_discount=5.0)
        self._reindex()

    def _reindex(self):
        self.product_ids = sorted(self.product)
        self.quant_ids = sorted(self.quant)

    # ---- shaping records as Odoo prints them -------------------------------

    def display(self, model, rid):
        if rid is None:
            return False
        if model == "product.product":
            p = self.product[rid]
            return "[%s] %s" % (p["default_code"], p["name"]) if p["default_code"] else p["name"]
        table = self.table(model)
        rec = table.get(rid)
        if rec is None:
            return str(rid)
        return rec.get("complete_name") or rec.get("name") or str(rid)

    M2O = {"currency_id": "res.currency", "categ_id": "product.category",
           "parent_id": "product.category", "product_tmpl_id": "product.template",
           "product_id": "product.product", "location_id": "stock.location",
           "pricelist_id": "product.pricelist", "base_pricelist_id": "product.pricelist",
           "uom_id": "uom.uom", "product_uom_id": "uom.uom"}

    def move_category(self, cid, parent):
        """Re-parents a category as Odoo does: the descendants' parent_path
        is rewritten in SQL, only the moved category's write_date moves."""
        c = self.category[cid]
        old = c["parent_path"]
        new = self.category[parent]["parent_path"] + "%d/" % cid
        for other in self.category.values():
            if other["parent_path"].startswith(old):
                other["parent_path"] = new + other["parent_path"][len(old):]
        c["parent_id"] = parent
        c["write_date"] = now_text()

    def table(self, model):
        return {"product.product": self.product, "product.template": self.template,
                "product.category": self.category, "product.pricelist": self.pricelist,
                "product.pricelist.item": self.item, "res.company": self.company,
                "res.currency": self.currency, "stock.quant": self.quant,
                "stock.location": self.location, "uom.uom": self.uom,
                "decimal.precision": self.precision, "res.currency.rate": self.rate,
                "product.template.attribute.value": self.ptav}.get(model)

    def value(self, model, rec, field):
        """The field's value in Python terms (many2one as id or None)."""
        if model == "product.product":
            t = self.template[rec["product_tmpl_id"]]
            if field in ("list_price", "categ_id", "sale_ok"):
                return t[field]
            if field == "lst_price":
                return round(t["list_price"] + rec["price_extra"], 6)
            if field == "currency_id":
                return 1
            if field == "display_name":
                return rec["name"]  # display_default_code false: attributes, no code
        if model == "stock.quant" and field == "product_uom_id":
            return self.product[rec["product_id"]]["uom_id"]  # related product_id.uom_id
        if model == "product.template" and field in ("default_code", "barcode"):
            return False
        if model == "product.pricelist.item" and field == "name":
            return "rule %d" % rec["id"]
        if field not in rec:
            raise KeyError(field)
        return rec[field]

    def shape(self, model, rec, field):
        v = self.value(model, rec, field)
        if field in self.M2O:
            return [v, self.display(self.M2O[field], v)] if v else False
        if field == "child_ids" and model == "stock.location":
            return [l["id"] for l in self.location.values()
                    if l["parent_path"].startswith(rec["parent_path"]) and l is not rec
                    and l["parent_path"].count("/") == rec["parent_path"].count("/") + 1]
        if v is None:
            return False
        return v

    # ---- domains -----------------------------------------------------------

    def leaf(self, model, rec, leaf):
        if not isinstance(leaf, list) or len(leaf) != 3:
            raise OdooError("builtins.ValueError",
                            "not enough values to unpack (expected 3, got %d)" % (
                                len(leaf) if isinstance(leaf, list) else 0))
        field, op, want = leaf
        try:
            have = self.value(model, rec, field) if field != "id" else rec["id"]
        except KeyError:
            raise OdooError("builtins.ValueError", "Invalid field %s.%s in leaf %r" % (
                model, field, tuple(leaf)))
        if have is None:
            have = False
        if op == "=":
            return have == want
        if op == "!=":
            return have != want
        if op == "in":
            return have in want
        if op == "not in":
            return have not in want
        if op in (">", ">=", "<", "<="):
            if have is False:
                return False
            return {">": have > want, ">=": have >= want, "<": have < want,
                    "<=": have <= want}[op]
        if op == "child_of":
            if field == "location_id":
                loc = self.location.get(have)
                return bool(loc) and ("/%d/" % want) in "/" + loc["parent_path"]
            if field == "categ_id":
                cat = self.category.get(have)
                return bool(cat) and ("/%d/" % want) in "/" + cat["parent_path"]
            return have == want
        raise OdooError("builtins.ValueError", "Invalid leaf %r" % (tuple(leaf),))

    def matches(self, model, rec, domain):
        """Polish notation with '&' '|' '!' and an implicit '&' between terms."""
        pos = 0

        def term():
            nonlocal pos
            tok = domain[pos]
            pos += 1
            if tok == "&":
                a, b = term(), term()
                return a and b
            if tok == "|":
                a, b = term(), term()
                return a or b
            if tok == "!":
                return not term()
            return self.leaf(model, rec, tok)

        ok = True
        while pos < len(domain):
            ok = term() and ok
        return ok

    # ---- search_read -------------------------------------------------------

    def candidates(self, model, domain):
        """Records in id order; skips ahead when the domain has id > N."""
        table = self.table(model)
        if model == "product.product":
            ids = self.product_ids
        elif model == "stock.quant":
            ids = self.quant_ids
        else:
            ids = sorted(table)
        start = 0
        for leaf in domain:
            if isinstance(leaf, list) and len(leaf) == 3 and leaf[0] == "id" and \
                    leaf[1] in (">", ">=") and isinstance(leaf[2], int) and "|" not in domain:
                start = bisect.bisect_right(ids, leaf[2]) if leaf[1] == ">" else \
                    bisect.bisect_left(ids, leaf[2])
        for i in range(start, len(ids)):
            rec = table.get(ids[i])
            if rec is not None:
                yield rec

    def search(self, model, domain, order, limit, offset, context):
        table = self.table(model)
        if table is None:
            raise OdooError("odoo.exceptions.UserError", "Object %s doesn't exist" % model)
        if not isinstance(domain, list):
            raise OdooError("builtins.ValueError", "Invalid domain %r" % (domain,))
        active_test = (context or {}).get("active_test", True)
        mentions_active = any(isinstance(l, list) and l and l[0] == "active" for l in domain)
        order = (order or "id").strip()
        by_id = order in ("id", "id asc")
        out = []
        for rec in self.candidates(model, domain):
            if model in MODELS_WITH_ACTIVE and active_test and not mentions_active and \
                    not self.value(model, rec, "active"):
                continue
            if self.matches(model, rec, domain):
                out.append(rec)
                if by_id and limit and len(out) >= offset + limit:
                    break
        if not by_id:
            keys = []
            for part in order.split(","):
                bits = part.split()
                keys.append((bits[0], len(bits) > 1 and bits[1].lower() == "desc"))
            for field, desc in reversed(keys):
                out.sort(key=lambda r: (self.value(model, r, field) or "")
                         if field != "id" else r["id"], reverse=desc)
        out = out[offset:]
        if limit:
            out = out[:limit]
        return out

    def search_read(self, model, domain, fields, order, limit, offset, context):
        with self.lock:
            recs = self.search(model, domain, order, limit, offset, context)
            fields = list(fields or ["id"])
            if "id" not in fields:
                fields.insert(0, "id")
            result = []
            for rec in recs:
                row = {}
                for f in fields:
                    try:
                        row[f] = self.shape(model, rec, f) if f != "id" else rec["id"]
                    except KeyError:
                        raise OdooError("builtins.ValueError",
                                        "Invalid field %r on model %r" % (f, model))
                result.append(row)
            return result

    def search_count(self, model, domain, context):
        with self.lock:
            return len(self.search(model, domain, "id", 0, 0, context))

    # ---- changes (control port) --------------------------------------------

    def product_by(self, cmd):
        if "product_id" in cmd:
            return self.product[cmd["product_id"]]
        for p in self.product.values():
            if p["default_code"] == cmd.get("sku") or (cmd.get("barcode") and
                                                        p["barcode"] == cmd["barcode"]):
                return p
        raise KeyError("no such product")


class Standin:
    def __init__(self, args):
        self.args = args
        self.cat = Catalogue(args.products, args.seed)
        self.key = args.key
        self.protocol = "both"  # or "jsonrpc" (json2 answers 404) or "json2"
        self.delay_s = 0.0
        self.delay_over = threading.Event()  # set (and replaced) when the delay changes
        self.fail_rules = []  # {"model", "skip", "count", "kind"}
        self.calls = {}
        self.request_times = []
        self.log = []  # one {"t", "model", "rows", "window"} per search_read
        self.service_s = 0.0  # time spent answering, summed over requests
        self.bytes_in = 0  # request bodies, summed
        self.bytes_out = 0  # answer bodies, summed
        self.tl = threading.local()  # the search_read log entry the next answer fills in
        self.stats_lock = threading.Lock()
        self.server = None
        self.conns = set()
        self.port = args.port
        self.tls = None
        if args.cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(args.cert, args.key_file)

    # ---- the API server ----------------------------------------------------

    def start_api(self):
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *a):
                pass

            def setup(self):
                super().setup()
                # Head and body go out in two writes: without this, Nagle holds
                # the body until the client's delayed ACK (40 ms a request).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with standin.stats_lock:
                    standin.conns.add(self.connection)

            def finish(self):
                with standin.stats_lock:
                    standin.conns.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def do_POST(self):
                try:
                    standin.handle(self)
                except (OSError, ValueError):
                    self.close_connection = True

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", self.port), Handler)
        if self.tls:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop_api(self):
        """Down: no listener, and the open keep-alive connections cut."""
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        with self.stats_lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(2)
            except OSError:
                pass

    def count(self, name):
        with self.stats_lock:
            self.calls[name] = self.calls.get(name, 0) + 1
            self.request_times.append(time.time())

    def should_fail(self, model):
        with self.stats_lock:
            for r in self.fail_rules:
                if r.get("model") not in (None, model) or r["count"] <= 0:
                    continue
                if r["skip"] > 0:
                    r["skip"] -= 1
                    return None
                r["count"] -= 1
                return r.get("kind", "drop")
        return None

    def send(self, h, status, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        with self.stats_lock:
            self.bytes_out += len(data)
            entry, self.tl.entry = getattr(self.tl, "entry", None), None
            if entry is not None:
                entry["bytes"] = len(data)
        h.send_response(status)  # BaseHTTPRequestHandler adds Date, as Odoo's werkzeug does
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def cut(self, h, how):
        """drop: close without a byte (a client may retry that on its own);
        cut: the answer's head and a part of its body, then close."""
        h.close_connection = True
        if how is _CUT:
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", "100000")
            h.end_headers()
            h.wfile.write(b'{"jsonrpc": "2.0", "id": 1, "result": [{"id": 1, ')
            h.wfile.flush()
        h.connection.shutdown(2)

    def not_found(self, h):
        self.send(h, 404, b"<!DOCTYPE html><title>404 Not Found</title>", "text/html")

    def handle(self, h):
        t0 = time.monotonic()
        try:
            self.handle_request(h)
        finally:
            with self.stats_lock:
                self.service_s += time.monotonic() - t0

    def handle_request(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length)
        with self.stats_lock:
            self.bytes_in += len(raw)
        if self.delay_s:
            self.delay_over.wait(self.delay_s)
        path = h.path.split("?")[0]
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            self.send(h, 400, {"error": "bad json"})
            return
        if path == "/jsonrpc":
            if self.protocol == "json2":
                self.count("404:/jsonrpc")
                self.not_found(h)
                return
            self.jsonrpc(h, body)
        elif path.startswith("/json/2/"):
            if self.protocol == "jsonrpc":
                self.count("404:/json/2")
                self.not_found(h)
                return
            self.json2(h, path[len("/json/2/"):], body)
        else:
            self.not_found(h)

    def error_data(self, e):
        return {"name": e.name, "debug": "Traceback (most recent call last):\n  ...\n%s: %s\n" % (
            e.name, e.message), "message": e.message, "arguments": [e.message], "context": {}}

    def jsonrpc(self, h, body):
        rid = body.get("id") if isinstance(body, dict) else None
        try:
            params = body["params"]
            service, method, args = params["service"], params["method"], params.get("args", [])
            result = self.call(service, method, args)
            if result is _DROP or result is _CUT:
                self.cut(h, result)
                return
            answer = {"jsonrpc": "2.0", "id": rid, "result": result}
        except OdooError as e:
            answer = {"jsonrpc": "2.0", "id": rid,
                      "error": {"code": 200, "message": "Odoo Server Error",
                                "data": self.error_data(e)}}
        self.send(h, 200, answer)

    def call(self, service, method, args):
        if service == "common" and method == "version":
            self.count("common.version")
            return {"server_version": "17.0-20240709",
                    "server_version_info": [17, 0, 0, "final", 0, ""], "server_serie": "17.0",
                    "protocol_version": 1}
        if service == "common" and method == "authenticate":
            self.count("common.authenticate")
            db, login, key = args[0], args[1], args[2]
            if db != DB:
                raise OdooError("psycopg2.OperationalError",
                                'connection to server at "127.0.0.1", port 5432 failed: FATAL:  '
                                'database "%s" does not exist\n' % db)
            return UID if (login == LOGIN and key == self.key) else False
        if service == "object" and method == "execute_kw":
            db, uid, key, model, meth = args[0], args[1], args[2], args[3], args[4]
            pos = args[5] if len(args) > 5 else []
            kw = args[6] if len(args) > 6 else {}
            self.count("%s.%s" % (model, meth))
            if db != DB:
                raise OdooError("psycopg2.OperationalError",
                                'connection to server at "127.0.0.1", port 5432 failed: FATAL:  '
                                'database "%s" does not exist\n' % db)
            if uid != UID or key != self.key:
                raise OdooError("odoo.exceptions.AccessDenied", "Access Denied")
            return self.model_call(model, meth, pos[0] if pos else [], kw)
        raise OdooError("odoo.exceptions.UserError", "unknown service %s.%s" % (service, method))

    def model_call(self, model, meth, domain, kw):
        kind = self.should_fail(model)
        if kind in ("drop", "cut"):
            return _CUT if kind == "cut" else _DROP
        if kind == "error":
            raise OdooError("psycopg2.errors.SerializationFailure",
                            "could not serialize access due to concurrent update")
        if meth == "search_read":
            rows = self.cat.search_read(model, domain, kw.get("fields"), kw.get("order"),
                                        kw.get("limit") or 0, kw.get("offset") or 0,
                                        kw.get("context"))
            entry = {"t": time.time(), "model": model, "rows": len(rows),
                     "window": any(isinstance(l, list) and l and
                                   l[0] == "write_date" for l in domain),
                     "fields": len(kw.get("fields") or [])}
            with self.stats_lock:
                self.log.append(entry)
            self.tl.entry = entry  # send() adds the answer's size
            return rows
        if meth == "read":
            # Odoo 17: read of an id that does not exist (or was deleted)
            table = self.cat.table(model)
            ids = domain if isinstance(domain, list) else [domain]
            missing = [i for i in ids if table is None or i not in table]
            if missing:
                raise OdooError("odoo.exceptions.MissingError",
                                "Record does not exist or has been deleted.\n(Record: %s(%s,), "
                                "User: %d)" % (model, missing[0], UID))
            fields = kw.get("fields") or ["id"]
            with self.cat.lock:
                return [{f: self.cat.shape(model, table[i], f) for f in fields} for i in ids]
        if meth == "search_count":
            return self.cat.search_count(model, domain, kw.get("context"))
        if meth.startswith("_"):
            raise OdooError("odoo.exceptions.AccessError",
                            "Private methods (such as %s) cannot be called remotely." % meth)
        raise OdooError("odoo.exceptions.UserError", "method %s not in the stand-in" % meth)

    def json2(self, h, rest, body):
        parts = rest.split("/")
        if len(parts) != 2:
            self.not_found(h)
            return
        model, meth = parts
        self.count("json2:%s.%s" % (model, meth))
        auth = h.headers.get("Authorization") or ""
        bits = auth.split(None, 1)
        if len(bits) != 2 or bits[0].lower() != "bearer" or bits[1] != self.key or \
                h.headers.get("X-Odoo-Database", DB) != DB:
            e = OdooError("werkzeug.exceptions.Unauthorized", "Invalid apikey", 401)
            self.send(h, 401, dict(self.error_data(e)))
            return
        try:
            if not isinstance(body, dict):
                raise OdooError("werkzeug.exceptions.BadRequest", "the body must be an object",
                                400)
            result = self.model_call(model, meth, body.get("domain", []), body)
            if result is _DROP or result is _CUT:
                self.cut(h, result)
                return
            self.send(h, 200, result)
        except OdooError as e:
            status = e.status if e.status != 200 else 422
            self.send(h, status, self.error_data(e))

    # ---- control -----------------------------------------------------------

    def control(self, cmd):
        c = cmd.get("cmd")
        cat = self.cat
        stamp = now_text()
        with cat.lock:
            if c == "set_list_price":  # as on the product form: the template moves
                t = cat.template[cat.product_by(cmd)["product_tmpl_id"]]
                t["list_price"] = cmd["price"]
                t["write_date"] = stamp
            elif c == "set_product":  # fields of the variant itself
                p = cat.product_by(cmd)
                for k in ("default_code", "barcode", "name", "price_extra", "active", "uom_id"):
                    if k in cmd:
                        p[k] = cmd[k]
                p["write_date"] = stamp
            elif c == "set_quant":
                stamp = cmd.get("write_date", stamp)
                pid = cat.product_by(cmd)["id"]
                loc = cmd.get("location_id", STOCK)
                for q in cat.quant.values():
                    if q["product_id"] == pid and q["location_id"] == loc:
                        q["quantity"] = float(cmd["quantity"])
                        q["write_date"] = stamp
                        break
                else:
                    qid = cat.next_quant
                    cat.next_quant += 1
                    cat.quant[qid] = {"id": qid, "product_id": pid, "location_id": loc,
                                      "quantity": float(cmd["quantity"]),
                                      "reserved_quantity": 0.0, "write_date": stamp}
            elif c == "delete_quants":  # Odoo unlinks quants that reach zero
                pid = cat.product_by(cmd)["id"]
                loc = cmd.get("location_id")
                for qid in [q["id"] for q in cat.quant.values() if q["product_id"] == pid and
                            (loc is None or q["location_id"] == loc)]:
                    del cat.quant[qid]
            elif c == "set_rate":  # a new rate: the rate record moves
                cid = [k for k, v in cat.currency.items() if v["name"] == cmd["currency"]][0]
                cat.currency[cid]["rate"] = cmd["rate"]
                cat.rate[cid]["rate"] = cmd["rate"]
                cat.rate[cid]["write_date"] = stamp
            elif c == "set_price_extra":  # on the attribute value, not the variant
                p = cat.product_by(cmd)
                p["price_extra"] = cmd["price_extra"]
                for v in cat.ptav.values():
                    if p["id"] in v["ptav_product_variant_ids"]:
                        v["price_extra"] = cmd["price_extra"]
                        v["write_date"] = stamp
                        break
                else:
                    vid = max(cat.ptav or [0]) + 1
                    cat.ptav[vid] = {"id": vid, "product_tmpl_id": p["product_tmpl_id"],
                                     "price_extra": cmd["price_extra"],
                                     "ptav_product_variant_ids": [p["id"]], "write_date": stamp}
            elif c == "move_category":
                cat.move_category(cmd["categ_id"], cmd["parent_id"])
            elif c == "set_item":  # e.g. a rule moved to another variant
                it = cat.item[cmd["id"]]
                it.update(cmd.get("fields", {}))
                it["write_date"] = stamp
            elif c == "bulk_list_price":  # list prices of many templates at once
                n = 0
                for t in sorted(cat.template.values(), key=lambda t: t["id"]):
                    if t["id"] < cmd.get("from_id", 12) or n >= cmd["count"]:
                        continue
                    t["list_price"] = round(t["list_price"] * cmd.get("factor", 1.1), 2)
                    t["write_date"] = stamp
                    n += 1
                return {"changed": n}
            elif c == "archive":
                p = cat.product_by(cmd)
                p["active"] = False
                p["write_date"] = stamp
            elif c == "add_pricelist":
                pid = cmd["id"]
                cat.pricelist[pid] = {"id": pid, "name": cmd.get("name", "Pricelist %d" % pid),
                                      "currency_id": cmd.get("currency_id", 126),
                                      "active": True, "write_date": stamp}
            elif c == "add_item":
                kw = dict(cmd.get("item", {}))
                kw["write_date"] = stamp
                return {"id": cat.add_item(**kw)}
            elif c == "delete_item":  # unlinked: no delta can see it go
                del cat.item[cmd["id"]]
            elif c == "down":
                self.stop_api()
            elif c == "up":
                if not self.server:
                    self.start_api()
            elif c == "delay":
                self.delay_s = float(cmd.get("seconds", 0))
                over, self.delay_over = self.delay_over, threading.Event()
                over.set()
            elif c == "protocol":
                self.protocol = cmd["mode"]
            elif c == "set_key":
                self.key = cmd["key"]
            elif c == "fail_next":
                self.fail_rules.append({"model": cmd.get("model"), "skip": cmd.get("skip", 0),
                                        "count": cmd.get("count", 1),
                                        "kind": cmd.get("kind", "drop")})
            elif c == "stats":
                with self.stats_lock:
                    return {"calls": dict(self.calls), "times": list(self.request_times),
                            "service_s": self.service_s, "log": list(self.log),
                            "bytes_in": self.bytes_in, "bytes_out": self.bytes_out}
            elif c == "reset_stats":
                with self.stats_lock:
                    self.calls = {}
                    self.request_times = []
                    self.log = []
                    self.service_s = 0.0
                    self.bytes_in = self.bytes_out = 0
            elif c == "product":
                p = cat.product_by(cmd)
                return {k: cat.shape("product.product", p, k) for k in
                        ("id", "default_code", "barcode", "name", "lst_price", "categ_id",
                         "active")}
            else:
                return {"error": "unknown cmd %r" % c}
            cat._reindex()
        return {"ok": True}

    def start_control(self):
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                try:
                    out = standin.control(json.loads(self.rfile.read(n)))
                except Exception as e:  # the test sees what went wrong
                    out = {"error": repr(e)}
                data = json.dumps(out).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        srv = Server(("127.0.0.1", self.args.control_port), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        return srv.server_address[1]


_DROP = object()
_CUT = object()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--products", type=int, default=60)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--key", default="odoo-test-key", help="the API key Odoo accepts")
    ap.add_argument("--cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--key-file", help="the certificate's private key (PEM)")
    args = ap.parse_args()
    s = Standin(args)
    s.start_api()
    control = s.start_control()
    print(json.dumps({"port": s.port, "control_port": control,
                      "scheme": "https" if s.tls else "http"}), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
