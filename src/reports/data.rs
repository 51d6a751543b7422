//! The reports as typed data, read from the database in a handful of
//! set-wise queries (not one receipt at a time: an outage at a finance
//! station can hold 100k receipts). Rendering lives in `pdf` and `csv`;
//! nothing here formats for a page.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{Connection, OptionalExtension, params};

use super::ReportError;
use crate::clock::{Clock, stamp};
use crate::money::Money;
use crate::prices::Category;

/// Key of the pseudo-category that holds inpatient deposits (no lines).
pub const DEPOSIT: &str = "住院预交金";

/// Who printed a report, where and when.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub hospital: String,
    pub terminal: String,
    pub printed_at: String,
    pub printed_by: String,
}

fn header(conn: &Connection, clock: &dyn Clock, printed_by: &str) -> Result<Header, ReportError> {
    let get = |k: &str| crate::store::get_setting(conn, k).map(Option::unwrap_or_default);
    Ok(Header {
        hospital: get("hospital.name")?,
        terminal: get("terminal.code")?,
        printed_at: stamp(clock.now()),
        printed_by: printed_by.to_string(),
    })
}

/// A count and the amount it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CountMoney {
    pub count: u64,
    pub amount: Money,
}

impl CountMoney {
    fn add(&mut self, fen: i64) {
        self.count += 1;
        self.amount += Money::from_fen(fen);
    }
}

/// One line of a breakdown: the key as stored (category name, payment
/// method) and the amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    pub key: String,
    pub amount: Money,
}

/// Totals of a set of receipts. Only receipts that stand count: voided ones
/// are counted apart in `voided`; credit notes count, negative.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DayTotals {
    /// Receipts in the totals (credit notes included).
    pub receipts: u64,
    /// Of those, credit notes, and their (negative) sum.
    pub credit_notes: CountMoney,
    pub by_category: Vec<Amount>,
    pub by_method: Vec<Amount>,
    pub total: Money,
    /// Voided receipts: not in any total above.
    pub voided: CountMoney,
}

/// A receipt as the reports need it.
#[derive(Debug, Clone)]
struct Rec {
    number: String,
    terminal: String,
    credit_note: bool,
    issued_at: String,
    total: i64,
    deadline: Option<String>,
    patient: String,
    insured: bool,
    drill: bool,
    voided: bool,
    exchanged: bool,
    self_pay_posted: bool,
    insurance_resettled: bool,
    /// Originals: what standing credit notes paid back (positive fen).
    refunded: i64,
    cats: Vec<(String, i64)>,
    methods: Vec<(String, i64)>,
}

/// Which receipts: a condition on `receipts r` with one parameter.
enum Scope<'a> {
    Day(&'a str),
    Episodes(&'a str),
}

impl Scope<'_> {
    fn cond(&self) -> &'static str {
        match self {
            Scope::Day(_) => "substr(r.issued_at, 1, 10) = ?1",
            Scope::Episodes(_) => "r.episode_id IN (SELECT value FROM json_each(?1))",
        }
    }
    fn param(&self) -> &str {
        match self {
            Scope::Day(s) | Scope::Episodes(s) => s,
        }
    }
}

