//! The cashier's commands over the binary: numbering, every refusal with
//! its exit code, totals and 大写 on real price-list rows, registration,
//! deposits, drills and deadlines.

mod receipts_support;

use receipts_support::*;
use serde_json::json;

#[test]
fn numbers_in_order_warning_and_exhaustion() {
    let env = ready_with("I", 22);
    let mut seen = vec![];
    for i in 1..=22u64 {
        let (code, v, err) = env.issue("cash1", &simple());
        assert_eq!(code, 0, "{err}");
        assert_eq!(v["number"], format!("MZ01-{i:08}"));
        assert_eq!(v["numbers_left"], 22 - i);
        // warned from 20 left on, in the JSON and on stderr
        assert_eq!(v["warning"].is_string(), 22 - i <= 20, "{i}");
        assert_eq!(err.contains("left"), 22 - i <= 20, "{i}: {err}");
        seen.push(v["number"].as_str().unwrap().to_string());
    }
    let (code, _, err) = env.issue("cash1", &simple());
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("no receipt numbers left"), "{err}");
    // a new book continues where it starts
    env.ok(
        "admin",
        &[
            "range",
            "add",
            "--terminal",
            "MZ01",
            "--from",
            "501",
            "--to",
            "600",
        ],
    );
    let (code, v, _) = env.issue("cash1", &simple());
    assert_eq!(code, 0);
    assert_eq!(v["number"], "MZ01-00000501");
    let list: serde_json::Value =
        serde_json::from_str(&env.ok("admin", &["receipt", "list", "--json"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 23);
}

#[test]
fn ranges_refuse_overlaps_bad_bounds_and_non_admins() {
    let env = setup();
    env.ok(
        "admin",
        &[
            "range",
            "add",
            "--terminal",
            "MZ01",
            "--from",
            "100",
            "--to",
            "199",
        ],
    );
    let (code, _, err) = env.run(
        "admin",
        &[
            "range",
            "add",
            "--terminal",
            "MZ01",
            "--from",
            "150",
            "--to",
            "250",
        ],
    );
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("overlaps") && err.contains("100"), "{err}");
    let (code, _, _) = env.run(
        "admin",
        &[
            "range",
            "add",
            "--terminal",
            "MZ01",
            "--from",
            "20",
            "--to",
            "10",
        ],
    );
    assert_eq!(code, 2);
    let (code, _, _) = env.run(
        "cash1",
        &[
            "range",
            "add",
            "--terminal",
            "MZ01",
            "--from",
            "1",
            "--to",
            "10",
        ],
    );
    assert_eq!(code, 3);
    // another terminal's book may use the same numbers
    env.ok(
        "admin",
        &[
            "range",
            "add",
            "--terminal",
            "MZ02",
            "--from",
            "100",
            "--to",
            "199",
        ],
    );
}

