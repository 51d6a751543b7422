//! Reconciliation: what the HIS reports back (a CSV of manual receipt
//! number → HIS invoice, amount, when, kind; format in cli.md) against our
//! records. Every row of the file falls in exactly one group — matched,
//! amount mismatch, unknown to us, duplicate — and every receipt we expect
//! in the HIS that no row names is "missing in the HIS", so the counts and
//! totals add up to the whole file and to the whole of our receipts.
//! Matched rows are recorded as finance events (exchanged, self-pay
//! posted, re-settled) in one transaction with one audit entry; a second
//! run finds them recorded and adds nothing. A malformed file is refused
//! with its row and column before anything is looked at.

use super::FinanceError;
use super::exchange::{self, EXCHANGED, INSURANCE_RESETTLED, SELF_PAY_POSTED};
use crate::audit::{self, Actor};
use crate::auth::{Role, Session};
use crate::clock::{Clock, stamp};
use crate::money::Money;
use crate::store::Store;
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

pub const COLUMNS: [&str; 5] = [
    "manual_receipt_no",
    "his_invoice_no",
    "amount",
    "posted_at",
    "kind",
];

/// One row of the HIS results file, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HisRow {
    /// As a spreadsheet shows it (the header is row 1).
    pub row: u64,
    pub receipt: String,
    pub invoice: String,
    pub amount: Money,
    pub posted_at: String,
    /// The event kind it records: exchanged, self_pay_posted, insurance_resettled.
    pub kind: &'static str,
}

struct Problem {
    row: u64,
    column: String,
    zh: String,
    en: String,
}

fn valid_time(s: &str) -> bool {
    // The date alone is the common case: tried first.
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
        || chrono::DateTime::parse_from_rfc3339(s).is_ok()
        || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").is_ok()
}

/// Reads and checks the whole file; any problem refuses it, naming the
/// first (row and column) and how many more there are.
pub fn parse_file(path: &Path) -> Result<Vec<HisRow>, FinanceError> {
    let bytes = std::fs::read(path).map_err(|source| FinanceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_bytes(path, &bytes)
}

pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<Vec<HisRow>, FinanceError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut problems: Vec<Problem> = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = rdr.byte_records();
    let refuse = |problems: Vec<Problem>| {
        let more = problems.len().saturating_sub(1);
        let p = problems.into_iter().next();
        let (row, column, zh, en) = p.map(|p| (p.row, p.column, p.zh, p.en)).unwrap_or((
            1,
            String::new(),
            String::new(),
            String::new(),
        ));
        FinanceError::Malformed {
            path: path.to_path_buf(),
            row,
            column,
            zh,
            en,
            more,
        }
    };
    let header = match records.next() {
        Some(Ok(h)) => h,
        _ => {
            return Err(refuse(vec![Problem {
                row: 1,
                column: "header".into(),
                zh: format!("缺少表头（应为 {}）", COLUMNS.join(",")),
                en: format!("no header line (expected {})", COLUMNS.join(",")),
            }]));
        }
    };
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_lowercase())
        .collect();
    let mut at = [0usize; 5];
    for (i, c) in COLUMNS.iter().enumerate() {
        match names.iter().position(|n| n == c) {
            Some(p) => at[i] = p,
            None => problems.push(Problem {
                row: 1,
                column: (*c).into(),
                zh: format!("缺少列 {c}"),
                en: format!("missing column {c}"),
            }),
        }
    }
    if !problems.is_empty() {
        return Err(refuse(problems));
    }
    let mut out = Vec::new();
    for (i, rec) in records.enumerate() {
        let row = i as u64 + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(Problem {
                    row,
                    column: "-".into(),
                    zh: format!("无法读取此行：{e}"),
                    en: format!("cannot read the row: {e}"),
                });
                continue;
            }
        };
        if rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        let mut field = |k: usize| -> Option<String> {
            let c = COLUMNS[k];
            match rec.get(at[k]).map(std::str::from_utf8) {
                Some(Ok(s)) => Some(s.trim().to_string()),
                Some(Err(_)) => {
                    problems.push(Problem {
                        row,
                        column: c.into(),
                        zh: "不是 UTF-8 文本".into(),
                        en: "not UTF-8 text".into(),
                    });
                    None
                }
                None => {
                    problems.push(Problem {
                        row,
                        column: c.into(),
                        zh: "此行缺少该列".into(),
                        en: "the row has no value in this column".into(),
                    });
                    None
                }
            }
        };
        let (receipt, invoice, amount, posted, kind) =
            (field(0), field(1), field(2), field(3), field(4));
        let mut bad = |c: &str, zh: String, en: String| {
            problems.push(Problem {
                row,
                column: c.into(),
                zh,
                en,
            })
        };
        let receipt = receipt.filter(|r| {
            let ok = !r.is_empty() && r.len() <= 32 && !r.chars().any(char::is_control);
            if !ok {
                bad(
                    COLUMNS[0],
                    "票据号为空或无效".into(),
                    "empty or invalid receipt number".into(),
                );
            }
            ok
        });
        let invoice = invoice.and_then(|v| match exchange::parse_invoice(&v) {
            Ok(v) => Some(v),
            Err(_) => {
                bad(
                    COLUMNS[1],
                    "HIS 发票号为空或无效".into(),
                    "empty or invalid HIS invoice number".into(),
                );
                None
            }
        });
        let amount = amount.and_then(|a| match Money::parse(&a) {
            Ok(m) if !m.is_negative() => Some(m),
            _ => {
                bad(
                    COLUMNS[2],
                    format!("金额“{a}”无效（应为不小于 0、至多两位小数的数）"),
                    format!("bad amount '{a}' (a number ≥ 0 with at most 2 decimals)"),
                );
                None
            }
        });
        let posted = posted.filter(|p| {
            let ok = valid_time(p);
            if !ok {
                bad(
                    COLUMNS[3],
                    format!("时间“{p}”无效（RFC 3339 或 YYYY-MM-DD）"),
                    format!("bad time '{p}' (RFC 3339 or YYYY-MM-DD)"),
                );
            }
            ok
        });
        let kind = kind.and_then(|k| match k.as_str() {
            "exchange" => Some(EXCHANGED),
            "self_pay" => Some(SELF_PAY_POSTED),
            "insurance_resettle" => Some(INSURANCE_RESETTLED),
            _ => {
                bad(
                    COLUMNS[4],
                    format!("未知类型“{k}”（exchange、self_pay、insurance_resettle）"),
                    format!("unknown kind '{k}' (exchange, self_pay, insurance_resettle)"),
                );
                None
            }
        });
        if let (Some(receipt), Some(invoice), Some(amount), Some(posted_at), Some(kind)) =
            (receipt, invoice, amount, posted, kind)
        {
            out.push(HisRow {
                row,
                receipt,
                invoice,
                amount,
                posted_at,
                kind,
            });
        }
    }
    if !problems.is_empty() {
        return Err(refuse(problems));
    }
    Ok(out)
}

