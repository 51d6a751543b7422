//! Durable receipt issue (5 lines, WAL + synchronous=FULL, one writer)
//! against its floor on the same disk: a bare 4 KiB write + fsync. Both run
//! side by side under criterion, then interleaved pair by pair (issue,
//! fsync, issue, fsync …) so the disk's noise hits both alike; the paired
//! medians, p99 and their ratio are printed (target ≤ 2×). When `strace` is
//! available the bench attaches it to itself around 100 issues and reports
//! the fsync count per receipt (target: exactly 1).

use criterion::{Criterion, criterion_group};
use downtime_billing::auth;
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::Month;
use downtime_billing::keys::SigningKey;
use downtime_billing::receipts::{self, IssueRequest};
use downtime_billing::setup::{SetupParams, setup};
use downtime_billing::store::{DataDir, Store};
use std::io::Write;
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-22T10:15:03+08:00";
const CODES: [&str; 5] = [
    "XN72DG587P95754",
    "XA88DF322F52065",
    "430161610-d",
    "T65124405",
    "110275556-d",
];

struct Bench {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    store: Store,
    session: auth::Session,
    key: SigningKey,
    clock: FixedClock,
    req: IssueRequest,
    floor: std::fs::File,
}

fn prepare() -> Bench {
    // On the disk the project lives on (not a tmpfs), for both sides.
    let dir = tempfile::Builder::new()
        .prefix("bench-issue-")
        .tempdir_in(env!("CARGO_MANIFEST_DIR"))
        .unwrap();
    let root = dir.path().to_path_buf();
    let dd = DataDir::new(root.join("data"));
    let clock = FixedClock::at(NOW);
    setup(
        &dd,
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
    let shared = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/price_list_2026-12_30k.csv"
    );
    let text = std::fs::read_to_string(shared).unwrap();
    let mut lines = text.lines();
    let mut out = vec![lines.next().unwrap().to_string()];
    out.extend(
        lines
            .filter(|l| CODES.iter().any(|c| l.starts_with(&format!("{c},"))))
            .map(str::to_string),
    );
    let list = root.join("list.csv");
    std::fs::write(&list, out.join("\n")).unwrap();
    let mut store = Store::open(&dd).unwrap();
    let terminal = downtime_billing::setup::terminal_code(&store).unwrap();
    let session = auth::login(store.conn_mut(), "admin", "739146", &terminal, &clock).unwrap();
    downtime_billing::prices::import(
        &mut store,
        &session,
        &clock,
        &list,
        Month::parse("2026-11").unwrap(),
        &mut |_| {},
    )
    .unwrap();
    receipts::episodes::open(
        &mut store,
        &session,
        &clock,
        receipts::episodes::Level::II,
        "bench",
        downtime_billing::receipts::episodes::EpisodeKind::Real,
    )
    .unwrap();
    receipts::ranges::add(&mut store, &session, &clock, "MZ01", 1, 99_999_999).unwrap();
    let key = downtime_billing::keys::wrap::unlock_dir(&dd, "admin", "739146").unwrap();
    let lines: Vec<_> = CODES
        .iter()
        .map(|c| serde_json::json!({"code": c, "qty": "1"}))
        .collect();
    let mut req: IssueRequest = serde_json::from_value(serde_json::json!({
        "kind": "outpatient",
        "patient": {"name": "张三"},
        "lines": lines,
        "payments": [],
    }))
    .unwrap();
    let total = receipts::preview(store.conn(), &clock, &req.lines)
        .unwrap()
        .total;
    req.payments = vec![receipts::PaymentRequest {
        method: "cash".into(),
        amount: receipts::issue::NumText::Text(total.to_string()),
        tendered: None,
        reference: None,
    }];
    let floor = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(root.join("floor.bin"))
        .unwrap();
    Bench {
        _dir: dir,
        root,
        store,
        session,
        key,
        clock,
        req,
        floor,
    }
}

