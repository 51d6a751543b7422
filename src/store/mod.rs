//! The local store: one SQLite file per terminal that must never lose a
//! record. Opening it sets the pragmas that make a commit durable (WAL,
//! `synchronous=FULL`), checks the file's integrity, refuses network
//! filesystems (SQLite's locking is unreliable there), and applies the
//! versioned migrations. Tables that hold records that matter are declared
//! append-only here, enforced by triggers in the database itself.

pub mod datadir;
pub mod durable;
pub mod in_place;
pub mod migrations;
pub mod netfs;

pub use datadir::DataDir;

use crate::error::{ErrorKind, Remedy, UserFacing};
use crate::i18n::Lang;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no database at {0}: this terminal is not set up yet")]
    NotSetUp(PathBuf),
    #[error("a database already exists at {0}")]
    AlreadySetUp(PathBuf),
    #[error(
        "{path} is on a network filesystem ({fs}); the database must live on a local disk because SQLite's locking and fsync are not reliable over the network"
    )]
    NetworkPath { path: PathBuf, fs: String },
    #[error(
        "the database file {path} failed its integrity check: {detail}. Restore the latest backup"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "the database {path} was written by a newer version (schema {found}, this program knows {supported})"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("the disk holding the database is full; nothing was written. Free space and try again")]
    DiskFull,
    #[error(
        "the database is read-only (file permissions or a read-only disk); nothing was written"
    )]
    ReadOnly,
    #[error(
        "{} is read-only (file permissions or a read-only disk): the program cannot keep its database there; nothing was written. Make it writable for this user, or choose another data directory",
        .0.display()
    )]
    ReadOnlyAt(PathBuf),
    #[error("the database is locked by another program; nothing was written. Try again")]
    Locked,
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        match e.sqlite_error_code() {
            Some(DiskFull) => StoreError::DiskFull,
            Some(ReadOnly) => StoreError::ReadOnly,
            Some(DatabaseBusy) | Some(DatabaseLocked) => StoreError::Locked,
            Some(DatabaseCorrupt) | Some(NotADatabase) => StoreError::Corrupt {
                path: PathBuf::new(),
                detail: e.to_string(),
            },
            _ => StoreError::Sqlite(e),
        }
    }
}

impl UserFacing for StoreError {
    fn remedy(&self) -> Option<Remedy> {
        match self {
            StoreError::NotSetUp(_) => Some(Remedy::SetUp),
            StoreError::Corrupt { .. } => Some(Remedy::RestoreBackup),
            _ => None,
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            StoreError::NotSetUp(_) | StoreError::AlreadySetUp(_) => ErrorKind::Conflict,
            StoreError::NetworkPath { .. } => ErrorKind::Invalid,
            StoreError::Corrupt { .. } => ErrorKind::Verification,
            StoreError::DiskFull
            | StoreError::ReadOnly
            | StoreError::ReadOnlyAt(_)
            | StoreError::Locked => ErrorKind::Conflict,
            StoreError::TooNew { .. } | StoreError::Sqlite(_) | StoreError::Io { .. } => {
                ErrorKind::Internal
            }
        }
    }

    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            StoreError::NotSetUp(p) => format!("{} 处没有数据库：本终端尚未设置", p.display()),
            StoreError::AlreadySetUp(p) => format!("{} 处已有数据库", p.display()),
            StoreError::NetworkPath { path, fs } => format!(
                "{} 位于网络文件系统（{fs}）上；数据库必须放在本地磁盘，因为 SQLite 的锁和落盘在网络上不可靠",
                path.display()
            ),
            StoreError::Corrupt { path, detail } => format!(
                "数据库文件 {} 完整性检查失败：{detail}。请恢复最近的备份",
                path.display()
            ),
            StoreError::TooNew {
                path,
                found,
                supported,
            } => format!(
                "数据库 {} 由更新版本写入（结构版本 {found}，本程序支持 {supported}）",
                path.display()
            ),
            StoreError::DiskFull => "数据库所在磁盘已满；未写入任何内容。请清理空间后重试".into(),
            StoreError::ReadOnly => "数据库为只读（文件权限或只读磁盘）；未写入任何内容".into(),
            StoreError::ReadOnlyAt(p) => format!(
                "{} 为只读（文件权限或只读磁盘）：程序无法在此保存数据库；未写入任何内容。请让当前用户可写，或另选数据目录",
                p.display()
            ),
            StoreError::Locked => "数据库被其他程序锁定；未写入任何内容。请重试".into(),
            StoreError::Sqlite(e) => format!("数据库错误：{e}"),
            StoreError::Io { path, source } => format!("{}：{source}", path.display()),
        }
    }
}

