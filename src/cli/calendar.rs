//! `calendar import | deadline | show`: the holiday calendar and the
//! exchange deadline it gives.

use super::{Ctx, print_json};
use crate::calendar::{self, Deadline, ImportStatus, YearCalendar};
use crate::error::Failure;
use crate::i18n::Lang;
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Args {
    /// Import one year's official holiday schedule (JSON, see assets/calendar/README.md). Admin only.
    Import {
        file: PathBuf,
        /// Record a different schedule for a year already held (the old one stays in the history).
        #[arg(long)]
        replace: bool,
        #[arg(long)]
        json: bool,
    },
    /// The exchange deadline (15th working day after DATE, YYYY-MM-DD). Exit 0 also when it is to be confirmed.
    Deadline {
        date: String,
        #[arg(long)]
        json: bool,
    },
    /// The schedule in force for YEAR; without YEAR, every import recorded.
    Show {
        year: Option<i32>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Ctx, args: Args) -> Result<(), Failure> {
    match args {
        Args::Import {
            file,
            replace,
            json,
        } => import(ctx, file, replace, json),
        Args::Deadline { date, json } => deadline(ctx, &date, json),
        Args::Show { year, json } => show(ctx, year, json),
    }
}

fn import(ctx: &Ctx, file: PathBuf, replace: bool, json: bool) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    let out = calendar::import_file(
        &mut store,
        &session,
        &ctx.clock,
        &file,
        super::key::if_held(replace),
    )?;
    if json {
        return print_json(&out);
    }
    let y = out.year;
    let (h, off, w) = (out.holidays, out.days_off, out.workdays);
    match out.status {
        ImportStatus::Imported => ctx.say(
            &format!("已导入 {y} 年节假日安排：{h} 个假期共 {off} 天，{w} 个调休上班日"),
            &format!("Imported the {y} holiday schedule: {h} holidays, {off} days off, {w} make-up working days"),
        ),
        ImportStatus::Replaced => ctx.say(
            &format!("已更正 {y} 年节假日安排（旧安排保留在历史中）：{h} 个假期共 {off} 天，{w} 个调休上班日"),
            &format!("Replaced the {y} holiday schedule (the old one stays in the history): {h} holidays, {off} days off, {w} make-up working days"),
        ),
        ImportStatus::Unchanged => ctx.say(
            &format!("{y} 年节假日安排与已有的相同，未做更改"),
            &format!("The {y} holiday schedule is identical to the one held; nothing changed"),
        ),
    }
    Ok(())
}

fn deadline(ctx: &Ctx, date: &str, json: bool) -> Result<(), Failure> {
    let issue = calendar::parse_date(date)?;
    let store = ctx.open_store()?;
    let d = calendar::deadline(store.conn(), issue)?;
    if json {
        return print_json(&d.report(issue));
    }
    match d {
        Deadline::Date(day) => println!("{}", day.format("%Y-%m-%d")),
        Deadline::Unconfirmed { .. } => println!("{}", d.receipt_text(ctx.lang)),
    }
    Ok(())
}

fn show(ctx: &Ctx, year: Option<i32>, json: bool) -> Result<(), Failure> {
    let store = ctx.open_store()?;
    let Some(year) = year else {
        let records = calendar::history(store.conn())?;
        if json {
            return print_json(&records);
        }
        for r in &records {
            let state = match (r.in_force, ctx.lang) {
                (true, Lang::Zh) => "现行",
                (false, Lang::Zh) => "已被更正",
                (true, Lang::En) => "in force",
                (false, Lang::En) => "superseded",
            };
            println!(
                "{}\t{state}\t{}\t{}\t{} {}",
                r.year, r.source, r.file_name, r.imported_by, r.imported_at
            );
        }
        return Ok(());
    };
    let cal: YearCalendar = calendar::year_calendar(store.conn(), year)?;
    if json {
        return print_json(&cal);
    }
    println!("{} — {}", cal.year, cal.source);
    let (off, work) = match ctx.lang {
        Lang::Zh => ("放假", "上班"),
        Lang::En => ("off", "working"),
    };
    for h in &cal.holidays {
        let days = (h.to - h.from).num_days() + 1;
        println!("{off}\t{}\t{} .. {}\t({days})", h.name, h.from, h.to);
    }
    for w in &cal.workdays {
        println!("{work}\t{}\t{}", w.name, w.date);
    }
    Ok(())
}
