//! The finance station's screen (财务): after recovery the finance office
//! imports the terminals' journals, exchanges manual receipts for HIS
//! invoices at the desk, works the deadline list and reconciles the HIS's
//! results. One screen with tabs, following the screen contract of
//! [`super::screen`]: `ui` draws from the state it owns and returns
//! [`FinanceAction`]s; `apply` acts through `crate::finance`. Journal
//! imports run on a [`Job`] with a progress bar. Keyboard: Ctrl+1…4 switch
//! tabs, Tab moves between fields, Enter in a field does what its button
//! does.
//!
//! The Reports tab (`crate::ui::finance::reports::ReportsTab`) and the
//! Posting tab (`crate::ui::finance::posting::PostingTab`) plug in beside
//! these four as further [`Tab`] variants.

pub mod posting;
pub mod reports;

use super::jobs::{Job, Poll, progress_bar};
use super::screen::ScreenEnv;
use super::widgets::{self, AMBER, GREEN, RED};
use crate::clock::FixedClock;
use crate::error::{ErrorKind, Failure};
use crate::finance::deadlines::{self, DeadlineRow, Filter};
use crate::finance::exchange::{self, Found};
use crate::finance::journal::{self, ImportOutcome};
use crate::finance::reconcile::{self, Report};
use crate::i18n::Lang;
use crate::store::Store;
use eframe::egui;
use posting::{PostingAction, PostingTab};
use reports::{ReportsAction, ReportsTab};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Import,
    Exchange,
    Deadlines,
    Reconcile,
    Reports,
    Posting,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Import,
        Tab::Exchange,
        Tab::Deadlines,
        Tab::Reconcile,
        Tab::Reports,
        Tab::Posting,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Tab::Import => lang.pick("导入日志", "Import journals"),
            Tab::Exchange => lang.pick("换票", "Exchange desk"),
            Tab::Deadlines => lang.pick("截止日期", "Deadlines"),
            Tab::Reconcile => lang.pick("对账", "Reconcile"),
            Tab::Reports => lang.pick("报表", "Reports"),
            Tab::Posting => lang.pick("上传HIS", "Post to HIS"),
        }
    }
}

/// Which deadline list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineView {
    All,
    Overdue,
    DueWithin5,
}

/// What the person asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinanceAction {
    Tab(Tab),
    /// The Reports tab's own actions.
    Reports(ReportsAction),
    /// The Posting tab's own actions.
    Posting(PostingAction),
    /// Opens a file dialog for journals.
    PickJournals,
    /// Starts importing the journals named (paths separated by `;` or new lines).
    ImportJournals(Vec<PathBuf>),
    Find(String),
    Exchange {
        number: String,
        invoice: String,
    },
    Resettle {
        number: String,
        invoice: String,
    },
    Deadlines(DeadlineView),
    PickHisFile,
    Reconcile(PathBuf),
}

type ImportResult = Result<Vec<ImportOutcome>, Failure>;

pub struct FinanceScreen {
    pub tab: Tab,
    /// The context, kept from the last frame to start jobs from `apply`.
    ctx: Option<egui::Context>,
    pub journal_paths: String,
    import_job: Option<Job<ImportResult>>,
    pub import_result: Option<ImportResult>,
    pub query: String,
    pub found: Vec<Found>,
    pub selected: Option<String>,
    pub invoice: String,
    /// The desk's last answer: done (zh, en) or refused.
    pub desk: Option<Result<(String, String), Failure>>,
    pub view: DeadlineView,
    pub deadlines: Vec<DeadlineRow>,
    pub deadline_error: Option<Failure>,
    pub his_path: String,
    pub reconcile: Option<Result<Report, Failure>>,
    focus_main: bool,
    reports: ReportsTab,
    posting: PostingTab,
}

impl Default for FinanceScreen {
    fn default() -> Self {
        FinanceScreen::new()
    }
}

fn split_paths(text: &str) -> Vec<PathBuf> {
    text.split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .collect()
}

fn enter_pressed(ui: &egui::Ui, r: &egui::Response) -> bool {
    r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
}

