//! Storage: importing a year's schedule (append-only, history kept), the
//! bundled calendar, and reading the calendar in force from the database.

#[allow(unused_imports)]
use super::*;
use crate::domain::IfHeld;

pub fn deadline(conn: &Connection, issue_date: NaiveDate) -> Result<Deadline, CalendarError> {
    Ok(Calendar::load(conn)?.deadline(issue_date))
}

/// Whether `date` is a working day; `None` when its year is not held.
pub fn is_working_day(conn: &Connection, date: NaiveDate) -> Result<Option<bool>, CalendarError> {
    Ok(Calendar::load(conn)?.is_working_day(date))
}

/// The years whose schedule is held, ascending.
pub fn covered_years(conn: &Connection) -> Result<Vec<i32>, CalendarError> {
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT year FROM calendar_imports ORDER BY year")?;
    let years = stmt
        .query_map([], |r| r.get::<_, i64>(0))?
        .filter_map(|y| y.map(|y| i32::try_from(y).ok()).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(years)
}

/// See [`Calendar::coverage_warning`].
pub fn coverage_warning(
    conn: &Connection,
    today: NaiveDate,
) -> Result<Option<(String, String)>, CalendarError> {
    Ok(Calendar::load(conn)?.coverage_warning(today))
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// A year not held before.
    Imported,
    /// The same schedule was already held: nothing changed.
    Unchanged,
    /// A different schedule for a held year, recorded deliberately (`IfHeld::Replace`).
    Replaced,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportOutcome {
    pub file: String,
    pub year: i32,
    pub status: ImportStatus,
    pub holidays: usize,
    pub days_off: usize,
    pub workdays: usize,
    pub sha256: String,
}

pub(super) struct HeldImport {
    pub(super) id: i64,
    pub(super) sha256: String,
    pub(super) by: String,
    pub(super) at: String,
}

pub(super) fn held(conn: &Connection, year: i32) -> Result<Option<HeldImport>, CalendarError> {
    Ok(conn
        .query_row(
            "SELECT id, sha256, imported_by, imported_at FROM calendar_imports
              WHERE year = ?1 ORDER BY id DESC LIMIT 1",
            [year],
            |r| {
                Ok(HeldImport {
                    id: r.get(0)?,
                    sha256: r.get(1)?,
                    by: r.get(2)?,
                    at: r.get(3)?,
                })
            },
        )
        .optional()?)
}

/// Records a validated schedule inside the caller's transaction, with its
/// audit entry. An identical year is a no-op; a different schedule for a
/// held year is refused unless `IfHeld::Replace`, and then recorded as a new import
/// that supersedes the old one (which stays).
pub fn import_in(
    conn: &Connection,
    actor: &Actor,
    clock: &dyn Clock,
    file: &str,
    cal: &YearCalendar,
    if_held: IfHeld,
) -> Result<ImportOutcome, CalendarError> {
    let sha256 = cal.fingerprint();
    let days = cal.days();
    let mut outcome = ImportOutcome {
        file: file.to_string(),
        year: cal.year,
        status: ImportStatus::Imported,
        holidays: cal.holidays.len(),
        days_off: days.off.len(),
        workdays: cal.workdays.len(),
        sha256: sha256.clone(),
    };
    let previous = held(conn, cal.year)?;
    if let Some(p) = &previous {
        if p.sha256 == sha256 {
            outcome.status = ImportStatus::Unchanged;
            return Ok(outcome);
        }
        if if_held == IfHeld::Refuse {
            return Err(CalendarError::Changed {
                file: file.to_string(),
                year: cal.year,
                by: p.by.clone(),
                at: p.at.clone(),
            });
        }
        outcome.status = ImportStatus::Replaced;
    }
    conn.execute(
        "INSERT INTO calendar_imports(year, source, file_name, sha256, imported_by, imported_at, replaces)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            cal.year,
            cal.source,
            file,
            sha256,
            actor.user,
            stamp(clock.now()),
            previous.as_ref().map(|p| p.id),
        ],
    )?;
    let id = conn.last_insert_rowid();
    let mut insert = conn.prepare_cached(
        "INSERT INTO calendar_entries(import_id, seq, kind, name, from_date, to_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let entries = cal
        .holidays
        .iter()
        .map(|h| ("holiday", &h.name, h.from, h.to))
        .chain(
            cal.workdays
                .iter()
                .map(|w| ("workday", &w.name, w.date, w.date)),
        );
    for (seq, (kind, name, from, to)) in entries.enumerate() {
        insert.execute(rusqlite::params![
            id,
            seq as i64,
            kind,
            name,
            from.format("%Y-%m-%d").to_string(),
            to.format("%Y-%m-%d").to_string(),
        ])?;
    }
    audit::record(
        conn,
        actor,
        clock,
        "calendar.import",
        &[format!("calendar:{}", cal.year)],
        serde_json::json!({
            "year": cal.year,
            "source": cal.source,
            "file": file,
            "sha256": sha256,
            "status": outcome.status,
            "replaces": previous.as_ref().map(|p| p.id),
        }),
    )?;
    Ok(outcome)
}

/// `calendar import FILE`: an admin records a year's schedule. The file is
/// read and validated before the database is touched.
pub fn import_file(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    path: &Path,
    if_held: IfHeld,
) -> Result<ImportOutcome, CalendarError> {
    session.require(Role::Admin, "import a holiday calendar")?;
    let cal = YearCalendar::read(path)?;
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let tx = store.write()?;
    let outcome = import_in(&tx, &Actor::of(session), clock, &file, &cal, if_held)?;
    if outcome.status != ImportStatus::Unchanged {
        tx.commit()?;
    }
    Ok(outcome)
}

/// Loads the schedules shipped with the program (setup, inside its
/// transaction). Years already held are left as they are.
pub fn load_bundled(
    conn: &Connection,
    actor: &Actor,
    clock: &dyn Clock,
) -> Result<Vec<ImportOutcome>, CalendarError> {
    let mut out = Vec::new();
    for (file, json) in BUNDLED {
        let cal = YearCalendar::parse(file, json.as_bytes())?;
        if held(conn, cal.year)?.is_some() {
            continue;
        }
        out.push(import_in(conn, actor, clock, file, &cal, IfHeld::Refuse)?);
    }
    Ok(out)
}

/// One recorded import of a year's schedule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportRecord {
    pub id: i64,
    pub year: i32,
    pub source: String,
    pub file_name: String,
    pub sha256: String,
    pub imported_by: String,
    pub imported_at: String,
    /// The import this one superseded (`IfHeld::Replace`).
    pub replaces: Option<i64>,
    /// Whether this is the schedule in force for its year (the newest).
    pub in_force: bool,
}

/// Every import ever recorded, by year then in order (`calendar show`
/// without a year): which schedule a printed deadline came from stays
/// visible after a correction.
pub fn history(conn: &Connection) -> Result<Vec<ImportRecord>, CalendarError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, year, source, file_name, sha256, imported_by, imported_at, replaces,
                id = (SELECT MAX(id) FROM calendar_imports AS n WHERE n.year = i.year)
           FROM calendar_imports AS i ORDER BY year, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ImportRecord {
            id: r.get(0)?,
            year: r.get(1)?,
            source: r.get(2)?,
            file_name: r.get(3)?,
            sha256: r.get(4)?,
            imported_by: r.get(5)?,
            imported_at: r.get(6)?,
            replaces: r.get(7)?,
            in_force: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The schedule in force for `year`, as recorded (`calendar show`).
pub fn year_calendar(conn: &Connection, year: i32) -> Result<YearCalendar, CalendarError> {
    let Some((id, source)) = conn
        .query_row(
            "SELECT id, source FROM calendar_imports WHERE year = ?1 ORDER BY id DESC LIMIT 1",
            [year],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?
    else {
        return Err(CalendarError::YearNotHeld(year));
    };
    recorded_calendar(conn, id, year, source)
}

/// The schedule one import recorded, read back from its entries.
pub(super) fn recorded_calendar(
    conn: &Connection,
    id: i64,
    year: i32,
    source: String,
) -> Result<YearCalendar, CalendarError> {
    let mut stmt = conn.prepare_cached(
        "SELECT kind, name, from_date, to_date FROM calendar_entries
          WHERE import_id = ?1 ORDER BY seq",
    )?;
    let mut cal = YearCalendar {
        year,
        source,
        holidays: Vec::new(),
        workdays: Vec::new(),
    };
    let rows = stmt.query_map([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    for row in rows {
        let (kind, name, from, to) = row?;
        let (Some(from), Some(to)) = (strict_date(&from), strict_date(&to)) else {
            return Err(CalendarError::Store(StoreError::Corrupt {
                path: Default::default(),
                detail: format!("calendar entry '{name}' of {year} has a malformed date"),
            }));
        };
        if kind == "holiday" {
            cal.holidays.push(Holiday { name, from, to });
        } else {
            cal.workdays.push(MakeUpDay { name, date: from });
        }
    }
    Ok(cal)
}
