//! Login: user and PIN. Wrong PINs and lock-outs are decided by
//! `auth::login`; this screen only collects the two fields.

use super::app::Command;
use crate::i18n::{Lang, tr};
use eframe::egui;

#[derive(Debug, Default)]
pub struct LoginScreen {
    user: String,
    pin: String,
    /// Put the cursor in the user field once, when the screen appears.
    focused: bool,
}

impl LoginScreen {
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        hospital: &str,
        can_login: bool,
        cmds: &mut Vec<Command>,
    ) {
        ui.vertical_centered(|ui| {
            ui.add_space(24.0);
            if !hospital.is_empty() {
                ui.heading(hospital);
            }
            ui.label(tr(lang, "login.title"));
            ui.add_space(12.0);
        });
        let mut submit = false;
        // A grid does not centre itself: indent it by half the spare width.
        let form_width = 260.0;
        ui.horizontal(|ui| {
            ui.add_space(((ui.available_width() - form_width) / 2.0).max(0.0));
            ui.vertical(|ui| {
                egui::Grid::new("login_form")
                    .num_columns(2)
                    .spacing([12.0, 8.0])
                    .show(ui, |ui| {
                        let u = super::widgets::labelled_text(
                            ui,
                            tr(lang, "login.user"),
                            &mut self.user,
                            false,
                            180.0,
                        );
                        ui.end_row();
                        let p = super::widgets::labelled_text(
                            ui,
                            tr(lang, "login.pin"),
                            &mut self.pin,
                            true,
                            180.0,
                        );
                        ui.end_row();
                        if !self.focused {
                            self.focused = true;
                            u.request_focus();
                        }
                        // Enter in the user field moves on to the PIN; Enter in
                        // the PIN field logs in.
                        if u.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                            p.request_focus();
                        }
                        if p.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                            submit = true;
                        }
                    });
                ui.add_space(8.0);
                if ui
                    .add_enabled(can_login, egui::Button::new(tr(lang, "login.submit")))
                    .clicked()
                {
                    submit = true;
                }
            });
        });
        if submit && can_login {
            cmds.push(Command::Login {
                user: self.user.trim().to_string(),
                pin: std::mem::take(&mut self.pin),
            });
        }
    }

    /// After a logout the next person starts with empty fields.
    pub fn reset(&mut self) {
        self.user.clear();
        self.pin.clear();
        self.focused = false;
    }
}
