//! The printed receipt and report checked the way a person would: text read
//! back with pdftotext, the font checked with pdffonts, the QR code scanned
//! with zbarimg from a 300 dpi render, the size of the file.
//!
//! Set `PRINT_PDF_OUT=DIR` to keep the rendered PDFs for a look.

mod print_sample;

use std::path::{Path, PathBuf};
use std::process::Command;

use downtime_billing::error::{ErrorKind, UserFacing};
use downtime_billing::print::kit::Align;
use downtime_billing::print::{
    Column, DocLine, Layout, PrintError, ReportDoc, ReportTable, render, render_report,
};

/// Whether an external tool can be used; without it the test is skipped
/// with a note, except in CI where a missing tool is a failure.
fn have(tool: &str) -> bool {
    let found = Command::new(tool).arg("-v").output().is_ok();
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{tool} is required in CI");
        }
        eprintln!("note: {tool} not found, check skipped");
    }
    found
}

fn save(dir: &Path, name: &str, pdf: &[u8]) -> PathBuf {
    let keep = std::env::var_os("PRINT_PDF_OUT").map(PathBuf::from);
    if let Some(k) = &keep {
        std::fs::create_dir_all(k).unwrap();
        std::fs::write(k.join(name), pdf).unwrap();
    }
    let path = dir.join(name);
    std::fs::write(&path, pdf).unwrap();
    path
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn pdftotext(path: &Path) -> String {
    run("pdftotext", &[path.to_str().unwrap(), "-"])
}

fn pages(path: &Path) -> usize {
    let info = run("pdfinfo", &[path.to_str().unwrap()]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Text with the spaces pdftotext puts between glyphs removed.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn receipt_text_font_and_size_in_both_layouts() {
    let doc = print_sample::receipt();
    let dir = tempfile::tempdir().unwrap();
    // The receipt as JSON, for running the reportlab peer by hand.
    save(
        dir.path(),
        "receipt.json",
        &serde_json::to_vec(&doc).unwrap(),
    );
    for (layout, name) in [(Layout::Roll80, "roll80.pdf"), (Layout::A5, "a5.pdf")] {
        let pdf = render(&doc, layout).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        assert!(
            pdf.len() <= 32 * 1024,
            "{layout:?}: {} bytes > 32 KB",
            pdf.len()
        );
        let path = save(dir.path(), name, &pdf);
        if have("pdftotext") {
            let text = squeeze(&pdftotext(&path));
            for l in &doc.lines {
                assert!(text.contains(&squeeze(&l.name)), "{layout:?}: {}", l.name);
                assert!(text.contains(&l.amount), "{layout:?}: {}", l.amount);
            }
            for needle in [
                doc.number.as_str(),
                doc.total_in_words.as_str(),
                doc.hospital.as_str(),
                doc.title.as_str(),
                "患者联",
                "存根联",
                "¥425.23",
                "西药费",
                "材料费",
                "找零4.77",
                "请于2026-12-14前凭本票据到收费窗口换取正式发票",
                "张晓红",
                "心血管内科门诊",
            ] {
                assert!(text.contains(&squeeze(needle)), "{layout:?}: {needle}");
            }
            // Each copy carries the whole receipt.
            assert_eq!(text.matches(&doc.total_in_words).count(), 2, "{layout:?}");
            assert_eq!(pages(&path), 2, "{layout:?}");
        }
        if have("pdffonts") {
            let fonts = run("pdffonts", &[path.to_str().unwrap()]);
            // The CJK face is embedded as a subset; Latin text uses the
            // standard Helvetica every PDF reader has.
            let rows: Vec<&str> = fonts.lines().skip(2).collect();
            let cjk: Vec<&&str> = rows.iter().filter(|r| r.contains("DroidSans")).collect();
            assert_eq!(cjk.len(), 1, "{fonts}");
            let name = cjk[0].split_whitespace().next().unwrap();
            assert!(name.len() > 7 && name.as_bytes()[6] == b'+', "{fonts}");
            assert!(name[..6].bytes().all(|b| b.is_ascii_uppercase()), "{fonts}");
            assert!(cjk[0].contains("yes yes"), "emb/sub: {fonts}");
            for r in rows.iter().filter(|r| !r.contains("DroidSans")) {
                assert!(r.starts_with("Helvetica "), "unexpected font: {fonts}");
            }
        }
    }
}

#[test]
fn qr_code_scans_to_the_exact_payload_in_both_layouts() {
    if !have("pdftoppm") || !have("zbarimg") {
        return;
    }
    let doc = print_sample::receipt();
    let dir = tempfile::tempdir().unwrap();
    for (layout, name) in [(Layout::Roll80, "qr_roll80"), (Layout::A5, "qr_a5")] {
        let pdf = render(&doc, layout).unwrap();
        let path = save(dir.path(), &format!("{name}.pdf"), &pdf);
        let prefix = dir.path().join(name);
        for page in ["1", "2"] {
            run(
                "pdftoppm",
                &[
                    "-r",
                    "300",
                    "-png",
                    "-f",
                    page,
                    "-l",
                    page,
                    "-singlefile",
                    path.to_str().unwrap(),
                    prefix.to_str().unwrap(),
                ],
            );
            let png = format!("{}.png", prefix.display());
            let decoded = run("zbarimg", &["--raw", "-q", &png]);
            assert_eq!(
                decoded.trim_end_matches('\n'),
                print_sample::PAYLOAD,
                "{layout:?} page {page}"
            );
        }
    }
}

#[test]
fn copies_carry_the_watermark_on_every_page() {
    let mut doc = print_sample::receipt();
    doc.watermark = Some("重打 COPY".into());
    let dir = tempfile::tempdir().unwrap();
    for layout in [Layout::Roll80, Layout::A5] {
        let pdf = render(&doc, layout).unwrap();
        assert!(pdf.len() <= 32 * 1024, "{}", pdf.len());
        let path = save(dir.path(), &format!("copy_{layout:?}.pdf"), &pdf);
        if have("pdftotext") {
            for page in ["1", "2"] {
                let out = run(
                    "pdftotext",
                    &["-f", page, "-l", page, path.to_str().unwrap(), "-"],
                );
                // In black under the title…
                assert!(
                    out.contains("【重打 COPY】"),
                    "{layout:?} page {page}: {out}"
                );
                // …and drawn large across the page (rotated text comes out
                // one glyph run per line, in drawing order with -raw).
                let raw = squeeze(&run(
                    "pdftotext",
                    &["-raw", "-f", page, "-l", page, path.to_str().unwrap(), "-"],
                ));
                assert!(
                    raw.matches("重打COPY").count() >= 3,
                    "{layout:?} page {page}: {raw}"
                );
            }
        }
    }
    // Drill and copy marks together still fit on the roll.
    doc.watermark = Some("演练 DRILL 重打 COPY".into());
    let pdf = render(&doc, Layout::Roll80).unwrap();
    let path = save(dir.path(), "drill_copy.pdf", &pdf);
    if have("pdftotext") {
        let out = squeeze(&pdftotext(&path));
        assert!(out.contains("【演练DRILL重打COPY】"), "{out}");
    }
    // Without a watermark there is none.
    let plain = render(&print_sample::receipt(), Layout::A5).unwrap();
    let path = save(dir.path(), "plain.pdf", &plain);
    if have("pdftotext") {
        assert!(!pdftotext(&path).contains("COPY"));
    }
}

#[test]
fn many_lines_continue_on_further_a5_pages_and_grow_the_roll() {
    let mut doc = print_sample::receipt();
    let base = doc.lines.clone();
    doc.lines = (0..60)
        .map(|i| DocLine {
            name: format!("检验项目第{i}号"),
            ..base[i % base.len()].clone()
        })
        .collect();
    // Wider than any name column: wraps, and every piece is printed.
    doc.lines[0].name = "注射用头孢哌酮钠舒巴坦钠（舒普深）配套溶媒及一次性输液器组合包装".into();
    let dir = tempfile::tempdir().unwrap();
    for layout in [Layout::A5, Layout::Roll80] {
        let pdf = render(&doc, layout).unwrap();
        let path = save(dir.path(), &format!("long_{layout:?}.pdf"), &pdf);
        if have("pdftotext") {
            let text = squeeze(&pdftotext(&path));
            for l in &doc.lines[1..] {
                assert!(text.contains(&squeeze(&l.name)), "{layout:?}: {}", l.name);
            }
            for piece in ["注射用头孢", "组合包装"] {
                assert!(text.contains(piece), "{layout:?}: {piece}");
            }
            let n = pages(&path);
            match layout {
                Layout::A5 => assert!(n >= 4, "{n} pages"),
                Layout::Roll80 => assert_eq!(n, 2),
            }
        }
    }
}

#[test]
fn receipt_without_qr_payload_is_refused() {
    let mut doc = print_sample::receipt();
    doc.qr_payload.clear();
    let err = render(&doc, Layout::Roll80).unwrap_err();
    assert!(matches!(err, PrintError::EmptyQr { .. }));
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert!(
        err.message(downtime_billing::i18n::Lang::Zh)
            .contains("MZ01-00000042")
    );
    doc.qr_payload = "A".repeat(5000);
    assert!(matches!(
        render(&doc, Layout::Roll80),
        Err(PrintError::QrTooLong { len: 5000, .. })
    ));
}

fn shift_report(rows: usize) -> ReportDoc {
    ReportDoc {
        title: "收费员交班报表".into(),
        meta: vec![
            "测试市第一人民医院  终端 MZ01  收款员 张晓红".into(),
            "班次：2026-11-22 08:00 至 2026-11-22 16:30".into(),
        ],
        tables: vec![
            ReportTable {
                title: "按支付方式汇总".into(),
                columns: vec![
                    Column::new("支付方式", Align::Left, 2.0),
                    Column::new("笔数", Align::Right, 1.0),
                    Column::new("金额", Align::Right, 1.5),
                ],
                rows: vec![
                    vec!["现金".into(), "31".into(), "8,215.40".into()],
                    vec!["银行卡".into(), "12".into(), "3,906.00".into()],
                ],
            },
            ReportTable {
                title: "票据明细".into(),
                columns: vec![
                    Column::new("票据号", Align::Left, 2.0),
                    Column::new("时间", Align::Left, 2.0),
                    Column::new("状态", Align::Center, 1.0),
                    Column::new("金额", Align::Right, 1.5),
                ],
                rows: (1..=rows)
                    .map(|i| {
                        vec![
                            format!("MZ01-{i:08}"),
                            format!("2026-11-22 {:02}:{:02}", 8 + i / 60, i % 60),
                            if i % 17 == 0 { "作废" } else { "正常" }.into(),
                            format!("{}.{:02}", 10 + i * 3, i % 100),
                        ]
                    })
                    .collect(),
            },
        ],
        notes: vec!["收款员签字：________    复核：________".into()],
        watermark: None,
    }
}

#[test]
fn report_breaks_pages_repeats_headers_and_numbers_pages() {
    let doc = shift_report(110);
    let pdf = render_report(&doc).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "report.pdf", &pdf);
    if !have("pdftotext") {
        return;
    }
    assert_eq!(pages(&path), 3);
    for (n, m) in [(1, 3), (2, 3), (3, 3)] {
        let p = n.to_string();
        let text = run(
            "pdftotext",
            &["-f", &p, "-l", &p, path.to_str().unwrap(), "-"],
        );
        assert!(
            squeeze(&text).contains(&format!("第{n}页/共{m}页")),
            "page {n}: {text}"
        );
        assert!(text.contains("票据号"), "header repeated on page {n}");
        if n > 1 {
            assert!(text.contains("票据明细（续）"), "page {n}");
        }
    }
    let text = pdftotext(&path);
    assert!(text.contains("MZ01-00000001") && text.contains("MZ01-00000110"));
    assert!(text.contains("收款员签字"));
}

#[test]
fn qr_codes_of_other_lengths_scan_too() {
    if !have("pdftoppm") || !have("zbarimg") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let long = format!(
        "{}:{}",
        print_sample::PAYLOAD,
        "XA01AB001A00001*2+".repeat(12)
    );
    for (i, payload) in ["DB1:MZ01-00000001:0.50:ABCDEF", long.as_str()]
        .into_iter()
        .enumerate()
    {
        let mut doc = print_sample::receipt();
        doc.qr_payload = payload.to_string();
        let pdf = render(&doc, Layout::Roll80).unwrap();
        let path = save(dir.path(), &format!("qr_len_{i}.pdf"), &pdf);
        let prefix = dir.path().join(format!("qr_len_{i}"));
        run(
            "pdftoppm",
            &[
                "-r",
                "300",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                path.to_str().unwrap(),
                prefix.to_str().unwrap(),
            ],
        );
        let png = format!("{}.png", prefix.display());
        let decoded = run("zbarimg", &["--raw", "-q", &png]);
        assert_eq!(decoded.trim_end_matches('\n'), payload, "payload {i}");
    }
}
