//! No receipt number is ever handed out twice, even after a restore of an
//! older backup or when the newest receipts were deleted behind the
//! program's back. A paper receipt book never allows it, and a patient may
//! already hold the receipt carrying that number.
//!
//! Each terminal keeps a high-water mark — the highest sequence it ever
//! issued — in a small file beside the database (`numbering-high-water`,
//! outside the database file, so a restore does not roll it back), and in
//! every backup's record. When what the database holds is below the mark,
//! the numbers in between are recorded as lost (`lost_numbers`, audited),
//! counted like voided paper receipts (作废/遗失) by `verify`, the shift close
//! and the journal (which carries the audit entries), and numbering
//! continues after them.

use super::ReceiptError;
use crate::audit::{self, Actor};
use crate::clock::{Clock, stamp};
use crate::store::{DataDir, StoreError};
use rusqlite::Connection;
use std::path::PathBuf;

/// Why numbers were recorded as lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LostReason {
    /// A backup older than the newest number was restored.
    Restore,
    /// The database no longer holds numbers this terminal issued (deleted
    /// behind the program's back, or a file copied back by hand).
    Missing,
}

impl LostReason {
    pub fn code(self) -> &'static str {
        match self {
            LostReason::Restore => "restore",
            LostReason::Missing => "missing",
        }
    }
}

/// Numbers recorded as lost, one run of consecutive sequences.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LostRun {
    pub terminal: String,
    pub first: String,
    pub last: String,
    pub count: u64,
    pub reason: LostReason,
}

const FILE: &str = "numbering-high-water";

fn file_path(data_dir: &DataDir) -> PathBuf {
    data_dir.root().join(FILE)
}

/// The high-water mark of `terminal` kept outside the database: 0 when the
/// file is absent or does not name the terminal. The file holds lines
/// `TERMINAL SEQ`.
pub fn file_mark(data_dir: &DataDir, terminal: &str) -> u64 {
    let Ok(text) = std::fs::read_to_string(file_path(data_dir)) else {
        return 0;
    };
    text.lines()
        .filter_map(|l| {
            let (t, n) = l.trim().split_once(' ')?;
            (t == terminal).then(|| n.trim().parse::<u64>().ok())?
        })
        .max()
        .unwrap_or(0)
}

/// Raises the file's mark of `terminal` to `seq` (never lowers it). Written
/// under a temporary name and renamed, so a crash leaves the old or the new
/// mark, never a torn one. Not synced: the database, which is, holds the
/// same number, and a restore reads the database it replaces first.
pub fn raise_file_mark(data_dir: &DataDir, terminal: &str, seq: u64) -> Result<(), StoreError> {
    let path = file_path(data_dir);
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let mut lines: Vec<String> = Vec::new();
    let mut current = 0u64;
    for l in old.lines() {
        match l.trim().split_once(' ') {
            Some((t, n)) if t == terminal => {
                current = current.max(n.trim().parse().unwrap_or(0));
            }
            Some(_) => lines.push(l.trim().to_string()),
            None => {}
        }
    }
    if current >= seq {
        return Ok(());
    }
    lines.push(format!("{terminal} {seq}"));
    let tmp = path.with_extension("tmp");
    let io = |source| StoreError::Io {
        path: path.clone(),
        source,
    };
    std::fs::write(&tmp, lines.join("\n") + "\n").map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok(())
}

/// The highest sequence of `terminal` the database accounts for: issued
/// receipts and numbers recorded as lost.
pub fn stored_mark(conn: &Connection, terminal: &str) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row(
        "SELECT max(coalesce((SELECT max(seq) FROM receipts WHERE terminal = ?1), 0),
                    coalesce((SELECT max(last_seq) FROM lost_numbers WHERE terminal = ?1), 0))",
        [terminal],
        |r| r.get(0),
    )?;
    Ok(n.max(0) as u64)
}

/// The high-water mark of `terminal`: the larger of the file's and the
/// database's.
pub fn high_water(
    conn: &Connection,
    data_dir: &DataDir,
    terminal: &str,
) -> Result<u64, StoreError> {
    Ok(stored_mark(conn, terminal)?.max(file_mark(data_dir, terminal)))
}

