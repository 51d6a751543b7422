//! The multi-step flows both faces run, written once. A receipt is issued,
//! then a backup is taken when one is due, then its PDF is rendered and
//! handed to the printer; a shift is closed, then its report is written
//! (folder created), then a backup is taken; a copy is reprinted; a backup
//! is restored; the WAL is checkpointed when the window is idle and at exit.
//!
//! The capabilities below (`receipts`, `backup`, `print`) each do one step
//! and know nothing of the others; the order of the steps, and what a
//! failed later step means for an earlier one that was committed, lives
//! here. A receipt committed but not printed is still issued: the result
//! types keep "done" and "followed up" apart, and the CLI maps the second to
//! exit 6 while the GUI shows it beside the receipt number.

mod idle;
mod issue;
mod output;
mod restore;
mod shift;

pub use idle::{IdleCheckpoint, SinceOpen, at_exit, checkpoint};
pub use issue::{Issued, backup_if_due, issue, print_issued, refund};
pub use output::{PdfOutcome, PdfStep, Reprinted, reprint};
pub use restore::restore;
pub use shift::{ShiftClose, ShiftClosed, close_shift, default_report_path};
