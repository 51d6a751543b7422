//! Working days and exchange deadlines.
//!
//! A manual receipt must be exchanged for an HIS invoice within 15 working
//! days of its issue date, and the deadline is printed on every receipt.
//! Working days are not a formula: the State Council publishes each year's
//! public holidays and the weekend make-up working days (调休) a few weeks
//! before the year starts. So the calendar is data, one official schedule per
//! year (format in `assets/calendar/README.md`), shipped for 2026 and loaded
//! at setup, later years imported by an admin. A year that is not held is
//! never guessed: a deadline that needs it is [`Deadline::Unconfirmed`], and
//! [`coverage_warning`] tells the admin before that happens.

use crate::audit::{self, Actor};
use crate::auth::{AuthError, Role, Session};
use crate::clock::{Clock, stamp};
use crate::error::{ErrorKind, UserFacing};
use crate::i18n::Lang;
use crate::store::{Store, StoreError};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The exchange deadline is this many working days after the issue date.
pub const WORKING_DAYS: u32 = 15;

/// How far ahead the admin is warned about a missing year: receipts issued
/// within this many days must get a confirmed deadline.
pub const WARN_AHEAD_DAYS: i64 = 30;

/// The longest single holiday a schedule may declare. The longest official
/// one is 春节 (8–9 days); a longer range is almost surely a typo in a month.
pub const MAX_HOLIDAY_DAYS: i64 = 31;

/// Years a calendar file may describe.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// The schedules shipped with the program, loaded at setup.
pub const BUNDLED: &[(&str, &str)] = &[(
    "assets/calendar/2026.json",
    include_str!("../../assets/calendar/2026.json"),
)];

// ---------------------------------------------------------------------------
// Errors

/// What is wrong with one entry of a calendar file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryProblem {
    NotADate(String),
    OutsideYear { date: NaiveDate, year: i32 },
    FromAfterTo { from: NaiveDate, to: NaiveDate },
    TooLong { days: i64 },
    EmptyName,
    NotAWeekend { date: NaiveDate, weekday: Weekday },
    OverlapsHoliday { date: NaiveDate, other: String },
    DuplicateWorkday { date: NaiveDate, other: String },
    AlsoHoliday { date: NaiveDate, holiday: String },
    YearOutOfRange(i32),
    EmptySource,
    NoHolidays,
}

