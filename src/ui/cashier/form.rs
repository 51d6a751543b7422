//! The cashier's form as drawn: the episode form when none is open, the
//! paper form's fields in order, the item search with its quantity, the
//! lines, the payment, and the recent receipts beside them. Drawing only
//! edits the screen's own fields and asks for actions.

use super::{CartLine, CashierAction, CashierScreen, Field, Key, LastReceipt, Method, ReceiptKind};
use crate::i18n::{Lang, tr};
use crate::money::Quantity;
use crate::ui::widgets::{AMBER, GREEN, RED};
use eframe::egui;
use egui_extras::{Column, TableBuilder};

impl CashierScreen {
    pub(super) fn episode_ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        acts: &mut Vec<CashierAction>,
    ) {
        ui.colored_label(RED, tr(lang, "cashier.no_episode"));
        ui.add_space(6.0);
        let mut enter = false;
        egui::Grid::new("episode_form")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                ui.label(tr(lang, "cashier.episode.level"));
                // Radio-like buttons: Tab reaches them, Space picks one.
                ui.horizontal(|ui| {
                    for level in ["I", "II", "III", "IV"] {
                        ui.selectable_value(&mut self.episode_level, level.to_string(), level);
                    }
                });
                ui.end_row();
                let l = ui.label(tr(lang, "cashier.episode.reason"));
                let id = egui::Id::unique("episode_reason");
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.episode_reason)
                            .id(id)
                            .desired_width(320.0),
                    )
                    .labelled_by(l.id);
                // The screen's first cursor goes to the reason.
                if self.focus.take().is_some() {
                    r.request_focus();
                }
                enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.end_row();
                ui.label("");
                ui.checkbox(&mut self.episode_drill, tr(lang, "cashier.episode.drill"));
                ui.end_row();
            });
        ui.weak(lang.pick(
            "Tab 在级别、原因、演练之间移动，空格选择；在原因中按 Enter 声明。",
            "Tab moves between level, reason and drill, Space picks; Enter in the reason declares.",
        ));
        if ui.button(tr(lang, "cashier.episode.open")).clicked() || enter {
            acts.push(CashierAction::OpenEpisode {
                level: self.episode_level.clone(),
                reason: self.episode_reason.trim().to_string(),
                drill: self.episode_drill,
            });
        }
    }

    pub(super) fn form_ui(&mut self, ui: &mut egui::Ui, lang: Lang, acts: &mut Vec<CashierAction>) {
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
                super::super::widgets::labelled_text(
                    ui,
                    tr(lang, "cashier.sex"),
                    &mut self.sex,
                    false,
                    40.0,
                );
                ui.end_row();
                super::super::widgets::labelled_text(
                    ui,
                    tr(lang, "cashier.age"),
                    &mut self.age,
                    false,
                    40.0,
                );
                super::super::widgets::labelled_text(
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
                    super::super::widgets::labelled_text(
                        ui,
                        tr(lang, "cashier.insurance_no"),
                        &mut self.insurance_no,
                        false,
                        120.0,
                    );
                }
                ui.end_row();
                super::super::widgets::labelled_text(
                    ui,
                    tr(lang, "cashier.department"),
                    &mut self.department,
                    false,
                    120.0,
                );
                super::super::widgets::labelled_text(
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
            self.items_ui(ui, lang, acts);
        }
    }

    pub(super) fn items_ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        acts: &mut Vec<CashierAction>,
    ) {
        let search_focused = ui.memory(|m| m.has_focus(Field::Search.id()));
        if search_focused {
            self.search_keys(ui, acts);
        }
        ui.horizontal(|ui| {
            let l = ui.label(tr(lang, "cashier.search"));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.query)
                        .id(Field::Search.id())
                        .hint_text(tr(lang, "browser.search_hint"))
                        .desired_width(200.0),
                )
                .labelled_by(l.id);
            if r.changed() {
                self.last = None;
                self.line_cursor = None;
            }
            self.refresh_hits();
            if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                if let Some(hit) = self.hits.get(self.highlight) {
                    self.pending = Some(hit.index);
                    self.editing = None;
                    self.qty.clear();
                    self.focus = Some(Field::Qty);
                } else if let Some(i) = self.line_cursor.filter(|i| *i < self.lines.len()) {
                    // Enter on a picked line: change its quantity.
                    self.editing = Some(i);
                    self.pending = None;
                    self.qty.clear();
                    self.focus = Some(Field::Qty);
                } else {
                    self.focus = Some(Field::Search);
                }
            }
            // Typing on past the quantity: a letter (not a digit or a
            // point) puts the waiting item in the cart with the quantity
            // typed (1 when none) and starts the next search with it.
            if self.pending.is_some() && ui.memory(|m| m.has_focus(Field::Qty.id())) {
                let next = ui.input_mut(|i| {
                    let at = i.events.iter().position(|e| {
                        matches!(e, egui::Event::Text(t)
                            if t.chars().next().is_some_and(|c| !c.is_ascii_digit() && c != '.'))
                    })?;
                    match i.events.remove(at) {
                        egui::Event::Text(t) => Some(t),
                        _ => None,
                    }
                });
                if let Some(text) = next {
                    self.add_pending(acts);
                    if self.pending.is_none() {
                        self.query = text;
                    }
                }
            }
            let l = ui.label(tr(lang, "cashier.qty"));
            let q = ui
                .add_enabled(
                    self.pending.is_some() || self.editing.is_some(),
                    egui::TextEdit::singleline(&mut self.qty)
                        .id(Field::Qty.id())
                        .hint_text("1")
                        .desired_width(60.0),
                )
                .labelled_by(l.id);
            if q.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                self.add_pending(acts);
            }
            if q.has_focus()
                && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape))
            {
                // Esc leaves the quantity: the item is not added.
                self.pending = None;
                self.editing = None;
                self.qty.clear();
                self.focus = Some(Field::Search);
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
                    crate::ui::widgets::named(&item),
                    item.spec,
                    item.unit_price.as_text(),
                    item.unit
                ),
            );
        } else if let Some(i) = self.editing
            && let Some(line) = self.lines.get(i)
        {
            ui.colored_label(
                GREEN,
                format!(
                    "{} {}：{}  {}",
                    lang.pick("修改第", "Changing line"),
                    i + 1,
                    line.name,
                    lang.pick("输入新数量后按 Enter", "type the new quantity, then Enter")
                ),
            );
        } else if !self.query.trim().is_empty() {
            self.hits_ui(ui, lang);
        }
        self.lines_ui(ui, lang, acts);
    }

    /// Keys in the search box: ↑/↓ walk the offered items while there are
    /// any, else the cart's lines; Delete removes the picked line.
    fn search_keys(&mut self, ui: &mut egui::Ui, acts: &mut Vec<CashierAction>) {
        let (down, up, delete) = ui.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown),
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp),
                self.query.is_empty() && i.consume_key(egui::Modifiers::NONE, egui::Key::Delete),
            )
        });
        if !self.hits.is_empty() {
            if down && self.highlight + 1 < self.hits.len() {
                self.highlight += 1;
            }
            if up && self.highlight > 0 {
                self.highlight -= 1;
            }
            return;
        }
        if self.lines.is_empty() {
            self.line_cursor = None;
            return;
        }
        let last = self.lines.len() - 1;
        if up {
            self.line_cursor = Some(match self.line_cursor {
                None => last,
                Some(i) => i.saturating_sub(1),
            });
        }
        if down {
            self.line_cursor = match self.line_cursor {
                Some(i) if i < last => Some(i + 1),
                // Past the last line: back to typing a new item.
                _ => None,
            };
        }
        if delete && let Some(i) = self.line_cursor.filter(|i| *i <= last) {
            self.lines.remove(i);
            self.line_cursor = if self.lines.is_empty() {
                None
            } else {
                Some(i.min(self.lines.len() - 1))
            };
            acts.push(CashierAction::Total);
        }
    }

    pub(super) fn add_pending(&mut self, acts: &mut Vec<CashierAction>) {
        // Empty: 1 for a new item, unchanged for a line being edited.
        let kept = self
            .editing
            .and_then(|i| self.lines.get(i))
            .map(|l| l.qty.decimal().normalize().to_string());
        let raw = match (self.qty.trim(), &kept) {
            ("", Some(k)) => k.as_str(),
            ("", None) => "1",
            (typed, _) => typed,
        };
        let qty = match Quantity::parse(raw) {
            Ok(q) => q,
            Err(_) => {
                self.hint = Some(super::Hint::key("cashier.hint.qty"));
                self.focus = Some(Field::Qty);
                return;
            }
        };
        if let Some(i) = self.editing
            && i < self.lines.len()
        {
            let before = self.lines[i].qty;
            self.lines[i].qty = qty;
            self.just_added = Some(super::Pricing::Changed { line: i, before });
        } else {
            let (Some(pending), Some(index)) = (self.pending, &self.index) else {
                return;
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
            self.just_added = Some(super::Pricing::Added { item: pending });
        }
        self.hint = None;
        self.pending = None;
        self.editing = None;
        self.line_cursor = None;
        self.qty.clear();
        self.query.clear();
        self.focus = Some(Field::Search);
        acts.push(CashierAction::Total);
    }

    pub(super) fn hits_ui(&self, ui: &mut egui::Ui, lang: Lang) {
        let Some(index) = &self.index else {
            ui.colored_label(RED, tr(lang, "status.no_snapshot"));
            return;
        };
        if self.hits.is_empty() {
            ui.weak(tr(lang, "cashier.no_hits"));
            return;
        }
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        if self.matched > self.hits.len() {
            ui.weak(crate::ui::browser::cut_off(
                self.hits.len(),
                self.matched,
                lang,
            ));
        }
        for (i, hit) in self.hits.iter().enumerate() {
            let item = index.item(hit.index);
            let text = format!(
                "{}  {}  {}  {}/{}",
                item.code,
                crate::ui::widgets::named(&item),
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

    pub(super) fn lines_ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        acts: &mut Vec<CashierAction>,
    ) {
        let mut remove = None;
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        // The lines scroll inside what the form leaves; the newest (or the
        // picked) line is kept in view.
        let height = (ui.available_height() - 24.0).max(60.0);
        let mut table = TableBuilder::new(ui)
            .id_salt("cashier_lines")
            .striped(true)
            .auto_shrink([false, true])
            .max_scroll_height(height);
        let now = (self.lines.len(), self.line_cursor);
        if std::mem::replace(&mut self.drawn, now) != now
            && let Some(row) = self.line_cursor.or(self.lines.len().checked_sub(1))
        {
            table = table.scroll_to_row(row, None);
        }
        table
            .column(Column::exact(36.0))
            .column(Column::remainder().at_least(120.0).clip(true))
            .column(Column::initial(90.0).clip(true))
            .column(Column::initial(70.0))
            .column(Column::initial(60.0))
            .column(Column::initial(80.0))
            .column(Column::exact(76.0))
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
                        row.set_selected(self.line_cursor == Some(i));
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
            self.line_cursor = None;
            acts.push(CashierAction::Total);
        }
    }

    pub(super) fn payment_ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        acts: &mut Vec<CashierAction>,
    ) {
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
            for m in Method::ALL {
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
                    // Enter alone: the exact amount due, no change.
                    if self.tendered.trim().is_empty()
                        && let Some(due) = self.amount_due()
                    {
                        self.tendered = due.to_string();
                    }
                    self.settle(acts);
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
                let l = ui.label(tr(lang, "cashier.reference"));
                ui.add(
                    egui::TextEdit::singleline(&mut self.reference)
                        .id(Field::Reference.id())
                        .desired_width(160.0),
                )
                .labelled_by(l.id);
            }
        });
        ui.horizontal(|ui| {
            if ui.button(tr(lang, "cashier.settle")).clicked() {
                self.settle(acts);
            }
        });
    }

    pub(super) fn recent_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
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
}

pub(super) fn last_ui(ui: &mut egui::Ui, lang: Lang, last: &LastReceipt) {
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
                match (&last.delivery, &last.printed) {
                    (Some((zh, en)), _) => ui.weak(lang.pick(zh, en)),
                    (None, Some(p)) => ui.weak(format!("{} {p}", tr(lang, "cashier.printed"))),
                    (None, None) => ui.colored_label(AMBER, tr(lang, "cashier.not_printed")),
                };
            });
            if let Some(w) = &last.warning {
                ui.colored_label(AMBER, w);
            }
        });
}
