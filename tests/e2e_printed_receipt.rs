//! The printed receipt of an issued receipt, end to end through the binary:
//! `receipt issue --pdf` (and `receipt refund --pdf` for a credit note)
//! writes a PDF whose text (read back with `pdftotext`) carries the number,
//! the total, the amount in words (大写), the exchange deadline and the
//! personal identifiers masked to their last four characters, and whose QR
//! code (rendered with `pdftoppm`, decoded with `zbarimg`) is exactly the
//! receipt's `qr_payload` and verifies under the hospital key — and under
//! no other key. The print kit's own tests use a hand-built document; these
//! use what a cashier's command really printed.

mod receipts_support;

use receipts_support::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Identifiers written on the receipt body, and their masked forms.
const ID_NO: &str = "330102199001011234";
const PHONE: &str = "13812345678";
const INSURANCE_NO: &str = "3301000000123456";

fn tools() -> bool {
    // has_tool panics in CI when a tool is missing: no silent skip there.
    has_tool("pdftotext") & has_tool("pdftoppm") & has_tool("zbarimg")
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The PDF's text with every whitespace removed (pdftotext breaks CJK runs
/// and table cells at will).
fn text_of(pdf: &Path) -> String {
    run("pdftotext", &[pdf.to_str().unwrap(), "-"])
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Every QR code zbarimg finds on the PDF's first page, rendered at 300 dpi.
fn qr_of(pdf: &Path) -> Vec<String> {
    let prefix = pdf.with_extension("page");
    run(
        "pdftoppm",
        &[
            "-r",
            "300",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let png = format!("{}.png", prefix.display());
    let out = Command::new("zbarimg")
        .args(["--raw", "-q", &png])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Issues `body` as cash1 with `--pdf`; returns the printed JSON and the PDF.
fn issue_pdf(env: &Env, name: &str, body: &Value) -> (Value, PathBuf) {
    let p = env.write(&format!("{name}.json"), &body.to_string());
    let pdf = env.root().join(format!("{name}.pdf"));
    let (code, out, err) = env.run(
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
    assert_eq!(code, 0, "{err}");
    (serde_json::from_str(&out).unwrap(), pdf)
}

/// The QR on `pdf` is the receipt's payload, verifies under this hospital's
/// key and is refused under another key.
fn assert_qr_verifies(
    env: &Env,
    pdf: &Path,
    v: &Value,
) -> downtime_billing::receipts::qr::QrPayload {
    use downtime_billing::keys::SigningKey;
    use downtime_billing::receipts::qr;
    let codes = qr_of(pdf);
    assert_eq!(
        codes.len(),
        1,
        "one QR code on {}: {codes:?}",
        pdf.display()
    );
    assert_eq!(codes[0], v["qr_payload"].as_str().unwrap());
    let key = downtime_billing::keys::wrap::unlock_dir(&env.data_dir(), "admin", PIN).unwrap();
    let p = qr::parse_and_verify(&codes[0], &key).unwrap();
    assert_eq!(p.number, v["number"].as_str().unwrap());
    assert!(
        qr::parse_and_verify(&codes[0], &SigningKey::generate()).is_err(),
        "the printed code verifies under any key"
    );
    p
}

/// An outpatient receipt: number, total, 大写, deadline, masked ID, phone
/// and insurance number, and a QR that verifies.
///
/// Breaks it catches: the receipt's PDF printed with a placeholder or stale
/// QR payload (`doc::build` not using the stored `qr_payload`); a masking
/// policy that shows more than the last four characters (`mask_tail(_, 4)`
/// changed); the deadline or 大写 line dropped from the printed form.
#[test]
fn an_issued_receipt_prints_its_number_total_words_deadline_and_a_verifying_qr() {
    if !tools() {
        return;
    }
    let env = ready();
    let mut b = body(
        &[
            ("XN72DG587P95754", "2"),
            ("430161610-d", "1"),
            ("T65124405", "12.5"),
        ],
        json!([{"method": "cash", "amount": "509.88", "tendered": "510"}]),
    );
    b["patient"]["id_no"] = json!(ID_NO);
    b["patient"]["phone"] = json!(PHONE);
    b["payer"] = json!({"type": "insured_full_pay", "insurance_no": INSURANCE_NO});
    let (v, pdf) = issue_pdf(&env, "outpatient", &b);
    // the figures the test knows independently of the program
    assert_eq!(v["number"], "MZ01-00000001");
    assert_eq!(v["total"], "509.88");
    assert_eq!(v["total_in_words"], "伍佰零玖元捌角捌分");
    assert_eq!(v["deadline"], "2026-12-11");
    let t = text_of(&pdf);
    for needed in [
        "MZ01-00000001",
        "509.88",
        "人民币伍佰零玖元捌角捌分",
        "2026-12-11",
        "**************1234",
        "*******5678",
        "************3456",
    ] {
        assert!(t.contains(needed), "{needed} not printed: {t}");
    }
    for secret in [
        ID_NO,
        "1990010112",
        PHONE,
        "1381234",
        INSURANCE_NO,
        "33010000",
    ] {
        assert!(!t.contains(secret), "{secret} printed unmasked: {t}");
    }
    let p = assert_qr_verifies(&env, &pdf, &v);
    assert_eq!(p.total.to_string(), "509.88");
    assert_eq!(p.items.len(), 3);
    assert_eq!(p.items[1].0, "430161610-d");
}

/// A credit note printed by `receipt refund --pdf`: its own number, the
/// negative total and its words, the original's number, a QR of kind `CN`
/// that verifies.
///
/// Break it catches: the refund's PDF step printing the original receipt
/// (or no QR) instead of the credit note; a credit-note payload with a
/// positive total.
#[test]
fn a_credit_note_prints_its_negative_total_the_original_and_a_verifying_qr() {
    if !tools() {
        return;
    }
    let env = ready();
    let (orig, _) = issue_pdf(&env, "orig", &simple());
    let pdf = env.root().join("credit.pdf");
    let (code, out, err) = env.run(
        "cash1",
        &[
            "receipt",
            "refund",
            orig["number"].as_str().unwrap(),
            "--line",
            "1",
            "--reason",
            "退药",
            "--supervisor",
            "boss",
            "--pdf",
            pdf.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["number"], "MZ01-00000002");
    assert_eq!(v["kind"], "credit_note");
    assert_eq!(v["total"], "-7.30");
    let t = text_of(&pdf);
    for needed in ["MZ01-00000002", "-7.30", "原票据号：MZ01-00000001", "退药"] {
        assert!(t.contains(needed), "{needed} not printed: {t}");
    }
    assert!(
        t.contains(&v["total_in_words"].as_str().unwrap().replace(' ', "")),
        "{} not printed: {t}",
        v["total_in_words"]
    );
    let p = assert_qr_verifies(&env, &pdf, &v);
    assert_eq!(p.total.to_string(), "-7.30");
    assert!(v["qr_payload"].as_str().unwrap().contains(":CN:"), "{v}");
}

/// A deposit receipt: amount, 叁仟元整, deadline, masked phone, a
/// QR of kind `DP` with no items that verifies.
///
/// Break it catches: a deposit printed without its amount in words or its
/// QR; the deposit's payload signing items it does not have.
#[test]
fn a_deposit_receipt_prints_its_amount_words_and_a_verifying_qr() {
    if !tools() {
        return;
    }
    let env = ready();
    let b = json!({
        "kind": "deposit",
        "patient": {"name": "李四", "inpatient_no": "ZY001", "phone": PHONE},
        "amount": "3000",
        "payments": [{"method": "card", "amount": "3000.00", "reference": "POS9"}]
    });
    let (v, pdf) = issue_pdf(&env, "deposit", &b);
    assert_eq!(v["total"], "3000.00");
    assert_eq!(v["total_in_words"], "叁仟元整");
    let t = text_of(&pdf);
    for needed in [
        v["number"].as_str().unwrap(),
        "3000.00",
        "人民币叁仟元整",
        "*******5678",
    ] {
        assert!(t.contains(needed), "{needed} not printed: {t}");
    }
    assert!(!t.contains(PHONE), "phone printed unmasked: {t}");
    assert_eq!(v["deadline"], "2026-12-11");
    assert!(t.contains("2026-12-11"), "deadline not printed: {t}");
    let p = assert_qr_verifies(&env, &pdf, &v);
    assert!(p.items.is_empty());
    assert_eq!(p.total.to_string(), "3000.00");
    assert!(v["qr_payload"].as_str().unwrap().contains(":DP:"), "{v}");
}
