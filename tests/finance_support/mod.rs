//! Shared set-up for the finance tests: a hospital of terminals sharing one
//! signing key, built through the library (setup, users, price list,
//! ranges, episodes, receipts), and helpers to export journals and run the
//! binary against a data directory.
#![allow(dead_code)]

use downtime_billing::auth::{self, Role, Session};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::Month;
use downtime_billing::keys::SigningKey;
use downtime_billing::receipts::{
    self, IssueRequest, LineRequest, PatientRequest, PaymentRequest, issue::NumText,
    issue::PayerRequest,
};
use downtime_billing::setup::{SetupParams, setup};
use downtime_billing::store::{DataDir, Store};
use std::path::{Path, PathBuf};

pub const PIN: &str = "739146";
pub const BOSS_PIN: &str = "582047";
pub const NOW: &str = "2026-11-02T09:00:00+08:00";
pub const SAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/price_lists/sample_2026-11.csv"
);
/// A drug (阿莫西林胶囊, 6.80) and a service line of the sample list.
pub const DRUG: &str = "XA01AB001A00001";
pub const DRUG2: &str = "XJ01CA004A00002";

pub fn at(t: &str) -> FixedClock {
    FixedClock::at(t)
}

pub struct Hospital {
    pub root: tempfile::TempDir,
    pub key_file: PathBuf,
}

pub struct Term {
    pub code: String,
    pub dir: DataDir,
    pub store: Store,
    pub key: SigningKey,
}

impl Hospital {
    /// A hospital whose key is made by a first terminal (the finance
    /// station, `CW01`).
    pub fn new() -> (Hospital, Term) {
        let root = tempfile::tempdir().unwrap();
        let h0 = Hospital {
            key_file: root.path().join("hospital.key"),
            root,
        };
        let mut cw = h0.setup("CW01", "CW01", None);
        let s = cw.session("admin");
        downtime_billing::keys::transfer::export_key(&mut cw.store, &s, &at(NOW), &h0.key_file)
            .unwrap();
        let boss = cw.session("admin");
        auth::users::add_user(&mut cw.store, &boss, &at(NOW), "fin", &[Role::Finance], PIN)
            .unwrap();
        (h0, cw)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn setup(&self, code: &str, dirname: &str, key: Option<&Path>) -> Term {
        let dir = DataDir::new(self.root.path().join(dirname));
        setup(
            &dir,
            &SetupParams {
                terminal: code.into(),
                hospital: "测试医院".into(),
                admin: "admin".into(),
                admin_pin: PIN.into(),
                signing_key_file: key.map(Path::to_path_buf),
            },
            &at("2026-01-05T08:00:00+08:00"),
        )
        .unwrap();
        let store = Store::open(&dir).unwrap();
        let key = downtime_billing::keys::wrap::unlock_dir(&dir, "admin", PIN).unwrap();
        Term {
            code: code.into(),
            dir,
            store,
            key,
        }
    }

    /// A terminal of this hospital (the shared key), in its own directory.
    pub fn terminal(&self, code: &str, dirname: &str) -> Term {
        let mut t = self.setup(code, dirname, Some(&self.key_file));
        let admin = t.session("admin");
        auth::users::add_user(
            &mut t.store,
            &admin,
            &at(NOW),
            "boss",
            &[Role::Admin],
            BOSS_PIN,
        )
        .unwrap();
        t
    }

    /// A terminal of ANOTHER hospital (its own key).
    pub fn foreign_terminal(&self, code: &str, dirname: &str) -> Term {
        self.setup(code, dirname, None)
    }
}

impl Term {
    pub fn session(&mut self, user: &str) -> Session {
        let pin = if user == "boss" { BOSS_PIN } else { PIN };
        let t = downtime_billing::setup::terminal_code(&self.store).unwrap();
        auth::login(self.store.conn_mut(), user, pin, &t, &at(NOW)).unwrap()
    }

    /// Price list (in force all year), a range and an open episode.
    pub fn ready(&mut self, from: u64, to: u64, opened: &str, drill: bool) {
        let admin = self.session("admin");
        let m = Month::parse("2026-01").unwrap();
        downtime_billing::prices::import::import(
            &mut self.store,
            &admin,
            &at(NOW),
            Path::new(SAMPLE),
            m,
            &mut |_| {},
        )
        .unwrap();
        let code = self.code.clone();
        receipts::ranges::add(&mut self.store, &admin, &at(NOW), &code, from, to).unwrap();
        receipts::episodes::open(
            &mut self.store,
            &admin,
            &at(opened),
            receipts::episodes::Level::II,
            "HIS down",
            if drill {
                receipts::episodes::EpisodeKind::Drill
            } else {
                receipts::episodes::EpisodeKind::Real
            },
        )
        .unwrap();
    }

    /// Issues a receipt at `when` with (code, qty) lines; returns its number.
    pub fn issue(
        &mut self,
        when: &str,
        lines: &[(&str, &str)],
        insured: bool,
        name: &str,
    ) -> String {
        self.issue_kind("outpatient", when, lines, insured, name)
    }

