//! Small domain types that cannot hold bad values: parse at the edge, trust
//! inside.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("'{0}' is not a month (expected YYYY-MM)")]
    BadMonth(String),
    #[error("'{0}' is not a terminal code (2–8 capital letters and digits, e.g. MZ01)")]
    BadTerminal(String),
    #[error("'{0}' is not a user name (1–32 letters, digits, '_', '-' or '.')")]
    BadUserName(String),
}

impl crate::error::UserFacing for DomainError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Invalid
    }
    fn describe(&self, lang: crate::i18n::Lang) -> String {
        match (self, lang) {
            (DomainError::BadMonth(s), crate::i18n::Lang::Zh) => {
                format!("“{s}”不是有效月份（格式 YYYY-MM）")
            }
            (DomainError::BadTerminal(s), crate::i18n::Lang::Zh) => {
                format!("“{s}”不是有效终端编码（2–8 位大写字母或数字，如 MZ01）")
            }
            (DomainError::BadUserName(s), crate::i18n::Lang::Zh) => {
                format!("“{s}”不是有效用户名（1–32 位字母、数字、_、- 或 .）")
            }
            (e, crate::i18n::Lang::En) => e.to_string(),
        }
    }
}

/// What an import does when a different one is already held (a hospital
/// key, a year's holiday schedule): refuse, or record the new one with the
/// old kept in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfHeld {
    Refuse,
    Replace,
}

/// A calendar month, `YYYY-MM`: the key of a price-list snapshot. The
/// fields are private so a month is always 1–12: made by [`Month::parse`],
/// [`Month::new`], [`Month::of`] a date, or stepped from another month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// A month from its numbers, refused outside 2000-01 … 2999-12 (what
    /// [`Month::parse`] accepts).
    pub fn new(year: i32, month: u32) -> Result<Month, DomainError> {
        if !(1..=12).contains(&month) || !(2000..=2999).contains(&year) {
            return Err(DomainError::BadMonth(format!("{year:04}-{month:02}")));
        }
        Ok(Month { year, month })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1–12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// The month after this one.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn parse(s: &str) -> Result<Month, DomainError> {
        let t = s.trim();
        let bad = || DomainError::BadMonth(t.to_string());
        let (y, m) = t.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        Month::new(year, month).map_err(|_| bad())
    }

    pub fn of(date: chrono::NaiveDate) -> Month {
        use chrono::Datelike;
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn first_day(self) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for Month {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Month::parse(s)
    }
}

/// A terminal's short code (`MZ01`, `ZY01`, `YF01`, `CW01`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TerminalCode(String);

impl TerminalCode {
    pub fn parse(s: &str) -> Result<TerminalCode, DomainError> {
        let t = s.trim().to_ascii_uppercase();
        let ok = (2..=8).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphanumeric());
        if ok {
            Ok(TerminalCode(t))
        } else {
            Err(DomainError::BadTerminal(s.trim().to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TerminalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user's login name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserName(String);

impl UserName {
    pub fn parse(s: &str) -> Result<UserName, DomainError> {
        let t = s.trim();
        let ok = (1..=32).contains(&t.chars().count())
            && t.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.');
        if ok {
            Ok(UserName(t.to_string()))
        } else {
            Err(DomainError::BadUserName(t.to_string()))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        assert_eq!(Month::parse("2026-12").unwrap().to_string(), "2026-12");
        assert!(Month::parse("2026-13").is_err());
        assert!(Month::parse("2026-1").is_err());
        assert!(Month::parse("202612").is_err());
        assert_eq!(
            Month::parse("2027-01").unwrap().previous().to_string(),
            "2026-12"
        );
        assert!(Month::parse("2026-11").unwrap() < Month::parse("2026-12").unwrap());
    }

    #[test]
    fn terminals() {
        assert_eq!(TerminalCode::parse("mz01").unwrap().as_str(), "MZ01");
        assert!(TerminalCode::parse("M").is_err());
        assert!(TerminalCode::parse("MZ-01").is_err());
    }
}

/// How a payment was made. Stored (and written in JSON) as its code:
/// `cash`, `card`, `mobile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PaymentMethod {
    #[default]
    Cash,
    Card,
    Mobile,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 3] = [
        PaymentMethod::Cash,
        PaymentMethod::Card,
        PaymentMethod::Mobile,
    ];

    /// From the stored or typed code; `None` for anything else.
    pub fn parse(code: &str) -> Option<PaymentMethod> {
        PaymentMethod::ALL
            .into_iter()
            .find(|m| m.code() == code.trim())
    }

    pub fn code(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "cash",
            PaymentMethod::Card => "card",
            PaymentMethod::Mobile => "mobile",
        }
    }

    /// As printed on a receipt.
    pub fn label_zh(self) -> &'static str {
        match self {
            PaymentMethod::Cash => "现金",
            PaymentMethod::Card => "银行卡",
            PaymentMethod::Mobile => "移动支付",
        }
    }

    /// Cash is tendered (and gets change); the others carry a reference.
    pub fn is_cash(self) -> bool {
        self == PaymentMethod::Cash
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Who pays: the patient, or an insured patient paying in full now and
/// resettled with the insurer later. Stored as `self_pay` /
/// `insured_full_pay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PayerType {
    #[default]
    SelfPay,
    InsuredFullPay,
}

impl PayerType {
    pub fn parse(code: &str) -> Option<PayerType> {
        match code.trim() {
            "self_pay" => Some(PayerType::SelfPay),
            "insured_full_pay" => Some(PayerType::InsuredFullPay),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            PayerType::SelfPay => "self_pay",
            PayerType::InsuredFullPay => "insured_full_pay",
        }
    }
}

impl fmt::Display for PayerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
