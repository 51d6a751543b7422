//! Reading receipts back: one receipt with its lines, payments, events and
//! credit notes, its status derived from them, and the listings (by episode,
//! the terminal's recent receipts).

use super::{ReceiptError, money};
use crate::money::Money;
use crate::store::StoreError;
use rusqlite::{Connection, OptionalExtension};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Where a receipt stands, derived from its events and credit notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Issued,
    Voided,
    PartlyRefunded,
    Refunded,
    Dispensed,
    Exchanged,
    /// Keyed into the HIS as self-pay after the deadline.
    SelfPayPosted,
    /// Re-settled under insurance.
    Resettled,
}

impl Status {
    pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
        use Status::*;
        match self {
            Issued => lang.pick("已开具", "issued"),
            Voided => lang.pick("作废", "voided"),
            PartlyRefunded => lang.pick("部分退费", "partly refunded"),
            Refunded => lang.pick("已退费", "refunded"),
            Dispensed => lang.pick("已发药", "dispensed"),
            Exchanged => lang.pick("已换票", "exchanged"),
            SelfPayPosted => lang.pick("已按自费入账", "posted as self-pay"),
            Resettled => lang.pick("已医保重新结算", "re-settled under insurance"),
        }
    }
}

/// The kinds of receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[default]
    Outpatient,
    Registration,
    Deposit,
    CreditNote,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "outpatient" => Some(Kind::Outpatient),
            "registration" => Some(Kind::Registration),
            "deposit" => Some(Kind::Deposit),
            "credit_note" => Some(Kind::CreditNote),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Outpatient => "outpatient",
            Kind::Registration => "registration",
            Kind::Deposit => "deposit",
            Kind::CreditNote => "credit_note",
        }
    }
    /// The printed title.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Outpatient => "门诊收费票据（应急手工）",
            Kind::Registration => "挂号收费票据（应急手工）",
            Kind::Deposit => "住院预交金收据（应急手工）",
            Kind::CreditNote => "退费凭证（红字，应急手工）",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineView {
    pub line: u32,
    pub code: String,
    pub name: String,
    pub spec: String,
    pub unit: String,
    pub unit_price: String,
    pub qty: String,
    pub amount: Money,
    pub category: String,
    /// Originals: how much of the line credit notes have refunded.
    pub refunded_qty: String,
    /// Originals: the money credit notes gave back for the line (what a
    /// later part refund may not exceed, with `amount`).
    #[serde(skip)]
    pub refunded_amount: Money,
    /// Credit notes: the original's line this one refunds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refers_line: Option<u32>,
}

