//! What happens to a receipt after it is issued, each a new row, never an
//! edit: a void (own receipt, same shift, reason, a supervisor's PIN), a
//! reprint (counted; the copy is marked 重打/COPY), and a refund — a credit
//! note numbered from the same range, linked to the original, by line and
//! quantity, never more than what remains refundable, and for drug lines
//! already dispensed only against the pharmacy's return confirmation (rows
//! of the `dispensings` table, read through [`crate::pharmacy`]).

use super::issue::{Line, NewReceipt, PayerRequest, Payment, field_err};
use super::query::{self, Kind, ReceiptView, dec, qty_text};
use super::{IssuedReceipt, ReceiptError, doc, episodes, integrity, shift};
use crate::audit::{self, Actor};
use crate::auth::{self, Approval, Role, Session};
use crate::clock::{Clock, stamp};
use crate::keys::SigningKey;
use crate::money::{Money, Quantity, UnitPrice};
use crate::prices::Category;
use crate::print::ReceiptDoc;
use crate::store::Store;
use rusqlite::Connection;
use rust_decimal::Decimal;

fn need_reason(reason: &str) -> Result<&str, ReceiptError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(ReceiptError::invalid(
            "reason",
            "必须填写原因",
            "a reason is required",
        ));
    }
    if let Err((en, zh)) = crate::text::check(r, REASON_MAX) {
        return Err(ReceiptError::invalid("reason", zh, en));
    }
    Ok(r)
}

/// The longest reason (void, refund, episode), in characters.
pub const REASON_MAX: usize = 200;

/// One row of `receipt_events`.
struct Event<'a> {
    receipt_id: i64,
    kind: &'a str,
    at: &'a str,
    user: &'a str,
    supervisor: Option<&'a str>,
    reason: Option<&'a str>,
    details: serde_json::Value,
}

fn insert_event(tx: &Connection, e: Event<'_>) -> Result<i64, ReceiptError> {
    tx.prepare_cached(
        "INSERT INTO receipt_events(receipt_id, kind, line_no, qty, at, user, supervisor, reason, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(rusqlite::params![
        e.receipt_id,
        e.kind,
        // Line-level events (dispensed, return_confirmed) are the
        // pharmacy's; the cashier's concern the whole receipt.
        None::<u32>,
        None::<String>,
        e.at,
        e.user,
        e.supervisor,
        e.reason,
        e.details.to_string()
    ])?;
    Ok(tx.last_insert_rowid())
}

fn check_voidable(
    conn: &Connection,
    session: &Session,
    v: &ReceiptView,
) -> Result<(), ReceiptError> {
    if v.kind == Kind::CreditNote {
        return Err(ReceiptError::IsCreditNote(v.number.clone()));
    }
    if v.is_voided() {
        return Err(ReceiptError::AlreadyVoided(v.number.clone()));
    }
    if v.cashier != session.user().as_str() {
        return Err(ReceiptError::NotOwn {
            number: v.number.clone(),
            cashier: v.cashier.clone(),
        });
    }
    if shift::closed_since(conn, &v.cashier, v.id)? {
        return Err(ReceiptError::ShiftClosed(v.number.clone()));
    }
    if !v.credit_notes.is_empty() {
        return Err(ReceiptError::HasRefunds(v.number.clone()));
    }
    if crate::pharmacy::any_dispensed(conn, &v.number)? {
        return Err(ReceiptError::Dispensed(v.number.clone()));
    }
    Ok(())
}

/// Voids the session user's own receipt of the current shift, approved by
/// a supervisor (PIN checked here). The number stays, marked 作废.
pub fn void(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    number: &str,
    reason: &str,
    supervisor: &str,
    supervisor_pin: &str,
) -> Result<ReceiptView, ReceiptError> {
    session.require(Role::Cashier, "void receipts")?;
    let reason = need_reason(reason)?;
    let v = query::show(store.conn(), number)?;
    check_voidable(store.conn(), session, &v)?;
    let Approval { supervisor } =
        auth::approve_by_supervisor(store.conn_mut(), session, supervisor, supervisor_pin, clock)?;
    let tx = store.write()?;
    // Checked again under the write lock: another window may have acted.
    let v = query::show(&tx, number)?;
    check_voidable(&tx, session, &v)?;
    let at = stamp(clock.now());
    let event = insert_event(
        &tx,
        Event {
            receipt_id: v.id,
            kind: "void",
            at: &at,
            user: session.user().as_str(),
            supervisor: Some(supervisor.as_str()),
            reason: Some(reason),
            details: serde_json::json!({}),
        },
    )?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "receipt.void",
        &[format!("receipt:{}", v.number)],
        serde_json::json!({
            "reason": reason,
            "supervisor": supervisor.as_str(),
            "event_id": event,
            "event_sha256": integrity::event_digest(&tx, event)?,
        }),
    )?;
    let v = query::show(&tx, number)?;
    tx.commit()?;
    Ok(v)
}

