//! The GUI shell driven as a person would, by label, through egui_kittest:
//! the first-run setup form, login, and (once a list is imported) the
//! price-list browser.

use downtime_billing::clock::FixedClock;
use downtime_billing::i18n::Lang;
use downtime_billing::store::DataDir;
use downtime_billing::ui::{App, Route};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use std::sync::Arc;

mod gui_support;
use gui_support::*;

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
    fill(&mut h, "管理员 PIN", "739146");
    fill(&mut h, "再次输入 PIN", "739146");
    h.run();
    h.get_by_label("创建数据库").click();
    h.run();
    assert!(dir.db_path().exists(), "the form created no database");
    assert!(h.state().failure().is_none(), "{:?}", h.state().failure());
    let session = h
        .state()
        .session()
        .expect("the admin is logged in after setup");
    assert_eq!(session.user().as_str(), "admin");
    assert_eq!(session.terminal().as_str(), "MZ02");
    h.get_by_label("MZ02");
    // Then the sample list is offered for the current month.
    assert_eq!(h.state().route(), Route::OfferSample);
    h.get_by_label("立即导入").click();
    settle(&mut h);
    assert!(h.state().failure().is_none(), "{:?}", h.state().failure());
    assert_eq!(h.state().route(), Route::Cashier);
    let (month, count) = h
        .state()
        .status()
        .snapshot
        .clone()
        .expect("a list in force");
    assert_eq!(month, "2026-11");
    assert!(count >= 150, "{count}");
}

#[test]
fn setup_form_refuses_two_different_pins() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let mut h = harness(&dir, Lang::En);
    h.run();
    fill(&mut h, "Hospital name", "Test hospital");
    fill(&mut h, "Admin PIN", "739146");
    fill(&mut h, "PIN again", "582047");
    h.run();
    h.get_by_label("Create the database").click();
    h.run();
    assert!(!dir.db_path().exists());
    h.get_by_label("The two PINs differ");
}

fn log_in(h: &mut Harness<'static, App>, user: &str, pin: &str) {
    fill(h, "用户", user);
    fill(h, "PIN", pin);
    h.get_by_label("登录").click();
    settle(h);
}

#[test]
fn login_then_search_amxl_finds_amoxicillin_with_spec_and_price() {
    let (_tmp, dir) = set_up_with_sample();
    let mut h = harness(&dir, Lang::Zh);
    h.run();
    assert_eq!(h.state().route(), Route::Login);
    log_in(&mut h, "admin", "739146");
    assert!(h.state().failure().is_none(), "{:?}", h.state().failure());
    // The admin holds the cashier role too, so lands on the cashier screen.
    assert_eq!(h.state().route(), Route::Cashier);
    // The status bar names the month in force.
    h.get_by_label_contains("2026-11");
    h.get_by_label("价格表").click();
    settle(&mut h);
    fill(&mut h, "查找", "amxl");
    let hits = h.state().browser().hits().to_vec();
    assert!(!hits.is_empty(), "amxl found nothing");
    let index = h.state().browser().index.clone().unwrap();
    let first = index.item(hits[0].index).clone();
    assert!(first.name.contains("阿莫西林"), "first hit: {first:?}");
    // What the cashier reads on screen: name, spec and price of the item.
    h.get_all_by_label(&first.name).next().unwrap();
    h.get_all_by_label(&first.spec).next().unwrap();
    h.get_all_by_label(&first.unit_price.as_text())
        .next()
        .unwrap();
}

#[test]
fn wrong_pin_is_refused_in_red_naming_the_user() {
    let (_tmp, dir) = set_up_with_sample();
    let mut h = harness(&dir, Lang::En);
    h.run();
    log_in_en(&mut h, "admin", "000000");
    assert_eq!(h.state().route(), Route::Login);
    h.get_by_label_contains("wrong PIN for user 'admin'");
}

