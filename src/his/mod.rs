//! Posting manual receipts to the hospital information system once it is
//! back, through the interfaces HIS vendors accept: CSV and JSON batch files
//! for their import tools, HL7 v2.5 DFT^P03 charge messages over MLLP, and a
//! FHIR R4 transaction Bundle. It replaces weeks of re-keying.
//!
//! - [`select`]: which receipts a batch carries (never drills, never voided
//!   receipts; credit notes follow their originals as reversals), read in
//!   bulk from the same tables whatever terminal a receipt came from.
//! - [`batch`]: the CSV (UTF-8 with BOM) and JSON batch files.
//! - [`hl7`] and [`mllp`]: the messages, their escaping, the ACKs, and the
//!   MLLP client that waits for each ACK and retries a dropped connection.
//! - [`fhir`]: the transaction Bundle, its conditional creates and the
//!   per-entry outcomes of the transaction-response.
//! - [`postings`]: what was sent, when, by whom and what came back
//!   (append-only), so a second send skips what was already accepted.
//! - [`post`]: the operations both faces call (export, send over HL7, send
//!   as FHIR), which tie the above together.

pub mod batch;
pub mod fhir;
pub mod hl7;
pub mod mllp;
pub mod post;
pub mod postings;
pub mod select;

pub use post::{Format, SendSummary, export, send_fhir, send_hl7};
pub use select::Selection;

use crate::auth::AuthError;
use crate::error::{ErrorKind, UserFacing};
use crate::i18n::Lang;
use crate::store::StoreError;
use std::path::PathBuf;

/// Everything that can stop an export or a send, naming the file, the
/// target or the record it is about.
#[derive(Debug, thiserror::Error)]
pub enum HisError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Auth(#[from] AuthError),
    /// The self-pay batch comes from the finance worklist.
    #[error("{0}")]
    Finance(#[from] crate::finance::FinanceError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("'{0}' is not HOST:PORT (for example 127.0.0.1:2575)")]
    BadTarget(String),
    #[error("'{0}' is not an http:// or https:// FHIR base URL")]
    BadUrl(String),
    #[error("cannot reach the HIS at {target}: {detail}")]
    Unreachable { target: String, detail: String },
    #[error("unknown format '{0}' (csv, json, hl7, fhir)")]
    UnknownFormat(String),
    #[error("episode {0} does not exist")]
    NoEpisode(i64),
    #[error("the FHIR server at {target} answered {status}: {detail}")]
    FhirRefused {
        target: String,
        status: u16,
        detail: String,
    },
    #[error("receipt {number}: {detail}")]
    Record { number: String, detail: String },
}

impl From<rusqlite::Error> for HisError {
    fn from(e: rusqlite::Error) -> Self {
        HisError::Store(StoreError::from(e))
    }
}

impl UserFacing for HisError {
    fn kind(&self) -> ErrorKind {
        match self {
            HisError::Store(e) => e.kind(),
            HisError::Auth(e) => e.kind(),
            HisError::Finance(e) => e.kind(),
            HisError::Io { .. }
            | HisError::BadTarget(_)
            | HisError::BadUrl(_)
            | HisError::UnknownFormat(_)
            | HisError::NoEpisode(_) => ErrorKind::Invalid,
            HisError::Unreachable { .. } | HisError::FhirRefused { .. } => ErrorKind::Conflict,
            HisError::Record { .. } => ErrorKind::Internal,
        }
    }

    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (HisError::Store(e), _) => e.message(lang),
            (HisError::Auth(e), _) => e.message(lang),
            (HisError::Finance(e), _) => e.message(lang),
            (HisError::Io { path, source }, Lang::Zh) => {
                format!("{}：{source}", path.display())
            }
            (HisError::BadTarget(t), Lang::Zh) => {
                format!("“{t}”不是 主机:端口（例如 127.0.0.1:2575）")
            }
            (HisError::BadUrl(u), Lang::Zh) => {
                format!("“{u}”不是 http:// 或 https:// 开头的 FHIR 服务地址")
            }
            (HisError::Unreachable { target, detail }, Lang::Zh) => {
                format!("无法连接 HIS（{target}）：{detail}")
            }
            (HisError::UnknownFormat(f), Lang::Zh) => {
                format!("未知格式“{f}”（csv、json、hl7、fhir）")
            }
            (HisError::NoEpisode(id), Lang::Zh) => format!("应急事件 {id} 不存在"),
            (
                HisError::FhirRefused {
                    target,
                    status,
                    detail,
                },
                Lang::Zh,
            ) => format!("FHIR 服务 {target} 拒绝（{status}）：{detail}"),
            (HisError::Record { number, detail }, Lang::Zh) => format!("票据 {number}：{detail}"),
            (e, Lang::En) => e.to_string(),
        }
    }
}
