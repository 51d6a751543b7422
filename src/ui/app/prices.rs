//! The shell's background work on price lists: indexing the month in force
//! (for the browser and the cashier), checking a file for the import
//! screen, importing it (or the sample), and verify at start. Every job
//! goes through one [`Slot`] poller; results land in the screens through
//! their methods.

use super::{App, Route};
use crate::domain::Month;
use crate::error::{ErrorKind, Failure};
use crate::i18n::Lang;
use crate::prices::search::SearchIndex;
use crate::prices::{self, ImportOutcome, ImportProgress, ImportReport, ImportStage};
use crate::store::Store;
use crate::ui::jobs::Slot;
use crate::ui::prices_admin;
use eframe::egui;
use std::path::PathBuf;
use std::sync::Arc;

/// Work running off the UI thread.
#[derive(Default)]
pub(super) struct Jobs {
    index: Slot<(i64, SearchIndex)>,
    preview: Slot<prices_admin::Preview>,
    verify: Slot<(crate::verify::Report, Option<crate::verify::hold::Hold>)>,
    import: Slot<ImportReport>,
}

impl Jobs {
    pub(super) fn busy(&self) -> bool {
        self.index.running()
            || self.preview.running()
            || self.import.running()
            || self.verify.running()
    }

    pub(super) fn importing(&self) -> bool {
        self.import.running()
    }
}

/// The month after `date`'s: what a new list is usually for.
fn next_month(date: chrono::NaiveDate) -> Month {
    Month::of(date).next()
}

impl App {
    /// Runs `verify` off the UI thread at start; anything wrong becomes a
    /// red banner naming each record.
    pub(super) fn start_verify(&mut self, ctx: &egui::Context) {
        if self.store.is_none() {
            return;
        }
        let data_dir = self.data_dir.clone();
        let clock = self.clock.clone();
        self.jobs.verify.start(ctx, move |_| {
            let mut store = Store::open(&data_dir)?;
            let report = crate::verify::run(&store)?;
            // A failure stops issuing until an admin acknowledges it.
            let hold = crate::verify::hold::record_outcome(&mut store, clock.as_ref(), &report)?;
            Ok((report, hold))
        });
    }

    /// Loads the month in force today unless it is already loaded.
    pub(super) fn ensure_index(&mut self, ctx: &egui::Context) {
        if self.jobs.index.running()
            || (self.browser.index.is_some() && self.screens.cashier.index().is_some())
        {
            return;
        }
        let Some(store) = &self.store else { return };
        match prices::snapshot_in_force(store.conn(), self.today()) {
            Ok(Some(s)) => self.load_index(ctx, s.id),
            Ok(None) => {
                // No month in force yet (only future lists): show the newest.
                if let Some(s) = self.browser.snapshots.first() {
                    let id = s.id;
                    self.load_index(ctx, id);
                }
            }
            Err(e) => self.failure = Some(e.into()),
        }
    }

    /// Reads a snapshot's items and builds its search index off the UI
    /// thread (a 30k list takes a moment to index).
    pub(super) fn load_index(&mut self, ctx: &egui::Context, id: i64) {
        let data_dir = self.data_dir.clone();
        self.browser.loading = Some(None);
        self.browser.selected = Some(id);
        self.jobs.index.start(ctx, move |_| {
            let store = Store::open(&data_dir)?;
            Ok((id, SearchIndex::for_snapshot(store.conn(), id)?))
        });
    }

    pub(super) fn preview_prices(
        &mut self,
        ctx: &egui::Context,
        path: PathBuf,
        month: Option<Month>,
    ) {
        let data_dir = self.data_dir.clone();
        let next_month = next_month(self.today());
        self.admin.preview = None;
        self.notice = None;
        self.admin.busy = Some(("admin.prices.checking", None));
        self.jobs.preview.start(ctx, move |_| {
            let analysis = prices::analyse_file(&path).map_err(|source| {
                Failure::from(prices::PriceError::Io {
                    path: path.clone(),
                    source,
                })
            })?;
            let month = month.or(analysis.list.month_hint).unwrap_or(next_month);
            let store = Store::open(&data_dir)?;
            let preview = prices::preview_analysis(store.conn(), analysis, month)?;
            Ok(prices_admin::Preview { path, preview })
        });
    }

    /// The same file, compared again for another month.
    pub(super) fn recheck_prices(&mut self, ctx: &egui::Context, month: &str) {
        let month = match Month::parse(month) {
            Ok(m) => m,
            Err(e) => return self.failure = Some(e.into()),
        };
        let Some(p) = self.admin.preview.take() else {
            return;
        };
        let data_dir = self.data_dir.clone();
        self.admin.busy = Some(("admin.prices.checking", None));
        self.jobs.preview.start(ctx, move |_| {
            let store = Store::open(&data_dir)?;
            let preview = prices::preview_analysis(store.conn(), p.preview.analysis, month)?;
            Ok(prices_admin::Preview {
                path: p.path,
                preview,
            })
        });
    }

    pub(super) fn import_prices(&mut self, ctx: &egui::Context) {
        let Some(p) = &self.admin.preview else { return };
        if !p.preview.can_import() {
            return;
        }
        let list = p.preview.analysis.list.clone();
        let month = p.preview.month;
        self.spawn_import(ctx, list, month);
    }