fn weekday_zh(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

fn weekday_en(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

impl EntryProblem {
    fn message(&self, lang: Lang) -> String {
        use EntryProblem::*;
        match (self, lang) {
            (NotADate(s), Lang::Zh) => format!("“{s}”不是日期（格式 YYYY-MM-DD）"),
            (NotADate(s), Lang::En) => format!("'{s}' is not a date (expected YYYY-MM-DD)"),
            (OutsideYear { date, year }, Lang::Zh) => {
                format!("{date} 不在 {year} 年内（每个文件只描述一年）")
            }
            (OutsideYear { date, year }, Lang::En) => {
                format!("{date} is not in {year} (a file describes one year)")
            }
            (FromAfterTo { from, to }, Lang::Zh) => {
                format!("开始日期 {from} 晚于结束日期 {to}")
            }
            (FromAfterTo { from, to }, Lang::En) => format!("from {from} is after to {to}"),
            (TooLong { days }, Lang::Zh) => {
                format!("假期长达 {days} 天，超过 {MAX_HOLIDAY_DAYS} 天，请检查月份")
            }
            (TooLong { days }, Lang::En) => format!(
                "the holiday lasts {days} days, more than {MAX_HOLIDAY_DAYS}: check the months"
            ),
            (EmptyName, Lang::Zh) => "名称不能为空".into(),
            (EmptyName, Lang::En) => "the name must not be empty".into(),
            (NotAWeekend { date, weekday }, Lang::Zh) => format!(
                "{date} 是{}：调休上班日必须是周六或周日",
                weekday_zh(*weekday)
            ),
            (NotAWeekend { date, weekday }, Lang::En) => {
                format!(
                    "{date} is a {}: a make-up working day must be a Saturday or Sunday",
                    weekday_en(*weekday)
                )
            }
            (OverlapsHoliday { date, other }, Lang::Zh) => {
                format!("{date} 已在假期“{other}”中")
            }
            (OverlapsHoliday { date, other }, Lang::En) => {
                format!("{date} is already in the holiday '{other}'")
            }
            (DuplicateWorkday { date, other }, Lang::Zh) => {
                format!("{date} 已列为调休上班日“{other}”")
            }
            (DuplicateWorkday { date, other }, Lang::En) => {
                format!("{date} is already listed as the make-up working day '{other}'")
            }
            (AlsoHoliday { date, holiday }, Lang::Zh) => {
                format!("{date} 同时是假期“{holiday}”和上班日")
            }
            (AlsoHoliday { date, holiday }, Lang::En) => {
                format!("{date} is both in the holiday '{holiday}' and a working day")
            }
            (YearOutOfRange(y), Lang::Zh) => {
                format!("年份 {y} 超出范围（{}–{}）", YEARS.start(), YEARS.end())
            }
            (YearOutOfRange(y), Lang::En) => format!(
                "year {y} is out of range ({}–{})",
                YEARS.start(),
                YEARS.end()
            ),
            (EmptySource, Lang::Zh) => "必须写明来源（发布通知的名称）".into(),
            (EmptySource, Lang::En) => "the source (the published notice) must be given".into(),
            (NoHolidays, Lang::Zh) => "没有任何假期：官方安排每年都有假期".into(),
            (NoHolidays, Lang::En) => "no holidays listed: every official schedule has some".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("{file}: cannot read: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}:{column}: not a calendar file: {detail}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        detail: String,
    },
    #[error("{file}: {entry}: {}", .problem.message(Lang::En))]
    Entry {
        file: String,
        /// Where in the file: `year`, `source`, `holidays[2] (春节)`, `workdays[0] (春节调休)`.
        entry: String,
        problem: EntryProblem,
    },
    #[error(
        "{file}: a different schedule for {year} is already held (imported by {by} at {at}); nothing was changed. Re-run with --replace to record the new one (the old one stays in the history)"
    )]
    Changed {
        file: String,
        year: i32,
        by: String,
        at: String,
    },
    #[error("'{0}' is not a date (expected YYYY-MM-DD)")]
    BadDate(String),
    #[error("no calendar is held for {0}")]
    YearNotHeld(i32),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for CalendarError {
    fn from(e: rusqlite::Error) -> Self {
        CalendarError::Store(e.into())
    }
}

impl UserFacing for CalendarError {
    fn kind(&self) -> ErrorKind {
        match self {
            CalendarError::Read { .. }
            | CalendarError::Json { .. }
            | CalendarError::Entry { .. }
            | CalendarError::BadDate(_) => ErrorKind::Invalid,
            CalendarError::Changed { .. } | CalendarError::YearNotHeld(_) => ErrorKind::Conflict,
            CalendarError::Auth(e) => e.kind(),
            CalendarError::Store(e) => e.kind(),
        }
    }

    fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            CalendarError::Read { file, source } => format!("{file}：无法读取：{source}"),
            CalendarError::Json {
                file,
                line,
                column,
                detail,
            } => format!("{file}:{line}:{column}：不是节假日安排文件：{detail}"),
            CalendarError::Entry {
                file,
                entry,
                problem,
            } => format!("{file}：{entry}：{}", problem.message(Lang::Zh)),
            CalendarError::Changed { file, year, by, at } => format!(
                "{file}：已有另一份 {year} 年的节假日安排（{by} 于 {at} 导入）；未做任何更改。如确需更正，请加 --replace 重新导入（旧安排保留在历史中）"
            ),
            CalendarError::BadDate(s) => format!("“{s}”不是日期（格式 YYYY-MM-DD）"),
            CalendarError::YearNotHeld(y) => format!("没有 {y} 年的节假日安排"),
            CalendarError::Auth(e) => e.message(lang),
            CalendarError::Store(e) => e.message(lang),
        }
    }
}

/// Setup loads the bundled schedules inside its own transaction. A bundled
/// file that does not validate is a build defect (a unit test parses every
/// one); it is reported as unreadable program data, naming the file.
impl From<CalendarError> for crate::setup::SetupError {
    fn from(e: CalendarError) -> Self {
        match e {
            CalendarError::Store(s) => crate::setup::SetupError::Store(s),
            CalendarError::Auth(a) => crate::setup::SetupError::Auth(a),
            other => crate::setup::SetupError::Store(StoreError::Io {
                path: std::path::PathBuf::from(
                    BUNDLED.first().map(|b| b.0).unwrap_or("assets/calendar"),
                ),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, other.to_string()),
            }),
        }
    }
}

