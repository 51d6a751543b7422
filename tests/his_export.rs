//! `his export`: the CSV and JSON batch files, and the HL7 and FHIR files
//! checked by the third-party validators (hl7apy STRICT, fhir.resources R4)
//! on delimiters and Chinese in names, credit notes and deposits.

mod his_support;
mod receipts_support;

use his_support::*;

fn export(s: &Scenario, format: &str, extra: &[&str]) -> (std::path::PathBuf, serde_json::Value) {
    let out = s.env.root().join(format!("batch.{format}"));
    let mut args = vec![
        "his",
        "export",
        "--format",
        format,
        "--out",
        out.to_str().unwrap(),
        "--json",
    ];
    args.extend_from_slice(extra);
    let summary: serde_json::Value = serde_json::from_str(&s.env.ok("admin", &args)).unwrap();
    (out, summary)
}

#[test]
fn csv_batch_one_row_per_line_bom_and_neutralised_formulas() {
    let s = scenario();
    let (out, summary) = export(&s, "csv", &[]);
    assert_eq!(summary["receipts"], 4);
    assert_eq!(summary["skipped"]["drill"], 1);
    assert_eq!(summary["skipped"]["voided"], 1);
    // 3 lines + 1 line + the deposit's row + the credit note's line
    assert_eq!(summary["rows"], 6);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "UTF-8 BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let header = rd.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    let numbers: Vec<&str> = rows.iter().map(|r| &r[col("receipt_number")]).collect();
    assert!(!numbers.contains(&s.voided.as_str()));
    assert!(!numbers.contains(&s.drill.as_str()));
    // header fields repeated on every line of a receipt
    let charge: Vec<_> = rows
        .iter()
        .filter(|r| r[col("receipt_number")] == s.charge)
        .collect();
    assert_eq!(charge.len(), 3);
    for r in &charge {
        assert_eq!(&r[col("patient_name")], DELIM_NAME);
        assert_eq!(&r[col("receipt_total")], "509.88");
        assert_eq!(&r[col("posting")], "charge");
        assert_eq!(&r[col("payments")], "cash:509.88");
    }
    assert_eq!(
        charge
            .iter()
            .map(|r| &r[col("line_no")])
            .collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
    // the formula-looking name is neutralised, the insured number kept
    let ins = rows
        .iter()
        .find(|r| r[col("receipt_number")] == s.insured)
        .unwrap();
    assert_eq!(&ins[col("patient_name")], &format!("'{FORMULA_NAME}"));
    assert_eq!(&ins[col("payer_type")], "insured_full_pay");
    assert_eq!(&ins[col("insurance_no")], "3301000000123456");
    assert_eq!(&ins[col("line_amount")], "7.30");
    // the deposit: one row, amount, no item
    let dep = rows
        .iter()
        .find(|r| r[col("receipt_number")] == s.deposit)
        .unwrap();
    assert_eq!(&dep[col("posting")], "deposit");
    assert_eq!(&dep[col("line_amount")], "1000.00");
    assert_eq!(&dep[col("item_code")], "");
    // the credit note: a reversal naming the original, negative and a number
    let cn = rows
        .iter()
        .find(|r| r[col("receipt_number")] == s.credit_note)
        .unwrap();
    assert_eq!(&cn[col("posting")], "reversal");
    assert_eq!(&cn[col("original_number")], &s.charge);
    assert_eq!(&cn[col("qty")], "-1");
    assert!(cn[col("line_amount")].starts_with('-'), "{:?}", cn);
    assert_eq!(&cn[col("refers_line")], "1");
    // every money cell has two decimals
    for r in &rows {
        for c in ["receipt_total", "line_amount"] {
            let v = &r[col(c)];
            assert_eq!(v.split('.').nth(1).map(str::len), Some(2), "{c} = {v}");
        }
    }
}

#[test]
fn json_batch_matches_the_csv_rows_with_money_as_strings() {
    let s = scenario();
    let (out, _) = export(&s, "json", &[]);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["schema"], "downtime-billing/his-batch/1");
    assert_eq!(v["receipts"], 4);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!(v["rows_count"], 6);
    let first = &rows[0];
    assert_eq!(first["receipt_number"], s.charge.as_str());
    assert_eq!(first["patient_name"], DELIM_NAME);
    assert_eq!(first["receipt_total"], "509.88");
    assert_eq!(first["line_no"], 1);
    assert!(first["line_amount"].is_string());
    assert_eq!(first["currency"], "CNY");
    // the JSON keeps the name as typed (no spreadsheet here)
    assert!(
        rows.iter()
            .any(|r| r["patient_name"] == FORMULA_NAME && r["insurance_no"] == "3301000000123456")
    );
    assert!(rows.iter().all(|r| r["receipt_number"] != s.drill.as_str()));
}