/// One line of a group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Item {
    /// The file's row (none for receipts missing in the HIS).
    pub row: Option<u64>,
    pub receipt: String,
    pub his_invoice: Option<String>,
    /// The HIS's amount.
    pub amount: Option<Money>,
    /// What we expect the HIS to hold for the receipt.
    pub our_amount: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Why the row is where it is (duplicates, conflicts), in English and
    /// in Chinese.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note_zh: Option<String>,
}

impl Item {
    fn set_note(&mut self, zh: impl Into<String>, en: impl Into<String>) {
        self.note_zh = Some(zh.into());
        self.note = Some(en.into());
    }

    /// The note in the screen's language (empty when there is none).
    pub fn note_text(&self, lang: crate::i18n::Lang) -> String {
        match lang {
            crate::i18n::Lang::Zh => self.note_zh.clone(),
            crate::i18n::Lang::En => self.note.clone(),
        }
        .unwrap_or_default()
    }
}

/// A group: how many, the HIS's total and ours, and the lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Group {
    pub count: u64,
    /// The HIS's amounts (for missing in the HIS: ours).
    pub total: Money,
    pub our_total: Money,
    pub items: Vec<Item>,
}

impl Group {
    fn push(&mut self, item: Item) {
        self.count += 1;
        let his = item.amount.or(item.our_amount).unwrap_or(Money::ZERO);
        self.total = Money::from_fen(self.total.fen() + his.fen());
        let ours = item.our_amount.unwrap_or(Money::ZERO);
        self.our_total = Money::from_fen(self.our_total.fen() + ours.fen());
        self.items.push(item);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RecordedCounts {
    pub exchanged: u64,
    pub self_pay_posted: u64,
    pub insurance_resettled: u64,
}

/// The outcome. Rows: matched + amount_mismatch + unknown_to_us +
/// duplicates = file_rows (and their totals = file_total). Our receipts
/// expected in the HIS: matched + amount_mismatch (those expected) +
/// missing_in_his = our_receipts (our totals = our_total).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub file: PathBuf,
    pub file_rows: u64,
    pub file_total: Money,
    pub our_receipts: u64,
    pub our_total: Money,
    pub matched: Group,
    pub amount_mismatch: Group,
    pub missing_in_his: Group,
    pub unknown_to_us: Group,
    pub duplicates: Group,
    /// Finance events this run recorded.
    pub recorded: RecordedCounts,
    /// Matched rows already recorded by an earlier run or at the desk.
    pub already_recorded: u64,
    /// Matched rows not recorded because the receipt already carries a
    /// different HIS invoice or kind.
    pub conflicts: Vec<Item>,
}

/// A recorded event's details (fields in the order a JSON map sorts them).
#[derive(serde::Serialize)]
struct Details<'a> {
    his_invoice: &'a str,
    his_posted_at: &'a str,
    source: &'a str,
}