/// Records a reprint (committed first, so every copy is counted) and
/// returns the copy to print, marked 重打/COPY.
pub fn reprint(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    number: &str,
) -> Result<(ReceiptView, ReceiptDoc), ReceiptError> {
    if !session.has(Role::Cashier) && !session.has(Role::Finance) {
        session.require(Role::Cashier, "reprint receipts")?;
    }
    let tx = store.write()?;
    let v = query::show(&tx, number)?;
    let at = stamp(clock.now());
    let event = insert_event(
        &tx,
        Event {
            receipt_id: v.id,
            kind: "reprint",
            at: &at,
            user: session.user().as_str(),
            supervisor: None,
            reason: None,
            details: serde_json::json!({"copy": v.reprints + 1}),
        },
    )?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "receipt.reprint",
        &[format!("receipt:{}", v.number)],
        serde_json::json!({
            "copy": v.reprints + 1,
            "event_id": event,
            "event_sha256": integrity::event_digest(&tx, event)?,
        }),
    )?;
    let v = query::show(&tx, number)?;
    let hospital = crate::settings::hospital_name(&tx)?;
    tx.commit()?;
    let d = doc::build(&v, &hospital, doc::Printing::Copy);
    Ok((v, d))
}

/// Records a reprint and produces the copy's PDF (marked 重打/COPY), saved
/// under the data directory; returns the receipt, the bytes and the path.
pub fn reprint_pdf(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    number: &str,
) -> Result<(ReceiptView, Vec<u8>, std::path::PathBuf), ReceiptError> {
    let (v, _) = reprint(store, session, clock, number)?;
    let (bytes, path) = doc::save_pdf(store, &v, doc::Printing::Copy)?;
    Ok((v, bytes, path))
}

/// One line to refund: the 1-based line number on the original and the
/// quantity (all that remains refundable when `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundLine {
    pub line: u32,
    pub qty: Option<Decimal>,
}

