//! Every input the fuzzers found a fault with, and a few malformed files of
//! the import corpus, run through the same entry points and invariants as
//! the fuzz targets (`fuzz/src/checks.rs`, included below): a refusal must
//! name the file, row, column or entry and change nothing; nothing may
//! panic, abort or run out of memory. Inputs live in
//! `tests/fuzz_regressions/<target>/`; each has its expected outcome in
//! [`EXPECTED`], and a file without one fails the test, so a finding
//! cannot be stored and forgotten.
//!
//! Breaks each catches (tried): reverting the streamed XLSX reader to
//! calamine's dense range (`prices::parse::xlsx::read_spreadsheet`) makes
//! `far_apart_cells.xlsx` ask for 512 GB and abort the test binary; letting
//! calamine open ODS again makes `repeat_bomb.ods` (a 600-byte file, one
//! cell repeated two billion times) exhaust memory the same way; without
//! the ASCII check in `receipts::qr::parse_time`, `time_multibyte.txt` (a
//! correctly signed code whose time field splits a character) panics the
//! pharmacy check; the
//! corpus CSVs fail if a price-list check (negative price, short row,
//! duplicate code) stops refusing, or a problem stops naming its row and
//! column.

#[allow(dead_code)]
#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// (target, file, expected: `Ok` with this in its summary, or `Err` with
/// this in its message).
const EXPECTED: &[(&str, &str, Result<&str, &str>)] = &[
    // Found by the fuzzer (first run, 2026-11-30), each fixed in the
    // reader: a blank header cell left an undecodable cell's problem
    // without a column; a column name with a line break split the
    // problem over two lines; calamine overflowed a u32 on a long row
    // number (a panic with overflow checks on); a QR total with nine
    // decimals was accepted and printed back as a different amount.
    (
        "prices_csv",
        "blank_header_cell_undecodable.csv",
        Err("blank_header_cell_undecodable.csv:2:name: bytes that are not valid GB18030"),
    ),
    (
        "prices_json",
        "line_break_in_a_column_name.json",
        Err("line_break_in_a_column_name.json:1:price: the required column 'price' is missing"),
    ),
    (
        "prices_xlsx",
        "row_number_overflow.xlsx",
        Err(
            "row_number_overflow.xlsx:1:-: cannot read the file: the workbook's contents could not be read",
        ),
    ),
    (
        "qr_payload",
        "total_with_nine_decimals.txt",
        Err("the receipt code is malformed"),
    ),
    (
        "prices_xlsx",
        "far_apart_cells.xlsx",
        Err("beyond the 256 columns a price list may use"),
    ),
    (
        "prices_xlsx",
        "repeat_bomb.ods",
        Err("an OpenDocument spreadsheet (.ods) is not read"),
    ),
    (
        "prices_csv",
        "bad_negative_price.csv",
        Err("bad_negative_price.csv:5:price: price '-3.20' is negative"),
    ),
    (
        "prices_csv",
        "bad_short_row.csv",
        Err("bad_short_row.csv:5:"),
    ),
    (
        "prices_csv",
        "bad_duplicate_code.csv",
        Err("bad_duplicate_code.csv:5:code"),
    ),
    (
        "prices_json",
        "not_an_array.json",
        Err("not_an_array.json:1:-"),
    ),
    (
        "prices_json",
        "exponent_price.json",
        Err("exponent_price.json:1:price"),
    ),
    (
        "qr_payload",
        "genuine.txt",
        Ok("MZ01-00000001 with 2 items"),
    ),
    (
        "qr_payload",
        "caps_lock.txt",
        Ok("MZ01-00000001 with 2 items"),
    ),
    (
        "qr_payload",
        "total_changed.txt",
        Err("signature does not match"),
    ),
    ("qr_payload", "time_multibyte.txt", Err("malformed (time)")),
    // Found by the fuzzer: a field name with an escaped line break is
    // quoted in the refusal, which must stay on one line.
    (
        "calendar",
        "line_break_in_a_field_name.json",
        Err("fuzz-calendar.json:2:74: not a calendar file: unknown field"),
    ),
    (
        "calendar",
        "overlapping_holidays.json",
        Err("fuzz-calendar.json: holidays[1] (春节)"),
    ),
    (
        "calendar",
        "workday_not_weekend.json",
        Err("fuzz-calendar.json: workdays[0] (元旦调休)"),
    ),
    (
        "his_results",
        "missing_kind.csv",
        Err(":1:kind: missing column kind"),
    ),
    (
        "his_results",
        "three_decimals.csv",
        Err(":2:amount: bad amount '78.001'"),
    ),
    ("backup_restore", "empty.sqlite3", Err("the file is empty")),
    // Found by the fuzzer: SQLite's error quotes the multi-line SQL it
    // could not prepare; the refusal must stay on one line.
    (
        "backup_restore",
        "old_shift_closes_table.sqlite3",
        // Its damaged `receipts` definition is now met by migration
        // `journal_runs` (ALTER TABLE reparses the schema), before the
        // query on `shift_closes` that used to refuse it; still refused,
        // on one line.
        Err("not a backup: malformed database schema (receipts)"),
    ),
    (
        "backup_restore",
        "truncated.sqlite3",
        Err("truncated: 2000 bytes"),
    ),
    ("journal", "genuine.journal", Ok("receipts added")),
    (
        "journal",
        "one_digit_changed.journal",
        Err("signature does not match its content"),
    ),
];

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions")
}

fn stored(target: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir().join(target))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs every stored input of `target` through `check` and compares with
/// [`EXPECTED`].
fn run(target: &str, mut check: impl FnMut(&str, &[u8]) -> checks::Outcome) {
    let files = stored(target);
    let listed: BTreeSet<String> = EXPECTED
        .iter()
        .filter(|(t, _, _)| *t == target)
        .map(|(_, f, _)| f.to_string())
        .collect();
    assert_eq!(files, listed, "{target}: stored inputs and EXPECTED differ");
    for (_, file, want) in EXPECTED.iter().filter(|(t, _, _)| *t == target) {
        let bytes = std::fs::read(dir().join(target).join(file)).unwrap();
        let got = check(file, &bytes);
        match (want, &got) {
            (Ok(w), Ok(g)) | (Err(w), Err(g)) => {
                assert!(
                    g.contains(w),
                    "{target}/{file}: expected {want:?}, got {got:?}"
                )
            }
            _ => panic!("{target}/{file}: expected {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn price_lists_csv() {
    run("prices_csv", checks::prices);
}

#[test]
fn price_lists_xlsx() {
    run("prices_xlsx", checks::prices);
}

#[test]
fn price_lists_json() {
    run("prices_json", checks::prices);
}

#[test]
fn qr_payloads() {
    let tmp = tempfile::tempdir().unwrap();
    let bench = checks::QrBench::new(tmp.path());
    run("qr_payload", |_, b| bench.check(b));
}

#[test]
fn calendars() {
    run("calendar", |_, b| checks::calendar(b));
}

#[test]
fn his_results() {
    run("his_results", |_, b| checks::his_results(b));
}

#[test]
fn backups_before_restore() {
    if stored("backup_restore").is_empty() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let bench = checks::BackupBench::new(tmp.path());
    run("backup_restore", |_, b| bench.check(b));
}

#[test]
fn journals() {
    let tmp = tempfile::tempdir().unwrap();
    let mut bench = checks::JournalBench::new(tmp.path());
    run("journal", |_, b| bench.check(b));
}
