//! The admin's settings screen: a test print through a print command that
//! writes a file, saved settings checked by the same rules as `settings
//! set` (one refused value saves nothing), a test backup into a typed
//! folder, and "saved, not printed" said when there is no print command.

use downtime_billing::auth::Role;
use downtime_billing::i18n::Lang;
use downtime_billing::settings;
use downtime_billing::store::Store;
use downtime_billing::ui::Route;
use eframe::egui;
use egui_kittest::kittest::Queryable;

mod gui_shift_support;
use gui_shift_support::*;

fn notice(h: &egui_kittest::Harness<'static, downtime_billing::ui::App>, text: &str) -> bool {
    h.get_all_by_label_contains(text).next().is_some()
}

/// Replaces the text of the field labelled `label`.
fn retype(k: &mut Keys<'_>, label: &str, text: &str) {
    k.h.get_by_label(label).focus();
    k.settle();
    k.press_with(egui::Modifiers::COMMAND, egui::Key::A);
    k.press(egui::Key::Backspace);
    k.type_text(text);
}

/// Catches: the test print not running the command as typed (no file
/// written), "printed" said when there is no print command, a refused
/// value saving the others (not all-or-nothing) or saving without the
/// library's check, and the test backup not writing into the typed folder.
#[test]
fn an_admin_sets_the_printer_and_backup_folder_with_a_test_of_each() {
    let (tmp, dir, _codes) = ready_terminal(true);
    let out = tmp.path().join("printed.pdf");
    let backups = tmp.path().join("usb-backups");
    std::fs::create_dir_all(&backups).unwrap();
    let mut h = harness(&dir, [1024.0, 600.0], Lang::Zh);
    let mut k = Keys::new(&mut h);
    k.log_in(ADMIN, ADMIN_PIN);
    let menu = Route::menu(k.h.state().session().unwrap());
    let n = menu
        .iter()
        .position(|(r, _)| *r == Route::Settings)
        .unwrap();
    let digit = [
        egui::Key::Num1,
        egui::Key::Num2,
        egui::Key::Num3,
        egui::Key::Num4,
        egui::Key::Num5,
        egui::Key::Num6,
        egui::Key::Num7,
        egui::Key::Num8,
        egui::Key::Num9,
    ][n];
    k.press_with(egui::Modifiers::COMMAND, digit);
    assert_eq!(k.h.state().route(), Route::Settings);

    // No print command yet: the test page is saved, and said not printed.
    k.press_with(egui::Modifiers::COMMAND, egui::Key::P);
    assert!(notice(k.h, "没有打印"), "{:?}", k.h.state().failure());

    // A print command that writes a file: the test page arrives there,
    // before anything is saved.
    let command = format!("cp {{pdf}} {}", out.display());
    retype(&mut k, "打印命令", &command);
    k.press_with(egui::Modifiers::COMMAND, egui::Key::P);
    assert!(
        k.h.state().failure().is_none(),
        "{:?}",
        k.h.state().failure()
    );
    let bytes = std::fs::read(&out).expect("the print command wrote the test page");
    assert!(bytes.starts_with(b"%PDF"));
    assert!(notice(k.h, "测试页已交给打印命令"));
    let store = Store::open(&dir).unwrap();
    assert_eq!(settings::print_command(store.conn()).unwrap(), None);

    // Refused values with it (idle lock 0 minutes, a variance limit that
    // is no amount): nothing is saved, not even the good ones.
    retype(&mut k, "无操作锁屏（分钟）", "15");
    retype(&mut k, "交班差额限额（元）", "十元");
    k.press_with(egui::Modifiers::COMMAND, egui::Key::S);
    let f = k.h.state().failure().expect("not an amount").zh.clone();
    assert!(f.contains("交班差额限额"), "{f}");
    assert_eq!(settings::print_command(store.conn()).unwrap(), None);
    assert_eq!(settings::idle_lock_minutes(store.conn()).unwrap(), 5);
    // The cursor is back in the refused field: fix it and save.
    k.press_with(egui::Modifiers::COMMAND, egui::Key::A);
    k.type_text("20");
    k.press_with(egui::Modifiers::COMMAND, egui::Key::S);
    assert!(
        k.h.state().failure().is_none(),
        "{:?}",
        k.h.state().failure()
    );
    assert_eq!(
        settings::print_command(store.conn()).unwrap(),
        Some(command)
    );
    assert_eq!(settings::idle_lock_minutes(store.conn()).unwrap(), 15);
    assert_eq!(
        settings::shift_variance_limit(store.conn())
            .unwrap()
            .to_string(),
        "20.00"
    );
    retype(&mut k, "无操作锁屏（分钟）", "0");
    k.press_with(egui::Modifiers::COMMAND, egui::Key::S);
    assert!(k.h.state().failure().is_some(), "0 minutes is refused");
    assert_eq!(settings::idle_lock_minutes(store.conn()).unwrap(), 15);
    retype(&mut k, "无操作锁屏（分钟）", "15");

    // The backup folder typed (no dialog needed), tested, then saved.
    retype(&mut k, "备份文件夹", &backups.display().to_string());
    k.press_with(egui::Modifiers::COMMAND, egui::Key::B);
    assert!(
        k.h.state().failure().is_none(),
        "{:?}",
        k.h.state().failure()
    );
    let written: Vec<_> = std::fs::read_dir(&backups).unwrap().collect();
    assert_eq!(written.len(), 1, "one test backup in the typed folder");
    k.press_with(egui::Modifiers::COMMAND, egui::Key::S);
    assert_eq!(
        settings::backup_dir(store.conn()).unwrap(),
        Some(backups.clone())
    );

    // A cashier has no settings screen.
    let cashier = session(LILY, &[Role::Cashier]);
    assert!(!Route::Settings.allowed(&cashier));
}