impl FinanceScreen {
    pub fn new() -> FinanceScreen {
        FinanceScreen {
            tab: Tab::Import,
            ctx: None,
            journal_paths: String::new(),
            import_job: None,
            import_result: None,
            query: String::new(),
            found: Vec::new(),
            selected: None,
            invoice: String::new(),
            desk: None,
            view: DeadlineView::All,
            deadlines: Vec::new(),
            deadline_error: None,
            his_path: String::new(),
            reconcile: None,
            focus_main: true,
            reports: ReportsTab::default(),
            posting: PostingTab::default(),
        }
    }

    /// The screen with the clock the Posting tab stamps its sends with
    /// (the shell's clock, so tests can stand on a chosen date).
    pub fn with_clock(clock: Arc<dyn crate::clock::Clock>) -> FinanceScreen {
        FinanceScreen {
            posting: PostingTab::new(clock),
            ..FinanceScreen::new()
        }
    }

    /// True while a journal import, a report or a send runs.
    pub fn busy(&self) -> bool {
        self.import_job.is_some() || self.reports.busy() || self.posting.busy()
    }

    pub fn reports(&self) -> &ReportsTab {
        &self.reports
    }

    pub fn posting(&self) -> &PostingTab {
        &self.posting
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Vec<FinanceAction> {
        self.ctx = Some(ui.ctx().clone());
        let mut acts = Vec::new();
        // Ctrl+1…4: the tabs.
        let keys = [
            egui::Key::Num1,
            egui::Key::Num2,
            egui::Key::Num3,
            egui::Key::Num4,
            egui::Key::Num5,
            egui::Key::Num6,
        ];
        for (k, t) in keys.iter().zip(Tab::ALL) {
            if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, *k)) {
                acts.push(FinanceAction::Tab(t));
            }
        }
        ui.heading(lang.pick("财务", "Finance"));
        ui.horizontal(|ui| {
            for (i, t) in Tab::ALL.into_iter().enumerate() {
                let r = ui
                    .selectable_label(self.tab == t, format!("{} (Ctrl+{})", t.label(lang), i + 1));
                if r.clicked() {
                    acts.push(FinanceAction::Tab(t));
                }
            }
        });
        ui.separator();
        self.poll_import(ui.ctx(), &mut acts);
        match self.tab {
            Tab::Import => self.import_ui(ui, lang, &mut acts),
            Tab::Exchange => self.exchange_ui(ui, lang, &mut acts),
            Tab::Deadlines => self.deadlines_ui(ui, lang, &mut acts),
            Tab::Reconcile => self.reconcile_ui(ui, lang, &mut acts),
            Tab::Reports => acts.extend({
                self.reports.focus_preview |= std::mem::take(&mut self.focus_main);
                self.reports
                    .ui(ui, lang)
                    .into_iter()
                    .map(FinanceAction::Reports)
            }),
            Tab::Posting => acts.extend(
                self.posting
                    .ui(ui, lang)
                    .into_iter()
                    .map(FinanceAction::Posting),
            ),
        }
        acts
    }

    fn poll_import(&mut self, ctx: &egui::Context, acts: &mut Vec<FinanceAction>) {
        let Some(job) = &self.import_job else {
            return;
        };
        match job.poll(ctx) {
            Poll::Running => {}
            Poll::Done(r) => {
                self.import_result = Some(r);
                self.import_job = None;
                acts.push(FinanceAction::Deadlines(self.view));
            }
            Poll::Lost => {
                self.import_result = Some(Err(Failure::new(
                    ErrorKind::Internal,
                    "导入中断（程序错误）",
                    "the import stopped (a bug)",
                )));
                self.import_job = None;
            }
        }
    }

    fn import_ui(&mut self, ui: &mut egui::Ui, lang: Lang, acts: &mut Vec<FinanceAction>) {
        ui.label(lang.pick(
            "各终端导出的日志文件（多个用 ; 分隔）。重复导入不会改变任何记录。",
            "Journal files exported by the terminals (several: separate with ;). Importing one again changes nothing.",
        ));
        ui.horizontal(|ui| {
            let r = widgets::labelled_text(
                ui,
                lang.pick("日志文件", "Journal files"),
                &mut self.journal_paths,
                false,
                520.0,
            );
            if std::mem::take(&mut self.focus_main) {
                r.request_focus();
            }
            if enter_pressed(ui, &r) && !self.busy() {
                acts.push(FinanceAction::ImportJournals(split_paths(
                    &self.journal_paths,
                )));
            }
            if ui.button(lang.pick("选择…", "Browse…")).clicked() {
                acts.push(FinanceAction::PickJournals);
            }
            let go = ui.add_enabled(!self.busy(), egui::Button::new(lang.pick("导入", "Import")));
            if go.clicked() {
                acts.push(FinanceAction::ImportJournals(split_paths(
                    &self.journal_paths,
                )));
            }
        });
        if let Some(job) = &self.import_job {
            progress_bar(ui, job.fraction(), lang.pick("正在导入…", "Importing…"));
        }
        match &self.import_result {
            None => {}
            Some(Err(f)) => {
                ui.colored_label(RED, f.message(lang));
            }
            Some(Ok(outs)) => {
                for o in outs {
                    let name = o.file.display();
                    if o.already_imported {
                        ui.label(match lang {
                            Lang::Zh => format!("{name}：终端 {} 已导入过，无新记录，未作更改", o.terminal),
                            Lang::En => format!(
                                "{name}: terminal {} already imported; nothing new, nothing changed",
                                o.terminal
                            ),
                        });
                    } else {
                        ui.colored_label(
                            GREEN,
                            match lang {
                                Lang::Zh => format!(
                                    "{name}：终端 {}，新票据 {} 张",
                                    o.terminal, o.receipts_added
                                ),
                                Lang::En => format!(
                                    "{name}: terminal {}, {} new receipts",
                                    o.terminal, o.receipts_added
                                ),
                            },
                        );
                    }
                    for c in &o.collisions {
                        ui.colored_label(
                            RED,
                            format!(
                                "{} [{}] {}: {}",
                                lang.pick("号码冲突", "Number collision"),
                                c.kind,
                                c.record,
                                lang.pick(&c.detail_zh, &c.detail)
                            ),
                        );
                    }
                }
                if let Some(last) = outs.last() {
                    for d in &last.double_dispensings {
                        ui.colored_label(
                            RED,
                            format!(
                                "{} {} #{} {}: {} {} / {} {} ({})",
                                lang.pick("重复发药", "Double dispensing"),
                                d.receipt,
                                d.line,
                                d.code,
                                lang.pick("已付", "paid"),
                                d.paid_qty,
                                lang.pick("发出", "dispensed"),
                                d.dispensed_qty,
                                d.terminals.join(", ")
                            ),
                        );
                    }
                }
            }
        }
    }

    fn exchange_ui(&mut self, ui: &mut egui::Ui, lang: Lang, acts: &mut Vec<FinanceAction>) {
        ui.label(lang.pick(
            "输入票据号、扫描票据二维码或输入患者姓名，回车查找。",
            "Type a receipt number, scan its QR code or type the patient's name, then Enter.",
        ));
        ui.horizontal(|ui| {
            let r = widgets::labelled_text(
                ui,
                lang.pick("查找票据", "Find receipt"),
                &mut self.query,
                false,
                420.0,
            );
            if std::mem::take(&mut self.focus_main) {
                r.request_focus();
            }
            if enter_pressed(ui, &r) || ui.button(lang.pick("查找", "Find")).clicked() {
                acts.push(FinanceAction::Find(self.query.clone()));
            }
        });
        egui::ScrollArea::vertical()
            .max_height(260.0)
            .id_salt("finance_found")
            .show(ui, |ui| {
                egui::Grid::new("finance_found_grid")
                    .striped(true)
                    .show(ui, |ui| {
                        for h in [
                            lang.pick("票据号", "Number"),
                            lang.pick("开具时间", "Issued"),
                            lang.pick("患者", "Patient"),
                            lang.pick("金额", "Total"),
                            lang.pick("状态", "Status"),
                        ] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for f in &self.found {
                            let sel = self.selected.as_deref() == Some(f.number.as_str());
                            if ui.selectable_label(sel, &f.number).clicked() {
                                self.selected = Some(f.number.clone());
                            }
                            ui.label(crate::ui::status::date_time(&f.issued_at));
                            ui.label(&f.patient);
                            ui.label(f.total.to_string());
                            match &f.refused {
                                Some((zh, en)) => ui.colored_label(AMBER, lang.pick(zh, en)),
                                None => ui.label(f.status.label(lang)),
                            };
                            ui.end_row();
                        }
                    });
            });
        if let Some(number) = self.selected.clone() {
            ui.separator();
            ui.label(format!("{}{number}", lang.pick("所选票据：", "Selected: ")));
            let insured = self.found.iter().any(|f| f.number == number && f.insured);
            ui.horizontal(|ui| {
                let r = widgets::labelled_text(
                    ui,
                    lang.pick("HIS 发票号", "HIS invoice no."),
                    &mut self.invoice,
                    false,
                    240.0,
                );
                let enter = enter_pressed(ui, &r);
                if ui
                    .button(lang.pick("登记换票", "Record exchange"))
                    .clicked()
                    || enter
                {
                    acts.push(FinanceAction::Exchange {
                        number: number.clone(),
                        invoice: self.invoice.clone(),
                    });
                }
                if insured
                    && ui
                        .button(lang.pick("医保重新结算", "Record insurance re-settlement"))
                        .clicked()
                {
                    acts.push(FinanceAction::Resettle {
                        number: number.clone(),
                        invoice: self.invoice.clone(),
                    });
                }
            });
        }
        match &self.desk {
            Some(Ok((zh, en))) => {
                ui.colored_label(GREEN, lang.pick(zh, en));
            }
            Some(Err(f)) => {
                ui.colored_label(RED, f.message(lang));
            }
            None => {}
        }
    }

    fn deadlines_ui(&mut self, ui: &mut egui::Ui, lang: Lang, acts: &mut Vec<FinanceAction>) {
        ui.horizontal(|ui| {
            for (v, zh, en) in [
                (DeadlineView::All, "全部未结", "All open"),
                (DeadlineView::Overdue, "已逾期", "Overdue"),
                (
                    DeadlineView::DueWithin5,
                    "5 个工作日内到期",
                    "Due within 5 working days",
                ),
            ] {
                if ui
                    .selectable_label(self.view == v, lang.pick(zh, en))
                    .clicked()
                {
                    acts.push(FinanceAction::Deadlines(v));
                }
            }
        });
        if let Some(f) = &self.deadline_error {
            ui.colored_label(RED, f.message(lang));
        }
        let overdue = self.deadlines.iter().filter(|r| r.overdue).count();
        ui.label(match lang {
            Lang::Zh => format!("{} 张未结票据，其中逾期 {overdue} 张", self.deadlines.len()),
            Lang::En => format!("{} open receipts, {overdue} overdue", self.deadlines.len()),
        });
        egui::ScrollArea::vertical()
            .id_salt("finance_deadlines")
            .show(ui, |ui| {
                egui::Grid::new("finance_deadline_grid")
                    .striped(true)
                    .show(ui, |ui| {
                        for h in [
                            lang.pick("票据号", "Number"),
                            lang.pick("患者", "Patient"),
                            lang.pick("金额", "Amount"),
                            lang.pick("截止日期", "Deadline"),
                            lang.pick("剩余工作日", "Working days left"),
                        ] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for r in &self.deadlines {
                            ui.label(&r.number);
                            ui.label(&r.patient);
                            ui.label(r.amount.to_string());
                            let tbc = lang.pick("待确认", "to be confirmed");
                            ui.label(r.deadline.as_deref().unwrap_or(tbc));
                            match r.days_left {
                                Some(d) if d < 0 => {
                                    ui.colored_label(
                                        RED,
                                        match lang {
                                            Lang::Zh => format!("逾期 {} 天", -d),
                                            Lang::En => format!("overdue {}", -d),
                                        },
                                    );
                                }
                                Some(d) if d <= 3 => {
                                    ui.colored_label(AMBER, d.to_string());
                                }
                                Some(d) => {
                                    ui.label(d.to_string());
                                }
                                None => {
                                    ui.colored_label(AMBER, tbc);
                                }
                            }
                            ui.end_row();
                        }
                    });
            });
    }

    fn reconcile_ui(&mut self, ui: &mut egui::Ui, lang: Lang, acts: &mut Vec<FinanceAction>) {
        ui.label(lang.pick(
            "HIS 回传文件（CSV：manual_receipt_no,his_invoice_no,amount,posted_at,kind）",
            "HIS results file (CSV: manual_receipt_no,his_invoice_no,amount,posted_at,kind)",
        ));
        ui.horizontal(|ui| {
            let r = widgets::labelled_text(
                ui,
                lang.pick("HIS 文件", "HIS file"),
                &mut self.his_path,
                false,
                480.0,
            );
            if std::mem::take(&mut self.focus_main) {
                r.request_focus();
            }
            let enter = enter_pressed(ui, &r);
            if ui.button(lang.pick("选择…", "Browse…")).clicked() {
                acts.push(FinanceAction::PickHisFile);
            }
            if ui.button(lang.pick("对账", "Reconcile")).clicked() || enter {
                acts.push(FinanceAction::Reconcile(PathBuf::from(
                    self.his_path.trim(),
                )));
            }
        });
        match &self.reconcile {
            None => {}
            Some(Err(f)) => {
                ui.colored_label(RED, f.message(lang));
            }
            Some(Ok(r)) => {
                ui.label(match lang {
                    Lang::Zh => format!(
                        "HIS 文件 {} 行，合计 {}；本方应入 HIS {} 张，合计 {}",
                        r.file_rows, r.file_total, r.our_receipts, r.our_total
                    ),
                    Lang::En => format!(
                        "HIS file: {} rows, total {}; ours expected in the HIS: {}, total {}",
                        r.file_rows, r.file_total, r.our_receipts, r.our_total
                    ),
                });
                egui::Grid::new("finance_reconcile_grid")
                    .striped(true)
                    .show(ui, |ui| {
                        for h in [
                            lang.pick("分组", "Group"),
                            lang.pick("笔数", "Count"),
                            lang.pick("HIS 金额", "HIS total"),
                            lang.pick("本方金额", "Our total"),
                        ] {
                            ui.strong(h);
                        }
                        ui.end_row();
                        for (zh, en, g) in [
                            ("相符", "Matched", &r.matched),
                            ("金额不符", "Amount mismatch", &r.amount_mismatch),
                            ("HIS 缺失", "Missing in the HIS", &r.missing_in_his),
                            ("本方无此票", "Unknown to us", &r.unknown_to_us),
                            ("重复", "Duplicates", &r.duplicates),
                        ] {
                            ui.label(lang.pick(zh, en));
                            ui.label(g.count.to_string());
                            ui.label(g.total.to_string());
                            ui.label(g.our_total.to_string());
                            ui.end_row();
                        }
                    });
                ui.label(match lang {
                    Lang::Zh => format!(
                        "本次登记：换票 {}，自费入账 {}，医保重新结算 {}；此前已登记 {}",
                        r.recorded.exchanged,
                        r.recorded.self_pay_posted,
                        r.recorded.insurance_resettled,
                        r.already_recorded
                    ),
                    Lang::En => format!(
                        "Recorded now: exchanged {}, self-pay posted {}, re-settled {}; already recorded {}",
                        r.recorded.exchanged,
                        r.recorded.self_pay_posted,
                        r.recorded.insurance_resettled,
                        r.already_recorded
                    ),
                });
                for (zh, en, g) in [
                    ("金额不符", "Amount mismatch", &r.amount_mismatch),
                    ("本方无此票", "Unknown to us", &r.unknown_to_us),
                    ("重复", "Duplicates", &r.duplicates),
                ] {
                    for i in g.items.iter().take(20) {
                        ui.colored_label(
                            AMBER,
                            format!(
                                "{} {}: {} {} {}",
                                lang.pick(zh, en),
                                i.row.map(|r| format!("#{r}")).unwrap_or_default(),
                                i.receipt,
                                i.amount.map(|a| a.to_string()).unwrap_or_default(),
                                i.note_text(lang)
                            ),
                        );
                    }
                }
            }
        }
    }

    pub fn apply(&mut self, action: FinanceAction, env: &mut ScreenEnv<'_>) {
        match action {
            FinanceAction::Reports(a) => self.reports.apply(a, env),
            FinanceAction::Posting(a) => self.posting.apply(a, env),
            FinanceAction::Tab(t) => {
                self.tab = t;
                if t == Tab::Deadlines {
                    self.load_deadlines(env);
                }
                // The cursor goes to the tab's main field.
                self.focus_main = true;
            }
            FinanceAction::PickJournals => {
                if let Some(files) = rfd::FileDialog::new()
                    .add_filter("journal", &["journal", "jnl"])
                    .pick_files()
                {
                    self.journal_paths = files
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join("; ");
                }
            }
            FinanceAction::ImportJournals(files) => self.start_import(files, env),
            FinanceAction::Find(q) => {
                self.desk = None;
                let found = crate::finance::hospital_key(env.data_dir)
                    .and_then(|key| Ok(exchange::find(env.store.conn(), &key, &q)?));
                match found {
                    Ok(f) => {
                        self.selected = if f.len() == 1 {
                            Some(f[0].number.clone())
                        } else {
                            None
                        };
                        if f.is_empty() {
                            self.desk = Some(Err(Failure::new(
                                ErrorKind::Invalid,
                                format!("没有找到“{}”", q.trim()),
                                format!("nothing found for '{}'", q.trim()),
                            )));
                        }
                        self.found = f;
                    }
                    Err(e) => self.desk = Some(Err(e)),
                }
            }
            FinanceAction::Exchange { number, invoice } => {
                let r = exchange::exchange(env.store, env.session, env.clock, &number, &invoice);
                self.after_desk(r, env);
            }
            FinanceAction::Resettle { number, invoice } => {
                let r = exchange::resettle(env.store, env.session, env.clock, &number, &invoice);
                self.after_desk(r, env);
            }
            FinanceAction::Deadlines(v) => {
                self.view = v;
                self.load_deadlines(env);
            }
            FinanceAction::PickHisFile => {
                if let Some(f) = rfd::FileDialog::new()
                    .add_filter("CSV", &["csv"])
                    .pick_file()
                {
                    self.his_path = f.display().to_string();
                }
            }
            FinanceAction::Reconcile(path) => {
                self.reconcile = Some(
                    reconcile::reconcile(env.store, env.session, env.clock, &path)
                        .map_err(Failure::from),
                );
                self.load_deadlines(env);
            }
        }
    }

    fn after_desk(
        &mut self,
        r: Result<exchange::Recorded, crate::finance::FinanceError>,
        env: &mut ScreenEnv<'_>,
    ) {
        match r {
            Ok(rec) => {
                self.desk = Some(Ok((
                    format!("票据 {} 已登记 HIS 发票 {}", rec.number, rec.his_invoice),
                    format!(
                        "Receipt {} recorded with HIS invoice {}",
                        rec.number, rec.his_invoice
                    ),
                )));
                self.invoice.clear();
                if let Ok(key) = crate::finance::hospital_key(env.data_dir)
                    && let Ok(f) = exchange::find(env.store.conn(), &key, &rec.number)
                {
                    self.found = f;
                }
                self.focus_main = true;
            }
            Err(e) => self.desk = Some(Err(e.into())),
        }
    }

    fn load_deadlines(&mut self, env: &mut ScreenEnv<'_>) {
        let today = env.clock.now().date_naive();
        let filter = match self.view {
            DeadlineView::All => Filter::All,
            DeadlineView::Overdue => Filter::Overdue,
            DeadlineView::DueWithin5 => Filter::DueWithin(5),
        };
        match deadlines::list(env.store.conn(), today, filter) {
            Ok(rows) => {
                self.deadlines = rows;
                self.deadline_error = None;
            }
            Err(e) => self.deadline_error = Some(e.into()),
        }
    }

    fn start_import(&mut self, files: Vec<PathBuf>, env: &mut ScreenEnv<'_>) {
        if files.is_empty() {
            self.import_result = Some(Err(Failure::new(
                ErrorKind::Invalid,
                "请填写或选择日志文件",
                "type or pick a journal file",
            )));
            return;
        }
        let Some(ctx) = self.ctx.clone() else {
            return;
        };
        let data_dir = env.data_dir.clone();
        let session = env.session.clone();
        // The import's time is the moment it was asked for.
        let clock = FixedClock(env.clock.now());
        self.import_result = None;
        self.import_job = Some(Job::spawn(&ctx, move |progress| {
            let mut store = Store::open(&data_dir)?;
            let key = crate::finance::hospital_key(&data_dir)?;
            let n = files.len() as u64;
            let mut outs = Vec::new();
            for (i, f) in files.iter().enumerate() {
                let i = i as u64;
                let o =
                    journal::import(&mut store, &session, &clock, &key, f, &mut |done, size| {
                        // Whole files count equally; within a file, by bytes.
                        let part = (done * 1000).checked_div(size).unwrap_or(1000);
                        progress.set(i * 1000 + part.min(1000), n * 1000);
                    })?;
                outs.push(o);
            }
            Ok(outs)
        }));
    }
}
