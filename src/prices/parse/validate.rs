//! The rules, written once for every format: find the header below any
//! title rows, then check every row and cell (codes, names, units, prices,
//! categories, duplicates), collecting every problem by row and column.

use super::*;

pub(super) type HeaderFound = (usize, Vec<String>, Vec<RawRow>, Vec<String>);

/// The header is the first row (of the first [`HEADER_SEARCH_ROWS`]) in
/// which at least two cells name known fields; rows above it are titles.
pub(super) fn find_header(grid: Vec<RawRow>) -> Result<HeaderFound, ProblemKind> {
    let mut rows = grid.into_iter();
    let mut titles = Vec::new();
    let mut seen = 0;
    for r in rows.by_ref() {
        seen += 1;
        let known = r
            .cells
            .iter()
            .filter(|c| matches!(c, Cell::Text(t) if Field::from_header(t).is_some()))
            .count();
        if known >= 2 {
            let header = r
                .cells
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Cell::Text(t) => t.trim().trim_start_matches('\u{feff}').to_string(),
                    _ => format!("#{}", i + 1),
                })
                .collect();
            return Ok((r.row, header, rows.collect(), titles));
        }
        titles.extend(r.cells.iter().filter_map(|c| match c {
            Cell::Text(t) if !t.trim().is_empty() => Some(t.clone()),
            _ => None,
        }));
        if seen >= HEADER_SEARCH_ROWS {
            break;
        }
    }
    if seen == 0 || titles.is_empty() {
        return Err(ProblemKind::EmptyFile);
    }
    Err(ProblemKind::NoHeader {
        searched_rows: seen,
    })
}

/// The text fields of a price list and their longest value, in characters.
const TEXT_LIMITS: [(Field, usize); 8] = [
    (Field::Code, 50),
    (Field::Name, 100),
    (Field::Pinyin, 100),
    (Field::Spec, 100),
    (Field::Unit, 20),
    (Field::Category, 20),
    (Field::Insurance, 20),
    (Field::Barcode, 50),
];

