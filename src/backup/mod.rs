//! Backups that can be trusted, and a restore that cannot make things
//! worse. A backup is taken with SQLite's online backup API (never a file
//! copy, which could catch a half-written page or miss the WAL) while the
//! terminal keeps working, written under a temporary name, checked
//! (`integrity_check` and the audit chain), then renamed into place and
//! recorded (a `backups` row and an audit entry). The backup folder keeps
//! the last K backups of this terminal.
//!
//! Triggers: `backup --out DIR` (admin or finance), shift close and GUI exit
//! ([`backup_now`]), and every N receipts ([`maybe_backup_after_receipt`],
//! called by the receipts capability after each issue with the number of
//! receipts issued so far, so this module needs no knowledge of the
//! receipts schema).
//!
//! `restore` verifies the backup first (a bad one is refused and nothing is
//! touched), moves the current database and its `-wal`/`-shm` aside as
//! `….sqlite3.before-restore-<timestamp>` (never deleted), copies the
//! backup in with the backup API, and verifies the result.

pub mod checks;
use crate::audit::{self, Actor};
use crate::auth::{self, AuthError, Role, Session, settings};
use crate::clock::{Clock, stamp};
use crate::domain::TerminalCode;
use crate::error::{ErrorKind, UserFacing};
use crate::i18n::Lang;
use crate::receipts::numbering::{self, LostReason, LostRun};
use crate::store::{DataDir, Store, StoreError};
use crate::verify::{self, Problem, Report};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Why a backup was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupReason {
    /// `backup --out DIR` or the GUI's backup button.
    Manual,
    ShiftClose,
    /// The GUI closing.
    Exit,
    /// Every N receipts.
    Receipts,
}

impl BackupReason {
    pub fn code(self) -> &'static str {
        match self {
            BackupReason::Manual => "manual",
            BackupReason::ShiftClose => "shift_close",
            BackupReason::Exit => "exit",
            BackupReason::Receipts => "receipts",
        }
    }
}

