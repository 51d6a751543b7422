//! `verify`: the full check that the database is what the program wrote.
//! It runs SQLite's `integrity_check`, walks the audit hash chain, makes
//! sure every append-only table still has both of its refusing triggers,
//! checks the unlocked signing key against the fingerprint recorded at setup,
//! and runs every per-record check in [`CHECKS`] (receipt signatures, price
//! snapshot contents, users against their audit trail, the audit log's tail
//! against the newest backup). Each problem names the record (table and
//! key, or audit seq) and what is wrong, so an edit made behind the
//! program's back is found and named, not only suspected.
//!
//! The key exists only wrapped under users' PINs (`keys::wrap`): without a
//! login `verify` runs every check that needs no key and names the others
//! ([`NEEDS_LOGIN`]); `verify --user NAME` (PIN) runs them all.
//!
//! The CLI runs it as `verify` (exit 4 when anything is wrong), the GUI at
//! every start (red banner), and `backup`/`restore` on every backup file.
//!
//! This module keeps the runner and the report types; each capability owns
//! its checks (`prices::checks`, `auth::checks`, `backup::checks`,
//! `keys::checks`, `receipts::integrity`, `calendar::checks`), assembled in [`CHECKS`]. Adding a
//! per-record check is one line there:
//! `("receipts", crate::receipts::verify_records),` where the function has
//! the [`RecordCheck`] signature.

pub(crate) use crate::auth::checks::pin_hash_digest;
pub use crate::auth::checks::users_against_audit;
pub use crate::backup::checks::audit_tail_against_backups;
pub use crate::prices::checks::price_items_digest;

pub mod hold;
pub mod tables;
pub mod witness;
pub use tables::COVERAGE;

use crate::keys::SigningKey;
use crate::store::{Store, StoreError, migrations};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;

/// One thing found wrong, naming the record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Which check found it (`integrity`, `audit_chain`, `triggers`, `key`,
    /// or a [`CHECKS`] name).
    pub check: String,
    /// The record: `table key`, `audit_log seq N`, a trigger or a file.
    pub record: String,
    /// What is wrong, in English.
    pub problem: String,
    /// What is wrong, in Chinese.
    pub problem_zh: String,
}

impl Problem {
    pub fn new(
        check: &str,
        record: impl Into<String>,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Problem {
        Problem {
            check: check.to_string(),
            record: record.into(),
            problem: en.into(),
            problem_zh: zh.into(),
        }
    }

    /// One line for a person: record and problem in `lang`.
    pub fn line(&self, lang: crate::i18n::Lang) -> String {
        let what = lang.pick(&self.problem_zh, &self.problem);
        format!("[{}] {}: {}", self.check, self.record, what)
    }
}

/// What a per-record check looked at and found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checked {
    /// How many records were checked (shown as "n checked").
    pub records: u64,
    pub problems: Vec<Problem>,
}

/// A per-record check: reads its own tables, checks every record (a
/// signature under `key`, a digest, a cross-check with the audit trail) and
/// names each bad one. Must not write.
/// `None` when no one is logged in: checks that need the key (signatures)
/// then skip that part and `verify` says so.
pub type RecordCheck = fn(&Connection, Option<&SigningKey>) -> Result<Checked, StoreError>;

/// The per-record checks, by name, each provided by the capability that
/// owns the records. Later capabilities add one line each.
pub const CHECKS: &[(&str, RecordCheck)] = &[
    ("price_snapshots", crate::prices::checks::price_snapshots),
    ("users", crate::auth::checks::users_against_audit),
    ("backups", crate::backup::checks::audit_tail_against_backups),
    ("receipts", crate::receipts::verify_records),
    ("lost_numbers", crate::receipts::numbering::verify_lost),
    ("journals", crate::finance::journal::verify_imports),
    ("calendar", crate::calendar::checks::imports_against_audit),
    ("episodes", tables::episodes_against_audit),
    ("ranges", tables::ranges_against_audit),
    ("settings", tables::settings_against_audit),
    ("dispensings", tables::dispensings_against_audit),
    ("shift_closes", tables::shift_closes_against_audit),
    ("key_wraps", crate::keys::wrap::check_wraps),
];

/// Every audit entry's sequence, action and details, in order: what the
/// per-record checks compare their tables with.
pub(crate) fn audit_details(
    conn: &Connection,
) -> Result<Vec<(i64, String, serde_json::Value)>, StoreError> {
    let mut stmt = conn.prepare("SELECT seq, action, details FROM audit_log ORDER BY seq")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, action, details) = row?;
        let v = serde_json::from_str(&details).unwrap_or(serde_json::Value::Null);
        out.push((seq, action, v));
    }
    Ok(out)
}

/// One check's summary line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckSummary {
    pub name: String,
    /// Records (pages for `integrity`, entries, triggers, files) checked.
    pub checked: u64,
    pub problems: usize,
}

