//! Screens reached from the menu by keyboard take the cursor where the work
//! starts, so a person (and scripts/screenshots.sh, which drives the GUI by
//! xdotool only) can type at once: the admin's price-list import puts it in
//! the file field, the finance Reports tab on Preview (Enter previews the
//! newest outage).

use downtime_billing::clock::FixedClock;
use downtime_billing::i18n::Lang;
use downtime_billing::receipts::episodes;
use downtime_billing::store::{DataDir, Store};
use downtime_billing::ui::{App, Route};
use eframe::egui;
use egui_kittest::Harness;
use std::sync::Arc;

mod gui_support;
use gui_support::*;

fn harness(dir: &DataDir) -> Harness<'static, App> {
    let dir = dir.clone();
    Harness::builder()
        .with_size([1024.0, 600.0])
        .build_eframe(move |cc| {
            App::new(&cc.egui_ctx, dir, Lang::Zh, Arc::new(FixedClock::at(NOW)))
        })
}

fn ctrl(h: &mut Harness<'static, App>, key: egui::Key) {
    h.key_press_modifiers(egui::Modifiers::COMMAND, key);
    settle(h);
}

/// Catches: the price-list screen not taking the cursor on entry (drop the
/// `focus_file` request in `prices_admin.rs`): the typed path goes nowhere
/// and Enter checks nothing.
#[test]
fn ctrl_4_then_typing_a_path_and_enter_checks_that_file() {
    let (_tmp, dir) = set_up_with_sample();
    let mut h = harness(&dir);
    log_in_by_keyboard(&mut h, "admin", ADMIN_PIN);
    ctrl(&mut h, egui::Key::Num4);
    assert_eq!(h.state().route(), Route::AdminPrices);
    let path = format!(
        "{}/../shared/data/import/bad_non_numeric_price.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    type_text(&mut h, &path);
    assert_eq!(
        h.state().prices_admin().path,
        path,
        "the cursor was not in the file field"
    );
    h.key_press(egui::Key::Enter);
    settle(&mut h);
    let p = h
        .state()
        .prices_admin()
        .preview
        .as_ref()
        .expect("Enter in the file field checks the file");
    let first = p.preview.analysis.problems[0].location();
    assert!(first.starts_with("bad_non_numeric_price.csv:5:"), "{first}");
}

/// Catches: the Reports tab not taking the cursor (drop the `focus_preview`
/// request in `finance/reports.rs`, or FinanceScreen not passing the tab's
/// entry on): Enter after Ctrl+5 previews nothing.
#[test]
fn ctrl_5_on_the_finance_screen_then_enter_previews_the_newest_outage() {
    let (_tmp, dir) = set_up_with_sample();
    {
        let mut store = Store::open(&dir).unwrap();
        episodes::open(
            &mut store,
            &admin_session(),
            &FixedClock::at(NOW),
            episodes::Level::parse("II").unwrap(),
            "HIS 服务器宕机",
            episodes::EpisodeKind::Real,
        )
        .unwrap();
    }
    let mut h = harness(&dir);
    log_in_by_keyboard(&mut h, "admin", ADMIN_PIN);
    // The setup admin's menu: the finance screen is its ninth entry.
    ctrl(&mut h, egui::Key::Num9);
    assert_eq!(h.state().route(), Route::Finance);
    ctrl(&mut h, egui::Key::Num5);
    assert!(h.state().finance().reports().report().is_none());
    h.key_press(egui::Key::Enter);
    settle(&mut h);
    // The report is built on a worker thread.
    for _ in 0..500 {
        if !h.state().finance().reports().busy() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.run();
    }
    assert!(
        h.state().finance().reports().report().is_some(),
        "Enter did not preview: {:?}",
        h.state().finance().reports().message()
    );
}