struct Ours {
    id: i64,
    /// What the HIS should hold: the net total, 0 for voided and drill.
    expected_fen: i64,
    /// Expected in the HIS at all (not voided, not drill, not refunded in full).
    expected: bool,
    done: Option<(String, String)>,
}

fn ours(conn: &Connection) -> Result<HashMap<String, Ours>, FinanceError> {
    // Three plain scans joined here (one correlated look-up per receipt
    // cost twice as much): credit notes summed by original, voided ids.
    let mut credited: HashMap<String, i64> = HashMap::new();
    let mut st = conn.prepare(
        "SELECT original_number, SUM(total_fen) FROM receipts
          WHERE original_number IS NOT NULL GROUP BY original_number",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        credited.insert(r.get(0)?, r.get(1)?);
    }
    let mut voided: HashSet<i64> = HashSet::new();
    let mut st = conn.prepare("SELECT receipt_id FROM receipt_events WHERE kind = 'void'")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        voided.insert(r.get(0)?);
    }
    let mut map = HashMap::new();
    let mut st = conn
        .prepare("SELECT id, number, drill, total_fen FROM receipts WHERE kind != 'credit_note'")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let (id, number, drill, total): (i64, String, i64, i64) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let net = total + credited.get(&number).copied().unwrap_or(0);
        let expected = drill == 0 && !voided.contains(&id) && net > 0;
        map.insert(
            number,
            Ours {
                id,
                expected_fen: if expected { net } else { 0 },
                expected,
                done: None,
            },
        );
    }
    let mut st = conn.prepare(
        "SELECT r.number, e.kind, e.details FROM receipt_events e JOIN receipts r ON r.id = e.receipt_id
          WHERE e.kind IN ('exchanged', 'self_pay_posted', 'insurance_resettled')",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let (number, kind, details): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let inv = serde_json::from_str::<serde_json::Value>(&details)
            .ok()
            .and_then(|d| d.get("his_invoice")?.as_str().map(str::to_string))
            .unwrap_or_default();
        if let Some(o) = map.get_mut(&number) {
            o.done = Some((kind, inv));
        }
    }
    Ok(map)
}

