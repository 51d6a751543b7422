//! Shift close → report PDF (its folder created) → backup. The close record
//! is committed first; the report and the backup the procedures require
//! follow, and their failures are reported without reopening the shift.

use crate::auth::Session;
use crate::backup::{BackupInfo, BackupReason};
use crate::clock::Clock;
use crate::error::{ErrorKind, Failure};
use crate::money::Money;
use crate::receipts::shift::{self, ShiftSummary, SupervisorPin};
use crate::store::Store;
use std::path::{Path, PathBuf};

/// What the cashier gives at shift close.
pub struct ShiftClose<'a> {
    pub cash_declared: Option<Money>,
    /// Needed when the variance is over the limit.
    pub supervisor: Option<SupervisorPin<'a>>,
    /// Where the report goes; [`default_report_path`] when `None`.
    pub report: Option<PathBuf>,
}

/// The close record and what became of the steps after it.
#[derive(Debug)]
pub struct ShiftClosed {
    pub summary: ShiftSummary,
    pub report: Result<PathBuf, Failure>,
    pub backup: Result<BackupInfo, Failure>,
}

/// `reports/shift-USER-YYYYMMDD-HHMMSS.pdf` under the data directory.
pub fn default_report_path(store: &Store, session: &Session, clock: &dyn Clock) -> PathBuf {
    store.data_dir().reports_dir().join(format!(
        "shift-{}-{}.pdf",
        session.user(),
        clock.now().format("%Y%m%d-%H%M%S")
    ))
}

fn write_report(
    store: &Store,
    s: &ShiftSummary,
    out: &Path,
    witness: Option<&crate::verify::witness::Witness>,
) -> Result<(), Failure> {
    let hospital = crate::settings::hospital_name(store.conn())?;
    let mut doc = shift::report_doc(s, &hospital);
    // The chain head and the highest number, on paper in the cash office:
    // `verify` checks the database against the newest witness.
    if let Some(w) = witness {
        doc.notes.push(w.line());
    }
    let pdf = crate::print::render_report(&doc)?;
    let io = |e: std::io::Error| {
        Failure::new(
            ErrorKind::Internal,
            format!("{}：{e}", out.display()),
            format!("{}: {e}", out.display()),
        )
    };
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    std::fs::write(out, pdf).map_err(io)
}

/// Closes the session user's shift. `Err` means the shift is still open.
pub fn close_shift(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    req: ShiftClose<'_>,
) -> Result<ShiftClosed, Failure> {
    let out = req
        .report
        .unwrap_or_else(|| default_report_path(store, session, clock));
    let summary = shift::close(
        store,
        session,
        clock,
        req.cash_declared,
        req.supervisor,
        Some(&out),
    )?;
    let witness = crate::verify::witness::record(store, clock)?;
    let report = write_report(store, &summary, &out, witness.as_ref()).map(|()| out);
    let backup =
        crate::backup::backup_now(store, clock, BackupReason::ShiftClose).map_err(Failure::from);
    if backup.is_ok() {
        crate::verify::witness::record(store, clock)?;
    }
    Ok(ShiftClosed {
        summary,
        report,
        backup,
    })
}
