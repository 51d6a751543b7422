//! The working-day calendar and the exchange deadline, through the library
//! and the binary: the 2026 schedule loaded at setup, deadlines across
//! holidays with make-up working days, a year not yet held, imports
//! (identical, changed, replaced, refused) and bad files.

mod cli_support;

use assert_cmd::Command;
use chrono::NaiveDate;
use downtime_billing::auth::{Role, Session};
use downtime_billing::calendar::{self, CalendarError, Deadline, ImportStatus};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::{IfHeld, TerminalCode, UserName};
use downtime_billing::error::{ErrorKind, Remedy, UserFacing};
use downtime_billing::i18n::Lang;
use downtime_billing::setup::{SetupParams, setup};
use downtime_billing::store::{DataDir, Store};
use std::path::{Path, PathBuf};

const PIN: &str = "739146";

/// A schedule for 2027 made up for these tests only (not the official one):
/// 元旦 Jan 1–3 off, nothing else needed by the deadlines below.
const TEST_2027: &str = r#"{
  "year": 2027,
  "source": "测试用安排（非官方）",
  "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}],
  "workdays": []
}"#;

fn d(s: &str) -> NaiveDate {
    calendar::parse_date(s).unwrap()
}

fn clock() -> FixedClock {
    FixedClock::at("2026-11-22T09:00:00+08:00")
}

fn set_up(dir: &Path) -> DataDir {
    let data = DataDir::new(dir.join("data"));
    setup(
        &data,
        &SetupParams {
            terminal: "MZ01".into(),
            hospital: "测试医院".into(),
            admin: "admin".into(),
            admin_pin: PIN.into(),
            signing_key_file: None,
        },
        &clock(),
    )
    .unwrap();
    data
}

fn admin() -> Session {
    Session::new(
        UserName::parse("admin").unwrap(),
        &Role::ALL,
        TerminalCode::parse("MZ01").unwrap(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn count(store: &Store, table: &str) -> i64 {
    store
        .conn()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn bin(data: &DataDir) -> Command {
    let mut c = cli_support::command();
    c.arg("--data-dir")
        .arg(data.root())
        .env("DOWNTIME_BILLING_PIN", PIN)
        .env("DOWNTIME_BILLING_NOW", "2026-11-22T09:00:00+08:00")
        .env_remove("DOWNTIME_BILLING_DATA_DIR")
        .env_remove("DOWNTIME_BILLING_LANG");
    c
}

#[test]
fn setup_loads_2026_and_audits_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = set_up(tmp.path());
    let store = Store::open(&data).unwrap();
    assert_eq!(calendar::covered_years(store.conn()).unwrap(), vec![2026]);
    let actions: Vec<String> = store
        .conn()
        .prepare("SELECT action FROM audit_log ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(actions, vec!["setup", "key.wrap", "calendar.import"]);
    assert!(
        downtime_billing::audit::check_chain(store.conn())
            .unwrap()
            .is_empty()
    );
    let cal = calendar::year_calendar(store.conn(), 2026).unwrap();
    assert_eq!(cal.holidays.len(), 7);
    assert_eq!(cal.workdays.len(), 6);
}

#[test]
fn deadline_across_spring_festival_counts_the_saturday_make_up_days() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&set_up(tmp.path())).unwrap();
    let c = store.conn();
    // Sat 14 Feb and Sat 28 Feb are working days; 15–23 Feb are off.
    assert_eq!(
        calendar::is_working_day(c, d("2026-02-14")).unwrap(),
        Some(true)
    );
    assert_eq!(
        calendar::is_working_day(c, d("2026-02-28")).unwrap(),
        Some(true)
    );
    assert_eq!(
        calendar::is_working_day(c, d("2026-02-16")).unwrap(),
        Some(false)
    );
    assert_eq!(
        calendar::is_working_day(c, d("2026-02-21")).unwrap(),
        Some(false)
    );
    // Tue 10 Feb: 11,12,13, Sat 14, 24..27, Sat 28, 2..6 Mar, Mon 9 Mar = 15.
    assert_eq!(
        calendar::deadline(c, d("2026-02-10")).unwrap(),
        Deadline::Date(d("2026-03-09"))
    );
    // Fri 13 Feb: Sat 14 is the 1st, Sat 28 the 6th, Thu 12 Mar the 15th.
    assert_eq!(
        calendar::deadline(c, d("2026-02-13")).unwrap(),
        Deadline::Date(d("2026-03-12"))
    );
    // Issued during the holiday itself: 24–27 Feb, Sat 28 Feb is the 5th,
    // 2–6 Mar, 9–13 Mar → Fri 13 Mar.
    assert_eq!(
        calendar::deadline(c, d("2026-02-17")).unwrap(),
        Deadline::Date(d("2026-03-13"))
    );
}

#[test]
fn deadline_across_national_day_counts_sep_20_and_oct_10() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&set_up(tmp.path())).unwrap();
    let c = store.conn();
    // Fri 18 Sep: Sun 20 Sep 1st, 21–24 → 5, 28–30 → 8, 8–9 Oct → 10,
    // Sat 10 Oct 11th, 12–15 Oct → 15.
    assert_eq!(
        calendar::deadline(c, d("2026-09-18")).unwrap(),
        Deadline::Date(d("2026-10-15"))
    );
    // Fri 25 Sep (中秋, off): 28–30 Sep, 8–10 Oct, 12–16, 19–22 Oct.
    assert_eq!(
        calendar::deadline(c, d("2026-09-25")).unwrap(),
        Deadline::Date(d("2026-10-22"))
    );
    // Labour day with Sat 9 May working: Thu 30 Apr → 6,7,8, Sat 9, 11–15,
    // 18–22 May = 14, Mon 25 May = 15.
    assert_eq!(
        calendar::deadline(c, d("2026-04-30")).unwrap(),
        Deadline::Date(d("2026-05-25"))
    );
}

