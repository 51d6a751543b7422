//! The multi-step flows both faces share: a receipt committed but not
//! printed is still issued (exit 6 at the CLI, the number kept), the shift
//! close creates its report folder and takes a backup, a reprint is
//! counted and printed, and a backup is taken every N receipts.

mod receipts_support;

use downtime_billing::clock::FixedClock;
use downtime_billing::error::UserFacing;
use downtime_billing::i18n::Lang;
use downtime_billing::money::Money;
use downtime_billing::receipts::shift::SupervisorPin;
use downtime_billing::receipts::{IssueDraft, IssueRequest};
use downtime_billing::workflows::{self, PdfOutcome, PdfStep, ShiftClose};
use receipts_support::*;

#[test]
fn a_pdf_that_cannot_be_written_is_exit_6_with_the_receipt_issued() {
    let env = ready();
    let body = env.write("body.json", &simple().to_string());
    let out = env.root().join("no-such-folder").join("r.pdf");
    let (code, stdout, stderr) = env.run(
        "admin",
        &[
            "receipt",
            "issue",
            "--json",
            body.to_str().unwrap(),
            "--pdf",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 6, "{stderr}");
    // The JSON is out, the receipt stands and says so on stderr.
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["number"], "MZ01-00000001");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("MZ01-00000001 IS issued"), "{stderr}");
    assert_eq!(env.show("MZ01-00000001")["status"], "issued");
    // The next receipt takes the next number: nothing was rolled back.
    let (code, v, err) = env.issue("admin", &simple());
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["number"], "MZ01-00000002");
}

#[test]
fn a_failing_print_command_keeps_the_receipt_issued_and_unprinted() {
    let env = ready();
    env.ok(
        "admin",
        &["settings", "set", "print.command", "false {pdf}"],
    );
    let mut store = env.store();
    let session = env.session(&mut store, "admin", PIN);
    let clock = FixedClock::at(NOW);
    let key = downtime_billing::keys::wrap::unlock_dir(&env.data_dir(), "admin", PIN).unwrap();
    let req = IssueRequest::from_json(&simple().to_string()).unwrap();
    let req = IssueDraft::build(store.conn(), &clock, &req).unwrap();
    let r = workflows::issue(&mut store, &session, &clock, &key, &req, &PdfStep::Print).unwrap();
    assert_eq!(r.receipt.receipt.number, "MZ01-00000001");
    assert!(!r.pdf.printed());
    assert!(r.follow_up_failure().is_some());
    // The same receipt prints once the printer answers (no command: saved).
    env.ok("admin", &["settings", "set", "print.command", ""]);
    let again = workflows::print_issued(&store, "MZ01-00000001", &PdfStep::Print).unwrap();
    assert!(again.printed(), "{again:?}");
    assert!(again.path().unwrap().is_file());
}

#[test]
fn shift_close_creates_the_report_folder_and_takes_a_backup() {
    let env = ready();
    let (code, _, err) = env.issue("admin", &simple());
    assert_eq!(code, 0, "{err}");
    let out = env.root().join("reports").join("nested").join("shift.pdf");
    let (code, stdout, err) = env.run(
        "admin",
        &[
            "shift",
            "close",
            "--cash-declared",
            "7.30",
            "--out",
            out.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.is_file(),
        "the folder was created and the report written"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["pdf"], out.display().to_string());
    assert!(
        v["backup"]
            .as_str()
            .is_some_and(|b| std::path::Path::new(b).is_file())
    );
}

#[test]
fn the_library_flow_closes_a_shift_into_the_default_reports_folder() {
    let env = ready();
    let mut store = env.store();
    let session = env.session(&mut store, "admin", PIN);
    let clock = FixedClock::at(NOW);
    let closed = workflows::close_shift(
        &mut store,
        &session,
        &clock,
        ShiftClose {
            cash_declared: None,
            supervisor: None::<SupervisorPin<'_>>,
            report: None,
        },
    )
    .unwrap();
    let report = closed.report.unwrap();
    assert!(report.starts_with(env.data_dir().reports_dir()));
    assert!(report.is_file());
    assert!(closed.backup.unwrap().file.is_file());
}

#[test]
fn a_reprint_is_counted_and_written_where_asked() {
    let env = ready();
    let (code, _, err) = env.issue("admin", &simple());
    assert_eq!(code, 0, "{err}");
    let mut store = env.store();
    let session = env.session(&mut store, "admin", PIN);
    let clock = FixedClock::at(NOW);
    let copy = env.root().join("copy.pdf");
    let r = workflows::reprint(
        &mut store,
        &session,
        &clock,
        "MZ01-00000001",
        &PdfStep::Save {
            copy_to: Some(copy.clone()),
        },
    )
    .unwrap();
    assert_eq!(r.receipt.reprints, 1);
    assert!(matches!(r.pdf, PdfOutcome::Done { .. }));
    assert_eq!(std::fs::read(&copy).unwrap(), r.bytes);
}

#[test]
fn a_backup_is_taken_when_the_policy_says_so() {
    let env = ready();
    env.ok("admin", &["settings", "set", "backup.every_receipts", "2"]);
    let mut store = env.store();
    let session = env.session(&mut store, "admin", PIN);
    let clock = FixedClock::at(NOW);
    let key = downtime_billing::keys::wrap::unlock_dir(&env.data_dir(), "admin", PIN).unwrap();
    let req = IssueRequest::from_json(&simple().to_string()).unwrap();
    let req = IssueDraft::build(store.conn(), &clock, &req).unwrap();
    let first = workflows::issue(&mut store, &session, &clock, &key, &req, &PdfStep::Skip).unwrap();
    assert!(first.backup.unwrap().is_none());
    assert!(matches!(first.pdf, PdfOutcome::Skipped));
    let second =
        workflows::issue(&mut store, &session, &clock, &key, &req, &PdfStep::Skip).unwrap();
    assert!(second.backup.unwrap().is_some_and(|b| b.file.is_file()));
}

#[test]
fn idle_checkpoint_waits_for_quiet_after_a_write() {
    let env = ready();
    let store = env.store();
    let mut idle = workflows::IdleCheckpoint::default();
    assert_eq!(
        idle.tick(&store, 10.0),
        None,
        "nothing written, nothing due"
    );
    idle.input(10.0);
    idle.wrote(10.5);
    assert!(!idle.due(11.0));
    assert!(idle.tick(&store, 11.0).is_some(), "asks to look again");
    assert!(idle.due(12.5));
    assert_eq!(idle.tick(&store, 12.5), None, "checkpointed");
    assert!(!idle.due(20.0));
    assert!(idle.wrote_anything());
}

#[test]
fn at_exit_backs_up_only_after_a_write_and_folds_the_wal() {
    let env = ready();
    let mut store = env.store();
    let clock = FixedClock::at(NOW);
    let backups = |store: &downtime_billing::store::Store| -> i64 {
        store
            .conn()
            .query_row("SELECT count(*) FROM backups", [], |r| r.get(0))
            .unwrap()
    };
    let before = backups(&store);
    workflows::at_exit(&mut store, &clock, workflows::SinceOpen::NothingWritten).unwrap();
    assert_eq!(backups(&store), before, "nothing written: no backup");
    workflows::at_exit(&mut store, &clock, workflows::SinceOpen::Wrote).unwrap();
    assert_eq!(backups(&store), before + 1);
    let wal = env.data_dir().db_path().with_extension("sqlite3-wal");
    assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0);
}

