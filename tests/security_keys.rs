//! Carrying the signing key between terminals: export/import round trip,
//! a different key refused unless replaced deliberately, corrupted and
//! malformed files refused.

mod security_common;
use downtime_billing::keys::SigningKey;
use security_common::*;

fn fingerprint(dir: &std::path::Path) -> String {
    SigningKey::load(&dir.join("signing.key"))
        .unwrap()
        .fingerprint()
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

    // Replaced deliberately: the old key is kept beside it.
    let o = admin(b.path())
        .args(["key", "import", "--replace", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let old = std::path::PathBuf::from(v["old_key_file"].as_str().unwrap());
    assert!(
        old.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("signing.key.old-")
    );
    assert_eq!(SigningKey::load(&old).unwrap().fingerprint(), before);
    assert_eq!(fingerprint(b.path()), fingerprint(a.path()));
    let tag = SigningKey::load(&a.path().join("signing.key"))
        .unwrap()
        .sign(b"MZ01-00000001");
    assert!(
        SigningKey::load(&b.path().join("signing.key"))
            .unwrap()
            .verify(b"MZ01-00000001", &tag)
    );
    // Importing the same key again changes nothing; both terminals verify.
    let o = admin(b.path())
        .args(["key", "import", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["changed"], false);
    bin(a.path()).arg("verify").assert().success();
    bin(b.path()).arg("verify").assert().success();
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
