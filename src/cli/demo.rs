//! `demo [--receipts N]`: a throw-away hospital filled through the real
//! flows; prints where it is and who can log in.

use super::{Ctx, print_json};
use crate::error::Failure;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many receipts across the three cashier terminals.
    #[arg(long, default_value_t = 200)]
    receipts: usize,
    /// Where to build it (must not exist); default: a new folder under the system's temp dir.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<(), Failure> {
    if a.receipts > 100_000 {
        return Err(Failure::new(
            crate::error::ErrorKind::Invalid,
            "--receipts 最多 100000",
            "--receipts is at most 100000",
        ));
    }
    let root = a.out.unwrap_or_else(crate::demo::fresh_root);
    let r = crate::demo::build(&root, a.receipts, &ctx.clock)?;
    if a.json {
        return print_json(&r);
    }
    println!("{}", r.root.display());
    ctx.say(
        &format!(
            "演示医院已建好：{} 张票据（作废 {}，退费 {}，发药 {}，已换票 {}），日志已导入财务站",
            r.receipts, r.voided, r.refunded, r.dispensed, r.exchanged
        ),
        &format!(
            "Demo hospital ready: {} receipts ({} voided, {} refunded, {} dispensed, {} exchanged), journals imported at finance",
            r.receipts, r.voided, r.refunded, r.dispensed, r.exchanged
        ),
    );
    for (t, d) in &r.terminal_dirs {
        println!("  {t}: {}", d.display());
    }
    ctx.say("用户（PIN）：", "Users (PIN):");
    for u in &r.users {
        println!("  {} {} {} [{}]", u.terminal, u.name, u.pin, u.roles);
    }
    ctx.say(
        &format!(
            "打开财务站：downtime-billing --data-dir {}（用户 finance1）\n对账试用：downtime-billing --data-dir {} --user finance1 reconcile --his-file {}",
            r.finance_dir.display(),
            r.finance_dir.display(),
            r.his_results.display()
        ),
        &format!(
            "Open the finance station: downtime-billing --data-dir {} (user finance1)\nTry reconciling: downtime-billing --data-dir {} --user finance1 reconcile --his-file {}",
            r.finance_dir.display(),
            r.finance_dir.display(),
            r.his_results.display()
        ),
    );
    Ok(())
}
