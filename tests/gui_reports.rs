//! The Reports tab of the finance screen (egui_kittest), hosted directly
//! the way the finance screen hosts it: a person picks the outage report,
//! previews it (the receipts-per-hour chart and the totals appear), writes
//! it as CSV, switches to the daily report for a date; a user without the
//! finance or admin role is refused on screen and nothing is written.

use downtime_billing::auth::{Role, Session};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::{TerminalCode, UserName};
use downtime_billing::error::ErrorKind;
use downtime_billing::i18n::Lang;
use downtime_billing::receipts::episodes::{self, Level};
use downtime_billing::receipts::issue::{self, IssueRequest};
use downtime_billing::receipts::ranges;
use downtime_billing::reports::Report;
use downtime_billing::store::{DataDir, Store};
use downtime_billing::ui::finance::reports::ReportsTab;
use downtime_billing::ui::screen::ScreenEnv;
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

mod gui_support;
use gui_support::*;

struct Host {
    tab: ReportsTab,
    store: Store,
    session: Session,
    clock: FixedClock,
    dir: DataDir,
    lang: Lang,
}

impl eframe::App for Host {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            let actions = self.tab.ui(ui, self.lang);
            for a in actions {
                let mut env = ScreenEnv {
                    store: &mut self.store,
                    session: &self.session,
                    clock: &self.clock,
                    lang: self.lang,
                    data_dir: &self.dir,
                };
                self.tab.apply(a, &mut env);
            }
        });
    }
}

fn session(roles: &[Role]) -> Session {
    Session::new(
        UserName::parse("admin").unwrap(),
        roles,
        TerminalCode::parse("MZ01").unwrap(),
    )
}

/// Three receipts of the sample list: two at 10 o'clock, one at 12.
fn with_receipts() -> (tempfile::TempDir, DataDir) {
    let (tmp, dir) = set_up_with_sample();
    let mut store = Store::open(&dir).unwrap();
    let admin = admin_session();
    let clock = FixedClock::at(NOW);
    episodes::open(
        &mut store,
        &admin,
        &clock,
        Level::II,
        "HIS 数据库宕机",
        episodes::EpisodeKind::Real,
    )
    .unwrap();
    ranges::add(&mut store, &admin, &clock, "MZ01", 1, 100).unwrap();
    let key = downtime_billing::keys::wrap::unlock_dir(&dir, "admin", ADMIN_PIN).unwrap();
    let body = |qty: &str, amount: &str| {
        IssueRequest::from_json(&format!(
            r#"{{"kind":"outpatient","patient":{{"name":"张三"}},"payer":{{"type":"self_pay"}},
                "lines":[{{"code":"XA01AB001A00001","qty":"{qty}"}}],
                "payments":[{{"method":"cash","amount":"{amount}"}}]}}"#
        ))
        .unwrap()
    };
    for (at, qty, amount) in [
        ("2026-11-22T10:05:00+08:00", "1", "6.80"),
        ("2026-11-22T10:45:00+08:00", "2", "13.60"),
        ("2026-11-22T12:10:00+08:00", "3", "20.40"),
    ] {
        let clock = FixedClock::at(at);
        let draft = issue::IssueDraft::build(store.conn(), &clock, &body(qty, amount)).unwrap();
        issue::issue(&mut store, &admin, &clock, &key, &draft).unwrap();
    }
    (tmp, dir)
}

fn harness(dir: &DataDir, roles: &[Role]) -> Harness<'static, Host> {
    let host = Host {
        tab: ReportsTab::default(),
        store: Store::open(dir).unwrap(),
        session: session(roles),
        clock: FixedClock::at("2026-11-22T18:00:00+08:00"),
        dir: dir.clone(),
        lang: Lang::Zh,
    };
    Harness::builder()
        .with_size([1100.0, 800.0])
        .build_eframe(move |cc| {
            downtime_billing::ui::fonts::install(&cc.egui_ctx);
            host
        })
}