// ---------------------------------------------------------------------------
// One year's schedule, as a file describes it

/// A public holiday: every day from `from` to `to` (inclusive) is off.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Holiday {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A weekend day declared a working day (调休).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MakeUpDay {
    pub name: String,
    pub date: NaiveDate,
}

/// One year's official schedule, validated. Entries are kept in date order,
/// so two files that say the same thing in another order are identical.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct YearCalendar {
    pub year: i32,
    pub source: String,
    pub holidays: Vec<Holiday>,
    pub workdays: Vec<MakeUpDay>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    year: i32,
    source: String,
    holidays: Vec<RawHoliday>,
    #[serde(default)]
    workdays: Vec<RawWorkday>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    name: String,
    from: String,
    to: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkday {
    name: String,
    date: String,
}

/// Parses `YYYY-MM-DD` exactly (zero-padded, nothing around it).
pub fn parse_date(s: &str) -> Result<NaiveDate, CalendarError> {
    strict_date(s).ok_or_else(|| CalendarError::BadDate(s.trim().to_string()))
}

fn strict_date(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    let b = t.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl YearCalendar {
    /// Parses and validates a calendar file's bytes. `file` names the file in
    /// every message; the first problem found is reported with the entry it
    /// is about.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<YearCalendar, CalendarError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let raw: RawFile = serde_json::from_slice(bytes).map_err(|e| CalendarError::Json {
            file: file.to_string(),
            line: e.line(),
            column: e.column(),
            // The position is already in line:column; keep only what is wrong.
            detail: {
                let full = e.to_string();
                let suffix = format!(" at line {} column {}", e.line(), e.column());
                full.strip_suffix(&suffix).unwrap_or(&full).to_string()
            },
        })?;
        let fail = |entry: String, problem: EntryProblem| CalendarError::Entry {
            file: file.to_string(),
            entry,
            problem,
        };
        let year = raw.year;
        if !YEARS.contains(&year) {
            return Err(fail("year".into(), EntryProblem::YearOutOfRange(year)));
        }
        let source = raw.source.trim().to_string();
        if source.is_empty() {
            return Err(fail("source".into(), EntryProblem::EmptySource));
        }
        if raw.holidays.is_empty() {
            return Err(fail("holidays".into(), EntryProblem::NoHolidays));
        }
        let in_year = |entry: &str, s: &str| -> Result<NaiveDate, CalendarError> {
            let d = strict_date(s)
                .ok_or_else(|| fail(entry.to_string(), EntryProblem::NotADate(s.to_string())))?;
            if d.year() != year {
                return Err(fail(
                    entry.to_string(),
                    EntryProblem::OutsideYear { date: d, year },
                ));
            }
            Ok(d)
        };

        // Every day off, with the holiday it belongs to.
        let mut off: BTreeMap<NaiveDate, String> = BTreeMap::new();
        let mut holidays = Vec::with_capacity(raw.holidays.len());
        for (i, h) in raw.holidays.iter().enumerate() {
            let name = h.name.trim().to_string();
            let entry = format!("holidays[{i}] ({name})");
            if name.is_empty() {
                return Err(fail(entry, EntryProblem::EmptyName));
            }
            let from = in_year(&entry, &h.from)?;
            let to = in_year(&entry, &h.to)?;
            if from > to {
                return Err(fail(entry, EntryProblem::FromAfterTo { from, to }));
            }
            let days = (to - from).num_days() + 1;
            if days > MAX_HOLIDAY_DAYS {
                return Err(fail(entry, EntryProblem::TooLong { days }));
            }
            for d in from.iter_days().take(days as usize) {
                if let Some(other) = off.insert(d, name.clone()) {
                    return Err(fail(
                        entry,
                        EntryProblem::OverlapsHoliday { date: d, other },
                    ));
                }
            }
            holidays.push(Holiday { name, from, to });
        }

        let mut work: BTreeMap<NaiveDate, String> = BTreeMap::new();
        let mut workdays = Vec::with_capacity(raw.workdays.len());
        for (i, w) in raw.workdays.iter().enumerate() {
            let name = w.name.trim().to_string();
            let entry = format!("workdays[{i}] ({name})");
            if name.is_empty() {
                return Err(fail(entry, EntryProblem::EmptyName));
            }
            let date = in_year(&entry, &w.date)?;
            if let Some(holiday) = off.get(&date) {
                return Err(fail(
                    entry,
                    EntryProblem::AlsoHoliday {
                        date,
                        holiday: holiday.clone(),
                    },
                ));
            }
            if !is_weekend(date) {
                return Err(fail(
                    entry,
                    EntryProblem::NotAWeekend {
                        date,
                        weekday: date.weekday(),
                    },
                ));
            }
            if let Some(other) = work.insert(date, name.clone()) {
                return Err(fail(entry, EntryProblem::DuplicateWorkday { date, other }));
            }
            workdays.push(MakeUpDay { name, date });
        }
        holidays.sort_by_key(|h| h.from);
        workdays.sort_by_key(|w| w.date);
        Ok(YearCalendar {
            year,
            source,
            holidays,
            workdays,
        })
    }

    /// Reads and parses a file; messages name it as given.
    pub fn read(path: &Path) -> Result<YearCalendar, CalendarError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| CalendarError::Read {
            file: file.clone(),
            source,
        })?;
        YearCalendar::parse(&file, &bytes)
    }

    /// SHA-256 of the canonical form: equal for two files that declare the
    /// same schedule, whatever their order, spacing or file name.
    pub fn fingerprint(&self) -> String {
        let canonical = serde_json::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(canonical.as_bytes()))
    }

    fn days(&self) -> YearDays {
        let mut days = YearDays::default();
        for h in &self.holidays {
            let n = (h.to - h.from).num_days() + 1;
            days.off.extend(h.from.iter_days().take(n.max(0) as usize));
        }
        days.work.extend(self.workdays.iter().map(|w| w.date));
        days
    }
}

