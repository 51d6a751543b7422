//! Carrying the signing key between terminals: export/import round trip,
//! a different key refused unless replaced deliberately, corrupted and
//! malformed files refused. The key lives only wrapped under the users'
//! PINs: what a terminal holds is read by unwrapping the admin's.

mod security_common;
use downtime_billing::keys::{SigningKey, wrap};
use downtime_billing::store::DataDir;
use security_common::*;

fn held(dir: &std::path::Path) -> SigningKey {
    wrap::unlock_dir(&DataDir::new(dir), "admin", ADMIN_PIN).unwrap()
}

fn fingerprint(dir: &std::path::Path) -> String {
    held(dir).fingerprint()
}

#[test]
fn export_then_import_on_a_second_terminal() {
    let a = setup("MZ01");
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("hospital.key");
    admin(a.path())
        .args(["key", "export", "--out"])
        .arg(&file)
        .assert()
        .success();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("downtime-billing signing key v1\n"));
    assert!(text.contains("sha256: "));
    // Exporting over an existing file is refused.
    admin(a.path())
        .args(["key", "export", "--out"])
        .arg(&file)
        .assert()
        .code(5);

    // A second terminal set up with its own key: a different key is refused.
    let b = setup("YF01");
    let before = fingerprint(b.path());
    let o = admin(b.path())
        .args(["key", "import"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("--replace"), "{}", stderr(&o));
    assert_eq!(fingerprint(b.path()), before);

    // Replaced deliberately: the new key is wrapped for the admin; nothing
    // plain (neither key) is left beside the database.
    let o = admin(b.path())
        .args(["key", "import", "--replace", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["old_key_file"], serde_json::Value::Null);
    for e in std::fs::read_dir(b.path()).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with("signing.key"), "{name}");
    }
    assert_eq!(fingerprint(b.path()), fingerprint(a.path()));
    let tag = held(a.path()).sign(b"MZ01-00000001");
    assert!(held(b.path()).verify(b"MZ01-00000001", &tag));
    // Importing the same key again changes nothing; both terminals verify.
    let o = admin(b.path())
        .args(["key", "import", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["changed"], false);
    admin(a.path()).arg("verify").assert().success();
    admin(b.path()).arg("verify").assert().success();
}

#[test]
fn corrupted_and_malformed_key_files_are_refused() {
    let a = setup("MZ01");
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("hospital.key");
    admin(a.path())
        .args(["key", "export", "--out"])
        .arg(&file)
        .assert()
        .success();
    let text = std::fs::read_to_string(&file).unwrap();
    // One hex digit of the key changed: the checksum fails (exit 4).
    let pos = text.find("key: ").unwrap() + 5;
    let flipped = if &text[pos..pos + 1] == "a" { "b" } else { "a" };
    let mut bad = text.clone();
    bad.replace_range(pos..pos + 1, flipped);
    let corrupt = out.path().join("corrupt.key");
    std::fs::write(&corrupt, bad).unwrap();
    let b = setup("YF01");
    let before = fingerprint(b.path());
    let o = admin(b.path())
        .args(["key", "import", "--replace"])
        .arg(&corrupt)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains("checksum"), "{}", stderr(&o));
    // Not a key file at all: exit 2.
    let junk = out.path().join("junk.key");
    std::fs::write(&junk, "hello\n").unwrap();
    admin(b.path())
        .args(["key", "import", "--replace"])
        .arg(&junk)
        .assert()
        .code(2);
    assert_eq!(fingerprint(b.path()), before);
    bin(b.path()).arg("verify").assert().success();
}
