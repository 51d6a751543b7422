//! Helpers shared by the security tests: a set-up data directory and the
//! binary with the acting user's PIN.
#![allow(dead_code)]

#[path = "../cli_support/mod.rs"]
mod cli_support;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub const ADMIN_PIN: &str = "739146";
pub const NOW: &str = "2026-11-22T09:00:00+08:00";

pub fn bin(dir: &Path) -> Command {
    let mut c = cli_support::command();
    c.arg("--data-dir")
        .arg(dir)
        .arg("--lang")
        .arg("en")
        .env_remove("DOWNTIME_BILLING_PIN")
        .env_remove("DOWNTIME_BILLING_NEW_PIN")
        .env_remove("DOWNTIME_BILLING_DATA_DIR")
        .env("DOWNTIME_BILLING_NOW", NOW);
    c
}

/// The binary acting as `user` with `pin`.
pub fn as_user(dir: &Path, user: &str, pin: &str) -> Command {
    let mut c = bin(dir);
    c.arg("--user").arg(user).env("DOWNTIME_BILLING_PIN", pin);
    c
}

pub fn admin(dir: &Path) -> Command {
    as_user(dir, "admin", ADMIN_PIN)
}

/// A set-up terminal MZ01 with admin `admin` (PIN 739146).
pub fn setup(terminal: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    cli_support::set_up(dir.path(), terminal, Some(NOW));
    dir
}

pub fn add_user(dir: &Path, name: &str, roles: &str, pin: &str) {
    admin(dir)
        .args(["user", "add", name, "--role", roles])
        .env("DOWNTIME_BILLING_NEW_PIN", pin)
        .assert()
        .success();
}

pub fn db(dir: &Path) -> PathBuf {
    dir.join("downtime-billing.sqlite3")
}

/// The database opened directly, behind the program's back.
pub fn raw(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(db(dir)).unwrap()
}

pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
