//! Amounts of money. Receipts are money, so amounts are decimals
//! (`rust_decimal`), never floats: a [`Money`] has exactly two decimals (fen),
//! a [`UnitPrice`] keeps the up-to-four decimals its price list gave, and a
//! [`Quantity`] up to two (grams of 中草药). Line amounts round half-up to the
//! fen, per line. [`Money::in_words`] writes the total in Chinese capital
//! numerals (大写金额) by the People's Bank rules for filling in bills.
//!
//! Bounds, each refused with the field named when exceeded (nothing stored):
//! - one amount (a line, a receipt's total, a payment, cash tendered, a
//!   deposit, cash declared at shift close): at most [`MAX_AMOUNT`],
//!   10,000,000.00 yuan;
//! - a unit price: at most [`MAX_UNIT_PRICE`], 1,000,000 yuan, four decimals;
//! - a quantity: more than zero, at most [`MAX_QUANTITY`], 100,000, two
//!   decimals.
//!
//! So one amount is at most 10⁹ fen, and [`Money::fen`] is exact for it and
//! for any sum of up to 9·10⁹ of them (i64). The rules that make amounts
//! live here, once each: the line amount ([`UnitPrice::line_amount`]), the
//! total ([`Money::total`]), the change ([`Money::change`]) and 大写
//! ([`Money::in_words`]).

use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;
use std::str::FromStr;

/// Largest unit price a price list may carry.
pub const MAX_UNIT_PRICE: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// Largest single amount (line, total, payment, tendered, deposit): ten
/// million yuan.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(10_000_000, 0, 0, false, 0);

/// Largest quantity on one line.
pub const MAX_QUANTITY: Decimal = Decimal::from_parts(100_000, 0, 0, false, 0);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("'{0}' has more than {1} decimals")]
    TooManyDecimals(String, u32),
    #[error("'{0}' is negative")]
    Negative(String),
    #[error("'{0}' must be greater than zero")]
    NotPositive(String),
    #[error("'{0}' is over the limit of {1}")]
    TooLarge(String, Decimal),
    #[error(
        "'{0}' has a comma: write the decimal point as '.' (a comma is read only between groups of three digits before a decimal point, e.g. 1,234.50)"
    )]
    Comma(String),
}

impl MoneyError {
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::Lang::*;
        match (self, lang) {
            (MoneyError::NotANumber(s), Zh) => format!("“{s}”不是数字"),
            (MoneyError::TooManyDecimals(s, n), Zh) => format!("“{s}”的小数超过 {n} 位"),
            (MoneyError::Negative(s), Zh) => format!("“{s}”是负数"),
            (MoneyError::NotPositive(s), Zh) => format!("“{s}”必须大于零"),
            (MoneyError::TooLarge(s, max), Zh) => format!("“{s}”超过上限 {max}"),
            (MoneyError::Comma(s), Zh) => format!(
                "“{s}”含有逗号：小数点请写作“.”（逗号只可作千位分隔，且须有小数点，如 1,234.50）"
            ),
            (e, En) => e.to_string(),
        }
    }
}

/// Parses a plain decimal number as people and spreadsheets write it: a
/// leading ¥ is tolerated; NaN, infinity and exponents are not. A comma is
/// never silently dropped: it is read as a thousands separator only where
/// that is the one reading (groups of three digits and a decimal point,
/// `1,234.50`); `1,5`, `1,0` or `1,500` (a decimal comma, or not?) are
/// refused.
pub fn parse_decimal(raw: &str) -> Result<Decimal, MoneyError> {
    let t = raw.trim().trim_start_matches(['¥', '￥']).trim();
    if t.contains(',') && !grouped_thousands(t) {
        return Err(MoneyError::Comma(raw.trim().to_string()));
    }
    let s = t.replace(',', "");
    let s = s.trim();
    let ok_chars = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+');
    if !ok_chars {
        return Err(MoneyError::NotANumber(raw.trim().to_string()));
    }
    Decimal::from_str(s).map_err(|_| MoneyError::NotANumber(raw.trim().to_string()))
}

/// `[+-]d{1,3}(,ddd)+.d+`: thousands grouped by commas before a decimal
/// point.
fn grouped_thousands(s: &str) -> bool {
    let s = s.trim_start_matches(['+', '-']);
    let Some((int, frac)) = s.split_once('.') else {
        return false;
    };
    let mut groups = int.split(',');
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && g.chars().all(|c| c.is_ascii_digit()));
    let rest: Vec<&str> = groups.collect();
    first_ok
        && !rest.is_empty()
        && rest
            .iter()
            .all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit()))
        && !frac.is_empty()
        && frac.chars().all(|c| c.is_ascii_digit())
}

