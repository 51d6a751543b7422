#!/usr/bin/env python3
"""The benchmark peer: the same two-copy 80 mm roll receipt rendered with
reportlab 5, CJK text in the same Droid Sans Fallback TTF (subset by
reportlab), Latin text in the standard Helvetica, and a level-M QR code of
the same payload, 36 mm square, encoded once per render and drawn as merged
runs of modules (reportlab's own QR widget re-encodes on every draw and
draws one rectangle per module, which made it 30 times slower).

The font is registered (parsed) once per process, as in the Rust renderer;
each timed render builds the whole PDF in memory, like `print::render`.
Install reportlab's C accelerator too (`pip install reportlab rl_accel`),
otherwise number formatting runs in pure Python.

    python3 benches/reportlab_receipt.py RECEIPT.json FONT.ttf --runs 500 [--out r.pdf]
        prints {"ns": [...], "cpu_ns": [...], "size": N} for that many renders
        (wall-clock and thread CPU time of each)
    python3 benches/reportlab_receipt.py RECEIPT.json FONT.ttf --serve
        reads a count per line on stdin and answers each with the same JSON,
        so the Rust benchmark can interleave rounds of both renderers;
        "N cached" renders with the QR code encoded once beforehand (the
        pure-Python QR encoder is most of reportlab's time: this shows the
        rest of the peer on its own)

RECEIPT.json is a serialized `ReceiptDoc` (the Rust bench writes it).
"""

import io
import json
import sys
import time

from reportlab import rl_config
from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

CJK = "DroidSansFallback"
LATIN = "Helvetica"
PAGE_W = 80 * mm
MARGIN = 4 * mm
RIGHT = PAGE_W - MARGIN
CONTENT = PAGE_W - 2 * MARGIN
BODY = 7.5
QR = 36 * mm


def runs(text):
    """Splits text into (font, run): Latin-1 in Helvetica, the rest in CJK."""
    out = []
    for ch in text:
        face = LATIN if ord(ch) <= 0xFF else CJK
        if out and out[-1][0] == face:
            out[-1][1] += ch
        else:
            out.append([face, ch])
    return out


def width(text, size):
    return sum(pdfmetrics.stringWidth(r, f, size) for f, r in runs(text))


def wrap(text, size, limit):
    lines, line, w = [], "", 0.0
    for ch in text:
        cw = width(ch, size)
        if line and w + cw > limit:
            lines.append(line)
            line, w = "", 0.0
        line += ch
        w += cw
    lines.append(line)
    return lines


def qr_runs(payload):
    """Encodes once (level M) and merges dark modules into horizontal runs,
    as the Rust renderer does."""
    q = QRCode(None, QRErrorCorrectLevel.M)
    q.addData(payload)
    q.make()
    n = q.getModuleCount()
    runs = []
    for r in range(n):
        c = 0
        while c < n:
            if not q.isDark(r, c):
                c += 1
                continue
            start = c
            while c < n and q.isDark(r, c):
                c += 1
            runs.append((r, start, c - start))
    return n, runs


class Layout:
    """Collects text and rules top-down (y in points from the top)."""

    def __init__(self):
        self.items = []
        self.y = MARGIN

    def text(self, x, y, size, align, s):
        if not s:
            return
        if align == "c":
            x -= width(s, size) / 2
        elif align == "r":
            x -= width(s, size)
        self.items.append(("t", x, y, size, s))

    def row(self, size, cells):
        lh = size * 1.45
        self.y += lh
        for x, align, s in cells:
            self.text(x, self.y - lh * 0.25, size, align, s)

    def para(self, size, s, limit=CONTENT, align="l"):
        for line in wrap(s, size, limit):
            x = {"l": MARGIN, "c": PAGE_W / 2, "r": RIGHT}[align]
            self.row(size, [(x, align, line)])

    def rule(self, thick):
        self.y += 1 * mm
        self.items.append(("r", MARGIN, self.y, CONTENT, thick * mm))
        self.y += 0.6 * mm


