//! The signing key at rest: never in plain form on disk, only *wrapped*
//! once per user (table `key_wraps`) under a key derived from that user's
//! PIN. Whoever copies the data directory or a backup holds only wraps; to
//! re-sign a changed total or re-MAC the audit chain they must first guess
//! a PIN against Argon2id offline ([`KDF_M_KIB`], [`KDF_T`]).
//!
//! A wrap is ChaCha20-Poly1305 (an AEAD: a wrong PIN or an edited wrap is
//! refused, never decrypted to a wrong key) of the 32 key bytes under
//! KEK = Argon2id(PIN, per-wrap salt), with associated data naming the
//! terminal and the user, so a wrap copied onto another user's row (or
//! another terminal's database) does not open. One row per user: a new wrap
//! (PIN reset, PIN change) replaces the old one, which the old PIN could
//! still open; each is audited (`key.wrap`, with a digest of the row that
//! `verify` compares).
//!
//! Login ([`crate::auth::login`]) opens the user's wrap and the key lives in
//! the [`crate::auth::Session`] (and [`held`], for the audit chain) only
//! while the program runs; it is zeroed when dropped.
//!
//! Upgrade: a data directory made before wraps holds a plain `signing.key`.
//! At each login of a user with no wrap the plain key is wrapped for them;
//! once every active user has a wrap the plain file is overwritten, synced
//! and removed ([`seal_plain_file_if_done`]).

use super::{KeyError, SigningKey};
use crate::audit::{self, Actor};
use crate::clock::{Clock, stamp};
use crate::store::StoreError;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use zeroize::Zeroizing;

/// Argon2id memory, KiB (19 MiB, the same as the PIN hash's, which is
/// the cheaper way to guess a PIN offline anyway): a wrap adds no weaker
/// door, and unlocking at login lifts the window's resident memory by
/// 19 MiB for a moment, not 64 (the window stays under 150 MB with a 30k
/// month open). One try costs ~21 ms of CPU on one core here (release):
/// all 10^6 six-digit PINs in ~6 core-hours.
pub const KDF_M_KIB: u32 = 19456;
/// Argon2id passes.
pub const KDF_T: u32 = 2;
/// Argon2id lanes.
pub const KDF_P: u32 = 1;

const AD_LABEL: &str = "downtime-billing key wrap v1";

/// The schema of the wraps (appended as a migration).
pub const SCHEMA: &str = "CREATE TABLE key_wraps (
    user        TEXT PRIMARY KEY NOT NULL,
    kdf         TEXT NOT NULL,
    salt        BLOB NOT NULL,
    nonce       BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,
    created_at  TEXT NOT NULL
);";

/// One user's wrapped key, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrap {
    pub user: String,
    /// `argon2id m=… t=… p=…`: the parameters the wrap was made with, so
    /// stronger ones later leave older wraps openable.
    pub kdf: String,
    pub salt: Vec<u8>,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl Wrap {
    /// SHA-256 of the row's parts: what the `key.wrap` audit entry records.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.user.as_bytes(),
            self.kdf.as_bytes(),
            &self.salt,
            &self.nonce,
            &self.ciphertext,
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        hex::encode(h.finalize())
    }
}

fn kdf_text(m: u32, t: u32, p: u32) -> String {
    format!("argon2id m={m} t={t} p={p}")
}

fn parse_kdf(text: &str) -> Option<(u32, u32, u32)> {
    let rest = text.strip_prefix("argon2id ")?;
    let mut m = None;
    let mut t = None;
    let mut p = None;
    for part in rest.split(' ') {
        let (k, v) = part.split_once('=')?;
        let v: u32 = v.parse().ok()?;
        match k {
            "m" => m = Some(v),
            "t" => t = Some(v),
            "p" => p = Some(v),
            _ => return None,
        }
    }
    Some((m?, t?, p?))
}

fn kek(pin: &str, salt: &[u8], kdf: &str) -> Option<Zeroizing<[u8; 32]>> {
    let (m, t, p) = parse_kdf(kdf)?;
    let params = argon2::Params::new(m, t, p, Some(32)).ok()?;
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    a.hash_password_into(pin.as_bytes(), salt, out.as_mut())
        .ok()?;
    Some(out)
}

fn associated_data(terminal: &str, user: &str) -> Vec<u8> {
    let mut ad = Vec::new();
    for part in [AD_LABEL, terminal, user] {
        ad.extend_from_slice(&(part.len() as u64).to_be_bytes());
        ad.extend_from_slice(part.as_bytes());
    }
    ad
}

