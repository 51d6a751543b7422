//! Faults around `restore`: the database held open by another process (the
//! GUI between two receipts, or one in the middle of writing) while the CLI
//! restores, and SIGKILL at any moment of a restore. Either way the data
//! directory ends with the old database or the restored one, whole, never a
//! half; `verify` passes; the receipt numbering continues after the highest
//! number ever issued.

mod cli_support;
mod faults_support;

use faults_support::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-02T09:00:00+08:00";
const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/price_lists/sample_2026-11.csv"
);
const LIST_30K: &str = "../shared/data/price_list_2027-01_30k.csv";

fn at_now(data_dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--user", "admin"];
    all.extend_from_slice(args);
    let out = cmd(data_dir)
        .env("DOWNTIME_BILLING_NOW", NOW)
        .args(&all)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok_now(data_dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = at_now(data_dir, args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// A terminal MZ01 with `before` receipts, a backup of it, then `after`
/// more receipts; with `big`, the 30k list too (a database of tens of MB,
/// so a restore takes long enough to be killed in every part). Returns the
/// data directory and the backup file.
fn station(root: &Path, before: u32, after: u32, big: bool) -> (PathBuf, PathBuf) {
    let dir = root.join("MZ01");
    cli_support::set_up(&dir, "MZ01", Some(NOW));
    ok_now(&dir, &["prices", "import", SAMPLE, "--month", "2026-11"]);
    if big {
        ok_now(&dir, &["prices", "import", LIST_30K, "--month", "2027-01"]);
    }
    ok_now(
        &dir,
        &[
            "range",
            "add",
            "--terminal",
            "MZ01",
            "--from",
            "1",
            "--to",
            "900",
        ],
    );
    ok_now(
        &dir,
        &["episode", "open", "--level", "II", "--reason", "HIS 宕机"],
    );
    let body = root.join("body.json");
    std::fs::write(
        &body,
        r#"{"kind":"outpatient","patient":{"name":"张三"},"payer":{"type":"self_pay"},
            "lines":[{"code":"XA01AB001A00001","qty":"2"}],
            "payments":[{"method":"cash","amount":"13.60","tendered":"20.00"}]}"#,
    )
    .unwrap();
    let body = body.to_str().unwrap();
    let issue = |n: u32| {
        ok_now(
            &dir,
            &[
                "receipt",
                "issue",
                "--json",
                body,
                "--repeat",
                &n.to_string(),
            ],
        );
    };
    issue(before);
    let out = ok_now(
        &dir,
        &[
            "backup",
            "--out",
            root.join("usb").to_str().unwrap(),
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let file = PathBuf::from(
        v["file"]
            .as_str()
            .or_else(|| v["path"].as_str())
            .unwrap_or_else(|| panic!("backup --json names no file: {out}")),
    );
    assert!(file.is_file(), "{out}");
    issue(after);
    (dir, file)
}

/// Names and sizes of the data directory's files (not folders). Polled
/// while a restore runs, so a file may vanish between the directory read
/// and its size (SQLite's journal files come and go): it is left out.
fn listing(dir: &Path) -> BTreeMap<String, u64> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| {
            let len = e.metadata().ok()?.len();
            Some((e.file_name().to_string_lossy().into_owned(), len))
        })
        .collect()
}

fn count(db: &Path, sql: &str) -> i64 {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn restore(dir: &Path, backup: &Path) -> (i32, String, String) {
    at_now(dir, &["restore", backup.to_str().unwrap()])
}

/// The break this catches: a restore that does not look for another
/// process with the database open. With an idle holder (the GUI between
/// two receipts) it renames the database aside under it, exits 0, and the
/// GUI's next receipt goes into the file moved aside, lost to the
/// terminal; with a holder inside a write transaction it fails later with
/// a generic "locked" that names no file. Tried once: with both
/// `refuse_if_open_elsewhere` calls in `backup::restore` commented out, the
/// first round failed here on exactly that generic message.
#[test]
fn restore_refuses_while_another_process_has_the_database_open() {
    let root = tempfile::tempdir().unwrap();
    let (dir, backup) = station(root.path(), 3, 2, false);
    let db = dir.join("downtime-billing.sqlite3");
    for inside_a_write in [true, false] {
        // The GUI's connection: open, has read the database; and, in the
        // first round, between BEGIN IMMEDIATE and COMMIT.
        let holder = rusqlite::Connection::open(&db).unwrap();
        let held: i64 = holder
            .query_row("SELECT COUNT(*) FROM receipts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(held, 5);
        if inside_a_write {
            holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        }
        let files = listing(&dir);
        let audit = count(&db, "SELECT COUNT(*) FROM audit_log");
        let mark = std::fs::read_to_string(dir.join("numbering-high-water")).ok();
        let (code, out, err) = restore(&dir, &backup);
        assert_eq!(code, 5, "write={inside_a_write}: {out}{err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains(db.to_str().unwrap()) && err.contains("another program"),
            "names the database and the cause: {err}"
        );
        assert_eq!(listing(&dir), files, "nothing moved, nothing added");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM receipts"), 5);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM audit_log"), audit);
        assert_eq!(
            std::fs::read_to_string(dir.join("numbering-high-water")).ok(),
            mark
        );
        // The holder's connection still works on the live database.
        if inside_a_write {
            holder.execute_batch("COMMIT").unwrap();
        }
        drop(holder);
    }
    let (code, text) = verify(&dir);
    assert_eq!(code, 0, "{text}");
    // Once the window is closed the same restore goes through.
    let (code, _, err) = restore(&dir, &backup);
    assert_eq!(code, 0, "{err}");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM receipts"), 3);
}

/// Whether the restore has written its first file in the data directory:
/// a name that was not there before (the database it builds beside the
/// live one, or the old one kept aside), not SQLite's `-wal`/`-shm`.
fn first_write_seen(dir: &Path, before: &BTreeMap<String, u64>) -> bool {
    listing(dir)
        .keys()
        .any(|n| !before.contains_key(n) && !n.ends_with("-wal") && !n.ends_with("-shm"))
}

/// Copies a closed data directory (files and folders).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// The break this catches: a restore that moves the database aside and
/// then copies the backup into its place (the way it was written before):
/// a kill during the copy leaves no database, or a half-copied one, under
/// the database's name — the terminal no longer starts, or verify fails —
/// and a kill after the copy but before the lost numbers are recorded
/// leaves a restored database that `verify` calls "vanished without a
/// restore". Tried once with the previous `backup::restore`: the first
/// kill inside the copy failed the check.
#[test]
fn sigkill_during_restore_leaves_the_old_or_the_restored_database() {
    let root = tempfile::tempdir().unwrap();
    let (pristine, backup) = station(root.path(), 4, 3, true);
    let db_name = "downtime-billing.sqlite3";
    let receipts = |d: &Path| count(&d.join(db_name), "SELECT COUNT(*) FROM receipts");
    assert_eq!(receipts(&pristine), 7);

    // How long a restore takes from its first write in the data directory
    // (the database it builds beside the live one) to the swap (that file
    // gone) and to its end.
    let timing = root.path().join("timing");
    copy_dir(&pristine, &timing);
    let initial = listing(&timing);
    let (to_swap, span) = {
        let mut s = Spawned::start({
            let mut c = cmd(&timing);
            c.env("DOWNTIME_BILLING_NOW", NOW)
                .args(["--user", "admin", "restore"])
                .arg(&backup);
            c
        });
        let (mut first, mut swapped) = (None::<Instant>, None);
        let status = loop {
            if let Some(st) = s.ended() {
                break st;
            }
            let building = !files_named(&timing, ".restoring").is_empty();
            match first {
                None if first_write_seen(&timing, &initial) => first = Some(Instant::now()),
                Some(t) if !building && swapped.is_none() => swapped = Some(t.elapsed()),
                _ => {}
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        let (_, _, err) = s.wait();
        assert!(status.success(), "{err}");
        let span = first.map_or(Duration::from_millis(100), |t| t.elapsed());
        (swapped.unwrap_or(span / 2), span)
    };
    std::fs::remove_dir_all(&timing).unwrap();

    let mut rng = Rng::seeded("restore kills");
    let cycles = 12;
    let (mut landed, mut old, mut restored) = (0, 0, 0);
    let mut last = None;
    for cycle in 0..cycles {
        let dir = root.path().join(format!("kill-{cycle}"));
        copy_dir(&pristine, &dir);
        let mut s = Spawned::start({
            let mut c = cmd(&dir);
            c.env("DOWNTIME_BILLING_NOW", NOW)
                .args(["--user", "admin", "restore"])
                .arg(&backup);
            c
        });
        // Keyed off the restore's first write beside the database, then
        // anywhere before the swap (even cycles) or anywhere up to 1.2
        // times the whole restore (odd cycles).
        let give_up = Instant::now() + Duration::from_secs(120);
        while !first_write_seen(&dir, &initial) && s.ended().is_none() && Instant::now() < give_up {
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(if cycle % 2 == 0 {
            rng.upto(to_swap)
        } else {
            rng.upto(span.mul_f64(1.2))
        });
        let (ended, err) = s.kill();
        if let Some(st) = ended {
            assert!(st.success(), "cycle {cycle}: the restore failed: {err}");
        } else {
            landed += 1;
        }
        // Whatever the moment: a database that opens and verifies...
        let (code, text) = verify(&dir);
        assert_eq!(code, 0, "cycle {cycle}: verify after the kill: {text}");
        assert!(
            files_named(&dir, ".restoring").is_empty(),
            "cycle {cycle}: a half-built database was left: {:?}",
            listing(&dir)
        );
        // ...which is the old one or the restored one, whole.
        let db = dir.join(db_name);
        match receipts(&dir) {
            7 => old += 1,
            4 => {
                restored += 1;
                let lost = count(
                    &db,
                    "SELECT COALESCE(SUM(last_seq - first_seq + 1), 0) FROM lost_numbers",
                );
                assert_eq!(lost, 3, "cycle {cycle}: numbers 5-7 recorded as lost");
            }
            n => panic!(
                "cycle {cycle}: {n} receipts: neither the old database (7) nor the backup (4)"
            ),
        }
        if let Some(prev) = last.replace(dir) {
            std::fs::remove_dir_all(prev).unwrap();
        }
    }
    eprintln!(
        "restore kills: a restore spans {span:?} from its first write, the swap at {to_swap:?}; {cycles} kills, {landed} while running; old database found {old} times, restored {restored}"
    );
    assert!(
        landed * 2 >= cycles,
        "only {landed} of {cycles} kills landed while the restore ran"
    );
    // Half the kills aim before the swap: some must have landed there.
    assert!(old >= 1, "no kill landed before the swap");

    // The last one restored to the end, then the next receipt: numbering
    // goes on after the highest number ever issued (7), never reusing 5-7.
    let dir = last.unwrap();
    let (code, _, err) = restore(&dir, &backup);
    assert_eq!(code, 0, "{err}");
    let out = ok_now(
        &dir,
        &[
            "receipt",
            "issue",
            "--json",
            root.path().join("body.json").to_str().unwrap(),
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["number"], "MZ01-00000008", "{out}");
    let (code, text) = verify(&dir);
    assert_eq!(code, 0, "{text}");
}

/// The moments a kill rarely hits, built by hand: a restore killed after
/// staging its witness (`witness.json.restoring`) but before the swap, and
/// one killed after the swap but before the staged witness was put in
/// force. When the terminal next opens, the first is removed with the
/// half-built database and the old witness stays; the second becomes the
/// witness of the restored database. Catches: a staged witness left behind
/// (seen once in CI under the random kills above), or put in force for a
/// database that was never swapped in.
#[test]
fn a_witness_staged_by_a_killed_restore_is_settled_when_the_terminal_opens() {
    let root = tempfile::tempdir().unwrap();
    let (pristine, backup) = station(root.path(), 2, 2, false);
    let db_name = "downtime-billing.sqlite3";
    let read = |p: &Path| std::fs::read_to_string(p).ok();
    let staged = |p: &Path| p.with_extension("json.restoring");
    let places = |d: &Path| -> Vec<PathBuf> {
        let mut v = vec![d.join("witness.json")];
        v.extend(files_named(&d.join("backups"), "witness-"));
        v
    };

    // A restore run to its end: the restored database and its witnesses.
    let done = root.path().join("done");
    copy_dir(&pristine, &done);
    let (code, _, err) = restore(&done, &backup);
    assert_eq!(code, 0, "{err}");
    let restored: Vec<(PathBuf, Option<String>)> = places(&done)
        .into_iter()
        .map(|p| (p.clone(), read(&p)))
        .collect();
    assert!(restored[0].1.is_some(), "no witness after a restore");

    // Killed before the swap: the old database, the half-built one beside
    // it, and the restored witness staged.
    let before = root.path().join("before");
    copy_dir(&pristine, &before);
    let old: Vec<Option<String>> = restored
        .iter()
        .map(|(p, _)| read(&pristine.join(p.strip_prefix(&done).unwrap())))
        .collect();
    std::fs::copy(
        done.join(db_name),
        before.join(format!("{db_name}.restoring")),
    )
    .unwrap();
    for (p, text) in &restored {
        let into = before.join(p.strip_prefix(&done).unwrap());
        std::fs::create_dir_all(into.parent().unwrap()).unwrap();
        std::fs::write(staged(&into), text.as_deref().unwrap_or_default()).unwrap();
    }
    let (code, text) = verify(&before);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        count(&before.join(db_name), "SELECT COUNT(*) FROM receipts"),
        4
    );
    assert!(
        files_named(&before, ".restoring").is_empty(),
        "{:?}",
        listing(&before)
    );
    assert!(
        files_named(&before.join("backups"), ".restoring").is_empty(),
        "a staged witness left beside the backups"
    );
    let now: Vec<Option<String>> = restored
        .iter()
        .map(|(p, _)| read(&before.join(p.strip_prefix(&done).unwrap())))
        .collect();
    assert_eq!(now, old, "the old database's witness was replaced");

    // Killed after the swap: the restored database in place, its witness
    // staged, the old database's witness still in force.
    let after = root.path().join("after");
    copy_dir(&done, &after);
    for ((p, text), old) in restored.iter().zip(&old) {
        let at = after.join(p.strip_prefix(&done).unwrap());
        std::fs::write(staged(&at), text.as_deref().unwrap_or_default()).unwrap();
        match old {
            Some(o) => std::fs::write(&at, o).unwrap(),
            None => std::fs::remove_file(&at).unwrap(),
        }
    }
    let (code, text) = verify(&after);
    assert_eq!(code, 0, "{text}");
    assert!(
        files_named(&after, ".restoring").is_empty(),
        "{:?}",
        listing(&after)
    );
    for (p, text) in &restored {
        let at = after.join(p.strip_prefix(&done).unwrap());
        assert_eq!(
            &read(&at),
            text,
            "{}: not the restored database's witness",
            at.display()
        );
    }
}
