//! The receipt books screen (egui_kittest): on a terminal set up with the
//! sample list but no receipt book, the setup admin adds one through the
//! GUI alone and the status bar's next number appears; an overlapping book
//! is refused with the library's message and changes nothing; a cashier
//! does not see the screen at all.

use downtime_billing::auth::Role;
use downtime_billing::clock::FixedClock;
use downtime_billing::error::ErrorKind;
use downtime_billing::i18n::Lang;
use downtime_billing::receipts::ranges;
use downtime_billing::store::{DataDir, Store};
use downtime_billing::ui::{App, Route};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;

mod gui_support;
use gui_support::*;

/// Set up, the sample list in force, a cashier-only user, and no receipt
/// book: what a newcomer has right after the setup screens.
fn fresh_terminal() -> (tempfile::TempDir, DataDir) {
    let (tmp, dir) = set_up_with_sample();
    let clock = FixedClock::at(NOW);
    let mut store = Store::open(&dir).unwrap();
    let session = admin_session();
    downtime_billing::auth::users::add_user(
        &mut store,
        &session,
        &clock,
        "qian",
        &[Role::Cashier],
        "246802",
    )
    .unwrap();
    (tmp, dir)
}

fn harness(dir: &DataDir) -> Harness<'static, App> {
    let dir = dir.clone();
    Harness::builder()
        .with_size([1200.0, 800.0])
        .build_eframe(move |cc| {
            App::new(&cc.egui_ctx, dir, Lang::Zh, Arc::new(FixedClock::at(NOW)))
        })
}

fn fill(h: &mut Harness<'static, App>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    type_text(h, text);
    assert_eq!(h.get_by_label(label).value().as_deref(), Some(text));
}

fn stored_ranges(dir: &DataDir) -> Vec<(u64, u64)> {
    let store = Store::open(dir).unwrap();
    ranges::list(store.conn(), "MZ01")
        .unwrap()
        .iter()
        .map(|g| (g.from, g.to))
        .collect()
}

#[test]
fn the_setup_admin_adds_a_receipt_book_and_an_overlap_is_refused() {
    let (_tmp, dir) = fresh_terminal();
    let mut h = harness(&dir);
    log_in_by_keyboard(&mut h, "admin", "739146");
    h.get_by_label("无可用号段（请管理员添加）");
    assert_eq!(h.state().status().next_number, None);

    h.get_by_label("票据号段").click();
    settle(&mut h);
    assert_eq!(h.state().route(), Route::Ranges);
    h.get_by_label("本终端还没有号段：添加号段后才能开具票据");
    // The terminal field starts as this terminal's code.
    assert_eq!(h.get_by_label("终端代码").value().as_deref(), Some("MZ01"));
    fill(&mut h, "号段起始", "1");
    fill(&mut h, "号段终止", "100");
    h.get_by_label("添加号段").click();
    settle(&mut h);
    assert!(h.state().failure().is_none(), "{:?}", h.state().failure());
    h.get_by_label("已添加号段 MZ01-00000001 – MZ01-00000100");
    assert_eq!(
        h.state().status().next_number,
        Some(("MZ01-00000001".to_string(), 100))
    );
    assert!(h.query_by_label("无可用号段（请管理员添加）").is_none());
    // On screen twice: the list's first number and the status bar's next.
    assert_eq!(h.get_all_by_label("MZ01-00000001").count(), 2);
    h.get_by_label("MZ01-00000100");
    let listed = &h.state().ranges().ranges;
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].used, listed[0].left()), (0, 100));
    // What was typed is cleared for the next book.
    assert_eq!(h.get_by_label("号段起始").value().as_deref(), Some(""));

    // An overlapping book: the library's conflict, in red, nothing added.
    fill(&mut h, "号段起始", "50");
    fill(&mut h, "号段终止", "150");
    h.get_by_label("添加号段").click();
    settle(&mut h);
    let f = h.state().failure().expect("an overlap is refused");
    assert_eq!(f.kind, ErrorKind::Conflict);
    h.get_by_label("终端 MZ01 的号段 50–150 与已有号段 1–100 重叠");
    assert!(h.query_by_label_contains("已添加号段").is_none());
    assert_eq!(stored_ranges(&dir), vec![(1, 100)]);
    assert_eq!(h.state().ranges().ranges.len(), 1);
    assert_eq!(
        h.state().status().next_number,
        Some(("MZ01-00000001".to_string(), 100))
    );

    // From after to is refused as invalid, in English when chosen.
    h.get_by_label("English").click();
    h.run();
    h.get_by_label("Range from").focus();
    h.run();
    for _ in 0..2 {
        h.key_press(egui::Key::Backspace);
        h.run();
    }
    type_text(&mut h, "300");
    h.get_by_label("Range to").focus();
    h.run();
    for _ in 0..3 {
        h.key_press(egui::Key::Backspace);
        h.run();
    }
    type_text(&mut h, "200");
    h.get_by_label("Add range").click();
    settle(&mut h);
    let f = h.state().failure().expect("from after to is refused");
    assert_eq!(f.kind, ErrorKind::Invalid);
    h.get_by_label_contains("range 300–200 is invalid");
    assert_eq!(stored_ranges(&dir), vec![(1, 100)]);
}

#[test]
fn a_cashier_does_not_see_the_receipt_books() {
    let (_tmp, dir) = fresh_terminal();
    let mut h = harness(&dir);
    log_in_by_keyboard(&mut h, "qian", "246802");
    assert_eq!(h.state().route(), Route::Cashier);
    // The navigation is drawn, just without the admin's screens.
    h.get_by_label("价格表");
    assert!(h.query_by_label("票据号段").is_none());
    assert!(h.query_by_label("用户管理").is_none());
    assert!(h.state().ranges().ranges.is_empty());
}
