//! Tampering behind the program's back is detected by `verify` (exit 4),
//! naming the record; plain-SQL UPDATE/DELETE on protected tables fails.

mod security_common;
use security_common::*;

/// `verify --json` with the admin logged in: the key is unwrapped, so
/// signatures and chain MACs are checked too.
fn verify_json(dir: &std::path::Path) -> (i32, serde_json::Value) {
    let o = admin(dir).args(["verify", "--json"]).output().unwrap();
    let code = o.status.code().unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    (code, v)
}

fn problems(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v["problems"]
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
        .collect()
}

#[test]
fn a_clean_database_passes_with_counts() {
    let d = setup("MZ01");
    add_user(d.path(), "cash1", "cashier", "284615");
    let o = admin(d.path()).arg("verify").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("all checks passed"), "{out}");
    // setup writes three entries (setup, the admin's key wrap, the bundled
    // calendar), user add two (the user, their key wrap)
    assert!(out.contains("audit_chain 5"), "{out}");
    let (code, v) = verify_json(d.path());
    assert_eq!(code, 0);
    assert_eq!(v["ok"], true);
    assert!(v["problems"].as_array().unwrap().is_empty());
}

#[test]
fn a_dropped_trigger_is_named() {
    let d = setup("MZ01");
    raw(d.path())
        .execute_batch("DROP TRIGGER price_items_no_delete;")
        .unwrap();
    let o = admin(d.path()).arg("verify").output().unwrap();
    assert_eq!(o.status.code(), Some(4));
    assert!(
        stdout(&o).contains("trigger price_items_no_delete on price_items"),
        "{}",
        stdout(&o)
    );
    let (code, v) = verify_json(d.path());
    assert_eq!(code, 4);
    assert_eq!(v["ok"], false);
    let p = problems(&v);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].0, "triggers");
}

#[test]
fn a_trigger_replaced_by_a_no_op_is_named() {
    let d = setup("MZ01");
    raw(d.path())
        .execute_batch(
            "DROP TRIGGER audit_log_no_update;
             CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT 1; END;",
        )
        .unwrap();
    let (code, v) = verify_json(d.path());
    assert_eq!(code, 4);
    let p = problems(&v);
    assert!(
        p.iter()
            .any(|(c, r, _)| c == "triggers" && r.contains("audit_log_no_update")),
        "{p:?}"
    );
}

#[test]
fn an_audit_row_edited_with_triggers_dropped_is_named() {
    let d = setup("MZ01");
    add_user(d.path(), "cash1", "cashier", "284615");
    add_user(d.path(), "fin1", "finance", "395724");
    raw(d.path())
        .execute_batch(
            "DROP TRIGGER audit_log_no_update;
             UPDATE audit_log SET details = '{\"roles\":\"admin\"}' WHERE seq = 3;
             CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
               BEGIN SELECT RAISE(ABORT, 'append-only table audit_log: UPDATE refused'); END;",
        )
        .unwrap();
    let (code, v) = verify_json(d.path());
    assert_eq!(code, 4);
    let p = problems(&v);
    assert!(
        p.iter().any(|(c, r, what)| c == "audit_chain"
            && r == "audit_log seq 3"
            && what.contains("altered")),
        "{p:?}"
    );
    // The trigger was put back: only the edit itself is reported by the chain.
    assert!(!p.iter().any(|(c, _, _)| c == "triggers"), "{p:?}");
}

#[test]
fn a_deleted_audit_row_is_named() {
    let d = setup("MZ01");
    add_user(d.path(), "cash1", "cashier", "284615");
    add_user(d.path(), "fin1", "finance", "395724");
    raw(d.path())
        .execute_batch(
            "DROP TRIGGER audit_log_no_delete;
             DELETE FROM audit_log WHERE seq = 2;",
        )
        .unwrap();
    let o = admin(d.path()).arg("verify").output().unwrap();
    assert_eq!(o.status.code(), Some(4));
    let out = stdout(&o);
    assert!(out.contains("audit_log seq 2"), "{out}");
    assert!(out.contains("missing (deleted)"), "{out}");
    assert!(out.contains("trigger audit_log_no_delete"), "{out}");
    assert!(stderr(&o).contains("verification failed"), "{}", stderr(&o));
}

#[test]
fn roles_granted_by_plain_sql_are_named() {
    let d = setup("MZ01");
    add_user(d.path(), "cash1", "cashier", "284615");
    raw(d.path())
        .execute(
            "UPDATE users SET roles = 'admin,cashier' WHERE name = 'cash1'",
            [],
        )
        .unwrap();
    let (code, v) = verify_json(d.path());
    assert_eq!(code, 4);
    let p = problems(&v);
    assert!(
        p.iter()
            .any(|(c, r, what)| c == "users" && r == "users cash1" && what.contains("roles")),
        "{p:?}"
    );
}

