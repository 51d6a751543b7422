//! Everything that can refuse a cashier's operation, each naming the field,
//! receipt or range it is about, in Chinese and English.

use crate::auth::AuthError;
use crate::error::{ErrorKind, Remedy, UserFacing};
use crate::i18n::Lang;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("no open outage episode on terminal {0}: open one first")]
    NoOpenEpisode(String),
    #[error("episode {id} is already open on terminal {terminal}: close it first")]
    EpisodeOpen { id: i64, terminal: String },
    #[error("{field}: {en}")]
    Invalid {
        field: String,
        zh: String,
        en: String,
    },
    #[error(
        "range {from}–{to} for terminal {terminal} overlaps the existing range {other_from}–{other_to}"
    )]
    RangeOverlap {
        terminal: String,
        from: u64,
        to: u64,
        other_from: u64,
        other_to: u64,
    },
    #[error("terminal {0} has no receipt numbers left: an admin must add a receipt number range")]
    NoNumbersLeft(String),
    #[error(
        "the clock went backwards: now is {now}, before {what} at {at}; nothing was issued. Check the PC's date and time"
    )]
    ClockBackwards {
        now: String,
        what: &'static str,
        what_zh: &'static str,
        at: String,
    },
    #[error("{field}: unknown item code '{code}' in the {month} price list")]
    UnknownCode {
        field: String,
        code: String,
        month: String,
    },
    #[error("no price list is in force on {0}: an admin must import one")]
    NoSnapshot(String),
    #[error("payments do not match the total: expected {expected}, got {got}")]
    PaymentsMismatch { expected: String, got: String },
    #[error("no receipt numbered {0}")]
    NotFound(String),
    #[error("receipt {0} is already voided")]
    AlreadyVoided(String),
    #[error("receipt {number} was issued by {cashier}: only they can void it")]
    NotOwn { number: String, cashier: String },
    #[error("receipt {0} belongs to a closed shift and can no longer be voided: refund it instead")]
    ShiftClosed(String),
    #[error("receipt {0} has refunds: it can no longer be voided")]
    HasRefunds(String),
    #[error("receipt {0} was already dispensed by the pharmacy: it can no longer be voided")]
    Dispensed(String),
    #[error("{0} is a credit note: it cannot be voided or refunded")]
    IsCreditNote(String),
    #[error("a deposit receipt ({0}) has no lines to refund: deposits are settled at discharge")]
    DepositRefund(String),
    #[error(
        "receipt {number} line {line}: asked to refund {asked}, but only {left} remains refundable"
    )]
    RefundExceeds {
        number: String,
        line: u32,
        asked: String,
        left: String,
    },
    #[error(
        "receipt {number} line {line} was dispensed: the pharmacy must confirm the return of {qty} first"
    )]
    NeedsReturn {
        number: String,
        line: u32,
        qty: String,
    },
    #[error("the cash variance {variance} is over the limit of {limit}: a supervisor must approve")]
    VarianceNeedsSupervisor { variance: String, limit: String },
    #[error("the signing key: {0}")]
    Key(String),
    #[error("printing the receipt: {0}")]
    Print(String),
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// A neighbour's failure (prices, calendar, print, backup), already
    /// worded for people.
    #[error("{0}")]
    Other(crate::error::Failure),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for ReceiptError {
    fn from(e: rusqlite::Error) -> Self {
        ReceiptError::Store(e.into())
    }
}

impl ReceiptError {
    /// A named problem with one field of the request body.
    pub fn invalid(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        ReceiptError::Invalid {
            field: field.into(),
            zh: zh.into(),
            en: en.into(),
        }
    }
}

