//! `journal export | import`: a terminal's signed journal to the finance
//! station, and its idempotent import there.

use super::{Ctx, print_json};
use crate::error::Failure;
use crate::finance::{self, journal};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum JournalCmd {
    /// Writes everything this terminal holds as one signed file.
    Export {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Imports terminal journals at the finance station (finance role).
    Import {
        #[arg(required = true, num_args = 1..)]
        files: Vec<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: JournalCmd) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    let key = finance::hospital_key(&ctx.data_dir)?;
    match cmd {
        JournalCmd::Export { out, json } => {
            let o = journal::export(&mut store, &session, &ctx.clock, &key, &out)?;
            if json {
                return print_json(&o);
            }
            ctx.say(
                &format!(
                    "已导出终端 {} 的日志：{} 张票据，{} 字节 → {}",
                    o.terminal,
                    o.receipts,
                    o.bytes,
                    o.file.display()
                ),
                &format!(
                    "Exported terminal {}'s journal: {} receipts, {} bytes → {}",
                    o.terminal,
                    o.receipts,
                    o.bytes,
                    o.file.display()
                ),
            );
            Ok(())
        }
        JournalCmd::Import { files, json } => {
            let mut outs = Vec::new();
            for f in &files {
                let o = journal::import(&mut store, &session, &ctx.clock, &key, f, &mut |_, _| {})?;
                if !json {
                    print_outcome(ctx, &o);
                }
                outs.push(o);
            }
            if json {
                return print_json(&outs);
            }
            Ok(())
        }
    }
}

fn print_outcome(ctx: &Ctx, o: &journal::ImportOutcome) {
    let f = o.file.display();
    if o.already_imported {
        ctx.say(
            &format!("{f}：终端 {} 的此日志（或更新的日志）已导入，没有新记录，未作任何更改", o.terminal),
            &format!(
                "{f}: this journal of terminal {} (or a newer one) was already imported; nothing new, nothing changed",
                o.terminal
            ),
        );
    } else {
        let added: Vec<String> = o.added.iter().map(|(t, n)| format!("{t} {n}")).collect();
        ctx.say(
            &format!(
                "{f}：已导入终端 {}：{} 张新票据（{}）",
                o.terminal,
                o.receipts_added,
                added.join("，")
            ),
            &format!(
                "{f}: imported terminal {}: {} new receipts ({})",
                o.terminal,
                o.receipts_added,
                added.join(", ")
            ),
        );
    }
    for c in &o.collisions {
        ctx.say(
            &format!("号码冲突 [{}] {}：{}", c.kind, c.record, c.detail_zh),
            &format!("number collision [{}] {}: {}", c.kind, c.record, c.detail),
        );
    }
    for d in &o.double_dispensings {
        ctx.say(
            &format!(
                "重复发药：{} 第 {} 行 {}，已付 {}，发出 {}（终端 {}）",
                d.receipt,
                d.line,
                d.code,
                d.paid_qty,
                d.dispensed_qty,
                d.terminals.join("、")
            ),
            &format!(
                "double dispensing: {} line {} {}, paid {}, dispensed {} (terminals {})",
                d.receipt,
                d.line,
                d.code,
                d.paid_qty,
                d.dispensed_qty,
                d.terminals.join(", ")
            ),
        );
    }
}
