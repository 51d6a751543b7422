//! Receipt number ranges: the paper receipt books an admin hands to one
//! terminal. Numbers are `{TERMINAL}-{8 digits}`, issued strictly in order
//! from the active range (the lowest one with numbers left). The next number
//! is derived from what is stored (the highest sequence used in the range),
//! inside the caller's IMMEDIATE transaction, with `UNIQUE(terminal, seq)` as
//! the last guard — so no counter can drift from the receipts, and a crash
//! or a concurrent window can neither skip nor reuse a number.

use super::ReceiptError;
use crate::audit::{self, Actor};
use crate::auth::{Role, Session};
use crate::clock::{Clock, stamp};
use crate::domain::TerminalCode;
use crate::store::Store;
use rusqlite::Connection;

/// At or below this many numbers left, the cashier is warned.
pub const WARN_LEFT: u64 = 20;

pub const MAX_SEQ: u64 = 99_999_999;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Range {
    pub id: i64,
    pub terminal: String,
    pub from: u64,
    pub to: u64,
    /// Numbers of this range already used.
    pub used: u64,
    pub added_at: String,
    pub added_by: String,
}

impl Range {
    pub fn left(&self) -> u64 {
        (self.to - self.from + 1).saturating_sub(self.used)
    }
}

/// The next number to issue and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Next {
    pub range_id: i64,
    pub seq: u64,
    pub number: String,
    /// Numbers left on the terminal including this one.
    pub left: u64,
}

pub fn format_number(terminal: &str, seq: u64) -> String {
    format!("{terminal}-{seq:08}")
}

/// The ranges of a terminal, lowest first, with how many numbers each used.
pub fn list(conn: &Connection, terminal: &str) -> Result<Vec<Range>, ReceiptError> {
    let mut st = conn.prepare_cached(
        "SELECT g.id, g.terminal, g.first_seq, g.last_seq, g.added_at, g.added_by,
                (SELECT MAX(u) FROM (
                    SELECT MAX(r.seq) AS u FROM receipts r
                     WHERE r.terminal = g.terminal AND r.seq BETWEEN g.first_seq AND g.last_seq
                    UNION ALL
                    SELECT MAX(MIN(l.last_seq, g.last_seq)) FROM lost_numbers l
                     WHERE l.terminal = g.terminal AND l.first_seq <= g.last_seq
                       AND l.last_seq >= g.first_seq))
           FROM receipt_ranges g WHERE g.terminal = ?1 ORDER BY g.first_seq",
    )?;
    let rows = st
        .query_map([terminal], |r| {
            let from = r.get::<_, i64>(2)? as u64;
            let max: Option<i64> = r.get(6)?;
            // Numbers are taken in order, so the highest one used (issued,
            // or recorded as lost) tells how far the range has gone (an
            // index lookup, not a count).
            let used = max
                .map(|m| (m as u64).saturating_sub(from) + 1)
                .unwrap_or(0);
            Ok(Range {
                id: r.get(0)?,
                terminal: r.get(1)?,
                from,
                to: r.get::<_, i64>(3)? as u64,
                used,
                added_at: r.get(4)?,
                added_by: r.get(5)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The number the next receipt of `terminal` will get, and how many are
/// left; `None` when the terminal has no numbers left.
pub fn next_number(conn: &Connection, terminal: &str) -> Result<Option<Next>, ReceiptError> {
    let ranges = list(conn, terminal)?;
    let left: u64 = ranges.iter().map(Range::left).sum();
    Ok(ranges.iter().find(|g| g.left() > 0).map(|g| {
        let seq = g.from + g.used;
        Next {
            range_id: g.id,
            seq,
            number: format_number(terminal, seq),
            left,
        }
    }))
}

/// Adds a receipt book for a terminal (admin only). Refuses an overlap with
/// any range the terminal already has.
pub fn add(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    terminal: &str,
    from: u64,
    to: u64,
) -> Result<Range, ReceiptError> {
    session.require(Role::Admin, "add a receipt number range")?;
    let terminal = TerminalCode::parse(terminal)
        .map_err(|e| {
            ReceiptError::invalid(
                "terminal",
                e.to_string(),
                format!("'{terminal}' is not a terminal code"),
            )
        })?
        .to_string();
    if from == 0 || to < from || to > MAX_SEQ {
        return Err(ReceiptError::invalid(
            "from/to",
            format!("号段 {from}–{to} 无效：须 1 ≤ 起 ≤ 止 ≤ {MAX_SEQ}"),
            format!("range {from}–{to} is invalid: need 1 ≤ from ≤ to ≤ {MAX_SEQ}"),
        ));
    }
    let tx = store.write()?;
    for g in list(&tx, &terminal)? {
        if from <= g.to && g.from <= to {
            return Err(ReceiptError::RangeOverlap {
                terminal,
                from,
                to,
                other_from: g.from,
                other_to: g.to,
            });
        }
    }
    tx.execute(
        "INSERT INTO receipt_ranges(terminal, first_seq, last_seq, added_at, added_by)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        rusqlite::params![
            terminal,
            from as i64,
            to as i64,
            stamp(clock.now()),
            session.user().as_str()
        ],
    )?;
    let id = tx.last_insert_rowid();
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "range.add",
        &[format!("range:{id}")],
        serde_json::json!({"terminal": terminal, "from": from, "to": to}),
    )?;
    let range = list(&tx, &terminal)?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or_else(|| ReceiptError::NotFound(format!("range {id}")))?;
    tx.commit()?;
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_eight_digits() {
        assert_eq!(format_number("MZ01", 1), "MZ01-00000001");
        assert_eq!(format_number("ZY01", MAX_SEQ), "ZY01-99999999");
    }

    #[test]
    fn left_counts_what_is_unused() {
        let g = Range {
            id: 1,
            terminal: "MZ01".into(),
            from: 11,
            to: 20,
            used: 3,
            added_at: String::new(),
            added_by: String::new(),
        };
        assert_eq!(g.left(), 7);
    }
}
