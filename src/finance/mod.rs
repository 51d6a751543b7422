//! Finance after recovery: every manual receipt must end up in the HIS —
//! exchanged for an HIS invoice within 15 working days, keyed in as
//! self-pay after that, or re-settled under insurance. This capability
//! collects the terminals' signed journals into one set of tables at the
//! finance station ([`journal`]), records exchanges and re-settlements
//! ([`exchange`]), lists deadlines and the self-pay batch ([`deadlines`]) and
//! reconciles what the HIS reports back ([`reconcile`]). Finance records on
//! a receipt are `receipt_events` rows (`exchanged`, `self_pay_posted`,
//! `insurance_resettled`), never edits; HIS invoice numbers are unique.

pub mod deadlines;
pub mod exchange;
pub mod journal;
pub mod reconcile;

use crate::error::{ErrorKind, UserFacing};
use crate::i18n::Lang;
use std::path::PathBuf;

/// Why a receipt cannot take a finance record (exit 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Voided,
    Refunded,
    Drill,
    CreditNote,
    AlreadyDone,
    NotInsured,
    NeedsReturn,
}

impl Refusal {
    fn text(self, lang: Lang) -> &'static str {
        use Refusal::*;
        match self {
            Voided => lang.pick("已作废", "it is voided"),
            Refunded => lang.pick("已全额退费", "it is refunded"),
            Drill => lang.pick("是演练票据", "it is a drill receipt"),
            CreditNote => lang.pick("是退费凭证", "it is a credit note"),
            AlreadyDone => lang.pick(
                "已换票、已按自费入账或已医保重新结算",
                "it is already exchanged, posted as self-pay or re-settled",
            ),
            NotInsured => lang.pick(
                "不是医保全额自付患者的票据",
                "its patient is not insured (self-pay receipts are exchanged, not re-settled)",
            ),
            NeedsReturn => lang.pick(
                "已发药明细尚无药房退药确认",
                "dispensed drug lines have no return confirmation from the pharmacy yet",
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FinanceError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: the journal was altered or is damaged ({detail}); nothing imported")]
    Altered { path: PathBuf, detail: String },
    #[error("{path}: the journal is truncated (no signed end record); nothing imported")]
    Truncated { path: PathBuf },
    #[error(
        "{path}: the journal comes from another hospital (signed with key {found}, this station holds {held}); nothing imported"
    )]
    ForeignHospital {
        path: PathBuf,
        found: String,
        held: String,
    },
    #[error("{path}: journal format version {version} is not supported (this program reads 1)")]
    Unsupported { path: PathBuf, version: i64 },
    #[error("no receipt numbered {0}")]
    NotFound(String),
    #[error("receipt {number}: refused, {}", .why.text(Lang::En))]
    Refused { number: String, why: Refusal },
    #[error("HIS invoice {invoice} is already recorded against receipt {receipt}")]
    InvoiceUsed { invoice: String, receipt: String },
    #[error("{field}: {en}")]
    Invalid {
        field: String,
        zh: String,
        en: String,
    },
    #[error("{path}:{row}:{column}: {en}{}", more_en(*.more))]
    Malformed {
        path: PathBuf,
        row: u64,
        column: String,
        zh: String,
        en: String,
        /// How many further problems the file has.
        more: usize,
    },
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Receipt(#[from] crate::receipts::ReceiptError),
    #[error(transparent)]
    Calendar(#[from] crate::calendar::CalendarError),
}

fn more_en(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" (and {n} more problems)")
    }
}

impl From<rusqlite::Error> for FinanceError {
    fn from(e: rusqlite::Error) -> Self {
        FinanceError::Store(e.into())
    }
}

impl FinanceError {
    pub fn invalid(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        FinanceError::Invalid {
            field: field.into(),
            zh: zh.into(),
            en: en.into(),
        }
    }
}

impl UserFacing for FinanceError {
    fn kind(&self) -> ErrorKind {
        use FinanceError::*;
        match self {
            Io { .. } | Unsupported { .. } | NotFound(_) | Invalid { .. } | Malformed { .. } => {
                ErrorKind::Invalid
            }
            Altered { .. } | Truncated { .. } | ForeignHospital { .. } => ErrorKind::Verification,
            Refused { .. } | InvoiceUsed { .. } => ErrorKind::Conflict,
            Auth(e) => e.kind(),
            Store(e) => e.kind(),
            Receipt(e) => e.kind(),
            Calendar(e) => e.kind(),
        }
    }

    fn describe(&self, lang: Lang) -> String {
        use FinanceError::*;
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Io { path, source } => format!("{}：{source}", path.display()),
            Altered { path, detail } => {
                format!(
                    "{}：日志文件被改动或已损坏（{detail}），未导入任何记录",
                    path.display()
                )
            }
            Truncated { path } => format!(
                "{}：日志文件不完整（缺少签名结束记录），未导入任何记录",
                path.display()
            ),
            ForeignHospital { path, found, held } => format!(
                "{}：日志来自其他医院（签名密钥 {found}，本机为 {held}），未导入任何记录",
                path.display()
            ),
            Unsupported { path, version } => format!(
                "{}：不支持的日志格式版本 {version}（本程序读取版本 1）",
                path.display()
            ),
            NotFound(n) => format!("没有票据号 {n}"),
            Refused { number, why } => format!("票据 {number}：拒绝，{}", why.text(Lang::Zh)),
            InvoiceUsed { invoice, receipt } => {
                format!("HIS 发票号 {invoice} 已登记在票据 {receipt} 上")
            }
            Invalid { field, zh, .. } => format!("{field}：{zh}"),
            Malformed {
                path,
                row,
                column,
                zh,
                more,
                ..
            } => {
                let more = if *more == 0 {
                    String::new()
                } else {
                    format!("（另有 {more} 处问题）")
                };
                format!("{}:{row}:{column}：{zh}{more}", path.display())
            }
            Auth(e) => e.message(lang),
            Store(e) => e.message(lang),
            Receipt(e) => e.message(lang),
            Calendar(e) => e.message(lang),
        }
    }
}

/// The hospital key a login unlocked for this data directory in this
/// process (it exists on disk only wrapped under users' PINs).
pub fn hospital_key(
    data_dir: &crate::store::DataDir,
) -> Result<crate::keys::SigningKey, crate::error::Failure> {
    match crate::keys::wrap::held(data_dir.root()) {
        Some(k) => Ok((*k).clone()),
        None => Err(crate::keys::KeyError::NotUnlocked {
            user: String::new(),
        }
        .into()),
    }
}
