//! The chain's outside witness. Someone with the file (and the key) could
//! cut the newest receipts and audit entries and leave a chain that still
//! links; a copy of the chain head kept elsewhere tells. A [`Witness`] is
//! the newest audit entry's number with a short prefix of its MAC (or plain
//! hash), and the highest receipt number this terminal holds. It is
//! printed on every shift-close report (paper in the cash office), written
//! to `witness.json` in the data directory and beside the backups (the
//! `backup.dir` folder, ideally a second disk) after every shift close and
//! backup, and `verify` checks the database against the newest one it
//! finds ([`check`]).

use super::Problem;
use crate::clock::{Clock, stamp};
use crate::store::{DataDir, Store, StoreError};
use rusqlite::{Connection, OptionalExtension};
use std::path::{Path, PathBuf};

/// The witness file's name in the data directory; beside the backups it is
/// `witness-TERMINAL.json`, as several terminals may share a backup folder.
pub const FILE: &str = "witness.json";

fn backup_file(dir: &Path, terminal: &str) -> PathBuf {
    dir.join(format!("witness-{terminal}.json"))
}

fn terminal_of(conn: &Connection) -> String {
    crate::settings::terminal_code_text(conn).unwrap_or_default()
}
/// Hex characters of the head kept: 64 bits, plenty to tell a rewrite.
const HEAD_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Witness {
    /// The newest audit entry.
    pub seq: i64,
    /// The first 16 hex characters of its MAC (its plain hash if unkeyed).
    pub head: String,
    /// The highest receipt number of this terminal, if any.
    pub highest_receipt: Option<String>,
    pub at: String,
}

impl Witness {
    /// One line for a printed report.
    pub fn line(&self) -> String {
        format!(
            "审计链见证 Audit chain witness: #{} {} · 最高票据号 Highest number {}",
            self.seq,
            self.head,
            self.highest_receipt.as_deref().unwrap_or("—")
        )
    }
}

fn short(s: &str) -> String {
    s.chars().take(HEAD_LEN).collect()
}

/// The witness of the database as it is now.
pub fn take(conn: &Connection, clock: &dyn Clock) -> Result<Option<Witness>, StoreError> {
    let last: Option<(i64, String, Option<String>)> = conn
        .query_row(
            "SELECT seq, hash, mac FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((seq, hash, mac)) = last else {
        return Ok(None);
    };
    Ok(Some(Witness {
        seq,
        head: short(mac.as_deref().unwrap_or(&hash)),
        highest_receipt: highest_receipt(conn)?,
        at: stamp(clock.now()),
    }))
}

fn highest_receipt(conn: &Connection) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT r.number FROM receipts r
              WHERE r.terminal = (SELECT value FROM settings WHERE key = 'terminal.code')
              ORDER BY r.seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?)
}

/// Where witnesses are kept for `store`: the data directory, and the
/// backup folder when it is another one.
fn places(store: &Store) -> Vec<PathBuf> {
    let mut out = vec![store.data_dir().root().join(FILE)];
    if let Ok(dir) = crate::backup::backup_dir(store) {
        out.push(backup_file(&dir, &terminal_of(store.conn())));
    }
    out
}

/// A witness written ahead under temporary names, for a database about to
/// replace the live one (restore): [`Staged::commit`] puts it in force with
/// one rename per place, right after the swap, so no slow step sits between
/// the new database and its witness.
#[derive(Debug)]
pub struct Staged(Vec<(PathBuf, PathBuf)>);

impl Staged {
    /// Puts the staged witness in force (replacing a newer one). Failing to
    /// rename a copy is logged, like [`record`].
    pub fn commit(self) {
        for (tmp, p) in &self.0 {
            if let Err(e) = std::fs::rename(tmp, p) {
                tracing::warn!(file = %p.display(), error = %e, "could not keep the chain witness");
            }
        }
    }

