//! Backups: taken with the online API while writes continue, restored to a
//! database that passes verify; a corrupted or tampered backup is refused
//! and the current database untouched; automatic backups every N receipts;
//! the last K kept; staleness for the status bar.

mod security_common;
use downtime_billing::audit::{self, Actor};
use downtime_billing::auth::{self, Role, users};
use downtime_billing::backup::{self, BackupReason};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::TerminalCode;
use downtime_billing::store::{DataDir, Store};
use downtime_billing::verify;
use security_common::*;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

fn sha(path: &std::path::Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

fn wait_for(counter: &AtomicU64, at_least: u64) {
    while counter.load(Ordering::SeqCst) < at_least {
        std::thread::yield_now();
    }
}

#[test]
fn backup_while_writes_continue_restores_to_a_verified_database() {
    let d = setup("MZ01");
    let data_dir = DataDir::new(d.path());
    let clock = FixedClock::at(NOW);
    let written = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));

    let writer = {
        let data_dir = data_dir.clone();
        let written = written.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let clock = FixedClock::at(NOW);
            let mut store = Store::open(&data_dir).unwrap();
            let t = TerminalCode::parse("MZ01").unwrap();
            let admin = auth::login(store.conn_mut(), "admin", ADMIN_PIN, &t, &clock).unwrap();
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                if i.is_multiple_of(25) {
                    users::add_user(
                        &mut store,
                        &admin,
                        &clock,
                        &format!("u{i}"),
                        &[Role::Cashier],
                        "246810",
                    )
                    .unwrap();
                } else {
                    let tx = store.write().unwrap();
                    audit::record(
                        &tx,
                        &Actor::of(&admin),
                        &clock,
                        "test.write",
                        &[format!("test:{i}")],
                        serde_json::json!({"i": i}),
                    )
                    .unwrap();
                    tx.commit().unwrap();
                }
                written.fetch_add(1, Ordering::SeqCst);
                // A busy terminal still pauses between receipts; SQLite's
                // busy wait is not fair to other writers without pauses.
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            i
        })
    };

    let mut store = Store::open(&data_dir).unwrap();
    let mut taken = Vec::new();
    for round in 1..=3u64 {
        wait_for(&written, round * 60);
        let info = backup::backup_now(&mut store, &clock, BackupReason::ShiftClose).unwrap();
        assert!(info.problems.is_empty(), "{:?}", info.problems);
        taken.push(info);
    }
    wait_for(&written, 240);
    stop.store(true, Ordering::SeqCst);
    let total = writer.join().unwrap();
    assert!(total >= 240);

    // Each backup is a consistent snapshot that passes verify on its own.
    for info in &taken {
        let r = backup::verify_backup(&data_dir, &info.file).unwrap();
        assert!(r.ok, "{:?}", r.problems);
        assert!(info.audit_entries >= 2);
    }
    assert!(taken[2].audit_entries > taken[0].audit_entries);
    assert_eq!(
        backup::last_backup(store.conn()).unwrap().unwrap().file,
        taken[2].file
    );
    drop(store);

    let newest = &taken[2];
    let info = backup::restore(&data_dir, &newest.file, "admin", ADMIN_PIN, &clock).unwrap();
    assert!(info.report.ok, "{:?}", info.report.problems);
    assert_eq!(info.moved_aside.len(), 1, "{:?}", info.moved_aside);
    let aside = &info.moved_aside[0];
    assert!(
        aside
            .to_string_lossy()
            .ends_with(".sqlite3.before-restore-20261122-090000")
    );
    // The previous database was checkpointed before the move: it is whole
    // on its own and holds every entry the writer made.
    let aside_check = backup::verify_backup(&data_dir, aside).unwrap();
    assert!(aside_check.ok, "{:?}", aside_check.problems);

    let store = Store::open(&data_dir).unwrap();
    let r = verify::run(&store).unwrap();
    assert!(r.ok, "{:?}", r.problems);
    let entries: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    // The backup's entries plus the restore's own.
    assert_eq!(entries, newest.audit_entries + 1);
    bin(d.path()).arg("verify").assert().success();
}

