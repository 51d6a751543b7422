//! The cashier screen (收费): the window where a patient pays during an
//! outage. Keyboard first: F2 new, F3 item search, Enter adds the highlighted
//! item and moves to its quantity, Enter again returns to the search, F4
//! settles (asking for the cash tendered first), F5 prints, F8 voids, F9
//! reprints, F10 closes the shift. Fields follow the paper form's order, so
//! Tab walks them as the cashier reads the paper order.
//!
//! The screen only collects what the cashier typed; pricing, numbering,
//! payments and every refusal are the library's (`receipts`), called by the
//! app between frames.

use super::app::Command;
use super::widgets::{AMBER, GREEN, RED};
use crate::i18n::{Lang, tr};
use crate::money::{Money, Quantity, UnitPrice};
use crate::prices::search::{Hit, SearchIndex};
use crate::receipts::issue::{
    IssueRequest, LineRequest, NumText, PatientRequest, PayerRequest, PaymentRequest,
};
use crate::receipts::query::ReceiptRow;
use eframe::egui;
use egui_extras::{Column, TableBuilder};
use std::sync::Arc;

/// Search results offered under the search box.
const OFFERED: usize = 8;

/// The kinds of receipt the window issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReceiptKind {
    #[default]
    Outpatient,
    Registration,
    Deposit,
}

impl ReceiptKind {
    fn code(self) -> &'static str {
        match self {
            ReceiptKind::Outpatient => "outpatient",
            ReceiptKind::Registration => "registration",
            ReceiptKind::Deposit => "deposit",
        }
    }
    fn key(self) -> &'static str {
        match self {
            ReceiptKind::Outpatient => "cashier.kind.outpatient",
            ReceiptKind::Registration => "cashier.kind.registration",
            ReceiptKind::Deposit => "cashier.kind.deposit",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    #[default]
    Cash,
    Card,
    Mobile,
}

impl Method {
    fn code(self) -> &'static str {
        match self {
            Method::Cash => "cash",
            Method::Card => "card",
            Method::Mobile => "mobile",
        }
    }
    fn key(self) -> &'static str {
        match self {
            Method::Cash => "cashier.method.cash",
            Method::Card => "cashier.method.card",
            Method::Mobile => "cashier.method.mobile",
        }
    }
}

/// One line on the receipt being written.
#[derive(Debug, Clone, PartialEq)]
pub struct CartLine {
    pub code: String,
    pub name: String,
    pub spec: String,
    pub unit: String,
    pub unit_price: UnitPrice,
    pub qty: Quantity,
}

/// A dialog over the screen (each asks a supervisor or a figure).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Dialog {
    #[default]
    None,
    Void {
        number: String,
        reason: String,
        supervisor: String,
        pin: String,
    },
    ShiftClose {
        cash: String,
        supervisor: String,
        pin: String,
    },
}

/// Fields the screen can move the cursor to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Patient,
    Search,
    Qty,
    Tendered,
    Deposit,
}

impl Field {
    fn id(self) -> egui::Id {
        egui::Id::unique(("cashier", self as u8))
    }
}

/// What the status strip of the screen shows (read by the app).
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Open episode: (level, reason, drill, opened at).
    pub episode: Option<(String, String, bool, String)>,
    pub next_number: Option<String>,
    pub numbers_left: u64,
}

/// A receipt just issued, shown until the next one starts.
#[derive(Debug, Clone)]
pub struct LastReceipt {
    pub number: String,
    pub total: Money,
    pub change: Money,
    pub warning: Option<String>,
    /// Where its PDF went, once printed.
    pub printed: Option<String>,
}