// ---------------------------------------------------------------------------
// The calendar in force: every year held

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct YearDays {
    off: BTreeSet<NaiveDate>,
    work: BTreeSet<NaiveDate>,
}

/// The exchange deadline of a receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deadline {
    /// The 15th working day after the issue date.
    Date(NaiveDate),
    /// The count reached a year whose holiday schedule is not held; the
    /// deadline is to be confirmed once the admin imports it.
    Unconfirmed { missing_year: i32 },
}

impl Deadline {
    pub fn date(&self) -> Option<NaiveDate> {
        match self {
            Deadline::Date(d) => Some(*d),
            Deadline::Unconfirmed { .. } => None,
        }
    }

    pub fn is_confirmed(&self) -> bool {
        matches!(self, Deadline::Date(_))
    }

    /// The sentence printed on the receipt.
    pub fn receipt_text(&self, lang: Lang) -> String {
        match (self, lang) {
            (Deadline::Date(d), Lang::Zh) => {
                format!(
                    "请于 {} 前凭本票据到收费窗口换取正式发票",
                    d.format("%Y-%m-%d")
                )
            }
            (Deadline::Date(d), Lang::En) => format!(
                "Exchange this receipt for an official invoice at the cashier window by {}",
                d.format("%Y-%m-%d")
            ),
            // For the patient: the rule they can act on now, and why the
            // date itself is not printed.
            (Deadline::Unconfirmed { missing_year }, Lang::Zh) => format!(
                "请于开票后 {WORKING_DAYS} 个工作日内凭本票据到收费窗口换取正式发票（截止日期待确认，取决于 {missing_year} 年节假日安排）"
            ),
            (Deadline::Unconfirmed { missing_year }, Lang::En) => format!(
                "Exchange this receipt for an official invoice at the cashier window within {WORKING_DAYS} working days of issue (exact deadline to be confirmed: it depends on the {missing_year} holiday schedule)"
            ),
        }
    }

    /// Both languages at once: (Chinese, English).
    pub fn receipt_texts(&self) -> (String, String) {
        (self.receipt_text(Lang::Zh), self.receipt_text(Lang::En))
    }

