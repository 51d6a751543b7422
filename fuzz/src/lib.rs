//! Shared by the fuzz targets: the invariants (`checks`, also run by the
//! main crate's `tests/fuzz_regressions.rs` on every stored finding) and
//! the throw-away stations the database-backed targets need, built once
//! per fuzzing process.

pub mod checks;
