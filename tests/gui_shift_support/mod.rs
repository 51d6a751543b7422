//! What the shift tests (tests/gui_shift_*.rs) share: a terminal ready to
//! issue (sample list in force, a receipt book, an open episode, a
//! supervisor and a second cashier, none with a trivial PIN), receipts
//! issued through the library as the cashier screen issues them, and a
//! harness at a given window size whose key presses are counted.
#![allow(dead_code)] // each test file uses its own subset

use downtime_billing::auth::users::add_user;
use downtime_billing::auth::{Role, Session};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::{Month, TerminalCode, UserName};
use downtime_billing::i18n::Lang;
use downtime_billing::prices::{self, Category};
use downtime_billing::receipts::{IssueDraft, IssueRequest, episodes, ranges};
use downtime_billing::setup::{SetupParams, setup};
use downtime_billing::store::{DataDir, Store};
use downtime_billing::ui::App;
use downtime_billing::workflows::{self, PdfStep};
use eframe::egui;
use egui_kittest::Harness;
use std::sync::Arc;

pub const NOW: &str = "2026-11-22T09:00:00+08:00";
/// The window's clock in the tests: later the same morning.
pub const LATER: &str = "2026-11-22T10:30:00+08:00";
pub const ADMIN: &str = "admin";
pub const ADMIN_PIN: &str = "739146";
/// A supervisor (admin and cashier).
pub const BOSS: &str = "boss";
pub const BOSS_PIN: &str = "461938";
/// A cashier with no other role.
pub const LILY: &str = "lily";
pub const LILY_PIN: &str = "582047";
/// Another cashier at the same terminal.
pub const MING: &str = "ming";
pub const MING_PIN: &str = "915372";

pub fn session(user: &str, roles: &[Role]) -> Session {
    Session::new(
        UserName::parse(user).unwrap(),
        roles,
        TerminalCode::parse("MZ01").unwrap(),
    )
}

/// Codes of the sample list by fee category.
pub struct Codes {
    pub drug: String,
    pub lab: String,
    pub exam: String,
}

/// A set-up terminal MZ01 with the sample list in force, receipt book
/// 1–500, an open episode (unless `episode` is false) and the users above.
pub fn ready_terminal(episode: bool) -> (tempfile::TempDir, DataDir, Codes) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let clock = FixedClock::at(NOW);
    setup(
        &dir,
        &SetupParams {
            terminal: "MZ01".into(),
            hospital: "测试医院".into(),
            admin: ADMIN.into(),
            admin_pin: ADMIN_PIN.into(),
            signing_key_file: None,
        },
        &clock,
    )
    .unwrap();
    let sample = downtime_billing::ui::sample::find();
    let analysis = prices::analyse_bytes(&sample.file_name, &sample.bytes);
    assert!(analysis.is_valid(), "{:?}", analysis.problems);
    let first = |c: Category| {
        analysis
            .list
            .items
            .iter()
            .find(|i| i.category == c)
            .map(|i| i.code.clone())
            .unwrap()
    };
    let codes = Codes {
        drug: first(Category::WesternDrug),
        lab: first(Category::LabTest),
        exam: first(Category::Examination),
    };
    let admin = session(ADMIN, &Role::ALL);
    let mut store = Store::open(&dir).unwrap();
    prices::import_parsed(
        &mut store,
        &admin,
        &clock,
        &analysis.list,
        Month::parse("2026-11").unwrap(),
        &mut |_| {},
    )
    .unwrap();
    ranges::add(&mut store, &admin, &clock, "MZ01", 1, 500).unwrap();
    if episode {
        episodes::open(
            &mut store,
            &admin,
            &clock,
            episodes::Level::parse("II").unwrap(),
            "HIS 服务器宕机",
            episodes::EpisodeKind::Real,
        )
        .unwrap();
    }
    add_user(
        &mut store,
        &admin,
        &clock,
        BOSS,
        &[Role::Admin, Role::Cashier],
        BOSS_PIN,
    )
    .unwrap();
    add_user(&mut store, &admin, &clock, LILY, &[Role::Cashier], LILY_PIN).unwrap();
    add_user(&mut store, &admin, &clock, MING, &[Role::Cashier], MING_PIN).unwrap();
    (tmp, dir, codes)
}

