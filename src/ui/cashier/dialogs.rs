//! The one modal of the cashier screen: a figure or a reason, then a
//! supervisor's name and PIN. Voiding a receipt and closing a shift both
//! use it; only the wording and what is asked on confirm differ. Ending
//! the outage episode uses it with no fields at all. Enter moves to the
//! next field and confirms from the last; Esc (the screen's) cancels.

use super::CashierAction;
use crate::i18n::{Lang, tr};
use eframe::egui;

/// What the dialog is for.
#[derive(Debug, Clone, PartialEq)]
pub enum Purpose {
    /// Void this receipt: the first field is the reason.
    Void { number: String },
    /// Close the shift: the first field is the cash counted.
    ShiftClose,
    /// End the outage episode of this terminal (no fields).
    CloseEpisode,
}

/// A dialog over the screen, asking a supervisor.
#[derive(Debug, Clone, PartialEq)]
pub struct SupervisorDialog {
    pub purpose: Purpose,
    /// The reason (void) or the cash counted (shift close).
    pub first: String,
    pub supervisor: String,
    pub pin: String,
    /// Just opened: the first field takes the cursor once.
    fresh: bool,
}

/// What the person did with the dialog this frame.
pub enum Outcome {
    Open,
    Closed,
    Confirmed(CashierAction),
}

impl SupervisorDialog {
    pub fn new(purpose: Purpose) -> Self {
        SupervisorDialog {
            purpose,
            first: String::new(),
            supervisor: String::new(),
            pin: String::new(),
            fresh: true,
        }
    }

    fn action(&mut self) -> CashierAction {
        let first = self.first.trim().to_string();
        let supervisor = self.supervisor.trim().to_string();
        let pin = std::mem::take(&mut self.pin);
        match &self.purpose {
            Purpose::Void { number } => CashierAction::Void {
                number: number.clone(),
                reason: first,
                supervisor,
                pin,
            },
            Purpose::ShiftClose => CashierAction::ShiftClose {
                cash: first,
                supervisor,
                pin,
            },
            Purpose::CloseEpisode => CashierAction::CloseEpisode,
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Outcome {
        let (id, title, first_key, width, note, confirm) = match &self.purpose {
            Purpose::Void { number } => (
                "void_dialog",
                format!("{} {}", tr(lang, "cashier.void.title"), number),
                Some("cashier.void.reason"),
                260.0,
                None,
                tr(lang, "cashier.void.confirm"),
            ),
            Purpose::ShiftClose => (
                "shift_dialog",
                tr(lang, "cashier.shift.title").to_string(),
                Some("cashier.shift.cash"),
                120.0,
                Some(tr(lang, "cashier.shift.supervisor_note")),
                tr(lang, "cashier.shift.confirm"),
            ),
            Purpose::CloseEpisode => (
                "episode_close_dialog",
                lang.pick("结束应急事件", "End the outage episode").to_string(),
                None,
                0.0,
                Some(lang.pick(
                    "HIS 已恢复？结束后本终端不能再开手工票据。Enter 确认，Esc 取消。",
                    "Is the HIS back? Once ended, this terminal issues no more manual receipts. Enter confirms, Esc cancels.",
                )),
                lang.pick("确认结束", "End the episode"),
            ),
        };
        let mut outcome = Outcome::Open;
        egui::Modal::new(egui::Id::unique(id)).show(ui.ctx(), |ui| {
            ui.heading(title);
            let mut enter = false;
            let fresh = std::mem::take(&mut self.fresh);
            if let Some(first_key) = first_key {
                let first = super::super::widgets::labelled_text(
                    ui,
                    tr(lang, first_key),
                    &mut self.first,
                    false,
                    width,
                );
                if fresh {
                    first.request_focus();
                }
                if let Some(note) = note {
                    ui.weak(note);
                }
                let sup = super::super::widgets::labelled_text(
                    ui,
                    tr(lang, "cashier.supervisor"),
                    &mut self.supervisor,
                    false,
                    160.0,
                );
                let p = super::super::widgets::labelled_text(
                    ui,
                    tr(lang, "cashier.supervisor_pin"),
                    &mut self.pin,
                    true,
                    160.0,
                );
                let entered = |r: &egui::Response| {
                    r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))
                };
                // Enter walks the fields; from the last it confirms. A shift
                // closed without a supervisor confirms from the cash too.
                if entered(&first) {
                    if matches!(self.purpose, Purpose::ShiftClose) && self.supervisor.is_empty() {
                        enter = true;
                    } else {
                        sup.request_focus();
                    }
                }
                if entered(&sup) {
                    p.request_focus();
                }
                enter |= entered(&p);
            } else {
                if let Some(note) = note {
                    ui.label(note);
                }
                enter = ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Enter));
            }
            ui.horizontal(|ui| {
                if ui.button(confirm).clicked() || enter {
                    outcome = Outcome::Confirmed(self.action());
                }
                if ui.button(tr(lang, "common.cancel")).clicked() {
                    outcome = Outcome::Closed;
                }
            });
        });
        outcome
    }
}
