//! Checks of the tables whose every row an audited operation wrote —
//! outage episodes and their closures, receipt ranges, settings,
//! dispensings, shift closes — by
//! replaying the audit trail: each row must be exactly what its entry says
//! (same values, time and user), each entry's row must still exist, and a
//! row no entry wrote was inserted behind the program's back. Rows a
//! journal import brought from another terminal (`journal_map`) are that
//! terminal's and are left to the journal's own checks.
//!
//! [`COVERAGE`] lists every table of the schema with the check that covers
//! it, in one place: the test `tamper_verify` fails when a migration adds a
//! table that is not listed, so a new table cannot be forgotten.

use super::{Checked, Problem};
use crate::keys::SigningKey;
use crate::store::StoreError;
use rusqlite::Connection;
use std::collections::{BTreeMap, HashSet};

/// Every table of the schema and the `verify` check that covers its rows.
pub const COVERAGE: &[(&str, &str)] = &[
    ("audit_log", "audit_chain"),
    ("backups", "backups"),
    ("calendar_entries", "calendar"),
    ("calendar_imports", "calendar"),
    ("dispensings", "dispensings"),
    ("episode_closures", "episodes"),
    ("episodes", "episodes"),
    ("his_batches", "triggers"),
    ("his_invoices", "triggers"),
    ("his_postings", "triggers"),
    ("journal_audit", "journals"),
    ("journal_collisions", "journals"),
    ("journal_events", "journals"),
    ("journal_imports", "journals"),
    ("journal_map", "triggers"),
    ("journal_receipt_digests", "journals"),
    ("journal_receipts", "journals"),
    ("key_wraps", "key_wraps"),
    ("lost_numbers", "lost_numbers"),
    ("price_aliases", "price_snapshots"),
    ("price_items", "price_snapshots"),
    ("price_snapshots", "price_snapshots"),
    ("receipt_events", "receipts"),
    ("receipt_lines", "receipts"),
    ("receipt_payments", "receipts"),
    ("receipt_ranges", "ranges"),
    ("receipts", "receipts"),
    ("settings", "settings"),
    ("shift_closes", "shift_closes"),
    ("users", "users"),
];

/// One audit entry, as the replays read it.
struct Entry {
    seq: i64,
    at: String,
    terminal: String,
    user: String,
    action: String,
    records: Vec<String>,
    details: serde_json::Value,
}

fn entries(conn: &Connection, actions: &[&str]) -> Result<Vec<Entry>, StoreError> {
    let mut st = conn.prepare(
        "SELECT seq, at, terminal, user, action, records, details FROM audit_log ORDER BY seq",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, at, terminal, user, action, records, details) = row?;
        if !actions.contains(&action.as_str()) {
            continue;
        }
        out.push(Entry {
            seq,
            at,
            terminal,
            user,
            action,
            records: serde_json::from_str(&records).unwrap_or_default(),
            details: serde_json::from_str(&details).unwrap_or_default(),
        });
    }
    Ok(out)
}

impl Entry {
    /// The id in a `prefix:ID` record.
    fn record_id(&self, prefix: &str) -> Option<i64> {
        self.records
            .iter()
            .find_map(|r| r.strip_prefix(prefix)?.strip_prefix(':')?.parse().ok())
    }

    fn record_text(&self, prefix: &str) -> Option<String> {
        self.records
            .iter()
            .find_map(|r| Some(r.strip_prefix(prefix)?.strip_prefix(':')?.to_string()))
    }

    fn text(&self, key: &str) -> Option<String> {
        match self.details.get(key)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            v => Some(v.to_string()),
        }
    }
}

/// Local ids of the rows of `tbl` a journal import brought in.
fn imported_ids(conn: &Connection, tbl: &str) -> Result<HashSet<i64>, StoreError> {
    let has: bool = crate::store::has_table(conn, "journal_map")?;
    if !has {
        return Ok(HashSet::new());
    }
    // A row stands for `n` consecutive ids (a run of receipts).
    let mut st = conn
        .prepare("SELECT local_id, n FROM journal_map WHERE tbl = ?1 AND local_id IS NOT NULL")?;
    let mut ids = HashSet::new();
    let mut rows = st.query([tbl])?;
    while let Some(r) = rows.next()? {
        let (first, n): (i64, i64) = (r.get(0)?, r.get(1)?);
        ids.extend(first..first.saturating_add(n));
    }
    Ok(ids)
}

