//! The Reports tab of the finance screen: choose the report (shift closes,
//! daily totals, outage after-action), its day or episode and the output
//! file (.pdf or .csv), then preview it on screen — the outage's receipts
//! per hour as a bar chart (egui_plot) and the totals table — or write the
//! file. Building and writing run on a worker thread with their own
//! connection, so a 100k-receipt outage does not freeze the window. The
//! rules (who may, what is counted) are `crate::reports`'.

use std::path::PathBuf;

use eframe::egui;
use egui_plot::{Bar, BarChart, Plot};

use crate::auth::Session;
use crate::error::{ErrorKind, Failure};
use crate::i18n::Lang;
use crate::reports::data::{DayTotals, EpisodeRow, category_label, method_label};
use crate::reports::{self, Format, Kind, Report, Request};
use crate::store::{DataDir, Store};
use crate::ui::jobs::{Job, Poll, progress_bar};
use crate::ui::screen::ScreenEnv;
use crate::ui::widgets::{GREEN, RED};

/// What the person asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportsAction {
    /// Read the episodes to choose from and fill the defaults.
    Load,
    /// Build the report and show it here, writing nothing.
    Preview,
    /// Build the report, show it and write it to the output file.
    Generate,
}

type Outcome = Result<(Report, Option<PathBuf>), Failure>;

#[derive(Default)]
pub struct ReportsTab {
    kind: Option<Kind>,
    date: String,
    episode: Option<i64>,
    episodes: Vec<EpisodeRow>,
    out: String,
    /// The last report built, shown under the form.
    report: Option<Report>,
    message: Option<Result<String, Failure>>,
    loaded: bool,
    job: Option<Job<Outcome>>,
    ctx: Option<egui::Context>,
    /// The tab just came into view: the cursor goes to Preview, so Enter
    /// shows the newest outage at once (Shift+Tab walks back to the form).
    pub focus_preview: bool,
}

fn kind_label(k: Kind, lang: Lang) -> &'static str {
    k.label(lang)
}

impl ReportsTab {
    /// The report on screen, if any.
    pub fn report(&self) -> Option<&Report> {
        self.report.as_ref()
    }

    /// The last outcome: the file written, or why not.
    pub fn message(&self) -> Option<&Result<String, Failure>> {
        self.message.as_ref()
    }

