//! `verify [--json]`: the full database check; exit 4 with the list of
//! problems when anything is wrong. Needs no user: it shows no patient data,
//! but without `--user` (PIN) the key stays wrapped and the checks needing
//! it (receipt signatures, audit MACs, key fingerprint) are named, not run;
//! and the only thing it writes is the hold a failure puts on issuing
//! (`verify::hold`). `verify acknowledge --reason TEXT` (admin) lifts it.

use super::{Ctx, print_json};
use crate::error::{ErrorKind, Failure};
use crate::verify::Report;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    cmd: Option<VerifyCmd>,
}

#[derive(Debug, clap::Subcommand)]
pub enum VerifyCmd {
    /// An admin acknowledges a failed verify (audited, with the reason);
    /// issuing, stopped by the failure, resumes.
    Acknowledge {
        /// What was found and what was done about it.
        #[arg(long)]
        reason: String,
        #[arg(long)]
        json: bool,
    },
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
        if !report.needs_login.is_empty() {
            let names = report.needs_login.join(", ");
            ctx.say(
                &format!("未登录，以下检查需要密钥未执行：{names}（用 --user 用户名 登录后校验全部）"),
                &format!(
                    "not checked without a login (they need the key): {names} (run with --user NAME for every check)"
                ),
            );
        }
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
    let mut store = ctx.open_store()?;
    if let Some(VerifyCmd::Acknowledge { reason, json }) = a.cmd {
        let session = ctx.session(&mut store)?;
        let ack = crate::verify::hold::acknowledge(&mut store, &session, &ctx.clock, &reason)?;
        if json {
            return print_json(&ack);
        }
        ctx.say(
            &format!("已确认 {} 个校验问题（{}），恢复开票", ack.problems, ack.by),
            &format!(
                "acknowledged {} verify problem(s) ({}); issuing resumes",
                ack.problems, ack.by
            ),
        );
        return Ok(());
    }
    // With --user (and PIN) the key is unwrapped and every check runs;
    // without, the checks that need no key (the rest are named).
    let session = match ctx.user {
        Some(_) => Some(ctx.session(&mut store)?),
        None => None,
    };
    let key = session.as_ref().and_then(|s| s.key().ok());
    let report = crate::verify::run_with(&store, key)?;
    if !report.ok
        && let Some(hold) = crate::verify::hold::record_outcome(&mut store, &ctx.clock, &report)?
        && !a.json
    {
        ctx.say(
            &format!(
                "已停止开票，直至管理员确认（自 {}）：`verify acknowledge --reason 原因`",
                hold.since
            ),
            &format!(
                "issuing is stopped until an admin acknowledges (since {}): `verify acknowledge --reason TEXT`",
                hold.since
            ),
        );
    }
    finish(ctx, &report, a.json)
}
