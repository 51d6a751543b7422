//! The exchange desk, re-settlement and the deadline worklist at the
//! finance station, through the library and the binary.

mod finance_support;

use downtime_billing::finance::deadlines::{self, Filter};
use finance_support::*;

/// A finance station holding one MZ01 journal whose receipts were issued
/// on the given days (outage 2026-09-28 .. 2026-10-02, across 国庆).
fn station() -> (Hospital, Term, Vec<String>) {
    let (h, mut cw) = Hospital::new();
    let mut t = h.terminal("MZ01", "MZ01");
    t.ready(1, 100, "2026-09-28T08:00:00+08:00", false);
    let mut n = Vec::new();
    n.push(t.issue("2026-09-28T09:00:00+08:00", &[(DRUG, "2")], false, "张三")); // 0 open
    n.push(t.issue("2026-09-28T09:10:00+08:00", &[(DRUG, "1")], false, "李四")); // 1 voided
    t.void("2026-09-28T09:11:00+08:00", &n[1]);
    n.push(t.issue(
        "2026-09-28T09:20:00+08:00",
        &[(DRUG, "1"), (DRUG2, "1")],
        false,
        "王五",
    )); // 2 refunded
    t.refund_all("2026-09-28T09:21:00+08:00", &n[2], &[1, 2]);
    n.push(t.issue("2026-10-02T10:00:00+08:00", &[(DRUG, "3")], true, "赵六")); // 3 insured
    t.dispense(&n[3], 1, DRUG, "3", "dispensed");
    n.push(t.issue("2026-10-02T10:05:00+08:00", &[(DRUG2, "1")], false, "孙七")); // 4 open
    n.push(t.issue("2026-12-21T10:00:00+08:00", &[(DRUG, "1")], false, "周八")); // 5 → 2027
    let f = t.export(&h.path("mz01.journal"));
    let s = cw.session("fin");
    let key = cw.key.clone();
    downtime_billing::finance::journal::import(
        &mut cw.store,
        &s,
        &at(NOW),
        &key,
        &f,
        &mut |_, _| {},
    )
    .unwrap();
    (h, cw, n)
}

