//! Voids, refunds, reprints and shift close over the binary.

mod receipts_support;

use receipts_support::*;
use serde_json::json;

fn three_lines() -> serde_json::Value {
    body(
        &[
            ("XN72DG587P95754", "2"),
            ("430161610-d", "1"),
            ("T65124405", "12.5"),
        ],
        json!([{"method": "cash", "amount": "509.88", "tendered": "510"}]),
    )
}

#[test]
fn void_rules() {
    let env = ready();
    let (_, a, _) = env.issue("cash1", &simple());
    let n = a["number"].as_str().unwrap();
    let void = |user: &str, number: &str, reason: &str| {
        env.run(
            user,
            &[
                "receipt",
                "void",
                number,
                "--reason",
                reason,
                "--supervisor",
                "boss",
            ],
        )
    };
    // someone else's receipt
    assert_eq!(void("cash2", n, "wrong").0, 3);
    // a reason is required
    assert_eq!(void("cash1", n, " ").0, 2);
    // the supervisor cannot be oneself, and the PIN must be right
    let (code, _, _) = env.run(
        "boss",
        &[
            "receipt",
            "void",
            n,
            "--reason",
            "x",
            "--supervisor",
            "boss",
        ],
    );
    assert_eq!(code, 3);
    let (code, _, err) = env
        .cmd("cash1", CASH_PIN)
        .env("DOWNTIME_BILLING_SUPERVISOR_PIN", "000000")
        .args([
            "receipt",
            "void",
            n,
            "--reason",
            "x",
            "--supervisor",
            "boss",
        ])
        .output()
        .map(|o| {
            (
                o.status.code().unwrap(),
                (),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        })
        .unwrap();
    assert_eq!(code, 3, "{err}");
    assert_eq!(env.show(n)["status"], "issued");
    // the void
    let (code, _, err) = void("cash1", n, "typed wrong");
    assert_eq!(code, 0, "{err}");
    let v = env.show(n);
    assert_eq!(v["status"], "voided");
    assert_eq!(v["events"][0]["kind"], "void");
    assert_eq!(v["events"][0]["supervisor"], "boss");
    // a second void, and refunding a voided receipt
    assert_eq!(void("cash1", n, "again").0, 5);
    let (code, _, _) = env.run(
        "cash1",
        &[
            "receipt",
            "refund",
            n,
            "--line",
            "1",
            "--reason",
            "r",
            "--supervisor",
            "boss",
        ],
    );
    assert_eq!(code, 5);
    // the number stays used
    let (_, b, _) = env.issue("cash1", &simple());
    assert_eq!(b["number"], "MZ01-00000002");
    // after a shift close the receipt is no longer voidable
    let pdf = env.root().join("shift.pdf");
    env.ok("cash1", &["shift", "close", "--out", pdf.to_str().unwrap()]);
    let (code, _, err) = void("cash1", "MZ01-00000002", "late");
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("closed shift"), "{err}");
    assert_eq!(void("cash1", "MZ01-99999999", "no such").0, 2);
}

#[test]
fn refunds_by_line_and_quantity() {
    let env = ready();
    let (_, a, _) = env.issue("cash1", &three_lines());
    let n = a["number"].as_str().unwrap().to_string();
    let refund = |lines: &[&str]| {
        let mut args = vec!["receipt", "refund", n.as_str()];
        for l in lines {
            args.push("--line");
            args.push(l);
        }
        args.extend(["--reason", "patient returned", "--supervisor", "boss"]);
        env.run("cash1", &args)
    };
    let (code, out, err) = refund(&["1:1", "3:2.5"]);
    assert_eq!(code, 0, "{err}");
    let cn: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(cn["number"], "MZ01-00000002");
    assert_eq!(cn["kind"], "credit_note");
    assert_eq!(cn["original_number"], n);
    // 68.3868 → 68.39; 2.6365 × 2.5 = 6.59125 → 6.59
    assert_eq!(cn["total"], "-74.98");
    assert_eq!(cn["lines"][0]["qty"], "-1");
    assert_eq!(cn["lines"][0]["refers_line"], 1);
    assert_eq!(cn["payments"][0]["amount"], "-74.98");
    assert_eq!(env.show(&n)["status"], "partly_refunded");
    // more than remains
    let (code, _, err) = refund(&["1:2"]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("only 1 remains"), "{err}");
    // a line that does not exist, a fractional drug quantity
    assert_eq!(refund(&["9"]).0, 2);
    assert_eq!(refund(&["1:0.5"]).0, 2);
    // the rest
    let (code, _, err) = refund(&["1", "2", "3"]);
    assert_eq!(code, 0, "{err}");
    let v = env.show(&n);
    assert_eq!(v["status"], "refunded");
    assert_eq!(v["credit_notes"].as_array().unwrap().len(), 2);
    assert_eq!(refund(&["2"]).0, 5);
    // a credit note is neither voided nor refunded
    let (code, _, _) = env.run(
        "cash1",
        &[
            "receipt",
            "void",
            "MZ01-00000002",
            "--reason",
            "x",
            "--supervisor",
            "boss",
        ],
    );
    assert_eq!(code, 5);
}

