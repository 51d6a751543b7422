//! The posting operations both faces call: export a batch to a file, send
//! it over HL7/MLLP, send it as FHIR. Each checks the role, selects the
//! receipts, writes the batch row (with its audit entry) and records every
//! answer as it arrives, in small transactions so a send never holds the
//! database while it waits on the network.

use super::postings::{self, Answer, NewBatch, Outcome};
use super::select::{self, Batch, Selection, Skipped};
use super::{HisError, batch, fhir, hl7, mllp};
use crate::auth::{Role, Session};
use crate::clock::{Clock, stamp};
use crate::money::Money;
use crate::store::Store;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The file formats of `his export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Csv,
    Json,
    Hl7,
    Fhir,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Csv, Format::Json, Format::Hl7, Format::Fhir];

    pub fn parse(s: &str) -> Result<Format, HisError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "hl7" => Ok(Format::Hl7),
            "fhir" => Ok(Format::Fhir),
            other => Err(HisError::UnknownFormat(other.to_string())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Hl7 => "hl7",
            Format::Fhir => "fhir",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json | Format::Fhir => "json",
            Format::Hl7 => "hl7",
        }
    }
}

fn today(clock: &dyn Clock) -> chrono::NaiveDate {
    clock.now().date_naive()
}

fn selection_json(sel: Selection) -> serde_json::Value {
    serde_json::json!({"episode": sel.episode, "overdue_self_pay": sel.overdue_self_pay})
}

/// Who the HL7 messages are addressed to: settings `his.hl7_receiving_app`
/// and `his.hl7_receiving_facility` (default `HIS`).
pub fn receiver(store: &Store) -> Result<hl7::Receiver, HisError> {
    let d = hl7::Receiver::default();
    Ok(hl7::Receiver {
        application: store
            .setting("his.hl7_receiving_app")?
            .unwrap_or(d.application),
        facility: store
            .setting("his.hl7_receiving_facility")?
            .unwrap_or(d.facility),
    })
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExportSummary {
    pub format: Format,
    pub out: PathBuf,
    pub receipts: usize,
    /// Lines (CSV/JSON rows, FT1 segments, ChargeItems); a deposit counts one.
    pub rows: usize,
    pub total: Money,
    pub skipped: Skipped,
    pub batch_id: i64,
}

/// Writes the batch for `sel` as `format` to `out` (via a temporary file
/// renamed into place, so a half-written batch never exists), and records
/// the export.
pub fn export(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    format: Format,
    sel: Selection,
    out: &Path,
) -> Result<ExportSummary, HisError> {
    session.require(Role::Finance, "export to the HIS")?;
    let Batch { receipts, skipped } =
        select::select(store.conn(), sel, today(clock), &HashSet::new())?;
    let io = |e: std::io::Error| HisError::Io {
        path: out.to_path_buf(),
        source: e,
    };
    let tmp = {
        let mut name = out.file_name().unwrap_or_default().to_os_string();
        name.push(".part");
        out.with_file_name(name)
    };
    let file = std::fs::File::create(&tmp).map_err(io)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
    let written = match format {
        Format::Csv => batch::write_csv(&mut w, &receipts),
        Format::Json => {
            let hospital = store.setting("hospital.name")?.unwrap_or_default();
            batch::write_json(&mut w, &receipts, &stamp(clock.now()), &hospital)
        }
        Format::Hl7 => {
            let to = receiver(store)?;
            let mut r = Ok(());
            for rec in &receipts {
                use std::io::Write;
                // Messages one after the other, each segment ended by CR
                // and each message by a LF so the file reads in an editor.
                r = w
                    .write_all(hl7::message(rec, &to).as_bytes())
                    .and_then(|_| w.write_all(b"\n"));
                if r.is_err() {
                    break;
                }
            }
            r
        }
        Format::Fhir => fhir::write_bundle(&mut w, &receipts).map(|_| ()),
    };
    let finished = written
        .and_then(|_| w.into_inner().map_err(|e| e.into_error()))
        .and_then(|f| f.sync_all());
    if let Err(e) = finished {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    std::fs::rename(&tmp, out).map_err(io)?;
    let batch_id = postings::start_batch(
        store.conn_mut(),
        session,
        clock,
        &NewBatch {
            channel: format.as_str(),
            target: &out.display().to_string(),
            selection: selection_json(sel),
            receipts: receipts.len(),
        },
    )?;
    Ok(ExportSummary {
        format,
        out: out.to_path_buf(),
        receipts: receipts.len(),
        rows: receipts.iter().map(|r| r.lines.len().max(1)).sum(),
        total: receipts.iter().map(|r| r.total).sum(),
        skipped,
        batch_id,
    })
}

/// What a send did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SendSummary {
    pub channel: String,
    pub target: String,
    /// `None` when there was nothing to send.
    pub batch_id: Option<i64>,
    pub sent: usize,
    pub accepted: usize,
    pub refused: usize,
    /// Sent but never answered (connection lost, timeout, garbled ACK).
    pub errors: usize,
    pub skipped: Skipped,
    /// Every answer that was not an acceptance, with the HIS's text.
    pub problems: Vec<Answer>,
}

impl SendSummary {
    fn new(channel: &str, target: &str, skipped: Skipped) -> Self {
        SendSummary {
            channel: channel.into(),
            target: target.into(),
            batch_id: None,
            sent: 0,
            accepted: 0,
            refused: 0,
            errors: 0,
            skipped,
            problems: Vec::new(),
        }
    }

    fn count(&mut self, a: &Answer) {
        self.sent += 1;
        match a.outcome {
            Outcome::Accepted => self.accepted += 1,
            Outcome::Refused => self.refused += 1,
            Outcome::Error => self.errors += 1,
        }
        if a.outcome != Outcome::Accepted {
            self.problems.push(a.clone());
        }
    }

    /// Everything sent was accepted.
    pub fn all_accepted(&self) -> bool {
        self.refused == 0 && self.errors == 0
    }
}

/// Collects answers and writes them in small transactions (every 200
/// answers or half a second), so a crash mid-batch loses at most those,
/// and a re-send of them carries the same message ids.
struct Recorder<'a> {
    store: &'a mut Store,
    clock: &'a dyn Clock,
    batch: i64,
    pending: Vec<Answer>,
    last: Instant,
    failed: Option<HisError>,
}

impl Recorder<'_> {
    fn push(&mut self, a: Answer) {
        self.pending.push(a);
        if self.pending.len() >= 200 || self.last.elapsed() > Duration::from_millis(500) {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.failed.is_some() {
            return;
        }
        if let Err(e) =
            postings::record(self.store.conn_mut(), self.clock, self.batch, &self.pending)
        {
            self.failed = Some(e);
        }
        self.pending.clear();
        self.last = Instant::now();
    }
}

/// Selects, writes the batch row and returns what to send; `None` when
/// nothing is left to send.
fn prepare(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    channel: &str,
    target: &str,
    sel: Selection,
) -> Result<(Batch, Option<i64>), HisError> {
    session.require(Role::Finance, "send to the HIS")?;
    let accepted = postings::accepted(store.conn(), channel)?;
    let b = select::select(store.conn(), sel, today(clock), &accepted)?;
    if b.receipts.is_empty() {
        return Ok((b, None));
    }
    let id = postings::start_batch(
        store.conn_mut(),
        session,
        clock,
        &NewBatch {
            channel,
            target,
            selection: selection_json(sel),
            receipts: b.receipts.len(),
        },
    )?;
    Ok((b, Some(id)))
}

/// Sends the batch for `sel` as DFT^P03 messages to `target` (HOST:PORT),
/// skipping receipts an earlier HL7 send got accepted. `progress(done,
/// total)` is called after each answer.
pub fn send_hl7(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    target: &str,
    sel: Selection,
    opts: &mllp::Options,
    progress: &dyn Fn(usize, usize),
) -> Result<SendSummary, HisError> {
    mllp::resolve(target)?;
    let (b, batch) = prepare(store, session, clock, "hl7", target, sel)?;
    let mut summary = SendSummary::new("hl7", target, b.skipped);
    let Some(batch) = batch else {
        return Ok(summary);
    };
    summary.batch_id = Some(batch);
    let to = receiver(store)?;
    let messages: Vec<mllp::Outgoing> = b
        .receipts
        .iter()
        .map(|r| mllp::Outgoing {
            receipt: r.number.clone(),
            control_id: hl7::control_id(r),
            text: hl7::message(r, &to),
        })
        .collect();
    let total = messages.len();
    let mut rec = Recorder {
        store,
        clock,
        batch,
        pending: Vec::new(),
        last: Instant::now(),
        failed: None,
    };
    let sent = mllp::send_all(target, &messages, opts, &mut |a| {
        summary.count(&a);
        rec.push(a);
        progress(summary.sent, total);
    });
    rec.flush();
    if let Some(e) = rec.failed {
        return Err(e);
    }
    sent?;
    Ok(summary)
}

/// Sends the batch for `sel` as FHIR transaction Bundles to `base`,
/// skipping receipts an earlier FHIR send got accepted.
pub fn send_fhir(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    base: &str,
    sel: Selection,
    opts: &fhir::Options,
    progress: &dyn Fn(usize, usize),
) -> Result<SendSummary, HisError> {
    let base = fhir::base_url(base)?;
    let (b, batch) = prepare(store, session, clock, "fhir", &base, sel)?;
    let mut summary = SendSummary::new("fhir", &base, b.skipped);
    let Some(batch) = batch else {
        return Ok(summary);
    };
    summary.batch_id = Some(batch);
    let total = b.receipts.len();
    let mut rec = Recorder {
        store,
        clock,
        batch,
        pending: Vec::new(),
        last: Instant::now(),
        failed: None,
    };
    let sent = fhir::send(&base, &b.receipts, opts, &mut |a| {
        summary.count(&a);
        rec.push(a);
        progress(summary.sent, total);
    });
    rec.flush();
    if let Some(e) = rec.failed {
        return Err(e);
    }
    sent?;
    Ok(summary)
}
