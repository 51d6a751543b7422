//! The prices capability's own checks for `verify`: a snapshot still holds
//! exactly the items it was imported with (their digest, recorded in the
//! import's audit entry, is recomputed).

use crate::keys::SigningKey;
use crate::store::StoreError;
use crate::verify::{Checked, Problem};
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The content digest of a snapshot's items: SHA-256 over every item in
/// code order, each field length-prefixed. The price import records it in
/// its audit entry as `details.items_sha256` (with `details.snapshot_id`),
/// and [`price_snapshots`] compares it with the items found later.
pub fn price_items_digest(conn: &Connection, snapshot_id: i64) -> Result<String, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT i.row_no, i.code, i.name, i.pinyin, i.spec, i.unit, i.unit_price, i.category,
                i.insurance_class, i.barcode, coalesce(a.aliases, '')
         FROM price_items i LEFT JOIN price_aliases a
           ON a.snapshot_id = i.snapshot_id AND a.row_no = i.row_no
         WHERE i.snapshot_id = ?1 ORDER BY i.code",
    )?;
    let mut rows = stmt.query([snapshot_id])?;
    let mut h = Sha256::new();
    while let Some(r) = rows.next()? {
        let row_no: i64 = r.get(0)?;
        let row_no = row_no.to_string();
        h.update((row_no.len() as u64).to_be_bytes());
        h.update(row_no.as_bytes());
        for i in 1..10 {
            let f: String = r.get(i)?;
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
        // Aliases count only when there are some, so the digests recorded
        // before the column existed still hold.
        let aliases: String = r.get(10)?;
        if !aliases.is_empty() {
            h.update((aliases.len() as u64).to_be_bytes());
            h.update(aliases.as_bytes());
        }
    }
    Ok(hex::encode(h.finalize()))
}

/// Each snapshot holds exactly `item_count` items, no item belongs to a
/// snapshot that does not exist, and where the import's audit entry
/// recorded `items_sha256`, the items still hash to it (so a price edited
/// with the triggers dropped is named).
pub fn price_snapshots(
    conn: &Connection,
    _key: Option<&SigningKey>,
) -> Result<Checked, StoreError> {
    let mut out = Checked::default();
    let snapshots: Vec<(i64, String, i64)> = conn
        .prepare("SELECT id, month, item_count FROM price_snapshots ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut recorded: HashMap<i64, (i64, String)> = HashMap::new();
    for (seq, _action, d) in crate::verify::audit_details(conn)? {
        if let (Some(id), Some(digest)) = (
            d.get("snapshot_id").and_then(|v| v.as_i64()),
            d.get("items_sha256").and_then(|v| v.as_str()),
        ) {
            recorded.insert(id, (seq, digest.to_string()));
        }
    }
    for (id, month, item_count) in &snapshots {
        out.records += 1;
        let record = format!("price_snapshots id {id} ({month})");
        let found: i64 = conn.query_row(
            "SELECT count(*) FROM price_items WHERE snapshot_id = ?1",
            [id],
            |r| r.get(0),
        )?;
        if found != *item_count {
            out.problems.push(Problem::new(
                "price_snapshots",
                record.clone(),
                format!("holds {found} items but was imported with {item_count}"),
                format!("现有 {found} 个项目，导入时为 {item_count} 个"),
            ));
        }
        if let Some((seq, digest)) = recorded.get(id) {
            let now = price_items_digest(conn, *id)?;
            if &now != digest {
                out.problems.push(Problem::new(
                    "price_snapshots",
                    record,
                    format!(
                        "its items were changed after import (content hash differs from audit entry {seq})"
                    ),
                    format!("导入后项目被改动（内容哈希与审计记录 {seq} 不符）"),
                ));
            }
        } else {
            out.problems.push(Problem::new(
                "price_snapshots",
                record,
                "no audit entry records its import (inserted behind the program's back)",
                "没有导入它的审计记录（绕过程序插入）",
            ));
        }
    }
    // A snapshot the audit trail says was imported must still be there:
    // deleting a month (with its items) leaves no orphan to see.
    let held: std::collections::HashSet<i64> = snapshots.iter().map(|(id, _, _)| *id).collect();
    let mut gone: Vec<(&i64, &(i64, String))> = recorded
        .iter()
        .filter(|(id, _)| !held.contains(id))
        .collect();
    gone.sort();
    for (id, (seq, _)) in gone {
        out.problems.push(Problem::new(
            "price_snapshots",
            format!("price_snapshots id {id}"),
            format!("imported (audit entry {seq}) but missing: deleted behind the program's back"),
            format!("已导入（审计记录 {seq}），但快照缺失：被绕过程序删除"),
        ));
    }
    let orphans: Vec<(i64, i64)> = conn
        .prepare(
            "SELECT snapshot_id, count(*) FROM price_items
             WHERE snapshot_id NOT IN (SELECT id FROM price_snapshots)
             GROUP BY snapshot_id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (sid, n) in orphans {
        out.problems.push(Problem::new(
            "price_snapshots",
            format!("price_items snapshot_id {sid}"),
            format!("{n} items belong to a snapshot that does not exist (deleted)"),
            format!("{n} 个项目所属的价格快照不存在（已被删除）"),
        ));
    }
    Ok(out)
}
