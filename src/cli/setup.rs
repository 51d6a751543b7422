//! `setup`: the first run of a terminal.

use super::{Ctx, ENV_NEW_PIN, ENV_PIN, print_json};
use crate::error::Failure;
use crate::setup::{SetupParams, setup};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Terminal code, e.g. MZ01 (outpatient window 1), ZY01, YF01, CW01.
    #[arg(long)]
    terminal: String,
    /// Hospital name as printed on receipts.
    #[arg(long)]
    hospital: String,
    /// The admin's user name (PIN from DOWNTIME_BILLING_NEW_PIN or DOWNTIME_BILLING_PIN, or a prompt).
    #[arg(long)]
    admin: String,
    /// Import the hospital signing key exported from another terminal.
    #[arg(long, value_name = "FILE")]
    signing_key: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Ctx, a: Args) -> Result<(), Failure> {
    let pin = match std::env::var(ENV_NEW_PIN) {
        Ok(p) => p.trim().to_string(),
        Err(_) => super::read_pin(ENV_PIN, ctx.lang.pick("管理员 PIN：", "Admin PIN: "))?,
    };
    let report = setup(
        &ctx.data_dir,
        &SetupParams {
            terminal: a.terminal,
            hospital: a.hospital,
            admin: a.admin,
            admin_pin: pin,
            signing_key_file: a.signing_key,
        },
        &ctx.clock,
    )?;
    if a.json {
        return print_json(&report);
    }
    match ctx.lang {
        crate::i18n::Lang::Zh => println!(
            "已完成初始设置：终端 {}，医院 {}，管理员 {}，签名密钥 {}{}\n数据库：{}",
            report.terminal,
            report.hospital,
            report.admin,
            report.key_fingerprint,
            if report.key_imported {
                "（已导入）"
            } else {
                "（新建）"
            },
            report.database.display()
        ),
        crate::i18n::Lang::En => println!(
            "Set up: terminal {}, hospital {}, admin {}, signing key {}{}\ndatabase: {}",
            report.terminal,
            report.hospital,
            report.admin,
            report.key_fingerprint,
            if report.key_imported {
                " (imported)"
            } else {
                " (new)"
            },
            report.database.display()
        ),
    }
    Ok(())
}
