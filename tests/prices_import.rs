//! The shared import corpus through the library and the binary: good files
//! import with their exact item counts, each bad file is refused naming the
//! right row and column, and a refused import leaves the database exactly as
//! it was (no audit entry either).

mod cli_support;

use assert_cmd::Command;
use downtime_billing::auth::{self, Role};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::{Month, TerminalCode, UserName};
use downtime_billing::error::{ErrorKind, UserFacing};
use downtime_billing::prices::{self, ImportOutcome, ImportStage, PriceError};
use downtime_billing::store::{DataDir, Store};
use std::path::{Path, PathBuf};

const PIN: &str = "739146";

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/import")
        .join(name)
}

fn bin() -> Command {
    let mut c = cli_support::command();
    c.env("DOWNTIME_BILLING_PIN", PIN)
        .env("DOWNTIME_BILLING_NOW", "2026-12-03T09:00:00+08:00")
        .env_remove("DOWNTIME_BILLING_DATA_DIR");
    c
}

fn set_up() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    bin()
        .args(["--data-dir"])
        .arg(dir.path())
        .args([
            "setup",
            "--terminal",
            "MZ01",
            "--hospital",
            "测试医院",
            "--admin",
            "admin",
        ])
        .assert()
        .success();
    dir
}

/// Every row of every table, in a stable order: what "unchanged" means.
fn dump(db: &Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let mut cells = Vec::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    cells.push(format!("{v:?}"));
                }
                Ok(format!("{t}|{}", cells.join("|")))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.push(format!("table {t}: {} rows", rows.len()));
        out.extend(rows);
    }
    out
}

fn file_hash(p: &Path) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(p).unwrap()).to_vec()
}

/// (file, the exact FILE:ROW:COLUMN it must name), found by reading each file.
const BAD: &[(&str, &str)] = &[
    // rows 2 and 5 carry XA01AB001A00001; the second is named, the first cited
    ("bad_duplicate_code.csv", "bad_duplicate_code.csv:5:code"),
    // row 3 (XB02CD002B00003) has an empty price
    ("bad_missing_price.csv", "bad_missing_price.csv:3:price"),
    // row 5: -3.20
    ("bad_negative_price.csv", "bad_negative_price.csv:5:price"),
    // row 5: 六十
    (
        "bad_non_numeric_price.csv",
        "bad_non_numeric_price.csv:5:price",
    ),
    // row 5 stops after pinyin: the first missing column is spec
    ("bad_short_row.csv", "bad_short_row.csv:5:spec"),
    // row 5: 保健品
    (
        "bad_unknown_category.csv",
        "bad_unknown_category.csv:5:category",
    ),
];

#[test]
fn bad_files_are_refused_by_the_library_naming_row_and_column() {
    for (file, location) in BAD {
        let err = prices::parse_file(&corpus(file)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid);
        let PriceError::Rejected { problems, .. } = &err else {
            panic!("{file}: {err:?}");
        };
        let locations: Vec<String> = problems.iter().map(|p| p.location()).collect();
        assert_eq!(locations, [*location], "{file}");
        let zh = err.message(downtime_billing::i18n::Lang::Zh);
        assert!(zh.contains(location), "{zh}");
    }
    let dup = prices::parse_file(&corpus("bad_duplicate_code.csv")).unwrap_err();
    assert!(
        dup.message(downtime_billing::i18n::Lang::En)
            .contains("row 2")
    );
}

#[test]
fn bad_files_are_refused_by_the_binary_and_the_database_is_unchanged() {
    let dir = set_up();
    let db = DataDir::new(dir.path()).db_path();
    for (file, location) in BAD {
        let before = (file_hash(&db), dump(&db));
        let out = bin()
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--user", "admin", "--lang", "en", "prices", "import"])
            .arg(corpus(file))
            .args(["--month", "2026-12"])
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.contains(&format!("{location}: ")),
            "{file}: {stderr}"
        );
        assert_eq!(
            (file_hash(&db), dump(&db)),
            before,
            "{file} changed the database"
        );
    }
}

#[test]
fn good_files_import_with_their_exact_item_counts() {
    let dir = set_up();
    let data_dir = DataDir::new(dir.path());
    let clock = FixedClock::at("2026-12-03T09:00:00+08:00");
    let mut store = Store::open(&data_dir).unwrap();
    let terminal = TerminalCode::parse("MZ01").unwrap();
    let session = auth::login(store.conn_mut(), "admin", PIN, &terminal, &clock).unwrap();
    for (file, month) in [
        ("good_gbk_chinese_headers.csv", "2026-11"),
        ("good_title_row.xlsx", "2026-12"),
    ] {
        let month = Month::parse(month).unwrap();
        let mut stages = Vec::new();
        let report = prices::import(
            &mut store,
            &session,
            &clock,
            &corpus(file),
            month,
            &mut |p| stages.push(p),
        )
        .unwrap();
        assert_eq!(report.outcome, ImportOutcome::Imported);
        assert_eq!(report.snapshot.item_count, 2000, "{file}");
        assert_eq!(stages.last().unwrap().stage, ImportStage::Done);
        assert!(stages.iter().any(|p| p.stage == ImportStage::Writing));
        let items = prices::items(store.conn(), report.snapshot.id).unwrap();
        assert_eq!(items.len(), 2000);
        assert!(items.iter().all(|i| !i.pinyin.is_empty()));
        let held = prices::snapshot_for_month(store.conn(), month)
            .unwrap()
            .unwrap();
        assert_eq!(held, report.snapshot);
    }
    // The GBK file reads as Chinese, with pinyin computed from names.
    let nov = prices::snapshot_for_month(store.conn(), Month::parse("2026-11").unwrap())
        .unwrap()
        .unwrap();
    let first = prices::find_item(store.conn(), nov.id, "ZE25B824P62360")
        .unwrap()
        .unwrap();
    assert_eq!(first.name, "生脉注射液");
    assert_eq!(first.unit_price.as_text(), "47.51");
    assert!(
        first.pinyin.split(' ').any(|p| p == "SMZSY"),
        "{}",
        first.pinyin
    );
    // The XLSX title row counts: its first item sits on row 3.
    let dec = prices::parse_file(&corpus("good_title_row.xlsx")).unwrap();
    assert_eq!(dec.rows[0], 3);
    assert_eq!(dec.items[0].unit_price.as_text(), "79.57");
    assert_eq!(dec.month_hint, Month::parse("2026-11").ok());
    // In force: the newest snapshot not after the date.
    let on = |d: &str| {
        prices::snapshot_in_force(store.conn(), d.parse().unwrap())
            .unwrap()
            .map(|s| s.month.to_string())
    };
    assert_eq!(on("2026-10-31"), None);
    assert_eq!(on("2026-11-30").as_deref(), Some("2026-11"));
    assert_eq!(on("2027-03-01").as_deref(), Some("2026-12"));
    // Each import wrote one audit entry, and the chain holds.
    let audited: i64 = store
        .conn()
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'prices.import'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 2);
    assert!(
        downtime_billing::audit::check_chain(store.conn())
            .unwrap()
            .is_empty()
    );
    // Snapshots cannot be edited behind the program's back.
    assert!(
        store
            .conn()
            .execute("UPDATE price_items SET unit_price = '0.01'", [])
            .is_err()
    );
}

