//! The status bar: who and where, which price list is in force, the open
//! outage episode and how long it has run, the next receipt number and how
//! many are left, and when the last backup was taken — what a cashier must
//! never have to wonder about.

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
    pub snapshot_id: Option<i64>,
    /// Open episode: level, drill, when it opened.
    pub episode: Option<(String, bool, chrono::DateTime<chrono::FixedOffset>)>,
    /// Next receipt number and numbers left (including it).
    pub next_number: Option<(String, u64)>,
    /// The newest backup's time (RFC 3339).
    pub last_backup: Option<String>,
    /// No backup, or the last is older than `backup.max_age_hours`.
    pub backup_stale: bool,
    /// Read at the same time, for "open for 2 h 05 min".
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl StatusLine {
    pub fn read(
        store: &Store,
        session: Option<&Session>,
        clock: &dyn Clock,
    ) -> Result<StatusLine, Failure> {
        use crate::receipts::{episodes, ranges};
        let now = clock.now();
        let in_force = crate::prices::snapshot_in_force(store.conn(), now.date_naive())?;
        let terminal = crate::settings::terminal_code_text(store.conn())?;
        let episode = episodes::current(store.conn(), &terminal)?.and_then(|e| {
            chrono::DateTime::parse_from_rfc3339(&e.opened_at)
                .ok()
                .map(|t| (e.level, e.drill, t))
        });
        let next = ranges::next_number(store.conn(), &terminal)?.map(|n| (n.number, n.left));
        let last_backup = crate::backup::last_backup(store.conn())?.map(|b| b.at);
        let backup_stale = crate::backup::backup_is_stale(store.conn(), clock)?;
        Ok(StatusLine {
            snapshot: in_force
                .as_ref()
                .map(|s| (s.month.to_string(), s.item_count)),
            snapshot_id: in_force.map(|s| s.id),
            hospital: crate::settings::hospital_name(store.conn())?,
            user: session.map(|s| s.user().to_string()),
            terminal,
            episode,
            next_number: next,
            last_backup,
            backup_stale,
            now: Some(now),
        })
    }

    pub fn ui(&self, ui: &mut egui::Ui, lang: Lang) {
        // One line: a label is never broken mid-word; what does not fit
        // on a narrow window is cut at the right edge.
        ui.horizontal(|ui| {
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
            ui.spacing_mut().item_spacing.x = 5.0;
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
            // Before setup there is no database to hold anything else.
            if self.terminal.is_empty() {
                return;
            }
            match &self.snapshot {
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
            ui.label(egui::RichText::new(tr(lang, "status.episode")).weak());
            match (&self.episode, self.now) {
                (Some((level, drill, opened)), Some(now)) => {
                    let minutes = (now - *opened).num_minutes().max(0);
                    let text = format!(
                        "{level}{} {} {} h {:02} min",
                        if *drill { " 演练/DRILL" } else { "" },
                        tr(lang, "status.open_for"),
                        minutes / 60,
                        minutes % 60
                    );
                    ui.colored_label(super::widgets::RED, text);
                }
                _ => {
                    ui.label(tr(lang, "status.no_episode"));
                }
            }
            ui.separator();
            match &self.next_number {
                Some((number, left)) => {
                    show(ui, "status.next_number", number);
                    // "剩余 5000" kept short so the bar fits 1024 px.
                    let text = format!("{} {left}", tr(lang, "status.left"));
                    if *left <= 20 {
                        ui.colored_label(super::widgets::RED, text);
                    } else {
                        ui.label(text);
                    }
                    ui.separator();
                }
                None => {
                    ui.label(egui::RichText::new(tr(lang, "status.next_number")).weak());
                    ui.colored_label(super::widgets::AMBER, tr(lang, "status.no_range"));
                    ui.separator();
                }
            }
            ui.label(egui::RichText::new(tr(lang, "status.last_backup")).weak());
            let text = self
                .last_backup
                .as_deref()
                .map(short_time)
                .unwrap_or_else(|| dash.clone());
            let text = &text;
            if self.backup_stale {
                // Red: no backup yet, or older than the configured age.
                ui.colored_label(super::widgets::RED, text);
            } else {
                ui.strong(text);
            }
        });
    }
}

/// An RFC 3339 time with its date, as people read it: `2026-11-22 09:00`
/// (never the raw `2026-11-22T09:00:00+08:00`); unreadable text as stored.
pub fn date_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// An RFC 3339 time as a cashier reads it: `11-22 09:00` (the local time
/// it was written in); anything unreadable is shown as stored.
pub fn short_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.format("%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}