#[test]
fn deadlines_count_working_days_across_national_day_and_its_make_up_saturday() {
    let (_h, cw, n) = station();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 10, 9).unwrap();
    let rows = deadlines::list(cw.store.conn(), today, Filter::All).unwrap();
    let numbers: Vec<&str> = rows.iter().map(|r| r.number.as_str()).collect();
    // Voided and fully refunded receipts are not open.
    assert_eq!(numbers, [&n[0], &n[3], &n[4], &n[5]]);
    // Issued Mon 28 Sep: 29, 30 Sep, (1–7 Oct off), 8, 9, Sat 10 (调休), 12–16,
    // 19–23 Oct: the 15th working day is Fri 23 Oct.
    assert_eq!(rows[0].deadline.as_deref(), Some("2026-10-23"));
    // From Fri 9 Oct: Sat 10 (make-up day), 12–16, 19–23 = 11 working days.
    assert_eq!(rows[0].days_left, Some(11));
    // Issued during the holiday (Fri 2 Oct): 8, 9, 10, 12–16, 19–23, 26, 27.
    assert_eq!(rows[1].deadline.as_deref(), Some("2026-10-27"));
    assert_eq!(rows[1].days_left, Some(13));
    // Issued 21 Dec: the count reaches 2027, whose calendar is not held.
    assert_eq!(rows[3].deadline, None);
    assert!(!rows[3].confirmed);
    assert_eq!(rows[3].missing_year, Some(2027));
    assert_eq!(rows[3].days_left, None);

    // On Mon 26 Oct the first is overdue by one working day, the second
    // due tomorrow.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 10, 26).unwrap();
    let over = deadlines::list(cw.store.conn(), today, Filter::Overdue).unwrap();
    assert_eq!(over.len(), 1);
    assert_eq!(over[0].number, n[0]);
    assert_eq!(over[0].days_left, Some(-1));
    assert!(over[0].overdue);
    let soon = deadlines::list(cw.store.conn(), today, Filter::DueWithin(1)).unwrap();
    let soon: Vec<&str> = soon.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(soon, [&n[3], &n[4]]);
    assert_eq!(
        deadlines::overdue_self_pay(cw.store.conn(), today).unwrap(),
        vec![n[0].clone()]
    );
    // On the deadline day itself nothing is overdue yet.
    let on_day = chrono::NaiveDate::from_ymd_opt(2026, 10, 23).unwrap();
    assert!(
        deadlines::overdue_self_pay(cw.store.conn(), on_day)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn deadline_list_through_the_binary() {
    let (_h, cw, n) = station();
    let (code, out, err) = run(
        &cw.dir,
        "fin",
        "2026-10-26T09:00:00+08:00",
        &["deadline", "list", "--overdue", "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j.as_array().unwrap().len(), 1);
    assert_eq!(j[0]["number"], n[0].as_str());
    assert_eq!(j[0]["days_left"], -1);
    assert_eq!(j[0]["amount"], "13.60");
    let (code, out, _) = run(
        &cw.dir,
        "fin",
        "2026-10-26T09:00:00+08:00",
        &["deadline", "list", "--json"],
    );
    assert_eq!(code, 0);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let last = j.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["number"], n[5].as_str());
    assert_eq!(last["deadline"], serde_json::Value::Null);
    assert_eq!(last["confirmed"], false);
    let (code, out, _) = run(
        &cw.dir,
        "fin",
        "2026-10-26T09:00:00+08:00",
        &["deadline", "list"],
    );
    assert_eq!(code, 0);
    assert!(out.contains("to be confirmed"), "{out}");
}

#[test]
fn exchange_records_the_invoice_and_refuses_what_cannot_be_exchanged() {
    let (_h, cw, n) = station();
    let now = "2026-10-12T09:00:00+08:00";
    let ex = |args: &[&str]| run(&cw.dir, "fin", now, args);
    let (code, out, err) = ex(&["exchange", &n[0], "--his-invoice", "HIS0001", "--json"]);
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["status"], "exchanged");
    assert_eq!(j["his_invoice"], "HIS0001");
    let (code, out, _) = run(&cw.dir, "fin", now, &["receipt", "show", &n[0], "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "exchanged");
    let ev = v["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(ev["kind"], "exchanged");
    assert_eq!(ev["details"]["his_invoice"], "HIS0001");

    for (number, inv, want) in [
        (&n[0], "HIS0002", "already exchanged"),
        (&n[1], "HIS0003", "voided"),
        (&n[2], "HIS0004", "refunded"),
        (&n[4], "HIS0001", "already recorded against"),
    ] {
        let (code, _, err) = ex(&["exchange", number, "--his-invoice", inv]);
        assert_eq!(code, 5, "{number}: {err}");
        assert!(err.contains(want), "{number}: {err}");
        assert_eq!(err.trim().lines().count(), 1);
    }
    let (code, _, err) = ex(&["exchange", "MZ01-00000099", "--his-invoice", "HIS0005"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = ex(&["exchange", &n[4], "--his-invoice", "  "]);
    assert_eq!(code, 2);
    // It left the worklist.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 10, 12).unwrap();
    let cw_store = downtime_billing::store::Store::open(&cw.dir).unwrap();
    let rows = deadlines::list(cw_store.conn(), today, Filter::All).unwrap();
    assert!(rows.iter().all(|r| r.number != n[0]));
    let r = downtime_billing::verify::run(&cw_store).unwrap();
    assert!(r.ok, "{:?}", r.problems);
}

#[test]
fn drill_receipts_cannot_be_exchanged() {
    let (h, mut cw) = Hospital::new();
    let mut t = h.terminal("MZ02", "MZ02");
    t.ready(1, 100, "2026-11-02T08:00:00+08:00", true);
    let d = t.issue("2026-11-02T09:00:00+08:00", &[(DRUG, "1")], false, "演练");
    let f = t.export(&h.path("drill.journal"));
    let s = cw.session("fin");
    let key = cw.key.clone();
    downtime_billing::finance::journal::import(
        &mut cw.store,
        &s,
        &at(NOW),
        &key,
        &f,
        &mut |_, _| {},
    )
    .unwrap();
    let (code, _, err) = run(
        &cw.dir,
        "fin",
        NOW,
        &["exchange", &d, "--his-invoice", "H1"],
    );
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("drill"), "{err}");
}

#[test]
fn an_insured_re_settlement_needs_the_pharmacys_return_confirmation() {
    let (_h, mut cw, n) = station();
    let now = "2026-10-12T09:00:00+08:00";
    // Self-pay receipts are exchanged, not re-settled.
    let (code, _, err) = run(
        &cw.dir,
        "fin",
        now,
        &["resettle", &n[4], "--his-invoice", "YB1"],
    );
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("not insured"), "{err}");
    // The drugs were handed out and not yet returned.
    let (code, _, err) = run(
        &cw.dir,
        "fin",
        now,
        &["resettle", &n[3], "--his-invoice", "YB1"],
    );
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("return confirmation"), "{err}");
    cw.dispense(&n[3], 1, DRUG, "3", "return_confirmed");
    let (code, out, err) = run(
        &cw.dir,
        "fin",
        now,
        &["resettle", &n[3], "--his-invoice", "YB1", "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["status"], "resettled");
    let v = downtime_billing::receipts::show(cw.store.conn(), &n[3]).unwrap();
    let ev = v.events.last().unwrap();
    assert_eq!(ev.kind, "insurance_resettled");
    assert_eq!(ev.details["his_invoice"], "YB1");
    assert_eq!(
        ev.details["return_confirmations"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn the_desk_finds_receipts_by_number_qr_text_and_patient_name() {
    let (_h, cw, n) = station();
    let conn = cw.store.conn();
    let by_name = downtime_billing::finance::exchange::find(conn, &cw.key, "赵").unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].number, n[3]);
    assert!(by_name[0].insured);
    let by_number =
        downtime_billing::finance::exchange::find(conn, &cw.key, &n[0].to_lowercase()).unwrap();
    assert_eq!(by_number[0].number, n[0]);
    let qr = downtime_billing::receipts::show(conn, &n[4])
        .unwrap()
        .qr_payload;
    let by_qr = downtime_billing::finance::exchange::find(conn, &cw.key, &qr).unwrap();
    assert_eq!(by_qr[0].number, n[4]);
    let voided = downtime_billing::finance::exchange::find(conn, &cw.key, &n[1]).unwrap();
    assert!(voided[0].refused.is_some());
}
