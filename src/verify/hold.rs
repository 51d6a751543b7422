//! After a failed `verify`, issuing stops until an admin acknowledges it.
//!
//! A failed verification of this terminal's own database (CLI `verify`, the
//! GUI's check at start) puts a *hold* on issuing: a file in the data
//! directory ([`HOLD_FILE`], outside the database) and a `verify.failed`
//! audit entry (inside the hash chain). Either one holds: deleting the file
//! leaves the entry, and deleting the entry breaks the chain, which the
//! next verify names. Issuing a receipt or a credit note asks
//! [`ensure_issuing_allowed`] first.
//!
//! Only an admin lifts the hold, with a reason ([`acknowledge`], audited as
//! `verify.acknowledged` with a digest of the problems acknowledged). The
//! same problems found again later do not hold again; a different set does.

use crate::audit::{self, Actor};
use crate::auth::{AuthError, Role, Session};
use crate::clock::{Clock, stamp};
use crate::error::{ErrorKind, Remedy, UserFacing};
use crate::i18n::Lang;
use crate::store::{Store, StoreError};
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::Report;

/// The hold's file in the data directory.
pub const HOLD_FILE: &str = "verify-hold.json";

/// What holds issuing: when verify failed and how many problems it named.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hold {
    pub since: String,
    pub problems: usize,
    pub problems_sha256: String,
    /// The first problems, one line each (English), for the message.
    #[serde(default)]
    pub first: Vec<String>,
}

/// An admin's acknowledgement, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Acknowledged {
    pub by: String,
    pub at: String,
    pub reason: String,
    pub problems: usize,
    pub problems_sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum HoldError {
    #[error(
        "issuing is stopped: verify found {problems} problem(s) on {since} (records may have been changed outside the program); an admin must look at them and acknowledge with a reason"
    )]
    Held { problems: usize, since: String },
    #[error("nothing to acknowledge: issuing is not stopped by a failed verify")]
    NothingHeld,
    #[error("a reason is needed to acknowledge a failed verify")]
    NoReason,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for HoldError {
    fn from(e: rusqlite::Error) -> Self {
        HoldError::Store(e.into())
    }
}

impl UserFacing for HoldError {
    fn kind(&self) -> ErrorKind {
        match self {
            HoldError::Held { .. } => ErrorKind::Verification,
            HoldError::NothingHeld => ErrorKind::Conflict,
            HoldError::NoReason => ErrorKind::Invalid,
            HoldError::Auth(e) => e.kind(),
            HoldError::Store(e) => e.kind(),
        }
    }

    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            HoldError::Held { problems, since } => format!(
                "已停止开票：{since} 数据校验发现 {problems} 个问题（记录可能被程序以外的方式改动）；须由管理员查看并填写原因确认"
            ),
            HoldError::NothingHeld => "无需确认：开票未因校验失败而停止".into(),
            HoldError::NoReason => "确认校验失败须填写原因".into(),
            HoldError::Auth(e) => e.message(lang),
            HoldError::Store(e) => e.message(lang),
        }
    }

    fn remedy(&self) -> Option<Remedy> {
        match self {
            HoldError::Held { .. } => Some(Remedy::AcknowledgeVerify),
            HoldError::Auth(e) => e.remedy(),
            HoldError::Store(e) => e.remedy(),
            _ => None,
        }
    }
}

/// A digest of a report's problems (order-independent).
pub fn problems_digest(report: &Report) -> String {
    let mut lines: Vec<String> = report
        .problems
        .iter()
        .map(|p| format!("{}\u{1f}{}\u{1f}{}", p.check, p.record, p.problem))
        .collect();
    lines.sort();
    let mut h = Sha256::new();
    for l in lines {
        h.update((l.len() as u64).to_be_bytes());
        h.update(l.as_bytes());
    }
    hex::encode(h.finalize())
}

fn hold_path(store: &Store) -> std::path::PathBuf {
    store.data_dir().root().join(HOLD_FILE)
}

/// The `problems_sha256` of the newest entry of `action`, with its seq.
fn newest(conn: &Connection, action: &str) -> Result<Option<(i64, String)>, StoreError> {
    let row: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, details FROM audit_log WHERE action = ?1 ORDER BY seq DESC LIMIT 1",
            [action],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(row.map(|(seq, d)| {
        let v: serde_json::Value = serde_json::from_str(&d).unwrap_or_default();
        let digest = v
            .get("problems_sha256")
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string();
        (seq, digest)
    }))
}

