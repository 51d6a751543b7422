//! XLSX (and other workbooks calamine reads): the first sheet, cells as
//! text the way a person sees them (no binary-float noise).

use super::{Cell, RawRow, Table};
use crate::prices::problem::ProblemKind;

pub(super) fn read_spreadsheet(bytes: &[u8]) -> Result<Table, (usize, ProblemKind)> {
    use calamine::Reader;
    let unreadable = |detail: String| (1, ProblemKind::Unreadable { detail });
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| unreadable(e.to_string()))?;
    let range = match book.worksheet_range_at(0) {
        Some(r) => r.map_err(|e| unreadable(e.to_string()))?,
        None => return Ok(Table::Grid(Vec::new())),
    };
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            // Cells left of the used range are empty, but still columns.
            let mut out = vec![Cell::Text(String::new()); col0 as usize];
            out.extend(cells.iter().map(spreadsheet_cell));
            RawRow {
                row: row0 as usize + i + 1,
                cells: out,
            }
        })
        .collect();
    Ok(Table::Grid(rows))
}

pub(super) fn spreadsheet_cell(d: &calamine::Data) -> Cell {
    use calamine::Data;
    match d {
        Data::Empty => Cell::Text(String::new()),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Text(i.to_string()),
        Data::Float(f) => Cell::Text(float_text(*f)),
        Data::Bool(b) => Cell::Bad(b.to_string()),
        Data::DateTime(t) => Cell::Bad(t.to_string()),
        Data::Error(e) => Cell::Bad(e.to_string()),
    }
}

/// A spreadsheet number as the decimal the sheet shows: Excel keeps 15
/// significant digits, so 79.56999999999999 is the 79.57 someone typed.
pub(super) fn float_text(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    let sci = format!("{f:.14e}");
    match rust_decimal::Decimal::from_scientific(&sci) {
        Ok(d) => d.normalize().to_string(),
        Err(_) => format!("{f}"),
    }
}
