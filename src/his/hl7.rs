//! HL7 v2.5 DFT^P03 (post detail financial transactions), one message per
//! receipt: MSH, EVN, PID, PV1 and one FT1 per line. Charges are FT1-6
//! `CG`, credit notes `CD` with negative quantities and amounts, deposits
//! `PY`. The message control id (MSH-10) is the receipt number and every
//! field is taken from the stored receipt, so a re-send is byte for byte
//! the same message and the HIS recognises it. Every text field is escaped
//! (`\F\ \S\ \R\ \E\ \T\`). The field mapping is in the README.

use super::select::PostReceipt;
use crate::receipts::query::Kind;

pub const SENDING_APP: &str = "DOWNTIME-BILLING";
/// Local coding system of our item codes (HL7 `99zzz` = locally defined).
pub const CODING_SYSTEM: &str = "99DTB";
/// Local coding system of our fee categories.
pub const CATEGORY_SYSTEM: &str = "99DTBCAT";

/// Where the messages go (MSH-5 / MSH-6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receiver {
    pub application: String,
    pub facility: String,
}

impl Default for Receiver {
    fn default() -> Self {
        Receiver {
            application: "HIS".into(),
            facility: "HIS".into(),
        }
    }
}

/// Escapes text for an HL7 field with the default encoding characters.
/// Control characters (line breaks in a name typed by hand) become spaces:
/// a raw CR would end the segment.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\E\\"),
            '|' => out.push_str("\\F\\"),
            '^' => out.push_str("\\S\\"),
            '&' => out.push_str("\\T\\"),
            '~' => out.push_str("\\R\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The reverse of [`escape`] (for texts in ACKs).
pub fn unescape(s: &str) -> String {
    s.replace("\\F\\", "|")
        .replace("\\S\\", "^")
        .replace("\\T\\", "&")
        .replace("\\R\\", "~")
        .replace("\\.br\\", " ")
        .replace("\\E\\", "\\")
}

/// RFC 3339 → HL7 DTM (`YYYYMMDDHHMMSS+ZZZZ`).
pub fn dtm(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => t.format("%Y%m%d%H%M%S%z").to_string(),
        Err(_) => rfc3339
            .chars()
            .filter(|c| c.is_ascii_digit())
            .take(14)
            .collect(),
    }
}

fn sex(s: Option<&str>) -> &'static str {
    match s.map(str::trim) {
        Some("男" | "M" | "m" | "male") => "M",
        Some("女" | "F" | "f" | "female") => "F",
        Some(_) => "U",
        None => "",
    }
}

/// A segment from (field number, value) pairs; values are already escaped.
fn segment(name: &str, fields: &[(usize, String)]) -> String {
    let last = fields.iter().map(|(i, _)| *i).max().unwrap_or(0);
    let mut cells = vec![String::new(); last];
    for (i, v) in fields {
        if *i >= 1 {
            cells[*i - 1] = v.clone();
        }
    }
    let mut s = String::from(name);
    for c in cells {
        s.push('|');
        s.push_str(&c);
    }
    s
}

/// The message control id of a receipt's message.
pub fn control_id(r: &PostReceipt) -> String {
    r.number.clone()
}

/// The DFT^P03 message of one receipt, segments ended by CR.
pub fn message(r: &PostReceipt, to: &Receiver) -> String {
    let at = dtm(&r.issued_at);
    let mut segs = Vec::with_capacity(4 + r.lines.len());
    segs.push(format!(
        "MSH|^~\\&|{SENDING_APP}|{}|{}|{}|{at}||DFT^P03^DFT_P03|{}|P|2.5|||AL|NE|CHN|UNICODE UTF-8",
        escape(&r.terminal),
        escape(&to.application),
        escape(&to.facility),
        escape(&control_id(r)),
    ));
    segs.push(segment(
        "EVN",
        &[(1, "P03".into()), (2, at.clone()), (5, escape(&r.cashier))],
    ));
    let pid3 = match r.patient_id() {
        Some(("temp_patient_no", n)) => format!("{}^^^{}^PT", escape(n), escape(&r.terminal)),
        Some((_, n)) => format!("{}^^^HIS^PI", escape(n)),
        None => format!("{}^^^{}^RI", escape(&r.number), escape(&r.terminal)),
    };
    let mut pid3 = pid3;
    if let Some(ins) = r.insurance_no.as_deref() {
        pid3.push_str(&format!("~{}^^^CHS^HC", escape(ins)));
    }
    segs.push(segment(
        "PID",
        &[
            (1, "1".into()),
            (3, pid3),
            (5, escape(&r.patient_name)),
            (8, sex(r.sex.as_deref()).into()),
        ],
    ));
    let visit = r.original_number.as_deref().unwrap_or(&r.number);
    segs.push(segment(
        "PV1",
        &[
            (1, "1".into()),
            (2, if r.kind == Kind::Deposit { "I" } else { "O" }.into()),
            (3, escape(&r.department)),
            (7, format!("^{}", escape(&r.doctor))),
            (
                19,
                format!("{}^^^{}^VN", escape(visit), escape(&r.terminal)),
            ),
            (20, escape(&r.payer_type)),
            (44, at.clone()),
        ],
    ));
    let kind = match r.kind {
        Kind::CreditNote => "CD",
        Kind::Deposit => "PY",
        _ => "CG",
    };
    if r.lines.is_empty() {
        segs.push(segment(
            "FT1",
            &[
                (1, "1".into()),
                (2, format!("{}-0", escape(&r.number))),
                (4, at.clone()),
                (5, at.clone()),
                (6, kind.into()),
                (7, format!("DEPOSIT^住院预交金^{CODING_SYSTEM}")),
                (10, "1".into()),
                (11, format!("{}&CNY", r.total)),
                (13, format!("^{}", escape(&r.department))),
                (23, format!("{}-0", escape(&r.number))),
                (24, escape(&r.cashier)),
            ],
        ));
    }
    for (i, l) in r.lines.iter().enumerate() {
        let filler = match (r.original_number.as_deref(), l.refers_line) {
            (Some(orig), Some(line)) => format!("{}-{line}", escape(orig)),
            _ => format!("{}-{}", escape(&r.number), l.line),
        };
        segs.push(segment(
            "FT1",
            &[
                (1, (i + 1).to_string()),
                (2, format!("{}-{}", escape(&r.number), l.line)),
                (4, at.clone()),
                (5, at.clone()),
                (6, kind.into()),
                (
                    7,
                    format!(
                        "{}^{}^{CODING_SYSTEM}^{}^{}^{CATEGORY_SYSTEM}",
                        escape(&l.code),
                        escape(&l.name),
                        escape(&l.category),
                        escape(&l.category),
                    ),
                ),
                (8, escape(&l.name)),
                (9, escape(format!("{} {}", l.spec, l.unit).trim())),
                (10, l.qty.clone()),
                (11, format!("{}&CNY", l.amount)),
                (12, format!("{}&CNY", escape(&l.unit_price))),
                (13, format!("^{}", escape(&r.department))),
                (21, format!("^{}", escape(&r.doctor))),
                (23, filler),
                (24, escape(&r.cashier)),
            ],
        ));
    }
    let mut out = segs.join("\r");
    out.push('\r');
    out
}

