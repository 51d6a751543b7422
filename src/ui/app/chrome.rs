//! What the shell draws around the screens: the top bar (menu, language,
//! log out), the red banner of a failed start-up verify, and the offer of
//! the sample list right after setup.

use super::{App, Command, Route};
use crate::domain::Month;
use crate::i18n::{Lang, tr};
use crate::ui::widgets;
use eframe::egui;

impl App {
    pub(super) fn top_bar(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        // One row when the menu fits beside the language switch; else the
        // menu gets a row of its own, wrapping between entries (never
        // inside one): no English label is clipped on a 1024 px window.
        let one_row = self.menu_width(ui) + 260.0 <= ui.available_width();
        ui.horizontal(|ui| {
            if one_row {
                self.menu_ui(ui, cmds);
            } else {
                ui.strong(tr(self.lang, "app.title"));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                self.switches_ui(ui, cmds);
            });
        });
        if !one_row {
            ui.horizontal_wrapped(|ui| {
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
                self.menu_entries_ui(ui, cmds);
            });
        }
    }

    /// Log out and the language switch, right to left.
    fn switches_ui(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        let lang = self.lang;
        if self.session.is_some() && ui.button(tr(lang, "nav.logout")).clicked() {
            cmds.push(Command::Logout);
        }
        // The language switch is always on screen, whatever the route.
        let mut chosen = lang;
        ui.selectable_value(&mut chosen, Lang::En, "English");
        ui.selectable_value(&mut chosen, Lang::Zh, "中文");
        if chosen != lang {
            cmds.push(Command::SetLang(chosen));
        }
    }

    /// The width the title and the menu take on one row.
    fn menu_width(&self, ui: &egui::Ui) -> f32 {
        let font = egui::TextStyle::Button.resolve(ui.style());
        let pad = ui.spacing().button_padding.x * 2.0 + ui.spacing().item_spacing.x;
        let width = |text: &str| {
            ui.painter()
                .layout_no_wrap(text.to_string(), font.clone(), egui::Color32::BLACK)
                .size()
                .x
                + pad
        };
        let entries = match &self.session {
            Some(session) if self.route != Route::OfferSample && !self.lock.locked() => {
                Route::menu(session)
            }
            _ => Vec::new(),
        };
        width(tr(self.lang, "app.title"))
            + 16.0
            + entries
                .iter()
                .map(|(_, key)| width(tr(self.lang, key)))
                .sum::<f32>()
    }

    fn menu_ui(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        ui.strong(tr(self.lang, "app.title"));
        ui.separator();
        self.menu_entries_ui(ui, cmds);
    }

    fn menu_entries_ui(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        let lang = self.lang;
        // Locked: nothing to navigate to until the PIN is given again.
        if let Some(session) = &self.session
            && self.route != Route::OfferSample
            && !self.lock.locked()
        {
            // Ctrl+1…9 go to the menu's entries in order: no screen
            // needs the mouse to be reached.
            const DIGITS: [egui::Key; 9] = [
                egui::Key::Num1,
                egui::Key::Num2,
                egui::Key::Num3,
                egui::Key::Num4,
                egui::Key::Num5,
                egui::Key::Num6,
                egui::Key::Num7,
                egui::Key::Num8,
                egui::Key::Num9,
            ];
            // The finance screen keeps Ctrl+1…6 for its own tabs.
            let shortcuts = self.route != Route::Finance;
            for (n, (route, key)) in Route::menu(session).into_iter().enumerate() {
                let shortcut = shortcuts
                    && DIGITS.get(n).is_some_and(|d| {
                        ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, *d))
                    });
                if ui
                    .selectable_label(self.route == route, tr(lang, key))
                    .on_hover_text(format!("Ctrl+{}", n + 1))
                    .clicked()
                    || shortcut
                {
                    cmds.push(Command::Go(route));
                }
            }
        }
    }

    pub(super) fn offer_sample_ui(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        let lang = self.lang;
        let Some(sample) = &self.sample else { return };
        ui.heading(tr(lang, "sample.title"));
        ui.label(tr(lang, "sample.offer"));
        ui.strong(format!(
            "{}  ({} {})",
            sample.file_name,
            tr(lang, "sample.as_month"),
            Month::of(self.today())
        ));
        if let Some(src) = &sample.source {
            let shown = std::fs::canonicalize(src).unwrap_or_else(|_| src.clone());
            ui.weak(shown.display().to_string());
        } else {
            ui.weak(tr(lang, "sample.embedded"));
        }
        ui.add_space(8.0);
        let idle = !self.jobs.importing();
        ui.horizontal(|ui| {
            if ui
                .add_enabled(idle, egui::Button::new(tr(lang, "sample.import")))
                .clicked()
            {
                cmds.push(Command::ImportSample);
            }
            if ui
                .add_enabled(idle, egui::Button::new(tr(lang, "sample.skip")))
                .clicked()
            {
                cmds.push(Command::SkipSample);
            }
        });
        if let Some((key, fraction)) = self.admin.busy {
            crate::ui::jobs::progress_bar(ui, fraction, tr(lang, key));
        }
    }
}

/// The red banner of a failed verify. It has no close button: issuing is
/// stopped until an admin acknowledges the problems with a reason (the
/// field and button show for an admin only). Returns the reason when the
/// admin acknowledges.
pub(super) fn verify_banner(
    ui: &mut egui::Ui,
    lang: Lang,
    problems: &[crate::verify::Problem],
    hold: Option<&crate::verify::hold::Hold>,
    is_admin: bool,
    reason: &mut String,
) -> Option<String> {
    let mut acknowledged = None;
    let white = |t: String| egui::RichText::new(t).color(egui::Color32::WHITE);
    egui::Frame::new()
        .fill(widgets::RED)
        .inner_margin(8.0)
        .show(ui, |ui| {
            let count = if problems.is_empty() {
                hold.map_or(0, |h| h.problems)
            } else {
                problems.len()
            };
            ui.label(white(format!("{} ({count})", tr(lang, "verify.banner"))).strong());
            for p in problems.iter().take(12) {
                ui.label(white(p.line(lang)));
            }
            if problems.is_empty()
                && let Some(h) = hold
            {
                for line in &h.first {
                    ui.label(white(line.clone()));
                }
            }
            if problems.len() > 12 {
                ui.label(white(format!("… {}", tr(lang, "verify.more"))));
            }
            ui.label(white(
                lang.pick(
                    "已停止开票，直至管理员查看问题并填写原因确认",
                    "Issuing is stopped until an admin reviews the problems and acknowledges them with a reason",
                )
                .to_string(),
            ));
            if is_admin {
                ui.horizontal(|ui| {
                    let label = ui.label(white(
                        lang.pick("确认原因", "Reason for acknowledging").to_string(),
                    ));
                    ui.text_edit_singleline(reason).labelled_by(label.id);
                    let ready = !reason.trim().is_empty();
                    if ui
                        .add_enabled(
                            ready,
                            egui::Button::new(lang.pick("确认并恢复开票", "Acknowledge and resume issuing")),
                        )
                        .clicked()
                    {
                        acknowledged = Some(reason.trim().to_string());
                    }
                });
            }
        });
    acknowledged
}
