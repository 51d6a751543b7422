//! The void and refund rules driven through the library, no binary: who
//! may void what (`check_voidable`), which quantities and amounts a credit
//! note may give back (`refund_lines`), dispensed drug lines only against
//! the pharmacy's return confirmation, who may reprint. Written to kill
//! what mutation testing (`cargo mutants` on `src/receipts/events.rs`)
//! found alive: the CLI tests of these rules relink the binary per mutant,
//! these run in seconds.

#[path = "finance_support/mod.rs"]
mod finance_support;

use downtime_billing::auth::{Role, users};
use downtime_billing::receipts::{
    self, IssuedReceipt, ReceiptError, RefundLine, RefundRequest, episodes,
};
use finance_support::{BOSS_PIN, DRUG, DRUG2, Hospital, NOW, PIN, Term, at};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A drug sold by the capsule at 0.2833 (amounts round per line).
const CAPSULE: &str = "XJ01CA004A00005";
/// 党参, a 中草药 by the gram at 0.2460.
const HERB: &str = "T01010003";

fn station(drill: bool) -> (Hospital, Term) {
    let (h, _cw) = Hospital::new();
    let mut t = h.terminal("MZ01", "mz");
    t.ready(1, 100, NOW, drill);
    (h, t)
}

fn refund(
    t: &mut Term,
    user: &str,
    number: &str,
    lines: &[(u32, Option<&str>)],
) -> Result<IssuedReceipt, ReceiptError> {
    let s = t.session(user);
    let key = t.key.clone();
    let req = RefundRequest {
        number: number.into(),
        lines: lines
            .iter()
            .map(|(line, q)| RefundLine {
                line: *line,
                qty: q.map(|q| Decimal::from_str(q).unwrap()),
            })
            .collect(),
        reason: " patient left ".into(),
    };
    receipts::refund(&mut t.store, &s, &at(NOW), &key, &req, "boss", BOSS_PIN)
}

fn void(t: &mut Term, user: &str, number: &str, reason: &str) -> Result<(), ReceiptError> {
    let s = t.session(user);
    receipts::void(&mut t.store, &s, &at(NOW), number, reason, "boss", BOSS_PIN).map(|_| ())
}

/// (qty, amount, refers_line) of each credit-note line.
fn note_lines(r: &IssuedReceipt) -> Vec<(String, String, Option<u32>)> {
    r.receipt
        .lines
        .iter()
        .map(|l| (l.qty.clone(), l.amount.to_string(), l.refers_line))
        .collect()
}

fn exceeds(e: ReceiptError) -> (u32, String, String) {
    match e {
        ReceiptError::RefundExceeds {
            line, asked, left, ..
        } => (line, asked, left),
        other => panic!("expected RefundExceeds, got {other:?}"),
    }
}

/// Breaks it catches in `refund_lines`: a line not on the receipt or no
/// line at all accepted, more than what remains refundable (or zero)
/// accepted, `qty > left` → `>=` (refunding exactly what is left
/// refused), the same line named twice in one request not added up
/// (`already`, `== rl.line` → `!=`, `- already` → `+`), a drug refunded
/// in fractions (`!= ChineseHerb` → `==`, `&&` → `||`, `!` deleted), the
/// partial amount not price × quantity rounded per line or the whole
/// line not exactly what was paid (`qty == line qty` → `!=`), a credit
/// note refunded; `need_reason` not trimming.
#[test]
fn a_credit_note_gives_back_at_most_what_remains_at_the_line_price() {
    let (_h, mut t) = station(false);
    let n = t.issue(
        NOW,
        &[(DRUG, "3"), (CAPSULE, "3"), (HERB, "10")],
        false,
        "张三",
    );
    for bad in [vec![(9, None)], vec![]] {
        let e = refund(&mut t, "admin", &n, &bad).unwrap_err();
        assert!(matches!(e, ReceiptError::Invalid { .. }), "{bad:?}: {e:?}");
    }
    let e = refund(&mut t, "admin", &n, &[(1, Some("4"))]).unwrap_err();
    assert_eq!(exceeds(e), (1, "4".into(), "3".into()));
    let e = refund(&mut t, "admin", &n, &[(1, Some("0"))]).unwrap_err();
    assert_eq!(exceeds(e).0, 1);
    let e = refund(&mut t, "admin", &n, &[(1, Some("2")), (1, Some("2"))]).unwrap_err();
    assert_eq!(exceeds(e), (1, "2".into(), "1".into()));
    let e = refund(&mut t, "admin", &n, &[(1, Some("1.5"))]).unwrap_err();
    assert!(matches!(e, ReceiptError::Invalid { .. }), "{e:?}");

    // one capsule of three (0.2833 → 0.28) and 2.5 g of the herb
    // (0.615 → 0.62): a herb may be refunded by the fraction
    let r = refund(&mut t, "admin", &n, &[(2, Some("1")), (3, Some("2.5"))]).unwrap();
    assert_eq!(
        note_lines(&r),
        [
            ("-1".into(), "-0.28".into(), Some(2)),
            ("-2.5".into(), "-0.62".into(), Some(3))
        ]
    );
    assert_eq!(r.receipt.total.to_string(), "-0.90");
    assert_eq!(r.receipt.reason.as_deref(), Some("patient left"));
    // the drug line whole, and the rest of the capsules: 2 × 0.2833 → 0.57
    let r = refund(&mut t, "admin", &n, &[(1, None), (2, Some("2"))]).unwrap();
    assert_eq!(
        note_lines(&r),
        [
            ("-3".into(), "-20.40".into(), Some(1)),
            ("-2".into(), "-0.57".into(), Some(2))
        ]
    );
    let e = refund(&mut t, "admin", &n, &[(1, None)]).unwrap_err();
    assert_eq!(exceeds(e), (1, "0".into(), "0".into()));
    // 7 g (1.722 → 1.72), then exactly the 0.5 g left (0.123 → 0.12)
    let r = refund(&mut t, "admin", &n, &[(3, Some("7"))]).unwrap();
    assert_eq!(note_lines(&r), [("-7".into(), "-1.72".into(), Some(3))]);
    let r = refund(&mut t, "admin", &n, &[(3, Some("0.5"))]).unwrap();
    assert_eq!(note_lines(&r), [("-0.5".into(), "-0.12".into(), Some(3))]);
    // a credit note is not refunded, nor voided
    let note = r.receipt.number.clone();
    assert!(matches!(
        refund(&mut t, "admin", &note, &[(1, None)]).unwrap_err(),
        ReceiptError::IsCreditNote(_)
    ));
    assert!(matches!(
        void(&mut t, "admin", &note, "x").unwrap_err(),
        ReceiptError::IsCreditNote(_)
    ));
    // a refunded receipt is no longer voided
    assert!(matches!(
        void(&mut t, "admin", &n, "x").unwrap_err(),
        ReceiptError::HasRefunds(_)
    ));
}

