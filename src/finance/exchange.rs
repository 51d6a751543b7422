//! The exchange desk: a patient brings the manual receipt back and gets an
//! HIS invoice for it; finance records which invoice (an `exchanged`
//! event). Insured patients paying in full are re-settled under insurance
//! instead (`insurance_resettled`), which needs the pharmacy's return
//! confirmation for drug lines already dispensed. After the deadline the
//! rest is keyed into the HIS as self-pay (`self_pay_posted`, recorded from
//! the HIS results by `reconcile`). Each is one event row; an HIS invoice
//! number is recorded once in the whole hospital (`his_invoices`).

use super::{FinanceError, Refusal};
use crate::audit::{self, Actor};
use crate::auth::{Role, Session};
use crate::clock::{Clock, stamp};
use crate::keys::SigningKey;
use crate::receipts::query::{self, Kind, ReceiptView, Status};
use crate::store::Store;
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use std::str::FromStr;

/// The finance event kinds on `receipt_events`.
pub const EXCHANGED: &str = "exchanged";
pub const SELF_PAY_POSTED: &str = "self_pay_posted";
pub const INSURANCE_RESETTLED: &str = "insurance_resettled";
pub const FINANCE_KINDS: [&str; 3] = [EXCHANGED, SELF_PAY_POSTED, INSURANCE_RESETTLED];

/// Longest HIS invoice number accepted.
pub const MAX_INVOICE_LEN: usize = 64;

/// An HIS invoice number as typed: trimmed, 1–64 printable characters.
pub fn parse_invoice(raw: &str) -> Result<String, FinanceError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FinanceError::invalid(
            "--his-invoice",
            "HIS 发票号不能为空",
            "the HIS invoice number must not be empty",
        ));
    }
    if s.chars().count() > MAX_INVOICE_LEN || s.chars().any(char::is_control) {
        return Err(FinanceError::invalid(
            "--his-invoice",
            format!("HIS 发票号须为 1–{MAX_INVOICE_LEN} 个可打印字符"),
            format!("the HIS invoice number must be 1–{MAX_INVOICE_LEN} printable characters"),
        ));
    }
    Ok(s.to_string())
}

/// What was recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recorded {
    pub number: String,
    pub kind: String,
    pub his_invoice: String,
    pub event_id: i64,
    pub status: Status,
}

/// Why `v` cannot take a finance record, if it cannot.
pub fn refusal(v: &ReceiptView) -> Option<Refusal> {
    if v.kind == Kind::CreditNote {
        return Some(Refusal::CreditNote);
    }
    if v.is_voided() {
        return Some(Refusal::Voided);
    }
    if v.drill {
        return Some(Refusal::Drill);
    }
    if v.status == Status::Refunded {
        return Some(Refusal::Refunded);
    }
    if v.events
        .iter()
        .any(|e| FINANCE_KINDS.contains(&e.kind.as_str()))
    {
        return Some(Refusal::AlreadyDone);
    }
    None
}

/// The receipt an HIS invoice is already recorded against.
pub fn invoice_holder(conn: &Connection, invoice: &str) -> Result<Option<String>, FinanceError> {
    Ok(conn
        .prepare_cached("SELECT receipt_number FROM his_invoices WHERE invoice = ?1")?
        .query_row([invoice], |r| r.get(0))
        .optional()?)
}

/// Inserts the event and the invoice row; returns the event id. The caller
/// has checked the receipt and writes the audit entry.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_record(
    tx: &Connection,
    receipt_id: i64,
    number: &str,
    kind: &str,
    invoice: &str,
    at: &str,
    user: &str,
    extra: serde_json::Value,
) -> Result<i64, FinanceError> {
    let mut details = serde_json::json!({ "his_invoice": invoice });
    if let (Some(d), serde_json::Value::Object(x)) = (details.as_object_mut(), extra) {
        d.extend(x);
    }
    insert_record_details(
        tx,
        receipt_id,
        number,
        kind,
        invoice,
        at,
        user,
        &details.to_string(),
    )
}

