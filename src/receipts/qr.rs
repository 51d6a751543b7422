//! The signed QR payload printed on every receipt, which any pharmacy or
//! finance terminal verifies offline with the hospital key.
//!
//! Version 2 (`DB2`, written since the pharmacy issue) also signs the
//! receipt kind, the payer type and the drill flag, so a drill receipt
//! cannot pass at a real pharmacy and the pharmacy knows an insured
//! patient's receipt. Version 1 (`DB1`) codes already printed keep
//! verifying; they carry none of the three ([`QrPayload::meta`] is `None`).
//!
//! Keyboard-wedge scanners type the code into whatever field has focus, and
//! only the QR alphanumeric set (`0-9 A-Z space $ % * + - . / :`) survives
//! every keyboard layout and Caps Lock state reliably, so the payload uses
//! nothing else. Format (one line, fields separated by `:`):
//!
//! ```text
//! DB1:{number}:{terminal}:{time}:{items}:{total}:{tag}
//! DB1:MZ01-00000001:MZ01:20261122101503+0800:XA01AB001A00001*2+250189771-%64*1:45.00:3F0A…(32 hex)
//! ```
//!
//! - `number`, `terminal` and each item code are *escaped*: the characters
//!   `0-9 A-Z - .` stand for themselves; every other byte of the UTF-8 text
//!   (lower-case letters, `:`, `*`, `+`, `%`, space, Chinese …) is written
//!   `%XX` (upper-case hex). So `250189771-d` becomes `250189771-%64`; the
//!   escaping is reversible and never produces a separator.
//! - `time` is the issue time `YYYYMMDDhhmmss` followed by the UTC offset
//!   `+hhmm` / `-hhmm`.
//! - `items` is `code*qty` joined by `+` (empty for a deposit); quantities
//!   are plain decimals, negative on a credit note.
//! - `total` is the receipt total with two decimals (negative on a credit
//!   note).
//! - Version 2 inserts three fields after `time`:
//!   `DB2:{number}:{terminal}:{time}:{kind}:{payer}:{drill}:{items}:{total}:{tag}`
//!   with `kind` one of `OP` (outpatient), `RG` (registration), `DP`
//!   (deposit), `CN` (credit note); `payer` `SP` (self-pay) or `IN`
//!   (insured, paying in full); `drill` `0` or `1`.
//! - `tag` is HMAC-SHA256 under the hospital signing key over every byte
//!   before the last `:`, truncated to its first 16 bytes (128 bits), as 32
//!   upper-case hex digits.

use crate::keys::SigningKey;
use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use std::str::FromStr;

pub const PREFIX: &str = "DB1";
/// The current version, written on every new receipt.
pub const PREFIX_V2: &str = "DB2";
const TAG_BYTES: usize = 16;

/// What a verified QR code says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct QrPayload {
    pub number: String,
    pub terminal: String,
    pub issued_at: DateTime<FixedOffset>,
    /// (item code, quantity)
    pub items: Vec<(String, Decimal)>,
    pub total: Decimal,
    /// Version 2: kind, payer type and drill flag, under the signature.
    /// `None` for a version 1 code (and to build one, in tests).
    pub meta: Option<QrMeta>,
}

/// What version 2 adds under the signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct QrMeta {
    pub kind: super::query::Kind,
    /// The payer type is `insured_full_pay` (else `self_pay`).
    pub insured: bool,
    pub drill: bool,
}

impl QrMeta {
    /// The payer type as stored and in JSON.
    pub fn payer_type(&self) -> &'static str {
        if self.insured {
            "insured_full_pay"
        } else {
            "self_pay"
        }
    }
}

fn kind_code(k: super::query::Kind) -> &'static str {
    use super::query::Kind::*;
    match k {
        Outpatient => "OP",
        Registration => "RG",
        Deposit => "DP",
        CreditNote => "CN",
    }
}

fn kind_of(code: &str) -> Option<super::query::Kind> {
    use super::query::Kind::*;
    match code {
        "OP" => Some(Outpatient),
        "RG" => Some(Registration),
        "DP" => Some(Deposit),
        "CN" => Some(CreditNote),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("not a receipt code of this program")]
    NotOurs,
    #[error("the receipt code is malformed ({0})")]
    Malformed(&'static str),
    #[error(
        "the receipt code's signature does not match: forged, altered or from another hospital"
    )]
    BadSignature,
}

impl crate::error::UserFacing for QrError {
    fn kind(&self) -> crate::error::ErrorKind {
        crate::error::ErrorKind::Verification
    }
    fn describe(&self, lang: crate::i18n::Lang) -> String {
        match lang {
            crate::i18n::Lang::En => self.to_string(),
            crate::i18n::Lang::Zh => match self {
                QrError::NotOurs => "不是本系统的票据码".into(),
                QrError::Malformed(w) => format!("票据码格式错误（{w}）"),
                QrError::BadSignature => "票据码签名不符：伪造、被改动或来自其他医院".into(),
            },
        }
    }
}

fn passes(b: u8) -> bool {
    b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'-' || b == b'.'
}

