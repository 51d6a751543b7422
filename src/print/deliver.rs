//! Handing a saved receipt or report PDF to the printer. Each terminal may
//! configure a print command template such as `lp -d CASHIER1 {pdf}`; it is
//! split into arguments here (quotes and backslashes as in a POSIX shell, but
//! no shell runs, so a file name can never inject a command) and `{pdf}` is
//! replaced by the file's path inside whichever argument holds it — or the
//! path is appended as the last argument when the template has no `{pdf}`.
//! Without a template the PDF simply stays saved; opening it in a viewer is
//! the GUI's job.
//!
//! On Windows a backslash is a path separator, not an escape: the template
//! is split as Windows programs split their command line (double quotes
//! group, `\"` is a quote, every other backslash is kept), so
//! `"C:\Program Files\SumatraPDF\SumatraPDF.exe" -print-to-default {pdf}`
//! runs as written. The program is started directly there too (no `cmd`),
//! without a console window flashing up over the cashier screen.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::error::PrintError;

/// What happened to the PDF.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "delivery", rename_all = "lowercase")]
pub enum Delivery {
    /// No print command configured: the file is saved at `path`.
    Saved { path: PathBuf },
    /// The print command ran and exited successfully.
    Sent { path: PathBuf, argv: Vec<String> },
}

