//! FHIR R4: a transaction Bundle per batch with a Patient per patient, a
//! ChargeItem per receipt line and an Invoice per receipt. Money is value +
//! `CNY`, written as exact decimals (never through a float). Every entry is
//! a conditional create (`ifNoneExist` on its business identifier), so a
//! re-post creates nothing new; the transaction-response says per entry
//! whether it was created (201) or found (200). Identifier systems are the
//! `SYS_*` URIs below (documented in the README).

use super::HisError;
use super::postings::{Answer, Outcome};
use super::select::PostReceipt;
use crate::money::Money;
use crate::receipts::query::Kind;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

/// Invoice.identifier: the receipt number.
pub const SYS_RECEIPT: &str = "urn:downtime-billing:receipt-number";
/// ChargeItem.identifier: `{receipt number}/{line}`.
pub const SYS_LINE: &str = "urn:downtime-billing:receipt-line";
/// ChargeItem.code: the price-list item code.
pub const SYS_ITEM: &str = "urn:downtime-billing:price-item";
/// Invoice.type: outpatient, registration, deposit, credit_note.
pub const SYS_KIND: &str = "urn:downtime-billing:receipt-kind";
/// Patient.identifier systems, by which number the receipt carries.
pub const SYS_OUTPATIENT: &str = "urn:downtime-billing:outpatient-no";
pub const SYS_INPATIENT: &str = "urn:downtime-billing:inpatient-no";
pub const SYS_TEMP: &str = "urn:downtime-billing:temp-patient-no";
/// A patient with no number at all: known by the receipt that names them.
pub const SYS_RECEIPT_PATIENT: &str = "urn:downtime-billing:receipt-patient";

/// A JSON number written exactly as given (serde_json without
/// arbitrary precision would go through f64). The marker cannot occur in
/// stored text: control characters are refused at issue.
fn num(text: &str) -> Value {
    Value::String(format!("\u{0}NUM:{text}\u{0}"))
}