#[test]
fn dispensed_drugs_need_the_pharmacys_return_confirmation() {
    let env = ready();
    let (_, a, _) = env.issue("cash1", &three_lines());
    let n = a["number"].as_str().unwrap().to_string();
    // The pharmacy's records, as its capability writes them (rows of
    // `dispensings`, keyed by number).
    let qty1 = a["lines"][0]["qty"].as_str().unwrap().to_string();
    let event = |kind: &str, line: i64, qty: Option<&str>| {
        let store = env.store();
        store
            .conn()
            .execute(
                "INSERT INTO dispensings(receipt_number, line_no, code, qty, kind, terminal, user, at)
                 VALUES (?1, ?2, 'X', ?3, ?4, 'YF01', 'pharm', ?5)",
                rusqlite::params![n, line, qty.unwrap_or(&qty1), kind, NOW],
            )
            .unwrap();
    };
    event("dispensed", 1, None);
    assert_eq!(env.show(&n)["status"], "dispensed");
    let refund = |line: &str| {
        env.run(
            "cash1",
            &[
                "receipt",
                "refund",
                &n,
                "--line",
                line,
                "--reason",
                "r",
                "--supervisor",
                "boss",
            ],
        )
    };
    let (code, _, err) = refund("1:1");
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("pharmacy must confirm"), "{err}");
    // a line not dispensed is refundable as usual
    assert_eq!(refund("2").0, 0);
    event("return_confirmed", 1, Some("1"));
    assert_eq!(refund("1:1").0, 0);
    let (code, _, err) = refund("1:1");
    assert_eq!(code, 5, "{err}");
    // a dispensed receipt can no longer be voided
    let (code, _, _) = env.run(
        "cash1",
        &[
            "receipt",
            "void",
            &n,
            "--reason",
            "x",
            "--supervisor",
            "boss",
        ],
    );
    assert_eq!(code, 5);
}

#[test]
fn reprints_are_counted_and_marked() {
    let env = ready();
    let (_, a, _) = env.issue("cash1", &simple());
    let n = a["number"].as_str().unwrap();
    for i in 1..=2 {
        let out = env.root().join(format!("copy{i}.pdf"));
        env.ok(
            "cash1",
            &["receipt", "pdf", n, "--out", out.to_str().unwrap()],
        );
        assert!(std::fs::metadata(&out).unwrap().len() > 1000);
        if i == 2 && has_tool("pdftotext") {
            let t = std::process::Command::new("pdftotext")
                .arg(&out)
                .arg("-")
                .output()
                .unwrap();
            assert!(String::from_utf8_lossy(&t.stdout).contains("重打"));
        }
    }
    let v = env.show(n);
    assert_eq!(v["reprints"], 2);
    assert_eq!(v["status"], "issued");
    assert!(
        env.data_dir()
            .receipts_dir()
            .join(format!("{n}-copy2.pdf"))
            .exists()
    );
}

#[test]
fn shift_close_totals_variance_and_supervisor() {
    let env = ready();
    // cash1: 7.30 cash; 509.88 cash; a voided 7.30; mobile 7.30; a refund of 7.30 in cash
    env.issue("cash1", &simple());
    env.issue("cash1", &three_lines());
    let (_, v, _) = env.issue("cash1", &simple());
    env.ok(
        "cash1",
        &[
            "receipt",
            "void",
            v["number"].as_str().unwrap(),
            "--reason",
            "x",
            "--supervisor",
            "boss",
        ],
    );
    env.issue(
        "cash1",
        &body(
            &[("XA88DF322F52065", "1")],
            json!([{"method": "mobile", "amount": "7.30", "reference": "WX"}]),
        ),
    );
    env.ok(
        "cash1",
        &[
            "receipt",
            "refund",
            "MZ01-00000001",
            "--line",
            "1",
            "--reason",
            "r",
            "--supervisor",
            "boss",
        ],
    );
    // cash2's receipt is not in cash1's shift
    env.issue("cash2", &simple());
    let pdf = env.root().join("s.pdf");
    let close = |declared: &str, sup: bool| {
        let mut args = vec![
            "shift",
            "close",
            "--cash-declared",
            declared,
            "--out",
            pdf.to_str().unwrap(),
            "--json",
        ];
        if sup {
            args.extend(["--supervisor", "boss"]);
        }
        env.run("cash1", &args)
    };
    // expected cash: 7.30 + 509.88 − 7.30 = 509.88; 480 is 29.88 short
    let (code, _, err) = close("480", false);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("-29.88"), "{err}");
    let (code, out, err) = close("480", true);
    assert_eq!(code, 0, "{err}");
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["cash_expected"], "509.88");
    assert_eq!(s["variance"], "-29.88");
    assert_eq!(s["supervisor"], "boss");
    assert_eq!(s["count"], 5);
    assert_eq!(s["by_method"]["mobile"], "7.30");
    assert_eq!(s["voids"]["count"], 1);
    assert_eq!(s["refunds"]["total"], "-7.30");
    assert_eq!(s["first_number"], "MZ01-00000001");
    assert_eq!(s["last_number"], "MZ01-00000005");
    assert!(s["backup"].is_string(), "{s}");
    assert!(std::fs::metadata(&pdf).unwrap().len() > 1000);
    // the next shift starts empty; a small variance needs no one
    let (code, out, _) = close("0", false);
    assert_eq!(code, 0);
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["count"], 0);
    assert!(s["since"].is_string());
}
