//! The SQL of price-list snapshots: the only place that reads or writes
//! `price_snapshots` and `price_items`. Both tables are append-only (the
//! store's triggers refuse UPDATE and DELETE), so a snapshot once written is
//! the snapshot receipts were priced from, for good.

use super::PriceError;
use super::model::{Category, PriceItem, Snapshot};
use crate::domain::Month;
use crate::money::UnitPrice;
use rusqlite::{Connection, OptionalExtension, Row};

const SNAPSHOT_COLUMNS: &str = "id, month, file_name, sha256, imported_by, imported_at, item_count";
const ITEM_COLUMNS: &str = "i.code, i.name, i.pinyin, i.spec, i.unit, i.unit_price, i.category,
     i.insurance_class, i.barcode, coalesce(a.aliases, '')";
/// Items with their aliases (kept in a table of their own, one row per
/// item that has any).
const ITEMS_FROM: &str = "price_items i LEFT JOIN price_aliases a
     ON a.snapshot_id = i.snapshot_id AND a.row_no = i.row_no";

type SnapshotRow = (i64, String, String, String, String, String, i64);

fn snapshot_row(r: &Row<'_>) -> rusqlite::Result<SnapshotRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn to_snapshot(row: SnapshotRow) -> Result<Snapshot, PriceError> {
    let (id, month, file_name, sha256, imported_by, imported_at, item_count) = row;
    let month = Month::parse(&month).map_err(|_| PriceError::BadRecord {
        record: format!("price_snapshot:{id}"),
        detail: format!("month '{month}'"),
    })?;
    Ok(Snapshot {
        id,
        month,
        file_name,
        sha256,
        imported_by,
        imported_at,
        item_count,
    })
}

fn query_snapshots(
    conn: &Connection,
    filter: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Snapshot>, PriceError> {
    let sql = format!("SELECT {SNAPSHOT_COLUMNS} FROM price_snapshots {filter}");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params, snapshot_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(to_snapshot).collect()
}

/// Every snapshot held, oldest month first.
pub fn snapshots(conn: &Connection) -> Result<Vec<Snapshot>, PriceError> {
    query_snapshots(conn, "ORDER BY month", [])
}

/// The snapshot imported for `month`, if any.
pub fn snapshot_for_month(conn: &Connection, month: Month) -> Result<Option<Snapshot>, PriceError> {
    Ok(
        query_snapshots(conn, "WHERE month = ?1", [month.to_string()])?
            .into_iter()
            .next(),
    )
}

/// The snapshot in force on `date`: the newest whose month is not after it.
pub fn snapshot_in_force(
    conn: &Connection,
    date: chrono::NaiveDate,
) -> Result<Option<Snapshot>, PriceError> {
    Ok(query_snapshots(
        conn,
        "WHERE month <= ?1 ORDER BY month DESC LIMIT 1",
        [Month::of(date).to_string()],
    )?
    .into_iter()
    .next())
}

/// The newest snapshot for a month before `month` (what an import of
/// `month` is compared with).
pub fn snapshot_before(conn: &Connection, month: Month) -> Result<Option<Snapshot>, PriceError> {
    Ok(query_snapshots(
        conn,
        "WHERE month < ?1 ORDER BY month DESC LIMIT 1",
        [month.to_string()],
    )?
    .into_iter()
    .next())
}

/// A snapshot by id.
pub fn snapshot(conn: &Connection, id: i64) -> Result<Option<Snapshot>, PriceError> {
    Ok(query_snapshots(conn, "WHERE id = ?1", [id])?
        .into_iter()
        .next())
}

type ItemRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

fn item_row(r: &Row<'_>) -> rusqlite::Result<ItemRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn to_item(snapshot_id: i64, row: ItemRow) -> Result<PriceItem, PriceError> {
    let (code, name, pinyin, spec, unit, price, category, insurance_class, barcode, aliases) = row;
    let bad = |detail: String| PriceError::BadRecord {
        record: format!("price_item:{snapshot_id}/{code}"),
        detail,
    };
    let unit_price = UnitPrice::parse(&price).map_err(|_| bad(format!("unit price '{price}'")))?;
    let category =
        Category::parse(&category).ok_or_else(|| bad(format!("category '{category}'")))?;
    Ok(PriceItem {
        code,
        name,
        pinyin,
        spec,
        unit,
        unit_price,
        category,
        insurance_class,
        barcode,
        aliases,
    })
}

/// The items of a snapshot in the order of the file they came from.
pub fn items(conn: &Connection, snapshot_id: i64) -> Result<Vec<PriceItem>, PriceError> {
    let mut items = Vec::new();
    for_each_item(conn, snapshot_id, |it| items.push(it))?;
    items.shrink_to_fit();
    Ok(items)
}

/// Hands the items of a snapshot to `each`, one by one in the order of the
/// file they came from, without holding them all (the window indexes a
/// 30k month this way at start-up).
pub fn for_each_item(
    conn: &Connection,
    snapshot_id: i64,
    mut each: impl FnMut(PriceItem),
) -> Result<(), PriceError> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM {ITEMS_FROM} WHERE i.snapshot_id = ?1 ORDER BY i.row_no"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([snapshot_id])?;
    while let Some(r) = rows.next()? {
        each(to_item(snapshot_id, item_row(r)?)?);
    }
    Ok(())
}