impl LineView {
    /// The line's fee category; `category` holds its stored (Chinese) name.
    pub fn fee_category(&self) -> Option<crate::prices::Category> {
        crate::prices::Category::parse(&self.category)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PaymentView {
    pub method: String,
    pub amount: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tendered: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PayerView {
    #[serde(rename = "type")]
    pub kind: String,
    pub insurance_no: Option<String>,
    /// Insured patients paying in full are re-settled under insurance later.
    pub resettle: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EventView {
    pub id: i64,
    pub kind: String,
    pub line: Option<u32>,
    pub qty: Option<String>,
    pub at: String,
    pub user: String,
    pub supervisor: Option<String>,
    pub reason: Option<String>,
    pub details: serde_json::Value,
}

/// A receipt as stored, with its derived status.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReceiptView {
    #[serde(skip)]
    pub id: i64,
    pub number: String,
    pub terminal: String,
    pub issued_at: String,
    pub kind: Kind,
    pub title: String,
    pub total: Money,
    pub total_in_words: String,
    pub deadline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_note: Option<String>,
    pub lines: Vec<LineView>,
    pub payments: Vec<PaymentView>,
    pub change: Money,
    pub qr_payload: String,
    pub status: Status,
    pub episode_id: i64,
    pub drill: bool,
    pub cashier: String,
    pub patient: serde_json::Value,
    pub temp_patient_no: Option<String>,
    pub payer: PayerView,
    pub department: String,
    pub doctor: String,
    pub snapshot_month: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_number: Option<String>,
    pub credit_notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supervisor: Option<String>,
    pub reprints: u32,
    pub events: Vec<EventView>,
}

impl ReceiptView {
    /// The receipt as `viewer` may see it: the resident ID, phone and
    /// insurance numbers in full only for the roles that key them into the
    /// HIS ([`crate::auth::Session::sees_full_identifiers`]), masked as on
    /// the printed receipt for everyone else.
    pub fn for_viewer(mut self, viewer: &crate::auth::Session) -> ReceiptView {
        if viewer.sees_full_identifiers() {
            return self;
        }
        if let Some(p) = self.patient.as_object_mut() {
            for field in ["id_no", "phone"] {
                if let Some(v) = p.get_mut(field)
                    && let Some(text) = v.as_str()
                {
                    let masked = if field == "id_no" {
                        crate::mask::mask_id_number(text)
                    } else {
                        crate::mask::mask_phone(text)
                    };
                    *v = serde_json::Value::String(masked);
                }
            }
        }
        if let Some(n) = &self.payer.insurance_no {
            self.payer.insurance_no = Some(crate::mask::mask_tail(n, 4));
        }
        self
    }

    pub fn is_voided(&self) -> bool {
        self.events.iter().any(|e| e.kind == "void")
    }
    /// Quantity of `line` still refundable.
    pub fn refundable(&self, line: u32) -> Decimal {
        self.lines
            .iter()
            .find(|l| l.line == line)
            .map(|l| dec(&l.qty) - dec(&l.refunded_qty))
            .unwrap_or(Decimal::ZERO)
    }
    /// Sum of the quantities of `kind` events (dispensed, return_confirmed)
    /// on `line`; an event without a quantity covers the whole line.
    pub fn event_qty(&self, kind: &str, line: u32) -> Option<Decimal> {
        let l = self.lines.iter().find(|l| l.line == line)?;
        let mut sum = None;
        for e in self
            .events
            .iter()
            .filter(|e| e.kind == kind && e.line == Some(line))
        {
            let q = e.qty.as_deref().map(dec).unwrap_or_else(|| dec(&l.qty));
            sum = Some(sum.unwrap_or(Decimal::ZERO) + q);
        }
        sum
    }
}

pub(crate) fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or(Decimal::ZERO)
}

/// Quantity text as stored and shown: no trailing zeros.
pub(crate) fn qty_text(d: Decimal) -> String {
    d.normalize().to_string()
}

fn derive_status(v: &ReceiptView, dispensed: bool) -> Status {
    if v.is_voided() {
        return Status::Voided;
    }
    if v.kind != Kind::CreditNote && !v.lines.is_empty() {
        let refunded: Vec<bool> = v
            .lines
            .iter()
            .map(|l| dec(&l.refunded_qty) >= dec(&l.qty))
            .collect();
        if refunded.iter().all(|r| *r) {
            return Status::Refunded;
        }
        if v.lines.iter().any(|l| dec(&l.refunded_qty) > Decimal::ZERO) {
            return Status::PartlyRefunded;
        }
    }
    if v.events.iter().any(|e| e.kind == "exchanged") {
        return Status::Exchanged;
    }
    if v.events.iter().any(|e| e.kind == "self_pay_posted") {
        return Status::SelfPayPosted;
    }
    if v.events.iter().any(|e| e.kind == "insurance_resettled") {
        return Status::Resettled;
    }
    if dispensed || v.events.iter().any(|e| e.kind == "dispensed") {
        return Status::Dispensed;
    }
    Status::Issued
}

/// One receipt by number, or `None`. A stored text that is not valid
/// UTF-8 (written behind the program's back) is a verification failure
/// naming the receipt, not an internal error.
pub fn load(conn: &Connection, number: &str) -> Result<Option<ReceiptView>, ReceiptError> {
    load_inner(conn, number).map_err(|e| match e {
        ReceiptError::Store(StoreError::Sqlite(ref q)) if is_bad_text(q) => {
            ReceiptError::Store(StoreError::Corrupt {
                path: conn.path().map(std::path::PathBuf::from).unwrap_or_default(),
                detail: format!(
                    "receipt {}: a stored text is not valid UTF-8 ({q}); it was changed behind the program's back",
                    crate::text::inert(number)
                ),
            })
        }
        e => e,
    })
}

fn is_bad_text(e: &rusqlite::Error) -> bool {
    match e {
        rusqlite::Error::Utf8Error(..) => true,
        rusqlite::Error::FromSqlConversionFailure(_, _, inner) => {
            inner.downcast_ref::<std::str::Utf8Error>().is_some()
                || inner.downcast_ref::<std::string::FromUtf8Error>().is_some()
        }
        _ => false,
    }
}

fn load_inner(conn: &Connection, number: &str) -> Result<Option<ReceiptView>, ReceiptError> {
    let head = conn
        .prepare_cached(
            "SELECT id, number, terminal, issued_at, kind, total_fen, change_fen, deadline,
                    deadline_note, qr_payload, episode_id, drill, cashier, patient_json,
                    temp_patient_no, payer_type, insurance_no, department, doctor,
                    snapshot_month, original_number, reason, supervisor
               FROM receipts WHERE number = ?1",
        )?
        .query_row([number], |r| {
            let kind: String = r.get(4)?;
            let patient: String = r.get(13)?;
            let payer: String = r.get(15)?;
            let total = money(r.get(5)?);
            let k = Kind::parse(&kind).unwrap_or(Kind::Outpatient);
            Ok(ReceiptView {
                id: r.get(0)?,
                number: r.get(1)?,
                terminal: r.get(2)?,
                issued_at: r.get(3)?,
                kind: k,
                title: k.title().to_string(),
                total,
                total_in_words: words(total),
                deadline: r.get(7)?,
                deadline_note: r.get(8)?,
                lines: vec![],
                payments: vec![],
                change: money(r.get(6)?),
                qr_payload: r.get(9)?,
                status: Status::Issued,
                episode_id: r.get(10)?,
                drill: r.get::<_, i64>(11)? != 0,
                cashier: r.get(12)?,
                patient: serde_json::from_str(&patient).unwrap_or(serde_json::Value::Null),
                temp_patient_no: r.get(14)?,
                payer: PayerView {
                    resettle: payer == "insured_full_pay",
                    kind: payer,
                    insurance_no: r.get(16)?,
                },
                department: r.get(17)?,
                doctor: r.get(18)?,
                snapshot_month: r.get(19)?,
                original_number: r.get(20)?,
                credit_notes: vec![],
                reason: r.get(21)?,
                supervisor: r.get(22)?,
                reprints: 0,
                events: vec![],
            })
        })
        .optional()?;
    let Some(mut v) = head else {
        return Ok(None);
    };
    let mut st = conn.prepare_cached(
        "SELECT line_no, code, name, spec, unit, unit_price, qty, amount_fen, category, refers_line
           FROM receipt_lines WHERE receipt_id = ?1 ORDER BY line_no",
    )?;
    v.lines = st
        .query_map([v.id], |r| {
            Ok(LineView {
                line: r.get(0)?,
                code: r.get(1)?,
                name: r.get(2)?,
                spec: r.get(3)?,
                unit: r.get(4)?,
                unit_price: r.get(5)?,
                qty: r.get(6)?,
                amount: money(r.get(7)?),
                category: r.get(8)?,
                refunded_qty: "0".into(),
                refunded_amount: Money::from_fen(0),
                refers_line: r.get(9)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut st = conn.prepare_cached(
        "SELECT method, amount_fen, tendered_fen, reference
           FROM receipt_payments WHERE receipt_id = ?1 ORDER BY pay_no",
    )?;
    v.payments = st
        .query_map([v.id], |r| {
            Ok(PaymentView {
                method: r.get(0)?,
                amount: money(r.get(1)?),
                tendered: r.get::<_, Option<i64>>(2)?.map(money),
                reference: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut st = conn.prepare_cached(
        "SELECT id, kind, line_no, qty, at, user, supervisor, reason, details
           FROM receipt_events WHERE receipt_id = ?1 ORDER BY id",
    )?;
    v.events = st
        .query_map([v.id], |r| {
            let details: String = r.get(8)?;
            Ok(EventView {
                id: r.get(0)?,
                kind: r.get(1)?,
                line: r.get(2)?,
                qty: r.get(3)?,
                at: r.get(4)?,
                user: r.get(5)?,
                supervisor: r.get(6)?,
                reason: r.get(7)?,
                details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
            })
        })?
        .collect::<Result<_, _>>()?;
    v.reprints = v.events.iter().filter(|e| e.kind == "reprint").count() as u32;
    // Refunds are credit notes pointing at this receipt; their lines say
    // which of our lines, and how much (negative quantities).
    let mut st = conn.prepare_cached(
        "SELECT c.number, l.refers_line, l.qty, l.amount_fen
           FROM receipts c LEFT JOIN receipt_lines l ON l.receipt_id = c.id
          WHERE c.original_number = ?1 ORDER BY c.id, l.line_no",
    )?;
    type Row = (String, Option<u32>, Option<String>, Option<i64>);
    let rows: Vec<Row> = st
        .query_map([&v.number], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<Result<_, _>>()?;
    for (cn, refers, qty, fen) in rows {
        if !v.credit_notes.contains(&cn) {
            v.credit_notes.push(cn);
        }
        if let (Some(line), Some(q)) = (refers, qty)
            && let Some(l) = v.lines.iter_mut().find(|l| l.line == line)
        {
            l.refunded_qty = qty_text(dec(&l.refunded_qty) - dec(&q));
            l.refunded_amount = l.refunded_amount - Money::from_fen(fen.unwrap_or(0));
        }
    }
    // The pharmacy's records are rows of `dispensings`, keyed by number.
    let dispensed = crate::pharmacy::any_dispensed(conn, &v.number)?;
    v.status = derive_status(&v, dispensed);
    Ok(Some(v))
}

/// 大写 of a total; credit notes print the amount refunded with 负.
pub fn words(total: Money) -> String {
    if total.is_negative() {
        format!("负{}", (-total).in_words())
    } else {
        total.in_words()
    }
}

/// One receipt by number; a missing one is named.
pub fn show(conn: &Connection, number: &str) -> Result<ReceiptView, ReceiptError> {
    load(conn, number.trim())?.ok_or_else(|| ReceiptError::NotFound(number.trim().to_string()))
}

/// A short row for listings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReceiptRow {
    pub number: String,
    pub issued_at: String,
    pub kind: Kind,
    pub patient: String,
    pub total: Money,
    pub cashier: String,
    pub episode_id: i64,
    pub drill: bool,
    pub status: Status,
}

fn rows(conn: &Connection, numbers: Vec<String>) -> Result<Vec<ReceiptRow>, ReceiptError> {
    let mut out = Vec::with_capacity(numbers.len());
    for n in numbers {
        if let Some(v) = load(conn, &n)? {
            out.push(ReceiptRow {
                patient: v
                    .patient
                    .get("name")
                    .and_then(|n| n.as_str())
                    .unwrap_or_default()
                    .to_string(),
                number: v.number,
                issued_at: v.issued_at,
                kind: v.kind,
                total: v.total,
                cashier: v.cashier,
                episode_id: v.episode_id,
                drill: v.drill,
                status: v.status,
            });
        }
    }
    Ok(out)
}

/// Every receipt, or those of one episode, in order of issue.
pub fn list(conn: &Connection, episode: Option<i64>) -> Result<Vec<ReceiptRow>, ReceiptError> {
    let mut st = conn
        .prepare("SELECT number FROM receipts WHERE ?1 IS NULL OR episode_id = ?1 ORDER BY id")?;
    let numbers = st
        .query_map([episode], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    rows(conn, numbers)
}

/// The `n` latest receipts of a terminal, newest first (the cashier screen).
pub fn recent(
    conn: &Connection,
    terminal: &str,
    n: usize,
) -> Result<Vec<ReceiptRow>, ReceiptError> {
    let mut st = conn.prepare_cached(
        "SELECT number FROM receipts WHERE terminal = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let numbers = st
        .query_map(rusqlite::params![terminal, n as i64], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    rows(conn, numbers)
}

/// How many receipts this terminal has issued (credit notes included): the
/// count the backup-every-N-receipts policy is driven by.
pub fn count_issued(conn: &Connection, terminal: &str) -> Result<u64, ReceiptError> {
    let n: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM receipts WHERE terminal = ?1")?
        .query_row([terminal], |r| r.get(0))?;
    Ok(n as u64)
}

/// What the receipt history (收费记录) is narrowed by; every part is
/// optional and they all apply together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Part of the number (`00000012`, `12`).
    pub number: String,
    /// Part of the patient's name.
    pub patient: String,
    /// The local date of issue.
    pub date: Option<chrono::NaiveDate>,
    pub status: Option<Status>,
    /// Only this cashier's receipts (a cashier sees their own).
    pub cashier: Option<String>,
}

/// What a search found: the newest `limit` matching rows, and how many
/// matched in all (the screen says when the list was cut off).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub rows: Vec<ReceiptRow>,
    pub matched: usize,
}

/// A terminal's receipts matching `filter`, newest first.
pub fn search(
    conn: &Connection,
    terminal: &str,
    filter: &Filter,
    limit: usize,
) -> Result<Found, ReceiptError> {
    let like = |s: &str| {
        let t = s.trim();
        (!t.is_empty()).then(|| {
            let escaped = t
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        })
    };
    let mut st = conn.prepare_cached(
        "SELECT number FROM receipts
          WHERE terminal = ?1
            AND (?2 IS NULL OR number LIKE ?2 ESCAPE '\\')
            AND (?3 IS NULL OR patient_name LIKE ?3 ESCAPE '\\')
            AND (?4 IS NULL OR substr(issued_at, 1, 10) = ?4)
            AND (?5 IS NULL OR cashier = ?5)
          ORDER BY id DESC",
    )?;
    let numbers = st
        .query_map(
            rusqlite::params![
                terminal,
                like(&filter.number),
                like(&filter.patient),
                filter.date.map(|d| d.to_string()),
                filter.cashier,
            ],
            |r| r.get(0),
        )?
        .collect::<Result<Vec<String>, _>>()?;
    let Some(status) = filter.status else {
        let matched = numbers.len();
        let rows = rows(conn, numbers.into_iter().take(limit).collect())?;
        return Ok(Found { rows, matched });
    };
    // The status is derived: read each candidate and keep those that match.
    let mut found = Found::default();
    for number in numbers {
        for row in rows(conn, vec![number])? {
            if row.status == status {
                found.matched += 1;
                if found.rows.len() < limit {
                    found.rows.push(row);
                }
            }
        }
    }
    Ok(found)
}