/// Breaks it catches: a dispensed drug line refunded without the
/// pharmacy's return (`refunded > allowed` → `>=`/`==`/`<`, the
/// `dispensed`/`returned`/`already` terms' signs), the quantity still to
/// be returned misreported (`refunded - allowed` → `+`), a dispensed
/// receipt voided.
#[test]
fn a_dispensed_line_is_refunded_only_as_far_as_the_pharmacy_took_it_back() {
    let (_h, mut t) = station(false);
    let n = t.issue(NOW, &[(DRUG, "3"), (DRUG2, "2")], false, "张三");
    t.dispense(&n, 1, DRUG, "3", "dispensed");
    assert!(matches!(
        void(&mut t, "admin", &n, "x").unwrap_err(),
        ReceiptError::Dispensed(_)
    ));
    let needs = |e: ReceiptError| match e {
        ReceiptError::NeedsReturn { line, qty, .. } => (line, qty),
        other => panic!("expected NeedsReturn, got {other:?}"),
    };
    assert_eq!(
        needs(refund(&mut t, "admin", &n, &[(1, Some("2"))]).unwrap_err()),
        (1, "2".into())
    );
    t.dispense(&n, 1, DRUG, "1", "return_confirmed");
    assert_eq!(
        needs(refund(&mut t, "admin", &n, &[(1, Some("1")), (1, Some("1"))]).unwrap_err()),
        (1, "1".into())
    );
    let r = refund(&mut t, "admin", &n, &[(1, Some("1"))]).unwrap();
    assert_eq!(note_lines(&r), [("-1".into(), "-6.80".into(), Some(1))]);
    assert_eq!(
        needs(refund(&mut t, "admin", &n, &[(1, Some("1"))]).unwrap_err()),
        (1, "1".into())
    );
    // the line never dispensed is refunded freely
    let r = refund(&mut t, "admin", &n, &[(2, None)]).unwrap();
    assert_eq!(note_lines(&r), [("-2".into(), "-23.00".into(), Some(2))]);
}

/// Breaks it catches in `check_voidable`/`void`: another cashier's receipt
/// voided (`!=` → `==`), a void not recorded (`insert_event` answering a
/// made-up id), voided twice, a voided receipt refunded, an empty reason
/// accepted or the reason not trimmed (`need_reason`).
#[test]
fn only_the_cashier_voids_their_receipt_once_with_a_reason() {
    let (_h, mut t) = station(false);
    let admin = t.session("admin");
    users::add_user(
        &mut t.store,
        &admin,
        &at(NOW),
        "cash2",
        &[Role::Cashier],
        PIN,
    )
    .unwrap();
    let n = t.issue(NOW, &[(DRUG, "1")], false, "张三");
    assert!(matches!(
        void(&mut t, "cash2", &n, "wrong").unwrap_err(),
        ReceiptError::NotOwn { .. }
    ));
    assert!(matches!(
        void(&mut t, "admin", &n, "  ").unwrap_err(),
        ReceiptError::Invalid { .. }
    ));
    void(&mut t, "admin", &n, "  wrong item ").unwrap();
    let v = receipts::show(t.store.conn(), &n).unwrap();
    assert!(v.is_voided());
    let e = v.events.iter().find(|e| e.kind == "void").unwrap();
    assert_eq!(
        (
            e.reason.as_deref(),
            e.supervisor.as_deref(),
            e.user.as_str()
        ),
        (Some("wrong item"), Some("boss"), "admin")
    );
    assert!(matches!(
        void(&mut t, "admin", &n, "again").unwrap_err(),
        ReceiptError::AlreadyVoided(_)
    ));
    assert!(matches!(
        refund(&mut t, "admin", &n, &[(1, None)]).unwrap_err(),
        ReceiptError::AlreadyVoided(_)
    ));
}