fn check_scale(raw: &str, d: Decimal, max: u32) -> Result<(), MoneyError> {
    if d.normalize().scale() > max {
        Err(MoneyError::TooManyDecimals(raw.trim().to_string(), max))
    } else {
        Ok(())
    }
}

/// An amount of money in yuan with exactly two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// From a decimal already in fen precision; rounds half-up otherwise.
    pub fn from_decimal(d: Decimal) -> Money {
        Money(round_fen(d))
    }

    /// Parses a user-given amount: at most two decimals, at most
    /// [`MAX_AMOUNT`] either way.
    pub fn parse(raw: &str) -> Result<Money, MoneyError> {
        let m = Money::parse_any(raw)?;
        m.within_ceiling(raw)
    }

    /// Parses an amount of any size (sums already stored or serialized).
    fn parse_any(raw: &str) -> Result<Money, MoneyError> {
        let d = parse_decimal(raw)?;
        check_scale(raw, d, 2)?;
        Ok(Money(round_fen(d)))
    }

    /// `self`, or `TooLarge` naming `raw` when over [`MAX_AMOUNT`].
    fn within_ceiling(self, raw: &str) -> Result<Money, MoneyError> {
        if self.0.abs() > MAX_AMOUNT {
            return Err(MoneyError::TooLarge(raw.trim().to_string(), MAX_AMOUNT));
        }
        Ok(self)
    }

    /// The one rule for a total: the sum of its amounts, refused over
    /// [`MAX_AMOUNT`].
    pub fn total(amounts: impl IntoIterator<Item = Money>) -> Result<Money, MoneyError> {
        let sum: Money = amounts.into_iter().sum();
        sum.within_ceiling(&sum.to_string())
    }

    /// The one rule for change: cash tendered less what it pays for
    /// (negative when too little was tendered).
    pub fn change(tendered: Money, due: Money) -> Money {
        tendered - due
    }

    /// The one rule for a cash count's variance: what was counted less
    /// what was expected (negative when the drawer is short).
    pub fn variance(counted: Money, expected: Money) -> Money {
        counted - expected
    }

    /// The size of an amount, whatever its sign.
    pub fn abs(self) -> Money {
        Money(self.0.abs())
    }

    /// `self + other`, `None` over [`MAX_AMOUNT`].
    pub fn checked_add(self, other: Money) -> Option<Money> {
        let sum = Money(self.0.checked_add(other.0)?);
        (sum.0.abs() <= MAX_AMOUNT).then_some(sum)
    }

    /// `self − other`, `None` over [`MAX_AMOUNT`].
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        let diff = Money(self.0.checked_sub(other.0)?);
        (diff.0.abs() <= MAX_AMOUNT).then_some(diff)
    }

    pub fn from_fen(fen: i64) -> Money {
        Money(Decimal::new(fen, 2))
    }

    /// The amount in fen, as stored in SQLite (INTEGER, never REAL).
    pub fn fen(self) -> i64 {
        let scaled = self.0 * Decimal::ONE_HUNDRED;
        // Always exact: the value carries two decimals at most and its
        // magnitude is bounded by what people can pay.
        i64::try_from(scaled.trunc()).unwrap_or(i64::MAX)
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// The total in Chinese capital numerals, without the 人民币 prefix.
    pub fn in_words(self) -> String {
        in_words(self)
    }
}

fn round_fen(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = self.0;
        d.rescale(2);
        write!(f, "{d}")
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, o: Money) -> Money {
        Money(self.0 + o.0)
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, o: Money) -> Money {
        Money(self.0 - o.0)
    }
}

impl std::ops::Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, o: Money) {
        self.0 += o.0;
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Money::parse_any(&s).map_err(serde::de::Error::custom)
    }
}

/// A unit price from a price list: 0 ≤ price ≤ 1,000,000, at most four
/// decimals, kept with the decimals the list gave ("12.50" stays "12.50").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitPrice(Decimal);

