//! One vocabulary for failures across capabilities, so the CLI can map any of
//! them to the documented exit codes and both faces can show them in the
//! user's language.

use crate::i18n::Lang;

/// What kind of failure this is, from the point of view of the person who
/// asked. Each kind maps to one documented exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A bug or an environment failure we did not expect (exit 1).
    Internal,
    /// Invalid input, refused; nothing was changed (exit 2).
    Invalid,
    /// Wrong PIN, locked user, missing role (exit 3).
    NotAllowed,
    /// Forged or altered receipt code, journal or database records (exit 4).
    Verification,
    /// Conflict with the current state (exit 5).
    Conflict,
    /// Done, but a follow-up failed: the receipt is issued, its PDF or
    /// print did not happen (exit 6).
    FollowUp,
}

impl ErrorKind {
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Internal => 1,
            ErrorKind::Invalid => 2,
            ErrorKind::NotAllowed => 3,
            ErrorKind::Verification => 4,
            ErrorKind::Conflict => 5,
            ErrorKind::FollowUp => 6,
        }
    }
}

/// What a person can do about a failure. The library names it; each face
/// words it its own way (the CLI names a command, the GUI a screen), so no
/// flag or command name appears in a library message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remedy {
    /// Declare the outage episode first.
    OpenEpisode,
    /// An admin adds a receipt number range for this terminal.
    AddRange { terminal: String },
    /// An admin imports the price list for the month.
    ImportPrices,
    /// A supervisor approves with their name and PIN.
    Supervisor,
    /// Import again, deliberately replacing what is held (the old one is
    /// kept in the history).
    ReplaceHeld,
    /// Say which month the price list is for.
    GiveMonth,
    /// Set this terminal up first.
    SetUp,
    /// Pick a setting from the known ones.
    KnownSettings,
    /// Restore the latest backup.
    RestoreBackup,
    /// An admin looks at what verify found and acknowledges it, with a
    /// reason, before issuing resumes.
    AcknowledgeVerify,
}

/// Implemented by every capability's error enum.
pub trait UserFacing: std::fmt::Debug {
    fn kind(&self) -> ErrorKind;
    /// The message, in the chosen language, naming the file, row, column
    /// or record the problem is about. It may quote what it was given (a
    /// field name, a cell, SQLite's text): [`UserFacing::message`] makes it
    /// one line.
    fn describe(&self, lang: Lang) -> String;
    /// One line: [`UserFacing::describe`] with every run of white space
    /// that holds a line break made one space, and any other control
    /// character written as an escape (`\u{1b}`), so a quoted name from a
    /// hostile file cannot break a log line, a status bar or a CLI message.
    fn message(&self, lang: Lang) -> String {
        one_line(&self.describe(lang))
    }
    /// What can be done about it, when there is one thing to do.
    fn remedy(&self) -> Option<Remedy> {
        None
    }
}

/// `text` on one line (see [`UserFacing::message`]).
pub fn one_line(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' || c == '\r' {
            while out.ends_with([' ', '\t']) {
                out.pop();
            }
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            out.push(' ');
        } else if c.is_control() && c != '\t' {
            out.extend(c.escape_default());
        } else if c == '\t' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// A failure ready to be shown: what both faces (CLI, GUI) hold once a
/// capability error has left the library.
#[derive(Debug, Clone)]
pub struct Failure {
    pub kind: ErrorKind,
    pub zh: String,
    pub en: String,
    pub remedy: Option<Remedy>,
}

impl Failure {
    pub fn new(kind: ErrorKind, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Failure {
            kind,
            zh: zh.into(),
            en: en.into(),
            remedy: None,
        }
    }

    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

impl<E: UserFacing> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            kind: e.kind(),
            zh: e.message(Lang::Zh),
            en: e.message(Lang::En),
            remedy: e.remedy(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn a_quoted_line_break_becomes_one_space_and_other_controls_escapes() {
        assert_eq!(one_line("plain 文本"), "plain 文本");
        assert_eq!(
            one_line("no such column: x in SELECT a,\n           FROM t"),
            "no such column: x in SELECT a, FROM t"
        );
        assert_eq!(one_line("field `a\r\nb`"), "field `a b`");
        assert_eq!(one_line("bell\u{7}\u{1b}[31m"), "bell\\u{7}\\u{1b}[31m");
        assert_eq!(one_line("tab\there"), "tab here");
        assert!(!one_line("x\n\n\ny").contains('\n'));
    }
}
