//! Issue 10, points 4–8: bounded money and quantities, numbers with a
//! comma, codes differing only by letter case, control characters and
//! lengths in text fields, a receipt too long for its QR code, and
//! `--repeat` with `--pdf` — each through the binary, each refused with
//! the field named and nothing stored.

mod receipts_support;

use receipts_support::*;
use serde_json::{Value, json};

/// How many receipts the terminal holds (a refused request stores none).
fn receipts(env: &Env) -> usize {
    let out = env.ok("admin", &["receipt", "list", "--json"]);
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .map_or(0, Vec::len)
}

fn refused(env: &Env, body: &Value, field: &str) {
    let before = receipts(env);
    let (code, v, err) = env.issue("admin", body);
    assert_eq!(code, 2, "{field}: {err}");
    assert!(v.is_null(), "{field}: printed a receipt");
    assert!(err.contains(field), "{field} not named: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert_eq!(receipts(env), before, "{field}: something was stored");
}

/// Breaks caught (point 4): any amount, tendered, quantity or deposit
/// parsed without its ceiling (20 nines stored as 92233720368547758.07; a
/// tendered 1e23 printing absurd change); a line amount over the ceiling
/// computed without checked arithmetic.
#[test]
fn every_amount_and_quantity_is_bounded() {
    let env = ready();
    let dep = |amount: &str, tendered: Option<&str>| {
        let mut p = json!({"method": "cash", "amount": amount});
        if let Some(t) = tendered {
            p["tendered"] = json!(t);
        }
        json!({"kind": "deposit", "patient": {"name": "王五"}, "amount": amount, "payments": [p]})
    };
    refused(&env, &dep("99999999999999999999", None), "amount");
    refused(&env, &dep("10000000.01", None), "amount");
    refused(&env, &dep("100", Some("1e23")), "payments[0].tendered");
    refused(
        &env,
        &dep("100", Some("10000000.01")),
        "payments[0].tendered",
    );
    refused(
        &env,
        &body(
            &[("XA88DF322F52065", "100001")],
            json!([{"method": "cash", "amount": "1"}]),
        ),
        "lines[0].qty",
    );
    // At the ceiling: issued.
    let (code, v, err) = env.issue("admin", &dep("10000000.00", Some("10000000.00")));
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["total"], "10000000.00");
    // A price list price over 1,000,000 is refused, naming row and column.
    let f = env.write(
        "big.csv",
        "code,name,unit,price,category\nB1,贵,盒,1000000.01,西药\n",
    );
    let (code, _, err) = env.run(
        "admin",
        &[
            "prices",
            "import",
            f.to_str().unwrap(),
            "--month",
            "2026-05",
        ],
    );
    assert_eq!(code, 2, "{err}");
}

