//! The receipts capability's calls into its neighbours (prices, calendar,
//! print), gathered in one place so each is a single, named seam and their
//! errors become ours.

use super::ReceiptError;
use crate::calendar::Deadline;
use crate::error::Failure;
use crate::prices::PriceItem;
use crate::print::{Layout, ReceiptDoc};
use chrono::NaiveDate;
use rusqlite::Connection;

fn other(e: impl Into<Failure>) -> ReceiptError {
    ReceiptError::Other(e.into())
}

/// The snapshot in force on `date`: (id, month as `YYYY-MM`).
pub fn snapshot_in_force(
    conn: &Connection,
    date: NaiveDate,
) -> Result<Option<(i64, String)>, ReceiptError> {
    Ok(crate::prices::snapshot_in_force(conn, date)
        .map_err(other)?
        .map(|s| (s.id, s.month.to_string())))
}

/// One item of a snapshot by its exact code.
pub fn find_item(
    conn: &Connection,
    snapshot_id: i64,
    code: &str,
) -> Result<Option<PriceItem>, ReceiptError> {
    crate::prices::find_item(conn, snapshot_id, code).map_err(other)
}

/// The exchange deadline for a receipt issued on `date`: the date, or `None`
/// with the printed note saying it is to be confirmed (never guessed).
pub fn deadline(
    conn: &Connection,
    date: NaiveDate,
) -> Result<(Option<NaiveDate>, Option<String>), ReceiptError> {
    let d = crate::calendar::deadline(conn, date).map_err(other)?;
    Ok(match d {
        Deadline::Date(d) => (Some(d), None),
        Deadline::Unconfirmed { .. } => (None, Some(d.receipt_text(crate::i18n::Lang::Zh))),
    })
}

/// The terminal's paper layout (setting `print.layout`, roll80 by default).
pub fn layout(conn: &Connection) -> Result<Layout, ReceiptError> {
    let raw = crate::settings::print_layout(conn)?;
    Ok(match raw.trim() {
        "a5" | "A5" => Layout::A5,
        _ => Layout::Roll80,
    })
}

/// The PDF of a receipt.
pub fn render(doc: &ReceiptDoc, layout: Layout) -> Result<Vec<u8>, ReceiptError> {
    crate::print::render(doc, layout).map_err(other)
}
