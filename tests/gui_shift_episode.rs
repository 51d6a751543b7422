//! The outage episode from the keyboard: declared (level, reason, drill)
//! on the cashier screen, its duration ticking in the status bar with no
//! key pressed, and ended with F12 + Enter (Esc cancels).

use chrono::{DateTime, Duration, FixedOffset};
use downtime_billing::clock::Clock;
use downtime_billing::i18n::Lang;
use downtime_billing::receipts::episodes;
use downtime_billing::store::Store;
use downtime_billing::ui::App;
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::{Arc, Mutex};

mod gui_shift_support;
use gui_shift_support::*;

/// A clock the test moves forward.
struct Ticking(Mutex<DateTime<FixedOffset>>);

impl Clock for Ticking {
    fn now(&self) -> DateTime<FixedOffset> {
        *self.0.lock().unwrap()
    }
}

impl Ticking {
    fn advance(&self, d: Duration) {
        let mut t = self.0.lock().unwrap();
        *t += d;
    }
}

/// Catches: the level or drill not reachable by keyboard, Enter in the
/// reason not declaring, the status bar's duration updated only after an
/// action (it must move with the clock alone), F12 not ending the episode,
/// and Esc not cancelling the confirmation.
#[test]
fn an_episode_is_declared_ticks_and_is_ended_by_keyboard() {
    let (_tmp, dir, _codes) = ready_terminal(false);
    let clock = Arc::new(Ticking(Mutex::new(
        DateTime::parse_from_rfc3339("2026-11-22T08:00:00+08:00").unwrap(),
    )));
    let app_clock: Arc<dyn Clock> = clock.clone();
    let d = dir.clone();
    let mut h: Harness<'static, App> = Harness::builder()
        .with_size([1024.0, 600.0])
        .with_max_steps(12)
        .build_eframe(move |cc| App::new(&cc.egui_ctx, d, Lang::Zh, app_clock));
    let mut k = Keys::new(&mut h);
    k.log_in(LILY, LILY_PIN);
    assert!(
        k.h.get_all_by_label_contains("尚未声明应急事件")
            .next()
            .is_some()
    );
    // The cursor is in the reason. Shift+Tab reaches the level buttons
    // (IV is next to it), Space picks; Tab back; the reason; Tab, Space
    // ticks "drill"; Shift+Tab back to the reason; Enter declares.
    k.press_with(egui::Modifiers::SHIFT, egui::Key::Tab);
    k.press(egui::Key::Space);
    k.press(egui::Key::Tab);
    k.type_text("HIS 数据库宕机");
    k.press(egui::Key::Tab);
    k.press(egui::Key::Space);
    k.press_with(egui::Modifiers::SHIFT, egui::Key::Tab);
    k.press(egui::Key::Enter);
    assert!(
        k.h.state().failure().is_none(),
        "{:?}",
        k.h.state().failure()
    );
    let store = Store::open(&dir).unwrap();
    let e = episodes::current(store.conn(), "MZ01")
        .unwrap()
        .expect("declared");
    assert_eq!(e.level, "IV");
    assert_eq!(e.reason, "HIS 数据库宕机");
    assert!(e.drill);
    k.h.get_by_label_contains("0 h 00 min");
    // The cursor is in the patient's name, ready for the first receipt.
    k.type_text("张三");
    assert_eq!(k.h.state().cashier().request().patient.name, "张三");

    // 75 minutes later, nothing typed: the status bar says so.
    clock.advance(Duration::minutes(75));
    k.h.step();
    k.h.step();
    k.h.get_by_label_contains("1 h 15 min");

    // F12 asks; Esc cancels; F12 and Enter end it.
    k.press(egui::Key::F12);
    k.h.get_by_label("确认结束");
    k.press(egui::Key::Escape);
    assert!(episodes::current(store.conn(), "MZ01").unwrap().is_some());
    k.press(egui::Key::F12);
    k.press(egui::Key::Enter);
    assert!(
        k.h.state().failure().is_none(),
        "{:?}",
        k.h.state().failure()
    );
    assert!(episodes::current(store.conn(), "MZ01").unwrap().is_none());
    k.h.get_by_label_contains("持续 1 小时 15 分");
    // The screen is back to the declaration form.
    assert!(
        k.h.get_all_by_label_contains("尚未声明应急事件")
            .next()
            .is_some()
    );
}
