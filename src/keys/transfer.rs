//! Carrying the hospital signing key between terminals: `key export` writes
//! it to a file (header, key, SHA-256 checksum; owner-only) for a USB stick,
//! `key import` takes it in on another terminal. A corrupted or malformed
//! file is refused, and so is a key different from the one this terminal
//! already holds, because receipts signed under the held key must keep
//! verifying; replacing it is a deliberate act (`replace`). On this side the
//! key lives only wrapped under users' PINs (`keys::wrap`): export needs the
//! admin's session key, import wraps the new key under the admin's PIN.
//! Both are admin operations and audited.

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
    fn describe(&self, lang: Lang) -> String {
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

/// The key this session unlocked, checked against the fingerprint
/// recorded at setup (a wrap swapped behind the program's back is refused).
pub fn held_key(store: &Store, session: &Session) -> Result<SigningKey, KeyError> {
    let key = session.key()?.clone();
    let recorded = store::get_setting(store.conn(), FINGERPRINT_SETTING)
        .ok()
        .flatten();
    match recorded {
        Some(fp) if fp != key.fingerprint() => Err(KeyError::Mismatch {
            path: store.data_dir().db_path(),
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
    let key = held_key(store, session)?;
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

/// Takes in a key file exported from another terminal. A key different
/// from the one held is refused unless `IfHeld::Replace`. The new key is
/// wrapped for the admin under `pin` (their own, proved again); every other
/// user's wrap holds the replaced key and is removed (an admin resets their
/// PINs to give them the new one). The replaced key is not kept on this
/// terminal: nothing plain is written beside the database (export it first
/// if receipts signed under it must still be checked here).
pub fn import_key(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    file: &Path,
    pin: &str,
    if_held: crate::domain::IfHeld,
) -> Result<ImportInfo, TransferError> {
    session.require(Role::Admin, "import the signing key")?;
    let new_key = SigningKey::load(file)?;
    let held = session.key().ok().cloned();
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
    // The PIN must be this admin's: it wraps the new key for them.
    let phc = crate::auth::find_user(store.conn(), session.user().as_str())?
        .map(|u| u.pin_hash)
        .unwrap_or_default();
    if !crate::auth::pin_matches(pin, &phc) {
        return Err(AuthError::WrongPin {
            user: session.user().to_string(),
            left: crate::auth::MAX_FAILED_PINS,
        }
        .into());
    }
    let replaced = held.as_ref().is_some_and(|h| h != &new_key);
    let others: Vec<String> = super::wrap::all(store.conn())?
        .into_iter()
        .map(|w| w.user)
        .filter(|u| u != session.user().as_str())
        .collect();
    let tx = store.write()?;
    let previous = store::get_setting(&tx, FINGERPRINT_SETTING)?;
    store::put_setting(&tx, FINGERPRINT_SETTING, &new_key.fingerprint())?;
    for u in &others {
        tx.execute("DELETE FROM key_wraps WHERE user = ?1", [u])?;
    }
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "key.import",
        &[format!("key:{}", new_key.fingerprint())],
        serde_json::json!({
            "file": file.display().to_string(),
            "previous": previous,
            "replaced": replaced,
            "wraps_removed": others,
        }),
    )?;
    // From here the audit chain is keyed under the new key.
    if let Some(dir) = super::wrap::data_dir_of(&tx) {
        super::wrap::hold(&dir, &new_key);
    }
    super::wrap::store_wrap(
        &tx,
        &Actor::of(session),
        clock,
        &new_key,
        session.terminal().as_str(),
        session.user().as_str(),
        pin,
        "key.import",
    )?;
    if let Err(e) = tx.commit() {
        if let (Some(h), Some(dir)) = (&held, super::wrap::data_dir_of(store.conn())) {
            super::wrap::hold(&dir, h);
        }
        return Err(e.into());
    }
    tracing::info!(
        fingerprint = %new_key.fingerprint(),
        replaced,
        by = %session.user(),
        "signing key imported"
    );
    Ok(ImportInfo {
        fingerprint: new_key.fingerprint(),
        changed: true,
        old_key_file: None,
    })
}
