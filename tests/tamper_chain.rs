//! Tamper evidence against someone who can open the file (issue 10, point
//! 9): the audit chain is keyed (a rewritten entry cannot be relinked
//! without the hospital key), an upgraded database's plain entries stay
//! verifiable and are covered by the first keyed entry, and the chain's
//! outside witness (printed on the shift-close report, kept in the data
//! directory and beside the backups) tells when the newest receipts and
//! entries were cut off.

mod receipts_support;
use receipts_support::*;
use sha2::Digest;

fn raw(env: &Env) -> rusqlite::Connection {
    rusqlite::Connection::open(env.data_dir().db_path()).unwrap()
}

/// `verify --json` with the admin logged in (the key unwrapped, so the
/// signatures and the chain's MACs are checked) → (exit code, [(check,
/// record, problem)]).
fn verify(env: &Env) -> (i32, Vec<(String, String, String)>) {
    let o = std::process::Command::new(bin())
        .env_clear()
        .env("DOWNTIME_BILLING_DATA_DIR", env.data_dir().root())
        .env("DOWNTIME_BILLING_LANG", "en")
        .env("DOWNTIME_BILLING_PIN", PIN)
        .args(["--user", "admin", "verify", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let problems = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["check"].as_str().unwrap().to_string(),
                p["record"].as_str().unwrap().to_string(),
                p["problem"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (o.status.code().unwrap(), problems)
}

/// Recomputes every entry's plain SHA-256 link, as anyone with the file
/// can (the program's own hash: length-prefixed prev, seq and fields).
fn relink_plain_chain(c: &rusqlite::Connection) {
    let rows: Vec<(i64, [String; 6])> = c
        .prepare(
            "SELECT seq, at, terminal, user, action, records, details FROM audit_log ORDER BY seq",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                [
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ],
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev = downtime_billing::audit::GENESIS.to_string();
    for (seq, f) in rows {
        let mut h = sha2::Sha256::new();
        let seq_text = seq.to_string();
        for part in [prev.as_str(), seq_text.as_str()]
            .into_iter()
            .chain(f.iter().map(String::as_str))
        {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        let hash = hex::encode(h.finalize());
        c.execute(
            "UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
            rusqlite::params![prev, hash, seq],
        )
        .unwrap();
        prev = hash;
    }
}

/// A cashier made admin by rewriting the users row *and* the audit entry
/// that created it, then relinking the plain chain: every plain check
/// agrees, only the keyed MACs tell. Catches: an unkeyed chain (audit
/// entries written without a MAC, or `check_keyed_chain` not given the
/// key) — before, this passed `verify` and cash1 held admin.
#[test]
fn a_rewritten_and_relinked_audit_entry_fails_the_keyed_chain() {
    let env = setup();
    assert_eq!(verify(&env).0, 0);
    let c = raw(&env);
    c.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE users SET roles = 'cashier,admin' WHERE name = 'cash1';",
    )
    .unwrap();
    let (seq, details): (i64, String) = c
        .query_row(
            "SELECT seq, details FROM audit_log WHERE action = 'user.add' AND records LIKE '%cash1%'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut d: serde_json::Value = serde_json::from_str(&details).unwrap();
    d["roles"] = serde_json::json!("cashier,admin");
    c.execute(
        "UPDATE audit_log SET details = ?1 WHERE seq = ?2",
        rusqlite::params![d.to_string(), seq],
    )
    .unwrap();
    relink_plain_chain(&c);
    c.execute_batch(&downtime_billing::store::migrations::append_only_sql(
        "audit_log",
    ))
    .unwrap();
    let (code, problems) = verify(&env);
    assert_eq!(code, 4, "{problems:?}");
    assert!(
        problems.iter().any(|(c, r, p)| c == "audit_chain"
            && r == &format!("audit_log seq {seq}")
            && p.contains("keyed MAC does not verify")),
        "{problems:#?}"
    );
    // Only the chain can tell: the users check agrees with the rewritten log.
    assert!(
        problems.iter().all(|(c, _, _)| c == "audit_chain"),
        "{problems:#?}"
    );
}

/// A database from before the chain was keyed (plain hashes, the `mac`
/// column the upgrade adds empty) opens, verifies, and is keyed from its next entry on; its old
/// entries stay covered: rewriting one and relinking the plain chain breaks
/// the first keyed entry's MAC. Catches: a migration that leaves old
/// entries unverifiable (exit 4 on a clean upgraded database) or a first
/// keyed entry not linked to the plain head.
#[test]
fn an_upgraded_plain_chain_stays_verifiable_and_is_keyed_from_then_on() {
    let env = setup();
    // Make it what the upgrade leaves of an older version's log: the mac
    // column added, empty on every entry written before.
    let c = raw(&env);
    c.execute_batch("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET mac = NULL;")
        .unwrap();
    c.execute_batch(&downtime_billing::store::migrations::append_only_sql(
        "audit_log",
    ))
    .unwrap();
    drop(c);
    let (code, problems) = verify(&env);
    assert_eq!(code, 0, "{problems:#?}");
    let c = raw(&env);
    let plain: i64 = c
        .query_row(
            "SELECT count(*) FROM audit_log WHERE mac IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(plain >= 5, "the old entries keep their plain hashes");
    drop(c);
    env.ok(
        "admin",
        &["episode", "open", "--level", "II", "--reason", "HIS down"],
    );
    let c = raw(&env);
    let (keyed_seq, mac): (i64, Option<String>) = c
        .query_row(
            "SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(mac.is_some(), "new entries are keyed");
    assert_eq!(verify(&env).0, 0);
    // Rewrite an old, plain entry and relink the plain chain.
    c.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET details = '{\"roles\":\"admin\"}' WHERE action = 'user.add'
            AND records LIKE '%cash1%';",
    )
    .unwrap();
    relink_plain_chain(&c);
    c.execute_batch(&downtime_billing::store::migrations::append_only_sql(
        "audit_log",
    ))
    .unwrap();
    let (code, problems) = verify(&env);
    assert_eq!(code, 4);
    assert!(
        problems.iter().any(|(c, r, p)| c == "audit_chain"
            && r == &format!("audit_log seq {keyed_seq}")
            && p.contains("keyed MAC does not verify")),
        "{problems:#?}"
    );
}

/// The newest receipt deleted with its audit entries (the chain still
/// links), the backups and their records removed too: the witness kept
/// in the data directory at shift close names the cut, and the printed
/// shift report carries it. Catches: no witness written at shift close or
/// `verify` not checking it (before, this passed).
#[test]
fn the_witness_names_the_newest_receipts_cut_off() {
    let env = ready();
    for _ in 0..3 {
        let (code, _, err) = env.issue("cash1", &simple());
        assert_eq!(code, 0, "{err}");
    }
    let report = env.root().join("shift.pdf");
    env.ok(
        "cash1",
        &["shift", "close", "--out", report.to_str().unwrap()],
    );
    let w: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(env.data_dir().root().join("witness.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(w["highest_receipt"], "MZ01-00000003", "{w}");
    assert_eq!(w["head"].as_str().unwrap().len(), 16, "{w}");
    if has_tool("pdftotext") {
        let o = std::process::Command::new("pdftotext")
            .arg(&report)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("MZ01-00000003"), "{text}");
        assert!(text.contains("Audit chain witness"), "{text}");
    }
    assert_eq!(verify(&env).0, 0);

    // Cut the newest receipt and everything the log holds from its issue on.
    let c = raw(&env);
    let from: i64 = c
        .query_row(
            "SELECT seq FROM audit_log WHERE records LIKE '%MZ01-00000003%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut triggers = Vec::new();
    for t in [
        "audit_log",
        "receipts",
        "receipt_lines",
        "receipt_payments",
        "shift_closes",
        "backups",
    ] {
        let rows: Vec<(String, String)> = c
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1")
            .unwrap()
            .query_map([t], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        triggers.extend(rows);
    }
    for (name, _) in &triggers {
        c.execute_batch(&format!("DROP TRIGGER {name};")).unwrap();
    }
    c.execute_batch(&format!(
        "DELETE FROM receipt_lines WHERE receipt_id = 3;
         DELETE FROM receipt_payments WHERE receipt_id = 3;
         DELETE FROM shift_closes;
         DELETE FROM receipts WHERE id = 3;
         DELETE FROM backups;
         DELETE FROM audit_log WHERE seq >= {from};"
    ))
    .unwrap();
    for (_, sql) in &triggers {
        c.execute_batch(&format!("{sql};")).unwrap();
    }
    drop(c);
    std::fs::remove_dir_all(env.data_dir().backups_dir()).unwrap();
    let (code, problems) = verify(&env);
    assert_eq!(code, 4, "{problems:#?}");
    assert!(
        problems
            .iter()
            .any(|(c, _, p)| c == "witness" && p.contains("the newest entries were deleted")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|(c, _, p)| c == "witness" && p.contains("MZ01-00000003")),
        "{problems:#?}"
    );
}