/// A backup taken (or the last one recorded).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupInfo {
    pub file: PathBuf,
    /// RFC 3339.
    pub at: String,
    pub reason: String,
    pub bytes: u64,
    pub sha256: String,
    pub audit_entries: i64,
    /// The highest receipt number this terminal had issued when the backup
    /// was taken (its numbering high-water mark; 0 when unknown).
    pub high_water: u64,
    /// Problems the backup carries over from the live database (a broken
    /// audit chain, a dropped trigger): the backup is a faithful copy and is
    /// kept, but the caller must say so.
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RestoreInfo {
    pub restored_from: PathBuf,
    /// The previous database files, moved aside (never deleted).
    pub moved_aside: Vec<PathBuf>,
    /// Numbers between the backup's newest and the terminal's high-water
    /// mark, recorded as lost so they are never issued again.
    pub numbers_lost: Vec<LostRun>,
    /// `verify` on the restored database.
    pub report: Report,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: no such backup file")]
    NoFile(PathBuf),
    #[error("{}: not a backup: {en}; the current database was not touched", file.display())]
    NotABackup {
        file: PathBuf,
        en: String,
        zh: String,
    },
    #[error("the backup {file} failed its check and was not kept: {detail}")]
    Corrupt { file: PathBuf, detail: String },
    #[error(
        "the backup {file} was refused; the current database was not touched: {}",
        problems_text(.problems, Lang::En)
    )]
    Rejected {
        file: PathBuf,
        problems: Vec<Problem>,
    },
    #[error("the database stayed busy; the backup was not taken. Try again")]
    Busy,
    #[error(
        "the backup {file} belongs to terminal {backup}, not to this terminal {current}: restoring it would give two terminals the same receipt numbers"
    )]
    OtherTerminal {
        file: PathBuf,
        backup: String,
        current: String,
    },
    #[error("the restored database could not record its lost receipt numbers: {0}")]
    Numbering(String),
    #[error(
        "{}: another program (the window, or a second command) has this database open; nothing was restored or changed. Close it, then restore again",
        .0.display()
    )]
    InUse(PathBuf),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn problems_text(problems: &[Problem], lang: Lang) -> String {
    problems
        .iter()
        .map(|p| p.line(lang))
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<rusqlite::Error> for BackupError {
    fn from(e: rusqlite::Error) -> Self {
        BackupError::Store(e.into())
    }
}

impl UserFacing for BackupError {
    fn kind(&self) -> ErrorKind {
        match self {
            BackupError::Io { .. } => ErrorKind::Internal,
            BackupError::NoFile(_) => ErrorKind::Invalid,
            BackupError::NotABackup { .. }
            | BackupError::Corrupt { .. }
            | BackupError::Rejected { .. } => ErrorKind::Verification,
            BackupError::Busy | BackupError::OtherTerminal { .. } | BackupError::InUse(_) => {
                ErrorKind::Conflict
            }
            BackupError::Numbering(_) => ErrorKind::Internal,
            BackupError::Auth(e) => e.kind(),
            BackupError::Store(e) => e.kind(),
        }
    }

    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            BackupError::Io { path, source } => format!("{}：{source}", path.display()),
            BackupError::NoFile(p) => format!("{}：没有这个备份文件", p.display()),
            BackupError::NotABackup { file, zh, .. } => {
                format!("{}：不是备份文件：{zh}；当前数据库未被改动", file.display())
            }
            BackupError::Corrupt { file, detail } => {
                format!("备份 {} 检查未通过，未保留：{detail}", file.display())
            }
            BackupError::Rejected { file, problems } => format!(
                "备份 {} 被拒绝，当前数据库未被改动：{}",
                file.display(),
                problems_text(problems, Lang::Zh)
            ),
            BackupError::Busy => "数据库一直忙，未能备份。请重试".into(),
            BackupError::OtherTerminal {
                file,
                backup,
                current,
            } => format!(
                "备份 {} 属于终端 {backup}，不是本终端 {current}：恢复它会让两个终端使用相同的票据号",
                file.display()
            ),
            BackupError::Numbering(e) => format!("恢复后的数据库未能记录遗失的票据号：{e}"),
            BackupError::InUse(p) => format!(
                "{}：另一个程序（收费窗口或另一条命令）正打开着这个数据库；未恢复，未做任何更改。请先关闭它，再恢复",
                p.display()
            ),
            BackupError::Auth(e) => e.message(lang),
            BackupError::Store(e) => e.message(lang),
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The folder automatic backups go to: setting `backup.dir`, else
/// `DATA_DIR/backups`.
pub fn backup_dir(store: &Store) -> Result<PathBuf, StoreError> {
    Ok(settings::backup_dir(store.conn())?.unwrap_or_else(|| store.data_dir().backups_dir()))
}

/// Copies the whole database `src` into `dst` with the online backup API,
/// in one step, so the copy is one consistent snapshot even while other
/// connections keep writing (WAL lets them).
fn copy_database(src: &Connection, dst: &mut Connection) -> Result<(), BackupError> {
    let backup = Backup::new(src, dst)?;
    let mut waits = 0;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked => {
                waits += 1;
                if waits > 200 {
                    return Err(BackupError::Busy);
                }
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            // StepResult is non-exhaustive; any new state is retried.
            _ => std::thread::sleep(std::time::Duration::from_millis(25)),
        }
    }
}

/// Runs `f` in a write transaction that waits longer for the lock than an
/// ordinary write (30 s instead of 5): giving up would lose the record of
/// a backup already safely on disk.
fn write_patiently<T>(
    store: &mut Store,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, BackupError>,
) -> Result<T, BackupError> {
    const PATIENT: std::time::Duration = std::time::Duration::from_secs(30);
    const USUAL: std::time::Duration = std::time::Duration::from_secs(5);
    store.conn().busy_timeout(PATIENT)?;
    let result = (|| {
        let tx = store.write()?;
        let v = f(&tx)?;
        tx.commit()?;
        Ok(v)
    })();
    store.conn().busy_timeout(USUAL)?;
    result
}

fn sync_dir(dir: &Path) {
    crate::store::durable::sync_dir(dir);
}

fn file_sha256(path: &Path) -> Result<(u64, String), BackupError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    Ok((bytes.len() as u64, hex::encode(Sha256::digest(&bytes))))
}

fn file_prefix(terminal: &TerminalCode) -> String {
    format!("downtime-billing-{terminal}-")
}

