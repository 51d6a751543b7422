//! Crash safety: the binary issues receipts in a loop and is killed with
//! SIGKILL at random moments, again and again (200 times by default,
//! `CRASH_CYCLES=1000` for the long run). Afterwards every number it
//! reported exists, numbers have no gaps and no duplicates, every receipt is
//! complete (lines, payment, audit entry), the audit chain holds and
//! `integrity_check` is ok. A second test runs two windows at once.

mod receipts_support;

use receipts_support::*;
use std::collections::BTreeSet;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A small xorshift generator: random kill moments without a dependency,
/// seeded from the clock (the seed is printed so a failure can be replayed
/// with `CRASH_SEED`).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

fn issuing(env: &Env, body: &std::path::Path, repeat: &str) -> Command {
    let mut c = Command::new(bin());
    c.env_clear()
        .env("DOWNTIME_BILLING_DATA_DIR", env.data_dir().root())
        .env("DOWNTIME_BILLING_PIN", CASH_PIN)
        .env("DOWNTIME_BILLING_NOW", NOW)
        .args(["--user", "cash1", "receipt", "issue", "--json"])
        .arg(body)
        .args(["--repeat", repeat])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    c
}

/// Checks the database after the abuse; returns the numbers stored.
fn check_store(env: &Env, reported: &BTreeSet<String>) -> usize {
    // Store::open runs integrity_check and refuses a damaged file.
    let store = env.store();
    let c = store.conn();
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let seqs: Vec<i64> = c
        .prepare("SELECT seq FROM receipts WHERE terminal = 'MZ01' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (i, s) in seqs.iter().enumerate() {
        assert_eq!(*s, i as i64 + 1, "gap or duplicate at position {i}");
    }
    let stored: BTreeSet<String> = c
        .prepare("SELECT number FROM receipts")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(stored.len(), seqs.len(), "duplicate numbers");
    let missing: Vec<_> = reported.difference(&stored).collect();
    assert!(missing.is_empty(), "reported but not stored: {missing:?}");
    // every receipt is whole: its line, its payment, its audit entry
    let incomplete: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM receipts r
              WHERE NOT EXISTS (SELECT 1 FROM receipt_lines l WHERE l.receipt_id = r.id)
                 OR NOT EXISTS (SELECT 1 FROM receipt_payments p WHERE p.receipt_id = r.id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(incomplete, 0);
    let audited: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'receipt.issue'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited as usize, seqs.len());
    let problems = downtime_billing::audit::check_chain(c).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    seqs.len()
}

#[test]
fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    let env = ready_with("II", 99999999);
    // backups every N receipts would only slow the loop down
    env.ok(
        "admin",
        &["settings", "set", "backup.every_receipts", "100000"],
    );
    let body = env.write("body.json", &simple().to_string());
    let cycles: u32 = std::env::var("CRASH_CYCLES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(200);
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test: {cycles} cycles, CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let mut reported = BTreeSet::new();
    let mut killed_while_issuing = 0;
    for _ in 0..cycles {
        let mut child = issuing(&env, &body, "100000").spawn().unwrap();
        // The process needs a moment to start and log in; kill it anywhere
        // from start-up to well into the issuing loop.
        std::thread::sleep(Duration::from_micros(rng.next() % 250_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let before = reported.len();
        for line in out.lines() {
            assert!(
                reported.insert(line.trim().to_string()),
                "{line} reported twice"
            );
        }
        if reported.len() > before {
            killed_while_issuing += 1;
        }
    }
    let stored = check_store(&env, &reported);
    eprintln!(
        "crash test: {} receipts reported, {stored} stored, {killed_while_issuing} kills landed while issuing",
        reported.len()
    );
    assert!(killed_while_issuing > 0, "no kill landed while issuing");
    // and the terminal goes on from where it stands
    let (code, v, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["number"], format!("MZ01-{:08}", stored + 1));
}

#[test]
fn two_windows_issuing_at_once_share_one_sequence() {
    let env = ready();
    let body = env.write("body.json", &simple().to_string());
    let a = issuing(&env, &body, "40").spawn().unwrap();
    let b = issuing(&env, &body, "40").spawn().unwrap();
    let mut reported = BTreeSet::new();
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            assert!(reported.insert(line.to_string()), "{line} issued twice");
        }
    }
    assert_eq!(reported.len(), 80);
    assert_eq!(check_store(&env, &reported), 80);
}
