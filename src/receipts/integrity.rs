//! Tamper evidence for receipts, for `verify`. The tables are append-only
//! (triggers), but someone with the database file can drop a trigger, edit
//! a row and put the trigger back. So every receipt's full content (row,
//! lines, payments) and every cashier event is hashed into the details of
//! its audit entry, which the audit hash chain protects; the QR payload is
//! signed under the hospital key. [`verify_records`] recomputes both and
//! also checks the numbering has no holes, naming each record that
//! disagrees.

use crate::keys::SigningKey;
use crate::store::StoreError;
use crate::verify::{Checked, Problem};
use rusqlite::Connection;
use rusqlite::types::ValueRef;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

const CHECK: &str = "receipts";

/// Feeds one stored value into a digest: a type tag, the length of its
/// bytes (8 bytes, big-endian), then the bytes (an integer or real as its
/// decimal text). Called for every column of every receipt row hashed, at
/// issue, at `verify` and at journal import: no allocation for integers,
/// text and blobs.
pub(crate) fn feed(h: &mut Sha256, v: ValueRef<'_>) {
    let mut digits = [0u8; 24];
    let real;
    let (tag, bytes): (u8, &[u8]) = match v {
        ValueRef::Null => (0, &[]),
        ValueRef::Integer(i) => (1, decimal(i, &mut digits)),
        ValueRef::Real(f) => {
            real = f.to_string();
            (2, real.as_bytes())
        }
        ValueRef::Text(t) => (3, t),
        ValueRef::Blob(b) => (4, b),
    };
    let mut head = [0u8; 9];
    head[0] = tag;
    head[1..].copy_from_slice(&(bytes.len() as u64).to_be_bytes());
    h.update(head);
    h.update(bytes);
}

/// `i` in decimal (as `i.to_string()` writes it), in `buf`.
pub(crate) fn decimal(i: i64, buf: &mut [u8; 24]) -> &[u8] {
    let mut n = i.unsigned_abs();
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    &buf[at..]
}

fn rows_into(h: &mut Sha256, conn: &Connection, sql: &str, id: i64) -> Result<(), StoreError> {
    let mut st = conn.prepare_cached(sql)?;
    let n = st.column_count();
    let mut rows = st.query([id])?;
    while let Some(r) = rows.next()? {
        h.update(b"row");
        for i in 0..n {
            feed(h, r.get_ref(i)?);
        }
    }
    Ok(())
}

/// SHA-256 over a receipt's row, its lines and its payments, every column,
/// type-tagged and length-prefixed.
pub fn receipt_digest(conn: &Connection, receipt_id: i64) -> Result<String, StoreError> {
    let mut h = Sha256::new();
    rows_into(
        &mut h,
        conn,
        "SELECT * FROM receipts WHERE id = ?1",
        receipt_id,
    )?;
    rows_into(
        &mut h,
        conn,
        "SELECT * FROM receipt_lines WHERE receipt_id = ?1 ORDER BY line_no",
        receipt_id,
    )?;
    rows_into(
        &mut h,
        conn,
        "SELECT * FROM receipt_payments WHERE receipt_id = ?1 ORDER BY pay_no",
        receipt_id,
    )?;
    Ok(hex::encode(h.finalize()))
}

/// SHA-256 over one `receipt_events` row.
pub fn event_digest(conn: &Connection, event_id: i64) -> Result<String, StoreError> {
    let mut h = Sha256::new();
    rows_into(
        &mut h,
        conn,
        "SELECT * FROM receipt_events WHERE id = ?1",
        event_id,
    )?;
    Ok(hex::encode(h.finalize()))
}

/// Event kinds the cashier writes (and audits with a digest); the
/// pharmacy's and finance's events are checked by their capabilities.
const CASHIER_EVENTS: [&str; 3] = ["void", "reprint", "refund"];

/// What the check reads of each receipt.
struct Stored {
    id: i64,
    number: String,
    terminal: String,
    qr_text: String,
    issued_at: String,
    total_fen: i64,
    drill: bool,
}