/// Records the outcome of verifying this terminal's own database: a
/// failure not yet acknowledged puts the hold on (file and audit entry).
/// A pass changes nothing (only an admin lifts a hold). Returns the hold
/// in force afterwards.
pub fn record_outcome(
    store: &mut Store,
    clock: &dyn Clock,
    report: &Report,
) -> Result<Option<Hold>, StoreError> {
    if report.ok {
        return current(store);
    }
    let digest = problems_digest(report);
    let acknowledged = newest(store.conn(), "verify.acknowledged")
        .ok()
        .flatten()
        .map(|(_, d)| d);
    if acknowledged.as_deref() == Some(digest.as_str()) {
        return current(store);
    }
    let hold = Hold {
        since: stamp(clock.now()),
        problems: report.problems.len(),
        problems_sha256: digest.clone(),
        first: report
            .problems
            .iter()
            .take(5)
            .map(|p| p.line(Lang::En))
            .collect(),
    };
    // The file first: it holds even when the database refuses the entry.
    // A data directory that cannot be written (a copy on read-only media)
    // still gets its verify report; the failure to hold is logged.
    let path = hold_path(store);
    let text = serde_json::to_string_pretty(&hold).unwrap_or_default();
    if let Err(e) = std::fs::write(&path, text) {
        tracing::warn!(file = %path.display(), error = %e, "could not write the verify hold");
    }
    let already = newest(store.conn(), "verify.failed")
        .ok()
        .flatten()
        .is_some_and(|(seq, d)| {
            d == digest
                && newest(store.conn(), "verify.acknowledged")
                    .ok()
                    .flatten()
                    .is_none_or(|(a, _)| a < seq)
        });
    if !already {
        let terminal = crate::setup::terminal_code(store)
            .map(|t| t.to_string())
            .unwrap_or_default();
        let written = store.write().and_then(|tx| {
            audit::record(
                &tx,
                &Actor::system("verify", &terminal),
                clock,
                "verify.failed",
                &[],
                serde_json::json!({
                    "problems": report.problems.len(),
                    "problems_sha256": digest,
                }),
            )?;
            tx.commit()?;
            Ok(())
        });
        if let Err(e) = written {
            tracing::warn!(error = %e, "could not audit the failed verify; the hold file stands");
        }
    }
    tracing::warn!(
        problems = report.problems.len(),
        "verify failed: issuing stopped until an admin acknowledges"
    );
    Ok(Some(hold))
}

/// The hold in force, if any: the hold file, or a `verify.failed` entry
/// newer than the last acknowledgement.
pub fn current(store: &Store) -> Result<Option<Hold>, StoreError> {
    let path = hold_path(store);
    if path.exists() {
        let hold = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<Hold>(&t).ok())
            .unwrap_or_else(|| Hold {
                since: "?".into(),
                problems: 0,
                problems_sha256: String::new(),
                first: vec![format!("{} is unreadable", path.display())],
            });
        return Ok(Some(hold));
    }
    let failed = newest(store.conn(), "verify.failed")?;
    let acked = newest(store.conn(), "verify.acknowledged")?;
    match (failed, acked) {
        (Some((f, digest)), a) if a.as_ref().is_none_or(|(a, _)| *a < f) => {
            let (since, problems): (String, usize) = store.conn().query_row(
                "SELECT at, details FROM audit_log WHERE seq = ?1",
                [f],
                |r| {
                    let d: String = r.get(1)?;
                    let v: serde_json::Value = serde_json::from_str(&d).unwrap_or_default();
                    Ok((
                        r.get(0)?,
                        v.get("problems").and_then(|x| x.as_u64()).unwrap_or(0) as usize,
                    ))
                },
            )?;
            Ok(Some(Hold {
                since,
                problems,
                problems_sha256: digest,
                first: Vec::new(),
            }))
        }
        _ => Ok(None),
    }
}

/// Refuses (exit 4 in the CLI) while a hold is in force.
pub fn ensure_issuing_allowed(store: &Store) -> Result<(), HoldError> {
    match current(store)? {
        None => Ok(()),
        Some(h) => Err(HoldError::Held {
            problems: h.problems,
            since: h.since,
        }),
    }
}

/// An admin lifts the hold, giving the reason (what was found and done).
pub fn acknowledge(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    reason: &str,
) -> Result<Acknowledged, HoldError> {
    session.require(Role::Admin, "acknowledge a failed verify")?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(HoldError::NoReason);
    }
    let hold = current(store)?.ok_or(HoldError::NothingHeld)?;
    let at = stamp(clock.now());
    let tx = store.write()?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "verify.acknowledged",
        &[],
        serde_json::json!({
            "reason": reason,
            "problems": hold.problems,
            "problems_sha256": hold.problems_sha256,
            "failed_since": hold.since,
        }),
    )?;
    tx.commit()?;
    let path = hold_path(store);
    if path.exists() {
        std::fs::remove_file(&path).map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
    }
    tracing::info!(by = %session.user(), problems = hold.problems, "failed verify acknowledged");
    Ok(Acknowledged {
        by: session.user().to_string(),
        at,
        reason: reason.to_string(),
        problems: hold.problems,
        problems_sha256: hold.problems_sha256,
    })
}
