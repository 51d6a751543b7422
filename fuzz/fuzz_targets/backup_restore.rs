//! A backup file as `restore` checks it before touching anything.
#![no_main]
use downtime_billing_fuzz::checks::{BackupBench, scratch_root};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static BENCH: OnceLock<BackupBench> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let bench = BENCH.get_or_init(|| BackupBench::new(&scratch_root("backup")));
    let _ = bench.check(data);
});
