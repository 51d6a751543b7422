//! One year's schedule as a file describes it (holidays and 调休 make-up
//! working days), read strictly and checked entry by entry.

#[allow(unused_imports)]
use super::*;

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
pub(super) struct RawFile {
    pub(super) year: i32,
    pub(super) source: String,
    pub(super) holidays: Vec<RawHoliday>,
    #[serde(default)]
    pub(super) workdays: Vec<RawWorkday>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHoliday {
    pub(super) name: String,
    pub(super) from: String,
    pub(super) to: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWorkday {
    pub(super) name: String,
    pub(super) date: String,
}

/// Parses `YYYY-MM-DD` exactly (zero-padded, nothing around it).
pub fn parse_date(s: &str) -> Result<NaiveDate, CalendarError> {
    strict_date(s).ok_or_else(|| CalendarError::BadDate(s.trim().to_string()))
}

pub(super) fn strict_date(s: &str) -> Option<NaiveDate> {
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

pub(super) fn is_weekend(d: NaiveDate) -> bool {
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

    pub(super) fn days(&self) -> YearDays {
        let mut days = YearDays::default();
        for h in &self.holidays {
            let n = (h.to - h.from).num_days() + 1;
            days.off.extend(h.from.iter_days().take(n.max(0) as usize));
        }
        days.work.extend(self.workdays.iter().map(|w| w.date));
        days
    }
}