#[derive(Default)]
pub struct CashierScreen {
    pub index: Option<Arc<SearchIndex>>,
    pub ctx: Context,
    kind: ReceiptKind,
    patient: String,
    sex: String,
    age: String,
    outpatient_no: String,
    insured: bool,
    insurance_no: String,
    department: String,
    doctor: String,
    deposit: String,
    query: String,
    searched: String,
    hits: Vec<Hit>,
    highlight: usize,
    /// The item chosen from the search, waiting for its quantity.
    pending: Option<usize>,
    qty: String,
    pub lines: Vec<CartLine>,
    /// The library's running total of `lines` (set by the app).
    pub total: Option<(Money, String)>,
    method: Method,
    tendered: String,
    reference: String,
    pub recent: Vec<ReceiptRow>,
    recent_highlight: usize,
    pub last: Option<LastReceipt>,
    pub dialog: Dialog,
    /// Where the cursor goes on the next frame.
    focus: Option<Field>,
    /// A note on the screen itself (e.g. "type the cash tendered").
    hint: Option<&'static str>,
    /// A dialog just opened: its first field takes the cursor once.
    dialog_fresh: bool,
    /// Episode form, when none is open.
    episode_level: String,
    episode_reason: String,
    episode_drill: bool,
}

impl CashierScreen {
    pub fn new() -> Self {
        CashierScreen {
            focus: Some(Field::Patient),
            episode_level: "II".into(),
            ..Default::default()
        }
    }

    /// Starts the next receipt (F2, and after each settle). The last
    /// receipt stays on screen until something is typed.
    pub fn new_receipt(&mut self) {
        let keep = (
            self.index.take(),
            std::mem::take(&mut self.ctx),
            std::mem::take(&mut self.recent),
            self.last.take(),
            self.kind,
        );
        *self = CashierScreen::new();
        (self.index, self.ctx, self.recent, self.last, self.kind) = keep;
    }

    /// The request to issue, from what was typed; the library checks it.
    pub fn request(&self) -> IssueRequest {
        let opt = |s: &str| {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        };
        let total = match self.kind {
            ReceiptKind::Deposit => Money::parse(self.deposit.trim()).ok(),
            _ => self.total.as_ref().map(|(t, _)| *t),
        };
        let amount = total.map(|t| NumText::Text(t.to_string()));
        let payment = PaymentRequest {
            method: self.method.code().into(),
            amount: amount.unwrap_or(NumText::Text(String::new())),
            tendered: match self.method {
                Method::Cash => opt(&self.tendered).map(NumText::Text),
                _ => None,
            },
            reference: match self.method {
                Method::Cash => None,
                _ => opt(&self.reference),
            },
        };
        IssueRequest {
            kind: self.kind.code().into(),
            patient: PatientRequest {
                name: self.patient.trim().to_string(),
                sex: opt(&self.sex),
                age: opt(&self.age).map(NumText::Text),
                outpatient_no: opt(&self.outpatient_no),
                ..Default::default()
            },
            payer: if self.insured {
                PayerRequest {
                    kind: "insured_full_pay".into(),
                    insurance_no: opt(&self.insurance_no),
                }
            } else {
                PayerRequest::default()
            },
            department: self.department.trim().to_string(),
            doctor: self.doctor.trim().to_string(),
            lines: match self.kind {
                ReceiptKind::Deposit => vec![],
                _ => self
                    .lines
                    .iter()
                    .map(|l| LineRequest {
                        code: l.code.clone(),
                        qty: NumText::Text(l.qty.decimal().normalize().to_string()),
                    })
                    .collect(),
            },
            amount: match self.kind {
                ReceiptKind::Deposit => opt(&self.deposit).map(NumText::Text),
                _ => None,
            },
            payments: vec![payment],
        }
    }

    /// Line requests for the running total.
    pub fn line_requests(&self) -> Vec<LineRequest> {
        self.request().lines
    }

    /// The highlighted receipt in the recent list.
    pub fn selected_recent(&self) -> Option<&ReceiptRow> {
        self.recent.get(self.recent_highlight)
    }

    pub fn hits(&self) -> &[Hit] {
        &self.hits
    }

    fn amount_due(&self) -> Option<Money> {
        match self.kind {
            ReceiptKind::Deposit => Money::parse(self.deposit.trim()).ok(),
            _ => self.total.as_ref().map(|(t, _)| *t),
        }
    }

