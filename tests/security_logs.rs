//! The rolling log file holds no PINs, no key and no full ID numbers.

mod security_common;
use security_common::*;

fn all_logs(dir: &std::path::Path) -> String {
    let mut text = String::new();
    for e in std::fs::read_dir(dir.join("logs")).unwrap() {
        text.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    text
}

#[test]
fn logs_hold_no_pins_keys_or_id_numbers() {
    let d = setup("MZ01");
    add_user(d.path(), "cash1", "cashier", "246813");
    // A user name shaped like an ID number is logged when added: masked.
    add_user(d.path(), "330102199001011234", "cashier", "975310");
    admin(d.path())
        .args(["user", "reset-pin", "cash1"])
        .env("DOWNTIME_BILLING_NEW_PIN", "864209")
        .assert()
        .success();
    as_user(d.path(), "cash1", "111999")
        .args(["user", "list"])
        .assert()
        .code(3);
    let out = tempfile::tempdir().unwrap();
    admin(d.path())
        .args(["key", "export", "--out"])
        .arg(out.path().join("k.key"))
        .assert()
        .success();
    admin(d.path()).arg("backup").assert().success();
    // the key as exported (the data directory holds it only wrapped)
    let key_text = std::fs::read_to_string(out.path().join("k.key")).unwrap();
    let key_hex = key_text
        .lines()
        .find_map(|l| l.strip_prefix("key: "))
        .unwrap()
        .trim()
        .to_string();

    let logs = all_logs(d.path());
    assert!(logs.contains("user added"), "the log is written: {logs}");
    assert!(logs.contains("330102********1234"), "{logs}");
    for secret in [
        ADMIN_PIN,
        "246813",
        "975310",
        "864209",
        "111999",
        "330102199001011234",
        key_hex.as_str(),
        "$argon2",
    ] {
        assert!(!logs.contains(secret), "{secret} found in the log:\n{logs}");
    }
    // Nor in the audit trail.
    let c = raw(d.path());
    let details: Vec<String> = c
        .prepare("SELECT details FROM audit_log")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let all = details.join("\n");
    for secret in ["246813", "975310", "864209", key_hex.as_str(), "$argon2"] {
        assert!(!all.contains(secret), "{secret} in the audit log");
    }
}
