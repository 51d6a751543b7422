//! HIS posting benchmarks:
//! - HL7 DFT^P03 messages per second over MLLP to a loopback listener that
//!   ACKs at once, one ACK awaited per message (target ≥ 500/s);
//! - selecting and writing the CSV, JSON and FHIR batch of 100k receipts
//!   (3 lines each) from the database.
//!
//! Run: `cargo bench --bench his -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use downtime_billing::clock::FixedClock;
use downtime_billing::his::select::{self, PostLine, PostReceipt, Selection};
use downtime_billing::his::{batch, fhir, hl7, mllp};
use downtime_billing::money::Money;
use downtime_billing::receipts::query::Kind;
use downtime_billing::setup::{SetupParams, setup};
use downtime_billing::store::{DataDir, Store};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

const NOW: &str = "2026-11-22T10:15:03+08:00";

fn receipt(i: usize) -> PostReceipt {
    PostReceipt {
        id: i as i64,
        number: format!("MZ01-{:08}", i + 1),
        terminal: "MZ01".into(),
        kind: Kind::Outpatient,
        original_number: None,
        issued_at: NOW.into(),
        episode_id: 1,
        cashier: "cash1".into(),
        patient_name: "张三|^~\\&".into(),
        sex: Some("男".into()),
        age: Some("35".into()),
        outpatient_no: Some(format!("MZ{:013}", i)),
        inpatient_no: None,
        temp_patient_no: None,
        payer_type: "self_pay".into(),
        insurance_no: None,
        department: "内科".into(),
        doctor: "李明".into(),
        total: Money::from_fen(2040),
        deadline: Some("2026-12-14".into()),
        lines: (1..=3)
            .map(|l| PostLine {
                line: l,
                code: format!("XA01AB00{l}A00001"),
                name: "阿莫西林胶囊".into(),
                spec: "0.25g*24粒".into(),
                unit: "盒".into(),
                unit_price: "6.8000".into(),
                qty: "1".into(),
                amount: Money::from_fen(680),
                category: "西药".into(),
                refers_line: None,
            })
            .collect(),
        payments: vec![("cash".into(), Money::from_fen(2040))],
    }
}

/// A listener that answers every frame at once with an AA ACK; it ends
/// when the client closes its connection.
fn ack_listener() -> (String, std::thread::JoinHandle<()>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = l.local_addr().expect("addr").to_string();
    let h = std::thread::spawn(move || {
        // One connection per benchmark run is all this listener serves.
        if let Ok((mut s, _)) = l.accept() {
            let _ = s.set_nodelay(true);
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            loop {
                let n = match s.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                while let Some(end) = buf.windows(2).position(|w| w == [0x1C, 0x0D]) {
                    let msg = String::from_utf8_lossy(&buf[1..end]).into_owned();
                    buf.drain(..end + 2);
                    let id = msg
                        .split('\r')
                        .next()
                        .and_then(|msh| msh.split('|').nth(9))
                        .unwrap_or("")
                        .to_string();
                    let ack = format!(
                        "\x0bMSH|^~\\&|HIS|HIS|DOWNTIME-BILLING|MZ01|20261122||ACK^P03^ACK|A{id}|P|2.5\rMSA|AA|{id}\r\x1c\r"
                    );
                    if s.write_all(ack.as_bytes()).is_err() {
                        return;
                    }
                }
            }
        }
    });
    (addr, h)
}

fn bench_mllp(c: &mut Criterion) {
    let to = hl7::Receiver::default();
    let msgs: Vec<mllp::Outgoing> = (0..200)
        .map(|i| {
            let r = receipt(i);
            mllp::Outgoing {
                receipt: r.number.clone(),
                control_id: hl7::control_id(&r),
                text: hl7::message(&r, &to),
            }
        })
        .collect();
    let mut g = c.benchmark_group("hl7_mllp");
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.sample_size(20);
    g.bench_function("send_200_messages_one_ack_each", |b| {
        b.iter(|| {
            let (addr, h) = ack_listener();
            let mut accepted = 0;
            mllp::send_all(&addr, &msgs, &mllp::Options::default(), &mut |a| {
                if a.outcome == downtime_billing::his::postings::Outcome::Accepted {
                    accepted += 1;
                }
            })
            .expect("send");
            assert_eq!(accepted, msgs.len());
            let _ = h.join();
        })
    });
    g.finish();
}