fn next_id(conn: &Connection) -> Result<i64, StoreError> {
    Ok(
        conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM backups", [], |r| {
            r.get(0)
        })?,
    )
}

/// One backup at a time per data directory: an exclusive lock on
/// `DATA_DIR/backup.lock`, held while a backup is written, checked and
/// recorded, released when dropped (also when the process dies). Processes
/// sharing the data directory (the GUI open while a script issues, two
/// scripts) take turns instead of writing over each other's files.
struct BackupLock(std::fs::File);

impl BackupLock {
    fn path(data_dir: &DataDir) -> PathBuf {
        data_dir.root().join("backup.lock")
    }

    fn open(data_dir: &DataDir) -> Result<std::fs::File, BackupError> {
        let path = Self::path(data_dir);
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(&path))
    }

    /// Waits for the lock (a backup a person or the shift close asked for).
    fn wait(data_dir: &DataDir) -> Result<BackupLock, BackupError> {
        let f = Self::open(data_dir)?;
        f.lock().map_err(io(&Self::path(data_dir)))?;
        Ok(BackupLock(f))
    }

    /// The lock if free; `None` while another process takes a backup.
    fn try_take(data_dir: &DataDir) -> Result<Option<BackupLock>, BackupError> {
        let f = Self::open(data_dir)?;
        match f.try_lock() {
            Ok(()) => Ok(Some(BackupLock(f))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(BackupError::Io {
                path: Self::path(data_dir),
                source: e,
            }),
        }
    }
}

impl Drop for BackupLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

/// Writes the copy into `partial` (claimed by the caller) and makes it one
/// self-contained file: rollback journal, not WAL, synced.
fn write_partial(store: &Store, partial: &Path) -> Result<(), BackupError> {
    {
        let mut dst = Connection::open(partial)?;
        copy_database(store.conn(), &mut dst)?;
        // A backup is one self-contained file: no WAL beside it.
        let mode: String = dst.query_row("PRAGMA journal_mode=DELETE", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("delete") {
            return Err(BackupError::Corrupt {
                file: partial.to_path_buf(),
                detail: format!("the copy stayed in journal mode {mode}"),
            });
        }
        dst.close().map_err(|(_, e)| BackupError::from(e))?;
    }
    // Through a writable handle: Windows refuses to flush a read-only one.
    let len = crate::store::durable::sync_file(partial).map_err(io(partial))?;
    if len == 0 {
        return Err(BackupError::Corrupt {
            file: partial.to_path_buf(),
            detail: "the copy is empty".into(),
        });
    }
    Ok(())
}

/// Removes a failed backup's `.partial` file and the journal files SQLite
/// may have left beside it (one kept a full disk full).
fn remove_partial(partial: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", partial.display()));
        let _ = std::fs::remove_file(p);
    }
}

