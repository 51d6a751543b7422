//! Properties of `downtime_billing::money`: the total in Chinese capital
//! numerals (大写金额) reads back to the same amount and follows the People's
//! Bank rules for filling in bills, and a line amount is unit price ×
//! quantity rounded half-up to the fen, checked against integer arithmetic
//! on scaled values.
//!
//! The reverse parser below is written independently of `money.rs`: it reads
//! capitals the way a bank clerk does and refuses malformed ones (a unit
//! without a digit before it, two digits in a row, a 零 before a unit, 整
//! after 分), so a round trip proves both the value and the shape.

use downtime_billing::money::{Money, Quantity, UnitPrice};
use proptest::prelude::*;

/// Largest amount covered by the main properties: 10^12 fen (10 billion
/// yuan); [`capitals_of_huge_amounts_read_back`] goes to 10^18 fen.
const MAX_FEN: i64 = 1_000_000_000_000;
const HUGE_FEN: i64 = 1_000_000_000_000_000_000;
/// `money::MAX_AMOUNT` in fen.
const CEILING_FEN: i64 = 1_000_000_000;

fn capital_digit(c: char) -> Option<u64> {
    "零壹贰叁肆伍陆柒捌玖"
        .chars()
        .position(|d| d == c)
        .map(|p| p as u64)
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Prev {
    Start,
    Digit(u64),
    Unit,
    Zero,
}

/// The integer part (before 元), e.g. 壹仟肆佰零玖 → 1409.
fn parse_integer(s: &str) -> Result<u64, String> {
    let mut prev = Prev::Start;
    let (mut yi, mut wan, mut sec) = (0u64, 0u64, 0u64);
    let mut seen_wan = false;
    let mut seen_yi = false;
    // Within one four-digit section the small units must descend.
    let mut last_small = 10_000u64;
    for c in s.chars() {
        if let Some(d) = capital_digit(c).filter(|d| *d > 0) {
            if matches!(prev, Prev::Digit(_)) {
                return Err(format!("two digits in a row at {c} in {s}"));
            }
            prev = Prev::Digit(d);
            continue;
        }
        match c {
            '零' => {
                if prev != Prev::Unit {
                    return Err(format!("零 not after a unit in {s}"));
                }
                prev = Prev::Zero;
            }
            '拾' | '佰' | '仟' => {
                let Prev::Digit(d) = prev else {
                    return Err(format!("{c} without a digit before it in {s}"));
                };
                let u = match c {
                    '拾' => 10,
                    '佰' => 100,
                    _ => 1000,
                };
                if u >= last_small {
                    return Err(format!("{c} out of order in {s}"));
                }
                sec += d * u;
                last_small = u;
                prev = Prev::Unit;
            }
            '万' => {
                match prev {
                    Prev::Digit(d) => sec += d,
                    Prev::Unit => {}
                    _ => return Err(format!("万 without a number before it in {s}")),
                }
                if sec == 0 || seen_wan {
                    return Err(format!("万 misplaced in {s}"));
                }
                seen_wan = true;
                wan = sec;
                sec = 0;
                last_small = 10_000;
                prev = Prev::Unit;
            }
            '亿' => {
                // Everything before 亿 counts 亿s (壹万零壹亿 = 10001 亿).
                match prev {
                    Prev::Digit(d) => sec += d,
                    Prev::Unit => {}
                    _ => return Err(format!("亿 without a number before it in {s}")),
                }
                let count = wan * 10_000 + sec;
                if count == 0 || seen_yi {
                    return Err(format!("亿 misplaced in {s}"));
                }
                seen_yi = true;
                yi = count;
                seen_wan = false;
                wan = 0;
                sec = 0;
                last_small = 10_000;
                prev = Prev::Unit;
            }
            other => return Err(format!("unexpected {other} in {s}")),
        }
    }
    match prev {
        Prev::Digit(d) => sec += d,
        Prev::Zero => return Err(format!("ends with 零: {s}")),
        Prev::Start => return Err("empty integer part".into()),
        Prev::Unit => {}
    }
    Ok(yi * 100_000_000 + wan * 10_000 + sec)
}

/// Reads a whole capital amount back to fen.
fn parse_words(words: &str) -> Result<i64, String> {
    let (negative, s) = match words.strip_prefix('负') {
        Some(rest) => (true, rest),
        None => (false, words),
    };
    if s == "零元整" {
        return Ok(0);
    }
    let (s, zheng) = match s.strip_suffix('整') {
        Some(rest) => (rest, true),
        None => (s, false),
    };
    if s.contains('整') {
        return Err(format!("整 not at the end: {words}"));
    }
    let (int_part, frac) = match s.split_once('元') {
        Some((a, b)) => (Some(a), b),
        None => (None, s),
    };
    let yuan = match int_part {
        Some(p) => parse_integer(p)?,
        None => 0,
    };
    if int_part.is_some() && yuan == 0 {
        return Err(format!("零元 with more after it: {words}"));
    }
    let cs: Vec<char> = frac.chars().collect();
    let mut i = 0;
    let lead_zero = cs.first() == Some(&'零');
    if lead_zero {
        i += 1;
    }
    let unit_digit = |unit: char, i: &mut usize| -> Result<u64, String> {
        if cs.get(*i + 1) == Some(&unit) {
            let d = cs
                .get(*i)
                .and_then(|c| capital_digit(*c))
                .filter(|d| *d > 0)
                .ok_or_else(|| format!("no digit before {unit} in {words}"))?;
            *i += 2;
            Ok(d)
        } else {
            Ok(0)
        }
    };
    let jiao = unit_digit('角', &mut i)?;
    let fen = unit_digit('分', &mut i)?;
    if i != cs.len() {
        return Err(format!("unexpected text after the amount: {words}"));
    }
    if lead_zero {
        // 零 after 元: when 角 is zero but 分 is not, or (optionally) when the
        // units of yuan are zero and 角 is not.
        let ok = yuan > 0 && ((jiao == 0 && fen > 0) || (jiao > 0 && yuan % 10 == 0));
        if !ok {
            return Err(format!("零 after 元 where none belongs: {words}"));
        }
    } else if yuan > 0 && jiao == 0 && fen > 0 {
        return Err(format!("missing 零 between 元 and 分: {words}"));
    }
    if int_part.is_none() && jiao == 0 && fen == 0 {
        return Err(format!("no amount: {words}"));
    }
    if fen > 0 && zheng {
        return Err(format!("整 after 分: {words}"));
    }
    if fen == 0 && jiao == 0 && !zheng {
        return Err(format!("整 missing after 元: {words}"));
    }
    let total = (yuan * 100 + jiao * 10 + fen) as i64;
    Ok(if negative { -total } else { total })
}

/// The 零 the bank rules expect in the integer part: one for each run of
/// zero digits inside the number, except a run that closes a 万/亿 section
/// without filling it while the next section starts with its thousands
/// (¥107,000.53 → 壹拾万柒仟, the form the bank's examples allow and
/// standard reading uses).
fn expected_integer_zeros(yuan: u64) -> usize {
    let digits: Vec<u32> = yuan
        .to_string()
        .chars()
        .map(|c| c.to_digit(10).unwrap_or(0))
        .collect();
    let n = digits.len();
    let pos = |idx: usize| n - 1 - idx; // power of ten of digits[idx]
    let mut zeros = 0;
    let mut idx = 0;
    while idx < n {
        if digits[idx] != 0 {
            idx += 1;
            continue;
        }
        let high = pos(idx);
        while idx < n && digits[idx] == 0 {
            idx += 1;
        }
        if idx == n {
            break; // trailing zeros are silent
        }
        let low = pos(idx - 1);
        let closes_section = low % 4 == 0 && high - low <= 2;
        if !closes_section {
            zeros += 1;
        }
    }
    zeros
}

/// Amounts across every magnitude, many of them full of zero digits (where
/// the 零 rules bite): uniform over the whole range, small ones, and ones
/// built digit by digit with three zeros for each other digit.
fn amount() -> impl Strategy<Value = i64> {
    let zero_heavy = prop::collection::vec(prop_oneof![3 => Just(0i64), 1 => 1i64..10], 1..=12)
        .prop_map(|ds| ds.iter().fold(0i64, |acc, d| acc * 10 + d));
    prop_oneof![
        0..=MAX_FEN,
        0i64..10_000,
        0i64..100_000_000,
        zero_heavy,
        Just(MAX_FEN),
    ]
}

fn words(fen: i64) -> String {
    Money::from_fen(fen).in_words()
}

#[test]
fn the_banks_examples() {
    for (amount, expected) in [
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("1,409.50", "壹仟肆佰零玖元伍角整"),
        ("15.00", "壹拾伍元整"),
        ("0.30", "叁角整"),
        ("1,680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("107,000.53", "壹拾万柒仟元伍角叁分"),
    ] {
        let m = Money::parse(amount).unwrap();
        assert_eq!(m.in_words(), expected, "¥{amount}");
        assert_eq!(parse_words(expected), Ok(m.fen()), "{expected}");
    }
}

#[test]
fn the_reverse_parser_refuses_malformed_capitals() {
    for bad in [
        "拾伍元整",
        "壹拾伍元",
        "叁佰贰拾伍元肆分",
        "叁角贰分整",
        "壹仟零零伍元整",
        "壹贰元整",
        "壹仟零元整",
        "伍元零角整",
        "零万元整",
        "壹佰贰佰元整",
    ] {
        assert!(parse_words(bad).is_err(), "{bad} should be refused");
    }
}

#[test]
fn the_zero_rule_on_known_cases() {
    assert_eq!(expected_integer_zeros(1409), 1);
    assert_eq!(expected_integer_zeros(107_000), 0);
    assert_eq!(expected_integer_zeros(100_001_000), 1);
    assert_eq!(expected_integer_zeros(1_000_010), 1);
    assert_eq!(expected_integer_zeros(1_001_000_000), 1);
    assert_eq!(expected_integer_zeros(1_010_000_000), 0);
    assert_eq!(expected_integer_zeros(101_000_000), 1);
    assert_eq!(expected_integer_zeros(10_005), 1);
    assert_eq!(expected_integer_zeros(1_000_100_000_000), 1);
    assert_eq!(expected_integer_zeros(1_000_010_000_000), 1);
    assert_eq!(expected_integer_zeros(10_100_000_000_000), 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn capitals_read_back_to_the_same_amount(fen in amount()) {
        let w = words(fen);
        prop_assert_eq!(parse_words(&w), Ok(fen), "{}", w);
        let neg = words(-fen);
        if fen > 0 {
            prop_assert_eq!(neg, format!("负{w}"));
        }
    }

    #[test]
    fn capitals_follow_the_bank_rules(fen in amount()) {
        let w = words(fen);
        prop_assert!(!w.contains("零零"), "two 零 in a row: {}", w);
        prop_assert!(w.ends_with('整') || w.ends_with('分'), "{}", w);
        prop_assert!(!w.contains("分整"), "整 after 分: {}", w);
        prop_assert_eq!(w.matches('整').count(), usize::from(!w.ends_with('分')));
        for unit in ["零万", "零亿", "零元", "零角", "零分"] {
            prop_assert!(fen == 0 || !w.contains(unit), "{} in {}", unit, w);
        }
        let yuan = (fen / 100) as u64;
        let (jiao, f) = (fen / 10 % 10, fen % 10);
        // Every 拾, 佰, 仟 has its digit: 壹拾, never a bare 拾.
        let chars: Vec<char> = w.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            if matches!(c, '拾' | '佰' | '仟') {
                let before = i.checked_sub(1).map(|j| chars[j]);
                prop_assert!(before.and_then(capital_digit).is_some_and(|d| d > 0), "{}", w);
            }
        }
        if (10..20).contains(&yuan) {
            prop_assert!(w.starts_with("壹拾"), "{}", w);
        }
        if yuan > 0 && jiao == 0 && f == 0 {
            prop_assert!(w.ends_with("元整"), "{}", w);
        }
        if yuan > 0 && jiao == 0 && f > 0 {
            prop_assert!(w.contains("元零"), "{}", w);
        }
        if yuan == 0 && fen > 0 {
            prop_assert!(!w.contains('元') && !w.starts_with('零'), "{}", w);
        }
        if yuan > 0 {
            let int_part = w.split('元').next().unwrap_or_default();
            prop_assert_eq!(int_part.matches('零').count(), expected_integer_zeros(yuan), "{}", w);
        }
    }

    /// Above 万亿 yuan the count of 亿 is a number of its own (壹万零壹亿).
    #[test]
    fn capitals_of_huge_amounts_read_back(
        fen in prop_oneof![
            MAX_FEN..HUGE_FEN,
            prop::collection::vec(prop_oneof![3 => Just(0i64), 1 => 1i64..10], 13..=18)
                .prop_map(|ds| ds.iter().fold(0i64, |acc, d| acc * 10 + d)),
        ]
    ) {
        let w = words(fen);
        prop_assert_eq!(parse_words(&w), Ok(fen), "{}", w);
        prop_assert!(!w.contains("零零"), "two 零 in a row: {}", w);
        prop_assert!(w.matches('亿').count() <= 1, "{}", w);
        let yuan = (fen / 100) as u64;
        if yuan > 0 {
            let int_part = w.split('元').next().unwrap_or_default();
            prop_assert_eq!(int_part.matches('零').count(), expected_integer_zeros(yuan), "{}", w);
        }
    }

    #[test]
    fn ten_to_nineteen_yuan_start_with_yi_shi(yuan in 10i64..20, cents in 0i64..100) {
        let w = words(yuan * 100 + cents);
        prop_assert!(w.starts_with("壹拾"), "{}", w);
        prop_assert_eq!(parse_words(&w), Ok(yuan * 100 + cents));
    }

    /// unit price (≤ 4 decimals) × quantity (≤ 2 decimals), rounded half-up
    /// to the fen, equals the integer computation on prices in 1/10000 yuan
    /// and quantities in 1/100.
    #[test]
    fn line_amount_rounds_half_up_to_the_fen(
        price_e4 in 0u64..=10_000_000_000,
        qty_e2 in 1u64..=10_000_000,
        trim in any::<bool>(),
    ) {
        let mut price_text = format!("{}.{:04}", price_e4 / 10_000, price_e4 % 10_000);
        if trim {
            // As price lists write it: "12.5" rather than "12.5000".
            price_text = price_text.trim_end_matches('0').trim_end_matches('.').to_string();
        }
        let qty_text = format!("{}.{:02}", qty_e2 / 100, qty_e2 % 100);
        let price = UnitPrice::parse(&price_text).unwrap();
        let qty = Quantity::parse(&qty_text).unwrap();
        let product_e6 = u128::from(price_e4) * u128::from(qty_e2);
        let expected_fen = (product_e6 + 5_000) / 10_000;
        let amount = price.times(qty);
        prop_assert_eq!(amount.fen() as u128, expected_fen, "{} × {}", price_text, qty_text);
        prop_assert_eq!(amount.to_string(), format!("{}.{:02}", expected_fen / 100, expected_fen % 100));
    }

    /// Exactly half a fen rounds up, just under half rounds down.
    #[test]
    fn half_a_fen_rounds_up(fen in 0u64..100_000_000) {
        let up = UnitPrice::parse(&format!("{}.{:04}", fen / 100, (fen % 100) * 100 + 50)).unwrap();
        let down = UnitPrice::parse(&format!("{}.{:04}", fen / 100, (fen % 100) * 100 + 49)).unwrap();
        let one = Quantity::parse("1").unwrap();
        prop_assert_eq!(up.times(one).fen() as u64, fen + 1);
        prop_assert_eq!(down.times(one).fen() as u64, fen);
    }

    /// Up to the documented ceiling (10,000,000.00 yuan) either way.
    #[test]
    fn money_text_round_trips(fen in -CEILING_FEN..=CEILING_FEN) {
        let m = Money::from_fen(fen);
        prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
        prop_assert_eq!(m.fen(), fen);
    }

    /// Over the ceiling an amount is refused, never wrapped or truncated.
    #[test]
    fn money_over_the_ceiling_is_refused(fen in CEILING_FEN + 1..=MAX_FEN) {
        let text = Money::from_fen(fen).to_string();
        prop_assert!(Money::parse(&text).is_err());
        let negative = format!("-{}", text);
        prop_assert!(Money::parse(&negative).is_err());
    }
}