fn load(conn: &Connection, scope: &Scope) -> Result<Vec<Rec>, ReportError> {
    let cond = scope.cond();
    let p = scope.param();
    let mut st = conn.prepare(&format!(
        "SELECT r.id, r.number, r.terminal, r.kind, r.issued_at, r.total_fen, r.deadline,
                r.patient_name, r.payer_type, r.drill
           FROM receipts r WHERE {cond} ORDER BY r.issued_at, r.id"
    ))?;
    let mut recs = Vec::new();
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut rows = st.query([p])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let kind: String = r.get(3)?;
        let payer: String = r.get(8)?;
        index.insert(id, recs.len());
        recs.push(Rec {
            number: r.get(1)?,
            terminal: r.get(2)?,
            credit_note: kind == "credit_note",
            issued_at: r.get(4)?,
            total: r.get(5)?,
            deadline: r.get(6)?,
            patient: r.get(7)?,
            insured: payer == "insured_full_pay",
            drill: r.get::<_, i64>(9)? != 0,
            voided: false,
            exchanged: false,
            self_pay_posted: false,
            insurance_resettled: false,
            refunded: 0,
            cats: Vec::new(),
            methods: Vec::new(),
        });
    }
    let mut st = conn.prepare(&format!(
        "SELECT e.receipt_id, e.kind FROM receipt_events e JOIN receipts r ON r.id = e.receipt_id
          WHERE {cond} AND e.kind IN ('void', 'exchanged', 'self_pay_posted', 'insurance_resettled')"
    ))?;
    let mut rows = st.query([p])?;
    while let Some(r) = rows.next()? {
        let Some(&i) = index.get(&r.get::<_, i64>(0)?) else {
            continue;
        };
        let kind: String = r.get(1)?;
        let rec = &mut recs[i];
        match kind.as_str() {
            "void" => rec.voided = true,
            "exchanged" => rec.exchanged = true,
            "self_pay_posted" => rec.self_pay_posted = true,
            _ => rec.insurance_resettled = true,
        }
    }
    let mut st = conn.prepare(&format!(
        "SELECT l.receipt_id, l.category, SUM(l.amount_fen)
           FROM receipt_lines l JOIN receipts r ON r.id = l.receipt_id
          WHERE {cond} GROUP BY l.receipt_id, l.category"
    ))?;
    let mut rows = st.query([p])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = index.get(&r.get::<_, i64>(0)?) {
            recs[i].cats.push((r.get(1)?, r.get(2)?));
        }
    }
    let mut st = conn.prepare(&format!(
        "SELECT p.receipt_id, p.method, SUM(p.amount_fen)
           FROM receipt_payments p JOIN receipts r ON r.id = p.receipt_id
          WHERE {cond} GROUP BY p.receipt_id, p.method"
    ))?;
    let mut rows = st.query([p])?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = index.get(&r.get::<_, i64>(0)?) {
            recs[i].methods.push((r.get(1)?, r.get(2)?));
        }
    }
    // What standing credit notes (wherever and whenever issued) paid back
    // on each original.
    let mut st = conn.prepare(
        "SELECT c.original_number, SUM(c.total_fen) FROM receipts c
          WHERE c.kind = 'credit_note' AND c.original_number IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM receipt_events v WHERE v.receipt_id = c.id AND v.kind = 'void')
          GROUP BY c.original_number",
    )?;
    let refunded: HashMap<String, i64> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for rec in &mut recs {
        if let Some(f) = refunded.get(&rec.number) {
            rec.refunded = -f;
        }
    }
    Ok(recs)
}

/// Category keys in the order of the price list's categories, unknown ones
/// after them by name, deposits last.
fn category_rank(key: &str) -> (usize, String) {
    if key == DEPOSIT {
        return (usize::MAX, String::new());
    }
    match Category::parse(key) {
        Some(c) => (
            Category::ALL.iter().position(|x| *x == c).unwrap_or(0),
            String::new(),
        ),
        None => (Category::ALL.len(), key.to_string()),
    }
}

fn method_rank(key: &str) -> usize {
    match key {
        "cash" => 0,
        "card" => 1,
        "mobile" => 2,
        _ => 3,
    }
}

/// Label of a category key: 西药费 …, or the key itself.
pub fn category_label(key: &str) -> String {
    if key == DEPOSIT {
        return "住院预交金 Deposits".into();
    }
    match Category::parse(key) {
        Some(c) => format!(
            "{} {}",
            c.fee_label(crate::i18n::Lang::Zh),
            c.fee_label(crate::i18n::Lang::En)
        ),
        None => key.to_string(),
    }
}

