//! `report shift|daily|outage`: the finance reports as PDF or CSV (by the
//! extension of `--out`). Needs `--user` with the finance or admin role;
//! reads only.

use super::{Ctx, print_json};
use crate::error::Failure;
use crate::reports::{self, Format, Kind, Report, Request};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Which {
    Shift,
    Daily,
    Outage,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// shift (shift closes per cashier), daily (totals by category and
    /// method), outage (the after-action report of an episode).
    #[arg(value_enum)]
    which: Which,
    /// The day, YYYY-MM-DD (shift, daily; default today).
    #[arg(long)]
    date: Option<String>,
    /// The episode (outage; default the newest).
    #[arg(long)]
    episode: Option<i64>,
    /// FILE.pdf or FILE.csv.
    #[arg(long, value_name = "FILE.pdf|FILE.csv")]
    out: PathBuf,
    /// Print a summary as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<(), Failure> {
    let kind = match a.which {
        Which::Shift => Kind::Shift,
        Which::Daily => Kind::Daily,
        Which::Outage => Kind::Outage,
    };
    // Refuse a bad file name or date before logging in or reading anything.
    let format = Format::of(&a.out)?;
    let date = a.date.as_deref().map(reports::parse_date).transpose()?;
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    reports::require_role(&session)?;
    let req = Request {
        kind,
        date,
        episode: a.episode,
    };
    let report = reports::write(
        store.conn(),
        &req,
        &ctx.clock,
        session.user().as_str(),
        &a.out,
    )?;
    let out = a.out.display().to_string();
    let format = match format {
        Format::Pdf => "pdf",
        Format::Csv => "csv",
    };
    let summary = match &report {
        Report::Shift(r) => {
            let s = r.sum();
            serde_json::json!({
                "report": "shift", "date": r.date.to_string(), "closes": r.closes.len(),
                "receipts": s.count, "total": s.total.to_string(),
            })
        }
        Report::Daily(r) => serde_json::json!({
            "report": "daily", "date": r.date.to_string(), "receipts": r.real.receipts,
            "total": r.real.total.to_string(), "voided": r.real.voided.count,
            "drill_receipts": r.drill.receipts, "drill_total": r.drill.total.to_string(),
        }),
        Report::Outage(r) => serde_json::json!({
            "report": "outage", "episode": r.episode.id,
            "episodes": r.timeline.iter().map(|e| e.id).collect::<Vec<_>>(),
            "receipts": r.issued(), "total": r.totals.total.to_string(),
            "voided": r.totals.voided.count, "refunds": r.refunds.count,
            "open": r.exchange.open.count, "open_amount": r.exchange.open.amount.to_string(),
        }),
    };
    if a.json {
        let mut v = summary;
        v["out"] = out.into();
        v["format"] = format.into();
        return print_json(&v);
    }
    let line = match &report {
        Report::Shift(r) => format!(
            "{} {}: {} {}",
            ctx.lang.pick("交班汇总", "shift closes"),
            r.date,
            r.closes.len(),
            ctx.lang.pick("次交班", "closes")
        ),
        Report::Daily(r) => format!(
            "{} {}: {} {}, {} {}",
            ctx.lang.pick("日报", "daily"),
            r.date,
            r.real.receipts,
            ctx.lang.pick("张", "receipts"),
            ctx.lang.pick("合计", "total"),
            r.real.total
        ),
        Report::Outage(r) => format!(
            "{} #{}: {} {}, {} {}, {} {}",
            ctx.lang.pick("停机总结", "outage"),
            r.episode.id,
            r.issued(),
            ctx.lang.pick("张", "receipts"),
            ctx.lang.pick("合计", "total"),
            r.totals.total,
            ctx.lang.pick("未完成", "open"),
            r.exchange.open.count
        ),
    };
    println!("{line} → {out}");
    Ok(())
}