/// One item of a snapshot by its code.
pub fn find_item(
    conn: &Connection,
    snapshot_id: i64,
    code: &str,
) -> Result<Option<PriceItem>, PriceError> {
    let sql =
        format!("SELECT {ITEM_COLUMNS} FROM {ITEMS_FROM} WHERE i.snapshot_id = ?1 AND i.code = ?2");
    let row = conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params![snapshot_id, code], item_row)
        .optional()?;
    row.map(|r| to_item(snapshot_id, r)).transpose()
}

/// Writes a snapshot row and returns its id. Inside the import transaction.
pub(super) fn insert_snapshot(
    conn: &Connection,
    month: Month,
    file_name: &str,
    sha256: &str,
    imported_by: &str,
    imported_at: &str,
    item_count: usize,
) -> Result<i64, PriceError> {
    conn.execute(
        "INSERT INTO price_snapshots(month, file_name, sha256, imported_by, imported_at, item_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            month.to_string(),
            file_name,
            sha256,
            imported_by,
            imported_at,
            item_count as i64
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Writes a snapshot's items with one prepared statement, calling
/// `progress(done)` every `every` rows. Inside the import transaction.
pub(super) fn insert_items(
    conn: &Connection,
    snapshot_id: i64,
    items: &[PriceItem],
    rows: &[usize],
    every: usize,
    progress: &mut dyn FnMut(usize),
) -> Result<(), PriceError> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO price_items(snapshot_id, row_no, code, name, pinyin, spec, unit,
                                 unit_price, category, insurance_class, barcode)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut aliases = conn.prepare_cached(
        "INSERT INTO price_aliases(snapshot_id, row_no, aliases) VALUES (?1, ?2, ?3)",
    )?;
    for (i, item) in items.iter().enumerate() {
        let row_no = rows.get(i).copied().unwrap_or(i + 2) as i64;
        stmt.execute(rusqlite::params![
            snapshot_id,
            row_no,
            item.code,
            item.name,
            item.pinyin,
            item.spec,
            item.unit,
            item.unit_price.as_text(),
            item.category.zh(),
            item.insurance_class,
            item.barcode,
        ])?;
        if !item.aliases.trim().is_empty() {
            aliases.execute(rusqlite::params![snapshot_id, row_no, item.aliases])?;
        }
        if (i + 1) % every == 0 {
            progress(i + 1);
        }
    }
    progress(items.len());
    Ok(())
}
