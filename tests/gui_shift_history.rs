//! Receipt history (收费记录) and the refund screen, by keyboard: a cashier
//! finds earlier receipts by patient, number and date (never another
//! cashier's), opens one, and refunds a line with a supervisor's PIN; a
//! drug line the pharmacy handed out says it must come back there first.

use downtime_billing::auth::Role;
use downtime_billing::clock::FixedClock;
use downtime_billing::i18n::Lang;
use downtime_billing::pharmacy::{self, LineQty};
use downtime_billing::receipts::{self, query::Status};
use downtime_billing::store::Store;
use downtime_billing::ui::Route;
use eframe::egui;
use egui_kittest::kittest::Queryable;

mod gui_shift_support;
use gui_shift_support::*;

fn patients(h: &egui_kittest::Harness<'static, downtime_billing::ui::App>) -> Vec<String> {
    let found = h.state().history().found();
    found.rows.iter().map(|r| r.patient.clone()).collect()
}

/// Catches: the patient or date filter ignored (every receipt listed), the
/// cashier filter dropped (ming's receipt shown to lily, in the history or
/// in the cashier screen's recent list), Enter on an
/// unchanged search not opening the highlighted receipt, and the history
/// reachable only by the mouse (Ctrl+2).
#[test]
fn history_finds_a_cashiers_own_receipts_by_patient_number_and_date() {
    let (_tmp, dir, codes) = ready_terminal(true);
    let a = issue(
        &dir,
        LILY,
        "2026-11-22T09:10:00+08:00",
        "张三",
        &[(&codes.lab, "1")],
    );
    let b = issue(
        &dir,
        LILY,
        "2026-11-22T09:20:00+08:00",
        "李四",
        &[(&codes.drug, "2")],
    );
    let c = issue(
        &dir,
        LILY,
        "2026-11-22T09:40:00+08:00",
        "张三丰",
        &[(&codes.exam, "1")],
    );
    let theirs = issue(
        &dir,
        MING,
        "2026-11-22T09:45:00+08:00",
        "张五",
        &[(&codes.lab, "1")],
    );

    let mut h = harness(&dir, [1024.0, 600.0], Lang::Zh);
    let mut k = Keys::new(&mut h);
    k.log_in(LILY, LILY_PIN);
    // The cashier screen's recent receipts are hers too: the terminal's
    // newest (ming's) is not the one F8/F9 would act on.
    assert_eq!(k.h.state().cashier().selected_recent().unwrap().number, c);
    k.press_with(egui::Modifiers::COMMAND, egui::Key::Num2);
    assert_eq!(k.h.state().route(), Route::History);
    // On entry: this cashier's receipts, newest first; ming's is not there.
    let numbers: Vec<String> =
        k.h.state()
            .history()
            .found()
            .rows
            .iter()
            .map(|r| r.number.clone())
            .collect();
    assert_eq!(numbers, vec![c.clone(), b.clone(), a.clone()]);
    assert!(!numbers.contains(&theirs));

    // By patient: Tab to the name, type part of it, Enter.
    k.press(egui::Key::Tab);
    k.type_text("张三");
    k.press(egui::Key::Enter);
    assert_eq!(patients(k.h), vec!["张三丰", "张三"]);
    // By date: another day finds nothing, today's finds them again.
    k.press(egui::Key::Tab);
    k.type_text("11-21");
    k.press(egui::Key::Enter);
    assert!(patients(k.h).is_empty());
    for _ in 0..5 {
        k.press(egui::Key::Backspace);
    }
    k.type_text("2026-11-22");
    k.press(egui::Key::Enter);
    assert_eq!(patients(k.h).len(), 2);
    // A date that is not one is said in words, nothing is searched.
    k.type_text("x");
    k.press(egui::Key::Enter);
    let f =
        k.h.state()
            .failure()
            .expect("a bad date is refused")
            .zh
            .clone();
    assert!(f.contains("日期"), "{f}");
    k.press(egui::Key::Backspace);
    k.press(egui::Key::Escape);
    assert!(k.h.state().failure().is_none(), "Esc closes the message");

    // By number: Shift+Tab twice back to the number, part of it, Enter.
    k.press_with(egui::Modifiers::SHIFT, egui::Key::Tab);
    k.press_with(egui::Modifiers::SHIFT, egui::Key::Tab);
    k.type_text(&b[b.len() - 3..]);
    k.press(egui::Key::Enter);
    // Name filter still "张三": 李四's number with it finds nothing.
    assert!(
        patients(k.h).is_empty(),
        "{:?} {:?}",
        patients(k.h),
        k.h.state().failure()
    );
    k.press(egui::Key::Tab);
    for _ in 0..2 {
        k.press(egui::Key::Backspace);
    }
    k.press(egui::Key::Enter);
    assert_eq!(patients(k.h), vec!["李四"]);
    // Enter again with the same filters opens it: lines, payments, events.
    k.press(egui::Key::Enter);
    let opened = k.h.state().history().opened().expect("opened").view.clone();
    assert_eq!(opened.number, b);
    k.h.get_by_label_contains("现金 ¥");
    // Esc goes back to the list.
    k.press(egui::Key::Escape);
    assert!(k.h.state().history().opened().is_none());
}

