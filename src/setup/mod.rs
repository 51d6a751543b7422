//! First run: creates the database, records the terminal and hospital,
//! creates the admin user and the hospital signing key (or imports one from
//! another terminal). Setup imports no price list; the GUI offers the sample
//! list afterwards.

use crate::audit::{self, Actor};
use crate::auth::{self, AuthError, Role};
use crate::clock::{Clock, stamp};
use crate::domain::{TerminalCode, UserName};
use crate::error::{ErrorKind, UserFacing};
use crate::i18n::Lang;
use crate::keys::{KeyError, SigningKey};
use crate::store::{self, DataDir, Store, StoreError};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct SetupParams {
    pub terminal: String,
    pub hospital: String,
    pub admin: String,
    pub admin_pin: String,
    /// A key exported from another terminal of the same hospital.
    pub signing_key_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("the hospital name must not be empty")]
    NoHospital,
    #[error("the hospital name {0}")]
    BadHospital(String, String),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Domain(#[from] crate::domain::DomainError),
}

impl From<rusqlite::Error> for SetupError {
    fn from(e: rusqlite::Error) -> Self {
        SetupError::Store(e.into())
    }
}

impl UserFacing for SetupError {
    fn kind(&self) -> ErrorKind {
        match self {
            SetupError::NoHospital | SetupError::BadHospital(..) | SetupError::Domain(_) => {
                ErrorKind::Invalid
            }
            SetupError::Auth(e) => e.kind(),
            SetupError::Key(e) => e.kind(),
            SetupError::Store(e) => e.kind(),
        }
    }
    fn describe(&self, lang: Lang) -> String {
        match self {
            SetupError::NoHospital => lang
                .pick("医院名称不能为空", "the hospital name must not be empty")
                .into(),
            SetupError::BadHospital(en, zh) => match lang {
                Lang::Zh => format!("医院名称{zh}"),
                Lang::En => format!("the hospital name {en}"),
            },
            SetupError::Auth(e) => e.message(lang),
            SetupError::Key(e) => e.message(lang),
            SetupError::Store(e) => e.message(lang),
            SetupError::Domain(e) => e.message(lang),
        }
    }
}

/// What setup made, for the caller to report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SetupReport {
    pub data_dir: PathBuf,
    pub database: PathBuf,
    pub terminal: String,
    pub hospital: String,
    pub admin: String,
    pub key_fingerprint: String,
    pub key_imported: bool,
}

pub fn setup(
    data_dir: &DataDir,
    params: &SetupParams,
    clock: &dyn Clock,
) -> Result<SetupReport, SetupError> {
    // Check everything the person typed before touching the disk.
    let terminal = TerminalCode::parse(&params.terminal)?;
    let hospital = params.hospital.trim().to_string();
    if hospital.is_empty() {
        return Err(SetupError::NoHospital);
    }
    // Printed on every receipt: plain text of a sane length.
    if let Err((en, zh)) = crate::text::check(&hospital, 100) {
        return Err(SetupError::BadHospital(en, zh));
    }
    let admin = UserName::parse(&params.admin)?;
    auth::validate_pin(&params.admin_pin)?;
    if data_dir.is_set_up() {
        return Err(StoreError::AlreadySetUp(data_dir.db_path()).into());
    }
    let (key, imported) = match &params.signing_key_file {
        Some(p) => (SigningKey::load(p)?, true),
        None => (SigningKey::generate(), false),
    };
    data_dir.ensure()?;
    let key_path = data_dir.key_path();
    // A plain key file left by an earlier, unfinished setup (before keys
    // were wrapped): keep it only if it is the same key, never replace a
    // hospital key silently. It is removed once wrapped below.
    let key = if key_path.exists() {
        let held = SigningKey::load(&key_path)?;
        if held != key && imported {
            return Err(KeyError::Mismatch {
                path: key_path,
                found: key.fingerprint(),
                held: held.fingerprint(),
            }
            .into());
        }
        held
    } else {
        key
    };

    let mut store = Store::create(data_dir)?;
    // Unlocked for this process from the start: setup's own audit entries
    // are keyed.
    crate::keys::wrap::hold(data_dir.root(), &key);
    let tx = store.write()?;
    store::put_setting(&tx, crate::settings::TERMINAL_CODE, terminal.as_str())?;
    store::put_setting(&tx, crate::settings::HOSPITAL_NAME, &hospital)?;
    store::put_setting(&tx, "setup.at", &stamp(clock.now()))?;
    store::put_setting(&tx, "key.fingerprint", &key.fingerprint())?;
    auth::insert_user(&tx, &admin, &Role::ALL, &params.admin_pin, clock)?;
    let admin_phc = auth::find_user(&tx, admin.as_str())?
        .map(|u| u.pin_hash)
        .unwrap_or_default();
    audit::record(
        &tx,
        &Actor::system(admin.as_str(), &terminal),
        clock,
        "setup",
        &[format!("terminal:{terminal}"), format!("user:{admin}")],
        serde_json::json!({
            "hospital": hospital,
            "key_fingerprint": key.fingerprint(),
            "key_imported": imported,
            // Never the PIN or its hash: a digest of the hash, so `verify`
            // tells a hash swapped behind the program's back.
            "pin_hash_sha256": crate::verify::pin_hash_digest(&admin_phc),
        }),
    )?;
    // The key is never written in plain form: only wrapped for the admin
    // under their PIN (keys::wrap); other users get theirs when created.
    crate::keys::wrap::store_wrap(
        &tx,
        &Actor::system(admin.as_str(), &terminal),
        clock,
        &key,
        terminal.as_str(),
        admin.as_str(),
        &params.admin_pin,
        "setup",
    )?;
    crate::calendar::load_bundled(&tx, &Actor::system(admin.as_str(), &terminal), clock)?;
    tx.commit()?;
    if key_path.exists() {
        crate::keys::wrap::shred(&key_path)?;
    }
    tracing::info!(terminal = %terminal, admin = %admin, "terminal set up");
    Ok(SetupReport {
        data_dir: data_dir.root().to_path_buf(),
        database: data_dir.db_path(),
        terminal: terminal.to_string(),
        hospital,
        admin: admin.to_string(),
        key_fingerprint: key.fingerprint(),
        key_imported: imported,
    })
}

/// The terminal code recorded at setup.
pub fn terminal_code(store: &Store) -> Result<TerminalCode, StoreError> {
    let code = crate::settings::terminal_code_text(store.conn())?;
    TerminalCode::parse(&code).map_err(|_| StoreError::Corrupt {
        path: store.data_dir().db_path(),
        detail: "the terminal code setting is missing".into(),
    })
}
