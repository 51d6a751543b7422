//! The monthly price book of the shared 30k list, as a person checks a
//! binder: the page count, the index naming every category with the page
//! it starts on (and that page really starting it), the month and "第 N 页
//! / 共 M 页" on every page, every item exactly once, and pinyin order
//! within each category — read back from the PDF with pdftotext.

use downtime_billing::prices::book::pinyin_key;
use serde_json::Value;
use std::collections::HashMap;

mod receipts_support;
use receipts_support::*;

struct Item {
    name: String,
    category: String,
}

fn shared_items() -> HashMap<String, Item> {
    let text = std::fs::read_to_string(SHARED_30K).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[0].to_string(),
                Item {
                    name: rec[1].to_string(),
                    category: rec[6].to_string(),
                },
            )
        })
        .collect()
}

#[test]
fn the_30k_price_book_has_an_index_page_numbers_and_pinyin_order() {
    let env = setup();
    let (code, _, err) = env.run(
        "admin",
        &["prices", "import", SHARED_30K, "--month", "2026-12"],
    );
    assert_eq!(code, 0, "{err}");
    let pdf = env.root().join("book-2026-12.pdf");
    // Read-only like the other price commands: no --user needed.
    let out = std::process::Command::new(bin())
        .env_clear()
        .env("DOWNTIME_BILLING_DATA_DIR", env.data_dir().root())
        .args(["prices", "book", "--month", "2026-12", "--json", "--out"])
        .arg(&pdf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = shared_items();
    assert_eq!(summary["items"], items.len());
    let pages = summary["pages"].as_u64().unwrap() as usize;
    assert!(pages > 300, "{pages} pages for 30k items");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
    if !has_tool("pdftotext") {
        return;
    }
    let o = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    let texts: Vec<&str> = text
        .split('\x0c')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert_eq!(texts.len(), pages, "pdftotext pages");
    for (i, p) in texts.iter().enumerate() {
        let squeezed: String = p.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            squeezed.contains(&format!("第{}页/共{pages}页", i + 1)),
            "page {} has no page number",
            i + 1
        );
        assert!(p.contains("2026-12"), "page {} has no month", i + 1);
    }
    // The index: every category of the list, with the page it starts on.
    let index = summary["index"].as_array().unwrap();
    let mut categories: Vec<&str> = items.values().map(|i| i.category.as_str()).collect();
    categories.sort();
    categories.dedup();
    assert_eq!(index.len(), categories.len());
    let header_of = |p: &str| {
        p.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .to_string()
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for entry in index {
        let cat = entry["category"].as_str().unwrap();
        let first = entry["first_page"].as_u64().unwrap() as usize;
        let count = entry["items"].as_u64().unwrap() as usize;
        assert_eq!(
            count,
            items.values().filter(|i| i.category == cat).count(),
            "{cat}"
        );
        // The index page lists it with that page number.
        let line = texts[0]
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{cat} ")))
            .unwrap_or_else(|| panic!("{cat} not in the index"));
        assert!(
            line.trim_end().ends_with(&format!(" {first}")),
            "index line for {cat}: {line}"
        );
        // That page is the first whose header names the category.
        let page_header = header_of(texts[first - 1]);
        assert!(page_header.contains(cat), "page {first}: {page_header}");
        assert!(
            !header_of(texts[first - 2]).contains(&format!(" {cat} ")),
            "{cat} starts earlier"
        );
        // Every item of the category once, in pinyin order, on its pages.
        let end = index
            .iter()
            .map(|e| e["first_page"].as_u64().unwrap() as usize)
            .filter(|p| *p > first)
            .min()
            .unwrap_or(pages + 1);
        let mut keys = Vec::new();
        for p in &texts[first - 1..end - 1] {
            assert!(header_of(p).contains(cat));
            for l in p.lines() {
                let Some(code) = l.split_whitespace().next() else {
                    continue;
                };
                if let Some(item) = items.get(code) {
                    assert_eq!(item.category, cat, "{code} under {cat}");
                    *seen.entry(code.to_string()).or_default() += 1;
                    keys.push((pinyin_key(&item.name), code.to_string()));
                }
            }
        }
        assert_eq!(keys.len(), count, "{cat}: items printed");
        for w in keys.windows(2) {
            assert!(w[0].0 <= w[1].0, "{cat}: {} before {}", w[0].1, w[1].1);
        }
    }
    assert_eq!(seen.len(), items.len());
    assert!(seen.values().all(|n| *n == 1));
}

#[test]
fn who_may_print_it_and_what_is_refused() {
    let env = setup();
    let pdf = env.root().join("book.pdf");
    let p = pdf.to_str().unwrap();
    // A cashier may; a pharmacist-only user may not.
    let (code, _, err) = env.run(
        "cash1",
        &["prices", "book", "--month", "2026-01", "--out", p],
    );
    assert_eq!(code, 0, "{err}");
    assert!(pdf.exists());
    let other = env.root().join("b2.pdf");
    let (code, _, err) = env.run(
        "pharm",
        &[
            "prices",
            "book",
            "--month",
            "2026-01",
            "--out",
            other.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 3, "{err}");
    assert!(!other.exists());
    // No list for the month; not a PDF name; not a month.
    let (code, _, err) = env.run(
        "admin",
        &["prices", "book", "--month", "2030-05", "--out", p],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("2030-05"), "{err}");
    let txt = env.root().join("book.txt");
    let (code, _, err) = env.run(
        "admin",
        &[
            "prices",
            "book",
            "--month",
            "2026-01",
            "--out",
            txt.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(!txt.exists());
    let (code, _, _) = env.run("admin", &["prices", "book", "--month", "26-1", "--out", p]);
    assert_eq!(code, 2);
}