/// Takes a backup into `dir`, checks it, records it. `prune` keeps the last
/// K backups there (only in the configured folder, never in a folder a
/// person named for a one-off backup). The caller holds the
/// [`BackupLock`].
fn take(
    store: &mut Store,
    actor: &Actor,
    clock: &dyn Clock,
    dir: &Path,
    reason: BackupReason,
    receipts_seen: Option<u64>,
    prune: bool,
) -> Result<BackupInfo, BackupError> {
    let terminal = crate::setup::terminal_code(store)?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let now = clock.now();
    let mut id = next_id(store.conn())?;
    let stamp_part = now.format("%Y%m%d-%H%M%S").to_string();
    // A name no other backup has: the final name free, and the partial
    // one claimed with create-new (never two writers on one file).
    let mut file;
    let mut partial;
    loop {
        file = dir.join(format!(
            "{}{stamp_part}-{id:06}.sqlite3",
            file_prefix(&terminal)
        ));
        partial = file.with_extension("sqlite3.partial");
        if !file.exists() {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&partial)
            {
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io(&partial)(e)),
            }
        }
        id += 1;
    }
    if let Err(e) = write_partial(store, &partial) {
        remove_partial(&partial);
        return Err(e);
    }

    // Integrity is a must: a damaged copy is not a backup. The audit chain
    // and the triggers are checked too; problems there were copied from
    // the live database, so the copy is kept and the problems reported.
    let report = match verify::with_held_key(store.data_dir().root(), |key| {
        verify::run_on_file(&partial, key)
    }) {
        Ok(r) => r,
        Err(e) => {
            remove_partial(&partial);
            return Err(e.into());
        }
    };
    if report.problems.iter().any(|p| p.check == "integrity") {
        remove_partial(&partial);
        return Err(BackupError::Corrupt {
            file,
            detail: problems_text(&report.problems, Lang::En),
        });
    }
    let audit_entries = report
        .checks
        .iter()
        .find(|c| c.name == "audit_chain")
        .map(|c| c.checked as i64)
        .unwrap_or(0);
    let (bytes, sha256) = match file_sha256(&partial) {
        Ok(v) => v,
        Err(e) => {
            remove_partial(&partial);
            return Err(e);
        }
    };
    if let Err(e) = std::fs::rename(&partial, &file) {
        remove_partial(&partial);
        return Err(io(&file)(e));
    }
    sync_dir(dir);

    let pruned = if prune {
        prune_old(dir, &terminal, settings::backup_keep(store.conn())?)
    } else {
        Vec::new()
    };

    let at = stamp(now);
    let high_water = numbering::high_water(store.conn(), store.data_dir(), terminal.as_str())?;
    write_patiently(store, |tx| {
        tx.execute(
            "INSERT INTO backups(at, file, reason, bytes, sha256, audit_entries, receipts_seen,
                                 high_water)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                at,
                file.display().to_string(),
                reason.code(),
                bytes as i64,
                sha256,
                audit_entries,
                receipts_seen.map(|n| n as i64),
                high_water as i64,
            ],
        )?;
        let backup_id = tx.last_insert_rowid();
        audit::record(
            tx,
            actor,
            clock,
            "backup",
            &[format!("backup:{backup_id}")],
            serde_json::json!({
                "file": file.display().to_string(),
                "reason": reason.code(),
                "bytes": bytes,
                "sha256": sha256,
                "audit_entries": audit_entries,
                "pruned": pruned.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
                "problems": report.problems.len(),
                "high_water": high_water,
            }),
        )?;
        Ok(())
    })?;
    tracing::info!(file = %file.display(), reason = reason.code(), bytes, "backup taken");
    Ok(BackupInfo {
        file,
        at,
        reason: reason.code().to_string(),
        bytes,
        sha256,
        audit_entries,
        high_water,
        problems: report.problems,
    })
}

/// Removes this terminal's oldest backups beyond `keep` in `dir`. Names
/// sort by time (then sequence), so the oldest come first.
fn prune_old(dir: &Path, terminal: &TerminalCode, keep: usize) -> Vec<PathBuf> {
    let prefix = file_prefix(terminal);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".sqlite3"))
            })
            .collect(),
        Err(_) => return Vec::new(),
    };
    files.sort();
    let excess = files.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for f in files.into_iter().take(excess) {
        match std::fs::remove_file(&f) {
            Ok(()) => removed.push(f),
            Err(e) => tracing::warn!(file = %f.display(), error = %e, "could not prune old backup"),
        }
    }
    removed
}

fn system_actor(store: &Store) -> Result<Actor, StoreError> {
    Ok(Actor::system(
        "system",
        &crate::setup::terminal_code(store)?,
    ))
}

/// A backup into the configured folder, on the program's behalf (shift
/// close, GUI exit). Keeps the last `backup.keep` there.
pub fn backup_now(
    store: &mut Store,
    clock: &dyn Clock,
    reason: BackupReason,
) -> Result<BackupInfo, BackupError> {
    let dir = backup_dir(store)?;
    let actor = system_actor(store)?;
    let _lock = BackupLock::wait(store.data_dir())?;
    take(store, &actor, clock, &dir, reason, None, true)
}

/// A backup a person asked for (`backup --out DIR`, the GUI's button):
/// admin or finance. `dir` of `None` means the configured folder.
pub fn backup_to(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    dir: Option<&Path>,
) -> Result<BackupInfo, BackupError> {
    session.require_any(&[Role::Admin, Role::Finance], "take a backup")?;
    let configured = backup_dir(store)?;
    let dir = dir.map(Path::to_path_buf).unwrap_or(configured.clone());
    let prune = dir == configured;
    let _lock = BackupLock::wait(store.data_dir())?;
    take(
        store,
        &Actor::of(session),
        clock,
        &dir,
        BackupReason::Manual,
        None,
        prune,
    )
}