/// A data dir holding `n` receipts of 3 lines, written straight into the
/// tables in one transaction (issuing them one by one would take minutes).
fn big_store(n: usize) -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = DataDir::new(tmp.path().join("data"));
    setup(
        &dir,
        &SetupParams {
            terminal: "MZ01".into(),
            hospital: "测试医院".into(),
            admin: "admin".into(),
            admin_pin: "739146".into(),
            signing_key_file: None,
        },
        &FixedClock::at(NOW),
    )
    .expect("setup");
    let mut store = Store::open(&dir).expect("open");
    let tx = store.conn_mut().transaction().expect("tx");
    tx.execute_batch(
        "INSERT INTO episodes (id, terminal, level, reason, drill, opened_at, opened_by)
           VALUES (1, 'MZ01', 'II', 'bench', 0, '2026-11-22T08:00:00+08:00', 'admin');
         INSERT INTO receipt_ranges (id, terminal, first_seq, last_seq, added_at, added_by)
           VALUES (1, 'MZ01', 1, 99999999, '2026-11-22T08:00:00+08:00', 'admin');",
    )
    .expect("episode");
    {
        let mut r = tx
            .prepare(
                "INSERT INTO receipts (id, number, terminal, seq, range_id, episode_id, drill, kind,
                   issued_at, cashier, patient_name, patient_json, payer_type, department, doctor,
                   total_fen, change_fen, deadline, qr_payload)
                 VALUES (?1, ?2, 'MZ01', ?1, 1, 1, 0, 'outpatient', ?3, 'cash1', '张三',
                   '{\"name\":\"张三\",\"outpatient_no\":\"MZ2026112200017\"}', 'self_pay', '内科',
                   '李明', 2040, 0, '2026-12-14', 'x')",
            )
            .expect("prepare");
        let mut l = tx
            .prepare(
                "INSERT INTO receipt_lines (receipt_id, line_no, code, name, spec, unit, unit_price,
                   qty, amount_fen, category)
                 VALUES (?1, ?2, 'XA01AB001A00001', '阿莫西林胶囊', '0.25g*24粒', '盒', '6.8000',
                   '1', 680, '西药')",
            )
            .expect("prepare");
        let mut p = tx
            .prepare(
                "INSERT INTO receipt_payments (receipt_id, pay_no, method, amount_fen)
                 VALUES (?1, 1, 'cash', 2040)",
            )
            .expect("prepare");
        for i in 1..=n as i64 {
            r.execute(rusqlite::params![i, format!("MZ01-{i:08}"), NOW])
                .expect("receipt");
            for line in 1..=3 {
                l.execute(rusqlite::params![i, line]).expect("line");
            }
            p.execute([i]).expect("payment");
        }
    }
    tx.commit().expect("commit");
    (tmp, store)
}

fn bench_export(c: &mut Criterion) {
    let n = 100_000;
    let (_tmp, store) = big_store(n);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    let mut g = c.benchmark_group("his_export_100k");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("select", |b| {
        b.iter(|| {
            let batch = select::select(store.conn(), Selection::default(), today, &HashSet::new())
                .expect("select");
            assert_eq!(batch.receipts.len(), n);
        })
    });
    let batch =
        select::select(store.conn(), Selection::default(), today, &HashSet::new()).expect("select");
    g.bench_function("select_and_write_csv", |b| {
        b.iter(|| {
            let batch = select::select(store.conn(), Selection::default(), today, &HashSet::new())
                .expect("select");
            batch::write_csv(std::io::sink(), &batch.receipts).expect("csv");
        })
    });
    g.bench_function("write_json", |b| {
        b.iter(|| {
            batch::write_json(std::io::sink(), &batch.receipts, NOW, "测试医院").expect("json")
        })
    });
    g.bench_function("write_fhir_bundle", |b| {
        b.iter(|| fhir::write_bundle(std::io::sink(), &batch.receipts).expect("fhir"))
    });
    g.finish();
}

criterion_group!(benches, bench_mllp, bench_export);
criterion_main!(benches);
