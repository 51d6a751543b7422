//! The audit trail: every state-changing operation writes one entry (who,
//! terminal, when, what, which records) in the same transaction as the
//! change. Entries form a SHA-256 hash chain, and the table is append-only,
//! so an edit or a deletion behind the program's back is detected.
//!
//! The plain chain can be recomputed by anyone who opens the file, so the
//! chain is also *keyed*: each entry carries a MAC (HMAC-SHA256 under a
//! [`ChainKey`] derived from the hospital signing key) over the previous
//! entry's MAC, its sequence number and its plain hash. Rewriting an entry
//! and relinking the rest then needs the key. Entries written before the
//! chain was keyed (an upgraded database) keep their plain hashes; the
//! first keyed entry links to the last plain hash, so the old entries stay
//! verifiable and are covered from then on. [`head`] is the chain's short
//! head, the outside witness printed on shift-close reports.
//!
//! The chain key comes from the signing key a login unlocked (the key is
//! only wrapped on disk, `keys::wrap`): entries written with no one logged
//! in ([`KEYLESS_ACTIONS`]) carry no MAC and are covered by the next keyed
//! entry, whose MAC links to their plain hash.

use crate::clock::{Clock, stamp};
use crate::keys::SigningKey;
use crate::store::StoreError;
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

/// The chain's anchor: the `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who an audit entry is attributed to.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: String,
    pub terminal: String,
}