    fn change_due(&self) -> Option<Money> {
        if self.method != Method::Cash {
            return None;
        }
        let tendered = Money::parse(self.tendered.trim()).ok()?;
        let due = self.amount_due()?;
        Some(tendered - due)
    }

    fn refresh_hits(&mut self) {
        if self.searched == self.query {
            return;
        }
        self.searched = self.query.clone();
        self.hits = match &self.index {
            Some(index) => index.search(&self.query, OFFERED),
            None => Vec::new(),
        };
        self.highlight = 0;
    }

    /// F4: settle, or first ask for the cash tendered.
    fn settle(&mut self, cmds: &mut Vec<Command>) {
        if self.method == Method::Cash && self.tendered.trim().is_empty() {
            self.focus = Some(Field::Tendered);
            self.hint = Some("cashier.hint.tendered");
            return;
        }
        self.hint = None;
        cmds.push(Command::CashierSettle);
    }

    fn function_keys(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        if self.dialog != Dialog::None {
            if ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape)) {
                self.dialog = Dialog::None;
            }
            return;
        }
        let pressed =
            |ui: &mut egui::Ui, key| ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, key));
        if pressed(ui, egui::Key::F2) {
            self.new_receipt();
            self.last = None;
        }
        if pressed(ui, egui::Key::F3) {
            self.focus = Some(Field::Search);
        }
        if pressed(ui, egui::Key::F4) {
            self.settle(cmds);
        }
        if pressed(ui, egui::Key::F5) {
            cmds.push(Command::CashierPrint);
        }
        if pressed(ui, egui::Key::F8)
            && let Some(r) = self.selected_recent()
        {
            self.dialog = Dialog::Void {
                number: r.number.clone(),
                reason: String::new(),
                supervisor: String::new(),
                pin: String::new(),
            };
            self.dialog_fresh = true;
        }
        if pressed(ui, egui::Key::F9)
            && let Some(r) = self.selected_recent()
        {
            cmds.push(Command::CashierReprint(r.number.clone()));
        }
        if pressed(ui, egui::Key::F10) {
            self.dialog = Dialog::ShiftClose {
                cash: String::new(),
                supervisor: String::new(),
                pin: String::new(),
            };
            self.dialog_fresh = true;
        }
        // Page Up / Page Down walk the recent receipts (for F8 / F9).
        if pressed(ui, egui::Key::PageDown) && self.recent_highlight + 1 < self.recent.len() {
            self.recent_highlight += 1;
        }
        if pressed(ui, egui::Key::PageUp) && self.recent_highlight > 0 {
            self.recent_highlight -= 1;
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, cmds: &mut Vec<Command>) {
        self.function_keys(ui, cmds);
        if self.ctx.episode.is_none() {
            self.episode_ui(ui, lang, cmds);
            return;
        }
        ui.horizontal_wrapped(|ui| {
            ui.weak(tr(lang, "cashier.keys"));
        });
        if let Some(hint) = self.hint {
            ui.colored_label(AMBER, tr(lang, hint));
        }
        if let Some(last) = &self.last {
            last_ui(ui, lang, last);
        }
        ui.separator();
        ui.columns(2, |cols| {
            self.form_ui(&mut cols[0], lang, cmds);
            self.recent_ui(&mut cols[1], lang);
        });
        self.dialog_ui(ui, lang, cmds);
        if let Some(field) = self.focus.take() {
            ui.memory_mut(|m| m.request_focus(field.id()));
        }
    }

    fn episode_ui(&mut self, ui: &mut egui::Ui, lang: Lang, cmds: &mut Vec<Command>) {
        ui.colored_label(RED, tr(lang, "cashier.no_episode"));
        ui.add_space(6.0);
        egui::Grid::new("episode_form")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                let l = ui.label(tr(lang, "cashier.episode.level"));
                egui::ComboBox::from_id_salt("episode_level")
                    .selected_text(self.episode_level.clone())
                    .show_ui(ui, |ui| {
                        for level in ["I", "II", "III", "IV"] {
                            ui.selectable_value(&mut self.episode_level, level.to_string(), level);
                        }
                    })
                    .response
                    .labelled_by(l.id);
                ui.end_row();
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "cashier.episode.reason"),
                    &mut self.episode_reason,
                    false,
                    320.0,
                );
                ui.end_row();
                ui.label("");
                ui.checkbox(&mut self.episode_drill, tr(lang, "cashier.episode.drill"));
                ui.end_row();
            });
        if ui.button(tr(lang, "cashier.episode.open")).clicked() {
            cmds.push(Command::OpenEpisode {
                level: self.episode_level.clone(),
                reason: self.episode_reason.trim().to_string(),
                drill: self.episode_drill,
            });
        }
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, lang: Lang, cmds: &mut Vec<Command>) {
        // The paper form: kind, patient, payer, department and doctor, then
        // the items, then payment.
        ui.horizontal(|ui| {
            for kind in [
                ReceiptKind::Outpatient,
                ReceiptKind::Registration,
                ReceiptKind::Deposit,
            ] {
                ui.selectable_value(&mut self.kind, kind, tr(lang, kind.key()));
            }
        });
        egui::Grid::new("cashier_patient")
            .num_columns(4)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                let l = ui.label(tr(lang, "cashier.patient"));
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.patient)
                            .id(Field::Patient.id())
                            .desired_width(120.0),
                    )
                    .labelled_by(l.id);
                if r.changed() {
                    self.last = None;
                }
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "cashier.sex"),
                    &mut self.sex,
                    false,
                    40.0,
                );
                ui.end_row();
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "cashier.age"),
                    &mut self.age,
                    false,
                    40.0,
                );
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "cashier.outpatient_no"),
                    &mut self.outpatient_no,
                    false,
                    120.0,
                );
                ui.end_row();
                ui.label(tr(lang, "cashier.payer"));
                ui.checkbox(&mut self.insured, tr(lang, "cashier.insured"));
                if self.insured {
                    super::widgets::labelled_text(
                        ui,
                        tr(lang, "cashier.insurance_no"),
                        &mut self.insurance_no,
                        false,
                        120.0,
                    );
                }
                ui.end_row();
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "cashier.department"),
                    &mut self.department,
                    false,
                    120.0,
                );
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "cashier.doctor"),
                    &mut self.doctor,
                    false,
                    120.0,
                );
                ui.end_row();
            });
        ui.separator();
        if self.kind == ReceiptKind::Deposit {
            ui.horizontal(|ui| {
                let l = ui.label(tr(lang, "cashier.deposit_amount"));
                ui.add(
                    egui::TextEdit::singleline(&mut self.deposit)
                        .id(Field::Deposit.id())
                        .desired_width(100.0),
                )
                .labelled_by(l.id);
            });
        } else {
            self.items_ui(ui, lang, cmds);
        }
        ui.separator();
        self.payment_ui(ui, lang, cmds);
    }

    fn items_ui(&mut self, ui: &mut egui::Ui, lang: Lang, cmds: &mut Vec<Command>) {
        let search_focused = ui.memory(|m| m.has_focus(Field::Search.id()));
        if search_focused && !self.hits.is_empty() {
            let (down, up) = ui.input_mut(|i| {
                (
                    i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown),
                    i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp),
                )
            });
            if down && self.highlight + 1 < self.hits.len() {
                self.highlight += 1;
            }
            if up && self.highlight > 0 {
                self.highlight -= 1;
            }
        }
        ui.horizontal(|ui| {
            let l = ui.label(tr(lang, "cashier.search"));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.query)
                        .id(Field::Search.id())
                        .hint_text(tr(lang, "browser.search_hint"))
                        .desired_width(220.0),
                )
                .labelled_by(l.id);
            if r.changed() {
                self.last = None;
            }
            self.refresh_hits();
            if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                if let Some(hit) = self.hits.get(self.highlight) {
                    self.pending = Some(hit.index);
                    self.qty.clear();
                    self.focus = Some(Field::Qty);
                } else {
                    self.focus = Some(Field::Search);
                }
            }
            let l = ui.label(tr(lang, "cashier.qty"));
            let q = ui
                .add_enabled(
                    self.pending.is_some(),
                    egui::TextEdit::singleline(&mut self.qty)
                        .id(Field::Qty.id())
                        .hint_text("1")
                        .desired_width(60.0),
                )
                .labelled_by(l.id);
            if q.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                self.add_pending(cmds);
            }
        });
        if let Some(pending) = self.pending
            && let Some(index) = &self.index
        {
            let item = index.item(pending);
            ui.colored_label(
                GREEN,
                format!(
                    "{}  {}  {}  {}/{}",
                    item.code,
                    item.name,
                    item.spec,
                    item.unit_price.as_text(),
                    item.unit
                ),
            );
        } else if !self.query.trim().is_empty() {
            self.hits_ui(ui, lang);
        }
        self.lines_ui(ui, lang, cmds);
    }

    fn add_pending(&mut self, cmds: &mut Vec<Command>) {
        let (Some(pending), Some(index)) = (self.pending, &self.index) else {
            return;
        };
        let raw = if self.qty.trim().is_empty() {
            "1"
        } else {
            self.qty.trim()
        };
        let qty = match Quantity::parse(raw) {
            Ok(q) => q,
            Err(_) => {
                self.hint = Some("cashier.hint.qty");
                self.focus = Some(Field::Qty);
                return;
            }
        };
        let item = index.item(pending);
        self.lines.push(CartLine {
            code: item.code.clone(),
            name: item.name.clone(),
            spec: item.spec.clone(),
            unit: item.unit.clone(),
            unit_price: item.unit_price,
            qty,
        });
        self.hint = None;
        self.pending = None;
        self.qty.clear();
        self.query.clear();
        self.focus = Some(Field::Search);
        cmds.push(Command::CashierTotal);
    }

    fn hits_ui(&self, ui: &mut egui::Ui, lang: Lang) {
        let Some(index) = &self.index else {
            ui.colored_label(RED, tr(lang, "status.no_snapshot"));
            return;
        };
        if self.hits.is_empty() {
            ui.weak(tr(lang, "cashier.no_hits"));
            return;
        }
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        for (i, hit) in self.hits.iter().enumerate() {
            let item = index.item(hit.index);
            let text = format!(
                "{}  {}  {}  {}/{}",
                item.code,
                item.name,
                item.spec,
                item.unit_price.as_text(),
                item.unit
            );
            let selected = i == self.highlight;
            let rt = egui::RichText::new(text);
            let rt = if selected { rt.strong() } else { rt };
            // A label, not a button: the keyboard picks; the mouse is not
            // needed at this window.
            let frame = egui::Frame::new().fill(if selected {
                ui.visuals().selection.bg_fill
            } else {
                egui::Color32::TRANSPARENT
            });
            frame.show(ui, |ui| {
                ui.label(rt);
            });
        }
    }

    fn lines_ui(&mut self, ui: &mut egui::Ui, lang: Lang, cmds: &mut Vec<Command>) {
        let mut remove = None;
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        TableBuilder::new(ui)
            .id_salt("cashier_lines")
            .striped(true)
            .max_scroll_height(200.0)
            .column(Column::exact(24.0))
            .column(Column::initial(150.0).clip(true))
            .column(Column::initial(100.0).clip(true))
            .column(Column::initial(64.0))
            .column(Column::initial(48.0))
            .column(Column::initial(70.0))
            .column(Column::exact(48.0))
            .header(20.0, |mut h| {
                for key in [
                    "col.row",
                    "col.name",
                    "col.spec",
                    "col.unit_price",
                    "col.qty",
                    "col.amount",
                    "col.remove",
                ] {
                    h.col(|ui| {
                        ui.strong(tr(lang, key));
                    });
                }
            })
            .body(|mut body| {
                for (i, line) in self.lines.iter().enumerate() {
                    body.row(20.0, |mut row| {
                        row.col(|ui| {
                            ui.label((i + 1).to_string());
                        });
                        row.col(|ui| {
                            ui.label(&line.name);
                        });
                        row.col(|ui| {
                            ui.label(&line.spec);
                        });
                        row.col(|ui| {
                            ui.monospace(line.unit_price.as_text());
                        });
                        row.col(|ui| {
                            ui.monospace(format!(
                                "{}{}",
                                line.qty.decimal().normalize(),
                                line.unit
                            ));
                        });
                        row.col(|ui| {
                            ui.monospace(line.unit_price.times(line.qty).to_string());
                        });
                        row.col(|ui| {
                            if ui
                                .small_button(tr(lang, "cashier.remove"))
                                .on_hover_text(format!("{} {}", tr(lang, "cashier.remove"), i + 1))
                                .clicked()
                            {
                                remove = Some(i);
                            }
                        });
                    });
                }
            });
        if let Some(i) = remove {
            self.lines.remove(i);
            cmds.push(Command::CashierTotal);
        }
    }

    fn payment_ui(&mut self, ui: &mut egui::Ui, lang: Lang, cmds: &mut Vec<Command>) {
        let due = self.amount_due();
        ui.horizontal(|ui| {
            ui.label(tr(lang, "cashier.total"));
            ui.label(
                egui::RichText::new(format!(
                    "¥ {}",
                    due.map(|m| m.to_string()).unwrap_or_else(|| "0.00".into())
                ))
                .size(22.0)
                .strong(),
            );
        });
        let words = match self.kind {
            ReceiptKind::Deposit => due.map(|m| m.in_words()),
            _ => self.total.as_ref().map(|(_, w)| w.clone()),
        };
        if let Some(words) = words {
            ui.label(format!("{} {}", tr(lang, "cashier.in_words"), words));
        }
        ui.horizontal(|ui| {
            for m in [Method::Cash, Method::Card, Method::Mobile] {
                ui.selectable_value(&mut self.method, m, tr(lang, m.key()));
            }
        });
        ui.horizontal(|ui| {
            if self.method == Method::Cash {
                let l = ui.label(tr(lang, "cashier.tendered"));
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.tendered)
                            .id(Field::Tendered.id())
                            .desired_width(90.0),
                    )
                    .labelled_by(l.id);
                if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    self.settle(cmds);
                }
                if let Some(change) = self.change_due() {
                    let color = if change.is_negative() { RED } else { GREEN };
                    ui.label(tr(lang, "cashier.change"));
                    ui.label(
                        egui::RichText::new(format!("¥ {change}"))
                            .size(20.0)
                            .strong()
                            .color(color),
                    );
                }
            } else {
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "cashier.reference"),
                    &mut self.reference,
                    false,
                    160.0,
                );
            }
        });
        ui.horizontal(|ui| {
            if ui.button(tr(lang, "cashier.settle")).clicked() {
                self.settle(cmds);
            }
        });
    }

    fn recent_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.strong(tr(lang, "cashier.recent"));
        ui.weak(tr(lang, "cashier.recent_keys"));
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        for (i, r) in self.recent.iter().enumerate() {
            let text = format!(
                "{}  {}  ¥{}  {}{}",
                r.number,
                r.patient,
                r.total,
                r.status.label(lang),
                if r.drill { "  演练/DRILL" } else { "" }
            );
            let selected = i == self.recent_highlight;
            let frame = egui::Frame::new().fill(if selected {
                ui.visuals().selection.bg_fill
            } else {
                egui::Color32::TRANSPARENT
            });
            frame.show(ui, |ui| {
                ui.monospace(text);
            });
        }
    }

    fn dialog_ui(&mut self, ui: &mut egui::Ui, lang: Lang, cmds: &mut Vec<Command>) {
        let mut close = false;
        match &mut self.dialog {
            Dialog::None => {}
            Dialog::Void {
                number,
                reason,
                supervisor,
                pin,
            } => {
                egui::Modal::new(egui::Id::unique("void_dialog")).show(ui.ctx(), |ui| {
                    ui.heading(format!("{} {}", tr(lang, "cashier.void.title"), number));
                    let first = super::widgets::labelled_text(
                        ui,
                        tr(lang, "cashier.void.reason"),
                        reason,
                        false,
                        260.0,
                    );
                    if std::mem::take(&mut self.dialog_fresh) {
                        first.request_focus();
                    }
                    super::widgets::labelled_text(
                        ui,
                        tr(lang, "cashier.supervisor"),
                        supervisor,
                        false,
                        160.0,
                    );
                    let p = super::widgets::labelled_text(
                        ui,
                        tr(lang, "cashier.supervisor_pin"),
                        pin,
                        true,
                        160.0,
                    );
                    let enter = p.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    ui.horizontal(|ui| {
                        if ui.button(tr(lang, "cashier.void.confirm")).clicked() || enter {
                            cmds.push(Command::CashierVoid {
                                number: number.clone(),
                                reason: reason.trim().to_string(),
                                supervisor: supervisor.trim().to_string(),
                                pin: std::mem::take(pin),
                            });
                            close = true;
                        }
                        if ui.button(tr(lang, "common.cancel")).clicked() {
                            close = true;
                        }
                    });
                });
            }
            Dialog::ShiftClose {
                cash,
                supervisor,
                pin,
            } => {
                egui::Modal::new(egui::Id::unique("shift_dialog")).show(ui.ctx(), |ui| {
                    ui.heading(tr(lang, "cashier.shift.title"));
                    let first = super::widgets::labelled_text(
                        ui,
                        tr(lang, "cashier.shift.cash"),
                        cash,
                        false,
                        120.0,
                    );
                    if std::mem::take(&mut self.dialog_fresh) {
                        first.request_focus();
                    }
                    ui.weak(tr(lang, "cashier.shift.supervisor_note"));
                    super::widgets::labelled_text(
                        ui,
                        tr(lang, "cashier.supervisor"),
                        supervisor,
                        false,
                        160.0,
                    );
                    super::widgets::labelled_text(
                        ui,
                        tr(lang, "cashier.supervisor_pin"),
                        pin,
                        true,
                        160.0,
                    );
                    ui.horizontal(|ui| {
                        if ui.button(tr(lang, "cashier.shift.confirm")).clicked() {
                            cmds.push(Command::CashierShiftClose {
                                cash: cash.trim().to_string(),
                                supervisor: supervisor.trim().to_string(),
                                pin: std::mem::take(pin),
                            });
                            close = true;
                        }
                        if ui.button(tr(lang, "common.cancel")).clicked() {
                            close = true;
                        }
                    });
                });
            }
        }
        if close {
            self.dialog = Dialog::None;
            self.focus = Some(Field::Search);
        }
    }
}

fn last_ui(ui: &mut egui::Ui, lang: Lang, last: &LastReceipt) {
    egui::Frame::new()
        .stroke(egui::Stroke::new(1.0, GREEN))
        .inner_margin(6.0)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(GREEN, tr(lang, "cashier.issued"));
                ui.strong(&last.number);
                ui.label(format!("{} ¥{}", tr(lang, "cashier.total"), last.total));
                if !last.change.is_zero() {
                    ui.label(
                        egui::RichText::new(format!(
                            "{} ¥{}",
                            tr(lang, "cashier.change"),
                            last.change
                        ))
                        .strong(),
                    );
                }
                match &last.printed {
                    Some(p) => ui.weak(format!("{} {p}", tr(lang, "cashier.printed"))),
                    None => ui.colored_label(AMBER, tr(lang, "cashier.not_printed")),
                };
            });
            if let Some(w) = &last.warning {
                ui.colored_label(AMBER, w);
            }
        });
}
