//! Security in the GUI (egui_kittest): the idle lock keeps the screen's
//! state and opens only with the same person's PIN, the admin's users
//! screen adds a user, and a database changed behind the program's back
//! raises the red verify banner at start.

use downtime_billing::auth::Role;
use downtime_billing::clock::FixedClock;
use downtime_billing::i18n::Lang;
use downtime_billing::receipts::{episodes, ranges};
use downtime_billing::store::{DataDir, Store};
use downtime_billing::ui::{App, Route};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;

mod gui_support;
use gui_support::*;

fn ready_terminal(idle_minutes: &str) -> (tempfile::TempDir, DataDir) {
    let (tmp, dir) = set_up_with_sample();
    let clock = FixedClock::at(NOW);
    let mut store = Store::open(&dir).unwrap();
    let s = admin_session();
    ranges::add(&mut store, &s, &clock, "MZ01", 1, 100).unwrap();
    episodes::open(
        &mut store,
        &s,
        &clock,
        episodes::Level::parse("III").unwrap(),
        "演练",
        episodes::EpisodeKind::Drill,
    )
    .unwrap();
    downtime_billing::auth::settings::set(
        &mut store,
        &s,
        &clock,
        "ui.idle_lock_minutes",
        idle_minutes,
    )
    .unwrap();
    (tmp, dir)
}

fn harness(dir: &DataDir, step_dt: f32) -> Harness<'static, App> {
    let dir = dir.clone();
    Harness::builder()
        .with_size([1200.0, 800.0])
        .with_step_dt(step_dt)
        .build_eframe(move |cc| {
            App::new(&cc.egui_ctx, dir, Lang::Zh, Arc::new(FixedClock::at(NOW)))
        })
}

#[test]
fn idle_lock_keeps_the_screen_and_opens_with_the_same_pin() {
    let (_tmp, dir) = ready_terminal("1");
    // Each frame advances egui's clock by 5 s: 12 idle frames are a minute.
    let mut h = harness(&dir, 5.0);
    h.run();
    log_in_by_keyboard(&mut h, "admin", "739146");
    assert_eq!(h.state().route(), Route::Cashier);
    h.key_press(egui::Key::F2);
    h.run();
    type_text(&mut h, "赵六");
    assert_eq!(h.get_by_label("患者姓名").value().as_deref(), Some("赵六"));
    assert!(!h.state().locked());
    for _ in 0..14 {
        h.step();
    }
    assert!(h.state().locked(), "locked after a minute without input");
    h.run();
    h.get_by_label("屏幕已锁定");
    assert!(
        h.query_by_label("患者姓名").is_none(),
        "the form is hidden while locked"
    );

    type_text(&mut h, "000000");
    h.key_press(egui::Key::Enter);
    h.run();
    assert!(h.state().locked());
    let f = h.state().failure().expect("a wrong PIN is refused");
    assert!(f.zh.contains("PIN"), "{}", f.zh);

    h.get_by_label("输入 PIN 解锁").focus();
    h.run();
    type_text(&mut h, "739146");
    h.key_press(egui::Key::Enter);
    h.run();
    assert!(!h.state().locked(), "{:?}", h.state().failure());
    // The half-written receipt is still there.
    assert_eq!(h.get_by_label("患者姓名").value().as_deref(), Some("赵六"));
}

#[test]
fn admin_adds_a_cashier_on_the_users_screen() {
    let (_tmp, dir) = ready_terminal("5");
    let mut h = harness(&dir, 0.25);
    h.run();
    log_in_by_keyboard(&mut h, "admin", "739146");
    h.get_by_label("用户管理").click();
    settle(&mut h);
    assert_eq!(h.state().route(), Route::Users);
    for (label, text) in [
        ("新用户名", "qian"),
        ("初始 PIN", "246802"),
        ("再次输入初始 PIN", "246802"),
    ] {
        h.get_by_label(label).focus();
        h.run();
        type_text(&mut h, text);
    }
    // The first role box of the add form is "cashier".
    h.get_all_by_label("收费员").last().unwrap().click();
    h.run();
    h.get_by_label("添加").click();
    settle(&mut h);
    assert!(h.state().failure().is_none(), "{:?}", h.state().failure());
    h.get_by_label("qian");
    let store = Store::open(&dir).unwrap();
    let u = downtime_billing::auth::find_user(store.conn(), "qian")
        .unwrap()
        .expect("the user was added");
    assert_eq!(u.roles, vec![Role::Cashier]);
}

#[test]
fn a_database_changed_behind_the_programs_back_shows_the_red_banner() {
    let (_tmp, dir) = ready_terminal("5");
    {
        let conn = rusqlite::Connection::open(dir.db_path()).unwrap();
        let trigger: String = conn
            .query_row(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log' LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        conn.execute_batch(&format!("DROP TRIGGER {trigger}"))
            .unwrap();
    }
    let mut h = harness(&dir, 0.25);
    settle(&mut h);
    assert!(!h.state().verify_problems().is_empty());
    h.get_by_label_contains("数据校验发现问题");
}
