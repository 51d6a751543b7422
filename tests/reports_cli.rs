//! Finance reports end to end: receipts issued through the binary on two
//! terminals (the second one's records merged into the finance database as
//! a journal import does: same tables, ids remapped, terminal kept), with a
//! void, a refund (credit note), an insured patient, a patient named like a
//! spreadsheet formula, a drill and a shift close; then `report shift|
//! daily|outage` as CSV (parsed back, totals equal the receipts') and PDF
//! (pdftotext; a page rendered with pdftoppm for a person to look at).

use downtime_billing::store::DataDir;
use rusqlite::Connection;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod receipts_support;
use receipts_support::*;

const HOSTILE: &str = "=cmd|' /C calc'!A0";
const DAY: &str = "2026-11-22";

fn at(hm: &str) -> String {
    format!("{DAY}T{hm}:00+08:00")
}

fn cash(amount: &str) -> Value {
    json!([{"method": "cash", "amount": amount, "tendered": "500.00"}])
}

struct Fixture {
    env: Env,
    /// Every receipt number issued, with its terminal.
    numbers: Vec<(String, String)>,
    voided: String,
    refunded: String,
    credit_note: String,
    exchanged: String,
    drill: String,
    shift_json: Value,
}

fn issue(env: &Env, user: &str, now: &str, body: &Value) -> Value {
    let (code, v, err) = env.issue_at(user, now, body);
    assert_eq!(code, 0, "{err}");
    v
}

