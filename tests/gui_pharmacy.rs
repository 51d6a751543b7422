//! The pharmacy screen driven by the keyboard (egui_kittest) at 1024×600:
//! a pharmacist lands on it and sees nothing else; the scanner's text plus
//! Enter gives a green result, F2 dispenses; the same code again, and a
//! forged one, give a red result; Alt+N and F3 dispense chosen lines.

use downtime_billing::auth::{Role, Session};
use downtime_billing::clock::FixedClock;
use downtime_billing::i18n::{Lang, tr};
use downtime_billing::receipts::{self, IssueRequest, episodes, ranges};
use downtime_billing::store::{DataDir, Store};
use downtime_billing::ui::pharmacy::Shown;
use downtime_billing::ui::{App, Route};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;

mod gui_support;
use gui_support::*;

const PHARM_PIN: &str = "246810";

/// A clinic on one machine: the sample list, a receipt book, an open
/// episode, a pharmacist; returns two receipts' QR codes (one drug + one
/// examination; two drugs).
fn clinic() -> (tempfile::TempDir, DataDir, String, String) {
    let (tmp, dir) = set_up_with_sample();
    let clock = FixedClock::at(NOW);
    let mut store = Store::open(&dir).unwrap();
    let admin = admin_session();
    ranges::add(&mut store, &admin, &clock, "MZ01", 1, 100).unwrap();
    episodes::open(
        &mut store,
        &admin,
        &clock,
        episodes::Level::parse("II").unwrap(),
        "HIS 服务器宕机",
        downtime_billing::receipts::episodes::EpisodeKind::Real,
    )
    .unwrap();
    downtime_billing::auth::users::add_user(
        &mut store,
        &admin,
        &clock,
        "pharm",
        &[Role::Pharmacist],
        PHARM_PIN,
    )
    .unwrap();
    let key = downtime_billing::keys::wrap::unlock_dir(&dir, "admin", ADMIN_PIN).unwrap();
    let cashier = Session::new(
        admin.user().clone(),
        &[Role::Cashier],
        admin.terminal().clone(),
    );
    let issue = |store: &mut Store, body: serde_json::Value| {
        let req = IssueRequest::from_json(&body.to_string()).unwrap();
        let draft = receipts::IssueDraft::build(store.conn(), &clock, &req).unwrap();
        receipts::issue(store, &cashier, &clock, &key, &draft)
            .unwrap()
            .receipt
            .qr_payload
    };
    let patient = serde_json::json!({"name": "张三", "sex": "男", "age": 35});
    let a = issue(
        &mut store,
        serde_json::json!({
            "kind": "outpatient", "patient": patient,
            "lines": [{"code": "XA01AB001A00001", "qty": "2"}, {"code": "210102015", "qty": "1"}],
            "payments": [{"method": "cash", "amount": "73.60"}]
        }),
    );
    let b = issue(
        &mut store,
        serde_json::json!({
            "kind": "outpatient", "patient": patient,
            "lines": [{"code": "XA01AB001A00001", "qty": "1"}, {"code": "XJ01CA004A00002", "qty": "1"}],
            "payments": [{"method": "cash", "amount": "18.30"}]
        }),
    );
    (tmp, dir, a, b)
}

fn harness(dir: &DataDir) -> Harness<'static, App> {
    let dir = dir.clone();
    Harness::builder()
        .with_size([1024.0, 600.0])
        .build_eframe(move |cc| {
            App::new(
                &cc.egui_ctx,
                dir,
                Lang::Zh,
                Arc::new(FixedClock::at("2026-11-22T10:30:00+08:00")),
            )
        })
}

fn scan(h: &mut Harness<'static, App>, text: &str) {
    type_text(h, text);
    h.key_press(egui::Key::Enter);
    settle(h);
}

