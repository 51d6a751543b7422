//! Price-list import, xlsx reader: `prices::analyse_bytes` as
//! `prices import` and the admin import screen call it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(downtime_billing_fuzz::let_calamine_panics_unwind);
    let _ = downtime_billing_fuzz::checks::prices("fuzz.xlsx", data);
});
