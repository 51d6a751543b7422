//! The history's two dialogs over an opened receipt: void (reason, then a
//! supervisor's name and PIN) and refund (a quantity for each line still
//! refundable, the reason, the supervisor). A drug line the pharmacy handed
//! out says that its return must be confirmed there first. Enter moves to
//! the next field and confirms from the PIN; Esc cancels.

use super::{HistoryAction, Opened};
use crate::i18n::Lang;
use crate::receipts::query::dec;
use crate::ui::widgets::{AMBER, labelled_text};
use eframe::egui;
use rust_decimal::Decimal;

/// One line offered for a refund.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundRow {
    pub line: u32,
    pub name: String,
    pub left: Decimal,
    /// Handed out by the pharmacy and not confirmed returned.
    pub at_patient: Decimal,
    /// What to refund, as typed (empty: nothing).
    pub qty: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Void,
    Refund(Vec<RefundRow>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dialog {
    number: String,
    kind: Kind,
    reason: String,
    supervisor: String,
    pin: String,
    fresh: bool,
}

pub enum Outcome {
    Open,
    Closed,
    Confirmed(HistoryAction),
}

impl Dialog {
    pub fn void(number: &str) -> Dialog {
        Dialog {
            number: number.to_string(),
            kind: Kind::Void,
            reason: String::new(),
            supervisor: String::new(),
            pin: String::new(),
            fresh: true,
        }
    }

    /// A refund of an opened receipt: every line still refundable, the
    /// whole of it offered when there is a single line.
    pub fn refund(o: &Opened) -> Dialog {
        let v = &o.view;
        let mut rows: Vec<RefundRow> = v
            .lines
            .iter()
            .map(|l| {
                let at_patient = o
                    .pharmacy
                    .get(&l.line)
                    .map(|p| (p.dispensed - p.returned).max(Decimal::ZERO))
                    .unwrap_or(Decimal::ZERO);
                RefundRow {
                    line: l.line,
                    name: l.name.clone(),
                    left: dec(&l.qty) - dec(&l.refunded_qty),
                    at_patient,
                    qty: String::new(),
                }
            })
            .filter(|r| r.left > Decimal::ZERO)
            .collect();
        if let [only] = rows.as_mut_slice() {
            only.qty = only.left.normalize().to_string();
        }
        Dialog {
            number: v.number.clone(),
            kind: Kind::Refund(rows),
            reason: String::new(),
            supervisor: String::new(),
            pin: String::new(),
            fresh: true,
        }
    }

    fn action(&mut self) -> HistoryAction {
        let number = self.number.clone();
        let reason = self.reason.trim().to_string();
        let supervisor = self.supervisor.trim().to_string();
        let pin = std::mem::take(&mut self.pin);
        match &self.kind {
            Kind::Void => HistoryAction::Void {
                number,
                reason,
                supervisor,
                pin,
            },
            Kind::Refund(rows) => HistoryAction::Refund {
                number,
                lines: rows
                    .iter()
                    .filter(|r| !r.qty.trim().is_empty())
                    .map(|r| (r.line, r.qty.trim().to_string()))
                    .collect(),
                reason,
                supervisor,
                pin,
            },
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Outcome {
        let mut outcome = Outcome::Open;
        let title = match self.kind {
            Kind::Void => format!("{} {}", lang.pick("作废票据", "Void receipt"), self.number),
            Kind::Refund(_) => format!("{} {}", lang.pick("退费", "Refund"), self.number),
        };
        egui::Modal::new(egui::Id::unique("history_dialog")).show(ui.ctx(), |ui| {
            ui.heading(title);
            let fresh = std::mem::take(&mut self.fresh);
            let entered =
                |ui: &egui::Ui, r: &egui::Response| r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let mut fields: Vec<egui::Response> = Vec::new();
            if let Kind::Refund(rows) = &mut self.kind {
                if rows.is_empty() {
                    ui.colored_label(
                        AMBER,
                        lang.pick("这张票据没有可退的行", "Nothing on this receipt is left to refund"),
                    );
                }
                egui::Grid::new("refund_rows")
                    .num_columns(4)
                    .spacing([8.0, 4.0])
                    .show(ui, |ui| {
                        for r in rows.iter_mut() {
                            ui.label(format!("{}  {}", r.line, r.name));
                            let l = ui.label(format!(
                                "{}{}{}",
                                lang.pick("第 ", "Line "),
                                r.line,
                                lang.pick(" 行退费数量", " refund qty")
                            ));
                            fields.push(
                                ui.add(
                                    egui::TextEdit::singleline(&mut r.qty)
                                        .id(egui::Id::unique(("refund_qty", r.line)))
                                        .desired_width(60.0),
                                )
                                .labelled_by(l.id),
                            );
                            ui.weak(format!("{} {}", lang.pick("可退", "left"), r.left.normalize()));
                            ui.end_row();
                            if r.at_patient > Decimal::ZERO {
                                ui.label("");
                                ui.colored_label(
                                    AMBER,
                                    format!(
                                        "{} {}{}",
                                        lang.pick(
                                            "药品已发出，退费前需药房确认退药：",
                                            "handed out by the pharmacy; its return must be confirmed there first:",
                                        ),
                                        r.at_patient.normalize(),
                                        lang.pick(" 未退回", " not returned")
                                    ),
                                );
                                ui.end_row();
                            }
                        }
                    });
            }
            let reason_label = match self.kind {
                Kind::Void => lang.pick("作废原因", "Reason for voiding"),
                Kind::Refund(_) => lang.pick("退费原因", "Reason for the refund"),
            };
            fields.push(labelled_text(ui, reason_label, &mut self.reason, false, 260.0));
            fields.push(labelled_text(
                ui,
                lang.pick("主管用户名", "Supervisor"),
                &mut self.supervisor,
                false,
                160.0,
            ));
            let pin = labelled_text(
                ui,
                lang.pick("主管 PIN", "Supervisor PIN"),
                &mut self.pin,
                true,
                160.0,
            );
            if fresh && let Some(first) = fields.first() {
                first.request_focus();
            }
            let mut confirm = entered(ui, &pin);
            for (i, f) in fields.iter().enumerate() {
                if entered(ui, f) {
                    match fields.get(i + 1) {
                        Some(next) => next.request_focus(),
                        None => pin.request_focus(),
                    }
                }
            }
            ui.weak(lang.pick(
                "Enter 下一项，在 PIN 中 Enter 确认；Esc 取消",
                "Enter moves on, Enter in the PIN confirms; Esc cancels",
            ));
            ui.horizontal(|ui| {
                let label = match self.kind {
                    Kind::Void => lang.pick("确认作废", "Void it"),
                    Kind::Refund(_) => lang.pick("确认退费", "Refund"),
                };
                confirm |= ui.button(label).clicked();
                if ui.button(lang.pick("取消", "Cancel")).clicked() {
                    outcome = Outcome::Closed;
                }
            });
            if confirm {
                outcome = Outcome::Confirmed(self.action());
            }
        });
        outcome
    }
}