/// Reconciles the HIS results file `path` and records what matched.
pub fn reconcile(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    path: &Path,
) -> Result<Report, FinanceError> {
    session.require(Role::Finance, "reconcile HIS results")?;
    let bytes = std::fs::read(path).map_err(|source| FinanceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let rows = parse_bytes(path, &bytes)?;
    let tx = store.write()?;
    let ours = ours(&tx)?;
    let mut held: HashMap<String, String> = HashMap::new();
    {
        let mut st = tx.prepare("SELECT invoice, receipt_number FROM his_invoices")?;
        let mut q = st.query([])?;
        while let Some(r) = q.next()? {
            held.insert(r.get(0)?, r.get(1)?);
        }
    }
    let mut report = Report {
        file: path.to_path_buf(),
        file_rows: rows.len() as u64,
        file_total: Money::from_fen(rows.iter().map(|r| r.amount.fen()).sum()),
        our_receipts: 0,
        our_total: Money::ZERO,
        matched: Group::default(),
        amount_mismatch: Group::default(),
        missing_in_his: Group::default(),
        unknown_to_us: Group::default(),
        duplicates: Group::default(),
        recorded: RecordedCounts::default(),
        already_recorded: 0,
        conflicts: Vec::new(),
    };
    let mut seen_numbers: HashSet<&str> = HashSet::new();
    // Receipts a matched or mismatched row speaks for.
    let mut named: HashSet<&str> = HashSet::new();
    let mut seen_invoices: HashSet<&str> = HashSet::new();
    let at = stamp(clock.now());
    let mut first_event = None;
    let mut last_event = None;
    let mut events = Sha256::new();
    let mut writer = exchange::RecordWriter::new(&tx)?;
    let user = session.user().as_str();
    for r in &rows {
        let o = ours.get(&r.receipt);
        let mut item = Item {
            row: Some(r.row),
            receipt: r.receipt.clone(),
            his_invoice: Some(r.invoice.clone()),
            amount: Some(r.amount),
            our_amount: o.map(|o| Money::from_fen(o.expected_fen)),
            kind: Some(r.kind.to_string()),
            note: None,
            note_zh: None,
        };
        let dup_number = !seen_numbers.insert(&r.receipt);
        let dup_invoice = !seen_invoices.insert(&r.invoice);
        let held_elsewhere = held.get(&r.invoice).is_some_and(|n| *n != r.receipt);
        if dup_number || dup_invoice || held_elsewhere {
            if dup_number {
                item.set_note("文件中票号重复", "receipt number repeated in the file");
            } else if dup_invoice {
                item.set_note(
                    "文件中 HIS 发票号重复",
                    "HIS invoice number repeated in the file",
                );
            } else {
                item.set_note(
                    "该 HIS 发票号已登记在另一张票据上",
                    "HIS invoice number already recorded against another receipt",
                );
            }
            report.duplicates.push(item);
            continue;
        }
        let Some(o) = o else {
            report.unknown_to_us.push(item);
            continue;
        };
        named.insert(&r.receipt);
        if r.amount.fen() != o.expected_fen {
            report.amount_mismatch.push(item);
            continue;
        }
        match &o.done {
            Some((kind, inv)) if kind == r.kind && *inv == r.invoice => {
                report.already_recorded += 1;
            }
            Some((kind, inv)) => {
                let mut c = item.clone();
                c.set_note(
                    format!("已按“{kind}”登记，HIS 发票号 {inv}"),
                    format!("already recorded as {kind} with HIS invoice {inv}"),
                );
                report.conflicts.push(c);
            }
            None if !o.expected => {
                let mut c = item.clone();
                c.set_note(
                    "已作废、演练或已退费：无需登记",
                    "voided, drill or refunded: nothing to record",
                );
                report.conflicts.push(c);
            }
            None => {
                // The same text `serde_json::json!` writes (keys sorted),
                // without building a map per row.
                let details = serde_json::to_string(&Details {
                    his_invoice: &r.invoice,
                    his_posted_at: &r.posted_at,
                    source: "reconcile",
                })
                .unwrap_or_default();
                let id = writer.write(o.id, &r.receipt, r.kind, &r.invoice, &at, user, &details)?;
                first_event.get_or_insert(id);
                last_event = Some(id);
                // `{id} {receipt} {kind} {invoice}\n`, fed piece by piece.
                events.update(id.to_string().as_bytes());
                for part in [r.receipt.as_str(), r.kind, r.invoice.as_str()] {
                    events.update(b" ");
                    events.update(part.as_bytes());
                }
                events.update(b"\n");
                match r.kind {
                    EXCHANGED => report.recorded.exchanged += 1,
                    SELF_PAY_POSTED => report.recorded.self_pay_posted += 1,
                    _ => report.recorded.insurance_resettled += 1,
                }
            }
        }
        report.matched.push(item);
    }
    drop(writer);
    // Ours: every receipt expected in the HIS, and which no row names.
    let mut missing: Vec<(&String, &Ours)> = ours
        .iter()
        .filter(|(n, o)| o.expected && !named.contains(n.as_str()))
        .collect();
    missing.sort_by_key(|(_, o)| o.id);
    for (n, o) in missing {
        report.missing_in_his.push(Item {
            row: None,
            receipt: n.clone(),
            his_invoice: None,
            amount: None,
            our_amount: Some(Money::from_fen(o.expected_fen)),
            kind: None,
            note: None,
            note_zh: None,
        });
    }
    let (count, total) = ours
        .values()
        .filter(|o| o.expected)
        .fold((0u64, 0i64), |(c, t), o| (c + 1, t + o.expected_fen));
    report.our_receipts = count;
    report.our_total = Money::from_fen(total);
    if let (Some(first), Some(last)) = (first_event, last_event) {
        audit::record(
            &tx,
            &Actor::of(session),
            clock,
            "finance.reconcile",
            &[format!("his_file:{}", hex::encode(Sha256::digest(&bytes)))],
            serde_json::json!({
                "file": path.display().to_string(),
                "file_sha256": hex::encode(Sha256::digest(&bytes)),
                "rows": report.file_rows,
                "recorded": report.recorded,
                "first_event_id": first,
                "last_event_id": last,
                "events_sha256": hex::encode(events.finalize()),
            }),
        )?;
    }
    tx.commit()?;
    Ok(report)
}
