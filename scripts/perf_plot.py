#!/usr/bin/env python3
"""Growth charts and tables for docs/performance.md.

Reads the CSVs `cargo bench --bench growth` writes into docs/performance/
(search, issue, import, pharmacy), turns the finance bench's printed table
(docs/performance/raw/finance.txt, from `cargo bench --bench finance`) into
finance.csv, draws one log-log chart per curve (docs/performance/*.png) and
prints each curve as a Markdown table.

    scripts/perf_plot.py [DIR]          (default docs/performance)

Needs matplotlib (scripts/perf_requirements.txt); scripts/perf_report.sh
makes the venv.
"""

import csv
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(path):
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def finance_csv(out):
    """The finance bench prints `n | export | import | export+import | MB |
    reconcile | RSS` with each time as `W ms (C)` (wall, CPU); the header
    line names the columns, so a column added later does not shift these."""
    raw = out / "raw" / "finance.txt"
    if not raw.exists():
        return []
    header = None
    rows = []
    for line in raw.read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 4:
            continue
        if cells[0] == "receipts":
            header = cells
            continue
        if header is None or not cells[0].isdigit():
            continue
        row = {"receipts": cells[0]}
        for name, cell in zip(header[1:], cells[1:]):
            m = re.match(r"([\d.]+)\s*ms\s*\(\s*([\d.]+)\s*\)", cell)
            key = re.sub(r"[^a-z+]+", "_", name.lower()).strip("_")
            if m:
                row[key + "_wall_ms"] = m.group(1)
                row[key + "_cpu_ms"] = m.group(2)
            else:
                num = re.match(r"[\d.]+", cell)
                row[key] = num.group(0) if num else cell
        rows.append(row)
    if rows:
        keys = list(rows[0].keys())
        with (out / "finance.csv").open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=keys)
            w.writeheader()
            w.writerows(rows)
    return rows


def chart(out, name, title, xlabel, ylabel, x, series, targets=()):
    """One log-log chart: series is [(label, ys, style)], targets
    [(label, y)] drawn as dashed horizontal lines."""
    fig, ax = plt.subplots(figsize=(7.5, 4.6), dpi=110)
    for label, ys, style in series:
        pts = [(a, b) for a, b in zip(x, ys) if b is not None and b > 0]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label, lw=1.6, ms=5)
    for label, y in targets:
        ax.axhline(y, ls="--", lw=1, color="tab:red")
        ax.annotate(label, (x[0], y), textcoords="offset points", xytext=(2, 3), color="tab:red", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / f"{name}.png")
    plt.close(fig)
    print(f"wrote {out / (name + '.png')}")


def f(v):
    return float(v) if v not in (None, "") else None


def table(head, rows):
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(str(c) for c in r) + " |")
    print()


