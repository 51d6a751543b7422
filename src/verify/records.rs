//! The per-record checks this capability provides itself: price-list
//! snapshots still hold the items they were imported with, and users still
//! hold the roles, state and PIN the audit trail says they were given.
//! Both compare a mutable-looking table against the hash-chained audit log,
//! which cannot be edited without `verify` noticing.

use super::{Checked, Problem};
use crate::keys::SigningKey;
use crate::store::StoreError;
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The content digest of a snapshot's items: SHA-256 over every item in
/// code order, each field length-prefixed. The price import records it in
/// its audit entry as `details.items_sha256` (with `details.snapshot_id`),
/// and [`price_snapshots`] compares it with the items found later.
pub fn price_items_digest(conn: &Connection, snapshot_id: i64) -> Result<String, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT row_no, code, name, pinyin, spec, unit, unit_price, category,
                insurance_class, barcode
         FROM price_items WHERE snapshot_id = ?1 ORDER BY code",
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
    }
    Ok(hex::encode(h.finalize()))
}

fn audit_details(conn: &Connection) -> Result<Vec<(i64, String, serde_json::Value)>, StoreError> {
    let mut stmt = conn.prepare("SELECT seq, action, details FROM audit_log ORDER BY seq")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, action, details) = row?;
        let v = serde_json::from_str(&details).unwrap_or(serde_json::Value::Null);
        out.push((seq, action, v));
    }
    Ok(out)
}

/// Each snapshot holds exactly `item_count` items, no item belongs to a
/// snapshot that does not exist, and where the import's audit entry
/// recorded `items_sha256`, the items still hash to it (so a price edited
/// with the triggers dropped is named).
pub fn price_snapshots(conn: &Connection, _key: &SigningKey) -> Result<Checked, StoreError> {
    let mut out = Checked::default();
    let snapshots: Vec<(i64, String, i64)> = conn
        .prepare("SELECT id, month, item_count FROM price_snapshots ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut recorded: HashMap<i64, (i64, String)> = HashMap::new();
    for (seq, _action, d) in audit_details(conn)? {
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
        }
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

/// What the audit trail says a user should look like.
#[derive(Default)]
struct Expected {
    roles: Option<String>,
    disabled: bool,
    pin_digest: Option<String>,
}

/// SHA-256 of a stored PIN hash, recorded in the audit trail when a PIN is
/// set, so a hash swapped behind the program's back is detected without
/// the log ever holding the hash itself.
pub(crate) fn pin_hash_digest(phc: &str) -> String {
    hex::encode(Sha256::digest(phc.as_bytes()))
}

fn user_of(records: &[String]) -> Option<String> {
    records
        .iter()
        .find_map(|r| r.strip_prefix("user:").map(str::to_string))
}

/// Replays the audit trail's user changes (setup, add, roles, disable,
/// enable, PIN reset) and names every user whose row differs: a user with
/// no audit entry at all, roles granted by plain SQL, a disabled flag
/// cleared, a PIN hash swapped.
pub fn users_against_audit(conn: &Connection, _key: &SigningKey) -> Result<Checked, StoreError> {
    let mut expected: HashMap<String, Expected> = HashMap::new();
    let mut stmt = conn.prepare("SELECT action, records, details FROM audit_log ORDER BY seq")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (action, records, details) = row?;
        let records: Vec<String> = serde_json::from_str(&records).unwrap_or_default();
        let d: serde_json::Value = serde_json::from_str(&details).unwrap_or_default();
        let Some(user) = user_of(&records) else {
            continue;
        };
        let pin = d
            .get("pin_hash_sha256")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        match action.as_str() {
            "setup" => {
                let e = expected.entry(user).or_default();
                e.roles = Some(crate::auth::roles_text(&crate::auth::Role::ALL));
                e.pin_digest = pin;
            }
            "user.add" => {
                let e = expected.entry(user).or_default();
                e.roles = d.get("roles").and_then(|v| v.as_str()).map(str::to_string);
                e.disabled = false;
                e.pin_digest = pin;
            }
            "user.roles" => {
                if let Some(to) = d.get("to").and_then(|v| v.as_str()) {
                    expected.entry(user).or_default().roles = Some(to.to_string());
                }
            }
            "user.disable" => expected.entry(user).or_default().disabled = true,
            "user.enable" => expected.entry(user).or_default().disabled = false,
            "user.reset_pin" if pin.is_some() => {
                expected.entry(user).or_default().pin_digest = pin;
            }
            _ => {}
        }
    }
    let mut out = Checked::default();
    let mut users =
        conn.prepare("SELECT name, roles, disabled, pin_hash FROM users ORDER BY name")?;
    let rows = users.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (name, roles, disabled, pin_hash) = row?;
        out.records += 1;
        let record = format!("users {name}");
        let Some(e) = expected.get(&name) else {
            out.problems.push(Problem::new(
                "users",
                record,
                "has no audit entry creating it (inserted behind the program's back)",
                "没有创建它的审计记录（绕过程序插入）",
            ));
            continue;
        };
        let normalise = |s: &str| {
            crate::auth::Role::parse_list(s)
                .map(|r| crate::auth::roles_text(&r))
                .unwrap_or_else(|_| s.to_string())
        };
        if let Some(want) = &e.roles
            && normalise(want) != normalise(&roles)
        {
            out.problems.push(Problem::new(
                "users",
                record.clone(),
                format!("holds roles '{roles}' but the audit trail gave '{want}'"),
                format!("角色为“{roles}”，但审计记录授予的是“{want}”"),
            ));
        }
        if e.disabled != (disabled != 0) {
            out.problems.push(Problem::new(
                "users",
                record.clone(),
                format!(
                    "is {} but the audit trail says {}",
                    if disabled != 0 { "disabled" } else { "enabled" },
                    if e.disabled { "disabled" } else { "enabled" }
                ),
                format!(
                    "当前为{}，但审计记录为{}",
                    if disabled != 0 { "停用" } else { "启用" },
                    if e.disabled { "停用" } else { "启用" }
                ),
            ));
        }
        if let Some(want) = &e.pin_digest
            && *want != pin_hash_digest(&pin_hash)
        {
            out.problems.push(Problem::new(
                "users",
                record,
                "its PIN hash was replaced outside the program",
                "其 PIN 哈希被绕过程序替换",
            ));
        }
    }
    Ok(out)
}

