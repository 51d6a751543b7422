//! The finance screen's Posting tab: choose what to post (all receipts, one
//! episode, or the overdue self-pay batch), write it to a file for the HIS
//! vendor's import tool, or send it to the HIS over HL7/MLLP or FHIR, and
//! see the summary and the posting history. Sends and exports run on a
//! background job with their own connection, so the window keeps answering
//! while the HIS acknowledges message after message. The rules are the
//! library's (`crate::his`); this tab collects and shows.

use crate::clock::{Clock, SystemClock};
use crate::error::{ErrorKind, Failure};
use crate::his::post::ExportSummary;
use crate::his::postings::{self, BatchRow};
use crate::his::{self, Format, Selection, SendSummary, fhir, mllp};
use crate::i18n::Lang;
use crate::store::Store;
use crate::ui::jobs::{self, Job, Poll};
use crate::ui::screen::ScreenEnv;
use crate::ui::widgets::{self, GREEN, RED};
use eframe::egui;
use std::path::PathBuf;
use std::sync::Arc;

/// What the person asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostingAction {
    Export,
    SendHl7,
    SendFhir,
    /// Read the posting history again (after a job, or on first show).
    Refresh,
}

/// What a finished job brings back.
#[derive(Debug, Clone)]
pub enum Done {
    Exported(ExportSummary),
    Sent(SendSummary),
}

pub struct PostingTab {
    clock: Arc<dyn Clock>,
    ctx: Option<egui::Context>,
    pub format: Format,
    pub episode: String,
    pub overdue: bool,
    pub out_path: String,
    pub hl7_target: String,
    pub fhir_base: String,
    job: Option<Job<Result<Done, Failure>>>,
    pub last: Option<Result<Done, Failure>>,
    pub history: Vec<BatchRow>,
    loaded: bool,
}

impl Default for PostingTab {
    fn default() -> Self {
        PostingTab::new(Arc::new(SystemClock))
    }
}

