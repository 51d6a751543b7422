//! The reports as CSV (UTF-8 with BOM, for Excel/WPS), every text cell
//! neutralised by [`crate::csv_safe`]; amounts are plain numbers.
//!
//! Shift closes are one row per close. The daily and outage reports are
//! long tables with one fixed header, so a spreadsheet can filter and pivot
//! them: `section,set,terminal,key,label,count,amount,detail`, where
//! `section` says what the row is (`category`, `method`, `total`,
//! `voided`, `credit_notes`, `terminal`, `episode`, `hourly`,
//! `dispensing`, `exchange`, `due`, `open_receipt`) and `set` is `real` or
//! `drill`.

use super::ReportError;
use super::data::{DailyReport, DayTotals, OutageReport, Report, ShiftReport};
use crate::csv_safe::{Cell, SafeWriter};

/// Header of the daily and outage CSVs.
pub const LONG_HEADER: [&str; 8] = [
    "section", "set", "terminal", "key", "label", "count", "amount", "detail",
];

/// Header of the shift CSV.
pub const SHIFT_HEADER: [&str; 21] = [
    "date",
    "terminal",
    "cashier",
    "since",
    "closed_at",
    "receipts",
    "first_number",
    "last_number",
    "cash",
    "card",
    "mobile",
    "total",
    "voids",
    "voids_amount",
    "refunds",
    "refunds_amount",
    "drills",
    "cash_expected",
    "cash_declared",
    "variance",
    "supervisor",
];

fn err(e: impl std::fmt::Display) -> ReportError {
    ReportError::Csv(e.to_string())
}

pub fn render(report: &Report) -> Result<Vec<u8>, ReportError> {
    let mut w = SafeWriter::new(Vec::new()).map_err(err)?;
    match report {
        Report::Shift(r) => shift(&mut w, r).map_err(err)?,
        Report::Daily(r) => daily(&mut w, r).map_err(err)?,
        Report::Outage(r) => outage(&mut w, r).map_err(err)?,
    }
    w.finish().map_err(err)
}

type W = SafeWriter<Vec<u8>>;

fn shift(w: &mut W, r: &ShiftReport) -> Result<(), csv::Error> {
    w.header(&SHIFT_HEADER)?;
    let date = r.date.to_string();
    for c in &r.closes {
        w.row(&[
            date.as_str().into(),
            (&c.terminal).into(),
            (&c.cashier).into(),
            c.since.as_ref().into(),
            (&c.closed_at).into(),
            c.count.into(),
            c.first_number.as_ref().into(),
            c.last_number.as_ref().into(),
            c.cash.into(),
            c.card.into(),
            c.mobile.into(),
            c.total.into(),
            c.voids.count.into(),
            c.voids.amount.into(),
            c.refunds.count.into(),
            c.refunds.amount.into(),
            c.drills.into(),
            c.cash_expected.into(),
            c.cash_declared.into(),
            c.variance.into(),
            c.supervisor.as_ref().into(),
        ])?;
    }
    Ok(())
}

/// One row of the long table.
#[allow(clippy::too_many_arguments)]
fn long(
    w: &mut W,
    section: &str,
    set: &str,
    terminal: &str,
    key: &str,
    label: &str,
    count: Cell<'_>,
    amount: Cell<'_>,
    detail: &str,
) -> Result<(), csv::Error> {
    w.row(&[
        section.into(),
        set.into(),
        terminal.into(),
        key.into(),
        label.into(),
        count,
        amount,
        detail.into(),
    ])
}

fn totals(w: &mut W, set: &str, t: &DayTotals) -> Result<(), csv::Error> {
    for a in &t.by_category {
        let label = super::data::category_label(&a.key);
        long(
            w,
            "category",
            set,
            "",
            &a.key,
            &label,
            Cell::Empty,
            a.amount.into(),
            "",
        )?;
    }
    for a in &t.by_method {
        let label = super::data::method_label(&a.key);
        long(
            w,
            "method",
            set,
            "",
            &a.key,
            &label,
            Cell::Empty,
            a.amount.into(),
            "",
        )?;
    }
    long(
        w,
        "total",
        set,
        "",
        "total",
        "合计 Total",
        t.receipts.into(),
        t.total.into(),
        "",
    )?;
    long(
        w,
        "credit_notes",
        set,
        "",
        "credit_notes",
        "退费凭证 Credit notes",
        t.credit_notes.count.into(),
        t.credit_notes.amount.into(),
        "",
    )?;
    long(
        w,
        "voided",
        set,
        "",
        "voided",
        "作废 Voided (not in totals)",
        t.voided.count.into(),
        t.voided.amount.into(),
        "",
    )
}

