//! Managing the users of a terminal: add, disable, enable, reset a PIN,
//! change roles, list. Only an admin may do any of it, every change is
//! audited in its own transaction, and the terminal is never left without an
//! enabled admin (nobody could then manage users, import prices or restore).

use super::{AuthError, Role, Session, find_user, hash_pin, roles_text};
use crate::audit::{self, Actor};
use crate::clock::{Clock, stamp};
use crate::domain::UserName;
use crate::store::Store;
use rusqlite::Connection;

/// A user as shown to an admin: never the PIN hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UserInfo {
    pub name: String,
    pub roles: Vec<String>,
    pub disabled: bool,
    /// RFC 3339 end of a lock-out, when one is running or ran.
    pub locked_until: Option<String>,
    pub failed_pins: i64,
    pub created_at: String,
}

impl UserInfo {
    /// Whether a lock-out is still running at `now`.
    pub fn is_locked(&self, now: chrono::DateTime<chrono::FixedOffset>) -> bool {
        self.locked_until
            .as_deref()
            .and_then(|u| chrono::DateTime::parse_from_rfc3339(u).ok())
            .is_some_and(|u| u > now)
    }
}

fn user_info(conn: &Connection, name: &str) -> Result<UserInfo, AuthError> {
    list_rows(conn)?
        .into_iter()
        .find(|u| u.name == name)
        .ok_or_else(|| AuthError::NoSuchUser(name.to_string()))
}

