//! What every fuzz target asserts, written once: the fuzz targets call these
//! with libFuzzer's inputs and `tests/fuzz_regressions.rs` (which includes
//! this file) calls them with the stored inputs, so a regression test runs
//! exactly the entry point and the invariants the fuzzer ran.
//!
//! Each check calls the library function the CLI and GUI use on a file or a
//! scanned code and returns `Ok(summary)` or `Err(message)` (the one line a
//! person would read). It panics — a finding — when the reader panics, or
//! when the answer breaks its contract: a refusal that does not name the
//! file, row, column or entry; an accepted result out of bounds; a refused
//! input that changed the database.

use chrono::{Datelike, NaiveDate};
use downtime_billing::auth::{Role, Session};
use downtime_billing::calendar::{Calendar, YearCalendar};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::{TerminalCode, UserName};
use downtime_billing::error::UserFacing;
use downtime_billing::finance::{journal, reconcile};
use downtime_billing::i18n::Lang;
use downtime_billing::keys::SigningKey;
use downtime_billing::money::MAX_UNIT_PRICE;
use downtime_billing::receipts::qr;
use downtime_billing::store::{DataDir, Store};
use std::path::{Path, PathBuf};

/// What a check saw: the accepted result in a few words, or the refusal.
pub type Outcome = Result<String, String>;

/// The key the QR and journal targets verify with. Seeds were made for it
/// (journal headers carry its fingerprint), so the readers go past the
/// "another hospital" test into the rows.
pub const FUZZ_KEY: [u8; 32] = [0x5a; 32];

/// A PIN for the throw-away stations (never a trivial one).
const PIN: &str = "739146";

fn clock() -> FixedClock {
    FixedClock::at("2026-11-22T10:00:00+08:00")
}

/// A price-list file: CSV (any encoding), XLSX or JSON, chosen by the
/// extension of `file_name` as an import does.
pub fn prices(file_name: &str, data: &[u8]) -> Outcome {
    let analysis = downtime_billing::prices::analyse_bytes(file_name, data);
    for p in analysis.problems.iter().chain(&analysis.list.warnings) {
        assert_eq!(p.file, file_name, "a problem names another file: {p:?}");
        assert!(p.row >= 1, "a problem without a row: {p:?}");
        assert!(!p.column.is_empty(), "a problem without a column: {p:?}");
        let line = p.render(Lang::En);
        assert!(!line.contains('\n'), "a problem on two lines: {line:?}");
    }
    if !analysis.is_valid() {
        let first = &analysis.problems[0];
        return Err(format!(
            "{} problem(s), first: {}",
            analysis.problems.len(),
            first.render(Lang::En)
        ));
    }
    let list = analysis.list;
    assert!(!list.items.is_empty(), "accepted with no item");
    assert_eq!(list.items.len(), list.rows.len(), "rows do not match items");
    assert!(
        list.rows.windows(2).all(|w| w[0] < w[1]),
        "rows not in file order: {:?}",
        list.rows
    );
    let mut codes = std::collections::HashSet::new();
    for item in &list.items {
        let price = item.unit_price.decimal();
        assert!(
            !price.is_sign_negative() && price <= MAX_UNIT_PRICE,
            "price out of bounds: {price}"
        );
        assert!(
            price.scale() <= 4,
            "price with more than 4 decimals: {price}"
        );
        assert!(!item.code.trim().is_empty(), "accepted an empty code");
        assert!(!item.name.trim().is_empty(), "accepted an empty name");
        assert!(!item.unit.trim().is_empty(), "accepted an empty unit");
        assert!(
            codes.insert(item.code.clone()),
            "duplicate code {}",
            item.code
        );
        for text in [&item.code, &item.name, &item.spec, &item.unit] {
            assert!(
                !text.chars().any(|c| c.is_control()),
                "accepted a control character: {text:?}"
            );
        }
    }
    Ok(format!("{} items ({:?})", list.items.len(), list.format))
}

