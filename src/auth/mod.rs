//! Users, roles, PINs and lock-out. Permissions are enforced here, in the
//! library: every operation that needs a role asks the [`Session`] for it, so
//! neither the GUI nor a script can go around them.
//!
//! # Who may do what
//!
//! Each library operation calls [`Session::require`] (or
//! [`Session::require_any`]) with the role below before it touches
//! anything; the CLI maps a refusal to exit 3 and the GUI hides what the
//! user's roles do not allow. A user may hold several roles.
//!
//! | operation | role needed |
//! |---|---|
//! | `users::add_user`, `set_disabled`, `reset_pin`, `set_roles`, `list_users` | admin |
//! | `settings::set` (lock-out, idle lock, backup policy) | admin |
//! | `keys::transfer::export_key`, `import_key` | admin |
//! | `backup::backup_to` (a backup on demand) | admin or finance |
//! | `backup::restore` | admin |
//! | audit listing (`audit list`) | admin |
//! | `approve_by_supervisor` (void, refund, large cash variance) | admin, a second person |
//! | price-list import, receipt ranges, holiday calendar (issue 2) | admin |
//! | issue receipts, reprint, void/refund own receipts, shift close (issue 4) | cashier |
//! | verify / dispense / return by receipt (issue 4) | pharmacist |
//! | journals, exchange, HIS posting, reconcile, reports (issue 4) | finance |
//! | `verify::run`, automatic backups (shift close, exit, every N receipts) | none: read-only or done on the program's behalf |
//!
//! Five wrong PINs in a row lock a user for `auth.lockout_minutes`
//! ([`settings::lockout_minutes`], default 5); the counters live in the
//! database, so a restart does not lift the lock.

/// Settings moved to their own module; the old path keeps working.
pub use crate::settings;
pub mod checks;
pub mod users;

use crate::clock::{Clock, stamp};
use crate::domain::{DomainError, TerminalCode, UserName};
use crate::error::{ErrorKind, Remedy, UserFacing};
use crate::i18n::Lang;
use crate::store::StoreError;
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rusqlite::{Connection, OptionalExtension};
use std::fmt;

/// Wrong PINs in a row before a user is locked.
pub const MAX_FAILED_PINS: i64 = 5;
/// Default lock-out, in minutes (setting `auth.lockout_minutes`).
pub const DEFAULT_LOCKOUT_MINUTES: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Cashier,
    Pharmacist,
    Finance,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Cashier, Role::Pharmacist, Role::Finance, Role::Admin];

    pub fn code(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::Pharmacist => "pharmacist",
            Role::Finance => "finance",
            Role::Admin => "admin",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Role::Cashier => lang.pick("收费员", "cashier"),
            Role::Pharmacist => lang.pick("药剂师", "pharmacist"),
            Role::Finance => lang.pick("财务", "finance"),
            Role::Admin => lang.pick("管理员", "admin"),
        }
    }

    pub fn parse(s: &str) -> Result<Role, AuthError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cashier" => Ok(Role::Cashier),
            "pharmacist" => Ok(Role::Pharmacist),
            "finance" => Ok(Role::Finance),
            "admin" => Ok(Role::Admin),
            other => Err(AuthError::UnknownRole(other.to_string())),
        }
    }

    /// `cashier,admin` → roles; refuses unknown names and an empty list.
    pub fn parse_list(s: &str) -> Result<Vec<Role>, AuthError> {
        let mut roles: Vec<Role> = s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(Role::parse)
            .collect::<Result<_, _>>()?;
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err(AuthError::UnknownRole(String::new()));
        }
        Ok(roles)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

pub fn roles_text(roles: &[Role]) -> String {
    roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("unknown role '{0}' (use cashier, pharmacist, finance, admin)")]
    UnknownRole(String),
    #[error("a PIN must be at least 6 digits, digits only")]
    WeakPin,
    #[error(
        "this PIN is too easy to guess (one digit repeated, or a run like 123456 or 654321): choose another"
    )]
    TrivialPin,
    #[error("no such user '{0}'")]
    NoSuchUser(String),
    #[error("user '{0}' already exists")]
    UserExists(String),
    #[error("wrong PIN for user '{user}' ({left} tries left before a lock-out)")]
    WrongPin { user: String, left: i64 },
    #[error("user '{user}' is locked after repeated wrong PINs until {until}")]
    Locked { user: String, until: String },
    #[error("user '{0}' is disabled")]
    Disabled(String),
    #[error("user '{user}' lacks the role '{role}' needed to {action}")]
    MissingRole {
        user: String,
        role: Role,
        action: String,
    },
    #[error("'{0}' cannot approve their own operation: a second person must")]
    SelfApproval(String),
    #[error("no PIN given: set {0} or run on a terminal to be asked")]
    NoPin(&'static str),
    #[error("user '{user}' holds none of the roles {roles} needed to {action}")]
    MissingAnyRole {
        user: String,
        roles: String,
        action: String,
    },
    #[error("'{0}' is the last enabled admin: add or enable another admin first")]
    LastAdmin(String),
    #[error("unknown setting '{0}'")]
    UnknownSetting(String),
    #[error("setting {key}: '{value}' is not valid (expected {reason})")]
    BadSetting {
        key: String,
        value: String,
        reason: String,
    },
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(crate::keys::KeyError),
}

