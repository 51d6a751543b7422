//! One source of "now", passed in, so deadlines, shifts and episodes can be
//! tested at any date. Time is local time with its offset.

use chrono::{DateTime, FixedOffset, Local};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<FixedOffset>;
}

/// The machine's local time. `DOWNTIME_BILLING_NOW` (RFC 3339) pins it, so
/// scripted acceptance runs and tests can stand on a chosen date.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<FixedOffset> {
        if let Ok(s) = std::env::var("DOWNTIME_BILLING_NOW")
            && let Ok(t) = DateTime::parse_from_rfc3339(s.trim())
        {
            return t;
        }
        Local::now().fixed_offset()
    }
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
