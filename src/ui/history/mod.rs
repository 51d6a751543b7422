//! Receipt history (收费记录): a cashier finds any receipt of this terminal
//! — by number, patient name, date and status, not only the last twelve —
//! opens it to see its lines, payments and events, and voids, reprints or
//! refunds it from there. A cashier sees their own receipts; an admin the
//! whole terminal's.
//!
//! Keyboard: type in a filter and Enter searches; Up/Down pick a row; Enter
//! (filters unchanged) opens it; in the receipt F7 refunds, F8 voids, F9
//! reprints, Esc goes back to the list. The screen follows the contract of
//! [`crate::ui::screen`]: `ui` draws and returns [`HistoryAction`]s, `apply`
//! reads and acts through `receipts::query` and the workflows (void,
//! reprint, refund with its credit note printed).
//!
//! - `detail`: one receipt as opened;
//! - `refund`: the refund and void dialogs.

mod detail;
mod refund;

use crate::auth::Role;
use crate::error::{ErrorKind, Failure};
use crate::i18n::Lang;
use crate::pharmacy::LineRecord;
use crate::receipts::query::{self, Filter, Found, ReceiptView, Status};
use crate::ui::cashier::Feedback;
use crate::ui::screen::ScreenEnv;
use crate::ui::status::short_time;
use crate::ui::widgets::RED;
use crate::workflows::{self, PdfOutcome, PdfStep};
use eframe::egui;
use egui_extras::{Column, TableBuilder};
use refund::Dialog;
use std::collections::BTreeMap;

/// Rows listed at most; the screen says when more matched.
const SHOWN: usize = 50;

/// The statuses a cashier filters by, in the order offered.
const STATUSES: [Status; 8] = [
    Status::Issued,
    Status::Voided,
    Status::PartlyRefunded,
    Status::Refunded,
    Status::Dispensed,
    Status::Exchanged,
    Status::SelfPayPosted,
    Status::Resettled,
];

/// What the person asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryAction {
    /// The screen came into view: search again, cursor in the number.
    Entered,
    /// Search with the filters as typed (the date is checked here).
    Search,
    Open(String),
    Void {
        number: String,
        reason: String,
        supervisor: String,
        pin: String,
    },
    Reprint(String),
    /// Refund `(line, qty)` of a receipt, approved by a supervisor.
    Refund {
        number: String,
        lines: Vec<(u32, String)>,
        reason: String,
        supervisor: String,
        pin: String,
    },
}

/// One receipt as opened: the stored view and the pharmacy's records of
/// its drug lines (dispensed, return confirmed).
#[derive(Debug, Clone)]
pub struct Opened {
    pub view: ReceiptView,
    pub pharmacy: BTreeMap<u32, LineRecord>,
}

/// Fields the cursor can be sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Number,
    Patient,
    Date,
}

impl Field {
    fn id(self) -> egui::Id {
        egui::Id::unique(("history", self as u8))
    }
}

#[derive(Default)]
pub struct HistoryScreen {
    number: String,
    patient: String,
    /// `YYYY-MM-DD`, `MM-DD` or empty.
    date: String,
    status: Option<Status>,
    /// The filters of the last search (Enter opens when unchanged).
    searched: Option<(String, String, String, Option<Status>)>,
    found: Found,
    highlight: usize,
    opened: Option<Opened>,
    dialog: Option<Dialog>,
    focus: Option<Field>,
    feedback: Vec<Feedback>,
    /// The highlighted row moved: bring it into view once.
    scroll: bool,
}

impl HistoryScreen {
    pub fn new() -> Self {
        HistoryScreen {
            focus: Some(Field::Number),
            ..Default::default()
        }
    }

    /// What the last search found.
    pub fn found(&self) -> &Found {
        &self.found
    }

    /// The receipt opened, if any.
    pub fn opened(&self) -> Option<&Opened> {
        self.opened.as_ref()
    }

    /// What the last actions left for the shell's banner.
    pub fn take_feedback(&mut self) -> Vec<Feedback> {
        std::mem::take(&mut self.feedback)
    }

    fn filters(&self) -> (String, String, String, Option<Status>) {
        (
            self.number.clone(),
            self.patient.clone(),
            self.date.clone(),
            self.status,
        )
    }

