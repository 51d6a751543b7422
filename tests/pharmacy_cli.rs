//! The pharmacy over the binary: receipts issued through the cashier flow
//! verify on a second data directory holding only the hospital key and the
//! price list; every alteration, a truncation, a swapped quantity, another
//! key, a drill receipt and a replay after full dispensing are refused with
//! the right exit code; dispensing by line, returns and the cashier's
//! refund rule; the QR code read back from the printed PDF.

mod receipts_support;

use downtime_billing::keys::SigningKey;
use downtime_billing::pharmacy::{self, PharmacyError};
use downtime_billing::receipts::qr;
use receipts_support::*;
use serde_json::{Value, json};
use std::path::Path;

/// Western drug ×2, a treatment (not a drug), 中草药 12.5 g.
fn three_lines() -> Value {
    body(
        &[
            ("XN72DG587P95754", "2"),
            ("430161610-d", "1"),
            ("T65124405", "12.5"),
        ],
        json!([{"method": "cash", "amount": "509.88", "tendered": "510"}]),
    )
}

/// A pharmacy terminal YF01 on its own data directory: set up with the
/// hospital key exported from `cashier`, a pharmacist `pharm`, and `list`
/// as the 2026-01 price list (when given). Nothing else.
fn pharmacy_dir(cashier: &Env, list: Option<&Path>) -> Env {
    let key = cashier.root().join("hospital.key");
    if !key.exists() {
        cashier.ok("admin", &["key", "export", "--out", key.to_str().unwrap()]);
    }
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    let mut c = assert_cmd::Command::new(bin());
    c.env_clear()
        .env("DOWNTIME_BILLING_PIN", PIN)
        .arg("--data-dir")
        .arg(env.data_dir().root())
        .args([
            "setup",
            "--terminal",
            "YF01",
            "--hospital",
            "测试医院",
            "--admin",
            "admin",
            "--signing-key",
        ])
        .arg(&key)
        .assert()
        .success();
    env.cmd("admin", PIN)
        .env("DOWNTIME_BILLING_NEW_PIN", CASH_PIN)
        .args(["user", "add", "pharm", "--role", "pharmacist"])
        .assert()
        .success();
    if let Some(list) = list {
        env.ok(
            "admin",
            &[
                "prices",
                "import",
                list.to_str().unwrap(),
                "--month",
                "2026-01",
            ],
        );
    }
    env
}

fn verify(env: &Env, code: &str) -> (i32, Value, String) {
    let (c, out, err) = env.run("pharm", &["pharmacy", "verify", code, "--json"]);
    (c, serde_json::from_str(&out).unwrap_or(Value::Null), err)
}

fn issue(env: &Env, body: &Value) -> (String, String) {
    let (code, v, err) = env.issue("cash1", body);
    assert_eq!(code, 0, "{err}");
    (
        v["number"].as_str().unwrap().to_string(),
        v["qr_payload"].as_str().unwrap().to_string(),
    )
}

