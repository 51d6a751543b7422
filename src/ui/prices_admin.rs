//! The admin's price-list screen: pick a file, see every problem by
//! FILE:ROW:COLUMN, the warnings and the difference from the previous
//! month, and import only when the whole file is valid. Reading, checking,
//! diffing and importing all run on worker threads.

use super::app::Command;
use super::jobs;
use super::widgets::{AMBER, GREEN, ITEM_COLUMNS, RED, item_cells};
use crate::i18n::{Lang, tr};
use crate::prices::{MonthStatus, Snapshot};
use eframe::egui;
use egui_extras::{Column, TableBuilder};
use std::path::PathBuf;

/// What the preview worker found, for the file at `path`.
pub struct Preview {
    pub path: PathBuf,
    pub preview: crate::prices::Preview,
}

#[derive(Default)]
pub struct PricesAdminScreen {
    pub path: String,
    pub month: String,
    pub preview: Option<Preview>,
    /// A preview or import is running (with its progress, if known).
    pub busy: Option<(&'static str, Option<f32>)>,
    pub snapshots: Vec<Snapshot>,
    /// The screen just came into view: the cursor goes to the file field.
    pub focus_file: bool,
}

/// Rows of the diff lists shown before "show all" would be needed.
const DIFF_ROWS: usize = 200;

impl PricesAdminScreen {
    pub fn set_preview(&mut self, p: Preview) {
        self.month = p.preview.month.to_string();
        self.preview = Some(p);
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, cmds: &mut Vec<Command>) {
        ui.heading(tr(lang, "admin.prices.title"));
        let idle = self.busy.is_none();
        ui.horizontal(|ui| {
            let l = ui.label(tr(lang, "admin.prices.file"));
            let field = ui
                .add(egui::TextEdit::singleline(&mut self.path).desired_width(420.0))
                .labelled_by(l.id);
            if std::mem::take(&mut self.focus_file) {
                field.request_focus();
            }
            if idle
                && field.lost_focus()
                && ui.input(|i| i.key_pressed(egui::Key::Enter))
                && !self.path.trim().is_empty()
            {
                cmds.push(Command::PreviewPrices(PathBuf::from(self.path.trim())));
            }
            if ui
                .add_enabled(idle, egui::Button::new(tr(lang, "admin.prices.choose")))
                .clicked()
            {
                // The native dialog blocks this frame only; no job is
                // running (the button is disabled while one is).
                if let Some(p) = rfd::FileDialog::new()
                    .add_filter("CSV / XLSX / JSON", &["csv", "xlsx", "json", "txt"])
                    .pick_file()
                {
                    self.path = p.display().to_string();
                    cmds.push(Command::PreviewPrices(p));
                }
            }
            if ui
                .add_enabled(
                    idle && !self.path.trim().is_empty(),
                    egui::Button::new(tr(lang, "admin.prices.preview")),
                )
                .clicked()
            {
                cmds.push(Command::PreviewPrices(PathBuf::from(self.path.trim())));
            }
        });
        if let Some((key, fraction)) = self.busy {
            jobs::progress_bar(ui, fraction, tr(lang, key));
        }
        ui.separator();
        if let Some(p) = &self.preview {
            let valid = p.preview.analysis.is_valid();
            Self::summary_ui(ui, lang, p);
            let month_changed = self.month.trim() != p.preview.month.to_string();
            ui.horizontal(|ui| {
                let l = ui.label(tr(lang, "admin.prices.month"));
                ui.add(egui::TextEdit::singleline(&mut self.month).desired_width(90.0))
                    .labelled_by(l.id);
                if month_changed {
                    // The diff and the "month already held" check belong to
                    // one month: check again before an import is offered.
                    if ui
                        .add_enabled(idle, egui::Button::new(tr(lang, "admin.prices.recheck")))
                        .clicked()
                    {
                        cmds.push(Command::RecheckPrices(self.month.trim().to_string()));
                    }
                } else {
                    let import = ui
                        .add_enabled(
                            p.preview.can_import() && idle,
                            egui::Button::new(tr(lang, "admin.prices.import")),
                        )
                        .on_disabled_hover_text(tr(lang, "admin.prices.import_disabled"));
                    if import.clicked() {
                        cmds.push(Command::ImportPrices);
                    }
                }
            });
            match &p.preview.status {
                MonthStatus::Free => {}
                MonthStatus::Identical(s) => {
                    ui.colored_label(
                        AMBER,
                        format!(
                            "{} {} ({})",
                            tr(lang, "admin.prices.identical"),
                            s.month,
                            s.file_name
                        ),
                    );
                }
                MonthStatus::Different(s) => {
                    ui.colored_label(
                        RED,
                        format!(
                            "{} {} ({})",
                            tr(lang, "admin.prices.month_held"),
                            s.month,
                            s.file_name
                        ),
                    );
                }
            }
            ui.separator();
            egui::ScrollArea::vertical()
                .id_salt("admin_preview_scroll")
                .max_height(ui.available_height() * 0.62)
                .show(ui, |ui| {
                    Self::problems_ui(ui, lang, p);
                    Self::diff_ui(ui, lang, p);
                    egui::CollapsingHeader::new(format!(
                        "{} ({})",
                        tr(lang, "admin.prices.items"),
                        p.preview.analysis.list.items.len()
                    ))
                    .id_salt("admin_items")
                    .default_open(valid)
                    .show(ui, |ui| Self::items_ui(ui, lang, p));
                });
            ui.separator();
        }
        self.snapshots_ui(ui, lang);
    }

