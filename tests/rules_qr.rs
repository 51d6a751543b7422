//! The signed QR payload's version-2 fields, round-tripped for every kind
//! and payer type through the library (`qr::build` then
//! `qr::parse_and_verify`), and its refusals worded in both languages:
//! what mutation testing (`cargo mutants` on `src/receipts/qr.rs`) found
//! the unit tests left unchecked.

use downtime_billing::error::UserFacing;
use downtime_billing::i18n::Lang;
use downtime_billing::keys::SigningKey;
use downtime_billing::receipts::qr::{self, QrError, QrMeta, QrPayload};
use downtime_billing::receipts::query::Kind;
use rust_decimal::Decimal;

fn payload(kind: Kind, insured: bool, drill: bool) -> QrPayload {
    let credit = kind == Kind::CreditNote;
    let items = match kind {
        Kind::Deposit => vec![],
        _ => vec![(
            "250189771-d".to_string(),
            Decimal::new(if credit { -2 } else { 2 }, 0),
        )],
    };
    QrPayload {
        number: "MZ01-00000017".into(),
        terminal: "MZ01".into(),
        issued_at: chrono::DateTime::parse_from_rfc3339("2026-11-22T10:15:03+08:00").unwrap(),
        items,
        total: Decimal::new(if credit { -1360 } else { 1360 }, 2),
        meta: Some(QrMeta {
            kind,
            insured,
            drill,
        }),
    }
}

/// Break it catches (surviving mutants of `qr::kind_of` and
/// `QrMeta::payer_type`): a kind code no longer read back (registration,
/// deposit or credit note verified as another kind), or the payer type
/// reported as an empty or made-up word.
#[test]
fn every_kind_and_payer_type_survives_the_round_trip() {
    let key = SigningKey::generate();
    for kind in [
        Kind::Outpatient,
        Kind::Registration,
        Kind::Deposit,
        Kind::CreditNote,
    ] {
        for insured in [false, true] {
            for drill in [false, true] {
                let p = payload(kind, insured, drill);
                let text = qr::build(&p, &key);
                let back = qr::parse_and_verify(&text, &key)
                    .unwrap_or_else(|e| panic!("{kind:?} {insured} {drill}: {e}: {text}"));
                assert_eq!(back, p, "{text}");
                let meta = back.meta.unwrap();
                assert_eq!(meta.kind, kind, "{text}");
                assert_eq!(
                    meta.payer_type(),
                    if insured {
                        "insured_full_pay"
                    } else {
                        "self_pay"
                    }
                );
            }
        }
    }
}

/// Break it catches (surviving mutants of `QrError`'s `message`): a
/// refusal shown to the pharmacist as an empty or meaningless text.
#[test]
fn refusals_are_worded_in_both_languages() {
    let key = SigningKey::generate();
    let text = qr::build(&payload(Kind::Outpatient, false, false), &key);
    let other = SigningKey::generate();
    let e = qr::parse_and_verify(&text, &other).unwrap_err();
    assert_eq!(e, QrError::BadSignature);
    assert!(
        e.message(Lang::En).contains("signature"),
        "{}",
        e.message(Lang::En)
    );
    assert!(
        e.message(Lang::Zh).contains("签名不符"),
        "{}",
        e.message(Lang::Zh)
    );
    let e = qr::parse_and_verify("HELLO", &key).unwrap_err();
    assert!(
        e.message(Lang::Zh).contains("不是本系统"),
        "{}",
        e.message(Lang::Zh)
    );
    assert!(
        e.message(Lang::En).contains("not a receipt code"),
        "{}",
        e.message(Lang::En)
    );
    let truncated = &text[..text.len() - 40];
    let e = qr::parse_and_verify(truncated, &key).unwrap_err();
    assert!(!e.message(Lang::Zh).is_empty() && !e.message(Lang::En).is_empty());
    assert_ne!(e.message(Lang::Zh), "xyzzy");
}

/// Break it catches (surviving mutants of `qr::parse_and_verify` and
/// `format_time`): the tag check's `||` turned into `&&` (a tag of the
/// wrong length, or in lower case, then reaches the signature check and is
/// reported as forged rather than malformed, or is accepted); a UTC time
/// written `-0000` instead of `+0000`.
#[test]
fn the_tag_must_be_32_upper_case_hex_digits_and_utc_is_plus() {
    let key = SigningKey::generate();
    let text = qr::build(&payload(Kind::Outpatient, false, false), &key);
    let (body, tag) = text.rsplit_once(':').unwrap();
    assert_eq!(tag.len(), 32);
    let short = format!("{body}:{}", &tag[..30]);
    assert_eq!(
        qr::parse_and_verify(&short, &key).unwrap_err(),
        QrError::Malformed("tag")
    );
    let lower = format!("{body}:{}", tag.to_ascii_lowercase());
    if lower != text {
        assert_eq!(
            qr::parse_and_verify(&lower, &key).unwrap_err(),
            QrError::Malformed("tag")
        );
    }
    let mut utc = payload(Kind::Outpatient, false, false);
    utc.issued_at = chrono::DateTime::parse_from_rfc3339("2026-11-22T02:15:03+00:00").unwrap();
    let text = qr::build(&utc, &key);
    assert!(text.contains(":20261122021503+0000:"), "{text}");
    assert_eq!(qr::parse_and_verify(&text, &key).unwrap(), utc);
}

/// Break it catches (surviving mutant of `qr::is_alphanumeric_set`):
/// always true, so a payload with characters a keyboard-wedge scanner
/// mangles (lower case, Chinese) would pass the check.
#[test]
fn only_the_qr_alphanumeric_set_passes() {
    let key = SigningKey::generate();
    for kind in [Kind::Outpatient, Kind::CreditNote, Kind::Deposit] {
        let text = qr::build(&payload(kind, true, true), &key);
        assert!(qr::is_alphanumeric_set(&text), "{text}");
    }
    for bad in ["abc", "DB2:mz01", "张三", "A_B", "A\tB"] {
        assert!(!qr::is_alphanumeric_set(bad), "{bad}");
    }
}
