//! Finance at scale: journal export + import at the finance station and
//! reconciliation of an HIS results file, at 1k / 10k / 100k receipts
//! (`FINANCE_BENCH_MAX` raises the top size, e.g. 1000000). Each terminal
//! database is set up through the library (setup, range, episode) and then
//! filled by a prepared-statement bulk path that exists only here, so the
//! data is made in seconds. Prints wall time per size and the process's
//! peak RSS after each, to show memory does not grow with the count; the
//! 1k case also runs under criterion. `FINANCE_BENCH_REPEAT=N` measures
//! each size N times (a row each: the spread of a noisy machine), and
//! `FINANCE_BENCH_GROWTH_ONLY=1` skips the criterion part.

#[path = "support/finance_data.rs"]
mod finance_data;

use criterion::{Criterion, criterion_group};
use downtime_billing::auth;
use downtime_billing::finance::{journal, reconcile};
use downtime_billing::store::Store;
use finance_data::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// Wall time and this thread's CPU time of one step.
#[derive(Clone, Copy, Default)]
struct Took {
    wall: Duration,
    cpu: Duration,
}

impl Took {
    fn of<T>(f: impl FnOnce() -> T) -> (T, Took) {
        let (w, c) = (Instant::now(), cpu_time());
        let out = f();
        let t = Took {
            wall: w.elapsed(),
            cpu: cpu_time().saturating_sub(c),
        };
        (out, t)
    }

    fn plus(self, o: Took) -> Took {
        Took {
            wall: self.wall + o.wall,
            cpu: self.cpu + o.cpu,
        }
    }

    fn cell(self) -> String {
        format!(
            "{:>6.0} ms ({:>5.0})",
            self.wall.as_secs_f64() * 1e3,
            self.cpu.as_secs_f64() * 1e3
        )
    }
}

/// Export + import of one terminal of `n` receipts into a fresh station,
/// then a reconcile; returns the three times and the journal's size.
fn export_import(root: &Path, n: u64) -> (Took, Took, u64, Took) {
    let (dd, key, key_file) = bulk_terminal(root, "MZ01", n, None);
    let mut store = Store::open(&dd).unwrap();
    let t = downtime_billing::setup::terminal_code(&store).unwrap();
    let s = auth::login(store.conn_mut(), "admin", PIN, &t, &clock()).unwrap();
    let out = root.join("MZ01.journal");
    let (e, export) = Took::of(|| journal::export(&mut store, &s, &clock(), &key, &out).unwrap());
    let (_fd, mut fin, fs) = finance_station(root, "CW01", &key_file);
    if std::env::var("FINANCE_BENCH_IN_LISTS").is_ok_and(|v| v == "1") {
        restore_in_lists(&mut fin);
    }
    let (o, import) =
        Took::of(|| journal::import(&mut fin, &fs, &clock(), &key, &out, &mut |_, _| {}).unwrap());
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
    let (r, rec) = Took::of(|| reconcile::reconcile(&mut fin, &fs, &clock(), &his).unwrap());
    assert_eq!(r.matched.count + r.amount_mismatch.count, n - n / 50);
    (export, import, e.bytes, rec)
}

/// Puts back the `IN (…)` value-list CHECKs that migration `check_lists`
/// rewrote as comparisons (env `FINANCE_BENCH_IN_LISTS`), to measure what
/// the rewrite saves on the same build.
fn restore_in_lists(store: &mut Store) {
    let pairs = [
        (
            "receipts",
            "CHECK (kind = 'outpatient' OR kind = 'registration' OR kind = 'deposit' OR kind = 'credit_note')",
            "CHECK (kind IN ('outpatient', 'registration', 'deposit', 'credit_note'))",
        ),
        (
            "receipt_payments",
            "CHECK (method = 'cash' OR method = 'card' OR method = 'mobile')",
            "CHECK (method IN ('cash', 'card', 'mobile'))",
        ),
        (
            "his_invoices",
            "CHECK (kind = 'exchanged' OR kind = 'self_pay_posted' OR kind = 'insurance_resettled')",
            "CHECK (kind IN ('exchanged', 'self_pay_posted', 'insurance_resettled'))",
        ),
    ];
    let tx = store.conn_mut().transaction().unwrap();
    tx.execute_batch("PRAGMA writable_schema = ON").unwrap();
    for (t, new, old) in pairs {
        let n = tx
            .execute(
                "UPDATE sqlite_schema SET sql = replace(sql, ?2, ?3) WHERE name = ?1 AND instr(sql, ?2)",
                [t, new, old],
            )
            .unwrap();
        assert_eq!(n, 1, "{t}");
    }
    tx.execute_batch(
        "PRAGMA writable_schema = RESET; CREATE TABLE bench_bump(x); DROP TABLE bench_bump;",
    )
    .unwrap();
    tx.commit().unwrap();
}

fn growth() {
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let max = env("FINANCE_BENCH_MAX", 100_000);
    let mut n = env("FINANCE_BENCH_MIN", 1_000);
    let repeat = env("FINANCE_BENCH_REPEAT", 1);
    println!(
        "\nwall ms (CPU ms of the bench thread)\nreceipts | export | import | export+import | journal MB | reconcile (records) | peak RSS MB"
    );
    while n <= max {
        for _ in 0..repeat {
            let dir = tempfile::Builder::new()
                .prefix("bench-finance-")
                .tempdir_in(env!("CARGO_MANIFEST_DIR"))
                .unwrap();
            let (e, i, bytes, r) = export_import(dir.path(), n);
            println!(
                "{n:>8} | {} | {} | {} | {:>6.1} | {} | {:.0}",
                e.cell(),
                i.cell(),
                e.plus(i).cell(),
                bytes as f64 / 1e6,
                r.cell(),
                peak_rss_mb()
            );
        }
        n *= 10;
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::Builder::new()
        .prefix("bench-finance-")
        .tempdir_in(env!("CARGO_MANIFEST_DIR"))
        .unwrap();
    let root = dir.path();
    let (dd, key, key_file) = bulk_terminal(root, "MZ01", 1_000, None);
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
    if std::env::var("FINANCE_BENCH_GROWTH_ONLY").as_deref() != Ok("1") {
        benches();
    }
    growth();
    Criterion::default().configure_from_args().final_summary();
}