/// Names each field of a row that differs from its audit entry.
fn compare(
    out: &mut Checked,
    check: &str,
    record: &str,
    seq: i64,
    fields: &[(&str, String, String)],
) {
    for (field, stored, audited) in fields {
        if stored != audited && !same_moment(stored, audited) {
            out.problems.push(Problem::new(
                check,
                record.to_string(),
                format!(
                    "{field} is '{stored}' but audit entry {seq} recorded '{audited}' (changed behind the program's back)"
                ),
                format!("{field} 为“{stored}”，但审计记录 {seq} 记载为“{audited}”（被绕过程序改动）"),
            ));
        }
    }
}

/// Two RFC 3339 times at most 2 s apart: a row and its audit entry each
/// read the clock once, in the same transaction.
fn same_moment(a: &str, b: &str) -> bool {
    match (
        chrono::DateTime::parse_from_rfc3339(a),
        chrono::DateTime::parse_from_rfc3339(b),
    ) {
        (Ok(a), Ok(b)) => (a - b).num_milliseconds().abs() <= 2000,
        _ => false,
    }
}

fn inserted(out: &mut Checked, check: &str, record: String, what_en: &str, what_zh: &str) {
    out.problems.push(Problem::new(
        check,
        record,
        format!("no audit entry records {what_en} (inserted behind the program's back)"),
        format!("没有{what_zh}的审计记录（绕过程序插入）"),
    ));
}

fn deleted(out: &mut Checked, check: &str, record: String, seq: i64) {
    out.problems.push(Problem::new(
        check,
        record,
        format!("recorded by audit entry {seq} but missing: deleted behind the program's back"),
        format!("审计记录 {seq} 记载了它，但记录缺失：被绕过程序删除"),
    ));
}

/// Names every audited record whose row is gone (`held` holds the ids
/// still in `table`).
fn deleted_unless_held<'a>(
    out: &mut Checked,
    check: &str,
    table: &str,
    audited: impl IntoIterator<Item = (&'a i64, i64)>,
    held: &HashSet<i64>,
) {
    for (id, seq) in audited {
        if !held.contains(id) {
            deleted(out, check, format!("{table} {id}"), seq);
        }
    }
}

/// The audit entries of `actions`, by the id of the `kind` record they name.
fn entries_by_record(
    conn: &Connection,
    actions: &[&str],
    kind: &str,
) -> Result<BTreeMap<i64, Entry>, StoreError> {
    let mut by_id = BTreeMap::new();
    for e in entries(conn, actions)? {
        if let Some(id) = e.record_id(kind) {
            by_id.insert(id, e);
        }
    }
    Ok(by_id)
}

fn drill_word(d: &str) -> String {
    match d {
        "1" | "true" => "drill".into(),
        "0" | "false" => "real".into(),
        other => other.into(),
    }
}

