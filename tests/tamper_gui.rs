//! The GUI's red banner after a failed verify cannot be dismissed: issuing
//! stays stopped until an admin types a reason and acknowledges (issue 10,
//! point 11).

use downtime_billing::clock::FixedClock;
use downtime_billing::i18n::Lang;
use downtime_billing::receipts::{episodes, ranges};
use downtime_billing::store::{DataDir, Store};
use downtime_billing::ui::{App, Route};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;

mod gui_support;
use gui_support::*;

fn tampered_terminal() -> (tempfile::TempDir, DataDir) {
    let (tmp, dir) = set_up_with_sample();
    let clock = FixedClock::at(NOW);
    let mut store = Store::open(&dir).unwrap();
    let s = admin_session();
    ranges::add(&mut store, &s, &clock, "MZ01", 1, 100).unwrap();
    episodes::open(
        &mut store,
        &s,
        &clock,
        episodes::Level::parse("II").unwrap(),
        "HIS 宕机",
        episodes::EpisodeKind::Real,
    )
    .unwrap();
    drop(store);
    rusqlite::Connection::open(dir.db_path())
        .unwrap()
        .execute_batch("DROP TRIGGER receipts_no_delete;")
        .unwrap();
    (tmp, dir)
}

fn harness(dir: &DataDir) -> Harness<'static, App> {
    let dir = dir.clone();
    Harness::builder()
        .with_size([1200.0, 800.0])
        .with_step_dt(0.25)
        .build_eframe(move |cc| {
            App::new(&cc.egui_ctx, dir, Lang::Zh, Arc::new(FixedClock::at(NOW)))
        })
}

/// Catches: a banner with a close button (before, 关闭 cleared it and the
/// cashier went on issuing), verify at start not putting the hold on, and
/// an acknowledgement that does not lift it.
#[test]
fn the_red_banner_stays_until_an_admin_acknowledges_with_a_reason() {
    let (_tmp, dir) = tampered_terminal();
    let mut h = harness(&dir);
    settle(&mut h);
    h.get_by_label_contains("数据校验发现问题");
    h.get_by_label_contains("已停止开票");
    assert!(
        h.query_by_label("关闭").is_none(),
        "the banner has no close button"
    );
    assert!(h.state().verify_hold().is_some(), "issuing is held");
    // Nobody logged in yet: no acknowledging.
    assert!(h.query_by_label("确认原因").is_none());
    {
        let store = Store::open(&dir).unwrap();
        assert!(downtime_billing::verify::hold::ensure_issuing_allowed(&store).is_err());
    }

    log_in_by_keyboard(&mut h, "admin", ADMIN_PIN);
    assert_eq!(h.state().route(), Route::Cashier);
    h.get_by_label_contains("数据校验发现问题");
    // Without a reason the button does nothing.
    h.get_by_label("确认并恢复开票").click();
    settle(&mut h);
    assert!(h.state().verify_hold().is_some());
    h.get_by_label("确认原因").focus();
    h.run();
    type_text(&mut h, "信息科测试时删除了触发器，已恢复");
    h.get_by_label("确认并恢复开票").click();
    settle(&mut h);
    assert!(h.state().failure().is_none(), "{:?}", h.state().failure());
    assert!(h.state().verify_hold().is_none());
    assert!(h.query_by_label_contains("数据校验发现问题").is_none());

    let store = Store::open(&dir).unwrap();
    downtime_billing::verify::hold::ensure_issuing_allowed(&store).unwrap();
    let reason: String = store
        .conn()
        .query_row(
            "SELECT details FROM audit_log WHERE action = 'verify.acknowledged'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(reason.contains("信息科测试时删除了触发器"), "{reason}");
}
