//! The first-run form: what `downtime-billing setup` asks for, as a form.
//! The library checks every field; the form only collects them, makes sure
//! the PIN was typed the same twice, and hands them over as a command.

use super::app::Command;
use crate::i18n::{Lang, tr};
use crate::setup::SetupParams;
use eframe::egui;
use std::path::PathBuf;

#[derive(Debug, Default)]
pub struct SetupScreen {
    terminal: String,
    hospital: String,
    admin: String,
    pin: String,
    pin_again: String,
    key_file: Option<PathBuf>,
    /// Shown under the form when the two PINs differ.
    mismatch: bool,
}

impl SetupScreen {
    pub fn new() -> Self {
        SetupScreen {
            terminal: "MZ01".into(),
            admin: "admin".into(),
            ..Default::default()
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, busy: bool, cmds: &mut Vec<Command>) {
        ui.heading(tr(lang, "setup.title"));
        ui.label(tr(lang, "setup.intro"));
        ui.add_space(8.0);
        egui::Grid::new("setup_form")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "setup.terminal"),
                    &mut self.terminal,
                    false,
                    120.0,
                );
                ui.end_row();
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "setup.hospital"),
                    &mut self.hospital,
                    false,
                    280.0,
                );
                ui.end_row();
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "setup.admin"),
                    &mut self.admin,
                    false,
                    160.0,
                );
                ui.end_row();
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "setup.pin"),
                    &mut self.pin,
                    true,
                    160.0,
                );
                ui.end_row();
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "setup.pin_again"),
                    &mut self.pin_again,
                    true,
                    160.0,
                );
                ui.end_row();
                let l = ui.label(tr(lang, "setup.key_file"));
                ui.horizontal(|ui| {
                    // The path can be typed: a desktop without a file dialog
                    // service (no portal) opens no window on "choose".
                    let mut text = self
                        .key_file
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut text)
                                .hint_text(tr(lang, "setup.key_new"))
                                .desired_width(260.0),
                        )
                        .labelled_by(l.id);
                    if r.changed() {
                        self.key_file = (!text.trim().is_empty()).then(|| PathBuf::from(&text));
                    }
                    if ui.button(tr(lang, "setup.key_choose")).clicked() {
                        // A native dialog blocks this frame briefly; nothing
                        // else is running during first-run setup.
                        if let Some(p) = rfd::FileDialog::new().pick_file() {
                            self.key_file = Some(p);
                        }
                    }
                    if self.key_file.is_some() && ui.button(tr(lang, "setup.key_clear")).clicked() {
                        self.key_file = None;
                    }
                });
                ui.end_row();
            });
        if self.mismatch {
            ui.colored_label(super::widgets::RED, tr(lang, "setup.pin_mismatch"));
        }
        ui.add_space(8.0);
        let submit = ui
            .add_enabled(!busy, egui::Button::new(tr(lang, "setup.submit")))
            .clicked();
        let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
        if submit || (enter && !busy && !self.pin_again.is_empty()) {
            self.mismatch = self.pin != self.pin_again;
            if !self.mismatch {
                cmds.push(Command::Setup(SetupParams {
                    terminal: self.terminal.trim().to_string(),
                    hospital: self.hospital.trim().to_string(),
                    admin: self.admin.trim().to_string(),
                    admin_pin: self.pin.clone(),
                    signing_key_file: self.key_file.clone(),
                }));
            }
        }
    }

    /// Forgets the PINs once they have been used.
    pub fn clear_pins(&mut self) {
        self.pin.clear();
        self.pin_again.clear();
    }
}
