//! `shift close`: the shift-close workflow (record, report, backup) and its
//! result as text or JSON.

use super::{Ctx, ENV_SUPERVISOR_PIN, print_json, read_pin};
use crate::error::{ErrorKind, Failure};
use crate::money::Money;
use crate::receipts::shift::SupervisorPin;
use crate::workflows::{self, ShiftClose};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum ShiftCmd {
    /// Closes the shift of --user: totals, numbers used, voids, refunds, cash variance.
    Close {
        /// The cash counted in the drawer.
        #[arg(long, value_name = "AMOUNT")]
        cash_declared: Option<String>,
        #[arg(long, value_name = "FILE.pdf")]
        out: PathBuf,
        /// Needed when the variance is over `shift.variance_limit` (PIN from DOWNTIME_BILLING_SUPERVISOR_PIN).
        #[arg(long)]
        supervisor: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: ShiftCmd) -> Result<(), Failure> {
    let ShiftCmd::Close {
        cash_declared,
        out,
        supervisor,
        json,
    } = cmd;
    let declared = match cash_declared {
        Some(raw) => Some(Money::parse(&raw).map_err(|e| {
            Failure::new(
                ErrorKind::Invalid,
                format!("--cash-declared：{}", e.message(crate::i18n::Lang::Zh)),
                format!("--cash-declared: {}", e.message(crate::i18n::Lang::En)),
            )
        })?),
        None => None,
    };
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    let pin = match &supervisor {
        Some(_) => Some(read_pin(
            ENV_SUPERVISOR_PIN,
            ctx.lang.pick("主管 PIN：", "Supervisor PIN: "),
        )?),
        None => None,
    };
    let sup = match (&supervisor, &pin) {
        (Some(name), Some(pin)) => Some(SupervisorPin { name, pin }),
        _ => None,
    };
    let closed = workflows::close_shift(
        &mut store,
        &session,
        &ctx.clock,
        ShiftClose {
            cash_declared: declared,
            supervisor: sup,
            report: Some(out),
        },
    )?;
    let s = &closed.summary;
    if json {
        let mut v = serde_json::to_value(s).unwrap_or_default();
        v["pdf"] = closed
            .report
            .as_ref()
            .ok()
            .map(|p| p.display().to_string())
            .into();
        v["backup"] = closed
            .backup
            .as_ref()
            .ok()
            .map(|b| b.file.display().to_string())
            .into();
        print_json(&v)?;
    } else {
        println!(
            "{} {}: {} {}, {} {} / {} {}",
            ctx.lang.pick("已交班", "shift closed"),
            s.cashier,
            s.count,
            ctx.lang.pick("张", "receipts"),
            ctx.lang.pick("应有现金", "cash expected"),
            s.cash_expected,
            ctx.lang.pick("差额", "variance"),
            s.variance
                .map(|v| v.to_string())
                .unwrap_or_else(|| "—".into())
        );
    }
    // The shift is closed either way; a report that was not written is a
    // follow-up failure (exit 6), a failed backup is said loudly.
    if let Err(f) = closed.report {
        return Err(Failure::new(
            ErrorKind::FollowUp,
            format!("已交班，但未能写出报表：{}", f.zh),
            format!(
                "the shift IS closed, but its report was not written: {}",
                f.en
            ),
        ));
    }
    closed.backup.map(|_| ())
}