/// Label of a payment method.
pub fn method_label(key: &str) -> String {
    match key {
        "cash" => "现金 Cash".into(),
        "card" => "银行卡 Card".into(),
        "mobile" => "移动支付 Mobile".into(),
        other => other.to_string(),
    }
}

fn totals<'a>(recs: impl Iterator<Item = &'a Rec>) -> DayTotals {
    let mut t = DayTotals::default();
    let mut cats: BTreeMap<(usize, String, String), i64> = BTreeMap::new();
    let mut methods: BTreeMap<(usize, String), i64> = BTreeMap::new();
    for r in recs {
        if r.voided {
            t.voided.add(r.total);
            continue;
        }
        t.receipts += 1;
        if r.credit_note {
            t.credit_notes.add(r.total);
        }
        t.total += Money::from_fen(r.total);
        if r.cats.is_empty() {
            let (rank, name) = category_rank(DEPOSIT);
            *cats.entry((rank, name, DEPOSIT.into())).or_default() += r.total;
        }
        for (c, f) in &r.cats {
            let (rank, name) = category_rank(c);
            *cats.entry((rank, name, c.clone())).or_default() += f;
        }
        for (m, f) in &r.methods {
            *methods.entry((method_rank(m), m.clone())).or_default() += f;
        }
    }
    t.by_category = cats
        .into_iter()
        .map(|((_, _, key), f)| Amount {
            key,
            amount: Money::from_fen(f),
        })
        .collect();
    t.by_method = methods
        .into_iter()
        .map(|((_, key), f)| Amount {
            key,
            amount: Money::from_fen(f),
        })
        .collect();
    t
}

/// One terminal's share of a day or an outage.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TerminalRow {
    pub terminal: String,
    /// Every number used (voided and credit notes included).
    pub issued: u64,
    pub first_number: String,
    pub last_number: String,
    pub voided: u64,
    pub credit_notes: u64,
    /// Standing receipts' total, net of credit notes.
    pub total: Money,
}

fn per_terminal<'a>(recs: impl Iterator<Item = &'a Rec>) -> Vec<TerminalRow> {
    let mut map: BTreeMap<String, TerminalRow> = BTreeMap::new();
    for r in recs {
        let t = map
            .entry(r.terminal.clone())
            .or_insert_with(|| TerminalRow {
                terminal: r.terminal.clone(),
                first_number: r.number.clone(),
                last_number: r.number.clone(),
                ..Default::default()
            });
        t.issued += 1;
        // Numbers sort in issue order within a terminal ({T}-{8 digits}).
        if r.number < t.first_number {
            t.first_number = r.number.clone();
        }
        if r.number > t.last_number {
            t.last_number = r.number.clone();
        }
        if r.voided {
            t.voided += 1;
            continue;
        }
        if r.credit_note {
            t.credit_notes += 1;
        }
        t.total += Money::from_fen(r.total);
    }
    map.into_values().collect()
}

/// The daily report: real receipts and drill receipts apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyReport {
    pub header: Header,
    pub date: NaiveDate,
    pub real: DayTotals,
    pub drill: DayTotals,
    /// Real receipts by terminal.
    pub terminals: Vec<TerminalRow>,
}

pub fn build_daily(
    conn: &Connection,
    date: NaiveDate,
    clock: &dyn Clock,
    printed_by: &str,
) -> Result<DailyReport, ReportError> {
    let day = date.format("%Y-%m-%d").to_string();
    let recs = load(conn, &Scope::Day(&day))?;
    Ok(DailyReport {
        header: header(conn, clock, printed_by)?,
        date,
        real: totals(recs.iter().filter(|r| !r.drill)),
        drill: totals(recs.iter().filter(|r| r.drill)),
        terminals: per_terminal(recs.iter().filter(|r| !r.drill)),
    })
}

