//! Issue 10, points 2 and 14: processes sharing one data directory (the
//! GUI open while a script issues, two scripts) take automatic backups one
//! at a time, under unique names, each a whole self-contained file (never
//! WAL mode, never 0 bytes), and never print an error after a receipt that
//! was committed as if nothing had been done. A failed backup leaves no
//! `.partial` file; a restore of an empty or truncated file says so.

mod receipts_support;

use receipts_support::*;
use std::collections::HashSet;

/// Breaks caught: no backup lock (four issuers each take the same due
/// backup at once: backups beyond one per N receipts, "database is
/// read-only" / "disk I/O error" printed after committed receipts, copies
/// caught mid-write); backup names not claimed exclusively (two writers
/// on one file); a copy left in WAL mode or empty.
#[test]
fn four_parallel_issuers_take_whole_backups_one_at_a_time() {
    let env = ready_with("II", 1000);
    env.ok("admin", &["settings", "set", "backup.every_receipts", "2"]);
    let body = env.write("b.json", &simple().to_string());
    let (workers, each) = (4, 10);
    let children: Vec<_> = (0..workers)
        .map(|_| {
            let mut c = std::process::Command::new(bin());
            c.env_clear()
                .env("DOWNTIME_BILLING_DATA_DIR", env.data_dir().root())
                .env("DOWNTIME_BILLING_PIN", PIN)
                .env("DOWNTIME_BILLING_NOW", NOW)
                .env("DOWNTIME_BILLING_LANG", "en")
                .args(["--user", "admin", "receipt", "issue", "--json"])
                .arg(&body)
                .args(["--repeat", &each.to_string()]);
            c
        })
        .map(|mut c| {
            c.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut numbers = HashSet::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(
            stderr.trim().is_empty(),
            "nothing to say after committed receipts: {stderr}"
        );
        for n in String::from_utf8_lossy(&out.stdout).lines() {
            assert!(numbers.insert(n.to_string()), "{n} twice");
        }
    }
    assert_eq!(numbers.len(), workers * each);

    let conn = rusqlite::Connection::open(env.data_dir().db_path()).unwrap();
    let rows: Vec<(String, i64)> = conn
        .prepare("SELECT file, bytes FROM backups")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // One backup per 2 receipts at most (plus one per process that saw the
    // same one due just before the other recorded it).
    assert!(!rows.is_empty());
    assert!(
        rows.len() <= workers * each / 2 + workers,
        "{} backups for {} receipts",
        rows.len(),
        workers * each
    );
    let names: HashSet<&String> = rows.iter().map(|(f, _)| f).collect();
    assert_eq!(names.len(), rows.len(), "backup names reused");
    let keep = 30usize;
    for (file, bytes) in rows.iter().rev().take(keep) {
        let p = std::path::Path::new(file);
        if !p.exists() {
            continue; // pruned
        }
        assert!(*bytes > 0, "{file} recorded as 0 bytes");
        assert_eq!(std::fs::metadata(p).unwrap().len() as i64, *bytes, "{file}");
        let b =
            rusqlite::Connection::open_with_flags(p, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .unwrap();
        let mode: String = b
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "delete", "{file} left in WAL mode");
    }
    let leftovers: Vec<_> = std::fs::read_dir(env.data_dir().backups_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        // Backups, and the chain witness kept beside them (tamper evidence).
        .filter(|n| {
            !(n.ends_with(".sqlite3") || (n.starts_with("witness-") && n.ends_with(".json")))
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let (code, out, err) = env.run("admin", &["verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// Breaks caught: a restore of an empty or a truncated file reported as an
/// internal error (exit 1) or over several lines instead of exit 4 with
/// one line naming the file; the current database touched.
#[test]
fn restore_of_an_empty_or_truncated_file_says_so() {
    let env = ready();
    let (code, _, err) = env.issue("admin", &simple());
    assert_eq!(code, 0, "{err}");
    let dir = env.root().join("bk");
    let b: serde_json::Value = serde_json::from_str(&env.ok(
        "admin",
        &["backup", "--json", "--out", dir.to_str().unwrap()],
    ))
    .unwrap();
    let good = std::fs::read(b["file"].as_str().unwrap()).unwrap();
    let empty = env.write("empty.sqlite3", "");
    let truncated = env.root().join("truncated.sqlite3");
    std::fs::write(&truncated, &good[..good.len() / 3]).unwrap();
    let garbage = env.write("garbage.sqlite3", "not a database at all\n");
    for f in [&empty, &truncated, &garbage] {
        let (code, out, err) = env.run("admin", &["restore", f.to_str().unwrap()]);
        assert!(
            code == 2 || code == 4,
            "{}: exit {code}: {out}{err}",
            f.display()
        );
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains(f.file_name().unwrap().to_str().unwrap()),
            "{err}"
        );
    }
    // Nothing was touched: the receipt is still there and verify passes.
    env.ok("admin", &["receipt", "show", "MZ01-00000001"]);
    env.ok("admin", &["verify"]);
}

/// Breaks caught (point 14): a backup that fails after its copy was
/// started leaves its `.partial` file behind (one kept a full disk full);
/// a stored text that is not valid UTF-8 is an internal error (exit 1)
/// instead of exit 4 naming the receipt.
#[test]
fn a_failed_backup_leaves_no_partial_and_bad_text_is_named() {
    let env = ready();
    let (code, _, err) = env.issue("admin", &simple());
    assert_eq!(code, 0, "{err}");
    // A full disk, as a file-size limit: the copy cannot be written past
    // 100 KiB (SIGXFSZ ignored, so the write fails instead of killing).
    let dir = env.root().join("bk");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 100; exec \"$0\" \"$@\"")
        .arg(bin())
        .args(["--user", "admin", "backup", "--out"])
        .arg(&dir)
        .env_clear()
        .env("DOWNTIME_BILLING_DATA_DIR", env.data_dir().root())
        .env("DOWNTIME_BILLING_PIN", PIN)
        .env("DOWNTIME_BILLING_NOW", NOW)
        .env("DOWNTIME_BILLING_LANG", "en")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");

    {
        let conn = rusqlite::Connection::open(env.data_dir().db_path()).unwrap();
        conn.execute_batch(
            "DROP TRIGGER receipts_no_update;
             UPDATE receipts SET patient_json = CAST(X'7B226E616D65223A22FF227D' AS TEXT)
              WHERE seq = 1;",
        )
        .unwrap();
    }
    for args in [
        &["receipt", "list"][..],
        &["receipt", "show", "MZ01-00000001"][..],
    ] {
        let (code, _, err) = env.run("admin", args);
        assert_eq!(code, 4, "{args:?}: {err}");
        assert!(
            err.contains("MZ01-00000001") && err.contains("UTF-8"),
            "{err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}