/// Records every number of `terminal` above what the database accounts for
/// and up to `mark` as lost, inside the caller's transaction (with one
/// audit entry per run). Only numbers inside the terminal's ranges are
/// recorded, plus those above its highest range (a range added after the
/// backup was taken). Returns the runs recorded (none when nothing is
/// missing).
pub fn account_for(
    tx: &Connection,
    actor: &Actor,
    clock: &dyn Clock,
    terminal: &str,
    mark: u64,
    reason: LostReason,
) -> Result<Vec<LostRun>, ReceiptError> {
    let stored = stored_mark(tx, terminal)?;
    if mark <= stored {
        return Ok(Vec::new());
    }
    let (lo, hi) = (stored + 1, mark);
    let ranges = super::ranges::list(tx, terminal)?;
    let mut runs: Vec<(u64, u64)> = ranges
        .iter()
        .filter_map(|g| {
            let (a, b) = (lo.max(g.from), hi.min(g.to));
            (a <= b).then_some((a, b))
        })
        .collect();
    let top = ranges.iter().map(|g| g.to).max().unwrap_or(0);
    if hi > top {
        runs.push((lo.max(top + 1), hi));
    }
    let at = stamp(clock.now());
    let mut out = Vec::new();
    for (a, b) in runs {
        tx.execute(
            "INSERT INTO lost_numbers(terminal, first_seq, last_seq, reason, at, user)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![terminal, a as i64, b as i64, reason.code(), at, actor.user],
        )?;
        let id = tx.last_insert_rowid();
        let run = LostRun {
            terminal: terminal.to_string(),
            first: super::ranges::format_number(terminal, a),
            last: super::ranges::format_number(terminal, b),
            count: b - a + 1,
            reason,
        };
        audit::record(
            tx,
            actor,
            clock,
            "numbers.lost",
            &[format!("lost_numbers:{id}")],
            serde_json::json!({
                "terminal": terminal,
                "first_seq": a,
                "last_seq": b,
                "first": run.first,
                "last": run.last,
                "count": run.count,
                "reason": reason.code(),
            }),
        )?;
        tracing::warn!(terminal, first = %run.first, last = %run.last, reason = reason.code(), "receipt numbers recorded as lost");
        out.push(run);
    }
    Ok(out)
}

/// How many numbers of `terminal` were recorded as lost, in all or since
/// `since` (RFC 3339, compared as stored).
pub fn lost_count(
    conn: &Connection,
    terminal: &str,
    since: Option<&str>,
) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row(
        "SELECT coalesce(sum(last_seq - first_seq + 1), 0) FROM lost_numbers
          WHERE terminal = ?1 AND (?2 IS NULL OR at > ?2)",
        rusqlite::params![terminal, since],
        |r| r.get(0),
    )?;
    Ok(n.max(0) as u64)
}