#[test]
fn every_refusal_is_named_and_consumes_no_number() {
    let env = setup();
    // no open episode
    env.ok(
        "admin",
        &[
            "range",
            "add",
            "--terminal",
            "MZ01",
            "--from",
            "1",
            "--to",
            "100",
        ],
    );
    let (code, _, err) = env.issue("cash1", &simple());
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("no open outage episode"), "{err}");
    env.ok(
        "admin",
        &["episode", "open", "--level", "II", "--reason", "HIS down"],
    );
    // a second open episode on the same terminal is a conflict
    let (code, _, _) = env.run(
        "admin",
        &["episode", "open", "--level", "II", "--reason", "again"],
    );
    assert_eq!(code, 5);

    let cases: Vec<(serde_json::Value, i32, &str)> = vec![
        (
            body(
                &[("XA88DF322F52065", "1"), ("NOPE", "1")],
                json!([{"method": "cash", "amount": "7.30"}]),
            ),
            2,
            "lines[1].code",
        ),
        (
            body(
                &[("XA88DF322F52065", "2")],
                json!([{"method": "cash", "amount": "7.30"}]),
            ),
            2,
            "expected 14.60, got 7.30",
        ),
        (
            body(
                &[("XA88DF322F52065", "1.5")],
                json!([{"method": "cash", "amount": "10.95"}]),
            ),
            2,
            "lines[0].qty",
        ),
        (
            body(
                &[("XA88DF322F52065", "0")],
                json!([{"method": "cash", "amount": "7.30"}]),
            ),
            2,
            "lines[0].qty",
        ),
        (
            body(
                &[("XA88DF322F52065", "1")],
                json!([{"method": "card", "amount": "7.30"}]),
            ),
            2,
            "payments[0].reference",
        ),
        (
            body(
                &[("XA88DF322F52065", "1")],
                json!([{"method": "cash", "amount": "7.30", "tendered": "5"}]),
            ),
            2,
            "payments[0].tendered",
        ),
        (
            body(
                &[("XA88DF322F52065", "1")],
                json!([{"method": "cheque", "amount": "7.30"}]),
            ),
            2,
            "payments[0].method",
        ),
        (
            {
                let mut b = simple();
                b["payer"] = json!({"type": "insured_full_pay"});
                b
            },
            2,
            "payer.insurance_no",
        ),
        (
            {
                let mut b = simple();
                b["patient"]["name"] = json!(" ");
                b
            },
            2,
            "patient.name",
        ),
        (
            {
                let mut b = simple();
                b["lines"] = json!([]);
                b
            },
            2,
            "lines",
        ),
        (
            {
                let mut b = simple();
                b["colour"] = json!("red");
                b
            },
            2,
            "colour",
        ),
    ];
    for (b, want, needle) in cases {
        let (code, _, err) = env.issue("cash1", &b);
        assert_eq!(code, want, "{needle}: {err}");
        assert!(err.contains(needle), "{needle} not in: {err}");
    }
    // no snapshot in force (the only list is 2026-01)
    let (code, _, err) = env.issue_at("cash1", "2025-12-30T09:00:00+08:00", &simple());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no price list is in force on 2025-12-30"),
        "{err}"
    );
    // missing role
    let (code, _, err) = env.issue("pharm", &simple());
    assert_eq!(code, 3, "{err}");
    // nothing was consumed by any of the above
    let (code, v, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["number"], "MZ01-00000001");
}

#[test]
fn totals_and_words_on_real_rows() {
    let env = ready();
    let b = json!({
        "kind": "outpatient",
        "patient": {"name": "张三", "sex": "男", "age": 35, "outpatient_no": "MZ2026112200017",
                    "id_no": "330102199001011234"},
        "payer": {"type": "insured_full_pay", "insurance_no": "3301000000123456"},
        "department": "内科", "doctor": "李明",
        "lines": [{"code": "XN72DG587P95754", "qty": "2"}, {"code": "430161610-d", "qty": 1},
                  {"code": "T65124405", "qty": "12.5"}],
        "payments": [{"method": "cash", "amount": "400.00", "tendered": "500.00"},
                     {"method": "card", "amount": "109.88", "reference": "POS123"}]
    });
    let (code, v, err) = env.issue("cash1", &b);
    assert_eq!(code, 0, "{err}");
    // 68.3868 × 2 = 136.7736 → 136.77; 340.15; 2.6365 × 12.5 = 32.95625 → 32.96
    assert_eq!(v["total"], "509.88");
    assert_eq!(v["total_in_words"], "伍佰零玖元捌角捌分");
    assert_eq!(v["change"], "100.00");
    let amounts: Vec<&str> = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["136.77", "340.15", "32.96"]);
    let l = &v["lines"][2];
    assert_eq!(l["name"], "百合(饮片)");
    assert_eq!(l["unit_price"], "2.6365");
    assert_eq!(l["qty"], "12.5");
    assert_eq!(l["category"], "中草药");
    assert_eq!(l["unit"], "g");
    assert_eq!(l["spec"], "切制/安徽");
    assert_eq!(v["payer"]["resettle"], true);
    assert_eq!(v["status"], "issued");
    assert_eq!(v["kind"], "outpatient");
    assert_eq!(v["terminal"], "MZ01");
    assert_eq!(v["issued_at"], NOW);
    assert_eq!(v["snapshot_month"], "2026-01");
    assert_eq!(v["cashier"], "cash1");
    assert_eq!(v["deadline"], "2026-12-11");
    let qr = v["qr_payload"].as_str().unwrap();
    assert!(
        qr.starts_with("DB2:MZ01-00000001:MZ01:20261122101503+0800:OP:IN:0:"),
        "{qr}"
    );
    assert!(qr.contains("430161610-%64*1"), "{qr}");
    let key = downtime_billing::keys::wrap::unlock_dir(&env.data_dir(), "admin", PIN).unwrap();
    let p = downtime_billing::receipts::qr::parse_and_verify(qr, &key).unwrap();
    assert_eq!(p.items[1].0, "430161610-d");
    // what show returns is what issue returned
    let shown = env.show("MZ01-00000001");
    assert_eq!(shown["total"], "509.88");
    assert_eq!(shown["qr_payload"], v["qr_payload"]);
}

