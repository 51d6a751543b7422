"""Validates every HL7 message in the given files with hl7apy at STRICT
level, as v2.5 DFT_P03, and prints one JSON report on stdout: how many
messages, which failed and why, and per message what a receiver reads back
(the control id, the unescaped patient name, the FT1 transaction types,
quantities and amounts). Exit 1 when any message fails.

Files hold messages one after the other (segments ended by CR, messages by
LF), as `his export --format hl7` writes them.
"""

import json
import sys

import hl7
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message


def messages(path):
    text = open(path, encoding="utf-8").read()
    out, cur = [], []
    for seg in text.replace("\r\n", "\r").replace("\n", "\r").split("\r"):
        if not seg:
            continue
        if seg.startswith("MSH") and cur:
            out.append("\r".join(cur) + "\r")
            cur = []
        cur.append(seg)
    if cur:
        out.append("\r".join(cur) + "\r")
    return out


def main(paths):
    report = {"messages": 0, "failed": [], "read_back": []}
    for path in paths:
        for text in messages(path):
            report["messages"] += 1
            try:
                m = parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
                assert m.name == "DFT_P03", "structure %s" % m.name
                assert m.msh.msh_12.value == "2.5", "version %s" % m.msh.msh_12.value
                assert m.msh.msh_9.value == "DFT^P03^DFT_P03", "type %s" % m.msh.msh_9.value
                assert m.msh.msh_18.value == "UNICODE UTF-8", "charset %s" % m.msh.msh_18.value
                assert m.validate() is not False, "validate() returned False"
            except Exception as e:  # noqa: BLE001 - reported, not hidden
                report["failed"].append({"message": text[:200], "error": "%s: %s" % (type(e).__name__, e)})
                continue
            h = hl7.parse(text)
            report["read_back"].append({
                "control_id": str(h.segment("MSH")(10)),
                "name": h.unescape(str(h.segment("PID")(5))),
                "department": h.unescape(str(h.segment("PV1")(3))),
                "ft1": [
                    {
                        "type": str(s(6)),
                        "code": h.unescape(str(s(7)(1)(1))),
                        "item": h.unescape(str(s(7)(1)(2))),
                        "qty": str(s(10)),
                        "amount": str(s(11)(1)(1)(1)),
                        "currency": str(s(11)(1)(1)(2)),
                    }
                    for s in h.segments("FT1")
                ],
            })
    json.dump(report, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 1 if report["failed"] or report["messages"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