#[test]
fn late_december_is_unconfirmed_until_2027_is_imported() {
    let tmp = tempfile::tempdir().unwrap();
    let data = set_up(tmp.path());
    let mut store = Store::open(&data).unwrap();
    // Early December stays inside 2026.
    assert_eq!(
        calendar::deadline(store.conn(), d("2026-12-01")).unwrap(),
        Deadline::Date(d("2026-12-22"))
    );
    let dl = calendar::deadline(store.conn(), d("2026-12-20")).unwrap();
    assert_eq!(dl, Deadline::Unconfirmed { missing_year: 2027 });
    assert!(dl.receipt_text(Lang::Zh).contains("待确认"));
    assert!(dl.receipt_text(Lang::Zh).contains("2027"));
    assert_eq!(
        calendar::is_working_day(store.conn(), d("2027-01-04")).unwrap(),
        None
    );
    let warn = calendar::coverage_warning(store.conn(), d("2026-11-22")).unwrap();
    let (zh, en) = warn.expect("2027 is missing and within reach");
    assert!(zh.contains("2027") && en.contains("2027"), "{zh} / {en}");
    // Thu 10 Dec still ends on Thu 31 Dec; Fri 11 Dec is the first issue
    // date whose 15th working day falls in 2027.
    assert_eq!(
        calendar::deadline(store.conn(), d("2026-12-10")).unwrap(),
        Deadline::Date(d("2026-12-31"))
    );
    assert!(
        !calendar::deadline(store.conn(), d("2026-12-11"))
            .unwrap()
            .is_confirmed()
    );
    assert!(
        zh.contains("2026-12-11") && en.contains("2026-12-11"),
        "{zh} / {en}"
    );
    // Still inside the year and more than a month from its reach: quiet.
    assert_eq!(
        calendar::coverage_warning(store.conn(), d("2026-11-10")).unwrap(),
        None
    );
    // Standing in a year that is not held at all.
    let (zh, _) = calendar::coverage_warning(store.conn(), d("2028-03-01"))
        .unwrap()
        .expect("2028 is not held");
    assert!(zh.contains("2028") && zh.contains("2028-03-01"), "{zh}");
    // In summer nothing within reach is missing.
    assert_eq!(
        calendar::coverage_warning(store.conn(), d("2026-06-01")).unwrap(),
        None
    );

    let file = write(tmp.path(), "2027.json", TEST_2027);
    let out = calendar::import_file(&mut store, &admin(), &clock(), &file, IfHeld::Refuse).unwrap();
    assert_eq!(out.status, ImportStatus::Imported);
    // Mon 21–Thu 31 Dec = 9, 1 Jan off, 4–8 Jan = 14, Mon 11 Jan = 15.
    let dl = calendar::deadline(store.conn(), d("2026-12-20")).unwrap();
    assert_eq!(dl, Deadline::Date(d("2027-01-11")));
    assert_eq!(
        dl.receipt_text(Lang::Zh),
        "请于 2027-01-11 前凭本票据到收费窗口换取正式发票"
    );
    assert_eq!(
        calendar::coverage_warning(store.conn(), d("2026-11-22")).unwrap(),
        None
    );
    assert_eq!(
        calendar::covered_years(store.conn()).unwrap(),
        vec![2026, 2027]
    );
}

