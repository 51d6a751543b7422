//! The cashier's records, the heart of the product: outage episodes, the
//! receipt books (number ranges), durable issuance of numbered, itemized
//! receipts, the events that happen to a receipt afterwards (void, reprint,
//! refund as a credit note, and the pharmacy's dispensing and returns), shift
//! closes, and the signed QR payload the pharmacy verifies offline.
//!
//! Nothing here is ever updated or deleted: every table is append-only, and a
//! receipt's status is derived from its events and credit notes. Issuing is
//! one IMMEDIATE transaction that takes the next number from what is stored,
//! so a crash leaves either a complete receipt or no trace.

pub mod doc;
pub mod episodes;
mod error;
pub mod events;
pub mod integrity;
pub mod issue;
mod links;
pub mod numbering;
pub mod qr;
pub mod query;
pub mod ranges;
pub mod shift;

pub use doc::save_pdf;
pub use error::ReceiptError;
pub use events::{RefundLine, RefundRequest, refund, reprint, reprint_pdf, void};
pub use integrity::verify_records;
pub use issue::{
    IssueDraft, IssueRequest, IssuedReceipt, LineRequest, PatientRequest, PayerRequest,
    PaymentRequest, Preview, PreviewLine, issue, preview,
};
pub use query::{ReceiptView, Status, list, recent, show};

use rusqlite::Connection;

/// Makes the WAL grow instead of checkpointing inside a commit, so a receipt
/// costs exactly one fsync (the WAL's) on the hot path. Call
/// [`checkpoint`] when the window is idle and at exit.
pub fn prepare_for_issuing(conn: &Connection) -> Result<(), crate::store::StoreError> {
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(())
}

/// Moves the WAL into the database file and truncates it (idle / exit).
pub fn checkpoint(conn: &Connection) -> Result<(), crate::store::StoreError> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(())
}

/// Money stored as fen in SQLite.
pub(crate) fn money(fen: i64) -> crate::money::Money {
    crate::money::Money::from_fen(fen)
}