/// The outcome of a verification. `ok` is true only when no problem at all
/// was found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub ok: bool,
    pub checks: Vec<CheckSummary>,
    pub problems: Vec<Problem>,
    /// Checks not run because no one logged in (the key is only wrapped):
    /// empty when `verify` ran with a user's unlocked key.
    pub needs_login: Vec<String>,
}

impl Report {
    fn push(&mut self, name: &str, checked: u64, problems: Vec<Problem>) {
        self.checks.push(CheckSummary {
            name: name.to_string(),
            checked,
            problems: problems.len(),
        });
        self.ok &= problems.is_empty();
        self.problems.extend(problems);
    }

    fn empty() -> Report {
        Report {
            ok: true,
            checks: Vec::new(),
            problems: Vec::new(),
            needs_login: Vec::new(),
        }
    }
}

/// The signing key for a verification: unlocked by a login, or not.
pub enum KeyState<'a> {
    /// The key to check records with; it must also match the
    /// `key.fingerprint` setting of the database being checked.
    Held(&'a SigningKey),
    /// No one logged in: the key exists only wrapped under users' PINs.
    /// Every check that needs no key runs; the report names the others in
    /// [`Report::needs_login`].
    Locked,
}

/// What a verification without the key cannot check, as named in
/// [`Report::needs_login`].
pub const NEEDS_LOGIN: &[&str] = &["receipt_signatures", "audit_chain_mac", "key_fingerprint"];

/// Verifies a terminal's own database (CLI `verify`, GUI start) with the
/// key unlocked for its data directory by a login in this process, if any
/// ([`crate::keys::wrap::held`]); without one, the keyless checks.
pub fn run(store: &Store) -> Result<Report, StoreError> {
    let held = crate::keys::wrap::held(store.data_dir().root());
    run_with(store, held.as_deref())
}

/// [`run`] with the key of a session (`verify --user NAME`), or none.
pub fn run_with(store: &Store, key: Option<&SigningKey>) -> Result<Report, StoreError> {
    let key_path = store.data_dir().key_path();
    let state = match key {
        Some(k) => KeyState::Held(k),
        None => KeyState::Locked,
    };
    let mut report = check_connection(store.conn(), state)?;
    if key_path.exists() {
        report.push(
            "key_file",
            1,
            crate::keys::checks::file_permissions(&key_path),
        );
    }
    if report
        .checks
        .iter()
        .all(|c| c.name != "integrity" || c.problems == 0)
    {
        let (n, problems) = witness::check(store.conn(), store.data_dir())?;
        report.push("witness", n, problems);
    }
    Ok(report)
}

/// Hands `f` the key unlocked for the data directory `dir` in this
/// process, or [`KeyState::Locked`] (backup and restore check their files
/// with it).
pub fn with_held_key<T>(dir: &Path, f: impl FnOnce(KeyState<'_>) -> T) -> T {
    match crate::keys::wrap::held(dir) {
        Some(k) => f(KeyState::Held(&k)),
        None => f(KeyState::Locked),
    }
}

/// Verifies any database file read-only (a backup before restore, the
/// restored database). A file SQLite cannot open is reported, not raised.
pub fn run_on_file(path: &Path, key: KeyState<'_>) -> Result<Report, StoreError> {
    let mut report = Report::empty();
    let conn = match Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .and_then(|c| {
        // Reading the schema is the first thing that fails on a file that
        // is not a database at all.
        c.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })?;
        Ok(c)
    }) {
        Ok(c) => c,
        Err(e) => {
            report.push(
                "integrity",
                0,
                vec![Problem::new(
                    "integrity",
                    path.display().to_string(),
                    format!("not a readable SQLite database: {e}"),
                    format!("不是可读取的 SQLite 数据库：{e}"),
                )],
            );
            return Ok(report);
        }
    };
    check_connection(&conn, key)
}

/// Every check, on one open connection.
pub fn check_connection(conn: &Connection, key: KeyState<'_>) -> Result<Report, StoreError> {
    let mut report = Report::empty();

    let (pages, integrity) = integrity(conn);
    report.push("integrity", pages, integrity);
    if !report.ok {
        // A damaged file makes every further read suspect; say only that.
        return Ok(report);
    }

    let entries: i64 = conn
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap_or(0);
    let chain_key = match &key {
        KeyState::Held(k) => Some(crate::audit::ChainKey::derive(k)),
        KeyState::Locked => None,
    };
    let mut chain: Vec<Problem> = crate::audit::check_keyed_chain(conn, chain_key.as_ref())?
        .into_iter()
        .map(|p| {
            Problem::new(
                "audit_chain",
                format!("audit_log seq {}", p.seq),
                p.problem.clone(),
                chain_zh(&p.problem),
            )
        })
        .collect();
    if entries == 0 {
        chain.push(Problem::new(
            "audit_chain",
            "audit_log",
            "the audit log is empty, but setup always writes its first entry: entries were deleted",
            "审计日志为空，但初始设置总会写入第一条：记录已被删除",
        ));
    }
    report.push("audit_chain", entries.max(0) as u64, chain);

    let (triggers_checked, triggers) = triggers(conn)?;
    report.push("triggers", triggers_checked, triggers);

    match key {
        KeyState::Locked => {
            report.needs_login = NEEDS_LOGIN.iter().map(|s| s.to_string()).collect();
            for (name, check) in CHECKS {
                let c = check(conn, None)?;
                report.push(name, c.records, c.problems);
            }
        }
        KeyState::Held(k) => {
            let key_problems = crate::keys::checks::fingerprint(conn, k)?;
            report.push("key", 1, key_problems);
            for (name, check) in CHECKS {
                let c = check(conn, Some(k))?;
                report.push(name, c.records, c.problems);
            }
        }
    }
    Ok(report)
}