    /// The machine-readable answer for an issue date (`calendar deadline --json`).
    pub fn report(&self, issue_date: NaiveDate) -> DeadlineReport {
        DeadlineReport {
            issue_date: issue_date.format("%Y-%m-%d").to_string(),
            deadline: self.date().map(|d| d.format("%Y-%m-%d").to_string()),
            working_days: WORKING_DAYS,
            confirmed: self.is_confirmed(),
            missing_year: match self {
                Deadline::Date(_) => None,
                Deadline::Unconfirmed { missing_year } => Some(*missing_year),
            },
        }
    }
}

/// `{"issue_date","deadline","working_days":15,"confirmed":true}`;
/// `deadline` is null and `missing_year` set when unconfirmed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeadlineReport {
    pub issue_date: String,
    pub deadline: Option<String>,
    pub working_days: u32,
    pub confirmed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_year: Option<i32>,
}

/// Every year held, as it is in force (the newest import of each year).
/// Load it once to compute many deadlines (finance's tracker).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, YearDays>,
}

impl Calendar {
    /// A calendar from schedules in memory (tests, previews of a file).
    pub fn from_years<'a>(years: impl IntoIterator<Item = &'a YearCalendar>) -> Calendar {
        Calendar {
            years: years.into_iter().map(|y| (y.year, y.days())).collect(),
        }
    }

    /// The calendar in force in the database.
    pub fn load(conn: &Connection) -> Result<Calendar, CalendarError> {
        let mut stmt = conn.prepare_cached(
            "SELECT i.year, e.kind, e.from_date, e.to_date
               FROM calendar_entries e JOIN calendar_imports i ON i.id = e.import_id
              WHERE i.id IN (SELECT MAX(id) FROM calendar_imports GROUP BY year)",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut years: BTreeMap<i32, YearDays> = BTreeMap::new();
        for row in rows {
            let (year, kind, from, to) = row?;
            let corrupt = || {
                CalendarError::Store(StoreError::Corrupt {
                    path: Default::default(),
                    detail: format!("calendar entry {kind} {from}..{to} of {year} is malformed"),
                })
            };
            let year = i32::try_from(year).map_err(|_| corrupt())?;
            let (from, to) = match (strict_date(&from), strict_date(&to)) {
                (Some(f), Some(t)) if f <= t => (f, t),
                _ => return Err(corrupt()),
            };
            let days = years.entry(year).or_default();
            let n = (to - from).num_days() + 1;
            match kind.as_str() {
                "holiday" => days.off.extend(from.iter_days().take(n as usize)),
                "workday" => {
                    days.work.insert(from);
                }
                _ => return Err(corrupt()),
            }
        }
        // A year with an import but (impossibly) no entries is still held.
        let mut stmt = conn.prepare_cached("SELECT DISTINCT year FROM calendar_imports")?;
        for y in stmt.query_map([], |r| r.get::<_, i64>(0))? {
            if let Ok(y) = i32::try_from(y?) {
                years.entry(y).or_default();
            }
        }
        Ok(Calendar { years })
    }

    pub fn covers(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn covered_years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// `None` when the date's year is not held: never guessed.
    pub fn is_working_day(&self, date: NaiveDate) -> Option<bool> {
        let days = self.years.get(&date.year())?;
        Some(days.work.contains(&date) || (!is_weekend(date) && !days.off.contains(&date)))
    }

    /// The 15th working day after `issue_date` (which does not count).
    pub fn deadline(&self, issue_date: NaiveDate) -> Deadline {
        let mut day = issue_date;
        let mut counted = 0;
        while counted < WORKING_DAYS {
            day = match day.succ_opt() {
                Some(d) => d,
                None => {
                    return Deadline::Unconfirmed {
                        missing_year: day.year().saturating_add(1),
                    };
                }
            };
            match self.is_working_day(day) {
                Some(true) => counted += 1,
                Some(false) => {}
                None => {
                    return Deadline::Unconfirmed {
                        missing_year: day.year(),
                    };
                }
            }
        }
        Deadline::Date(day)
    }

    /// The warning for the admin's status bar, (Chinese, English), when a
    /// receipt issued within the next [`WARN_AHEAD_DAYS`] days would get an
    /// unconfirmed deadline.
    pub fn coverage_warning(&self, today: NaiveDate) -> Option<(String, String)> {
        let last_issue = today + Duration::days(WARN_AHEAD_DAYS);
        let missing = (today.year()..=last_issue.year())
            .find(|y| !self.covers(*y))
            .or(match self.deadline(last_issue) {
                Deadline::Unconfirmed { missing_year } => Some(missing_year),
                Deadline::Date(_) => None,
            })?;
        let first_affected = if missing <= today.year() {
            today
        } else {
            // The first issue date whose deadline reaches the missing year.
            let mut d = today;
            while d < last_issue && self.deadline(d).is_confirmed() {
                d = d.succ_opt().unwrap_or(last_issue);
            }
            d
        };
        Some((
            format!(
                "尚未导入 {missing} 年节假日安排：自 {} 起开具的票据，换票截止日期将显示为“待确认”。国务院公布后请用“节假日安排导入”（calendar import）导入",
                first_affected.format("%Y-%m-%d")
            ),
            format!(
                "The {missing} holiday schedule is not loaded: receipts issued from {} on get a to-be-confirmed exchange deadline. Import it (calendar import) once the State Council publishes it",
                first_affected.format("%Y-%m-%d")
            ),
        ))
    }
}

// ---------------------------------------------------------------------------
// Database-facing API

/// The exchange deadline for a receipt issued on `issue_date`.
pub fn deadline(conn: &Connection, issue_date: NaiveDate) -> Result<Deadline, CalendarError> {
    Ok(Calendar::load(conn)?.deadline(issue_date))
}

/// Whether `date` is a working day; `None` when its year is not held.
pub fn is_working_day(conn: &Connection, date: NaiveDate) -> Result<Option<bool>, CalendarError> {
    Ok(Calendar::load(conn)?.is_working_day(date))
}

/// The years whose schedule is held, ascending.
pub fn covered_years(conn: &Connection) -> Result<Vec<i32>, CalendarError> {
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT year FROM calendar_imports ORDER BY year")?;
    let years = stmt
        .query_map([], |r| r.get::<_, i64>(0))?
        .filter_map(|y| y.map(|y| i32::try_from(y).ok()).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(years)
}

/// See [`Calendar::coverage_warning`].
pub fn coverage_warning(
    conn: &Connection,
    today: NaiveDate,
) -> Result<Option<(String, String)>, CalendarError> {
    Ok(Calendar::load(conn)?.coverage_warning(today))
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// A year not held before.
    Imported,
    /// The same schedule was already held: nothing changed.
    Unchanged,
    /// A different schedule for a held year, recorded with `--replace`.
    Replaced,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportOutcome {
    pub file: String,
    pub year: i32,
    pub status: ImportStatus,
    pub holidays: usize,
    pub days_off: usize,
    pub workdays: usize,
    pub sha256: String,
}

struct HeldImport {
    id: i64,
    sha256: String,
    by: String,
    at: String,
}

fn held(conn: &Connection, year: i32) -> Result<Option<HeldImport>, CalendarError> {
    Ok(conn
        .query_row(
            "SELECT id, sha256, imported_by, imported_at FROM calendar_imports
              WHERE year = ?1 ORDER BY id DESC LIMIT 1",
            [year],
            |r| {
                Ok(HeldImport {
                    id: r.get(0)?,
                    sha256: r.get(1)?,
                    by: r.get(2)?,
                    at: r.get(3)?,
                })
            },
        )
        .optional()?)
}

/// Records a validated schedule inside the caller's transaction, with its
/// audit entry. An identical year is a no-op; a different schedule for a
/// held year is refused unless `replace`, and then recorded as a new import
/// that supersedes the old one (which stays).
pub fn import_in(
    conn: &Connection,
    actor: &Actor,
    clock: &dyn Clock,
    file: &str,
    cal: &YearCalendar,
    replace: bool,
) -> Result<ImportOutcome, CalendarError> {
    let sha256 = cal.fingerprint();
    let days = cal.days();
    let mut outcome = ImportOutcome {
        file: file.to_string(),
        year: cal.year,
        status: ImportStatus::Imported,
        holidays: cal.holidays.len(),
        days_off: days.off.len(),
        workdays: cal.workdays.len(),
        sha256: sha256.clone(),
    };
    let previous = held(conn, cal.year)?;
    if let Some(p) = &previous {
        if p.sha256 == sha256 {
            outcome.status = ImportStatus::Unchanged;
            return Ok(outcome);
        }
        if !replace {
            return Err(CalendarError::Changed {
                file: file.to_string(),
                year: cal.year,
                by: p.by.clone(),
                at: p.at.clone(),
            });
        }
        outcome.status = ImportStatus::Replaced;
    }
    conn.execute(
        "INSERT INTO calendar_imports(year, source, file_name, sha256, imported_by, imported_at, replaces)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            cal.year,
            cal.source,
            file,
            sha256,
            actor.user,
            stamp(clock.now()),
            previous.as_ref().map(|p| p.id),
        ],
    )?;
    let id = conn.last_insert_rowid();
    let mut insert = conn.prepare_cached(
        "INSERT INTO calendar_entries(import_id, seq, kind, name, from_date, to_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let entries = cal
        .holidays
        .iter()
        .map(|h| ("holiday", &h.name, h.from, h.to))
        .chain(
            cal.workdays
                .iter()
                .map(|w| ("workday", &w.name, w.date, w.date)),
        );
    for (seq, (kind, name, from, to)) in entries.enumerate() {
        insert.execute(rusqlite::params![
            id,
            seq as i64,
            kind,
            name,
            from.format("%Y-%m-%d").to_string(),
            to.format("%Y-%m-%d").to_string(),
        ])?;
    }
    audit::record(
        conn,
        actor,
        clock,
        "calendar.import",
        &[format!("calendar:{}", cal.year)],
        serde_json::json!({
            "year": cal.year,
            "source": cal.source,
            "file": file,
            "sha256": sha256,
            "status": outcome.status,
            "replaces": previous.as_ref().map(|p| p.id),
        }),
    )?;
    Ok(outcome)
}

/// `calendar import FILE`: an admin records a year's schedule. The file is
/// read and validated before the database is touched.
pub fn import_file(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    path: &Path,
    replace: bool,
) -> Result<ImportOutcome, CalendarError> {
    session.require(Role::Admin, "import a holiday calendar")?;
    let cal = YearCalendar::read(path)?;
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let tx = store.write()?;
    let outcome = import_in(&tx, &Actor::of(session), clock, &file, &cal, replace)?;
    if outcome.status != ImportStatus::Unchanged {
        tx.commit()?;
    }
    Ok(outcome)
}

/// Loads the schedules shipped with the program (setup, inside its
/// transaction). Years already held are left as they are.
pub fn load_bundled(
    conn: &Connection,
    actor: &Actor,
    clock: &dyn Clock,
) -> Result<Vec<ImportOutcome>, CalendarError> {
    let mut out = Vec::new();
    for (file, json) in BUNDLED {
        let cal = YearCalendar::parse(file, json.as_bytes())?;
        if held(conn, cal.year)?.is_some() {
            continue;
        }
        out.push(import_in(conn, actor, clock, file, &cal, false)?);
    }
    Ok(out)
}

/// One recorded import of a year's schedule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportRecord {
    pub id: i64,
    pub year: i32,
    pub source: String,
    pub file_name: String,
    pub sha256: String,
    pub imported_by: String,
    pub imported_at: String,
    /// The import this one superseded (`--replace`).
    pub replaces: Option<i64>,
    /// Whether this is the schedule in force for its year (the newest).
    pub in_force: bool,
}

/// Every import ever recorded, by year then in order (`calendar show`
/// without a year): which schedule a printed deadline came from stays
/// visible after a correction.
pub fn history(conn: &Connection) -> Result<Vec<ImportRecord>, CalendarError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, year, source, file_name, sha256, imported_by, imported_at, replaces,
                id = (SELECT MAX(id) FROM calendar_imports AS n WHERE n.year = i.year)
           FROM calendar_imports AS i ORDER BY year, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ImportRecord {
            id: r.get(0)?,
            year: r.get(1)?,
            source: r.get(2)?,
            file_name: r.get(3)?,
            sha256: r.get(4)?,
            imported_by: r.get(5)?,
            imported_at: r.get(6)?,
            replaces: r.get(7)?,
            in_force: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The schedule in force for `year`, as recorded (`calendar show`).
pub fn year_calendar(conn: &Connection, year: i32) -> Result<YearCalendar, CalendarError> {
    let Some((id, source)) = conn
        .query_row(
            "SELECT id, source FROM calendar_imports WHERE year = ?1 ORDER BY id DESC LIMIT 1",
            [year],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?
    else {
        return Err(CalendarError::YearNotHeld(year));
    };
    let mut stmt = conn.prepare_cached(
        "SELECT kind, name, from_date, to_date FROM calendar_entries
          WHERE import_id = ?1 ORDER BY seq",
    )?;
    let mut cal = YearCalendar {
        year,
        source,
        holidays: Vec::new(),
        workdays: Vec::new(),
    };
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (kind, name, from, to) = row?;
        let (Some(from), Some(to)) = (strict_date(&from), strict_date(&to)) else {
            return Err(CalendarError::Store(StoreError::Corrupt {
                path: Default::default(),
                detail: format!("calendar entry '{name}' of {year} has a malformed date"),
            }));
        };
        if kind == "holiday" {
            cal.holidays.push(Holiday { name, from, to });
        } else {
            cal.workdays.push(MakeUpDay { name, date: from });
        }
    }
    Ok(cal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    fn bundled_2026() -> YearCalendar {
        YearCalendar::parse(BUNDLED[0].0, BUNDLED[0].1.as_bytes()).unwrap()
    }

    #[test]
    fn bundled_2026_matches_the_state_council_notice() {
        let cal = bundled_2026();
        assert_eq!(cal.year, 2026);
        let c = Calendar::from_years([&cal]);
        for off in [
            "2026-01-01",
            "2026-01-02",
            "2026-01-03",
            "2026-02-16",
            "2026-02-23",
            "2026-04-06",
            "2026-05-05",
            "2026-06-19",
            "2026-09-25",
            "2026-10-07",
        ] {
            assert_eq!(c.is_working_day(d(off)), Some(false), "{off}");
        }
        for work in [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10",
            "2026-02-24",
            "2026-10-08",
        ] {
            assert_eq!(c.is_working_day(d(work)), Some(true), "{work}");
        }
        // An ordinary weekend.
        assert_eq!(c.is_working_day(d("2026-03-07")), Some(false));
        assert_eq!(c.is_working_day(d("2027-01-04")), None);
    }

    #[test]
    fn strict_dates() {
        assert!(parse_date("2026-2-14").is_err());
        assert!(parse_date("2026/02/14").is_err());
        assert!(parse_date("2026-02-30").is_err());
        assert!(parse_date("+2026-02-14").is_err());
        assert_eq!(
            d(" 2026-02-14 "),
            NaiveDate::from_ymd_opt(2026, 2, 14).unwrap()
        );
    }

    #[test]
    fn an_ordinary_fortnight_without_holidays() {
        let c = Calendar::from_years([&bundled_2026()]);
        // Mon 2026-03-02: three weeks of weekdays → Fri 2026-03-20 is the 15th.
        assert_eq!(c.deadline(d("2026-03-02")), Deadline::Date(d("2026-03-23")));
        // Issued on a Saturday: Mon 03-09 is the first working day.
        assert_eq!(c.deadline(d("2026-03-07")), Deadline::Date(d("2026-03-27")));
    }

    #[test]
    fn the_same_schedule_in_another_order_has_the_same_fingerprint() {
        let a = br#"{"year":2030,"source":"s","holidays":[{"name":"A","from":"2030-01-01","to":"2030-01-01"},{"name":"B","from":"2030-05-01","to":"2030-05-03"}]}"#;
        let b = br#"{"year":2030,"source":"s","holidays":[{"name":"B","from":"2030-05-01","to":"2030-05-03"},{"name":"A","from":"2030-01-01","to":"2030-01-01"}],"workdays":[]}"#;
        let a = YearCalendar::parse("a", a).unwrap();
        let b = YearCalendar::parse("b", b).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
    }

    #[test]
    fn receipt_texts() {
        let t = Deadline::Date(d("2026-03-10")).receipt_text(Lang::Zh);
        assert_eq!(t, "请于 2026-03-10 前凭本票据到收费窗口换取正式发票");
        let u = Deadline::Unconfirmed { missing_year: 2027 };
        assert!(u.receipt_text(Lang::Zh).contains("待确认"));
        assert!(u.receipt_text(Lang::En).contains("to be confirmed"));
    }
}