pub(super) fn validate(
    file: &str,
    header_row: usize,
    header: &[String],
    rows: Vec<RawRow>,
    list: &mut ParsedList,
    problems: &mut Vec<Problem>,
) {
    // Which column holds which field.
    let mut columns: HashMap<Field, usize> = HashMap::new();
    let mut chinese = 0i32;
    for (i, h) in header.iter().enumerate() {
        match Field::from_header(h) {
            Some(f) => {
                if !h.is_ascii() {
                    chinese += 1;
                } else {
                    chinese -= 1;
                }
                if let Some(&first) = columns.get(&f) {
                    problems.push(Problem::new(
                        file,
                        header_row,
                        h.clone(),
                        ProblemKind::DuplicateColumn {
                            first_column: header[first].clone(),
                        },
                    ));
                } else {
                    columns.insert(f, i);
                }
            }
            None if h.trim().is_empty() => {}
            None => list.warnings.push(Problem::new(
                file,
                header_row,
                h.clone(),
                ProblemKind::IgnoredColumn,
            )),
        }
    }
    for f in REQUIRED {
        if !columns.contains_key(&f) {
            let (en, zh) = f.names();
            let name = if chinese > 0 { zh } else { en };
            problems.push(Problem::new(
                file,
                header_row,
                name,
                ProblemKind::MissingColumn {
                    column: name.to_string(),
                },
            ));
        }
    }
    if !problems.is_empty() {
        return;
    }
    let col = |f: Field| columns.get(&f).copied();
    let width = header.len();
    let mut seen_codes: HashMap<String, (usize, String)> = HashMap::with_capacity(rows.len());
    let mut data_rows = 0usize;
    let mut last_row = header_row;
    for r in rows {
        last_row = r.row;
        if r.cells.iter().all(Cell::is_blank) {
            continue;
        }
        data_rows += 1;
        let row = r.row;
        let mut row_ok = true;
        let report = |column: usize, kind: ProblemKind, problems: &mut Vec<Problem>| {
            // A header cell that is blank (or not decodable) names the
            // column by its position instead.
            let name = header
                .get(column)
                .filter(|n| !n.trim().is_empty())
                .cloned()
                .unwrap_or_else(|| format!("#{}", column + 1));
            problems.push(Problem::new(file, row, name, kind));
        };
        // Shape of the row.
        let present = r.cells.iter().filter(|c| **c != Cell::Absent).count();
        if let Some(first_absent) =
            (0..width).find(|&i| r.cells.get(i).is_none_or(|c| *c == Cell::Absent))
        {
            report(
                first_absent,
                ProblemKind::ShortRow {
                    found: present,
                    expected: width,
                },
                problems,
            );
            row_ok = false;
        }
        if let Some(extra) = (width..r.cells.len()).find(|&i| !r.cells[i].is_blank()) {
            report(
                extra,
                ProblemKind::LongRow {
                    found: r.cells.len(),
                    expected: width,
                },
                problems,
            );
            row_ok = false;
        }
        for (i, c) in r.cells.iter().enumerate().take(width) {
            match c {
                Cell::Undecodable => {
                    report(
                        i,
                        ProblemKind::Undecodable {
                            encoding: if list.encoding.is_empty() {
                                "UTF-8".into()
                            } else {
                                list.encoding.clone()
                            },
                        },
                        problems,
                    );
                    row_ok = false;
                }
                Cell::Bad(v) => {
                    report(i, ProblemKind::BadCell { value: v.clone() }, problems);
                    row_ok = false;
                }
                _ => {}
            }
        }
        // A text cell's value; None when absent or unreadable (already
        // reported above).
        let text = |f: Field| -> Option<&str> {
            match col(f).and_then(|i| r.cells.get(i)) {
                Some(Cell::Text(s)) => Some(s.trim()),
                _ => None,
            }
        };
        // No control character or bidirectional override in any cell, and
        // each field within its length.
        for (f, max) in TEXT_LIMITS {
            let (Some(v), Some(i)) = (text(f), col(f)) else {
                continue;
            };
            if let Some(c) = crate::text::forbidden_char(v) {
                let character = crate::text::code_point(c);
                report(i, ProblemKind::ControlCharacter { character }, problems);
                row_ok = false;
            } else if v.chars().count() > max {
                let chars = v.chars().count();
                report(i, ProblemKind::TooLong { chars, max }, problems);
                row_ok = false;
            }
        }
        let required = |f: Field, problems: &mut Vec<Problem>| -> Option<String> {
            let v = text(f)?;
            if v.is_empty() {
                if let Some(i) = col(f) {
                    report(i, ProblemKind::Missing, problems);
                }
                return None;
            }
            Some(v.to_string())
        };
        let code = required(Field::Code, problems);
        let name = required(Field::Name, problems);
        let unit = required(Field::Unit, problems);
        let price_raw = required(Field::Price, problems);
        let category_raw = required(Field::Category, problems);
        let price_col = col(Field::Price).unwrap_or(0);
        let cat_col = col(Field::Category).unwrap_or(0);
        let code_col = col(Field::Code).unwrap_or(0);
        let price = price_raw.and_then(|raw| match parse_price(&raw) {
            Ok(p) => Some(p),
            Err(kind) => {
                report(price_col, kind, problems);
                None
            }
        });
        if let Some(p) = price
            && p.is_zero()
        {
            report(price_col, ProblemKind::ZeroPrice, &mut list.warnings);
        }
        let category = category_raw.and_then(|raw| match Category::parse(&raw) {
            Some(c) => Some(c),
            None => {
                report(
                    cat_col,
                    ProblemKind::UnknownCategory { value: raw },
                    problems,
                );
                None
            }
        });
        if let Some(code) = &code {
            // Codes are compared without letter case: `Q1` and `q1` are one
            // item to a cashier typing it.
            match seen_codes.get(&code.to_lowercase()) {
                Some((first_row, first_code)) if first_code == code => report(
                    code_col,
                    ProblemKind::DuplicateCode {
                        code: code.clone(),
                        first_row: *first_row,
                    },
                    problems,
                ),
                Some((first_row, first_code)) => report(
                    code_col,
                    ProblemKind::DuplicateCodeCase {
                        code: code.clone(),
                        first_code: first_code.clone(),
                        first_row: *first_row,
                    },
                    problems,
                ),
                None => {
                    seen_codes.insert(code.to_lowercase(), (row, code.clone()));
                }
            }
        }
        let (Some(code), Some(name), Some(unit), Some(unit_price), Some(category), true) =
            (code, name, unit, price, category, row_ok)
        else {
            continue;
        };
        if !problems.is_empty() {
            // The file is refused anyway; keep checking, stop building.
            continue;
        }
        let given_pinyin = text(Field::Pinyin).unwrap_or("");
        let pinyin = if given_pinyin.is_empty() {
            list.pinyin_computed += 1;
            crate::prices::pinyin::initials(&name)
        } else {
            given_pinyin.to_uppercase()
        };
        list.items.push(PriceItem {
            code,
            pinyin,
            spec: text(Field::Spec).unwrap_or("").to_string(),
            unit,
            unit_price,
            category,
            insurance_class: text(Field::Insurance).unwrap_or("").to_string(),
            barcode: text(Field::Barcode).unwrap_or("").to_string(),
            aliases: text(Field::Aliases).unwrap_or("").to_string(),
            name,
        });
        list.rows.push(row);
    }
    if data_rows == 0 && problems.is_empty() {
        problems.push(Problem::new(
            file,
            last_row.max(header_row) + 1,
            NO_COLUMN,
            ProblemKind::HeaderOnly,
        ));
    }
    if !problems.is_empty() {
        list.items.clear();
        list.rows.clear();
    }
}

/// A unit price cell, or the kind of problem it has.
pub fn parse_price(raw: &str) -> Result<UnitPrice, ProblemKind> {
    let v = raw.trim();
    let value = v.to_string();
    let lower = v.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if matches!(unsigned, "nan" | "inf" | "infinity" | "∞" | "#num!") {
        return Err(ProblemKind::NanOrInfinity { value });
    }
    if (lower.contains('e'))
        && lower
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'))
        && lower.chars().any(|c| c.is_ascii_digit())
    {
        return Err(ProblemKind::Exponent { value });
    }
    UnitPrice::parse(v).map_err(|e| match e {
        MoneyError::Negative(_) => ProblemKind::NegativePrice { value },
        MoneyError::TooManyDecimals(..) => ProblemKind::TooManyDecimals { value },
        MoneyError::TooLarge(..) => ProblemKind::TooLarge { value },
        MoneyError::NotANumber(_) | MoneyError::NotPositive(_) => ProblemKind::NotANumber { value },
        MoneyError::Comma(_) => ProblemKind::Comma { value },
    })
}
