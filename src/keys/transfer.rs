//! Carrying the hospital signing key between terminals: `key export` writes
//! it to a file (header, key, SHA-256 checksum; owner-only) for a USB stick,
//! `key import` takes it in on another terminal. A corrupted or malformed
//! file is refused, and so is a key different from the one this terminal
//! already holds, because receipts signed under the held key must keep
//! verifying; replacing it is a deliberate act (`replace`) that keeps the
//! old key file beside the new one. Both are admin operations and audited.

use super::{KeyError, SigningKey};
use crate::audit::{self, Actor};
use crate::auth::{AuthError, Role, Session};
use crate::clock::Clock;
use crate::error::{ErrorKind, UserFacing};
use crate::i18n::Lang;
use crate::store::{self, Store, StoreError};
use std::path::{Path, PathBuf};

/// The setting holding the fingerprint of the key this terminal signs with.
pub const FINGERPRINT_SETTING: &str = "key.fingerprint";

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for TransferError {
    fn from(e: rusqlite::Error) -> Self {
        TransferError::Store(e.into())
    }
}

impl UserFacing for TransferError {
    fn remedy(&self) -> Option<crate::error::Remedy> {
        match self {
            TransferError::Key(e) => e.remedy(),
            TransferError::Auth(e) => e.remedy(),
            TransferError::Store(e) => e.remedy(),
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            TransferError::Key(e) => e.kind(),
            TransferError::Auth(e) => e.kind(),
            TransferError::Store(e) => e.kind(),
        }
    }
    fn message(&self, lang: Lang) -> String {
        match self {
            TransferError::Key(e) => e.message(lang),
            TransferError::Auth(e) => e.message(lang),
            TransferError::Store(e) => e.message(lang),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ExportInfo {
    pub file: PathBuf,
    pub fingerprint: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportInfo {
    pub fingerprint: String,
    /// False when the terminal already held this very key (nothing changed).
    pub changed: bool,
    /// Where the replaced key was kept, when one was replaced.
    pub old_key_file: Option<PathBuf>,
}

/// The key this terminal holds, checked against the fingerprint recorded at
/// setup (a key file swapped behind the program's back is refused).
pub fn held_key(store: &Store) -> Result<SigningKey, KeyError> {
    let path = store.data_dir().key_path();
    let key = SigningKey::load(&path)?;
    let recorded = store::get_setting(store.conn(), FINGERPRINT_SETTING)
        .ok()
        .flatten();
    match recorded {
        Some(fp) if fp != key.fingerprint() => Err(KeyError::Mismatch {
            path,
            found: key.fingerprint(),
            held: fp,
        }),
        _ => Ok(key),
    }
}

/// Writes the held key to `out` (owner-only). Refuses to overwrite a file.
pub fn export_key(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    out: &Path,
) -> Result<ExportInfo, TransferError> {
    session.require(Role::Admin, "export the signing key")?;
    let key = held_key(store)?;
    let tx = store.write()?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "key.export",
        &[format!("key:{}", key.fingerprint())],
        serde_json::json!({"file": out.display().to_string()}),
    )?;
    // The file is written before the audit entry commits: an export that
    // did not happen is never recorded, and one that failed to record left
    // a file the admin can see and delete.
    key.save_new(out)?;
    tx.commit()?;
    tracing::info!(fingerprint = %key.fingerprint(), by = %session.user(), "signing key exported");
    Ok(ExportInfo {
        file: out.to_path_buf(),
        fingerprint: key.fingerprint(),
    })
}

/// Takes in a key file exported from another terminal. With `IfHeld::Replace`, a
/// different held key is moved to `signing.key.old-<timestamp>` (never
/// deleted); without it, a different key is refused.
pub fn import_key(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    file: &Path,
    if_held: crate::domain::IfHeld,
) -> Result<ImportInfo, TransferError> {
    session.require(Role::Admin, "import the signing key")?;
    let new_key = SigningKey::load(file)?;
    let key_path = store.data_dir().key_path();
    let held = if key_path.exists() {
        Some(SigningKey::load(&key_path)?)
    } else {
        None
    };
    if held.as_ref() == Some(&new_key)
        && store::get_setting(store.conn(), FINGERPRINT_SETTING)?.as_deref()
            == Some(new_key.fingerprint().as_str())
    {
        return Ok(ImportInfo {
            fingerprint: new_key.fingerprint(),
            changed: false,
            old_key_file: None,
        });
    }
    if let Some(h) = &held
        && h != &new_key
        && if_held == crate::domain::IfHeld::Refuse
    {
        return Err(KeyError::Mismatch {
            path: file.to_path_buf(),
            found: new_key.fingerprint(),
            held: h.fingerprint(),
        }
        .into());
    }
    let stamp = clock.now().format("%Y%m%d-%H%M%S").to_string();
    let old_file = held.as_ref().filter(|h| *h != &new_key).map(|_| {
        let mut p = key_path.clone().into_os_string();
        p.push(format!(".old-{stamp}"));
        PathBuf::from(p)
    });
    let tx = store.write()?;
    let previous = store::get_setting(&tx, FINGERPRINT_SETTING)?;
    store::put_setting(&tx, FINGERPRINT_SETTING, &new_key.fingerprint())?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "key.import",
        &[format!("key:{}", new_key.fingerprint())],
        serde_json::json!({
            "file": file.display().to_string(),
            "previous": previous,
            "replaced": old_file.is_some(),
            "old_key_file": old_file.as_ref().map(|p| p.display().to_string()),
        }),
    )?;
    if let Some(old) = &old_file {
        std::fs::rename(&key_path, old).map_err(|source| KeyError::Io {
            path: old.clone(),
            source,
        })?;
    }
    if (held.is_none() || old_file.is_some())
        && let Err(e) = new_key.save_new(&key_path)
    {
        // Put the held key back so the terminal keeps signing as before.
        if let Some(old) = &old_file {
            let _ = std::fs::rename(old, &key_path);
        }
        return Err(e.into());
    }
    tx.commit()?;
    tracing::info!(
        fingerprint = %new_key.fingerprint(),
        replaced = old_file.is_some(),
        by = %session.user(),
        "signing key imported"
    );
    Ok(ImportInfo {
        fingerprint: new_key.fingerprint(),
        changed: true,
        old_key_file: old_file,
    })
}
