//! `range add|list`: receipt number ranges (the paper receipt books).

use super::{Ctx, print_json};
use crate::error::Failure;
use crate::receipts::ranges;

#[derive(Debug, clap::Subcommand)]
pub enum RangeCmd {
    /// Assigns numbers FROM..=TO to a terminal (admin); overlaps are refused.
    Add {
        #[arg(long)]
        terminal: String,
        #[arg(long)]
        from: u64,
        #[arg(long)]
        to: u64,
        #[arg(long)]
        json: bool,
    },
    /// The ranges of a terminal (this one by default) and what is left.
    List {
        #[arg(long)]
        terminal: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: RangeCmd) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    match cmd {
        RangeCmd::Add {
            terminal,
            from,
            to,
            json,
        } => {
            let g = ranges::add(&mut store, &session, &ctx.clock, &terminal, from, to)?;
            if json {
                return print_json(&g);
            }
            println!(
                "{} {}: {} – {}",
                ctx.lang.pick("已添加号段", "range added"),
                g.terminal,
                ranges::format_number(&g.terminal, g.from),
                ranges::format_number(&g.terminal, g.to)
            );
        }
        RangeCmd::List { terminal, json } => {
            let t = terminal.unwrap_or_else(|| session.terminal().to_string());
            let all = ranges::list(store.conn(), &t.to_ascii_uppercase())?;
            if json {
                return print_json(&all);
            }
            for g in &all {
                println!(
                    "{} {}–{} {} {} / {}",
                    g.terminal,
                    g.from,
                    g.to,
                    ctx.lang.pick("剩余", "left"),
                    g.left(),
                    g.to - g.from + 1
                );
            }
        }
    }
    Ok(())
}
