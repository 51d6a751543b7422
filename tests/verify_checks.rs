//! Each of `verify`'s receipt checks triggered on its own through the
//! binary, and the record it names: a hole in the numbering, a receipt
//! inserted behind the program's back, an event inserted behind its back,
//! an event edited. Every test first shows the same data verifies clean, so
//! the finding is the tampering's, and asserts the exact check's wording,
//! so another check answering instead does not pass it.

mod receipts_support;

use receipts_support::*;
use serde_json::Value;

/// Runs SQL behind the program's back, with the append-only triggers of
/// `tables` dropped for it and put back after (as someone with the file
/// and sqlite3 would).
fn behind_the_back(env: &Env, tables: &[&str], sql: &str) {
    let store = env.store();
    let mut batch = String::new();
    for t in tables {
        batch.push_str(&format!(
            "DROP TRIGGER {t}_no_update; DROP TRIGGER {t}_no_delete;"
        ));
    }
    batch.push_str(sql);
    batch.push(';');
    for t in tables {
        batch.push_str(&downtime_billing::store::migrations::append_only_sql(t));
    }
    store.conn().execute_batch(&batch).unwrap();
}

/// `verify --json`: exit code and the problems as (check, record, message).
fn verify(env: &Env) -> (i32, Vec<(String, String, String)>, String) {
    let (code, out, err) = env.run("admin", &["verify", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
    let problems = v["problems"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
                    (s("check"), s("record"), s("problem"))
                })
                .collect()
        })
        .unwrap_or_default();
    (code, problems, format!("{out}{err}"))
}

/// Three receipts and a void of the first, verified clean.
fn three_receipts() -> Env {
    let env = ready();
    for _ in 0..3 {
        assert_eq!(env.issue("cash1", &simple()).0, 0);
    }
    env.ok(
        "cash1",
        &[
            "receipt",
            "void",
            "MZ01-00000001",
            "--reason",
            "typed wrong",
            "--supervisor",
            "boss",
        ],
    );
    let (code, problems, out) = verify(&env);
    assert_eq!(code, 0, "{out}");
    assert!(problems.is_empty(), "{problems:?}");
    env
}

fn named(problems: &[(String, String, String)], record: &str, wording: &str) -> bool {
    problems
        .iter()
        .any(|(_, r, m)| r == record && m.contains(wording))
}

/// A receipt in the middle of the book deleted with its lines and
/// payments: verify exits 4 naming the range and the hole.
///
/// Break it catches: the numbering-gap query removed from
/// `receipts::integrity::verify_records` (or comparing `MAX(seq)` with
/// itself).
#[test]
fn a_hole_in_the_numbering_is_named() {
    let env = three_receipts();
    behind_the_back(
        &env,
        &["receipt_payments", "receipt_lines", "receipts"],
        "DELETE FROM receipt_payments WHERE receipt_id = 2;
         DELETE FROM receipt_lines WHERE receipt_id = 2;
         DELETE FROM receipts WHERE id = 2",
    );
    // (the audit-based check names the receipt as missing too; the
    // assertion is on the numbering check's own record and wording)
    let (code, problems, out) = verify(&env);
    assert_eq!(code, 4, "{out}");
    assert!(
        named(
            &problems,
            "receipt_ranges MZ01 from 1",
            "1 numbers of the range are missing up to MZ01-00000003"
        ),
        "{problems:?}"
    );
}

/// A receipt row (with its line) inserted with plain SQL, as
/// the next number: named as inserted behind the program's back.
///
/// Break it catches: the "no audit entry records this receipt's issue"
/// check removed from `receipts::integrity::verify_records`.
#[test]
fn a_receipt_inserted_behind_the_back_is_named() {
    let env = three_receipts();
    behind_the_back(
        &env,
        &[],
        "INSERT INTO receipts(number, terminal, seq, range_id, episode_id, drill, kind,
            original_number, issued_at, cashier, patient_name, patient_json, temp_seq,
            temp_patient_no, payer_type, insurance_no, department, doctor, snapshot_id,
            snapshot_month, total_fen, change_fen, deadline, deadline_note, reason, supervisor,
            qr_payload)
         SELECT 'MZ01-00000004', terminal, 4, range_id, episode_id, drill, kind,
            original_number, issued_at, cashier, patient_name, patient_json, temp_seq,
            temp_patient_no, payer_type, insurance_no, department, doctor, snapshot_id,
            snapshot_month, total_fen, change_fen, deadline, deadline_note, reason, supervisor,
            qr_payload FROM receipts WHERE id = 3;
         INSERT INTO receipt_lines(receipt_id, line_no, code, name, spec, unit, unit_price, qty,
            amount_fen, category, refers_line)
         SELECT (SELECT id FROM receipts WHERE number = 'MZ01-00000004'), line_no, code, name,
            spec, unit, unit_price, qty, amount_fen, category, refers_line
           FROM receipt_lines WHERE receipt_id = 3",
    );
    let (code, problems, out) = verify(&env);
    assert_eq!(code, 4, "{out}");
    assert!(
        named(
            &problems,
            "receipts MZ01-00000004",
            "inserted behind the program's back"
        ),
        "{problems:?}"
    );
    // and nothing else is blamed
    assert!(
        problems
            .iter()
            .all(|(_, r, _)| r == "receipts MZ01-00000004"),
        "{problems:?}"
    );
}

/// A void event inserted with plain SQL for receipt 3 (which would make it
/// void without a supervisor): named as inserted behind the program's back.
///
/// Break it catches: the missing-audit-entry arm of the event check removed
/// from `receipts::integrity::verify_records` (or only events with an audit
/// entry checked).
#[test]
fn an_event_inserted_behind_the_back_is_named() {
    let env = three_receipts();
    behind_the_back(
        &env,
        &[],
        "INSERT INTO receipt_events(receipt_id, kind, at, user, supervisor, reason)
         VALUES (3, 'void', '2026-11-22T10:20:00+08:00', 'cash1', 'boss', 'forged')",
    );
    let id: i64 = env
        .store()
        .conn()
        .query_row("SELECT MAX(id) FROM receipt_events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(env.show("MZ01-00000003")["status"], "voided");
    let (code, problems, out) = verify(&env);
    assert_eq!(code, 4, "{out}");
    assert!(
        named(
            &problems,
            &format!("receipt_events {id}"),
            "no audit entry records this void event"
        ),
        "{problems:?}"
    );
}

/// The recorded void's reason and supervisor edited with plain SQL: named
/// as differing from what was recorded.
///
/// Break it catches: the event digest comparison removed (`event_digest`
/// not compared with the audit entry's `event_sha256`), or the digest not
/// covering the reason and supervisor.
#[test]
fn an_edited_event_is_named() {
    let env = three_receipts();
    let id: i64 = env
        .store()
        .conn()
        .query_row(
            "SELECT id FROM receipt_events WHERE kind = 'void'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    behind_the_back(
        &env,
        &["receipt_events"],
        "UPDATE receipt_events SET reason = 'patient asked', supervisor = 'cash2'
          WHERE kind = 'void'",
    );
    let (code, problems, out) = verify(&env);
    assert_eq!(code, 4, "{out}");
    assert!(
        named(
            &problems,
            &format!("receipt_events {id}"),
            "this void event differs from what was recorded"
        ),
        "{problems:?}"
    );
}