impl PostingTab {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        PostingTab {
            clock,
            ctx: None,
            format: Format::Csv,
            episode: String::new(),
            overdue: false,
            out_path: String::new(),
            hl7_target: String::new(),
            fhir_base: String::new(),
            job: None,
            last: None,
            history: Vec::new(),
            loaded: false,
        }
    }

    /// A send or an export is running.
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }

    fn selection(&self) -> Result<Selection, Failure> {
        let t = self.episode.trim();
        let episode = if t.is_empty() {
            None
        } else {
            Some(t.parse::<i64>().map_err(|_| {
                Failure::new(
                    ErrorKind::Invalid,
                    format!("应急事件编号“{t}”不是数字"),
                    format!("episode '{t}' is not a number"),
                )
            })?)
        };
        Ok(Selection {
            episode,
            overdue_self_pay: self.overdue,
        })
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Vec<PostingAction> {
        self.ctx = Some(ui.ctx().clone());
        let mut actions = Vec::new();
        if !self.loaded {
            self.loaded = true;
            actions.push(PostingAction::Refresh);
        }
        if let Some(job) = &self.job {
            match job.poll(ui.ctx()) {
                Poll::Running => {}
                Poll::Done(r) => {
                    self.last = Some(r);
                    self.job = None;
                    actions.push(PostingAction::Refresh);
                }
                Poll::Lost => {
                    self.last = Some(Err(Failure::new(
                        ErrorKind::Internal,
                        "发送任务意外中止",
                        "the posting job stopped unexpectedly",
                    )));
                    self.job = None;
                }
            }
        }
        ui.heading(lang.pick("过账到 HIS", "Post to the HIS"));
        ui.label(lang.pick(
            "演练票据与作废票据不会过账；退费凭证作为冲红过账；已被 HIS 接受的票据再次发送时跳过。",
            "Drill and voided receipts are never posted; credit notes are posted as reversals; receipts the HIS accepted are skipped on a re-send.",
        ));
        ui.add_space(6.0);
        let idle = self.job.is_none();
        ui.add_enabled_ui(idle, |ui| {
            ui.horizontal(|ui| {
                widgets::labelled_text(
                    ui,
                    lang.pick("应急事件编号（空=全部）", "Episode (empty: all)"),
                    &mut self.episode,
                    false,
                    80.0,
                );
                ui.checkbox(
                    &mut self.overdue,
                    lang.pick("仅逾期自费批次", "Overdue self-pay only"),
                );
            });
            ui.separator();
            ui.horizontal(|ui| {
                ui.label(lang.pick("文件格式", "Format"));
                for f in Format::ALL {
                    ui.radio_value(&mut self.format, f, f.as_str().to_uppercase());
                }
            });
            ui.horizontal(|ui| {
                widgets::labelled_text(
                    ui,
                    lang.pick("导出文件", "Export file"),
                    &mut self.out_path,
                    false,
                    360.0,
                );
                if ui.button(lang.pick("导出", "Export")).clicked() {
                    actions.push(PostingAction::Export);
                }
            });
            ui.separator();
            ui.horizontal(|ui| {
                widgets::labelled_text(
                    ui,
                    lang.pick("HL7 接收端 主机:端口", "HL7 listener HOST:PORT"),
                    &mut self.hl7_target,
                    false,
                    200.0,
                );
                if ui
                    .button(lang.pick("经 HL7 发送", "Send over HL7"))
                    .clicked()
                {
                    actions.push(PostingAction::SendHl7);
                }
            });
            ui.horizontal(|ui| {
                widgets::labelled_text(
                    ui,
                    lang.pick("FHIR 服务地址", "FHIR base URL"),
                    &mut self.fhir_base,
                    false,
                    280.0,
                );
                if ui
                    .button(lang.pick("以 FHIR 发送", "Send as FHIR"))
                    .clicked()
                {
                    actions.push(PostingAction::SendFhir);
                }
            });
        });
        if let Some(job) = &self.job {
            jobs::progress_bar(ui, job.fraction(), lang.pick("正在过账……", "posting…"));
        }
        ui.add_space(6.0);
        let mut dismiss = false;
        match &self.last {
            Some(Err(f)) => {
                dismiss = widgets::failure_banner(ui, lang, f, lang.pick("关闭", "close"))
            }
            Some(Ok(done)) => summary_ui(ui, lang, done),
            None => {}
        }
        if dismiss {
            self.last = None;
        }
        ui.add_space(6.0);
        ui.strong(lang.pick("过账记录", "Posting history"));
        history_ui(ui, lang, &self.history);
        actions
    }

    pub fn apply(&mut self, action: PostingAction, env: &mut ScreenEnv<'_>) {
        if action == PostingAction::Refresh {
            match postings::history(env.store.conn(), 30) {
                Ok(h) => self.history = h,
                Err(e) => self.last = Some(Err(e.into())),
            }
            if self.hl7_target.is_empty()
                && let Ok(Some(t)) = env.store.setting("his.hl7_target")
            {
                self.hl7_target = t;
            }
            if self.fhir_base.is_empty()
                && let Ok(Some(t)) = env.store.setting("his.fhir_base")
            {
                self.fhir_base = t;
            }
            return;
        }
        if self.job.is_some() {
            return;
        }
        let sel = match self.selection() {
            Ok(s) => s,
            Err(f) => {
                self.last = Some(Err(f));
                return;
            }
        };
        let Some(ctx) = self.ctx.clone() else { return };
        let data_dir = env.data_dir.clone();
        let session = env.session.clone();
        let clock = Arc::clone(&self.clock);
        let format = self.format;
        let out = PathBuf::from(self.out_path.trim());
        let hl7_target = self.hl7_target.trim().to_string();
        let fhir_base = self.fhir_base.trim().to_string();
        if action == PostingAction::Export && out.as_os_str().is_empty() {
            self.last = Some(Err(Failure::new(
                ErrorKind::Invalid,
                "请填写导出文件路径",
                "give the export file's path",
            )));
            return;
        }
        self.last = None;
        self.job = Some(Job::spawn(&ctx, move |progress| {
            let mut store = Store::open(&data_dir).map_err(Failure::from)?;
            let clock: &dyn Clock = clock.as_ref();
            let report = |done: usize, total: usize| progress.set(done as u64, total as u64);
            let r = match action {
                PostingAction::Export => {
                    his::export(&mut store, &session, clock, format, sel, &out).map(Done::Exported)
                }
                PostingAction::SendHl7 => his::send_hl7(
                    &mut store,
                    &session,
                    clock,
                    &hl7_target,
                    sel,
                    &mllp::Options::default(),
                    &report,
                )
                .map(Done::Sent),
                PostingAction::SendFhir | PostingAction::Refresh => his::send_fhir(
                    &mut store,
                    &session,
                    clock,
                    &fhir_base,
                    sel,
                    &fhir::Options::default(),
                    &report,
                )
                .map(Done::Sent),
            };
            r.map_err(Failure::from)
        }));
    }
}

