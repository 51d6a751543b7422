//! A missing font file. The program carries its one CJK font inside the
//! binary (`fonts::CJK_FONT`, Droid Sans Fallback): the GUI and every PDF
//! use those bytes, so no font file of the program can go missing. What a
//! hospital PC can lack is the *system's* fonts (a minimal UOS/Kylin or
//! Debian install, a Windows PC with a broken font folder). This test takes
//! them all away — empty folders mounted over `/usr/share/fonts`,
//! `/usr/local/share/fonts` and `/etc/fonts` in a private mount namespace
//! (root; a normal user, or root without namespaces, gets an empty fontconfig
//! instead) — and checks that
//! the GUI still has every Chinese glyph it draws and that a receipt and the
//! price book are written with their CJK font embedded and read back.

mod cli_support;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const INNER_ENV: &str = "DTB_FAULTS_NO_FONTS";
const NOW: &str = "2026-11-02T09:00:00+08:00";

/// Runs `program args` on a system without font files (root with mount
/// namespaces), or with none visible to fontconfig (otherwise).
fn without_system_fonts(
    program: &Path,
    args: &[OsString],
    envs: &[(&str, OsString)],
) -> Option<Output> {
    let run = |mut c: Command| {
        for (k, _) in std::env::vars() {
            if k.starts_with("DOWNTIME_BILLING_") {
                c.env_remove(k);
            }
        }
        for (k, v) in envs {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    // An empty fontconfig: what a normal user (or root without mount
    // namespaces) can take away — every fontconfig lookup finds nothing,
    // though a path read directly would still be found.
    let empty_fontconfig = || {
        let conf = std::env::temp_dir().join(format!("dtb-no-fonts-{}.conf", std::process::id()));
        std::fs::write(&conf, "<?xml version=\"1.0\"?><fontconfig></fontconfig>\n").unwrap();
        let mut c = Command::new(program);
        c.args(args).env("FONTCONFIG_FILE", &conf);
        let out = run(c);
        let _ = std::fs::remove_file(conf);
        out
    };
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some(empty_fontconfig());
    }
    let script = r#"for d in /usr/share/fonts /usr/local/share/fonts /etc/fonts; do
        if [ -d "$d" ]; then mount -t tmpfs -o ro,size=1k none "$d" || exit 97; fi
    done
    [ -z "$(find /usr/share/fonts -type f 2>/dev/null | head -n 1)" ] || exit 97
    exec "$@""#;
    let mut c = Command::new("unshare");
    c.args(["-m", "sh", "-c", script, "sh"])
        .arg(program)
        .args(args);
    let out = run(c);
    if out.status.code() != Some(97) {
        return Some(out);
    }
    eprintln!("note: root without `unshare -m` here: system fonts hidden from fontconfig only");
    Some(empty_fontconfig())
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("-v").output().is_ok()
}

/// The break this catches: a GUI or PDF font taken from the system at run
/// time instead of the bytes in the binary (a `fonts-droid-fallback` or
/// `fonts-wqy` path, a fontconfig lookup): with no system fonts the GUI
/// has no Chinese glyphs and the PDF has no CJK font, or it fails. Tried
/// once: `ui::fonts::install` reading
/// `/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf` (Debian's
/// fonts-droid-fallback, present on this machine) instead of the embedded
/// bytes passed with the system's fonts and failed here without them (the
/// inner GUI half panicked on the empty font).
#[test]
fn without_any_system_font_the_gui_and_the_pdfs_have_their_chinese() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data");
    cli_support::set_up(&dir, "MZ01", Some(NOW));
    let bin = cli_support::binary();
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/price_lists/sample_2026-11.csv"
    );
    let body = root.path().join("body.json");
    std::fs::write(
        &body,
        r#"{"kind":"outpatient","patient":{"name":"张三"},"payer":{"type":"self_pay"},
            "lines":[{"code":"XA01AB001A00001","qty":"2"}],
            "payments":[{"method":"cash","amount":"13.60","tendered":"20.00"}]}"#,
    )
    .unwrap();
    let receipt_pdf = root.path().join("r.pdf");
    let book_pdf = root.path().join("book.pdf");
    let envs: Vec<(&str, OsString)> = vec![
        ("DOWNTIME_BILLING_DATA_DIR", dir.clone().into()),
        ("DOWNTIME_BILLING_PIN", cli_support::ADMIN_PIN.into()),
        ("DOWNTIME_BILLING_NOW", NOW.into()),
        ("DOWNTIME_BILLING_LANG", "en".into()),
    ];
    let steps: Vec<Vec<OsString>> = vec![
        vec![
            "prices".into(),
            "import".into(),
            sample.into(),
            "--month".into(),
            "2026-11".into(),
        ],
        vec![
            "range".into(),
            "add".into(),
            "--terminal".into(),
            "MZ01".into(),
            "--from".into(),
            "1".into(),
            "--to".into(),
            "50".into(),
        ],
        vec![
            "episode".into(),
            "open".into(),
            "--level".into(),
            "II".into(),
            "--reason".into(),
            "HIS 宕机".into(),
        ],
        vec![
            "receipt".into(),
            "issue".into(),
            "--json".into(),
            body.clone().into(),
            "--pdf".into(),
            receipt_pdf.clone().into(),
        ],
        vec![
            "prices".into(),
            "book".into(),
            "--month".into(),
            "2026-11".into(),
            "--out".into(),
            book_pdf.clone().into(),
        ],
    ];
    for step in steps {
        let mut args: Vec<OsString> = vec!["--user".into(), "admin".into()];
        args.extend(step.iter().cloned());
        let Some(out) = without_system_fonts(&bin, &args, &envs) else {
            return;
        };
        assert!(
            out.status.success(),
            "{step:?} without system fonts: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for (pdf, needle) in [(&receipt_pdf, "阿莫西林"), (&book_pdf, "阿莫西林")] {
        assert!(pdf.is_file(), "{}", pdf.display());
        if have("pdffonts") && have("pdftotext") {
            let fonts = Command::new("pdffonts").arg(pdf).output().unwrap();
            let fonts = String::from_utf8_lossy(&fonts.stdout);
            let cjk: Vec<&str> = fonts.lines().filter(|l| l.contains("DroidSans")).collect();
            assert!(
                !cjk.is_empty() && cjk.iter().all(|l| l.contains("yes yes")),
                "{fonts}"
            );
            let text = Command::new("pdftotext")
                .arg(pdf)
                .arg("-")
                .output()
                .unwrap();
            assert!(
                String::from_utf8_lossy(&text.stdout).contains(needle),
                "{}",
                pdf.display()
            );
        } else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "poppler-utils (pdffonts, pdftotext) missing in CI"
            );
        }
    }

    // The GUI: this test binary again, on its ignored half, with no fonts.
    let me = std::env::current_exe().unwrap();
    let Some(out) = without_system_fonts(
        &me,
        &[
            "--exact".into(),
            "gui_glyphs_inner".into(),
            "--include-ignored".into(),
            "--nocapture".into(),
        ],
        &[(INNER_ENV, dir.clone().into())],
    ) else {
        return;
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("1 passed") && text.contains("glyphs: all"),
        "{text}"
    );
}

