//! Issue 10, point 1: a receipt number is never handed out twice — not
//! after the restore of an older backup, not after the newest receipts
//! were deleted behind the program's back. The numbers in between are
//! recorded as lost, counted by `verify` and the shift close, and carried
//! in the journal (as audit entries).

mod receipts_support;

use receipts_support::*;
use serde_json::Value;

fn number(v: &Value) -> String {
    v["number"].as_str().unwrap_or_default().to_string()
}

fn issue_ok(env: &Env) -> String {
    let (code, v, err) = env.issue("admin", &simple());
    assert_eq!(code, 0, "{err}");
    number(&v)
}

/// Breaks caught: numbering that derives the next number only from the
/// receipts the database holds (restore of an older backup hands out
/// MZ01-00000003 again); a high-water mark kept only inside the database;
/// lost numbers not counted by the gap check (verify then fails after a
/// restore), by `verify`'s counts or by the shift close.
#[test]
fn restore_of_an_older_backup_never_reissues_a_number() {
    let env = ready();
    assert_eq!(issue_ok(&env), "MZ01-00000001");
    assert_eq!(issue_ok(&env), "MZ01-00000002");
    let out_dir = env.root().join("bk");
    let b: Value = serde_json::from_str(&env.ok(
        "admin",
        &["backup", "--json", "--out", out_dir.to_str().unwrap()],
    ))
    .unwrap();
    assert_eq!(b["high_water"], 2, "{b}");
    let backup_file = b["file"].as_str().unwrap().to_string();
    assert_eq!(issue_ok(&env), "MZ01-00000003");
    assert_eq!(issue_ok(&env), "MZ01-00000004");

    let (code, out, err) = env.run("admin", &["restore", &backup_file]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("MZ01-00000003") && out.contains("MZ01-00000004") && out.contains("lost"),
        "restore names the numbers recorded as lost: {out}"
    );

    // The patient holding MZ01-00000003 is never joined by another.
    assert_eq!(issue_ok(&env), "MZ01-00000005");
    let (code, _, err) = env.run("admin", &["receipt", "show", "MZ01-00000003"]);
    assert_ne!(code, 0, "the lost number is not a receipt here: {err}");

    // verify accounts for the lost numbers: no hole, and their count shown.
    let (code, out, err) = env.run("admin", &["verify", "--json"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let lost = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "lost_numbers")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(lost["checked"], 2, "{v}");

    // The shift close counts them.
    let pdf = env.root().join("shift.pdf");
    let (code, out, err) = env.run(
        "admin",
        &["shift", "close", "--out", pdf.to_str().unwrap(), "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let s: Value = serde_json::from_str(&out).unwrap();
    let s = if s.get("summary").is_some() {
        s["summary"].clone()
    } else {
        s
    };
    assert_eq!(s["numbers_lost"], 2, "{s}");

    // The journal carries the record (its audit entry).
    let journal = env.root().join("j.jsonl");
    env.ok(
        "admin",
        &["journal", "export", "--out", journal.to_str().unwrap()],
    );
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        text.contains("numbers.lost"),
        "journal lacks the lost numbers"
    );

    // A second restore of the same old backup: still no reuse; its JSON
    // names the numbers recorded as lost (3 to 5).
    let (code, out, err) = env.run("admin", &["restore", &backup_file, "--json"]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["numbers_lost"][0]["first"], "MZ01-00000003", "{r}");
    assert_eq!(r["numbers_lost"][0]["count"], 3, "{r}");
    assert_eq!(issue_ok(&env), "MZ01-00000006");
    let (code, out, err) = env.run("admin", &["verify"]);
    assert_eq!(code, 0, "{out}\n{err}");
}

/// Breaks caught: the next number taken as max(seq)+1 of what is stored, so
/// deleting the newest receipts (triggers dropped, rows removed with the
/// sqlite3 shell) hands their numbers out again; `verify` not comparing
/// the database with the high-water mark kept beside it (the deletion of
/// the newest receipts *with* their audit entries would pass).
#[test]
fn deleting_the_newest_receipts_behind_the_programs_back_does_not_free_their_numbers() {
    let env = ready();
    for _ in 0..3 {
        issue_ok(&env);
    }
    {
        let conn = rusqlite::Connection::open(env.data_dir().db_path()).unwrap();
        conn.execute_batch(
            "DROP TRIGGER receipts_no_delete;
             DROP TRIGGER receipt_lines_no_delete;
             DROP TRIGGER receipt_payments_no_delete;
             DELETE FROM receipt_lines WHERE receipt_id IN (SELECT id FROM receipts WHERE seq >= 2);
             DELETE FROM receipt_payments WHERE receipt_id IN (SELECT id FROM receipts WHERE seq >= 2);
             DELETE FROM receipts WHERE seq >= 2;",
        )
        .unwrap();
    }
    // verify names the vanished numbers before and after the next receipt.
    let (code, out, _) = env.run("admin", &["verify"]);
    assert_eq!(code, 4);
    assert!(
        out.contains("MZ01-00000002–MZ01-00000003") && out.contains("not in the database"),
        "{out}"
    );
    // The failed verify stops issuing until an admin acknowledges it.
    let (code, _, _) = env.issue("admin", &simple());
    assert_eq!(code, 4, "issuing is held after a failed verify");
    env.ok(
        "admin",
        &[
            "verify",
            "acknowledge",
            "--reason",
            "receipts deleted; investigated",
        ],
    );
    assert_eq!(issue_ok(&env), "MZ01-00000004");
    let (code, out, _) = env.run("admin", &["verify"]);
    assert_eq!(code, 4);
    assert!(
        out.contains("MZ01-00000002–MZ01-00000003") && out.contains("vanished"),
        "{out}"
    );
    let conn = rusqlite::Connection::open(env.data_dir().db_path()).unwrap();
    let (first, last, reason): (i64, i64, String) = conn
        .query_row(
            "SELECT first_seq, last_seq, reason FROM lost_numbers",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((first, last, reason.as_str()), (2, 3, "missing"));
}
