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
use crate::error::{ErrorKind, Remedy, UserFacing};
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
        "{file}: a different schedule for {year} is already held (imported by {by} at {at}); nothing was changed. Replacing it is a deliberate act (the old one stays in the history)"
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
    fn remedy(&self) -> Option<Remedy> {
        match self {
            CalendarError::Changed { .. } => Some(Remedy::ReplaceHeld),
            CalendarError::Auth(e) => e.remedy(),
            CalendarError::Store(e) => e.remedy(),
            _ => None,
        }
    }

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

    fn describe(&self, lang: Lang) -> String {
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
                "{file}：已有另一份 {year} 年的节假日安排（{by} 于 {at} 导入）；未做任何更改。替换须明确确认（旧安排保留在历史中）"
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

pub mod checks;
mod format;
mod storage;
mod workdays;

pub use format::*;
pub use storage::*;
pub use workdays::*;

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
