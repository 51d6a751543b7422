//! The backup capability's own check for `verify`: the newest backup still
//! proves the live audit log was not cut short.

use crate::keys::SigningKey;
use crate::store::StoreError;
use crate::verify::{Checked, Problem};
use rusqlite::Connection;

/// The audit chain cannot show that its newest entries were cut off (the
/// rest still links). Backups can: each recorded backup holds the chain up
/// to some entry, so the live log must still hold that entry with the same
/// hash. Checks the newest recorded backup whose file is still there, and
/// that no backup ever held more entries than the live log.
pub fn audit_tail_against_backups(
    conn: &Connection,
    _key: Option<&SigningKey>,
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
