//! The cashier screen (收费): the window where a patient pays during an
//! outage. Keyboard first: F2 new, F3 item search, Enter adds the highlighted
//! item and moves to its quantity, Enter again returns to the search, F4
//! settles (asking for the cash tendered first), F5 prints, F8 voids, F9
//! reprints, F10 closes the shift. Fields follow the paper form's order, so
//! Tab walks them as the cashier reads the paper order.
//!
//! The screen follows the contract of [`crate::ui::screen`]: `ui` only
//! collects what the cashier typed and returns [`CashierAction`]s; `apply`
//! runs them between frames through the library (`receipts`) and the
//! workflows (issue → backup → PDF → print, reprint, shift close). Pricing,
//! numbering, payments and every refusal are the library's.
//!
//! - `form`: drawing the paper form, the items, the payment, the recent list;
//! - `dialogs`: the one supervisor modal (void, shift close);
//! - `request`: the typed fields as an [`IssueRequest`];
//! - `actions`: `apply`, what each action does through the library.

mod actions;
mod dialogs;
mod form;
mod request;

pub use actions::CashierAction;

use crate::error::Failure;
use crate::i18n::{Lang, tr};
use crate::money::{Money, Quantity, UnitPrice};
use crate::prices::search::{Hit, SearchIndex};
use crate::receipts::query::ReceiptRow;
use crate::ui::widgets::AMBER;
use dialogs::{Purpose, SupervisorDialog};
use eframe::egui;
use std::sync::Arc;

/// What an action left for the shell's banners, in order.
#[derive(Debug, Clone)]
pub enum Feedback {
    /// The last failure is resolved: take the red banner down.
    Clear,
    Notice(String, String),
    Failure(Failure),
}

/// Search results offered under the search box.
const OFFERED: usize = 8;

/// The kinds of receipt this window issues (credit notes come from
/// refunds) and the ways a patient pays, as the library types them.
pub use crate::domain::PaymentMethod as Method;
pub use crate::receipts::query::Kind as ReceiptKind;

/// The string-table key of a kind or a method.
trait Key {
    fn key(self) -> &'static str;
}

impl Key for ReceiptKind {
    fn key(self) -> &'static str {
        match self {
            ReceiptKind::Outpatient => "cashier.kind.outpatient",
            ReceiptKind::Registration => "cashier.kind.registration",
            ReceiptKind::Deposit => "cashier.kind.deposit",
            ReceiptKind::CreditNote => "cashier.kind.outpatient",
        }
    }
}

impl Key for Method {
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

/// Fields the screen can move the cursor to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Patient,
    Search,
    Qty,
    Tendered,
    Deposit,
    Reference,
}

/// A note on the screen itself, in both languages (the shown one is
/// picked when drawing).
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    pub zh: String,
    pub en: String,
}