/// Outage episodes and their closures against `episode.open` and
/// `episode.close`: terminal, level, reason, the drill flag, who and when.
pub fn episodes_against_audit(
    conn: &Connection,
    _key: Option<&SigningKey>,
) -> Result<Checked, StoreError> {
    const CHECK: &str = "episodes";
    let mut out = Checked::default();
    let imported = imported_ids(conn, "episodes")?;
    let mut opened: BTreeMap<i64, Entry> = BTreeMap::new();
    let mut closed: BTreeMap<i64, Entry> = BTreeMap::new();
    for e in entries(conn, &["episode.open", "episode.close"])? {
        if let Some(id) = e.record_id("episode") {
            if e.action == "episode.open" {
                opened.insert(id, e);
            } else {
                closed.insert(id, e);
            }
        }
    }
    let mut st = conn.prepare(
        "SELECT id, terminal, level, reason, drill, opened_at, opened_by FROM episodes ORDER BY id",
    )?;
    let rows: Vec<(i64, String, String, String, i64, String, String)> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut held = HashSet::new();
    for (id, terminal, level, reason, drill, opened_at, opened_by) in rows {
        out.records += 1;
        held.insert(id);
        if imported.contains(&id) {
            continue;
        }
        let record = format!("episodes {id}");
        let Some(e) = opened.get(&id) else {
            inserted(&mut out, CHECK, record, "its opening", "开启它");
            continue;
        };
        compare(
            &mut out,
            CHECK,
            &record,
            e.seq,
            &[
                (
                    "drill",
                    drill_word(&drill.to_string()),
                    drill_word(&e.text("drill").unwrap_or_default()),
                ),
                ("level", level, e.text("level").unwrap_or_default()),
                ("reason", reason, e.text("reason").unwrap_or_default()),
                ("terminal", terminal, e.terminal.clone()),
                ("opened_at", opened_at, e.at.clone()),
                ("opened_by", opened_by, e.user.clone()),
            ],
        );
    }
    deleted_unless_held(
        &mut out,
        CHECK,
        "episodes",
        opened.iter().map(|(id, e)| (id, e.seq)),
        &held,
    );
    let mut st =
        conn.prepare("SELECT episode_id, closed_at, closed_by FROM episode_closures ORDER BY 1")?;
    let rows: Vec<(i64, String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut closures = HashSet::new();
    for (id, at, by) in rows {
        out.records += 1;
        closures.insert(id);
        if imported.contains(&id) {
            continue;
        }
        let record = format!("episode_closures {id}");
        match closed.get(&id) {
            None => inserted(&mut out, CHECK, record, "this closing", "关闭它"),
            Some(e) => compare(
                &mut out,
                CHECK,
                &record,
                e.seq,
                &[
                    ("closed_at", at, e.at.clone()),
                    ("closed_by", by, e.user.clone()),
                ],
            ),
        }
    }
    for (id, e) in &closed {
        if !closures.contains(id) {
            deleted(&mut out, CHECK, format!("episode_closures {id}"), e.seq);
        }
    }
    Ok(out)
}

/// Receipt ranges against `range.add`: terminal, first and last number,
/// who and when. A widened range would let numbers be issued that no
/// receipt book holds.
pub fn ranges_against_audit(
    conn: &Connection,
    _key: Option<&SigningKey>,
) -> Result<Checked, StoreError> {
    const CHECK: &str = "ranges";
    let mut out = Checked::default();
    let imported = imported_ids(conn, "receipt_ranges")?;
    let added = entries_by_record(conn, &["range.add"], "range")?;
    let mut st = conn.prepare(
        "SELECT id, terminal, first_seq, last_seq, added_at, added_by FROM receipt_ranges ORDER BY id",
    )?;
    let rows: Vec<(i64, String, i64, i64, String, String)> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut held = HashSet::new();
    for (id, terminal, first, last, at, by) in rows {
        out.records += 1;
        held.insert(id);
        if imported.contains(&id) {
            continue;
        }
        let record = format!("receipt_ranges {id}");
        let Some(e) = added.get(&id) else {
            inserted(&mut out, CHECK, record, "its adding", "添加它");
            continue;
        };
        compare(
            &mut out,
            CHECK,
            &record,
            e.seq,
            &[
                (
                    "first",
                    first.to_string(),
                    e.text("from").unwrap_or_default(),
                ),
                ("last", last.to_string(), e.text("to").unwrap_or_default()),
                ("terminal", terminal, e.text("terminal").unwrap_or_default()),
                ("added_at", at, e.at.clone()),
                ("added_by", by, e.user.clone()),
            ],
        );
    }
    deleted_unless_held(
        &mut out,
        CHECK,
        "receipt_ranges",
        added.iter().map(|(id, e)| (id, e.seq)),
        &held,
    );
    Ok(out)
}

/// Every settings row against the audit trail: the terminal code, hospital
/// name, setup time and key fingerprint recorded at setup (or the key's
/// import), each changed setting's last value, the journal origin. A row
/// no entry wrote, or whose value differs, is named.
pub fn settings_against_audit(
    conn: &Connection,
    _key: Option<&SigningKey>,
) -> Result<Checked, StoreError> {
    const CHECK: &str = "settings";
    let mut out = Checked::default();
    // key → (value, the entry that set it)
    let mut want: BTreeMap<String, (Option<String>, i64)> = BTreeMap::new();
    for e in entries(
        conn,
        &["setup", "key.import", "setting.set", "journal.origin"],
    )? {
        let mut put = |k: &str, v: Option<String>| {
            want.insert(k.to_string(), (v, e.seq));
        };
        match e.action.as_str() {
            "setup" => {
                put(crate::settings::TERMINAL_CODE, e.record_text("terminal"));
                put(crate::settings::HOSPITAL_NAME, e.text("hospital"));
                put("setup.at", Some(e.at.clone()));
                put("key.fingerprint", e.text("key_fingerprint"));
            }
            "key.import" => put("key.fingerprint", e.record_text("key")),
            "setting.set" => {
                if let Some(k) = e.record_text("setting") {
                    put(&k, e.text("to"));
                }
            }
            _ => {
                if let Some(k) = e.record_text("setting") {
                    put(&k, e.text("origin"));
                }
            }
        }
    }
    let mut st = conn.prepare("SELECT key, value FROM settings ORDER BY key")?;
    let rows: Vec<(String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut held = HashSet::new();
    for (k, v) in rows {
        out.records += 1;
        held.insert(k.clone());
        let record = format!("settings {k}");
        match want.get(&k) {
            None => inserted(&mut out, CHECK, record, "this setting", "此设置"),
            // An entry that names the setting without its value: only
            // its presence is checked.
            Some((None, _)) => {}
            Some((Some(audited), seq)) => compare(
                &mut out,
                CHECK,
                &record,
                *seq,
                &[("value", v, audited.clone())],
            ),
        }
    }
    for (k, (_, seq)) in &want {
        if !held.contains(k) {
            deleted(&mut out, CHECK, format!("settings {k}"), *seq);
        }
    }
    Ok(out)
}

/// (field, value) as an audit entry recorded a row.
type Fields = Vec<(&'static str, String)>;
/// id, terminal, cashier, closed_at, cash expected, cash declared, supervisor.
type ShiftRow = (i64, String, String, String, i64, Option<i64>, String);

/// This terminal's code, as set up (rows of other terminals came in
/// journals and are checked by the journal's provenance).
fn local_terminal(conn: &Connection) -> String {
    crate::settings::terminal_code_text(conn).unwrap_or_default()
}

/// Dispensings and return confirmations against `pharmacy.dispense` and
/// `pharmacy.return` (receipt, line, item, quantity, kind, who, when,
/// reason): a dispensing deleted (the drug could be handed out again),
/// added or changed is named.
pub fn dispensings_against_audit(
    conn: &Connection,
    _key: Option<&SigningKey>,
) -> Result<Checked, StoreError> {
    const CHECK: &str = "dispensings";
    let mut out = Checked::default();
    // id → (seq, field values as the entry recorded them)
    let mut want: BTreeMap<i64, (i64, Fields)> = BTreeMap::new();
    for e in entries(conn, &["pharmacy.dispense", "pharmacy.return"])? {
        let number = e.record_text("receipt").unwrap_or_default();
        let kind = if e.action == "pharmacy.dispense" {
            "dispensed"
        } else {
            "return_confirmed"
        };
        let ids: Vec<i64> = e
            .details
            .get("dispensing_ids")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_i64()).collect())
            .unwrap_or_default();
        let lines: Vec<serde_json::Value> = e
            .details
            .get("lines")
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default();
        for (id, line) in ids.iter().zip(&lines) {
            let field = |k: &str| match line.get(k) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => String::new(),
            };
            want.insert(
                *id,
                (
                    e.seq,
                    vec![
                        ("receipt", number.clone()),
                        ("line", field("line")),
                        ("code", field("code")),
                        ("qty", field("qty")),
                        ("kind", kind.to_string()),
                        ("terminal", e.terminal.clone()),
                        ("user", e.user.clone()),
                        ("at", e.at.clone()),
                        ("reason", e.text("reason").unwrap_or_default()),
                    ],
                ),
            );
        }
    }
    let here = local_terminal(conn);
    let mut st = conn.prepare(
        "SELECT id, receipt_number, line_no, code, qty, kind, terminal, user, at, coalesce(reason, '')
           FROM dispensings ORDER BY id",
    )?;
    let rows: Vec<(i64, Vec<String>)> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                vec![
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?.to_string(),
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ],
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut held = HashSet::new();
    for (id, values) in rows {
        out.records += 1;
        held.insert(id);
        let record = format!("dispensings {id}");
        match want.get(&id) {
            Some((seq, fields)) => {
                let cmp: Vec<(&str, String, String)> = fields
                    .iter()
                    .zip(values)
                    .map(|((name, audited), stored)| (*name, stored, audited.clone()))
                    .collect();
                compare(&mut out, CHECK, &record, *seq, &cmp);
            }
            None if values.get(5) == Some(&here) => {
                inserted(&mut out, CHECK, record, "this dispensing", "此发药记录");
            }
            None => {}
        }
    }
    deleted_unless_held(
        &mut out,
        CHECK,
        "dispensings",
        want.iter().map(|(id, (seq, _))| (id, *seq)),
        &held,
    );
    Ok(out)
}

