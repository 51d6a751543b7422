//! The keys capability's own check for `verify`: the key file is the key
//! this database was set up with (its fingerprint, recorded at setup).

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
                "the key file ({}) is not the key this database was set up with ({fp})",
                k.fingerprint()
            ),
            format!(
                "密钥文件（{}）不是该数据库设置时的密钥（{fp}）",
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