fn dispensed_rows(dir: &DataDir) -> Vec<(String, u32, String)> {
    let store = Store::open(dir).unwrap();
    let mut st = store
        .conn()
        .prepare("SELECT receipt_number, line_no, qty FROM dispensings ORDER BY id")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn scan_green_dispense_then_replay_and_forgery_red() {
    let (_tmp, dir, a, _) = clinic();
    let mut h = harness(&dir);
    log_in_by_keyboard(&mut h, "pharm", PHARM_PIN);
    assert_eq!(h.state().route(), Route::Pharmacy);
    // A pharmacist sees nothing else: no price browser, no cashier.
    assert!(h.query_by_label(tr(Lang::Zh, "nav.browser")).is_none());
    assert!(h.query_by_label(tr(Lang::Zh, "nav.cashier")).is_none());

    // The scan field has the focus: the scanner just types (lower case
    // from Caps Lock here) and presses Enter.
    scan(&mut h, &a.to_lowercase());
    let Shown::Ok(c) = h.state().pharmacy().shown() else {
        panic!("not green: {:?}", h.state().pharmacy().shown());
    };
    assert_eq!(c.number, "MZ01-00000001");
    h.get_by_label_contains("真实票据");
    h.get_by_label_contains("阿莫西林胶囊");

    h.key_press(egui::Key::F2);
    settle(&mut h);
    assert!(
        matches!(h.state().pharmacy().shown(), Shown::Done(d) if d.complete),
        "{:?} {:?}",
        h.state().pharmacy().shown(),
        h.state().pharmacy().failure()
    );
    h.get_by_label_contains("已发药");
    // Only the drug line was handed out, and it is in today's list.
    assert_eq!(
        dispensed_rows(&dir),
        vec![("MZ01-00000001".to_string(), 1, "2".to_string())]
    );
    assert_eq!(h.state().pharmacy().today().len(), 1);

    // The same code again: red, in plain words.
    scan(&mut h, &a);
    assert!(matches!(
        h.state().pharmacy().shown(),
        Shown::Refused(c) if c.outcome == "fully_dispensed"
    ));
    h.get_by_label_contains("不能发药");
    h.get_by_label_contains("已全部发出");
    // F2 on a red result does nothing.
    h.key_press(egui::Key::F2);
    settle(&mut h);
    assert_eq!(dispensed_rows(&dir).len(), 1);

    // One digit of the total changed: forged, red.
    let forged = a.replacen(":73.60:", ":78.60:", 1);
    assert_ne!(forged, a);
    scan(&mut h, &forged);
    assert!(matches!(h.state().pharmacy().shown(), Shown::Bad(_)));
    h.get_by_label_contains("签名不符");
}

#[test]
fn chosen_lines_by_keyboard() {
    let (_tmp, dir, _, b) = clinic();
    let mut h = harness(&dir);
    log_in_by_keyboard(&mut h, "pharm", PHARM_PIN);
    scan(&mut h, &b);
    assert!(matches!(h.state().pharmacy().shown(), Shown::Ok(_)));
    // Alt+1 unticks line 1 (out of stock); F3 hands out the rest.
    h.event(egui::Event::Key {
        key: egui::Key::Num1,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::ALT,
    });
    // As X delivers it: the digit also comes as text, which must not land
    // in the scan field.
    h.event(egui::Event::Text("1".into()));
    h.run();
    assert_eq!(h.state().pharmacy().scan_text(), "");
    h.key_press(egui::Key::F3);
    settle(&mut h);
    assert!(
        matches!(h.state().pharmacy().shown(), Shown::Done(d) if !d.complete),
        "{:?} {:?}",
        h.state().pharmacy().shown(),
        h.state().pharmacy().failure()
    );
    h.get_by_label_contains("已部分发药");
    assert_eq!(
        dispensed_rows(&dir),
        vec![("MZ01-00000002".to_string(), 2, "1".to_string())]
    );
    // Scanned again when in stock: line 1 is what is left.
    scan(&mut h, &b);
    let Shown::Ok(c) = h.state().pharmacy().shown() else {
        panic!("{:?}", h.state().pharmacy().shown());
    };
    assert_eq!(c.lines[0].to_dispense, rust_decimal::Decimal::ONE);
    assert_eq!(c.lines[1].to_dispense, rust_decimal::Decimal::ZERO);
}