def layout_copy(doc, copy):
    lay = Layout()
    lay.para(11, doc["hospital"], align="c")
    lay.para(9.5, doc["title"], align="c")
    if doc.get("watermark"):
        lay.para(BODY + 1.5, "【%s】" % doc["watermark"], align="c")
    lay.y += 1 * mm
    lay.row(BODY, [(MARGIN, "l", "No. " + doc["number"]), (RIGHT, "r", "【%s】" % copy)])
    for s in (
        "时间：" + doc["issued_at"],
        "终端：%s    收款员：%s" % (doc["terminal"], doc["cashier"]),
        "患者：" + doc["patient"],
        "费别：" + doc["payer"],
        "科室：%s    医生：%s" % (doc["department"], doc["doctor"]),
    ):
        lay.para(BODY, s)
    lay.rule(0.3)
    qty_x, price_x = MARGIN + 43 * mm, MARGIN + 57 * mm
    lay.row(BODY, [(MARGIN, "l", "项目/规格"), (qty_x, "r", "数量"), (price_x, "r", "单价"), (RIGHT, "r", "金额")])
    lay.rule(0.15)
    for line in doc["lines"]:
        for name in wrap(line["name"], BODY, CONTENT):
            lay.row(BODY, [(MARGIN, "l", name)])
        lay.row(BODY - 0.5, [
            (MARGIN + 2 * mm, "l", line["spec"]),
            (qty_x, "r", line["qty"] + line["unit"]),
            (price_x, "r", line["unit_price"]),
            (RIGHT, "r", line["amount"]),
        ])
    lay.rule(0.15)
    cell = CONTENT / 2
    subs = doc["subtotals"]
    for i in range(0, len(subs), 2):
        cells = []
        for j, (name, amount) in enumerate(subs[i:i + 2]):
            x0 = MARGIN + cell * j
            cells += [(x0, "l", name), (x0 + cell - 3 * mm, "r", amount)]
        lay.row(BODY, cells)
    lay.rule(0.3)
    lay.row(BODY + 2, [(MARGIN, "l", "合计"), (RIGHT, "r", "¥" + doc["total"])])
    lay.para(BODY, "大写：" + doc["total_in_words"])
    for p in doc["payments"]:
        lay.para(BODY, p)
    lay.rule(0.15)
    lay.para(BODY, doc["deadline_note"])
    for n in doc["notes"]:
        lay.para(BODY, n)
    lay.y += 1 * mm
    qr_top = lay.y
    lay.y += QR
    lay.para(BODY - 1, "扫码核验本票据", align="c")
    return lay, qr_top


def render(doc, qr_cached=None):
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pageCompression=1)
    c.setTitle("%s %s" % (doc["title"], doc["number"]))
    n, qr = qr_cached or qr_runs(doc["qr_payload"])
    module = QR / (n + 8)
    for copy in ("患者联", "存根联"):
        lay, qr_top = layout_copy(doc, copy)
        height = lay.y + MARGIN + 6 * mm
        c.setPageSize((PAGE_W, height))
        for it in lay.items:
            if it[0] == "t":
                _, x, y, size, s = it
                for face, r in runs(s):
                    c.setFont(face, size)
                    c.drawString(x, height - y, r)
                    x += pdfmetrics.stringWidth(r, face, size)
            else:
                _, x, y, w, t = it
                c.rect(x, height - y - t / 2, w, t, stroke=0, fill=1)
        x0 = (PAGE_W - QR) / 2 + 4 * module
        top = height - qr_top - 4 * module
        path = c.beginPath()
        for r, col, length in qr:
            path.rect(x0 + col * module, top - (r + 1) * module, length * module, module)
        c.drawPath(path, stroke=0, fill=1)
        c.showPage()
    c.save()
    return buf.getvalue()


def timed(doc, n, qr_cached=None):
    """Wall-clock and thread CPU nanoseconds of each of `n` renders."""
    ns, cpu, size = [], [], 0
    for _ in range(n):
        t, c = time.perf_counter_ns(), time.thread_time_ns()
        pdf = render(doc, qr_cached)
        ns.append(time.perf_counter_ns() - t)
        cpu.append(time.thread_time_ns() - c)
        size = len(pdf)
    return {"ns": ns, "cpu_ns": cpu, "size": size}


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    # Binary (not ASCII85) streams, as printpdf writes them: smaller and faster.
    rl_config.useA85 = 0
    pdfmetrics.registerFont(TTFont(CJK, argv[2]))
    args = argv[3:]
    if "--serve" in args:
        cached = qr_runs(doc["qr_payload"])
        for line in sys.stdin:
            words = line.split()
            if not words or words[0] == "q":
                break
            qr = cached if "cached" in words[1:] else None
            print(json.dumps(timed(doc, int(words[0]), qr)), flush=True)
        return 0
    n = int(args[args.index("--runs") + 1]) if "--runs" in args else 200
    result = timed(doc, n)
    if "--out" in args:
        with open(args[args.index("--out") + 1], "wb") as f:
            f.write(render(doc))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