/// One stored shift close.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShiftRow {
    pub terminal: String,
    pub cashier: String,
    pub since: Option<String>,
    pub closed_at: String,
    pub count: u64,
    pub first_number: Option<String>,
    pub last_number: Option<String>,
    pub cash: Money,
    pub card: Money,
    pub mobile: Money,
    pub total: Money,
    pub voids: CountMoney,
    pub refunds: CountMoney,
    pub drills: u64,
    pub cash_expected: Money,
    pub cash_declared: Option<Money>,
    pub variance: Option<Money>,
    pub supervisor: Option<String>,
}

/// The shift closes of a day, ordered by cashier then time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftReport {
    pub header: Header,
    pub date: NaiveDate,
    pub closes: Vec<ShiftRow>,
}

impl ShiftReport {
    /// The sum of every close (counts and money; declared and variance over
    /// the closes that declared).
    pub fn sum(&self) -> ShiftRow {
        let mut t = ShiftRow::default();
        for c in &self.closes {
            t.count += c.count;
            t.cash += c.cash;
            t.card += c.card;
            t.mobile += c.mobile;
            t.total += c.total;
            t.voids.count += c.voids.count;
            t.voids.amount += c.voids.amount;
            t.refunds.count += c.refunds.count;
            t.refunds.amount += c.refunds.amount;
            t.drills += c.drills;
            t.cash_expected += c.cash_expected;
            if let Some(d) = c.cash_declared {
                t.cash_declared = Some(t.cash_declared.unwrap_or(Money::ZERO) + d);
            }
            if let Some(v) = c.variance {
                t.variance = Some(t.variance.unwrap_or(Money::ZERO) + v);
            }
        }
        t
    }
}

pub fn build_shift(
    conn: &Connection,
    date: NaiveDate,
    clock: &dyn Clock,
    printed_by: &str,
) -> Result<ShiftReport, ReportError> {
    let day = date.format("%Y-%m-%d").to_string();
    let mut st = conn.prepare(
        "SELECT id, terminal, cashier, closed_at, summary_json, cash_expected_fen,
                cash_declared_fen, variance_fen, supervisor
           FROM shift_closes WHERE substr(closed_at, 1, 10) = ?1
          ORDER BY cashier, closed_at, id",
    )?;
    let mut closes = Vec::new();
    let mut rows = st.query([&day])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let json: String = r.get(4)?;
        let record = format!("shift_closes:{id}");
        let bad = |detail: String| ReportError::BadRecord {
            record: record.clone(),
            detail,
        };
        let v: serde_json::Value =
            serde_json::from_str(&json).map_err(|e| bad(format!("summary_json: {e}")))?;
        let money = |path: &[&str]| -> Result<Money, ReportError> {
            let mut cur = &v;
            for p in path {
                cur = &cur[*p];
            }
            match cur {
                serde_json::Value::Null => Ok(Money::ZERO),
                serde_json::Value::String(s) => {
                    Money::parse(s).map_err(|_| bad(format!("{}: {s}", path.join("."))))
                }
                other => Err(bad(format!("{}: {other}", path.join(".")))),
            }
        };
        let count = |path: &[&str]| -> u64 {
            let mut cur = &v;
            for p in path {
                cur = &cur[*p];
            }
            cur.as_u64().unwrap_or(0)
        };
        let text = |k: &str| v[k].as_str().map(str::to_string);
        closes.push(ShiftRow {
            terminal: r.get(1)?,
            cashier: r.get(2)?,
            closed_at: r.get(3)?,
            since: text("since"),
            count: count(&["count"]),
            first_number: text("first_number"),
            last_number: text("last_number"),
            cash: money(&["by_method", "cash"])?,
            card: money(&["by_method", "card"])?,
            mobile: money(&["by_method", "mobile"])?,
            total: money(&["total"])?,
            voids: CountMoney {
                count: count(&["voids", "count"]),
                amount: money(&["voids", "total"])?,
            },
            refunds: CountMoney {
                count: count(&["refunds", "count"]),
                amount: money(&["refunds", "total"])?,
            },
            drills: count(&["drills"]),
            cash_expected: Money::from_fen(r.get(5)?),
            cash_declared: r.get::<_, Option<i64>>(6)?.map(Money::from_fen),
            variance: r.get::<_, Option<i64>>(7)?.map(Money::from_fen),
            supervisor: r.get(8)?,
        });
    }
    Ok(ShiftReport {
        header: header(conn, clock, printed_by)?,
        date,
        closes,
    })
}

