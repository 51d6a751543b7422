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
    /// The month of the snapshot in force today, with its item count.
    pub snapshot: Option<(String, i64)>,
}

impl StatusLine {
    pub fn read(
        store: &Store,
        session: Option<&Session>,
        clock: &dyn Clock,
    ) -> Result<StatusLine, Failure> {
        let in_force = crate::prices::snapshot_in_force(store.conn(), clock.now().date_naive())?;
        Ok(StatusLine {
            snapshot: in_force.map(|s| (s.month.to_string(), s.item_count)),
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
            match &self.snapshot {
                // Before setup there is no database to hold a list.
                _ if self.terminal.is_empty() => {}
                Some((month, count)) => show(
                    ui,
                    "status.snapshot",
                    &format!("{month} ({count} {})", tr(lang, "status.items")),
                ),
                None => {
                    ui.label(egui::RichText::new(tr(lang, "status.snapshot")).weak());
                    ui.colored_label(super::widgets::AMBER, tr(lang, "status.no_snapshot"));
                    ui.separator();
                }
            }
        });
    }
}
