//! The deadline tracker: every receipt still open (not voided, refunded,
//! exchanged, posted or re-settled; drills and credit notes never count)
//! with its exchange deadline — the 15th working day after issue, from the
//! calendar in force now, not the one printed — and the working days left.
//! A deadline reaching a year without a published calendar is "to be
//! confirmed", never guessed. Open receipts past their deadline are the
//! self-pay batch.

use super::FinanceError;
use crate::calendar::{Calendar, Deadline};
use crate::money::Money;
use chrono::NaiveDate;
use rusqlite::Connection;
use std::collections::HashMap;

/// Which receipts to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    /// Past the deadline (days left < 0).
    Overdue,
    /// Due today or within this many working days.
    DueWithin(u32),
}

/// One open receipt on the worklist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeadlineRow {
    pub number: String,
    pub terminal: String,
    pub issued_at: String,
    pub patient: String,
    /// What is still to be exchanged: the total less refunds.
    pub amount: Money,
    pub insured: bool,
    /// YYYY-MM-DD, or null when to be confirmed.
    pub deadline: Option<String>,
    pub confirmed: bool,
    /// The year whose calendar is missing when not confirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_year: Option<i32>,
    /// Working days from today to the deadline: 0 on the day, negative
    /// when overdue; null when not known.
    pub days_left: Option<i64>,
    pub overdue: bool,
}

/// Working days left from `today` to `deadline`: the working days after
/// today up to and including the deadline, or minus those after the
/// deadline up to and including today. `None` if a year is not held.
pub fn working_days_left(cal: &Calendar, today: NaiveDate, deadline: NaiveDate) -> Option<i64> {
    let (from, to, sign) = if deadline >= today {
        (today, deadline, 1)
    } else {
        (deadline, today, -1)
    };
    let mut n = 0i64;
    let mut d = from;
    while d < to {
        d = d.succ_opt()?;
        if cal.is_working_day(d)? {
            n += 1;
        }
    }
    Some(sign * n)
}

struct Open {
    number: String,
    terminal: String,
    issued_at: String,
    patient: String,
    net_fen: i64,
    insured: bool,
}

/// Every open receipt, in order of issue, streamed to `f`.
fn each_open(
    conn: &Connection,
    mut f: impl FnMut(Open) -> Result<(), FinanceError>,
) -> Result<(), FinanceError> {
    let mut st = conn.prepare_cached(
        "SELECT r.number, r.terminal, r.issued_at, r.patient_name, r.payer_type,
                r.total_fen + COALESCE((SELECT SUM(c.total_fen) FROM receipts c
                                         WHERE c.original_number = r.number), 0)
           FROM receipts r
          WHERE r.kind != 'credit_note' AND r.drill = 0
            AND NOT EXISTS (SELECT 1 FROM receipt_events e WHERE e.receipt_id = r.id
                              AND e.kind IN ('void', 'exchanged', 'self_pay_posted',
                                             'insurance_resettled'))
          ORDER BY r.id",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let net_fen: i64 = r.get(5)?;
        if net_fen <= 0 {
            continue; // refunded in full
        }
        f(Open {
            number: r.get(0)?,
            terminal: r.get(1)?,
            issued_at: r.get(2)?,
            patient: r.get(3)?,
            insured: r.get::<_, String>(4)? == "insured_full_pay",
            net_fen,
        })?;
    }
    Ok(())
}

fn issue_date(issued_at: &str) -> Option<NaiveDate> {
    chrono::DateTime::parse_from_rfc3339(issued_at)
        .ok()
        .map(|t| t.date_naive())
}

/// The worklist: open receipts matching `filter`, soonest deadline first,
/// those to be confirmed last.
pub fn list(
    conn: &Connection,
    today: NaiveDate,
    filter: Filter,
) -> Result<Vec<DeadlineRow>, FinanceError> {
    let cal = Calendar::load(conn)?;
    let mut by_issue: HashMap<NaiveDate, (Deadline, Option<i64>)> = HashMap::new();
    let mut out = Vec::new();
    each_open(conn, |o| {
        let Some(day) = issue_date(&o.issued_at) else {
            return Ok(());
        };
        let (dl, left) = *by_issue.entry(day).or_insert_with(|| {
            let dl = cal.deadline(day);
            let left = dl.date().and_then(|d| working_days_left(&cal, today, d));
            (dl, left)
        });
        let overdue = left.is_some_and(|l| l < 0);
        let keep = match filter {
            Filter::All => true,
            Filter::Overdue => overdue,
            Filter::DueWithin(n) => left.is_some_and(|l| (0..=i64::from(n)).contains(&l)),
        };
        if keep {
            out.push(DeadlineRow {
                number: o.number,
                terminal: o.terminal,
                issued_at: o.issued_at,
                patient: o.patient,
                amount: Money::from_fen(o.net_fen),
                insured: o.insured,
                deadline: dl.date().map(|d| d.format("%Y-%m-%d").to_string()),
                confirmed: dl.is_confirmed(),
                missing_year: match dl {
                    Deadline::Unconfirmed { missing_year } => Some(missing_year),
                    Deadline::Date(_) => None,
                },
                days_left: left,
                overdue,
            });
        }
        Ok(())
    })?;
    out.sort_by(|a, b| {
        (!a.confirmed, &a.deadline, &a.issued_at).cmp(&(!b.confirmed, &b.deadline, &b.issued_at))
    });
    Ok(out)
}

/// The self-pay batch: numbers of receipts still open after their deadline
/// (strictly before `today`), in order of issue. Receipts whose deadline is
/// to be confirmed are never in it.
pub fn overdue_self_pay(conn: &Connection, today: NaiveDate) -> Result<Vec<String>, FinanceError> {
    let cal = Calendar::load(conn)?;
    let mut by_issue: HashMap<NaiveDate, Option<NaiveDate>> = HashMap::new();
    let mut out = Vec::new();
    each_open(conn, |o| {
        if let Some(day) = issue_date(&o.issued_at) {
            let dl = *by_issue
                .entry(day)
                .or_insert_with(|| cal.deadline(day).date());
            if dl.is_some_and(|d| d < today) {
                out.push(o.number);
            }
        }
        Ok(())
    })?;
    Ok(out)
}
