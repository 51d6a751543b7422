//! `key export` / `key import`: the hospital signing key to and from a file.

use super::{Ctx, print_json};
use crate::error::Failure;
use crate::keys::transfer;
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum KeyCmd {
    /// Writes the signing key to FILE (owner-only) for another terminal.
    Export {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Takes in a key file exported from another terminal. A different key
    /// than the one held is refused unless --replace (other users' wrapped
    /// keys are then removed: reset their PINs).
    Import {
        file: PathBuf,
        #[arg(long)]
        replace: bool,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: KeyCmd) -> Result<(), Failure> {
    let mut store = ctx.open_store()?;
    let session = ctx.session(&mut store)?;
    match cmd {
        KeyCmd::Export { out, json } => {
            let info = transfer::export_key(&mut store, &session, &ctx.clock, &out)?;
            if json {
                return print_json(&info);
            }
            ctx.say(
                &format!(
                    "已导出签名密钥 {} 到 {}（请妥善保管，导入后删除）",
                    info.fingerprint,
                    info.file.display()
                ),
                &format!(
                    "signing key {} exported to {} (keep it safe; delete it once imported)",
                    info.fingerprint,
                    info.file.display()
                ),
            );
            Ok(())
        }
        KeyCmd::Import {
            file,
            replace,
            json,
        } => {
            // The admin's PIN once more: it wraps the imported key.
            let pin = super::read_pin(super::ENV_PIN, ctx.lang.pick("PIN：", "PIN: "))?;
            let info = transfer::import_key(
                &mut store,
                &session,
                &ctx.clock,
                &file,
                &pin,
                if_held(replace),
            )?;
            if json {
                return print_json(&info);
            }
            if !info.changed {
                ctx.say(
                    &format!("本终端已持有该密钥 {}，无需更改", info.fingerprint),
                    &format!(
                        "this terminal already holds key {}; nothing changed",
                        info.fingerprint
                    ),
                );
            } else if let Some(old) = &info.old_key_file {
                ctx.say(
                    &format!(
                        "已替换签名密钥为 {}；旧密钥保留在 {}",
                        info.fingerprint,
                        old.display()
                    ),
                    &format!(
                        "signing key replaced by {}; the old key is kept in {}",
                        info.fingerprint,
                        old.display()
                    ),
                );
            } else {
                ctx.say(
                    &format!("已导入签名密钥 {}", info.fingerprint),
                    &format!("signing key {} imported", info.fingerprint),
                );
            }
            Ok(())
        }
    }
}

/// `--replace` as the library's choice for an import that meets a
/// different one already held.
pub(super) fn if_held(replace: bool) -> crate::domain::IfHeld {
    if replace {
        crate::domain::IfHeld::Replace
    } else {
        crate::domain::IfHeld::Refuse
    }
}
