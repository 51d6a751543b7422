//! The journal target at scale: 1M receipts from 100 terminals merged at one
//! finance station (< 60 s, memory bounded). Too slow for criterion, so a
//! two-step run whose import step can be measured on its own (wall time and
//! peak RSS with `/usr/bin/time -v`):
//!
//! ```sh
//! cargo run --release --example journal_scale -- make /tmp/scale 100 10000
//! /usr/bin/time -v target/release/examples/journal_scale import /tmp/scale
//! rm -rf /tmp/scale
//! ```
//!
//! `make DIR [TERMINALS] [RECEIPTS_PER_TERMINAL]` sets up each terminal
//! through the library (one shared hospital key), bulk-fills it (the bench's
//! data path, `benches/support/finance_data.rs`), exports its journal to
//! `DIR/journals/` and deletes the terminal's database. `import DIR` sets up
//! a fresh finance station `DIR/CW01` and imports every journal in one
//! `journal::import_files` call, printing the time and the process's peak
//! RSS every ten journals, so a memory that grows with the count shows.

#[path = "../benches/support/finance_data.rs"]
mod finance_data;

use downtime_billing::finance::journal;
use finance_data::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn make(dir: &Path, terminals: u32, per: u64) {
    let journals = dir.join("journals");
    std::fs::create_dir_all(&journals).unwrap();
    let mut key_file: Option<PathBuf> = None;
    let t0 = Instant::now();
    for i in 1..=terminals {
        let code = format!("MZ{i:03}");
        let (dd, key, kf) = bulk_terminal(dir, &code, per, key_file.as_deref());
        export(&dd, &key, &journals.join(format!("{code}.journal")));
        std::fs::remove_dir_all(dir.join(&code)).unwrap();
        if key_file.is_none() {
            let kept = dir.join("hospital.key");
            std::fs::rename(&kf, &kept).unwrap();
            key_file = Some(kept);
        }
        if i % 10 == 0 {
            println!("{i} terminals made ({:.0} s)", t0.elapsed().as_secs_f64());
        }
    }
}

fn import(dir: &Path) {
    let station = dir.join("CW01");
    if station.exists() {
        std::fs::remove_dir_all(&station).unwrap();
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("journals"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "journal"))
        .collect();
    files.sort();
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    let key_file = dir.join("hospital.key");
    let key = downtime_billing::keys::SigningKey::load(&key_file).unwrap();
    let (dd, mut fin, s) = finance_station(dir, "CW01", &key_file);
    println!(
        "{} journals, {:.0} MB; peak RSS before importing {:.0} MB",
        files.len(),
        bytes as f64 / 1e6,
        peak_rss_mb()
    );
    let t0 = Instant::now();
    let mut done = 0u64;
    let mut receipts = 0u64;
    let mut collisions = 0usize;
    let mut progress = |_: u64, _: u64| {};
    for chunk in files.chunks(10) {
        let out =
            journal::import_files(&mut fin, &s, &clock(), &key, chunk, &mut progress).unwrap();
        for o in &out {
            receipts += o.receipts_added;
            collisions += o.collisions.len();
        }
        done += out.len() as u64;
        println!(
            "{done:>4} journals | {receipts:>8} receipts | {:>6.1} s | peak RSS {:.0} MB",
            t0.elapsed().as_secs_f64(),
            peak_rss_mb()
        );
    }
    let db = std::fs::metadata(dd.db_path())
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "imported {receipts} receipts from {done} journals in {:.2} s ({collisions} collisions); station database {:.0} MB",
        t0.elapsed().as_secs_f64(),
        db as f64 / 1e6
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.get(1).map(PathBuf::from);
    match (args.first().map(String::as_str), dir) {
        (Some("make"), Some(dir)) => {
            let terminals = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(100);
            let per = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(10_000);
            make(&dir, terminals, per);
        }
        (Some("import"), Some(dir)) => import(&dir),
        _ => {
            eprintln!("usage: journal_scale make DIR [TERMINALS] [PER_TERMINAL] | import DIR");
            std::process::exit(2);
        }
    }
}
