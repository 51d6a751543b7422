//! JSON from an HIS: an array of objects (or `{"items": [...]}`), turned
//! into the same rows of cells as the other formats.

use super::{Cell, RawRow, Table};
use crate::prices::problem::ProblemKind;
use std::collections::HashMap;

pub(super) fn read_json(bytes: &[u8]) -> Result<Table, (usize, ProblemKind)> {
    let text = match std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)) {
        Ok(t) => t,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            return Err((
                line,
                ProblemKind::Undecodable {
                    encoding: "UTF-8".into(),
                },
            ));
        }
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        (
            e.line().max(1),
            ProblemKind::Unreadable {
                detail: format!("JSON: {e}"),
            },
        )
    })?;
    let serde_json::Value::Array(objects) = value else {
        return Err((
            1,
            ProblemKind::Unreadable {
                detail: "expected a JSON array of objects / 应为对象数组".into(),
            },
        ));
    };
    let mut header: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for obj in objects.iter().filter_map(|o| o.as_object()) {
        for k in obj.keys() {
            if !index.contains_key(k) {
                index.insert(k.clone(), header.len());
                header.push(k.clone());
            }
        }
    }
    let rows = objects
        .iter()
        .enumerate()
        .map(|(i, o)| {
            // A key left out of one object reads as an empty value: required
            // fields are then reported as missing, optional ones stay empty.
            let mut cells = vec![Cell::Text(String::new()); header.len()];
            match o.as_object() {
                Some(obj) => {
                    for (k, v) in obj {
                        if let Some(&col) = index.get(k) {
                            cells[col] = json_cell(v);
                        }
                    }
                }
                None => {
                    if let Some(first) = cells.first_mut() {
                        *first = Cell::Bad(o.to_string());
                    }
                }
            }
            RawRow { row: i + 1, cells }
        })
        .collect();
    Ok(Table::Keyed { header, rows })
}

pub(super) fn json_cell(v: &serde_json::Value) -> Cell {
    use serde_json::Value;
    match v {
        Value::Null => Cell::Text(String::new()),
        Value::String(s) => Cell::Text(s.clone()),
        // A JSON number is a binary float once parsed; its shortest form is
        // the decimal that was written (bar trailing zeros).
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Cell::Text(i.to_string()),
            (_, Some(u), _) => Cell::Text(u.to_string()),
            (_, _, Some(f)) => Cell::Text(format!("{f}")),
            _ => Cell::Bad(n.to_string()),
        },
        other => Cell::Bad(other.to_string()),
    }
}