#[test]
fn identical_reimport_is_a_noop_and_a_changed_one_needs_replace() {
    let tmp = tempfile::tempdir().unwrap();
    let data = set_up(tmp.path());
    let mut store = Store::open(&data).unwrap();
    let file = write(tmp.path(), "2027.json", TEST_2027);
    calendar::import_file(&mut store, &admin(), &clock(), &file, IfHeld::Refuse).unwrap();
    let audits = count(&store, "audit_log");

    // Same schedule, other spacing and file name: nothing happens.
    let same = write(
        tmp.path(),
        "again.json",
        &TEST_2027.replace('\n', " ").replace("  ", ""),
    );
    let out = calendar::import_file(&mut store, &admin(), &clock(), &same, IfHeld::Refuse).unwrap();
    assert_eq!(out.status, ImportStatus::Unchanged);
    assert_eq!(count(&store, "calendar_imports"), 2);
    assert_eq!(count(&store, "audit_log"), audits);

    // A corrected schedule: refused without --replace, nothing written.
    let changed = write(
        tmp.path(),
        "2027-fixed.json",
        &TEST_2027.replace("2027-01-03", "2027-01-04"),
    );
    let err = calendar::import_file(&mut store, &admin(), &clock(), &changed, IfHeld::Refuse)
        .unwrap_err();
    assert!(
        matches!(err, CalendarError::Changed { year: 2027, .. }),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Conflict);
    // In the user's words, no flag: the CLI adds its hint from the remedy.
    assert!(err.message(Lang::Zh).contains("替换须明确确认"), "{err:?}");
    assert!(
        err.message(Lang::En)
            .contains("Replacing it is a deliberate act"),
        "{err:?}"
    );
    for lang in [Lang::Zh, Lang::En] {
        assert!(!err.message(lang).contains("--"), "{err:?}");
    }
    assert_eq!(err.remedy(), Some(Remedy::ReplaceHeld));
    assert_eq!(count(&store, "calendar_imports"), 2);

    // With replace: a new row supersedes the old one, which stays.
    let out =
        calendar::import_file(&mut store, &admin(), &clock(), &changed, IfHeld::Replace).unwrap();
    assert_eq!(out.status, ImportStatus::Replaced);
    assert_eq!(count(&store, "calendar_imports"), 3);
    assert_eq!(count(&store, "audit_log"), audits + 1);
    assert_eq!(
        calendar::is_working_day(store.conn(), d("2027-01-04")).unwrap(),
        Some(false)
    );
    // Mon 4 Jan is now off: the 15th working day moves to Tue 12 Jan.
    assert_eq!(
        calendar::deadline(store.conn(), d("2026-12-20")).unwrap(),
        Deadline::Date(d("2027-01-12"))
    );
    let history = calendar::history(store.conn()).unwrap();
    let years: Vec<(i32, bool, Option<i64>)> = history
        .iter()
        .map(|r| (r.year, r.in_force, r.replaces))
        .collect();
    assert_eq!(
        years,
        vec![
            (2026, true, None),
            (2027, false, None),
            (2027, true, Some(history[1].id))
        ]
    );
    assert_eq!(history[2].file_name, "2027-fixed.json");
    // The history cannot be rewritten behind the program's back.
    assert!(
        store
            .conn()
            .execute("DELETE FROM calendar_imports WHERE year = 2027", [])
            .is_err()
    );
    assert!(
        store
            .conn()
            .execute("UPDATE calendar_entries SET to_date = '2027-01-09'", [])
            .is_err()
    );
}

