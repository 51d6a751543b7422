//! The PDF kit shared by receipts, reports and the price book: the embedded
//! subset CJK font, page layout helpers and QR drawing (printpdf).

pub mod receipt;

pub use receipt::{DocLine, Layout, ReceiptDoc};
