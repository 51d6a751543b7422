//! Small holes around PINs and the key file (issue 10, point 13), tried
//! through the binary as a bystander or an attacker would.

mod security_common;
use security_common::*;
use std::time::{Duration, Instant};

/// Trivial PINs are refused wherever a PIN is set: setup, user add, PIN
/// reset. Catches: `auth::validate_pin` without its trivial-PIN rule (each
/// of these was accepted before).
#[test]
fn trivial_pins_are_refused_everywhere_a_pin_is_set() {
    let fresh = tempfile::tempdir().unwrap();
    for pin in ["000000", "123456", "654321"] {
        let o = bin(fresh.path())
            .args([
                "setup",
                "--terminal",
                "MZ01",
                "--hospital",
                "测试医院",
                "--admin",
                "admin",
            ])
            .env("DOWNTIME_BILLING_PIN", pin)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "setup with {pin}: {}", stderr(&o));
        assert!(stderr(&o).contains("too easy to guess"), "{}", stderr(&o));
    }
    assert!(
        !db(fresh.path()).exists(),
        "a refused setup wrote a database"
    );

    let d = setup("MZ01");
    for pin in ["111111", "999999", "234567", "876543", "7890123", "0000000"] {
        let o = admin(d.path())
            .args(["user", "add", "cash1", "--role", "cashier"])
            .env("DOWNTIME_BILLING_NEW_PIN", pin)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "user add with {pin}");
        assert!(stderr(&o).contains("too easy to guess"), "{}", stderr(&o));
    }
    add_user(d.path(), "cash1", "cashier", "284615");
    let o = admin(d.path())
        .args(["user", "reset-pin", "cash1"])
        .env("DOWNTIME_BILLING_NEW_PIN", "456789")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // The old PIN still works: the refused reset changed nothing.
    as_user(d.path(), "cash1", "284615")
        .args(["receipt", "list"])
        .assert()
        .success();
    // A PIN that merely contains a run is fine.
    admin(d.path())
        .args(["user", "reset-pin", "cash1"])
        .env("DOWNTIME_BILLING_NEW_PIN", "123457")
        .assert()
        .success();
}

fn timed(c: &mut assert_cmd::Command) -> (Duration, std::process::Output) {
    let t = Instant::now();
    let o = c.output().unwrap();
    (t.elapsed(), o)
}

/// An unknown user name is answered no faster than a real one with a
/// wrong PIN: the answer's timing must not tell which names exist.
/// Catches: `auth::login` returning "no such user" before running Argon2
/// (about 8 ms against 55–70 ms in a release build; the gap is larger in
/// the debug build the tests run).
#[test]
fn an_unknown_user_is_answered_as_slowly_as_a_real_one() {
    let d = setup("MZ01");
    // Four wrong PINs each for the real user: the fifth would lock it.
    let mut real = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..4 {
        let (t, o) = timed(as_user(d.path(), "admin", "582047").args(["audit", "list"]));
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        assert!(stderr(&o).contains("wrong PIN"), "{}", stderr(&o));
        real.push(t);
        let (t, o) = timed(as_user(d.path(), "ghost", "582047").args(["audit", "list"]));
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        unknown.push(t);
    }
    real.sort();
    unknown.sort();
    // Argon2 dominates both; the process start is common to both. Compare
    // the fastest runs (the least disturbed by other work on the machine).
    // A probe of the bare process (no PIN checked) gives the floor.
    let (floor, _) = timed(bin(d.path()).arg("--help"));
    let real_work = real[0].saturating_sub(floor);
    let unknown_work = unknown[0].saturating_sub(floor);
    // Without Argon2 an unknown name costs a few ms against ~100 ms or
    // more (debug build); a third leaves room for a slow fsync on the
    // real user's counter update on a loaded machine.
    assert!(
        unknown_work * 10 >= real_work * 3,
        "unknown user answered in {unknown:?}, real user in {real:?} (bare start {floor:?})"
    );
}

/// Five wrong PINs during a restore from a backup while the current
/// database is broken lock the name, and the right PIN then waits for the
/// lock-out like at any login. Catches: `auth::authenticate_readonly`
/// without its counters (before, it said "4 tries left" forever and the
/// sixth guess could restore).
#[test]
fn restore_counts_wrong_pins_when_the_database_is_broken() {
    let d = setup("MZ01");
    let o = admin(d.path()).args(["backup", "--json"]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let good = std::path::PathBuf::from(v["file"].as_str().unwrap());
    std::fs::write(db(d.path()), vec![0x42u8; 8192]).unwrap();
    for i in 1..=5 {
        let o = as_user(d.path(), "admin", "582047")
            .arg("restore")
            .arg(&good)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(3), "try {i}: {}", stderr(&o));
        if i < 5 {
            assert!(
                stderr(&o).contains(&format!("{} tries left", 5 - i)),
                "try {i}: {}",
                stderr(&o)
            );
        } else {
            assert!(stderr(&o).contains("is locked"), "{}", stderr(&o));
        }
    }
    let o = admin(d.path()).arg("restore").arg(&good).output().unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("is locked"), "{}", stderr(&o));
    assert_eq!(std::fs::read(db(d.path())).unwrap(), vec![0x42u8; 8192]);
    // After the lock-out, the right PIN restores.
    let o = admin(d.path())
        .env("DOWNTIME_BILLING_NOW", "2026-11-22T09:06:00+08:00")
        .arg("restore")
        .arg(&good)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `verify` names a plain signing key file (left in a directory of the
/// layout before wrapped keys, until every user has a wrap) that others can
/// read. Catches: `verify::run` without `keys::checks::file_permissions`.
#[cfg(unix)]
#[test]
fn verify_flags_a_key_file_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let d = setup("MZ01");
    bin(d.path()).arg("verify").assert().success();
    let key = d.path().join("signing.key");
    downtime_billing::keys::wrap::unlock_dir(
        &downtime_billing::store::DataDir::new(d.path()),
        "admin",
        ADMIN_PIN,
    )
    .unwrap()
    .save_new(&key)
    .unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = bin(d.path()).args(["verify", "--json"]).output().unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", stdout(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let p = &v["problems"][0];
    assert_eq!(p["check"], "key_file", "{v}");
    assert!(
        p["problem"].as_str().unwrap().contains("read by others"),
        "{v}"
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    bin(d.path()).arg("verify").assert().success();
}