/// Run by the test above only: the real App, a few frames, and every
/// Chinese character of the login screen and the menu has its glyph.
#[test]
#[ignore = "run by without_any_system_font_the_gui_and_the_pdfs_have_their_chinese"]
fn gui_glyphs_inner() {
    use downtime_billing::clock::FixedClock;
    use downtime_billing::i18n::Lang;
    use downtime_billing::store::DataDir;
    use downtime_billing::ui::App;
    use eframe::egui;
    use std::sync::Arc;
    let Some(dir) = std::env::var_os(INNER_ENV).map(PathBuf::from) else {
        return;
    };
    if let Ok(found) = std::fs::read_dir("/usr/share/fonts") {
        assert_eq!(found.count(), 0, "system fonts are still there");
    }
    let mut h = egui_kittest::Harness::builder()
        .with_size([1024.0, 600.0])
        .build_eframe(move |cc| {
            App::new(
                &cc.egui_ctx,
                DataDir::new(&dir),
                Lang::Zh,
                Arc::new(FixedClock::at(NOW)),
            )
        });
    for _ in 0..3 {
        h.step();
    }
    h.run();
    let text = "应急手工收费登录用户名终端票据号段价格表导入设置退出作废退费重打演练大写壹贰叁肆伍陆柒捌玖拾佰仟万元角分整";
    let missing: Vec<char> = h.ctx.fonts_mut(|f| {
        text.chars()
            .filter(|c| !f.has_glyphs(&egui::FontId::proportional(14.0), &c.to_string()))
            .collect()
    });
    assert!(missing.is_empty(), "no glyph for {missing:?}");
    eprintln!("glyphs: all {} present", text.chars().count());
}