/// A second terminal, ZY01, set up like `receipts_support::setup` but with
/// only the admin.
fn second_terminal() -> Env {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    let mut c = std::process::Command::new(bin());
    let out = c
        .env_clear()
        .env("DOWNTIME_BILLING_PIN", PIN)
        .arg("--data-dir")
        .arg(env.data_dir().root())
        .args([
            "setup",
            "--terminal",
            "ZY01",
            "--hospital",
            "测试医院",
            "--admin",
            "admin",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut store = env.store();
    let session = env.session(&mut store, "admin", PIN);
    let list = small_list(env.root());
    downtime_billing::prices::import(
        &mut store,
        &session,
        &downtime_billing::clock::FixedClock::at(NOW),
        &list,
        downtime_billing::domain::Month::parse("2026-01").unwrap(),
        &mut |_| {},
    )
    .unwrap();
    drop(store);
    env.ok(
        "admin",
        &["episode", "open", "--level", "II", "--reason", "HIS 宕机"],
    );
    env.ok(
        "admin",
        &[
            "range",
            "add",
            "--terminal",
            "ZY01",
            "--from",
            "1",
            "--to",
            "50",
        ],
    );
    env
}

/// Copies a terminal's receipts into another database the way a journal
/// import lays them down: the same tables, ids shifted, terminal kept.
fn merge(dst: &DataDir, src: &DataDir, offset: i64) {
    let conn = Connection::open(dst.db_path()).unwrap();
    conn.execute(
        "ATTACH DATABASE ?1 AS o",
        [src.db_path().display().to_string()],
    )
    .unwrap();
    let shifted: &[(&str, &[&str])] = &[
        ("episodes", &["id"]),
        ("episode_closures", &["episode_id"]),
        ("receipt_ranges", &["id"]),
        ("receipts", &["id", "range_id", "episode_id"]),
        ("receipt_lines", &["receipt_id"]),
        ("receipt_payments", &["receipt_id"]),
        ("receipt_events", &["id", "receipt_id"]),
        ("dispensings", &["id"]),
    ];
    for (table, ids) in shifted {
        let cols: Vec<String> = conn
            .prepare(&format!("PRAGMA o.table_info({table})"))
            .unwrap()
            .query_map([], |r| r.get::<_, String>(1))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let select: Vec<String> = cols
            .iter()
            .map(|c| {
                if ids.contains(&c.as_str()) {
                    format!("{c} + {offset}")
                } else {
                    c.clone()
                }
            })
            .collect();
        conn.execute(
            &format!(
                "INSERT INTO main.{table} ({}) SELECT {} FROM o.{table}",
                cols.join(", "),
                select.join(", ")
            ),
            [],
        )
        .unwrap();
    }
}

fn db(env: &Env) -> Connection {
    Connection::open(env.data_dir().db_path()).unwrap()
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let env = ready();
        let mut numbers = Vec::new();
        let mut push = |v: &Value| {
            let n = v["number"].as_str().unwrap().to_string();
            numbers.push((n.clone(), "MZ01".to_string()));
            n
        };
        // 10:xx: two receipts, one of them voided.
        let a = issue(
            &env,
            "cash1",
            &at("10:20"),
            &body(
                &[("XA88DF322F52065", "2"), ("430161610-d", "1")],
                cash("354.75"),
            ),
        );
        push(&a);
        let voided = push(&issue(&env, "cash1", &at("10:40"), &simple()));
        let (code, _, err) = env.run_at(
            "cash1",
            &at("10:41"),
            &[
                "receipt",
                "void",
                &voided,
                "--reason",
                "写错",
                "--supervisor",
                "boss",
            ],
        );
        assert_eq!(code, 0, "{err}");
        // 11:xx: the hostile name, paid by card; an insured patient.
        let mut hostile = body(
            &[("XN72DG587P95754", "1")],
            json!([{"method": "card", "amount": "68.39", "reference": "T1"}]),
        );
        hostile["patient"]["name"] = json!(HOSTILE);
        push(&issue(&env, "cash1", &at("11:10"), &hostile));
        let mut insured = body(&[("T65124405", "10")], cash("26.37"));
        insured["payer"] = json!({"type": "insured_full_pay", "insurance_no": "3301000000123456"});
        let refunded = push(&issue(&env, "cash1", &at("11:30"), &insured));
        // 13:xx (12 is quiet): registration, and the refund of the insured one.
        let exchanged = push(&issue(
            &env,
            "cash1",
            &at("13:02"),
            &body(&[("110275556-d", "1")], cash("91.98")),
        ));
        let (code, out, err) = env.run_at(
            "cash1",
            &at("13:20"),
            &[
                "receipt",
                "refund",
                &refunded,
                "--line",
                "1:4",
                "--reason",
                "退药",
                "--supervisor",
                "boss",
            ],
        );
        assert_eq!(code, 0, "{err}");
        let note: Value = serde_json::from_str(&out).unwrap();
        let credit_note = note["number"].as_str().unwrap().to_string();
        numbers.push((credit_note.clone(), "MZ01".into()));
        let (code, _, err) = env.run_at(
            "cash1",
            &at("17:30"),
            &[
                "shift",
                "close",
                "--cash-declared",
                "460.00",
                "--supervisor",
                "boss",
                "--out",
                env.root().join("shift1.pdf").to_str().unwrap(),
            ],
        );
        assert_eq!(code, 0, "{err}");
        let shift_json: Value = {
            let conn = db(&env);
            let s: String = conn
                .query_row(
                    "SELECT summary_json FROM shift_closes WHERE cashier = 'cash1'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            serde_json::from_str(&s).unwrap()
        };
        // A drill the same evening on MZ01: apart from the real receipts.
        env.run_at("admin", &at("18:00"), &["episode", "close"]);
        env.run_at(
            "admin",
            &at("18:01"),
            &[
                "episode", "open", "--level", "IV", "--reason", "演练", "--drill",
            ],
        );
        let drill_v = issue(&env, "admin", &at("18:10"), &simple());
        let drill = drill_v["number"].as_str().unwrap().to_string();

        // ZY01 (admission office), its records merged as a journal would.
        let zy = second_terminal();
        for (hm, b) in [
            ("10:20", body(&[("XA88DF322F52065", "1")], cash("7.30"))),
            ("13:45", body(&[("430161610-d", "1")], cash("340.15"))),
        ] {
            let v = issue(&zy, "admin", &at(hm), &b);
            numbers.push((v["number"].as_str().unwrap().to_string(), "ZY01".into()));
        }
        merge(&env.data_dir(), &zy.data_dir(), 1_000_000);

        // Finance records and a dispensing, as their owners write them.
        let conn = db(&env);
        conn.execute(
            "INSERT INTO receipt_events(receipt_id, kind, at, user, details)
             SELECT id, 'exchanged', ?2, 'fin', '{\"his_invoice\":\"INV-1\"}'
               FROM receipts WHERE number = ?1",
            [&exchanged, &at("16:00")],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO dispensings(receipt_number, line_no, code, qty, kind, terminal, user, at)
             VALUES (?1, 1, 'XA88DF322F52065', '2', 'dispensed', 'YF01', 'pharm', ?2)",
            [&a["number"].as_str().unwrap().to_string(), &at("10:30")],
        )
        .unwrap();
        Fixture {
            env,
            numbers,
            voided,
            refunded,
            credit_note,
            exchanged,
            drill,
            shift_json,
        }
    })
}

/// (exit code, stdout, stderr) of `report …` as `user`.
fn report(f: &Fixture, user: &str, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    f.env.run_at(user, &at("18:30"), &all)
}

fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "CSV without BOM");
    let mut r = csv::Reader::from_reader(&bytes[3..]);
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn fen(s: &str) -> i64 {
    let d: rust_decimal::Decimal = s.parse().unwrap_or_else(|_| panic!("not a number: {s}"));
    i64::try_from((d * rust_decimal::Decimal::ONE_HUNDRED).trunc()).unwrap()
}

