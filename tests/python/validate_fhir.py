"""Validates FHIR bundles with fhir.resources 6.4.0 (pydantic 1; FHIR R4
4.0.1): the Bundle and every resource in it are parsed into their R4
models, which refuses unknown elements, wrong types and missing required
elements. Prints one JSON report per run: counts by resource type, the
checks on conditional creates and money, and per Invoice what a receiver
reads back. Exit 1 on any failure.
"""

import json
import sys
from decimal import Decimal

import fhir.resources
from fhir.resources.bundle import Bundle


def main(paths):
    report = {"fhir_version": fhir.resources.__fhir_version__, "bundles": 0,
              "failed": [], "counts": {}, "invoices": []}
    for path in paths:
        raw = open(path, encoding="utf-8").read()
        try:
            # parse_float=Decimal keeps 13.60 as written.
            data = json.loads(raw, parse_float=Decimal)
            b = Bundle.parse_obj(data)
            assert b.type == "transaction", "bundle type %s" % b.type
            report["bundles"] += 1
            for e in b.entry or []:
                r = e.resource
                t = r.resource_type
                report["counts"][t] = report["counts"].get(t, 0) + 1
                assert e.request is not None and e.request.method == "POST", "%s: not a POST" % t
                assert e.request.ifNoneExist and e.request.ifNoneExist.startswith("identifier="), \
                    "%s: no ifNoneExist" % t
                assert r.identifier and r.identifier[0].system, "%s: no business identifier" % t
                if t == "ChargeItem":
                    assert r.priceOverride.currency == "CNY", "ChargeItem currency"
                if t == "Invoice":
                    assert r.totalGross.currency == "CNY", "Invoice currency"
                    lines = r.lineItem or []
                    s = sum((c.amount.value for li in lines for c in li.priceComponent), Decimal("0"))
                    if lines:
                        assert s == r.totalGross.value, "%s: lines %s != total %s" % (
                            r.identifier[0].value, s, r.totalGross.value)
                    report["invoices"].append({
                        "number": r.identifier[0].value,
                        "kind": r.type.coding[0].code,
                        "total": str(r.totalGross.value),
                        "lines": len(lines),
                    })
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            report["failed"].append({"file": path, "error": "%s: %s" % (type(e).__name__, e)})
    json.dump(report, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 1 if report["failed"] or report["bundles"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
