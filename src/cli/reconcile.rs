//! `reconcile --his-file FILE [--json]`: the HIS's results against ours.

use super::{Ctx, print_json};
use crate::error::Failure;
use crate::finance::reconcile;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// HIS results CSV: manual_receipt_no,his_invoice_no,amount,posted_at,kind.
    #[arg(long = "his-file", value_name = "FILE")]
    his_file: PathBuf,
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    let r = reconcile::reconcile(&mut store, &session, &ctx.clock, &a.his_file)?;
    if a.json {
        return print_json(&r);
    }
    ctx.say(
        &format!(
            "HIS 文件 {} 行，合计 {}；本方应入 HIS 票据 {} 张，合计 {}",
            r.file_rows, r.file_total, r.our_receipts, r.our_total
        ),
        &format!(
            "HIS file: {} rows, total {}; ours expected in the HIS: {} receipts, total {}",
            r.file_rows, r.file_total, r.our_receipts, r.our_total
        ),
    );
    for (zh, en, g) in [
        ("相符", "matched", &r.matched),
        ("金额不符", "amount mismatch", &r.amount_mismatch),
        ("HIS 缺失", "missing in the HIS", &r.missing_in_his),
        ("本方无此票", "unknown to us", &r.unknown_to_us),
        ("重复", "duplicates", &r.duplicates),
    ] {
        println!(
            "{:<20} {:>8} {:>14}",
            ctx.lang.pick(zh, en),
            g.count,
            g.total.to_string()
        );
    }
    ctx.say(
        &format!(
            "本次登记：换票 {}，自费入账 {}，医保重新结算 {}；此前已登记 {}；冲突 {}",
            r.recorded.exchanged, r.recorded.self_pay_posted, r.recorded.insurance_resettled, r.already_recorded, r.conflicts.len()
        ),
        &format!(
            "recorded now: exchanged {}, self-pay posted {}, re-settled {}; already recorded {}; conflicts {}",
            r.recorded.exchanged, r.recorded.self_pay_posted, r.recorded.insurance_resettled, r.already_recorded, r.conflicts.len()
        ),
    );
    Ok(())
}