    fn summary_ui(ui: &mut egui::Ui, lang: Lang, p: &Preview) {
        let analysis = &p.preview.analysis;
        let list = &analysis.list;
        ui.horizontal_wrapped(|ui| {
            ui.strong(&list.file_name);
            ui.label(format!(
                "{} {} · {} {}",
                list.items.len(),
                tr(lang, "admin.prices.items_unit"),
                tr(lang, "admin.prices.encoding"),
                if list.encoding.is_empty() {
                    format!("{:?}", list.format)
                } else {
                    list.encoding.clone()
                }
            ));
            ui.monospace(format!("sha256 {}", short(&list.sha256)));
        });
        if analysis.is_valid() {
            ui.colored_label(GREEN, tr(lang, "admin.prices.valid"));
        } else {
            ui.colored_label(
                RED,
                format!(
                    "{} {}",
                    analysis.problems.len(),
                    tr(lang, "admin.prices.refused")
                ),
            );
        }
    }

    fn problems_ui(ui: &mut egui::Ui, lang: Lang, p: &Preview) {
        let analysis = &p.preview.analysis;
        for problem in &analysis.problems {
            ui.colored_label(RED, problem.render(lang));
        }
        if !analysis.list.warnings.is_empty() {
            ui.label(
                egui::RichText::new(format!(
                    "{} ({})",
                    tr(lang, "admin.prices.warnings"),
                    analysis.list.warnings.len()
                ))
                .color(AMBER)
                .strong(),
            );
            for w in &analysis.list.warnings {
                ui.colored_label(AMBER, w.render(lang));
            }
        }
    }

