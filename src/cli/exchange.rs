//! `exchange NUMBER --his-invoice INV` and `resettle NUMBER --his-invoice
//! INV`: the exchange desk (finance role).

use super::{Ctx, print_json};
use crate::error::Failure;
use crate::finance::exchange;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The manual receipt number, e.g. MZ01-00000017.
    number: String,
    /// The HIS invoice number it was exchanged for (unique).
    #[arg(long = "his-invoice", value_name = "INVOICE_NO")]
    his_invoice: String,
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Ctx, a: Args, resettle: bool) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    let r = if resettle {
        exchange::resettle(&mut store, &session, &ctx.clock, &a.number, &a.his_invoice)?
    } else {
        exchange::exchange(&mut store, &session, &ctx.clock, &a.number, &a.his_invoice)?
    };
    if a.json {
        return print_json(&r);
    }
    ctx.say(
        &format!(
            "票据 {} 已登记 HIS 发票 {}（{}）",
            r.number,
            r.his_invoice,
            r.status.label(ctx.lang)
        ),
        &format!(
            "Receipt {} recorded with HIS invoice {} ({})",
            r.number,
            r.his_invoice,
            r.status.label(ctx.lang)
        ),
    );
    Ok(())
}
