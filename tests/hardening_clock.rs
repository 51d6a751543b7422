//! Issue 10, point 3: the clock. A receipt dated before the newest stored
//! receipt, the open episode's start or the newest audit entry since then
//! is refused (the PC's clock went
//! backwards), and a lock-out set while the clock was far ahead never runs
//! longer than its length. (That a release build ignores
//! `DOWNTIME_BILLING_NOW` is `clock::tests::only_a_debug_build_honours_the_pinned_clock`,
//! run with `cargo test --release --lib clock::`.)

mod receipts_support;

use receipts_support::*;

/// Breaks caught: no check of the clock against what is stored (a receipt
/// backdated by an hour is issued, numbered after a later one); the check
/// made only against receipts (the first receipt of an episode dated before
/// the episode opened is issued) or not against the audit trail (a receipt
/// dated before a later range addition is issued).
#[test]
fn a_receipt_dated_before_the_newest_receipt_or_the_episode_is_refused() {
    let env = ready();
    // Before the episode opened (NOW), with no receipt yet.
    let (code, v, err) = env.issue_at("cash1", "2026-11-22T09:00:00+08:00", &simple());
    assert_eq!(code, 5, "{err}");
    assert!(v.is_null());
    assert!(
        err.contains("clock went backwards") && err.contains("episode"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let (code, _, err) = env.issue_at("cash1", "2026-11-22T11:00:00+08:00", &simple());
    assert_eq!(code, 0, "{err}");
    // An hour back from the newest receipt.
    let (code, _, err) = env.issue_at("cash1", "2026-11-22T10:30:00+08:00", &simple());
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("newest stored receipt"), "{err}");
    // Nothing was stored, no number used.
    let (code, v, err) = env.issue_at("cash1", "2026-11-22T11:00:05+08:00", &simple());
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["number"], "MZ01-00000002");
    // An audit entry later than every receipt (a range added at 12:00):
    // a receipt at 11:30 is refused.
    let (code, _, err) = env.run_at(
        "admin",
        "2026-11-22T12:00:00+08:00",
        &[
            "range",
            "add",
            "--terminal",
            "MZ01",
            "--from",
            "101",
            "--to",
            "200",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = env.issue_at("cash1", "2026-11-22T11:30:00+08:00", &simple());
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("newest audit entry"), "{err}");
}

/// Break caught: a lock-out honoured as stored, so five wrong PINs typed
/// while the clock said 9999 lock the admin out for ever.
#[test]
fn a_lock_out_set_with_the_clock_far_ahead_lasts_its_length_only() {
    let env = setup();
    let ahead = "9999-01-01T00:00:00+08:00";
    for _ in 0..5 {
        let out = env
            .cmd("cash1", "739146")
            .env("DOWNTIME_BILLING_NOW", ahead)
            .args(["receipt", "list"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3));
    }
    // Back at the right time: still locked, but only for the lock-out's
    // length (5 minutes) from now.
    let (code, _, err) = env.run_at("cash1", NOW, &["receipt", "list"]);
    assert_eq!(code, 3, "{err}");
    assert!(!err.contains("9999"), "{err}");
    let later = "2026-11-22T10:21:00+08:00";
    let (code, _, err) = env.run_at("cash1", later, &["receipt", "list"]);
    assert_eq!(code, 0, "{err}");
}
