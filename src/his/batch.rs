//! The CSV and JSON batch files for HIS vendors' import tools: one row per
//! receipt line with the receipt's header fields repeated (a deposit, which
//! has no lines, is one row with the line fields empty), money as text with
//! two decimals. CSV is UTF-8 with a BOM so Excel on Windows opens the
//! Chinese right, and every cell that a spreadsheet would take for a
//! formula is neutralised. The schema is documented in the README.

use super::select::PostReceipt;
use crate::money::Money;
use crate::receipts::query::Kind;
use std::io::Write;

/// The schema name written into JSON batches, for the importer to check.
pub const SCHEMA: &str = "downtime-billing/his-batch/1";

/// The CSV header, in column order (also the keys of a JSON row).
pub const COLUMNS: [&str; 33] = [
    "receipt_number",
    "terminal",
    "kind",
    "posting",
    "original_number",
    "issued_at",
    "episode_id",
    "cashier",
    "patient_name",
    "patient_sex",
    "patient_age",
    "outpatient_no",
    "inpatient_no",
    "temp_patient_no",
    "payer_type",
    "insurance_no",
    "department",
    "doctor",
    "receipt_total",
    "payments",
    "deadline",
    "line_no",
    "item_code",
    "item_name",
    "spec",
    "unit",
    "unit_price",
    "qty",
    "line_amount",
    "category",
    "refers_line",
    "currency",
    "message_id",
];

/// What a row posts: a charge, the reversal of one (credit note), or a
/// deposit paid in.
pub fn posting_kind(r: &PostReceipt) -> &'static str {
    match r.kind {
        Kind::CreditNote => "reversal",
        Kind::Deposit => "deposit",
        _ => "charge",
    }
}

/// `cash:10.00;card:3.60`
fn payments_text(r: &PostReceipt) -> String {
    r.payments
        .iter()
        .map(|(m, a)| format!("{m}:{a}"))
        .collect::<Vec<_>>()
        .join(";")
}

fn money(m: Money) -> String {
    m.to_string()
}

/// The rows of one receipt, each in [`COLUMNS`] order.
pub fn rows(r: &PostReceipt) -> Vec<[String; 33]> {
    let header = |line: [String; 9], line_no: String| -> [String; 33] {
        let [
            code,
            name,
            spec,
            unit,
            unit_price,
            qty,
            amount,
            category,
            refers,
        ] = line;
        [
            r.number.clone(),
            r.terminal.clone(),
            r.kind.as_str().to_string(),
            posting_kind(r).to_string(),
            r.original_number.clone().unwrap_or_default(),
            r.issued_at.clone(),
            r.episode_id.to_string(),
            r.cashier.clone(),
            r.patient_name.clone(),
            r.sex.clone().unwrap_or_default(),
            r.age.clone().unwrap_or_default(),
            r.outpatient_no.clone().unwrap_or_default(),
            r.inpatient_no.clone().unwrap_or_default(),
            r.temp_patient_no.clone().unwrap_or_default(),
            r.payer_type.clone(),
            r.insurance_no.clone().unwrap_or_default(),
            r.department.clone(),
            r.doctor.clone(),
            money(r.total),
            payments_text(r),
            r.deadline.clone().unwrap_or_default(),
            line_no,
            code,
            name,
            spec,
            unit,
            unit_price,
            qty,
            amount,
            category,
            refers,
            "CNY".to_string(),
            r.number.clone(),
        ]
    };
    if r.lines.is_empty() {
        // A deposit: the amount paid in is the "line".
        let empty = || String::new();
        return vec![header(
            [
                empty(),
                empty(),
                empty(),
                empty(),
                empty(),
                empty(),
                money(r.total),
                empty(),
                empty(),
            ],
            String::new(),
        )];
    }
    r.lines
        .iter()
        .map(|l| {
            header(
                [
                    l.code.clone(),
                    l.name.clone(),
                    l.spec.clone(),
                    l.unit.clone(),
                    l.unit_price.clone(),
                    l.qty.clone(),
                    money(l.amount),
                    l.category.clone(),
                    l.refers_line.map(|n| n.to_string()).unwrap_or_default(),
                ],
                l.line.to_string(),
            )
        })
        .collect()
}

/// A cell a spreadsheet would run as a formula is made inert by the shared
/// neutraliser ([`crate::csv_safe`]); the amounts we write ourselves (a
/// negative amount on a credit note) stay numbers.
fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let numeric = cell.starts_with('-')
        && cell.len() > 1
        && cell[1..].chars().all(|c| c.is_ascii_digit() || c == '.');
    if numeric {
        std::borrow::Cow::Borrowed(cell)
    } else {
        crate::csv_safe::neutralise(cell)
    }
}

/// Writes the CSV batch (BOM, header, one row per line).
pub fn write_csv<W: Write>(out: W, receipts: &[PostReceipt]) -> std::io::Result<()> {
    let mut out = out;
    out.write_all("\u{feff}".as_bytes())?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(COLUMNS)?;
    for r in receipts {
        for row in rows(r) {
            w.write_record(row.iter().map(|c| csv_safe(c).into_owned()))?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Writes the JSON batch: a header and the same rows as objects.
pub fn write_json<W: Write>(
    out: W,
    receipts: &[PostReceipt],
    generated_at: &str,
    hospital: &str,
) -> std::io::Result<()> {
    let mut out = out;
    let total: Money = receipts.iter().map(|r| r.total).sum();
    let lines: usize = receipts.iter().map(|r| r.lines.len().max(1)).sum();
    write!(
        out,
        "{{\"schema\":{},\"generated_at\":{},\"hospital\":{},\"receipts\":{},\"rows_count\":{},\"total\":{},\"currency\":\"CNY\",\"rows\":[",
        json_str(SCHEMA),
        json_str(generated_at),
        json_str(hospital),
        receipts.len(),
        lines,
        json_str(&total.to_string()),
    )?;
    let mut first = true;
    for r in receipts {
        for row in rows(r) {
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            out.write_all(b"\n{")?;
            for (i, (k, v)) in COLUMNS.iter().zip(row.iter()).enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write!(out, "{}:{}", json_str(k), json_value(k, v))?;
            }
            out.write_all(b"}")?;
        }
    }
    out.write_all(b"\n]}\n")?;
    out.flush()
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "null".to_string())
}

/// Integers stay numbers; empty optional fields are null; money and
/// quantities are strings (two decimals for money).
fn json_value(key: &str, v: &str) -> String {
    match key {
        "episode_id" | "line_no" | "refers_line" if !v.is_empty() => v.to_string(),
        _ if v.is_empty() => "null".to_string(),
        _ => json_str(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_but_negative_numbers_are_not() {
        assert_eq!(csv_safe("=1+2"), "'=1+2");
        assert_eq!(csv_safe("+86 123"), "'+86 123");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("\tx"), "'\tx");
        assert_eq!(csv_safe("-cmd|' /C calc'!A0"), "'-cmd|' /C calc'!A0");
        assert_eq!(csv_safe("-13.60"), "-13.60");
        assert_eq!(csv_safe("张三"), "张三");
    }
}