/// The audit chain cannot show that its newest entries were cut off (the
/// rest still links). Backups can: each recorded backup holds the chain up
/// to some entry, so the live log must still hold that entry with the same
/// hash. Checks the newest recorded backup whose file is still there, and
/// that no backup ever held more entries than the live log.
pub fn audit_tail_against_backups(
    conn: &Connection,
    _key: &SigningKey,
) -> Result<Checked, StoreError> {
    let mut out = Checked::default();
    let rows: Vec<(i64, String, i64)> = conn
        .prepare("SELECT id, file, audit_entries FROM backups ORDER BY id DESC")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let live_max: i64 = conn.query_row("SELECT coalesce(max(seq), 0) FROM audit_log", [], |r| {
        r.get(0)
    })?;
    out.records = rows.len() as u64;
    if let Some((id, _, held)) = rows.iter().max_by_key(|r| r.2)
        && *held > live_max
    {
        out.problems.push(Problem::new(
            "backups",
            "audit_log".to_string(),
            format!(
                "backup {id} held {held} audit entries but the log now ends at seq {live_max}: the newest entries were deleted"
            ),
            format!("备份 {id} 含 {held} 条审计记录，但现日志止于 {live_max}：最新的记录已被删除"),
        ));
    }
    let newest_present = rows
        .iter()
        .find(|(_, file, _)| std::path::Path::new(file).is_file());
    if let Some((id, file, _)) = newest_present {
        let backup = Connection::open_with_flags(
            file,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        );
        let last: Option<(i64, String)> = backup.ok().and_then(|b| {
            b.query_row(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok()
        });
        if let Some((seq, hash)) = last {
            let live: Option<String> = conn
                .query_row("SELECT hash FROM audit_log WHERE seq = ?1", [seq], |r| {
                    r.get(0)
                })
                .ok();
            match live {
                Some(h) if h == hash => {}
                Some(_) => out.problems.push(Problem::new(
                    "backups",
                    format!("audit_log seq {seq}"),
                    format!(
                        "differs from the same entry in backup {id} ({file}): the log was rewritten"
                    ),
                    format!("与备份 {id}（{file}）中的同一条记录不同：日志被改写"),
                )),
                None => out.problems.push(Problem::new(
                    "backups",
                    format!("audit_log seq {seq}"),
                    format!("is in backup {id} ({file}) but no longer in the log: deleted"),
                    format!("存在于备份 {id}（{file}）中，但日志中已没有：已被删除"),
                )),
            }
        }
    }
    Ok(out)
}