#[test]
fn a_refused_import_through_the_library_writes_nothing() {
    let dir = set_up();
    let data_dir = DataDir::new(dir.path());
    let clock = FixedClock::at("2026-12-03T09:00:00+08:00");
    let mut store = Store::open(&data_dir).unwrap();
    let terminal = TerminalCode::parse("MZ01").unwrap();
    let session = auth::login(store.conn_mut(), "admin", PIN, &terminal, &clock).unwrap();
    let before = dump(&data_dir.db_path());
    let month = Month::parse("2026-12").unwrap();
    for (file, _) in BAD {
        let err = prices::import(
            &mut store,
            &session,
            &clock,
            &corpus(file),
            month,
            &mut |_| {},
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid);
    }
    assert_eq!(dump(&data_dir.db_path()), before);

    // Not an admin: refused (exit 3) before anything is read or written.
    {
        let tx = store.write().unwrap();
        auth::insert_user(
            &tx,
            &UserName::parse("cashier1").unwrap(),
            &[Role::Cashier],
            PIN,
            &clock,
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let cashier = auth::login(store.conn_mut(), "cashier1", PIN, &terminal, &clock).unwrap();
    let before = dump(&data_dir.db_path());
    let err = prices::import(
        &mut store,
        &cashier,
        &clock,
        &corpus("good_gbk_chinese_headers.csv"),
        month,
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAllowed);
    assert_eq!(dump(&data_dir.db_path()), before);
}

#[test]
fn preview_shows_problems_status_and_diff() {
    let dir = set_up();
    let data_dir = DataDir::new(dir.path());
    let clock = FixedClock::at("2026-12-03T09:00:00+08:00");
    let mut store = Store::open(&data_dir).unwrap();
    let terminal = TerminalCode::parse("MZ01").unwrap();
    let session = auth::login(store.conn_mut(), "admin", PIN, &terminal, &clock).unwrap();
    let nov = Month::parse("2026-11").unwrap();
    let dec = Month::parse("2026-12").unwrap();

    let bad = prices::preview(&store, &corpus("bad_negative_price.csv"), dec).unwrap();
    assert!(!bad.can_import());
    assert_eq!(bad.analysis.problems.len(), 1);

    let gbk = corpus("good_gbk_chinese_headers.csv");
    let p = prices::preview(&store, &gbk, nov).unwrap();
    assert!(p.can_import());
    assert_eq!(p.status, prices::MonthStatus::Free);
    assert!(p.previous.is_none() && p.diff.is_none());
    prices::import(&mut store, &session, &clock, &gbk, nov, &mut |_| {}).unwrap();

    let p = prices::preview(&store, &gbk, nov).unwrap();
    assert!(matches!(p.status, prices::MonthStatus::Identical(_)));
    let again = prices::import(&mut store, &session, &clock, &gbk, nov, &mut |_| {}).unwrap();
    assert_eq!(again.outcome, ImportOutcome::AlreadyHeld);

    let xlsx = corpus("good_title_row.xlsx");
    let p = prices::preview(&store, &xlsx, nov).unwrap();
    assert!(matches!(p.status, prices::MonthStatus::Different(_)));
    let err = prices::import(&mut store, &session, &clock, &xlsx, nov, &mut |_| {}).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);

    let p = prices::preview(&store, &xlsx, dec).unwrap();
    assert!(p.can_import());
    assert_eq!(p.previous.as_ref().map(|s| s.month), Some(nov));
    let d = p.diff.unwrap();
    let held = prices::snapshot_for_month(store.conn(), nov)
        .unwrap()
        .unwrap();
    let old_items = prices::items(store.conn(), held.id).unwrap();
    let new_items = &p.analysis.list.items;
    let is_in = |list: &[prices::PriceItem], code: &str| list.iter().any(|i| i.code == code);
    let added = new_items
        .iter()
        .filter(|i| !is_in(&old_items, &i.code))
        .count();
    let removed = old_items
        .iter()
        .filter(|i| !is_in(new_items, &i.code))
        .count();
    assert_eq!((d.added.len(), d.removed.len()), (added, removed));
    assert!(d.added.len() + d.removed.len() > 0);
}