/// A holiday calendar file, then the deadline of a receipt issued on every
/// 7th day of its year (what `calendar import` and then issuing do).
pub fn calendar(data: &[u8]) -> Outcome {
    const FILE: &str = "fuzz-calendar.json";
    match YearCalendar::parse(FILE, data) {
        Err(e) => {
            let line = e.message(Lang::En);
            assert!(
                line.contains(FILE),
                "refusal does not name the file: {line}"
            );
            assert!(!line.contains('\n'), "refusal on two lines: {line:?}");
            Err(line)
        }
        Ok(cal) => {
            assert!(!cal.holidays.is_empty(), "accepted with no holiday");
            assert!(!cal.source.trim().is_empty(), "accepted without a source");
            for h in &cal.holidays {
                assert!(h.from <= h.to && h.from.year() == cal.year && h.to.year() == cal.year);
            }
            let _ = cal.fingerprint();
            let calendar = Calendar::from_years([&cal]);
            let mut day = NaiveDate::from_ymd_opt(cal.year, 1, 1).ok_or("year")?;
            while day.year() == cal.year {
                let d = calendar.deadline(day);
                if let Some(due) = d.date() {
                    assert!(due > day, "deadline {due} not after issue {day}");
                }
                day += chrono::Duration::days(7);
            }
            Ok(format!("{}: {} holidays", cal.year, cal.holidays.len()))
        }
    }
}

/// An HIS results file as `reconcile --his-file` reads it.
pub fn his_results(data: &[u8]) -> Outcome {
    let path = Path::new("fuzz-his-results.csv");
    match reconcile::parse_bytes(path, data) {
        Err(e) => {
            let line = e.message(Lang::En);
            assert!(
                line.contains("fuzz-his-results.csv"),
                "refusal does not name the file: {line}"
            );
            assert!(!line.contains('\n'), "refusal on two lines: {line:?}");
            Err(line)
        }
        Ok(rows) => {
            assert!(
                rows.windows(2).all(|w| w[0].row < w[1].row),
                "rows out of order"
            );
            for r in &rows {
                assert!(r.row >= 2, "a data row numbered {}", r.row);
                assert!(!r.amount.is_negative(), "negative amount accepted");
                assert!(!r.receipt.is_empty() && r.receipt.len() <= 32);
            }
            Ok(format!("{} rows", rows.len()))
        }
    }
}