/// Called after each receipt with the number of receipts this terminal has
/// issued so far: takes a backup when `backup.every_receipts` (default 20)
/// have been issued since the last backup taken this way. Reads one row
/// when no backup is due, and writes nothing.
pub fn maybe_backup_after_receipt(
    store: &mut Store,
    clock: &dyn Clock,
    receipts_issued: u64,
) -> Result<Option<BackupInfo>, BackupError> {
    let every = settings::backup_every_receipts(store.conn())?;
    let due = |store: &Store| -> Result<bool, BackupError> {
        let last: i64 = store.conn().query_row(
            "SELECT coalesce(max(receipts_seen), 0) FROM backups",
            [],
            |r| r.get(0),
        )?;
        Ok(receipts_issued >= (last.max(0) as u64).saturating_add(every))
    };
    if !due(store)? {
        return Ok(None);
    }
    // Another process sharing this data directory is taking a backup: it
    // covers these receipts, or the next receipt finds one still due.
    let Some(_lock) = BackupLock::try_take(store.data_dir())? else {
        return Ok(None);
    };
    // It may have just recorded one.
    if !due(store)? {
        return Ok(None);
    }
    let dir = backup_dir(store)?;
    let actor = system_actor(store)?;
    take(
        store,
        &actor,
        clock,
        &dir,
        BackupReason::Receipts,
        Some(receipts_issued),
        true,
    )
    .map(Some)
}

/// The newest backup recorded (for the status bar).
pub fn last_backup(conn: &Connection) -> Result<Option<BackupInfo>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT file, at, reason, bytes, sha256, audit_entries, coalesce(high_water, 0)
             FROM backups ORDER BY id DESC LIMIT 1",
            [],
            |r| {
                Ok(BackupInfo {
                    file: PathBuf::from(r.get::<_, String>(0)?),
                    at: r.get(1)?,
                    reason: r.get(2)?,
                    bytes: r.get::<_, i64>(3)?.max(0) as u64,
                    sha256: r.get(4)?,
                    audit_entries: r.get(5)?,
                    high_water: r.get::<_, i64>(6)?.max(0) as u64,
                    problems: Vec::new(),
                })
            },
        )
        .optional()?)
}

/// True when there is no backup, or the last is older than
/// `backup.max_age_hours` (default 24): the status bar turns red.
pub fn backup_is_stale(conn: &Connection, clock: &dyn Clock) -> Result<bool, StoreError> {
    let Some(last) = last_backup(conn)? else {
        return Ok(true);
    };
    let Ok(at) = chrono::DateTime::parse_from_rfc3339(&last.at) else {
        return Ok(true);
    };
    let max = chrono::Duration::hours(settings::backup_max_age_hours(conn)?);
    Ok(clock.now() - at > max)
}

/// Checks a backup file as `restore` will: integrity, audit chain,
/// triggers, key fingerprint, per-record checks.
pub fn verify_backup(data_dir: &DataDir, file: &Path) -> Result<Report, BackupError> {
    if !file.is_file() {
        return Err(BackupError::NoFile(file.to_path_buf()));
    }
    check_shape(file)?;
    verify::with_held_key(data_dir.root(), |key| verify::run_on_file(file, key)).map_err(
        |e| match e {
            StoreError::Sqlite(_) => BackupError::NotABackup {
                file: file.to_path_buf(),
                en: e.to_string(),
                zh: e.message(Lang::Zh),
            },
            e => e.into(),
        },
    )
}