/// [`insert_record`] with the event's details already as JSON text (which
/// must hold `his_invoice`): reconciliation writes one per matched row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_record_details(
    tx: &Connection,
    receipt_id: i64,
    number: &str,
    kind: &str,
    invoice: &str,
    at: &str,
    user: &str,
    details: &str,
) -> Result<i64, FinanceError> {
    RecordWriter::new(tx)?.write(receipt_id, number, kind, invoice, at, user, details)
}

/// The two inserts of a finance record (the event, the invoice row),
/// prepared once for a run of many: reconciliation writes one per matched
/// row of the HIS file.
pub(crate) struct RecordWriter<'c> {
    conn: &'c Connection,
    event: rusqlite::Statement<'c>,
    invoice: rusqlite::Statement<'c>,
}

impl<'c> RecordWriter<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Result<Self, FinanceError> {
        Ok(RecordWriter {
            conn,
            event: conn.prepare(
                "INSERT INTO receipt_events(receipt_id, kind, at, user, details)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            invoice: conn.prepare(
                "INSERT INTO his_invoices(invoice, receipt_number, kind, event_id)
                 VALUES (?1, ?2, ?3, ?4)",
            )?,
        })
    }

    /// [`insert_record_details`] through the held statements.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn write(
        &mut self,
        receipt_id: i64,
        number: &str,
        kind: &str,
        invoice: &str,
        at: &str,
        user: &str,
        details: &str,
    ) -> Result<i64, FinanceError> {
        self.event
            .execute(params![receipt_id, kind, at, user, details])?;
        let id = self.conn.last_insert_rowid();
        self.invoice.execute(params![invoice, number, kind, id])?;
        Ok(id)
    }
}

fn record_one(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    number: &str,
    invoice: &str,
    kind: &str,
) -> Result<Recorded, FinanceError> {
    session.require(Role::Finance, "record HIS invoices")?;
    let invoice = parse_invoice(invoice)?;
    let number = number.trim();
    let tx = store.write()?;
    let v = query::load(&tx, number)?.ok_or_else(|| FinanceError::NotFound(number.into()))?;
    if let Some(why) = refusal(&v) {
        return Err(FinanceError::Refused {
            number: v.number,
            why,
        });
    }
    if let Some(holder) = invoice_holder(&tx, &invoice)? {
        return Err(FinanceError::InvoiceUsed {
            invoice,
            receipt: holder,
        });
    }
    let mut extra = serde_json::json!({});
    if kind == INSURANCE_RESETTLED {
        if !v.payer.resettle {
            return Err(FinanceError::Refused {
                number: v.number,
                why: Refusal::NotInsured,
            });
        }
        let returns = returns_cover_dispensed(&tx, &v.number)?.ok_or(FinanceError::Refused {
            number: v.number.clone(),
            why: Refusal::NeedsReturn,
        })?;
        extra = serde_json::json!({ "return_confirmations": returns });
    }
    let at = stamp(clock.now());
    let id = insert_record(
        &tx,
        v.id,
        &v.number,
        kind,
        &invoice,
        &at,
        session.user().as_str(),
        extra,
    )?;
    let digest = crate::receipts::integrity::event_digest(&tx, id)?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        &format!("finance.{kind}"),
        &[
            format!("receipt:{}", v.number),
            format!("his_invoice:{invoice}"),
        ],
        serde_json::json!({ "event_id": id, "his_invoice": invoice, "event_sha256": digest }),
    )?;
    let status = query::load(&tx, &v.number)?
        .map(|v| v.status)
        .unwrap_or(Status::Issued);
    tx.commit()?;
    Ok(Recorded {
        number: v.number,
        kind: kind.into(),
        his_invoice: invoice,
        event_id: id,
        status,
    })
}

