//! Terminal journals: how every terminal's records reach the finance
//! station with no network. `export` streams everything the terminal holds
//! (episodes, ranges, receipts with lines and payments, events, shift
//! closes, dispensings, the audit chain) into one signed file
//! (docs/journal-format.md); `import` checks its signature and audit chain
//! and puts its records into the SAME tables as local ones (ids remapped,
//! terminal code kept), with provenance rows, so every report, deadline list
//! and HIS export reads one set of tables.
//!
//! Both directions stream row by row: memory does not grow with the number
//! of receipts. The import runs in one transaction while the file is hashed;
//! a bad signature at the end rolls everything back, so an altered or
//! truncated file changes nothing. Idempotence comes from per-origin
//! high-water marks: tables are append-only with growing ids, so a row with
//! a source id at or below the mark was already taken.

use super::FinanceError;
use crate::audit::{self, Actor, GENESIS};
use crate::auth::Session;
use crate::clock::{Clock, stamp};
use crate::keys::SigningKey;
use crate::store::in_place::InPlace;
use crate::store::{Store, StoreError};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub const FORMAT: &str = "downtime-billing journal";
pub const VERSION: i64 = 1;
/// What the signature covers besides the body's digest (domain separation
/// from receipt QR signatures under the same key).
const SIG_CONTEXT: &[u8] = b"downtime-billing journal v1\n";

/// The tables of a journal, in file order, with their columns in order.
/// The first column is the source id the high-water mark is kept on
/// (lines and payments go with their receipt).
pub const TABLES: &[(&str, &[&str])] = &[
    (
        "episodes",
        &[
            "id",
            "terminal",
            "level",
            "reason",
            "drill",
            "opened_at",
            "opened_by",
        ],
    ),
    (
        "episode_closures",
        &["episode_id", "closed_at", "closed_by"],
    ),
    (
        "receipt_ranges",
        &[
            "id",
            "terminal",
            "first_seq",
            "last_seq",
            "added_at",
            "added_by",
        ],
    ),
    (
        "receipts",
        &[
            "id",
            "number",
            "terminal",
            "seq",
            "range_id",
            "episode_id",
            "drill",
            "kind",
            "original_number",
            "issued_at",
            "cashier",
            "patient_name",
            "patient_json",
            "temp_seq",
            "temp_patient_no",
            "payer_type",
            "insurance_no",
            "department",
            "doctor",
            "snapshot_id",
            "snapshot_month",
            "total_fen",
            "change_fen",
            "deadline",
            "deadline_note",
            "reason",
            "supervisor",
            "qr_payload",
        ],
    ),
    (
        "receipt_lines",
        &[
            "receipt_id",
            "line_no",
            "code",
            "name",
            "spec",
            "unit",
            "unit_price",
            "qty",
            "amount_fen",
            "category",
            "refers_line",
        ],
    ),
    (
        "receipt_payments",
        &[
            "receipt_id",
            "pay_no",
            "method",
            "amount_fen",
            "tendered_fen",
            "reference",
        ],
    ),
    (
        "receipt_events",
        &[
            "id",
            "receipt_id",
            "kind",
            "line_no",
            "qty",
            "at",
            "user",
            "supervisor",
            "reason",
            "details",
        ],
    ),
    (
        "shift_closes",
        &[
            "id",
            "terminal",
            "cashier",
            "closed_at",
            "upto_receipt_id",
            "upto_event_id",
            "summary_json",
            "cash_expected_fen",
            "cash_declared_fen",
            "variance_fen",
            "supervisor",
            "pdf_path",
        ],
    ),
    (
        "dispensings",
        &[
            "id",
            "receipt_number",
            "line_no",
            "code",
            "qty",
            "kind",
            "terminal",
            "user",
            "at",
            "reason",
        ],
    ),
    (
        "audit_log",
        &[
            "seq",
            "at",
            "terminal",
            "user",
            "action",
            "records",
            "details",
            "prev_hash",
            "hash",
        ],
    ),
];

fn columns(table: &str) -> Option<&'static [&'static str]> {
    TABLES.iter().find(|(t, _)| *t == table).map(|(_, c)| *c)
}

/// The first line of a journal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Header {
    pub format: String,
    pub version: i64,
    /// The installation that wrote it (random, made at its first export).
    pub origin: String,
    pub terminal: String,
    pub hospital: String,
    pub key_fingerprint: String,
    pub exported_at: String,
    pub exported_by: String,
    pub columns: BTreeMap<String, Vec<String>>,
    /// `by_receipt`: each receipt's row is followed by its lines, then its
    /// payments. Absent in journals written before: receipts, lines and
    /// payments then come one table after another (still read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<String>,
}

/// The header's `layout` of journals whose receipts carry their lines and
/// payments right after them.
pub const LAYOUT_BY_RECEIPT: &str = "by_receipt";

/// The last line of a journal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Trailer {
    end: TrailerBody,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct TrailerBody {
    rows: BTreeMap<String, u64>,
    sha256: String,
    hmac: String,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportOutcome {
    pub file: PathBuf,
    pub terminal: String,
    pub origin: String,
    pub rows: BTreeMap<String, u64>,
    pub receipts: u64,
    pub bytes: u64,
    pub sha256: String,
}

/// The setting holding this installation's journal identity.
const ORIGIN_SETTING: &str = "journal.origin";

/// This installation's identity in journals, if it ever exported one.
pub fn origin_of(conn: &Connection) -> Result<Option<String>, StoreError> {
    crate::store::get_setting(conn, ORIGIN_SETTING)
}

/// This installation's identity: 128 random bits made at its first export
/// (two PCs set up alike with the same terminal code still differ), kept
/// in the settings with an audit entry.
fn ensure_origin(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
) -> Result<String, FinanceError> {
    if let Some(o) = origin_of(store.conn())? {
        return Ok(o);
    }
    let mut id = [0u8; 16];
    rand::fill(&mut id);
    let id = hex::encode(id);
    let tx = store.write()?;
    crate::store::put_setting(&tx, ORIGIN_SETTING, &id)?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "journal.origin",
        &[format!("setting:{ORIGIN_SETTING}")],
        serde_json::json!({ "origin": id }),
    )?;
    tx.commit()?;
    Ok(id)
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> FinanceError + '_ {
    move |source| FinanceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Appends one value as JSON to `out`.
fn push_value(out: &mut Vec<u8>, v: ValueRef<'_>) -> Result<(), FinanceError> {
    match v {
        ValueRef::Null => out.extend_from_slice(b"null"),
        // Formatted in place (no String per value).
        ValueRef::Integer(i) => {
            out.extend_from_slice(crate::receipts::integrity::decimal(i, &mut [0; 24]))
        }
        ValueRef::Text(t) => {
            let s = std::str::from_utf8(t).map_err(|e| {
                FinanceError::Store(StoreError::Corrupt {
                    path: PathBuf::new(),
                    detail: format!("text that is not UTF-8 in the database: {e}"),
                })
            })?;
            // Most text needs no escaping: copied as it is between quotes
            // (the same bytes serde_json writes for it).
            if t.iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\') {
                out.push(b'"');
                out.extend_from_slice(t);
                out.push(b'"');
            } else {
                serde_json::to_writer(&mut *out, s).map_err(|e| {
                    FinanceError::Store(StoreError::Corrupt {
                        path: PathBuf::new(),
                        detail: e.to_string(),
                    })
                })?;
            }
        }
        ValueRef::Real(_) | ValueRef::Blob(_) => {
            return Err(FinanceError::Store(StoreError::Corrupt {
                path: PathBuf::new(),
                detail: "a REAL or BLOB value in a journal table".into(),
            }));
        }
    }
    Ok(())
}

/// Packs one row of `TABLES[table]` as read from the database, for the
/// thread that formats it ([`format_packed`]): the table's index, then
/// each value: 0 (NULL); 1 and the integer (8 bytes, little-endian); 2,
/// the length (4 bytes, little-endian) and the text's bytes; 3 (a REAL or
/// BLOB, refused when formatted). The reading thread only copies.
fn pack_row(buf: &mut Vec<u8>, table: usize, r: &rusqlite::Row<'_>) -> Result<(), FinanceError> {
    let n = TABLES.get(table).map_or(0, |(_, c)| c.len());
    buf.clear();
    buf.push(table as u8);
    for i in 0..n {
        match r.get_ref(i)? {
            ValueRef::Null => buf.push(0),
            ValueRef::Integer(v) => {
                buf.push(1);
                buf.extend_from_slice(&v.to_le_bytes());
            }
            ValueRef::Text(t) => {
                let len = u32::try_from(t.len()).map_err(|_| too_long())?;
                buf.push(2);
                buf.extend_from_slice(&len.to_le_bytes());
                buf.extend_from_slice(t);
            }
            ValueRef::Real(_) | ValueRef::Blob(_) => buf.push(3),
        }
    }
    Ok(())
}

fn too_long() -> FinanceError {
    FinanceError::Store(StoreError::Corrupt {
        path: PathBuf::new(),
        detail: "a text of 4 GB or more in a journal table".into(),
    })
}