/// Wraps `key` for `user` of `terminal` under `pin`.
pub fn seal(key: &SigningKey, pin: &str, terminal: &str, user: &str) -> Wrap {
    let mut salt = [0u8; 16];
    rand::fill(&mut salt);
    let mut nonce = [0u8; 12];
    rand::fill(&mut nonce);
    let kdf = kdf_text(KDF_M_KIB, KDF_T, KDF_P);
    // The parameters are constants Argon2 accepts, so this always yields.
    let kek = kek(pin, &salt, &kdf).unwrap_or_else(|| Zeroizing::new([0u8; 32]));
    let cipher = ChaCha20Poly1305::new(&Key::from(*kek));
    let ad = associated_data(terminal, user);
    let ciphertext = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: key.bytes(),
                aad: &ad,
            },
        )
        .unwrap_or_default();
    Wrap {
        user: user.to_string(),
        kdf,
        salt: salt.to_vec(),
        nonce: nonce.to_vec(),
        ciphertext,
    }
}

/// Opens a wrap with `pin`; `None` for a wrong PIN, a wrap made for another
/// user or terminal, or an edited wrap (the AEAD tells them apart from
/// nothing: all are refused alike).
pub fn open(w: &Wrap, pin: &str, terminal: &str) -> Option<SigningKey> {
    let kek = kek(pin, &w.salt, &w.kdf)?;
    let nonce: [u8; 12] = w.nonce.as_slice().try_into().ok()?;
    let cipher = ChaCha20Poly1305::new(&Key::from(*kek));
    let ad = associated_data(terminal, &w.user);
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &w.ciphertext,
                    aad: &ad,
                },
            )
            .ok()?,
    );
    let bytes: [u8; 32] = plain.as_slice().try_into().ok()?;
    Some(SigningKey::from_bytes(bytes))
}

/// The wrap stored for `user`, if any.
pub fn find(conn: &Connection, user: &str) -> Result<Option<Wrap>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT user, kdf, salt, nonce, ciphertext FROM key_wraps WHERE user = ?1",
            [user],
            |r| {
                Ok(Wrap {
                    user: r.get(0)?,
                    kdf: r.get(1)?,
                    salt: r.get(2)?,
                    nonce: r.get(3)?,
                    ciphertext: r.get(4)?,
                })
            },
        )
        .optional()?)
}

