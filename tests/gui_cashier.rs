//! The cashier screen driven by the keyboard alone (egui_kittest): a
//! 5-item cash receipt with the key events counted, and a void approved by
//! a supervisor's PIN.

use downtime_billing::auth::Role;
use downtime_billing::clock::FixedClock;
use downtime_billing::i18n::Lang;
use downtime_billing::receipts::{self, episodes, ranges};
use downtime_billing::store::{DataDir, Store};
use downtime_billing::ui::{App, Route};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;

mod gui_support;
use gui_support::*;

/// A terminal ready to issue: set up, the sample list in force, a receipt
/// book, an open episode, and a second admin (a supervisor for voids).
fn ready_terminal() -> (tempfile::TempDir, DataDir) {
    let (tmp, dir) = set_up_with_sample();
    let clock = FixedClock::at(NOW);
    let mut store = Store::open(&dir).unwrap();
    let session = admin_session();
    ranges::add(&mut store, &session, &clock, "MZ01", 1, 500).unwrap();
    episodes::open(
        &mut store,
        &session,
        &clock,
        episodes::Level::parse("II").unwrap(),
        "HIS 服务器宕机",
        downtime_billing::receipts::episodes::EpisodeKind::Real,
    )
    .unwrap();
    downtime_billing::auth::users::add_user(
        &mut store,
        &session,
        &clock,
        "boss",
        &[Role::Admin, Role::Cashier],
        "135790",
    )
    .unwrap();
    (tmp, dir)
}

/// Sends key events and counts them: every key press and every typed
/// character is one keystroke.
struct Keys<'h> {
    h: &'h mut Harness<'static, App>,
    count: usize,
}

impl Keys<'_> {
    fn press(&mut self, key: egui::Key) {
        self.h.key_press(key);
        self.count += 1;
        self.settle();
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.h.event(egui::Event::Text(c.to_string()));
            self.count += 1;
            self.h.step();
        }
        self.settle();
    }

    fn settle(&mut self) {
        self.h.step();
        while self.h.state().busy() {
            std::thread::sleep(std::time::Duration::from_millis(5));
            self.h.step();
        }
        self.h.run();
    }
}

/// The unit price of `code` in the sample list the terminal imported, read
/// from the file itself (not from the program).
fn sample_price(code: &str) -> rust_decimal::Decimal {
    let sample = downtime_billing::ui::sample::find();
    let mut r = csv::Reader::from_reader(sample.bytes.as_slice());
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (c, p) = (col("code"), col("price"));
    r.records()
        .map(|rec| rec.unwrap())
        .find(|rec| &rec[c] == code)
        .map(|rec| rec[p].parse().unwrap())
        .unwrap_or_else(|| panic!("{code} not in the sample list"))
}

/// A line's amount as the rules say: unit price × quantity, half-up to the
/// fen, computed here.
fn line_amount(price: rust_decimal::Decimal, qty: rust_decimal::Decimal) -> rust_decimal::Decimal {
    (price * qty).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

fn harness(dir: &DataDir) -> Harness<'static, App> {
    let dir = dir.clone();
    Harness::builder()
        .with_size([1200.0, 800.0])
        .build_eframe(move |cc| {
            App::new(
                &cc.egui_ctx,
                dir,
                Lang::Zh,
                Arc::new(FixedClock::at("2026-11-22T10:30:00+08:00")),
            )
        })
}

