//! Migration `check_lists` (src/finance/check_lists.sql): the value lists of
//! the tables a journal import and a reconciliation fill row by row are
//! checked by comparisons, not by `IN (…)` lists that make SQLite build a
//! temporary B-tree on every insert, and they still accept exactly the
//! values they accepted. The index on credit notes' originals is partial
//! and still serves the look-ups.

mod finance_support;

use finance_support::*;
use rusqlite::Connection;

fn table_sql(conn: &Connection, name: &str) -> String {
    conn.query_row(
        "SELECT sql FROM sqlite_schema WHERE name = ?1",
        [name],
        |r| r.get(0),
    )
    .unwrap()
}

/// Inserts `sql` with `value` bound as ?1 inside a transaction rolled back
/// afterwards; Err(message) when refused.
fn try_insert(conn: &mut Connection, sql: &str, value: &str) -> Result<(), String> {
    let tx = conn.transaction().unwrap();
    let r = tx
        .execute(sql, [value])
        .map(|_| ())
        .map_err(|e| e.to_string());
    tx.rollback().unwrap();
    r
}

/// Catches a migration that is not applied or whose `replace` no longer
/// matches the stored text (break tried: the receipts needle misspelt — the
/// `kind IN (` assertion fails) and a comparison chain that loosens the
/// check (break tried: `… OR 1` appended for payments — 'bitcoin' is
/// accepted); a chain missing a value fails the accept loop.
#[test]
fn value_lists_are_comparisons_and_accept_exactly_what_they_did() {
    let (h, _cw) = Hospital::new();
    let mut t = h.terminal("MZ01", "MZ01");
    t.ready(1, 100, "2026-11-02T09:00:00+08:00", false);
    let n = t.issue("2026-11-02T09:10:00+08:00", &[(DRUG, "2")], false, "张三");
    t.void("2026-11-02T09:20:00+08:00", &n);
    let conn = t.store.conn_mut();

    for (table, column) in [
        ("receipts", "kind"),
        ("receipt_payments", "method"),
        ("episodes", "level"),
        ("his_invoices", "kind"),
    ] {
        let sql = table_sql(conn, table);
        assert!(
            !sql.contains(&format!("{column} IN (")),
            "{table}.{column} is still an IN list: {sql}"
        );
        assert!(sql.contains(&format!("{column} = '")), "{table}: {sql}");
    }

    let cases: [(&str, &[&str], &[&str]); 4] = [
        (
            "INSERT INTO receipts(number, terminal, seq, range_id, episode_id, drill, kind,
                 issued_at, cashier, patient_name, patient_json, payer_type, department, doctor,
                 total_fen, change_fen, qr_payload)
             SELECT number || '-X', terminal, seq + 1000, range_id, episode_id, drill, ?1,
                 issued_at, cashier, patient_name, patient_json, payer_type, department, doctor,
                 total_fen, change_fen, qr_payload FROM receipts LIMIT 1",
            &["outpatient", "registration", "deposit", "credit_note"],
            &["bogus", "Deposit", "deposit ", ""],
        ),
        (
            "INSERT INTO receipt_payments(receipt_id, pay_no, method, amount_fen)
             SELECT receipt_id, pay_no + 10, ?1, amount_fen FROM receipt_payments LIMIT 1",
            &["cash", "card", "mobile"],
            &["bitcoin", "CASH", ""],
        ),
        (
            "INSERT INTO episodes(terminal, level, reason, drill, opened_at, opened_by)
             VALUES ('MZ01', ?1, 'test', 0, '2026-11-02T09:00:00+08:00', 'admin')",
            &["I", "II", "III", "IV"],
            &["V", "i", "II "],
        ),
        (
            "INSERT INTO his_invoices(invoice, receipt_number, kind, event_id)
             SELECT 'HIS-CHECK', number, ?1, (SELECT MAX(id) FROM receipt_events)
               FROM receipts LIMIT 1",
            &["exchanged", "self_pay_posted", "insurance_resettled"],
            &["exchange", "posted", ""],
        ),
    ];
    for (sql, good, bad) in cases {
        for v in good {
            try_insert(conn, sql, v).unwrap_or_else(|e| panic!("{v:?} refused: {e}\n{sql}"));
        }
        for v in bad {
            let Err(e) = try_insert(conn, sql, v) else {
                panic!("{v:?} accepted\n{sql}");
            };
            assert!(e.contains("CHECK constraint failed"), "{v:?}: {e}");
        }
    }
    assert_eq!(t.count("receipts"), 1, "every test insert rolled back");
}

/// Catches the index on `original_number` losing its WHERE (break tried:
/// the CREATE INDEX without it — the first assertion fails) or no longer
/// serving the credit-note look-up (the plan must name it).
#[test]
fn the_credit_note_index_is_partial_and_still_used() {
    let (_h, cw) = Hospital::new();
    let conn = cw.store.conn();
    let sql = table_sql(conn, "receipts_original");
    assert!(sql.ends_with("WHERE original_number IS NOT NULL"), "{sql}");
    for q in [
        "SELECT id FROM receipts c WHERE c.original_number = 'MZ01-00000001'",
        "SELECT original_number, SUM(total_fen) FROM receipts
          WHERE original_number IS NOT NULL GROUP BY original_number",
    ] {
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {q}"))
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter().any(|p| p.contains("receipts_original")),
            "{q}: {plan:?}"
        );
    }
}
