//! `episode open|close|list`: outage episodes.

use super::{Ctx, print_json};
use crate::error::Failure;
use crate::receipts::episodes::{self, Episode, Level};

#[derive(Debug, clap::Subcommand)]
pub enum EpisodeCmd {
    /// Declares an outage on this terminal (receipts need one open).
    Open {
        /// I, II, III or IV.
        #[arg(long)]
        level: String,
        #[arg(long)]
        reason: String,
        /// A drill: its receipts are watermarked 演练/DRILL and never posted to the HIS.
        #[arg(long)]
        drill: bool,
        #[arg(long)]
        json: bool,
    },
    /// Closes the open episode of this terminal.
    Close {
        #[arg(long)]
        json: bool,
    },
    /// Every episode.
    List {
        #[arg(long)]
        json: bool,
    },
}

fn say(ctx: &Ctx, e: &Episode) {
    let state = match &e.closed_at {
        Some(c) => format!("{} – {c}", e.opened_at),
        None => format!("{} –", e.opened_at),
    };
    let drill = if e.drill {
        ctx.lang.pick(" 演练", " DRILL")
    } else {
        ""
    };
    println!(
        "{} {} {}{drill} {} [{}] {}",
        e.id, e.terminal, e.level, state, e.opened_by, e.reason
    );
}

pub fn run(ctx: &Ctx, cmd: EpisodeCmd) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    let (ep, json) = match cmd {
        EpisodeCmd::Open {
            level,
            reason,
            drill,
            json,
        } => (
            episodes::open(
                &mut store,
                &session,
                &ctx.clock,
                Level::parse(&level)?,
                &reason,
                if drill {
                    episodes::EpisodeKind::Drill
                } else {
                    episodes::EpisodeKind::Real
                },
            )?,
            json,
        ),
        EpisodeCmd::Close { json } => (episodes::close(&mut store, &session, &ctx.clock)?, json),
        EpisodeCmd::List { json } => {
            let all = episodes::list(store.conn())?;
            if json {
                return print_json(&all);
            }
            for e in &all {
                say(ctx, e);
            }
            return Ok(());
        }
    };
    if json {
        return print_json(&ep);
    }
    say(ctx, &ep);
    Ok(())
}