impl UserFacing for ReceiptError {
    fn kind(&self) -> ErrorKind {
        use ReceiptError::*;
        match self {
            Invalid { .. } | UnknownCode { .. } | NoSnapshot(_) | PaymentsMismatch { .. } => {
                ErrorKind::Invalid
            }
            NotFound(_) => ErrorKind::Invalid,
            NoOpenEpisode(_)
            | EpisodeOpen { .. }
            | RangeOverlap { .. }
            | NoNumbersLeft(_)
            | ClockBackwards { .. }
            | AlreadyVoided(_)
            | ShiftClosed(_)
            | HasRefunds(_)
            | Dispensed(_)
            | IsCreditNote(_)
            | DepositRefund(_)
            | RefundExceeds { .. }
            | NeedsReturn { .. } => ErrorKind::Conflict,
            NotOwn { .. } | VarianceNeedsSupervisor { .. } => ErrorKind::NotAllowed,
            Key(_) | Print(_) | Io { .. } => ErrorKind::Internal,
            Other(f) => f.kind,
            Auth(e) => e.kind(),
            Store(e) => e.kind(),
        }
    }

    fn remedy(&self) -> Option<Remedy> {
        use ReceiptError::*;
        match self {
            NoOpenEpisode(_) => Some(Remedy::OpenEpisode),
            NoNumbersLeft(t) => Some(Remedy::AddRange {
                terminal: t.clone(),
            }),
            NoSnapshot(_) => Some(Remedy::ImportPrices),
            VarianceNeedsSupervisor { .. } => Some(Remedy::Supervisor),
            Other(f) => f.remedy.clone(),
            Auth(e) => e.remedy(),
            Store(e) => e.remedy(),
            _ => None,
        }
    }

    fn describe(&self, lang: Lang) -> String {
        use ReceiptError::*;
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            NoOpenEpisode(t) => {
                format!("终端 {t} 没有进行中的应急事件：请先开启")
            }
            EpisodeOpen { id, terminal } => {
                format!("终端 {terminal} 已有进行中的应急事件 {id}：请先结束它")
            }
            Invalid { field, zh, .. } => format!("{field}：{zh}"),
            RangeOverlap {
                terminal,
                from,
                to,
                other_from,
                other_to,
            } => format!(
                "终端 {terminal} 的号段 {from}–{to} 与已有号段 {other_from}–{other_to} 重叠"
            ),
            NoNumbersLeft(t) => format!("终端 {t} 的票据号已用完：请管理员添加号段"),
            ClockBackwards {
                now, what_zh, at, ..
            } => format!(
                "系统时钟倒退：现在是 {now}，早于{what_zh}（{at}）；未开具。请检查电脑的日期和时间"
            ),
            UnknownCode { field, code, month } => {
                format!("{field}：{month} 价目表中没有项目编码“{code}”")
            }
            NoSnapshot(d) => format!("{d} 没有生效的价目表：请管理员导入"),
            PaymentsMismatch { expected, got } => {
                format!("支付合计与应收不符：应收 {expected}，实收 {got}")
            }
            NotFound(n) => format!("没有票据号 {n}"),
            AlreadyVoided(n) => format!("票据 {n} 已作废"),
            NotOwn { number, cashier } => {
                format!("票据 {number} 由 {cashier} 开具：只有本人可以作废")
            }
            ShiftClosed(n) => format!("票据 {n} 所在班次已结账，不能再作废：请改为退费"),
            HasRefunds(n) => format!("票据 {n} 已有退费，不能再作废"),
            Dispensed(n) => format!("票据 {n} 药房已发药，不能再作废"),
            IsCreditNote(n) => format!("{n} 是退费凭证（红字票据），不能作废或退费"),
            DepositRefund(n) => format!("预交金收据 {n} 没有可退的明细：预交金在出院结算时处理"),
            RefundExceeds {
                number,
                line,
                asked,
                left,
            } => format!("票据 {number} 第 {line} 行：申请退 {asked}，但可退数量只剩 {left}"),
            NeedsReturn { number, line, qty } => {
                format!("票据 {number} 第 {line} 行已发药：须先由药房确认退药 {qty}")
            }
            VarianceNeedsSupervisor { variance, limit } => {
                format!("现金差额 {variance} 超过限额 {limit}：须主管审批")
            }
            Key(e) => format!("签名密钥：{e}"),
            Print(e) => format!("打印票据：{e}"),
            Io { path, source } => format!("{}：{source}", path.display()),
            Other(f) => f.message(lang).to_string(),
            Auth(e) => e.message(lang),
            Store(e) => e.message(lang),
        }
    }
}
