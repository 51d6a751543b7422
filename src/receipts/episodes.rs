//! Outage episodes (应急事件): receipts may only be issued while one is open
//! on the terminal, so a live HIS is never bypassed. One open episode per
//! terminal; closing is a new row, never an update. A drill episode marks
//! every receipt issued in it.

use super::ReceiptError;
use crate::audit::{self, Actor};
use crate::auth::{Role, Session};
use crate::clock::{Clock, stamp};
use crate::store::Store;
use rusqlite::{Connection, OptionalExtension};

/// Severity of the outage, as the hospital's emergency plan grades it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Level {
    I,
    II,
    III,
    IV,
}

impl Level {
    pub fn parse(s: &str) -> Result<Level, ReceiptError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "I" | "1" => Ok(Level::I),
            "II" | "2" => Ok(Level::II),
            "III" | "3" => Ok(Level::III),
            "IV" | "4" => Ok(Level::IV),
            other => Err(ReceiptError::invalid(
                "level",
                format!("“{other}”不是有效的级别（I、II、III、IV）"),
                format!("'{other}' is not a level (I, II, III, IV)"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::I => "I",
            Level::II => "II",
            Level::III => "III",
            Level::IV => "IV",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Episode {
    pub id: i64,
    pub terminal: String,
    pub level: String,
    pub reason: String,
    pub drill: bool,
    pub opened_at: String,
    pub opened_by: String,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
}

/// Every episode with its closure, for whoever reads episodes (the
/// reports too): one query and one row shape.
pub(crate) const SELECT: &str =
    "SELECT e.id, e.terminal, e.level, e.reason, e.drill, e.opened_at, e.opened_by,
        c.closed_at, c.closed_by
   FROM episodes e LEFT JOIN episode_closures c ON c.episode_id = e.id";

pub(crate) fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Episode> {
    Ok(Episode {
        id: r.get(0)?,
        terminal: r.get(1)?,
        level: r.get(2)?,
        reason: r.get(3)?,
        drill: r.get::<_, i64>(4)? != 0,
        opened_at: r.get(5)?,
        opened_by: r.get(6)?,
        closed_at: r.get(7)?,
        closed_by: r.get(8)?,
    })
}

/// The open episode of `terminal`, if any.
pub fn current(conn: &Connection, terminal: &str) -> Result<Option<Episode>, ReceiptError> {
    Ok(conn
        .query_row(
            &format!(
                "{SELECT} WHERE e.terminal = ?1 AND c.episode_id IS NULL ORDER BY e.id DESC LIMIT 1"
            ),
            [terminal],
            row,
        )
        .optional()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Episode>, ReceiptError> {
    Ok(conn
        .query_row(&format!("{SELECT} WHERE e.id = ?1"), [id], row)
        .optional()?)
}

/// Every episode, oldest first.
pub fn list(conn: &Connection) -> Result<Vec<Episode>, ReceiptError> {
    let mut st = conn.prepare(&format!("{SELECT} ORDER BY e.id"))?;
    let rows = st.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Whether an episode is a real outage or a drill (its receipts marked
/// 演练 and left out of the takings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpisodeKind {
    Real,
    Drill,
}

/// Declares an outage on the session's terminal. Any user who can work at
/// the window (cashier or admin) may declare it; the audit trail says who.
pub fn open(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    level: Level,
    reason: &str,
    kind: EpisodeKind,
) -> Result<Episode, ReceiptError> {
    let drill = kind == EpisodeKind::Drill;
    if !session.has(Role::Cashier) {
        session.require(Role::Admin, "open an outage episode")?;
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ReceiptError::invalid(
            "reason",
            "必须填写原因",
            "a reason is required",
        ));
    }
    if let Err((en, zh)) = crate::text::check(reason, super::events::REASON_MAX) {
        return Err(ReceiptError::invalid("reason", zh, en));
    }
    let terminal = session.terminal().to_string();
    let tx = store.write()?;
    if let Some(e) = current(&tx, &terminal)? {
        return Err(ReceiptError::EpisodeOpen { id: e.id, terminal });
    }
    let at = stamp(clock.now());
    tx.execute(
        "INSERT INTO episodes(terminal, level, reason, drill, opened_at, opened_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            terminal,
            level.as_str(),
            reason,
            drill as i64,
            at,
            session.user().as_str()
        ],
    )?;
    let id = tx.last_insert_rowid();
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "episode.open",
        &[format!("episode:{id}")],
        serde_json::json!({"level": level.as_str(), "reason": reason, "drill": drill}),
    )?;
    let ep = get(&tx, id)?.ok_or_else(|| ReceiptError::NotFound(format!("episode {id}")))?;
    tx.commit()?;
    Ok(ep)
}

/// Closes the open episode of the session's terminal.
pub fn close(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
) -> Result<Episode, ReceiptError> {
    if !session.has(Role::Cashier) {
        session.require(Role::Admin, "close an outage episode")?;
    }
    let terminal = session.terminal().to_string();
    let tx = store.write()?;
    let ep = current(&tx, &terminal)?.ok_or(ReceiptError::NoOpenEpisode(terminal))?;
    let at = stamp(clock.now());
    tx.execute(
        "INSERT INTO episode_closures(episode_id, closed_at, closed_by) VALUES (?1, ?2, ?3)",
        rusqlite::params![ep.id, at, session.user().as_str()],
    )?;
    audit::record(
        &tx,
        &Actor::of(session),
        clock,
        "episode.close",
        &[format!("episode:{}", ep.id)],
        serde_json::json!({}),
    )?;
    let ep =
        get(&tx, ep.id)?.ok_or_else(|| ReceiptError::NotFound(format!("episode {}", ep.id)))?;
    tx.commit()?;
    Ok(ep)
}

#[cfg(test)]
mod tests {
    use super::Level;

    #[test]
    fn levels() {
        assert_eq!(Level::parse("iii").unwrap(), Level::III);
        assert_eq!(Level::parse("4").unwrap().as_str(), "IV");
        assert!(Level::parse("V").is_err());
    }
}
