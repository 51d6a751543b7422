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
    fn tails() {
        assert_eq!(mask_tail("3301000000123456", 4), "************3456");
        assert_eq!(mask_tail("1234", 4), "**34");
        assert_eq!(mask_tail("医保号码一二三四", 2), "******三四");
        assert_eq!(mask_tail("", 4), "");
    }
}
