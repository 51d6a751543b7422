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
    fn round(&mut self, n: usize, qr_cached: bool) -> Option<(Vec<Duration>, usize)> {
        let extra = if qr_cached { " cached" } else { "" };
        writeln!(self.child.stdin.as_mut()?, "{n}{extra}").ok()?;
        let mut line = String::new();
        self.out.read_line(&mut line).ok()?;
        let v: serde_json::Value = serde_json::from_str(&line).ok()?;
        let ns = v["ns"]
            .as_array()?
            .iter()
            .filter_map(|x| x.as_u64())
            .map(Duration::from_nanos)
            .collect();
        Some((ns, v["size"].as_u64()? as usize))
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

fn report(name: &str, mut t: Vec<Duration>, size: usize) -> Duration {
    t.sort();
    let (p50, p99) = (percentile(&t, 0.5), percentile(&t, 0.99));
    println!(
        "{name:<28} n={:<5} p50 {:>7.3} ms   p99 {:>7.3} ms   size {:>6} B ({:.1} KB)",
        t.len(),
        ms(p50),
        ms(p99),
        size,
        size as f64 / 1024.0
    );
    p99
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
    let (mut ours, mut ours_a5, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    let mut theirs_cached = Vec::new();
    let mut peer_size = 0;
    for _ in 0..ROUNDS {
        for _ in 0..PER_ROUND {
            let t = Instant::now();
            let pdf = render(doc, Layout::Roll80);
            ours.push(t.elapsed());
            std::hint::black_box(pdf.ok());
        }
        for _ in 0..PER_ROUND {
            let t = Instant::now();
            let pdf = render(doc, Layout::A5);
            ours_a5.push(t.elapsed());
            std::hint::black_box(pdf.ok());
        }
        if let Some(p) = peer.as_mut()
            && let Some((ns, s)) = p.round(PER_ROUND, false)
        {
            theirs.extend(ns);
            peer_size = s;
        }
        if let Some(p) = peer.as_mut()
            && let Some((ns, _)) = p.round(PER_ROUND, true)
        {
            theirs_cached.extend(ns);
        }
    }
    println!("\nreceipt PDF, 10 lines, two copies (patient + stub), interleaved rounds:");
    let ours_p99 = report("printpdf roll80 (ours)", ours.clone(), size);
    report("printpdf A5 (ours)", ours_a5, a5_size);
    if !theirs.is_empty() {
        let their_p99 = report("reportlab roll80 (peer)", theirs.clone(), peer_size);
        report("  peer, QR encoded once", theirs_cached, peer_size);
        ours.sort();
        theirs.sort();
        let p50 = ms(percentile(&theirs, 0.5)) / ms(percentile(&ours, 0.5));
        let p99 = ms(their_p99) / ms(ours_p99);
        println!(
            "ratio peer/ours: p50 {p50:.2}x  p99 {p99:.2}x  size {:.2}x",
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