    pub(super) fn import_sample(&mut self, ctx: &egui::Context) {
        let Some(sample) = &self.sample else { return };
        let analysis = prices::analyse_bytes(&sample.file_name, &sample.bytes);
        if !analysis.is_valid() {
            let first = analysis
                .problems
                .first()
                .map(|p| (p.render(Lang::Zh), p.render(Lang::En)))
                .unwrap_or_default();
            self.failure = Some(Failure::new(ErrorKind::Invalid, first.0, first.1));
            return;
        }
        // The sample is imported for the current month so receipts can be
        // issued today, whatever month its file name says.
        let month = Month::of(self.today());
        self.spawn_import(ctx, analysis.list, month);
    }

    fn spawn_import(&mut self, ctx: &egui::Context, list: prices::ParsedList, month: Month) {
        let Some(session) = self.session.clone() else {
            return;
        };
        let data_dir = self.data_dir.clone();
        let clock = Arc::clone(&self.clock);
        let wake = ctx.clone();
        self.admin.busy = Some(("admin.prices.importing", Some(0.0)));
        self.jobs.import.start(ctx, move |progress| {
            let mut store = Store::open(&data_dir)?;
            let mut on_progress = |p: ImportProgress| {
                if p.stage == ImportStage::Writing || p.stage == ImportStage::Done {
                    progress.set(p.done as u64, p.total.max(1) as u64);
                    wake.request_repaint();
                }
            };
            Ok(prices::import_parsed(
                &mut store,
                &session,
                clock.as_ref(),
                &list,
                month,
                &mut on_progress,
            )?)
        });
    }

    /// Picks up finished work; called once per frame before drawing.
    pub(super) fn poll_jobs(&mut self, ctx: &egui::Context) {
        if let Some(result) = self.jobs.verify.poll(ctx) {
            match result {
                Ok((report, hold)) => {
                    if !report.ok {
                        tracing::warn!(problems = report.problems.len(), "verify failed at start");
                    }
                    self.verify_problems = report.problems;
                    self.verify_hold = hold;
                }
                Err(f) => self.failure = Some(f),
            }
        }
        if self.jobs.index.running() {
            self.browser.loading = Some(self.jobs.index.fraction());
        }
        if let Some(result) = self.jobs.index.poll(ctx) {
            self.browser.loading = None;
            match result {
                Ok((id, index)) => {
                    let index = Arc::new(index);
                    // The cashier prices from the list in force today.
                    if self.status.snapshot_id == Some(id) {
                        self.screens.cashier.set_index(Some(Arc::clone(&index)));
                    }
                    self.browser.set_index(id, index);
                    // Building the index freed as much as it keeps (the
                    // rows read, the upper-cased copies): give it back.
                    release_free_memory();
                }
                Err(f) => self.failure = Some(f),
            }
        }
        if let Some(result) = self.jobs.preview.poll(ctx) {
            self.admin.busy = None;
            match result {
                Ok(p) => {
                    self.failure = None;
                    self.admin.set_preview(p);
                }
                Err(f) => self.failure = Some(f),
            }
        }
        if self.jobs.import.running()
            && let Some((_, fraction)) = &mut self.admin.busy
        {
            *fraction = self.jobs.import.fraction();
        }
        if let Some(result) = self.jobs.import.poll(ctx) {
            self.admin.busy = None;
            match result {
                Ok(report) => self.imported(ctx, &report),
                Err(f) => self.failure = Some(f),
            }
        }
    }

    fn imported(&mut self, ctx: &egui::Context, report: &ImportReport) {
        let s = &report.snapshot;
        self.failure = None;
        self.notice = Some(match report.outcome {
            ImportOutcome::Imported => (
                format!(
                    "已导入 {} 价格表：{}，{} 项",
                    s.month, s.file_name, s.item_count
                ),
                format!(
                    "Imported the {} price list: {}, {} items",
                    s.month, s.file_name, s.item_count
                ),
            ),
            ImportOutcome::AlreadyHeld => (
                format!("{} 已有同一文件 {}，未做改动", s.month, s.file_name),
                format!(
                    "{} already holds this very file {}; nothing changed",
                    s.month, s.file_name
                ),
            ),
        });
        self.admin.preview = None;
        self.admin.path.clear();
        // A new month may now be in force: re-read and re-index.
        self.browser.index = None;
        self.screens.cashier.set_index(None);
        self.refresh_status();
        if self.route == Route::OfferSample {
            self.sample = None;
            self.enter_home(ctx);
        } else {
            self.ensure_index(ctx);
        }
    }
}

/// Returns the heap's free pages to the system (glibc keeps them after a
/// large build otherwise, and the window's resident size stays high).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    // SAFETY: malloc_trim only releases memory the allocator holds free;
    // it has no preconditions and may be called from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_month_rolls_over_the_year() {
        let d = |y, m| chrono::NaiveDate::from_ymd_opt(y, m, 15).unwrap();
        assert_eq!(next_month(d(2026, 12)).to_string(), "2027-01");
        assert_eq!(next_month(d(2026, 11)).to_string(), "2026-12");
    }
}
