//! Monthly price-list snapshots: the model every receipt is priced from.
//! An admin imports one list per month (CSV in UTF-8 or GBK, XLSX, JSON);
//! the import is all or nothing, and a snapshot never changes once stored.
//! The snapshot in force for a date is the newest whose month is not after
//! that date.
//!
//! - [`parse`]: a file → items, or every problem with file:row:column.
//! - [`import`](mod@import): preview (problems, warnings, diff, month held?)
//!   and the one-transaction import with its audit entry.
//! - [`book`]: the monthly price book (PDF binder).
//! - [`db`]: the snapshot tables (read by receipts, search, the price book).
//! - [`diff`]: added / removed / price-changed items between two lists.
//! - [`pinyin`], [`search`]: the cashier's item search.

pub mod book;
pub mod checks;
pub mod db;
pub mod diff;
pub mod import;
pub mod model;
pub mod parse;
pub mod pinyin;
pub mod problem;
pub mod search;

pub use db::{
    find_item, for_each_item, items, snapshot, snapshot_before, snapshot_for_month,
    snapshot_in_force, snapshots,
};
pub use diff::{PriceChange, PriceDiff, diff};
pub use import::{
    ImportOutcome, ImportProgress, ImportReport, ImportStage, MonthStatus, Preview, import,
    import_parsed, preview, preview_analysis,
};
pub use model::{Category, PriceItem, Snapshot};
pub use parse::{Analysis, ParsedList, SourceFormat, analyse_bytes, analyse_file, month_in_text};
pub use problem::{Problem, ProblemKind};

use crate::auth::AuthError;
use crate::domain::Month;
use crate::error::{ErrorKind, Remedy, UserFacing};
use crate::i18n::Lang;
use crate::store::StoreError;
use std::path::{Path, PathBuf};

/// Why a price-list operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file has problems; nothing was imported.
    #[error("{file}: {} problem(s), nothing imported", problems.len())]
    Rejected {
        file: String,
        problems: Vec<Problem>,
    },
    /// A different list is already held for the month.
    #[error(
        "a price list for {month} is already held ({} from {}, sha256 {}); {file} differs, nothing imported. Snapshots are never replaced",
        existing.file_name, existing.imported_at, existing.sha256
    )]
    MonthHeld {
        month: Month,
        file: String,
        existing: Box<Snapshot>,
    },
    /// No month given and none could be asked for.
    #[error("the month of the price list is needed (YYYY-MM){}", hint.map(|m| format!(" (the file name suggests {m})")).unwrap_or_default())]
    NoMonth { hint: Option<Month> },
    #[error("no price list is held for {0}")]
    NoSnapshot(Month),
    #[error("no price list is in force on {0} (none for that month or before)")]
    NoneInForce(chrono::NaiveDate),
    /// A stored record does not read back as it was written.
    #[error("the stored record {record} is not valid ({detail}): the database was altered")]
    BadRecord { record: String, detail: String },
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for PriceError {
    fn from(e: rusqlite::Error) -> Self {
        PriceError::Store(e.into())
    }
}

impl UserFacing for PriceError {
    fn remedy(&self) -> Option<Remedy> {
        match self {
            PriceError::NoMonth { .. } => Some(Remedy::GiveMonth),
            PriceError::Auth(e) => e.remedy(),
            PriceError::Store(e) => e.remedy(),
            _ => None,
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            PriceError::Io { .. }
            | PriceError::Rejected { .. }
            | PriceError::NoMonth { .. }
            | PriceError::NoSnapshot(_)
            | PriceError::NoneInForce(_) => ErrorKind::Invalid,
            PriceError::MonthHeld { .. } => ErrorKind::Conflict,
            PriceError::BadRecord { .. } => ErrorKind::Verification,
            PriceError::Auth(e) => e.kind(),
            PriceError::Store(e) => e.kind(),
        }
    }

    /// A rejected file gives one line per problem (`FILE:ROW:COLUMN:
    /// message`) after a first line saying nothing was imported.
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (PriceError::Rejected { file, problems }, _) => {
                let head = match lang {
                    Lang::Zh => format!("{file}：发现 {} 个问题，未导入任何内容", problems.len()),
                    Lang::En => self.to_string(),
                };
                std::iter::once(head)
                    .chain(problems.iter().map(|p| p.render(lang)))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            (PriceError::Auth(e), _) => e.message(lang),
            (PriceError::Store(e), _) => e.message(lang),
            (e, Lang::En) => e.to_string(),
            (PriceError::Io { path, source }, Lang::Zh) => {
                format!("无法读取 {}：{source}", path.display())
            }
            (
                PriceError::MonthHeld {
                    month,
                    file,
                    existing,
                },
                Lang::Zh,
            ) => format!(
                "{month} 已有价格表（{}，{} 导入，sha256 {}）；{file} 与之不同，未导入任何内容。已导入的价格表不可替换",
                existing.file_name, existing.imported_at, existing.sha256
            ),
            (PriceError::NoMonth { hint }, Lang::Zh) => format!(
                "需要指定价格表的月份（YYYY-MM）{}",
                hint.map(|m| format!("（文件名提示为 {m}）"))
                    .unwrap_or_default()
            ),
            (PriceError::NoSnapshot(m), Lang::Zh) => format!("没有 {m} 的价格表"),
            (PriceError::NoneInForce(d), Lang::Zh) => {
                format!("{d} 没有生效的价格表（该月及之前均未导入）")
            }
            (PriceError::BadRecord { record, detail }, Lang::Zh) => {
                format!("已存记录 {record} 无效（{detail}）：数据库被改动过")
            }
        }
    }
}

/// Reads and checks a price-list file: the items (with warnings), or
/// [`PriceError::Rejected`] listing every problem.
pub fn parse_file(path: &Path) -> Result<ParsedList, PriceError> {
    let analysis = analyse_file(path).map_err(|source| PriceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    analysis.into_result()
}

impl Analysis {
    /// The list when the file is valid, else every problem.
    pub fn into_result(self) -> Result<ParsedList, PriceError> {
        if self.problems.is_empty() {
            Ok(self.list)
        } else {
            Err(PriceError::Rejected {
                file: self.list.file_name,
                problems: self.problems,
            })
        }
    }
}
