//! What someone who can open the database file does with the sqlite3 shell
//! — drop a table's triggers, change or delete rows, put the triggers back —
//! and that `verify` names each change (issue 10, point 10). Plus the one
//! place every table is covered: a table the schema holds but
//! `verify::COVERAGE` does not list fails `every_table_is_covered_by_verify`.

mod receipts_support;
use receipts_support::*;
use sha2::Digest;

/// The database file, opened behind the program's back.
fn raw(env: &Env) -> rusqlite::Connection {
    rusqlite::Connection::open(env.data_dir().db_path()).unwrap()
}

/// Runs `sql` with the append-only triggers of `tables` dropped, then puts
/// them back exactly as they were: what an attacker with the file does.
fn behind_back(env: &Env, tables: &[&str], sql: &str) {
    let c = raw(env);
    let mut saved = Vec::new();
    for t in tables {
        let mut st = c
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?1")
            .unwrap();
        let rows: Vec<(String, String)> = st
            .query_map([t], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        saved.extend(rows);
    }
    for (name, _) in &saved {
        c.execute_batch(&format!("DROP TRIGGER {name};")).unwrap();
    }
    c.execute_batch(sql).unwrap();
    for (_, sql) in &saved {
        c.execute_batch(&format!("{sql};")).unwrap();
    }
}

/// `verify --json` with the admin logged in (the key unwrapped, so the
/// signatures and the chain's MACs are checked) → (exit code, [(check,
/// record, problem)]).
fn verify(env: &Env) -> (i32, Vec<(String, String, String)>) {
    verify_as(env, Some("admin"))
}

/// `verify --json` as `user` (PIN [`PIN`]), or with no login: the checks
/// that need no key. Tampering that breaks every login (the terminal code
/// is bound into each wrapped key; the admin's PIN hash swapped) is named
/// by those.
fn verify_as(env: &Env, user: Option<&str>) -> (i32, Vec<(String, String, String)>) {
    let mut c = std::process::Command::new(bin());
    c.env_clear()
        .env("DOWNTIME_BILLING_DATA_DIR", env.data_dir().root())
        .env("DOWNTIME_BILLING_LANG", "en")
        .env("DOWNTIME_BILLING_PIN", PIN);
    if let Some(u) = user {
        c.args(["--user", u]);
    }
    let o = c.args(["verify", "--json"]).output().unwrap();
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

fn expect(env: &Env, check: &str, record: &str, words: &str) {
    expect_as(env, Some("admin"), check, record, words)
}

fn expect_as(env: &Env, user: Option<&str>, check: &str, record: &str, words: &str) {
    let (code, problems) = verify_as(env, user);
    assert_eq!(code, 4, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|(c, r, p)| c == check && r == record && p.contains(words)),
        "expected [{check}] {record}: …{words}… in {problems:#?}"
    );
}

/// Catches: `prices::checks::price_snapshots` not comparing the audit
/// trail's imports with the snapshots held (a month deleted with all its
/// items left no orphan and passed).
#[test]
fn a_deleted_snapshot_is_named() {
    let env = setup();
    behind_back(
        &env,
        &["price_items", "price_snapshots"],
        "DELETE FROM price_items WHERE snapshot_id = 1; DELETE FROM price_snapshots WHERE id = 1;",
    );
    expect(&env, "price_snapshots", "price_snapshots id 1", "deleted");
}

/// Catches: no check of `receipt_ranges` against `range.add` (a range
/// widened from 1–100 to 1–900 passed).
#[test]
fn a_widened_range_is_named() {
    let env = ready();
    behind_back(
        &env,
        &["receipt_ranges"],
        "UPDATE receipt_ranges SET last_seq = 900;",
    );
    expect(&env, "ranges", "receipt_ranges 1", "last is '900'");
}

/// Catches: no check of `episodes` against `episode.open` (an episode
/// flipped to drill — its receipts then never reach the HIS — passed).
#[test]
fn an_episode_flipped_to_drill_is_named() {
    let env = ready();
    behind_back(&env, &["episodes"], "UPDATE episodes SET drill = 1;");
    expect(&env, "episodes", "episodes 1", "drill is 'drill'");
}

/// Catches: no check of `settings` against the setup entry (the hospital
/// name and the terminal code could be changed freely).
#[test]
fn hospital_name_and_terminal_code_changes_are_named() {
    let env = setup();
    behind_back(
        &env,
        &[],
        "UPDATE settings SET value = '别的医院' WHERE key = 'hospital.name';",
    );
    expect(&env, "settings", "settings hospital.name", "别的医院");
    behind_back(
        &env,
        &[],
        "UPDATE settings SET value = '测试医院' WHERE key = 'hospital.name';
         UPDATE settings SET value = 'MZ09' WHERE key = 'terminal.code';",
    );
    // the terminal code is bound into every wrapped key: no login opens
    // one now, and the keyless checks name the change
    expect_as(&env, None, "settings", "settings terminal.code", "MZ09");
    behind_back(
        &env,
        &[],
        "UPDATE settings SET value = 'MZ01' WHERE key = 'terminal.code';
         INSERT INTO settings(key, value) VALUES ('backup.dir', '/tmp/elsewhere');",
    );
    expect(&env, "settings", "settings backup.dir", "no audit entry");
}

/// Catches: `auth::checks::users_against_audit` without the shared-hash
/// rule and setup without its PIN digest (the setup admin's hash replaced
/// by a cashier's passed, and the cashier's PIN then opened the admin).
#[test]
fn a_pin_hash_copied_from_another_user_is_named() {
    let env = setup();
    behind_back(
        &env,
        &[],
        "UPDATE users SET pin_hash = (SELECT pin_hash FROM users WHERE name = 'cash1')
          WHERE name = 'admin';",
    );
    // the admin's own login now fails (cash1's PIN opens no admin wrap):
    // the keyless checks name it
    expect_as(&env, None, "users", "users admin", "shares its PIN hash");
    expect_as(&env, None, "users", "users admin", "PIN hash was replaced");
}

/// Catches: `receipts::integrity` not comparing the lines with the signed
/// QR items. The attacker also fixes the content digest in the audit entry
/// and re-links the (plain SHA-256) chain, so only the signature can tell.
#[test]
fn a_line_swapped_while_the_qr_names_the_old_item_is_named() {
    let env = ready();
    let (code, r, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    let number = r["number"].as_str().unwrap().to_string();
    behind_back(
        &env,
        &["receipt_lines"],
        "UPDATE receipt_lines SET code = 'XN72DG587P95754' WHERE line_no = 1;",
    );
    // Cover the tracks: the audit entry's content digest and the chain.
    let c = raw(&env);
    let digest = downtime_billing::receipts::integrity::receipt_digest(&c, 1).unwrap();
    c.execute_batch("DROP TRIGGER audit_log_no_update;")
        .unwrap();
    let (seq, details): (i64, String) = c
        .query_row(
            "SELECT seq, details FROM audit_log WHERE action = 'receipt.issue'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut d: serde_json::Value = serde_json::from_str(&details).unwrap();
    d["content_sha256"] = serde_json::json!(digest);
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
    expect(
        &env,
        "receipts",
        &format!("receipts {number}"),
        "differ from the items its signed QR code names",
    );
}

/// Recomputes every entry's plain SHA-256 link, as anyone can: what the
/// chain was before it was keyed.
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

/// Catches: the trigger check looking for words in the trigger's text (a
/// no-op trigger carrying `BEFORE UPDATE ON receipts` and `RAISE(ABORT`
/// in a comment passed).
#[test]
fn a_trigger_that_carries_the_words_in_a_comment_is_named() {
    let env = setup();
    raw(&env)
        .execute_batch(
            "DROP TRIGGER receipts_no_update;
             CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts
             BEGIN SELECT 1; /* BEFORE UPDATE ON receipts RAISE(ABORT, 'x') */ END;",
        )
        .unwrap();
    expect(
        &env,
        "triggers",
        "trigger receipts_no_update on receipts",
        "no longer refuses UPDATE",
    );
}

/// A dispensing deleted (the drug could be handed out again) and a shift
/// close's declared cash changed are named. Catches: no replay of
/// `dispensings` against `pharmacy.dispense` and of `shift_closes`
/// against `shift.close` (both passed before).
#[test]
fn a_deleted_dispensing_and_an_edited_shift_close_are_named() {
    let env = ready();
    let (code, r, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    let qr = r["qr_payload"].as_str().unwrap().to_string();
    env.ok("pharm", &["pharmacy", "dispense", &qr]);
    env.ok(
        "cash1",
        &[
            "shift",
            "close",
            "--cash-declared",
            "7.30",
            "--out",
            env.root().join("shift.pdf").to_str().unwrap(),
        ],
    );
    let (code, p) = verify(&env);
    assert_eq!(code, 0, "{p:#?}");
    behind_back(&env, &["dispensings"], "DELETE FROM dispensings;");
    expect(&env, "dispensings", "dispensings 1", "deleted");
    behind_back(
        &env,
        &["shift_closes"],
        "UPDATE shift_closes SET cash_declared_fen = 130;",
    );
    expect(
        &env,
        "shift_closes",
        "shift_closes 1",
        "cash_declared is '1.30'",
    );
}

/// Every table of a fully migrated database (a finance station's: every
/// capability's tables) is listed in `verify::COVERAGE`, with a check that
/// `verify` runs. Catches: a migration adding a table nobody checks.
#[test]
fn every_table_is_covered_by_verify() {
    let env = setup();
    let conn = raw(&env);
    let tables = downtime_billing::verify::tables::tables(&conn).unwrap();
    assert!(tables.len() > 20, "{tables:?}");
    let o = std::process::Command::new(bin())
        .env_clear()
        .env("DOWNTIME_BILLING_DATA_DIR", env.data_dir().root())
        .args(["verify", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let run: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let mut missing = Vec::new();
    for t in &tables {
        match downtime_billing::verify::tables::coverage_of(t) {
            None => missing.push(format!("{t}: not in verify::COVERAGE")),
            Some(check) if !run.contains(&check) => missing.push(format!(
                "{t}: covered by '{check}', which verify does not run"
            )),
            Some(_) => {}
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
    // And no stale rows: every listed table exists.
    for (t, _) in downtime_billing::verify::COVERAGE {
        assert!(
            tables.iter().any(|x| x == t),
            "COVERAGE lists {t}, no such table"
        );
    }
}