/// Breaks it catches in `reprint`: a pharmacist reprinting (either `!`
/// deleted), finance refused (`&&` → `||`), the copy not counted; in
/// `reprint_pdf` no PDF.
#[test]
fn cashiers_and_finance_reprint_counted_copies() {
    let (_h, mut t) = station(false);
    let admin = t.session("admin");
    users::add_user(&mut t.store, &admin, &at(NOW), "fin", &[Role::Finance], PIN).unwrap();
    users::add_user(
        &mut t.store,
        &admin,
        &at(NOW),
        "ph",
        &[Role::Pharmacist],
        PIN,
    )
    .unwrap();
    let n = t.issue(NOW, &[(DRUG, "1")], false, "张三");
    let ph = t.session("ph");
    assert!(receipts::reprint(&mut t.store, &ph, &at(NOW), &n).is_err());
    let fin = t.session("fin");
    let (v, _) = receipts::reprint(&mut t.store, &fin, &at(NOW), &n).unwrap();
    assert_eq!((v.number.as_str(), v.reprints), (n.as_str(), 1));
    let (v, pdf, path) = receipts::reprint_pdf(&mut t.store, &admin, &at(NOW), &n).unwrap();
    assert_eq!(v.reprints, 2);
    assert!(pdf.starts_with(b"%PDF"));
    assert_eq!(std::fs::read(&path).unwrap(), pdf);
}

/// Break it catches in `refund`: the credit note of a drill receipt
/// refunded after the drill episode closed counted as real money
/// (`v.drill || episode.drill` → `&&`).
#[test]
fn a_drill_receipt_refunded_in_a_real_episode_stays_a_drill() {
    let (_h, mut t) = station(true);
    let n = t.issue(NOW, &[(DRUG, "1")], false, "张三");
    let admin = t.session("admin");
    episodes::close(&mut t.store, &admin, &at(NOW)).unwrap();
    episodes::open(
        &mut t.store,
        &admin,
        &at(NOW),
        episodes::Level::II,
        "HIS down",
        episodes::EpisodeKind::Real,
    )
    .unwrap();
    let r = refund(&mut t, "admin", &n, &[(1, None)]).unwrap();
    assert!(r.receipt.drill);
    let real = t.issue(NOW, &[(DRUG, "1")], false, "李四");
    let r = refund(&mut t, "admin", &real, &[(1, None)]).unwrap();
    assert!(!r.receipt.drill);
}

/// A line refunded in parts never gives back more than was paid for it:
/// 10 g of 党参 at 0.2460 paid 2.46; 2.5 g gives back 0.62 (0.615 rounded)
/// and the last 7.5 g gives back what is left, 1.84 — its own rounding
/// (1.845 → 1.85) would pay out 2.47 in all. The same holds when both
/// parts are asked in one request.
///
/// Break it catches: the last part refund priced at its own rounding
/// instead of what is left of the line's amount (`part_refund_amount`
/// returning `own` for the last part), which gives back one fen more than
/// the patient paid.
#[test]
fn a_line_refunded_in_parts_gives_back_exactly_what_was_paid() {
    let (_h, mut t) = station(false);
    let n = t.issue(NOW, &[(HERB, "10")], false, "张三");
    let r = refund(&mut t, "admin", &n, &[(1, Some("2.5"))]).unwrap();
    assert_eq!(note_lines(&r), [("-2.5".into(), "-0.62".into(), Some(1))]);
    let r = refund(&mut t, "admin", &n, &[(1, Some("7.5"))]).unwrap();
    assert_eq!(note_lines(&r), [("-7.5".into(), "-1.84".into(), Some(1))]);

    let n = t.issue(NOW, &[(HERB, "10")], false, "李四");
    let r = refund(&mut t, "admin", &n, &[(1, Some("2.5")), (1, Some("7.5"))]).unwrap();
    assert_eq!(
        note_lines(&r),
        [
            ("-2.5".into(), "-0.62".into(), Some(1)),
            ("-7.5".into(), "-1.84".into(), Some(1))
        ]
    );
    assert_eq!(r.receipt.total.to_string(), "-2.46");
}
