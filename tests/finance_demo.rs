//! `demo`: a newcomer's throw-away hospital, built through the library
//! flows, opens with every finance list filled and passes `verify`.

mod finance_support;

use downtime_billing::store::{DataDir, Store};

#[test]
fn demo_builds_three_terminals_merged_at_finance_with_every_list_filled() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("demo");
    let out = std::process::Command::new(finance_support::bin())
        .env_clear()
        .env("DOWNTIME_BILLING_NOW", "2026-11-29T10:00:00+08:00")
        .args([
            "--lang",
            "en",
            "demo",
            "--receipts",
            "36",
            "--json",
            "--out",
        ])
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["receipts"], 36);
    for k in ["voided", "refunded", "dispensed", "exchanged"] {
        assert!(j[k].as_u64().unwrap() > 0, "{k}: {j}");
    }
    let roles: Vec<&str> = j["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["roles"].as_str().unwrap())
        .collect();
    for r in ["cashier", "pharmacist", "finance"] {
        assert!(roles.contains(&r), "a user holding only {r}");
    }
    let fin = DataDir::new(j["finance_dir"].as_str().unwrap());
    let store = Store::open(&fin).unwrap();
    let terminals: i64 = store
        .conn()
        .query_row("SELECT COUNT(DISTINCT terminal) FROM receipts", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(terminals, 3);
    let dispensings: i64 = store
        .conn()
        .query_row("SELECT COUNT(*) FROM dispensings", [], |r| r.get(0))
        .unwrap();
    assert!(dispensings > 0);
    let r = downtime_billing::verify::run(&store).unwrap();
    assert!(r.ok, "{:?}", r.problems);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
    let open = downtime_billing::finance::deadlines::list(
        store.conn(),
        today,
        downtime_billing::finance::deadlines::Filter::All,
    )
    .unwrap();
    assert!(open.iter().any(|r| r.overdue) && open.iter().any(|r| !r.overdue));
    drop(store);
    // The HIS results file it wrote reconciles with every group filled.
    let (code, out, err) = finance_support::run(
        &fin,
        "finance1",
        "2026-11-29T10:00:00+08:00",
        &[
            "reconcile",
            "--his-file",
            j["his_results"].as_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let rep: serde_json::Value = serde_json::from_str(&out).unwrap();
    for g in [
        "matched",
        "amount_mismatch",
        "missing_in_his",
        "unknown_to_us",
        "duplicates",
    ] {
        assert!(rep[g]["count"].as_u64().unwrap() > 0, "{g}");
    }
}