/// What a backup file must look like before it is opened: not empty, an
/// SQLite database (its 16-byte header), as long as its header says (not
/// truncated), holding this program's tables.
fn check_shape(file: &Path) -> Result<(), BackupError> {
    let not_backup = |en: &str, zh: &str| BackupError::NotABackup {
        file: file.to_path_buf(),
        en: en.into(),
        zh: zh.into(),
    };
    let bytes = std::fs::read(file).map_err(io(file))?;
    if bytes.is_empty() {
        return Err(not_backup("the file is empty", "文件是空的"));
    }
    if bytes.len() < 100 || !bytes.starts_with(b"SQLite format 3\0") {
        return Err(not_backup(
            "the file is not an SQLite database",
            "文件不是 SQLite 数据库",
        ));
    }
    let page = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65_536u64,
        n => u64::from(n),
    };
    let pages = u64::from(u32::from_be_bytes([
        bytes[28], bytes[29], bytes[30], bytes[31],
    ]));
    let want = page.saturating_mul(pages);
    if page < 512 || (bytes.len() as u64) < want || !(bytes.len() as u64).is_multiple_of(page) {
        return Err(BackupError::NotABackup {
            file: file.to_path_buf(),
            en: format!("truncated: {} bytes, its header says {want}", bytes.len()),
            zh: format!("文件不完整：{} 字节，文件头记载 {want}", bytes.len()),
        });
    }
    let conn = Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| BackupError::NotABackup {
            file: file.to_path_buf(),
            en: e.to_string(),
            zh: e.to_string(),
        })?;
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'
              AND name IN ('audit_log', 'settings', 'receipts')",
            [],
            |r| r.get(0),
        )
        .map_err(|e| BackupError::NotABackup {
            file: file.to_path_buf(),
            en: e.to_string(),
            zh: e.to_string(),
        })?;
    if tables != 3 {
        return Err(not_backup(
            "the file holds no downtime-billing database",
            "文件中没有本程序的数据库",
        ));
    }
    Ok(())
}

