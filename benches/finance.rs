//! Finance at scale: journal export + import at the finance station and
//! reconciliation of an HIS results file, at 1k / 10k / 100k receipts
//! (`FINANCE_BENCH_MAX` raises the top size, e.g. 1000000). Each terminal
//! database is set up through the library (setup, range, episode) and then
//! filled by a prepared-statement bulk path that exists only here, so the
//! data is made in seconds. Prints wall time per size and the process's
//! peak RSS after each, to show memory does not grow with the count; the
//! 1k case also runs under criterion.

use criterion::{Criterion, criterion_group};
use downtime_billing::auth::{self, Role, Session};
use downtime_billing::clock::FixedClock;
use downtime_billing::finance::{journal, reconcile};
use downtime_billing::keys::SigningKey;
use downtime_billing::receipts;
use downtime_billing::setup::{SetupParams, setup};
use downtime_billing::store::{DataDir, Store};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-22T10:15:03+08:00";
const PIN: &str = "739146";

fn clock() -> FixedClock {
    FixedClock::at(NOW)
}

fn terminal(root: &Path, code: &str, key: Option<&Path>) -> (DataDir, Store, Session) {
    let dd = DataDir::new(root.join(code));
    setup(
        &dd,
        &SetupParams {
            terminal: code.into(),
            hospital: "测试医院".into(),
            admin: "admin".into(),
            admin_pin: PIN.into(),
            signing_key_file: key.map(Path::to_path_buf),
        },
        &clock(),
    )
    .unwrap();
    let mut store = Store::open(&dd).unwrap();
    let t = downtime_billing::setup::terminal_code(&store).unwrap();
    let s = auth::login(store.conn_mut(), "admin", PIN, &t, &clock()).unwrap();
    (dd, store, s)
}

/// A terminal holding `n` receipts (2 lines, 1 payment each; every 50th
/// voided), bulk-inserted in one transaction.
fn bulk_terminal(root: &Path, code: &str, n: u64) -> (DataDir, SigningKey, PathBuf) {
    let (dd, mut store, s) = terminal(root, code, None);
    receipts::ranges::add(&mut store, &s, &clock(), code, 1, n + 10).unwrap();
    receipts::episodes::open(
        &mut store,
        &s,
        &clock(),
        receipts::episodes::Level::II,
        "bench",
        receipts::episodes::EpisodeKind::Real,
    )
    .unwrap();
    let tx = store.write().unwrap();
    {
        let mut r = tx
            .prepare(
                "INSERT INTO receipts(number, terminal, seq, range_id, episode_id, drill, kind,
                    issued_at, cashier, patient_name, patient_json, payer_type, department, doctor,
                    snapshot_month, total_fen, change_fen, deadline, qr_payload)
                 VALUES (?1, ?2, ?3, 1, 1, 0, 'outpatient', ?4, 'admin', ?5, ?6, 'self_pay',
                         '内科', '李明', '2026-11', ?7, 0, '2026-12-14', ?8)",
            )
            .unwrap();
        let mut l = tx
            .prepare(
                "INSERT INTO receipt_lines(receipt_id, line_no, code, name, spec, unit, unit_price,
                    qty, amount_fen, category)
                 VALUES (?1, ?2, ?3, '阿莫西林胶囊', '0.25g*24粒', '盒', '6.80', '2', 1360, '西药')",
            )
            .unwrap();
        let mut p = tx
            .prepare(
                "INSERT INTO receipt_payments(receipt_id, pay_no, method, amount_fen)
                 VALUES (?1, 1, 'cash', 2720)",
            )
            .unwrap();
        let mut e = tx
            .prepare(
                "INSERT INTO receipt_events(receipt_id, kind, at, user, supervisor, reason)
                 VALUES (?1, 'void', ?2, 'admin', 'boss', 'bench')",
            )
            .unwrap();
        for i in 1..=n {
            let number = format!("{code}-{i:08}");
            let name = format!("患者{i}");
            r.execute(rusqlite::params![
                number,
                code,
                i as i64,
                NOW,
                name,
                format!("{{\"name\":\"{name}\"}}"),
                2720,
                format!("DTB1|{number}|{code}|{NOW}|XA01AB001A00001*2;XJ01CA004A00002*2|27.20|0123456789abcdef0123456789abcdef"),
            ])
            .unwrap();
            let id = tx.last_insert_rowid();
            l.execute(rusqlite::params![id, 1, "XA01AB001A00001"])
                .unwrap();
            l.execute(rusqlite::params![id, 2, "XJ01CA004A00002"])
                .unwrap();
            p.execute([id]).unwrap();
            if i % 50 == 0 {
                e.execute(rusqlite::params![id, NOW]).unwrap();
            }
        }
    }
    tx.commit().unwrap();
    let key = SigningKey::load(&dd.key_path()).unwrap();
    let key_file = root.join(format!("{code}.key"));
    std::fs::write(&key_file, key.export_text()).unwrap();
    (dd, key, key_file)
}

