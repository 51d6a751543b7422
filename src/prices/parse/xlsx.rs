//! XLSX (and other workbooks calamine reads): the first sheet, cells as
//! text the way a person sees them (no binary-float noise).

use super::{Cell, RawRow, Table};
use crate::prices::problem::ProblemKind;

/// Columns a price-list sheet may use: ten fields and room for whatever an
/// HIS export carries besides. A value further right refuses the file.
pub const MAX_COLUMNS: u32 = 256;

/// Cells a sheet may make once laid out as rows (rows with values ×
/// columns up to the rightmost value): a million-item list of 16 columns
/// fits; a few kilobytes of compressed XML naming two far-apart cells
/// cannot make the import ask for terabytes.
pub const MAX_GRID_CELLS: u64 = 20_000_000;

pub(super) fn read_spreadsheet(bytes: &[u8]) -> Result<Table, (usize, ProblemKind)> {
    use calamine::{Reader, Sheets};
    let unreadable = |detail: String| (1, ProblemKind::Unreadable { detail });
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| unreadable(e.to_string()))?;
    let Some(first) = book.sheet_names().first().cloned() else {
        return Ok(Table::Grid(Vec::new()));
    };
    // XLSX and XLSB stream their cells: laid out here, within bounds.
    match &mut book {
        Sheets::Xlsx(x) => {
            let mut reader = x
                .worksheet_cells_reader(&first)
                .map_err(|e| unreadable(e.to_string()))?;
            return grid_of(|| reader.next_cell().map_err(|e| e.to_string()));
        }
        Sheets::Xlsb(x) => {
            let mut reader = x
                .worksheet_cells_reader(&first)
                .map_err(|e| unreadable(e.to_string()))?;
            return grid_of(|| reader.next_cell().map_err(|e| e.to_string()));
        }
        Sheets::Xls(_) | Sheets::Ods(_) => {}
    }
    // XLS (at most 65,536 × 256 by its format) and ODS: calamine's range.
    let range = match book.worksheet_range_at(0) {
        Some(r) => r.map_err(|e| unreadable(e.to_string()))?,
        None => return Ok(Table::Grid(Vec::new())),
    };
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let (height, width) = range.get_size();
    check_area(height as u64, col0 as u64 + width as u64, row0 as usize + 1)?;
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

/// Refuses a sheet whose rows with values, laid out `columns` wide, would
/// exceed [`MAX_GRID_CELLS`].
fn check_area(rows: u64, columns: u64, row: usize) -> Result<(), (usize, ProblemKind)> {
    if rows.saturating_mul(columns) > MAX_GRID_CELLS {
        return Err((
            row,
            ProblemKind::Unreadable {
                detail: format!(
                    "the sheet spans {rows} rows × {columns} columns, more than a price list \
                     can hold ({MAX_GRID_CELLS} cells) / 工作表有 {rows} 行 × {columns} 列，\
                     超出价格表可有的范围（{MAX_GRID_CELLS} 个单元格）"
                ),
            },
        ));
    }
    Ok(())
}

/// The sheet's rows as the spreadsheet shows them, from streamed cells:
/// every row from the first with a value to the last, each as wide as the
/// rightmost value (what calamine's range gives), except that blank rows
/// past the rows searched for the header are left out (they are skipped
/// anyway), so two far-apart cells cost two rows, not a million.
fn grid_of<'a>(
    mut next: impl FnMut() -> Result<Option<calamine::Cell<calamine::DataRef<'a>>>, String>,
) -> Result<Table, (usize, ProblemKind)> {
    let unreadable = |row: usize, detail: String| (row, ProblemKind::Unreadable { detail });
    let mut cells: Vec<(u32, u32, Cell)> = Vec::new();
    let mut width = 0u32;
    while let Some(c) = next().map_err(|e| unreadable(1, e))? {
        let (r, col) = c.get_position();
        if matches!(c.get_value(), calamine::DataRef::Empty) {
            continue;
        }
        let row = r as usize + 1;
        if col >= MAX_COLUMNS {
            return Err(unreadable(
                row,
                format!(
                    "a value in column {} of row {row}, beyond the {MAX_COLUMNS} columns a \
                     price list may use / 第 {row} 行第 {} 列有内容，超出价格表可用的 \
                     {MAX_COLUMNS} 列",
                    col + 1,
                    col + 1
                ),
            ));
        }
        if cells.len() as u64 >= MAX_GRID_CELLS {
            check_area(cells.len() as u64 + 1, 1, row)?;
        }
        width = width.max(col + 1);
        let value = calamine::Data::from(c.get_value().clone());
        cells.push((r, col, spreadsheet_cell(&value)));
    }
    cells.sort_by_key(|(r, c, _)| (*r, *c));
    let mut grid: Vec<RawRow> = Vec::new();
    let mut next_row: Option<u32> = None;
    let mut content_rows = 0u64;
    for (r, col, cell) in cells {
        if next_row.is_none_or(|n| n <= r) {
            // Blank rows between the last row and this one, while the
            // header may still be among them.
            let mut gap = next_row.unwrap_or(r);
            while gap < r && grid.len() < super::HEADER_SEARCH_ROWS {
                grid.push(RawRow {
                    row: gap as usize + 1,
                    cells: Vec::new(),
                });
                gap += 1;
            }
            content_rows += 1;
            check_area(content_rows, u64::from(width), r as usize + 1)?;
            grid.push(RawRow {
                row: r as usize + 1,
                cells: vec![Cell::Text(String::new()); width as usize],
            });
            next_row = Some(r.saturating_add(1));
        }
        if let Some(last) = grid.last_mut()
            && let Some(slot) = last.cells.get_mut(col as usize)
        {
            *slot = cell;
        }
    }
    Ok(Table::Grid(grid))
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
