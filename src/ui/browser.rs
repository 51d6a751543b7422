//! The price-list browser (every role): the paper price binder on screen.
//! The search box answers as the person types, over the in-memory index of
//! the chosen month's snapshot; arrow keys move the highlight.

use super::app::Command;
use super::jobs;
use super::widgets::{ITEM_COLUMNS, item_cells};
use crate::i18n::{Lang, tr};
use crate::prices::Snapshot;
use crate::prices::search::{Hit, SearchIndex};
use eframe::egui;
use egui_extras::{Column, TableBuilder};
use std::sync::Arc;

/// Results shown at most; the index stops once it has these.
pub const RESULT_LIMIT: usize = 50;
/// Matches are counted up to this many when the list is cut off.
pub const COUNT_CAP: usize = 1000;

/// "312 results", or when cut off "first 50 of 312" ("of 1000+" past the
/// count's cap).
pub fn cut_off(shown: usize, matched: usize, lang: Lang) -> String {
    let total = if matched >= COUNT_CAP {
        format!("{COUNT_CAP}+")
    } else {
        matched.to_string()
    };
    if matched > shown {
        lang.pick(
            &format!("显示前 {shown} 项，共 {total} 项"),
            &format!("first {shown} of {total}"),
        )
        .to_string()
    } else {
        lang.pick(&format!("{shown} 项结果"), &format!("{shown} results"))
            .to_string()
    }
}

#[derive(Default)]
pub struct BrowserScreen {
    /// Every snapshot held, newest month first.
    pub snapshots: Vec<Snapshot>,
    /// The snapshot whose items are searched.
    pub selected: Option<i64>,
    /// The index of `selected`, once loaded.
    pub index: Option<Arc<SearchIndex>>,
    /// Loading the index, with its progress.
    pub loading: Option<Option<f32>>,
    query: String,
    searched: String,
    hits: Vec<Hit>,
    /// How many items matched (counted up to [`COUNT_CAP`]).
    matched: usize,
    highlight: usize,
    scroll_to_highlight: bool,
    /// Put the cursor in the search box once, when the screen first shows.
    focused: bool,
}

impl BrowserScreen {
    /// A new index arrived (another month, or a fresh import).
    pub fn set_index(&mut self, id: i64, index: Arc<SearchIndex>) {
        self.selected = Some(id);
        self.index = Some(index);
        self.loading = None;
        // Re-run the query against the new list.
        self.searched = String::from("\u{0}");
    }

    pub fn hits(&self) -> &[Hit] {
        &self.hits
    }

    fn refresh_hits(&mut self) {
        if self.searched == self.query {
            return;
        }
        self.searched = self.query.clone();
        self.hits = match &self.index {
            Some(index) => index.search(&self.query, RESULT_LIMIT),
            None => Vec::new(),
        };
        self.matched = match &self.index {
            Some(index) if self.hits.len() == RESULT_LIMIT => index.count(&self.query, COUNT_CAP),
            _ => self.hits.len(),
        };
        self.highlight = 0;
        self.scroll_to_highlight = true;
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, cmds: &mut Vec<Command>) {
        ui.heading(tr(lang, "browser.title"));
        ui.horizontal(|ui| {
            let l = ui.label(tr(lang, "browser.month"));
            let current = self
                .snapshots
                .iter()
                .find(|s| Some(s.id) == self.selected)
                .map(|s| s.month.to_string())
                .unwrap_or_else(|| tr(lang, "browser.no_snapshot").to_string());
            egui::ComboBox::from_id_salt("browser_month")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for s in &self.snapshots {
                        let text = format!(
                            "{}  ({} {})",
                            s.month,
                            s.item_count,
                            tr(lang, "browser.items")
                        );
                        if ui
                            .selectable_label(Some(s.id) == self.selected, text)
                            .clicked()
                            && Some(s.id) != self.selected
                        {
                            cmds.push(Command::BrowseSnapshot(s.id));
                        }
                    }
                })
                .response
                .labelled_by(l.id);
            if let Some(fraction) = self.loading {
                jobs::progress_bar(ui, fraction, tr(lang, "browser.loading"));
            }
        });
        ui.add_space(4.0);

        // Arrow keys belong to the result list, not to the text cursor.
        let (down, up) = ui.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowDown),
                i.consume_key(egui::Modifiers::NONE, egui::Key::ArrowUp),
            )
        });
        if !self.hits.is_empty() {
            if down && self.highlight + 1 < self.hits.len() {
                self.highlight += 1;
                self.scroll_to_highlight = true;
            }
            if up && self.highlight > 0 {
                self.highlight -= 1;
                self.scroll_to_highlight = true;
            }
        }
        ui.horizontal(|ui| {
            let l = ui.label(tr(lang, "browser.search"));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.query)
                        .hint_text(tr(lang, "browser.search_hint"))
                        .desired_width(320.0),
                )
                .labelled_by(l.id);
            if !self.focused {
                self.focused = true;
                r.request_focus();
            }
        });
        self.refresh_hits();
        if self.index.is_some() && !self.query.trim().is_empty() {
            ui.label(cut_off(self.hits.len(), self.matched, lang));
        }
        ui.add_space(4.0);
        self.table(ui, lang);
    }

    fn table(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let Some(index) = self.index.clone() else {
            return;
        };
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        let mut table = TableBuilder::new(ui)
            .id_salt("browser_results")
            .striped(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(150.0).resizable(true).clip(true))
            .column(Column::initial(240.0).resizable(true).clip(true))
            .column(Column::initial(170.0).resizable(true).clip(true))
            .column(Column::initial(50.0))
            .column(Column::initial(90.0))
            .column(Column::initial(90.0))
            .column(Column::remainder());
        if self.scroll_to_highlight {
            table = table.scroll_to_row(self.highlight, None);
            self.scroll_to_highlight = false;
        }
        let highlight = self.highlight;
        let hits = &self.hits;
        table
            .header(22.0, |mut header| {
                for key in ITEM_COLUMNS {
                    header.col(|ui| {
                        ui.strong(tr(lang, key));
                    });
                }
            })
            .body(|body| {
                body.rows(22.0, hits.len(), |mut row| {
                    let i = row.index();
                    let item = index.item(hits[i].index);
                    row.set_selected(i == highlight);
                    item_cells(&mut row, &item, lang);
                });
            });
    }
}
