//! The one modal of the cashier screen: a figure or a reason, then a
//! supervisor's name and PIN. Voiding a receipt and closing a shift both
//! use it; only the wording and what is asked on confirm differ.

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
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Outcome {
        // (id, title, first label, width, note, confirm, Enter on the PIN confirms)
        let (id, title, first_key, width, note, confirm, enter_confirms) = match &self.purpose {
            Purpose::Void { number } => (
                "void_dialog",
                format!("{} {}", tr(lang, "cashier.void.title"), number),
                "cashier.void.reason",
                260.0,
                None,
                "cashier.void.confirm",
                true,
            ),
            Purpose::ShiftClose => (
                "shift_dialog",
                tr(lang, "cashier.shift.title").to_string(),
                "cashier.shift.cash",
                120.0,
                Some("cashier.shift.supervisor_note"),
                "cashier.shift.confirm",
                false,
            ),
        };
        let mut outcome = Outcome::Open;
        egui::Modal::new(egui::Id::unique(id)).show(ui.ctx(), |ui| {
            ui.heading(title);
            let first = super::super::widgets::labelled_text(
                ui,
                tr(lang, first_key),
                &mut self.first,
                false,
                width,
            );
            if std::mem::take(&mut self.fresh) {
                first.request_focus();
            }
            if let Some(note) = note {
                ui.weak(tr(lang, note));
            }
            super::super::widgets::labelled_text(
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
            let enter =
                enter_confirms && p.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.horizontal(|ui| {
                if ui.button(tr(lang, confirm)).clicked() || enter {
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