def n(v):
    return f"{int(v):,}"


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/performance")

    s = read(out / "search.csv")
    if s:
        x = [int(r["items"]) for r in s]
        chart(out, "search", "Item search per keystroke (22 queries of 1-4 chars, top 50)",
              "items in the list", "latency, µs",
              x, [("ours p99", [f(r["ours_p99_us"]) for r in s], "o-b"),
                  ("ours p50", [f(r["ours_p50_us"]) for r in s], "o:b"),
                  ("FTS5 trigram p99", [f(r["fts5_p99_us"]) for r in s], "s-g"),
                  ("FTS5 trigram p50", [f(r["fts5_p50_us"]) for r in s], "s:g")],
              [("target p99 100 µs", 100)])
        print("search")
        table(["items", "ours p50", "ours p99 (CPU p99)", "FTS5 p50", "FTS5 p99", "FTS5/ours p99",
               "build ours / FTS5", "1–2 char queries with 0 rows: ours / FTS5"],
              [[n(r["items"]), f"{f(r['ours_p50_us']):.1f} µs",
                f"{f(r['ours_p99_us']):.1f} µs ({f(r['ours_cpu_p99_us']):.1f})",
                f"{f(r['fts5_p50_us']):.1f} µs", f"{f(r['fts5_p99_us']):,.0f} µs",
                f"{f(r['ratio_p99']):.1f}×", f"{r['ours_build_ms']} / {r['fts5_build_ms']} ms",
                f"{r['ours_short_empty']} / {r['fts5_short_empty']} of {r['short_queries']}"] for r in s])

    i = read(out / "issue.csv")
    if i:
        x = [int(r["receipts"]) for r in i]
        chart(out, "issue", "Durable 5-line receipt issue vs receipts already held",
              "receipts already in the database", "latency, ms",
              x, [("issue p50", [f(r["issue_p50_ms"]) for r in i], "o-b"),
                  ("issue p99", [f(r["issue_p99_ms"]) for r in i], "o:b"),
                  ("issue CPU p50", [f(r["issue_cpu_p50_ms"]) for r in i], "^-c"),
                  ("4 KiB append + fsync p50 (floor)", [f(r["floor_p50_ms"]) for r in i], "s-g")])
        print("issue")
        table(["receipts held", "issue p50", "issue p99", "issue CPU p50", "floor p50",
               "paired ratio (median)", "database", "pre-fill"],
              [[n(r["receipts"]), f"{r['issue_p50_ms']} ms", f"{r['issue_p99_ms']} ms",
                f"{r['issue_cpu_p50_ms']} ms", f"{r['floor_p50_ms']} ms",
                f"{r['paired_ratio_median']}×", f"{r['db_mb']} MB", f"{r['fill_s']} s"] for r in i])

    im = read(out / "import.csv")
    if im:
        x = [int(r["items"]) for r in im]
        chart(out, "import", "Price-list import into a fresh database (parse, check, one transaction)",
              "items in the list", "time, ms",
              x, [("wall p50", [f(r["wall_p50_ms"]) for r in im], "o-"),
                  ("CPU p50", [f(r["cpu_p50_ms"]) for r in im], "^-")],
              [("target 1 s at 30k", 1000)])
        print("import")
        table(["items", "wall p50", "wall max", "CPU p50", "file", "runs"],
              [[n(r["items"]), f"{r['wall_p50_ms']} ms", f"{r['wall_max_ms']} ms",
                f"{r['cpu_p50_ms']} ms", f"{r['list_mb']} MB", r["runs"]] for r in im])

    ph = read(out / "pharmacy.csv")
    if ph:
        x = [int(r["items"]) for r in ph]
        chart(out, "pharmacy", "Pharmacy verify + look-up of a 10-line code vs snapshot size",
              "items in the snapshot", "latency, µs",
              x, [("p50", [f(r["p50_us"]) for r in ph], "o-"),
                  ("p99", [f(r["p99_us"]) for r in ph], "o:"),
                  ("CPU p99", [f(r["cpu_p99_us"]) for r in ph], "^-")],
              [("target 1 ms", 1000)])
        print("pharmacy")
        table(["items", "p50", "p99", "CPU p99", "samples"],
              [[n(r["items"]), f"{r['p50_us']} µs", f"{r['p99_us']} µs", f"{r['cpu_p99_us']} µs",
                r["samples"]] for r in ph])

    fi = finance_csv(out)
    if fi:
        x = [int(r["receipts"]) for r in fi]
        ei = "export+import"
        chart(out, "finance", "Journal export + import and reconcile at the finance station",
              "receipts", "time, ms",
              x, [("export + import, wall", [f(r.get(ei + "_wall_ms")) for r in fi], "o-b"),
                  ("export + import, CPU", [f(r.get(ei + "_cpu_ms")) for r in fi], "o:b"),
                  ("reconcile, wall", [f(r.get("reconcile_records_wall_ms")) for r in fi], "s-g"),
                  ("reconcile, CPU", [f(r.get("reconcile_records_cpu_ms")) for r in fi], "s:g")],
              [("target at 100k: export + import 2 s", 2000),
               ("target at 100k: reconcile 1 s", 1000)])
        print("finance")
        table(["receipts", "export", "import", "export + import", "reconcile", "journal", "peak RSS"],
              [[n(r["receipts"]),
                f"{r.get('export_wall_ms')} ms ({r.get('export_cpu_ms')} CPU)",
                f"{r.get('import_wall_ms')} ms ({r.get('import_cpu_ms')} CPU)",
                f"{r.get(ei + '_wall_ms')} ms ({r.get(ei + '_cpu_ms')} CPU)",
                f"{r.get('reconcile_records_wall_ms')} ms ({r.get('reconcile_records_cpu_ms')} CPU)",
                f"{r.get('journal_mb')} MB", f"{r.get('peak_rss_mb')} MB"] for r in fi])


if __name__ == "__main__":
    main()
