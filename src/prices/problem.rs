//! What is wrong with a price-list file, said so an admin can fix it in a
//! spreadsheet: every problem names the file, the row as the spreadsheet
//! shows it (header and title rows count), and the column by the header text
//! the file itself uses. Import is all or nothing, so every problem is
//! collected, not just the first.

use crate::i18n::Lang;
use std::fmt;

/// The column a problem is about when no single column is: the whole file or
/// the whole row.
pub const NO_COLUMN: &str = "-";

/// One problem (or warning) in a price-list file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The file's name (without directories).
    pub file: String,
    /// 1-based row as a spreadsheet user sees it; for JSON, the 1-based
    /// position of the object in the array.
    pub row: usize,
    /// The column's header text as written in the file, or [`NO_COLUMN`].
    pub column: String,
    pub kind: ProblemKind,
}

/// The kinds of problems and warnings an import can find.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProblemKind {
    /// The file has no bytes (or only blanks).
    EmptyFile,
    /// A header row and no item under it.
    HeaderOnly,
    /// No row in the first rows looks like a header.
    NoHeader {
        searched_rows: usize,
    },
    /// A required column is not in the header.
    MissingColumn {
        column: String,
    },
    /// Two header cells name the same field.
    DuplicateColumn {
        first_column: String,
    },
    /// The row has fewer cells than the header.
    ShortRow {
        found: usize,
        expected: usize,
    },
    /// The row has non-empty cells beyond the header's last column.
    LongRow {
        found: usize,
        expected: usize,
    },
    /// Bytes that are not text in the file's encoding.
    Undecodable {
        encoding: String,
    },
    /// A required cell is empty (code, name, unit, price, category).
    Missing,
    DuplicateCode {
        code: String,
        first_row: usize,
    },
    NegativePrice {
        value: String,
    },
    NotANumber {
        value: String,
    },
    NanOrInfinity {
        value: String,
    },
    Exponent {
        value: String,
    },
    TooManyDecimals {
        value: String,
    },
    TooLarge {
        value: String,
    },
    UnknownCategory {
        value: String,
    },
    /// A cell that cannot be read as text or a number (JSON arrays,
    /// spreadsheet error cells such as #DIV/0!).
    BadCell {
        value: String,
    },
    /// The file is not what its name says (broken XLSX, JSON syntax).
    Unreadable {
        detail: String,
    },
    /// A number written with a comma that could be a decimal comma.
    Comma {
        value: String,
    },
    /// Two codes that differ only by letter case (`Q1`, `q1`): one item to
    /// a cashier typing it, two in the list.
    DuplicateCodeCase {
        code: String,
        first_code: String,
        first_row: usize,
    },
    /// A control character (ESC, CR/LF, NUL …) or a bidirectional override
    /// in a text cell.
    ControlCharacter {
        character: String,
    },
    /// A text cell longer than its field allows.
    TooLong {
        chars: usize,
        max: usize,
    },
    /// Warning: a zero price is allowed but rarely meant.
    ZeroPrice,
    /// Warning: a column the import does not use.
    IgnoredColumn,
}

impl ProblemKind {
    /// Warnings do not stop an import.
    pub fn is_warning(&self) -> bool {
        matches!(self, ProblemKind::ZeroPrice | ProblemKind::IgnoredColumn)
    }