#[test]
fn registration_gets_a_temporary_patient_number() {
    let env = ready();
    let reg = |outpatient: Option<&str>| {
        let mut b = body(
            &[("110275556-d", "1")],
            json!([{"method": "mobile", "amount": "91.98", "reference": "WX1"}]),
        );
        b["kind"] = json!("registration");
        match outpatient {
            Some(o) => b["patient"]["outpatient_no"] = json!(o),
            None => {
                b["patient"]
                    .as_object_mut()
                    .unwrap()
                    .remove("outpatient_no");
            }
        }
        b
    };
    let (_, a, err) = env.issue("cash1", &reg(None));
    assert_eq!(a["temp_patient_no"], "LS-MZ01-000001", "{err}");
    let (_, b, _) = env.issue("cash1", &reg(Some("MZ1")));
    assert!(b["temp_patient_no"].is_null());
    let (_, c, _) = env.issue("cash1", &reg(None));
    assert_eq!(c["temp_patient_no"], "LS-MZ01-000002");
    assert_eq!(c["total_in_words"], "玖拾壹元玖角捌分");
}

#[test]
fn deposit_has_an_amount_and_no_lines() {
    let env = ready();
    let b = json!({
        "kind": "deposit",
        "patient": {"name": "李四", "inpatient_no": "ZY001"},
        "amount": "3000",
        "payments": [{"method": "card", "amount": "3000.00", "reference": "POS9"}]
    });
    let (code, v, err) = env.issue("cash1", &b);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["total"], "3000.00");
    assert_eq!(v["total_in_words"], "叁仟元整");
    assert_eq!(v["lines"].as_array().unwrap().len(), 0);
    let mut bad = b.clone();
    bad["lines"] = json!([{"code": "XA88DF322F52065", "qty": "1"}]);
    assert_eq!(env.issue("cash1", &bad).0, 2);
    let mut bad = b.clone();
    bad.as_object_mut().unwrap().remove("amount");
    let (code, _, err) = env.issue("cash1", &bad);
    assert_eq!(code, 2);
    assert!(err.contains("amount"));
}

