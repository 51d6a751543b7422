//! Users and roles: admin-only user management, role denial (library and
//! exit 3), the last admin protected (exit 5), lock-out after five wrong
//! PINs that survives a restart and ends after the lock time.

mod security_common;
use downtime_billing::auth::{self, AuthError, Role, settings, users};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::TerminalCode;
use downtime_billing::store::{DataDir, Store};
use security_common::*;

#[test]
fn admin_manages_users_and_no_pin_hash_is_shown() {
    let d = setup("MZ01");
    add_user(d.path(), "cash1", "cashier", "284615");
    add_user(d.path(), "ph1", "pharmacist,cashier", "395724");
    let o = admin(d.path())
        .args(["user", "list", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains("argon2"), "{out}");
    assert!(!out.contains("pin_hash"), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "cash1", "ph1"]);
    assert_eq!(v[2]["roles"], serde_json::json!(["cashier", "pharmacist"]));

    admin(d.path())
        .args(["user", "roles", "cash1", "--role", "cashier,finance"])
        .assert()
        .success();
    admin(d.path())
        .args(["user", "disable", "ph1"])
        .assert()
        .success();
    // A disabled user cannot log in (exit 3).
    as_user(d.path(), "ph1", "395724")
        .args(["backup"])
        .assert()
        .code(3);
    admin(d.path())
        .args(["user", "enable", "ph1"])
        .assert()
        .success();
    admin(d.path())
        .args(["user", "reset-pin", "cash1"])
        .env("DOWNTIME_BILLING_NEW_PIN", "418263")
        .assert()
        .success();
    // cash1 now holds finance and the new PIN: a backup is allowed.
    as_user(d.path(), "cash1", "418263")
        .args(["backup"])
        .assert()
        .success();
    as_user(d.path(), "cash1", "284615")
        .args(["backup"])
        .assert()
        .code(3);
    // Each change left an audit entry, and everything still verifies.
    let o = admin(d.path())
        .args(["audit", "list", "--json", "--limit", "100"])
        .output()
        .unwrap();
    let entries: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let actions: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "setup",
        "user.add",
        "user.roles",
        "user.disable",
        "user.enable",
        "user.reset_pin",
        "backup",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert!(!stdout(&o).contains("418263"));
    bin(d.path()).arg("verify").assert().success();
}

#[test]
fn weak_pins_and_unknown_roles_are_refused_with_exit_2() {
    let d = setup("MZ01");
    admin(d.path())
        .args(["user", "add", "x1", "--role", "cashier"])
        .env("DOWNTIME_BILLING_NEW_PIN", "12345")
        .assert()
        .code(2);
    admin(d.path())
        .args(["user", "add", "x1", "--role", "boss"])
        .env("DOWNTIME_BILLING_NEW_PIN", "739146")
        .assert()
        .code(2);
    add_user(d.path(), "x1", "cashier", "739146");
    admin(d.path())
        .args(["user", "add", "x1", "--role", "cashier"])
        .env("DOWNTIME_BILLING_NEW_PIN", "739146")
        .assert()
        .code(5);
}

#[test]
fn a_cashier_is_denied_admin_commands_with_exit_3() {
    let d = setup("MZ01");
    add_user(d.path(), "cash1", "cashier", "284615");
    for args in [
        vec!["user", "add", "x2", "--role", "admin"],
        vec!["user", "list"],
        vec!["backup"],
        vec!["key", "export", "--out", "/tmp/never-written.key"],
        vec!["settings", "set", "backup.keep", "3"],
        vec!["audit", "list"],
    ] {
        let o = as_user(d.path(), "cash1", "284615")
            .args(&args)
            .env("DOWNTIME_BILLING_NEW_PIN", "527391")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("cash1"), "{args:?}: {}", stderr(&o));
    }
    assert!(!std::path::Path::new("/tmp/never-written.key").exists());
    // No --user at all: also refused.
    bin(d.path()).args(["user", "list"]).assert().code(3);
}

#[test]
fn role_denial_in_the_library() {
    let d = setup("MZ01");
    add_user(d.path(), "cash1", "cashier", "284615");
    let mut store = Store::open(&DataDir::new(d.path())).unwrap();
    let clock = FixedClock::at(NOW);
    let t = TerminalCode::parse("MZ01").unwrap();
    let cashier = auth::login(store.conn_mut(), "cash1", "284615", &t, &clock).unwrap();
    let e =
        users::add_user(&mut store, &cashier, &clock, "x3", &[Role::Admin], "739146").unwrap_err();
    assert!(
        matches!(
            e,
            AuthError::MissingRole {
                role: Role::Admin,
                ..
            }
        ),
        "{e:?}"
    );
    let e = downtime_billing::backup::backup_to(&mut store, &cashier, &clock, None).unwrap_err();
    assert_eq!(
        downtime_billing::error::UserFacing::kind(&e),
        downtime_billing::error::ErrorKind::NotAllowed
    );
    assert!(settings::set(&mut store, &cashier, &clock, "backup.keep", "3").is_err());
    assert!(users::list_users(store.conn(), &cashier).is_err());
}