impl Actor {
    /// For entries the program writes on someone's behalf before a session
    /// exists (setup, lock-outs).
    pub fn system(user: &str, terminal: &impl std::fmt::Display) -> Actor {
        Actor {
            user: user.to_string(),
            terminal: terminal.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub seq: i64,
    pub at: String,
    pub terminal: String,
    pub user: String,
    pub action: String,
    pub records: String,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an entry over the previous hash, its sequence number and its
/// fields (at, terminal, user, action, records, details). Fields are
/// length-prefixed so no two different entries hash the same.
pub fn entry_hash(prev_hash: &str, seq: i64, fields: [&str; 6]) -> String {
    let mut h = Sha256::new();
    let seq = seq.to_string();
    for part in [prev_hash, seq.as_str()].into_iter().chain(fields) {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// The key of the chain's MACs, derived from the hospital signing key (a
/// separate key, so a MAC can never be taken for a receipt signature).
pub struct ChainKey(SigningKey);

impl ChainKey {
    pub fn derive(key: &SigningKey) -> ChainKey {
        ChainKey(SigningKey::from_bytes(
            key.sign(b"downtime-billing audit chain key v1"),
        ))
    }

    /// The MAC of entry `seq` with plain `hash`, linked to `prev` (the
    /// previous entry's MAC, or its plain hash before the chain was keyed,
    /// or [`GENESIS`]).
    pub fn mac(&self, prev: &str, seq: i64, hash: &str) -> String {
        let seq = seq.to_string();
        let mut msg = Vec::with_capacity(prev.len() + hash.len() + 40);
        for part in [prev, seq.as_str(), hash] {
            msg.extend_from_slice(&(part.len() as u64).to_be_bytes());
            msg.extend_from_slice(part.as_bytes());
        }
        hex::encode(self.0.sign(&msg))
    }
}

/// The chain key of the database `conn` is open on: derived from the
/// signing key a login unlocked for its data directory in this process
/// (`keys::wrap::held`; the key exists on disk only wrapped under users'
/// PINs). `None` before anyone logged in: the entry is then written
/// *unsealed* (hash-chained, no MAC). Only [`KEYLESS_ACTIONS`] may be
/// unsealed; the next keyed entry's MAC covers them through its link.
fn chain_key_of(conn: &Connection) -> Option<ChainKey> {
    let dir = crate::keys::wrap::data_dir_of(conn)?;
    let key = crate::keys::wrap::held(&dir)?;
    Some(ChainKey::derive(&key))
}

/// What the program writes before (or without) a login, when no key is
/// unlocked: a lock-out after wrong PINs, a failed `verify` run without a
/// user, a backup on the program's behalf. `verify` accepts these without a
/// MAC and refuses any other unsealed entry after the chain was keyed.
pub const KEYLESS_ACTIONS: &[&str] = &["user.locked", "verify.failed", "backup"];

/// What links the next entry: the newest entry's MAC, or its plain hash
/// when it has none, or [`GENESIS`].
fn link_of(hash: &str, mac: Option<&str>) -> String {
    mac.unwrap_or(hash).to_string()
}

/// Appends one entry. Call it inside the transaction that makes the change.
pub fn record(
    conn: &Connection,
    actor: &Actor,
    clock: &dyn Clock,
    action: &str,
    records: &[String],
    details: serde_json::Value,
) -> Result<i64, StoreError> {
    let last: Option<(i64, String, Option<String>)> = conn
        .query_row(
            "SELECT seq, hash, mac FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (seq, prev, link) = match last {
        Some((s, h, m)) => (s + 1, h.clone(), link_of(&h, m.as_deref())),
        None => (1, GENESIS.to_string(), GENESIS.to_string()),
    };
    let at = stamp(clock.now());
    let records = serde_json::to_string(records).unwrap_or_else(|_| "[]".into());
    let details = details.to_string();
    let hash = entry_hash(
        &prev,
        seq,
        [
            &at,
            &actor.terminal,
            &actor.user,
            action,
            &records,
            &details,
        ],
    );
    let mac = chain_key_of(conn).map(|k| k.mac(&link, seq, &hash));
    conn.execute(
        "INSERT INTO audit_log(seq, at, terminal, user, action, records, details, prev_hash, hash, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rusqlite::params![
            seq,
            at,
            actor.terminal,
            actor.user,
            action,
            records,
            details,
            prev,
            hash,
            mac
        ],
    )?;
    Ok(seq)
}

/// One break in the chain, naming the entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainProblem {
    pub seq: i64,
    pub problem: String,
}

/// The chain's links and hashes, and that no entry lost its MAC, without
/// the key ([`check_keyed_chain`] with `None`).
pub fn check_chain(conn: &Connection) -> Result<Vec<ChainProblem>, StoreError> {
    check_keyed_chain(conn, None)
}

/// The newest entry after which the hospital key was replaced: entries up
/// to it were keyed under the old key, which `verify` may not hold.
fn last_key_replacement(conn: &Connection) -> Result<i64, StoreError> {
    let mut st = conn.prepare(
        "SELECT seq, details FROM audit_log WHERE action = 'key.import' ORDER BY seq DESC",
    )?;
    let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (seq, d) = row?;
        let v: serde_json::Value = serde_json::from_str(&d).unwrap_or_default();
        if v.get("replaced").and_then(|x| x.as_bool()) == Some(true) {
            return Ok(seq);
        }
    }
    Ok(0)
}

/// Walks the whole chain and names every entry that does not fit: a gap,
/// a broken link, an altered entry, and — with the chain key — a MAC that
/// does not verify or is missing after keyed entries. Entries keyed under
/// a hospital key replaced since are checked by their plain links only.
pub fn check_keyed_chain(
    conn: &Connection,
    key: Option<&ChainKey>,
) -> Result<Vec<ChainProblem>, StoreError> {
    let replaced_upto = last_key_replacement(conn)?;
    let mut stmt = conn.prepare(
        "SELECT seq, at, terminal, user, action, records, details, prev_hash, hash, mac
         FROM audit_log ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            Entry {
                seq: r.get(0)?,
                at: r.get(1)?,
                terminal: r.get(2)?,
                user: r.get(3)?,
                action: r.get(4)?,
                records: r.get(5)?,
                details: r.get(6)?,
                prev_hash: r.get(7)?,
                hash: r.get(8)?,
            },
            r.get::<_, Option<String>>(9)?,
        ))
    })?;
    let mut problems = Vec::new();
    let mut expected_prev = GENESIS.to_string();
    let mut expected_seq = 1;
    let mut link = GENESIS.to_string();
    let mut keyed_since: Option<i64> = None;
    for row in rows {
        let (e, mac) = row?;
        match (&mac, keyed_since) {
            (Some(m), _) => {
                keyed_since.get_or_insert(e.seq);
                if let Some(k) = key
                    && e.seq > replaced_upto
                    && k.mac(&link, e.seq, &e.hash) != *m
                {
                    problems.push(ChainProblem {
                        seq: e.seq,
                        problem: format!(
                            "its keyed MAC does not verify (action '{}'): it or an entry before it was rewritten without the hospital key",
                            e.action
                        ),
                    });
                }
            }
            (None, Some(_)) if KEYLESS_ACTIONS.contains(&e.action.as_str()) => {}
            (None, Some(first)) => problems.push(ChainProblem {
                seq: e.seq,
                problem: format!(
                    "has no keyed MAC although the chain is keyed since entry {first}: written or rewritten without the hospital key"
                ),
            }),
            (None, None) => {}
        }
        link = link_of(&e.hash, mac.as_deref());
        if e.seq != expected_seq {
            problems.push(ChainProblem {
                seq: expected_seq,
                problem: format!(
                    "audit entries {expected_seq}..{} are missing (deleted)",
                    e.seq - 1
                ),
            });
        }
        if e.prev_hash != expected_prev {
            problems.push(ChainProblem {
                seq: e.seq,
                problem: "does not link to the entry before it".into(),
            });
        }
        let h = entry_hash(
            &e.prev_hash,
            e.seq,
            [
                &e.at,
                &e.terminal,
                &e.user,
                &e.action,
                &e.records,
                &e.details,
            ],
        );
        if h != e.hash {
            problems.push(ChainProblem {
                seq: e.seq,
                problem: format!("was altered (action '{}')", e.action),
            });
        }
        expected_prev = e.hash;
        expected_seq = e.seq + 1;
    }
    Ok(problems)
}

/// The newest `limit` entries, newest first. Who may read them is the
/// caller's rule (`auth::audit_log`: admins only).
pub fn list(conn: &Connection, limit: usize) -> Result<Vec<Entry>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, terminal, user, action, records, details, prev_hash, hash
         FROM audit_log ORDER BY seq DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit.min(i64::MAX as usize) as i64], |r| {
        Ok(Entry {
            seq: r.get(0)?,
            at: r.get(1)?,
            terminal: r.get(2)?,
            user: r.get(3)?,
            action: r.get(4)?,
            records: r.get(5)?,
            details: r.get(6)?,
            prev_hash: r.get(7)?,
            hash: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
