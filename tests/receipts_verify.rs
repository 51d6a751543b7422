//! `verify` finds receipts, lines, payments and events changed behind the
//! program's back (trigger dropped, row edited, trigger restored), and a
//! hole in the numbering, and names the record.

mod receipts_support;

use receipts_support::*;

fn tamper(env: &Env, table: &str, sql: &str) {
    let store = env.store();
    store
        .conn()
        .execute_batch(&format!(
            "DROP TRIGGER {table}_no_update; DROP TRIGGER {table}_no_delete; {sql};
             {}",
            downtime_billing::store::migrations::append_only_sql(table)
        ))
        .unwrap();
}

fn verify(env: &Env) -> (i32, String) {
    let (code, out, err) = env.run("admin", &["verify", "--json"]);
    (code, format!("{out}{err}"))
}

fn busy() -> Env {
    let env = ready();
    env.issue("cash1", &simple());
    env.issue(
        "cash1",
        &body(
            &[("XN72DG587P95754", "2"), ("T65124405", "10")],
            serde_json::json!([{"method": "cash", "amount": "163.14"}]),
        ),
    );
    env.ok(
        "cash1",
        &[
            "receipt",
            "void",
            "MZ01-00000001",
            "--reason",
            "x",
            "--supervisor",
            "boss",
        ],
    );
    env.ok(
        "cash1",
        &[
            "receipt",
            "refund",
            "MZ01-00000002",
            "--line",
            "2:5",
            "--reason",
            "r",
            "--supervisor",
            "boss",
        ],
    );
    let out = env.root().join("c.pdf");
    env.ok(
        "cash1",
        &[
            "receipt",
            "pdf",
            "MZ01-00000002",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    env
}

#[test]
fn untouched_receipts_verify() {
    let env = busy();
    let (code, out) = verify(&env);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"receipts\""), "{out}");
}

#[test]
fn an_edited_line_price_is_named() {
    let env = busy();
    tamper(
        &env,
        "receipt_lines",
        "UPDATE receipt_lines SET unit_price = '1.00' WHERE receipt_id = 2 AND line_no = 1",
    );
    let (code, out) = verify(&env);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("receipts MZ01-00000002"), "{out}");
}

#[test]
fn an_edited_total_is_named() {
    let env = busy();
    tamper(
        &env,
        "receipts",
        "UPDATE receipts SET total_fen = 100 WHERE number = 'MZ01-00000002'",
    );
    let (code, out) = verify(&env);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("receipts MZ01-00000002"), "{out}");
    assert!(out.contains("QR"), "{out}");
}

#[test]
fn a_deleted_void_and_a_deleted_receipt_are_named() {
    let env = busy();
    tamper(
        &env,
        "receipt_events",
        "DELETE FROM receipt_events WHERE kind = 'void'",
    );
    let (code, out) = verify(&env);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("receipt_events 1"), "{out}");
    let env = busy();
    tamper(
        &env,
        "receipt_payments",
        "DELETE FROM receipt_payments WHERE receipt_id = 1",
    );
    tamper(
        &env,
        "receipt_lines",
        "DELETE FROM receipt_lines WHERE receipt_id = 1",
    );
    tamper(
        &env,
        "receipt_events",
        "DELETE FROM receipt_events WHERE receipt_id = 1",
    );
    tamper(&env, "receipts", "DELETE FROM receipts WHERE id = 1");
    let (code, out) = verify(&env);
    assert_eq!(code, 4, "{out}");
    assert!(out.contains("receipts MZ01-00000001"), "{out}");
    assert!(out.contains("missing"), "{out}");
}
