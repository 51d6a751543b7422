//! Shared set-up for the receipts tests: a data directory with an admin,
//! a supervisor, two cashiers, a real price list (rows of the shared 30k
//! list) and helpers to run the binary.
#![allow(dead_code)]

#[path = "../cli_support/mod.rs"]
mod cli_support;

use assert_cmd::Command;
use downtime_billing::auth::{self, Session};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::Month;
use downtime_billing::store::{DataDir, Store};
use std::path::{Path, PathBuf};

pub const PIN: &str = "739146";
pub const SUP_PIN: &str = "582047";
pub const CASH_PIN: &str = "461938";
pub const NOW: &str = "2026-11-22T10:15:03+08:00";

pub const SHARED_30K: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/price_list_2026-12_30k.csv"
);

/// Codes picked from the shared list: two western drugs, a treatment with
/// a lower-case code, a 中草药 by the gram, a registration fee.
pub const CODES: [&str; 5] = [
    "XN72DG587P95754",
    "XA88DF322F52065",
    "430161610-d",
    "T65124405",
    "110275556-d",
];

/// The binary under test, copied once per test process: several worktrees
/// share one cargo target directory here, and a copy cannot be replaced by
/// another build in the middle of a run.
/// The binary (one way for every CLI test: `cli_support`).
pub fn bin() -> PathBuf {
    cli_support::binary()
}

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn data_dir(&self) -> DataDir {
        DataDir::new(self.dir.path().join("data"))
    }

    pub fn cmd(&self, user: &str, pin: &str) -> Command {
        let mut c = Command::new(bin());
        c.env_clear()
            .env("DOWNTIME_BILLING_DATA_DIR", self.data_dir().root())
            .env("DOWNTIME_BILLING_PIN", pin)
            .env("DOWNTIME_BILLING_SUPERVISOR_PIN", SUP_PIN)
            .env("DOWNTIME_BILLING_NOW", NOW)
            .env("DOWNTIME_BILLING_LANG", "en")
            .arg("--user")
            .arg(user);
        c
    }

    /// Runs as `user`; returns (exit code, stdout, stderr).
    pub fn run(&self, user: &str, args: &[&str]) -> (i32, String, String) {
        self.run_at(user, NOW, args)
    }

    pub fn run_at(&self, user: &str, now: &str, args: &[&str]) -> (i32, String, String) {
        let pin = match user {
            "boss" => SUP_PIN,
            "cash1" | "cash2" | "pharm" => CASH_PIN,
            _ => PIN,
        };
        let out = self
            .cmd(user, pin)
            .env("DOWNTIME_BILLING_NOW", now)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn ok(&self, user: &str, args: &[&str]) -> String {
        let (code, out, err) = self.run(user, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.root().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Issues `body` as `user`; returns (exit code, JSON or null, stderr).
    pub fn issue_at(
        &self,
        user: &str,
        now: &str,
        body: &serde_json::Value,
    ) -> (i32, serde_json::Value, String) {
        let p = self.write("body.json", &body.to_string());
        let (code, out, err) = self.run_at(
            user,
            now,
            &["receipt", "issue", "--json", p.to_str().unwrap()],
        );
        let v = serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
        (code, v, err)
    }

    pub fn issue(&self, user: &str, body: &serde_json::Value) -> (i32, serde_json::Value, String) {
        self.issue_at(user, NOW, body)
    }

    pub fn store(&self) -> Store {
        Store::open(&self.data_dir()).unwrap()
    }

    pub fn session(&self, store: &mut Store, user: &str, pin: &str) -> Session {
        let t = downtime_billing::setup::terminal_code(store).unwrap();
        auth::login(store.conn_mut(), user, pin, &t, &FixedClock::at(NOW)).unwrap()
    }

    pub fn show(&self, number: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok("admin", &["receipt", "show", number, "--json"])).unwrap()
    }
}

/// A small list made of real rows of the shared 30k list.
pub fn small_list(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(SHARED_30K).expect("shared price list");
    let mut lines = text.lines();
    let mut out = vec![lines.next().unwrap().to_string()];
    for l in lines {
        if CODES.iter().any(|c| l.starts_with(&format!("{c},"))) {
            out.push(l.to_string());
        }
    }
    assert_eq!(out.len(), CODES.len() + 1);
    let p = dir.join("small.csv");
    std::fs::write(&p, out.join("\n") + "\n").unwrap();
    p
}

/// Set up terminal MZ01 with users admin (all roles), boss (admin, the
/// supervisor), cash1 and cash2 (cashiers), pharm (pharmacist only), the
/// small list as the 2026-01 snapshot (in force all year).
pub fn setup() -> Env {
    let env = Env {
        dir: tempfile::tempdir().unwrap(),
    };
    cli_support::set_up(env.data_dir().root(), "MZ01", None);
    for (name, pin, roles) in [
        ("boss", SUP_PIN, "admin"),
        ("cash1", CASH_PIN, "cashier"),
        ("cash2", CASH_PIN, "cashier"),
        ("pharm", CASH_PIN, "pharmacist"),
    ] {
        env.cmd("admin", PIN)
            .env("DOWNTIME_BILLING_NEW_PIN", pin)
            .args(["user", "add", name, "--role", roles])
            .assert()
            .success();
    }
    let mut store = env.store();
    let clock = FixedClock::at(NOW);
    let session = env.session(&mut store, "admin", PIN);
    let list = small_list(env.root());
    downtime_billing::prices::import(
        &mut store,
        &session,
        &clock,
        &list,
        Month::parse("2026-01").unwrap(),
        &mut |_| {},
    )
    .unwrap();
    env
}

/// Setup plus an open episode and a range 1–100 for MZ01.
pub fn ready() -> Env {
    ready_with("II", 100)
}

/// Setup plus an open episode of `level` and a range 1–`to` for MZ01.
pub fn ready_with(level: &str, to: u64) -> Env {
    let env = setup();
    env.ok(
        "admin",
        &["episode", "open", "--level", level, "--reason", "HIS down"],
    );
    let to = to.to_string();
    env.ok(
        "admin",
        &[
            "range",
            "add",
            "--terminal",
            "MZ01",
            "--from",
            "1",
            "--to",
            &to,
        ],
    );
    env
}

pub fn body(lines: &[(&str, &str)], payments: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "kind": "outpatient",
        "patient": {"name": "张三", "sex": "男", "age": 35, "outpatient_no": "MZ2026112200017"},
        "payer": {"type": "self_pay"},
        "department": "内科", "doctor": "李明",
        "lines": lines.iter().map(|(c, q)| serde_json::json!({"code": c, "qty": q})).collect::<Vec<_>>(),
        "payments": payments,
    })
}

/// A one-line receipt of the 7.3001 drug, paid 7.30 in cash.
pub fn simple() -> serde_json::Value {
    body(
        &[("XA88DF322F52065", "1")],
        serde_json::json!([{"method": "cash", "amount": "7.30"}]),
    )
}

pub fn has_tool(name: &str) -> bool {
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{name} is required in CI");
        }
        eprintln!("note: {name} not installed, skipping that check");
    }
    found
}