#[test]
fn the_last_enabled_admin_cannot_be_disabled_or_demoted() {
    let d = setup("MZ01");
    admin(d.path())
        .args(["user", "disable", "admin"])
        .assert()
        .code(5);
    admin(d.path())
        .args(["user", "roles", "admin", "--role", "cashier"])
        .assert()
        .code(5);
    add_user(d.path(), "admin2", "admin", "751836");
    admin(d.path())
        .args(["user", "roles", "admin", "--role", "cashier"])
        .assert()
        .success();
    as_user(d.path(), "admin2", "751836")
        .args(["user", "disable", "admin2"])
        .assert()
        .code(5);
    bin(d.path()).arg("verify").assert().success();
}

#[test]
fn five_wrong_pins_lock_across_restarts_until_the_lock_time() {
    let d = setup("MZ01");
    add_user(d.path(), "cash1", "cashier,finance", "284615");
    // Each attempt is a new process: the counter lives in the database.
    for i in 1..=4 {
        let o = as_user(d.path(), "cash1", "964207")
            .arg("backup")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(3));
        assert!(
            stderr(&o).contains(&format!("{} tries left", 5 - i)),
            "{}",
            stderr(&o)
        );
    }
    let o = as_user(d.path(), "cash1", "964207")
        .arg("backup")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("locked"), "{}", stderr(&o));
    // The right PIN, in a new process: still locked.
    let o = as_user(d.path(), "cash1", "284615")
        .arg("backup")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("locked") && stderr(&o).contains("2026-11-22T09:05:00+08:00"),
        "{}",
        stderr(&o)
    );
    // Four minutes later: still locked; six minutes later: open again.
    as_user(d.path(), "cash1", "284615")
        .env("DOWNTIME_BILLING_NOW", "2026-11-22T09:04:00+08:00")
        .arg("backup")
        .assert()
        .code(3);
    as_user(d.path(), "cash1", "284615")
        .env("DOWNTIME_BILLING_NOW", "2026-11-22T09:06:00+08:00")
        .arg("backup")
        .assert()
        .success();
    bin(d.path()).arg("verify").assert().success();
}

#[test]
fn lockout_minutes_is_a_setting() {
    let d = setup("MZ01");
    admin(d.path())
        .args(["settings", "set", "auth.lockout_minutes", "30"])
        .assert()
        .success();
    admin(d.path())
        .args(["settings", "set", "auth.lockout_minutes", "zero"])
        .assert()
        .code(2);
    admin(d.path())
        .args(["settings", "set", "no.such", "1"])
        .assert()
        .code(2);
    add_user(d.path(), "cash1", "cashier", "284615");
    for _ in 0..5 {
        as_user(d.path(), "cash1", "964207")
            .args(["user", "list"])
            .assert()
            .code(3);
    }
    let o = as_user(d.path(), "cash1", "284615")
        .args(["user", "list"])
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("2026-11-22T09:30:00+08:00"),
        "{}",
        stderr(&o)
    );
    let store = Store::open(&DataDir::new(d.path())).unwrap();
    assert_eq!(settings::lockout_minutes(store.conn()).unwrap(), 30);
    assert_eq!(settings::idle_lock_minutes(store.conn()).unwrap(), 5);
}

#[test]
fn unlocking_after_idle_takes_the_same_pin_and_refreshes_roles() {
    let d = setup("MZ01");
    add_user(d.path(), "cash1", "cashier", "284615");
    let mut store = Store::open(&DataDir::new(d.path())).unwrap();
    let clock = FixedClock::at(NOW);
    let t = TerminalCode::parse("MZ01").unwrap();
    let admin = auth::login(store.conn_mut(), "admin", ADMIN_PIN, &t, &clock).unwrap();
    let cashier = auth::login(store.conn_mut(), "cash1", "284615", &t, &clock).unwrap();
    users::set_roles(
        &mut store,
        &admin,
        &clock,
        "cash1",
        &[Role::Cashier, Role::Finance],
    )
    .unwrap();
    let again = auth::unlock(store.conn_mut(), &cashier, "284615", &clock).unwrap();
    assert!(again.has(Role::Finance));
    for _ in 0..4 {
        assert!(matches!(
            auth::unlock(store.conn_mut(), &cashier, "000000", &clock),
            Err(AuthError::WrongPin { .. })
        ));
    }
    assert!(matches!(
        auth::unlock(store.conn_mut(), &cashier, "000000", &clock),
        Err(AuthError::Locked { .. })
    ));
    assert!(matches!(
        auth::unlock(store.conn_mut(), &cashier, "284615", &clock),
        Err(AuthError::Locked { .. })
    ));
    let r = downtime_billing::verify::run(&store).unwrap();
    assert!(r.ok, "{:?}", r.problems);
}
