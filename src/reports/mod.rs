//! Finance reports after an outage (财务报表): the shift closes of a day per
//! cashier, the day's totals by fee category and payment method, and the
//! after-action report of an outage episode with its hourly chart. Each is
//! built once from the database as a typed struct ([`data`]) and rendered
//! twice: as an A4 PDF through the print kit ([`pdf`]) and as a CSV whose
//! text cells are neutralised against spreadsheet formulas ([`csv`]).
//!
//! A finance station imports other terminals' journals into the same
//! tables as its own records, so every report reads all terminals and
//! groups by `receipts.terminal`.

pub mod csv;
pub mod data;
pub mod pdf;

pub use data::{
    DailyReport, DayTotals, EpisodeRow, OutageReport, Report, ShiftReport, build_daily,
    build_outage, build_shift,
};

use std::path::{Path, PathBuf};

use crate::auth::{AuthError, Role, Session};
use crate::clock::Clock;
use crate::error::{ErrorKind, UserFacing};
use crate::i18n::Lang;
use crate::print::PrintError;
use crate::store::StoreError;

/// The three reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Shift,
    Daily,
    Outage,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Shift, Kind::Daily, Kind::Outage];

    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim() {
            "shift" => Some(Kind::Shift),
            "daily" => Some(Kind::Daily),
            "outage" => Some(Kind::Outage),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Shift => "shift",
            Kind::Daily => "daily",
            Kind::Outage => "outage",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Kind::Shift => lang.pick("交班汇总", "Shift closes"),
            Kind::Daily => lang.pick("日报", "Daily totals"),
            Kind::Outage => lang.pick("停机总结报告", "Outage after-action"),
        }
    }
}

/// What the file name asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Csv,
}

impl Format {
    /// From the extension of `path` (`.pdf` or `.csv`, any case).
    pub fn of(path: &Path) -> Result<Format, ReportError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("pdf") => Ok(Format::Pdf),
            Some("csv") => Ok(Format::Csv),
            _ => Err(ReportError::BadExtension(path.to_path_buf())),
        }
    }
}

/// Why a report was not produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("--out {0}: the file name must end in .pdf or .csv")]
    BadExtension(PathBuf),
    #[error("--date \"{0}\" is not a date (YYYY-MM-DD)")]
    BadDate(String),
    #[error("the {0} report takes --date, not --episode")]
    EpisodeNotApplicable(&'static str),
    #[error("the outage report takes --episode, not --date")]
    DateNotApplicable,
    #[error("episode {0} does not exist")]
    NoSuchEpisode(i64),
    #[error("no outage episode has been declared yet: there is nothing to report")]
    NoEpisode,
    #[error("a stored record cannot be read ({record}: {detail}): the database was altered")]
    BadRecord { record: String, detail: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Writing CSV into memory failed (a bug, not the user's input).
    #[error("the CSV could not be produced: {0}")]
    Csv(String),
    #[error(transparent)]
    Print(#[from] PrintError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ReportError {
    fn from(e: rusqlite::Error) -> Self {
        ReportError::Store(e.into())
    }
}

impl UserFacing for ReportError {
    fn kind(&self) -> ErrorKind {
        match self {
            ReportError::BadExtension(_)
            | ReportError::BadDate(_)
            | ReportError::EpisodeNotApplicable(_)
            | ReportError::DateNotApplicable
            | ReportError::NoSuchEpisode(_) => ErrorKind::Invalid,
            ReportError::NoEpisode => ErrorKind::Conflict,
            ReportError::BadRecord { .. } => ErrorKind::Verification,
            ReportError::Write { .. } | ReportError::Csv(_) => ErrorKind::Internal,
            ReportError::Print(e) => e.kind(),
            ReportError::Auth(e) => e.kind(),
            ReportError::Store(e) => e.kind(),
        }
    }

    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (ReportError::Print(e), _) => e.message(lang),
            (ReportError::Auth(e), _) => e.message(lang),
            (ReportError::Store(e), _) => e.message(lang),
            (e, Lang::En) => e.to_string(),
            (ReportError::BadExtension(p), Lang::Zh) => {
                format!("--out {}：文件名须以 .pdf 或 .csv 结尾", p.display())
            }
            (ReportError::BadDate(d), Lang::Zh) => {
                format!("--date “{d}”不是有效日期（YYYY-MM-DD）")
            }
            (ReportError::EpisodeNotApplicable(k), Lang::Zh) => {
                format!("{k} 报表使用 --date，不接受 --episode")
            }
            (ReportError::DateNotApplicable, Lang::Zh) => {
                "停机总结报告使用 --episode，不接受 --date".into()
            }
            (ReportError::NoSuchEpisode(id), Lang::Zh) => format!("应急事件 {id} 不存在"),
            (ReportError::NoEpisode, Lang::Zh) => "尚未宣布任何应急事件，没有可报告的内容".into(),
            (ReportError::BadRecord { record, detail }, Lang::Zh) => {
                format!("已存记录无法读取（{record}：{detail}）：数据库被改动过")
            }
            (ReportError::Csv(e), Lang::Zh) => format!("无法生成 CSV：{e}"),
            (ReportError::Write { path, source }, Lang::Zh) => {
                format!("无法写入 {}：{source}", path.display())
            }
        }
    }
}

/// What to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub kind: Kind,
    /// Shift and daily: the day (default: today by the clock).
    pub date: Option<chrono::NaiveDate>,
    /// Outage: the episode (default: the newest declared).
    pub episode: Option<i64>,
}

/// Parses `--date`.
pub fn parse_date(s: &str) -> Result<chrono::NaiveDate, ReportError> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| ReportError::BadDate(s.to_string()))
}

/// Who may read reports: finance and admin.
pub fn require_role(session: &Session) -> Result<(), ReportError> {
    Ok(session.require_any(&[Role::Finance, Role::Admin], "print finance reports")?)
}

/// Builds the report `req` asks for.
pub fn build(
    conn: &rusqlite::Connection,
    req: &Request,
    clock: &dyn Clock,
    printed_by: &str,
) -> Result<Report, ReportError> {
    let today = clock.now().date_naive();
    match req.kind {
        Kind::Shift | Kind::Daily if req.episode.is_some() => {
            Err(ReportError::EpisodeNotApplicable(req.kind.as_str()))
        }
        Kind::Outage if req.date.is_some() => Err(ReportError::DateNotApplicable),
        Kind::Shift => Ok(Report::Shift(build_shift(
            conn,
            req.date.unwrap_or(today),
            clock,
            printed_by,
        )?)),
        Kind::Daily => Ok(Report::Daily(Box::new(build_daily(
            conn,
            req.date.unwrap_or(today),
            clock,
            printed_by,
        )?))),
        Kind::Outage => Ok(Report::Outage(Box::new(build_outage(
            conn,
            req.episode,
            clock,
            printed_by,
        )?))),
    }
}

/// The report as bytes in `format`.
pub fn render(report: &Report, format: Format) -> Result<Vec<u8>, ReportError> {
    match format {
        Format::Pdf => pdf::render(report),
        Format::Csv => csv::render(report),
    }
}

/// Builds, renders and writes the report to `out` (format by extension).
/// Read-only: nothing in the database changes.
pub fn write(
    conn: &rusqlite::Connection,
    req: &Request,
    clock: &dyn Clock,
    printed_by: &str,
    out: &Path,
) -> Result<Report, ReportError> {
    let format = Format::of(out)?;
    let report = build(conn, req, clock, printed_by)?;
    let bytes = render(&report, format)?;
    std::fs::write(out, bytes).map_err(|source| ReportError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(report)
}