#[test]
fn genuine_code_verifies_and_dispenses_once_on_a_pharmacy_with_only_key_and_list() {
    let cashier = ready();
    let (number, code) = issue(&cashier, &three_lines());
    assert!(code.starts_with("DB2:"), "{code}");
    let ph = pharmacy_dir(&cashier, Some(&small_list(cashier.root())));

    let (c, v, err) = verify(&ph, &code);
    assert_eq!(c, 0, "{err}");
    assert_eq!(v["outcome"], "genuine");
    assert_eq!(v["verified"], true);
    assert_eq!(v["version"], 2);
    assert_eq!(v["number"], number.as_str());
    assert_eq!(v["total"], "509.88");
    assert_eq!(v["kind"], "outpatient");
    assert_eq!(v["payer_type"], "self_pay");
    assert_eq!(v["drill"], false);
    assert_eq!(v["known_here"], false);
    assert_eq!(v["snapshot_month"], "2026-01");
    let lines = v["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    for l in lines {
        assert!(l["name"].as_str().is_some_and(|n| !n.is_empty()), "{l}");
        assert!(l["unit"].is_string(), "{l}");
    }
    assert_eq!(lines[0]["category"], "西药");
    assert_eq!(lines[0]["drug"], true);
    assert_eq!(lines[1]["drug"], false);
    assert_eq!(lines[2]["category"], "中草药");
    assert_eq!(lines[2]["drug"], true);
    assert_eq!(lines[0]["to_dispense"], "2");
    assert_eq!(lines[1]["to_dispense"], "0");

    // Caps Lock and the scanner's surrounding whitespace are tolerated.
    let scanned = format!("  {}\r\n", code.to_lowercase());
    assert_eq!(verify(&ph, &scanned).0, 0);

    // A non-drug line cannot be dispensed; nothing is written.
    let (c, _, err) = ph.run("pharm", &["pharmacy", "dispense", &code, "--line", "2"]);
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("not a drug"), "{err}");
    // More than paid is refused.
    let (c, _, err) = ph.run("pharm", &["pharmacy", "dispense", &code, "--line", "1:3"]);
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("only 2 was paid"), "{err}");

    // All drug lines by default.
    let (c, out, err) = ph.run("pharm", &["pharmacy", "dispense", &scanned, "--json"]);
    assert_eq!(c, 0, "{err}");
    let d: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["complete"], true);
    let rec = d["recorded"].as_array().unwrap();
    assert_eq!(rec.len(), 2);
    assert_eq!(rec[0]["line"], 1);
    assert_eq!(rec[0]["qty"], "2");
    assert_eq!(rec[1]["qty"], "12.5");
    assert_eq!(rec[1]["terminal"], "YF01");
    assert_eq!(rec[1]["user"], "pharm");

    // The replay is refused, by verify and by dispense.
    let (c, v, err) = verify(&ph, &code);
    assert_eq!(c, 5, "{err}");
    assert_eq!(v["outcome"], "fully_dispensed");
    assert!(err.contains("already fully dispensed"), "{err}");
    let (c, _, err) = ph.run("pharm", &["pharmacy", "dispense", &code]);
    assert_eq!(c, 5, "{err}");

    // Every dispensing is audited and the records are append-only.
    let store = ph.store();
    let n: i64 = store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'pharmacy.dispense'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);
    assert!(store.conn().execute("DELETE FROM dispensings", []).is_err());
    drop(store);
    assert_eq!(ph.run("admin", &["verify"]).0, 0);

    // The day's list.
    let (c, out, _) = ph.run(
        "pharm",
        &["pharmacy", "today", "--date", "2026-11-22", "--json"],
    );
    assert_eq!(c, 0);
    let rows: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);

    // A typed number is never "verified": unknown on this terminal.
    let (c, v, err) = verify(&ph, &number);
    assert_eq!(c, 2, "{err}");
    assert_eq!(v["outcome"], "not_known");
    assert!(err.contains("scan its QR code"), "{err}");

    // Only a pharmacist (or an admin) may scan.
    let (c, _, _) = cashier.run("cash1", &["pharmacy", "verify", &code]);
    assert_eq!(c, 3);
}

