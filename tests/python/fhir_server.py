"""A small in-memory FHIR R4 server for the HIS posting tests: it answers
POST [base] with a transaction Bundle the way a FHIR server does for what
the tests need. Every resource is validated with fhir.resources 6.4.0 (R4);
`ifNoneExist` is applied (a match answers 200 with the existing resource's
location and creates nothing); urn:uuid references are rewritten to the ids
given; the transaction is all or nothing (one bad entry → 400/422 with an
OperationOutcome naming it, nothing stored). GET [base]/_stats gives counts
by resource type and how many transactions were posted.

No PyPI/npm FHIR server installs and runs here without Docker or a JVM
(HAPI), so this stands in; it applies the parts of the FHIR transaction
rules the product relies on, and refuses what R4 refuses.

Prints "PORT <n>" once listening (--port 0 for a free port); stops by
itself after --max-seconds.
"""

import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from fhir.resources import construct_fhir_element

STORE = {}  # type -> {id: resource}
IDENT = {}  # (type, system, value) -> id
STATS = {"transactions": 0}
LOCK = threading.Lock()
FAIL = set()


def outcome(text, code="invalid"):
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": text}]}


def rewrite(obj, refs):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "reference" and isinstance(v, str) and v in refs:
                obj[k] = refs[v]
            else:
                rewrite(v, refs)
    elif isinstance(obj, list):
        for v in obj:
            rewrite(v, refs)


def transaction(bundle):
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "transaction":
        return 400, outcome("not a transaction Bundle")
    entries = bundle.get("entry") or []
    plan, refs, pending = [], {}, {}
    for i, e in enumerate(entries):
        res, req = e.get("resource") or {}, e.get("request") or {}
        t = res.get("resourceType", "")
        try:
            construct_fhir_element(t, json.loads(json.dumps(res)))
        except Exception as ex:  # noqa: BLE001 - goes back as an OperationOutcome
            return 400, outcome("entry %d (%s): %s" % (i, t, ex))
        if req.get("method") != "POST" or req.get("url") != t:
            return 400, outcome("entry %d: only POST [type] is supported" % i, "not-supported")
        for ident in res.get("identifier") or []:
            if t == "Invoice" and ident.get("value") in FAIL:
                return 422, outcome("Invoice %s: refused by the test HIS" % ident.get("value"),
                                    "business-rule")
        existing = None
        cond = req.get("ifNoneExist")
        if cond:
            q = parse_qs(cond)
            sysval = (q.get("identifier") or [""])[0]
            system, _, value = sysval.partition("|")
            key = (t, system, value)
            existing = IDENT.get(key) or pending.get(key)
        if existing:
            plan.append((i, t, existing, None, "200 OK"))
        else:
            new_id = str(sum(len(v) for v in STORE.values()) + len(plan) + 1)
            keys = [(t, x.get("system", ""), x.get("value", "")) for x in res.get("identifier") or []]
            for k in keys:
                pending[k] = new_id
            plan.append((i, t, new_id, res, "201 Created"))
        if e.get("fullUrl"):
            refs[e["fullUrl"]] = "%s/%s" % (t, existing or plan[-1][2])
    out = []
    for i, t, rid, res, status in plan:
        if res is not None:
            res = dict(res, id=rid)
            rewrite(res, refs)
            STORE.setdefault(t, {})[rid] = res
            for x in res.get("identifier") or []:
                IDENT[(t, x.get("system", ""), x.get("value", ""))] = rid
        out.append({"response": {"status": status, "location": "%s/%s/_history/1" % (t, rid)}})
    STATS["transactions"] += 1
    return 200, {"resourceType": "Bundle", "type": "transaction-response", "entry": out}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, code, body):
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", "application/fhir+json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.rstrip("/").endswith("/_stats"):
            with LOCK:
                counts = {t: len(v) for t, v in STORE.items()}
                self.send(200, {"counts": counts, "transactions": STATS["transactions"]})
        else:
            self.send(404, outcome("not found", "not-found"))

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            bundle = json.loads(self.rfile.read(n).decode("utf-8"))
        except Exception as ex:  # noqa: BLE001
            self.send(400, outcome("not JSON: %s" % ex))
            return
        with LOCK:
            code, body = transaction(bundle)
        self.send(code, body)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--max-seconds", type=float, default=60)
    p.add_argument("--fail-invoice", action="append", default=[])
    a = p.parse_args()
    FAIL.update(a.fail_invoice)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    threading.Timer(a.max_seconds, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
