//! Issuing when the disk is full or the database is read-only fails with a
//! clear message and consumes no number; the library API end to end.

mod receipts_support;

use downtime_billing::auth::Session;
use downtime_billing::clock::FixedClock;
use downtime_billing::error::{ErrorKind, UserFacing};
use downtime_billing::i18n::Lang;
use downtime_billing::keys::SigningKey;
use downtime_billing::receipts::{
    self, IssueDraft, IssueRequest, IssuedReceipt, ReceiptError, ranges,
};
use downtime_billing::store::Store;
use receipts_support::*;

/// The request validated and priced into a draft, as both faces do, then
/// issued.
fn issue(
    store: &mut Store,
    session: &Session,
    clock: &FixedClock,
    key: &SigningKey,
) -> Result<IssuedReceipt, ReceiptError> {
    let draft = IssueDraft::build(store.conn(), clock, &request()).unwrap();
    receipts::issue(store, session, clock, key, &draft)
}

fn request() -> IssueRequest {
    serde_json::from_value(simple()).unwrap()
}

#[test]
fn a_full_disk_refuses_and_consumes_no_number() {
    let env = ready();
    let mut store = env.store();
    let session = env.session(&mut store, "cash1", CASH_PIN);
    let key = downtime_billing::keys::wrap::unlock_dir(&env.data_dir(), "admin", PIN).unwrap();
    let clock = FixedClock::at(NOW);
    issue(&mut store, &session, &clock, &key).unwrap();
    // The database may not grow beyond its present size: sooner or later a
    // receipt needs a new page and the write fails like a full disk.
    let pages: i64 = store
        .conn()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    store
        .conn()
        .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
        .unwrap();
    let mut issued = 1;
    let err = loop {
        let before = ranges::next_number(store.conn(), "MZ01").unwrap().unwrap();
        match issue(&mut store, &session, &clock, &key) {
            Ok(r) => {
                assert_eq!(r.receipt.number, before.number);
                issued += 1;
                assert!(issued < 500, "the page limit never bit");
            }
            Err(e) => {
                let after = ranges::next_number(store.conn(), "MZ01").unwrap().unwrap();
                assert_eq!(after, before, "a failed issue used a number");
                break e;
            }
        }
    };
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err:?}");
    assert!(
        err.message(Lang::En)
            .contains("disk holding the database is full"),
        "{err:?}"
    );
    assert!(err.message(Lang::Zh).contains("磁盘已满"));
    let stored: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM receipts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, issued);
    // space again: the very next number
    store
        .conn()
        .query_row("PRAGMA max_page_count = 1073741823", [], |_| Ok(()))
        .unwrap();
    let r = issue(&mut store, &session, &clock, &key).unwrap();
    assert_eq!(r.receipt.number, format!("MZ01-{:08}", issued + 1));
}

#[test]
fn a_read_only_database_refuses_and_consumes_no_number() {
    let env = ready();
    let mut store = env.store();
    let session = env.session(&mut store, "cash1", CASH_PIN);
    let key = downtime_billing::keys::wrap::unlock_dir(&env.data_dir(), "admin", PIN).unwrap();
    let clock = FixedClock::at(NOW);
    // The connection may read but not write, as on a read-only disk.
    store
        .conn()
        .execute_batch("PRAGMA query_only = ON")
        .unwrap();
    let err = issue(&mut store, &session, &clock, &key).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err:?}");
    assert!(err.message(Lang::En).contains("read-only"), "{err:?}");
    store
        .conn()
        .execute_batch("PRAGMA query_only = OFF")
        .unwrap();
    let r = issue(&mut store, &session, &clock, &key).unwrap();
    assert_eq!(r.receipt.number, "MZ01-00000001");
}