#[test]
fn every_alteration_truncation_swap_and_foreign_key_is_refused() {
    let cashier = ready();
    let (_, code) = issue(&cashier, &three_lines());
    let ph = pharmacy_dir(&cashier, Some(&small_list(cashier.root())));
    let key = downtime_billing::keys::wrap::unlock_dir(&ph.data_dir(), "admin", PIN).unwrap();
    let store = ph.store();
    let conn = store.conn();
    assert!(pharmacy::check_unchecked(conn, &key, &code).is_ok());

    // Every single-character change, to every other character a scanner
    // can type (a change of case only is the same code: tolerated).
    const SET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let mut tried = 0;
    for i in 0..code.len() {
        for ch in SET.chars() {
            let mut b = code.clone().into_bytes();
            if b[i] == ch as u8 {
                continue;
            }
            b[i] = ch as u8;
            let t = String::from_utf8(b).unwrap();
            match pharmacy::check_unchecked(conn, &key, &t) {
                Err(PharmacyError::Code(_)) => {}
                other => panic!("change at {i} to {ch:?} not refused as forged: {t} → {other:?}"),
            }
            tried += 1;
        }
    }
    assert!(tried > 1000);
    // Every truncation.
    for cut in 1..code.len() {
        let t = &code[..code.len() - cut];
        assert!(
            matches!(
                pharmacy::check_unchecked(conn, &key, t),
                Err(PharmacyError::Code(_))
            ),
            "{t}"
        );
    }
    // Swapped quantities (2 ↔ 1 between the first two items) and an edited
    // total, with the tag kept.
    let swapped = code.replacen(
        "XN72DG587P95754*2+430161610-%64*1",
        "XN72DG587P95754*1+430161610-%64*2",
        1,
    );
    assert_ne!(swapped, code);
    let total = code.replacen(":509.88:", ":409.88:", 1);
    assert_ne!(total, code);
    let p = qr::parse_and_verify(&code, &key).unwrap();
    // The same content signed with another hospital's key.
    let foreign = qr::build(&p, &SigningKey::from_bytes([9; 32]));
    for (what, t) in [("swap", &swapped), ("total", &total), ("foreign", &foreign)] {
        let (c, v, err) = verify(&ph, t);
        assert_eq!(c, 4, "{what}: {err}");
        assert_eq!(v["outcome"], "forged", "{what}");
        assert!(
            err.contains("forged, altered or from another hospital"),
            "{what}: {err}"
        );
    }
    // Over the binary too: a changed digit of the number, a truncation,
    // something that is not a code at all.
    let digit = code.replacen("MZ01-00000001", "MZ01-00000002", 1);
    for t in [
        digit.as_str(),
        &code[..code.len() - 1],
        &code[..40],
        "hello",
    ] {
        let (c, _, err) = verify(&ph, t);
        assert_eq!(c, 4, "{t}: {err}");
    }
    // Nothing was written by any of it.
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM dispensings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn drill_receipts_are_refused_and_v1_codes_still_verify() {
    let cashier = setup();
    cashier.ok(
        "admin",
        &[
            "episode", "open", "--level", "II", "--reason", "演练", "--drill",
        ],
    );
    cashier.ok(
        "admin",
        &[
            "range",
            "add",
            "--terminal",
            "MZ01",
            "--from",
            "1",
            "--to",
            "50",
        ],
    );
    let (number, code) = issue(&cashier, &three_lines());
    assert!(code.contains(":OP:SP:1:"), "{code}");
    let ph = pharmacy_dir(&cashier, Some(&small_list(cashier.root())));
    let (c, v, err) = verify(&ph, &code);
    assert_eq!(c, 5, "{err}");
    assert_eq!(v["outcome"], "drill");
    assert_eq!(v["verified"], true);
    assert!(err.contains("drill receipt"), "{err}");
    let (c, _, err) = ph.run("pharm", &["pharmacy", "dispense", &code]);
    assert_eq!(c, 5, "{err}");
    // On the cashier's own database too.
    assert_eq!(verify(&cashier, &code).0, 5);
    assert_eq!(verify(&cashier, &number).0, 5);

    // A version 1 code as printed before: still genuine, and it says it
    // carries no drill flag.
    let key = downtime_billing::keys::wrap::unlock_dir(&ph.data_dir(), "admin", PIN).unwrap();
    let mut p = qr::parse_and_verify(&code, &key).unwrap();
    p.meta = None;
    let v1 = qr::build(&p, &key);
    assert!(v1.starts_with("DB1:"));
    let (c, v, err) = verify(&ph, &v1);
    assert_eq!(c, 0, "{err}");
    assert_eq!(v["version"], 1);
    assert_eq!(v["drill"], Value::Null);
    assert!(
        v["notes"].to_string().contains("carries no drill flag"),
        "{v}"
    );
    let (c, out, _) = ph.run_at("pharm", NOW, &["--lang", "en", "pharmacy", "verify", &v1]);
    assert_eq!(c, 0);
    assert!(out.contains("no drill flag"), "{out}");
}

#[test]
fn missing_snapshot_or_code_is_said_plainly() {
    let cashier = ready();
    let (_, code) = issue(&cashier, &three_lines());
    // No price list at all.
    let bare = pharmacy_dir(&cashier, None);
    let (c, v, err) = verify(&bare, &code);
    assert_eq!(c, 0, "{err}");
    assert_eq!(v["snapshot_month"], Value::Null);
    assert!(
        v["notes"].to_string().contains("no price list for 2026-11"),
        "{v}"
    );
    for l in v["lines"].as_array().unwrap() {
        assert_eq!(l["name"], Value::Null);
        assert!(
            l["problem"]["en"].as_str().unwrap().contains("price list"),
            "{l}"
        );
    }
    let (c, _, err) = bare.run("pharm", &["pharmacy", "dispense", &code]);
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("cannot be told to be a drug"), "{err}");

    // A list without the herb.
    let full = std::fs::read_to_string(small_list(cashier.root())).unwrap();
    let without: String = full
        .lines()
        .filter(|l| !l.starts_with("T65124405,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let p = cashier.write("without_herb.csv", &without);
    let ph = pharmacy_dir(&cashier, Some(&p));
    let (c, v, _) = verify(&ph, &code);
    assert_eq!(c, 0);
    let herb = &v["lines"][2];
    assert_eq!(herb["name"], Value::Null);
    assert_eq!(
        herb["problem"]["en"],
        "item T65124405 is not in the 2026-01 price list held here"
    );
    let (c, _, err) = ph.run("pharm", &["pharmacy", "dispense", &code, "--line", "3"]);
    assert_eq!(c, 2, "{err}");
    let (c, out, _) = ph.run("pharm", &["pharmacy", "verify", &code]);
    assert_eq!(c, 0);
    assert!(
        out.contains("not in the 2026-01 price list held here"),
        "{out}"
    );
}

#[test]
fn same_database_sees_voids_refunds_and_needs_returns() {
    let env = ready();
    // Voided at the cashier: refused at once.
    let (n1, c1) = issue(&env, &simple());
    env.ok(
        "cash1",
        &[
            "receipt",
            "void",
            &n1,
            "--reason",
            "错开",
            "--supervisor",
            "boss",
        ],
    );
    let (c, v, err) = verify(&env, &c1);
    assert_eq!(c, 5, "{err}");
    assert_eq!(v["outcome"], "voided");
    assert_eq!(v["known_here"], true);

    // Refunded in full: refused.
    let (n2, c2) = issue(&env, &simple());
    env.ok(
        "cash1",
        &[
            "receipt",
            "refund",
            &n2,
            "--line",
            "1",
            "--reason",
            "r",
            "--supervisor",
            "boss",
        ],
    );
    let (c, v, _) = verify(&env, &c2);
    assert_eq!(c, 5);
    assert_eq!(v["outcome"], "refunded");

    // A typed number is looked up here (not verified).
    let (n3, c3) = issue(&env, &three_lines());
    let (c, v, _) = verify(&env, &n3);
    assert_eq!(c, 0);
    assert_eq!(v["outcome"], "found");
    assert_eq!(v["verified"], false);

    // Partial dispensing: one of two, shown as such.
    let (c, out, err) = env.run(
        "pharm",
        &["pharmacy", "dispense", &c3, "--line", "1:1", "--json"],
    );
    assert_eq!(c, 0, "{err}");
    let d: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(d["complete"], false);
    assert_eq!(d["check"]["lines"][0]["dispensed"], "1");
    assert_eq!(d["check"]["lines"][0]["to_dispense"], "1");
    assert_eq!(env.show(&n3)["status"], "dispensed");
    // More than is left (2 paid, 1 out) is a conflict.
    let (c, _, err) = env.run("pharm", &["pharmacy", "dispense", &c3, "--line", "1:2"]);
    assert_eq!(c, 5, "{err}");
    // A dispensed receipt can no longer be voided.
    let (c, _, err) = env.run(
        "cash1",
        &[
            "receipt",
            "void",
            &n3,
            "--reason",
            "x",
            "--supervisor",
            "boss",
        ],
    );
    assert_eq!(c, 5, "{err}");
    // The undispensed unit is refundable; the dispensed one needs the
    // pharmacy's return confirmation first.
    let refund = |line: &str| {
        env.run(
            "cash1",
            &[
                "receipt",
                "refund",
                &n3,
                "--line",
                line,
                "--reason",
                "退药",
                "--supervisor",
                "boss",
            ],
        )
    };
    let (c, _, err) = refund("1:2");
    assert_eq!(c, 5, "{err}");
    assert!(
        err.contains("pharmacy must confirm the return of 1"),
        "{err}"
    );
    assert_eq!(refund("1:1").0, 0);
    // After that refund nothing is left to hand out on line 1.
    let (c, v, _) = verify(&env, &c3);
    assert_eq!(c, 0);
    assert_eq!(v["lines"][0]["to_dispense"], "0");
    // More back than was given out is refused.
    let (c, _, err) = env.run("pharm", &["pharmacy", "return", &n3, "--line", "1:2"]);
    assert_eq!(c, 5, "{err}");
    let (c, out, err) = env.run(
        "pharm",
        &[
            "pharmacy",
            "return",
            &n3,
            "--line",
            "1",
            "--reason",
            "医保重新结算",
            "--json",
        ],
    );
    assert_eq!(c, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r[0]["kind"], "return_confirmed");
    assert_eq!(r[0]["qty"], "1");
    assert_eq!(refund("1:1").0, 0);
    // Returned and refunded: nothing to hand out again.
    let (_, v, _) = verify(&env, &c3);
    assert_eq!(v["lines"][0]["to_dispense"], "0");
    assert_eq!(env.run("admin", &["verify"]).0, 0);
}

#[test]
fn qr_text_survives_the_printed_pdf() {
    if !has_tool("pdftoppm") || !has_tool("zbarimg") {
        eprintln!(
            "skipping: the PDF round trip needs pdftoppm (poppler-utils) and zbarimg (zbar-tools)"
        );
        return;
    }
    let cashier = ready();
    let p = cashier.write("body.json", &three_lines().to_string());
    let pdf = cashier.root().join("r.pdf");
    let (c, out, err) = cashier.run(
        "cash1",
        &[
            "receipt",
            "issue",
            "--json",
            p.to_str().unwrap(),
            "--pdf",
            pdf.to_str().unwrap(),
        ],
    );
    assert_eq!(c, 0, "{err}");
    let issued: Value = serde_json::from_str(&out).unwrap();
    let prefix = cashier.root().join("page");
    let st = std::process::Command::new("pdftoppm")
        .args(["-r", "300", "-png", "-f", "1", "-l", "1"])
        .arg(&pdf)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(st.success());
    let png = std::fs::read_dir(cashier.root())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("page"))
        .unwrap();
    let z = std::process::Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&png)
        .output()
        .unwrap();
    let scanned = String::from_utf8_lossy(&z.stdout).to_string();
    assert_eq!(scanned.trim(), issued["qr_payload"].as_str().unwrap());
    let ph = pharmacy_dir(&cashier, Some(&small_list(cashier.root())));
    let (c, v, err) = verify(&ph, &scanned);
    assert_eq!(c, 0, "{err}");
    assert_eq!(v["outcome"], "genuine");
    assert_eq!(v["number"], issued["number"]);
}