    /// Draws the screen; returns what was asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Vec<HistoryAction> {
        let mut acts = Vec::new();
        if let Some(dialog) = &mut self.dialog {
            match dialog.ui(ui, lang) {
                refund::Outcome::Open => {}
                refund::Outcome::Closed => self.dialog = None,
                refund::Outcome::Confirmed(a) => {
                    self.dialog = None;
                    acts.push(a);
                }
            }
            if ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape)) {
                self.dialog = None;
            }
        } else if self.opened.is_some() {
            self.opened_keys(ui, &mut acts);
        } else {
            self.list_keys(ui);
        }
        match &self.opened {
            Some(o) => detail::ui(ui, lang, o),
            None => self.list_ui(ui, lang, &mut acts),
        }
        if let Some(field) = self.focus.take() {
            ui.memory_mut(|m| m.request_focus(field.id()));
        }
        acts
    }

    fn list_keys(&mut self, ui: &mut egui::Ui) {
        let (down, up) = ui.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown),
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp),
            )
        });
        if down && self.highlight + 1 < self.found.rows.len() {
            self.highlight += 1;
        }
        if up && self.highlight > 0 {
            self.highlight -= 1;
        }
        self.scroll |= down || up;
    }

    fn opened_keys(&mut self, ui: &mut egui::Ui, acts: &mut Vec<HistoryAction>) {
        let pressed =
            |ui: &mut egui::Ui, key| ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, key));
        let Some(o) = &self.opened else { return };
        let number = o.view.number.clone();
        if pressed(ui, egui::Key::Escape) {
            self.opened = None;
            self.focus = Some(Field::Number);
            return;
        }
        if pressed(ui, egui::Key::F7) {
            self.dialog = Some(Dialog::refund(o));
        }
        if pressed(ui, egui::Key::F8) {
            self.dialog = Some(Dialog::void(&number));
        }
        if pressed(ui, egui::Key::F9) {
            acts.push(HistoryAction::Reprint(number));
        }
    }

    fn list_ui(&mut self, ui: &mut egui::Ui, lang: Lang, acts: &mut Vec<HistoryAction>) {
        ui.add(
            egui::Label::new(
                egui::RichText::new(lang.pick(
                    "输入条件后 Enter 查找；Up/Down 选择，Enter 打开；打开后 F7 退费  F8 作废  F9 重打  Esc 返回",
                    "Type a filter, Enter searches; Up/Down pick, Enter opens; then F7 refund  F8 void  F9 reprint  Esc back",
                ))
                .weak(),
            )
            .truncate(),
        );
        let mut entered = None;
        ui.horizontal(|ui| {
            for (field, zh, en, value, width) in [
                (Field::Number, "票据号", "Number", &mut self.number, 120.0),
                (
                    Field::Patient,
                    "患者姓名",
                    "Patient",
                    &mut self.patient,
                    100.0,
                ),
                (Field::Date, "日期", "Date", &mut self.date, 100.0),
            ] {
                let l = ui.label(lang.pick(zh, en));
                let r = ui
                    .add(
                        egui::TextEdit::singleline(value)
                            .id(field.id())
                            .hint_text(if field == Field::Date {
                                "YYYY-MM-DD"
                            } else {
                                ""
                            })
                            .desired_width(width),
                    )
                    .labelled_by(l.id);
                if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    entered = Some(field);
                }
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label(lang.pick("状态", "Status"));
            ui.selectable_value(&mut self.status, None, lang.pick("全部", "all"));
            for s in STATUSES {
                ui.selectable_value(&mut self.status, Some(s), s.label(lang));
            }
        });
        let changed = self.searched.as_ref() != Some(&self.filters());
        let status_changed = self.searched.as_ref().is_some_and(|s| s.3 != self.status);
        if let Some(field) = entered {
            // Enter searches; with the same filters, it opens the row.
            if changed || self.found.rows.is_empty() {
                acts.push(HistoryAction::Search);
            } else if let Some(row) = self.found.rows.get(self.highlight) {
                acts.push(HistoryAction::Open(row.number.clone()));
            }
            self.focus = Some(field);
        } else if status_changed {
            acts.push(HistoryAction::Search);
        }
        if ui.button(lang.pick("查找", "Search")).clicked() {
            acts.push(HistoryAction::Search);
        }
        ui.separator();
        let found = &self.found;
        if found.matched > found.rows.len() {
            ui.label(format!(
                "{} {} / {}",
                lang.pick("显示最新", "Showing the newest"),
                found.rows.len(),
                found.matched
            ));
        } else if self.searched.is_some() {
            ui.label(format!("{} {}", lang.pick("找到", "Found"), found.matched));
        }
        let mut open = None;
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        let height = ui.available_height().max(60.0);
        let mut table = TableBuilder::new(ui)
            .id_salt("history_rows")
            .striped(true)
            .sense(egui::Sense::click())
            .auto_shrink([false, true])
            .max_scroll_height(height);
        if std::mem::take(&mut self.scroll) && !found.rows.is_empty() {
            table = table.scroll_to_row(self.highlight, None);
        }
        table
            .column(Column::initial(140.0))
            .column(Column::initial(100.0))
            .column(Column::initial(90.0).clip(true))
            .column(Column::initial(80.0))
            .column(Column::initial(90.0).clip(true))
            .column(Column::remainder().clip(true))
            .header(20.0, |mut h| {
                for (zh, en) in [
                    ("票据号", "Number"),
                    ("时间", "Time"),
                    ("患者", "Patient"),
                    ("金额", "Amount"),
                    ("状态", "Status"),
                    ("收费员", "Cashier"),
                ] {
                    h.col(|ui| {
                        ui.strong(lang.pick(zh, en));
                    });
                }
            })
            .body(|mut body| {
                for (i, r) in found.rows.iter().enumerate() {
                    body.row(20.0, |mut row| {
                        row.set_selected(i == self.highlight);
                        row.col(|ui| {
                            ui.monospace(&r.number);
                        });
                        row.col(|ui| {
                            ui.label(short_time(&r.issued_at));
                        });
                        row.col(|ui| {
                            ui.label(&r.patient);
                        });
                        row.col(|ui| {
                            ui.monospace(r.total.to_string());
                        });
                        row.col(|ui| {
                            let text = if r.drill {
                                format!("{} {}", r.status.label(lang), lang.pick("演练", "drill"))
                            } else {
                                r.status.label(lang).to_string()
                            };
                            if r.status == Status::Voided {
                                ui.colored_label(RED, text);
                            } else {
                                ui.label(text);
                            }
                        });
                        row.col(|ui| {
                            ui.label(&r.cashier);
                        });
                        if row.response().double_clicked() {
                            open = Some(r.number.clone());
                        }
                    });
                }
            });
        if let Some(n) = open {
            acts.push(HistoryAction::Open(n));
        }
    }

    fn fail(&mut self, f: impl Into<Failure>) {
        self.feedback.push(Feedback::Failure(f.into()));
    }

    fn notice(&mut self, zh: String, en: String) {
        self.feedback.push(Feedback::Notice(zh, en));
    }

    /// The filters as the library takes them; a date that is not one is
    /// said, and the cursor goes back to it.
    fn filter(&mut self, env: &ScreenEnv<'_>) -> Option<Filter> {
        let date = match parse_date(&self.date, env.clock.now().date_naive()) {
            Ok(d) => d,
            Err(()) => {
                self.focus = Some(Field::Date);
                self.fail(Failure::new(
                    ErrorKind::Invalid,
                    format!("日期“{}”无效：请写成 2026-11-22 或 11-22", self.date.trim()),
                    format!(
                        "'{}' is not a date: write it as 2026-11-22 or 11-22",
                        self.date.trim()
                    ),
                ));
                return None;
            }
        };
        // A cashier sees their own receipts; an admin the terminal's.
        let cashier = (!env.session.has(Role::Admin)).then(|| env.session.user().to_string());
        Some(Filter {
            number: self.number.trim().to_string(),
            patient: self.patient.trim().to_string(),
            date,
            status: self.status,
            cashier,
        })
    }

    /// Searches again with the filters as they are (entering the screen,
    /// after a void or a refund).
    pub fn search(&mut self, env: &ScreenEnv<'_>) {
        let Some(filter) = self.filter(env) else {
            return;
        };
        let terminal = env.session.terminal().as_str();
        match query::search(env.store.conn(), terminal, &filter, SHOWN) {
            Ok(found) => {
                self.found = found;
                self.highlight = self.highlight.min(self.found.rows.len().saturating_sub(1));
                self.searched = Some(self.filters());
            }
            Err(e) => self.fail(e),
        }
    }

    fn open(&mut self, env: &ScreenEnv<'_>, number: &str) {
        let conn = env.store.conn();
        let view = match query::show(conn, number) {
            Ok(v) => v,
            Err(e) => return self.fail(e),
        };
        if !env.session.has(Role::Admin) && view.cashier != env.session.user().as_str() {
            return self.fail(Failure::new(
                ErrorKind::NotAllowed,
                format!("票据 {number} 不是您开的"),
                format!("receipt {number} is not one of yours"),
            ));
        }
        match crate::pharmacy::line_records(conn, number) {
            Ok(pharmacy) => self.opened = Some(Opened { view, pharmacy }),
            Err(e) => self.fail(Failure::from(crate::receipts::ReceiptError::from(e))),
        }
    }

    pub fn apply(&mut self, action: HistoryAction, env: &mut ScreenEnv<'_>) {
        match action {
            HistoryAction::Entered => {
                if self.opened.is_none() {
                    self.focus = Some(Field::Number);
                }
                self.search(env);
            }
            HistoryAction::Search => self.search(env),
            HistoryAction::Open(n) => self.open(env, &n),
            HistoryAction::Void {
                number,
                reason,
                supervisor,
                pin,
            } => match crate::receipts::void(
                env.store,
                env.session,
                env.clock,
                &number,
                &reason,
                &supervisor,
                &pin,
            ) {
                Ok(v) => {
                    self.notice(
                        format!("已作废 {}（主管 {}）", v.number, supervisor),
                        format!("Voided {} (supervisor {})", v.number, supervisor),
                    );
                    self.reopen(env, &number);
                }
                Err(e) => self.fail(e),
            },
            HistoryAction::Reprint(number) => {
                match workflows::reprint(
                    env.store,
                    env.session,
                    env.clock,
                    &number,
                    &PdfStep::Print,
                ) {
                    Ok(r) => match r.pdf {
                        PdfOutcome::Failed(f) => self.fail(f),
                        pdf => {
                            let (zh, en) = crate::ui::cashier::where_pdf_went(&pdf);
                            self.notice(
                                format!(
                                    "已重打 {}（第 {} 份副本）：{zh}",
                                    r.receipt.number, r.receipt.reprints
                                ),
                                format!(
                                    "Reprinted {} (copy {}): {en}",
                                    r.receipt.number, r.receipt.reprints
                                ),
                            );
                            self.reopen(env, &number);
                        }
                    },
                    Err(f) => self.fail(f),
                }
            }
            HistoryAction::Refund {
                number,
                lines,
                reason,
                supervisor,
                pin,
            } => self.refund(env, &number, &lines, &reason, &supervisor, &pin),
        }
    }

    /// After a change: the receipt as it now stands, and the list.
    fn reopen(&mut self, env: &ScreenEnv<'_>, number: &str) {
        self.open(env, number);
        if self.searched.is_some() {
            self.search(env);
        }
    }

    fn refund(
        &mut self,
        env: &mut ScreenEnv<'_>,
        number: &str,
        lines: &[(u32, String)],
        reason: &str,
        supervisor: &str,
        pin: &str,
    ) {
        let mut req = crate::receipts::RefundRequest {
            number: number.to_string(),
            lines: Vec::new(),
            reason: reason.to_string(),
        };
        for (line, qty) in lines {
            match crate::receipts::RefundLine::parse(&format!("{line}:{}", qty.trim())) {
                Ok(l) => req.lines.push(l),
                Err(_) => {
                    return self.fail(Failure::new(
                        ErrorKind::Invalid,
                        format!(
                            "第 {line} 行退费数量“{}”无效：请输入大于 0 的数字",
                            qty.trim()
                        ),
                        format!(
                            "line {line}: refund quantity '{}' is not a number above 0",
                            qty.trim()
                        ),
                    ));
                }
            }
        }
        let key = match crate::keys::wrap::session_key(env.session, env.data_dir) {
            Ok(k) => k,
            Err(e) => return self.fail(Failure::from(e)),
        };
        let sup = crate::receipts::shift::SupervisorPin {
            name: supervisor,
            pin,
        };
        match workflows::refund(
            env.store,
            env.session,
            env.clock,
            &key,
            &req,
            sup,
            &PdfStep::Print,
        ) {
            Ok(issued) => {
                let note = &issued.receipt.receipt;
                let (zh, en) = crate::ui::cashier::where_pdf_went(&issued.pdf);
                self.notice(
                    format!(
                        "已退费：红字凭证 {}，退还 ¥{}；{zh}",
                        note.number, note.total
                    ),
                    format!(
                        "Refunded: credit note {}, ¥{} back; {en}",
                        note.number, note.total
                    ),
                );
                if let PdfOutcome::Failed(f) = issued.pdf {
                    self.fail(f);
                }
                self.reopen(env, number);
            }
            Err(f) => self.fail(f),
        }
    }
}

/// `YYYY-MM-DD`, `MM-DD` (this year) or nothing.
fn parse_date(s: &str, today: chrono::NaiveDate) -> Result<Option<chrono::NaiveDate>, ()> {
    use chrono::Datelike;
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(Some(d));
    }
    chrono::NaiveDate::parse_from_str(&format!("{}-{s}", today.year()), "%Y-%m-%d")
        .map(Some)
        .map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::parse_date;
    use chrono::NaiveDate;

    #[test]
    fn dates_as_cashiers_type_them() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(parse_date("", today), Ok(None));
        assert_eq!(
            parse_date("2026-11-21", today),
            Ok(NaiveDate::from_ymd_opt(2026, 11, 21))
        );
        assert_eq!(
            parse_date(" 11-20 ", today),
            Ok(NaiveDate::from_ymd_opt(2026, 11, 20))
        );
        assert!(parse_date("11/20", today).is_err());
        assert!(parse_date("2026-13-01", today).is_err());
    }
}
