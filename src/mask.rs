//! Masking of personal identifiers (ID numbers, phones, insurance numbers)
//! for screens, reports and logs that do not need the full value: the
//! hospital's procedures allow showing a patient's identity only where the
//! task needs it, and a log file must never hold a full ID number.
//!
//! Masking works on characters (not bytes), keeps the length visible so a
//! clerk can still tell a short value from a long one, and never panics on
//! short or odd input: a value too short to keep both ends is masked whole
//! except its last characters.

const MASK: char = '*';

/// Keeps the first `head` and last `tail` characters, masks the rest. When
/// the value is too short for both, keeps only what leaves at least half of
/// it masked.
fn mask_middle(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    let n = chars.len();
    if n == 0 {
        return String::new();
    }
    let (head, tail) = if head + tail < n && (n - head - tail) * 2 >= n.min(head + tail) {
        (head, tail)
    } else {
        // Too short: show at most a quarter at the end, nothing at the start.
        (0, n / 4)
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { *c } else { MASK })
        .collect()
}

/// A Chinese resident ID number (18 characters, or 15 for old cards):
/// region code (6) and last 4 shown, birth date masked.
/// `330102199001011234` → `330102********1234`.
pub fn mask_id_number(id: &str) -> String {
    mask_middle(id, 6, 4)
}

/// A mobile phone number: first 3 and last 4 shown.
/// `13812345678` → `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    mask_middle(phone, 3, 4)
}

/// Everything but the last `keep` characters masked (insurance numbers,
/// card numbers). Keeps fewer when the value is short, so at least half of
/// it stays hidden.
pub fn mask_tail(s: &str, keep: usize) -> String {
    let n = s.trim().chars().count();
    mask_middle(s, 0, keep.min(n / 2))
}

/// Masks anything in free text shaped like a resident ID number (18
/// characters: 17 digits and a digit or X; or 15 digits) or a mobile phone
/// number (11 digits starting with 1). The log writer passes every line
/// through it, so an identifier that slips into a message never reaches the
/// log file in full.
pub fn redact_identifiers(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let run = &text[start..i];
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let masked = match run.len() {
            18 if digits(&run[..17]) && matches!(run.as_bytes()[17], b'0'..=b'9' | b'X' | b'x') => {
                Some(mask_id_number(run))
            }
            15 if digits(run) => Some(mask_id_number(run)),
            11 if digits(run) && run.starts_with('1') => Some(mask_phone(run)),
            _ => None,
        };
        if let Some(m) = masked {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(&text[last..start]);
            o.push_str(&m);
            last = i;
        }
    }
    match out {
        None => std::borrow::Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(&text[last..]);
            std::borrow::Cow::Owned(o)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers() {
        assert_eq!(mask_id_number("330102199001011234"), "330102********1234");
        assert_eq!(mask_id_number("33010219900101123X"), "330102********123X");
        assert_eq!(mask_id_number("330102900101123"), "330102*****1123");
        assert_eq!(mask_id_number(""), "");
        // Too short to keep both ends: mostly masked, never the full value.
        assert_eq!(mask_id_number("12345678"), "******78");
        assert_ne!(mask_id_number("1234"), "1234");
    }

    #[test]
    fn phones() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone(" 13812345678 "), "138****5678");
        assert_eq!(mask_phone("5678"), "***8");
    }

    #[test]
    fn free_text() {
        assert_eq!(
            redact_identifiers("patient 330102199001011234 phone 13812345678, ok"),
            "patient 330102********1234 phone 138****5678, ok"
        );
        assert_eq!(
            redact_identifiers("id=33010219900101123X;"),
            "id=330102********123X;"
        );
        // Receipt numbers, item codes, amounts and hashes stay as they are.
        let plain = "receipt MZ01-00000017 item XA01AB001A00001 250101015 total 125.40 seq 12";
        assert_eq!(redact_identifiers(plain), plain);
        assert!(matches!(
            redact_identifiers(plain),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            redact_identifiers("中文 13812345678。"),
            "中文 138****5678。"
        );
    }

    #[test]
    fn tails() {
        assert_eq!(mask_tail("3301000000123456", 4), "************3456");
        assert_eq!(mask_tail("1234", 4), "**34");
        assert_eq!(mask_tail("医保号码一二三四", 2), "******三四");
        assert_eq!(mask_tail("", 4), "");
    }
}
