//! CSV as Excel exports it: UTF-8 or GBK/GB18030 (detected), comma,
//! semicolon or tab; each field decoded on its own so a bad byte is named by
//! row and column.

use super::{Cell, RawRow, Table};
use encoding_rs::Encoding;

/// Splits the bytes into records first and decodes each field afterwards:
/// the delimiters, quotes and line ends are ASCII, and no GBK or GB18030
/// byte sequence contains them, so a bad byte can be named by row and
/// column instead of spoiling the whole file.
pub(super) fn read_csv(bytes: &[u8]) -> (Table, &'static str) {
    let (encoding, body): (&'static Encoding, std::borrow::Cow<'_, [u8]>) =
        match Encoding::for_bom(bytes) {
            Some((enc, bom)) if enc == encoding_rs::UTF_8 => (enc, bytes[bom..].into()),
            Some((enc, _)) => {
                // UTF-16 ("Unicode text" from Excel): re-encode as UTF-8.
                let (text, _, _) = enc.decode(bytes);
                (encoding_rs::UTF_8, text.into_owned().into_bytes().into())
            }
            None => (detect_encoding(bytes), bytes.into()),
        };
    let delimiter = sniff_delimiter(&body);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(&body[..]);
    let mut rows = Vec::new();
    let mut row = 0usize;
    let mut prev_end_line = 0u64;
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => break,
        }
        let line = record
            .position()
            .map(|p| p.line())
            .unwrap_or(prev_end_line + 1);
        // Blank lines the reader skipped are still rows in a spreadsheet.
        row += line.saturating_sub(prev_end_line).max(1) as usize;
        let newlines: usize = record
            .iter()
            .map(|f| f.iter().filter(|&&b| b == b'\n').count())
            .sum();
        prev_end_line = line + newlines as u64;
        let cells = record.iter().map(|f| decode_field(encoding, f)).collect();
        rows.push(RawRow { row, cells });
    }
    let name = if encoding == encoding_rs::GB18030 || encoding == encoding_rs::GBK {
        "GB18030"
    } else {
        encoding.name()
    };
    (Table::Grid(rows), name)
}

pub(super) fn decode_field(encoding: &'static Encoding, field: &[u8]) -> Cell {
    if field.is_ascii() || encoding == encoding_rs::UTF_8 {
        return match std::str::from_utf8(field) {
            Ok(s) => Cell::Text(s.to_string()),
            Err(_) => Cell::Undecodable,
        };
    }
    match encoding.decode_without_bom_handling_and_without_replacement(field) {
        Some(s) => Cell::Text(s.into_owned()),
        None => Cell::Undecodable,
    }
}

/// UTF-8 when the bytes are UTF-8 (or nearly so: a few broken bytes in an
/// otherwise UTF-8 file are reported, not reinterpreted); otherwise the
/// detector's CJK guess, and GB18030 (a superset of GBK) by default, since
/// that is what Excel writes on a Chinese Windows.
pub(super) fn detect_encoding(bytes: &[u8]) -> &'static Encoding {
    if std::str::from_utf8(bytes).is_ok() {
        return encoding_rs::UTF_8;
    }
    let (mut valid_multibyte, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        valid_multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        if !chunk.invalid().is_empty() {
            invalid += 1;
        }
    }
    if valid_multibyte >= 3 * invalid.max(1) {
        return encoding_rs::UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    let guess = detector.guess(Some(b"cn"), false);
    if guess == encoding_rs::GBK || guess == encoding_rs::GB18030 {
        encoding_rs::GB18030
    } else if [
        encoding_rs::BIG5,
        encoding_rs::SHIFT_JIS,
        encoding_rs::EUC_JP,
        encoding_rs::EUC_KR,
    ]
    .contains(&guess)
    {
        guess
    } else {
        encoding_rs::GB18030
    }
}

pub(super) fn sniff_delimiter(body: &[u8]) -> u8 {
    let head = &body[..body.len().min(4096)];
    let count = |d: u8| head.iter().filter(|&&b| b == d).count();
    let (commas, tabs, semis) = (count(b','), count(b'\t'), count(b';'));
    if tabs > commas && tabs >= semis {
        b'\t'
    } else if semis > commas {
        b';'
    } else {
        b','
    }
}