/// Replaces the [`num`] markers in serialised JSON by bare numbers.
fn unmark(s: &str) -> String {
    const OPEN: &str = "\"\\u0000NUM:";
    const CLOSE: &str = "\\u0000\"";
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(OPEN) {
        out.push_str(&rest[..i]);
        let after = &rest[i + OPEN.len()..];
        match after.find(CLOSE) {
            Some(j) => {
                out.push_str(&after[..j]);
                rest = &after[j + CLOSE.len()..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn money(m: Money) -> Value {
    json!({"value": num(&m.to_string()), "currency": "CNY"})
}

/// A stable `urn:uuid:` for a business identifier, so the same receipt
/// gives the same Bundle every time.
fn uuid_for(system: &str, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(system.as_bytes());
    h.update(b"|");
    h.update(value.as_bytes());
    let d = hex::encode(&h.finalize()[..16]);
    format!(
        "urn:uuid:{}-{}-5{}-a{}-{}",
        &d[0..8],
        &d[8..12],
        &d[13..16],
        &d[17..20],
        &d[20..32]
    )
}

/// `ifNoneExist` for an identifier.
fn if_none_exist(system: &str, value: &str) -> String {
    format!("identifier={system}|{value}")
}

fn gender(sex: Option<&str>) -> &'static str {
    match sex.map(str::trim) {
        Some("男" | "M" | "m" | "male") => "male",
        Some("女" | "F" | "f" | "female") => "female",
        _ => "unknown",
    }
}

/// The patient identifier (system, value) of a receipt.
pub fn patient_identifier(r: &PostReceipt) -> (&'static str, String) {
    match r.patient_id() {
        Some(("inpatient_no", n)) => (SYS_INPATIENT, n.to_string()),
        Some(("outpatient_no", n)) => (SYS_OUTPATIENT, n.to_string()),
        Some((_, n)) => (SYS_TEMP, n.to_string()),
        None => (
            SYS_RECEIPT_PATIENT,
            r.original_number
                .clone()
                .unwrap_or_else(|| r.number.clone()),
        ),
    }
}

/// Which resource an entry is, for reading the response back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryOf {
    Patient,
    ChargeItem(u32),
    Invoice,
}

/// One Bundle entry with the receipt it belongs to.
#[derive(Debug, Clone)]
pub struct Entry {
    pub receipt: String,
    pub of: EntryOf,
    pub json: Value,
}

/// The entries of one receipt; its Patient only if `seen` did not have it.
pub fn entries(r: &PostReceipt, seen: &mut HashSet<(String, String)>) -> Vec<Entry> {
    let mut out = Vec::with_capacity(r.lines.len() + 2);
    let (psys, pval) = patient_identifier(r);
    let patient_url = uuid_for(psys, &pval);
    if seen.insert((psys.to_string(), pval.clone())) {
        out.push(Entry {
            receipt: r.number.clone(),
            of: EntryOf::Patient,
            json: json!({
                "fullUrl": patient_url,
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": psys, "value": pval}],
                    "name": [{"text": r.patient_name}],
                    "gender": gender(r.sex.as_deref()),
                },
                "request": {"method": "POST", "url": "Patient", "ifNoneExist": if_none_exist(psys, &pval)},
            }),
        });
    }
    let reversal = r.original_number.as_deref().filter(|_| r.is_reversal());
    let mut line_items = Vec::new();
    for l in &r.lines {
        let id = format!("{}/{}", r.number, l.line);
        let url = uuid_for(SYS_LINE, &id);
        let mut note = vec![l.category.clone(), l.spec.clone(), l.unit.clone()];
        note.retain(|s| !s.trim().is_empty());
        let mut notes = vec![json!({"text": note.join(" · ")})];
        if let (Some(orig), Some(line)) = (reversal, l.refers_line) {
            notes.push(json!({"text": format!("冲红 reversal of {orig}/{line}")}));
        }
        let mut res = json!({
            "resourceType": "ChargeItem",
            "identifier": [{"system": SYS_LINE, "value": id}],
            "status": "billable",
            "code": {
                "coding": [{"system": SYS_ITEM, "code": l.code, "display": l.name}],
                "text": l.name,
            },
            "subject": {"reference": patient_url},
            "occurrenceDateTime": r.issued_at,
            "enteredDate": r.issued_at,
            "quantity": {"value": num(&l.qty)},
            "priceOverride": money(l.amount),
            "overrideReason": "manual receipt during HIS outage",
            "note": notes,
        });
        if !r.department.is_empty()
            && let Some(o) = res.as_object_mut()
        {
            o.insert(
                "requestingOrganization".into(),
                json!({"display": r.department}),
            );
        }
        out.push(Entry {
            receipt: r.number.clone(),
            of: EntryOf::ChargeItem(l.line),
            json: json!({
                "fullUrl": url,
                "resource": res,
                "request": {"method": "POST", "url": "ChargeItem", "ifNoneExist": if_none_exist(SYS_LINE, &id)},
            }),
        });
        line_items.push(json!({
            "sequence": l.line,
            "chargeItemReference": {"reference": url},
            "priceComponent": [{"type": "base", "amount": money(l.amount)}],
        }));
    }
    let payments = r
        .payments
        .iter()
        .map(|(m, a)| format!("{m}:{a}"))
        .collect::<Vec<_>>()
        .join(";");
    let mut inv = json!({
        "resourceType": "Invoice",
        "identifier": [{"system": SYS_RECEIPT, "value": r.number}],
        "status": "issued",
        "type": {"coding": [{"system": SYS_KIND, "code": r.kind.as_str()}], "text": r.kind.title()},
        "subject": {"reference": patient_url},
        "date": r.issued_at,
        "participant": [{"role": {"text": "cashier"}, "actor": {"display": r.cashier}}],
        "totalNet": money(r.total),
        "totalGross": money(r.total),
    });
    if let Some(o) = inv.as_object_mut() {
        if !line_items.is_empty() {
            o.insert("lineItem".into(), Value::Array(line_items));
        }
        if !payments.is_empty() {
            o.insert("paymentTerms".into(), Value::String(payments));
        }
        let mut notes = vec![json!({"text": format!("payer: {}", r.payer_type)})];
        if let Some(orig) = reversal {
            notes.push(json!({"text": format!("冲红 reversal of {orig}")}));
        }
        if r.kind == Kind::Deposit {
            notes.push(json!({"text": "住院预交金 deposit"}));
        }
        o.insert("note".into(), Value::Array(notes));
    }
    out.push(Entry {
        receipt: r.number.clone(),
        of: EntryOf::Invoice,
        json: json!({
            "fullUrl": uuid_for(SYS_RECEIPT, &r.number),
            "resource": inv,
            "request": {"method": "POST", "url": "Invoice", "ifNoneExist": if_none_exist(SYS_RECEIPT, &r.number)},
        }),
    });
    out
}

/// Writes one transaction Bundle holding `receipts`, entry by entry (a
/// 100k-receipt batch never sits in memory as one JSON tree).
pub fn write_bundle<W: Write>(out: W, receipts: &[PostReceipt]) -> std::io::Result<Vec<Entry>> {
    let mut out = out;
    let mut seen = HashSet::new();
    let mut index = Vec::new();
    out.write_all(b"{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[")?;
    let mut first = true;
    for r in receipts {
        for mut e in entries(r, &mut seen) {
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            out.write_all(b"\n")?;
            out.write_all(unmark(&e.json.to_string()).as_bytes())?;
            e.json = Value::Null;
            index.push(e);
        }
    }
    out.write_all(b"\n]}\n")?;
    out.flush()?;
    Ok(index)
}

/// The OperationOutcome's texts (diagnostics, details.text).
fn outcome_text(v: &Value) -> String {
    let mut texts = Vec::new();
    if let Some(issues) = v.get("issue").and_then(Value::as_array) {
        for i in issues {
            for t in [
                i.get("diagnostics").and_then(Value::as_str),
                i.pointer("/details/text").and_then(Value::as_str),
            ]
            .into_iter()
            .flatten()
            {
                texts.push(t.to_string());
            }
        }
    }
    texts.join("; ")
}

/// The status code at the start of `response.status` ("201 Created").
fn status_code(s: &str) -> u16 {
    s.split_whitespace()
        .next()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Reads a transaction-response against the entries sent, one answer per
/// receipt: accepted when every entry of it is 2xx. `detail` says how many
/// were created and how many already existed.
pub fn read_response(body: &Value, sent: &[Entry]) -> Vec<Answer> {
    let empty = Vec::new();
    let got = body
        .get("entry")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let mut out: Vec<Answer> = Vec::new();
    for (i, e) in sent.iter().enumerate() {
        let resp = got.get(i).and_then(|g| g.get("response"));
        let status = resp
            .and_then(|r| r.get("status"))
            .and_then(Value::as_str)
            .map(status_code)
            .unwrap_or(0);
        let text = resp
            .and_then(|r| r.get("outcome"))
            .map(outcome_text)
            .unwrap_or_default();
        let location = resp
            .and_then(|r| r.get("location"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let what = match &e.of {
            EntryOf::Patient => "Patient".to_string(),
            EntryOf::ChargeItem(l) => format!("ChargeItem {l}"),
            EntryOf::Invoice => "Invoice".to_string(),
        };
        if out.last().is_none_or(|a| a.receipt != e.receipt) {
            out.push(Answer {
                receipt: e.receipt.clone(),
                message_id: e.receipt.clone(),
                outcome: Outcome::Accepted,
                code: String::new(),
                detail: String::new(),
            });
        }
        let Some(a) = out.last_mut() else { continue };
        if !(200..300).contains(&status) {
            a.outcome = if status == 0 {
                Outcome::Error
            } else {
                Outcome::Refused
            };
            let msg = if status == 0 {
                format!("{what}: no answer in the transaction-response")
            } else {
                format!("{what} {status}: {text}")
            };
            a.detail = if a.detail.is_empty() {
                msg
            } else {
                format!("{}; {msg}", a.detail)
            };
        }
        if e.of == EntryOf::Invoice {
            a.code = status.to_string();
            if a.outcome == Outcome::Accepted {
                a.detail = match status {
                    201 => format!("created {location}"),
                    _ => format!("already there {location}"),
                };
            }
        }
    }
    out
}

/// How a FHIR send is made.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub timeout: Duration,
    /// Receipts per transaction Bundle.
    pub chunk: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(60),
            chunk: 200,
        }
    }
}

/// Checks a base URL (http:// or https://), without a trailing slash.
pub fn base_url(raw: &str) -> Result<String, HisError> {
    let t = raw.trim().trim_end_matches('/');
    let rest = t
        .strip_prefix("http://")
        .or_else(|| t.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.chars().any(char::is_whitespace) => {
            Ok(t.to_string())
        }
        _ => Err(HisError::BadUrl(raw.to_string())),
    }
}

/// Posts `receipts` as transaction Bundles of `opts.chunk` receipts to
/// `base`, calling `on_answer` per receipt. Fails only when the server
/// cannot be reached for the first Bundle.
pub fn send(
    base: &str,
    receipts: &[PostReceipt],
    opts: &Options,
    on_answer: &mut dyn FnMut(Answer),
) -> Result<(), HisError> {
    let base = base_url(base)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(opts.timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let mut seen = HashSet::new();
    for (n, chunk) in receipts.chunks(opts.chunk.max(1)).enumerate() {
        let mut body = Vec::new();
        // Each Bundle stands alone: it carries its own Patients.
        seen.clear();
        let mut sent = Vec::new();
        body.extend_from_slice(
            b"{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[",
        );
        for r in chunk {
            for mut e in entries(r, &mut seen) {
                if !sent.is_empty() {
                    body.push(b',');
                }
                body.extend_from_slice(unmark(&e.json.to_string()).as_bytes());
                e.json = Value::Null;
                sent.push(e);
            }
        }
        body.extend_from_slice(b"]}");
        let all = |outcome, code: &str, detail: &str, on_answer: &mut dyn FnMut(Answer)| {
            for r in chunk {
                on_answer(Answer {
                    receipt: r.number.clone(),
                    message_id: r.number.clone(),
                    outcome,
                    code: code.to_string(),
                    detail: detail.to_string(),
                });
            }
        };
        let resp = agent
            .post(&base)
            .header("Content-Type", "application/fhir+json; charset=utf-8")
            .header("Accept", "application/fhir+json")
            .send(&body[..]);
        let mut resp = match resp {
            Ok(r) => r,
            Err(e) if n == 0 => {
                return Err(HisError::Unreachable {
                    target: base,
                    detail: e.to_string(),
                });
            }
            Err(e) => {
                all(Outcome::Error, "io", &e.to_string(), on_answer);
                continue;
            }
        };
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_string()
            .unwrap_or_default();
        let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            let why = match outcome_text(&parsed) {
                t if t.is_empty() => text.chars().take(300).collect(),
                t => t,
            };
            all(Outcome::Refused, &status.to_string(), &why, on_answer);
            continue;
        }
        if parsed.get("type").and_then(Value::as_str) != Some("transaction-response") {
            all(
                Outcome::Error,
                &status.to_string(),
                "the answer is not a transaction-response Bundle",
                on_answer,
            );
            continue;
        }
        for a in read_response(&parsed, &sent) {
            on_answer(a);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_exactly() {
        let v = json!({"a": num("13.60"), "b": num("-2"), "c": "x"});
        assert_eq!(unmark(&v.to_string()), r#"{"a":13.60,"b":-2,"c":"x"}"#);
    }

    #[test]
    fn uuids_are_stable_and_well_formed() {
        let a = uuid_for(SYS_RECEIPT, "MZ01-00000001");
        assert_eq!(a, uuid_for(SYS_RECEIPT, "MZ01-00000001"));
        assert_ne!(a, uuid_for(SYS_RECEIPT, "MZ01-00000002"));
        let u = a.strip_prefix("urn:uuid:").unwrap();
        let parts: Vec<usize> = u.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            base_url("http://127.0.0.1:8080/fhir/").unwrap(),
            "http://127.0.0.1:8080/fhir"
        );
        assert!(base_url("ftp://x").is_err());
        assert!(base_url("http://").is_err());
    }
}
