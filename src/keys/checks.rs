//! The keys capability's own check for `verify`: the unlocked key is the
//! key this database was set up with (its fingerprint, recorded at setup),
//! and a plain key file still left from before wraps is owner-only.

use super::SigningKey;
use crate::store::StoreError;
use crate::verify::Problem;
use rusqlite::{Connection, OptionalExtension};

/// Names the key file when it is not the one recorded at setup, or when the
/// record itself is gone.
pub fn fingerprint(conn: &Connection, k: &SigningKey) -> Result<Vec<Problem>, StoreError> {
    let recorded: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = 'key.fingerprint'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let mut key_problems = Vec::new();
    match recorded {
        Some(fp) if fp == k.fingerprint() => {}
        Some(fp) => key_problems.push(Problem::new(
            "key",
            "signing.key",
            format!(
                "the unlocked signing key ({}) is not the key this database was set up with ({fp})",
                k.fingerprint()
            ),
            format!(
                "已解锁的签名密钥（{}）不是该数据库设置时的密钥（{fp}）",
                k.fingerprint()
            ),
        )),
        None => key_problems.push(Problem::new(
            "key",
            "settings key.fingerprint",
            "the database records no key fingerprint (setting deleted)",
            "数据库中没有密钥指纹（设置被删除）",
        )),
    }
    Ok(key_problems)
}

/// Names a key file that users other than its owner can read or write
/// (group or other permission bits set): anyone with an account on the PC
/// could copy the hospital key and sign receipts. Unix permission bits
/// only; elsewhere nothing is checked.
pub fn file_permissions(path: &std::path::Path) -> Vec<Problem> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return vec![Problem::new(
                    "key_file",
                    path.display().to_string(),
                    format!(
                        "the signing key file can be read by others (mode {mode:03o}); it must be owner-only (600)"
                    ),
                    format!("签名密钥文件可被他人读取（权限 {mode:03o}）；应仅所有者可读写（600）"),
                )];
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Vec::new()
}
