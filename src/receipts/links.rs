//! The receipts capability's calls into its neighbours (prices, calendar),
//! gathered in one place so each is a single, named seam.

use super::ReceiptError;
use crate::prices::PriceItem;
use chrono::NaiveDate;
use rusqlite::Connection;

/// The snapshot in force on `date`: (id, month as `YYYY-MM`).
pub fn snapshot_in_force(
    conn: &Connection,
    date: NaiveDate,
) -> Result<Option<(i64, String)>, ReceiptError> {
    let month = crate::domain::Month::of(date).to_string();
    let mut st = conn.prepare_cached(
        "SELECT id, month FROM price_snapshots WHERE month <= ?1 ORDER BY month DESC LIMIT 1",
    )?;
    let mut rows = st.query([month])?;
    match rows.next()? {
        Some(r) => Ok(Some((r.get(0)?, r.get(1)?))),
        None => Ok(None),
    }
}

/// One item of a snapshot by its exact code.
pub fn find_item(
    conn: &Connection,
    snapshot_id: i64,
    code: &str,
) -> Result<Option<PriceItem>, ReceiptError> {
    let mut st = conn.prepare_cached(
        "SELECT code, name, pinyin, spec, unit, unit_price, category, insurance_class, barcode
           FROM price_items WHERE snapshot_id = ?1 AND code = ?2",
    )?;
    let mut rows = st.query(rusqlite::params![snapshot_id, code])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let price: String = r.get(5)?;
    let cat: String = r.get(6)?;
    let bad = |what: &str| {
        ReceiptError::Store(crate::store::StoreError::Corrupt {
            path: Default::default(),
            detail: format!("price item {code}: stored {what} is unreadable"),
        })
    };
    Ok(Some(PriceItem {
        code: r.get(0)?,
        name: r.get(1)?,
        pinyin: r.get(2)?,
        spec: r.get(3)?,
        unit: r.get(4)?,
        unit_price: crate::money::UnitPrice::parse(&price).map_err(|_| bad("price"))?,
        category: crate::prices::Category::parse(&cat).ok_or_else(|| bad("category"))?,
        insurance_class: r.get(7)?,
        barcode: r.get(8)?,
    }))
}

/// The exchange deadline for a receipt issued on `date`: the date, or `None`
/// with a note saying it is to be confirmed (never guessed).
pub fn deadline(
    _conn: &Connection,
    date: NaiveDate,
) -> Result<(Option<NaiveDate>, Option<String>), ReceiptError> {
    Ok((
        None,
        Some(format!(
            "换票截止日期待确认：没有覆盖 {date} 之后工作日的节假日日历 / exchange deadline to be confirmed: no holiday calendar covers the working days after {date}"
        )),
    ))
}