/// Escapes text into the alphanumeric-safe form described above.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if passes(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of [`escape`].
pub fn unescape(s: &str) -> Result<String, QrError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .ok_or(QrError::Malformed("escape"))?;
            let hex = std::str::from_utf8(hex).map_err(|_| QrError::Malformed("escape"))?;
            if hex.chars().any(|c| c.is_ascii_lowercase()) {
                return Err(QrError::Malformed("escape"));
            }
            out.push(u8::from_str_radix(hex, 16).map_err(|_| QrError::Malformed("escape"))?);
            i += 3;
        } else if passes(b) {
            out.push(b);
            i += 1;
        } else {
            return Err(QrError::Malformed("character"));
        }
    }
    String::from_utf8(out).map_err(|_| QrError::Malformed("text"))
}

fn format_time(t: &DateTime<FixedOffset>) -> String {
    let off = t.offset().local_minus_utc();
    let sign = if off < 0 { '-' } else { '+' };
    let off = off.abs();
    format!(
        "{}{sign}{:02}{:02}",
        t.format("%Y%m%d%H%M%S"),
        off / 3600,
        (off % 3600) / 60
    )
}

fn parse_time(s: &str) -> Result<DateTime<FixedOffset>, QrError> {
    // ASCII only: the split below is by bytes.
    if s.len() != 19 || !s.is_ascii() {
        return Err(QrError::Malformed("time"));
    }
    let (dt, off) = s.split_at(14);
    let text = format!("{dt}{off}");
    DateTime::parse_from_str(&text, "%Y%m%d%H%M%S%z").map_err(|_| QrError::Malformed("time"))
}

fn fmt_qty(q: Decimal) -> String {
    q.normalize().to_string()
}

/// Builds the signed payload for a receipt: version 2 when `meta` is given
/// (every new receipt), version 1 otherwise.
pub fn build(p: &QrPayload, key: &SigningKey) -> String {
    let items = p
        .items
        .iter()
        .map(|(c, q)| format!("{}*{}", escape(c), fmt_qty(*q)))
        .collect::<Vec<_>>()
        .join("+");
    let mut total = p.total;
    total.rescale(2);
    let head = format!(
        "{}:{}:{}",
        escape(&p.number),
        escape(&p.terminal),
        format_time(&p.issued_at),
    );
    let body = match &p.meta {
        None => format!("{PREFIX}:{head}:{items}:{total}"),
        Some(m) => format!(
            "{PREFIX_V2}:{head}:{}:{}:{}:{items}:{total}",
            kind_code(m.kind),
            if m.insured { "IN" } else { "SP" },
            if m.drill { "1" } else { "0" },
        ),
    };
    let tag = key.sign(body.as_bytes());
    format!("{body}:{}", hex::encode_upper(&tag[..TAG_BYTES]))
}

/// The total: money in yuan with at most two decimals (fen), as [`build`]
/// writes it. More decimals are not an amount a receipt can carry (and
/// would not survive being printed again).
fn parse_total(total: &str) -> Result<Decimal, QrError> {
    let t = Decimal::from_str(total).map_err(|_| QrError::Malformed("total"))?;
    if t.scale() > 2 {
        return Err(QrError::Malformed("total"));
    }
    Ok(t)
}

/// Parses a scanned code and verifies its signature; anything altered,
/// truncated or signed under another key is refused.
pub fn parse_and_verify(text: &str, key: &SigningKey) -> Result<QrPayload, QrError> {
    let text = text.trim();
    if !text.starts_with("DB1:") && !text.starts_with("DB2:") {
        return Err(QrError::NotOurs);
    }
    let (body, tag_hex) = text.rsplit_once(':').ok_or(QrError::Malformed("tag"))?;
    if tag_hex.len() != TAG_BYTES * 2 || tag_hex.chars().any(|c| c.is_ascii_lowercase()) {
        return Err(QrError::Malformed("tag"));
    }
    let tag = hex::decode(tag_hex).map_err(|_| QrError::Malformed("tag"))?;
    if !key.verify(body.as_bytes(), &tag) {
        return Err(QrError::BadSignature);
    }
    let fields: Vec<&str> = body.split(':').collect();
    let (number, terminal, time, meta, items, total) = match fields[..] {
        ["DB1", number, terminal, time, items, total] => {
            (number, terminal, time, None, items, total)
        }
        [
            "DB2",
            number,
            terminal,
            time,
            kind,
            payer,
            drill,
            items,
            total,
        ] => {
            let kind = kind_of(kind).ok_or(QrError::Malformed("kind"))?;
            let insured = match payer {
                "SP" => false,
                "IN" => true,
                _ => return Err(QrError::Malformed("payer")),
            };
            let drill = match drill {
                "0" => false,
                "1" => true,
                _ => return Err(QrError::Malformed("drill")),
            };
            let meta = QrMeta {
                kind,
                insured,
                drill,
            };
            (number, terminal, time, Some(meta), items, total)
        }
        _ => return Err(QrError::Malformed("fields")),
    };
    let mut parsed = Vec::new();
    if !items.is_empty() {
        for it in items.split('+') {
            let (c, q) = it.split_once('*').ok_or(QrError::Malformed("item"))?;
            let q = Decimal::from_str(q).map_err(|_| QrError::Malformed("quantity"))?;
            parsed.push((unescape(c)?, q));
        }
    }
    Ok(QrPayload {
        number: unescape(number)?,
        terminal: unescape(terminal)?,
        issued_at: parse_time(time)?,
        items: parsed,
        total: parse_total(total)?,
        meta,
    })
}

