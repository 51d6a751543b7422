//! The posting record: one `his_batches` row per export or send, one
//! `his_postings` row per receipt answer, both append-only. Whether a
//! receipt is posted is derived (an `accepted` row on the channel), so the
//! finance screen and reconciliation read the same facts the sender wrote.

use super::HisError;
use crate::audit::{self, Actor};
use crate::auth::Session;
use crate::clock::{Clock, stamp};
use rusqlite::{Connection, params};
use std::collections::HashSet;

/// How one receipt fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The HIS took it (HL7 AA/CA; FHIR 200/201 for every entry).
    Accepted,
    /// The HIS answered and said no (HL7 AE/AR; FHIR 4xx/5xx).
    Refused,
    /// No answer (connection lost for good, timeout, garbled ACK).
    Error,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Refused => "refused",
            Outcome::Error => "error",
        }
    }
    fn parse(s: &str) -> Outcome {
        match s {
            "accepted" => Outcome::Accepted,
            "refused" => Outcome::Refused,
            _ => Outcome::Error,
        }
    }
    pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
        match self {
            Outcome::Accepted => lang.pick("已接受", "accepted"),
            Outcome::Refused => lang.pick("被拒绝", "refused"),
            Outcome::Error => lang.pick("未送达", "not delivered"),
        }
    }
}

/// The answer for one receipt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Answer {
    pub receipt: String,
    pub message_id: String,
    pub outcome: Outcome,
    /// AA / AE / AR, the HTTP status, or `io`.
    pub code: String,
    /// The receiving system's text (MSA-3 / ERR, OperationOutcome).
    pub detail: String,
}

/// Receipt numbers accepted on `channel` (`hl7`, `fhir`) by any earlier send.
pub fn accepted(conn: &Connection, channel: &str) -> Result<HashSet<String>, HisError> {
    let mut st = conn.prepare_cached(
        "SELECT DISTINCT p.receipt_number FROM his_postings p
           JOIN his_batches b ON b.id = p.batch_id
          WHERE b.channel = ?1 AND p.outcome = 'accepted'",
    )?;
    let out = st
        .query_map([channel], |r| r.get(0))?
        .collect::<Result<HashSet<String>, _>>()?;
    Ok(out)
}

/// What a batch row says before its answers come in.
pub struct NewBatch<'a> {
    pub channel: &'a str,
    pub target: &'a str,
    pub selection: serde_json::Value,
    pub receipts: usize,
}

/// Writes the batch row and its audit entry in one transaction.
pub fn start_batch(
    conn: &mut Connection,
    session: &Session,
    clock: &dyn Clock,
    b: &NewBatch<'_>,
) -> Result<i64, HisError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute(
        "INSERT INTO his_batches (channel, target, selection, receipts, started_at, user, terminal)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            b.channel,
            b.target,
            b.selection.to_string(),
            b.receipts as i64,
            stamp(clock.now()),
            session.user().as_str(),
            session.terminal().as_str(),
        ],
    )?;
    let id = tx.last_insert_rowid();
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        &format!("his.{}", b.channel),
        &[format!("his_batch:{id}")],
        serde_json::json!({
            "target": b.target,
            "selection": b.selection,
            "receipts": b.receipts,
        }),
    )?;
    tx.commit()?;
    Ok(id)
}

/// Appends answers to a batch, in one transaction.
pub fn record(
    conn: &mut Connection,
    clock: &dyn Clock,
    batch: i64,
    answers: &[Answer],
) -> Result<(), HisError> {
    if answers.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut st = tx.prepare_cached(
            "INSERT INTO his_postings (batch_id, receipt_number, message_id, outcome, code, detail, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let at = stamp(clock.now());
        for a in answers {
            st.execute(params![
                batch,
                a.receipt,
                a.message_id,
                a.outcome.as_str(),
                a.code,
                a.detail,
                at
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// One batch as the finance screen lists it, counts derived from its rows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BatchRow {
    pub id: i64,
    pub channel: String,
    pub target: String,
    pub started_at: String,
    pub user: String,
    pub receipts: i64,
    pub accepted: i64,
    pub refused: i64,
    pub errors: i64,
}

/// The newest `limit` batches, newest first.
pub fn history(conn: &Connection, limit: usize) -> Result<Vec<BatchRow>, HisError> {
    let mut st = conn.prepare_cached(
        "SELECT b.id, b.channel, b.target, b.started_at, b.user, b.receipts,
                COALESCE(SUM(p.outcome = 'accepted'), 0),
                COALESCE(SUM(p.outcome = 'refused'), 0),
                COALESCE(SUM(p.outcome = 'error'), 0)
           FROM his_batches b LEFT JOIN his_postings p ON p.batch_id = b.id
          GROUP BY b.id ORDER BY b.id DESC LIMIT ?1",
    )?;
    let out = st
        .query_map([limit as i64], |r| {
            Ok(BatchRow {
                id: r.get(0)?,
                channel: r.get(1)?,
                target: r.get(2)?,
                started_at: r.get(3)?,
                user: r.get(4)?,
                receipts: r.get(5)?,
                accepted: r.get(6)?,
                refused: r.get(7)?,
                errors: r.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

/// One posting answer as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PostingRow {
    pub batch_id: i64,
    pub channel: String,
    pub target: String,
    pub receipt: String,
    pub message_id: String,
    pub outcome: Outcome,
    pub code: String,
    pub detail: String,
    pub at: String,
}

/// Every answer for one receipt (reconciliation), or for all receipts when
/// `receipt` is `None`, oldest first.
pub fn answers(conn: &Connection, receipt: Option<&str>) -> Result<Vec<PostingRow>, HisError> {
    let mut st = conn.prepare_cached(
        "SELECT p.batch_id, b.channel, b.target, p.receipt_number, p.message_id, p.outcome,
                p.code, p.detail, p.at
           FROM his_postings p JOIN his_batches b ON b.id = p.batch_id
          WHERE ?1 IS NULL OR p.receipt_number = ?1 ORDER BY p.id",
    )?;
    let out = st
        .query_map([receipt], |r| {
            let outcome: String = r.get(5)?;
            Ok(PostingRow {
                batch_id: r.get(0)?,
                channel: r.get(1)?,
                target: r.get(2)?,
                receipt: r.get(3)?,
                message_id: r.get(4)?,
                outcome: Outcome::parse(&outcome),
                code: r.get(6)?,
                detail: r.get(7)?,
                at: r.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}
