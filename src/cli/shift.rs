//! `shift close`: the cashier's shift-close record, its PDF, then a backup.

use super::{Ctx, ENV_SUPERVISOR_PIN, print_json, read_pin};
use crate::error::{ErrorKind, Failure};
use crate::money::Money;
use crate::receipts::shift::{self, SupervisorPin};
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
    let s = shift::close(&mut store, &session, &ctx.clock, declared, sup, Some(&out))?;
    let hospital = store.setting("hospital.name")?.unwrap_or_default();
    let pdf = crate::print::render_report(&shift::report_doc(&s, &hospital))?;
    std::fs::write(&out, pdf).map_err(|e| {
        Failure::new(
            ErrorKind::Internal,
            format!("{}：{e}", out.display()),
            format!("{}: {e}", out.display()),
        )
    })?;
    // The record is committed and printed; now the backup the procedures
    // require at every shift close.
    let backup = crate::backup::backup_now(
        &mut store,
        &ctx.clock,
        crate::backup::BackupReason::ShiftClose,
    );
    let backup_file = match &backup {
        Ok(b) => Some(b.file.display().to_string()),
        Err(_) => None,
    };
    if json {
        let mut v = serde_json::to_value(&s).unwrap_or_default();
        v["pdf"] = serde_json::Value::String(out.display().to_string());
        v["backup"] = backup_file.into();
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
    // The shift is closed either way; a failed backup is said loudly.
    backup.map(|_| ()).map_err(Failure::from)
}