    /// Whether a report is being built.
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }

    fn kind(&self) -> Kind {
        self.kind.unwrap_or(Kind::Outage)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Vec<ReportsAction> {
        let mut actions = Vec::new();
        self.ctx = Some(ui.ctx().clone());
        if !self.loaded {
            self.loaded = true;
            actions.push(ReportsAction::Load);
        }
        if let Some(job) = &self.job {
            match job.poll(ui.ctx()) {
                Poll::Running => {}
                Poll::Done(out) => {
                    self.job = None;
                    self.finished(out, lang);
                }
                Poll::Lost => {
                    self.job = None;
                    self.message = Some(Err(Failure::new(
                        ErrorKind::Internal,
                        "生成报表时出错（内部错误）",
                        "building the report failed (internal error)",
                    )));
                }
            }
        }
        ui.heading(lang.pick("报表", "Reports"));
        let kind_before = self.kind();
        ui.horizontal(|ui| {
            ui.label(lang.pick("报表类型：", "Report:"));
            for k in Kind::ALL {
                if ui.radio(self.kind() == k, kind_label(k, lang)).clicked() {
                    self.kind = Some(k);
                }
            }
        });
        if self.kind() != kind_before {
            self.out = retarget(&self.out, self.kind(), &self.date);
            self.report = None;
        }
        ui.horizontal(|ui| match self.kind() {
            Kind::Shift | Kind::Daily => {
                let label = ui.label(lang.pick("日期（YYYY-MM-DD）", "Date (YYYY-MM-DD)"));
                ui.add(egui::TextEdit::singleline(&mut self.date).desired_width(110.0))
                    .labelled_by(label.id);
            }
            Kind::Outage => {
                let label = ui.label(lang.pick("应急事件", "Episode"));
                let shown = self
                    .episodes
                    .iter()
                    .find(|e| Some(e.id) == self.episode)
                    .map(|e| episode_text(e, lang))
                    .unwrap_or_else(|| lang.pick("（无）", "(none)").to_string());
                egui::ComboBox::from_id_salt("reports_episode")
                    .selected_text(shown)
                    .width(420.0)
                    .show_ui(ui, |ui| {
                        for e in &self.episodes {
                            ui.selectable_value(
                                &mut self.episode,
                                Some(e.id),
                                episode_text(e, lang),
                            );
                        }
                    })
                    .response
                    .labelled_by(label.id);
            }
        });
        ui.horizontal(|ui| {
            let label =
                ui.label(lang.pick("输出文件（.pdf 或 .csv）", "Output file (.pdf or .csv)"));
            ui.add(egui::TextEdit::singleline(&mut self.out).desired_width(420.0))
                .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            let idle = self.job.is_none();
            let preview = ui.add_enabled(idle, egui::Button::new(lang.pick("预览", "Preview")));
            if std::mem::take(&mut self.focus_preview) {
                preview.request_focus();
            }
            if preview.clicked() {
                actions.push(ReportsAction::Preview);
            }
            if ui
                .add_enabled(idle, egui::Button::new(lang.pick("生成文件", "Write file")))
                .clicked()
            {
                actions.push(ReportsAction::Generate);
            }
        });
        if let Some(job) = &self.job {
            progress_bar(
                ui,
                job.fraction(),
                lang.pick("正在生成报表…", "Building the report…"),
            );
        }
        match &self.message {
            Some(Ok(m)) => {
                ui.colored_label(GREEN, m);
            }
            Some(Err(f)) => {
                ui.colored_label(RED, f.message(lang));
            }
            None => {}
        }
        ui.separator();
        if let Some(r) = &self.report {
            egui::ScrollArea::vertical()
                .id_salt("reports_view")
                .show(ui, |ui| show_report(ui, r, lang));
        }
        actions
    }

    fn finished(&mut self, out: Outcome, lang: Lang) {
        match out {
            Ok((report, written)) => {
                self.message = written.map(|p| {
                    Ok(format!(
                        "{} {}",
                        lang.pick("已写入", "Written to"),
                        p.display()
                    ))
                });
                self.report = Some(report);
            }
            Err(f) => self.message = Some(Err(f)),
        }
    }

    pub fn apply(&mut self, action: ReportsAction, env: &mut ScreenEnv<'_>) {
        match action {
            ReportsAction::Load => self.load(env),
            ReportsAction::Preview => self.start(env, false),
            ReportsAction::Generate => self.start(env, true),
        }
    }

    fn load(&mut self, env: &mut ScreenEnv<'_>) {
        if self.date.is_empty() {
            self.date = env.clock.now().date_naive().format("%Y-%m-%d").to_string();
        }
        match reports::data::episode_choices(env.store.conn()) {
            Ok(list) => {
                if self.episode.is_none() {
                    self.episode = list.first().map(|e| e.id);
                }
                self.episodes = list;
            }
            Err(e) => self.message = Some(Err(e.into())),
        }
        if self.out.is_empty() {
            let dir = env.data_dir.root().join("reports");
            self.out = dir
                .join(default_name(self.kind(), &self.date))
                .display()
                .to_string();
        }
    }

    fn request(&self) -> Result<Request, Failure> {
        let kind = self.kind();
        Ok(match kind {
            Kind::Shift | Kind::Daily => Request {
                kind,
                date: Some(reports::parse_date(&self.date)?),
                episode: None,
            },
            Kind::Outage => Request {
                kind,
                date: None,
                episode: self.episode,
            },
        })
    }

    fn start(&mut self, env: &mut ScreenEnv<'_>, write: bool) {
        self.message = None;
        let checked = (|| -> Result<(Request, Option<PathBuf>), Failure> {
            reports::require_role(env.session)?;
            let req = self.request()?;
            let out = if write {
                let p = PathBuf::from(self.out.trim());
                Format::of(&p)?;
                Some(p)
            } else {
                None
            };
            Ok((req, out))
        })();
        let (req, out) = match checked {
            Ok(v) => v,
            Err(f) => {
                self.message = Some(Err(f));
                return;
            }
        };
        let dir: DataDir = env.data_dir.clone();
        let session: Session = env.session.clone();
        let now = env.clock.now();
        let work = move || -> Outcome {
            let store = Store::open(&dir)?;
            let clock = crate::clock::FixedClock(now);
            let by = session.user().to_string();
            let report = match &out {
                Some(p) => {
                    if let Some(parent) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                        std::fs::create_dir_all(parent).map_err(|e| {
                            Failure::new(
                                ErrorKind::Invalid,
                                format!("无法创建目录 {}：{e}", parent.display()),
                                format!("cannot create {}: {e}", parent.display()),
                            )
                        })?;
                    }
                    reports::write(store.conn(), &req, &clock, &by, p)?
                }
                None => reports::build(store.conn(), &req, &clock, &by)?,
            };
            Ok((report, out))
        };
        match &self.ctx {
            Some(ctx) => self.job = Some(Job::spawn(ctx, move |_| work())),
            None => {
                let lang = env.lang;
                self.finished(work(), lang);
            }
        }
    }
}