#[test]
fn the_draft_holds_the_one_rule_figures_and_issuing_stores_exactly_them() {
    let env = ready();
    let mut store = env.store();
    let session = env.session(&mut store, "admin", PIN);
    let clock = FixedClock::at(NOW);
    let key = downtime_billing::keys::wrap::unlock_dir(&env.data_dir(), "admin", PIN).unwrap();
    let body = body(
        &[("XA88DF322F52065", "3")],
        serde_json::json!([{"method": "cash", "amount": "21.90", "tendered": "50"}]),
    );
    let req = IssueRequest::from_json(&body.to_string()).unwrap();
    let draft = IssueDraft::build(store.conn(), &clock, &req).unwrap();
    assert_eq!(draft.line_amounts(), [Money::parse("21.90").unwrap()]);
    assert_eq!(draft.total(), Money::total(draft.line_amounts()).unwrap());
    assert_eq!(
        draft.change(),
        Money::change(Money::parse("50").unwrap(), draft.total())
    );
    assert_eq!(draft.change().to_string(), "28.10");
    // A request the draft refuses names its field and writes nothing.
    let short = IssueRequest::from_json(&body_with_payment("21.80").to_string()).unwrap();
    let err = IssueDraft::build(store.conn(), &clock, &short).unwrap_err();
    assert!(err.message(Lang::En).contains("21.80"), "{err:?}");
    let r = workflows::issue(&mut store, &session, &clock, &key, &draft, &PdfStep::Skip).unwrap();
    assert_eq!(r.receipt.receipt.total, draft.total());
    assert_eq!(r.receipt.receipt.change, draft.change());
    assert_eq!(r.receipt.receipt.number, "MZ01-00000001");
}

fn body_with_payment(amount: &str) -> serde_json::Value {
    body(
        &[("XA88DF322F52065", "3")],
        serde_json::json!([{"method": "cash", "amount": amount}]),
    )
}

#[test]
fn a_draft_priced_from_a_list_no_longer_in_force_is_refused_and_uses_no_number() {
    let env = ready();
    let mut store = env.store();
    let session = env.session(&mut store, "admin", PIN);
    let clock = FixedClock::at(NOW);
    let key = downtime_billing::keys::wrap::unlock_dir(&env.data_dir(), "admin", PIN).unwrap();
    let req = IssueRequest::from_json(&simple().to_string()).unwrap();
    let draft = IssueDraft::build(store.conn(), &clock, &req).unwrap();
    assert_eq!(draft.snapshot_month(), Some("2026-01"));
    // December's list comes into force before the draft is issued.
    let list = small_list(env.root());
    downtime_billing::prices::import(
        &mut store,
        &session,
        &clock,
        &list,
        downtime_billing::domain::Month::parse("2026-12").unwrap(),
        &mut |_| {},
    )
    .unwrap();
    let december = FixedClock::at("2026-12-02T09:00:00+08:00");
    let err = workflows::issue(
        &mut store,
        &session,
        &december,
        &key,
        &draft,
        &PdfStep::Skip,
    )
    .unwrap_err();
    assert!(err.en.contains("price list in force changed"), "{err:?}");
    // Priced again, it issues, and the refused attempt used no number.
    let draft = IssueDraft::build(store.conn(), &december, &req).unwrap();
    assert_eq!(draft.snapshot_month(), Some("2026-12"));
    let r = workflows::issue(
        &mut store,
        &session,
        &december,
        &key,
        &draft,
        &PdfStep::Skip,
    )
    .unwrap();
    assert_eq!(r.receipt.receipt.number, "MZ01-00000001");
}