/// One episode in the outage's timeline (the receipts capability's record).
pub type EpisodeRow = crate::receipts::episodes::Episode;

fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

impl EpisodeRow {
    fn span(&self) -> (Option<DateTime<FixedOffset>>, Option<DateTime<FixedOffset>>) {
        (
            parse_time(&self.opened_at),
            self.closed_at.as_deref().and_then(parse_time),
        )
    }

    /// Whether the two episodes were open at the same time.
    fn overlaps(&self, other: &EpisodeRow) -> bool {
        let (a0, a1) = self.span();
        let (b0, b1) = other.span();
        let (Some(a0), Some(b0)) = (a0, b0) else {
            return false;
        };
        let a_before_b_ends = b1.is_none_or(|b1| a0 <= b1);
        let b_before_a_ends = a1.is_none_or(|a1| b0 <= a1);
        a_before_b_ends && b_before_a_ends
    }
}

fn episodes(conn: &Connection) -> Result<Vec<EpisodeRow>, ReportError> {
    use crate::receipts::episodes::{SELECT, row};
    let mut st = conn.prepare(&format!("{SELECT} ORDER BY e.id"))?;
    let rows = st.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Receipts issued in one clock hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourRow {
    /// `YYYY-MM-DD HH`, local time as the receipt was stamped.
    pub hour: String,
    pub count: u64,
    pub by_terminal: Vec<(String, u64)>,
}

/// What the pharmacy did with the outage's receipts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DispensingSummary {
    /// Receipts with at least one line dispensed.
    pub receipts: u64,
    pub lines_dispensed: u64,
    pub lines_returned: u64,
    /// Pharmacy terminal → (dispensing rows, return rows).
    pub by_pharmacy: Vec<(String, u64, u64)>,
    /// Lines dispensed more than once (two pharmacies met in a journal).
    pub double_dispensed: Vec<(String, u32)>,
}

/// Where the outage's receipts stand in the exchange for HIS invoices.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExchangeProgress {
    pub exchanged: CountMoney,
    pub self_pay_posted: CountMoney,
    pub insurance_resettled: CountMoney,
    /// Refunded in full: nothing left to exchange.
    pub refunded: CountMoney,
    /// Still open (amount: what is left after partial refunds).
    pub open: CountMoney,
    /// Of the open ones, past their deadline.
    pub overdue: CountMoney,
}

/// Open receipts falling due on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRow {
    /// `None`: the deadline is to be confirmed (no calendar for its year).
    pub deadline: Option<String>,
    pub count: u64,
    pub amount: Money,
    pub overdue: bool,
}

/// One receipt still to be exchanged or posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReceipt {
    pub number: String,
    pub terminal: String,
    pub issued_at: String,
    pub patient: String,
    pub insured: bool,
    pub amount: Money,
    pub deadline: Option<String>,
}

/// The after-action report of one outage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutageReport {
    pub header: Header,
    /// The episode asked for.
    pub episode: EpisodeRow,
    /// It and the other terminals' episodes open at the same time, by
    /// opening time.
    pub timeline: Vec<EpisodeRow>,
    pub drill: bool,
    pub terminals: Vec<TerminalRow>,
    /// Every hour from the first receipt to the last, empty hours included.
    pub hourly: Vec<HourRow>,
    pub totals: DayTotals,
    /// Credit notes issued in the outage (negative amount).
    pub refunds: CountMoney,
    pub dispensing: DispensingSummary,
    pub exchange: ExchangeProgress,
    pub due: Vec<DueRow>,
    pub open: Vec<OpenReceipt>,
    /// The day the report counts "overdue" from.
    pub today: NaiveDate,
}