    /// A registration for a patient with no outpatient number: the receipt
    /// carries the terminal's next temporary patient number.
    pub fn register(&mut self, when: &str, name: &str) -> String {
        self.issue_kind("registration", when, &[(DRUG2, "1")], false, name)
    }

    fn issue_kind(
        &mut self,
        kind: &str,
        when: &str,
        lines: &[(&str, &str)],
        insured: bool,
        name: &str,
    ) -> String {
        let clock = at(when);
        let admin = self.session("admin");
        let lines: Vec<LineRequest> = lines
            .iter()
            .map(|(c, q)| LineRequest {
                code: c.to_string(),
                qty: NumText::Text(q.to_string()),
            })
            .collect();
        let p = receipts::preview(self.store.conn(), &clock, &lines).unwrap();
        let req = IssueRequest {
            kind: kind.into(),
            patient: PatientRequest {
                name: name.into(),
                ..Default::default()
            },
            payer: PayerRequest {
                kind: if insured {
                    "insured_full_pay"
                } else {
                    "self_pay"
                }
                .into(),
                insurance_no: insured.then(|| "3301000000123456".to_string()),
            },
            department: "内科".into(),
            doctor: "李明".into(),
            lines,
            amount: None,
            payments: vec![PaymentRequest {
                method: "cash".into(),
                amount: NumText::Text(p.total.to_string()),
                tendered: None,
                reference: None,
            }],
        };
        let key = self.key.clone();
        let draft = receipts::IssueDraft::build(self.store.conn(), &clock, &req).unwrap();
        receipts::issue(&mut self.store, &admin, &clock, &key, &draft)
            .unwrap()
            .receipt
            .number
    }

    pub fn void(&mut self, when: &str, number: &str) {
        let admin = self.session("admin");
        receipts::void(
            &mut self.store,
            &admin,
            &at(when),
            number,
            "wrong item",
            "boss",
            BOSS_PIN,
        )
        .unwrap();
    }

    pub fn refund_all(&mut self, when: &str, number: &str, lines: &[u32]) {
        let admin = self.session("admin");
        let key = self.key.clone();
        let req = receipts::RefundRequest {
            number: number.into(),
            lines: lines
                .iter()
                .map(|l| receipts::RefundLine {
                    line: *l,
                    qty: None,
                })
                .collect(),
            reason: "cancelled".into(),
        };
        receipts::refund(
            &mut self.store,
            &admin,
            &at(when),
            &key,
            &req,
            "boss",
            BOSS_PIN,
        )
        .unwrap();
    }

    /// A pharmacy row, written as the pharmacy capability writes it.
    pub fn dispense(&mut self, number: &str, line: u32, code: &str, qty: &str, kind: &str) {
        self.store
            .conn()
            .execute(
                "INSERT INTO dispensings(receipt_number, line_no, code, qty, kind, terminal, user, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'admin', '2026-11-02T10:00:00+08:00')",
                rusqlite::params![number, line, code, qty, kind, self.code],
            )
            .unwrap();
    }

    pub fn export(&mut self, path: &Path) -> PathBuf {
        let s = self.session("admin");
        let key = self.key.clone();
        downtime_billing::finance::journal::export(&mut self.store, &s, &at(NOW), &key, path)
            .unwrap();
        path.to_path_buf()
    }

    pub fn count(&self, table: &str) -> i64 {
        self.store
            .conn()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    /// Row counts of every table a journal import may touch.
    pub fn counts(&self) -> Vec<(String, i64)> {
        [
            "episodes",
            "episode_closures",
            "receipt_ranges",
            "receipts",
            "receipt_lines",
            "receipt_payments",
            "receipt_events",
            "shift_closes",
            "dispensings",
            "journal_imports",
            "journal_map",
            "journal_receipt_digests",
            "journal_audit",
            "journal_collisions",
            "audit_log",
        ]
        .iter()
        .map(|t| (t.to_string(), self.count(t)))
        .collect()
    }
}

/// The binary under test, copied once per test process (several worktrees
/// share a target directory).
pub fn bin() -> PathBuf {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let src = assert_cmd::cargo::cargo_bin("downtime-billing");
        let dst = std::env::temp_dir().join(format!("dtb-finance-test-{}", std::process::id()));
        std::fs::copy(&src, &dst).unwrap();
        dst
    })
    .clone()
}

/// Runs the binary on `dir` as `user`; returns (exit code, stdout, stderr).
pub fn run(dir: &DataDir, user: &str, now: &str, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(bin())
        .env_clear()
        .env("DOWNTIME_BILLING_DATA_DIR", dir.root())
        .env("DOWNTIME_BILLING_PIN", PIN)
        .env("DOWNTIME_BILLING_NOW", now)
        .env("DOWNTIME_BILLING_LANG", "en")
        .arg("--user")
        .arg(user)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
