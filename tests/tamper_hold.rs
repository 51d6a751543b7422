//! After a failed verify, issuing stops until an admin acknowledges it with
//! a reason (issue 10, point 11): in the CLI (`verify acknowledge --reason`)
//! and in the GUI, whose red banner has no close button.

mod receipts_support;
use receipts_support::*;

/// Drops one append-only trigger behind the program's back: what verify
/// names (and a clumsy attacker leaves).
fn tamper(env: &Env) {
    rusqlite::Connection::open(env.data_dir().db_path())
        .unwrap()
        .execute_batch("DROP TRIGGER price_items_no_delete;")
        .unwrap();
}

fn verify(env: &Env) -> (i32, String, String) {
    let o = std::process::Command::new(bin())
        .env_clear()
        .env("DOWNTIME_BILLING_DATA_DIR", env.data_dir().root())
        .env("DOWNTIME_BILLING_LANG", "en")
        .arg("verify")
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Catches: `workflows::issue`/`refund` not asking
/// `verify::hold::ensure_issuing_allowed` (before, a tampered database
/// kept issuing), and an acknowledgement that is not an admin's, has no
/// reason or is not audited.
#[test]
fn a_failed_verify_stops_issuing_until_an_admin_acknowledges_it() {
    let env = ready();
    let (code, _, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    tamper(&env);
    // Until verify has run, nothing is known: issuing goes on.
    let (code, _, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = verify(&env);
    assert_eq!(code, 4);
    assert!(out.contains("issuing is stopped"), "{out}");
    assert!(out.contains("verify acknowledge --reason"), "{out}");

    let (code, r, err) = env.issue("cash1", &simple());
    assert_eq!(code, 4, "{r} {err}");
    assert_eq!(
        r,
        serde_json::Value::Null,
        "nothing printed: nothing issued"
    );
    assert!(err.contains("issuing is stopped"), "{err}");
    assert!(err.contains("verify acknowledge --reason TEXT"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let list = env.ok("admin", &["receipt", "list", "--json"]);
    let n = serde_json::from_str::<serde_json::Value>(&list)
        .unwrap()
        .as_array()
        .unwrap()
        .len();
    assert_eq!(n, 2, "the refused issue stored nothing");

    // Deleting the hold file does not lift it: the audit entry holds too.
    std::fs::remove_file(env.data_dir().root().join("verify-hold.json")).unwrap();
    let (code, _, err) = env.issue("cash1", &simple());
    assert_eq!(code, 4, "{err}");

    // A cashier cannot acknowledge; an admin needs a reason.
    let (code, _, err) = env.run("cash1", &["verify", "acknowledge", "--reason", "seen"]);
    assert_eq!(code, 3, "{err}");
    let (code, _, err) = env.run("admin", &["verify", "acknowledge", "--reason", "  "]);
    assert_eq!(code, 2, "{err}");
    let (code, out, err) = env.run(
        "admin",
        &[
            "verify",
            "acknowledge",
            "--reason",
            "trigger dropped by the IT test; reinstalled",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let ack: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(ack["by"], "admin");
    assert_eq!(ack["problems"], 1);
    let audit = env.ok("admin", &["audit", "list", "--json"]);
    assert!(audit.contains("verify.acknowledged"), "{audit}");
    assert!(audit.contains("trigger dropped by the IT test"), "{audit}");
    assert!(audit.contains("verify.failed"), "{audit}");

    let (code, _, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    // The same problems found again do not stop issuing again…
    let (code, _, _) = verify(&env);
    assert_eq!(code, 4);
    let (code, _, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    // …a new one does.
    rusqlite::Connection::open(env.data_dir().db_path())
        .unwrap()
        .execute_batch("DROP TRIGGER episodes_no_update;")
        .unwrap();
    assert_eq!(verify(&env).0, 4);
    let (code, _, err) = env.issue("cash1", &simple());
    assert_eq!(code, 4, "{err}");
    // Nothing to acknowledge once acknowledged.
    env.ok(
        "admin",
        &["verify", "acknowledge", "--reason", "second look"],
    );
    let (code, _, _) = env.run("admin", &["verify", "acknowledge", "--reason", "again"]);
    assert_eq!(code, 5);
}