#[test]
fn drill_receipts_are_marked() {
    let env = setup();
    env.ok(
        "admin",
        &[
            "range",
            "add",
            "--terminal",
            "MZ01",
            "--from",
            "1",
            "--to",
            "10",
        ],
    );
    env.ok(
        "admin",
        &[
            "episode", "open", "--level", "IV", "--reason", "演练", "--drill",
        ],
    );
    let pdf = env.root().join("d.pdf");
    let p = env.write("b.json", &simple().to_string());
    let out = env.ok(
        "cash1",
        &[
            "receipt",
            "issue",
            "--json",
            p.to_str().unwrap(),
            "--pdf",
            pdf.to_str().unwrap(),
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["drill"], true);
    assert_eq!(v["pdf"], pdf.to_str().unwrap());
    let eps: serde_json::Value =
        serde_json::from_str(&env.ok("admin", &["episode", "list", "--json"])).unwrap();
    assert_eq!(eps[0]["drill"], true);
    assert!(std::fs::metadata(&pdf).unwrap().len() > 1000);
    if has_tool("pdftotext") {
        let t = std::process::Command::new("pdftotext")
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        let t = String::from_utf8_lossy(&t.stdout);
        assert!(t.contains("演练"), "{t}");
    }
    // closing the episode stops issuing
    env.ok("admin", &["episode", "close"]);
    assert_eq!(env.issue("cash1", &simple()).0, 5);
}

#[test]
fn deadline_across_spring_festival_and_unconfirmed_past_the_calendar() {
    // The episode opens before the first receipt: a receipt is never dated
    // before the start of its episode.
    let env = setup();
    let at = "2026-02-10T08:00:00+08:00";
    for args in [
        &["episode", "open", "--level", "II", "--reason", "HIS down"][..],
        &[
            "range",
            "add",
            "--terminal",
            "MZ01",
            "--from",
            "1",
            "--to",
            "100",
        ][..],
    ] {
        let (code, _, err) = env.run_at("admin", at, args);
        assert_eq!(code, 0, "{err}");
    }
    let dep = json!({
        "kind": "deposit", "patient": {"name": "王五"}, "amount": "100",
        "payments": [{"method": "cash", "amount": "100"}]
    });
    // Tue 2026-02-10: Feb 11–13, Sat Feb 14 (make-up day), the holiday
    // Feb 15–23, Feb 24–27, Sat Feb 28 (make-up day), Mar 2–6, Mar 9 = 15th.
    let (code, v, err) = env.issue_at("cash1", "2026-02-10T09:00:00+08:00", &dep);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["deadline"], "2026-03-09");
    // late December counts into 2027, whose schedule is not held
    let (code, v, _) = env.issue_at("cash1", "2026-12-20T09:00:00+08:00", &dep);
    assert_eq!(code, 0);
    assert!(v["deadline"].is_null());
    assert!(v["deadline_note"].as_str().unwrap().contains("待确认"));
}

#[test]
fn the_cli_md_body_on_the_sample_list() {
    let env = setup();
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/price_lists/sample_2026-11.csv"
    );
    env.ok("admin", &["prices", "import", sample, "--month", "2026-11"]);
    env.ok(
        "admin",
        &["episode", "open", "--level", "II", "--reason", "HIS down"],
    );
    env.ok(
        "admin",
        &[
            "range",
            "add",
            "--terminal",
            "MZ01",
            "--from",
            "1",
            "--to",
            "100",
        ],
    );
    // The body of cli.md, paid to the amount the sample list gives:
    // 阿莫西林胶囊 6.80 × 2 + 血细胞分析 20.00 = 33.60.
    let b = json!({
      "kind": "outpatient",
      "patient": {"name": "张三", "sex": "男", "age": 35, "outpatient_no": "MZ2026112200017"},
      "payer": {"type": "insured_full_pay", "insurance_no": "3301000000123456"},
      "department": "内科", "doctor": "李明",
      "lines": [{"code": "XA01AB001A00001", "qty": "2"}, {"code": "250101015", "qty": "1"}],
      "payments": [{"method": "cash", "amount": "33.60", "tendered": "50.00"}]
    });
    let (code, v, err) = env.issue("cash1", &b);
    assert_eq!(code, 0, "{err}");
    for k in [
        "number",
        "terminal",
        "issued_at",
        "kind",
        "total",
        "total_in_words",
        "deadline",
        "lines",
        "payments",
        "change",
        "qr_payload",
        "status",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    for k in [
        "code",
        "name",
        "spec",
        "unit",
        "unit_price",
        "qty",
        "amount",
        "category",
    ] {
        assert!(v["lines"][0].get(k).is_some(), "missing lines[].{k}");
    }
    assert_eq!(v["total"], "33.60");
    assert_eq!(v["total_in_words"], "叁拾叁元陆角整");
    assert_eq!(v["change"], "16.40");
    assert_eq!(v["snapshot_month"], "2026-11");
    assert_eq!(v["lines"][0]["name"], "阿莫西林胶囊");
    // the example as written does not add up on this list: named, exit 2
    let mut wrong = b.clone();
    wrong["payments"] = json!([{"method": "cash", "amount": "45.00", "tendered": "50.00"}]);
    let (code, _, err) = env.issue("cash1", &wrong);
    assert_eq!(code, 2);
    assert!(err.contains("expected 33.60, got 45.00"), "{err}");
}