/// True when every character is in the QR alphanumeric set.
/// Whether `text` fits one printable QR code (error correction level M,
/// as the receipt prints it; at most version 40, 3,391 alphanumeric
/// characters — about 170 lines).
pub fn fits(text: &str) -> bool {
    qrcode::bits::encode_auto(text.as_bytes(), qrcode::EcLevel::M).is_ok()
}

pub fn is_alphanumeric_set(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || " $%*+-./:".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    fn sample() -> QrPayload {
        QrPayload {
            number: "MZ01-00000017".into(),
            terminal: "MZ01".into(),
            issued_at: DateTime::parse_from_rfc3339("2026-11-22T10:15:03+08:00").unwrap(),
            items: vec![
                ("XA01AB001A00001".into(), dec!(2)),
                ("250189771-d".into(), dec!(1)),
                ("码:*+% x".into(), dec!(12.5)),
            ],
            total: dec!(125.40),
            meta: None,
        }
    }

    fn sample_v2() -> QrPayload {
        QrPayload {
            meta: Some(QrMeta {
                kind: crate::receipts::query::Kind::Outpatient,
                insured: true,
                drill: false,
            }),
            ..sample()
        }
    }

    #[test]
    fn v2_signs_kind_payer_and_drill() {
        let key = SigningKey::from_bytes([7; 32]);
        let text = build(&sample_v2(), &key);
        assert!(text.starts_with("DB2:MZ01-00000017:MZ01:20261122101503+0800:OP:IN:0:"));
        assert!(is_alphanumeric_set(&text), "{text}");
        assert_eq!(parse_and_verify(&text, &key).unwrap(), sample_v2());
        // Turning a real receipt into a drill one (or back), or changing the
        // payer or kind, breaks the signature.
        for (from, to) in [(":OP:", ":CN:"), (":IN:", ":SP:"), (":IN:0:", ":IN:1:")] {
            let t = text.replacen(from, to, 1);
            assert_ne!(t, text);
            assert_eq!(parse_and_verify(&t, &key), Err(QrError::BadSignature));
        }
        for i in 0..text.len() {
            let mut b = text.clone().into_bytes();
            b[i] = if b[i] == b'1' { b'2' } else { b'1' };
            let t = String::from_utf8(b).unwrap();
            assert!(parse_and_verify(&t, &key).is_err(), "flip at {i}: {t}");
        }
    }

    #[test]
    fn v1_codes_still_verify_without_meta() {
        let key = SigningKey::from_bytes([7; 32]);
        let text = build(&sample(), &key);
        assert!(text.starts_with("DB1:"));
        assert_eq!(parse_and_verify(&text, &key).unwrap().meta, None);
    }

    #[test]
    fn round_trip_in_the_alphanumeric_set() {
        let key = SigningKey::from_bytes([7; 32]);
        let text = build(&sample(), &key);
        assert!(is_alphanumeric_set(&text), "{text}");
        assert!(text.contains("250189771-%64*1"));
        assert_eq!(parse_and_verify(&text, &key).unwrap(), sample());
    }

    #[test]
    fn altered_rekeyed_truncated_refused() {
        let key = SigningKey::from_bytes([7; 32]);
        let text = build(&sample(), &key);
        // flip every character in turn: none may verify
        for i in 0..text.len() {
            let mut b = text.clone().into_bytes();
            b[i] = if b[i] == b'9' { b'8' } else { b'9' };
            let t = String::from_utf8(b).unwrap();
            assert!(parse_and_verify(&t, &key).is_err(), "flip at {i}: {t}");
        }
        let other = SigningKey::from_bytes([8; 32]);
        assert_eq!(parse_and_verify(&text, &other), Err(QrError::BadSignature));
        for cut in [1, 5, 20, text.len() - 1] {
            assert!(parse_and_verify(&text[..text.len() - cut], &key).is_err());
        }
        assert_eq!(parse_and_verify("hello", &key), Err(QrError::NotOurs));
    }

    #[test]
    fn escape_round_trips() {
        for s in ["", "ABC-1.2", "abc", "%%", "中文 码", "a:b*c+d"] {
            let e = escape(s);
            assert!(e.bytes().all(|b| passes(b) || b == b'%'));
            assert_eq!(unescape(&e).unwrap(), s);
        }
        assert!(unescape("%6").is_err());
        assert!(unescape("a").is_err());
    }

    #[test]
    fn negative_offsets_and_totals() {
        let key = SigningKey::from_bytes([1; 32]);
        let mut p = sample();
        p.issued_at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05-05:30").unwrap();
        p.total = dec!(-10.00);
        p.items = vec![("X".into(), dec!(-1))];
        let t = build(&p, &key);
        assert_eq!(parse_and_verify(&t, &key).unwrap(), p);
    }
}