fn chain_zh(en: &str) -> String {
    if en.starts_with("its keyed MAC does not verify") {
        "其密钥校验码（MAC）不符：该记录或其之前的记录被不持有医院密钥的人改写".into()
    } else if let Some(rest) =
        en.strip_prefix("has no keyed MAC although the chain is keyed since entry ")
    {
        format!(
            "缺少密钥校验码（MAC），而审计链自第 {} 条起已加密钥：被不持有医院密钥的人写入或改写",
            rest.split(':').next().unwrap_or_default()
        )
    } else if en == "does not link to the entry before it" {
        "与前一条记录的哈希链接不上（前面的记录被改动或删除）".into()
    } else if let Some(rest) = en.strip_prefix("was altered (action '") {
        format!("已被改动（操作“{}”）", rest.trim_end_matches("')"))
    } else if let Some(rest) = en.strip_prefix("audit entries ") {
        format!(
            "审计记录 {} 缺失（被删除）",
            rest.trim_end_matches(" are missing (deleted)")
        )
    } else {
        en.to_string()
    }
}

fn integrity(conn: &Connection) -> (u64, Vec<Problem>) {
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap_or(0);
    let rows: Result<Vec<String>, rusqlite::Error> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect());
    let problems = match rows {
        Ok(rows) if rows.len() == 1 && rows[0] == "ok" => Vec::new(),
        Ok(rows) => rows
            .into_iter()
            .map(|r| {
                Problem::new(
                    "integrity",
                    "database file",
                    r.clone(),
                    format!("完整性检查：{r}"),
                )
            })
            .collect(),
        Err(e) => vec![Problem::new(
            "integrity",
            "database file",
            e.to_string(),
            format!("完整性检查失败：{e}"),
        )],
    };
    (pages.max(0) as u64, problems)
}

/// SQL text with runs of whitespace made one space, for comparing a stored
/// trigger with the one the migration creates.
fn normalise_sql(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Both triggers of every append-only table of the migrations this database
/// has applied, present and still refusing.
fn triggers(conn: &Connection) -> Result<(u64, Vec<Problem>), StoreError> {
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let mut checked = 0;
    let mut problems = Vec::new();
    for m in migrations::MIGRATIONS.iter().take(applied.max(0) as usize) {
        for table in m.append_only {
            let exists = crate::store::has_table(conn, table)?;
            if !exists {
                problems.push(Problem::new(
                    "triggers",
                    format!("table {table}"),
                    "the append-only table was dropped",
                    "只可追加的表已被删除",
                ));
                continue;
            }
            for (trigger, verb) in migrations::append_only_triggers(table)
                .into_iter()
                .zip(["UPDATE", "DELETE"])
            {
                checked += 1;
                let sql: Option<String> = conn
                    .query_row(
                        "SELECT sql FROM sqlite_master
                         WHERE type = 'trigger' AND name = ?1 AND tbl_name = ?2",
                        [trigger.as_str(), table],
                        |r| r.get(0),
                    )
                    .optional()?;
                match sql {
                    None => problems.push(Problem::new(
                        "triggers",
                        format!("trigger {trigger} on {table}"),
                        format!("missing: {verb} on {table} is no longer refused"),
                        format!("触发器缺失：{table} 上的 {verb} 不再被拒绝"),
                    )),
                    Some(sql) => {
                        // The whole text, not words in it: a replacement
                        // that carries the expected words in a comment or a
                        // string (and refuses nothing) must not pass.
                        let want = format!(
                            "CREATE TRIGGER {trigger} BEFORE {verb} ON {table} BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {verb} refused'); END"
                        );
                        if normalise_sql(&sql) != normalise_sql(&want) {
                            problems.push(Problem::new(
                                "triggers",
                                format!("trigger {trigger} on {table}"),
                                format!("was replaced and no longer refuses {verb}"),
                                format!("已被替换，不再拒绝 {verb}"),
                            ));
                        }
                    }
                }
            }
        }
    }
    Ok((checked, problems))
}
