//! Which receipts a batch carries, read in bulk (four queries, whatever the
//! count) from the receipt tables that hold local and imported receipts
//! alike.
//!
//! The rules: drill receipts and voided receipts are never posted; a
//! receipt that already reached the HIS another way (exchanged at the
//! window, keyed in as self-pay, re-settled under insurance) is not posted
//! again; credit notes follow their originals and are posted as reversals.
//! `--episode` keeps the originals of one episode; `--overdue-self-pay`
//! keeps the open receipts past their exchange deadline.

use super::HisError;
use crate::money::Money;
use crate::receipts::query::Kind;
use chrono::NaiveDate;
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};

/// What a person asked to post.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Selection {
    pub episode: Option<i64>,
    pub overdue_self_pay: bool,
}

/// One line as posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostLine {
    pub line: u32,
    pub code: String,
    pub name: String,
    pub spec: String,
    pub unit: String,
    /// As the price list gave it (up to 4 decimals).
    pub unit_price: String,
    /// Negative on credit notes.
    pub qty: String,
    pub amount: Money,
    pub category: String,
    /// Credit notes: the original's line this one reverses.
    pub refers_line: Option<u32>,
}

/// One receipt as posted: the header, its lines and how it was paid.
#[derive(Debug, Clone, PartialEq)]
pub struct PostReceipt {
    pub id: i64,
    pub number: String,
    pub terminal: String,
    pub kind: Kind,
    pub original_number: Option<String>,
    pub issued_at: String,
    pub episode_id: i64,
    pub cashier: String,
    pub patient_name: String,
    pub sex: Option<String>,
    pub age: Option<String>,
    pub outpatient_no: Option<String>,
    pub inpatient_no: Option<String>,
    pub temp_patient_no: Option<String>,
    /// `self_pay` or `insured_full_pay`.
    pub payer_type: String,
    pub insurance_no: Option<String>,
    pub department: String,
    pub doctor: String,
    pub total: Money,
    pub deadline: Option<String>,
    pub lines: Vec<PostLine>,
    /// (method, amount) in the order paid.
    pub payments: Vec<(String, Money)>,
}

impl PostReceipt {
    /// A credit note is posted as the reversal of its original.
    pub fn is_reversal(&self) -> bool {
        self.kind == Kind::CreditNote
    }

    /// The patient identifier the HIS knows, best first: the inpatient
    /// number, the outpatient number, the temporary number given during
    /// the outage.
    pub fn patient_id(&self) -> Option<(&'static str, &str)> {
        if let Some(n) = self.inpatient_no.as_deref() {
            return Some(("inpatient_no", n));
        }
        if let Some(n) = self.outpatient_no.as_deref() {
            return Some(("outpatient_no", n));
        }
        self.temp_patient_no
            .as_deref()
            .map(|n| ("temp_patient_no", n))
    }
}

/// What was left out of a batch, and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub drill: usize,
    pub voided: usize,
    /// Exchanged, keyed in as self-pay or re-settled already.
    pub in_his: usize,
    /// Accepted by an earlier send on the same channel.
    pub already_accepted: usize,
}

/// The receipts of one batch, in order of issue.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub receipts: Vec<PostReceipt>,
    pub skipped: Skipped,
}

/// Event kinds after which a receipt is already in the HIS.
const IN_HIS: [&str; 3] = ["exchanged", "self_pay_posted", "insurance_resettled"];

