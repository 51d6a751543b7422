//! `his send-hl7` against the `hl7` package's asyncio MLLP server
//! (tests/python/mllp_listener.py), which validates every message it gets
//! with hl7apy STRICT: all ACKed once; a re-send sends nothing; an AE is
//! reported with the HIS's text and the rest delivered; a connection
//! dropped mid-batch is retried without the listener processing anything
//! twice.

mod his_support;
mod receipts_support;

use his_support::*;

fn send(s: &Scenario, addr: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec!["his", "send-hl7", addr, "--json"];
    if !extra.contains(&"--ack-timeout") {
        args.extend_from_slice(&["--ack-timeout", "10"]);
    }
    args.extend_from_slice(extra);
    let (code, out, err) = s.env.run("admin", &args);
    let v = serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
    (code, v, err)
}

fn messages(log: &[serde_json::Value]) -> Vec<&serde_json::Value> {
    log.iter().filter(|e| e["event"] == "message").collect()
}

#[test]
fn every_receipt_acked_once_and_a_resend_sends_nothing() {
    let Some(py) = python() else { return };
    let s = scenario();
    let log = s.env.root().join("mllp.log");
    let srv = Server::start(&py, "mllp_listener.py", &["--log", log.to_str().unwrap()]);
    let (code, v, err) = send(&s, &srv.addr(), &[]);
    assert_eq!(code, 0, "{err} {v}");
    assert_eq!(v["sent"], 4);
    assert_eq!(v["accepted"], 4);
    assert_eq!(v["refused"], 0);
    assert_eq!(v["skipped"]["drill"], 1);
    assert_eq!(v["skipped"]["voided"], 1);
    let got = read_log(&log);
    let msgs = messages(&got);
    assert_eq!(msgs.len(), 4);
    for m in &msgs {
        assert_eq!(m["valid"], true, "hl7apy strict: {}", m["problem"]);
        assert_eq!(m["charset"], "UNICODE UTF-8");
    }
    let ids: Vec<&str> = msgs
        .iter()
        .map(|m| m["control_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, s.posted());
    // the receiver reads the name back exactly, Chinese and delimiters
    assert_eq!(msgs[0]["name"], DELIM_NAME);
    assert_eq!(msgs[3]["ft1"][0], "CD");

    // a second send skips what was accepted: nothing reaches the listener
    let (code, v, err) = send(&s, &srv.addr(), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["sent"], 0);
    assert_eq!(v["skipped"]["already_accepted"], 4);
    assert_eq!(messages(&read_log(&log)).len(), 4);

    // what was posted is recorded, with its outcome
    let hist: serde_json::Value =
        serde_json::from_str(&s.env.ok("admin", &["his", "history", "--json"])).unwrap();
    assert_eq!(hist[0]["channel"], "hl7");
    assert_eq!(hist[0]["accepted"], 4);
    let one: serde_json::Value = serde_json::from_str(&s.env.ok(
        "admin",
        &["his", "history", "--receipt", &s.charge, "--json"],
    ))
    .unwrap();
    assert_eq!(one[0]["outcome"], "accepted");
    assert_eq!(one[0]["code"], "AA");
    assert_eq!(one[0]["message_id"], s.charge.as_str());
    // and the database still verifies (append-only tables, audit chain)
    s.env.ok("admin", &["verify"]);
}

#[test]
fn an_ae_is_reported_with_the_his_text_and_the_rest_delivered() {
    let Some(py) = python() else { return };
    let s = scenario();
    let log = s.env.root().join("mllp.log");
    let srv = Server::start(
        &py,
        "mllp_listener.py",
        &["--log", log.to_str().unwrap(), "--ae", &s.insured],
    );
    let (code, v, err) = send(&s, &srv.addr(), &[]);
    assert_eq!(code, 5, "a partly refused batch is exit 5: {err}");
    assert!(err.contains("1 refused"), "{err}");
    assert_eq!(v["sent"], 4);
    assert_eq!(v["accepted"], 3);
    assert_eq!(v["refused"], 1);
    let p = &v["problems"][0];
    assert_eq!(p["receipt"], s.insured.as_str());
    assert_eq!(p["code"], "AE");
    let text = p["detail"].as_str().unwrap();
    assert!(text.contains("unknown item code"), "MSA-3: {text}");
    assert!(
        text.contains("FT1-7 item not in the HIS catalogue"),
        "ERR: {text}"
    );
    // the messages after the refused one were delivered
    let ids: Vec<String> = messages(&read_log(&log))
        .iter()
        .map(|m| m["control_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, s.posted());

    // once the HIS is fixed, a re-send carries only the refused receipt
    drop(srv);
    let log2 = s.env.root().join("mllp2.log");
    let srv = Server::start(&py, "mllp_listener.py", &["--log", log2.to_str().unwrap()]);
    let (code, v, err) = send(&s, &srv.addr(), &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["sent"], 1);
    assert_eq!(v["accepted"], 1);
    let ids: Vec<String> = messages(&read_log(&log2))
        .iter()
        .map(|m| m["control_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, std::slice::from_ref(&s.insured));
}

#[test]
fn a_connection_dropped_mid_batch_is_retried_without_duplicates() {
    let Some(py) = python() else { return };
    let s = scenario();
    // the listener closes the connection right after ACKing message 2
    let log = s.env.root().join("drop.log");
    let srv = Server::start(
        &py,
        "mllp_listener.py",
        &["--log", log.to_str().unwrap(), "--drop-after-ack", "2"],
    );
    let (code, v, err) = send(&s, &srv.addr(), &[]);
    assert_eq!(code, 0, "{err} {v}");
    assert_eq!(v["accepted"], 4);
    let got = read_log(&log);
    let msgs = messages(&got);
    let ids: Vec<&str> = msgs
        .iter()
        .map(|m| m["control_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, s.posted(), "each message exactly once");
    assert!(msgs.iter().all(|m| m["duplicate"] == false));
    // the rest came on a second connection
    assert_eq!(msgs[1]["conn"], 1);
    assert_eq!(msgs[2]["conn"], 2);
}

#[test]
fn a_message_whose_ack_was_lost_is_resent_with_the_same_control_id() {
    let Some(py) = python() else { return };
    let s = scenario();
    // the listener reads message 3 and drops the connection without an ACK
    let log = s.env.root().join("noack.log");
    let srv = Server::start(
        &py,
        "mllp_listener.py",
        &["--log", log.to_str().unwrap(), "--drop-before-ack", "3"],
    );
    let (code, v, err) = send(&s, &srv.addr(), &[]);
    assert_eq!(code, 0, "{err} {v}");
    assert_eq!(v["accepted"], 4);
    let got = read_log(&log);
    let dropped: Vec<&serde_json::Value> = got
        .iter()
        .filter(|e| e["event"] == "dropped_before_ack")
        .collect();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0]["control_id"], s.deposit.as_str());
    // the re-sent message is the same message (same MSH-10); the receiver
    // processed every receipt exactly once
    let ids: Vec<&str> = messages(&got)
        .iter()
        .map(|m| m["control_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, s.posted());
}

#[test]
fn an_unreachable_his_and_a_bad_target_are_named() {
    let s = scenario();
    // a port nobody listens on (bound, then closed)
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let (code, _, err) = send(&s, &addr, &[]);
    assert_eq!(code, 5, "{err}");
    assert!(err.contains(&addr), "{err}");
    let (code, _, err) = send(&s, "no-port-here", &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("HOST:PORT"), "{err}");
    // nothing was accepted, so everything is still to send
    let hist: serde_json::Value =
        serde_json::from_str(&s.env.ok("admin", &["his", "history", "--json"])).unwrap();
    assert_eq!(hist[0]["accepted"], 0);
}

#[test]
fn a_his_that_never_acknowledges_times_out_and_nothing_counts_as_posted() {
    let s = scenario();
    // a listener that reads every frame and never answers (it ends when
    // the client closes each connection)
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in l.incoming().take(8) {
            let Ok(mut c) = conn else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while matches!(std::io::Read::read(&mut c, &mut buf), Ok(n) if n > 0) {}
            });
        }
    });
    let (code, v, err) = send(&s, &addr, &["--ack-timeout", "1", "--retries", "0"]);
    assert_eq!(code, 5, "{err}");
    assert_eq!(v["sent"], 4);
    assert_eq!(v["accepted"], 0);
    assert_eq!(v["errors"], 4);
    assert!(
        v["problems"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("no ACK within 1"),
        "{v}"
    );
    // recorded as not delivered: all four are still to send
    let one: serde_json::Value = serde_json::from_str(&s.env.ok(
        "admin",
        &["his", "history", "--receipt", &s.charge, "--json"],
    ))
    .unwrap();
    assert_eq!(one[0]["outcome"], "error");
    assert_eq!(one[0]["code"], "io");
}