fn episode_text(e: &EpisodeRow, lang: Lang) -> String {
    format!(
        "#{} {} {} {}{} {}",
        e.id,
        e.terminal,
        e.level,
        crate::ui::status::date_time(&e.opened_at),
        if e.drill {
            lang.pick(" 演练", " drill")
        } else {
            ""
        },
        e.reason
    )
}

fn default_name(kind: Kind, date: &str) -> String {
    match kind {
        Kind::Outage => "outage.pdf".into(),
        k => format!("{}-{date}.pdf", k.as_str()),
    }
}

/// The output path with its file name changed to the new kind's default,
/// keeping the folder and the extension the person chose.
fn retarget(out: &str, kind: Kind, date: &str) -> String {
    let p = PathBuf::from(out);
    let ext = p
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("pdf")
        .to_string();
    let name = PathBuf::from(default_name(kind, date)).with_extension(ext);
    match p.parent() {
        Some(dir) if !out.is_empty() => dir.join(name).display().to_string(),
        _ => name.display().to_string(),
    }
}

fn totals_grid(ui: &mut egui::Ui, id: &str, t: &DayTotals, lang: Lang) {
    egui::Grid::new(id)
        .striped(true)
        .num_columns(2)
        .spacing([32.0, 4.0])
        .show(ui, |ui| {
            ui.strong(lang.pick("项目", "Item"));
            ui.strong(lang.pick("金额", "Amount"));
            ui.end_row();
            for a in &t.by_category {
                ui.label(category_label(&a.key));
                ui.label(a.amount.to_string());
                ui.end_row();
            }
            for a in &t.by_method {
                ui.label(method_label(&a.key));
                ui.label(a.amount.to_string());
                ui.end_row();
            }
            ui.strong(lang.pick("合计", "Total"));
            ui.strong(t.total.to_string());
            ui.end_row();
            ui.label(lang.pick("计入合计的票据", "Receipts in the totals"));
            ui.label(t.receipts.to_string());
            ui.end_row();
            ui.label(lang.pick("退费凭证", "Credit notes"));
            ui.label(format!(
                "{} / {}",
                t.credit_notes.count, t.credit_notes.amount
            ));
            ui.end_row();
            ui.label(lang.pick("作废（不计入）", "Voided (not counted)"));
            ui.label(format!("{} / {}", t.voided.count, t.voided.amount));
            ui.end_row();
        });
}