fn terminals(w: &mut W, set: &str, rows: &[super::data::TerminalRow]) -> Result<(), csv::Error> {
    for t in rows {
        let detail = format!(
            "{} – {}; voided {}; credit notes {}",
            t.first_number, t.last_number, t.voided, t.credit_notes
        );
        long(
            w,
            "terminal",
            set,
            &t.terminal,
            &t.terminal,
            "",
            t.issued.into(),
            t.total.into(),
            &detail,
        )?;
    }
    Ok(())
}

fn daily(w: &mut W, r: &DailyReport) -> Result<(), csv::Error> {
    w.header(&LONG_HEADER)?;
    let date = r.date.to_string();
    long(
        w,
        "report",
        "",
        &r.header.terminal,
        "daily",
        &r.header.hospital,
        Cell::Empty,
        Cell::Empty,
        &date,
    )?;
    totals(w, "real", &r.real)?;
    terminals(w, "real", &r.terminals)?;
    totals(w, "drill", &r.drill)
}

fn outage(w: &mut W, r: &OutageReport) -> Result<(), csv::Error> {
    w.header(&LONG_HEADER)?;
    let set = if r.drill { "drill" } else { "real" };
    long(
        w,
        "report",
        set,
        &r.header.terminal,
        "outage",
        &r.header.hospital,
        Cell::Empty,
        Cell::Empty,
        &format!("episode {}", r.episode.id),
    )?;
    for e in &r.timeline {
        let detail = format!(
            "opened {} by {}; closed {}{}",
            e.opened_at,
            e.opened_by,
            e.closed_at.as_deref().unwrap_or("-"),
            e.closed_by
                .as_deref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default()
        );
        long(
            w,
            "episode",
            set,
            &e.terminal,
            &e.id.to_string(),
            &format!("{} {}", e.level, e.reason),
            Cell::Empty,
            Cell::Empty,
            &detail,
        )?;
    }
    terminals(w, set, &r.terminals)?;
    for h in &r.hourly {
        long(
            w,
            "hourly",
            set,
            "",
            &h.hour,
            "",
            h.count.into(),
            Cell::Empty,
            "",
        )?;
        for (t, n) in &h.by_terminal {
            long(
                w,
                "hourly",
                set,
                t,
                &h.hour,
                "",
                (*n).into(),
                Cell::Empty,
                "",
            )?;
        }
    }
    totals(w, set, &r.totals)?;
    let d = &r.dispensing;
    for (key, n) in [
        ("receipts_dispensed", d.receipts),
        ("lines_dispensed", d.lines_dispensed),
        ("lines_returned", d.lines_returned),
        ("lines_dispensed_twice", d.double_dispensed.len() as u64),
    ] {
        long(w, "dispensing", set, "", key, "", n.into(), Cell::Empty, "")?;
    }
    for (t, n, back) in &d.by_pharmacy {
        long(
            w,
            "dispensing",
            set,
            t,
            "pharmacy",
            "",
            (*n).into(),
            Cell::Empty,
            &format!("returns {back}"),
        )?;
    }
    for (n, l) in &d.double_dispensed {
        long(
            w,
            "dispensing",
            set,
            "",
            "dispensed_twice",
            n,
            Cell::Count(u64::from(*l)),
            Cell::Empty,
            "line",
        )?;
    }
    let x = &r.exchange;
    for (key, c) in [
        ("exchanged", x.exchanged),
        ("self_pay_posted", x.self_pay_posted),
        ("insurance_resettled", x.insurance_resettled),
        ("refunded", x.refunded),
        ("open", x.open),
        ("overdue", x.overdue),
    ] {
        long(
            w,
            "exchange",
            set,
            "",
            key,
            "",
            c.count.into(),
            c.amount.into(),
            "",
        )?;
    }
    for d in &r.due {
        let key = d.deadline.as_deref().unwrap_or("to_be_confirmed");
        long(
            w,
            "due",
            set,
            "",
            key,
            if d.overdue { "overdue" } else { "" },
            d.count.into(),
            d.amount.into(),
            "",
        )?;
    }
    for o in &r.open {
        let detail = format!(
            "issued {}; deadline {}{}",
            o.issued_at,
            o.deadline.as_deref().unwrap_or("to be confirmed"),
            if o.insured { "; insured" } else { "" }
        );
        long(
            w,
            "open_receipt",
            set,
            &o.terminal,
            &o.number,
            &o.patient,
            Cell::Count(1),
            o.amount.into(),
            &detail,
        )?;
    }
    Ok(())
}
