//! Price-list import, json reader: `prices::analyse_bytes` as
//! `prices import` and the admin import screen call it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = downtime_billing_fuzz::checks::prices("fuzz.json", data);
});
