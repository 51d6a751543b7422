//! The pharmacy: it hands out drugs only against a genuine, paid, not
//! voided, not yet dispensed receipt, and today that check is by eye. Here
//! the pharmacist scans the receipt's signed QR code and knows, with no
//! network, whether it is genuine and what it covers; dispenses by line
//! (partly when a drug is out of stock); and confirms drugs coming back,
//! which the cashier's refund of a dispensed line then requires.
//!
//! Works on the cashier's own database (a small clinic: voids and refunds
//! are seen at once) and on a pharmacy terminal holding only the hospital
//! key and the price list (then only what the code carries is known, and
//! the pharmacy's own dispensing records). Dispensings and returns are rows
//! of the append-only `dispensings` table keyed by receipt NUMBER, each
//! audited in the same transaction; they travel to finance in the journal.

mod error;

pub use error::{PharmacyError, Refusal};

use crate::audit::{self, Actor};
use crate::auth::{Role, Session};
use crate::clock::{Clock, stamp};
use crate::keys::SigningKey;
use crate::money::{Money, Quantity};
use crate::prices::{self, Category};
use crate::receipts::qr::{self, QrMeta};
use crate::receipts::query::{self, Kind, ReceiptView, Status};
use crate::store::Store;
use rusqlite::Connection;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

/// Who may verify, dispense and confirm returns.
const ROLES: [Role; 2] = [Role::Pharmacist, Role::Admin];

/// What the pharmacy has recorded for one line of a receipt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LineRecord {
    #[serde(with = "rust_decimal::serde::str")]
    pub dispensed: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub returned: Decimal,
}

/// Dispensed and return-confirmed quantities by line number, for one
/// receipt, from the `dispensings` table (every pharmacy terminal whose
/// records are in this database).
pub fn line_records(
    conn: &Connection,
    number: &str,
) -> Result<BTreeMap<u32, LineRecord>, crate::store::StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT line_no, kind, qty FROM dispensings WHERE receipt_number = ?1 ORDER BY id",
    )?;
    let rows = st
        .query_map([number], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out: BTreeMap<u32, LineRecord> = BTreeMap::new();
    for (line, kind, qty) in rows {
        let q = Decimal::from_str(&qty).unwrap_or(Decimal::ZERO);
        let e = out.entry(line).or_default();
        if kind == "dispensed" {
            e.dispensed += q;
        } else {
            e.returned += q;
        }
    }
    Ok(out)
}

/// True when any line of the receipt was ever dispensed (the cashier can
/// then no longer void it).
pub fn any_dispensed(conn: &Connection, number: &str) -> Result<bool, crate::store::StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM dispensings WHERE receipt_number = ?1 AND kind = 'dispensed')",
        )?
        .query_row([number], |r| r.get(0))?)
}

/// How the code was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A scanned QR code whose signature verified.
    Qr,
    /// A typed receipt number, looked up in this database: NOT verified.
    Number,
}

/// A note shown with the result, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Note {
    pub zh: String,
    pub en: String,
}

impl Note {
    fn new(zh: impl Into<String>, en: impl Into<String>) -> Note {
        Note {
            zh: zh.into(),
            en: en.into(),
        }
    }
    pub fn text(&self, lang: crate::i18n::Lang) -> &str {
        lang.pick(&self.zh, &self.en)
    }
}

/// One line of a checked receipt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckLine {
    /// 1-based, as printed.
    pub line: u32,
    pub code: String,
    /// From the local snapshot (or the local receipt); `None` when the code
    /// is not in it — `problem` then says so.
    pub name: Option<String>,
    pub spec: Option<String>,
    pub unit: Option<String>,
    /// 西药, 中成药, 中草药, 检查 …; `None` when unknown here.
    pub category: Option<String>,
    /// `None` when it cannot be told (item unknown here).
    pub drug: Option<bool>,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    /// Refunded by credit notes known here.
    #[serde(with = "rust_decimal::serde::str")]
    pub refunded: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub dispensed: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub returned: Decimal,
    /// Still to hand out (drug lines; 0 for the others).
    #[serde(with = "rust_decimal::serde::str")]
    pub to_dispense: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Note>,
}