    fn diff_ui(ui: &mut egui::Ui, lang: Lang, p: &Preview) {
        let p = &p.preview;
        let Some(diff) = &p.diff else {
            if p.analysis.is_valid() {
                ui.label(tr(lang, "admin.prices.no_previous"));
            }
            return;
        };
        let against = p
            .previous
            .as_ref()
            .map(|s| s.month.to_string())
            .unwrap_or_default();
        ui.strong(format!(
            "{} {}: {} {} · {} {} · {} {}",
            tr(lang, "admin.prices.diff_against"),
            against,
            tr(lang, "admin.prices.added"),
            diff.added.len(),
            tr(lang, "admin.prices.removed"),
            diff.removed.len(),
            tr(lang, "admin.prices.changed"),
            diff.changed.len(),
        ));
        let line = |i: &crate::prices::PriceItem| {
            format!(
                "{}  {}  {}  {}",
                i.code,
                i.name,
                i.spec,
                i.unit_price.as_text()
            )
        };
        egui::CollapsingHeader::new(format!(
            "{} ({})",
            tr(lang, "admin.prices.added"),
            diff.added.len()
        ))
        .id_salt("diff_added")
        .show(ui, |ui| {
            for i in diff.added.iter().take(DIFF_ROWS) {
                ui.colored_label(GREEN, format!("+ {}", line(i)));
            }
            more(ui, lang, diff.added.len());
        });
        egui::CollapsingHeader::new(format!(
            "{} ({})",
            tr(lang, "admin.prices.removed"),
            diff.removed.len()
        ))
        .id_salt("diff_removed")
        .show(ui, |ui| {
            for i in diff.removed.iter().take(DIFF_ROWS) {
                ui.colored_label(RED, format!("- {}", line(i)));
            }
            more(ui, lang, diff.removed.len());
        });
        egui::CollapsingHeader::new(format!(
            "{} ({})",
            tr(lang, "admin.prices.changed"),
            diff.changed.len()
        ))
        .id_salt("diff_changed")
        .show(ui, |ui| {
            for c in diff.changed.iter().take(DIFF_ROWS) {
                ui.label(format!(
                    "{}  {}  {} -> {}",
                    c.code,
                    c.new.name,
                    c.old_price().as_text(),
                    c.new_price().as_text()
                ));
            }
            more(ui, lang, diff.changed.len());
        });
    }

    fn items_ui(ui: &mut egui::Ui, lang: Lang, p: &Preview) {
        let items = &p.preview.analysis.list.items;
        let rows = &p.preview.analysis.list.rows;
        // One line per row: long names are cut, not wrapped over the next.
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        TableBuilder::new(ui)
            .id_salt("admin_items_table")
            .striped(true)
            .max_scroll_height(320.0)
            .column(Column::initial(50.0))
            .column(Column::initial(150.0).clip(true))
            .column(Column::initial(220.0).clip(true))
            .column(Column::initial(150.0).clip(true))
            .column(Column::initial(50.0))
            .column(Column::initial(90.0))
            .column(Column::initial(80.0))
            .column(Column::remainder())
            .header(22.0, |mut h| {
                for key in std::iter::once("col.row").chain(ITEM_COLUMNS) {
                    h.col(|ui| {
                        ui.strong(tr(lang, key));
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, items.len(), |mut row| {
                    let i = row.index();
                    let item = &items[i];
                    row.col(|ui| {
                        ui.weak(rows.get(i).map(|r| r.to_string()).unwrap_or_default());
                    });
                    item_cells(&mut row, item, lang);
                });
            });
    }

    fn snapshots_ui(&self, ui: &mut egui::Ui, lang: Lang) {
        ui.strong(tr(lang, "admin.prices.snapshots"));
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        TableBuilder::new(ui)
            .id_salt("admin_snapshots")
            .striped(true)
            .column(Column::initial(70.0))
            .column(Column::initial(240.0).clip(true))
            .column(Column::initial(110.0))
            .column(Column::initial(90.0))
            .column(Column::initial(190.0))
            .column(Column::remainder())
            .header(22.0, |mut h| {
                for key in [
                    "col.month",
                    "col.file",
                    "col.sha256",
                    "col.importer",
                    "col.time",
                    "col.count",
                ] {
                    h.col(|ui| {
                        ui.strong(tr(lang, key));
                    });
                }
            })
            .body(|mut body| {
                for s in &self.snapshots {
                    body.row(20.0, |mut row| {
                        row.col(|ui| {
                            ui.strong(s.month.to_string());
                        });
                        row.col(|ui| {
                            ui.label(&s.file_name);
                        });
                        row.col(|ui| {
                            ui.monospace(short(&s.sha256));
                        });
                        row.col(|ui| {
                            ui.label(&s.imported_by);
                        });
                        row.col(|ui| {
                            ui.label(crate::ui::status::date_time(&s.imported_at));
                        });
                        row.col(|ui| {
                            ui.label(s.item_count.to_string());
                        });
                    });
                }
            });
    }
}

fn more(ui: &mut egui::Ui, lang: Lang, n: usize) {
    if n > DIFF_ROWS {
        ui.weak(format!(
            "… {} {}",
            n - DIFF_ROWS,
            tr(lang, "admin.prices.more")
        ));
    }
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}
