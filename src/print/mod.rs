//! The PDF kit shared by receipts, reports and the price book: the embedded
//! subset CJK font, page layout helpers and QR drawing (printpdf).
//!
//! - [`receipt`]: the two-copy receipt on an 80 mm roll or A5 ([`render`]).
//! - [`report`]: generic A4 reports with paged tables ([`render_report`]).
//! - [`deliver`]: hand a saved PDF to the terminal's print command.
//! - [`kit`]: font, measurement, wrapping, rules, watermark, QR drawing.

pub mod deliver;
pub mod error;
pub mod kit;
pub mod receipt;
pub mod report;

pub use deliver::{Delivery, deliver};
pub use error::PrintError;
pub use receipt::{DocLine, Layout, ReceiptDoc, render};
pub use report::{
    BarChart, Column, ReportDoc, ReportTable, render_report, render_report_with_chart,
};
