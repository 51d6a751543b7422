//! What the GUI tests share: a set-up data dir with the sample list in
//! force, the setup admin's session, and driving the harness (settling
//! background jobs, typing, logging in by keyboard).
#![allow(dead_code)] // each test file uses its own subset

use downtime_billing::auth::{Role, Session};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::{Month, TerminalCode, UserName};
use downtime_billing::prices;
use downtime_billing::setup::{SetupParams, setup};
use downtime_billing::store::{DataDir, Store};
use downtime_billing::ui::App;
use eframe::egui;
use egui_kittest::Harness;

pub const NOW: &str = "2026-11-22T09:00:00+08:00";
/// The setup admin's PIN (not a trivial one: those are refused).
pub const ADMIN_PIN: &str = "739146";

/// The setup admin (admin/739146, every role) at terminal MZ01.
pub fn admin_session() -> Session {
    Session::new(
        UserName::parse("admin").unwrap(),
        &Role::ALL,
        TerminalCode::parse("MZ01").unwrap(),
    )
}

/// A set-up data dir (admin/739146) with the newest sample list imported
/// for 2026-11, through the library as the GUI's offer does.
pub fn set_up_with_sample() -> (tempfile::TempDir, DataDir) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let clock = FixedClock::at(NOW);
    setup(
        &dir,
        &SetupParams {
            terminal: "MZ01".into(),
            hospital: "测试医院".into(),
            admin: "admin".into(),
            admin_pin: ADMIN_PIN.into(),
            signing_key_file: None,
        },
        &clock,
    )
    .unwrap();
    let sample = downtime_billing::ui::sample::find();
    let analysis = prices::analyse_bytes(&sample.file_name, &sample.bytes);
    assert!(analysis.is_valid(), "{:?}", analysis.problems);
    let mut store = Store::open(&dir).unwrap();
    prices::import_parsed(
        &mut store,
        &admin_session(),
        &clock,
        &analysis.list,
        Month::parse("2026-11").unwrap(),
        &mut |_| {},
    )
    .unwrap();
    (tmp, dir)
}

/// Steps the harness until every background job has finished.
pub fn settle(h: &mut Harness<'static, App>) {
    h.step();
    while h.state().busy() {
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    h.run();
}

/// Types into the focused field.
pub fn type_text(h: &mut Harness<'static, App>, text: &str) {
    h.event(egui::Event::Text(text.to_string()));
    h.run();
}

/// Logs in by keyboard: the login screen starts with the cursor in the user
/// field, Enter moves to the PIN, Enter logs in.
pub fn log_in_by_keyboard(h: &mut Harness<'static, App>, user: &str, pin: &str) {
    settle(h);
    type_text(h, user);
    h.key_press(egui::Key::Enter);
    h.run();
    type_text(h, pin);
    h.key_press(egui::Key::Enter);
    settle(h);
    assert!(h.state().session().is_some(), "{:?}", h.state().failure());
}