#[test]
fn a_pin_hash_swapped_by_plain_sql_is_named() {
    let d = setup("MZ01");
    add_user(d.path(), "cash1", "cashier", "284615");
    let c = raw(d.path());
    let admin_hash: String = c
        .query_row("SELECT pin_hash FROM users WHERE name = 'admin'", [], |r| {
            r.get(0)
        })
        .unwrap();
    c.execute(
        "UPDATE users SET pin_hash = ?1 WHERE name = 'cash1'",
        [admin_hash],
    )
    .unwrap();
    let (code, v) = verify_json(d.path());
    assert_eq!(code, 4);
    assert!(
        problems(&v)
            .iter()
            .any(|(_, r, what)| r == "users cash1" && what.contains("PIN hash")),
        "{v}"
    );
}

#[test]
fn price_items_edited_or_deleted_behind_the_back_are_named() {
    let d = setup("MZ01");
    let c = raw(d.path());
    c.execute_batch(
        "INSERT INTO price_snapshots(id, month, file_name, sha256, imported_by, imported_at, item_count)
           VALUES (1, '2026-11', 'p.csv', 'x', 'admin', '2026-11-01T08:00:00+08:00', 2);
         INSERT INTO price_items VALUES (1, 2, 'A1', '阿莫西林', 'AMXL', '0.25g*24', '盒', '12.5000', 'western_drug', '甲', '');
         INSERT INTO price_items VALUES (1, 3, 'B2', '血常规', 'XCG', '', '次', '20.0000', 'lab_test', '甲', '');",
    )
    .unwrap();
    // The import's audit entry records the items' digest, as the price
    // import does; it is written through the library, with the admin's key
    // unwrapped, so the chain (and its MACs) holds.
    downtime_billing::keys::wrap::unlock_dir(
        &downtime_billing::store::DataDir::new(d.path()),
        "admin",
        ADMIN_PIN,
    )
    .unwrap();
    let digest = downtime_billing::verify::price_items_digest(&c, 1).unwrap();
    let clock = downtime_billing::clock::FixedClock::at(NOW);
    downtime_billing::audit::record(
        &c,
        &downtime_billing::audit::Actor {
            user: "admin".into(),
            terminal: "MZ01".into(),
        },
        &clock,
        "prices.import",
        &["price_snapshot:1".to_string()],
        serde_json::json!({"snapshot_id": 1, "items_sha256": digest}),
    )
    .unwrap();
    let (code, _) = verify_json(d.path());
    assert_eq!(code, 0);

    c.execute_batch(
        "DROP TRIGGER price_items_no_update;
         UPDATE price_items SET unit_price = '1.0000' WHERE code = 'A1';",
    )
    .unwrap();
    let (code, v) = verify_json(d.path());
    assert_eq!(code, 4);
    let p = problems(&v);
    assert!(
        p.iter().any(|(c, r, what)| c == "price_snapshots"
            && r.contains("price_snapshots id 1 (2026-11)")
            && what.contains("changed after import")),
        "{p:?}"
    );

    c.execute_batch(
        "DROP TRIGGER price_items_no_delete; DELETE FROM price_items WHERE code = 'B2';",
    )
    .unwrap();
    let (_, v) = verify_json(d.path());
    assert!(
        problems(&v)
            .iter()
            .any(|(_, _, what)| what.contains("holds 1 items but was imported with 2")),
        "{v}"
    );
}

#[test]
fn plain_sql_cannot_update_or_delete_protected_rows() {
    let d = setup("MZ01");
    admin(d.path()).arg("backup").assert().success();
    let c = raw(d.path());
    c.execute_batch(
        "INSERT INTO price_snapshots(id, month, file_name, sha256, imported_by, imported_at, item_count)
           VALUES (1, '2026-11', 'p.csv', 'x', 'admin', '2026-11-01T08:00:00+08:00', 1);
         INSERT INTO price_items VALUES (1, 2, 'A1', '阿莫西林', 'AMXL', '', '盒', '12.5000', 'western_drug', '甲', '');",
    )
    .unwrap();
    for sql in [
        "UPDATE audit_log SET user = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "UPDATE price_snapshots SET item_count = 5",
        "DELETE FROM price_snapshots",
        "UPDATE price_items SET unit_price = '0.01'",
        "DELETE FROM price_items",
        "UPDATE backups SET sha256 = 'x'",
        "DELETE FROM backups",
    ] {
        let e = c.execute(sql, []).expect_err(sql);
        assert!(e.to_string().contains("append-only table"), "{sql}: {e}");
    }
}