#[test]
fn a_corrupted_backup_is_refused_and_the_current_database_untouched() {
    let d = setup("MZ01");
    add_user(d.path(), "cash1", "cashier", "284615");
    let out = tempfile::tempdir().unwrap();
    let o = admin(d.path())
        .args(["backup", "--json", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let good = std::path::PathBuf::from(v["file"].as_str().unwrap());
    assert!(good.starts_with(out.path()));

    // Garbage written over the middle of the file: pages are damaged.
    let mut bytes = std::fs::read(&good).unwrap();
    let damaged = out.path().join("damaged.sqlite3");
    for b in bytes.iter_mut().skip(4096).take(8192) {
        *b = 0x5a;
    }
    std::fs::write(&damaged, &bytes).unwrap();
    // Not a database at all.
    let junk = out.path().join("junk.sqlite3");
    std::fs::write(&junk, "not a database").unwrap();
    // A well-formed backup whose audit log was edited with the trigger dropped.
    let tampered = out.path().join("tampered.sqlite3");
    std::fs::copy(&good, &tampered).unwrap();
    rusqlite::Connection::open(&tampered)
        .unwrap()
        .execute_batch(
            "DROP TRIGGER audit_log_no_update;
             UPDATE audit_log SET user = 'mallory' WHERE seq = 2;",
        )
        .unwrap();

    let db = d.path().join("downtime-billing.sqlite3");
    let before = sha(&db);
    for f in [&damaged, &junk, &tampered] {
        let o = admin(d.path()).arg("restore").arg(f).output().unwrap();
        assert_eq!(o.status.code(), Some(4), "{}: {}", f.display(), stderr(&o));
        assert!(
            stderr(&o).contains("current database was not touched"),
            "{}",
            stderr(&o)
        );
        assert_eq!(sha(&db), before, "{}", f.display());
    }
    let o = admin(d.path())
        .arg("restore")
        .arg(&tampered)
        .output()
        .unwrap();
    assert!(stderr(&o).contains("audit_log seq 2"), "{}", stderr(&o));
    let leftovers: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("before-restore"))
        .collect();
    assert!(leftovers.is_empty());
    bin(d.path()).arg("verify").assert().success();

    // A non-admin may not restore even a good backup.
    as_user(d.path(), "cash1", "284615")
        .arg("restore")
        .arg(&good)
        .assert()
        .code(3);
    assert_eq!(sha(&db), before);
    // The good one restores.
    let o = admin(d.path()).arg("restore").arg(&good).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("all checks passed"), "{}", stdout(&o));
}

#[test]
fn restore_works_when_the_current_database_is_destroyed() {
    let d = setup("MZ01");
    let o = admin(d.path()).args(["backup", "--json"]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let good = std::path::PathBuf::from(v["file"].as_str().unwrap());
    let db = d.path().join("downtime-billing.sqlite3");
    std::fs::write(&db, vec![0x42u8; 8192]).unwrap();
    bin(d.path()).arg("verify").assert().code(4);
    // Wrong PIN checked against the backup's users: refused.
    as_user(d.path(), "admin", "000000")
        .arg("restore")
        .arg(&good)
        .assert()
        .code(3);
    admin(d.path()).arg("restore").arg(&good).assert().success();
    bin(d.path()).arg("verify").assert().success();
    let aside: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("before-restore"))
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(std::fs::read(aside[0].path()).unwrap(), vec![0x42u8; 8192]);
}

#[test]
fn every_n_receipts_keep_k_and_staleness() {
    let d = setup("MZ01");
    let data_dir = DataDir::new(d.path());
    let clock = FixedClock::at(NOW);
    let mut store = Store::open(&data_dir).unwrap();
    assert!(backup::last_backup(store.conn()).unwrap().is_none());
    assert!(backup::backup_is_stale(store.conn(), &clock).unwrap());

    assert!(
        backup::maybe_backup_after_receipt(&mut store, &clock, 19)
            .unwrap()
            .is_none()
    );
    let first = backup::maybe_backup_after_receipt(&mut store, &clock, 20)
        .unwrap()
        .unwrap();
    assert_eq!(first.reason, "receipts");
    assert!(first.file.starts_with(d.path().join("backups")));
    assert!(
        backup::maybe_backup_after_receipt(&mut store, &clock, 39)
            .unwrap()
            .is_none()
    );
    assert!(
        backup::maybe_backup_after_receipt(&mut store, &clock, 40)
            .unwrap()
            .is_some()
    );

    assert!(!backup::backup_is_stale(store.conn(), &clock).unwrap());
    let later = FixedClock::at("2026-11-23T09:00:01+08:00");
    assert!(backup::backup_is_stale(store.conn(), &later).unwrap());

    // A configured folder and keep = 3.
    let folder = tempfile::tempdir().unwrap();
    admin(d.path())
        .args(["settings", "set", "backup.keep", "3"])
        .assert()
        .success();
    admin(d.path())
        .args(["settings", "set", "backup.dir"])
        .arg(folder.path())
        .assert()
        .success();
    for _ in 0..5 {
        backup::backup_now(&mut store, &clock, BackupReason::Exit).unwrap();
    }
    let mut names: Vec<String> = std::fs::read_dir(folder.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("downtime-billing-MZ01-20261122-090000-"))
    );
    assert!(names[2].ends_with("-000007.sqlite3"), "{names:?}");
    let last = backup::last_backup(store.conn()).unwrap().unwrap();
    assert_eq!(last.file, folder.path().join(&names[2]));
    // The two earlier backups in the default folder were not pruned.
    assert_eq!(
        std::fs::read_dir(d.path().join("backups")).unwrap().count(),
        2
    );
    drop(store);
    bin(d.path()).arg("verify").assert().success();
}

#[test]
fn another_terminals_backup_is_refused() {
    let a = setup("MZ01");
    let b = setup("YF01");
    let o = admin(b.path()).args(["backup", "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let theirs = std::path::PathBuf::from(v["file"].as_str().unwrap());
    // Same hospital key, so only the terminal differs.
    let key = a.path().join("hospital.key");
    admin(b.path())
        .args(["key", "export", "--out"])
        .arg(&key)
        .assert()
        .success();
    admin(a.path())
        .args(["key", "import", "--replace"])
        .arg(&key)
        .assert()
        .success();
    let db = a.path().join("downtime-billing.sqlite3");
    let before = sha(&db);
    let o = admin(a.path())
        .arg("restore")
        .arg(&theirs)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(stderr(&o).contains("YF01"), "{}", stderr(&o));
    assert_eq!(sha(&db), before);
}