#[test]
fn hl7_file_passes_hl7apy_strict_and_reads_back() {
    let s = scenario();
    let (out, summary) = export(&s, "hl7", &[]);
    assert_eq!(summary["receipts"], 4);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.matches("MSH|").count(), 4);
    assert!(text.contains("|UNICODE UTF-8"));
    assert!(text.contains(&format!("|DFT^P03^DFT_P03|{}|P|2.5|", s.charge)));
    // the delimiters are escaped, never raw, in PID-5
    assert!(
        text.contains("王\\F\\小\\S\\明\\R\\A\\E\\B\\T\\C"),
        "{text}"
    );
    let Some(py) = python() else { return };
    let report = validate(&py, "validate_hl7.py", &[&out]);
    assert_eq!(report["messages"], 4);
    let back = report["read_back"].as_array().unwrap();
    let by = |n: &str| back.iter().find(|m| m["control_id"] == n).unwrap().clone();
    let charge = by(&s.charge);
    assert_eq!(charge["name"], DELIM_NAME);
    assert_eq!(charge["department"], "内科");
    let types: Vec<&str> = charge["ft1"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["CG", "CG", "CG"]);
    let cn = by(&s.credit_note);
    assert_eq!(cn["ft1"][0]["type"], "CD");
    assert_eq!(cn["ft1"][0]["qty"], "-1");
    assert!(cn["ft1"][0]["amount"].as_str().unwrap().starts_with('-'));
    assert_eq!(cn["ft1"][0]["currency"], "CNY");
    let dep = by(&s.deposit);
    assert_eq!(dep["ft1"][0]["type"], "PY");
    assert_eq!(dep["ft1"][0]["amount"], "1000.00");
    assert_eq!(dep["name"], "李四");
    // the same receipt gives the same message: a re-send is recognisable
    let (again, _) = export(&s, "hl7", &[]);
    assert_eq!(std::fs::read(&again).unwrap(), text.as_bytes());
}

#[test]
fn fhir_file_passes_fhir_resources_r4() {
    let s = scenario();
    let (out, summary) = export(&s, "fhir", &[]);
    assert_eq!(summary["receipts"], 4);
    let raw = std::fs::read_to_string(&out).unwrap();
    // money is written exactly, as value + CNY
    assert!(raw.contains(r#""value":7.30"#), "{raw}");
    assert!(raw.contains(r#""currency":"CNY""#));
    let Some(py) = python() else { return };
    let report = validate(&py, "validate_fhir.py", &[&out]);
    assert_eq!(report["fhir_version"], "4.0.1");
    assert_eq!(report["counts"]["Invoice"], 4);
    // 3 + 1 + 0 (deposit) + 1 (credit note)
    assert_eq!(report["counts"]["ChargeItem"], 5);
    // by outpatient / inpatient number: the charge's (the credit note's is
    // the same patient), the insured's, the deposit's
    assert_eq!(report["counts"]["Patient"], 3);
    let inv = report["invoices"].as_array().unwrap();
    let cn = inv
        .iter()
        .find(|i| i["number"] == s.credit_note.as_str())
        .unwrap();
    assert_eq!(cn["kind"], "credit_note");
    assert!(cn["total"].as_str().unwrap().starts_with('-'));
    let dep = inv
        .iter()
        .find(|i| i["number"] == s.deposit.as_str())
        .unwrap();
    assert_eq!(dep["total"], "1000.00");
    assert_eq!(dep["lines"], 0);
}

#[test]
fn episode_and_overdue_self_pay_selections() {
    let s = scenario();
    // the drill episode (2) holds only the drill receipt: nothing to post
    let (_, summary) = export(&s, "csv", &["--episode", "2"]);
    assert_eq!(summary["receipts"], 0);
    assert_eq!(summary["skipped"]["drill"], 1);
    let (code, _, err) = s.env.run(
        "admin",
        &[
            "his",
            "export",
            "--format",
            "csv",
            "--out",
            "/tmp/x.csv",
            "--episode",
            "99",
        ],
    );
    assert_eq!(code, 2, "{err}");
    // on the day of issue nothing is overdue
    let (_, summary) = export(&s, "csv", &["--overdue-self-pay"]);
    assert_eq!(summary["receipts"], 0);
    assert_eq!(summary["skipped"]["drill"], 0);
    // two months later every open receipt is, with the credit note that
    // partly refunds one of them; the deposit and the insured too
    let out = s.env.root().join("late.csv");
    let (code, text, err) = s.env.run_at(
        "admin",
        "2027-01-20T09:00:00+08:00",
        &[
            "his",
            "export",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
            "--overdue-self-pay",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["receipts"], 4, "{v}");
    // the overdue drill receipt is named as skipped, not posted
    assert_eq!(v["skipped"]["drill"], 1, "{v}");
    // a bad format is refused with exit 2 and nothing written
    let (code, _, err) = s.env.run(
        "admin",
        &[
            "his",
            "export",
            "--format",
            "xml",
            "--out",
            "/tmp/never.xml",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("xml"));
    // a cashier may not export
    let (code, _, _) = s.env.run(
        "cash1",
        &[
            "his",
            "export",
            "--format",
            "csv",
            "--out",
            "/tmp/never.csv",
        ],
    );
    assert_eq!(code, 3);
}