/// Formats the packed row at the start of `packed` as a journal line
/// (`["table",v1,…]\n`) appended to `out`; returns the bytes it took.
fn format_packed(packed: &[u8], out: &mut Vec<u8>) -> Result<usize, FinanceError> {
    let broken = || {
        FinanceError::Store(StoreError::Corrupt {
            path: PathBuf::new(),
            detail: "a packed journal row is cut short".into(),
        })
    };
    let (&t, mut rest) = packed.split_first().ok_or_else(broken)?;
    let (table, cols) = TABLES.get(usize::from(t)).ok_or_else(broken)?;
    out.extend_from_slice(b"[\"");
    out.extend_from_slice(table.as_bytes());
    out.push(b'"');
    for _ in 0..cols.len() {
        out.push(b',');
        let (&tag, after) = rest.split_first().ok_or_else(broken)?;
        rest = after;
        let value = match tag {
            0 => ValueRef::Null,
            1 => {
                let (v, after) = rest.split_first_chunk::<8>().ok_or_else(broken)?;
                rest = after;
                ValueRef::Integer(i64::from_le_bytes(*v))
            }
            2 => {
                let (len, after) = rest.split_first_chunk::<4>().ok_or_else(broken)?;
                let len = u32::from_le_bytes(*len) as usize;
                let (text, after) = after.split_at_checked(len).ok_or_else(broken)?;
                rest = after;
                ValueRef::Text(text)
            }
            _ => ValueRef::Real(0.0),
        };
        push_value(out, value)?;
    }
    out.extend_from_slice(b"]\n");
    Ok(packed.len() - rest.len())
}

/// The index of `table` in [`TABLES`].
fn table_index(table: &str) -> usize {
    TABLES
        .iter()
        .position(|(t, _)| *t == table)
        .unwrap_or(usize::MAX)
}

/// The next row of an ordered cursor over lines or payments, packed
/// ([`pack_row`]), with the receipt id it belongs to (`line`: a buffer to
/// pack it in, reused).
fn next_child(
    rows: &mut rusqlite::Rows<'_>,
    table: usize,
    mut line: Vec<u8>,
) -> Result<Option<(i64, Vec<u8>)>, FinanceError> {
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    pack_row(&mut line, table, r)?;
    Ok(Some((r.get(0)?, line)))
}

/// Writes the lookahead row and those after it while they belong to a
/// receipt id at or below `upto`; returns how many.
fn children(
    upto: i64,
    next: &mut Option<(i64, Vec<u8>)>,
    rows: &mut rusqlite::Rows<'_>,
    table: usize,
    emit: &mut dyn FnMut(&[u8]) -> Result<(), FinanceError>,
) -> Result<u64, FinanceError> {
    let mut n = 0;
    while let Some((rid, l)) = next.take() {
        if rid > upto {
            *next = Some((rid, l));
            break;
        }
        emit(&l)?;
        n += 1;
        *next = next_child(rows, table, l)?;
    }
    Ok(n)
}

/// Writes every receipt followed by its lines and then its payments (the
/// `by_receipt` layout: an importer hashes each receipt as it inserts it),
/// merging three cursors each in its table's key order. Returns the row
/// counts of the three tables.
fn export_receipts(
    tx: &Connection,
    emit: &mut dyn FnMut(&[u8]) -> Result<(), FinanceError>,
) -> Result<[(&'static str, u64); 3], FinanceError> {
    let select = |table: &str, order: &str| {
        format!(
            "SELECT {} FROM {table} ORDER BY {order}",
            columns(table).unwrap_or_default().join(", ")
        )
    };
    let mut rs = tx.prepare(&select("receipts", "id"))?;
    let mut ls = tx.prepare(&select("receipt_lines", "receipt_id, line_no"))?;
    let mut ps = tx.prepare(&select("receipt_payments", "receipt_id, pay_no"))?;
    let mut receipts = rs.query([])?;
    let mut lines = ls.query([])?;
    let mut pays = ps.query([])?;
    let (tr, tl, tp) = (
        table_index("receipts"),
        table_index("receipt_lines"),
        table_index("receipt_payments"),
    );
    let mut next_line = next_child(&mut lines, tl, Vec::with_capacity(512))?;
    let mut next_pay = next_child(&mut pays, tp, Vec::with_capacity(512))?;
    let (mut nr, mut nl, mut np) = (0u64, 0u64, 0u64);
    let mut line = Vec::with_capacity(4096);
    while let Some(r) = receipts.next()? {
        let id: i64 = r.get(0)?;
        pack_row(&mut line, tr, r)?;
        // Orphans (none: the foreign keys see to that) would still be
        // written, before the next receipt.
        nl += children(id - 1, &mut next_line, &mut lines, tl, emit)?;
        np += children(id - 1, &mut next_pay, &mut pays, tp, emit)?;
        emit(&line)?;
        nr += 1;
        nl += children(id, &mut next_line, &mut lines, tl, emit)?;
        np += children(id, &mut next_pay, &mut pays, tp, emit)?;
    }
    nl += children(i64::MAX, &mut next_line, &mut lines, tl, emit)?;
    np += children(i64::MAX, &mut next_pay, &mut pays, tp, emit)?;
    Ok([
        ("receipts", nr),
        ("receipt_lines", nl),
        ("receipt_payments", np),
    ])
}

/// Writes the terminal's journal to `out` (through a temporary file renamed
/// into place once complete and synced). Any user of the terminal may
/// export; the export is audited.
pub fn export(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    key: &SigningKey,
    out: &Path,
) -> Result<ExportOutcome, FinanceError> {
    let tmp = out.with_extension("journal.tmp");
    let origin = ensure_origin(store, session, clock)?;
    let outcome = {
        // One read transaction: a consistent snapshot even while the
        // window keeps issuing.
        let tx = store.conn_mut().transaction()?;
        let hospital = crate::store::get_setting(&tx, "hospital.name")?.unwrap_or_default();
        let header = Header {
            format: FORMAT.into(),
            version: VERSION,
            origin,
            terminal: session.terminal().to_string(),
            hospital,
            key_fingerprint: key.fingerprint(),
            exported_at: stamp(clock.now()),
            exported_by: session.user().to_string(),
            columns: TABLES
                .iter()
                .map(|(t, c)| (t.to_string(), c.iter().map(|s| s.to_string()).collect()))
                .collect(),
            layout: Some(LAYOUT_BY_RECEIPT.into()),
        };
        let file = std::fs::File::create(&tmp).map_err(io_err(&tmp))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let mut body = Sha256::new();
        let mut line = serde_json::to_vec(&header).map_err(|e| FinanceError::Altered {
            path: out.to_path_buf(),
            detail: e.to_string(),
        })?;
        line.push(b'\n');
        body.update(&line);
        w.write_all(&line).map_err(io_err(&tmp))?;
        let mut rows: BTreeMap<String, u64> = BTreeMap::new();
        // This thread reads the rows and packs them; a second one formats,
        // hashes and writes them, in chunks (bounded: a few in flight).
        let (chunk_tx, chunk_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let (spare_tx, spare_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let (body, mut w) = std::thread::scope(|scope| -> Result<_, FinanceError> {
            let tmp_w = &tmp;
            let writing = scope.spawn(
                move || -> Result<(Sha256, BufWriter<std::fs::File>), FinanceError> {
                    let mut text = Vec::with_capacity(1 << 20);
                    for chunk in chunk_rx {
                        text.clear();
                        let mut at = 0;
                        while at < chunk.len() {
                            at += format_packed(&chunk[at..], &mut text)?;
                        }
                        body.update(&text);
                        w.write_all(&text).map_err(io_err(tmp_w))?;
                        let _ = spare_tx.send(chunk);
                    }
                    Ok((body, w))
                },
            );
            const CHUNK: usize = 1 << 18;
            let mut chunk: Vec<u8> = Vec::with_capacity(CHUNK);
            let mut emit = |line: &[u8]| -> Result<(), FinanceError> {
                chunk.extend_from_slice(line);
                if chunk.len() >= CHUNK {
                    let next = spare_rx
                        .try_recv()
                        .map(|mut c| {
                            c.clear();
                            c
                        })
                        .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
                    // A closed channel: the writer stopped on an error,
                    // which its join below reports.
                    if chunk_tx.send(std::mem::replace(&mut chunk, next)).is_err() {
                        return Err(FinanceError::Io {
                            path: tmp.clone(),
                            source: std::io::Error::other("the journal writer stopped"),
                        });
                    }
                }
                Ok(())
            };
            let formatted = (|| -> Result<(), FinanceError> {
                for (table, cols) in TABLES {
                    match *table {
                        // Written with their receipt (below).
                        "receipt_lines" | "receipt_payments" => continue,
                        "receipts" => {
                            let counts = export_receipts(&tx, &mut emit)?;
                            for (t, n) in counts {
                                rows.insert(t.to_string(), n);
                            }
                            continue;
                        }
                        _ => {}
                    }
                    let sql = format!(
                        "SELECT {} FROM {table} ORDER BY {}",
                        cols.join(", "),
                        cols[0]
                    );
                    let mut st = tx.prepare(&sql)?;
                    let mut q = st.query([])?;
                    let (mut n, t) = (0u64, table_index(table));
                    while let Some(r) = q.next()? {
                        pack_row(&mut line, t, r)?;
                        emit(&line)?;
                        n += 1;
                    }
                    rows.insert(table.to_string(), n);
                }
                Ok(())
            })();
            if !chunk.is_empty() {
                let _ = chunk_tx.send(chunk);
            }
            drop(chunk_tx);
            let written = writing.join().unwrap_or_else(|_| {
                Err(FinanceError::Io {
                    path: tmp.clone(),
                    source: std::io::Error::other("the journal writer thread stopped"),
                })
            });
            // The writer's own error first (it explains a stop here).
            let written = written?;
            formatted?;
            Ok(written)
        })?;
        let digest = body.finalize();
        let sig = sign(key, &digest, &rows);
        let trailer = Trailer {
            end: TrailerBody {
                rows: rows.clone(),
                sha256: hex::encode(digest),
                hmac: hex::encode(sig),
            },
        };
        let mut last = serde_json::to_vec(&trailer).unwrap_or_default();
        last.push(b'\n');
        w.write_all(&last).map_err(io_err(&tmp))?;
        let file = w.into_inner().map_err(|e| FinanceError::Io {
            path: tmp.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(io_err(&tmp))?;
        let bytes = file.metadata().map_err(io_err(&tmp))?.len();
        drop(tx);
        ExportOutcome {
            file: out.to_path_buf(),
            terminal: header.terminal,
            origin: header.origin,
            receipts: rows.get("receipts").copied().unwrap_or(0),
            rows,
            bytes,
            sha256: hex::encode(digest),
        }
    };
    std::fs::rename(&tmp, out).map_err(io_err(out))?;
    let tx = store.write()?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "journal.export",
        &[format!("journal:{}", outcome.sha256)],
        serde_json::json!({
            "file": out.display().to_string(),
            "rows": outcome.rows,
            "sha256": outcome.sha256,
        }),
    )?;
    tx.commit()?;
    Ok(outcome)
}

/// What the signature covers: the context, the body's SHA-256 and the row
/// counts of the end record.
fn signed_message(digest: &[u8], rows: &BTreeMap<String, u64>) -> Vec<u8> {
    let mut msg = SIG_CONTEXT.to_vec();
    msg.extend_from_slice(digest);
    msg.extend_from_slice(&serde_json::to_vec(rows).unwrap_or_default());
    msg
}

fn sign(key: &SigningKey, digest: &[u8], rows: &BTreeMap<String, u64>) -> [u8; 32] {
    key.sign(&signed_message(digest, rows))
}

/// Two installations that used the same number or overlapping ranges.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Collision {
    /// `number` or `range`.
    pub kind: String,
    /// The receipt number or the range (`MZ01 1..500`).
    pub record: String,
    /// What happened, in English (stored with the import) and in Chinese.
    pub detail: String,
    pub detail_zh: String,
}

/// A receipt line handed out at two pharmacy terminals beyond what was paid.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DoubleDispensing {
    pub receipt: String,
    pub line: u32,
    pub code: String,
    pub paid_qty: String,
    pub dispensed_qty: String,
    pub terminals: Vec<String>,
}

/// What one journal import did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportOutcome {
    pub file: PathBuf,
    pub terminal: String,
    pub origin: String,
    pub exported_at: String,
    /// The same or an older journal was already imported: nothing changed.
    pub already_imported: bool,
    pub import_id: Option<i64>,
    /// Rows added, by table.
    pub added: BTreeMap<String, u64>,
    pub receipts_added: u64,
    pub collisions: Vec<Collision>,
    /// Across every terminal held here after this import.
    pub double_dispensings: Vec<DoubleDispensing>,
}

/// Called with the bytes read so far and the file's size (progress bars).
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// Imports several journals, each in its own transaction, in order.
pub fn import_files(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    key: &SigningKey,
    files: &[PathBuf],
    progress: Progress<'_>,
) -> Result<Vec<ImportOutcome>, FinanceError> {
    let mut out = Vec::new();
    for f in files {
        out.push(import(store, session, clock, key, f, progress)?);
    }
    Ok(out)
}

/// State of one import while the file streams through.
struct Importer<'a> {
    tx: &'a Connection,
    origin: String,
    terminal: String,
    marks: HashMap<String, i64>,
    new_marks: HashMap<String, i64>,
    added: BTreeMap<String, u64>,
    collisions: Vec<Collision>,
    /// The last receipt source id looked up for lines and payments.
    cached_receipt: Option<(i64, Option<i64>)>,
    /// The last audit hash of this origin taken (chain continuity).
    audit_prev: Option<String>,
    /// The INSERT statements of each table, prepared once and held for the
    /// whole import (no statement-cache look-up keyed by the SQL text per
    /// row), binding values in place.
    inserts: HashMap<String, TableInserts<'a>>,
    /// `journal_map` inserts (a run of receipts at a time) and
    /// `journal_receipt_digests` inserts (once per receipt).
    put_map: rusqlite::Statement<'a>,
    put_digest: TableInserts<'a>,
    /// The run of receipts imported with consecutive source and local ids
    /// not yet written to `journal_map` (one row per run, not per receipt).
    run: Option<Run>,
    /// Source → local ids of the small tables (episodes, ranges), looked
    /// up for every receipt: held in memory (a terminal has a handful).
    small_map: SmallMap,
    /// The id the import's `journal_imports` row will get (the write
    /// transaction holds the table): provenance rows are written with it
    /// as the records stream in.
    import_id: i64,
    /// The journal's receipts carry their lines and payments right after
    /// them (`by_receipt`): each receipt's digest is computed as it is
    /// inserted. Otherwise the digests are read back once at the end.
    streamed: bool,
    /// The receipt being hashed: its lines and payments are still to come.
    pending: Option<Pending>,
    /// The provenance digest's receipt part, fed as each receipt's digest
    /// is recorded (in local id order, as `provenance_digests` reads it).
    provenance: Sha256,
    /// The position of the row being read in the reader's batch.
    at: usize,
    /// Receipts, lines and payments read but not inserted yet (their
    /// index in [`QUEUED`], which is also their `Pending::phase`), by
    /// position in the reader's batch (`flush`, before the batch goes).
    queued: Vec<(u8, usize)>,
    /// The local id the next receipt inserted gets (ids are given, so
    /// that a receipt can wait in `queued` with its id known).
    next_receipt: i64,
    /// What was held before this import for each terminal (and number
    /// prefix) its receipts carry: see [`Importer::beyond_held`].
    held: Vec<Held>,
    /// Digest rows not inserted yet (`DIGEST_COLS` values each).
    digest_rows: Vec<Value>,
}

