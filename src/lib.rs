//! downtime-billing: numbered, itemized manual receipts while the Hospital
//! Information System is down, priced from the monthly price-list snapshot,
//! kept in local SQLite, verifiable by the pharmacy offline and reconciled
//! into the HIS afterwards.
//!
//! The library holds every rule; `cli` and `ui` only translate a person's or
//! a script's intent into library calls.
//!
//! - [`error`]: the failure vocabulary shared by all capabilities and its
//!   mapping to exit codes.
//! - [`i18n`]: Chinese (default) and English.
//! - [`clock`]: the one source of "now".
//! - [`calendar`]: working days (holidays and 调休 as data) and the
//!   15-working-day exchange deadline.
//! - [`money`]: amounts, unit prices, quantities, rounding, 大写金额.
//! - [`domain`]: months, terminal codes, user names.
//! - [`store`]: SQLite open, pragmas, integrity, migrations, append-only
//!   tables, settings.
//! - [`auth`]: users, roles, PINs, lock-out, sessions.
//! - [`audit`]: the hash-chained audit trail.
//! - [`keys`]: the hospital signing key (HMAC-SHA256).
//! - [`settings`]: every terminal setting, with its default, its check
//!   and a typed accessor per key.
//! - [`setup`]: the first run of a terminal.
//! - [`prices`]: monthly price-list snapshots: import, validation, diff,
//!   search.
//! - [`receipts`]: outage episodes, receipt books, durable issuance, voids,
//!   refunds, reprints, shift close, the signed QR payload.
//! - [`pharmacy`]: offline verification of a receipt's QR code, dispensing
//!   by line, return confirmations.
//! - [`print`]: the PDF kit (receipts, reports, price book).
//! - [`fonts`]: the bundled CJK font.
//! - [`logging`]: the rolling log file.
//! - [`verify`], [`backup`], [`mask`]: the full database check (integrity,
//!   audit chain, triggers, key, per-record checks), online backups with a
//!   verified restore, and masking of personal identifiers.
//! - [`workflows`]: the multi-step flows both faces run (issue → backup →
//!   PDF → print, shift close → report → backup, reprint, restore,
//!   checkpoints).
//! - [`his`]: posting receipts to the HIS after recovery: CSV/JSON batches,
//!   HL7 v2.5 DFT^P03 over MLLP, FHIR R4 transaction Bundles, and the record
//!   of what was posted.
//! - [`reports`], [`csv_safe`]: shift, daily and outage reports (PDF and
//!   CSV), and the CSV-cell neutraliser every CSV writer uses.
//! - [`finance`]: after recovery: terminal journals merged at the finance
//!   station, the exchange desk, deadlines and the self-pay batch,
//!   reconciliation with the HIS's results.
//! - [`demo`]: a throw-away data directory filled through the real flows.
//! - [`cli`], [`ui`]: the two faces.

pub mod audit;
pub mod auth;
pub mod backup;
pub mod calendar;
pub mod cli;
pub mod clock;
pub mod csv_safe;
pub mod demo;
pub mod domain;
pub mod error;
pub mod finance;
pub mod fonts;
pub mod his;
pub mod i18n;
pub mod keys;
pub mod logging;
pub mod mask;
pub mod money;
pub mod pharmacy;
pub mod prices;
pub mod print;
pub mod receipts;
pub mod reports;
pub mod settings;
pub mod setup;
pub mod store;
pub mod text;
#[cfg(feature = "gui")]
pub mod ui;
pub mod verify;
pub mod workflows;
