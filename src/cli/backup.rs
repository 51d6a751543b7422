//! `backup [--out DIR]`, `restore FILE`, and `audit list`.

use super::{Ctx, ENV_PIN, print_json, read_pin};
use crate::backup;
use crate::error::{ErrorKind, Failure};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Folder to write the backup to (default: the configured backup folder).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

pub fn run_backup(ctx: &Ctx, a: BackupArgs) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    let info = backup::backup_to(&mut store, &session, &ctx.clock, a.out.as_deref())?;
    crate::verify::witness::record(&store, &ctx.clock)?;
    if a.json {
        print_json(&info)?;
    } else {
        ctx.say(
            &format!(
                "已备份到 {}（{} 字节，{} 条审计记录，已检查）",
                info.file.display(),
                info.bytes,
                info.audit_entries
            ),
            &format!(
                "backed up to {} ({} bytes, {} audit entries, checked)",
                info.file.display(),
                info.bytes,
                info.audit_entries
            ),
        );
        for p in &info.problems {
            println!("{}", p.line(ctx.lang));
        }
    }
    if info.problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(
            ErrorKind::Verification,
            format!(
                "备份已写入，但数据库有 {} 个问题（见上），请运行 verify",
                info.problems.len()
            ),
            format!(
                "the backup was written, but the database has {} problem(s) (listed above): run verify",
                info.problems.len()
            ),
        ))
    }
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A backup file (downtime-billing-TERMINAL-….sqlite3).
    file: PathBuf,
    #[arg(long)]
    json: bool,
}

pub fn run_restore(ctx: &Ctx, a: RestoreArgs) -> Result<(), Failure> {
    let Some(user) = ctx.user.as_deref() else {
        return Err(Failure::new(
            ErrorKind::NotAllowed,
            "restore 需要 --user 管理员（PIN 由环境变量 DOWNTIME_BILLING_PIN 或提示输入）",
            "restore needs --user ADMIN (PIN from env DOWNTIME_BILLING_PIN or a prompt)",
        ));
    };
    let pin = read_pin(ENV_PIN, ctx.lang.pick("PIN：", "PIN: "))?;
    let info = crate::workflows::restore(&ctx.data_dir, &a.file, user, &pin, &ctx.clock)?;
    if a.json {
        // The verify report, plus the numbers recorded as lost.
        let mut v = serde_json::to_value(&info.report).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            obj.insert(
                "numbers_lost".into(),
                serde_json::to_value(&info.numbers_lost).unwrap_or_default(),
            );
        }
        print_json(&v)?;
        if info.report.ok {
            return Ok(());
        }
        let n = info.report.problems.len();
        return Err(Failure::new(
            ErrorKind::Verification,
            format!("校验失败：发现 {n} 个问题（见上）"),
            format!("verification failed: {n} problem(s) found (listed above)"),
        ));
    }
    {
        ctx.say(
            &format!("已从 {} 恢复", info.restored_from.display()),
            &format!("restored from {}", info.restored_from.display()),
        );
        for r in &info.numbers_lost {
            ctx.say(
                &format!(
                    "票据号 {}–{}（{} 个）已在本终端开出但不在备份中：记为遗失（作废），不再使用",
                    r.first, r.last, r.count
                ),
                &format!(
                    "receipt numbers {}–{} ({}) were issued here after this backup: recorded as lost (void), never issued again",
                    r.first, r.last, r.count
                ),
            );
        }
        for p in &info.moved_aside {
            ctx.say(
                &format!("原数据库已移至 {}", p.display()),
                &format!("previous database moved to {}", p.display()),
            );
        }
    }
    super::verify::finish(ctx, &info.report, a.json)
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCmd {
    /// The newest audit entries, newest first (admin).
    List {
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

pub fn run_audit(ctx: &Ctx, cmd: AuditCmd) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    match cmd {
        AuditCmd::List { limit, json } => {
            let entries = crate::auth::audit_log(store.conn(), &session, limit)?;
            if json {
                return print_json(&entries);
            }
            for e in entries {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    e.seq, e.at, e.terminal, e.user, e.action, e.records, e.details
                );
            }
            Ok(())
        }
    }
}
