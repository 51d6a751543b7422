//! The exchange deadline's answer as the receipt reads it (`Deadline::date`,
//! `Deadline::is_confirmed`), on the bundled 2026 holiday calendar: what
//! mutation testing (`cargo mutants` on `src/calendar/workdays.rs`) found
//! the unit tests left unchecked.

use chrono::NaiveDate;
use downtime_billing::calendar::{Calendar, Deadline, YearCalendar};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn calendar_2026() -> Calendar {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/calendar/2026.json");
    let y = YearCalendar::read(std::path::Path::new(path)).unwrap();
    Calendar::from_years([&y])
}

/// Break it catches (surviving mutants of `Deadline::date` and
/// `Deadline::is_confirmed`): a known deadline reported as absent or as
/// 1970-01-01, an unknown one as confirmed (or the reverse).
#[test]
fn a_known_deadline_has_its_date_and_an_unknown_one_none() {
    let cal = calendar_2026();
    // 15 working days after Sunday 2026-11-22: Friday 2026-12-11
    let known = cal.deadline(d("2026-11-22"));
    assert_eq!(known, Deadline::Date(d("2026-12-11")));
    assert_eq!(known.date(), Some(d("2026-12-11")));
    assert!(known.is_confirmed());
    // late December reaches 2027, whose schedule is not held
    let unknown = cal.deadline(d("2026-12-28"));
    assert_eq!(unknown, Deadline::Unconfirmed { missing_year: 2027 });
    assert_eq!(unknown.date(), None);
    assert!(!unknown.is_confirmed());
}
