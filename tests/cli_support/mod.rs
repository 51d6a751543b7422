//! The one way CLI tests get the binary and a ready data directory. Every
//! capability's test support (receipts_support, security_common, the price
//! and calendar tests) builds on these two functions, so the binary is
//! found, guarded and started with a clean environment in one place.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The admin's PIN in every ready data directory.
pub const ADMIN_PIN: &str = "739146";

/// This branch's binary, copied out of `target/` so that another build of
/// the same crate replacing it mid-run cannot change what the tests run.
/// One copy per build (named by its size and modification time), shared by
/// every test process and written by rename, so test runs do not pile up
/// copies of a 240 MB debug binary in the temporary folder.
pub fn binary() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let src = assert_cmd::cargo::cargo_bin("downtime-billing");
        let meta = std::fs::metadata(&src).unwrap();
        let built = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let dst = std::env::temp_dir().join(format!("dtb-test-{}-{built}", meta.len()));
        if !dst.is_file() {
            let part = dst.with_extension(format!("part{}", std::process::id()));
            std::fs::copy(&src, &part).unwrap();
            std::fs::rename(&part, &dst).unwrap();
        }
        let help = std::process::Command::new(&dst)
            .arg("--help")
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&help.stdout).contains("receipt"),
            "{} is not this branch's build (another build replaced it): run the tests again",
            src.display()
        );
        dst
    })
    .clone()
}

/// The binary with no DOWNTIME_BILLING_* variable inherited from the shell
/// that runs the tests.
pub fn command() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::new(binary());
    for (k, _) in std::env::vars() {
        if k.starts_with("DOWNTIME_BILLING_") {
            c.env_remove(k);
        }
    }
    c
}

/// Runs `setup` for `terminal` on `data_dir` (admin `admin`, PIN
/// [`ADMIN_PIN`], hospital 测试医院), at `now` when given.
pub fn set_up(data_dir: &Path, terminal: &str, now: Option<&str>) {
    let mut c = command();
    if let Some(now) = now {
        c.env("DOWNTIME_BILLING_NOW", now);
    }
    c.env("DOWNTIME_BILLING_DATA_DIR", data_dir)
        .args([
            "setup",
            "--terminal",
            terminal,
            "--hospital",
            "测试医院",
            "--admin",
            "admin",
        ])
        .env("DOWNTIME_BILLING_PIN", ADMIN_PIN)
        .assert()
        .success();
}
