//! Shift close (交班结账): per cashier, everything since their last close —
//! receipts and the numbers used, totals by payment method, voids, refunds,
//! the cash expected in the drawer against what the cashier counted, and the
//! variance, which needs a supervisor above the configured limit (setting
//! `shift.variance_limit`, default 10.00). The close is a stored record; it
//! also ends the period in which the cashier may void their receipts.

use super::ReceiptError;
use super::query::{self, Kind};
use crate::audit::{self, Actor};
use crate::auth::{self, Role, Session};
use crate::clock::{Clock, stamp};
use crate::money::Money;
use crate::store::Store;
use rusqlite::{Connection, OptionalExtension};

pub const DEFAULT_VARIANCE_LIMIT: &str = "10.00";

/// Whether `cashier` has closed a shift since receipt `receipt_id` was
/// issued (it then belongs to a closed shift).
pub fn closed_since(
    conn: &Connection,
    cashier: &str,
    receipt_id: i64,
) -> Result<bool, ReceiptError> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM shift_closes WHERE cashier = ?1 AND upto_receipt_id >= ?2 LIMIT 1",
        )?
        .exists(rusqlite::params![cashier, receipt_id])?)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MethodTotals {
    pub cash: Money,
    pub card: Money,
    pub mobile: Money,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CountTotal {
    pub count: u32,
    pub total: Money,
    pub numbers: Vec<String>,
}

/// What a shift close reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ShiftSummary {
    pub id: Option<i64>,
    pub terminal: String,
    pub cashier: String,
    /// The previous close of this cashier, if any.
    pub since: Option<String>,
    pub closed_at: Option<String>,
    /// Receipts issued (credit notes included), in order.
    pub count: u32,
    pub first_number: Option<String>,
    pub last_number: Option<String>,
    /// Money taken on receipts that stand (not voided, not drills), net of
    /// refunds.
    pub by_method: MethodTotals,
    pub total: Money,
    pub voids: CountTotal,
    pub refunds: CountTotal,
    pub drills: u32,
    /// Numbers of this terminal recorded as lost (作废/遗失: a restore of an
    /// older backup, or receipts missing from the database) since the
    /// cashier's last close.
    pub numbers_lost: u64,
    pub cash_expected: Money,
    pub cash_declared: Option<Money>,
    pub variance: Option<Money>,
    pub variance_limit: Money,
    pub supervisor: Option<String>,
    #[serde(skip)]
    upto_receipt_id: i64,
    #[serde(skip)]
    upto_event_id: i64,
}

fn variance_limit(conn: &Connection) -> Result<Money, ReceiptError> {
    Ok(crate::settings::shift_variance_limit(conn)?)
}