#[test]
fn only_an_admin_imports() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(&set_up(tmp.path())).unwrap();
    let file = write(tmp.path(), "2027.json", TEST_2027);
    let cashier = {
        let a = admin();
        Session::new(a.user().clone(), &[Role::Cashier], a.terminal().clone())
    };
    let err =
        calendar::import_file(&mut store, &cashier, &clock(), &file, IfHeld::Refuse).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAllowed);
    assert_eq!(calendar::covered_years(store.conn()).unwrap(), vec![2026]);
}

/// Each bad file, the entry its message must name, and a phrase of the
/// problem.
fn bad_files() -> Vec<(&'static str, String, &'static str, &'static str)> {
    let ok_holiday = r#"{"name": "元旦", "from": "2027-01-01", "to": "2027-01-03"}"#;
    let file = |holidays: &str, workdays: &str| {
        format!(
            r#"{{"year": 2027, "source": "测试", "holidays": [{holidays}], "workdays": [{workdays}]}}"#
        )
    };
    vec![
        (
            "outside_year.json",
            file(
                &format!(
                    r#"{ok_holiday}, {{"name": "春节", "from": "2027-02-06", "to": "2028-02-12"}}"#
                ),
                "",
            ),
            "holidays[1] (春节)",
            "not in 2027",
        ),
        (
            "from_after_to.json",
            file(
                r#"{"name": "劳动节", "from": "2027-05-05", "to": "2027-05-01"}"#,
                "",
            ),
            "holidays[0] (劳动节)",
            "after",
        ),
        (
            "both.json",
            file(ok_holiday, r#"{"name": "调休", "date": "2027-01-02"}"#),
            "workdays[0] (调休)",
            "both",
        ),
        (
            "weekday_workday.json",
            file(ok_holiday, r#"{"name": "调休", "date": "2027-01-06"}"#),
            "workdays[0] (调休)",
            "Saturday or Sunday",
        ),
        (
            "overlap.json",
            file(
                &format!(
                    r#"{ok_holiday}, {{"name": "又一个", "from": "2027-01-03", "to": "2027-01-04"}}"#
                ),
                "",
            ),
            "holidays[1] (又一个)",
            "already in the holiday '元旦'",
        ),
        (
            "bad_date.json",
            file(
                r#"{"name": "元旦", "from": "2027-1-1", "to": "2027-01-03"}"#,
                "",
            ),
            "holidays[0] (元旦)",
            "not a date",
        ),
        (
            "month_typo.json",
            file(
                r#"{"name": "春节", "from": "2027-02-06", "to": "2027-12-12"}"#,
                "",
            ),
            "holidays[0] (春节)",
            "check the months",
        ),
        (
            "empty_name.json",
            file(
                r#"{"name": " ", "from": "2027-01-01", "to": "2027-01-03"}"#,
                "",
            ),
            "holidays[0] ()",
            "name must not be empty",
        ),
        ("no_holidays.json", file("", ""), "holidays", "no holidays"),
        (
            "no_source.json",
            format!(r#"{{"year": 2027, "source": "", "holidays": [{ok_holiday}]}}"#),
            "source",
            "source",
        ),
        (
            "unknown_field.json",
            format!(r#"{{"year": 2027, "source": "s", "holiday": [{ok_holiday}]}}"#),
            "unknown_field.json:1:",
            "unknown field",
        ),
        (
            "not_json.json",
            "year: 2027".to_string(),
            "not_json.json:1:",
            "not a calendar file",
        ),
    ]
}

#[test]
fn bad_files_are_refused_naming_file_and_entry_with_exit_2_and_nothing_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = set_up(tmp.path());
    let db_before = std::fs::read(data.db_path()).unwrap();
    let before = {
        let s = Store::open(&data).unwrap();
        (count(&s, "calendar_imports"), count(&s, "audit_log"))
    };
    for (name, text, entry, phrase) in bad_files() {
        let path = write(tmp.path(), name, &text);
        let out = bin(&data)
            .args(["--lang", "en", "--user", "admin", "calendar", "import"])
            .arg(&path)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(name), "{name}: names the file: {err}");
        assert!(err.contains(entry), "{name}: names {entry}: {err}");
        assert!(err.contains(phrase), "{name}: says '{phrase}': {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        // Chinese message too.
        let out = bin(&data)
            .args(["--user", "admin", "calendar", "import"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let zh = String::from_utf8_lossy(&out.stderr);
        assert!(zh.contains(name) && zh.contains(entry), "{zh}");
    }
    let s = Store::open(&data).unwrap();
    assert_eq!(
        (count(&s, "calendar_imports"), count(&s, "audit_log")),
        before
    );
    drop(s);
    // Refused before any write: the main database file is byte-for-byte the same.
    assert_eq!(std::fs::read(data.db_path()).unwrap(), db_before);
}

#[test]
fn cli_deadline_import_and_show() {
    let tmp = tempfile::tempdir().unwrap();
    let data = set_up(tmp.path());

    let out = bin(&data)
        .args(["calendar", "deadline", "2026-02-10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2026-03-09");

    let out = bin(&data)
        .args(["calendar", "deadline", "2026-09-18", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"issue_date": "2026-09-18", "deadline": "2026-10-15",
                           "working_days": 15, "confirmed": true})
    );

    // Not yet covered: still an answer (exit 0), never a guessed date.
    let out = bin(&data)
        .args(["calendar", "deadline", "2026-12-20", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"issue_date": "2026-12-20", "deadline": null,
                           "working_days": 15, "confirmed": false, "missing_year": 2027})
    );
    let out = bin(&data)
        .args(["calendar", "deadline", "2026-12-20"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("待确认"));

    // A malformed date is invalid input.
    let out = bin(&data)
        .args(["calendar", "deadline", "2026-2-10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // Import needs a user, and the right PIN.
    let file = write(tmp.path(), "2027.json", TEST_2027);
    let out = bin(&data)
        .args(["calendar", "import"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let out = bin(&data)
        .env("DOWNTIME_BILLING_PIN", "964207")
        .args(["--user", "admin", "calendar", "import"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));

    let out = bin(&data)
        .args(["--user", "admin", "calendar", "import", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["year"], 2027);
    assert_eq!(v["status"], "imported");
    assert_eq!(v["days_off"], 3);

    let out = bin(&data)
        .args(["--user", "admin", "calendar", "import", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "unchanged");

    let changed = write(
        tmp.path(),
        "2027b.json",
        &TEST_2027.replace("2027-01-03", "2027-01-04"),
    );
    let out = bin(&data)
        .args(["--user", "admin", "calendar", "import"])
        .arg(&changed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--replace"), "the CLI's hint: {err}");
    let out = bin(&data)
        .args(["--user", "admin", "calendar", "import", "--replace"])
        .arg(&changed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));

    let out = bin(&data)
        .args(["calendar", "deadline", "2026-12-20"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2027-01-12");

    let out = bin(&data)
        .args(["calendar", "show", "2027", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["holidays"][0]["to"], "2027-01-04");
    let out = bin(&data)
        .args(["calendar", "show", "2030"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
}
