//! Everything that can refuse a pharmacist's scan, dispensing or return,
//! each naming the receipt, line and quantity it is about.

use crate::auth::AuthError;
use crate::error::{ErrorKind, UserFacing};
use crate::i18n::Lang;
use crate::keys::KeyError;
use crate::prices::PriceError;
use crate::receipts::ReceiptError;
use crate::receipts::qr::QrError;
use crate::store::StoreError;

/// Why a genuine receipt is still not to be dispensed against (exit 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// Issued during a drill (演练): never valid at a real pharmacy.
    Drill,
    Voided,
    /// Every line refunded.
    Refunded,
    /// Every drug line already handed out.
    FullyDispensed,
    /// A refund's credit note, not a receipt to dispense against.
    CreditNote,
}

impl Refusal {
    /// The reason in plain words, for the red result and stderr.
    pub fn words(self, lang: Lang, number: &str) -> String {
        match (self, lang) {
            (Refusal::Drill, Lang::Zh) => format!("{number} 是演练票据，不能发药"),
            (Refusal::Drill, Lang::En) => {
                format!("{number} is a drill receipt: never dispense against it")
            }
            (Refusal::Voided, Lang::Zh) => format!("{number} 已作废，不能发药"),
            (Refusal::Voided, Lang::En) => format!("{number} was voided: do not dispense"),
            (Refusal::Refunded, Lang::Zh) => format!("{number} 已全部退费，不能发药"),
            (Refusal::Refunded, Lang::En) => {
                format!("{number} was refunded in full: do not dispense")
            }
            (Refusal::FullyDispensed, Lang::Zh) => {
                format!("{number} 的药品已全部发出，不能重复发药")
            }
            (Refusal::FullyDispensed, Lang::En) => {
                format!("{number} was already fully dispensed: do not dispense twice")
            }
            (Refusal::CreditNote, Lang::Zh) => format!("{number} 是退费凭证，不是收费票据"),
            (Refusal::CreditNote, Lang::En) => {
                format!("{number} is a refund credit note, not a receipt to dispense against")
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PharmacyError {
    /// Forged, altered, truncated or signed with another hospital's key.
    #[error("{0}")]
    Code(QrError),
    #[error(
        "receipt {0} is not known on this terminal: a typed number can only be looked up where the receipt was issued; scan its QR code"
    )]
    NotKnown(String),
    #[error("{}", .reason.words(Lang::En, .number))]
    Refused { number: String, reason: Refusal },
    #[error("line '{0}' should be N or N:QTY")]
    BadLine(String),
    #[error("receipt {number} has no line {line} (it has {count})")]
    NoSuchLine {
        number: String,
        line: u32,
        count: usize,
    },
    #[error(
        "receipt {number} line {line} ({code}, {category}) is not a drug: the pharmacy does not dispense it"
    )]
    NotADrug {
        number: String,
        line: u32,
        code: String,
        category: String,
    },
    #[error(
        "receipt {number} line {line}: item {code} is not in the {month} price list held here, so it cannot be told to be a drug"
    )]
    UnknownItem {
        number: String,
        line: u32,
        code: String,
        month: String,
    },
    #[error("receipt {number} line {line}: {asked} asked, but only {paid} was paid")]
    MoreThanPaid {
        number: String,
        line: u32,
        asked: String,
        paid: String,
    },
    #[error(
        "receipt {number} line {line}: {asked} asked, but only {left} is left to dispense (the rest was dispensed or refunded)"
    )]
    MoreThanLeft {
        number: String,
        line: u32,
        asked: String,
        left: String,
    },
    #[error("receipt {number} line {line}: {qty} must be a whole number of units")]
    WholeUnits {
        number: String,
        line: u32,
        qty: String,
    },
    #[error("receipt {0}: no drug line is left to dispense")]
    NothingToDispense(String),
    #[error(
        "receipt {number} line {line}: a return of {asked} asked, but only {out} was dispensed and not yet returned here"
    )]
    ReturnExceeds {
        number: String,
        line: u32,
        asked: String,
        out: String,
    },
    #[error("{0}")]
    Auth(#[from] AuthError),
    #[error("{0}")]
    Key(#[from] KeyError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Receipt(#[from] ReceiptError),
    #[error("{0}")]
    Price(#[from] PriceError),
}

impl From<rusqlite::Error> for PharmacyError {
    fn from(e: rusqlite::Error) -> Self {
        PharmacyError::Store(e.into())
    }
}

impl From<QrError> for PharmacyError {
    fn from(e: QrError) -> Self {
        PharmacyError::Code(e)
    }
}

impl UserFacing for PharmacyError {
    fn kind(&self) -> ErrorKind {
        use PharmacyError::*;
        match self {
            Code(_) => ErrorKind::Verification,
            NotKnown(_) | BadLine(_) | NoSuchLine { .. } | NotADrug { .. } | UnknownItem { .. } => {
                ErrorKind::Invalid
            }
            MoreThanPaid { .. } | WholeUnits { .. } => ErrorKind::Invalid,
            Refused { .. } | MoreThanLeft { .. } | NothingToDispense(_) | ReturnExceeds { .. } => {
                ErrorKind::Conflict
            }
            Auth(e) => e.kind(),
            Key(e) => e.kind(),
            Store(e) => e.kind(),
            Receipt(e) => e.kind(),
            Price(e) => e.kind(),
        }
    }

    fn describe(&self, lang: Lang) -> String {
        use PharmacyError::*;
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Code(e) => e.message(lang),
            NotKnown(n) => {
                format!("本终端没有票据 {n} 的记录：手输票号只能在开票的终端查询，请扫描票据二维码")
            }
            Refused { number, reason } => reason.words(lang, number),
            BadLine(s) => format!("行“{s}”应为 行号 或 行号:数量"),
            NoSuchLine {
                number,
                line,
                count,
            } => format!("票据 {number} 没有第 {line} 行（共 {count} 行）"),
            NotADrug {
                number,
                line,
                code,
                category,
            } => format!("票据 {number} 第 {line} 行（{code}，{category}）不是药品，药房不发"),
            UnknownItem {
                number,
                line,
                code,
                month,
            } => format!(
                "票据 {number} 第 {line} 行：项目 {code} 不在本机的 {month} 价目表中，无法判断是否药品"
            ),
            MoreThanPaid {
                number,
                line,
                asked,
                paid,
            } => format!("票据 {number} 第 {line} 行：要发 {asked}，但只付费 {paid}"),
            MoreThanLeft {
                number,
                line,
                asked,
                left,
            } => format!(
                "票据 {number} 第 {line} 行：要发 {asked}，但只剩 {left} 可发（其余已发药或已退费）"
            ),
            WholeUnits { number, line, qty } => {
                format!("票据 {number} 第 {line} 行：{qty} 须为整数")
            }
            NothingToDispense(n) => format!("票据 {n}：没有可发的药品行"),
            ReturnExceeds {
                number,
                line,
                asked,
                out,
            } => format!(
                "票据 {number} 第 {line} 行：要确认退回 {asked}，但本药房已发出且未退回的只有 {out}"
            ),
            Auth(e) => e.message(lang),
            Key(e) => e.message(lang),
            Store(e) => e.message(lang),
            Receipt(e) => e.message(lang),
            Price(e) => e.message(lang),
        }
    }
}