/// What an ACK said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// MSA-1: AA, AE, AR (or CA, CE, CR).
    pub code: String,
    /// MSA-2: the control id acknowledged.
    pub control_id: String,
    /// MSA-3 and the ERR segments' texts, joined.
    pub text: String,
}

impl Ack {
    pub fn accepted(&self) -> bool {
        matches!(self.code.as_str(), "AA" | "CA")
    }
}

/// Reads an ACK; `None` when it has no MSA segment.
pub fn parse_ack(raw: &str) -> Option<Ack> {
    let segs: Vec<&str> = raw
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let field_sep = segs
        .iter()
        .find(|s| s.starts_with("MSH"))
        .and_then(|s| s.chars().nth(3))
        .unwrap_or('|');
    let msa = segs.iter().find(|s| s.starts_with("MSA"))?;
    let f: Vec<&str> = msa.split(field_sep).collect();
    let code = f.get(1).copied().unwrap_or("").trim().to_string();
    if code.is_empty() {
        return None;
    }
    let mut texts: Vec<String> = Vec::new();
    if let Some(t) = f.get(3).filter(|t| !t.is_empty()) {
        texts.push(unescape(t));
    }
    for err in segs.iter().filter(|s| s.starts_with("ERR")) {
        let e: Vec<&str> = err.split(field_sep).collect();
        // ERR-8 user message, ERR-7 diagnostic information, ERR-3.2 the
        // error code's text, ERR-1.4.2 (2.4 and older) the code's text.
        let candidates = [
            e.get(8).map(|s| s.to_string()),
            e.get(7).map(|s| s.to_string()),
            e.get(3)
                .and_then(|s| s.split('^').nth(1))
                .map(str::to_string),
            e.get(1)
                .and_then(|s| s.split('^').nth(3))
                .and_then(|s| s.split('&').nth(1))
                .map(str::to_string),
        ];
        for t in candidates.into_iter().flatten() {
            let t = unescape(&t);
            if !t.trim().is_empty() && !texts.contains(&t) {
                texts.push(t);
            }
        }
    }
    Some(Ack {
        code,
        control_id: f.get(2).copied().unwrap_or("").to_string(),
        text: texts.join("; "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_every_delimiter() {
        assert_eq!(escape("a|b^c~d\\e&f"), "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f");
        assert_eq!(unescape(&escape("a|b^c~d\\e&f")), "a|b^c~d\\e&f");
        assert_eq!(escape("张\r三"), "张 三");
    }

    #[test]
    fn ack_texts_come_from_msa_and_err() {
        let ack = "MSH|^~\\&|HIS|H|DOWNTIME-BILLING|MZ01|20261122||ACK^P03|1|P|2.5\rMSA|AE|MZ01-00000002|bad code\rERR||PID^1^3|103^Table value not found^HL70357|E||||unknown item X\\F\\1\r";
        let a = parse_ack(ack).unwrap();
        assert_eq!(a.code, "AE");
        assert_eq!(a.control_id, "MZ01-00000002");
        assert_eq!(a.text, "bad code; unknown item X|1; Table value not found");
        assert!(!a.accepted());
        assert!(parse_ack("garbage").is_none());
    }

    #[test]
    fn dtm_keeps_the_offset() {
        assert_eq!(dtm("2026-11-22T10:15:03+08:00"), "20261122101503+0800");
    }
}