/// Breaks caught (point 5): a comma dropped from a number (`"1,5"`
/// imported as 15, a quantity `"1,0"` read as 10); codes `Q1` and `q1`
/// accepted as two items of one list.
#[test]
fn a_comma_in_a_number_and_codes_differing_by_case_are_refused() {
    let env = ready();
    let list = env.write(
        "comma.csv",
        "code,name,unit,price,category\nC1,甲,盒,\"1,5\",西药\nC2,乙,盒,2.00,西药\n",
    );
    let (code, out, err) = env.run(
        "admin",
        &[
            "prices",
            "import",
            list.to_str().unwrap(),
            "--month",
            "2026-05",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("comma.csv:2:price") && all.contains("comma"),
        "{all}"
    );

    let list = env.write(
        "case.csv",
        "code,name,unit,price,category\nQ1,甲,盒,1.00,西药\nq1,乙,盒,2.00,西药\n",
    );
    let (code, out, err) = env.run(
        "admin",
        &[
            "prices",
            "import",
            list.to_str().unwrap(),
            "--month",
            "2026-05",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("case.csv:3:code") && all.contains("letter case"),
        "{all}"
    );

    // A thousands separator before a decimal point is the one reading.
    let list = env.write(
        "grouped.csv",
        "code,name,unit,price,category\nG1,甲,盒,\"1,234.50\",西药\n",
    );
    let (code, out, err) = env.run(
        "admin",
        &[
            "prices",
            "import",
            list.to_str().unwrap(),
            "--month",
            "2026-05",
            "--dry-run",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");

    refused(
        &env,
        &body(
            &[("XA88DF322F52065", "1,0")],
            json!([{"method": "cash", "amount": "7.30"}]),
        ),
        "lines[0].qty",
    );
    refused(
        &env,
        &body(
            &[("XA88DF322F52065", "1")],
            json!([{"method": "cash", "amount": "7,30"}]),
        ),
        "payments[0].amount",
    );
}

/// Breaks caught (point 6): control characters (ESC, CR/LF, NUL, U+202E)
/// accepted in a patient, department or reason; no length limit; any age
/// or ID number accepted; `receipt list` printing a stored escape sequence
/// raw.
#[test]
fn control_characters_lengths_age_and_id_are_checked() {
    let env = ready();
    let with = |path: &[&str], v: Value| {
        let mut b = simple();
        let mut slot = &mut b;
        for p in path {
            slot = &mut slot[*p];
        }
        *slot = v;
        b
    };
    for (path, value, field) in [
        (
            &["patient", "name"][..],
            json!("张\u{1b}[2J三"),
            "patient.name",
        ),
        (
            &["patient", "name"][..],
            json!("张\u{202E}三"),
            "patient.name",
        ),
        (
            &["patient", "name"][..],
            json!("张三\r\n伪造"),
            "patient.name",
        ),
        (&["patient", "name"][..], json!("张\u{0}"), "patient.name"),
        (
            &["patient", "name"][..],
            json!("长".repeat(51)),
            "patient.name",
        ),
        (&["department"][..], json!("内科\n"), "department"),
        (&["doctor"][..], json!("李\u{1b}明"), "doctor"),
        (&["patient", "age"][..], json!(-5), "patient.age"),
        (&["patient", "age"][..], json!("200"), "patient.age"),
        (&["patient", "id_no"][..], json!("123"), "patient.id_no"),
        (
            &["patient", "id_no"][..],
            json!("330102199001011235"),
            "patient.id_no",
        ),
        (
            &["patient", "phone"][..],
            json!("138\u{1b}0000"),
            "patient.phone",
        ),
    ] {
        refused(&env, &with(path, value), field);
    }
    // A valid resident ID and a 50-character name are fine.
    let (code, _, err) = env.issue(
        "admin",
        &with(&["patient", "id_no"], json!("330102199001011234")),
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = env.issue("admin", &with(&["patient", "name"], json!("长".repeat(50))));
    assert_eq!(code, 0, "{err}");

    // Reasons: a void's and an episode's.
    let (code, _, err) = env.run(
        "admin",
        &[
            "receipt",
            "void",
            "MZ01-00000001",
            "--reason",
            "错\u{1b}[31m",
            "--supervisor",
            "boss",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("reason"), "{err}");
    // A price list name with an ESC.
    let list = env.write(
        "esc.csv",
        "code,name,unit,price,category\nE1,甲\u{1b}[2J,盒,1.00,西药\n",
    );
    let (code, out, err) = env.run(
        "admin",
        &[
            "prices",
            "import",
            list.to_str().unwrap(),
            "--month",
            "2026-05",
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        format!("{out}{err}").contains("esc.csv:2:name"),
        "{out}{err}"
    );
    assert!(!format!("{out}{err}").contains('\u{1b}'));

    // A name stored before these rules (written behind the program's back)
    // is printed inert by `receipt list` and `receipt show`.
    {
        let conn = rusqlite::Connection::open(env.data_dir().db_path()).unwrap();
        conn.execute_batch(
            "DROP TRIGGER receipts_no_update;
             UPDATE receipts SET patient_name = 'X' || char(27) || '[2J' || char(10) || 'Y',
                    patient_json = json_set(patient_json, '$.name', 'X' || char(27) || '[2J')
              WHERE seq = 1;",
        )
        .unwrap();
    }
    let (_, out, _) = env.run("admin", &["receipt", "list"]);
    assert!(!out.contains('\u{1b}'), "{out:?}");
    assert_eq!(out.lines().count(), 2, "{out:?}");
    let (_, out, _) = env.run("admin", &["receipt", "show", "MZ01-00000001"]);
    assert!(!out.contains('\u{1b}'), "{out:?}");
}

/// Break caught (point 6): a hospital name with an escape sequence or a
/// bidi override accepted at setup (it is printed on every receipt).
#[test]
fn the_hospital_name_is_plain_text() {
    for bad in ["测试\u{1b}[2J医院", "医院\u{202E}", "医院\n第二行"] {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(bin())
            .env_clear()
            .env("DOWNTIME_BILLING_DATA_DIR", dir.path().join("d"))
            .env("DOWNTIME_BILLING_PIN", PIN)
            .env("DOWNTIME_BILLING_LANG", "en")
            .args([
                "setup",
                "--terminal",
                "MZ01",
                "--admin",
                "admin",
                "--hospital",
                bad,
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {err}");
        assert!(err.contains("hospital name"), "{err}");
        assert!(
            !dir.path()
                .join("d")
                .join("downtime-billing.sqlite3")
                .exists()
        );
    }
}

/// Break caught (point 7): a receipt whose QR code cannot hold its lines
/// committed (and then unprintable) instead of refused before anything is
/// written, using no number.
#[test]
fn a_receipt_too_long_for_its_qr_code_is_refused_before_it_is_committed() {
    let env = ready();
    let lines: Vec<(&str, &str)> = (0..220).map(|_| ("XA88DF322F52065", "1")).collect();
    let total = format!("{:.2}", 220.0 * 7.3);
    refused(
        &env,
        &body(&lines, json!([{"method": "cash", "amount": total}])),
        "lines",
    );
    // A long receipt that fits is issued and printed, and takes number 1.
    let lines: Vec<(&str, &str)> = (0..60).map(|_| ("XA88DF322F52065", "1")).collect();
    let b = env.write(
        "long.json",
        &body(&lines, json!([{"method": "cash", "amount": "438.00"}])).to_string(),
    );
    let pdf = env.root().join("long.pdf");
    let (code, out, err) = env.run(
        "admin",
        &[
            "receipt",
            "issue",
            "--json",
            b.to_str().unwrap(),
            "--pdf",
            pdf.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["number"], "MZ01-00000001");
    assert!(pdf.is_file());
}

/// Break caught (point 8): `--repeat` with `--pdf` silently issuing N
/// receipts and writing no PDF.
#[test]
fn repeat_with_pdf_is_refused() {
    let env = ready();
    let b = env.write("b.json", &simple().to_string());
    let pdf = env.root().join("r.pdf");
    let (code, out, err) = env.run(
        "admin",
        &[
            "receipt",
            "issue",
            "--json",
            b.to_str().unwrap(),
            "--repeat",
            "3",
            "--pdf",
            pdf.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("--pdf") && err.contains("--repeat"), "{err}");
    assert_eq!(receipts(&env), 0);
}