/// Where the throw-away stations of one process live: tmpfs when there is
/// one. Directories left by earlier processes that are gone are removed.
pub fn scratch_root(name: &str) -> PathBuf {
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let prefix = "downtime-billing-fuzz-";
    if let Ok(entries) = std::fs::read_dir(&base) {
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            let pid = file
                .strip_prefix(prefix)
                .and_then(|rest| rest.rsplit('-').next())
                .and_then(|p| p.parse::<u32>().ok());
            if let Some(pid) = pid
                && pid != std::process::id()
                && Path::new("/proc").is_dir()
                && !Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    base.join(format!("{prefix}{name}-{}", std::process::id()))
}

fn fresh(root: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(root);
    if let Err(e) = std::fs::create_dir_all(root) {
        panic!("cannot make {}: {e}", root.display());
    }
    root.to_path_buf()
}

fn set_up(dir: &Path, terminal: &str) -> DataDir {
    let data_dir = DataDir::new(dir);
    let params = downtime_billing::setup::SetupParams {
        terminal: terminal.into(),
        hospital: "Fuzz Hospital".into(),
        admin: "admin".into(),
        admin_pin: PIN.into(),
        signing_key_file: None,
    };
    if let Err(e) = downtime_billing::setup::setup(&data_dir, &params, &clock()) {
        panic!("setup in {}: {e:?}", dir.display());
    }
    data_dir
}

fn session(roles: &[Role], terminal: &str) -> Session {
    let (Ok(user), Ok(terminal)) = (UserName::parse("fuzz"), TerminalCode::parse(terminal)) else {
        panic!("fuzz user or terminal refused");
    };
    Session::new(user, roles, terminal)
}

/// A scanned code checked as the pharmacy does (`pharmacy check CODE`),
/// against an empty station's database.
pub struct QrBench {
    store: Store,
    key: SigningKey,
}

impl QrBench {
    pub fn new(root: &Path) -> QrBench {
        let data_dir = DataDir::new(fresh(root));
        let store = match Store::create(&data_dir) {
            Ok(s) => s,
            Err(e) => panic!("store in {}: {e:?}", root.display()),
        };
        QrBench {
            store,
            key: SigningKey::from_bytes(FUZZ_KEY),
        }
    }

    /// The same code re-signed under the key (so the fields behind the
    /// signature are read too), then as typed, whose outcome is returned.
    /// A code that verifies must come back unchanged when built again.
    pub fn check(&self, data: &[u8]) -> Outcome {
        let text = String::from_utf8_lossy(data);
        if let Some(resigned) = self.resign(&text) {
            let _ = self.one(&resigned);
        }
        self.one(&text)
    }

    fn resign(&self, text: &str) -> Option<String> {
        let text = downtime_billing::pharmacy::normalise(text);
        let (body, _) = text.rsplit_once(':')?;
        let tag = self.key.sign(body.as_bytes());
        let hex: String = tag[..16].iter().map(|b| format!("{b:02X}")).collect();
        Some(format!("{body}:{hex}"))
    }

    fn one(&self, text: &str) -> Outcome {
        let parsed = qr::parse_and_verify(&downtime_billing::pharmacy::normalise(text), &self.key);
        let checked =
            downtime_billing::pharmacy::check_unchecked(self.store.conn(), &self.key, text);
        match (&parsed, &checked) {
            (Ok(p), Ok(_)) => {
                let again = qr::build(p, &self.key);
                let back = qr::parse_and_verify(&again, &self.key);
                assert_eq!(
                    back.as_ref(),
                    Ok(p),
                    "rebuilt code reads back differently: {again}"
                );
                assert!(
                    qr::is_alphanumeric_set(&again),
                    "rebuilt code outside the QR alphanumeric set: {again}"
                );
                Ok(format!("{} with {} items", p.number, p.items.len()))
            }
            (Ok(p), Err(e)) => {
                // Read, then refused by what the station knows: fine, but
                // the refusal must be a sentence.
                let line = e.message(Lang::En);
                assert!(!line.is_empty() && !line.contains('\n'), "{line:?}");
                Err(format!("{}: {line}", p.number))
            }
            (Err(_), Ok(c)) => panic!("pharmacy accepted what the parser refused: {c:?}"),
            (Err(_), Err(e)) => {
                let line = e.message(Lang::En);
                assert!(!line.is_empty() && !line.contains('\n'), "{line:?}");
                Err(line)
            }
        }
    }
}

/// A backup file checked as `restore` checks it before touching anything
/// (`backup::verify_backup`: shape, SQLite, then every verify check).
///
/// The input is either the file itself, or — when it starts with `P` —
/// patches to a real backup of a demo terminal: 5 bytes each, a
/// little-endian offset (modulo the file's length) and the byte to put
/// there. A real backup is ~1 MB; patches keep the corpus small and reach
/// the checks behind SQLite's.
pub struct BackupBench {
    data_dir: DataDir,
    template: Vec<u8>,
    file: PathBuf,
}

impl BackupBench {
    pub fn new(root: &Path) -> BackupBench {
        let root = fresh(root);
        let demo = root.join("demo");
        let report = match downtime_billing::demo::build(&demo, 6, &clock()) {
            Ok(r) => r,
            Err(e) => panic!("demo in {}: {e:?}", demo.display()),
        };
        let Some((terminal, dir)) = report.terminal_dirs.first().cloned() else {
            panic!("demo without terminals");
        };
        let data_dir = DataDir::new(dir);
        let mut store = match Store::open(&data_dir) {
            Ok(s) => s,
            Err(e) => panic!("open {terminal}: {e:?}"),
        };
        let out = root.join("backups");
        let info = match downtime_billing::backup::backup_to(
            &mut store,
            &session(&[Role::Admin], &terminal),
            &clock(),
            Some(&out),
        ) {
            Ok(i) => i,
            Err(e) => panic!("backup of {terminal}: {e:?}"),
        };
        drop(store);
        let template = match std::fs::read(&info.file) {
            Ok(b) => b,
            Err(e) => panic!("read {}: {e}", info.file.display()),
        };
        BackupBench {
            data_dir,
            template,
            file: root.join("candidate.sqlite3"),
        }
    }

    pub fn check(&self, data: &[u8]) -> Outcome {
        let bytes = match data.strip_prefix(b"P") {
            Some(patches) => {
                let mut b = self.template.clone();
                for p in patches.chunks_exact(5) {
                    let at = u32::from_le_bytes([p[0], p[1], p[2], p[3]]) as usize % b.len();
                    b[at] = p[4];
                }
                b
            }
            None => data.to_vec(),
        };
        if let Err(e) = std::fs::write(&self.file, &bytes) {
            panic!("write {}: {e}", self.file.display());
        }
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut side = self.file.clone().into_os_string();
            side.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(side));
        }
        let out = match downtime_billing::backup::verify_backup(&self.data_dir, &self.file) {
            Err(e) => {
                let line = e.message(Lang::En);
                assert!(
                    line.contains("candidate.sqlite3"),
                    "refusal does not name the file: {line}"
                );
                assert!(!line.contains('\n'), "refusal on two lines: {line:?}");
                Err(line)
            }
            Ok(report) if report.ok => {
                assert!(report.problems.is_empty());
                Ok(format!("verified: {} checks", report.checks.len()))
            }
            Ok(report) => {
                assert!(!report.problems.is_empty(), "failed with no problem named");
                Err(format!("{} problem(s)", report.problems.len()))
            }
        };
        // Checking never writes to the file it checks.
        match std::fs::read(&self.file) {
            Ok(after) => assert!(after == bytes, "verify changed the backup file"),
            Err(e) => panic!("backup file gone after verify: {e}"),
        }
        out
    }
}

