//! `deadline list [--overdue | --due-within DAYS] [--json]`: the exchange
//! deadline worklist, with working days left.

use super::{Ctx, print_json};
use crate::auth::Role;
use crate::clock::Clock;
use crate::error::Failure;
use crate::finance::deadlines::{self, Filter};

#[derive(Debug, clap::Subcommand)]
pub enum DeadlineCmd {
    /// Open receipts with their deadline and working days left.
    List {
        /// Only those past their deadline (the self-pay batch).
        #[arg(long, conflicts_with = "due_within")]
        overdue: bool,
        /// Only those due today or within DAYS working days.
        #[arg(long, value_name = "DAYS")]
        due_within: Option<u32>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: DeadlineCmd) -> Result<(), Failure> {
    let DeadlineCmd::List {
        overdue,
        due_within,
        json,
    } = cmd;
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    session.require_any(&[Role::Finance, Role::Admin], "list deadlines")?;
    let filter = match (overdue, due_within) {
        (true, _) => Filter::Overdue,
        (_, Some(n)) => Filter::DueWithin(n),
        _ => Filter::All,
    };
    let today = ctx.clock.now().date_naive();
    let rows = deadlines::list(store.conn(), today, filter).map_err(Failure::from)?;
    if json {
        return print_json(&rows);
    }
    for r in &rows {
        let left = match (r.days_left, r.confirmed) {
            (Some(d), _) if d < 0 => {
                ctx.lang.pick("逾期", "overdue").to_string() + &format!(" {}", -d)
            }
            (Some(d), _) => format!("{d}"),
            (None, _) => ctx.lang.pick("待确认", "to be confirmed").to_string(),
        };
        println!(
            "{}  {}  {}  {}  {}  {}",
            r.number,
            r.issued_at.get(..10).unwrap_or(&r.issued_at),
            r.deadline
                .clone()
                .unwrap_or_else(|| ctx.lang.pick("待确认", "to be confirmed").into()),
            left,
            r.amount,
            r.patient
        );
    }
    ctx.say(
        &format!("共 {} 张未结票据", rows.len()),
        &format!("{} open receipts", rows.len()),
    );
    Ok(())
}
