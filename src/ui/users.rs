//! The admin's users screen: who may work at this terminal and in which
//! roles. Adding, disabling, PIN resets and role changes are the library's
//! (`auth::users`, admin only, audited); this screen lists and collects.

use super::app::Command;
use super::widgets::RED;
use crate::auth::Role;
use crate::auth::users::UserInfo;
use crate::i18n::{Lang, tr};
use eframe::egui;
use egui_extras::{Column, TableBuilder};

#[derive(Default)]
pub struct UsersScreen {
    pub users: Vec<UserInfo>,
    selected: Option<String>,
    /// Roles ticked for the selected user.
    roles: [bool; 4],
    new_pin: String,
    // The add form.
    add_name: String,
    add_roles: [bool; 4],
    add_pin: String,
    add_pin_again: String,
    mismatch: bool,
}

fn role_key(r: Role) -> &'static str {
    match r {
        Role::Cashier => "users.role.cashier",
        Role::Pharmacist => "users.role.pharmacist",
        Role::Finance => "users.role.finance",
        Role::Admin => "users.role.admin",
    }
}

fn chosen(ticks: &[bool; 4]) -> Vec<Role> {
    Role::ALL
        .iter()
        .zip(ticks)
        .filter(|(_, t)| **t)
        .map(|(r, _)| *r)
        .collect()
}

impl UsersScreen {
    /// After a change: clear what was typed, keep the selection.
    pub fn changed(&mut self) {
        self.new_pin.clear();
        self.add_name.clear();
        self.add_pin.clear();
        self.add_pin_again.clear();
        self.add_roles = [false; 4];
        self.select_current();
    }

    fn select_current(&mut self) {
        let Some(name) = &self.selected else { return };
        if let Some(u) = self.users.iter().find(|u| &u.name == name) {
            for (i, r) in Role::ALL.iter().enumerate() {
                self.roles[i] = u.roles.iter().any(|c| c == r.code());
            }
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, cmds: &mut Vec<Command>) {
        ui.heading(tr(lang, "users.title"));
        let mut pick = None;
        ui.push_id("users_table", |ui| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
            TableBuilder::new(ui)
                .striped(true)
                .max_scroll_height(240.0)
                .column(Column::initial(140.0))
                .column(Column::initial(260.0))
                .column(Column::initial(120.0))
                .column(Column::remainder())
                .header(20.0, |mut h| {
                    for key in [
                        "users.col.name",
                        "users.col.roles",
                        "users.col.state",
                        "users.col.created",
                    ] {
                        h.col(|ui| {
                            ui.strong(tr(lang, key));
                        });
                    }
                })
                .body(|mut body| {
                    for u in &self.users {
                        body.row(22.0, |mut row| {
                            row.set_selected(self.selected.as_ref() == Some(&u.name));
                            row.col(|ui| {
                                if ui
                                    .selectable_label(
                                        self.selected.as_ref() == Some(&u.name),
                                        &u.name,
                                    )
                                    .clicked()
                                {
                                    pick = Some(u.name.clone());
                                }
                            });
                            row.col(|ui| {
                                let roles: Vec<&str> = Role::ALL
                                    .iter()
                                    .filter(|r| u.roles.iter().any(|c| c == r.code()))
                                    .map(|r| r.label(lang))
                                    .collect();
                                ui.label(roles.join(lang.pick("、", ", ")));
                            });
                            row.col(|ui| {
                                if u.disabled {
                                    ui.colored_label(RED, tr(lang, "users.disabled"));
                                } else if u.locked_until.is_some() {
                                    ui.label(tr(lang, "users.locked"));
                                } else {
                                    ui.label(tr(lang, "users.active"));
                                }
                            });
                            row.col(|ui| {
                                ui.label(crate::ui::status::date_time(&u.created_at));
                            });
                        });
                    }
                });
        });
        if let Some(name) = pick {
            self.selected = Some(name);
            self.new_pin.clear();
            self.select_current();
        }
        ui.separator();
        self.edit_ui(ui, lang, cmds);
        ui.separator();
        self.add_ui(ui, lang, cmds);
    }

    fn edit_ui(&mut self, ui: &mut egui::Ui, lang: Lang, cmds: &mut Vec<Command>) {
        let Some(name) = self.selected.clone() else {
            ui.weak(tr(lang, "users.pick"));
            return;
        };
        let Some(user) = self.users.iter().find(|u| u.name == name) else {
            return;
        };
        let disabled = user.disabled;
        ui.strong(format!("{} {}", tr(lang, "users.editing"), name));
        ui.horizontal(|ui| {
            for (i, r) in Role::ALL.iter().enumerate() {
                ui.checkbox(&mut self.roles[i], tr(lang, role_key(*r)));
            }
            if ui.button(tr(lang, "users.save_roles")).clicked() {
                cmds.push(Command::UserSetRoles {
                    name: name.clone(),
                    roles: chosen(&self.roles),
                });
            }
        });
        ui.horizontal(|ui| {
            super::widgets::labelled_text(
                ui,
                tr(lang, "users.new_pin"),
                &mut self.new_pin,
                true,
                120.0,
            );
            if ui.button(tr(lang, "users.reset_pin")).clicked() {
                cmds.push(Command::UserResetPin {
                    name: name.clone(),
                    pin: std::mem::take(&mut self.new_pin),
                });
            }
            let (key, to) = if disabled {
                ("users.enable", false)
            } else {
                ("users.disable", true)
            };
            if ui.button(tr(lang, key)).clicked() {
                cmds.push(Command::UserSetDisabled {
                    name: name.clone(),
                    disabled: to,
                });
            }
        });
    }

    fn add_ui(&mut self, ui: &mut egui::Ui, lang: Lang, cmds: &mut Vec<Command>) {
        ui.strong(tr(lang, "users.add_title"));
        egui::Grid::new("users_add")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "users.add_name"),
                    &mut self.add_name,
                    false,
                    160.0,
                );
                ui.end_row();
                ui.label(tr(lang, "users.col.roles"));
                ui.horizontal(|ui| {
                    for (i, r) in Role::ALL.iter().enumerate() {
                        ui.checkbox(&mut self.add_roles[i], tr(lang, role_key(*r)));
                    }
                });
                ui.end_row();
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "users.add_pin"),
                    &mut self.add_pin,
                    true,
                    160.0,
                );
                ui.end_row();
                super::widgets::labelled_text(
                    ui,
                    tr(lang, "users.add_pin_again"),
                    &mut self.add_pin_again,
                    true,
                    160.0,
                );
                ui.end_row();
            });
        if self.mismatch {
            ui.colored_label(RED, tr(lang, "setup.pin_mismatch"));
        }
        if ui.button(tr(lang, "users.add")).clicked() {
            self.mismatch = self.add_pin != self.add_pin_again;
            if !self.mismatch {
                cmds.push(Command::UserAdd {
                    name: self.add_name.trim().to_string(),
                    roles: chosen(&self.add_roles),
                    pin: self.add_pin.clone(),
                });
            }
        }
    }
}