impl RefundLine {
    /// Parses `N` or `N:QTY` as given for one line (N or N:QTY).
    pub fn parse(s: &str) -> Result<RefundLine, ReceiptError> {
        let bad = || {
            ReceiptError::invalid(
                "line",
                format!("“{s}”应为 行号 或 行号:数量"),
                format!("'{s}' should be N or N:QTY"),
            )
        };
        let (n, q) = match s.split_once(':') {
            Some((n, q)) => (n, Some(q)),
            None => (s, None),
        };
        let line: u32 = n.trim().parse().map_err(|_| bad())?;
        let qty = match q {
            Some(q) => Some(
                crate::money::Quantity::parse(q)
                    .map_err(|e| {
                        ReceiptError::invalid(
                            "line",
                            e.message(crate::i18n::Lang::Zh),
                            e.message(crate::i18n::Lang::En),
                        )
                    })?
                    .decimal(),
            ),
            None => None,
        };
        Ok(RefundLine { line, qty })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub number: String,
    pub lines: Vec<RefundLine>,
    pub reason: String,
}

/// The credit-note lines for a refund request, checked against what the
/// original still allows.
fn refund_lines(
    conn: &Connection,
    v: &ReceiptView,
    req: &RefundRequest,
) -> Result<Vec<Line>, ReceiptError> {
    let dispensings = crate::pharmacy::line_records(conn, &v.number)?;
    if v.kind == Kind::CreditNote {
        return Err(ReceiptError::IsCreditNote(v.number.clone()));
    }
    if v.kind == Kind::Deposit {
        return Err(ReceiptError::DepositRefund(v.number.clone()));
    }
    if v.is_voided() {
        return Err(ReceiptError::AlreadyVoided(v.number.clone()));
    }
    if req.lines.is_empty() {
        return Err(ReceiptError::invalid(
            "line",
            "至少指定一行",
            "name at least one line",
        ));
    }
    let mut out = Vec::new();
    let mut asked_total: Vec<(u32, Decimal)> = Vec::new();
    for rl in &req.lines {
        let l = v.lines.iter().find(|l| l.line == rl.line).ok_or_else(|| {
            ReceiptError::invalid(
                "line",
                format!(
                    "票据 {} 没有第 {} 行（共 {} 行）",
                    v.number,
                    rl.line,
                    v.lines.len()
                ),
                format!(
                    "receipt {} has no line {} (it has {})",
                    v.number,
                    rl.line,
                    v.lines.len()
                ),
            )
        })?;
        let already: Decimal = asked_total
            .iter()
            .filter(|(n, _)| *n == rl.line)
            .map(|(_, q)| *q)
            .sum();
        let left = v.refundable(rl.line) - already;
        let qty = rl.qty.unwrap_or(left);
        if qty <= Decimal::ZERO || qty > left {
            return Err(ReceiptError::RefundExceeds {
                number: v.number.clone(),
                line: rl.line,
                asked: qty_text(qty),
                left: qty_text(left.max(Decimal::ZERO)),
            });
        }
        if l.fee_category() != Some(Category::ChineseHerb) && !qty.fract().is_zero() {
            return Err(ReceiptError::invalid(
                "line",
                format!("第 {} 行（{}）只能按整数退", rl.line, l.name),
                format!("line {} ({}) is refunded in whole units", rl.line, l.name),
            ));
        }
        // A dispensed drug comes back through the pharmacy first: the
        // refunded quantity (earlier and now) may not exceed what was never
        // handed out plus what the pharmacy confirmed as returned.
        if let Some(d) = dispensings.get(&rl.line) {
            let refunded = dec(&l.refunded_qty) + already + qty;
            let allowed = dec(&l.qty) - d.dispensed + d.returned;
            if refunded > allowed {
                return Err(ReceiptError::NeedsReturn {
                    number: v.number.clone(),
                    line: rl.line,
                    qty: qty_text(refunded - allowed),
                });
            }
        }
        asked_total.push((rl.line, qty));
        let price = UnitPrice::parse(&l.unit_price).map_err(|_| {
            ReceiptError::Store(crate::store::StoreError::Corrupt {
                path: Default::default(),
                detail: format!(
                    "receipt {} line {}: unreadable unit price",
                    v.number, l.line
                ),
            })
        })?;
        // Given back for this line earlier in the same request.
        let given_now: Money = out
            .iter()
            .filter(|o: &&Line| o.refers_line == Some(l.line))
            .map(|o| -o.amount)
            .sum();
        let amount = part_refund_amount(l, already, given_now, qty, price)?;
        out.push(Line {
            code: l.code.clone(),
            name: l.name.clone(),
            spec: l.spec.clone(),
            unit: l.unit.clone(),
            unit_price: l.unit_price.clone(),
            qty: -qty,
            amount: -amount,
            category: l.fee_category().ok_or_else(|| {
                ReceiptError::Store(crate::store::StoreError::Corrupt {
                    path: Default::default(),
                    detail: format!("receipt {} line {}: unknown category", v.number, l.line),
                })
            })?,
            refers_line: Some(l.line),
        });
    }
    Ok(out)
}

/// What a refund of `qty` of line `l` gives back, `already` of its
/// quantity and `given_now` of its money being asked earlier in the same
/// request. The same rounding as the original line, but a line never gives
/// back more than was paid for it: the refund that takes the last of its
/// quantity returns exactly what is left of its amount (10 g at 0.2460 paid
/// 2.46; 2.5 g gives back 0.62 and the other 7.5 g 1.84, not the 1.85 its
/// own rounding would say), and no part refund exceeds what is left.
fn part_refund_amount(
    l: &query::LineView,
    already: Decimal,
    given_now: Money,
    qty: Decimal,
    price: UnitPrice,
) -> Result<Money, ReceiptError> {
    let zero = Money::from_fen(0);
    let left_qty = dec(&l.qty) - dec(&l.refunded_qty) - already;
    let left_amount = (l.amount - l.refunded_amount - given_now).max(zero);
    if qty == left_qty {
        return Ok(left_amount);
    }
    let q = Quantity::parse(&qty_text(qty)).map_err(|e| field_err("qty".into(), e))?;
    let own = price
        .line_amount(q)
        .map_err(|e| field_err("qty".into(), e))?;
    Ok(own.min(left_amount))
}

/// Refunds lines of a receipt with a credit note numbered from the same
/// range, approved by a supervisor. The money goes back by the original's
/// first payment method.
#[allow(clippy::too_many_arguments)]
pub fn refund(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    key: &SigningKey,
    req: &RefundRequest,
    supervisor: &str,
    supervisor_pin: &str,
) -> Result<IssuedReceipt, ReceiptError> {
    session.require(Role::Cashier, "refund receipts")?;
    let reason = need_reason(&req.reason)?;
    let v = query::show(store.conn(), &req.number)?;
    refund_lines(store.conn(), &v, req)?;
    let Approval { supervisor } =
        auth::approve_by_supervisor(store.conn_mut(), session, supervisor, supervisor_pin, clock)?;
    super::prepare_for_issuing(store.conn())?;
    let terminal = session.terminal().to_string();
    let mark = super::numbering::file_mark(store.data_dir(), &terminal);
    let tx = store.write()?;
    let episode = episodes::current(&tx, &terminal)?
        .ok_or_else(|| ReceiptError::NoOpenEpisode(terminal.clone()))?;
    let v = query::show(&tx, &req.number)?;
    let lines = refund_lines(&tx, &v, req)?;
    let total = Money::total(lines.iter().map(|l| l.amount)).map_err(|e| {
        ReceiptError::invalid(
            "lines",
            e.message(crate::i18n::Lang::Zh),
            e.message(crate::i18n::Lang::En),
        )
    })?;
    let first = v.payments.first();
    let payment = Payment {
        method: first
            .and_then(|p| crate::domain::PaymentMethod::parse(&p.method))
            .unwrap_or_default(),
        amount: total,
        tendered: None,
        reference: first.and_then(|p| p.reference.clone()),
    };
    let payer = PayerRequest {
        kind: v.payer.kind.clone(),
        insurance_no: v.payer.insurance_no.clone(),
    };
    let now = clock.now();
    let new = NewReceipt {
        kind: Kind::CreditNote,
        episode_id: episode.id,
        drill: v.drill || episode.drill,
        original_number: Some(&v.number),
        patient: v.patient.clone(),
        patient_name: v
            .patient
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_string(),
        temp_patient: false,
        payer: &payer,
        department: &v.department,
        doctor: &v.doctor,
        snapshot: None,
        lines,
        payments: vec![payment],
        total,
        change: Money::ZERO,
        deadline: (v.deadline.clone(), v.deadline_note.clone()),
        reason: Some(reason),
        supervisor: Some(supervisor.as_str()),
    };
    let (note, left) = super::issue::insert(&tx, session, clock, key, now, mark, new)?;
    let event = insert_event(
        &tx,
        Event {
            receipt_id: v.id,
            kind: "refund",
            at: &stamp(now),
            user: session.user().as_str(),
            supervisor: Some(supervisor.as_str()),
            reason: Some(reason),
            details: serde_json::json!({"credit_note": note.number, "total": total.to_string()}),
        },
    )?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "receipt.refund.event",
        &[format!("receipt:{}", v.number)],
        serde_json::json!({
            "credit_note": note.number,
            "event_id": event,
            "event_sha256": integrity::event_digest(&tx, event)?,
        }),
    )?;
    tx.commit()?;
    super::issue::raise_mark(store, &note);
    Ok(super::issue::issued(note, left))
}

#[cfg(test)]
mod tests {
    use super::RefundLine;
    use rust_decimal::dec;

    #[test]
    fn refund_lines_parse() {
        assert_eq!(
            RefundLine::parse("2").unwrap(),
            RefundLine { line: 2, qty: None }
        );
        assert_eq!(
            RefundLine::parse("3:2.5").unwrap(),
            RefundLine {
                line: 3,
                qty: Some(dec!(2.5))
            }
        );
        for bad in ["", "x", "1:", "1:0", "1:-2", "1:1.234", "-1"] {
            assert!(RefundLine::parse(bad).is_err(), "{bad}");
        }
    }
}