    pub fn message(&self, lang: Lang) -> String {
        use ProblemKind::*;
        match lang {
            Lang::Zh => match self {
                EmptyFile => "文件为空".into(),
                HeaderOnly => "只有表头，没有任何项目".into(),
                NoHeader { searched_rows } => format!(
                    "前 {searched_rows} 行中找不到表头（需要 项目编码/code、项目名称/name、单位/unit、单价/price、类别/category）"
                ),
                MissingColumn { column } => format!("缺少必需的列“{column}”"),
                DuplicateColumn { first_column } => {
                    format!("与列“{first_column}”重复：同一字段出现两次")
                }
                ShortRow { found, expected } => {
                    format!("行不完整：只有 {found} 个单元格，表头有 {expected} 列")
                }
                LongRow { found, expected } => format!(
                    "行过长：有 {found} 个单元格，表头只有 {expected} 列（名称或规格中是否有未加引号的逗号？）"
                ),
                Undecodable { encoding } => format!("含有无法按 {encoding} 解码的字节"),
                Missing => "必填项为空".into(),
                DuplicateCode { code, first_row } => {
                    format!("项目编码“{code}”重复（第 {first_row} 行已有）")
                }
                NegativePrice { value } => format!("单价“{value}”是负数"),
                NotANumber { value } => format!("单价“{value}”不是数字"),
                NanOrInfinity { value } => format!("单价“{value}”不是有限的数值（NaN 或无穷大）"),
                Exponent { value } => {
                    format!("单价“{value}”使用了科学计数法，请写成普通小数")
                }
                TooManyDecimals { value } => format!("单价“{value}”的小数超过 4 位"),
                TooLarge { value } => format!("单价“{value}”超过上限 1,000,000"),
                UnknownCategory { value } => format!(
                    "未知类别“{value}”（可用：西药、中成药、中草药、检查、检验、治疗、材料、挂号、诊查、手术、护理、床位）"
                ),
                BadCell { value } => format!("单元格内容“{value}”不是文字或数字"),
                Unreadable { detail } => format!("无法读取文件：{detail}"),
                Comma { value } => format!(
                    "数字“{value}”含有逗号：小数点请写作“.”（逗号只可作千位分隔，且须有小数点，如 1,234.50）"
                ),
                DuplicateCodeCase {
                    code,
                    first_code,
                    first_row,
                } => format!(
                    "项目编码“{code}”与第 {first_row} 行的“{first_code}”仅大小写不同：视为重复"
                ),
                ControlCharacter { character } => {
                    format!("含有控制字符 {character}：请改为普通文字")
                }
                TooLong { chars, max } => format!("长 {chars} 个字符，最多 {max} 个"),
                ZeroPrice => "单价为 0（允许，但请确认）".into(),
                IgnoredColumn => "此列不会被导入".into(),
            },
            Lang::En => match self {
                EmptyFile => "the file is empty".into(),
                HeaderOnly => "the file has a header and no items".into(),
                NoHeader { searched_rows } => format!(
                    "no header row in the first {searched_rows} rows (need code, name, unit, price, category or 项目编码, 项目名称, 单位, 单价, 类别)"
                ),
                MissingColumn { column } => format!("the required column '{column}' is missing"),
                DuplicateColumn { first_column } => {
                    format!("same field as column '{first_column}': a field appears twice")
                }
                ShortRow { found, expected } => {
                    format!("short row: {found} cells, the header has {expected} columns")
                }
                LongRow { found, expected } => format!(
                    "long row: {found} cells, the header has only {expected} columns (an unquoted comma in a name or spec?)"
                ),
                Undecodable { encoding } => format!("bytes that are not valid {encoding}"),
                Missing => "required value is empty".into(),
                DuplicateCode { code, first_row } => {
                    format!("duplicate code '{code}' (already on row {first_row})")
                }
                NegativePrice { value } => format!("price '{value}' is negative"),
                NotANumber { value } => format!("price '{value}' is not a number"),
                NanOrInfinity { value } => {
                    format!("price '{value}' is not a finite number (NaN or infinity)")
                }
                Exponent { value } => {
                    format!("price '{value}' is in exponent notation; write it as a plain decimal")
                }
                TooManyDecimals { value } => {
                    format!("price '{value}' has more than 4 decimals")
                }
                TooLarge { value } => format!("price '{value}' is over the limit of 1,000,000"),
                UnknownCategory { value } => format!(
                    "unknown category '{value}' (use 西药, 中成药, 中草药, 检查, 检验, 治疗, 材料, 挂号, 诊查, 手术, 护理, 床位)"
                ),
                BadCell { value } => format!("cell '{value}' is neither text nor a number"),
                Unreadable { detail } => format!("cannot read the file: {detail}"),
                Comma { value } => format!(
                    "number '{value}' has a comma: write the decimal point as '.' (a comma is read only between groups of three digits before a decimal point, e.g. 1,234.50)"
                ),
                DuplicateCodeCase {
                    code,
                    first_code,
                    first_row,
                } => format!(
                    "code '{code}' differs from '{first_code}' (row {first_row}) only by letter case: a duplicate"
                ),
                ControlCharacter { character } => {
                    format!("contains the control character {character}: write plain text")
                }
                TooLong { chars, max } => {
                    format!("{chars} characters long, at most {max} allowed")
                }
                ZeroPrice => "price is 0 (allowed, but check it)".into(),
                IgnoredColumn => "this column is not imported".into(),
            },
        }
    }
}

impl Problem {
    pub fn new(file: &str, row: usize, column: impl Into<String>, kind: ProblemKind) -> Problem {
        Problem {
            file: file.to_string(),
            row,
            column: column.into(),
            kind,
        }
    }

    /// `FILE:ROW:COLUMN: message` in the chosen language.
    pub fn render(&self, lang: Lang) -> String {
        // One line, whatever the file put in a column name or a cell.
        crate::error::one_line(&format!(
            "{}:{}:{}: {}",
            self.file,
            self.row,
            self.column,
            self.kind.message(lang)
        ))
    }

    /// `FILE:ROW:COLUMN`, the part tests and scripts match on.
    pub fn location(&self) -> String {
        format!("{}:{}:{}", self.file, self.row, self.column)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_row_column_in_both_languages() {
        let p = Problem::new(
            "a.csv",
            5,
            "price",
            ProblemKind::NegativePrice {
                value: "-3.20".into(),
            },
        );
        assert_eq!(
            p.render(Lang::En),
            "a.csv:5:price: price '-3.20' is negative"
        );
        assert_eq!(p.render(Lang::Zh), "a.csv:5:price: 单价“-3.20”是负数");
        assert_eq!(p.location(), "a.csv:5:price");
        assert!(!p.kind.is_warning());
        assert!(ProblemKind::ZeroPrice.is_warning());
    }
}
