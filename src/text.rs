//! Text a person or a file gives the program is shown back on receipts,
//! screens, terminals and reports. Control characters (ESC sequences that
//! repaint a terminal, CR/LF that forge a second line in a log or a list,
//! NUL) and bidirectional overrides (U+202E, which makes "exe.txt" read as
//! "txt.exe") are refused at the door with the field named, and whatever is
//! printed as text is made inert on the way out.

/// The first character of `s` that must not be in a one-line text field:
/// any control character (C0, DEL, C1), the bidirectional embedding,
/// override and isolate marks, and the line and paragraph separators.
pub fn forbidden_char(s: &str) -> Option<char> {
    s.chars().find(|&c| is_forbidden(c))
}

fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
                | '\u{2028}' | '\u{2029}' | '\u{FEFF}'
        )
}

/// `U+001B` for a character, as messages name it.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// A field's text problem, if any: a forbidden character, or more than
/// `max` characters. `(en, zh)`.
pub fn check(value: &str, max: usize) -> Result<(), (String, String)> {
    if let Some(c) = forbidden_char(value) {
        let cp = code_point(c);
        return Err((
            format!("contains the control character {cp}: type plain text"),
            format!("含有控制字符 {cp}：请输入普通文字"),
        ));
    }
    let n = value.chars().count();
    if n > max {
        return Err((
            format!("is {n} characters long, at most {max} allowed"),
            format!("长 {n} 个字符，最多 {max} 个"),
        ));
    }
    Ok(())
}

/// `s` safe to print on one line of a terminal or a text file: every
/// forbidden character replaced by its `\u{…}` escape.
pub fn inert(s: &str) -> std::borrow::Cow<'_, str> {
    if forbidden_char(s).is_none() {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if is_forbidden(c) {
                    format!("\\u{{{:04X}}}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_found_and_made_inert() {
        for bad in [
            "a\u{1b}[2J",
            "a\rb",
            "a\nb",
            "a\0",
            "a\u{202E}b",
            "\u{2066}x",
            "a\u{85}",
        ] {
            assert!(forbidden_char(bad).is_some(), "{bad:?}");
            assert!(check(bad, 50).is_err());
            assert!(forbidden_char(&inert(bad)).is_none(), "{bad:?}");
        }
        for good in ["张三", "阿莫西林胶囊 0.25g*24粒", "O'Brien-Smith", ""] {
            assert_eq!(forbidden_char(good), None);
            assert_eq!(inert(good), good);
        }
        assert_eq!(inert("a\u{1b}b"), "a\\u{001B}b");
        assert!(check(&"长".repeat(51), 50).is_err());
        assert!(check(&"长".repeat(50), 50).is_ok());
    }
}