fn list_rows(conn: &Connection) -> Result<Vec<UserInfo>, AuthError> {
    let mut stmt = conn.prepare(
        "SELECT name, roles, disabled, locked_until, failed_pins, created_at
         FROM users ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(UserInfo {
            name: r.get(0)?,
            roles: r
                .get::<_, String>(1)?
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            disabled: r.get::<_, i64>(2)? != 0,
            locked_until: r.get(3)?,
            failed_pins: r.get(4)?,
            created_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every user of the terminal (admin only).
pub fn list_users(conn: &Connection, session: &Session) -> Result<Vec<UserInfo>, AuthError> {
    session.require(Role::Admin, "list users")?;
    list_rows(conn)
}

/// Adds a user with `roles` and a first PIN (at least 6 digits).
pub fn add_user(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    name: &str,
    roles: &[Role],
    pin: &str,
) -> Result<UserInfo, AuthError> {
    session.require(Role::Admin, "add users")?;
    let name = UserName::parse(name)?;
    if roles.is_empty() {
        return Err(AuthError::UnknownRole(String::new()));
    }
    let key = unlocked_key(store, session)?;
    let tx = store.write()?;
    let info = insert_user_audited(&tx, &Actor::of(session), clock, &name, roles, pin)?;
    crate::keys::wrap::store_wrap(
        &tx,
        &Actor::of(session),
        clock,
        &key,
        session.terminal.as_str(),
        name.as_str(),
        pin,
        "user.add",
    )?;
    tx.commit()?;
    tracing::info!(user = %name, by = %session.user, "user added");
    Ok(info)
}

/// Inserts a user and writes the `user.add` audit entry `verify` checks
/// users against, inside the caller's transaction. For code that creates
/// users on the program's behalf (a demo terminal); people go through
/// [`add_user`], which checks the role first.
pub fn insert_user_audited(
    conn: &Connection,
    actor: &Actor,
    clock: &dyn Clock,
    name: &UserName,
    roles: &[Role],
    pin: &str,
) -> Result<UserInfo, AuthError> {
    super::insert_user(conn, name, roles, pin, clock)?;
    let phc = find_user(conn, name.as_str())?
        .map(|u| u.pin_hash)
        .unwrap_or_default();
    audit::record(
        conn,
        actor,
        clock,
        "user.add",
        &[format!("user:{name}")],
        serde_json::json!({
            "roles": roles_text(roles),
            "pin_hash_sha256": crate::verify::pin_hash_digest(&phc),
        }),
    )?;
    user_info(conn, name.as_str())
}

/// The signing key the admin's session unlocked (or a login unlocked for
/// this data directory in this process): a new user's wrap is made with it.
fn unlocked_key(store: &Store, session: &Session) -> Result<crate::keys::SigningKey, AuthError> {
    if let Ok(k) = session.key() {
        return Ok(k.clone());
    }
    crate::keys::wrap::held(store.data_dir().root())
        .map(|k| (*k).clone())
        .ok_or_else(|| {
            AuthError::Key(crate::keys::KeyError::NotUnlocked {
                user: session.user.to_string(),
            })
        })
}

/// Enabled admins other than `except`.
fn other_enabled_admins(conn: &Connection, except: &str) -> Result<usize, AuthError> {
    Ok(list_rows(conn)?
        .iter()
        .filter(|u| u.name != except && !u.disabled && u.roles.iter().any(|r| r == "admin"))
        .count())
}

/// Whether a user may log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Enabled,
    Disabled,
}

/// Disables or enables a user. A disabled user cannot log in; their
/// records stay. The last enabled admin cannot be disabled.
pub fn set_access(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    name: &str,
    access: Access,
) -> Result<UserInfo, AuthError> {
    let disabled = access == Access::Disabled;
    session.require(
        Role::Admin,
        if disabled {
            "disable users"
        } else {
            "enable users"
        },
    )?;
    let name = UserName::parse(name)?;
    let tx = store.write()?;
    let user =
        find_user(&tx, name.as_str())?.ok_or_else(|| AuthError::NoSuchUser(name.to_string()))?;
    if disabled && user.roles.contains(&Role::Admin) && other_enabled_admins(&tx, &user.name)? == 0
    {
        return Err(AuthError::LastAdmin(user.name));
    }
    tx.execute(
        "UPDATE users SET disabled = ?2 WHERE name = ?1",
        rusqlite::params![user.name, disabled as i64],
    )?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        if disabled {
            "user.disable"
        } else {
            "user.enable"
        },
        &[format!("user:{name}")],
        serde_json::json!({}),
    )?;
    let info = user_info(&tx, name.as_str())?;
    tx.commit()?;
    tracing::info!(user = %name, by = %session.user, disabled, "user enabled/disabled");
    Ok(info)
}

/// Sets a new PIN for a user (who forgot theirs) and lifts any lock-out.
pub fn reset_pin(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    name: &str,
    new_pin: &str,
) -> Result<UserInfo, AuthError> {
    session.require(Role::Admin, "reset PINs")?;
    let name = UserName::parse(name)?;
    let hash = hash_pin(new_pin)?;
    let key = unlocked_key(store, session)?;
    let tx = store.write()?;
    if find_user(&tx, name.as_str())?.is_none() {
        return Err(AuthError::NoSuchUser(name.to_string()));
    }
    // The old wrap goes with the old PIN: only the new PIN opens the key.
    crate::keys::wrap::store_wrap(
        &tx,
        &Actor::of(session),
        clock,
        &key,
        session.terminal.as_str(),
        name.as_str(),
        new_pin,
        "user.reset_pin",
    )?;
    tx.execute(
        "UPDATE users SET pin_hash = ?2, failed_pins = 0, locked_until = NULL WHERE name = ?1",
        rusqlite::params![name.as_str(), hash],
    )?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "user.reset_pin",
        &[format!("user:{name}")],
        // Never the PIN or its hash, only a digest of the hash, so `verify`
        // can tell a hash swapped behind the program's back.
        serde_json::json!({
            "at": stamp(clock.now()),
            "pin_hash_sha256": crate::verify::pin_hash_digest(&hash),
        }),
    )?;
    let info = user_info(&tx, name.as_str())?;
    tx.commit()?;
    tracing::info!(user = %name, by = %session.user, "PIN reset");
    Ok(info)
}

/// Replaces a user's roles. The last enabled admin keeps `admin`.
pub fn set_roles(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    name: &str,
    roles: &[Role],
) -> Result<UserInfo, AuthError> {
    session.require(Role::Admin, "change roles")?;
    let name = UserName::parse(name)?;
    if roles.is_empty() {
        return Err(AuthError::UnknownRole(String::new()));
    }
    let tx = store.write()?;
    let user =
        find_user(&tx, name.as_str())?.ok_or_else(|| AuthError::NoSuchUser(name.to_string()))?;
    if user.roles.contains(&Role::Admin)
        && !roles.contains(&Role::Admin)
        && !user.disabled
        && other_enabled_admins(&tx, &user.name)? == 0
    {
        return Err(AuthError::LastAdmin(user.name));
    }
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    tx.execute(
        "UPDATE users SET roles = ?2 WHERE name = ?1",
        rusqlite::params![user.name, roles_text(&roles)],
    )?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "user.roles",
        &[format!("user:{name}")],
        serde_json::json!({"from": roles_text(&user.roles), "to": roles_text(&roles)}),
    )?;
    let info = user_info(&tx, name.as_str())?;
    tx.commit()?;
    tracing::info!(user = %name, by = %session.user, roles = %roles_text(&roles), "roles changed");
    Ok(info)
}
