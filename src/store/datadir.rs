//! Where a terminal keeps its files: `--data-dir`, env
//! `DOWNTIME_BILLING_DATA_DIR`, or the platform data directory.

use super::StoreError;
use std::path::{Path, PathBuf};

pub const ENV_DATA_DIR: &str = "DOWNTIME_BILLING_DATA_DIR";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    /// The explicit directory if given, else the environment, else the
    /// platform default: `~/.local/share/downtime-billing` on Linux,
    /// `%LOCALAPPDATA%\downtime-billing\data` on Windows.
    ///
    /// The local, not the roaming, application data on Windows: a domain
    /// may redirect or sync the roaming folder to a server share at logon
    /// and logoff, which is no place for a live database (and would be
    /// refused as a network path). On Linux the two are the same folder.
    pub fn resolve(explicit: Option<&Path>) -> DataDir {
        if let Some(p) = explicit {
            return DataDir::new(p);
        }
        if let Some(p) = std::env::var_os(ENV_DATA_DIR).filter(|p| !p.is_empty()) {
            return DataDir::new(PathBuf::from(p));
        }
        let root = directories::ProjectDirs::from("", "", "downtime-billing")
            .map(|d| d.data_local_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from("downtime-billing-data"));
        DataDir::new(root)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn db_path(&self) -> PathBuf {
        self.root.join("downtime-billing.sqlite3")
    }
    pub fn key_path(&self) -> PathBuf {
        self.root.join("signing.key")
    }
    pub fn backups_dir(&self) -> PathBuf {
        self.root.join("backups")
    }
    pub fn receipts_dir(&self) -> PathBuf {
        self.root.join("receipts")
    }
    pub fn reports_dir(&self) -> PathBuf {
        self.root.join("reports")
    }
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// Creates the directory — never on a network share (refused first, so
    /// setup on `\\server\share` says why instead of failing to create it).
    pub fn ensure(&self) -> Result<(), StoreError> {
        super::netfs::refuse_network_path(&self.root)?;
        std::fs::create_dir_all(&self.root).map_err(|source| StoreError::Io {
            path: self.root.clone(),
            source,
        })
    }

    pub fn is_set_up(&self) -> bool {
        self.db_path().exists()
    }
}
