//! XLSX (and XLSB): the first sheet, cells as text the way a person sees
//! them (no binary-float noise). Cells are streamed and laid out here
//! within bounds ([`MAX_COLUMNS`], [`MAX_GRID_CELLS`]): a workbook is
//! compressed, so its size says nothing about the grid it describes.
//! Legacy XLS and ODS are refused (their reader lays out the whole grid as
//! it opens); Excel and WPS save either as .xlsx in one step.

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

/// The first sheet of a workbook. calamine reads bytes from outside: a
/// panic inside it (fuzzing found one: a row number of more than ten digits
/// in a cell reference overflows a `u32` at calamine 0.32's
/// `xlsx/mod.rs:1738`, a panic wherever overflow checks are on) refuses
/// the file instead of ending the import, or the GUI's import thread.
pub(super) fn read_spreadsheet(bytes: &[u8]) -> Result<Table, (usize, ProblemKind)> {
    std::panic::catch_unwind(|| read_workbook(bytes)).unwrap_or_else(|_| {
        Err((
            1,
            ProblemKind::Unreadable {
                detail: "the workbook's contents could not be read (a cell or range reference out of range) / \
                         工作簿内容无法读取（单元格或区域引用超出范围）"
                    .into(),
            },
        ))
    })
}

fn read_workbook(bytes: &[u8]) -> Result<Table, (usize, ProblemKind)> {
    use calamine::{Reader, Xlsb, Xlsx};
    let unreadable = |detail: String| (1, ProblemKind::Unreadable { detail });
    // Legacy XLS and OpenDocument are laid out in full by the reader as the
    // workbook opens, however far apart the cells or however large a
    // repeat count (a 600-byte ODS asks for 64 GB): refused, with what to
    // do, before the reader sees them.
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(unreadable(
            "an Excel 97–2003 workbook (.xls) is not read: save it as .xlsx or .csv / \
             不读取 Excel 97–2003 工作簿（.xls）：请另存为 .xlsx 或 .csv"
                .into(),
        ));
    }
    let head = &bytes[..bytes.len().min(256)];
    if head
        .windows(ODS_MIME.len())
        .any(|w| w == ODS_MIME.as_bytes())
    {
        return Err(unreadable(
            "an OpenDocument spreadsheet (.ods) is not read: save it as .xlsx or .csv / \
             不读取 OpenDocument 表格（.ods）：请另存为 .xlsx 或 .csv"
                .into(),
        ));
    }
    // XLSX (and XLSB) stream their cells: laid out here, within bounds.
    let cursor = || std::io::Cursor::new(bytes);
    if let Ok(mut book) = Xlsx::new(cursor()) {
        let Some(first) = book.sheet_names().first().cloned() else {
            return Ok(Table::Grid(Vec::new()));
        };
        let mut reader = book
            .worksheet_cells_reader(&first)
            .map_err(|e| unreadable(e.to_string()))?;
        return grid_of(|| reader.next_cell().map_err(|e| e.to_string()));
    }
    let mut book = Xlsb::new(cursor()).map_err(|_| {
        unreadable("not an Excel workbook (.xlsx) / 不是 Excel 工作簿（.xlsx）".into())
    })?;
    let Some(first) = book.sheet_names().first().cloned() else {
        return Ok(Table::Grid(Vec::new()));
    };
    let mut reader = book
        .worksheet_cells_reader(&first)
        .map_err(|e| unreadable(e.to_string()))?;
    grid_of(|| reader.next_cell().map_err(|e| e.to_string()))
}

/// The `mimetype` entry an OpenDocument spreadsheet starts with.
const ODS_MIME: &str = "application/vnd.oasis.opendocument.spreadsheet";

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
