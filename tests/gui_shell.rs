//! The GUI shell driven as a person would, by label, through egui_kittest:
//! the first-run setup form, login, and (once a list is imported) the
//! price-list browser.

use downtime_billing::clock::FixedClock;
use downtime_billing::i18n::Lang;
use downtime_billing::store::DataDir;
use downtime_billing::ui::{App, Route};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;

const NOW: &str = "2026-11-22T09:00:00+08:00";

fn harness(dir: &DataDir, lang: Lang) -> Harness<'static, App> {
    let dir = dir.clone();
    Harness::builder()
        .with_size([1100.0, 720.0])
        .build_eframe(move |cc| App::new(&cc.egui_ctx, dir, lang, Arc::new(FixedClock::at(NOW))))
}

/// Types into the field named `label`, replacing what it held.
fn fill(h: &mut Harness<'static, App>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.get_by_label(label).type_text(text);
    h.run();
}

#[test]
fn setup_form_creates_the_database_and_logs_the_admin_in() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let mut h = harness(&dir, Lang::Zh);
    h.run();
    assert_eq!(h.state().route(), Route::Setup);
    fill(&mut h, "终端代码", "MZ02");
    fill(&mut h, "医院名称", "测试医院");
    fill(&mut h, "管理员 PIN", "123456");
    fill(&mut h, "再次输入 PIN", "123456");
    h.run();
    h.get_by_label("创建数据库").click();
    h.run();
    assert!(dir.db_path().exists(), "the form created no database");
    assert!(h.state().failure().is_none(), "{:?}", h.state().failure());
    let session = h
        .state()
        .session()
        .expect("the admin is logged in after setup");
    assert_eq!(session.user.as_str(), "admin");
    assert_eq!(session.terminal.as_str(), "MZ02");
    h.get_by_label("MZ02");
}

#[test]
fn setup_form_refuses_two_different_pins() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let mut h = harness(&dir, Lang::En);
    h.run();
    fill(&mut h, "Hospital name", "Test hospital");
    fill(&mut h, "Admin PIN", "123456");
    fill(&mut h, "PIN again", "654321");
    h.run();
    h.get_by_label("Create the database").click();
    h.run();
    assert!(!dir.db_path().exists());
    h.get_by_label("The two PINs differ");
}
