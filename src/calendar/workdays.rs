//! Working-day arithmetic on the calendar in force: every year held, whether
//! a date is a working day, and the exchange deadline (the 15th working day
//! after issue), or "to be confirmed" when it reaches an unknown year.

#[allow(unused_imports)]
use super::*;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct YearDays {
    pub(super) off: BTreeSet<NaiveDate>,
    pub(super) work: BTreeSet<NaiveDate>,
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
    pub(super) years: BTreeMap<i32, YearDays>,
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