fn opt_text(v: &serde_json::Value, key: &str) -> Option<String> {
    match v.get(key)? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Every receipt with what the rules need, in order of issue.
struct Loaded {
    receipts: Vec<PostReceipt>,
    drill: Vec<bool>,
    events: HashMap<i64, HashSet<String>>,
}

fn load_all(conn: &Connection) -> Result<Loaded, HisError> {
    let mut st = conn.prepare(
        "SELECT id, number, terminal, kind, original_number, issued_at, episode_id, drill,
                cashier, patient_name, patient_json, temp_patient_no, payer_type, insurance_no,
                department, doctor, total_fen, deadline
           FROM receipts ORDER BY id",
    )?;
    let mut receipts = Vec::new();
    let mut drill = Vec::new();
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let kind: String = r.get(3)?;
        let patient: String = r.get(10)?;
        let patient: serde_json::Value =
            serde_json::from_str(&patient).unwrap_or(serde_json::Value::Null);
        drill.push(r.get::<_, i64>(7)? != 0);
        receipts.push(PostReceipt {
            id: r.get(0)?,
            number: r.get(1)?,
            terminal: r.get(2)?,
            kind: Kind::parse(&kind).unwrap_or(Kind::Outpatient),
            original_number: r.get(4)?,
            issued_at: r.get(5)?,
            episode_id: r.get(6)?,
            cashier: r.get(8)?,
            patient_name: r.get(9)?,
            sex: opt_text(&patient, "sex"),
            age: opt_text(&patient, "age"),
            outpatient_no: opt_text(&patient, "outpatient_no"),
            inpatient_no: opt_text(&patient, "inpatient_no"),
            temp_patient_no: r.get(11)?,
            payer_type: r.get(12)?,
            insurance_no: r.get(13)?,
            department: r.get(14)?,
            doctor: r.get(15)?,
            total: Money::from_fen(r.get(16)?),
            deadline: r.get(17)?,
            lines: Vec::new(),
            payments: Vec::new(),
        });
    }
    let index: HashMap<i64, usize> = receipts
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i))
        .collect();
    let mut st = conn.prepare(
        "SELECT receipt_id, line_no, code, name, spec, unit, unit_price, qty, amount_fen,
                category, refers_line
           FROM receipt_lines ORDER BY receipt_id, line_no",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        if let Some(&i) = index.get(&id) {
            receipts[i].lines.push(PostLine {
                line: r.get(1)?,
                code: r.get(2)?,
                name: r.get(3)?,
                spec: r.get(4)?,
                unit: r.get(5)?,
                unit_price: r.get(6)?,
                qty: r.get(7)?,
                amount: Money::from_fen(r.get(8)?),
                category: r.get(9)?,
                refers_line: r.get(10)?,
            });
        }
    }
    let mut st = conn.prepare(
        "SELECT receipt_id, method, amount_fen FROM receipt_payments ORDER BY receipt_id, pay_no",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        if let Some(&i) = index.get(&id) {
            receipts[i]
                .payments
                .push((r.get(1)?, Money::from_fen(r.get(2)?)));
        }
    }
    let mut st = conn.prepare(
        "SELECT receipt_id, kind FROM receipt_events
          WHERE kind IN ('void', 'exchanged', 'self_pay_posted', 'insurance_resettled')",
    )?;
    let mut events: HashMap<i64, HashSet<String>> = HashMap::new();
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        events.entry(r.get(0)?).or_default().insert(r.get(1)?);
    }
    Ok(Loaded {
        receipts,
        drill,
        events,
    })
}

/// The batch for `sel` on `today`, leaving out what `accepted` (receipt
/// numbers already accepted on this channel) holds.
pub fn select(
    conn: &Connection,
    sel: Selection,
    today: NaiveDate,
    accepted: &HashSet<String>,
) -> Result<Batch, HisError> {
    if let Some(ep) = sel.episode {
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM episodes WHERE id = ?1", [ep], |r| {
            r.get(0)
        })?;
        if n == 0 {
            return Err(HisError::NoEpisode(ep));
        }
    }
    let overdue: Option<HashSet<String>> = if sel.overdue_self_pay {
        Some(
            crate::finance::deadlines::overdue_self_pay(conn, today)?
                .into_iter()
                .collect(),
        )
    } else {
        None
    };
    let Loaded {
        receipts,
        drill,
        events,
    } = load_all(conn)?;
    let today_text = today.format("%Y-%m-%d").to_string();
    let has = |id: i64, kind: &str| events.get(&id).is_some_and(|k| k.contains(kind));

    // Originals first: which are in the batch. Credit notes follow them.
    let mut chosen: HashSet<String> = HashSet::new();
    let mut skipped = Skipped::default();
    let mut keep = vec![false; receipts.len()];
    for (i, r) in receipts.iter().enumerate() {
        if r.kind == Kind::CreditNote {
            continue;
        }
        if sel.episode.is_some_and(|ep| ep != r.episode_id) {
            continue;
        }
        if drill[i] {
            // Said even for the overdue batch, so a drill's clerk sees why
            // nothing went out.
            let due = r
                .deadline
                .as_deref()
                .is_some_and(|d| d < today_text.as_str());
            if overdue.is_none() || due {
                skipped.drill += 1;
            }
            continue;
        }
        if let Some(o) = &overdue
            && !o.contains(&r.number)
        {
            continue;
        }
        if has(r.id, "void") {
            skipped.voided += 1;
        } else if IN_HIS.iter().any(|k| has(r.id, k)) {
            skipped.in_his += 1;
        } else {
            chosen.insert(r.number.clone());
            keep[i] = true;
        }
    }
    for (i, r) in receipts.iter().enumerate() {
        if r.kind != Kind::CreditNote {
            continue;
        }
        let follows = r
            .original_number
            .as_deref()
            .is_some_and(|o| chosen.contains(o));
        if !follows {
            continue;
        }
        if drill[i] {
            skipped.drill += 1;
        } else if has(r.id, "void") {
            skipped.voided += 1;
        } else {
            keep[i] = true;
        }
    }
    let mut out = Vec::new();
    for (r, k) in receipts.into_iter().zip(keep) {
        if !k {
            continue;
        }
        if accepted.contains(&r.number) {
            skipped.already_accepted += 1;
            continue;
        }
        out.push(r);
    }
    Ok(Batch {
        receipts: out,
        skipped,
    })
}