/// Break it catches: a quantity typed after Enter not reaching the line
/// (every line stored with 1), a line priced or totalled wrongly (the total
/// and change are checked against amounts computed here from the sample
/// file), a running total that is not on screen before settling.
#[test]
fn a_cashier_issues_a_five_item_cash_receipt_without_the_mouse() {
    let (_tmp, dir) = ready_terminal();
    let mut h = harness(&dir);
    h.run();
    let mut k = Keys {
        h: &mut h,
        count: 0,
    };
    // Login: the cursor starts in the user field.
    k.type_text("admin");
    k.press(egui::Key::Enter);
    k.type_text("739146");
    k.press(egui::Key::Enter);
    assert!(
        k.h.state().failure().is_none(),
        "{:?}",
        k.h.state().failure()
    );
    assert_eq!(
        k.h.state().route(),
        Route::Cashier,
        "{:?} {:?}",
        k.h.state().failure(),
        k.h.state().verify_problems()
    );
    assert!(
        k.h.state().cashier().index().is_some(),
        "the list in force is loaded"
    );
    let login_keys = k.count;

    k.press(egui::Key::F2);
    k.type_text("张三");
    k.press(egui::Key::F3);
    let items = [
        ("amxljn", "2"),
        ("tbfx", ""),
        ("aqms", "3"),
        ("blfh", ""),
        ("xbdp", "2"),
    ];
    let mut expected = Vec::new();
    for (query, qty) in items {
        k.type_text(query);
        let hit = k.h.state().cashier().hits()[0];
        let index = k.h.state().cashier().index().cloned().unwrap();
        expected.push(index.item(hit.index).code.clone());
        k.press(egui::Key::Enter);
        if !qty.is_empty() {
            k.type_text(qty);
        }
        k.press(egui::Key::Enter);
    }
    assert_eq!(k.h.state().cashier().lines().len(), 5);
    // What the receipt must come to, computed here: the quantities typed
    // (an empty quantity is 1) times the sample file's unit prices.
    let qtys: Vec<rust_decimal::Decimal> = items
        .iter()
        .map(|(_, q)| if q.is_empty() { "1" } else { q }.parse().unwrap())
        .collect();
    let computed: rust_decimal::Decimal = expected
        .iter()
        .zip(&qtys)
        .map(|(code, q)| line_amount(sample_price(code), *q))
        .sum();
    let computed_text = format!("{computed:.2}");
    let (total, words) =
        k.h.state()
            .cashier()
            .total()
            .cloned()
            .expect("a running total");
    assert_eq!(total.to_string(), computed_text);
    // The running total and its 大写 are on screen before settling.
    k.h.get_by_label_contains(&words);
    k.h.get_by_label_contains(&computed_text);
    k.press(egui::Key::F4);
    k.type_text("1000");
    k.press(egui::Key::Enter);
    let receipt_keys = k.count - login_keys;
    println!(
        "keyboard-only 5-item cash receipt: {receipt_keys} keystrokes (+{login_keys} to log in)"
    );

    assert!(h.state().failure().is_none(), "{:?}", h.state().failure());
    let last = h
        .state()
        .cashier()
        .last()
        .cloned()
        .expect("a receipt was issued");
    assert_eq!(last.number, "MZ01-00000001");
    assert_eq!(last.total.to_string(), computed_text);
    assert_eq!(
        last.change.to_string(),
        format!("{:.2}", rust_decimal::Decimal::from(1000) - computed)
    );
    assert!(
        last.printed.is_some(),
        "the PDF was produced after the commit"
    );
    let store = Store::open(&dir).unwrap();
    let v = receipts::show(store.conn(), "MZ01-00000001").unwrap();
    let codes: Vec<String> = v.lines.iter().map(|l| l.code.clone()).collect();
    assert_eq!(codes, expected);
    // stored as typed: the quantities, each line's amount, the total
    let stored_qtys: Vec<rust_decimal::Decimal> =
        v.lines.iter().map(|l| l.qty.parse().unwrap()).collect();
    assert_eq!(stored_qtys, qtys);
    for (l, q) in v.lines.iter().zip(&qtys) {
        assert_eq!(
            l.amount.to_string(),
            format!("{:.2}", line_amount(sample_price(&l.code), *q)),
            "line {}",
            l.line
        );
    }
    assert_eq!(v.total.to_string(), computed_text);
    assert_eq!(v.change.to_string(), last.change.to_string());
    assert_eq!(v.patient["name"], "张三");
    // The status bar moved on to the next number.
    h.get_by_label("MZ01-00000002");
    // Counted, not timed: the count is the evidence, the bound keeps it honest.
    assert!(receipt_keys <= 50, "{receipt_keys} keystrokes");
}