impl Hint {
    fn key(key: &str) -> Hint {
        Hint {
            zh: tr(Lang::Zh, key).to_string(),
            en: tr(Lang::En, key).to_string(),
        }
    }
    fn text(&self, lang: Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
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
    /// What became of it, in both languages: sent to the printer, or only
    /// saved (no print command).
    pub delivery: Option<(String, String)>,
}

/// What became of a PDF, as the cashier is told it: handed to the print
/// command, or saved (and where) because none is set — never "printed"
/// when it was not.
pub fn where_pdf_went(pdf: &crate::workflows::PdfOutcome) -> (String, String) {
    use crate::print::Delivery;
    use crate::workflows::PdfOutcome;
    match pdf {
        PdfOutcome::Done {
            delivery: Some(Delivery::Sent { path, .. }),
            ..
        } => (
            format!("已送打印机（{}）", path.display()),
            format!("sent to the printer ({})", path.display()),
        ),
        PdfOutcome::Done { saved, .. } => (
            format!("PDF 已保存，未打印（未设置打印命令）：{}", saved.display()),
            format!(
                "PDF saved, not printed (no print command set): {}",
                saved.display()
            ),
        ),
        PdfOutcome::Skipped => ("未生成 PDF".into(), "no PDF made".into()),
        PdfOutcome::Failed(f) => (f.zh.clone(), f.en.clone()),
    }
}

#[derive(Default)]
pub struct CashierScreen {
    index: Option<Arc<SearchIndex>>,
    ctx: Context,
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
    /// How many items matched the query (counted when the list is cut).
    matched: usize,
    highlight: usize,
    /// The item chosen from the search, waiting for its quantity.
    pending: Option<usize>,
    qty: String,
    lines: Vec<CartLine>,
    /// The library's running total of `lines` and its 大写.
    total: Option<(Money, String)>,
    method: Method,
    tendered: String,
    reference: String,
    recent: Vec<ReceiptRow>,
    recent_highlight: usize,
    last: Option<LastReceipt>,
    dialog: Option<SupervisorDialog>,
    /// Where the cursor goes on the next frame.
    focus: Option<Field>,
    /// A note on the screen itself (e.g. "type the cash tendered").
    hint: Option<Hint>,
    /// Episode form, when none is open.
    episode_level: String,
    episode_reason: String,
    episode_drill: bool,
    /// What the last actions left for the shell's banners.
    feedback: Vec<Feedback>,
    /// The cart line the arrow keys picked (search box empty): Delete
    /// removes it, Enter changes its quantity.
    line_cursor: Option<usize>,
    /// The cart line whose quantity is being changed in the quantity box.
    editing: Option<usize>,
    /// The line just put in the cart, until the library priced it: a
    /// quantity refused for its item goes back to the quantity box.
    just_added: Option<Pricing>,
    /// The lines and cursor as last drawn: the table scrolls only when
    /// they change.
    drawn: (usize, Option<usize>),
}

/// What the last cart change was, kept until the library has priced it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pricing {
    /// A line of this item (index in the search index) was appended.
    Added { item: usize },
    /// Line `line`'s quantity was changed from `before`.
    Changed { line: usize, before: Quantity },
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
        // The kind, the payer and the payment method start over: the next
        // patient is an outpatient paying themself until said otherwise.
        let keep = (
            self.index.take(),
            std::mem::take(&mut self.ctx),
            std::mem::take(&mut self.recent),
            self.last.take(),
            std::mem::take(&mut self.feedback),
        );
        *self = CashierScreen::new();
        (self.index, self.ctx, self.recent, self.last, self.feedback) = keep;
    }

    /// The screen came into view: the cursor to the patient's name (or to
    /// the episode's reason when none is open).
    pub fn focus_first(&mut self) {
        if self.dialog.is_none() {
            self.focus = Some(if self.pending.is_some() {
                Field::Qty
            } else {
                Field::Patient
            });
        }
    }

    /// The search index the cashier prices from (the list in force).
    pub fn index(&self) -> Option<&Arc<SearchIndex>> {
        self.index.as_ref()
    }

    /// The shell loaded the month in force (or none is).
    pub fn set_index(&mut self, index: Option<Arc<SearchIndex>>) {
        self.index = index;
    }

    pub fn lines(&self) -> &[CartLine] {
        &self.lines
    }

    /// The library's running total and its 大写.
    pub fn total(&self) -> Option<&(Money, String)> {
        self.total.as_ref()
    }

    /// The receipt just issued, until the next one starts.
    pub fn last(&self) -> Option<&LastReceipt> {
        self.last.as_ref()
    }

    /// What the last actions left for the shell's banners.
    pub fn take_feedback(&mut self) -> Vec<Feedback> {
        std::mem::take(&mut self.feedback)
    }

    /// The highlighted receipt in the recent list.
    pub fn selected_recent(&self) -> Option<&ReceiptRow> {
        self.recent.get(self.recent_highlight)
    }

    pub fn hits(&self) -> &[Hit] {
        &self.hits
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
        self.matched = match &self.index {
            Some(index) if self.hits.len() == OFFERED => {
                index.count(&self.query, crate::ui::browser::COUNT_CAP)
            }
            _ => self.hits.len(),
        };
        self.highlight = 0;
    }

    /// F4: settle, or first ask for the cash tendered.
    fn settle(&mut self, acts: &mut Vec<CashierAction>) {
        // An item waiting for its quantity goes into the cart first.
        if self.pending.is_some() || self.editing.is_some() {
            self.add_pending(acts);
        }
        if self.method == Method::Cash && self.tendered.trim().is_empty() {
            self.focus = Some(Field::Tendered);
            self.hint = Some(Hint {
                zh: "请输入实收现金后按 Enter 结算；直接按 Enter 即按应收金额收取（无找零）".into(),
                en: "Type the cash tendered, then Enter to settle; Enter alone takes the exact amount due (no change)".into(),
            });
            return;
        }
        self.hint = None;
        acts.push(CashierAction::Settle);
    }

    fn function_keys(&mut self, ui: &mut egui::Ui, acts: &mut Vec<CashierAction>) {
        if self.dialog.is_some() {
            if ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape)) {
                self.dialog = None;
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
            self.settle(acts);
        }
        if pressed(ui, egui::Key::F5) {
            acts.push(CashierAction::Print);
        }
        if pressed(ui, egui::Key::F8)
            && let Some(r) = self.selected_recent()
        {
            self.dialog = Some(SupervisorDialog::new(Purpose::Void {
                number: r.number.clone(),
            }));
        }
        if pressed(ui, egui::Key::F9)
            && let Some(r) = self.selected_recent()
        {
            acts.push(CashierAction::Reprint(r.number.clone()));
        }
        if pressed(ui, egui::Key::F10) {
            self.dialog = Some(SupervisorDialog::new(Purpose::ShiftClose));
        }
        if pressed(ui, egui::Key::F12) && self.ctx.episode.is_some() {
            self.dialog = Some(SupervisorDialog::new(Purpose::CloseEpisode));
        }
        self.choice_keys(ui);
        // Page Up / Page Down walk the recent receipts (for F8 / F9).
        if pressed(ui, egui::Key::PageDown) && self.recent_highlight + 1 < self.recent.len() {
            self.recent_highlight += 1;
        }
        if pressed(ui, egui::Key::PageUp) && self.recent_highlight > 0 {
            self.recent_highlight -= 1;
        }
    }

    /// Alt+1/2/3 (or Alt+O/R/D) pick the receipt kind, Alt+C/B/Q the
    /// payment method (cash, bank card, QR), wherever the cursor is.
    fn choice_keys(&mut self, ui: &mut egui::Ui) {
        use egui::Key::*;
        let alt = |ui: &mut egui::Ui, keys: &[egui::Key]| {
            ui.input_mut(|i| keys.iter().any(|k| i.consume_key(egui::Modifiers::ALT, *k)))
        };
        for (keys, kind) in [
            (&[Num1, O][..], ReceiptKind::Outpatient),
            (&[Num2, R][..], ReceiptKind::Registration),
            (&[Num3, D][..], ReceiptKind::Deposit),
        ] {
            if alt(ui, keys) && self.kind != kind {
                self.kind = kind;
                self.focus = Some(match kind {
                    ReceiptKind::Deposit => Field::Deposit,
                    _ => Field::Search,
                });
            }
        }
        for (keys, method) in [
            (&[C][..], Method::Cash),
            (&[B][..], Method::Card),
            (&[Q][..], Method::Mobile),
        ] {
            if alt(ui, keys) {
                self.method = method;
                self.focus = Some(match method {
                    Method::Cash => Field::Tendered,
                    _ => Field::Reference,
                });
            }
        }
    }

    /// Draws the screen; returns what the cashier asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Vec<CashierAction> {
        let mut acts = Vec::new();
        self.function_keys(ui, &mut acts);
        if self.ctx.episode.is_none() {
            self.episode_ui(ui, lang, &mut acts);
            return acts;
        }
        // One line of keys, cut rather than wrapped: the form below keeps
        // its place whatever the window's width.
        ui.add(egui::Label::new(egui::RichText::new(tr(lang, "cashier.keys")).weak()).truncate());
        ui.add(
            egui::Label::new(
                egui::RichText::new(lang.pick(
                    "Alt+1/2/3 票据类型  Alt+C/B/Q 现金/银行卡/扫码  Up/Down 选行 Del 删除 Enter 改数量  F12 结束应急事件  Ctrl+2 收费记录  Esc 关闭提示",
                    "Alt+1/2/3 kind  Alt+C/B/Q cash/card/QR  Up/Down pick a line, Del removes, Enter changes its qty  F12 end the episode  Ctrl+2 receipt history  Esc closes a message",
                ))
                .weak(),
            )
            .truncate(),
        );
        if let Some(hint) = &self.hint {
            ui.colored_label(AMBER, hint.text(lang));
        }
        if let Some(last) = &self.last {
            form::last_ui(ui, lang, last);
        }
        // The payment is pinned to the bottom and the recent receipts to
        // the right; the items take what is left and scroll inside it, so
        // the total, the change and the settle button never leave the
        // window however many lines or banners there are.
        egui::Panel::bottom("cashier_payment")
            .resizable(false)
            .show(ui, |ui| {
                ui.add_space(4.0);
                self.payment_ui(ui, lang, &mut acts);
            });
        egui::Panel::right("cashier_recent")
            .resizable(false)
            .exact_size((ui.available_width() * 0.3).clamp(220.0, 420.0))
            .show(ui, |ui| self.recent_ui(ui, lang));
        egui::CentralPanel::default().show(ui, |ui| {
            self.form_ui(ui, lang, &mut acts);
        });
        if let Some(dialog) = &mut self.dialog {
            let outcome = dialog.ui(ui, lang);
            if !matches!(outcome, dialogs::Outcome::Open) {
                self.dialog = None;
                self.focus = Some(Field::Search);
            }
            if let dialogs::Outcome::Confirmed(act) = outcome {
                acts.push(act);
            }
        }
        if let Some(field) = self.focus.take() {
            ui.memory_mut(|m| m.request_focus(field.id()));
            // The text cursor at the end of what is already there.
            let text = match field {
                Field::Search => Some(self.query.chars().count()),
                Field::Qty => Some(self.qty.chars().count()),
                _ => None,
            };
            if let Some(n) = text {
                let mut state =
                    egui::TextEdit::load_state(ui.ctx(), field.id()).unwrap_or_default();
                let end = egui::text::CCursor::new(n);
                state
                    .cursor
                    .set_char_range(Some(egui::text::CCursorRange::one(end)));
                state.store(ui.ctx(), field.id());
            }
        }
        acts
    }
}