/// Records that receipt `number` was exchanged for HIS invoice `invoice`.
/// Refused (exit 5) for voided, refunded, drill, credit-note and already
/// exchanged/posted/re-settled receipts, and for an invoice already used.
pub fn exchange(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    number: &str,
    invoice: &str,
) -> Result<Recorded, FinanceError> {
    record_one(store, session, clock, number, invoice, EXCHANGED)
}

/// Records an insured patient's re-settlement under insurance with the HIS
/// invoice; drug lines handed out must have been returned (the pharmacy's
/// return confirmations are named in the event).
pub fn resettle(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    number: &str,
    invoice: &str,
) -> Result<Recorded, FinanceError> {
    record_one(store, session, clock, number, invoice, INSURANCE_RESETTLED)
}

/// The ids of the pharmacy's return confirmations on `number` when they
/// cover everything dispensed on it, or `None` when some line is still out.
pub fn returns_cover_dispensed(
    conn: &Connection,
    number: &str,
) -> Result<Option<Vec<i64>>, FinanceError> {
    let mut st = conn.prepare_cached(
        "SELECT id, line_no, kind, qty FROM dispensings WHERE receipt_number = ?1 ORDER BY id",
    )?;
    let rows: Vec<(i64, u32, String, String)> = st
        .query_map([number], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut net: std::collections::BTreeMap<u32, Decimal> = Default::default();
    let mut returns = Vec::new();
    for (id, line, kind, qty) in rows {
        let q = Decimal::from_str(&qty).unwrap_or(Decimal::ZERO);
        let e = net.entry(line).or_default();
        if kind == "dispensed" {
            *e += q;
        } else {
            *e -= q;
            returns.push(id);
        }
    }
    if net.values().any(|q| *q > Decimal::ZERO) {
        return Ok(None);
    }
    Ok(Some(returns))
}

/// A receipt found at the desk.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Found {
    pub number: String,
    pub terminal: String,
    pub issued_at: String,
    pub patient: String,
    pub total: crate::money::Money,
    pub status: Status,
    pub insured: bool,
    pub drill: bool,
    /// Why it cannot be exchanged, if it cannot (Chinese, English).
    pub refused: Option<(String, String)>,
}

impl Found {
    fn of(v: &ReceiptView) -> Found {
        Found {
            number: v.number.clone(),
            terminal: v.terminal.clone(),
            issued_at: v.issued_at.clone(),
            patient: v
                .patient
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or_default()
                .to_string(),
            total: v.total,
            status: v.status,
            insured: v.payer.resettle,
            drill: v.drill,
            refused: refusal(v).map(|r| {
                (
                    r.text(crate::i18n::Lang::Zh).to_string(),
                    r.text(crate::i18n::Lang::En).to_string(),
                )
            }),
        }
    }
}

/// Finds receipts by number, by the text of a scanned QR code (checked
/// under the hospital key) or by patient name (part of it), at most 50.
pub fn find(conn: &Connection, key: &SigningKey, q: &str) -> Result<Vec<Found>, FinanceError> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(vec![]);
    }
    if let Ok(p) = crate::receipts::qr::parse_and_verify(q, key) {
        return Ok(query::load(conn, &p.number)?
            .iter()
            .map(Found::of)
            .collect());
    }
    if let Some(v) = query::load(conn, &q.to_uppercase())? {
        return Ok(vec![Found::of(&v)]);
    }
    let like = format!(
        "%{}%",
        q.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let mut st = conn.prepare_cached(
        "SELECT number FROM receipts WHERE patient_name LIKE ?1 ESCAPE '\\'
            OR number LIKE ?1 ESCAPE '\\' ORDER BY id DESC LIMIT 50",
    )?;
    let numbers: Vec<String> = st
        .query_map([like], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for n in numbers {
        if let Some(v) = query::load(conn, &n)? {
            out.push(Found::of(&v));
        }
    }
    Ok(out)
}
