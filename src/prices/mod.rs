//! Monthly price-list snapshots: the model every receipt is priced from.
//! An admin imports one list per month (CSV in UTF-8 or GBK, XLSX, JSON);
//! the import is all or nothing, and a snapshot never changes once stored.
//! The snapshot in force for a date is the newest whose month is not after
//! that date.

pub mod model;
pub mod pinyin;
pub mod search;

pub use model::{Category, PriceItem, Snapshot};