/// Every stored wrap, by user.
pub fn all(conn: &Connection) -> Result<Vec<Wrap>, StoreError> {
    let mut st =
        conn.prepare("SELECT user, kdf, salt, nonce, ciphertext FROM key_wraps ORDER BY user")?;
    let rows = st.query_map([], |r| {
        Ok(Wrap {
            user: r.get(0)?,
            kdf: r.get(1)?,
            salt: r.get(2)?,
            nonce: r.get(3)?,
            ciphertext: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Wraps `key` for `user` under `pin` and stores it in place of any older
/// wrap, with its `key.wrap` audit entry (call inside the transaction of
/// the change that needs it: setup, user add, PIN reset or change, login
/// of a user of an upgraded directory). `why` names the occasion.
#[allow(clippy::too_many_arguments)]
pub fn store_wrap(
    conn: &Connection,
    actor: &Actor,
    clock: &dyn Clock,
    key: &SigningKey,
    terminal: &str,
    user: &str,
    pin: &str,
    why: &str,
) -> Result<(), StoreError> {
    let w = seal(key, pin, terminal, user);
    conn.execute("DELETE FROM key_wraps WHERE user = ?1", [user])?;
    conn.execute(
        "INSERT INTO key_wraps(user, kdf, salt, nonce, ciphertext, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            w.user,
            w.kdf,
            w.salt,
            w.nonce,
            w.ciphertext,
            stamp(clock.now())
        ],
    )?;
    audit::record(
        conn,
        actor,
        clock,
        "key.wrap",
        &[format!("user:{user}")],
        serde_json::json!({
            "user": user,
            "why": why,
            "key_fingerprint": key.fingerprint(),
            "wrap_sha256": w.digest(),
        }),
    )?;
    Ok(())
}

/// What login found for a user whose PIN matched.
pub enum Unlocked {
    /// The user's wrap opened (or the plain key of an upgraded directory
    /// was wrapped for them now).
    Key(SigningKey),
    /// The wrap is there but does not open with this PIN for this user:
    /// counted like a wrong PIN.
    Refused,
    /// Neither a wrap nor a plain key file: the session holds no key (an
    /// admin resets the user's PIN to give them one).
    NoWrap,
}

/// Opens `user`'s wrap with `pin` (login, after the PIN hash matched). A
/// user with no wrap in a directory that still holds a plain `signing.key`
/// gets one now (upgrade), inside `conn`'s transaction.
pub fn unlock_at_login(
    conn: &Connection,
    clock: &dyn Clock,
    user: &str,
    pin: &str,
    terminal: &str,
) -> Result<Unlocked, KeyError> {
    if let Some(w) = find(conn, user).map_err(store_err)? {
        return Ok(match open(&w, pin, terminal) {
            Some(k) => Unlocked::Key(k),
            None => Unlocked::Refused,
        });
    }
    let Some(dir) = data_dir_of(conn) else {
        return Ok(Unlocked::NoWrap);
    };
    let plain = crate::store::DataDir::new(&dir).key_path();
    if !plain.exists() {
        return Ok(Unlocked::NoWrap);
    }
    let key = SigningKey::load(&plain)?;
    hold(&dir, &key);
    store_wrap(
        conn,
        &Actor::system(user, &terminal),
        clock,
        &key,
        terminal,
        user,
        pin,
        "upgrade",
    )
    .map_err(store_err)?;
    Ok(Unlocked::Key(key))
}

fn store_err(e: StoreError) -> KeyError {
    KeyError::Store(Box::new(e))
}

/// The data directory a connection's database lives in.
pub fn data_dir_of(conn: &Connection) -> Option<PathBuf> {
    let db = conn.path().filter(|p| !p.is_empty())?;
    Some(Path::new(db).parent()?.to_path_buf())
}

/// Removes the plain `signing.key` of an upgraded directory once every
/// active user has a wrap: overwritten with zeros, synced, removed, the
/// directory synced. Returns whether it removed the file. Never removes it
/// while a user without a wrap could still need it to log in.
pub fn seal_plain_file_if_done(conn: &Connection, dir: &Path) -> Result<bool, KeyError> {
    let plain = crate::store::DataDir::new(dir).key_path();
    if !plain.exists() {
        return Ok(false);
    }
    let unwrapped: i64 = conn
        .query_row(
            "SELECT count(*) FROM users u WHERE u.disabled = 0
             AND NOT EXISTS (SELECT 1 FROM key_wraps w WHERE w.user = u.name)",
            [],
            |r| r.get(0),
        )
        .map_err(|e| store_err(e.into()))?;
    if unwrapped > 0 {
        return Ok(false);
    }
    shred(&plain)?;
    Ok(true)
}

/// Overwrites a file with zeros, syncs it, removes it and syncs its
/// directory (a copy-on-write or journaling file system may still keep old
/// blocks; the README says so).
pub fn shred(path: &Path) -> Result<(), KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    {
        use std::io::Write;
        let len = std::fs::metadata(path).map_err(io)?.len() as usize;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io)?;
        f.write_all(&vec![0u8; len]).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::remove_file(path).map_err(io)?;
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The keys unlocked in this process, by data directory: what the audit
/// trail MACs its entries with ([`crate::audit::record`] takes no session).
/// Set at login and setup, dropped by [`release`] (GUI log-out, idle lock).
static HELD: Mutex<Vec<(PathBuf, Arc<SigningKey>)>> = Mutex::new(Vec::new());

fn canonical(dir: &Path) -> PathBuf {
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

/// Holds `key` for the data directory `dir` until [`release`].
pub fn hold(dir: &Path, key: &SigningKey) {
    let dir = canonical(dir);
    if let Ok(mut h) = HELD.lock() {
        h.retain(|(d, _)| *d != dir);
        h.push((dir, Arc::new(key.clone())));
    }
}

/// The key unlocked for `dir`, if any.
pub fn held(dir: &Path) -> Option<Arc<SigningKey>> {
    let dir = canonical(dir);
    HELD.lock()
        .ok()?
        .iter()
        .find(|(d, _)| *d == dir)
        .map(|(_, k)| k.clone())
}

/// Forgets the key unlocked for `dir` (it is zeroed when the last session
/// holding it is dropped).
pub fn release(dir: &Path) {
    let dir = canonical(dir);
    if let Ok(mut h) = HELD.lock() {
        h.retain(|(d, _)| *d != dir);
    }
}

/// The key for `session` acting on `dir`: the one its login unwrapped, or
/// the one a login (or setup) unlocked for `dir` in this process.
pub fn session_key(
    session: &crate::auth::Session,
    dir: &crate::store::DataDir,
) -> Result<SigningKey, KeyError> {
    if let Ok(k) = session.key() {
        return Ok(k.clone());
    }
    held(dir.root())
        .map(|k| (*k).clone())
        .ok_or_else(|| KeyError::NotUnlocked {
            user: session.user().to_string(),
        })
}

/// Opens `user`'s wrap in the data directory `dir` with `pin` (no login:
/// nothing is counted or written) and holds the key for `dir` in this
/// process. For tools and tests that act on a directory they set up; people
/// log in ([`crate::auth::login`]).
pub fn unlock_dir(
    dir: &crate::store::DataDir,
    user: &str,
    pin: &str,
) -> Result<SigningKey, KeyError> {
    let conn = Connection::open_with_flags(
        dir.db_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| store_err(e.into()))?;
    let terminal = crate::settings::terminal_code_text(&conn).map_err(store_err)?;
    let not_unlocked = || KeyError::NotUnlocked {
        user: user.to_string(),
    };
    let w = find(&conn, user)
        .map_err(store_err)?
        .ok_or_else(not_unlocked)?;
    let key = open(&w, pin, &terminal).ok_or_else(not_unlocked)?;
    hold(dir.root(), &key);
    Ok(key)
}

/// `verify`'s check of `key_wraps`: each wrap is the one its newest
/// `key.wrap` audit entry recorded, and every wrap the trail records is
/// still there unless a key import removed it (a wrap written, swapped,
/// edited or deleted behind the program's back is named). The AEAD refuses such a
/// wrap at login too; this says so before anyone tries.
pub fn check_wraps(
    conn: &Connection,
    _key: Option<&SigningKey>,
) -> Result<crate::verify::Checked, StoreError> {
    use crate::verify::Problem;
    let mut out = crate::verify::Checked::default();
    let mut recorded: std::collections::HashMap<String, String> = Default::default();
    for (_, action, details) in crate::verify::audit_details(conn)? {
        if action == "key.wrap"
            && let (Some(u), Some(d)) = (
                details.get("user").and_then(|v| v.as_str()),
                details.get("wrap_sha256").and_then(|v| v.as_str()),
            )
        {
            recorded.insert(u.to_string(), d.to_string());
        }
        if action == "key.import"
            && let Some(gone) = details.get("wraps_removed").and_then(|v| v.as_array())
        {
            for u in gone.iter().filter_map(|v| v.as_str()) {
                recorded.remove(u);
            }
        }
    }
    let rows = all(conn)?;
    for u in recorded.keys() {
        if !rows.iter().any(|w| w.user == *u) {
            out.problems.push(Problem::new(
                "key_wraps",
                format!("key_wraps user {u}"),
                "the user's wrapped key was deleted behind the program's back (the audit trail records one)",
                "该用户的密钥封装被绕过程序删除（审计记录中有）",
            ));
        }
    }
    for w in rows {
        out.records += 1;
        let record = format!("key_wraps user {}", w.user);
        match recorded.get(&w.user) {
            Some(d) if *d == w.digest() => {}
            Some(_) => out.problems.push(Problem::new(
                "key_wraps",
                record,
                "the wrapped key is not the one its audit entry recorded: replaced or swapped behind the program's back",
                "该用户的密钥封装与审计记录不符：被绕过程序替换或调换",
            )),
            None => out.problems.push(Problem::new(
                "key_wraps",
                record,
                "no audit entry records this wrapped key: written behind the program's back",
                "没有审计记录对应该密钥封装：被绕过程序写入",
            )),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_opens_only_with_its_pin_user_and_terminal() {
        let k = SigningKey::generate();
        let w = seal(&k, "739146", "MZ01", "alice");
        assert_eq!(open(&w, "739146", "MZ01"), Some(k.clone()));
        assert_eq!(open(&w, "582047", "MZ01"), None);
        assert_eq!(open(&w, "739146", "MZ02"), None);
        let mut swapped = w.clone();
        swapped.user = "bob".into();
        assert_eq!(open(&swapped, "739146", "MZ01"), None);
        let mut edited = w.clone();
        edited.ciphertext[0] ^= 1;
        assert_eq!(open(&edited, "739146", "MZ01"), None);
        assert!(!w.ciphertext.windows(32).any(|c| c == k.bytes()));
    }
}