fn log_in_en(h: &mut Harness<'static, App>, user: &str, pin: &str) {
    fill(h, "User", user);
    fill(h, "PIN", pin);
    h.get_by_label("Log in").click();
    settle(h);
}

fn shared(name: &str) -> String {
    format!("{}/../shared/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn check_file(h: &mut Harness<'static, App>, path: &str) {
    fill(h, "价格表文件", path);
    h.get_by_label("检查").click();
    settle(h);
}

#[test]
fn admin_imports_the_30k_list_and_sees_the_diff_to_the_next_month() {
    let (_tmp, dir) = set_up_with_sample();
    let mut h = harness(&dir, Lang::Zh);
    h.run();
    log_in(&mut h, "admin", "739146");
    h.get_by_label("价格表导入").click();
    settle(&mut h);
    assert_eq!(h.state().route(), Route::AdminPrices);

    check_file(&mut h, &shared("price_list_2026-12_30k.csv"));
    assert!(h.state().failure().is_none(), "{:?}", h.state().failure());
    let p = h
        .state()
        .prices_admin()
        .preview
        .as_ref()
        .expect("a preview");
    assert_eq!(
        p.preview.month.to_string(),
        "2026-12",
        "month from the file name"
    );
    assert!(p.preview.can_import());
    h.get_by_label("导入").click();
    settle(&mut h);
    assert!(h.state().failure().is_none(), "{:?}", h.state().failure());
    h.get_by_label_contains("已导入 2026-12 价格表");

    check_file(&mut h, &shared("price_list_2027-01_30k.csv"));
    let p = h
        .state()
        .prices_admin()
        .preview
        .as_ref()
        .expect("a preview");
    let diff = p.preview.diff.as_ref().expect("a diff against 2026-12");
    assert_eq!(
        (diff.removed.len(), diff.added.len(), diff.changed.len()),
        (295, 300, 1416)
    );
    h.get_by_label_contains("新增 300 · 删除 295 · 调价 1416");
}

#[test]
fn a_bad_file_lists_its_problems_by_row_and_column_and_cannot_be_imported() {
    let (_tmp, dir) = set_up_with_sample();
    let mut h = harness(&dir, Lang::En);
    h.run();
    log_in_en(&mut h, "admin", "739146");
    h.get_by_label("Import price lists").click();
    settle(&mut h);
    fill(
        &mut h,
        "Price-list file",
        &shared("import/bad_negative_price.csv"),
    );
    h.get_by_label("Check").click();
    settle(&mut h);
    let p = h
        .state()
        .prices_admin()
        .preview
        .as_ref()
        .expect("a preview");
    assert!(!p.preview.analysis.is_valid());
    let first = p.preview.analysis.problems[0].location();
    assert!(first.starts_with("bad_negative_price.csv:"), "{first}");
    h.get_by_label_contains(&first);
    assert!(
        h.get_by_label("Import").accesskit_node().is_disabled(),
        "Import must be disabled while the file has problems"
    );
}

#[test]
fn admin_screen_is_hidden_from_a_cashier() {
    use downtime_billing::auth::Role;
    use downtime_billing::store::Store;
    let (_tmp, dir) = set_up_with_sample();
    {
        let mut store = Store::open(&dir).unwrap();
        let admin = downtime_billing::auth::Session::new(
            downtime_billing::domain::UserName::parse("admin").unwrap(),
            &Role::ALL,
            downtime_billing::domain::TerminalCode::parse("MZ01").unwrap(),
        );
        downtime_billing::auth::users::add_user(
            &mut store,
            &admin,
            &FixedClock::at(NOW),
            "zhang",
            &[Role::Cashier],
            "246810",
        )
        .unwrap();
    }
    let mut h = harness(&dir, Lang::Zh);
    h.run();
    log_in(&mut h, "zhang", "246810");
    assert!(h.state().session().is_some());
    assert!(h.query_by_label("价格表导入").is_none());
    h.get_by_label("价格表");
}