/// An open, checked, migrated database.
pub struct Store {
    conn: Connection,
    data_dir: DataDir,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

impl Store {
    /// Opens the database of an already set-up data directory.
    pub fn open(data_dir: &DataDir) -> Result<Store, StoreError> {
        // A share is refused as such, before it is called "not set up".
        netfs::refuse_network_path(data_dir.root())?;
        let path = data_dir.db_path();
        if !path.exists() {
            return Err(StoreError::NotSetUp(path));
        }
        // What a restore killed before its swap was building beside the
        // database (`backup::restoring_path`); never read, so never kept.
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}.restoring{suffix}", path.display()));
        }
        let store = Self::open_path(data_dir, false)?;
        crate::verify::witness::settle_staged(&store);
        Ok(store)
    }

    /// Creates a new database (setup). Refuses when one exists.
    pub fn create(data_dir: &DataDir) -> Result<Store, StoreError> {
        let path = data_dir.db_path();
        if path.exists() {
            return Err(StoreError::AlreadySetUp(path));
        }
        data_dir.ensure()?;
        Self::open_path(data_dir, true)
    }

    fn open_path(data_dir: &DataDir, create: bool) -> Result<Store, StoreError> {
        let path = data_dir.db_path();
        netfs::refuse_network_path(data_dir.root())?;
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn =
            Connection::open_with_flags(&path, flags).map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase) => StoreError::Corrupt {
                    path: path.clone(),
                    detail: e.to_string(),
                },
                _ => StoreError::from(e),
            })?;
        configure(&conn).map_err(|e| with_path(e, &path))?;
        check_integrity(&conn, &path)?;
        let mut store = Store {
            conn,
            data_dir: data_dir.clone(),
        };
        migrations::migrate(&mut store.conn).map_err(|e| with_path(e, &path))?;
        Ok(store)
    }

    /// Opens any SQLite file read-only and checks it (backups, restores).
    pub fn check_file(path: &Path) -> Result<(), StoreError> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| {
                StoreError::Corrupt {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                }
            })?;
        check_integrity(&conn, path)
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.data_dir
    }

    /// A write transaction that takes the write lock at once, so two windows
    /// on the same machine never interleave their writes.
    pub fn write(&mut self) -> Result<Transaction<'_>, StoreError> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// A terminal-wide setting (hospital name, terminal code, printer…).
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        get_setting(&self.conn, key)
    }
}

/// Whether the database has a table named `name` (a file from before the
/// migration that made it has not).
pub fn has_table(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?
        .exists([name])
}

/// Reads a setting through any connection or transaction.
pub fn get_setting(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get::<_, String>(0)
        })
        .optional()?)
}

/// Writes a setting inside the caller's transaction (which also writes the
/// audit entry for the change).
pub fn put_setting(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

fn with_path(e: StoreError, path: &Path) -> StoreError {
    match e {
        // A WAL database on a read-only disk or in a read-only folder cannot
        // have its -wal/-shm files created: SQLite says "unable to open".
        // Named: the folder when it is the one that cannot be written (a
        // data directory on a read-only disk, or another user's), else the
        // file.
        StoreError::Sqlite(ref inner)
            if inner.sqlite_error_code() == Some(rusqlite::ErrorCode::CannotOpen)
                && !writable(path) =>
        {
            StoreError::ReadOnlyAt(read_only_part(path))
        }
        StoreError::ReadOnly if !writable(path) => StoreError::ReadOnlyAt(read_only_part(path)),
        StoreError::Corrupt { detail, .. } => StoreError::Corrupt {
            path: path.to_path_buf(),
            detail,
        },
        StoreError::TooNew {
            found, supported, ..
        } => StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            supported,
        },
        other => other,
    }
}

/// The folder of `db` when this process may not write it, else `db`.
fn read_only_part(db: &Path) -> PathBuf {
    match db.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !can_write(dir) => dir.to_path_buf(),
        _ => db.to_path_buf(),
    }
}

/// Whether this process may write the database file and its folder (where
/// SQLite creates the -wal and -shm files).
fn writable(db: &Path) -> bool {
    can_write(db)
        && db
            .parent()
            .is_none_or(|d| d.as_os_str().is_empty() || can_write(d))
}

/// `access(2)` also answers for a read-only mount and an immutable file,
/// which bind root too.
#[cfg(unix)]
fn can_write(p: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(p.as_os_str().as_bytes())
        // SAFETY: a valid NUL-terminated path; access only reads it.
        .is_ok_and(|c| unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0)
}

#[cfg(not(unix))]
fn can_write(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| !m.permissions().readonly())
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // journal_mode returns a row; a database on a read-only disk keeps its mode.
    let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    conn.execute_batch(
        "PRAGMA synchronous=FULL;
         PRAGMA foreign_keys=ON;
         PRAGMA trusted_schema=OFF;",
    )?;
    Ok(())
}

/// `PRAGMA integrity_check`, naming the file when it fails.
pub fn check_integrity(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let corrupt = |detail: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    let mut stmt = conn
        .prepare("PRAGMA integrity_check")
        .map_err(|e| corrupt(e.to_string()))?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(|e| corrupt(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| corrupt(e.to_string()))?;
    if rows.len() == 1 && rows[0] == "ok" {
        Ok(())
    } else {
        Err(corrupt(rows.join("; ")))
    }
}
