//! The audit trail: every state-changing operation writes one entry (who,
//! terminal, when, what, which records) in the same transaction as the
//! change. Entries form a SHA-256 hash chain, and the table is append-only,
//! so an edit or a deletion behind the program's back is detected.

use crate::clock::{Clock, stamp};
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

/// Appends one entry. Call it inside the transaction that makes the change.
pub fn record(
    conn: &Connection,
    actor: &Actor,
    clock: &dyn Clock,
    action: &str,
    records: &[String],
    details: serde_json::Value,
) -> Result<i64, StoreError> {
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
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
    conn.execute(
        "INSERT INTO audit_log(seq, at, terminal, user, action, records, details, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        rusqlite::params![
            seq,
            at,
            actor.terminal,
            actor.user,
            action,
            records,
            details,
            prev,
            hash
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

/// Walks the whole chain and names every entry that does not fit.
pub fn check_chain(conn: &Connection) -> Result<Vec<ChainProblem>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, terminal, user, action, records, details, prev_hash, hash
         FROM audit_log ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
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
    let mut problems = Vec::new();
    let mut expected_prev = GENESIS.to_string();
    let mut expected_seq = 1;
    for row in rows {
        let e = row?;
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