impl OutageReport {
    /// Receipts issued in the outage (every number used).
    pub fn issued(&self) -> u64 {
        self.terminals.iter().map(|t| t.issued).sum()
    }
}

/// `YYYY-MM-DD HH` of an RFC 3339 stamp, as written (local time).
fn hour_of(at: &str) -> Option<String> {
    let t = parse_time(at)?;
    Some(t.format("%Y-%m-%d %H").to_string())
}

fn hours(recs: &[Rec]) -> Vec<HourRow> {
    let mut by: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut first: Option<DateTime<FixedOffset>> = None;
    let mut last: Option<DateTime<FixedOffset>> = None;
    for r in recs {
        let Some(t) = parse_time(&r.issued_at) else {
            continue;
        };
        first = Some(first.map_or(t, |f| f.min(t)));
        last = Some(last.map_or(t, |l| l.max(t)));
        if let Some(h) = hour_of(&r.issued_at) {
            *by.entry(h)
                .or_default()
                .entry(r.terminal.clone())
                .or_default() += 1;
        }
    }
    // Fill the empty hours between, in the first receipt's offset, so the
    // chart's axis is time and a quiet hour shows as a gap.
    if let (Some(f), Some(l)) = (first, last) {
        let span = (l - f).num_hours();
        if span <= 24 * 62 {
            let mut t = f;
            while t <= l + chrono::Duration::hours(1) {
                let h = t.format("%Y-%m-%d %H").to_string();
                if t <= l || by.contains_key(&h) {
                    by.entry(h).or_default();
                }
                t += chrono::Duration::hours(1);
            }
        }
    }
    by.into_iter()
        .map(|(hour, terms)| HourRow {
            hour,
            count: terms.values().sum(),
            by_terminal: terms.into_iter().collect(),
        })
        .collect()
}

fn dispensing(conn: &Connection, episodes_json: &str) -> Result<DispensingSummary, ReportError> {
    let mut st = conn.prepare(
        "SELECT d.receipt_number, d.line_no, d.kind, d.terminal FROM dispensings d
          WHERE d.receipt_number IN
                (SELECT r.number FROM receipts r
                  WHERE r.episode_id IN (SELECT value FROM json_each(?1)))
          ORDER BY d.id",
    )?;
    let mut s = DispensingSummary::default();
    let mut receipts: std::collections::HashSet<String> = Default::default();
    let mut per_line: BTreeMap<(String, u32), u32> = BTreeMap::new();
    let mut pharm: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut rows = st.query([episodes_json])?;
    while let Some(r) = rows.next()? {
        let number: String = r.get(0)?;
        let line: u32 = r.get(1)?;
        let kind: String = r.get(2)?;
        let terminal: String = r.get(3)?;
        let p = pharm.entry(terminal).or_default();
        if kind == "dispensed" {
            s.lines_dispensed += 1;
            p.0 += 1;
            *per_line.entry((number.clone(), line)).or_default() += 1;
            receipts.insert(number);
        } else {
            s.lines_returned += 1;
            p.1 += 1;
        }
    }
    s.receipts = receipts.len() as u64;
    s.by_pharmacy = pharm.into_iter().map(|(t, (d, r))| (t, d, r)).collect();
    s.double_dispensed = per_line
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k)
        .collect();
    Ok(s)
}

