//! The finance screen (egui_kittest), driven as the finance clerk would:
//! a `finance` user lands on it at login, imports a terminal's journal by
//! typing its path (progress, then the result), finds a receipt at the
//! exchange desk and records its HIS invoice with the keyboard, and sees
//! the deadline worklist with overdue receipts.

mod finance_support;
mod gui_support;

use downtime_billing::clock::FixedClock;
use downtime_billing::i18n::Lang;
use downtime_billing::ui::finance::Tab;
use downtime_billing::ui::{App, Route};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use finance_support::{DRUG, Hospital};
use std::sync::Arc;

fn harness(dir: &downtime_billing::store::DataDir) -> Harness<'static, App> {
    let dir = dir.clone();
    Harness::builder()
        .with_size([1280.0, 860.0])
        .build_eframe(move |cc| {
            App::new(
                &cc.egui_ctx,
                dir,
                Lang::En,
                Arc::new(FixedClock::at(finance_support::NOW)),
            )
        })
}

fn ctrl(h: &mut Harness<'static, App>, key: egui::Key) {
    h.key_press_modifiers(egui::Modifiers::COMMAND, key);
    h.run();
}

#[test]
fn finance_clerk_imports_exchanges_and_works_the_deadline_list_by_keyboard() {
    let (h0, cw) = Hospital::new();
    let mut mz = h0.terminal("MZ01", "MZ01");
    mz.ready(1, 100, "2026-10-09T08:00:00+08:00", false);
    let old = mz.issue("2026-10-09T09:00:00+08:00", &[(DRUG, "2")], false, "张三");
    let other = mz.issue("2026-10-09T09:05:00+08:00", &[(DRUG, "1")], false, "李四");
    let recent = mz.issue("2026-10-30T09:00:00+08:00", &[(DRUG, "1")], false, "王五");
    let journal = mz.export(&h0.path("MZ01.journal"));
    let dir = cw.dir.clone();
    drop(cw);

    let mut h = harness(&dir);
    gui_support::log_in_by_keyboard(&mut h, "fin", finance_support::PIN);
    assert_eq!(
        h.state().route(),
        Route::Finance,
        "a finance user lands here"
    );

    // Import: type the path, Enter.
    h.get_by_label("Journal files").focus();
    h.run();
    gui_support::type_text(&mut h, journal.to_str().unwrap());
    h.key_press(egui::Key::Enter);
    gui_support::settle(&mut h);
    h.get_by_label_contains("3 new receipts");
    {
        let store = downtime_billing::store::Store::open(&dir).unwrap();
        let n: i64 = store
            .conn()
            .query_row("SELECT COUNT(*) FROM receipts", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3);
    }
    // The same file again: nothing changes, and the screen says so.
    h.get_by_label("Import").click();
    gui_support::settle(&mut h);
    h.get_by_label_contains("already imported");

    // Exchange desk (Ctrl+2): the search field has the cursor.
    ctrl(&mut h, egui::Key::Num2);
    gui_support::type_text(&mut h, &old);
    h.key_press(egui::Key::Enter);
    h.run();
    h.get_by_label(&format!("Selected: {old}"));
    h.get_by_label("HIS invoice no.").focus();
    h.run();
    gui_support::type_text(&mut h, "HIS2026000123");
    h.key_press(egui::Key::Enter);
    h.run();
    h.get_by_label_contains("recorded with HIS invoice HIS2026000123");
    {
        let store = downtime_billing::store::Store::open(&dir).unwrap();
        let v = downtime_billing::receipts::show(store.conn(), &old).unwrap();
        assert_eq!(v.status, downtime_billing::receipts::Status::Exchanged);
    }
    // The same invoice for another receipt is refused on screen.
    h.get_by_label("Find receipt").focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    gui_support::type_text(&mut h, "李四");
    h.key_press(egui::Key::Enter);
    h.run();
    h.get_by_label("HIS invoice no.").focus();
    h.run();
    gui_support::type_text(&mut h, "HIS2026000123");
    h.key_press(egui::Key::Enter);
    h.run();
    h.get_by_label_contains("already recorded against receipt");

    // Deadline worklist (Ctrl+3): the receipt of 9 Oct still open is
    // overdue on 2 Nov (deadline 29 Oct), the recent one is not.
    ctrl(&mut h, egui::Key::Num3);
    assert_eq!(h.state().finance().tab, Tab::Deadlines);
    let rows = &h.state().finance().deadlines;
    let numbers: Vec<&str> = rows.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(numbers, [other.as_str(), recent.as_str()]);
    assert!(rows[0].overdue && !rows[1].overdue);
    h.get_by_label("2 open receipts, 1 overdue");
    h.get_by_label("overdue 2");
    h.get_by_label("Overdue").click();
    h.run();
    h.get_by_label("1 open receipts, 1 overdue");

    // Reports (Ctrl+5), hosted in the same screen: the after-action
    // report of the imported outage, previewed with its hourly chart.
    ctrl(&mut h, egui::Key::Num5);
    assert_eq!(h.state().finance().tab, Tab::Reports);
    h.get_by_label("Preview").click();
    gui_support::settle(&mut h);
    h.get_by_label("Receipts per hour");

    // Post to HIS (Ctrl+6): its history is read when the tab opens.
    ctrl(&mut h, egui::Key::Num6);
    assert_eq!(h.state().finance().tab, Tab::Posting);
    gui_support::settle(&mut h);
    h.get_by_label("nothing posted yet");
}