/// Break it catches: a void that is not stored or not shown — the recent
/// list must change the receipt's row from 已开具 to 作废 and the notice
/// name the number (the old check for "作废" was satisfied by the
/// always-visible key hint "F8 作废"); a wrong supervisor PIN that voids.
#[test]
fn a_void_needs_a_supervisor_pin_and_marks_the_receipt() {
    let (_tmp, dir) = ready_terminal();
    let mut h = harness(&dir);
    h.run();
    let mut k = Keys {
        h: &mut h,
        count: 0,
    };
    k.type_text("admin");
    k.press(egui::Key::Enter);
    k.type_text("739146");
    k.press(egui::Key::Enter);
    k.press(egui::Key::F2);
    k.type_text("李四");
    k.press(egui::Key::F3);
    k.type_text("aqms");
    k.press(egui::Key::Enter);
    k.press(egui::Key::Enter);
    let code = k.h.state().cashier().lines()[0].code.clone();
    k.press(egui::Key::F4);
    k.type_text("50");
    k.press(egui::Key::Enter);
    let number = k.h.state().cashier().last().cloned().unwrap().number;
    let total = k.h.state().cashier().last().cloned().unwrap().total;
    // one item, quantity 1, priced from the sample file
    assert_eq!(total.to_string(), format!("{:.2}", sample_price(&code)));
    let row = |status: &str| format!("{number}  李四  ¥{total}  {status}");
    k.h.get_by_label(&row("已开具"));

    // F8 voids the highlighted recent receipt (the newest).
    k.press(egui::Key::F8);
    k.type_text("收错项目");
    k.press(egui::Key::Tab);
    k.type_text("boss");
    k.press(egui::Key::Tab);
    k.type_text("000000");
    k.press(egui::Key::Enter);
    let f =
        k.h.state()
            .failure()
            .expect("a wrong supervisor PIN is refused");
    assert!(f.zh.contains("boss"), "{}", f.zh);
    {
        let store = Store::open(&dir).unwrap();
        assert!(!receipts::show(store.conn(), &number).unwrap().is_voided());
    }
    k.h.get_by_label(&row("已开具"));
    assert!(k.h.query_by_label(&row("作废")).is_none());

    k.press(egui::Key::F8);
    k.type_text("收错项目");
    k.press(egui::Key::Tab);
    k.type_text("boss");
    k.press(egui::Key::Tab);
    k.type_text("135790");
    k.press(egui::Key::Enter);
    assert!(h.state().failure().is_none(), "{:?}", h.state().failure());
    let store = Store::open(&dir).unwrap();
    let v = receipts::show(store.conn(), &number).unwrap();
    assert!(v.is_voided());
    // what the cashier sees: the row marked 作废 and the notice naming it
    h.get_by_label(&row("作废"));
    assert!(h.query_by_label(&row("已开具")).is_none());
    h.get_by_label_contains(&format!("已作废 {number}（主管 boss）"));
}

#[test]
fn a_deposit_then_the_shift_close_with_its_backup() {
    let (_tmp, dir) = ready_terminal();
    let mut h = harness(&dir);
    h.run();
    let mut k = Keys {
        h: &mut h,
        count: 0,
    };
    k.type_text("admin");
    k.press(egui::Key::Enter);
    k.type_text("739146");
    k.press(egui::Key::Enter);
    // The kind buttons are on the form; a deposit has an amount, no lines.
    k.h.get_by_label("住院预交金").click();
    k.settle();
    k.h.get_by_label("患者姓名").focus();
    k.settle();
    k.type_text("周七");
    k.h.get_by_label("预交金额").focus();
    k.settle();
    k.type_text("2000");
    k.press(egui::Key::F4);
    k.type_text("2000");
    k.press(egui::Key::Enter);
    assert!(
        k.h.state().failure().is_none(),
        "{:?}",
        k.h.state().failure()
    );
    let last =
        k.h.state()
            .cashier()
            .last()
            .cloned()
            .expect("the deposit was issued");
    assert_eq!(last.total.to_string(), "2000.00");

    k.press(egui::Key::F10);
    k.type_text("2000");
    k.h.get_by_label("确认交班").click();
    k.settle();
    assert!(h.state().failure().is_none(), "{:?}", h.state().failure());
    h.get_by_label_contains("已交班：1 张");
    // A backup was taken at the shift close: the status bar shows its time.
    assert!(h.state().status().last_backup.is_some());
}
