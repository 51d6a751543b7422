//! Issue (and refund) → backup when due → PDF → print. The receipt is
//! committed by `receipts` before anything else runs; nothing after it can
//! undo it, so later steps report their failures in [`Issued`].

use super::output::{PdfOutcome, PdfStep, pdf_of};
use crate::auth::Session;
use crate::backup::BackupInfo;
use crate::clock::Clock;
use crate::error::Failure;
use crate::keys::SigningKey;
use crate::receipts::shift::SupervisorPin;
use crate::receipts::{self, IssueDraft, IssuedReceipt, RefundRequest};
use crate::store::Store;

/// A receipt committed, and what became of the steps after it.
#[derive(Debug)]
pub struct Issued {
    pub receipt: IssuedReceipt,
    /// The backup policy's answer: a backup taken, none due, or why the
    /// due backup failed.
    pub backup: Result<Option<BackupInfo>, Failure>,
    pub pdf: PdfOutcome,
}

impl Issued {
    /// The first thing that did not happen after the commit, if any
    /// (backup failures are said but do not make a receipt unprinted).
    pub fn follow_up_failure(&self) -> Option<&Failure> {
        self.pdf.failure()
    }

    fn finish(store: &mut Store, clock: &dyn Clock, mut r: IssuedReceipt, step: &PdfStep) -> Self {
        let backup = backup_if_due(store, clock, r.receipt.terminal.as_str());
        let pdf = pdf_of(store, &r.receipt, step);
        r.pdf = pdf.path().map(|p| p.display().to_string());
        Issued {
            receipt: r,
            backup,
            pdf,
        }
    }
}

/// The backup policy after each receipt (`backup.every_receipts`), counted
/// on this terminal's receipts. Never undoes a committed receipt.
pub fn backup_if_due(
    store: &mut Store,
    clock: &dyn Clock,
    terminal: &str,
) -> Result<Option<BackupInfo>, Failure> {
    let n = receipts::query::count_issued(store.conn(), terminal)?;
    let backup = crate::backup::maybe_backup_after_receipt(store, clock, n)?;
    if backup.is_some() {
        // The chain's witness goes with every backup.
        crate::verify::witness::record(store, clock)?;
    }
    Ok(backup)
}

/// Issues one receipt durably from its validated draft, then runs the
/// backup policy and the PDF step. `Err` means nothing was issued.
pub fn issue(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    key: &SigningKey,
    draft: &IssueDraft,
    step: &PdfStep,
) -> Result<Issued, Failure> {
    crate::verify::hold::ensure_issuing_allowed(store)?;
    let r = receipts::issue(store, session, clock, key, draft)?;
    tracing::info!(number = %r.receipt.number, "receipt issued");
    Ok(Issued::finish(store, clock, r, step))
}

/// Refunds lines with a credit note from the same range, then the same
/// steps as an issue.
pub fn refund(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    key: &SigningKey,
    req: &RefundRequest,
    supervisor: SupervisorPin<'_>,
    step: &PdfStep,
) -> Result<Issued, Failure> {
    crate::verify::hold::ensure_issuing_allowed(store)?;
    let r = receipts::refund(
        store,
        session,
        clock,
        key,
        req,
        supervisor.name,
        supervisor.pin,
    )?;
    tracing::info!(number = %r.receipt.number, "credit note issued");
    Ok(Issued::finish(store, clock, r, step))
}

/// Prints a receipt issued earlier whose printing failed (not a counted
/// copy: that is [`super::reprint`]).
pub fn print_issued(store: &Store, number: &str, step: &PdfStep) -> Result<PdfOutcome, Failure> {
    let v = receipts::show(store.conn(), number)?;
    Ok(pdf_of(store, &v, step))
}