impl CheckLine {
    fn whole_units(&self) -> bool {
        self.category.as_deref() != Some(Category::ChineseHerb.zh())
    }
}

/// The result of a scan that was read: genuine (or found, for a typed
/// number), or refused for a reason with the receipt still shown.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Check {
    /// `genuine` (QR verified), `found` (typed number, in this database),
    /// or the refusal: `drill`, `voided`, `refunded`, `fully_dispensed`,
    /// `credit_note`.
    pub outcome: String,
    /// The signature verified (a typed number never is).
    pub verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// The reason for a refusal, in plain words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Note>,
    pub source: Source,
    /// Payload version (1 or 2) of a scanned code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u8>,
    pub number: String,
    pub terminal: String,
    pub issued_at: String,
    pub total: Money,
    /// `None` for a version 1 code of a receipt unknown here.
    pub kind: Option<Kind>,
    pub payer_type: Option<String>,
    /// `None`: a version 1 code carries no drill flag.
    pub drill: Option<bool>,
    /// The receipt is in this database (voids and refunds are seen).
    pub known_here: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The snapshot the names came from.
    pub snapshot_month: Option<String>,
    pub lines: Vec<CheckLine>,
    pub notes: Vec<Note>,
}

impl Check {
    pub fn is_ok(&self) -> bool {
        self.refusal.is_none()
    }
    pub fn drug_lines(&self) -> impl Iterator<Item = &CheckLine> {
        self.lines.iter().filter(|l| l.drug == Some(true))
    }
    fn refuse(&mut self, r: Refusal) {
        self.outcome = serde_json::to_value(r)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        self.message = Some(Note::new(
            r.words(crate::i18n::Lang::Zh, &self.number),
            r.words(crate::i18n::Lang::En, &self.number),
        ));
        self.refusal = Some(r);
    }
}