/// Shift closes against `shift.close`: who, when, the terminal, cash
/// expected and declared, the supervisor.
pub fn shift_closes_against_audit(
    conn: &Connection,
    _key: Option<&SigningKey>,
) -> Result<Checked, StoreError> {
    const CHECK: &str = "shift_closes";
    let mut out = Checked::default();
    let closes = entries_by_record(conn, &["shift.close"], "shift")?;
    let here = local_terminal(conn);
    let mut st = conn.prepare(
        "SELECT id, terminal, cashier, closed_at, cash_expected_fen, cash_declared_fen, coalesce(supervisor, '')
           FROM shift_closes ORDER BY id",
    )?;
    let money = |f: Option<i64>| {
        f.map(|f| crate::money::Money::from_fen(f).to_string())
            .unwrap_or_default()
    };
    let rows: Vec<ShiftRow> = st
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut held = HashSet::new();
    for (id, terminal, cashier, closed_at, expected, declared, supervisor) in rows {
        out.records += 1;
        held.insert(id);
        let record = format!("shift_closes {id}");
        match closes.get(&id) {
            Some(e) => compare(
                &mut out,
                CHECK,
                &record,
                e.seq,
                &[
                    ("terminal", terminal, e.terminal.clone()),
                    ("cashier", cashier, e.user.clone()),
                    ("closed_at", closed_at, e.at.clone()),
                    (
                        "cash_expected",
                        money(Some(expected)),
                        e.text("cash_expected").unwrap_or_default(),
                    ),
                    (
                        "cash_declared",
                        money(declared),
                        e.text("cash_declared").unwrap_or_default(),
                    ),
                    (
                        "supervisor",
                        supervisor,
                        e.text("supervisor").unwrap_or_default(),
                    ),
                ],
            ),
            None if terminal == here => {
                inserted(&mut out, CHECK, record, "this shift close", "此交班记录");
            }
            None => {}
        }
    }
    deleted_unless_held(
        &mut out,
        CHECK,
        "shift_closes",
        closes.iter().map(|(id, e)| (id, e.seq)),
        &held,
    );
    Ok(out)
}

/// The tables of a database, for the coverage test and `verify`'s own use.
pub fn tables(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut st = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let names = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(names)
}

/// The check covering `table`, if [`COVERAGE`] lists it.
pub fn coverage_of(table: &str) -> Option<&'static str> {
    COVERAGE.iter().find(|(t, _)| *t == table).map(|(_, c)| *c)
}
