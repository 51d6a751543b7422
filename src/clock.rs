//! One source of "now", passed in, so deadlines, shifts and episodes can be
//! tested at any date. Time is local time with its offset.

use chrono::{DateTime, FixedOffset, Local};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<FixedOffset>;
}

/// The machine's local time. In a debug build (the test suite, `cargo
/// test`) `DOWNTIME_BILLING_NOW` (RFC 3339) pins it, so scripted runs and
/// tests can stand on a chosen date. A release build — what a hospital
/// installs — has no pinned clock at all: the variable is not read, its
/// name is not even in the binary, so nobody can backdate a receipt, open
/// an episode in the past or outwait a lock-out by setting it.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        pinned().unwrap_or_else(|| Local::now().fixed_offset())
    }
}

/// Whether this build honours `DOWNTIME_BILLING_NOW` (debug builds only).
pub const PINNED_CLOCK_HONOURED: bool = cfg!(debug_assertions);

fn pinned() -> Option<DateTime<FixedOffset>> {
    if !PINNED_CLOCK_HONOURED {
        return None;
    }
    pinned_from(std::env::var(PINNED_CLOCK_VAR).ok().as_deref())
}

/// The variable's name exists in debug builds only.
#[cfg(debug_assertions)]
const PINNED_CLOCK_VAR: &str = "DOWNTIME_BILLING_NOW";
#[cfg(not(debug_assertions))]
const PINNED_CLOCK_VAR: &str = "";

/// The pinned moment a value of the variable names: always `None` in a
/// release build.
fn pinned_from(value: Option<&str>) -> Option<DateTime<FixedOffset>> {
    if !PINNED_CLOCK_HONOURED {
        return None;
    }
    DateTime::parse_from_rfc3339(value?.trim()).ok()
}

/// A clock standing still at a given moment (tests).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<FixedOffset>);

impl FixedClock {
    /// Panics on a malformed literal: for tests only.
    pub fn at(rfc3339: &str) -> Self {
        FixedClock(DateTime::parse_from_rfc3339(rfc3339).expect("valid RFC 3339 literal"))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<FixedOffset> {
        self.0
    }
}

/// RFC 3339 with seconds and the local offset, as stored everywhere.
pub fn stamp(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test` (debug) honours the pinned clock; `cargo test --release
    /// --lib clock::` runs the same test against a release build and proves
    /// it ignores the variable.
    #[test]
    fn only_a_debug_build_honours_the_pinned_clock() {
        let t = pinned_from(Some("2001-02-03T04:05:06+08:00"));
        assert_eq!(t.is_some(), cfg!(debug_assertions));
        assert_eq!(PINNED_CLOCK_HONOURED, cfg!(debug_assertions));
        assert_eq!(PINNED_CLOCK_VAR.is_empty(), !cfg!(debug_assertions));
        assert_eq!(pinned_from(Some("not a time")), None);
    }
}
