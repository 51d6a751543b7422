//! Receipt PDF rendering: `print::render` on the realistic 10-line receipt
//! (both layouts, criterion), and side by side with the Python reportlab
//! peer rendering the same receipt (benches/reportlab_receipt.py) in
//! interleaved rounds of the same run, reporting p50/p99 and sizes.
//!
//! The peer runs when a python with reportlab is found: `$REPORTLAB_PYTHON`
//! if set, else `python3` on the PATH. For example:
//!
//!     python3 -m venv /tmp/rl && /tmp/rl/bin/pip install reportlab
//!     REPORTLAB_PYTHON=/tmp/rl/bin/python cargo bench --bench receipt_pdf

#[path = "../tests/print_sample/mod.rs"]
mod print_sample;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::Criterion;
use downtime_billing::print::{Layout, ReceiptDoc, render};

const ROUNDS: usize = 10;
const PER_ROUND: usize = 50;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// CPU time of the calling thread: what a render costs without the time
/// the shared machine's scheduler gave to other processes.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Wall-clock and thread CPU time of one call.
fn timed<T>(f: impl FnOnce() -> T) -> (Duration, Duration) {
    let (w, c) = (Instant::now(), thread_cpu());
    std::hint::black_box(f());
    (w.elapsed(), thread_cpu() - c)
}

#[derive(Default)]
struct Samples {
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
}

impl Samples {
    fn push(&mut self, (w, c): (Duration, Duration)) {
        self.wall.push(w);
        self.cpu.push(c);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A python interpreter that can import reportlab, if any.
fn reportlab_python() -> Option<String> {
    let candidates = std::env::var("REPORTLAB_PYTHON")
        .ok()
        .into_iter()
        .chain(["python3".to_string()]);
    for py in candidates {
        let ok = Command::new(&py)
            .args(["-c", "import reportlab"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(py);
        }
    }
    None
}

struct Peer {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
}

impl Peer {
    fn start(py: &str, doc: &ReceiptDoc, dir: &Path) -> Option<Peer> {
        let json = dir.join("receipt.json");
        std::fs::write(&json, serde_json::to_vec(doc).ok()?).ok()?;
        let root = env!("CARGO_MANIFEST_DIR");
        let mut child = Command::new(py)
            .arg(format!("{root}/benches/reportlab_receipt.py"))
            .arg(&json)
            .arg(format!("{root}/assets/fonts/DroidSansFallbackFull.ttf"))
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let out = BufReader::new(child.stdout.take()?);
        Some(Peer { child, out })
    }

    /// Renders `n` receipts in the peer; their times and the PDF size.
    fn round(&mut self, n: usize, qr_cached: bool) -> Option<(Samples, usize)> {
        let extra = if qr_cached { " cached" } else { "" };
        writeln!(self.child.stdin.as_mut()?, "{n}{extra}").ok()?;
        let mut line = String::new();
        self.out.read_line(&mut line).ok()?;
        let v: serde_json::Value = serde_json::from_str(&line).ok()?;
        let list = |key: &str| -> Option<Vec<Duration>> {
            Some(
                v[key]
                    .as_array()?
                    .iter()
                    .filter_map(|x| x.as_u64())
                    .map(Duration::from_nanos)
                    .collect(),
            )
        };
        let samples = Samples {
            wall: list("ns")?,
            cpu: list("cpu_ns")?,
        };
        Some((samples, v["size"].as_u64()? as usize))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(stdin) = self.child.stdin.as_mut() {
            let _ = writeln!(stdin, "q");
        }
        let _ = self.child.wait();
    }
}

/// Prints p50/p99 of wall-clock and CPU time; returns (wall p50, wall p99).
fn report(name: &str, s: &Samples, size: usize) -> (f64, f64) {
    let (mut wall, mut cpu) = (s.wall.clone(), s.cpu.clone());
    wall.sort();
    cpu.sort();
    let (p50, p99) = (ms(percentile(&wall, 0.5)), ms(percentile(&wall, 0.99)));
    println!(
        "{name:<26} n={:<4} wall p50 {p50:>7.3} ms p99 {p99:>7.3} ms | cpu p50 {:>7.3} ms p99 {:>7.3} ms | {:>6} B ({:.1} KB)",
        wall.len(),
        ms(percentile(&cpu, 0.5)),
        ms(percentile(&cpu, 0.99)),
        size,
        size as f64 / 1024.0
    );
    (p50, p99)
}

/// Interleaved rounds: the machine is shared and noisy, so both renderers
/// see the same conditions.
fn side_by_side(doc: &ReceiptDoc) {
    let dir = std::env::temp_dir().join(format!("receipt_pdf_bench_{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let mut peer = match reportlab_python() {
        Some(py) => Peer::start(&py, doc, &dir),
        None => {
            println!("note: no python with reportlab found (set REPORTLAB_PYTHON); peer skipped");
            None
        }
    };
    // Warm-up: the font is parsed once per process on both sides.
    let size = render(doc, Layout::Roll80).map(|p| p.len()).unwrap_or(0);
    let a5_size = render(doc, Layout::A5).map(|p| p.len()).unwrap_or(0);
    if let Some(p) = peer.as_mut()
        && p.round(20, false).is_none()
    {
        println!("note: reportlab peer did not answer; peer skipped");
        peer = None;
    }
    let (mut ours, mut ours_a5) = (Samples::default(), Samples::default());
    let (mut theirs, mut theirs_cached) = (Samples::default(), Samples::default());
    let mut peer_size = 0;
    for _ in 0..ROUNDS {
        for _ in 0..PER_ROUND {
            ours.push(timed(|| render(doc, Layout::Roll80)));
        }
        for _ in 0..PER_ROUND {
            ours_a5.push(timed(|| render(doc, Layout::A5)));
        }
        if let Some(p) = peer.as_mut()
            && let Some((s, size)) = p.round(PER_ROUND, false)
        {
            theirs.wall.extend(s.wall);
            theirs.cpu.extend(s.cpu);
            peer_size = size;
        }
        if let Some(p) = peer.as_mut()
            && let Some((s, _)) = p.round(PER_ROUND, true)
        {
            theirs_cached.wall.extend(s.wall);
            theirs_cached.cpu.extend(s.cpu);
        }
    }
    println!("\nreceipt PDF, 10 lines, two copies (patient + stub), interleaved rounds:");
    let (ours_p50, ours_p99) = report("printpdf roll80 (ours)", &ours, size);
    report("printpdf A5 (ours)", &ours_a5, a5_size);
    if !theirs.wall.is_empty() {
        let (their_p50, their_p99) = report("reportlab roll80 (peer)", &theirs, peer_size);
        report("  peer, QR encoded once", &theirs_cached, peer_size);
        println!(
            "ratio peer/ours (roll80, wall): p50 {:.2}x  p99 {:.2}x  size {:.2}x",
            their_p50 / ours_p50,
            their_p99 / ours_p99,
            peer_size as f64 / size.max(1) as f64
        );
    }
    println!();
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let doc = print_sample::receipt();
    side_by_side(&doc);
    let mut c = Criterion::default().configure_from_args();
    c.bench_function("receipt_pdf/roll80", |b| {
        b.iter(|| render(std::hint::black_box(&doc), Layout::Roll80))
    });
    c.bench_function("receipt_pdf/a5", |b| {
        b.iter(|| render(std::hint::black_box(&doc), Layout::A5))
    });
    c.final_summary();
}