/// The open shift of `cashier` on `terminal`, as it would close now.
pub fn summary(
    conn: &Connection,
    terminal: &str,
    cashier: &str,
) -> Result<ShiftSummary, ReceiptError> {
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT upto_receipt_id, closed_at FROM shift_closes
              WHERE cashier = ?1 AND terminal = ?2 ORDER BY id DESC LIMIT 1",
            [cashier, terminal],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (after, since) = match last {
        Some((id, at)) => (id, Some(at)),
        None => (0, None),
    };
    let mut st = conn.prepare(
        "SELECT number FROM receipts WHERE cashier = ?1 AND terminal = ?2 AND id > ?3 ORDER BY id",
    )?;
    let numbers = st
        .query_map(rusqlite::params![cashier, terminal, after], |r| {
            r.get::<_, String>(0)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut s = ShiftSummary {
        terminal: terminal.to_string(),
        cashier: cashier.to_string(),
        since,
        variance_limit: variance_limit(conn)?,
        upto_receipt_id: conn
            .query_row("SELECT IFNULL(MAX(id), 0) FROM receipts", [], |r| r.get(0))?,
        upto_event_id: conn.query_row(
            "SELECT IFNULL(MAX(id), 0) FROM receipt_events",
            [],
            |r| r.get(0),
        )?,
        ..Default::default()
    };
    for n in &numbers {
        let Some(v) = query::load(conn, n)? else {
            continue;
        };
        s.count += 1;
        if s.first_number.is_none() {
            s.first_number = Some(v.number.clone());
        }
        s.last_number = Some(v.number.clone());
        if v.drill {
            s.drills += 1;
            continue;
        }
        if v.is_voided() {
            s.voids.count += 1;
            s.voids.total += v.total;
            s.voids.numbers.push(v.number.clone());
            continue;
        }
        if v.kind == Kind::CreditNote {
            s.refunds.count += 1;
            s.refunds.total += v.total;
            s.refunds.numbers.push(v.number.clone());
        }
        for p in &v.payments {
            use crate::domain::PaymentMethod;
            match PaymentMethod::parse(&p.method) {
                Some(PaymentMethod::Cash) => s.by_method.cash += p.amount,
                Some(PaymentMethod::Card) => s.by_method.card += p.amount,
                _ => s.by_method.mobile += p.amount,
            }
        }
        s.total += v.total;
    }
    s.numbers_lost = super::numbering::lost_count(conn, terminal, s.since.as_deref())?;
    s.cash_expected = s.by_method.cash;
    Ok(s)
}

/// A supervisor's name and PIN, for a variance over the limit.
pub struct SupervisorPin<'a> {
    pub name: &'a str,
    pub pin: &'a str,
}

/// Closes the session user's shift and stores the record. `pdf_path` is
/// where the caller will write the report.
pub fn close(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    cash_declared: Option<Money>,
    supervisor: Option<SupervisorPin<'_>>,
    pdf_path: Option<&std::path::Path>,
) -> Result<ShiftSummary, ReceiptError> {
    session.require(Role::Cashier, "close a shift")?;
    let terminal = session.terminal().to_string();
    let user = session.user().to_string();
    let over = |s: &ShiftSummary| -> Option<Money> {
        let d = cash_declared?;
        let v = Money::variance(d, s.cash_expected);
        (v.abs() > s.variance_limit).then_some(v)
    };
    let pre = summary(store.conn(), &terminal, &user)?;
    let mut approved = None;
    if let Some(v) = over(&pre) {
        let sup = supervisor.ok_or_else(|| ReceiptError::VarianceNeedsSupervisor {
            variance: v.to_string(),
            limit: pre.variance_limit.to_string(),
        })?;
        approved = Some(
            auth::approve_by_supervisor(store.conn_mut(), session, sup.name, sup.pin, clock)?
                .supervisor
                .to_string(),
        );
    }
    let tx = store.write()?;
    let mut s = summary(&tx, &terminal, &user)?;
    if let Some(v) = over(&s)
        && approved.is_none()
    {
        return Err(ReceiptError::VarianceNeedsSupervisor {
            variance: v.to_string(),
            limit: s.variance_limit.to_string(),
        });
    }
    let at = stamp(clock.now());
    s.cash_declared = cash_declared;
    s.variance = cash_declared.map(|d| Money::variance(d, s.cash_expected));
    s.supervisor = approved;
    s.closed_at = Some(at.clone());
    let json = serde_json::to_string(&s).unwrap_or_else(|_| "{}".into());
    tx.execute(
        "INSERT INTO shift_closes(terminal, cashier, closed_at, upto_receipt_id, upto_event_id,
            summary_json, cash_expected_fen, cash_declared_fen, variance_fen, supervisor, pdf_path)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        rusqlite::params![
            terminal,
            user,
            at,
            s.upto_receipt_id,
            s.upto_event_id,
            json,
            s.cash_expected.fen(),
            s.cash_declared.map(Money::fen),
            s.variance.map(Money::fen),
            s.supervisor,
            pdf_path.map(|p| p.display().to_string()),
        ],
    )?;
    let id = tx.last_insert_rowid();
    s.id = Some(id);
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "shift.close",
        &[format!("shift:{id}")],
        serde_json::json!({
            "count": s.count,
            "cash_expected": s.cash_expected.to_string(),
            "cash_declared": s.cash_declared.map(|m| m.to_string()),
            "supervisor": s.supervisor,
        }),
    )?;
    tx.commit()?;
    Ok(s)
}

