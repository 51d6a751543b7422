//! The HIS results file `reconcile --his-file` reads.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = downtime_billing_fuzz::checks::his_results(data);
});