/// The admin's wrapped key replaced by a wrap of another key under the
/// admin's PIN (an attacker who knows the PIN and wants the terminal to
/// sign with their key): the login opens it, and `verify` names the key
/// and the wrap; the wraps deleted, `verify` (no key to open) names that.
/// Catches: `keys::checks::fingerprint` or `keys::wrap::check_wraps` not
/// run.
#[test]
fn a_swapped_or_deleted_key_wrap_is_named() {
    let d = setup("MZ01");
    let other = downtime_billing::keys::SigningKey::generate();
    let w = downtime_billing::keys::wrap::seal(&other, ADMIN_PIN, "MZ01", "admin");
    raw(d.path())
        .execute(
            "UPDATE key_wraps SET salt = ?1, nonce = ?2, ciphertext = ?3 WHERE user = 'admin'",
            rusqlite::params![w.salt, w.nonce, w.ciphertext],
        )
        .unwrap();
    let (code, v) = verify_json(d.path());
    assert_eq!(code, 4);
    let p = problems(&v);
    assert!(p.iter().any(|(c, _, _)| c == "key"), "{v}");
    assert!(
        p.iter()
            .any(|(c, r, _)| c == "key_wraps" && r == "key_wraps user admin"),
        "{v}"
    );
    raw(d.path()).execute("DELETE FROM key_wraps", []).unwrap();
    let (code, v) = verify_json(d.path());
    assert_eq!(code, 4);
    assert!(
        problems(&v)
            .iter()
            .any(|(c, _, what)| c == "key_wraps" && what.contains("deleted")),
        "{v}"
    );
}

#[test]
fn the_newest_audit_entries_cut_off_are_named_through_the_backups() {
    let d = setup("MZ01");
    add_user(d.path(), "cash1", "cashier", "284615");
    admin(d.path()).arg("backup").assert().success();
    add_user(d.path(), "fin1", "finance", "395724");
    admin(d.path()).arg("verify").assert().success();
    // Cut the log back to before the backup and put the trigger back: the
    // remaining chain still links, but the backup remembers more.
    raw(d.path())
        .execute_batch(
            "DROP TRIGGER audit_log_no_delete;
             DELETE FROM audit_log WHERE seq >= 4;
             CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
               BEGIN SELECT RAISE(ABORT, 'append-only table audit_log: DELETE refused'); END;
             DELETE FROM users WHERE name IN ('cash1', 'fin1');
             DELETE FROM key_wraps WHERE user IN ('cash1', 'fin1');",
        )
        .unwrap();
    let (code, v) = verify_json(d.path());
    assert_eq!(code, 4);
    let p = problems(&v);
    // setup wrote 1–3 (setup, the admin's key wrap, the calendar); the
    // backup holds up to 5 (cash1 and cash1's key wrap)
    assert!(
        p.iter().any(|(c, r, what)| c == "backups"
            && r == "audit_log seq 5"
            && what.contains("deleted")),
        "{p:?}"
    );
}

#[test]
fn a_holiday_moved_or_a_calendar_import_deleted_behind_the_back_is_named() {
    let d = setup("MZ01");
    let (code, v) = verify_json(d.path());
    assert_eq!(code, 0, "{v}");
    let cal = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "calendar")
        .cloned()
        .unwrap();
    assert!(cal["checked"].as_u64().unwrap() >= 1, "{cal}");
    raw(d.path())
        .execute_batch(
            "DROP TRIGGER calendar_entries_no_update;
             UPDATE calendar_entries SET to_date = '2026-10-20'
              WHERE import_id = 1 AND kind = 'holiday' AND seq = (
                SELECT max(seq) FROM calendar_entries WHERE import_id = 1 AND kind = 'holiday');",
        )
        .unwrap();
    let (code, v) = verify_json(d.path());
    assert_eq!(code, 4);
    let p: Vec<_> = problems(&v)
        .into_iter()
        .filter(|p| p.0 == "calendar")
        .collect();
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].1.contains("calendar_imports id 1 (2026)"), "{p:?}");
    assert!(p[0].2.contains("changed after import"), "{p:?}");

    raw(d.path())
        .execute_batch(
            "DROP TRIGGER calendar_entries_no_delete; DROP TRIGGER calendar_imports_no_delete;
             DELETE FROM calendar_entries; DELETE FROM calendar_imports;",
        )
        .unwrap();
    let (code, v) = verify_json(d.path());
    assert_eq!(code, 4);
    let p: Vec<_> = problems(&v)
        .into_iter()
        .filter(|p| p.0 == "calendar")
        .collect();
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].1.starts_with("audit_log seq"), "{p:?}");
    assert!(p[0].2.contains("2026 calendar import"), "{p:?}");
}