/// The after-action report of `episode` (default: the newest declared),
/// covering the other terminals' episodes open at the same time.
pub fn build_outage(
    conn: &Connection,
    episode: Option<i64>,
    clock: &dyn Clock,
    printed_by: &str,
) -> Result<OutageReport, ReportError> {
    let all = episodes(conn)?;
    let chosen = match episode {
        Some(id) => all
            .iter()
            .find(|e| e.id == id)
            .cloned()
            .ok_or(ReportError::NoSuchEpisode(id))?,
        None => all
            .iter()
            .max_by_key(|e| (parse_time(&e.opened_at), e.id))
            .cloned()
            .ok_or(ReportError::NoEpisode)?,
    };
    let mut timeline: Vec<EpisodeRow> = all
        .iter()
        .filter(|e| {
            e.id == chosen.id
                || (e.terminal != chosen.terminal && e.drill == chosen.drill && e.overlaps(&chosen))
        })
        .cloned()
        .collect();
    timeline.sort_by_key(|e| (parse_time(&e.opened_at), e.id));
    let ids: Vec<i64> = timeline.iter().map(|e| e.id).collect();
    let ids_json = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
    let recs = load(conn, &Scope::Episodes(&ids_json))?;
    let today = clock.now().date_naive();
    let today_s = today.format("%Y-%m-%d").to_string();

    let mut refunds = CountMoney::default();
    let mut exchange = ExchangeProgress::default();
    let mut due: BTreeMap<Option<String>, (u64, i64)> = BTreeMap::new();
    let mut open = Vec::new();
    for r in &recs {
        if r.voided {
            continue;
        }
        if r.credit_note {
            refunds.add(r.total);
            continue;
        }
        if r.drill {
            continue;
        }
        if r.exchanged {
            exchange.exchanged.add(r.total);
        } else if r.insurance_resettled {
            exchange.insurance_resettled.add(r.total);
        } else if r.self_pay_posted {
            exchange.self_pay_posted.add(r.total);
        } else if r.total > 0 && r.refunded >= r.total {
            exchange.refunded.add(r.total);
        } else {
            let left = r.total - r.refunded;
            exchange.open.add(left);
            if r.deadline.as_deref().is_some_and(|d| d < today_s.as_str()) {
                exchange.overdue.add(left);
            }
            let e = due.entry(r.deadline.clone()).or_default();
            e.0 += 1;
            e.1 += left;
            open.push(OpenReceipt {
                number: r.number.clone(),
                terminal: r.terminal.clone(),
                issued_at: r.issued_at.clone(),
                patient: r.patient.clone(),
                insured: r.insured,
                amount: Money::from_fen(left),
                deadline: r.deadline.clone(),
            });
        }
    }
    // Dated deadlines first, in order; "to be confirmed" last.
    let mut due: Vec<DueRow> = due
        .into_iter()
        .map(|(deadline, (count, fen))| DueRow {
            overdue: deadline.as_deref().is_some_and(|d| d < today_s.as_str()),
            deadline,
            count,
            amount: Money::from_fen(fen),
        })
        .collect();
    due.sort_by_key(|d| (d.deadline.is_none(), d.deadline.clone()));
    open.sort_by(|a, b| {
        (a.deadline.is_none(), &a.deadline, &a.number).cmp(&(
            b.deadline.is_none(),
            &b.deadline,
            &b.number,
        ))
    });

    Ok(OutageReport {
        header: header(conn, clock, printed_by)?,
        drill: chosen.drill,
        terminals: per_terminal(recs.iter()),
        hourly: hours(&recs),
        totals: totals(recs.iter()),
        refunds,
        dispensing: dispensing(conn, &ids_json)?,
        exchange,
        due,
        open,
        today,
        episode: chosen,
        timeline,
    })
}

/// A report of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    Shift(ShiftReport),
    Daily(Box<DailyReport>),
    Outage(Box<OutageReport>),
}

/// The episodes a person can pick for the outage report, newest first.
pub fn episode_choices(conn: &Connection) -> Result<Vec<EpisodeRow>, ReportError> {
    let mut all = episodes(conn)?;
    all.sort_by_key(|e| std::cmp::Reverse((parse_time(&e.opened_at), e.id)));
    Ok(all)
}