fn show_report(ui: &mut egui::Ui, r: &Report, lang: Lang) {
    match r {
        Report::Daily(d) => {
            ui.strong(format!(
                "{} {}",
                lang.pick("收费日报", "Daily totals"),
                d.date
            ));
            totals_grid(ui, "reports_daily_real", &d.real, lang);
            if d.drill.receipts + d.drill.voided.count > 0 {
                ui.add_space(8.0);
                ui.strong(lang.pick("演练（不计入实际）", "Drill (apart)"));
                totals_grid(ui, "reports_daily_drill", &d.drill, lang);
            }
        }
        Report::Shift(s) => {
            ui.strong(format!(
                "{} {}",
                lang.pick("交班汇总", "Shift closes"),
                s.date
            ));
            if s.closes.is_empty() {
                ui.label(lang.pick("当天没有交班记录", "No shift was closed that day"));
            }
            egui::Grid::new("reports_shift")
                .striped(true)
                .num_columns(7)
                .spacing([20.0, 4.0])
                .show(ui, |ui| {
                    for h in [
                        lang.pick("收费员", "Cashier"),
                        lang.pick("终端", "Terminal"),
                        lang.pick("张数", "Receipts"),
                        lang.pick("合计", "Total"),
                        lang.pick("应有现金", "Cash expected"),
                        lang.pick("实点现金", "Declared"),
                        lang.pick("差额", "Variance"),
                    ] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for c in &s.closes {
                        ui.label(&c.cashier);
                        ui.label(&c.terminal);
                        ui.label(c.count.to_string());
                        ui.label(c.total.to_string());
                        ui.label(c.cash_expected.to_string());
                        ui.label(c.cash_declared.map(|m| m.to_string()).unwrap_or_default());
                        let v = c.variance.map(|m| m.to_string()).unwrap_or_default();
                        if c.variance.is_some_and(|m| !m.is_zero()) {
                            ui.colored_label(RED, v);
                        } else {
                            ui.label(v);
                        }
                        ui.end_row();
                    }
                });
        }
        Report::Outage(o) => {
            ui.strong(format!(
                "{} #{} · {} {} · {} {}",
                lang.pick("停机总结报告", "Outage after-action report"),
                o.episode.id,
                o.issued(),
                lang.pick("张票据", "receipts"),
                lang.pick("合计", "total"),
                o.totals.total
            ));
            ui.label(lang.pick("每小时开票数", "Receipts per hour"));
            let labels: Vec<String> = o.hourly.iter().map(|h| h.hour.clone()).collect();
            let bars: Vec<Bar> = o
                .hourly
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    Bar::new(i as f64, h.count as f64)
                        .width(0.7)
                        .name(format!("{}:00", h.hour))
                })
                .collect();
            Plot::new("reports_hourly")
                .height(180.0)
                .allow_scroll(false)
                .allow_drag(false)
                .allow_zoom(false)
                .x_axis_formatter(move |mark, _range| {
                    let i = mark.value.round();
                    if (mark.value - i).abs() > 1e-6 || i < 0.0 {
                        return String::new();
                    }
                    labels
                        .get(i as usize)
                        .map(|h| h.get(11..13).unwrap_or(h).to_string())
                        .unwrap_or_default()
                })
                .show(ui, |plot| {
                    plot.bar_chart(BarChart::new(lang.pick("票据数", "receipts"), bars));
                });
            ui.add_space(6.0);
            ui.columns(2, |cols| {
                totals_grid(&mut cols[0], "reports_outage_totals", &o.totals, lang);
                let x = &o.exchange;
                egui::Grid::new("reports_outage_exchange")
                    .striped(true)
                    .num_columns(2)
                    .spacing([24.0, 4.0])
                    .show(&mut cols[1], |ui| {
                        ui.strong(lang.pick("换票进度", "Exchange progress"));
                        ui.strong(lang.pick("张数 / 金额", "count / amount"));
                        ui.end_row();
                        for (zh, en, c) in [
                            ("已换 HIS 发票", "Exchanged", x.exchanged),
                            ("已按自费录入", "Posted as self-pay", x.self_pay_posted),
                            ("已医保重新结算", "Re-settled", x.insurance_resettled),
                            ("已全额退费", "Refunded", x.refunded),
                            ("未完成", "Still open", x.open),
                        ] {
                            ui.label(lang.pick(zh, en));
                            ui.label(format!("{} / {}", c.count, c.amount));
                            ui.end_row();
                        }
                        ui.label(lang.pick("已逾期", "Overdue"));
                        let over = format!("{} / {}", x.overdue.count, x.overdue.amount);
                        if x.overdue.count > 0 {
                            ui.colored_label(RED, over);
                        } else {
                            ui.label(over);
                        }
                        ui.end_row();
                        ui.label(lang.pick("发药行", "Lines dispensed"));
                        ui.label(o.dispensing.lines_dispensed.to_string());
                        ui.end_row();
                    });
            });
        }
    }
}