/// The check registered in `verify::CHECKS`: counts the numbers recorded
/// as lost (shown as "lost_numbers N") and names every run that no audit
/// entry records — a run inserted by hand could hide deleted receipts from
/// the numbering check.
pub fn verify_lost(
    conn: &Connection,
    _key: Option<&crate::keys::SigningKey>,
) -> Result<crate::verify::Checked, StoreError> {
    let mut out = crate::verify::Checked::default();
    let held = crate::store::has_table(conn, "lost_numbers")?;
    if !held {
        // A database or backup from before numbering kept a mark.
        return Ok(out);
    }
    let mut audited: std::collections::HashMap<i64, (i64, i64, String)> =
        std::collections::HashMap::new();
    {
        let mut st =
            conn.prepare("SELECT records, details FROM audit_log WHERE action = 'numbers.lost'")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let records: String = r.get(0)?;
            let details: String = r.get(1)?;
            let recs: Vec<String> = serde_json::from_str(&records).unwrap_or_default();
            let d: serde_json::Value = serde_json::from_str(&details).unwrap_or_default();
            let int = |k: &str| d.get(k).and_then(|v| v.as_i64()).unwrap_or(-1);
            let terminal = d.get("terminal").and_then(|v| v.as_str()).unwrap_or("");
            for rec in recs {
                if let Some(id) = rec
                    .strip_prefix("lost_numbers:")
                    .and_then(|n| n.parse().ok())
                {
                    audited.insert(id, (int("first_seq"), int("last_seq"), terminal.into()));
                }
            }
        }
    }
    let mut st =
        conn.prepare("SELECT id, terminal, first_seq, last_seq, reason FROM lost_numbers")?;
    let rows: Vec<(i64, String, i64, i64, String)> = st
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    for (id, terminal, first, last, reason) in rows {
        out.records += (last - first + 1).max(0) as u64;
        if reason == LostReason::Missing.code() {
            // Numbers that vanished without a restore: the newest receipts
            // were deleted, or an older file was copied in by hand.
            let (a, b) = (
                super::ranges::format_number(&terminal, first.max(0) as u64),
                super::ranges::format_number(&terminal, last.max(0) as u64),
            );
            out.problems.push(crate::verify::Problem::new(
                "lost_numbers",
                format!("lost_numbers {id}"),
                format!(
                    "receipts {a}–{b} were issued on this terminal but vanished from the database without a restore (deleted behind the program's back, or an older file copied in)"
                ),
                format!("票据 {a}–{b} 曾在本终端开具，但未经恢复操作就从数据库中消失（可能被绕过程序删除，或被人工拷入旧文件）"),
            ));
        }
        if audited.get(&id) != Some(&(first, last, terminal.clone())) {
            out.problems.push(crate::verify::Problem::new(
                "lost_numbers",
                format!("lost_numbers {id}"),
                format!(
                    "numbers {first}–{last} of {terminal} are marked lost but no audit entry records it: inserted behind the program's back"
                ),
                format!("{terminal} 的票据号 {first}–{last} 标为遗失，但审计日志中没有记录：可能被绕过程序插入"),
            ));
        }
    }
    // The live database (not a backup file) against the high-water mark
    // kept beside it: numbers issued that the database no longer holds.
    if let Some(db) = conn.path().map(std::path::Path::new)
        && db
            .file_name()
            .is_some_and(|n| n == "downtime-billing.sqlite3")
        && let Some(dir) = db.parent()
    {
        let data_dir = DataDir::new(dir);
        let text = std::fs::read_to_string(file_path(&data_dir)).unwrap_or_default();
        for terminal in text.lines().filter_map(|l| l.split_whitespace().next()) {
            let mark = file_mark(&data_dir, terminal);
            let stored = stored_mark(conn, terminal)?;
            if mark > stored {
                let first = super::ranges::format_number(terminal, stored + 1);
                let last = super::ranges::format_number(terminal, mark);
                out.problems.push(crate::verify::Problem::new(
                    "lost_numbers",
                    format!("{FILE} {terminal}"),
                    format!(
                        "receipts {first}–{last} were issued on this terminal but are not in the database (deleted behind the program's back, or an older file copied in): the next receipt records them as lost"
                    ),
                    format!(
                        "票据 {first}–{last} 曾在本终端开具，但不在数据库中（可能被绕过程序删除，或被人工拷入旧文件）：下一张票据会将其记为遗失"
                    ),
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_mark_only_rises_and_keeps_other_terminals() {
        let dir = tempfile::tempdir().unwrap();
        let d = DataDir::new(dir.path());
        assert_eq!(file_mark(&d, "MZ01"), 0);
        raise_file_mark(&d, "MZ01", 7).unwrap();
        raise_file_mark(&d, "ZY01", 3).unwrap();
        raise_file_mark(&d, "MZ01", 5).unwrap();
        assert_eq!(file_mark(&d, "MZ01"), 7);
        assert_eq!(file_mark(&d, "ZY01"), 3);
        raise_file_mark(&d, "MZ01", 9).unwrap();
        assert_eq!(file_mark(&d, "MZ01"), 9);
        assert_eq!(file_mark(&d, "MZ0"), 0);
    }
}
