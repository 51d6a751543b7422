//! The auth capability's own checks for `verify`: every user still holds the
//! roles, state and PIN the hash-chained audit trail says they were given.

use crate::keys::SigningKey;
use crate::store::StoreError;
use crate::verify::{Checked, Problem};
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// What the audit trail says a user should look like.
#[derive(Default)]
struct Expected {
    roles: Option<String>,
    disabled: bool,
    pin_digest: Option<String>,
}

/// SHA-256 of a stored PIN hash, recorded in the audit trail when a PIN is
/// set, so a hash swapped behind the program's back is detected without
/// the log ever holding the hash itself.
pub(crate) fn pin_hash_digest(phc: &str) -> String {
    hex::encode(Sha256::digest(phc.as_bytes()))
}

fn user_of(records: &[String]) -> Option<String> {
    records
        .iter()
        .find_map(|r| r.strip_prefix("user:").map(str::to_string))
}

/// Replays the audit trail's user changes (setup, add, roles, disable,
/// enable, PIN reset) and names every user whose row differs: a user with
/// no audit entry at all, roles granted by plain SQL, a disabled flag
/// cleared, a PIN hash swapped.
pub fn users_against_audit(
    conn: &Connection,
    _key: Option<&SigningKey>,
) -> Result<Checked, StoreError> {
    let mut expected: HashMap<String, Expected> = HashMap::new();
    let mut stmt = conn.prepare("SELECT action, records, details FROM audit_log ORDER BY seq")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (action, records, details) = row?;
        let records: Vec<String> = serde_json::from_str(&records).unwrap_or_default();
        let d: serde_json::Value = serde_json::from_str(&details).unwrap_or_default();
        let Some(user) = user_of(&records) else {
            continue;
        };
        let pin = d
            .get("pin_hash_sha256")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        match action.as_str() {
            "setup" => {
                let e = expected.entry(user).or_default();
                e.roles = Some(crate::auth::roles_text(&crate::auth::Role::ALL));
                e.pin_digest = pin;
            }
            "user.add" => {
                let e = expected.entry(user).or_default();
                e.roles = d.get("roles").and_then(|v| v.as_str()).map(str::to_string);
                e.disabled = false;
                e.pin_digest = pin;
            }
            "user.roles" => {
                if let Some(to) = d.get("to").and_then(|v| v.as_str()) {
                    expected.entry(user).or_default().roles = Some(to.to_string());
                }
            }
            "user.disable" => expected.entry(user).or_default().disabled = true,
            "user.enable" => expected.entry(user).or_default().disabled = false,
            "user.reset_pin" if pin.is_some() => {
                expected.entry(user).or_default().pin_digest = pin;
            }
            _ => {}
        }
    }
    let mut out = Checked::default();
    // A PIN hash is salted: two users never share one unless it was copied
    // (then the copy's owner's PIN opens the other account). Named even
    // where the audit trail holds no digest to compare with (databases set
    // up before setup recorded one).
    let mut by_hash: HashMap<String, Vec<String>> = HashMap::new();
    let mut users =
        conn.prepare("SELECT name, roles, disabled, pin_hash FROM users ORDER BY name")?;
    let rows = users.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (name, roles, disabled, pin_hash) = row?;
        out.records += 1;
        by_hash
            .entry(pin_hash.clone())
            .or_default()
            .push(name.clone());
        let record = format!("users {name}");
        let Some(e) = expected.get(&name) else {
            out.problems.push(Problem::new(
                "users",
                record,
                "has no audit entry creating it (inserted behind the program's back)",
                "没有创建它的审计记录（绕过程序插入）",
            ));
            continue;
        };
        let normalise = |s: &str| {
            crate::auth::Role::parse_list(s)
                .map(|r| crate::auth::roles_text(&r))
                .unwrap_or_else(|_| s.to_string())
        };
        if let Some(want) = &e.roles
            && normalise(want) != normalise(&roles)
        {
            out.problems.push(Problem::new(
                "users",
                record.clone(),
                format!("holds roles '{roles}' but the audit trail gave '{want}'"),
                format!("角色为“{roles}”，但审计记录授予的是“{want}”"),
            ));
        }
        if e.disabled != (disabled != 0) {
            out.problems.push(Problem::new(
                "users",
                record.clone(),
                format!(
                    "is {} but the audit trail says {}",
                    if disabled != 0 { "disabled" } else { "enabled" },
                    if e.disabled { "disabled" } else { "enabled" }
                ),
                format!(
                    "当前为{}，但审计记录为{}",
                    if disabled != 0 { "停用" } else { "启用" },
                    if e.disabled { "停用" } else { "启用" }
                ),
            ));
        }
        if let Some(want) = &e.pin_digest
            && *want != pin_hash_digest(&pin_hash)
        {
            out.problems.push(Problem::new(
                "users",
                record,
                "its PIN hash was replaced outside the program",
                "其 PIN 哈希被绕过程序替换",
            ));
        }
    }
    let mut shared: Vec<Vec<String>> = by_hash.into_values().filter(|n| n.len() > 1).collect();
    shared.sort();
    for names in shared {
        let list = names.join(", ");
        for name in &names {
            out.problems.push(Problem::new(
                "users",
                format!("users {name}"),
                format!(
                    "shares its PIN hash with another user ({list}): a hash was copied, so one user's PIN opens the other's account"
                ),
                format!("与其他用户（{list}）的 PIN 哈希相同：哈希被复制，一人的 PIN 可登录另一人的账户"),
            ));
        }
    }
    Ok(out)
}
