//! Reconciliation of an HIS results file: every group non-empty, counts and
//! totals adding up to the whole, events recorded once, malformed files
//! refused with row and column and nothing recorded.

mod finance_support;

use finance_support::*;

const HEADER: &str = "manual_receipt_no,his_invoice_no,amount,posted_at,kind\n";

/// Six open receipts (13.60, 6.80, 20.40, 11.50, 27.20, 6.80), one voided.
fn station() -> (Hospital, Term, Vec<String>) {
    let (h, mut cw) = Hospital::new();
    let mut t = h.terminal("MZ01", "MZ01");
    t.ready(1, 100, "2026-11-02T08:00:00+08:00", false);
    let mut n = Vec::new();
    for (i, (code, q)) in [
        (DRUG, "2"),
        (DRUG, "1"),
        (DRUG, "3"),
        (DRUG2, "1"),
        (DRUG, "4"),
        (DRUG, "1"),
    ]
    .iter()
    .enumerate()
    {
        n.push(t.issue(
            &format!("2026-11-02T09:{:02}:00+08:00", 10 + i),
            &[(code, q)],
            i == 3,
            "患者",
        ));
    }
    let v = t.issue("2026-11-02T09:30:00+08:00", &[(DRUG, "1")], false, "作废");
    t.void("2026-11-02T09:31:00+08:00", &v);
    n.push(v);
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

fn fen(v: &serde_json::Value) -> i64 {
    let s = v.as_str().unwrap();
    let (y, f) = s.split_once('.').unwrap();
    assert_eq!(f.len(), 2, "money has 2 decimals: {s}");
    y.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap()
}

#[test]
fn every_group_is_filled_and_the_totals_add_up_and_a_rerun_records_nothing() {
    let (h, cw, n) = station();
    let t = "2026-11-20T10:00:00+08:00";
    let csv = format!(
        "{HEADER}{},H001,13.60,{t},exchange\n{},H002,6.80,2026-11-21,self_pay\n{},H003,11.50,{t},insurance_resettle\n{},H004,99.00,{t},exchange\nMZ07-00000001,H005,5.00,{t},exchange\n{},H006,13.60,{t},exchange\n{},H002,27.20,{t},exchange\n",
        n[0], n[1], n[3], n[2], n[0], n[4]
    );
    let file = h.path("his.csv");
    std::fs::write(&file, csv).unwrap();
    let (code, out, err) = run(
        &cw.dir,
        "fin",
        NOW,
        &["reconcile", "--his-file", file.to_str().unwrap(), "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let groups = [
        "matched",
        "amount_mismatch",
        "missing_in_his",
        "unknown_to_us",
        "duplicates",
    ];
    for g in groups {
        assert!(j[g]["count"].as_u64().unwrap() > 0, "{g} is empty: {out}");
    }
    assert_eq!(j["matched"]["count"], 3);
    assert_eq!(j["amount_mismatch"]["count"], 1);
    assert_eq!(j["amount_mismatch"]["items"][0]["receipt"], n[2].as_str());
    assert_eq!(j["amount_mismatch"]["items"][0]["our_amount"], "20.40");
    assert_eq!(j["unknown_to_us"]["count"], 1);
    assert_eq!(
        j["duplicates"]["count"], 2,
        "a number twice, an invoice twice"
    );
    // Each duplicate says why, in both languages (the GUI shows the one
    // chosen).
    let notes: Vec<(&str, &str)> = j["duplicates"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["note"].as_str().unwrap(), i["note_zh"].as_str().unwrap()))
        .collect();
    assert_eq!(
        notes,
        [
            ("receipt number repeated in the file", "文件中票号重复"),
            (
                "HIS invoice number repeated in the file",
                "文件中 HIS 发票号重复"
            )
        ]
    );
    // n[4]'s only row reused an invoice: it is still missing, like n[5].
    let missing: Vec<&str> = j["missing_in_his"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["receipt"].as_str().unwrap())
        .collect();
    assert_eq!(missing, [n[4].as_str(), n[5].as_str()]);
    // The file: every row in exactly one group, totals add up.
    let rows: u64 = ["matched", "amount_mismatch", "unknown_to_us", "duplicates"]
        .iter()
        .map(|g| j[g]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(rows, j["file_rows"].as_u64().unwrap());
    assert_eq!(rows, 7);
    let total: i64 = ["matched", "amount_mismatch", "unknown_to_us", "duplicates"]
        .iter()
        .map(|g| fen(&j[g]["total"]))
        .sum();
    assert_eq!(total, fen(&j["file_total"]));
    // Ours: every receipt expected in the HIS is matched, mismatched or missing.
    assert_eq!(j["our_receipts"], 6, "the voided one is not expected");
    let ours = j["matched"]["count"].as_u64().unwrap()
        + j["amount_mismatch"]["count"].as_u64().unwrap()
        + j["missing_in_his"]["count"].as_u64().unwrap();
    assert_eq!(ours, 6);
    let our_total = fen(&j["matched"]["our_total"])
        + fen(&j["amount_mismatch"]["our_total"])
        + fen(&j["missing_in_his"]["our_total"]);
    assert_eq!(our_total, fen(&j["our_total"]));
    assert_eq!(fen(&j["our_total"]), 1360 + 680 + 2040 + 1150 + 2720 + 680);
    // Recorded from it: one of each kind.
    assert_eq!(j["recorded"]["exchanged"], 1);
    assert_eq!(j["recorded"]["self_pay_posted"], 1);
    assert_eq!(j["recorded"]["insurance_resettled"], 1);
    for (num, status) in [
        (&n[0], "exchanged"),
        (&n[1], "self_pay_posted"),
        (&n[3], "resettled"),
    ] {
        let (_, out, _) = run(&cw.dir, "fin", NOW, &["receipt", "show", num, "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["status"], status, "{num}");
    }
    // Again: the same groups, nothing new recorded.
    let events_before = cw.count("receipt_events");
    let (code, out, _) = run(
        &cw.dir,
        "fin",
        NOW,
        &["reconcile", "--his-file", file.to_str().unwrap(), "--json"],
    );
    assert_eq!(code, 0);
    let again: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(again["already_recorded"], 3);
    assert_eq!(again["recorded"]["exchanged"], 0);
    for g in groups {
        assert_eq!(again[g]["count"], j[g]["count"], "{g}");
    }
    assert_eq!(cw.count("receipt_events"), events_before);
    let store = downtime_billing::store::Store::open(&cw.dir).unwrap();
    let r = downtime_billing::verify::run(&store).unwrap();
    assert!(r.ok, "{:?}", r.problems);
}

#[test]
fn malformed_results_files_are_refused_with_row_and_column_and_nothing_recorded() {
    let (h, cw, n) = station();
    let good = format!("{},H001,13.60,2026-11-20,exchange\n", n[0]);
    let cases = [
        (
            format!("{HEADER}{good}{},H002,12.3.4,2026-11-20,exchange\n", n[1]),
            ":3:amount:",
        ),
        (
            format!(
                "manual_receipt_no,his_invoice_no,posted_at,kind\n{},H001,2026-11-20,exchange\n",
                n[0]
            ),
            ":1:amount:",
        ),
        (
            format!("{HEADER}{good}{},H002,6.80,2026-11-20,refund\n", n[1]),
            ":3:kind:",
        ),
        (
            format!("{HEADER}{good}{},H002,6.80,yesterday,exchange\n", n[1]),
            ":3:posted_at:",
        ),
        (
            format!("{HEADER}{good}{},,6.80,2026-11-20,exchange\n", n[1]),
            ":3:his_invoice_no:",
        ),
        (
            format!("{HEADER}{good}{},H002,-6.80,2026-11-20,exchange\n", n[1]),
            ":3:amount:",
        ),
        (format!("{HEADER}{good}{},H002\n", n[1]), ":3:amount:"),
    ];
    let before = cw.count("receipt_events");
    let file = h.path("bad.csv");
    for (text, want) in cases {
        std::fs::write(&file, &text).unwrap();
        let (code, out, err) = run(
            &cw.dir,
            "fin",
            NOW,
            &["reconcile", "--his-file", file.to_str().unwrap()],
        );
        assert_eq!(code, 2, "{text}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(want), "want {want} in {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert_eq!(cw.count("receipt_events"), before, "nothing recorded");
    }
}
