//! A scanned receipt code at the pharmacy (`pharmacy check CODE`).
#![no_main]
use downtime_billing_fuzz::checks::{QrBench, scratch_root};
use libfuzzer_sys::fuzz_target;
use std::sync::{Mutex, OnceLock};

static BENCH: OnceLock<Mutex<QrBench>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let bench = BENCH.get_or_init(|| Mutex::new(QrBench::new(&scratch_root("qr"))));
    let bench = match bench.lock() {
        Ok(b) => b,
        Err(poisoned) => poisoned.into_inner(),
    };
    let _ = bench.check(data);
});
