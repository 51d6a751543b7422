//! The signing key at rest: only wrapped per user under their PIN
//! (`keys::wrap`), never in plain form in the data directory or a backup;
//! a copied directory without a PIN re-signs nothing; a wrong PIN, a PIN
//! hash swapped in, or a wrap moved to another user opens nothing; a PIN
//! reset re-wraps; an old directory's plain `signing.key` is wrapped at
//! logins and removed once every user has a wrap.

mod receipts_support;

use base64_free::b64;
use downtime_billing::keys::wrap;
use receipts_support::*;
use std::path::Path;

/// Standard base64 without a crate (only to look for the key in files).
mod base64_free {
    pub fn b64(bytes: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in bytes.chunks(3) {
            let n = (c[0] as u32) << 16
                | (*c.get(1).unwrap_or(&0) as u32) << 8
                | *c.get(2).unwrap_or(&0) as u32;
            for i in 0..4 {
                if i <= c.len() {
                    out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn sql(env: &Env, statement: &str) {
    let c = rusqlite::Connection::open(env.data_dir().db_path()).unwrap();
    c.execute_batch(statement).unwrap();
}

/// After setup, users, receipts and a backup, no file under the test's
/// root (database, WAL, backups, PDFs, marks) holds the 32 key bytes, their
/// hex (either case) or their base64.
/// Catches: a plain `signing.key` that stays (tried: `key.save_new` at the
/// end of `setup::setup` with `wrap::seal_plain_file_if_done` never
/// removing it), or the key bytes stored unencrypted anywhere.
#[test]
fn no_file_holds_the_key_in_any_form() {
    let env = ready();
    let (code, _, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    let out = env.root().join("bk");
    env.ok("admin", &["backup", "--out", out.to_str().unwrap()]);
    let key = wrap::unlock_dir(&env.data_dir(), "admin", PIN).unwrap();
    let raw = hex::decode(key.export_text().lines().nth(1).unwrap()[5..].trim()).unwrap();
    assert_eq!(raw.len(), 32);
    let needles: Vec<Vec<u8>> = vec![
        raw.clone(),
        hex::encode(&raw).into_bytes(),
        hex::encode_upper(&raw).into_bytes(),
        b64(&raw).trim_end_matches('=').as_bytes().to_vec(),
    ];
    let mut files = Vec::new();
    files_under(env.root(), &mut files);
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().ends_with("-wal") || f.starts_with(&out)),
        "the scan must cover the WAL or a backup: {files:?}"
    );
    assert!(!env.data_dir().key_path().exists());
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        for n in &needles {
            assert!(!contains(&bytes, n), "{} holds the key", f.display());
        }
    }
}

/// A copy of the data directory without a PIN: the tools refuse to load
/// the key (no plain file; `key export` and `verify --user` with a wrong
/// PIN are refused), so a changed total cannot be re-signed.
/// Catches: a plain key left in the directory that the copy carries
/// (tried: the same break as `no_file_holds_the_key_in_any_form`).
#[test]
fn a_copied_directory_without_a_pin_signs_nothing() {
    let env = ready();
    let (code, _, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    let copy = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    std::fs::create_dir_all(copy.data_dir().root()).unwrap();
    let mut files = Vec::new();
    files_under(env.data_dir().root(), &mut files);
    for f in files {
        let to = copy
            .data_dir()
            .root()
            .join(f.strip_prefix(env.data_dir().root()).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&f, &to).unwrap();
    }
    // the changed total the attacker wants to re-sign
    sql(
        &copy,
        "DROP TRIGGER IF EXISTS receipts_no_update; UPDATE receipts SET total_fen = 1",
    );
    assert!(!copy.data_dir().key_path().exists());
    assert!(wrap::unlock_dir(&copy.data_dir(), "admin", "582047").is_err());
    let out = copy.root().join("stolen.key");
    let o = copy
        .cmd("admin", "915372")
        .args(["key", "export", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(!out.exists());
    let o = copy.cmd("admin", "915372").arg("verify").output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(3),
        "verify with a wrong PIN is refused"
    );
    // with the PIN, verify names the changed total: the signature holds
    let o = copy.cmd("admin", PIN).arg("verify").output().unwrap();
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&o.stdout).contains("receipts MZ01-"));
}

/// A PIN hash swapped in behind the program's back (the attacker's own
/// PIN for cash1) passes the hash check but opens no wrap: refused as a
/// wrong PIN and counted; the real PIN still works.
/// Catches (tried): `auth::login` treating `Unlocked::Refused` as a
/// session without a key.
#[test]
fn a_swapped_pin_hash_does_not_unwrap_and_counts_as_a_wrong_pin() {
    let env = ready();
    let attacker_pin = "915372";
    let phc = downtime_billing::auth::hash_pin(attacker_pin).unwrap();
    sql(
        &env,
        &format!("UPDATE users SET pin_hash = '{phc}' WHERE name = 'cash1'"),
    );
    let o = env
        .cmd("cash1", attacker_pin)
        .args(["receipt", "list"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("wrong PIN for user 'cash1' (4 tries left"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let failed: i64 = rusqlite::Connection::open(env.data_dir().db_path())
        .unwrap()
        .query_row(
            "SELECT failed_pins FROM users WHERE name = 'cash1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(failed, 1);
    assert!(wrap::unlock_dir(&env.data_dir(), "cash1", attacker_pin).is_err());
    assert!(wrap::unlock_dir(&env.data_dir(), "cash1", CASH_PIN).is_ok());
}

/// An admin resets cash1's PIN: the new PIN opens the key (and issues), the
/// old one no longer does.
/// Catches (tried): `users::reset_pin` without `wrap::store_wrap` (the old
/// wrap stays, the new PIN opens nothing).
#[test]
fn a_pin_reset_rewraps_the_key() {
    let env = ready();
    let new_pin = "270493";
    env.cmd("admin", PIN)
        .env("DOWNTIME_BILLING_NEW_PIN", new_pin)
        .args(["user", "reset-pin", "cash1"])
        .assert()
        .success();
    assert!(wrap::unlock_dir(&env.data_dir(), "cash1", new_pin).is_ok());
    assert!(wrap::unlock_dir(&env.data_dir(), "cash1", CASH_PIN).is_err());
    let p = env.write("b.json", &simple().to_string());
    let o = env
        .cmd("cash1", new_pin)
        .args(["receipt", "issue", "--json", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A data directory of the previous layout (plain `signing.key`, no
/// wraps): each login wraps the key for that user; the plain file stays
/// while an active user still lacks a wrap and is gone after the last;
/// receipts issued before verify (signatures and chain) with a login.
/// Catches: the plain file removed at the first login (tried: the
/// `unwrapped > 0` guard of `seal_plain_file_if_done` dropped), or never
/// removed.
#[test]
fn an_old_plain_key_is_wrapped_at_logins_then_removed() {
    let env = ready();
    let (code, before, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    let key = wrap::unlock_dir(&env.data_dir(), "admin", PIN).unwrap();
    // the previous layout: the key in plain form, no wraps
    let plain = env.data_dir().key_path();
    key.save_new(&plain).unwrap();
    sql(&env, "DELETE FROM key_wraps");
    env.ok("admin", &["receipt", "list"]);
    assert!(plain.exists(), "other users still need the plain key");
    for u in ["boss", "cash2", "pharm"] {
        env.ok(u, &["receipt", "list"]);
        assert!(plain.exists(), "cash1 still has no wrap");
    }
    let (code, _, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    assert!(
        !plain.exists(),
        "every user has a wrap: the plain key is gone"
    );
    let v = env.ok("admin", &["verify", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&v).unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["needs_login"], serde_json::json!([]));
    let number = before["number"].as_str().unwrap();
    assert_eq!(env.show(number)["number"], number);
}

/// cash1's wrap copied onto cash2's row (same PIN, so only the associated
/// data tells them apart): cash2's login is refused, and `verify` names
/// the wrap that no audit entry recorded.
/// Catches (tried): associated data without the user name
/// (`wrap::associated_data`).
#[test]
fn a_wrap_swapped_between_users_is_refused() {
    let env = ready();
    sql(
        &env,
        "UPDATE key_wraps SET (kdf, salt, nonce, ciphertext) =
           (SELECT kdf, salt, nonce, ciphertext FROM key_wraps WHERE user = 'cash1')
         WHERE user = 'cash2'",
    );
    let o = env
        .cmd("cash2", CASH_PIN)
        .args(["receipt", "list"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let (code, out, _) = env.run("admin", &["verify"]);
    assert_eq!(code, 4);
    assert!(out.contains("key_wraps user cash2"), "{out}");
}
