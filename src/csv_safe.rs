//! CSV files this program writes are opened by finance staff in Excel or
//! WPS, where a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
//! return is taken as a formula: a patient registered as
//! `=cmd|' /C calc'!A0` would run a command on the finance PC (CSV
//! injection). Every CSV writer goes through this module.
//!
//! The rule (OWASP's): a free-text cell that starts with one of those
//! characters gets a single quote in front, which spreadsheets show as text
//! and never evaluate. Amounts and counts are *not* neutralised: they are
//! produced here from [`Money`] and integers, never from what a person
//! typed, so `-12.50` stays a negative number a spreadsheet can sum (a
//! credit note is negative on purpose). That is why cells are typed:
//! [`Cell::Text`] for anything a person or a file could have put there,
//! [`Cell::Money`] and [`Cell::Count`] for what we computed.

use std::borrow::Cow;
use std::io::Write;

use crate::money::Money;

/// The UTF-8 byte-order mark: Excel on Windows reads a CSV without it as
/// the local code page (GBK) and garbles every Chinese name.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Characters that make a spreadsheet treat a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `s` would be read as a formula.
pub fn is_dangerous(s: &str) -> bool {
    s.starts_with(TRIGGERS)
}

/// `s` made inert: prefixed with a single quote when it starts with a
/// formula trigger, unchanged otherwise.
pub fn neutralise(s: &str) -> Cow<'_, str> {
    if is_dangerous(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// One cell of a row, typed by where its value came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    /// Free text (names, reasons, codes from a file): neutralised.
    Text(Cow<'a, str>),
    /// An amount we computed: written as a plain number, `-7.30` included.
    Money(Money),
    /// A count we computed.
    Count(u64),
    /// Nothing.
    Empty,
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Self {
        Cell::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Cell<'_> {
    fn from(s: String) -> Self {
        Cell::Text(Cow::Owned(s))
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(s: &'a String) -> Self {
        Cell::Text(Cow::Borrowed(s.as_str()))
    }
}

impl From<Money> for Cell<'_> {
    fn from(m: Money) -> Self {
        Cell::Money(m)
    }
}

impl From<u64> for Cell<'_> {
    fn from(n: u64) -> Self {
        Cell::Count(n)
    }
}

impl From<u32> for Cell<'_> {
    fn from(n: u32) -> Self {
        Cell::Count(u64::from(n))
    }
}

impl From<usize> for Cell<'_> {
    fn from(n: usize) -> Self {
        Cell::Count(n as u64)
    }
}

impl<'a, T: Into<Cell<'a>>> From<Option<T>> for Cell<'a> {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Cell::Empty)
    }
}

impl Cell<'_> {
    /// The text written to the file.
    pub fn render(&self) -> Cow<'_, str> {
        match self {
            Cell::Text(s) => neutralise(s),
            Cell::Money(m) => Cow::Owned(m.to_string()),
            Cell::Count(n) => Cow::Owned(n.to_string()),
            Cell::Empty => Cow::Borrowed(""),
        }
    }
}

/// A CSV writer that neutralises every text cell: UTF-8 with a BOM, CRLF
/// line ends (what Excel writes), quoting as needed.
pub struct SafeWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> SafeWriter<W> {
    /// Writes the BOM, then hands out the writer.
    pub fn new(mut out: W) -> std::io::Result<Self> {
        out.write_all(BOM)?;
        Ok(SafeWriter {
            inner: csv::WriterBuilder::new()
                .flexible(false)
                .terminator(csv::Terminator::CRLF)
                .from_writer(out),
        })
    }

    /// One row of typed cells.
    pub fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), csv::Error> {
        self.inner
            .write_record(cells.iter().map(|c| c.render().into_owned()))
    }

    /// A header row (our own words: written as they are).
    pub fn header(&mut self, names: &[&str]) -> Result<(), csv::Error> {
        self.inner.write_record(names)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> Result<W, std::io::Error> {
        self.inner
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_triggers_are_neutralised_and_other_text_is_not() {
        for bad in [
            "=cmd|' /C calc'!A0",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        for good in ["张三", "a=b", "", "'quoted", " =x"] {
            assert_eq!(neutralise(good), good);
        }
    }

    #[test]
    fn money_stays_a_number_and_text_is_made_inert() {
        let mut w = SafeWriter::new(Vec::new()).unwrap();
        w.header(&["name", "amount", "count"]).unwrap();
        w.row(&[
            "=cmd|' /C calc'!A0".into(),
            Money::from_fen(-730).into(),
            3u32.into(),
        ])
        .unwrap();
        let bytes = w.finish().unwrap();
        assert!(bytes.starts_with(BOM));
        let text = String::from_utf8(bytes[BOM.len()..].to_vec()).unwrap();
        assert_eq!(text, "name,amount,count\r\n'=cmd|' /C calc'!A0,-7.30,3\r\n");
    }
}
