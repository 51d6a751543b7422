//! `verify [--json]`: the full database check; exit 4 with the list of
//! problems when anything is wrong. Needs no user: it changes nothing and
//! shows no patient data.

use super::{Ctx, print_json};
use crate::error::{ErrorKind, Failure};
use crate::verify::Report;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
}

/// Prints a report (text or JSON) and turns problems into exit 4.
pub fn finish(ctx: &Ctx, report: &Report, json: bool) -> Result<(), Failure> {
    if json {
        print_json(report)?;
    } else {
        for p in &report.problems {
            println!("{}", p.line(ctx.lang));
        }
        let counts = report
            .checks
            .iter()
            .map(|c| format!("{} {}", c.name, c.checked))
            .collect::<Vec<_>>()
            .join(", ");
        if report.ok {
            ctx.say(
                &format!("全部检查通过（{counts}）"),
                &format!("all checks passed ({counts})"),
            );
        }
    }
    if report.ok {
        Ok(())
    } else {
        let n = report.problems.len();
        Err(Failure::new(
            ErrorKind::Verification,
            format!("校验失败：发现 {n} 个问题（见上）"),
            format!("verification failed: {n} problem(s) found (listed above)"),
        ))
    }
}

pub fn run(ctx: &Ctx, a: Args) -> Result<(), Failure> {
    let store = ctx.open_store()?;
    let report = crate::verify::run(&store)?;
    finish(ctx, &report, a.json)
}
