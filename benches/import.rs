//! Import time of the shared 30k-item list (target: under a second in
//! release): parse + validate alone, and the whole import (parse, one
//! IMMEDIATE transaction, prepared inserts, audit entry, fsync'd commit)
//! into a fresh database, with the file's pinyin column and with pinyin
//! computed from every name. Besides criterion's estimates, each case
//! prints p50/p99 over its own timed runs.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use downtime_billing::auth::{Role, Session};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::{Month, TerminalCode, UserName};
use downtime_billing::prices;
use downtime_billing::setup::{SetupParams, setup};
use downtime_billing::store::{DataDir, Store};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn shared_list() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/price_list_2026-12_30k.csv")
}

/// The same list without its pinyin column, so every initial is computed.
fn list_without_pinyin(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(shared_list()).unwrap();
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.remove(2);
            f.join(",")
        })
        .collect();
    let p = dir.join("price_list_2026-12_30k_no_pinyin.csv");
    std::fs::write(&p, out.join("\n")).unwrap();
    p
}

fn fresh_store(root: &Path) -> Store {
    let data_dir = DataDir::new(root);
    let clock = FixedClock::at("2026-12-01T08:00:00+08:00");
    setup(
        &data_dir,
        &SetupParams {
            terminal: "MZ01".into(),
            hospital: "测试医院".into(),
            admin: "admin".into(),
            admin_pin: "739146".into(),
            signing_key_file: None,
        },
        &clock,
    )
    .unwrap();
    Store::open(&data_dir).unwrap()
}

fn admin() -> Session {
    Session::new(
        UserName::parse("admin").unwrap(),
        &[Role::Admin],
        TerminalCode::parse("MZ01").unwrap(),
    )
}

fn percentiles(name: &str, mut runs: Vec<Duration>) {
    runs.sort();
    let at = |q: f64| runs[((runs.len() - 1) as f64 * q).round() as usize];
    eprintln!(
        "{name}: n={} p50={:.1} ms p99={:.1} ms max={:.1} ms",
        runs.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        runs[runs.len() - 1].as_secs_f64() * 1e3,
    );
}

fn import_once(path: &Path) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let mut store = fresh_store(dir.path());
    let clock = FixedClock::at("2026-12-01T09:00:00+08:00");
    let month = Month::parse("2026-12").unwrap();
    let t = Instant::now();
    let report = prices::import(&mut store, &admin(), &clock, path, month, &mut |_| {}).unwrap();
    let took = t.elapsed();
    assert_eq!(report.snapshot.item_count, 30_000);
    took
}

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let given = shared_list();
    let computed = list_without_pinyin(tmp.path());

    let mut g = c.benchmark_group("import_30k");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("parse_validate_given_pinyin", |b| {
        b.iter(|| prices::parse_file(&given).unwrap())
    });
    g.bench_function("parse_validate_computed_pinyin", |b| {
        b.iter(|| prices::parse_file(&computed).unwrap())
    });
    for (name, path) in [
        ("import_given_pinyin", &given),
        ("import_computed_pinyin", &computed),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    let dir = tempfile::tempdir().unwrap();
                    let store = fresh_store(dir.path());
                    (dir, store)
                },
                |(dir, mut store)| {
                    let clock = FixedClock::at("2026-12-01T09:00:00+08:00");
                    let month = Month::parse("2026-12").unwrap();
                    prices::import(&mut store, &admin(), &clock, path, month, &mut |_| {}).unwrap();
                    (dir, store)
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();

    for (name, path) in [
        ("import_given_pinyin", &given),
        ("import_computed_pinyin", &computed),
    ] {
        percentiles(name, (0..20).map(|_| import_once(path)).collect());
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
