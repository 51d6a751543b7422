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
        let lang = self.lang;
        ui.horizontal(|ui| {
            ui.strong(tr(lang, "app.title"));
            ui.separator();
            // Locked: nothing to navigate to until the PIN is given again.
            if let Some(session) = &self.session
                && self.route != Route::OfferSample
                && !self.lock.locked()
            {
                for (route, key) in Route::menu(session) {
                    if ui
                        .selectable_label(self.route == route, tr(lang, key))
                        .clicked()
                    {
                        cmds.push(Command::Go(route));
                    }
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
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
            });
        });
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