/// Issues a cash receipt as `user` at `at` through the library (the same
/// draft and workflow the cashier screen uses); returns its number.
pub fn issue(dir: &DataDir, user: &str, at: &str, patient: &str, lines: &[(&str, &str)]) -> String {
    let mut store = Store::open(dir).unwrap();
    let clock = FixedClock::at(at);
    let mut body = serde_json::json!({
        "kind": "outpatient",
        "patient": {"name": patient},
        "department": "内科",
        "doctor": "王医生",
        "lines": lines.iter().map(|(code, qty)| serde_json::json!({"code": code, "qty": qty})).collect::<Vec<_>>(),
        "payments": [{"method": "cash", "amount": "1", "tendered": "5000"}],
    });
    // Priced first, then paid exactly.
    let req = IssueRequest::from_json(&body.to_string()).unwrap();
    let preview =
        downtime_billing::receipts::issue::preview(store.conn(), &clock, &req.lines).unwrap();
    body["payments"][0]["amount"] = serde_json::json!(preview.total.to_string());
    let req = IssueRequest::from_json(&body.to_string()).unwrap();
    let draft = IssueDraft::build(store.conn(), &clock, &req).unwrap();
    let key = downtime_billing::keys::wrap::unlock_dir(dir, "admin", ADMIN_PIN).unwrap();
    let roles: &[Role] = if user == ADMIN {
        &Role::ALL
    } else {
        &[Role::Cashier]
    };
    let issued = workflows::issue(
        &mut store,
        &session(user, roles),
        &clock,
        &key,
        &draft,
        &PdfStep::Skip,
    )
    .unwrap();
    issued.receipt.receipt.number.clone()
}

/// The app at `size`, its clock at [`LATER`], in `lang`.
pub fn harness(dir: &DataDir, size: [f32; 2], lang: Lang) -> Harness<'static, App> {
    harness_at(dir, size, lang, LATER)
}

pub fn harness_at(dir: &DataDir, size: [f32; 2], lang: Lang, now: &str) -> Harness<'static, App> {
    let dir = dir.clone();
    let now = now.to_string();
    Harness::builder()
        .with_size(size)
        // A grid or table sizes itself over a few frames.
        .with_max_steps(12)
        .build_eframe(move |cc| App::new(&cc.egui_ctx, dir, lang, Arc::new(FixedClock::at(&now))))
}

/// Sends key events and counts them: every key press (with or without
/// modifiers) and every typed character is one key event.
pub struct Keys<'h> {
    pub h: &'h mut Harness<'static, App>,
    pub count: usize,
}

impl<'h> Keys<'h> {
    pub fn new(h: &'h mut Harness<'static, App>) -> Self {
        h.run();
        Keys { h, count: 0 }
    }

    pub fn press(&mut self, key: egui::Key) {
        self.h.key_press(key);
        self.count += 1;
        self.settle();
    }

    pub fn press_with(&mut self, modifiers: egui::Modifiers, key: egui::Key) {
        self.h.key_press_modifiers(modifiers, key);
        self.count += 1;
        self.settle();
    }

    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.h.event(egui::Event::Text(c.to_string()));
            self.count += 1;
            self.h.step();
        }
        self.settle();
    }

    pub fn settle(&mut self) {
        self.h.step();
        while self.h.state().busy() {
            std::thread::sleep(std::time::Duration::from_millis(5));
            self.h.step();
        }
        self.h.run();
    }

    /// Logs in: the cursor starts in the user field.
    pub fn log_in(&mut self, user: &str, pin: &str) {
        self.type_text(user);
        self.press(egui::Key::Enter);
        self.type_text(pin);
        self.press(egui::Key::Enter);
        assert!(
            self.h.state().session().is_some(),
            "{:?}",
            self.h.state().failure()
        );
    }
}