/// Sum of the standing (not voided, not drill) receipts' totals, as the
/// receipts themselves say.
fn standing_total(f: &Fixture) -> i64 {
    f.numbers
        .iter()
        .map(|(n, _)| f.env.show(n))
        .filter(|v| v["status"] != "voided" && v["drill"] == false)
        .map(|v| fen(v["total"].as_str().unwrap()))
        .sum()
}

fn sum_section(rows: &[HashMap<String, String>], section: &str, set: &str) -> i64 {
    rows.iter()
        .filter(|r| r["section"] == section && r["set"] == set && r["terminal"].is_empty())
        .map(|r| fen(&r["amount"]))
        .sum()
}

fn out(f: &Fixture, name: &str) -> PathBuf {
    f.env.root().join(name)
}

#[test]
fn daily_csv_totals_equal_the_receipts_and_keep_voids_and_drills_apart() {
    let f = fixture();
    let p = out(f, "daily.csv");
    let (code, _, err) = report(
        f,
        "admin",
        &["daily", "--date", DAY, "--out", p.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let rows = read_csv(&p);
    let expected = standing_total(f);
    assert_eq!(sum_section(&rows, "category", "real"), expected);
    assert_eq!(sum_section(&rows, "method", "real"), expected);
    let total = rows
        .iter()
        .find(|r| r["section"] == "total" && r["set"] == "real")
        .unwrap();
    assert_eq!(fen(&total["amount"]), expected);
    // 7 real receipts stand (8 issued on two terminals, one voided).
    assert_eq!(total["count"], "7");
    let voided = rows
        .iter()
        .find(|r| r["section"] == "voided" && r["set"] == "real")
        .unwrap();
    assert_eq!(
        (voided["count"].as_str(), voided["amount"].as_str()),
        ("1", "7.30")
    );
    // The credit note counts, negative.
    let cn = rows
        .iter()
        .find(|r| r["section"] == "credit_notes" && r["set"] == "real")
        .unwrap();
    let note = f.env.show(&f.credit_note);
    assert_eq!(cn["count"], "1");
    assert_eq!(cn["amount"], note["total"].as_str().unwrap());
    assert!(
        cn["amount"].starts_with('-'),
        "a refund is a negative number"
    );
    // Drill apart.
    let drill = rows
        .iter()
        .find(|r| r["section"] == "total" && r["set"] == "drill")
        .unwrap();
    assert_eq!(
        (drill["count"].as_str(), drill["amount"].as_str()),
        ("1", "7.30")
    );
    // Both terminals, each with its own total.
    let zy: i64 = f
        .numbers
        .iter()
        .filter(|(_, t)| t == "ZY01")
        .map(|(n, _)| fen(f.env.show(n)["total"].as_str().unwrap()))
        .sum();
    let zy_row = rows
        .iter()
        .find(|r| r["section"] == "terminal" && r["terminal"] == "ZY01")
        .unwrap();
    assert_eq!(fen(&zy_row["amount"]), zy);
    assert!(
        rows.iter()
            .any(|r| r["section"] == "terminal" && r["terminal"] == "MZ01")
    );
}

#[test]
fn outage_csv_covers_both_terminals_and_neutralises_the_hostile_name() {
    let f = fixture();
    let p = out(f, "outage.csv");
    // The real episode of MZ01 is #1; ZY01's, open at the same time, joins it.
    let (code, stdout, err) = report(
        f,
        "admin",
        &[
            "outage",
            "--episode",
            "1",
            "--out",
            p.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        summary["episodes"].as_array().unwrap().len(),
        2,
        "{summary}"
    );
    let rows = read_csv(&p);
    let expected = standing_total(f);
    assert_eq!(sum_section(&rows, "category", "real"), expected);
    assert_eq!(sum_section(&rows, "method", "real"), expected);
    // Receipts per hour add up to every number used (voided and credit note
    // included), on both terminals, with the quiet 12 o'clock hour present.
    let hourly: Vec<&HashMap<String, String>> = rows
        .iter()
        .filter(|r| r["section"] == "hourly" && r["terminal"].is_empty())
        .collect();
    let per_hour: u64 = hourly
        .iter()
        .map(|r| r["count"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(per_hour as usize, f.numbers.len());
    let hours: Vec<&str> = hourly.iter().map(|r| r["key"].as_str()).collect();
    assert_eq!(
        hours,
        [
            "2026-11-22 10",
            "2026-11-22 11",
            "2026-11-22 12",
            "2026-11-22 13"
        ]
    );
    assert_eq!(hourly[2]["count"], "0");
    for t in ["MZ01", "ZY01"] {
        assert!(
            rows.iter()
                .any(|r| r["section"] == "terminal" && r["terminal"] == t)
        );
        assert!(
            rows.iter()
                .any(|r| r["section"] == "episode" && r["terminal"] == t)
        );
    }
    // The drill receipt is not in this (real) outage.
    assert!(!rows.iter().any(|r| r["key"] == f.drill));
    // Exchange progress: one exchanged, the refunded one still open for
    // what is left, the voided one nowhere.
    let get = |key: &str| {
        rows.iter()
            .find(|r| r["section"] == "exchange" && r["key"] == key)
            .unwrap()
    };
    assert_eq!(get("exchanged")["count"], "1");
    let open: Vec<&HashMap<String, String>> = rows
        .iter()
        .filter(|r| r["section"] == "open_receipt")
        .collect();
    assert_eq!(get("open")["count"], open.len().to_string());
    assert!(
        !open
            .iter()
            .any(|r| r["key"] == f.exchanged || r["key"] == f.voided)
    );
    let partly = open.iter().find(|r| r["key"] == f.refunded).unwrap();
    let left = fen(f.env.show(&f.refunded)["total"].as_str().unwrap())
        + fen(f.env.show(&f.credit_note)["total"].as_str().unwrap());
    assert_eq!(fen(&partly["amount"]), left);
    // Open amount + exchanged = everything standing that is not a credit note.
    assert_eq!(
        fen(&get("open")["amount"]) + fen(&get("exchanged")["amount"]),
        expected
    );
    // Due dates: every open receipt has a deadline row.
    let due: u64 = rows
        .iter()
        .filter(|r| r["section"] == "due")
        .map(|r| r["count"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(due as usize, open.len());
    // The hostile name is inert, with its text kept after the quote.
    let hostile = open
        .iter()
        .find(|r| r["label"].contains("cmd|"))
        .expect("the hostile patient is open");
    assert_eq!(hostile["label"], format!("'{HOSTILE}"));
    let raw = String::from_utf8(std::fs::read(&p).unwrap()).unwrap();
    for line in raw.lines() {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with('=') && !cell.starts_with('@') && !cell.starts_with('+'),
                "a formula cell: {line}"
            );
        }
    }
    // Dispensing from the dispensings table.
    let lines = rows
        .iter()
        .find(|r| r["section"] == "dispensing" && r["key"] == "lines_dispensed")
        .unwrap();
    assert_eq!(lines["count"], "1");
}

#[test]
fn outage_pdf_has_the_timeline_terminals_chart_and_totals() {
    let f = fixture();
    let p = out(f, "outage.pdf");
    let (code, _, err) = report(
        f,
        "admin",
        &["outage", "--episode", "1", "--out", p.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&p).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    if !has_tool("pdftotext") {
        return;
    }
    let text = pdftotext(&p);
    for needed in [
        "Outage after-action report",
        "事件经过",
        "MZ01",
        "ZY01",
        "每小时开票数",
        "按费用类别",
        "换票进度",
        "发药",
        "HIS 宕机",
    ] {
        assert!(text.contains(needed), "{needed} missing from:\n{text}");
    }
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(squeezed.contains("第1页/共"), "page numbers missing");
    let expected = standing_total(f);
    let total = format!("{}.{:02}", expected / 100, expected % 100);
    assert!(text.contains(&total), "total {total} missing");
    if has_tool("pdftoppm") {
        let png = f.env.root().join("outage-page");
        let st = std::process::Command::new("pdftoppm")
            .args(["-png", "-r", "60", "-f", "1", "-l", "1"])
            .arg(&p)
            .arg(&png)
            .status()
            .unwrap();
        assert!(st.success());
        if let Ok(dir) = std::env::var("REPORTS_KEEP_PNG") {
            let _ = std::fs::copy(
                f.env.root().join("outage-page-1.png"),
                Path::new(&dir).join("outage-page-1.png"),
            );
            let _ = std::fs::copy(&p, Path::new(&dir).join("outage.pdf"));
        }
    }
}

fn pdftotext(p: &Path) -> String {
    let o = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(p)
        .arg("-")
        .output()
        .unwrap();
    assert!(o.status.success());
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn shift_report_collects_the_closes_of_the_day() {
    let f = fixture();
    let p = out(f, "shift.csv");
    let (code, _, err) = report(
        f,
        "admin",
        &["shift", "--date", DAY, "--out", p.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let rows = read_csv(&p);
    assert_eq!(rows.len(), 1, "one close on MZ01 that day: {rows:?}");
    let r = &rows[0];
    let s = &f.shift_json;
    assert_eq!(r["cashier"], "cash1");
    assert_eq!(r["terminal"], "MZ01");
    assert_eq!(r["receipts"], s["count"].to_string());
    assert_eq!(r["cash"], s["by_method"]["cash"].as_str().unwrap());
    assert_eq!(r["card"], s["by_method"]["card"].as_str().unwrap());
    assert_eq!(r["total"], s["total"].as_str().unwrap());
    assert_eq!(r["voids"], "1");
    assert_eq!(r["refunds"], "1");
    assert_eq!(r["cash_declared"], "460.00");
    assert_eq!(
        fen(&r["variance"]),
        fen("460.00") - fen(&r["cash_expected"])
    );
    assert_eq!(r["first_number"], "MZ01-00000001");
    // And the PDF says the same.
    let pdf = out(f, "shift.pdf");
    let (code, _, err) = report(
        f,
        "admin",
        &["shift", "--date", DAY, "--out", pdf.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    if has_tool("pdftotext") {
        let text = pdftotext(&pdf);
        assert!(text.contains("cash1") && text.contains("460.00"), "{text}");
        assert!(text.contains(s["total"].as_str().unwrap()));
    }
}

#[test]
fn refusals_have_their_exit_codes_and_write_nothing() {
    let f = fixture();
    let p = out(f, "x.txt");
    let (code, _, err) = report(f, "admin", &["daily", "--out", p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("x.txt"), "{err}");
    let p = out(f, "nope.pdf");
    let (code, _, err) = report(f, "cash1", &["daily", "--out", p.to_str().unwrap()]);
    assert_eq!(code, 3, "a cashier may not: {err}");
    assert!(!p.exists());
    let (code, _, err) = report(
        f,
        "admin",
        &["outage", "--episode", "99", "--out", p.to_str().unwrap()],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("99"));
    let (code, _, err) = report(
        f,
        "admin",
        &[
            "daily",
            "--date",
            "2026-13-01",
            "--out",
            p.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(!p.exists());
    // Without --user: not allowed (reports show patient data).
    let mut c = assert_cmd::Command::new(bin());
    let o = c
        .env_clear()
        .env("DOWNTIME_BILLING_DATA_DIR", f.env.data_dir().root())
        .args(["report", "daily", "--out"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn the_newest_episode_is_the_default_and_a_drill_is_marked() {
    let f = fixture();
    let p = out(f, "drill.csv");
    let (code, stdout, err) = report(
        f,
        "admin",
        &["outage", "--out", p.to_str().unwrap(), "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    // The drill episode (opened last) is the newest; ZY01's real episode
    // does not join a drill.
    assert_eq!(v["episodes"].as_array().unwrap().len(), 1, "{v}");
    let rows = read_csv(&p);
    assert!(rows.iter().all(|r| r["set"] == "drill"));
    assert!(
        rows.iter()
            .any(|r| r["section"] == "terminal" && r["terminal"] == "MZ01")
    );
    // Drill receipts are never exchanged: nothing open.
    assert!(!rows.iter().any(|r| r["section"] == "open_receipt"));
}