/// The shift-close report as printed (A4): what was taken by method, the
/// numbers used, voids and refunds, and the cash count with its variance.
pub fn report_doc(s: &ShiftSummary, hospital: &str) -> crate::print::ReportDoc {
    use crate::print::report::{Align, Column, ReportDoc, ReportTable};
    let opt = |m: Option<Money>| m.map(|m| m.to_string()).unwrap_or_else(|| "—".into());
    let pair = |k: &str, v: String| vec![k.to_string(), v];
    let numbers = match (&s.first_number, &s.last_number) {
        (Some(a), Some(b)) => format!("{a} – {b}"),
        _ => "—".into(),
    };
    ReportDoc {
        title: "收费员交班结账单 / Shift close".into(),
        meta: vec![
            hospital.to_string(),
            format!("终端 Terminal {}  收费员 Cashier {}", s.terminal, s.cashier),
            format!(
                "自 Since {}  至 Until {}",
                s.since.clone().unwrap_or_else(|| "—".into()),
                s.closed_at.clone().unwrap_or_default()
            ),
        ],
        tables: vec![
            ReportTable {
                title: "收款汇总 / Takings".into(),
                columns: vec![
                    Column::new("项目 Item", Align::Left, 2.0),
                    Column::new("金额 / 数量 Amount / count", Align::Right, 1.0),
                ],
                rows: vec![
                    pair("票据张数（含退费凭证） Receipts", s.count.to_string()),
                    pair("使用票据号 Numbers used", numbers),
                    pair("现金 Cash", s.by_method.cash.to_string()),
                    pair("银行卡 Card", s.by_method.card.to_string()),
                    pair("移动支付 Mobile", s.by_method.mobile.to_string()),
                    pair("合计 Total", s.total.to_string()),
                    pair(
                        "作废 Voids",
                        format!("{} 张 / {}", s.voids.count, s.voids.total),
                    ),
                    pair(
                        "退费 Refunds",
                        format!("{} 张 / {}", s.refunds.count, s.refunds.total),
                    ),
                    pair("演练票据 Drill receipts", s.drills.to_string()),
                    pair(
                        "遗失作废票据号 Numbers lost (restore)",
                        s.numbers_lost.to_string(),
                    ),
                ],
            },
            ReportTable {
                title: "现金核对 / Cash count".into(),
                columns: vec![
                    Column::new("项目 Item", Align::Left, 2.0),
                    Column::new("金额 Amount", Align::Right, 1.0),
                ],
                rows: vec![
                    pair("应有现金 Expected", s.cash_expected.to_string()),
                    pair("实点现金 Declared", opt(s.cash_declared)),
                    pair("差额 Variance", opt(s.variance)),
                    pair("差额限额 Limit", s.variance_limit.to_string()),
                    pair(
                        "审批主管 Supervisor",
                        s.supervisor.clone().unwrap_or_else(|| "—".into()),
                    ),
                ],
            },
            ReportTable {
                title: "作废与退费票据 / Voided and refund numbers".into(),
                columns: vec![
                    Column::new("类别 Kind", Align::Left, 1.0),
                    Column::new("票据号 Numbers", Align::Left, 3.0),
                ],
                rows: vec![
                    pair("作废 Void", s.voids.numbers.join(" ")),
                    pair("退费 Refund", s.refunds.numbers.join(" ")),
                ],
            },
        ],
        notes: vec!["收费员签字 Cashier：________    主管签字 Supervisor：________".into()],
        watermark: None,
    }
}
