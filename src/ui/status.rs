//! The status bar: who and where, and which price list is in force, so a
//! cashier never has to wonder which terminal or month they are on.

use crate::auth::Session;
use crate::clock::Clock;
use crate::error::Failure;
use crate::i18n::{Lang, tr};
use crate::store::Store;
use eframe::egui;

/// What the bar shows, read from the store when something changes (never
/// inside a widget).
#[derive(Debug, Clone, Default)]
pub struct StatusLine {
    pub terminal: String,
    pub hospital: String,
    pub user: Option<String>,
}

impl StatusLine {
    pub fn read(
        store: &Store,
        session: Option<&Session>,
        _clock: &dyn Clock,
    ) -> Result<StatusLine, Failure> {
        Ok(StatusLine {
            terminal: store.setting("terminal.code")?.unwrap_or_default(),
            hospital: store.setting("hospital.name")?.unwrap_or_default(),
            user: session.map(|s| s.user.to_string()),
        })
    }

    pub fn ui(&self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal(|ui| {
            let dash = "—".to_string();
            let show = |ui: &mut egui::Ui, key: &str, value: &str| {
                ui.label(egui::RichText::new(tr(lang, key)).weak());
                ui.strong(value);
                ui.separator();
            };
            show(
                ui,
                "status.terminal",
                if self.terminal.is_empty() {
                    &dash
                } else {
                    &self.terminal
                },
            );
            show(ui, "status.user", self.user.as_ref().unwrap_or(&dash));
        });
    }
}
