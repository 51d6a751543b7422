//! The price book of the shared 30k-item list (target: under 5 s in
//! release) and the outage report at 100k receipts (build, CSV, PDF).
//! Receipts for the outage case are laid down directly in the tables a
//! journal import fills (three terminals, lines, payments, voids, credit
//! notes, exchanges): issuing 100k receipts one fsync at a time would take
//! longer than the benchmark. Besides criterion's estimates, each case
//! prints p50/p99 over its own timed runs. `REPORTS_BENCH_N` changes the
//! receipt count.

use criterion::{Criterion, criterion_group, criterion_main};
use downtime_billing::auth::{Role, Session};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::{Month, TerminalCode, UserName};
use downtime_billing::prices;
use downtime_billing::reports::{self, Format, Kind, Request};
use downtime_billing::setup::{SetupParams, setup};
use downtime_billing::store::{DataDir, Store};
use std::path::Path;
use std::time::{Duration, Instant};

const NOW: &str = "2026-12-20T08:00:00+08:00";

fn fresh_store(root: &Path) -> Store {
    let data_dir = DataDir::new(root);
    setup(
        &data_dir,
        &SetupParams {
            terminal: "CW01".into(),
            hospital: "测试医院".into(),
            admin: "admin".into(),
            admin_pin: "739146".into(),
            signing_key_file: None,
        },
        &FixedClock::at(NOW),
    )
    .unwrap();
    Store::open(&data_dir).unwrap()
}

fn admin() -> Session {
    Session::new(
        UserName::parse("admin").unwrap(),
        &Role::ALL,
        TerminalCode::parse("CW01").unwrap(),
    )
}

fn percentiles(name: &str, mut times: Vec<Duration>) {
    // Filtered out by a criterion filter (`perf_report.sh` runs only the
    // price book): nothing was timed.
    if times.is_empty() {
        return;
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{name}: n={} p50={:.1} ms p99={:.1} ms",
        times.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    );
}