/// A terminal journal imported at the finance station (`journal import`).
/// The key's fingerprint is in the seeds' headers, so rows are read and
/// inserted (inside the import's transaction) before the signature is
/// found wrong; a refused journal must leave the database as it was.
pub struct JournalBench {
    store: Store,
    key: SigningKey,
    session: Session,
    file: PathBuf,
}

impl JournalBench {
    pub fn new(root: &Path) -> JournalBench {
        let root = fresh(root);
        let data_dir = set_up(&root.join("CW01"), "CW01");
        let store = match Store::open(&data_dir) {
            Ok(s) => s,
            Err(e) => panic!("open finance station: {e:?}"),
        };
        JournalBench {
            store,
            key: SigningKey::from_bytes(FUZZ_KEY),
            session: session(&[Role::Finance], "CW01"),
            file: root.join("fuzz-journal.jsonl"),
        }
    }

    fn counts(&self) -> Vec<i64> {
        ["receipts", "receipt_lines", "journal_imports", "audit_log"]
            .iter()
            .map(|t| {
                self.store
                    .conn()
                    .query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                    .unwrap_or(-1)
            })
            .collect()
    }

    pub fn check(&mut self, data: &[u8]) -> Outcome {
        if let Err(e) = std::fs::write(&self.file, data) {
            panic!("write {}: {e}", self.file.display());
        }
        let before = self.counts();
        let result = journal::import(
            &mut self.store,
            &self.session,
            &clock(),
            &self.key,
            &self.file,
            &mut |_, _| {},
        );
        match result {
            Err(e) => {
                let line = e.message(Lang::En);
                assert!(
                    line.contains("fuzz-journal.jsonl"),
                    "refusal does not name the file: {line}"
                );
                assert!(!line.contains('\n'), "refusal on two lines: {line:?}");
                assert_eq!(
                    before,
                    self.counts(),
                    "a refused journal changed the database"
                );
                Err(line)
            }
            Ok(o) => Ok(format!("{} receipts added", o.receipts_added)),
        }
    }
}

/// The key's fingerprint as journal headers carry it (to make seeds).
pub fn fuzz_key_fingerprint() -> String {
    SigningKey::from_bytes(FUZZ_KEY).fingerprint()
}