/// Whether an episode id exists (for early checks).
pub fn episode_exists(conn: &Connection, id: i64) -> Result<bool, ReportError> {
    Ok(conn
        .query_row("SELECT 1 FROM episodes WHERE id = ?1", params![id], |_| {
            Ok(())
        })
        .optional()?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(id: i64, terminal: &str, open: &str, close: Option<&str>) -> EpisodeRow {
        EpisodeRow {
            id,
            terminal: terminal.into(),
            level: "II".into(),
            reason: "HIS".into(),
            drill: false,
            opened_at: open.into(),
            opened_by: "a".into(),
            closed_at: close.map(Into::into),
            closed_by: None,
        }
    }

    #[test]
    fn episodes_overlap_when_both_were_open_at_one_moment() {
        let a = ep(
            1,
            "MZ01",
            "2026-11-22T08:00:00+08:00",
            Some("2026-11-22T12:00:00+08:00"),
        );
        let b = ep(2, "ZY01", "2026-11-22T11:00:00+08:00", None);
        let c = ep(
            3,
            "ZY01",
            "2026-11-22T12:30:00+08:00",
            Some("2026-11-22T13:00:00+08:00"),
        );
        // The same instant written with another offset.
        let d = ep(
            4,
            "YF01",
            "2026-11-22T03:59:00+00:00",
            Some("2026-11-22T05:00:00+00:00"),
        );
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c) && !c.overlaps(&a));
        assert!(b.overlaps(&c));
        assert!(a.overlaps(&d));
    }

    fn rec(at: &str, terminal: &str) -> Rec {
        Rec {
            number: format!("{terminal}-00000001"),
            terminal: terminal.into(),
            credit_note: false,
            issued_at: at.into(),
            total: 100,
            deadline: None,
            patient: String::new(),
            insured: false,
            drill: false,
            voided: false,
            exchanged: false,
            self_pay_posted: false,
            insurance_resettled: false,
            refunded: 0,
            cats: vec![],
            methods: vec![],
        }
    }

    #[test]
    fn hours_run_from_the_first_receipt_to_the_last_with_quiet_hours_at_zero() {
        let recs = [
            rec("2026-11-22T23:10:00+08:00", "MZ01"),
            rec("2026-11-23T01:59:00+08:00", "ZY01"),
            rec("2026-11-23T01:05:00+08:00", "MZ01"),
        ];
        let h = hours(&recs);
        let got: Vec<(&str, u64)> = h.iter().map(|r| (r.hour.as_str(), r.count)).collect();
        assert_eq!(
            got,
            [
                ("2026-11-22 23", 1),
                ("2026-11-23 00", 0),
                ("2026-11-23 01", 2)
            ]
        );
        assert_eq!(h[2].by_terminal, [("MZ01".into(), 1), ("ZY01".into(), 1)]);
    }

    #[test]
    fn deposits_have_their_own_category_and_voids_stay_out() {
        let mut dep = rec("2026-11-22T09:00:00+08:00", "ZY01");
        dep.total = 500_000;
        dep.methods = vec![("card".into(), 500_000)];
        let mut drug = rec("2026-11-22T09:10:00+08:00", "MZ01");
        drug.cats = vec![("西药".into(), 100)];
        drug.methods = vec![("cash".into(), 100)];
        let mut void = drug.clone();
        void.voided = true;
        let t = totals([dep, drug, void].iter());
        assert_eq!(t.total, Money::from_fen(500_100));
        assert_eq!(t.receipts, 2);
        assert_eq!(t.voided.count, 1);
        let keys: Vec<&str> = t.by_category.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["西药", DEPOSIT]);
        let sum: Money = t.by_method.iter().map(|a| a.amount).sum();
        assert_eq!(sum, t.total);
    }
}