/// Runs `receipt issue` as cash1 with the data directory truly read-only
/// for the child, whoever runs the tests: for a normal user by file modes;
/// for root (CI), whom file modes do not bind, through a read-only bind
/// mount in a private mount namespace (`unshare -m`, nothing visible
/// outside the child), else `chattr +i` on the database file. `None` when
/// no way works here — a failure in CI (`CI=true`).
fn issue_read_only(env: &Env) -> Option<(i32, String)> {
    use std::os::unix::fs::PermissionsExt;
    let root = env.data_dir().root().to_path_buf();
    let db = env.data_dir().db_path();
    let body = env.write("ro-body.json", &simple().to_string());
    let child = |prefix: &[&std::ffi::OsStr]| {
        let mut c = std::process::Command::new(prefix[0]);
        c.args(&prefix[1..])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DOWNTIME_BILLING_DATA_DIR", &root)
            .env("DOWNTIME_BILLING_PIN", CASH_PIN)
            .env("DOWNTIME_BILLING_NOW", NOW)
            .env("DOWNTIME_BILLING_LANG", "en")
            .args(["--user", "cash1", "receipt", "issue", "--json"])
            .arg(&body);
        let out = c.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let bin = bin();
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        let set = |p: &std::path::Path, mode| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        set(&db, 0o444);
        set(&root, 0o555);
        let r = child(&[bin.as_os_str()]);
        set(&root, 0o755);
        set(&db, 0o644);
        return Some(r);
    }
    // root: a read-only bind mount of the data directory, in the child only
    let script = r#"mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" || exit 97; exec "$@""#;
    let ns = std::process::Command::new("unshare")
        .args(["-m", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if ns {
        let (code, err) = child(&[
            "unshare".as_ref(),
            "-m".as_ref(),
            "sh".as_ref(),
            "-c".as_ref(),
            script.as_ref(),
            root.as_os_str(),
            bin.as_os_str(),
        ]);
        if code != 97 {
            return Some((code, err));
        }
    }
    // root without mount namespaces: the immutable flag, removed however the
    // child ends
    struct Immutable<'a>(&'a std::path::Path);
    impl Drop for Immutable<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(self.0)
                .status();
        }
    }
    let flagged = std::process::Command::new("chattr")
        .arg("+i")
        .arg(&db)
        .status()
        .is_ok_and(|s| s.success());
    if flagged {
        let _guard = Immutable(&db);
        return Some(child(&[bin.as_os_str()]));
    }
    // root with neither: the child runs as `nobody` (setpriv) on a data
    // directory it owns but whose modes are read-only — file modes bind
    // every user but root. Ownership goes back to root however it ends.
    if let Some(r) = as_nobody_read_only(env, &root, &db, &bin, &body) {
        return Some(r);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "running as root with neither mount namespaces, chattr +i nor setpriv: the read-only database cannot be tested"
        );
    }
    eprintln!(
        "note: running as root without unshare -m or chattr +i here: read-only CLI case skipped"
    );
    None
}

/// The read-only case as `nobody`: chown the data directory to uid/gid
/// 65534, make it read-only by mode, run the child under `setpriv`, then
/// give everything back to root. `None` when setpriv is missing or refused.
fn as_nobody_read_only(
    env: &Env,
    root: &std::path::Path,
    db: &std::path::Path,
    bin: &std::path::Path,
    body: &std::path::Path,
) -> Option<(i32, String)> {
    use std::os::unix::fs::PermissionsExt;
    let works = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        return None;
    }
    let chown = |owner: &str| {
        std::process::Command::new("chown")
            .args(["-R", owner])
            .arg(root)
            .status()
            .is_ok_and(|s| s.success())
    };
    struct Back<'a>(&'a dyn Fn(&str) -> bool);
    impl Drop for Back<'_> {
        fn drop(&mut self) {
            (self.0)("0:0");
        }
    }
    if !chown("65534:65534") {
        return None;
    }
    let _back = Back(&chown);
    let set = |p: &std::path::Path, mode| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
    };
    // the way in: the test's folder, the body, the binary
    set(env.root(), 0o755);
    set(body, 0o644);
    set(db, 0o444);
    set(root, 0o555);
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(bin)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DOWNTIME_BILLING_DATA_DIR", root)
        .env("DOWNTIME_BILLING_PIN", CASH_PIN)
        .env("DOWNTIME_BILLING_NOW", NOW)
        .env("DOWNTIME_BILLING_LANG", "en")
        .args(["--user", "cash1", "receipt", "issue", "--json"])
        .arg(body)
        .output()
        .unwrap();
    set(root, 0o755);
    set(db, 0o644);
    Some((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Break it catches: a store that swallows `SQLITE_READONLY` (issue
/// reported done, or a number consumed) or words it as an internal error
/// instead of "the database is read-only".
#[test]
fn a_read_only_file_refuses_over_the_cli() {
    let env = ready();
    let Some((code, err)) = issue_read_only(&env) else {
        return;
    };
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("read-only") || err.contains("readonly"),
        "{err}"
    );
    // nothing was written: the first number is still free
    let (code, v, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["number"], "MZ01-00000001");
}

#[test]
fn preview_prices_lines_without_writing() {
    let env = ready();
    let store = env.store();
    let lines: Vec<receipts::LineRequest> = serde_json::from_value(serde_json::json!([
        {"code": "XN72DG587P95754", "qty": "2"}, {"code": "T65124405", "qty": "12.5"}
    ]))
    .unwrap();
    let p = receipts::preview(store.conn(), &FixedClock::at(NOW), &lines).unwrap();
    assert_eq!(p.total.to_string(), "169.73");
    assert_eq!(p.total_in_words, "壹佰陆拾玖元柒角叁分");
    assert_eq!(p.snapshot_month, "2026-01");
    let bad: Vec<receipts::LineRequest> =
        serde_json::from_value(serde_json::json!([{"code": "NOPE", "qty": "1"}])).unwrap();
    let e = receipts::preview(store.conn(), &FixedClock::at(NOW), &bad).unwrap_err();
    assert!(e.message(Lang::En).contains("lines[0].code"));
    assert_eq!(
        ranges::next_number(store.conn(), "MZ01")
            .unwrap()
            .unwrap()
            .number,
        "MZ01-00000001"
    );
}