/// Source → local ids of a table with few rows (table, source id, local):
/// a list scanned in order costs less than hashing the key per receipt.
#[derive(Default)]
struct SmallMap(Vec<(&'static str, i64, Option<i64>)>);

impl SmallMap {
    fn get(&self, table: &str, src: i64) -> Option<Option<i64>> {
        self.0
            .iter()
            .find(|(t, s, _)| *s == src && *t == table)
            .map(|(_, _, l)| *l)
    }

    fn insert(&mut self, table: &'static str, src: i64, local: Option<i64>) {
        match self.0.iter_mut().find(|(t, s, _)| *s == src && *t == table) {
            Some(e) => e.2 = local,
            None => self.0.push((table, src, local)),
        }
    }
}

/// Receipts `src .. src + n` imported as local `local .. local + n`.
#[derive(Clone, Copy)]
struct Run {
    src: i64,
    local: i64,
    n: i64,
}

impl Run {
    /// The local id of source id `src` when this run holds it.
    fn get(&self, src: i64) -> Option<i64> {
        (src >= self.src && src - self.src < self.n).then(|| self.local + (src - self.src))
    }
}

/// The tables whose rows wait in `Importer::queued`, inserted in this order.
const QUEUED: [&str; 3] = ["receipts", "receipt_lines", "receipt_payments"];

/// Positions in a `receipts` row (checked against [`TABLES`] by a test).
const R_NUMBER: usize = 1;
const R_TERMINAL: usize = 2;
const R_SEQ: usize = 3;
const R_TEMP_SEQ: usize = 13;

/// The highest receipt sequence, temporary patient sequence and number
/// (among those starting with `prefix`) held for `terminal` before the
/// import reached its first receipt of that terminal.
struct Held {
    terminal: String,
    prefix: String,
    seq: i64,
    temp_seq: i64,
    number: Option<String>,
}

/// A receipt inserted whose digest is not finished (lines, payments next).
struct Pending {
    local: i64,
    number: String,
    hash: Sha256,
    /// 0: its row, 1: lines, 2: payments fed so far.
    phase: u8,
}

/// Feeds one row as stored here (its local id, then the other values) into
/// a digest, as `receipts::integrity` hashes stored rows.
fn feed_row(h: &mut Sha256, first: i64, rest: &[Value]) {
    h.update(b"row");
    crate::receipts::integrity::feed(h, ValueRef::Integer(first));
    for v in rest {
        crate::receipts::integrity::feed(h, ValueRef::from(v));
    }
}

fn altered(path: &Path, detail: impl Into<String>) -> FinanceError {
    FinanceError::Altered {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

/// One cell of a body row, read straight into an SQLite value (no
/// intermediate `serde_json::Value` tree): null, an integer or a string;
/// anything else makes the row unreadable.
struct Cell(Value);

impl<'de> serde::Deserialize<'de> for Cell {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Cell;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("null, an integer or a string")
            }
            fn visit_unit<E>(self) -> Result<Cell, E> {
                Ok(Cell(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Cell, E> {
                Ok(Cell(Value::Null))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Cell, E> {
                Ok(Cell(Value::Integer(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Cell, E> {
                i64::try_from(v)
                    .map(|v| Cell(Value::Integer(v)))
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_str<E>(self, v: &str) -> Result<Cell, E> {
                Ok(Cell(Value::Text(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Cell, E> {
                Ok(Cell(Value::Text(v)))
            }
        }
        d.deserialize_any(V)
    }
}

/// A body row: its table name, then its cells.
fn parse_row(line: &[u8]) -> Option<(String, Vec<Value>)> {
    let cells: Vec<Cell> = serde_json::from_slice(line).ok()?;
    let mut it = cells.into_iter();
    match it.next()?.0 {
        Value::Text(t) => Some((t, it.map(|c| c.0).collect())),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        _ => None,
    }
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

/// Rows inserted by one multi-row INSERT where an import inserts many rows
/// of a table in a row (receipts, lines, payments, digests): one statement
/// run per 64 rows instead of one per row (statement set-up, cursors opened
/// and closed once).
const ROWS_PER_STATEMENT: usize = 64;

/// `INSERT INTO table(cols) VALUES (…), …` for `rows` rows.
fn insert_sql(table: &str, cols: &[&str], rows: usize) -> String {
    let one = format!("({})", vec!["?"; cols.len()].join(", "));
    format!(
        "INSERT INTO {table}({}) VALUES {}",
        cols.join(", "),
        vec![one; rows].join(", ")
    )
}

/// The INSERTs of one table an import holds: one row, and many rows
/// (`many[k]`: `ROWS_PER_STATEMENT >> k` rows, prepared at its first use).
struct TableInserts<'c> {
    one: InPlace<'c>,
    many: [Option<InPlace<'c>>; 6],
}

impl<'c> TableInserts<'c> {
    fn prepare(tx: &'c Connection, table: &str, cols: &[&str]) -> rusqlite::Result<Self> {
        Ok(Self {
            one: InPlace::prepare(tx, &insert_sql(table, cols, 1))?,
            many: Default::default(),
        })
    }
}

/// Inserts `rows` into `table`: groups of [`ROWS_PER_STATEMENT`] rows with
/// one multi-row statement each, what is left in halving groups (32, 16,
/// …, 2), the last row alone.
fn insert_rows<'c>(
    tx: &'c Connection,
    st: &mut TableInserts<'c>,
    table: &str,
    cols: &[&str],
    mut rows: &[&[Value]],
) -> rusqlite::Result<()> {
    for (k, slot) in st.many.iter_mut().enumerate() {
        let size = ROWS_PER_STATEMENT >> k;
        while rows.len() >= size {
            let (group, rest) = rows.split_at(size);
            let many = match slot {
                Some(m) => m,
                None => slot.insert(InPlace::prepare(tx, &insert_sql(table, cols, size))?),
            };
            many.execute(group.iter().flat_map(|r| r.iter()))?;
            rows = rest;
        }
    }
    for r in rows {
        st.one.execute(r.iter())?;
    }
    Ok(())
}

/// What an import keeps of its importer once the rows are in.
struct Outcome {
    provenance: Sha256,
    new_marks: HashMap<String, i64>,
    added: BTreeMap<String, u64>,
    collisions: Vec<Collision>,
    streamed: bool,
}

impl<'a> Importer<'a> {
    /// Ends the importer (and its prepared statements).
    fn finish(self) -> Outcome {
        Outcome {
            provenance: self.provenance,
            new_marks: self.new_marks,
            added: self.added,
            collisions: self.collisions,
            streamed: self.streamed,
        }
    }

    fn mark(&self, table: &str) -> i64 {
        self.marks.get(table).copied().unwrap_or(0)
    }

    fn bump(&mut self, table: &str, id: i64) {
        match self.new_marks.get_mut(table) {
            Some(m) => *m = (*m).max(id),
            None => {
                self.new_marks.insert(table.to_string(), id.max(0));
            }
        }
    }

    fn added(&mut self, table: &str) {
        match self.added.get_mut(table) {
            Some(n) => *n += 1,
            None => {
                self.added.insert(table.to_string(), 1);
            }
        }
    }

    /// The local id a source id of `tbl` was imported as: `None` when it
    /// was not imported yet, `Some(None)` when it collided (not imported).
    fn map_get(&mut self, tbl: &str, src: i64) -> Result<Option<Option<i64>>, FinanceError> {
        let small = small_table(tbl);
        if let Some(t) = small
            && let Some(l) = self.small_map.get(t, src)
        {
            return Ok(Some(l));
        }
        if tbl == "receipts"
            && let Some(l) = self.run.and_then(|r| r.get(src))
        {
            return Ok(Some(Some(l)));
        }
        // The row of the run (or single id) that starts at or below `src`.
        let found: Option<(i64, Option<i64>, i64)> = self
            .tx
            .prepare_cached(
                "SELECT src_id, local_id, n FROM journal_map
                  WHERE origin = ?1 AND tbl = ?2 AND src_id <= ?3
                  ORDER BY src_id DESC LIMIT 1",
            )?
            .query_row(params![self.origin, tbl, src], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let found = found.and_then(|(first, local, n)| {
            (src - first < n).then(|| local.map(|l| l + (src - first)))
        });
        if let (Some(t), Some(l)) = (small, found) {
            self.small_map.insert(t, src, l);
        }
        Ok(found)
    }

    fn map_put(&mut self, tbl: &str, src: i64, local: Option<i64>) -> Result<(), FinanceError> {
        if let Some(t) = small_table(tbl) {
            self.small_map.insert(t, src, local);
        }
        if tbl == "receipts"
            && let Some(local) = local
        {
            match &mut self.run {
                Some(r) if r.src + r.n == src && r.local + r.n == local => r.n += 1,
                _ => {
                    self.flush_run()?;
                    self.run = Some(Run { src, local, n: 1 });
                }
            }
            return Ok(());
        }
        if tbl == "receipts" {
            self.flush_run()?;
        }
        self.put_map
            .execute(params![self.origin, tbl, src, local, 1])?;
        Ok(())
    }

    /// Writes the pending run of receipts to `journal_map`.
    fn flush_run(&mut self) -> Result<(), FinanceError> {
        if let Some(r) = self.run.take() {
            self.put_map
                .execute(params![self.origin, "receipts", r.src, r.local, r.n])?;
        }
        Ok(())
    }

    fn insert(&mut self, table: &str, cols: &[&str], vals: &[Value]) -> Result<i64, FinanceError> {
        Ok(self.insert_raw(table, cols, vals)?)
    }

    /// The single-row INSERT of `table` naming `cols`, prepared at its
    /// first use and held for the import.
    fn single(&mut self, table: &str, cols: &[&str]) -> rusqlite::Result<&mut TableInserts<'a>> {
        if !self.inserts.contains_key(table) {
            let st = TableInserts::prepare(self.tx, table, cols)?;
            self.inserts.insert(table.to_string(), st);
        }
        self.inserts
            .get_mut(table)
            .ok_or(rusqlite::Error::InvalidQuery)
    }

    fn insert_raw(&mut self, table: &str, cols: &[&str], vals: &[Value]) -> rusqlite::Result<i64> {
        self.single(table, cols)?.one.execute(vals)?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Finishes the pending receipt's digest and records it.
    fn finish_pending(&mut self) -> Result<(), FinanceError> {
        if let Some(p) = self.pending.take() {
            let digest = p.hash.finalize();
            provenance_line(&mut self.provenance, &p.number, &hex::encode(digest));
            self.digest_rows.extend([
                Value::Integer(p.local),
                Value::Integer(self.import_id),
                Value::Text(p.number),
                Value::Blob(digest.to_vec()),
            ]);
            if self.digest_rows.len() >= ROWS_PER_STATEMENT * DIGEST_COLS.len() {
                self.flush_digests()?;
            }
        }
        Ok(())
    }

    /// Inserts the digests recorded so far.
    fn flush_digests(&mut self) -> Result<(), FinanceError> {
        let rows: Vec<&[Value]> = self.digest_rows.chunks(DIGEST_COLS.len()).collect();
        insert_rows(
            self.tx,
            &mut self.put_digest,
            "journal_receipt_digests",
            DIGEST_COLS,
            &rows,
        )?;
        self.digest_rows.clear();
        Ok(())
    }

    /// Inserts the lines and payments queued from `batch` (the reader's
    /// batch they were read in, still held: their values are bound from
    /// there, no copy).
    fn flush(&mut self, batch: &[Ahead]) -> Result<(), FinanceError> {
        for (kind, table) in (0u8..).zip(QUEUED) {
            let rows: Vec<&[Value]> = self
                .queued
                .iter()
                .filter(|(k, _)| *k == kind)
                .filter_map(|(_, at)| match &batch.get(*at)?.1 {
                    Some(Some((_, vals))) => Some(vals.as_slice()),
                    _ => None,
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            let cols = columns(table).unwrap_or_default();
            let tx = self.tx;
            insert_rows(tx, self.single(table, cols)?, table, cols, &rows)?;
        }
        self.queued.clear();
        Ok(())
    }

    /// Feeds a line (phase 1) or payment (phase 2) of local receipt `local`
    /// into the pending digest; false when it is not the pending receipt's
    /// or comes out of order (not a `by_receipt` journal this program wrote).
    fn feed_child(&mut self, local: i64, phase: u8, vals: &[Value]) -> bool {
        match &mut self.pending {
            Some(p) if p.local == local && p.phase <= phase => {
                p.phase = phase;
                feed_row(&mut p.hash, local, &vals[1..]);
                true
            }
            _ => false,
        }
    }

    /// The local id of a source receipt (None: collided, not imported).
    fn local_receipt(&mut self, src: i64) -> Result<Option<i64>, FinanceError> {
        if let Some((s, l)) = self.cached_receipt
            && s == src
        {
            return Ok(l);
        }
        let l = self.map_get("receipts", src)?.flatten();
        self.cached_receipt = Some((src, l));
        Ok(l)
    }

    /// One body row. Returns a description of what is wrong with it when
    /// the row cannot be a row this program wrote.
    fn row(&mut self, path: &Path, table: &str, vals: &mut [Value]) -> Result<(), FinanceError> {
        let cols = columns(table).ok_or_else(|| altered(path, format!("unknown table {table}")))?;
        if vals.len() != cols.len() {
            return Err(altered(path, format!("a {table} row has the wrong width")));
        }
        let bad = |what: &str| altered(path, format!("a {table} row has a bad {what}"));
        if !matches!(table, "receipt_lines" | "receipt_payments") {
            self.finish_pending()?;
        }
        match table {
            "episodes" | "receipt_ranges" => {
                let src = int(&vals[0]).ok_or_else(|| bad("id"))?;
                if src <= self.mark(table) {
                    return Ok(());
                }
                self.bump(table, src);
                if table == "receipt_ranges" {
                    self.range_collision(vals)?;
                }
                let local = self.insert(table, &cols[1..], &vals[1..])?;
                self.map_put(table, src, Some(local))?;
                self.added(table);
            }
            "episode_closures" => {
                let src = int(&vals[0]).ok_or_else(|| bad("episode id"))?;
                if src <= self.mark(table) {
                    return Ok(());
                }
                self.bump(table, src);
                let local = self
                    .map_get("episodes", src)?
                    .flatten()
                    .ok_or_else(|| bad("episode reference"))?;
                vals[0] = Value::Integer(local);
                self.insert(table, cols, vals)?;
                self.added(table);
            }
            "receipts" => {
                let src = int(&vals[0]).ok_or_else(|| bad("id"))?;
                if src <= self.mark(table) {
                    return Ok(());
                }
                self.bump(table, src);
                let number = text(&vals[R_NUMBER])
                    .ok_or_else(|| bad("number"))?
                    .to_string();
                let terminal = text(&vals[R_TERMINAL])
                    .ok_or_else(|| bad("terminal"))?
                    .to_string();
                let seq = int(&vals[R_SEQ]).ok_or_else(|| bad("sequence"))?;
                let temp_seq = match &vals[R_TEMP_SEQ] {
                    Value::Null => None,
                    v => Some(int(v).ok_or_else(|| bad("temporary patient sequence"))?),
                };
                let range = int(&vals[4]).ok_or_else(|| bad("range"))?;
                let episode = int(&vals[5]).ok_or_else(|| bad("episode"))?;
                vals[4] = Value::Integer(
                    self.map_get("receipt_ranges", range)?
                        .flatten()
                        .ok_or_else(|| bad("range reference"))?,
                );
                vals[5] = Value::Integer(
                    self.map_get("episodes", episode)?
                        .flatten()
                        .ok_or_else(|| bad("episode reference"))?,
                );
                // Stored under the local id it gets here.
                let local = self.next_receipt;
                vals[0] = Value::Integer(local);
                let inserted = if self.beyond_held(&terminal, seq, temp_seq, &number)? {
                    // Nothing held before can collide with it: inserted with
                    // the batch's other receipts, many to a statement.
                    self.queued.push((0, self.at));
                    true
                } else {
                    // Inserted straight away; a number (or temporary patient
                    // number) already held here fails its UNIQUE constraint,
                    // which leaves the transaction as it was: a collision.
                    match self.insert_raw(table, cols, vals) {
                        Ok(_) => true,
                        Err(rusqlite::Error::SqliteFailure(e, _))
                            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
                        {
                            false
                        }
                        Err(e) => return Err(e.into()),
                    }
                };
                if inserted {
                    self.next_receipt += 1;
                    self.map_put(table, src, Some(local))?;
                    self.cached_receipt = Some((src, Some(local)));
                    self.added(table);
                    if self.streamed {
                        let mut hash = Sha256::new();
                        feed_row(&mut hash, local, &vals[1..]);
                        self.pending = Some(Pending {
                            local,
                            number,
                            hash,
                            phase: 0,
                        });
                    }
                } else {
                    let exists: bool = self
                        .tx
                        .prepare_cached("SELECT 1 FROM receipts WHERE number = ?1")?
                        .exists([&number])?;
                    let (detail, detail_zh) = if exists {
                        (
                            format!(
                                "{number} is already held here from another terminal installation; this journal's receipt {number} was not imported"
                            ),
                            format!(
                                "本站已有另一台终端安装开具的 {number}；本日志中的票据 {number} 未导入"
                            ),
                        )
                    } else {
                        (
                            format!(
                                "{number}: its temporary patient number is already used on {terminal} by another installation; not imported"
                            ),
                            format!(
                                "{number}：其临时患者号已被 {terminal} 的另一台终端安装使用；未导入"
                            ),
                        )
                    };
                    self.collisions.push(Collision {
                        kind: "number".into(),
                        detail,
                        detail_zh,
                        record: number,
                    });
                    self.map_put(table, src, None)?;
                    self.cached_receipt = Some((src, None));
                }
            }
            "receipt_lines" | "receipt_payments" => {
                let src = int(&vals[0]).ok_or_else(|| bad("receipt id"))?;
                // Lines and payments are written with their receipt: new
                // exactly when their receipt is new.
                if src <= self.mark("receipts") {
                    return Ok(());
                }
                let Some(local) = self.local_receipt(src)? else {
                    return Ok(());
                };
                vals[0] = Value::Integer(local);
                // Inserted with the batch's other lines and payments, many
                // rows to a statement (`flush`).
                // Its place in `QUEUED` is its phase in the digest.
                let phase: u8 = if table == "receipt_lines" { 1 } else { 2 };
                self.queued.push((phase, self.at));
                self.added(table);
                if self.streamed && !self.feed_child(local, phase, vals) {
                    return Err(altered(
                        path,
                        format!("a {table} row is not right after its receipt"),
                    ));
                }
            }
            "receipt_events" => {
                let src = int(&vals[0]).ok_or_else(|| bad("id"))?;
                if src <= self.mark(table) {
                    return Ok(());
                }
                self.bump(table, src);
                let receipt = int(&vals[1]).ok_or_else(|| bad("receipt id"))?;
                let Some(local) = self.local_receipt(receipt)? else {
                    return Ok(());
                };
                vals[1] = Value::Integer(local);
                let id = self.insert(table, &cols[1..], &vals[1..])?;
                self.map_put(table, src, Some(id))?;
                self.added(table);
                // A cashier event's digest, as `verify` will recompute it.
                if matches!(text(&vals[2]), Some("void" | "reprint" | "refund")) {
                    let mut h = Sha256::new();
                    feed_row(&mut h, id, &vals[1..]);
                    self.tx
                        .prepare_cached(
                            "INSERT INTO journal_events(event_id, import_id, event_sha256)
                             VALUES (?1, ?2, ?3)",
                        )?
                        .execute(params![id, self.import_id, hex::encode(h.finalize())])?;
                }
            }
            "shift_closes" => {
                let src = int(&vals[0]).ok_or_else(|| bad("id"))?;
                if src <= self.mark(table) {
                    return Ok(());
                }
                self.bump(table, src);
                // The shift boundary, as local ids (0: nothing of it here).
                let upto_r = int(&vals[4]).ok_or_else(|| bad("receipt boundary"))?;
                let upto_e = int(&vals[5]).ok_or_else(|| bad("event boundary"))?;
                vals[4] = Value::Integer(self.map_get("receipts", upto_r)?.flatten().unwrap_or(0));
                vals[5] = Value::Integer(
                    self.map_get("receipt_events", upto_e)?
                        .flatten()
                        .unwrap_or(0),
                );
                self.insert(table, &cols[1..], &vals[1..])?;
                self.added(table);
            }
            "dispensings" => {
                let src = int(&vals[0]).ok_or_else(|| bad("id"))?;
                if src <= self.mark(table) {
                    return Ok(());
                }
                self.bump(table, src);
                self.insert(table, &cols[1..], &vals[1..])?;
                self.added(table);
            }
            "audit_log" => {
                let seq = int(&vals[0]).ok_or_else(|| bad("seq"))?;
                let f: Vec<&str> = vals[1..]
                    .iter()
                    .map(|v| text(v).ok_or_else(|| bad("field")))
                    .collect::<Result<_, _>>()?;
                let (prev, hash) = (f[6], f[7]);
                let want = audit::entry_hash(prev, seq, [f[0], f[1], f[2], f[3], f[4], f[5]]);
                if want != hash {
                    return Err(altered(
                        path,
                        format!("audit entry {seq} of {} does not hash", self.terminal),
                    ));
                }
                let expected_prev = if seq == 1 {
                    GENESIS.to_string()
                } else {
                    self.audit_prev.clone().unwrap_or_default()
                };
                if prev != expected_prev {
                    return Err(altered(
                        path,
                        format!("audit entry {seq} of {} does not link", self.terminal),
                    ));
                }
                self.audit_prev = Some(hash.to_string());
                let mark = self.mark(table);
                if seq < mark {
                    return Ok(());
                }
                if seq == mark {
                    let held: Option<String> = self
                        .tx
                        .prepare_cached(
                            "SELECT hash FROM journal_audit WHERE origin = ?1 AND seq = ?2",
                        )?
                        .query_row(params![self.origin, seq], |r| r.get(0))
                        .optional()?;
                    if held.as_deref() != Some(hash) {
                        return Err(altered(
                            path,
                            format!(
                                "the audit chain of {} differs from the one imported before at entry {seq} (a database restored or replaced on that terminal)",
                                self.terminal
                            ),
                        ));
                    }
                    return Ok(());
                }
                self.bump(table, seq);
                let mut row = vec![Value::Text(self.origin.clone())];
                row.extend(vals.iter().cloned());
                self.insert(
                    "journal_audit",
                    &[
                        "origin",
                        "seq",
                        "at",
                        "terminal",
                        "user",
                        "action",
                        "records",
                        "details",
                        "prev_hash",
                        "hash",
                    ],
                    &row,
                )?;
                self.added(table);
            }
            _ => return Err(altered(path, format!("unknown table {table}"))),
        }
        Ok(())
    }

    /// Whether a receipt cannot collide with any receipt held before this
    /// import: its sequence and temporary patient sequence lie beyond the
    /// highest held for its terminal, and its number beyond the highest held
    /// number that starts the same way (`MZ01-`). Such a receipt may wait
    /// to be inserted with others; any other goes in at once, where its
    /// UNIQUE constraints tell a collision. (Receipts of one journal never
    /// collide with each other: they come from one database with the same
    /// constraints, and a file that says otherwise fails the insert.)
    fn beyond_held(
        &mut self,
        terminal: &str,
        seq: i64,
        temp_seq: Option<i64>,
        number: &str,
    ) -> Result<bool, FinanceError> {
        let Some(cut) = number.rfind('-') else {
            return Ok(false);
        };
        let prefix = &number[..=cut];
        let at = match self
            .held
            .iter()
            .position(|h| h.terminal == terminal && h.prefix == prefix)
        {
            Some(at) => at,
            None => {
                // One aggregate per query: SQLite then reads each maximum
                // off its index, (terminal, seq) and (terminal, temp_seq).
                let max = |col: &str| -> rusqlite::Result<i64> {
                    self.tx.query_row(
                        &format!(
                            "SELECT COALESCE(MAX({col}), 0) FROM receipts WHERE terminal = ?1"
                        ),
                        [terminal],
                        |r| r.get(0),
                    )
                };
                let (seq, temp_seq) = (max("seq")?, max("temp_seq")?);
                // Numbers from `MZ01-` up to, not including, `MZ01.`.
                let end = format!("{}.", &number[..cut]);
                let number: Option<String> = self.tx.query_row(
                    "SELECT MAX(number) FROM receipts WHERE number >= ?1 AND number < ?2",
                    params![prefix, end],
                    |r| r.get(0),
                )?;
                self.held.push(Held {
                    terminal: terminal.to_string(),
                    prefix: prefix.to_string(),
                    seq,
                    temp_seq,
                    number,
                });
                self.held.len() - 1
            }
        };
        let h = &self.held[at];
        Ok(seq > h.seq
            && temp_seq.is_none_or(|t| t > h.temp_seq)
            && h.number.as_deref().is_none_or(|n| number > n))
    }

    /// A range overlapping one another installation holds for the same
    /// terminal code: numbers may collide.
    fn range_collision(&mut self, vals: &[Value]) -> Result<(), FinanceError> {
        let (Some(terminal), Some(first), Some(last)) =
            (text(&vals[1]), int(&vals[2]), int(&vals[3]))
        else {
            return Ok(());
        };
        let other: Option<(i64, i64)> = self
            .tx
            .prepare_cached(
                "SELECT first_seq, last_seq FROM receipt_ranges
                  WHERE terminal = ?1 AND first_seq <= ?3 AND last_seq >= ?2
                    AND id NOT IN (SELECT local_id FROM journal_map
                                    WHERE origin = ?4 AND tbl = 'receipt_ranges'
                                      AND local_id IS NOT NULL)
                  LIMIT 1",
            )?
            .query_row(params![terminal, first, last, self.origin], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        if let Some((f, l)) = other {
            self.collisions.push(Collision {
                kind: "range".into(),
                record: format!("{terminal} {first}..{last}"),
                detail: format!(
                    "overlaps range {terminal} {f}..{l} of another installation using the same terminal code"
                ),
                detail_zh: format!(
                    "与使用同一终端号的另一台终端安装的号段 {terminal} {f}..{l} 重叠"
                ),
            });
        }
        Ok(())
    }
}

/// The tables whose id map is held in memory during an import.
fn small_table(tbl: &str) -> Option<&'static str> {
    match tbl {
        "episodes" => Some("episodes"),
        "receipt_ranges" => Some("receipt_ranges"),
        _ => None,
    }
}

/// The marks (highest source id per table) already taken from `origin`.
fn marks_of(conn: &Connection, origin: &str) -> Result<HashMap<String, i64>, FinanceError> {
    let m: Option<String> = conn
        .query_row(
            "SELECT marks FROM journal_imports WHERE origin = ?1 ORDER BY id DESC LIMIT 1",
            [origin],
            |r| r.get(0),
        )
        .optional()?;
    Ok(m.and_then(|m| serde_json::from_str(&m).ok())
        .unwrap_or_default())
}

/// A line read ahead, with its row already parsed when it is a whole row
/// line (`None`: not tried).
type Ahead = (Vec<u8>, Option<Option<(String, Vec<Value>)>>);

/// The end record, when `line` is a whole, readable one.
fn trailer_of(line: &[u8]) -> Option<Trailer> {
    if !line.starts_with(b"{\"end\"") || line.last() != Some(&b'\n') {
        return None;
    }
    serde_json::from_slice::<Trailer>(line).ok()
}

/// The two digests the reader takes as it reads: `whole`, the file's
/// SHA-256 (started with the header), and `body`, the signed part (the
/// header and every line before the end record, as the importer reads it).
struct Digests {
    whole: Sha256,
    body: Sha256,
}

/// Lines of the journal after its header, in batches, each row parsed
/// (the import's other thread). Stops when the importer stops listening.
/// It hashes every line it reads (`Digests`) and hands the digests back
/// when the file ends. The importer sends each batch back once done with
/// it: its memory is freed (and its line buffers reused) on this thread,
/// which allocated it, instead of contending for this thread's allocator
/// arena from the other one.
fn read_ahead(
    mut reader: BufReader<std::fs::File>,
    out: std::sync::mpsc::SyncSender<std::io::Result<Vec<Ahead>>>,
    back: std::sync::mpsc::Receiver<Vec<Ahead>>,
    mut digests: Digests,
) -> Digests {
    // Lines per batch: small enough that a batch is still in cache when
    // the importer takes it (measured: 512 lines, 1.54-1.63 s for 100k
    // receipts, against 1.76-2.08 s with 2,048).
    const BATCH: usize = 512;
    let mut batch = Vec::with_capacity(BATCH);
    let mut spare: Vec<Vec<u8>> = Vec::new();
    let mut after_end = false;
    loop {
        if spare.is_empty() {
            for done in back.try_iter() {
                spare.extend(done.into_iter().map(|(mut line, _)| {
                    line.clear();
                    line
                }));
            }
        }
        let mut line = spare.pop().unwrap_or_else(|| Vec::with_capacity(512));
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {
                digests.whole.update(&line);
                if !after_end {
                    if line.starts_with(b"{\"end\"") {
                        after_end = trailer_of(&line).is_some();
                    } else {
                        digests.body.update(&line);
                    }
                }
                let parsed = (line.last() == Some(&b'\n') && line.first() == Some(&b'['))
                    .then(|| parse_row(&line));
                batch.push((line, parsed));
                if batch.len() == BATCH {
                    if out.send(Ok(std::mem::take(&mut batch))).is_err() {
                        return digests;
                    }
                    batch.reserve(BATCH);
                }
            }
            Err(e) => {
                let _ = out.send(Err(e));
                return digests;
            }
        }
    }
    let _ = out.send(Ok(batch));
    digests
}

/// Imports one journal. Nothing is written unless the whole file is read,
/// its signature checks and every row fits.
pub fn import(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    key: &SigningKey,
    path: &Path,
    progress: Progress<'_>,
) -> Result<ImportOutcome, FinanceError> {
    session.require(crate::auth::Role::Finance, "import terminal journals")?;
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let own_origin = origin_of(store.conn())?.unwrap_or_default();
    // Every statement of the import stays prepared; a larger page cache
    // (bounded: 64 MB) keeps the indexes being filled in memory.
    store.conn().set_prepared_statement_cache_capacity(64);
    store.conn().execute_batch("PRAGMA cache_size = -65536")?;
    let tx = store.write()?;
    let mut digests = Digests {
        whole: Sha256::new(),
        body: Sha256::new(),
    };
    let mut line = Vec::with_capacity(4096);
    let mut read = 0u64;

    // Header.
    let n = reader.read_until(b'\n', &mut line).map_err(io_err(path))?;
    if n == 0 || line.last() != Some(&b'\n') {
        return Err(FinanceError::Truncated {
            path: path.to_path_buf(),
        });
    }
    read += n as u64;
    digests.body.update(&line);
    digests.whole.update(&line);
    let header: Option<Header> = serde_json::from_slice(&line).ok();
    // Interpretation problems wait until the signature is known good: a
    // damaged file is "altered" whatever byte was hit.
    let mut deferred: Option<FinanceError> = None;
    let foreign = header
        .as_ref()
        .is_some_and(|h| h.key_fingerprint != key.fingerprint());
    match &header {
        None => deferred = Some(altered(path, "the header line is not readable")),
        Some(h) if h.format != FORMAT => {
            deferred = Some(altered(path, "not a downtime-billing journal"))
        }
        Some(h) if h.version != VERSION => {
            deferred = Some(FinanceError::Unsupported {
                path: path.to_path_buf(),
                version: h.version,
            })
        }
        Some(h) if h.origin == own_origin => {
            deferred = Some(FinanceError::invalid(
                path.display().to_string(),
                "这是本机自己的日志，无需导入",
                "this is this station's own journal; there is nothing to import",
            ))
        }
        Some(h) => {
            let cols_ok = TABLES.iter().all(|(t, c)| {
                h.columns
                    .get(*t)
                    .is_some_and(|hc| hc.iter().map(String::as_str).eq(c.iter().copied()))
            }) && h.columns.len() == TABLES.len();
            if !cols_ok {
                deferred = Some(altered(
                    path,
                    "the header's column lists are not version 1's",
                ));
            }
        }
    }
    let (origin, terminal) = header
        .as_ref()
        .map(|h| (h.origin.clone(), h.terminal.clone()))
        .unwrap_or_default();
    let marks = if deferred.is_none() && !foreign {
        marks_of(&tx, &origin)?
    } else {
        HashMap::new()
    };
    let receipts_before: i64 =
        tx.query_row("SELECT COALESCE(MAX(id), 0) FROM receipts", [], |r| {
            r.get(0)
        })?;
    // The import's own id, taken now (this transaction holds the table):
    // digests are recorded under it as the records stream in, before its
    // row exists, so foreign keys are checked at commit.
    let import_id: i64 = tx.query_row(
        "SELECT COALESCE(MAX(id), 0) + 1 FROM journal_imports",
        [],
        |r| r.get(0),
    )?;
    tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
    let streamed = header
        .as_ref()
        .is_some_and(|h| h.layout.as_deref() == Some(LAYOUT_BY_RECEIPT));
    let mut imp = Importer {
        tx: &tx,
        origin: origin.clone(),
        terminal: terminal.clone(),
        new_marks: marks.clone(),
        marks,
        added: BTreeMap::new(),
        collisions: Vec::new(),
        cached_receipt: None,
        audit_prev: None,
        inserts: HashMap::new(),
        put_map: tx.prepare(
            "INSERT INTO journal_map(origin, tbl, src_id, local_id, n) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?,
        put_digest: TableInserts::prepare(&tx, "journal_receipt_digests", DIGEST_COLS)?,
        run: None,
        small_map: SmallMap::default(),
        import_id,
        streamed,
        pending: None,
        provenance: Sha256::new(),
        at: 0,
        queued: Vec::new(),
        next_receipt: receipts_before + 1,
        held: Vec::new(),
        digest_rows: Vec::new(),
    };
    let mut trailer: Option<Trailer> = None;
    let mut rows: BTreeMap<String, u64> = BTreeMap::new();
    // A reader thread reads ahead, hashes and parses the rows (bounded: a
    // few batches in flight); this thread checks and inserts, and sends
    // each batch back to be freed there.
    let (ahead_tx, ahead_rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<Ahead>>>(4);
    let (back_tx, back_rx) = std::sync::mpsc::channel::<Vec<Ahead>>();
    let Digests { whole, body } = std::thread::scope(|scope| -> Result<Digests, FinanceError> {
        let reading = scope.spawn(move || read_ahead(reader, ahead_tx, back_rx, digests));
        'lines: for batch in ahead_rx {
            let mut batch = batch.map_err(io_err(path))?;
            for (at, (line, parsed)) in batch.iter_mut().enumerate() {
                imp.at = at;
                let n = line.len() as u64;
                read += n;
                if read % (1 << 22) < n {
                    progress(read, size);
                }
                if trailer.is_some() {
                    deferred.get_or_insert_with(|| altered(path, "data after the end record"));
                    continue;
                }
                if line.starts_with(b"{\"end\"") {
                    match trailer_of(line) {
                        Some(t) => trailer = Some(t),
                        None => {
                            deferred.get_or_insert_with(|| {
                                altered(path, "the end record is not readable")
                            });
                        }
                    }
                    continue;
                }
                if line.last() != Some(&b'\n') {
                    // The last line was cut short.
                    break 'lines;
                }
                if deferred.is_some() || foreign {
                    continue;
                }
                if parsed.is_none() {
                    *parsed = Some(parse_row(line));
                }
                let result = match parsed {
                    Some(Some((table, vals))) => {
                        match rows.get_mut(table.as_str()) {
                            Some(n) => *n += 1,
                            None => {
                                rows.insert(table.clone(), 1);
                            }
                        }
                        imp.row(path, table, vals)
                    }
                    _ => Err(altered(
                        path,
                        "a row is not readable (a table name, then nulls, integers and strings)",
                    )),
                };
                if let Err(e) = result {
                    deferred = Some(e);
                }
            }
            // The batch's lines and payments go in before it goes back.
            if let Err(e) = imp.flush(&batch) {
                deferred.get_or_insert(e);
            }
            // Freed by the reader (or dropped here when it has stopped).
            let _ = back_tx.send(batch);
        }
        // The loop ended (the file's end, or a line cut short): the reader
        // stops at the end of the file or when nobody listens.
        drop(back_tx);
        reading.join().map_err(|_| FinanceError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("the journal reader thread stopped"),
        })
    })?;
    if deferred.is_none()
        && !foreign
        && let Err(e) = imp
            .finish_pending()
            .and_then(|()| imp.flush_digests())
            .and_then(|()| imp.flush_run())
    {
        deferred = Some(e);
    }
    progress(read, size);
    let Some(trailer) = trailer else {
        return Err(FinanceError::Truncated {
            path: path.to_path_buf(),
        });
    };
    let digest = body.finalize();
    let sig_ok = hex::decode(&trailer.end.hmac)
        .map(|tag| key.verify(&signed_message(&digest, &trailer.end.rows), &tag))
        .unwrap_or(false);
    if !sig_ok || trailer.end.sha256 != hex::encode(digest) {
        if let Some(h) = header.filter(|_| foreign) {
            return Err(FinanceError::ForeignHospital {
                path: path.to_path_buf(),
                found: h.key_fingerprint,
                held: key.fingerprint(),
            });
        }
        return Err(altered(path, "its signature does not match its content"));
    }
    if let Some(e) = deferred {
        return Err(e);
    }
    if trailer
        .end
        .rows
        .iter()
        .any(|(t, n)| rows.get(t).copied().unwrap_or(0) != *n)
        || rows.keys().any(|t| !trailer.end.rows.contains_key(t))
    {
        return Err(altered(path, "its row counts do not match its end record"));
    }
    let header = header.ok_or_else(|| altered(path, "no header"))?;
    // The importer's held statements borrow the transaction: it ends here.
    let Outcome {
        mut provenance,
        new_marks,
        added,
        collisions,
        streamed,
    } = imp.finish();
    let receipts_added = added.get("receipts").copied().unwrap_or(0);
    let changed = !added.is_empty() || !collisions.is_empty();
    if changed {
        let file_sha = hex::encode(whole.finalize());
        tx.execute(
            "INSERT INTO journal_imports(id, origin, terminal, hospital, file_name, file_sha256,
                                         exported_at, imported_at, imported_by, marks, added)
             VALUES (?11, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                origin,
                terminal,
                header.hospital,
                path.display().to_string(),
                file_sha,
                header.exported_at,
                stamp(clock.now()),
                session.user().as_str(),
                serde_json::to_string(&new_marks).unwrap_or_default(),
                serde_json::to_string(&added).unwrap_or_default(),
                import_id,
            ],
        )?;
        let id = import_id;
        if !streamed {
            record_digests(&tx, id, receipts_before, &mut provenance)?;
        }
        for c in &collisions {
            tx.execute(
                "INSERT INTO journal_collisions(import_id, kind, record, detail) VALUES (?1, ?2, ?3, ?4)",
                params![id, c.kind, c.record, c.detail],
            )?;
        }
        provenance_events(&tx, id, &mut provenance)?;
        let provenance = hex::encode(provenance.finalize());
        audit::record(
            &tx,
            &Actor::of(session),
            clock,
            "journal.import",
            &[format!("journal_import:{id}")],
            serde_json::json!({
                "import_id": id,
                "origin": origin,
                "terminal": terminal,
                "file_sha256": file_sha,
                "added": added,
                "collisions": collisions.len(),
                "provenance_sha256": provenance,
            }),
        )?;
    }
    let double_dispensings = double_dispensings(&tx)?;
    tx.commit()?;
    Ok(ImportOutcome {
        file: path.to_path_buf(),
        terminal,
        origin,
        exported_at: header.exported_at,
        already_imported: !changed,
        import_id: changed.then_some(import_id),
        added,
        receipts_added,
        collisions,
        double_dispensings,
    })
}

/// Records the content digest of every receipt this import added, as
/// stored here: what `verify` checks them against. Only for journals whose
/// lines and payments come after all receipts (written before the
/// `by_receipt` layout); otherwise the digests were taken while inserting.
fn record_digests(
    tx: &Connection,
    import_id: i64,
    receipts_before: i64,
    provenance: &mut Sha256,
) -> Result<(), FinanceError> {
    // The digest `receipts::integrity::receipt_digest` computes receipt by
    // receipt, here in one ordered pass over the three tables.
    let mut ins = tx.prepare(&insert_sql("journal_receipt_digests", DIGEST_COLS, 1))?;
    let mut rs = tx.prepare("SELECT * FROM receipts WHERE id > ?1 ORDER BY id")?;
    let mut ls = tx.prepare(
        "SELECT * FROM receipt_lines WHERE receipt_id > ?1 ORDER BY receipt_id, line_no",
    )?;
    let mut ps = tx.prepare(
        "SELECT * FROM receipt_payments WHERE receipt_id > ?1 ORDER BY receipt_id, pay_no",
    )?;
    let (rn, ln, pn) = (rs.column_count(), ls.column_count(), ps.column_count());
    let number_col = rs.column_index("number")?;
    let mut receipts = rs.query([receipts_before])?;
    let mut lines = ls.query([receipts_before])?;
    let mut pays = ps.query([receipts_before])?;
    let owned = |r: &rusqlite::Row<'_>, n: usize| -> rusqlite::Result<(i64, Vec<Value>)> {
        let id: i64 = r.get(0)?;
        let vals = (0..n)
            .map(|i| r.get::<_, Value>(i))
            .collect::<rusqlite::Result<_>>()?;
        Ok((id, vals))
    };
    let mut next_line = match lines.next()? {
        Some(r) => Some(owned(r, ln)?),
        None => None,
    };
    let mut next_pay = match pays.next()? {
        Some(r) => Some(owned(r, pn)?),
        None => None,
    };
    let row_into = |h: &mut Sha256, vals: &[Value]| {
        h.update(b"row");
        for v in vals {
            crate::receipts::integrity::feed(h, ValueRef::from(v));
        }
    };
    while let Some(r) = receipts.next()? {
        let mut h = Sha256::new();
        let id: i64 = r.get(0)?;
        let number: String = r.get(number_col)?;
        h.update(b"row");
        for i in 0..rn {
            crate::receipts::integrity::feed(&mut h, r.get_ref(i)?);
        }
        while let Some((rid, vals)) = next_line.take() {
            if rid != id {
                next_line = Some((rid, vals));
                break;
            }
            row_into(&mut h, &vals);
            next_line = match lines.next()? {
                Some(r) => Some(owned(r, ln)?),
                None => None,
            };
        }
        while let Some((rid, vals)) = next_pay.take() {
            if rid != id {
                next_pay = Some((rid, vals));
                break;
            }
            row_into(&mut h, &vals);
            next_pay = match pays.next()? {
                Some(r) => Some(owned(r, pn)?),
                None => None,
            };
        }
        let digest = h.finalize();
        ins.execute(params![id, import_id, number, &digest[..]])?;
        provenance_line(provenance, &number, &hex::encode(digest));
    }
    Ok(())
}

/// How an imported receipt's digest is recorded (`journal_receipt_digests`:
/// by local id, in insertion order; imports before that table recorded
/// them in `journal_receipts`, by number).
const DIGEST_COLS: &[&str] = &["receipt_id", "import_id", "number", "sha256"];

/// One receipt's line of a provenance digest: `number=digest` (hex).
fn provenance_line(h: &mut Sha256, number: &str, digest_hex: &str) {
    h.update(number.as_bytes());
    h.update(b"=");
    h.update(digest_hex.as_bytes());
    h.update(b"\n");
}

/// The event part of an import's provenance digest: `event ID=digest`
/// lines, by id.
fn provenance_events(conn: &Connection, import_id: i64, h: &mut Sha256) -> Result<(), StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT event_id, event_sha256 FROM journal_events WHERE import_id = ?1 ORDER BY event_id",
    )?;
    let mut rows = st.query([import_id])?;
    while let Some(r) = rows.next()? {
        let (n, d): (i64, String) = (r.get(0)?, r.get(1)?);
        h.update(format!("event {n}={d}\n").as_bytes());
    }
    Ok(())
}

/// The provenance digest of every import, as its audit entry carries it:
/// SHA-256 over the import's receipt digests (those recorded by number
/// first, in number order, then those recorded by local id, in id order;
/// [`provenance_line`]) and then its event digests ([`provenance_events`]).
/// The import computes the same while it records them.
fn provenance_digests(conn: &Connection) -> Result<BTreeMap<i64, String>, StoreError> {
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM journal_imports ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut hashers: BTreeMap<i64, Sha256> = ids.iter().map(|&i| (i, Sha256::new())).collect();
    let mut st = conn.prepare_cached(
        "SELECT number, content_sha256 FROM journal_receipts WHERE import_id = ?1 ORDER BY number",
    )?;
    for (id, h) in hashers.iter_mut() {
        let mut rows = st.query([id])?;
        while let Some(r) = rows.next()? {
            let (n, d): (String, String) = (r.get(0)?, r.get(1)?);
            provenance_line(h, &n, &d);
        }
    }
    let has_new: bool = crate::store::has_table(conn, "journal_receipt_digests")?;
    if has_new {
        // One pass over every import's digests.
        let mut st = conn.prepare(
            "SELECT import_id, number, sha256 FROM journal_receipt_digests ORDER BY receipt_id",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(h) = hashers.get_mut(&r.get(0)?) {
                let (n, d): (String, Vec<u8>) = (r.get(1)?, r.get(2)?);
                provenance_line(h, &n, &hex::encode(d));
            }
        }
    }
    for (id, h) in hashers.iter_mut() {
        provenance_events(conn, *id, h)?;
    }
    Ok(hashers
        .into_iter()
        .map(|(id, h)| (id, hex::encode(h.finalize())))
        .collect())
}

/// The digests `verify` uses for imported records in place of the issuing
/// terminal's audit entries: (receipt number → digest, local event id →
/// digest).
#[allow(clippy::type_complexity)]
pub fn imported_digests(
    conn: &Connection,
) -> Result<(Vec<(String, String)>, Vec<(i64, String)>), StoreError> {
    let has: bool = crate::store::has_table(conn, "journal_receipts")?;
    if !has {
        return Ok((vec![], vec![]));
    }
    let mut st = conn.prepare("SELECT number, content_sha256 FROM journal_receipts")?;
    let mut r: Vec<(String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let has_new: bool = crate::store::has_table(conn, "journal_receipt_digests")?;
    if has_new {
        let mut st = conn.prepare("SELECT number, sha256 FROM journal_receipt_digests")?;
        let mut rows = st.query([])?;
        while let Some(row) = rows.next()? {
            r.push((row.get(0)?, hex::encode(row.get::<_, Vec<u8>>(1)?)));
        }
    }
    let mut st = conn.prepare("SELECT event_id, event_sha256 FROM journal_events")?;
    let e = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok((r, e))
}

/// The `verify` check of the provenance rows: each import's digests must
/// be what its audit entry recorded.
pub fn verify_imports(
    conn: &Connection,
    _key: Option<&SigningKey>,
) -> Result<crate::verify::Checked, StoreError> {
    let mut out = crate::verify::Checked::default();
    let mut st =
        conn.prepare("SELECT details FROM audit_log WHERE action = 'journal.import' ORDER BY seq")?;
    let recorded: HashMap<i64, String> = st
        .query_map([], |r| r.get::<_, String>(0))?
        .filter_map(|d| d.ok())
        .filter_map(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
        .filter_map(|d| {
            Some((
                d.get("import_id")?.as_i64()?,
                d.get("provenance_sha256")?.as_str()?.to_string(),
            ))
        })
        .collect();
    for (id, now) in provenance_digests(conn)? {
        out.records += 1;
        if recorded.get(&id) != Some(&now) {
            out.problems.push(crate::verify::Problem::new(
                "journals",
                format!("journal_imports {id}"),
                "its imported records' digests differ from what the import recorded",
                "导入记录的摘要与导入时登记的不一致",
            ));
        }
    }
    Ok(out)
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or(Decimal::ZERO)
}

/// Receipt lines dispensed at two or more pharmacy terminals for more than
/// was paid (the line's quantity less what credit notes refunded).
pub fn double_dispensings(conn: &Connection) -> Result<Vec<DoubleDispensing>, FinanceError> {
    let mut st = conn.prepare(
        "SELECT receipt_number, line_no, MIN(code), GROUP_CONCAT(DISTINCT terminal)
           FROM dispensings GROUP BY receipt_number, line_no
         HAVING COUNT(DISTINCT terminal) > 1 ORDER BY receipt_number, line_no",
    )?;
    let groups: Vec<(String, u32, String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (number, line, code, terminals) in groups {
        let mut net = Decimal::ZERO;
        let mut st = conn.prepare_cached(
            "SELECT kind, qty FROM dispensings WHERE receipt_number = ?1 AND line_no = ?2",
        )?;
        let mut rows = st.query(params![number, line])?;
        while let Some(r) = rows.next()? {
            let (kind, qty): (String, String) = (r.get(0)?, r.get(1)?);
            if kind == "dispensed" {
                net += dec(&qty);
            } else {
                net -= dec(&qty);
            }
        }
        let paid: Option<String> = conn
            .prepare_cached(
                "SELECT l.qty FROM receipts r JOIN receipt_lines l ON l.receipt_id = r.id
                  WHERE r.number = ?1 AND l.line_no = ?2",
            )?
            .query_row(params![number, line], |r| r.get(0))
            .optional()?;
        let Some(paid) = paid else {
            continue;
        };
        let mut paid = dec(&paid);
        let mut st = conn.prepare_cached(
            "SELECT l.qty FROM receipts c JOIN receipt_lines l ON l.receipt_id = c.id
              WHERE c.original_number = ?1 AND l.refers_line = ?2",
        )?;
        for q in st.query_map(params![number, line], |r| r.get::<_, String>(0))? {
            paid += dec(&q?); // negative on credit notes
        }
        if net > paid {
            let mut terminals: Vec<String> = terminals.split(',').map(str::to_string).collect();
            terminals.sort();
            out.push(DoubleDispensing {
                receipt: number,
                line,
                code,
                paid_qty: paid.normalize().to_string(),
                dispensed_qty: net.normalize().to_string(),
                terminals,
            });
        }
    }
    Ok(out)
}

/// A journal file's header, read without importing (the GUI shows it
/// before the import starts).
pub fn peek(path: &Path) -> Result<Header, FinanceError> {
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let mut first = Vec::new();
    BufReader::new(file.take(1 << 20))
        .read_until(b'\n', &mut first)
        .map_err(io_err(path))?;
    serde_json::from_slice(&first).map_err(|_| altered(path, "the header line is not readable"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_positions_name_the_columns_the_importer_reads() {
        let cols = columns("receipts").unwrap_or_default();
        for (at, name) in [
            (R_NUMBER, "number"),
            (R_TERMINAL, "terminal"),
            (R_SEQ, "seq"),
            (R_TEMP_SEQ, "temp_seq"),
        ] {
            assert_eq!(cols.get(at), Some(&name), "{name}");
        }
    }

    #[test]
    fn an_insert_of_any_row_count_keeps_every_row_in_order() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t(a INTEGER, b TEXT) STRICT")
            .unwrap();
        let mut st = TableInserts::prepare(&c, "t", &["a", "b"]).unwrap();
        for n in [0i64, 1, 2, 3, 63, 64, 65, 127, 200] {
            c.execute_batch("DELETE FROM t").unwrap();
            let rows: Vec<Vec<Value>> = (0..n)
                .map(|i| vec![Value::Integer(i), Value::Text(format!("行 {i}"))])
                .collect();
            let refs: Vec<&[Value]> = rows.iter().map(Vec::as_slice).collect();
            insert_rows(&c, &mut st, "t", &["a", "b"], &refs).unwrap();
            let got: Vec<(i64, String)> = c
                .prepare("SELECT a, b FROM t ORDER BY rowid")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let want: Vec<(i64, String)> = (0..n).map(|i| (i, format!("行 {i}"))).collect();
            assert_eq!(got, want, "{n} rows");
        }
    }
}