fn summary_ui(ui: &mut egui::Ui, lang: Lang, done: &Done) {
    match done {
        Done::Exported(s) => {
            ui.colored_label(
                GREEN,
                format!(
                    "{} {}：{} {}，{} {}，{} {}",
                    lang.pick("已导出", "Exported"),
                    s.out.display(),
                    s.receipts,
                    lang.pick("张票据", "receipts"),
                    s.rows,
                    lang.pick("行", "rows"),
                    lang.pick("合计", "total"),
                    s.total
                ),
            );
            skipped_ui(ui, lang, &s.skipped);
        }
        Done::Sent(s) => {
            let colour = if s.all_accepted() { GREEN } else { RED };
            ui.colored_label(
                colour,
                format!(
                    "{} {}: {} {} · {} {} · {} {} · {} {}",
                    lang.pick("已发送至", "Sent to"),
                    s.target,
                    lang.pick("发送", "sent"),
                    s.sent,
                    lang.pick("接受", "accepted"),
                    s.accepted,
                    lang.pick("拒绝", "refused"),
                    s.refused,
                    lang.pick("未送达", "not delivered"),
                    s.errors
                ),
            );
            skipped_ui(ui, lang, &s.skipped);
            for p in &s.problems {
                ui.colored_label(
                    RED,
                    format!(
                        "{} {} [{}] {}",
                        p.receipt,
                        p.outcome.label(lang),
                        p.code,
                        p.detail
                    ),
                );
            }
        }
    }
}

fn skipped_ui(ui: &mut egui::Ui, lang: Lang, s: &his::select::Skipped) {
    ui.label(format!(
        "{}: {} {} · {} {} · {} {} · {} {}",
        lang.pick("跳过", "Skipped"),
        lang.pick("演练", "drill"),
        s.drill,
        lang.pick("作废", "voided"),
        s.voided,
        lang.pick("已在 HIS", "already in the HIS"),
        s.in_his,
        lang.pick("此前已接受", "accepted before"),
        s.already_accepted
    ));
}

fn history_ui(ui: &mut egui::Ui, lang: Lang, rows: &[BatchRow]) {
    if rows.is_empty() {
        ui.label(lang.pick("尚无过账记录", "nothing posted yet"));
        return;
    }
    egui::ScrollArea::vertical()
        .max_height(260.0)
        .show(ui, |ui| {
            egui::Grid::new("his_posting_history")
                .striped(true)
                .num_columns(8)
                .spacing([16.0, 4.0])
                .show(ui, |ui| {
                    for h in [
                        lang.pick("时间", "When"),
                        lang.pick("方式", "Channel"),
                        lang.pick("目标", "Target"),
                        lang.pick("操作员", "User"),
                        lang.pick("票据", "Receipts"),
                        lang.pick("接受", "Accepted"),
                        lang.pick("拒绝", "Refused"),
                        lang.pick("未送达", "Not delivered"),
                    ] {
                        ui.strong(h);
                    }
                    ui.end_row();
                    for r in rows {
                        ui.label(crate::ui::status::date_time(&r.started_at));
                        ui.label(&r.channel);
                        ui.label(&r.target);
                        ui.label(&r.user);
                        ui.label(r.receipts.to_string());
                        ui.label(r.accepted.to_string());
                        if r.refused > 0 {
                            ui.colored_label(RED, r.refused.to_string());
                        } else {
                            ui.label(r.refused.to_string());
                        }
                        if r.errors > 0 {
                            ui.colored_label(RED, r.errors.to_string());
                        } else {
                            ui.label(r.errors.to_string());
                        }
                        ui.end_row();
                    }
                });
        });
}