impl Bench {
    fn issue(&mut self) {
        let draft = receipts::IssueDraft::build(self.store.conn(), &self.clock, &self.req).unwrap();
        receipts::issue(
            &mut self.store,
            &self.session,
            &self.clock,
            &self.key,
            &draft,
        )
        .unwrap();
    }
    /// The floor: 4 KiB appended then fsync'd (the file grows, as the WAL
    /// does while issuing).
    fn fsync_4k(&mut self) {
        self.floor.write_all(&[7u8; 4096]).unwrap();
        self.floor.sync_all().unwrap();
    }
    /// The strictest floor: the same 4 KiB block overwritten in place, so
    /// the fsync carries no size change.
    fn fsync_4k_in_place(&mut self) {
        use std::os::unix::fs::FileExt;
        self.floor.write_all_at(&[9u8; 4096], 0).unwrap();
        self.floor.sync_all().unwrap();
    }
}

fn side_by_side(c: &mut Criterion) {
    let mut b = prepare();
    let mut g = c.benchmark_group("durable_issue");
    g.measurement_time(Duration::from_secs(6));
    g.bench_function("issue_5_lines", |x| x.iter(|| b.issue()));
    g.bench_function("floor_append_4k_fsync", |x| x.iter(|| b.fsync_4k()));
    g.bench_function("floor_overwrite_4k_fsync", |x| {
        x.iter(|| b.fsync_4k_in_place())
    });
    g.finish();
    let _ = receipts::checkpoint(b.store.conn());
}

criterion_group!(benches, side_by_side);

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn interleaved(pairs: usize) {
    let mut b = prepare();
    for _ in 0..20 {
        b.issue();
        b.fsync_4k();
    }
    let mut issue = Vec::with_capacity(pairs);
    let mut floor = Vec::with_capacity(pairs);
    let mut inplace = Vec::with_capacity(pairs);
    let mut ratios = Vec::with_capacity(pairs);
    let mut ratios_inplace = Vec::with_capacity(pairs);
    for _ in 0..pairs {
        let t = Instant::now();
        b.issue();
        let a = t.elapsed();
        let t = Instant::now();
        b.fsync_4k();
        let f = t.elapsed();
        let t = Instant::now();
        b.fsync_4k_in_place();
        let g = t.elapsed();
        issue.push(a);
        floor.push(f);
        inplace.push(g);
        ratios.push(a.as_secs_f64() / f.as_secs_f64());
        ratios_inplace.push(a.as_secs_f64() / g.as_secs_f64());
    }
    ratios.sort_by(f64::total_cmp);
    ratios_inplace.sort_by(f64::total_cmp);
    let (i50, f50, g50) = (
        pct(&mut issue, 0.5),
        pct(&mut floor, 0.5),
        pct(&mut inplace, 0.5),
    );
    println!(
        "interleaved {pairs} rounds (target: issue <= 2x the floor):\n  durable issue, 5 lines:     p50 {:?} p99 {:?}\n  4 KiB append + fsync:       p50 {:?} p99 {:?}  ratio of medians {:.2}x, median paired ratio {:.2}x\n  4 KiB overwrite + fsync:    p50 {:?} p99 {:?}  ratio of medians {:.2}x, median paired ratio {:.2}x",
        i50,
        pct(&mut issue, 0.99),
        f50,
        pct(&mut floor, 0.99),
        i50.as_secs_f64() / f50.as_secs_f64(),
        ratios[ratios.len() / 2],
        g50,
        pct(&mut inplace, 0.99),
        i50.as_secs_f64() / g50.as_secs_f64(),
        ratios_inplace[ratios_inplace.len() / 2],
    );
    strace_count(&mut b);
}

/// Attaches strace to this process around 100 issues and counts fsyncs.
fn strace_count(b: &mut Bench) {
    let log = b.root.join("strace.log");
    let Ok(mut child) = std::process::Command::new("strace")
        .args(["-f", "-e", "trace=fsync,fdatasync", "-o"])
        .arg(&log)
        .args(["-p", &std::process::id().to_string()])
        .stderr(std::process::Stdio::null())
        .spawn()
    else {
        println!("strace not installed: fsync count not measured");
        return;
    };
    std::thread::sleep(Duration::from_millis(1500));
    const N: usize = 100;
    for _ in 0..N {
        b.issue();
    }
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: sending SIGINT to our own child process; strace detaches.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let n = text
        .lines()
        .filter(|l| l.contains("fsync(") || l.contains("fdatasync("))
        .count();
    println!(
        "strace: {n} fsync/fdatasync calls for {N} durable issues ({:.2} per receipt)",
        n as f64 / N as f64
    );
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let pairs = std::env::var("PAIRS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(2000);
    interleaved(pairs);
}