fn finance_station(root: &Path, name: &str, key_file: &Path) -> (DataDir, Store, Session) {
    let (dd, mut store, admin) = terminal(root, name, Some(key_file));
    auth::users::add_user(&mut store, &admin, &clock(), "fin", &[Role::Finance], PIN).unwrap();
    let t = downtime_billing::setup::terminal_code(&store).unwrap();
    let s = auth::login(store.conn_mut(), "fin", PIN, &t, &clock()).unwrap();
    (dd, store, s)
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Export + import of one terminal of `n` receipts into a fresh station;
/// returns (export, import) times and the journal's size.
fn export_import(root: &Path, n: u64) -> (Duration, Duration, u64, Duration) {
    let (dd, key, key_file) = bulk_terminal(root, "MZ01", n);
    let mut store = Store::open(&dd).unwrap();
    let t = downtime_billing::setup::terminal_code(&store).unwrap();
    let s = auth::login(store.conn_mut(), "admin", PIN, &t, &clock()).unwrap();
    let out = root.join("MZ01.journal");
    let t0 = Instant::now();
    let e = journal::export(&mut store, &s, &clock(), &key, &out).unwrap();
    let export = t0.elapsed();
    let (_fd, mut fin, fs) = finance_station(root, "CW01", &key_file);
    let t0 = Instant::now();
    let o = journal::import(&mut fin, &fs, &clock(), &key, &out, &mut |_, _| {}).unwrap();
    let import = t0.elapsed();
    assert_eq!(o.receipts_added, n);
    // Reconcile: every receipt in the HIS file (every 1000th with a wrong
    // amount, the voided ones absent), recorded as exchanges.
    let his = root.join("his.csv");
    let mut csv = String::from("manual_receipt_no,his_invoice_no,amount,posted_at,kind\n");
    for i in 1..=n {
        if i % 50 == 0 {
            continue;
        }
        let amount = if i % 1000 == 7 { "27.30" } else { "27.20" };
        csv.push_str(&format!(
            "MZ01-{i:08},HIS{i:010},{amount},2026-11-25,exchange\n"
        ));
    }
    std::fs::write(&his, csv).unwrap();
    let t0 = Instant::now();
    let r = reconcile::reconcile(&mut fin, &fs, &clock(), &his).unwrap();
    let rec = t0.elapsed();
    assert_eq!(r.matched.count + r.amount_mismatch.count, n - n / 50);
    (export, import, e.bytes, rec)
}

fn growth() {
    let max: u64 = std::env::var("FINANCE_BENCH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    println!(
        "\nreceipts | export | import | export+import | journal MB | reconcile (records) | peak RSS MB"
    );
    let mut n = 1_000;
    while n <= max {
        let dir = tempfile::Builder::new()
            .prefix("bench-finance-")
            .tempdir_in(env!("CARGO_MANIFEST_DIR"))
            .unwrap();
        let (e, i, bytes, r) = export_import(dir.path(), n);
        println!(
            "{n:>8} | {:>6.0} ms | {:>6.0} ms | {:>6.0} ms | {:>6.1} | {:>6.0} ms | {:.0}",
            e.as_secs_f64() * 1e3,
            i.as_secs_f64() * 1e3,
            (e + i).as_secs_f64() * 1e3,
            bytes as f64 / 1e6,
            r.as_secs_f64() * 1e3,
            peak_rss_mb()
        );
        n *= 10;
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::Builder::new()
        .prefix("bench-finance-")
        .tempdir_in(env!("CARGO_MANIFEST_DIR"))
        .unwrap();
    let root = dir.path();
    let (dd, key, key_file) = bulk_terminal(root, "MZ01", 1_000);
    let mut store = Store::open(&dd).unwrap();
    let t = downtime_billing::setup::terminal_code(&store).unwrap();
    let s = auth::login(store.conn_mut(), "admin", PIN, &t, &clock()).unwrap();
    let out = root.join("MZ01.journal");
    journal::export(&mut store, &s, &clock(), &key, &out).unwrap();
    let mut k = 0;
    c.bench_function("journal export, 1k receipts", |b| {
        b.iter(|| journal::export(&mut store, &s, &clock(), &key, &out).unwrap())
    });
    c.bench_function("journal import into a fresh station, 1k receipts", |b| {
        b.iter_batched(
            || {
                k += 1;
                finance_station(root, &format!("CW{k:02}"), &key_file)
            },
            |(_d, mut fin, fs)| {
                journal::import(&mut fin, &fs, &clock(), &key, &out, &mut |_, _| {}).unwrap()
            },
            criterion::BatchSize::PerIteration,
        )
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}

fn main() {
    benches();
    growth();
    Criterion::default().configure_from_args().final_summary();
}