impl From<rusqlite::Error> for AuthError {
    fn from(e: rusqlite::Error) -> Self {
        AuthError::Store(e.into())
    }
}

impl UserFacing for AuthError {
    fn remedy(&self) -> Option<Remedy> {
        match self {
            AuthError::UnknownSetting(_) => Some(Remedy::KnownSettings),
            AuthError::Store(e) => e.remedy(),
            _ => None,
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            AuthError::UnknownRole(_)
            | AuthError::WeakPin
            | AuthError::TrivialPin
            | AuthError::Domain(_)
            | AuthError::UnknownSetting(_)
            | AuthError::BadSetting { .. } => ErrorKind::Invalid,
            AuthError::UserExists(_) | AuthError::LastAdmin(_) => ErrorKind::Conflict,
            AuthError::MissingAnyRole { .. } => ErrorKind::NotAllowed,
            AuthError::NoSuchUser(_)
            | AuthError::WrongPin { .. }
            | AuthError::Locked { .. }
            | AuthError::Disabled(_)
            | AuthError::MissingRole { .. }
            | AuthError::SelfApproval(_)
            | AuthError::NoPin(_) => ErrorKind::NotAllowed,
            AuthError::Store(e) => e.kind(),
            AuthError::Key(e) => e.kind(),
        }
    }

    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            AuthError::UnknownRole(r) => {
                format!("未知角色“{r}”（可用 cashier、pharmacist、finance、admin）")
            }
            AuthError::WeakPin => "PIN 至少 6 位，且只能是数字".into(),
            AuthError::TrivialPin => {
                "此 PIN 太容易被猜到（同一数字重复，或 123456、654321 这样的连续数字）：请另选一个"
                    .into()
            }
            AuthError::NoSuchUser(u) => format!("没有用户“{u}”"),
            AuthError::UserExists(u) => format!("用户“{u}”已存在"),
            AuthError::WrongPin { user, left } => {
                format!("用户“{user}”的 PIN 错误（再错 {left} 次将被锁定）")
            }
            AuthError::Locked { user, until } => {
                format!("用户“{user}”因多次输错 PIN 已被锁定，至 {until}")
            }
            AuthError::Disabled(u) => format!("用户“{u}”已停用"),
            AuthError::MissingRole { user, role, action } => format!(
                "用户“{user}”没有“{}”角色，不能{action}",
                role.label(Lang::Zh)
            ),
            AuthError::SelfApproval(u) => format!("“{u}”不能审批自己的操作：必须由另一人审批"),
            AuthError::NoPin(var) => format!("未提供 PIN：请设置 {var}，或在终端中运行以输入"),
            AuthError::MissingAnyRole {
                user,
                roles,
                action,
            } => {
                format!("用户“{user}”没有 {roles} 中的任何角色，不能{action}")
            }
            AuthError::LastAdmin(u) => {
                format!("“{u}”是最后一个启用的管理员：请先添加或启用另一名管理员")
            }
            AuthError::UnknownSetting(k) => format!("未知设置“{k}”"),
            AuthError::BadSetting { key, value, reason } => {
                format!("设置 {key}：“{value}”无效（应为 {reason}）")
            }
            AuthError::Domain(e) => e.message(lang),
            AuthError::Store(e) => e.message(lang),
            AuthError::Key(e) => e.message(lang),
        }
    }
}

/// Who is acting, where. Created only by [`login`] (or setup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    user: UserName,
    roles: Vec<Role>,
    terminal: TerminalCode,
    /// The hospital signing key, unwrapped at login with the user's PIN
    /// (`keys::wrap`); only in memory, zeroed when the last holder drops.
    key: Option<std::sync::Arc<crate::keys::SigningKey>>,
}