/// Catches: a refund issued without checking the supervisor's PIN, the
/// refund of a dispensed drug not refused (or its warning not shown), a
/// refund that does not make a credit note, and the dialog not reachable or
/// confirmable by keyboard (F7, Enter through the fields).
#[test]
fn a_refund_needs_a_supervisor_and_the_pharmacys_return_for_drugs() {
    let (_tmp, dir, codes) = ready_terminal(true);
    let number = issue(
        &dir,
        LILY,
        "2026-11-22T09:10:00+08:00",
        "赵六",
        &[(&codes.drug, "2"), (&codes.lab, "1")],
    );
    {
        // The pharmacy handed out both units of the drug line.
        let mut store = Store::open(&dir).unwrap();
        let key = downtime_billing::keys::wrap::unlock_dir(&dir, "admin", ADMIN_PIN).unwrap();
        pharmacy::dispense(
            &mut store,
            &session(ADMIN, &Role::ALL),
            &FixedClock::at("2026-11-22T09:15:00+08:00"),
            &key,
            &number,
            &[LineQty { line: 1, qty: None }],
        )
        .unwrap();
    }
    let mut h = harness(&dir, [1024.0, 600.0], Lang::Zh);
    let mut k = Keys::new(&mut h);
    k.log_in(LILY, LILY_PIN);
    k.press_with(egui::Modifiers::COMMAND, egui::Key::Num2);
    k.press(egui::Key::Enter); // the newest is highlighted: open it
    assert_eq!(k.h.state().history().opened().unwrap().view.number, number);

    // 1. The drug line: refused until the pharmacy confirms the return.
    k.press(egui::Key::F7);
    k.h.get_by_label_contains("退费前需药房确认退药");
    k.type_text("1"); // line 1
    k.press(egui::Key::Enter);
    k.press(egui::Key::Enter); // line 2: nothing
    k.type_text("退药");
    k.press(egui::Key::Enter);
    k.type_text(BOSS);
    k.press(egui::Key::Enter);
    k.type_text(BOSS_PIN);
    k.press(egui::Key::Enter);
    let f = k.h.state().failure().expect("refused").zh.clone();
    assert!(f.contains("药房"), "{f}");

    // 2. The lab line with a wrong supervisor PIN: refused, nothing written.
    k.press(egui::Key::F7);
    k.press(egui::Key::Enter);
    k.type_text("1");
    k.press(egui::Key::Enter);
    k.type_text("检验未做");
    k.press(egui::Key::Enter);
    k.type_text(BOSS);
    k.press(egui::Key::Enter);
    k.type_text("918273");
    k.press(egui::Key::Enter);
    let f = k.h.state().failure().expect("wrong PIN").zh.clone();
    assert!(f.contains(BOSS), "{f}");
    let store = Store::open(&dir).unwrap();
    assert!(
        receipts::show(store.conn(), &number)
            .unwrap()
            .credit_notes
            .is_empty()
    );

    // 3. The same with the right PIN: a credit note, the receipt partly refunded.
    k.press(egui::Key::F7);
    k.press(egui::Key::Enter);
    k.type_text("1");
    k.press(egui::Key::Enter);
    k.type_text("检验未做");
    k.press(egui::Key::Enter);
    k.type_text(BOSS);
    k.press(egui::Key::Enter);
    k.type_text(BOSS_PIN);
    k.press(egui::Key::Enter);
    assert!(
        k.h.state().failure().is_none(),
        "{:?}",
        k.h.state().failure()
    );
    let v = receipts::show(store.conn(), &number).unwrap();
    assert_eq!(v.credit_notes.len(), 1, "one credit note");
    assert_eq!(v.status, Status::PartlyRefunded);
    let note = receipts::show(store.conn(), &v.credit_notes[0]).unwrap();
    assert_eq!(note.supervisor.as_deref(), Some(BOSS));
    assert_eq!(note.lines.len(), 1);
    assert_eq!(note.lines[0].refers_line, Some(2));
    // Said on screen, with the credit note's number; the opened receipt
    // shows the refund.
    let said = format!("红字凭证 {}", v.credit_notes[0]);
    assert!(k.h.get_all_by_label_contains(&said).next().is_some());
    assert_eq!(
        k.h.state().history().opened().unwrap().view.status,
        Status::PartlyRefunded
    );
}
