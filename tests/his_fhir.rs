//! `his send-fhir` against the in-memory FHIR test server
//! (tests/python/fhir_server.py: R4 validation with fhir.resources,
//! ifNoneExist, all-or-nothing transactions): the bundle is accepted, a
//! second POST creates nothing new, a refused transaction is reported with
//! the server's OperationOutcome.

mod his_support;
mod receipts_support;

use downtime_billing::his::postings::Outcome;
use downtime_billing::his::{fhir, select};
use his_support::*;
use std::collections::HashSet;

fn send(s: &Scenario, base: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec!["his", "send-fhir", base, "--json", "--timeout", "20"];
    args.extend_from_slice(extra);
    let (code, out, err) = s.env.run("admin", &args);
    let v = serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
    (code, v, err)
}

fn stats(port: u16) -> serde_json::Value {
    let mut resp = ureq::get(&format!("http://127.0.0.1:{port}/fhir/_stats"))
        .call()
        .unwrap();
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

#[test]
fn the_bundle_is_accepted_once_and_a_second_post_creates_nothing() {
    let Some(py) = python() else { return };
    let s = scenario();
    let srv = Server::start(&py, "fhir_server.py", &[]);
    let base = format!("http://127.0.0.1:{}/fhir", srv.port);
    let (code, v, err) = send(&s, &base, &[]);
    assert_eq!(code, 0, "{err} {v}");
    assert_eq!(v["sent"], 4);
    assert_eq!(v["accepted"], 4);
    assert_eq!(v["skipped"]["drill"], 1);
    assert_eq!(v["skipped"]["voided"], 1);
    let st = stats(srv.port);
    assert_eq!(st["counts"]["Invoice"], 4);
    assert_eq!(st["counts"]["ChargeItem"], 5);
    assert_eq!(st["counts"]["Patient"], 3);
    assert_eq!(st["transactions"], 1);
    let one: serde_json::Value = serde_json::from_str(&s.env.ok(
        "admin",
        &["his", "history", "--receipt", &s.deposit, "--json"],
    ))
    .unwrap();
    assert_eq!(one[0]["code"], "201");
    assert!(
        one[0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("created Invoice/")
    );

    // the CLI skips what was accepted: no request at all
    let (code, v, _) = send(&s, &base, &[]);
    assert_eq!(code, 0);
    assert_eq!(v["sent"], 0);
    assert_eq!(v["skipped"]["already_accepted"], 4);
    assert_eq!(stats(srv.port)["transactions"], 1);

    // posting the same bundle again (as another station or a retry after a
    // lost answer would) creates nothing new: ifNoneExist finds each one
    let store = s.env.store();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let batch = select::select(
        store.conn(),
        select::Selection::default(),
        today,
        &HashSet::new(),
    )
    .unwrap();
    let mut answers = Vec::new();
    fhir::send(
        &base,
        &batch.receipts,
        &fhir::Options::default(),
        &mut |a| answers.push(a),
    )
    .unwrap();
    assert_eq!(answers.len(), 4);
    for a in &answers {
        assert_eq!(a.outcome, Outcome::Accepted, "{a:?}");
        assert_eq!(a.code, "200");
        assert!(a.detail.starts_with("already there"), "{a:?}");
    }
    let st = stats(srv.port);
    assert_eq!(st["transactions"], 2);
    assert_eq!(st["counts"]["Invoice"], 4);
    assert_eq!(st["counts"]["ChargeItem"], 5);
    assert_eq!(st["counts"]["Patient"], 3);
}

#[test]
fn a_refused_transaction_is_reported_with_the_operation_outcome() {
    let Some(py) = python() else { return };
    let s = scenario();
    let srv = Server::start(&py, "fhir_server.py", &["--fail-invoice", &s.insured]);
    let base = format!("http://127.0.0.1:{}/fhir", srv.port);
    // one receipt per bundle: only the insured's is refused
    let (code, v, err) = send(&s, &base, &["--chunk", "1"]);
    assert_eq!(code, 5, "{err}");
    assert_eq!(v["accepted"], 3);
    assert_eq!(v["refused"], 1);
    let p = &v["problems"][0];
    assert_eq!(p["receipt"], s.insured.as_str());
    assert_eq!(p["code"], "422");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("refused by the test HIS"),
        "{p}"
    );
    assert_eq!(stats(srv.port)["counts"]["Invoice"], 3);
}

#[test]
fn a_bad_url_and_an_unreachable_server_are_named() {
    let s = scenario();
    let (code, _, err) = send(&s, "ftp://127.0.0.1/fhir", &[]);
    assert_eq!(code, 2, "{err}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/fhir");
    let (code, _, err) = send(&s, &base, &[]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains(&base), "{err}");
}