    /// Removes the staged files (the swap did not happen).
    pub fn discard(self) {
        for (tmp, _) in &self.0 {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

/// Stages the witness of the database `conn` (not yet the live one) for
/// `data_dir`'s places: the data directory and the backup folder its
/// settings name (else `DATA_DIR/backups`).
pub fn stage_reset(
    conn: &Connection,
    data_dir: &DataDir,
    clock: &dyn Clock,
) -> Result<Staged, StoreError> {
    let Some(w) = take(conn, clock)? else {
        return Ok(Staged(Vec::new()));
    };
    let text = serde_json::to_string_pretty(&w).unwrap_or_default();
    let backup_dir = crate::settings::backup_dir(conn)
        .ok()
        .flatten()
        .unwrap_or_else(|| data_dir.backups_dir());
    let mut staged = Vec::new();
    for p in [
        data_dir.root().join(FILE),
        backup_file(&backup_dir, &terminal_of(conn)),
    ] {
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let tmp = p.with_extension("json.restoring");
        match std::fs::write(&tmp, &text) {
            Ok(()) => staged.push((tmp, p)),
            Err(e) => {
                tracing::warn!(file = %tmp.display(), error = %e, "could not stage the chain witness")
            }
        }
    }
    Ok(Staged(staged))
}

/// After a restore killed between staging its witness and putting it in
/// force: a staged witness (`witness.json.restoring`) that names the live
/// database's newest audit entry is that database's — the swap happened —
/// and is put in force; any other one belongs to a restore that never
/// swapped and is removed. Called when the store opens.
pub fn settle_staged(store: &Store) {
    for p in places(store) {
        let tmp = p.with_extension("json.restoring");
        if !tmp.exists() {
            continue;
        }
        let live = take(store.conn(), &crate::clock::SystemClock)
            .ok()
            .flatten();
        let ours = load(&tmp)
            .zip(live)
            .is_some_and(|(staged, live)| staged.seq == live.seq && staged.head == live.head);
        let done = if ours {
            std::fs::rename(&tmp, &p)
        } else {
            std::fs::remove_file(&tmp)
        };
        if let Err(e) = done {
            tracing::warn!(file = %tmp.display(), error = %e, "could not settle a staged chain witness");
        }
    }
}

fn load(path: &Path) -> Option<Witness> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Takes the witness now and keeps it in every place (never replacing a
/// newer one). Returns it, for printing. Failing to write a copy is
/// logged, not raised: the operation it follows is done.
pub fn record(store: &Store, clock: &dyn Clock) -> Result<Option<Witness>, StoreError> {
    keep(store, clock, false)
}

/// After a restore: the restored database is the truth now (the restore
/// itself is audited), so its witness replaces the newer one of the
/// database moved aside.
pub fn reset(store: &Store, clock: &dyn Clock) -> Result<Option<Witness>, StoreError> {
    keep(store, clock, true)
}

fn keep(store: &Store, clock: &dyn Clock, replace: bool) -> Result<Option<Witness>, StoreError> {
    let Some(w) = take(store.conn(), clock)? else {
        return Ok(None);
    };
    let text = serde_json::to_string_pretty(&w).unwrap_or_default();
    for p in places(store) {
        if !replace && load(&p).is_some_and(|held| held.seq > w.seq) {
            continue;
        }
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let tmp = p.with_extension("json.tmp");
        if let Err(e) = std::fs::write(&tmp, &text).and_then(|()| std::fs::rename(&tmp, &p)) {
            tracing::warn!(file = %p.display(), error = %e, "could not keep the chain witness");
        }
    }
    Ok(Some(w))
}

/// The database against the newest witness found in `data_dir` and the
/// backup folder: the witnessed entry must still be there with the same
/// head, the log must reach it, and the witnessed highest receipt must
/// still be held. Returns how many witnesses were read and the problems.
pub fn check(conn: &Connection, data_dir: &DataDir) -> Result<(u64, Vec<Problem>), StoreError> {
    let mut paths = vec![data_dir.root().join(FILE)];
    let backup_dir = crate::settings::backup_dir(conn)
        .ok()
        .flatten()
        .unwrap_or_else(|| data_dir.backups_dir());
    paths.push(backup_file(&backup_dir, &terminal_of(conn)));
    let found: Vec<(PathBuf, Witness)> = paths
        .into_iter()
        .filter_map(|p| load(&p).map(|w| (p, w)))
        .collect();
    let Some((path, w)) = found.iter().max_by_key(|(_, w)| w.seq) else {
        return Ok((0, Vec::new()));
    };
    let mut problems = Vec::new();
    let record = format!("{} (#{})", path.display(), w.seq);
    let live: Option<(String, Option<String>)> = conn
        .query_row(
            "SELECT hash, mac FROM audit_log WHERE seq = ?1",
            [w.seq],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match live {
        None => {
            let last: i64 =
                conn.query_row("SELECT coalesce(max(seq), 0) FROM audit_log", [], |r| {
                    r.get(0)
                })?;
            problems.push(Problem::new(
                "witness",
                record.clone(),
                format!(
                    "the witness of {} saw audit entry {} but the log ends at {last}: the newest entries were deleted",
                    w.at, w.seq
                ),
                format!(
                    "{} 的见证记录了第 {} 条审计记录，但日志止于第 {last} 条：最新的记录被删除",
                    w.at, w.seq
                ),
            ));
        }
        Some((hash, mac)) => {
            let now = short(mac.as_deref().unwrap_or(&hash));
            if now != w.head {
                problems.push(Problem::new(
                    "witness",
                    record.clone(),
                    format!(
                        "audit entry {} is {now} but the witness of {} saw {}: the log was rewritten",
                        w.seq, w.at, w.head
                    ),
                    format!(
                        "第 {} 条审计记录现为 {now}，但 {} 的见证为 {}：日志被改写",
                        w.seq, w.at, w.head
                    ),
                ));
            }
        }
    }
    if let Some(n) = &w.highest_receipt {
        let held = conn
            .prepare_cached("SELECT 1 FROM receipts WHERE number = ?1")?
            .exists([n])?;
        if !held {
            problems.push(Problem::new(
                "witness",
                record,
                format!(
                    "receipt {n}, the highest number on the witness of {}, is gone: receipts were deleted",
                    w.at
                ),
                format!("{} 的见证中最高票据号 {n} 已不存在：票据被删除", w.at),
            ));
        }
    }
    Ok((found.len() as u64, problems))
}