/// Scanners with Caps Lock on type the code in lower case, and add a
/// newline or spaces: the code only ever holds upper-case letters, so
/// upper-casing restores it exactly.
pub fn normalise(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

fn looks_like_number(s: &str) -> bool {
    match s.rsplit_once('-') {
        Some((t, seq)) => {
            !t.is_empty()
                && t.bytes().all(|b| b.is_ascii_alphanumeric())
                && seq.len() == 8
                && seq.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or(Decimal::ZERO)
}

fn qty_text(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Reads a scanned code or a typed receipt number and says what it is.
/// Forged, altered, truncated or foreign-key codes are an error
/// ([`PharmacyError::Code`], exit 4); a typed number unknown here is
/// [`PharmacyError::NotKnown`]. A refusal (drill, voided, refunded, fully
/// dispensed) is a [`Check`] with `refusal` set, so the receipt still shows.
pub fn check(
    conn: &Connection,
    session: &Session,
    key: &SigningKey,
    code: &str,
) -> Result<Check, PharmacyError> {
    session.require_any(&ROLES, "verify receipts at the pharmacy")?;
    check_unchecked(conn, key, code)
}

/// [`check`] without the role check (the benchmark; the GUI after login).
pub fn check_unchecked(
    conn: &Connection,
    key: &SigningKey,
    code: &str,
) -> Result<Check, PharmacyError> {
    let text = normalise(code);
    let is_code = text.starts_with("DB1:") || text.starts_with("DB2:");
    if is_code || !looks_like_number(&text) {
        let p = qr::parse_and_verify(&text, key)?;
        let local = query::load(conn, &p.number)?;
        from_payload(conn, p, local)
    } else {
        let v = query::load(conn, &text)?.ok_or_else(|| PharmacyError::NotKnown(text.clone()))?;
        from_local(conn, v)
    }
}

fn from_payload(
    conn: &Connection,
    p: qr::QrPayload,
    local: Option<ReceiptView>,
) -> Result<Check, PharmacyError> {
    let mut notes = Vec::new();
    let meta: Option<QrMeta> = p.meta;
    if meta.is_none() {
        notes.push(Note::new(
            "旧版（第1版）票据码：码中不含演练标记、票据类别和付费类型",
            "version 1 code: it carries no drill flag, receipt kind or payer type",
        ));
    }
    let known = local.is_some();
    let mut lines: Vec<CheckLine> = p
        .items
        .iter()
        .enumerate()
        .map(|(i, (code, qty))| blank_line(i as u32 + 1, code, *qty))
        .collect();
    let issued = p.issued_at;
    let snapshot_month = match &local {
        Some(v) => {
            fill_from_receipt(&mut lines, v);
            v.snapshot_month.clone()
        }
        None => fill_from_snapshot(conn, &mut lines, issued.date_naive(), &mut notes)?,
    };
    let number = p.number.clone();
    let kind = meta
        .map(|m| m.kind)
        .or(local.as_ref().map(|v| v.kind))
        .or_else(|| (p.total < Decimal::ZERO).then_some(Kind::CreditNote));
    let drill = meta.map(|m| m.drill).or(local.as_ref().map(|v| v.drill));
    let payer_type = meta
        .map(|m| m.payer_type().to_string())
        .or(local.as_ref().map(|v| v.payer.kind.clone()));
    if !known {
        notes.push(Note::new(
            "本机没有此票据的收费记录：作废、退费只在收费终端可见",
            "this receipt is not in this database: voids and refunds are only seen at the cashier's terminal",
        ));
    }
    let mut c = Check {
        outcome: "genuine".into(),
        verified: true,
        refusal: None,
        message: None,
        source: Source::Qr,
        version: Some(if meta.is_some() { 2 } else { 1 }),
        terminal: p.terminal,
        issued_at: stamp(issued),
        total: Money::from_decimal(p.total),
        kind,
        payer_type,
        drill,
        known_here: known,
        status: local.as_ref().map(|v| v.status),
        snapshot_month,
        lines,
        notes,
        number,
    };
    finish(conn, &mut c, local.as_ref())?;
    Ok(c)
}

fn from_local(conn: &Connection, v: ReceiptView) -> Result<Check, PharmacyError> {
    let mut lines: Vec<CheckLine> = v
        .lines
        .iter()
        .map(|l| blank_line(l.line, &l.code, dec(&l.qty)))
        .collect();
    fill_from_receipt(&mut lines, &v);
    let mut c = Check {
        outcome: "found".into(),
        verified: false,
        refusal: None,
        message: None,
        source: Source::Number,
        version: None,
        number: v.number.clone(),
        terminal: v.terminal.clone(),
        issued_at: v.issued_at.clone(),
        total: v.total,
        kind: Some(v.kind),
        payer_type: Some(v.payer.kind.clone()),
        drill: Some(v.drill),
        known_here: true,
        status: Some(v.status),
        snapshot_month: v.snapshot_month.clone(),
        lines,
        notes: vec![Note::new(
            "手输票号：按本机记录查询，未经签名核验；请核对纸质票据",
            "typed number: looked up in this database, NOT verified by signature; check the paper receipt",
        )],
    };
    finish(conn, &mut c, Some(&v))?;
    Ok(c)
}

fn blank_line(line: u32, code: &str, qty: Decimal) -> CheckLine {
    CheckLine {
        line,
        code: code.to_string(),
        name: None,
        spec: None,
        unit: None,
        category: None,
        drug: None,
        qty,
        refunded: Decimal::ZERO,
        dispensed: Decimal::ZERO,
        returned: Decimal::ZERO,
        to_dispense: Decimal::ZERO,
        problem: None,
    }
}

/// Names as issued, from the receipt in this database.
fn fill_from_receipt(lines: &mut [CheckLine], v: &ReceiptView) {
    for l in lines.iter_mut() {
        if let Some(r) = v.lines.iter().find(|r| r.line == l.line) {
            l.name = Some(r.name.clone());
            l.spec = Some(r.spec.clone());
            l.unit = Some(r.unit.clone());
            l.drug = Some(Category::parse(&r.category).is_some_and(|c| c.is_drug()));
            l.category = Some(r.category.clone());
            l.refunded = dec(&r.refunded_qty);
        }
    }
}

/// Names from the snapshot in force in the receipt's month; a missing
/// snapshot or code is said plainly.
fn fill_from_snapshot(
    conn: &Connection,
    lines: &mut [CheckLine],
    issued: chrono::NaiveDate,
    notes: &mut Vec<Note>,
) -> Result<Option<String>, PharmacyError> {
    let month = crate::domain::Month::of(issued).to_string();
    let Some(snap) = prices::db::snapshot_in_force(conn, issued)? else {
        notes.push(Note::new(
            format!("本机没有 {month} 的价目表：无法显示品名、规格和单位，也无法判断是否药品；请导入价目表"),
            format!("no price list for {month} is held here: names, specs and units cannot be shown nor drugs told; import the price list"),
        ));
        for l in lines.iter_mut() {
            l.problem = Some(Note::new(
                format!("本机没有 {month} 的价目表"),
                format!("no {month} price list held here"),
            ));
        }
        return Ok(None);
    };
    let held = snap.month.to_string();
    for l in lines.iter_mut() {
        match prices::db::find_item(conn, snap.id, &l.code)? {
            Some(item) => {
                l.name = Some(item.name);
                l.spec = Some(item.spec);
                l.unit = Some(item.unit);
                l.drug = Some(item.category.is_drug());
                l.category = Some(item.category.zh().to_string());
            }
            None => {
                l.problem = Some(Note::new(
                    format!("项目 {} 不在本机 {held} 价目表中", l.code),
                    format!("item {} is not in the {held} price list held here", l.code),
                ));
            }
        }
    }
    Ok(Some(held))
}

/// Adds what the pharmacy recorded, what is left to dispense and the
/// refusal, if any.
fn finish(
    conn: &Connection,
    c: &mut Check,
    local: Option<&ReceiptView>,
) -> Result<(), PharmacyError> {
    let records = line_records(conn, &c.number)?;
    for l in c.lines.iter_mut() {
        let r = records.get(&l.line).copied().unwrap_or_default();
        l.dispensed = r.dispensed;
        l.returned = r.returned;
        l.to_dispense = if l.drug == Some(true) {
            left_to_dispense(l.qty, l.refunded, r)
        } else {
            Decimal::ZERO
        };
    }
    let refusal = if c.drill == Some(true) {
        Some(Refusal::Drill)
    } else if c.kind == Some(Kind::CreditNote) {
        Some(Refusal::CreditNote)
    } else if local.is_some_and(|v| v.status == Status::Voided) {
        Some(Refusal::Voided)
    } else if local.is_some_and(|v| v.status == Status::Refunded) {
        Some(Refusal::Refunded)
    } else if c.drug_lines().next().is_some()
        && c.drug_lines().all(|l| l.to_dispense <= Decimal::ZERO)
        && c.drug_lines().any(|l| l.dispensed > Decimal::ZERO)
    {
        Some(Refusal::FullyDispensed)
    } else {
        None
    };
    if let Some(r) = refusal {
        c.refuse(r);
    } else if c.drug_lines().next().is_none() && c.lines.iter().all(|l| l.drug.is_some()) {
        c.notes.push(Note::new(
            "此票据没有药品行：药房无药可发",
            "this receipt has no drug lines: nothing for the pharmacy to dispense",
        ));
    }
    Ok(())
}

/// Paid, less what was handed out, less refunds the pharmacy has not taken
/// back (a refund of an undispensed part). Drugs returned and awaiting the
/// cashier's refund are not handed out again.
fn left_to_dispense(paid: Decimal, refunded: Decimal, r: LineRecord) -> Decimal {
    let unreturned_refund = (refunded - r.returned).max(Decimal::ZERO);
    (paid - r.dispensed - unreturned_refund).max(Decimal::ZERO)
}

/// One `--line N[:QTY]`: the 1-based line and the quantity (all that is
/// left when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineQty {
    pub line: u32,
    pub qty: Option<Decimal>,
}

impl LineQty {
    pub fn parse(s: &str) -> Result<LineQty, PharmacyError> {
        let bad = || PharmacyError::BadLine(s.to_string());
        let (n, q) = match s.split_once(':') {
            Some((n, q)) => (n, Some(q)),
            None => (s, None),
        };
        let line: u32 = n.trim().parse().map_err(|_| bad())?;
        if line == 0 {
            return Err(bad());
        }
        let qty = match q {
            Some(q) => Some(Quantity::parse(q).map_err(|_| bad())?.decimal()),
            None => None,
        };
        Ok(LineQty { line, qty })
    }
}

/// One dispensing or return row as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recorded {
    pub receipt_number: String,
    pub line: u32,
    pub code: String,
    pub name: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    pub kind: String,
    pub terminal: String,
    pub user: String,
    pub at: String,
    pub reason: Option<String>,
}

/// What a dispensing did: the rows written and the receipt afterwards
/// (partial dispensing shows as lines with something left).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Dispensed {
    pub number: String,
    pub recorded: Vec<Recorded>,
    /// Nothing is left to dispense on any drug line.
    pub complete: bool,
    pub check: Check,
}

fn insert(tx: &Connection, r: &Recorded) -> Result<i64, PharmacyError> {
    tx.prepare_cached(
        "INSERT INTO dispensings(receipt_number, line_no, code, qty, kind, terminal, user, at, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(rusqlite::params![
        r.receipt_number,
        r.line,
        r.code,
        qty_text(r.qty),
        r.kind,
        r.terminal,
        r.user,
        r.at,
        r.reason,
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Records the handing out of drug lines of a verified receipt: all that is
/// left of every drug line when `lines` is empty. More than was paid,
/// non-drug lines and refused receipts are refused; nothing is written
/// then. One transaction with its audit entry.
pub fn dispense(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    key: &SigningKey,
    code: &str,
    lines: &[LineQty],
) -> Result<Dispensed, PharmacyError> {
    session.require_any(&ROLES, "dispense drugs")?;
    let tx = store.write()?;
    // Checked under the write lock: another pharmacy window may have acted.
    let c = check_unchecked(&tx, key, code)?;
    if let Some(r) = c.refusal {
        return Err(PharmacyError::Refused {
            number: c.number.clone(),
            reason: r,
        });
    }
    let mut wanted: Vec<(u32, Decimal)> = Vec::new();
    if lines.is_empty() {
        for l in c.drug_lines() {
            if l.to_dispense > Decimal::ZERO {
                wanted.push((l.line, l.to_dispense));
            }
        }
        if wanted.is_empty() {
            // Lines not in the price list held here cannot be told to be
            // drugs: say so rather than "nothing left".
            if let Some(l) = c.lines.iter().find(|l| l.drug.is_none()) {
                return Err(unknown_item(&c, l));
            }
            return Err(PharmacyError::NothingToDispense(c.number.clone()));
        }
    } else {
        for lq in lines {
            let l = find_line(&c, lq.line)?;
            match l.drug {
                Some(true) => {}
                Some(false) => {
                    return Err(PharmacyError::NotADrug {
                        number: c.number.clone(),
                        line: l.line,
                        code: l.code.clone(),
                        category: l.category.clone().unwrap_or_default(),
                    });
                }
                None => return Err(unknown_item(&c, l)),
            }
            let before: Decimal = wanted
                .iter()
                .filter(|(n, _)| *n == l.line)
                .map(|(_, q)| *q)
                .sum();
            let left = l.to_dispense - before;
            let qty = lq.qty.unwrap_or(left);
            let paid = l.qty - l.refunded;
            if lq.qty.is_some() && qty + before > paid {
                return Err(PharmacyError::MoreThanPaid {
                    number: c.number.clone(),
                    line: l.line,
                    asked: qty_text(qty + before),
                    paid: qty_text(paid),
                });
            }
            if qty <= Decimal::ZERO || qty > left {
                return Err(PharmacyError::MoreThanLeft {
                    number: c.number.clone(),
                    line: l.line,
                    asked: qty_text(qty),
                    left: qty_text(left.max(Decimal::ZERO)),
                });
            }
            if l.whole_units() && !qty.fract().is_zero() {
                return Err(PharmacyError::WholeUnits {
                    number: c.number.clone(),
                    line: l.line,
                    qty: qty_text(qty),
                });
            }
            wanted.push((l.line, qty));
        }
    }
    let at = stamp(clock.now());
    let mut recorded = Vec::new();
    let mut ids = Vec::new();
    for (line, qty) in wanted {
        let l = find_line(&c, line)?;
        let r = Recorded {
            receipt_number: c.number.clone(),
            line,
            code: l.code.clone(),
            name: l.name.clone(),
            qty,
            kind: "dispensed".into(),
            terminal: session.terminal().to_string(),
            user: session.user().to_string(),
            at: at.clone(),
            reason: None,
        };
        ids.push(insert(&tx, &r)?);
        recorded.push(r);
    }
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "pharmacy.dispense",
        &[format!("receipt:{}", c.number)],
        serde_json::json!({
            "source": c.source,
            "verified": c.verified,
            "dispensing_ids": ids,
            "lines": recorded.iter().map(|r| serde_json::json!({
                "line": r.line, "code": r.code, "qty": qty_text(r.qty)
            })).collect::<Vec<_>>(),
        }),
    )?;
    let after = check_unchecked(&tx, key, code)?;
    tx.commit()?;
    let complete = after.drug_lines().all(|l| l.to_dispense <= Decimal::ZERO);
    Ok(Dispensed {
        number: c.number.clone(),
        complete,
        recorded,
        check: after,
    })
}

fn unknown_item(c: &Check, l: &CheckLine) -> PharmacyError {
    PharmacyError::UnknownItem {
        number: c.number.clone(),
        line: l.line,
        code: l.code.clone(),
        month: c
            .snapshot_month
            .clone()
            .unwrap_or_else(|| month_of(&c.issued_at)),
    }
}

fn month_of(rfc3339: &str) -> String {
    rfc3339.get(..7).unwrap_or(rfc3339).to_string()
}

fn find_line(c: &Check, line: u32) -> Result<&CheckLine, PharmacyError> {
    c.lines
        .iter()
        .find(|l| l.line == line)
        .ok_or_else(|| PharmacyError::NoSuchLine {
            number: c.number.clone(),
            line,
            count: c.lines.len(),
        })
}

/// Confirms drugs coming back to the pharmacy (for a refund, or an insured
/// patient's re-settlement), by line: at most what this database records as
/// dispensed and not yet returned. `what` is a receipt number or its
/// scanned code. One transaction with its audit entry.
pub fn confirm_return(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    key: &SigningKey,
    what: &str,
    lines: &[LineQty],
    reason: Option<&str>,
) -> Result<Vec<Recorded>, PharmacyError> {
    session.require_any(&ROLES, "confirm drug returns")?;
    let text = normalise(what);
    let number = if looks_like_number(&text) {
        text
    } else {
        qr::parse_and_verify(&text, key)?.number
    };
    if lines.is_empty() {
        return Err(PharmacyError::BadLine(String::new()));
    }
    let tx = store.write()?;
    let records = line_records(&tx, &number)?;
    let mut codes: BTreeMap<u32, String> = BTreeMap::new();
    {
        let mut st = tx.prepare_cached(
            "SELECT line_no, code FROM dispensings WHERE receipt_number = ?1 AND kind = 'dispensed'",
        )?;
        for row in st.query_map([&number], |r| Ok((r.get::<_, u32>(0)?, r.get(1)?)))? {
            let (n, c) = row?;
            codes.insert(n, c);
        }
    }
    let local = query::load(&tx, &number)?;
    if records.is_empty() && local.is_none() {
        return Err(PharmacyError::NotKnown(number));
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let at = stamp(clock.now());
    let mut out: Vec<Recorded> = Vec::new();
    let mut ids = Vec::new();
    for lq in lines {
        let r = records.get(&lq.line).copied().unwrap_or_default();
        let already: Decimal = out
            .iter()
            .filter(|o| o.line == lq.line)
            .map(|o| o.qty)
            .sum();
        let out_now = r.dispensed - r.returned - already;
        let qty = lq.qty.unwrap_or(out_now);
        if qty <= Decimal::ZERO || qty > out_now {
            return Err(PharmacyError::ReturnExceeds {
                number: number.clone(),
                line: lq.line,
                asked: qty_text(qty),
                out: qty_text(out_now.max(Decimal::ZERO)),
            });
        }
        let code = codes.get(&lq.line).cloned().unwrap_or_default();
        let name = local
            .as_ref()
            .and_then(|v| v.lines.iter().find(|l| l.line == lq.line))
            .map(|l| l.name.clone());
        let rec = Recorded {
            receipt_number: number.clone(),
            line: lq.line,
            code,
            name,
            qty,
            kind: "return_confirmed".into(),
            terminal: session.terminal().to_string(),
            user: session.user().to_string(),
            at: at.clone(),
            reason: reason.map(str::to_string),
        };
        ids.push(insert(&tx, &rec)?);
        out.push(rec);
    }
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "pharmacy.return",
        &[format!("receipt:{number}")],
        serde_json::json!({
            "dispensing_ids": ids,
            "reason": reason,
            "lines": out.iter().map(|r| serde_json::json!({
                "line": r.line, "code": r.code, "qty": qty_text(r.qty)
            })).collect::<Vec<_>>(),
        }),
    )?;
    tx.commit()?;
    Ok(out)
}

/// Dispensings and returns recorded at `terminal` on `date` (local date of
/// the stamp), newest first: the pharmacy screen's list of the day.
pub fn day(
    conn: &Connection,
    terminal: &str,
    date: chrono::NaiveDate,
) -> Result<Vec<Recorded>, PharmacyError> {
    let mut st = conn.prepare_cached(
        "SELECT receipt_number, line_no, code, qty, kind, terminal, user, at, reason
           FROM dispensings WHERE terminal = ?1 AND substr(at, 1, 10) = ?2 ORDER BY id DESC",
    )?;
    let rows = st
        .query_map(
            rusqlite::params![terminal, date.format("%Y-%m-%d").to_string()],
            |r| {
                Ok(Recorded {
                    receipt_number: r.get(0)?,
                    line: r.get(1)?,
                    code: r.get(2)?,
                    name: None,
                    qty: dec(&r.get::<_, String>(3)?),
                    kind: r.get(4)?,
                    terminal: r.get(5)?,
                    user: r.get(6)?,
                    at: r.get(7)?,
                    reason: r.get(8)?,
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::dec;

    #[test]
    fn line_arguments() {
        assert_eq!(LineQty::parse("2").unwrap(), LineQty { line: 2, qty: None });
        assert_eq!(
            LineQty::parse("3:2.5").unwrap(),
            LineQty {
                line: 3,
                qty: Some(dec!(2.5))
            }
        );
        for bad in ["", "x", "0", "1:", "1:0", "1:-2", "-1"] {
            assert!(LineQty::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn what_is_left_to_dispense() {
        let r = |d, ret| LineRecord {
            dispensed: d,
            returned: ret,
        };
        assert_eq!(
            left_to_dispense(dec!(2), dec!(0), r(dec!(0), dec!(0))),
            dec!(2)
        );
        assert_eq!(
            left_to_dispense(dec!(2), dec!(0), r(dec!(1), dec!(0))),
            dec!(1)
        );
        assert_eq!(
            left_to_dispense(dec!(2), dec!(0), r(dec!(2), dec!(0))),
            dec!(0)
        );
        // returned, awaiting the cashier's refund: not handed out again
        assert_eq!(
            left_to_dispense(dec!(2), dec!(0), r(dec!(2), dec!(1))),
            dec!(0)
        );
        assert_eq!(
            left_to_dispense(dec!(2), dec!(1), r(dec!(2), dec!(1))),
            dec!(0)
        );
        // the undispensed part refunded
        assert_eq!(
            left_to_dispense(dec!(2), dec!(1), r(dec!(0), dec!(0))),
            dec!(1)
        );
        assert_eq!(
            left_to_dispense(dec!(2), dec!(1), r(dec!(1), dec!(0))),
            dec!(0)
        );
    }

    #[test]
    fn numbers_and_codes_told_apart() {
        assert!(looks_like_number("MZ01-00000017"));
        assert!(!looks_like_number("MZ01-0000017"));
        assert!(!looks_like_number("DB2:MZ01-00000017:MZ01"));
        assert_eq!(normalise("  db2:mz01-00000017\n"), "DB2:MZ01-00000017");
    }
}