/// Restores `file` as this terminal's database, for the admin `user` with
/// `pin`. The backup is verified first and refused (nothing touched) when
/// anything is wrong with it. The admin logs in against the current
/// database when it opens (wrong PINs count as usual), else against the
/// verified backup, read-only (a broken database is what restore is for).
pub fn restore(
    data_dir: &DataDir,
    file: &Path,
    user: &str,
    pin: &str,
    clock: &dyn Clock,
) -> Result<RestoreInfo, BackupError> {
    let report = verify_backup(data_dir, file)?;
    if !report.ok {
        return Err(BackupError::Rejected {
            file: file.to_path_buf(),
            problems: report.problems,
        });
    }

    let backup_terminal = {
        let src = Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        src.query_row(
            "SELECT value FROM settings WHERE key = 'terminal.code'",
            [],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .unwrap_or_default()
    };
    let db = data_dir.db_path();
    // A second process with the database open (the GUI, another command)
    // would go on writing into the file moved aside: refuse first.
    refuse_if_open_elsewhere(&db)?;
    let session = match Store::open(data_dir) {
        Ok(mut current) => {
            let terminal = crate::setup::terminal_code(&current)?;
            let s = auth::login(current.conn_mut(), user, pin, &terminal, clock)?;
            s.require(Role::Admin, "restore a backup")?;
            if backup_terminal != terminal.as_str() {
                return Err(BackupError::OtherTerminal {
                    file: file.to_path_buf(),
                    backup: backup_terminal,
                    current: terminal.to_string(),
                });
            }
            // The database about to be moved aside knows the newest number:
            // keep it as the high-water mark outside the database, so the
            // restored one continues after it.
            let mark = numbering::high_water(current.conn(), data_dir, terminal.as_str())?;
            numbering::raise_file_mark(data_dir, terminal.as_str(), mark)?;
            // Fold the WAL into the main file so the copy moved aside is
            // complete on its own; a reader or writer elsewhere keeps it
            // from completing (busy = 1).
            let busy: i64 =
                current
                    .conn()
                    .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
            if busy != 0 {
                return Err(BackupError::InUse(db));
            }
            s
        }
        Err(e) => {
            tracing::warn!(error = %e, "current database does not open; authenticating against the backup");
            let src =
                Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            let terminal = TerminalCode::parse(&backup_terminal).map_err(AuthError::from)?;
            let attempts = data_dir.root().join(auth::RESTORE_ATTEMPTS_FILE);
            let s = auth::authenticate_readonly(&src, user, pin, &terminal, clock, &attempts)?;
            s.require(Role::Admin, "restore a backup")?;
            s
        }
    };
    refuse_if_open_elsewhere(&db)?;

    // The restored database is made whole beside the live one — copied,
    // its lost numbers and the restore itself recorded, its witness staged —
    // and only then swapped in with one rename. A kill at any moment leaves
    // the old database or the restored one in place, never a half.
    let partial = restoring_path(&db);
    remove_partial(&partial);
    let aside = aside_name(&db, clock);
    let (numbers_lost, staged) = match prepare_restored(
        file,
        &partial,
        data_dir,
        &session,
        clock,
        (&backup_terminal, &aside),
        &report,
    ) {
        Ok(done) => done,
        Err(e) => {
            remove_partial(&partial);
            return Err(e);
        }
    };
    let moved = match keep_aside(&db, &aside) {
        Ok(moved) => moved,
        Err(e) => {
            staged.discard();
            remove_partial(&partial);
            return Err(e);
        }
    };
    if let Err(e) = std::fs::rename(&partial, &db) {
        // Put the previous database's journal files back: a failed
        // restore leaves the terminal as it was.
        for (from, to) in moved.iter().skip(1) {
            let _ = std::fs::rename(to, from);
        }
        if let Some((_, aside)) = moved.first() {
            let _ = std::fs::remove_file(aside);
        }
        staged.discard();
        remove_partial(&partial);
        return Err(BackupError::Io {
            path: db,
            source: e,
        });
    }
    staged.commit();
    if let Some(dir) = db.parent() {
        sync_dir(dir);
    }

    let store = Store::open(data_dir)?;
    let report = verify::run(&store)?;
    let moved_aside: Vec<PathBuf> = moved.into_iter().map(|(_, to)| to).collect();
    tracing::info!(file = %file.display(), by = %session.user(), ok = report.ok, "database restored");
    Ok(RestoreInfo {
        restored_from: file.to_path_buf(),
        moved_aside,
        numbers_lost,
        report,
    })
}

/// Where a restore builds the database it swaps in: beside the live one,
/// on the same disk, so the swap is one rename.
pub fn restoring_path(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.restoring", db.display()))
}

/// Copies the backup to `partial` and records in it, in one transaction,
/// the numbers lost since the backup and the restore's audit entry; stages
/// its witness. The file is synced and closed when this returns.
fn prepare_restored(
    file: &Path,
    partial: &Path,
    data_dir: &DataDir,
    session: &Session,
    clock: &dyn Clock,
    (backup_terminal, aside): (&str, &str),
    checked: &Report,
) -> Result<(Vec<LostRun>, verify::witness::Staged), BackupError> {
    copy_into_place(file, partial)?;
    let (_, sha256) = file_sha256(file)?;
    let mut conn = Connection::open(partial)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let mark = numbering::file_mark(data_dir, backup_terminal);
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let lost = numbering::account_for(
        &tx,
        &Actor::of(session),
        clock,
        backup_terminal,
        mark,
        LostReason::Restore,
    )
    .map_err(|e| BackupError::Numbering(e.to_string()))?;
    let db = data_dir.db_path();
    let moved_aside: Vec<String> = ["", "-wal", "-shm"]
        .iter()
        .filter(|suffix| Path::new(&format!("{}{suffix}", db.display())).exists())
        .map(|suffix| format!("{aside}{suffix}"))
        .collect();
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "restore",
        &[format!("file:{}", file.display())],
        serde_json::json!({
            "file": file.display().to_string(),
            "sha256": sha256,
            "moved_aside": moved_aside,
            "verify_ok": checked.ok,
            "numbers_lost": lost.iter().map(|r| r.count).sum::<u64>(),
        }),
    )?;
    tx.commit()?;
    let staged = verify::witness::stage_reset(&conn, data_dir, clock)?;
    if let Err((_, e)) = conn.close() {
        staged.discard();
        return Err(e.into());
    }
    // Through a writable handle: Windows refuses to flush a read-only one.
    if let Err(e) = crate::store::durable::sync_file(partial) {
        staged.discard();
        return Err(BackupError::Io {
            path: partial.to_path_buf(),
            source: e,
        });
    }
    Ok((lost, staged))
}

