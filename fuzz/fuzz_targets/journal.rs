//! A terminal journal imported at the finance station (`journal import`).
#![no_main]
use downtime_billing_fuzz::checks::{JournalBench, scratch_root};
use libfuzzer_sys::fuzz_target;
use std::sync::{Mutex, OnceLock};

static BENCH: OnceLock<Mutex<JournalBench>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let bench = BENCH.get_or_init(|| Mutex::new(JournalBench::new(&scratch_root("journal"))));
    let mut bench = match bench.lock() {
        Ok(b) => b,
        Err(poisoned) => poisoned.into_inner(),
    };
    let _ = bench.check(data);
});