fn price_book(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = fresh_store(tmp.path());
    let list =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/price_list_2026-12_30k.csv");
    let month = Month::parse("2026-12").unwrap();
    prices::import(
        &mut store,
        &admin(),
        &FixedClock::at(NOW),
        &list,
        month,
        &mut |_| {},
    )
    .unwrap();
    let snapshot = prices::snapshot_for_month(store.conn(), month)
        .unwrap()
        .unwrap();
    let items = prices::items(store.conn(), snapshot.id).unwrap();
    // The font is parsed once per process, before the timed runs.
    downtime_billing::print::kit::font().unwrap();
    let mut times = Vec::new();
    let mut size = 0;
    let mut pages = 0;
    let mut g = c.benchmark_group("price_book");
    g.sample_size(10);
    g.bench_function("30k_items_pdf", |b| {
        b.iter(|| {
            let t = Instant::now();
            let (pdf, summary) = prices::book::render(&snapshot, &items, "测试医院").unwrap();
            times.push(t.elapsed());
            size = pdf.len();
            pages = summary.pages;
        })
    });
    g.finish();
    let out = tmp.path().join("book.pdf");
    let t = Instant::now();
    prices::book::write(store.conn(), month, &out).unwrap();
    println!(
        "price book with loading the snapshot and writing: {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    println!("price book: {pages} pages, {:.1} MB", size as f64 / 1e6);
    percentiles("price_book/30k_items_pdf", times);
}

/// Lays down `n` receipts of three terminals in one outage.
fn fill(store: &mut Store, n: usize) {
    let tx = store.write().unwrap();
    let terminals = ["MZ01", "MZ02", "ZY01"];
    for (i, t) in terminals.iter().enumerate() {
        let id = i as i64 + 1;
        tx.execute(
            "INSERT INTO episodes(id, terminal, level, reason, drill, opened_at, opened_by)
             VALUES (?1, ?2, 'II', 'HIS 宕机', 0, '2026-12-01T08:00:00+08:00', 'admin')",
            rusqlite::params![id, t],
        )
        .unwrap();
        tx.execute(
            "INSERT INTO receipt_ranges(id, terminal, first_seq, last_seq, added_at, added_by)
             VALUES (?1, ?2, 1, 99999999, '2026-12-01T07:00:00+08:00', 'admin')",
            rusqlite::params![id, t],
        )
        .unwrap();
    }
    let mut r = tx
        .prepare(
            "INSERT INTO receipts(id, number, terminal, seq, range_id, episode_id, drill, kind,
                original_number, issued_at, cashier, patient_name, patient_json, payer_type,
                department, doctor, total_fen, change_fen, deadline, qr_payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5, 0, ?6, ?7, ?8, 'cash1', ?9, '{}', ?10, '内科', '李明',
                ?11, 0, ?12, 'x')",
        )
        .unwrap();
    let mut l = tx
        .prepare(
            "INSERT INTO receipt_lines(receipt_id, line_no, code, name, spec, unit, unit_price,
                qty, amount_fen, category)
             VALUES (?1, ?2, 'C', '药', '', '盒', '1.00', '1', ?3, ?4)",
        )
        .unwrap();
    let mut p = tx
        .prepare(
            "INSERT INTO receipt_payments(receipt_id, pay_no, method, amount_fen)
             VALUES (?1, 1, ?2, ?3)",
        )
        .unwrap();
    let mut e = tx
        .prepare(
            "INSERT INTO receipt_events(receipt_id, kind, at, user, details)
             VALUES (?1, ?2, '2026-12-10T10:00:00+08:00', 'fin', '{}')",
        )
        .unwrap();
    let cats = ["西药", "中成药", "检查", "检验", "治疗"];
    let methods = ["cash", "card", "mobile"];
    for i in 0..n {
        let id = i as i64 + 1;
        let t = i % 3;
        let seq = (i / 3) as i64 + 1;
        let number = format!("{}-{seq:08}", terminals[t]);
        let hour = 8 + (i * 48 / n.max(1));
        let day = 1 + hour / 24;
        let at = format!("2026-12-{day:02}T{:02}:{:02}:00+08:00", hour % 24, i % 60);
        let credit = i % 50 == 49;
        let lines = 1 + i % 4;
        let per = if credit { -500 } else { 1234 };
        let total = per * lines as i64;
        let deadline = if i % 10 == 0 {
            None
        } else {
            Some("2026-12-22")
        };
        r.execute(rusqlite::params![
            id,
            number,
            terminals[t],
            seq,
            t as i64 + 1,
            if credit { "credit_note" } else { "outpatient" },
            if credit {
                Some(format!("{}-{:08}", terminals[t], seq - 1))
            } else {
                None
            },
            at,
            format!("患者{i}"),
            if i % 7 == 0 {
                "insured_full_pay"
            } else {
                "self_pay"
            },
            total,
            deadline,
        ])
        .unwrap();
        for ln in 0..lines {
            l.execute(rusqlite::params![
                id,
                ln as i64 + 1,
                per,
                cats[(i + ln) % 5]
            ])
            .unwrap();
        }
        p.execute(rusqlite::params![id, methods[i % 3], total])
            .unwrap();
        if i % 97 == 0 {
            e.execute(rusqlite::params![id, "void"]).unwrap();
        } else if i % 5 == 0 {
            e.execute(rusqlite::params![id, "exchanged"]).unwrap();
        }
    }
    drop((r, l, p, e));
    tx.commit().unwrap();
}

fn outage(c: &mut Criterion) {
    let n: usize = std::env::var("REPORTS_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let tmp = tempfile::tempdir().unwrap();
    let mut store = fresh_store(tmp.path());
    let t = Instant::now();
    fill(&mut store, n);
    println!(
        "outage fixture: {n} receipts laid down in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let clock = FixedClock::at(NOW);
    let req = Request {
        kind: Kind::Outage,
        date: None,
        episode: Some(1),
    };
    let mut g = c.benchmark_group("outage_report");
    g.sample_size(10);
    for (name, format) in [
        ("build", None),
        ("csv", Some(Format::Csv)),
        ("pdf", Some(Format::Pdf)),
    ] {
        let mut times = Vec::new();
        g.bench_function(format!("{n}_receipts_{name}"), |b| {
            b.iter(|| {
                let t = Instant::now();
                let report = reports::build(store.conn(), &req, &clock, "admin").unwrap();
                if let Some(f) = format {
                    let bytes = reports::render(&report, f).unwrap();
                    assert!(!bytes.is_empty());
                }
                times.push(t.elapsed());
            })
        });
        percentiles(&format!("outage_report/{n}_receipts_{name}"), times);
    }
    g.finish();
}

criterion_group!(benches, price_book, outage);
criterion_main!(benches);