/// Whether another process has the SQLite database `db` open: every
/// connection in WAL mode holds a shared lock on the `-shm` file's
/// "dead man switch" byte (offset 128) while it is open, and `F_GETLK`
/// reports a conflicting lock of another process only (never this one's).
#[cfg(unix)]
fn open_elsewhere(db: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let shm = PathBuf::from(format!("{}-shm", db.display()));
    let Ok(f) = std::fs::OpenOptions::new().read(true).open(&shm) else {
        return false;
    };
    // SAFETY: a zeroed flock is a valid value; fcntl(F_GETLK) only reads
    // and writes that struct, on a descriptor that stays open meanwhile.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_WRLCK as _;
    lock.l_whence = libc::SEEK_SET as _;
    lock.l_start = 128;
    lock.l_len = 1;
    let rc = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETLK, &mut lock) };
    rc == 0 && lock.l_type != libc::F_UNLCK as libc::c_short
}

/// Windows refuses to rename a file another process has open, so the
/// swap itself fails there (and the restore puts everything back).
#[cfg(not(unix))]
fn open_elsewhere(_db: &Path) -> bool {
    false
}

fn refuse_if_open_elsewhere(db: &Path) -> Result<(), BackupError> {
    if open_elsewhere(db) {
        return Err(BackupError::InUse(db.to_path_buf()));
    }
    Ok(())
}

/// `<db>.before-restore-<timestamp>[-n]`: a name not taken yet (SQLite's
/// own naming for the journal files follows it, so the set opens together).
fn aside_name(db: &Path, clock: &dyn Clock) -> String {
    let stamp_part = clock.now().format("%Y%m%d-%H%M%S").to_string();
    let mut base = format!("{}.before-restore-{stamp_part}", db.display());
    let mut n = 1;
    while Path::new(&base).exists() {
        n += 1;
        base = format!("{}.before-restore-{stamp_part}-{n}", db.display());
    }
    base
}

/// Keeps the live database as `base`: the main
/// file by a hard link (so the database never disappears from its place;
/// a copy where links are not possible), its `-wal`/`-shm` (already
/// checkpointed) renamed. Returns (from, to) pairs, the main file first.
fn keep_aside(db: &Path, base: &str) -> Result<Vec<(PathBuf, PathBuf)>, BackupError> {
    let mut moved = Vec::new();
    if db.exists() {
        let to = PathBuf::from(base);
        std::fs::hard_link(db, &to)
            .or_else(|_| std::fs::copy(db, &to).map(|_| ()))
            .map_err(io(&to))?;
        moved.push((db.to_path_buf(), to));
    }
    for suffix in ["-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", db.display()));
        if from.exists() {
            let to = PathBuf::from(format!("{base}{suffix}"));
            if let Err(e) = std::fs::rename(&from, &to) {
                for (f, t) in moved.iter().skip(1) {
                    let _ = std::fs::rename(t, f);
                }
                if let Some((_, aside)) = moved.first() {
                    let _ = std::fs::remove_file(aside);
                }
                return Err(BackupError::Io {
                    path: to,
                    source: e,
                });
            }
            moved.push((from, to));
        }
    }
    if let Some(dir) = db.parent() {
        sync_dir(dir);
    }
    Ok(moved)
}

fn copy_into_place(file: &Path, db: &Path) -> Result<(), BackupError> {
    let src = Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut dst = Connection::open(db)?;
    copy_database(&src, &mut dst)?;
    let _mode: String = dst.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    dst.close().map_err(|(_, e)| BackupError::from(e))?;
    crate::store::durable::sync_file(db).map_err(io(db))?;
    if let Some(dir) = db.parent() {
        sync_dir(dir);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_keeps_the_newest_of_this_terminal_only() {
        let dir = tempfile::tempdir().unwrap();
        let t = TerminalCode::parse("MZ01").unwrap();
        let names = [
            "downtime-billing-MZ01-20261120-080000-000001.sqlite3",
            "downtime-billing-MZ01-20261121-080000-000002.sqlite3",
            "downtime-billing-MZ01-20261122-080000-000003.sqlite3",
            "downtime-billing-MZ01-20261122-080000-000004.sqlite3",
            "downtime-billing-YF01-20261101-080000-000001.sqlite3",
            "notes.txt",
        ];
        for n in names {
            std::fs::write(dir.path().join(n), b"x").unwrap();
        }
        let removed = prune_old(dir.path(), &t, 2);
        let removed: Vec<String> = removed
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(removed, [names[0], names[1]]);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [names[2], names[3], names[4], names[5]]);
    }
}
