//! The admin's receipt books screen: which number ranges this terminal has,
//! how far each has gone, and a form to add one. Without a range no receipt
//! can be issued, so a newcomer must be able to add one here rather than
//! only through `range add`. The rules (admin only, no overlap, 1 ≤ from ≤
//! to) are the library's (`receipts::ranges::add`); this screen lists and
//! collects.

use super::app::Command;
use super::widgets::{self, GREEN, RED};
use crate::i18n::{Lang, tr};
use crate::receipts::ranges::{self, Range};
use eframe::egui;

#[derive(Default)]
pub struct RangesScreen {
    /// This terminal's code (from the settings), whose ranges are listed.
    pub terminal: String,
    pub ranges: Vec<Range>,
    // The add form; the terminal field starts as this terminal's code.
    form_terminal: String,
    from: String,
    to: String,
}

impl RangesScreen {
    /// Called after the store was read again: fills the terminal field the
    /// first time a code is known.
    pub fn set_terminal(&mut self, terminal: &str) {
        self.terminal = terminal.to_string();
        if self.form_terminal.is_empty() {
            self.form_terminal = terminal.to_string();
        }
    }

    /// After a range was added: clear the numbers typed, keep the terminal.
    pub fn added(&mut self) {
        self.from.clear();
        self.to.clear();
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, cmds: &mut Vec<Command>) {
        ui.heading(tr(lang, "ranges.title"));
        ui.label(format!(
            "{} {}",
            tr(lang, "ranges.of_terminal"),
            self.terminal
        ));
        if self.ranges.is_empty() {
            ui.colored_label(RED, tr(lang, "ranges.none"));
        } else {
            egui::Grid::new("ranges_list")
                .striped(true)
                .num_columns(4)
                .spacing([24.0, 4.0])
                .show(ui, |ui| {
                    for key in [
                        "ranges.col.from",
                        "ranges.col.to",
                        "ranges.col.used",
                        "ranges.col.left",
                    ] {
                        ui.strong(tr(lang, key));
                    }
                    ui.end_row();
                    for g in &self.ranges {
                        ui.label(ranges::format_number(&g.terminal, g.from));
                        ui.label(ranges::format_number(&g.terminal, g.to));
                        ui.label(g.used.to_string());
                        let left = g.left();
                        if left == 0 {
                            ui.colored_label(RED, left.to_string());
                        } else if left <= ranges::WARN_LEFT {
                            ui.colored_label(widgets::AMBER, left.to_string());
                        } else {
                            ui.colored_label(GREEN, left.to_string());
                        }
                        ui.end_row();
                    }
                });
        }
        ui.separator();
        ui.strong(tr(lang, "ranges.add_title"));
        egui::Grid::new("ranges_add")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                for (key, value) in [
                    ("ranges.terminal", &mut self.form_terminal),
                    ("ranges.from", &mut self.from),
                    ("ranges.to", &mut self.to),
                ] {
                    widgets::labelled_text(ui, tr(lang, key), value, false, 160.0);
                    ui.end_row();
                }
            });
        ui.weak(tr(lang, "ranges.hint"));
        if ui.button(tr(lang, "ranges.add")).clicked() {
            cmds.push(Command::RangeAdd {
                terminal: self.form_terminal.trim().to_string(),
                from: self.from.trim().to_string(),
                to: self.to.trim().to_string(),
            });
        }
    }
}
