//! Void, refund and backup rules each tested on its own through the
//! binary, so that no other check answers first: a supervisor without the
//! `admin` role; a dispensed receipt with no refunds; a deposit; card and
//! mobile refunds; the backup every N receipts with the real setting.

mod receipts_support;

use receipts_support::*;
use serde_json::{Value, json};

/// A second cashier's PIN for these tests' own users.
const OTHER_PIN: &str = "739146";

fn void(env: &Env, user: &str, n: &str, supervisor: &str, sup_pin: &str) -> (i32, String) {
    let pin = if user == "cash1" { CASH_PIN } else { PIN };
    let out = env
        .cmd(user, pin)
        .env("DOWNTIME_BILLING_SUPERVISOR_PIN", sup_pin)
        .args([
            "receipt",
            "void",
            n,
            "--reason",
            "typed wrong",
            "--supervisor",
            supervisor,
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn refund(env: &Env, n: &str, line: &str, supervisor: &str, sup_pin: &str) -> (i32, Value, String) {
    let out = env
        .cmd("cash1", CASH_PIN)
        .env("DOWNTIME_BILLING_SUPERVISOR_PIN", sup_pin)
        .args([
            "receipt",
            "refund",
            n,
            "--line",
            line,
            "--reason",
            "patient left",
            "--supervisor",
            supervisor,
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Adds `name` with `roles` and PIN [`OTHER_PIN`].
fn add_user(env: &Env, name: &str, roles: &str) {
    env.cmd("admin", PIN)
        .env("DOWNTIME_BILLING_NEW_PIN", OTHER_PIN)
        .args(["user", "add", name, "--role", roles])
        .assert()
        .success();
}

/// A supervisor who holds every role but `admin` (right PIN, another
/// person) is refused for a void and a refund (exit 3), and nothing is
/// recorded; the same request approved by an admin goes through.
///
/// Break it catches: `auth::approve_by_supervisor` without its
/// `require(Role::Admin)` (any second person could approve).
#[test]
fn a_supervisor_without_admin_is_refused() {
    let env = ready();
    add_user(&env, "lead", "cashier,pharmacist,finance");
    let (_, a, _) = env.issue("cash1", &simple());
    let n = a["number"].as_str().unwrap();
    let (code, err) = void(&env, "cash1", n, "lead", OTHER_PIN);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("admin"), "{err}");
    let (code, _, err) = refund(&env, n, "1", "lead", OTHER_PIN);
    assert_eq!(code, 3, "{err}");
    let shown = env.show(n);
    assert_eq!(shown["status"], "issued");
    assert_eq!(shown["events"].as_array().map_or(0, Vec::len), 0);
    // no credit note took a number
    let (_, b, _) = env.issue("cash1", &simple());
    assert_eq!(b["number"], "MZ01-00000002");
    // the same void approved by an admin is done
    let (code, err) = void(&env, "cash1", n, "boss", SUP_PIN);
    assert_eq!(code, 0, "{err}");
    assert_eq!(env.show(n)["status"], "voided");
}

/// A receipt the pharmacy dispensed (through `pharmacy dispense`), with no
/// refund at all, cannot be voided (exit 5, named as dispensed), while an
/// identical receipt not dispensed can.
///
/// Break it catches: the `pharmacy::any_dispensed` check dropped from
/// `receipts::events::check_voidable` (the only other test of it also has a
/// refund, so the refunds check answered first).
#[test]
fn a_dispensed_receipt_without_refunds_cannot_be_voided() {
    let env = ready();
    let (_, a, _) = env.issue("cash1", &simple());
    let n = a["number"].as_str().unwrap();
    let code_text = a["qr_payload"].as_str().unwrap();
    let (code, out, err) = env.run("pharm", &["pharmacy", "dispense", code_text, "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let shown = env.show(n);
    assert_eq!(shown["status"], "dispensed");
    assert!(shown["credit_notes"].as_array().is_none_or(Vec::is_empty));
    let (code, err) = void(&env, "cash1", n, "boss", SUP_PIN);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("dispensed"), "{err}");
    assert_eq!(env.show(n)["status"], "dispensed");
    // the control: the next receipt, not dispensed, is voidable
    let (_, b, _) = env.issue("cash1", &simple());
    let (code, err) = void(
        &env,
        "cash1",
        b["number"].as_str().unwrap(),
        "boss",
        SUP_PIN,
    );
    assert_eq!(code, 0, "{err}");
}

/// A deposit receipt cannot be refunded (exit 5, named as a deposit); no
/// credit note is issued and no number is used.
///
/// Break it catches: the `Kind::Deposit` refusal dropped from
/// `receipts::events::refund_lines`.
#[test]
fn a_deposit_cannot_be_refunded() {
    let env = ready();
    let deposit = json!({
        "kind": "deposit",
        "patient": {"name": "李四", "inpatient_no": "ZY001"},
        "amount": "3000",
        "payments": [{"method": "cash", "amount": "3000.00"}]
    });
    let (code, d, err) = env.issue("cash1", &deposit);
    assert_eq!(code, 0, "{err}");
    let n = d["number"].as_str().unwrap();
    for line in ["1", "0", "1:1"] {
        let (code, v, err) = refund(&env, n, line, "boss", SUP_PIN);
        assert_ne!(code, 0, "deposit refunded with --line {line}: {v}");
        if code == 5 {
            assert!(err.contains("deposit"), "{err}");
        }
    }
    let (code, _, err) = refund(&env, n, "1", "boss", SUP_PIN);
    assert_eq!(code, 5, "{err}");
    assert_eq!(env.show(n)["status"], "issued");
    let (_, b, _) = env.issue("cash1", &simple());
    assert_eq!(b["number"], "MZ01-00000002");
}

/// A receipt paid by card, and one paid by mobile payment, are refunded the
/// same way they were paid: the credit note's payment has the original's
/// method and reference, and the amount of the refunded lines, negative.
///
/// Break it catches: a refund whose payment method is always cash
/// (`PaymentMethod::default()` instead of the original's first method), or
/// that drops the card/mobile reference.
#[test]
fn card_and_mobile_refunds_go_back_the_same_way() {
    let env = ready();
    for (method, reference) in [("card", "POS-778812"), ("mobile", "WX4200001234")] {
        // 7.3001 × 2 → 14.60 and 7.3001 × 1 → 7.30, rounded per line: 21.90
        let b = body(
            &[("XA88DF322F52065", "2"), ("XA88DF322F52065", "1")],
            json!([{"method": method, "amount": "21.90", "reference": reference}]),
        );
        let (code, v, err) = env.issue("cash1", &b);
        assert_eq!(code, 0, "{err}");
        assert_eq!(v["total"], "21.90");
        let n = v["number"].as_str().unwrap();
        let (code, cn, err) = refund(&env, n, "1", "boss", SUP_PIN);
        assert_eq!(code, 0, "{err}");
        let pays = cn["payments"].as_array().unwrap();
        assert_eq!(pays.len(), 1, "{cn}");
        assert_eq!(pays[0]["method"], method, "{cn}");
        assert_eq!(pays[0]["reference"], reference, "{cn}");
        assert_eq!(pays[0]["amount"], "-14.60", "{cn}");
        assert_eq!(cn["total"], "-14.60");
        // and so it is stored
        let shown = env.show(cn["number"].as_str().unwrap());
        assert_eq!(shown["payments"][0]["method"], method);
    }
}

/// With `backup.every_receipts` set to 3 through `settings set`, issuing 7
/// receipts through the binary leaves exactly two automatic backups, taken
/// after the 3rd and the 6th, each holding the receipts issued by then.
///
/// Break it catches: `backup::maybe_backup_after_receipt` ignoring the
/// setting (a constant), an off-by-one in its due test, or the issue
/// workflow no longer calling it.
#[test]
fn a_backup_every_n_receipts_with_the_real_setting() {
    let env = ready();
    let dir = env.root().join("auto-backups");
    env.ok("admin", &["settings", "set", "backup.every_receipts", "3"]);
    env.ok(
        "admin",
        &["settings", "set", "backup.dir", dir.to_str().unwrap()],
    );
    for _ in 0..7 {
        let (code, _, err) = env.issue("cash1", &simple());
        assert_eq!(code, 0, "{err}");
    }
    let store = env.store();
    let rows: Vec<(String, String, Option<i64>)> = store
        .conn()
        .prepare("SELECT file, reason, receipts_seen FROM backups ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let auto: Vec<_> = rows.iter().filter(|r| r.1 == "receipts").collect();
    assert_eq!(
        auto.iter().map(|r| r.2).collect::<Vec<_>>(),
        vec![Some(3), Some(6)],
        "{rows:?}"
    );
    for (i, (file, _, _)) in auto.iter().enumerate() {
        let p = std::path::Path::new(file);
        assert!(p.starts_with(&dir), "{file} not in backup.dir");
        let c =
            rusqlite::Connection::open_with_flags(p, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap();
        let held: i64 = c
            .query_row("SELECT COUNT(*) FROM receipts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(held, 3 * (i as i64 + 1), "{file}");
    }
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "sqlite3"))
        .count();
    assert_eq!(files, 2);
}
