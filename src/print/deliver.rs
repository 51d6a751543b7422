//! Handing a saved receipt or report PDF to the printer. Each terminal may
//! configure a print command template such as `lp -d CASHIER1 {pdf}`; it is
//! split into arguments here (quotes and backslashes as in a POSIX shell, but
//! no shell runs, so a file name can never inject a command) and `{pdf}` is
//! replaced by the file's path inside whichever argument holds it — or the
//! path is appended as the last argument when the template has no `{pdf}`.
//! Without a template the PDF simply stays saved; opening it in a viewer is
//! the GUI's job.

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
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|source| PrintError::Spawn {
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

/// The argument vector for `template` with `{pdf}` replaced by `pdf`.
pub fn command_argv(template: &str, pdf: &str) -> Result<Vec<String>, PrintError> {
    let bad = |reason: &str| PrintError::BadCommand {
        template: template.to_string(),
        reason: reason.to_string(),
    };
    let words = split_words(template).map_err(bad)?;
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