impl UnitPrice {
    pub fn parse(raw: &str) -> Result<UnitPrice, MoneyError> {
        let d = parse_decimal(raw)?;
        if d.is_sign_negative() && !d.is_zero() {
            return Err(MoneyError::Negative(raw.trim().to_string()));
        }
        check_scale(raw, d, 4)?;
        if d > MAX_UNIT_PRICE {
            return Err(MoneyError::TooLarge(raw.trim().to_string(), MAX_UNIT_PRICE));
        }
        let mut d = d.abs();
        if d.scale() > 4 {
            // trailing zeros beyond four places, e.g. "1.500000"
            d = d.normalize();
        }
        Ok(UnitPrice(d))
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// As stored (TEXT): the decimals the price list gave.
    pub fn as_text(self) -> String {
        self.0.to_string()
    }

    /// Unit price × quantity, rounded half-up to the fen (unbounded; the
    /// cashier screen's running figures).
    pub fn times(self, q: Quantity) -> Money {
        Money::from_decimal(self.0 * q.0)
    }

    /// The one rule for a line amount: [`Self::times`], refused over
    /// [`MAX_AMOUNT`].
    pub fn line_amount(self, q: Quantity) -> Result<Money, MoneyError> {
        let m = self.times(q);
        m.within_ceiling(&format!("{self} × {q}"))
    }
}

impl fmt::Display for UnitPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl serde::Serialize for UnitPrice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// A quantity on a receipt line: greater than zero, at most two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(Decimal);

impl Quantity {
    pub fn parse(raw: &str) -> Result<Quantity, MoneyError> {
        let d = parse_decimal(raw)?;
        check_scale(raw, d, 2)?;
        if d <= Decimal::ZERO {
            return Err(MoneyError::NotPositive(raw.trim().to_string()));
        }
        if d > MAX_QUANTITY {
            return Err(MoneyError::TooLarge(raw.trim().to_string(), MAX_QUANTITY));
        }
        Ok(Quantity(d.normalize()))
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    pub fn is_whole(self) -> bool {
        self.0.fract().is_zero()
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl serde::Serialize for Quantity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const SMALL_UNITS: [&str; 4] = ["", "拾", "佰", "仟"];
const BIG_UNITS: [&str; 2] = ["", "万"];
const YI: u128 = 100_000_000;

/// Writes the integer part (in yuan) in capitals. One 零 stands for any run
/// of zero digits inside the number; a leading ten is 壹拾.
fn integer_words(mut n: u128) -> String {
    if n == 0 {
        return String::new();
    }
    // 亿 groups: above it the count of 亿 is itself a number (壹万零壹亿, not
    // 壹万亿零壹亿), below it the same rules apply again.
    if n >= YI {
        let (high, low) = (n / YI, n % YI);
        let mut out = integer_words(high);
        out.push('亿');
        if low > 0 {
            // zero digits between: the 千万 digit, or the whole section
            // just above 亿 (壹万亿零壹仟万)
            if low < YI / 10 || high % 10_000 == 0 {
                out.push('零');
            }
            out.push_str(&integer_words(low));
        }
        return out;
    }
    // split into 4-digit sections, least significant first
    let mut sections = Vec::new();
    while n > 0 {
        sections.push((n % 10_000) as u32);
        n /= 10_000;
    }
    let mut out = String::new();
    let mut pending_zero = false;
    for (i, &sec) in sections.iter().enumerate().rev() {
        if sec == 0 {
            if !out.is_empty() {
                pending_zero = true;
            }
            continue;
        }
        if !out.is_empty() && (pending_zero || sec < 1000) {
            out.push('零');
        }
        pending_zero = false;
        let digits = [sec / 1000, sec / 100 % 10, sec / 10 % 10, sec % 10];
        let mut zero_run = false;
        let mut started = false;
        for (pos, &d) in digits.iter().enumerate() {
            if d == 0 {
                if started {
                    zero_run = true;
                }
                continue;
            }
            if zero_run {
                out.push('零');
                zero_run = false;
            }
            started = true;
            out.push(DIGITS[d as usize]);
            out.push_str(SMALL_UNITS[3 - pos]);
        }
        out.push_str(BIG_UNITS[i.min(1)]);
    }
    out
}

fn in_words(m: Money) -> String {
    let fen_total = m.fen();
    let negative = fen_total < 0;
    let fen_abs = fen_total.unsigned_abs() as u128;
    let yuan = fen_abs / 100;
    let jiao = (fen_abs / 10 % 10) as usize;
    let fen = (fen_abs % 10) as usize;
    let mut out = String::new();
    if negative {
        out.push('负');
    }
    if fen_abs == 0 {
        out.push_str("零元整");
        return out;
    }
    if yuan > 0 {
        out.push_str(&integer_words(yuan));
        out.push('元');
    }
    match (jiao, fen) {
        (0, 0) => out.push('整'),
        (j, 0) => {
            out.push(DIGITS[j]);
            out.push_str("角整");
        }
        (0, f) => {
            if yuan > 0 {
                out.push('零');
            }
            out.push(DIGITS[f]);
            out.push('分');
        }
        (j, f) => {
            out.push(DIGITS[j]);
            out.push('角');
            out.push(DIGITS[f]);
            out.push('分');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 大写 of any size (sums go past the ceiling of one amount).
    fn w(s: &str) -> String {
        Money::parse_any(s).unwrap().in_words()
    }

    #[test]
    fn one_amount_is_bounded_by_the_ceiling() {
        assert!(Money::parse("10000000.00").is_ok());
        assert!(Money::parse("-10000000.00").is_ok());
        assert!(matches!(
            Money::parse("10000000.01"),
            Err(MoneyError::TooLarge(..))
        ));
        let max = Money::parse("10000000").unwrap();
        let fen = Money::parse("0.01").unwrap();
        assert_eq!(max.checked_add(fen), None);
        assert_eq!(max.checked_sub(fen), Money::parse("9999999.99").ok());
        assert!(Money::total([max, fen]).is_err());
        assert_eq!(Money::total([fen, fen]), Money::parse("0.02"));
        let price = UnitPrice::parse("1000000").unwrap();
        assert!(price.line_amount(Quantity::parse("10").unwrap()).is_ok());
        assert!(
            price
                .line_amount(Quantity::parse("10.01").unwrap())
                .is_err()
        );
        assert_eq!(
            Money::change(Money::parse("20").unwrap(), Money::parse("13.6").unwrap()),
            Money::parse("6.40").unwrap()
        );
    }

    #[test]
    fn bank_examples() {
        assert_eq!(w("325.04"), "叁佰贰拾伍元零肆分");
        assert_eq!(w("1409.50"), "壹仟肆佰零玖元伍角整");
        assert_eq!(w("15.00"), "壹拾伍元整");
        assert_eq!(w("0.30"), "叁角整");
        assert_eq!(w("0.00"), "零元整");
        assert_eq!(w("0.05"), "伍分");
        assert_eq!(w("10.00"), "壹拾元整");
        assert_eq!(w("100000.00"), "壹拾万元整");
        assert_eq!(w("1680.32"), "壹仟陆佰捌拾元叁角贰分");
        assert_eq!(w("107000.53"), "壹拾万柒仟元伍角叁分");
        assert_eq!(w("10005.00"), "壹万零伍元整");
        assert_eq!(w("1000010.00"), "壹佰万零壹拾元整");
        assert_eq!(w("6007.14"), "陆仟零柒元壹角肆分");
        assert_eq!(w("100000000.00"), "壹亿元整");
        assert_eq!(w("100001000.00"), "壹亿零壹仟元整");
        assert_eq!(w("-12.30"), "负壹拾贰元叁角整");
        // above 亿 the count of 亿 is a number of its own
        assert_eq!(w("1000100000000.00"), "壹万零壹亿元整");
        assert_eq!(w("1000010000000.00"), "壹万亿零壹仟万元整");
        assert_eq!(w("1200000000000.00"), "壹万贰仟亿元整");
    }

    #[test]
    fn line_amount_rounds_half_up_to_the_fen() {
        let p = UnitPrice::parse("0.3333").unwrap();
        let q = Quantity::parse("1.5").unwrap();
        assert_eq!(p.times(q).to_string(), "0.50");
        let p = UnitPrice::parse("0.125").unwrap();
        assert_eq!(p.times(Quantity::parse("1").unwrap()).to_string(), "0.13");
    }

    #[test]
    fn unit_price_rules() {
        assert!(UnitPrice::parse("-1").is_err());
        assert!(UnitPrice::parse("1.23456").is_err());
        assert!(UnitPrice::parse("NaN").is_err());
        assert!(UnitPrice::parse("inf").is_err());
        assert!(UnitPrice::parse("1e3").is_err());
        assert!(UnitPrice::parse("1000000.01").is_err());
        assert_eq!(UnitPrice::parse("12.50").unwrap().to_string(), "12.50");
        assert_eq!(UnitPrice::parse("1.500000").unwrap().to_string(), "1.5");
    }
}