/// A receipt's (item code, quantity) lines in order, as stored.
fn stored_lines(
    conn: &Connection,
    receipt_id: i64,
) -> Result<Vec<(String, rust_decimal::Decimal)>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT code, qty FROM receipt_lines WHERE receipt_id = ?1 ORDER BY line_no",
    )?;
    let rows = st.query_map([receipt_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (code, qty) = row?;
        // An unreadable quantity compares unequal to any signed one.
        let qty = qty
            .parse::<rust_decimal::Decimal>()
            .unwrap_or(rust_decimal::Decimal::MIN);
        out.push((code, qty));
    }
    Ok(out)
}

/// The per-record check registered in `verify::CHECKS`. Without the key
/// (a `verify` with no login) the QR signatures are not checked; the rest
/// (contents against the audit trail) is.
pub fn verify_records(conn: &Connection, key: Option<&SigningKey>) -> Result<Checked, StoreError> {
    let mut out = Checked::default();
    let mut problem = |record: String, en: String, zh: String| {
        out.problems.push(Problem::new(CHECK, record, en, zh));
    };
    // What the audit trail says each receipt and event hashed to.
    let mut receipt_audit: HashMap<String, Option<String>> = HashMap::new();
    let mut event_audit: HashMap<i64, Option<String>> = HashMap::new();
    {
        let mut st = conn.prepare(
            "SELECT seq, action, records, details FROM audit_log
              WHERE action IN ('receipt.issue', 'receipt.refund', 'receipt.void',
                               'receipt.reprint', 'receipt.refund.event')
              ORDER BY seq",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let action: String = r.get(1)?;
            let records: String = r.get(2)?;
            let details: String = r.get(3)?;
            let d: serde_json::Value = serde_json::from_str(&details).unwrap_or_default();
            let recs: Vec<String> = serde_json::from_str(&records).unwrap_or_default();
            let digest = |k: &str| d.get(k).and_then(|v| v.as_str()).map(str::to_string);
            if action == "receipt.issue" || action == "receipt.refund" {
                for rec in recs {
                    if let Some(n) = rec.strip_prefix("receipt:") {
                        receipt_audit.insert(n.to_string(), digest("content_sha256"));
                    }
                }
            }
            if let Some(id) = d.get("event_id").and_then(|v| v.as_i64()) {
                event_audit.insert(id, digest("event_sha256"));
            }
        }
    }
    // Receipts and events imported from other terminals' journals are
    // checked against the digests their import recorded.
    let (imported_receipts, imported_events) = crate::finance::journal::imported_digests(conn)?;
    for (n, d) in imported_receipts {
        receipt_audit.insert(n, Some(d));
    }
    for (id, d) in imported_events {
        event_audit.insert(id, Some(d));
    }
    let mut st = conn.prepare(
        "SELECT id, number, terminal, qr_payload, issued_at, total_fen, drill FROM receipts ORDER BY id",
    )?;
    let receipts: Vec<Stored> = st
        .query_map([], |r| {
            Ok(Stored {
                id: r.get(0)?,
                number: r.get(1)?,
                terminal: r.get(2)?,
                qr_text: r.get(3)?,
                issued_at: r.get(4)?,
                total_fen: r.get(5)?,
                drill: r.get::<_, i64>(6)? != 0,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut seen = std::collections::HashSet::new();
    for Stored {
        id,
        number,
        terminal,
        qr_text,
        issued_at,
        total_fen,
        drill,
    } in &receipts
    {
        out.records += 1;
        seen.insert(number.clone());
        let rec = format!("receipts {number}");
        match receipt_audit.get(number) {
            None => problem(
                rec.clone(),
                "no audit entry records this receipt's issue: inserted behind the program's back"
                    .into(),
                "审计日志中没有开具此票据的记录：可能被绕过程序插入".into(),
            ),
            Some(None) => problem(
                rec.clone(),
                "its audit entry carries no content digest".into(),
                "其审计记录缺少内容摘要".into(),
            ),
            Some(Some(want)) => {
                if receipt_digest(conn, *id)? != *want {
                    problem(
                        rec.clone(),
                        "its content (row, lines or payments) differs from what was issued".into(),
                        "票据内容（主记录、明细或支付）与开具时不一致".into(),
                    );
                }
            }
        }
        let Some(key) = key else { continue };
        match super::qr::parse_and_verify(qr_text, key) {
            Err(e) => problem(
                rec.clone(),
                format!("its QR code does not verify: {e}"),
                format!(
                    "票据二维码校验失败：{}",
                    crate::error::UserFacing::message(&e, crate::i18n::Lang::Zh)
                ),
            ),
            Ok(p) => {
                let total = crate::money::Money::from_fen(*total_fen).decimal();
                let time_ok = chrono::DateTime::parse_from_rfc3339(issued_at)
                    .map(|t| t == p.issued_at)
                    .unwrap_or(false);
                if p.number != *number || p.terminal != *terminal || p.total != total || !time_ok {
                    problem(
                        rec.clone(),
                        "its QR code names another number, terminal, time or total".into(),
                        "票据二维码中的票据号、终端、时间或金额与记录不符".into(),
                    );
                }
                // The signed items are the receipt's lines, in order: a
                // line swapped for another item (or another quantity) no
                // longer matches the code the patient holds.
                let lines = stored_lines(conn, *id)?;
                let same_items = lines.len() == p.items.len()
                    && lines
                        .iter()
                        .zip(&p.items)
                        .all(|((code, qty), (qc, qq))| code == qc && qty == qq);
                if !same_items {
                    problem(
                        rec.clone(),
                        "its lines (items or quantities) differ from the items its signed QR code names".into(),
                        "票据明细（项目或数量）与已签名二维码中的项目不符".into(),
                    );
                }
                if let Some(meta) = p.meta
                    && meta.drill != *drill
                {
                    problem(
                        rec.clone(),
                        format!(
                            "is stored as {} but its signed QR code says {}",
                            if *drill { "a drill" } else { "real" },
                            if meta.drill { "drill" } else { "real" }
                        ),
                        format!(
                            "记录为{}，但已签名二维码为{}",
                            if *drill { "演练" } else { "正式" },
                            if meta.drill { "演练" } else { "正式" }
                        ),
                    );
                }
            }
        }
    }
    for n in receipt_audit.keys() {
        if !seen.contains(n) {
            problem(
                format!("receipts {n}"),
                "issued (per the audit trail) but missing: deleted behind the program's back"
                    .into(),
                "审计日志记载已开具，但记录缺失：可能被绕过程序删除".into(),
            );
        }
    }
    // Numbers are taken in order: within each range the sequences used
    // (issued, or recorded as lost after a restore) run from its first
    // number without a hole.
    let has_lost = crate::store::has_table(conn, "lost_numbers")?;
    let (lost_count, lost_max) = if has_lost {
        (
            "(SELECT coalesce(SUM(MIN(l.last_seq, g.last_seq) - MAX(l.first_seq, g.first_seq) + 1), 0)
                FROM lost_numbers l WHERE l.terminal = g.terminal
                 AND l.first_seq <= g.last_seq AND l.last_seq >= g.first_seq)",
            "(SELECT coalesce(MAX(MIN(l.last_seq, g.last_seq)), 0)
                FROM lost_numbers l WHERE l.terminal = g.terminal
                 AND l.first_seq <= g.last_seq AND l.last_seq >= g.first_seq)",
        )
    } else {
        ("0", "0")
    };
    // At a finance station, a number another installation's journal
    // brought but that collided with one held here (a temporary patient
    // number already used) was reported and recorded, not imported: it is
    // accounted for, as a lost number is.
    let has_collisions = crate::store::has_table(conn, "journal_collisions")?;
    let collided = "FROM (SELECT DISTINCT c.record,
                          CAST(substr(c.record, length(g.terminal) + 2) AS INTEGER) AS seq
                     FROM journal_collisions c
                    WHERE c.kind = 'number'
                      AND substr(c.record, 1, length(g.terminal) + 1) = g.terminal || '-'
                      AND length(c.record) >= length(g.terminal) + 9
                      AND NOT substr(c.record, length(g.terminal) + 2) GLOB '*[^0-9]*'
                      AND NOT EXISTS (SELECT 1 FROM receipts r WHERE r.number = c.record)) k
           WHERE k.seq BETWEEN g.first_seq AND g.last_seq";
    let (collided_count, collided_max) = if has_collisions {
        (
            format!("(SELECT COUNT(*) {collided})"),
            format!("(SELECT coalesce(MAX(k.seq), 0) {collided})"),
        )
    } else {
        ("0".to_string(), "0".to_string())
    };
    let mut st = conn.prepare(&format!(
        "SELECT g.terminal, g.first_seq,
                (SELECT COUNT(*) FROM receipts r
                  WHERE r.terminal = g.terminal AND r.seq BETWEEN g.first_seq AND g.last_seq)
                + {lost_count} + {collided_count},
                max((SELECT coalesce(MAX(r.seq), 0) FROM receipts r
                      WHERE r.terminal = g.terminal AND r.seq BETWEEN g.first_seq AND g.last_seq),
                    {lost_max}, {collided_max})
           FROM receipt_ranges g"
    ))?;
    let holes: Vec<(String, i64, i64, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (terminal, first, count, max) in holes {
        if max > 0 && max - first + 1 != count {
            problem(
                format!("receipt_ranges {terminal} from {first}"),
                format!(
                    "{} numbers of the range are missing up to {}",
                    max - first + 1 - count,
                    super::ranges::format_number(&terminal, max as u64)
                ),
                format!(
                    "号段中缺少 {} 个票据号（至 {}）",
                    max - first + 1 - count,
                    super::ranges::format_number(&terminal, max as u64)
                ),
            );
        }
    }
    let mut st = conn.prepare("SELECT id, kind FROM receipt_events ORDER BY id")?;
    let events: Vec<(i64, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, kind) in events {
        if !CASHIER_EVENTS.contains(&kind.as_str()) {
            continue;
        }
        out.records += 1;
        let rec = format!("receipt_events {id}");
        match event_audit.get(&id) {
            Some(Some(want)) if event_digest(conn, id)? == *want => {}
            Some(_) => problem(
                rec,
                format!("this {kind} event differs from what was recorded"),
                format!("此{kind}事件与记录时不一致"),
            ),
            None => problem(
                rec,
                format!(
                    "no audit entry records this {kind} event: inserted behind the program's back"
                ),
                format!("审计日志中没有此{kind}事件：可能被绕过程序插入"),
            ),
        }
    }
    for id in event_audit.keys() {
        let exists = conn
            .prepare_cached("SELECT 1 FROM receipt_events WHERE id = ?1")?
            .exists([id])?;
        if !exists {
            problem(
                format!("receipt_events {id}"),
                "recorded in the audit trail but missing: deleted behind the program's back".into(),
                "审计日志记载的事件缺失：可能被绕过程序删除".into(),
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digest format as first written (a `Vec` per value): every
    /// receipt digest already stored or carried by an audit entry was
    /// computed this way, so `feed` must give the same bytes.
    fn feed_as_first_written(h: &mut Sha256, v: ValueRef<'_>) {
        let (tag, bytes): (u8, Vec<u8>) = match v {
            ValueRef::Null => (0, vec![]),
            ValueRef::Integer(i) => (1, i.to_string().into_bytes()),
            ValueRef::Real(f) => (2, f.to_string().into_bytes()),
            ValueRef::Text(t) => (3, t.to_vec()),
            ValueRef::Blob(b) => (4, b.to_vec()),
        };
        h.update([tag]);
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(&bytes);
    }

    #[test]
    fn feed_hashes_every_value_as_the_first_format_did() {
        let mut values = vec![
            ValueRef::Null,
            ValueRef::Real(-0.5),
            ValueRef::Real(1e300),
            ValueRef::Text(b""),
            ValueRef::Text("门诊收费 MZ01-00000001".as_bytes()),
            ValueRef::Blob(&[0, 255, 7]),
        ];
        for i in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            1234567,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            values.push(ValueRef::Integer(i));
        }
        for v in values {
            let (mut a, mut b) = (Sha256::new(), Sha256::new());
            feed(&mut a, v);
            feed_as_first_written(&mut b, v);
            assert_eq!(a.finalize(), b.finalize(), "{v:?}");
        }
    }
}