/// Sends `pdf_path` to the printer with `print_command`, or leaves it saved
/// when there is none (or it is blank).
pub fn deliver(pdf_path: &Path, print_command: Option<&str>) -> Result<Delivery, PrintError> {
    if !pdf_path.is_file() {
        return Err(PrintError::MissingPdf {
            path: pdf_path.display().to_string(),
        });
    }
    let template = match print_command.map(str::trim) {
        Some(t) if !t.is_empty() => t,
        _ => {
            return Ok(Delivery::Saved {
                path: pdf_path.to_path_buf(),
            });
        }
    };
    let argv = command_argv(template, &pdf_path.to_string_lossy())?;
    let (program, args) = argv.split_first().ok_or_else(|| PrintError::BadCommand {
        template: template.to_string(),
        reason: "empty".into(),
    })?;
    let mut command = Command::new(program);
    command.args(args);
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        /// No console window for a console program started from the GUI.
        const CREATE_NO_WINDOW: u32 = 0x0800_0000;
        command.creation_flags(CREATE_NO_WINDOW);
    }
    let out = command.output().map_err(|source| PrintError::Spawn {
        program: program.clone(),
        source,
    })?;
    if !out.status.success() {
        return Err(PrintError::CommandFailed {
            command: argv.join(" "),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(Delivery::Sent {
        path: pdf_path.to_path_buf(),
        argv,
    })
}

/// How a template is split into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Quotes and backslashes as in a POSIX shell (Linux).
    Posix,
    /// As Windows programs read their command line: double quotes group,
    /// `\"` is a literal quote, any other backslash is kept (paths).
    Windows,
}

impl Syntax {
    /// The syntax of the platform the program runs on.
    pub const NATIVE: Syntax = if cfg!(windows) {
        Syntax::Windows
    } else {
        Syntax::Posix
    };
}

/// The argument vector for `template` with `{pdf}` replaced by `pdf`, split
/// the way this platform's commands are written.
pub fn command_argv(template: &str, pdf: &str) -> Result<Vec<String>, PrintError> {
    command_argv_in(Syntax::NATIVE, template, pdf)
}

/// [`command_argv`] in a given syntax.
pub fn command_argv_in(
    syntax: Syntax,
    template: &str,
    pdf: &str,
) -> Result<Vec<String>, PrintError> {
    let bad = |reason: &str| PrintError::BadCommand {
        template: template.to_string(),
        reason: reason.to_string(),
    };
    let words = match syntax {
        Syntax::Posix => split_words(template),
        Syntax::Windows => split_windows(template),
    }
    .map_err(bad)?;
    if words.is_empty() {
        return Err(bad("empty"));
    }
    let mut found = false;
    let mut argv: Vec<String> = words
        .into_iter()
        .map(|w| {
            if w.contains("{pdf}") {
                found = true;
                w.replace("{pdf}", pdf)
            } else {
                w
            }
        })
        .collect();
    if !found {
        argv.push(pdf.to_string());
    }
    Ok(argv)
}

/// POSIX-style word splitting: whitespace separates, '…' is literal, "…"
/// allows \" and \\, a backslash outside quotes escapes the next character.
fn split_words(s: &str) -> Result<Vec<String>, &'static str> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err("unterminated single quote"),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => cur.push(c),
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => return Err("unterminated double quote"),
                        },
                        Some(c) => cur.push(c),
                        None => return Err("unterminated double quote"),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => cur.push(c),
                    None => return Err("trailing backslash"),
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Windows-style splitting: whitespace separates, "…" groups, `\"` is a
/// literal quote; every other backslash and every single quote is kept.
fn split_windows(s: &str) -> Result<Vec<String>, &'static str> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'"') => {
                chars.next();
                in_word = true;
                cur.push('"');
            }
            '"' => {
                in_word = true;
                quoted = !quoted;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if quoted {
        return Err("unterminated double quote");
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_is_split_without_a_shell() {
        let argv = command_argv(
            "lp -d 'Cashier 1' -o \"media=80mm\" {pdf}",
            "/tmp/a b;rm -rf.pdf",
        )
        .unwrap();
        assert_eq!(
            argv,
            [
                "lp",
                "-d",
                "Cashier 1",
                "-o",
                "media=80mm",
                "/tmp/a b;rm -rf.pdf"
            ]
        );
        assert_eq!(command_argv("lpr", "/x.pdf").unwrap(), ["lpr", "/x.pdf"]);
        assert_eq!(
            command_argv("print --file={pdf}", "/x.pdf").unwrap(),
            ["print", "--file=/x.pdf"]
        );
        assert!(command_argv("lp 'oops", "/x.pdf").is_err());
        assert!(command_argv("   ", "/x.pdf").is_err());
    }

    /// Catches a Windows print command split the POSIX way: the backslashes
    /// of `C:\Program Files\…` eaten as escapes, the program never found.
    #[test]
    fn windows_templates_keep_their_paths() {
        let pdf = r"C:\Users\张三\AppData\Local\downtime-billing\data\receipts\MZ01-00000001.pdf";
        let argv = command_argv_in(
            Syntax::Windows,
            r#""C:\Program Files\SumatraPDF\SumatraPDF.exe" -print-to "收费 1" -silent {pdf}"#,
            pdf,
        )
        .unwrap();
        assert_eq!(
            argv,
            [
                r"C:\Program Files\SumatraPDF\SumatraPDF.exe",
                "-print-to",
                "收费 1",
                "-silent",
                pdf
            ]
        );
        let argv = command_argv_in(
            Syntax::Windows,
            r#"powershell -NoProfile -Command "Start-Process -Verb Print -FilePath '{pdf}'""#,
            r"C:\r.pdf",
        )
        .unwrap();
        assert_eq!(
            argv,
            [
                "powershell",
                "-NoProfile",
                "-Command",
                r"Start-Process -Verb Print -FilePath 'C:\r.pdf'"
            ]
        );
        assert_eq!(
            command_argv_in(Syntax::Windows, r#"say \"hi\""#, "x").unwrap(),
            ["say", "\"hi\"", "x"]
        );
        assert_eq!(
            command_argv_in(Syntax::Windows, r"C:\Tools\PDFtoPrinter.exe {pdf}", "x").unwrap(),
            [r"C:\Tools\PDFtoPrinter.exe", "x"]
        );
        assert!(command_argv_in(Syntax::Windows, r#""C:\oops"#, "x").is_err());
        // The same template the POSIX way loses its separators.
        assert_eq!(
            command_argv_in(Syntax::Posix, r"C:\bin\print.exe", "x").unwrap()[0],
            "C:binprint.exe"
        );
        assert_eq!(
            Syntax::NATIVE,
            if cfg!(windows) {
                Syntax::Windows
            } else {
                Syntax::Posix
            }
        );
    }

    #[test]
    fn delivery_saves_runs_and_reports_failure() {
        let dir = tempfile::tempdir().unwrap();
        let pdf = dir.path().join("r.pdf");
        std::fs::write(&pdf, b"%PDF-1.7").unwrap();
        assert_eq!(
            deliver(&pdf, None).unwrap(),
            Delivery::Saved { path: pdf.clone() }
        );
        let copy = dir.path().join("printed.pdf");
        let cmd = format!("cp {{pdf}} '{}'", copy.display());
        assert!(matches!(
            deliver(&pdf, Some(&cmd)).unwrap(),
            Delivery::Sent { .. }
        ));
        assert_eq!(std::fs::read(&copy).unwrap(), b"%PDF-1.7");
        assert!(matches!(
            deliver(&pdf, Some("false")),
            Err(PrintError::CommandFailed { .. })
        ));
        assert!(matches!(
            deliver(&pdf, Some("/nonexistent/printer-program")),
            Err(PrintError::Spawn { .. })
        ));
        assert!(matches!(
            deliver(&dir.path().join("missing.pdf"), None),
            Err(PrintError::MissingPdf { .. })
        ));
    }
}
