//! Holiday calendar files (`calendar import`), then deadlines under them.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = downtime_billing_fuzz::checks::calendar(data);
});
