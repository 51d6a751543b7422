//! Turning a checked file into an immutable snapshot. The admin first sees a
//! preview (every problem, the warnings, the difference from the previous
//! month, whether the month is already held); the import itself is one
//! IMMEDIATE transaction holding the snapshot row, its items and the audit
//! entry, opened only after the whole file has been validated, so a refused
//! file leaves the database exactly as it was.

use super::PriceError;
use super::db;
use super::diff::{PriceDiff, diff};
use super::model::Snapshot;
use super::parse::{Analysis, ParsedList, analyse_file};
use super::problem::{NO_COLUMN, Problem, ProblemKind};
use crate::audit::{self, Actor};
use crate::auth::{Role, Session};
use crate::clock::{Clock, stamp};
use crate::domain::Month;
use crate::store::Store;
use rusqlite::Connection;
use std::path::Path;

/// How often the progress callback hears from the writer.
const PROGRESS_EVERY: usize = 1000;

/// Where an import is (for the GUI's progress indicator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStage {
    /// Reading and checking the file.
    Checking,
    /// Writing items: `done` of `total`.
    Writing,
    /// Committed (or found identical).
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    pub stage: ImportStage,
    pub done: usize,
    pub total: usize,
}

/// Whether the month to import is already held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonthStatus {
    Free,
    /// Held from a file with the same SHA-256: importing is a no-op.
    Identical(Snapshot),
    /// Held from another file: importing is refused (exit 5).
    Different(Snapshot),
}

/// What an admin sees before confirming an import.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The file's items, warnings and problems.
    pub analysis: Analysis,
    pub month: Month,
    pub status: MonthStatus,
    /// The newest snapshot of an earlier month, which `diff` compares with.
    pub previous: Option<Snapshot>,
    /// Against `previous`, when the file is valid and there is one.
    pub diff: Option<PriceDiff>,
}

impl Preview {
    /// True when confirming would write a new snapshot.
    pub fn can_import(&self) -> bool {
        self.analysis.is_valid() && self.status == MonthStatus::Free
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportOutcome {
    /// A new snapshot was written.
    Imported,
    /// The month already held this very file (same SHA-256): nothing done.
    AlreadyHeld,
}

#[derive(Debug, Clone)]
pub struct ImportReport {
    pub outcome: ImportOutcome,
    /// The new snapshot, or the one already held.
    pub snapshot: Snapshot,
    pub warnings: Vec<Problem>,
    /// Items whose pinyin initials were computed from the name.
    pub pinyin_computed: usize,
}

/// Reads and checks `path` and compares it with what is held.
pub fn preview(store: &Store, path: &Path, month: Month) -> Result<Preview, PriceError> {
    let analysis = analyse_file(path).map_err(|source| PriceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    preview_analysis(store.conn(), analysis, month)
}

/// [`preview`] for a file already analysed (the GUI reads it off the UI
/// thread, then asks for the month).
pub fn preview_analysis(
    conn: &Connection,
    analysis: Analysis,
    month: Month,
) -> Result<Preview, PriceError> {
    let status = match db::snapshot_for_month(conn, month)? {
        None => MonthStatus::Free,
        Some(s) if s.sha256 == analysis.list.sha256 => MonthStatus::Identical(s),
        Some(s) => MonthStatus::Different(s),
    };
    let previous = db::snapshot_before(conn, month)?;
    let diff = match (&previous, analysis.is_valid()) {
        (Some(p), true) => Some(diff(&db::items(conn, p.id)?, &analysis.list.items)),
        _ => None,
    };
    Ok(Preview {
        analysis,
        month,
        status,
        previous,
        diff,
    })
}

/// Imports the file at `path` as the snapshot of `month`: admin only; all or
/// nothing; a month already held is refused unless the file is identical.
pub fn import(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    path: &Path,
    month: Month,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<ImportReport, PriceError> {
    require_admin(session)?;
    progress(ImportProgress {
        stage: ImportStage::Checking,
        done: 0,
        total: 0,
    });
    let list = super::parse_file(path)?;
    import_parsed(store, session, clock, &list, month, progress)
}

fn require_admin(session: &Session) -> Result<(), PriceError> {
    Ok(session.require(Role::Admin, "导入价格表 (import a price list)")?)
}

/// Imports a list already checked by [`super::parse_file`] (or a valid
/// [`Analysis`]).
pub fn import_parsed(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    list: &ParsedList,
    month: Month,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<ImportReport, PriceError> {
    require_admin(session)?;
    if list.items.is_empty() {
        // Only an invalid analysis has no items; never write an empty list.
        return Err(PriceError::Rejected {
            file: list.file_name.clone(),
            problems: vec![Problem::new(
                &list.file_name,
                2,
                NO_COLUMN,
                ProblemKind::HeaderOnly,
            )],
        });
    }
    let total = list.items.len();
    let tx = store.write()?;
    // Checked inside the write lock, so two admins cannot both import a month.
    if let Some(existing) = db::snapshot_for_month(&tx, month)? {
        drop(tx);
        if existing.sha256 == list.sha256 {
            progress(ImportProgress {
                stage: ImportStage::Done,
                done: total,
                total,
            });
            return Ok(ImportReport {
                outcome: ImportOutcome::AlreadyHeld,
                snapshot: existing,
                warnings: list.warnings.clone(),
                pinyin_computed: list.pinyin_computed,
            });
        }
        return Err(PriceError::MonthHeld {
            month,
            file: list.file_name.clone(),
            existing: Box::new(existing),
        });
    }
    let imported_at = stamp(clock.now());
    let imported_by = session.user().to_string();
    let id = db::insert_snapshot(
        &tx,
        month,
        &list.file_name,
        &list.sha256,
        &imported_by,
        &imported_at,
        total,
    )?;
    db::insert_items(
        &tx,
        id,
        &list.items,
        &list.rows,
        PROGRESS_EVERY,
        &mut |done| {
            progress(ImportProgress {
                stage: ImportStage::Writing,
                done,
                total,
            })
        },
    )?;
    // The items' content hash goes into the audit entry, so `verify` names a
    // price edited later behind the program's back.
    let items_sha256 = crate::verify::price_items_digest(&tx, id)?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "prices.import",
        &[format!("price_snapshot:{id}")],
        serde_json::json!({
            "snapshot_id": id,
            "items_sha256": items_sha256,
            "month": month.to_string(),
            "file": list.file_name,
            "sha256": list.sha256,
            "items": total,
            "warnings": list.warnings.len(),
        }),
    )?;
    tx.commit()?;
    progress(ImportProgress {
        stage: ImportStage::Done,
        done: total,
        total,
    });
    Ok(ImportReport {
        outcome: ImportOutcome::Imported,
        snapshot: Snapshot {
            id,
            month,
            file_name: list.file_name.clone(),
            sha256: list.sha256.clone(),
            imported_by,
            imported_at,
            item_count: total as i64,
        },
        warnings: list.warnings.clone(),
        pinyin_computed: list.pinyin_computed,
    })
}
