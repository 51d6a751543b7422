//! Why printing failed, in words a cashier or an admin can act on: the font
//! that would not load, the QR payload that does not fit, the report row with
//! the wrong number of cells, the print command that could not run.

use crate::error::{ErrorKind, UserFacing};
use crate::i18n::Lang;

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The bundled font could not be parsed (a broken build, never user data).
    #[error("the bundled CJK font could not be parsed: {0}")]
    Font(String),
    /// The terminal's `print.layout` setting names no known layout.
    #[error("unknown print layout \"{0}\" (use roll80 or a5)")]
    UnknownLayout(String),
    /// A receipt without QR text cannot be verified by the pharmacy.
    #[error("receipt {number} has no QR payload to print")]
    EmptyQr { number: String },
    /// The QR text is longer than a scannable code holds.
    #[error("the QR payload of receipt {number} ({len} characters) does not fit in a QR code")]
    QrTooLong { number: String, len: usize },
    /// A report row does not have one cell per column.
    #[error("report table \"{table}\", row {row}: {found} cells, expected {expected}")]
    RowWidth {
        table: String,
        row: usize,
        found: usize,
        expected: usize,
    },
    /// A report table without columns cannot be laid out.
    #[error("report table \"{table}\" has no columns")]
    NoColumns { table: String },
    /// The per-terminal print command template cannot be split into arguments.
    #[error("print command \"{template}\" is invalid: {reason}")]
    BadCommand { template: String, reason: String },
    /// The PDF to deliver is not there.
    #[error("PDF file {path} does not exist")]
    MissingPdf { path: String },
    /// The print program could not be started.
    #[error("could not start print command \"{program}\": {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// The print program ran and reported failure.
    #[error("print command \"{command}\" failed ({status}): {stderr}")]
    CommandFailed {
        command: String,
        status: String,
        stderr: String,
    },
}

impl UserFacing for PrintError {
    fn kind(&self) -> ErrorKind {
        match self {
            PrintError::Font(_) | PrintError::Spawn { .. } | PrintError::CommandFailed { .. } => {
                ErrorKind::Internal
            }
            PrintError::UnknownLayout(_)
            | PrintError::EmptyQr { .. }
            | PrintError::QrTooLong { .. }
            | PrintError::RowWidth { .. }
            | PrintError::NoColumns { .. }
            | PrintError::BadCommand { .. }
            | PrintError::MissingPdf { .. } => ErrorKind::Invalid,
        }
    }

    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            PrintError::Font(e) => format!("内置中文字体无法解析：{e}"),
            PrintError::UnknownLayout(l) => format!("未知的打印版式“{l}”（可用 roll80 或 a5）"),
            PrintError::EmptyQr { number } => format!("票据 {number} 没有二维码内容，无法打印"),
            PrintError::QrTooLong { number, len } => {
                format!("票据 {number} 的二维码内容（{len} 个字符）超出二维码容量")
            }
            PrintError::RowWidth {
                table,
                row,
                found,
                expected,
            } => format!("报表表格“{table}”第 {row} 行有 {found} 个单元格，应为 {expected} 个"),
            PrintError::NoColumns { table } => format!("报表表格“{table}”没有列"),
            PrintError::BadCommand { template, reason } => {
                format!("打印命令“{template}”无效：{reason}")
            }
            PrintError::MissingPdf { path } => format!("PDF 文件 {path} 不存在"),
            PrintError::Spawn { program, source } => {
                format!("无法启动打印命令“{program}”：{source}")
            }
            PrintError::CommandFailed {
                command,
                status,
                stderr,
            } => format!("打印命令“{command}”执行失败（{status}）：{stderr}"),
        }
    }
}