#[test]
fn an_amount_over_the_ceiling_is_refused_naming_the_field() {
    let env = ready();
    let deposit = serde_json::json!({
        "kind": "deposit",
        "patient": {"name": "王五"},
        "amount": "10000000.01",
        "payments": [{"method": "cash", "amount": "10000000.01"}],
    });
    let (code, _, err) = env.issue("admin", &deposit);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("amount:"), "{err}");
    assert!(err.contains("10000000"), "{err}");
    let tendered = body(
        &[("XA88DF322F52065", "1")],
        serde_json::json!([{"method": "cash", "amount": "7.30", "tendered": "99999999"}]),
    );
    let (code, _, err) = env.issue("admin", &tendered);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("payments[0].tendered"), "{err}");
    // Nothing was stored: the first receipt still takes number 1.
    let (code, v, err) = env.issue("admin", &simple());
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["number"], "MZ01-00000001");
}

#[test]
fn library_errors_name_no_flags_and_the_cli_adds_its_hint() {
    use downtime_billing::error::{Failure, Remedy};
    use downtime_billing::i18n::Lang;
    use downtime_billing::receipts::ReceiptError;
    let env = setup();
    let (code, _, err) = env.issue("admin", &simple());
    assert_eq!(code, 5, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no open outage episode"), "{err}");
    assert!(err.contains("`episode open"), "the CLI's hint: {err}");
    // The library's own words carry no command, only the remedy.
    let f = Failure::from(ReceiptError::NoNumbersLeft("MZ01".into()));
    assert_eq!(
        f.remedy,
        Some(Remedy::AddRange {
            terminal: "MZ01".into()
        })
    );
    for lang in [Lang::Zh, Lang::En] {
        let m = f.message(lang);
        assert!(!m.contains("--") && !m.contains("range add"), "{m}");
    }
    // The other capabilities' errors that used to name a flag or a command.
    use downtime_billing::auth::AuthError;
    use downtime_billing::prices::PriceError;
    use downtime_billing::store::StoreError;
    for (f, remedy) in [
        (
            Failure::from(StoreError::NotSetUp("/x/db".into())),
            Remedy::SetUp,
        ),
        (
            Failure::from(StoreError::Corrupt {
                path: "/x/db".into(),
                detail: "page 3".into(),
            }),
            Remedy::RestoreBackup,
        ),
        (
            Failure::from(AuthError::UnknownSetting("nope".into())),
            Remedy::KnownSettings,
        ),
        (
            Failure::from(PriceError::NoMonth { hint: None }),
            Remedy::GiveMonth,
        ),
    ] {
        assert_eq!(f.remedy, Some(remedy), "{f:?}");
        for lang in [Lang::Zh, Lang::En] {
            let m = f.message(lang);
            assert!(!m.contains("--") && !m.contains('`'), "{m}");
        }
    }
    let (code, _, err) = env.run("admin", &["settings", "set", "nope", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("`settings list`"), "the CLI's hint: {err}");
}