impl Session {
    /// A session from its validated parts (user and terminal are parsed
    /// types); the roles are kept once each, in order. Login and setup make
    /// sessions; tests and benches use this for a session without a PIN.
    pub fn new(user: UserName, roles: &[Role], terminal: TerminalCode) -> Session {
        let mut held: Vec<Role> = Vec::with_capacity(roles.len());
        for r in roles {
            if !held.contains(r) {
                held.push(*r);
            }
        }
        Session {
            user,
            roles: held,
            terminal,
            key: None,
        }
    }

    /// The same session holding `key` (setup, tests and benches that made
    /// the session without a login).
    pub fn with_key(mut self, key: crate::keys::SigningKey) -> Session {
        self.key = Some(std::sync::Arc::new(key));
        self
    }

    /// The signing key this session unlocked at login, or why there is
    /// none.
    pub fn key(&self) -> Result<&crate::keys::SigningKey, crate::keys::KeyError> {
        self.key
            .as_deref()
            .ok_or_else(|| crate::keys::KeyError::NotUnlocked {
                user: self.user.to_string(),
            })
    }

    pub fn user(&self) -> &UserName {
        &self.user
    }

    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    pub fn terminal(&self) -> &TerminalCode {
        &self.terminal
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether this user sees patients' resident ID, phone and insurance
    /// numbers in full: only finance and admin, who key them into the HIS
    /// (exchange, re-settlement, posting). A cashier takes them down from
    /// the patient and sees them masked afterwards like a pharmacist: the
    /// last digits are enough to match a card at the window.
    pub fn sees_full_identifiers(&self) -> bool {
        self.has(Role::Finance) || self.has(Role::Admin)
    }

    /// Refuses unless the user holds `role`; `action` says what was refused
    /// (in the language of the message: callers pass a short phrase).
    pub fn require(&self, role: Role, action: &str) -> Result<(), AuthError> {
        if self.has(role) {
            Ok(())
        } else {
            Err(AuthError::MissingRole {
                user: self.user.to_string(),
                role,
                action: action.to_string(),
            })
        }
    }

    /// Refuses unless the user holds at least one of `roles`.
    pub fn require_any(&self, roles: &[Role], action: &str) -> Result<(), AuthError> {
        if roles.iter().any(|r| self.has(*r)) {
            Ok(())
        } else {
            Err(AuthError::MissingAnyRole {
                user: self.user.to_string(),
                roles: roles_text(roles),
                action: action.to_string(),
            })
        }
    }
}

/// A new PIN: at least 6 digits, and not one a bystander guesses first —
/// one digit repeated (`000000`, `777777`) or a run up or down, wrapping
/// past 9/0 (`123456`, `654321`, `890123`). Checked whenever a PIN is set
/// (setup, user add, PIN reset); PINs already stored keep working.
pub fn validate_pin(pin: &str) -> Result<(), AuthError> {
    if pin.len() < 6 || !pin.chars().all(|c| c.is_ascii_digit()) {
        return Err(AuthError::WeakPin);
    }
    if is_trivial_pin(pin) {
        return Err(AuthError::TrivialPin);
    }
    Ok(())
}

/// One digit repeated, or every step +1 or every step −1 (mod 10).
fn is_trivial_pin(pin: &str) -> bool {
    let d: Vec<u8> = pin.bytes().map(|b| b - b'0').collect();
    [0u8, 1, 9]
        .iter()
        .any(|step| d.windows(2).all(|w| w[1] == (w[0] + step) % 10))
}

pub fn hash_pin(pin: &str) -> Result<String, AuthError> {
    validate_pin(pin)?;
    let mut salt_bytes = [0u8; 16];
    rand::fill(&mut salt_bytes);
    let hash: PasswordHash = Argon2::default()
        .hash_password_with_salt(pin.as_bytes(), &salt_bytes)
        .map_err(|_| AuthError::WeakPin)?;
    Ok(hash.to_string())
}

/// Spends the time of one PIN check when there is no user to check against,
/// so an unknown name is answered no faster than a real one (the answer's
/// timing must not tell which names exist). Hashing with a fixed salt costs
/// what verifying does: both run Argon2 once with the same parameters.
fn burn_pin_check(pin: &str) {
    let _ = Argon2::default().hash_password_with_salt(pin.as_bytes(), &[0x5a; 16]);
}

pub(crate) fn pin_matches(pin: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(pin.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// Inserts a user row (the caller writes the audit entry in the same
/// transaction).
pub fn insert_user(
    conn: &Connection,
    name: &UserName,
    roles: &[Role],
    pin: &str,
    clock: &dyn Clock,
) -> Result<(), AuthError> {
    let exists: Option<String> = conn
        .query_row(
            "SELECT name FROM users WHERE name = ?1",
            [name.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_some() {
        return Err(AuthError::UserExists(name.to_string()));
    }
    let hash = hash_pin(pin)?;
    conn.execute(
        "INSERT INTO users(name, roles, pin_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![name.as_str(), roles_text(roles), hash, stamp(clock.now())],
    )?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct UserRow {
    pub name: String,
    pub roles: Vec<Role>,
    pub pin_hash: String,
    pub disabled: bool,
    pub failed_pins: i64,
    pub locked_until: Option<String>,
}

pub fn find_user(conn: &Connection, name: &str) -> Result<Option<UserRow>, AuthError> {
    let row = conn
        .query_row(
            "SELECT name, roles, pin_hash, disabled, failed_pins, locked_until
             FROM users WHERE name = ?1",
            [name],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            },
        )
        .optional()?;
    match row {
        None => Ok(None),
        Some((name, roles, pin_hash, disabled, failed_pins, locked_until)) => Ok(Some(UserRow {
            name,
            roles: Role::parse_list(&roles).unwrap_or_default(),
            pin_hash,
            disabled: disabled != 0,
            failed_pins,
            locked_until,
        })),
    }
}

/// Checks a user's PIN, counting failures and locking after
/// [`MAX_FAILED_PINS`]; the counters are committed even when the PIN is
/// wrong, so a lock survives a restart.
pub fn login(
    conn: &mut Connection,
    name: &str,
    pin: &str,
    terminal: &TerminalCode,
    clock: &dyn Clock,
) -> Result<Session, AuthError> {
    let user_name = UserName::parse(name)?;
    let now = clock.now();
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let Some(user) = find_user(&tx, user_name.as_str())? else {
        burn_pin_check(pin);
        return Err(AuthError::NoSuchUser(user_name.to_string()));
    };
    if user.disabled {
        return Err(AuthError::Disabled(user.name));
    }
    if let Some(until) = &user.locked_until
        && let Ok(t) = chrono::DateTime::parse_from_rfc3339(until)
        && t > now
    {
        // A lock-out never runs longer than its length from now: one set
        // while the clock was ahead (an attacker locking the admin until
        // 9999) is brought back to that length, once.
        let longest = now + chrono::Duration::minutes(settings::lockout_minutes(&tx)?);
        if t > longest {
            let until = stamp(longest);
            tx.execute(
                "UPDATE users SET locked_until = ?2 WHERE name = ?1",
                rusqlite::params![user.name, until],
            )?;
            tx.commit()?;
            return Err(AuthError::Locked {
                user: user.name,
                until,
            });
        }
        return Err(AuthError::Locked {
            user: user.name,
            until: until.clone(),
        });
    }
    // The PIN must match its hash *and* open the user's wrapped key: a PIN
    // hash swapped in behind the program's back opens nothing, and counts
    // as a wrong PIN.
    let unlocked = if pin_matches(pin, &user.pin_hash) {
        crate::keys::wrap::unlock_at_login(&tx, clock, &user.name, pin, terminal.as_str())
            .map_err(AuthError::Key)?
    } else {
        crate::keys::wrap::Unlocked::Refused
    };
    let key = match unlocked {
        crate::keys::wrap::Unlocked::Key(k) => Some(k),
        crate::keys::wrap::Unlocked::NoWrap => None,
        crate::keys::wrap::Unlocked::Refused => {
            return fail_pin(tx, &user, &user_name, terminal, clock, now);
        }
    };
    tx.execute(
        "UPDATE users SET failed_pins = 0, locked_until = NULL WHERE name = ?1",
        [&user.name],
    )?;
    tx.commit()?;
    if let Some(dir) = crate::keys::wrap::data_dir_of(conn) {
        if let Some(k) = &key {
            crate::keys::wrap::hold(&dir, k);
        }
        // An upgraded directory: the plain key file goes once every active
        // user has a (committed) wrap. A failure to remove it is logged.
        if let Err(e) = crate::keys::wrap::seal_plain_file_if_done(conn, &dir) {
            tracing::warn!(error = %e, "could not remove the plain signing key file");
        }
    }
    Ok(Session {
        user: user_name,
        roles: user.roles,
        terminal: terminal.clone(),
        key: key.map(std::sync::Arc::new),
    })
}

/// A wrong PIN (or a wrap that does not open): counted, and a lock-out
/// after [`MAX_FAILED_PINS`], committed.
fn fail_pin(
    tx: rusqlite::Transaction<'_>,
    user: &UserRow,
    user_name: &UserName,
    terminal: &TerminalCode,
    clock: &dyn Clock,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<Session, AuthError> {
    let user = user.clone();
    let failed = user.failed_pins + 1;
    let result = if failed >= MAX_FAILED_PINS {
        let minutes = settings::lockout_minutes(&tx)?;
        let until = stamp(now + chrono::Duration::minutes(minutes));
        tx.execute(
            "UPDATE users SET failed_pins = 0, locked_until = ?2 WHERE name = ?1",
            rusqlite::params![user.name, until],
        )?;
        crate::audit::record(
            &tx,
            &crate::audit::Actor::system(user_name.as_str(), terminal),
            clock,
            "user.locked",
            &[format!("user:{}", user.name)],
            serde_json::json!({"until": until}),
        )?;
        AuthError::Locked {
            user: user.name,
            until,
        }
    } else {
        tx.execute(
            "UPDATE users SET failed_pins = ?2 WHERE name = ?1",
            rusqlite::params![user.name, failed],
        )?;
        AuthError::WrongPin {
            user: user.name,
            left: MAX_FAILED_PINS - failed,
        }
    };
    tx.commit()?;
    Err(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_and_roles() {
        assert!(validate_pin("12345").is_err());
        assert!(validate_pin("12345a").is_err());
        assert!(validate_pin("739146").is_ok());
        for trivial in ["000000", "999999", "123456", "654321", "890123", "3210987"] {
            assert!(
                matches!(validate_pin(trivial), Err(AuthError::TrivialPin)),
                "{trivial}"
            );
        }
        assert!(validate_pin("135791").is_ok());
        let h = hash_pin("739146").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(pin_matches("739146", &h));
        assert!(!pin_matches("582047", &h));
        assert_eq!(
            Role::parse_list("admin,cashier").unwrap(),
            vec![Role::Cashier, Role::Admin]
        );
        assert!(Role::parse_list("boss").is_err());
    }
}

/// A second person's approval (void, refund, large cash variance): another
/// user than the one asking, holding `admin`, with the right PIN. Wrong
/// PINs count towards the supervisor's lock-out like any login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub supervisor: UserName,
}

pub fn approve_by_supervisor(
    conn: &mut Connection,
    requester: &Session,
    supervisor: &str,
    pin: &str,
    clock: &dyn Clock,
) -> Result<Approval, AuthError> {
    let sup = UserName::parse(supervisor)?;
    if sup == requester.user {
        return Err(AuthError::SelfApproval(sup.to_string()));
    }
    let s = login(conn, sup.as_str(), pin, &requester.terminal, clock)?;
    s.require(Role::Admin, "approve as a supervisor")?;
    Ok(Approval { supervisor: sup })
}

/// Unlocks a GUI that locked itself after `ui.idle_lock_minutes`: the same
/// user's PIN again, counted towards the lock-out like any login. Returns a
/// fresh session, so roles changed meanwhile (or a user disabled) take
/// effect at once; the screen's state is the GUI's to keep.
pub fn unlock(
    conn: &mut Connection,
    session: &Session,
    pin: &str,
    clock: &dyn Clock,
) -> Result<Session, AuthError> {
    login(conn, session.user.as_str(), pin, &session.terminal, clock)
}

/// Checks a PIN without writing to the database. Only for `restore` when
/// the current database cannot be opened at all: the admin then proves who
/// they are against the users of the (already verified) backup, which is
/// opened read-only. Wrong PINs are counted in `attempts`, a small file in
/// the data directory outside any database, so the lock-out holds here too
/// (five wrong PINs lock the name for the backup's `auth.lockout_minutes`);
/// a lock-out running in the backup copy is honoured as well.
pub fn authenticate_readonly(
    conn: &Connection,
    name: &str,
    pin: &str,
    terminal: &TerminalCode,
    clock: &dyn Clock,
    attempts: &std::path::Path,
) -> Result<Session, AuthError> {
    let user_name = UserName::parse(name)?;
    let now = clock.now();
    let mut counts = FileAttempts::load(attempts);
    if let Some(until) = counts.locked_until(user_name.as_str(), now) {
        return Err(AuthError::Locked {
            user: user_name.to_string(),
            until,
        });
    }
    let Some(user) = find_user(conn, user_name.as_str())? else {
        burn_pin_check(pin);
        return Err(AuthError::NoSuchUser(user_name.to_string()));
    };
    if user.disabled {
        return Err(AuthError::Disabled(user.name));
    }
    if let Some(until) = &user.locked_until
        && let Ok(t) = chrono::DateTime::parse_from_rfc3339(until)
        && t > now
    {
        return Err(AuthError::Locked {
            user: user.name,
            until: until.clone(),
        });
    }
    // The backup's wrap of this user must open too (the key the restored
    // database will need); a wrap that does not open is a wrong PIN.
    // (A backup older than the wraps has no such table: no wrap.)
    let wrap = crate::keys::wrap::find(conn, &user.name).ok().flatten();
    let key = match (&wrap, pin_matches(pin, &user.pin_hash)) {
        (_, false) => Err(()),
        (None, true) => Ok(None),
        (Some(w), true) => crate::keys::wrap::open(w, pin, terminal.as_str())
            .map(Some)
            .ok_or(()),
    };
    let Ok(key) = key else {
        let failed = counts.fail(&user.name);
        let err = if failed >= MAX_FAILED_PINS {
            let minutes = settings::lockout_minutes(conn).unwrap_or(DEFAULT_LOCKOUT_MINUTES);
            let until = stamp(now + chrono::Duration::minutes(minutes));
            counts.lock(&user.name, &until);
            AuthError::Locked {
                user: user.name,
                until,
            }
        } else {
            AuthError::WrongPin {
                user: user.name,
                left: MAX_FAILED_PINS - failed,
            }
        };
        counts.save(attempts)?;
        return Err(err);
    };
    if counts.clear(&user.name) {
        counts.save(attempts)?;
    }
    if let (Some(k), Some(dir)) = (&key, attempts.parent()) {
        crate::keys::wrap::hold(dir, k);
    }
    Ok(Session {
        user: user_name,
        roles: user.roles,
        terminal: terminal.clone(),
        key: key.map(std::sync::Arc::new),
    })
}

/// The file in the data directory holding [`authenticate_readonly`]'s
/// wrong-PIN counters.
pub const RESTORE_ATTEMPTS_FILE: &str = "restore-pin-attempts.json";

/// Wrong-PIN counters kept in a file when there is no writable database
/// (restore from a backup while the current database is broken).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct FileAttempts {
    users: std::collections::BTreeMap<String, FileAttempt>,
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct FileAttempt {
    failed: i64,
    locked_until: Option<String>,
}

impl FileAttempts {
    /// The counters; a missing or unreadable file counts as none yet.
    fn load(path: &std::path::Path) -> FileAttempts {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    fn locked_until(
        &self,
        user: &str,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Option<String> {
        let until = self.users.get(user)?.locked_until.as_ref()?;
        let t = chrono::DateTime::parse_from_rfc3339(until).ok()?;
        (t > now).then(|| until.clone())
    }

    fn fail(&mut self, user: &str) -> i64 {
        let e = self.users.entry(user.to_string()).or_default();
        e.failed += 1;
        e.failed
    }

    fn lock(&mut self, user: &str, until: &str) {
        let e = self.users.entry(user.to_string()).or_default();
        e.failed = 0;
        e.locked_until = Some(until.to_string());
    }

    fn clear(&mut self, user: &str) -> bool {
        self.users.remove(user).is_some()
    }

    fn save(&self, path: &std::path::Path) -> Result<(), AuthError> {
        let text = serde_json::to_string(self).unwrap_or_default();
        let tmp = path.with_extension("tmp");
        let io = |e: std::io::Error| {
            AuthError::Store(StoreError::Io {
                path: path.to_path_buf(),
                source: e,
            })
        };
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(())
    }
}

/// The audit trail's actor for a session (audit itself knows nothing of
/// sessions: it depends on the store and the clock only).
impl crate::audit::Actor {
    pub fn of(session: &Session) -> crate::audit::Actor {
        crate::audit::Actor {
            user: session.user.to_string(),
            terminal: session.terminal.to_string(),
        }
    }
}

/// The newest `limit` audit entries, newest first; admins only (the trail
/// names who did what).
pub fn audit_log(
    conn: &rusqlite::Connection,
    session: &Session,
    limit: usize,
) -> Result<Vec<crate::audit::Entry>, AuthError> {
    session.require(Role::Admin, "read the audit log")?;
    Ok(crate::audit::list(conn, limit)?)
}