fn settle(h: &mut Harness<'static, Host>) {
    h.step();
    while h.state().tab.busy() {
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.step();
    }
    h.run();
}

fn replace(h: &mut Harness<'static, Host>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    h.event(egui::Event::Text(text.to_string()));
    h.run();
    assert_eq!(h.get_by_label(label).value().as_deref(), Some(text));
}

#[test]
fn finance_previews_the_outage_chart_and_writes_the_csv() {
    let (tmp, dir) = with_receipts();
    let mut h = harness(&dir, &[Role::Finance]);
    settle(&mut h);
    // The newest episode is chosen; the default file is under the data dir.
    h.get_by_label("应急事件");
    let out = h.get_by_label("输出文件（.pdf 或 .csv）").value().unwrap();
    assert!(out.ends_with("outage.pdf"), "{out}");
    h.get_by_label("预览").click();
    settle(&mut h);
    let Some(Report::Outage(r)) = h.state().tab.report() else {
        panic!("no outage report: {:?}", h.state().tab.message());
    };
    let hours: Vec<(String, u64)> = r.hourly.iter().map(|x| (x.hour.clone(), x.count)).collect();
    assert_eq!(
        hours,
        [
            ("2026-11-22 10".to_string(), 2),
            ("2026-11-22 11".to_string(), 0),
            ("2026-11-22 12".to_string(), 1)
        ]
    );
    // The chart's heading and the totals table are on screen.
    h.get_by_label("每小时开票数");
    h.get_by_label("换票进度");
    assert!(
        h.get_all_by_label("40.80").count() >= 1,
        "the total is shown"
    );
    // Nothing was written by a preview.
    assert!(!std::path::Path::new(&out).exists());

    // Write it as CSV, to a file the person names.
    let csv = tmp.path().join("after-action.csv");
    replace(&mut h, "输出文件（.pdf 或 .csv）", csv.to_str().unwrap());
    h.get_by_label("生成文件").click();
    settle(&mut h);
    let bytes = std::fs::read(&csv).expect("the CSV was written");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("hourly,real,,2026-11-22 12,,1,,"), "{text}");
    h.get_by_label_contains("已写入");

    // The daily report for a date.
    h.get_by_label("日报").click();
    h.run();
    replace(&mut h, "日期（YYYY-MM-DD）", "2026-11-22");
    h.get_by_label("预览").click();
    settle(&mut h);
    let Some(Report::Daily(d)) = h.state().tab.report() else {
        panic!("no daily report");
    };
    assert_eq!(d.real.receipts, 3);
    assert_eq!(d.real.total.to_string(), "40.80");
    h.get_by_label("西药费 Western drug");
    h.get_by_label("现金 Cash");
}

#[test]
fn a_pharmacist_is_refused_and_nothing_is_written() {
    let (tmp, dir) = with_receipts();
    let mut h = harness(&dir, &[Role::Pharmacist]);
    settle(&mut h);
    let csv = tmp.path().join("nope.csv");
    replace(&mut h, "输出文件（.pdf 或 .csv）", csv.to_str().unwrap());
    h.get_by_label("生成文件").click();
    settle(&mut h);
    let Some(Err(f)) = h.state().tab.message() else {
        panic!("not refused");
    };
    assert_eq!(f.kind, ErrorKind::NotAllowed);
    assert!(h.state().tab.report().is_none());
    assert!(!csv.exists());
    // A bad file name is refused before anything runs.
    let mut h = harness(&dir, &[Role::Admin]);
    settle(&mut h);
    replace(&mut h, "输出文件（.pdf 或 .csv）", "/tmp/report.txt");
    h.get_by_label("生成文件").click();
    settle(&mut h);
    let Some(Err(f)) = h.state().tab.message() else {
        panic!("not refused");
    };
    assert_eq!(f.kind, ErrorKind::Invalid);
    h.get_by_label_contains(".pdf 或 .csv 结尾");
}
