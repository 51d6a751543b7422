//! Shared by the fuzz targets: the invariants (`checks`, also run by the
//! main crate's `tests/fuzz_regressions.rs` on every stored finding) and
//! the throw-away stations the database-backed targets need, built once
//! per fuzzing process.

pub mod checks;

/// libFuzzer's panic hook aborts on any panic, before it can unwind. The
/// price-list import catches a panic inside calamine (the third-party
/// workbook reader; fuzzing found a `u32` overflow on a long row number
/// there, a panic where overflow checks are on) and refuses the file:
/// such a panic is let unwind to that catch. Any other panic still aborts
/// and is a finding. Called once by the xlsx target.
pub fn let_calamine_panics_unwind() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info
            .location()
            .is_some_and(|l| l.file().contains("/calamine-"))
        {
            return;
        }
        previous(info);
    }));
}
