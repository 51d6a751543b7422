#!/usr/bin/env python3
"""Writes the committed seed corpora under fuzz/seeds/<target>/.

Usage: python3 fuzz/make_seeds.py DEMO_DIR
  DEMO_DIR: made by `downtime-billing demo --receipts 6` (journals, QR
  payloads, the HIS results file). Journals and QR codes are re-signed
  under the fuzz key (checks::FUZZ_KEY, 32 bytes of 0x5a) so the readers
  go past the signature into the fields. Small files only: the seeds stay
  well under 2 MB in all.
"""
import hashlib
import hmac
import io
import json
import os
import sqlite3
import sys
import zipfile

ROOT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(ROOT)
SHARED = os.path.join(REPO, "..", "shared", "data", "import")
KEY = bytes([0x5A] * 32)
FINGERPRINT = hashlib.sha256(KEY).hexdigest()[:16]


def out(target, name, data):
    d = os.path.join(ROOT, "seeds", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def head_lines(data, limit):
    """The first lines of a file, at most `limit` bytes (cut at a newline)."""
    if len(data) <= limit:
        return data
    return data[: data.rindex(b"\n", 0, limit) + 1]


def resign_journal(data):
    lines = data.splitlines(keepends=True)
    header = json.loads(lines[0])
    header["key_fingerprint"] = FINGERPRINT
    lines[0] = (json.dumps(header, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    body = [l for l in lines if not l.startswith(b'{"end"')]
    end = json.loads([l for l in lines if l.startswith(b'{"end"')][0])["end"]
    digest = hashlib.sha256(b"".join(body)).digest()
    rows = json.dumps(end["rows"], separators=(",", ":"), sort_keys=True).encode()
    msg = b"downtime-billing journal v1\n" + digest + rows
    end["sha256"] = digest.hex()
    end["hmac"] = hmac.new(KEY, msg, hashlib.sha256).hexdigest()
    trailer = (json.dumps({"end": end}, separators=(",", ":")) + "\n").encode()
    return b"".join(body) + trailer


def resign_qr(code):
    body = code.rsplit(":", 1)[0]
    tag = hmac.new(KEY, body.encode(), hashlib.sha256).digest()[:16]
    return body + ":" + tag.hex().upper()


def xlsx(rows, dimension=None):
    """A minimal workbook: one sheet of inline strings and numbers."""
    def cell(r, c, v):
        ref = chr(ord("A") + c) + str(r)
        if isinstance(v, (int, float)):
            return f'<c r="{ref}"><v>{v}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'

    sheet_rows = "".join(
        f'<row r="{i + 1}">' + "".join(cell(i + 1, j, v) for j, v in enumerate(row)) + "</row>"
        for i, row in enumerate(rows)
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dim}<sheetData>{sheet_rows}</sheetData></worksheet>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def main():
    demo = sys.argv[1]
    # Price lists: CSV (UTF-8 and GBK), XLSX, JSON.
    for name in sorted(os.listdir(SHARED)):
        data = read(os.path.join(SHARED, name))
        if name.endswith(".csv"):
            out("prices_csv", name, head_lines(data, 4096))
        elif name.endswith(".xlsx"):
            out("prices_xlsx", name, data)
    sample = read(os.path.join(REPO, "price_lists", "sample_2026-11.csv"))
    out("prices_csv", "sample_head.csv", head_lines(sample, 2048))
    header = ["项目编码", "项目名称", "拼音码", "规格", "单位", "单价", "类别", "医保类别", "条形码"]
    out("prices_xlsx", "small.xlsx", xlsx([
        ["2026年12月价格表"],
        header,
        ["XA01", "阿莫西林胶囊", "AMXLJN", "0.25g*24", "盒", 12.5, "西药", "甲", "6901234567890"],
        ["210102015", "血常规", "XCG", "", "次", "25.00", "检验", "", ""],
    ]))
    items = [
        {"code": "XA01", "name": "阿莫西林胶囊", "spec": "0.25g*24", "unit": "盒",
         "price": "12.50", "category": "西药", "insurance_class": "甲"},
        {"code": "210102015", "name": "血常规", "unit": "次", "price": 25,
         "category": "检验", "aliases": "血细胞分析"},
    ]
    out("prices_json", "list.json", json.dumps(items, ensure_ascii=False, indent=1))
    out("prices_json", "items_object.json", json.dumps({"items": items}, ensure_ascii=False))
    # Calendar.
    out("calendar", "2026.json", read(os.path.join(REPO, "assets", "calendar", "2026.json")))
    # HIS results.
    out("his_results", "demo.csv", read(os.path.join(demo, "his_results.csv")))
    # Journals (smallest two) and QR codes of the demo's receipts.
    journals = sorted((os.path.getsize(os.path.join(demo, j)), j)
                      for j in os.listdir(demo) if j.endswith(".journal"))
    for _, j in journals[:2]:
        out("journal", j, resign_journal(read(os.path.join(demo, j))))
    n = 0
    for term in sorted(os.listdir(demo)):
        db = os.path.join(demo, term, "downtime-billing.sqlite3")
        if not os.path.exists(db):
            continue
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        for (code,) in con.execute("SELECT qr_payload FROM receipts WHERE qr_payload <> '' LIMIT 3"):
            out("qr_payload", f"{term}_{n}.txt", resign_qr(code))
            n += 1
        con.close()
    # Backups: patches to the demo backup ("P" + offset/byte pairs), and a
    # tiny database holding the three tables the shape check looks for.
    out("backup_restore", "patch_header.bin", b"P" + (18).to_bytes(4, "little") + b"\x02")
    out("backup_restore", "patch_none.bin", b"P")
    tiny = os.path.join("/tmp", "fuzz-seed-tiny.sqlite3")
    if os.path.exists(tiny):
        os.remove(tiny)
    con = sqlite3.connect(tiny)
    con.executescript(
        "PRAGMA page_size=512; CREATE TABLE audit_log(seq INTEGER PRIMARY KEY, hash TEXT);"
        "CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT);"
        "CREATE TABLE receipts(id INTEGER PRIMARY KEY, number TEXT);"
        "INSERT INTO settings VALUES('terminal.code','MZ01');")
    con.close()
    out("backup_restore", "three_tables.sqlite3", read(tiny))
    os.remove(tiny)


if __name__ == "__main__":
    main()
