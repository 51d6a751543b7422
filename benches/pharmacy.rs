//! The pharmacy's scan: verifying a 10-line version 2 QR code and looking
//! its lines up in the 30k-item snapshot held in SQLite (names, drug or
//! not, what was already dispensed), as `pharmacy verify` does after the
//! scanner's Enter. Target: under 1 ms. The 30k list is imported once
//! through the library into a throw-away data directory; ten codes spread
//! over the list are signed with the terminal's key.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use downtime_billing::auth::{Role, Session};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::{Month, TerminalCode, UserName};
use downtime_billing::pharmacy;
use downtime_billing::receipts::qr::{self, QrMeta, QrPayload};
use downtime_billing::receipts::query::Kind;
use downtime_billing::setup::{SetupParams, setup};
use downtime_billing::store::{DataDir, Store};
use rust_decimal::Decimal;

const LIST_30K: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/price_list_2026-12_30k.csv"
);
const NOW: &str = "2026-12-05T10:15:03+08:00";

fn bench(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let dir = DataDir::new(tmp.path().join("data"));
    let clock = FixedClock::at(NOW);
    setup(
        &dir,
        &SetupParams {
            terminal: "YF01".into(),
            hospital: "测试医院".into(),
            admin: "admin".into(),
            admin_pin: "739146".into(),
            signing_key_file: None,
        },
        &clock,
    )
    .expect("setup");
    let admin = Session::new(
        UserName::parse("admin").expect("name"),
        &Role::ALL,
        TerminalCode::parse("YF01").expect("terminal"),
    );
    let mut store = Store::open(&dir).expect("store");
    downtime_billing::prices::import(
        &mut store,
        &admin,
        &clock,
        std::path::Path::new(LIST_30K),
        Month::parse("2026-12").expect("month"),
        &mut |_| {},
    )
    .expect("the shared 30k list imports");
    let key = downtime_billing::keys::wrap::unlock_dir(&dir, "admin", "739146").expect("key");

    // Ten codes spread over the list.
    let text = std::fs::read_to_string(LIST_30K).expect("the shared 30k list");
    let codes: Vec<String> = text
        .lines()
        .skip(1)
        .step_by(2_999)
        .take(10)
        .filter_map(|l| l.split(',').next().map(str::to_string))
        .collect();
    assert_eq!(codes.len(), 10);
    let code = qr::build(
        &QrPayload {
            number: "MZ01-00000017".into(),
            terminal: "MZ01".into(),
            issued_at: chrono::DateTime::parse_from_rfc3339(NOW).expect("time"),
            items: codes.iter().map(|c| (c.clone(), Decimal::TWO)).collect(),
            total: Decimal::new(123_456, 2),
            meta: Some(QrMeta {
                kind: Kind::Outpatient,
                insured: false,
                drill: false,
            }),
        },
        &key,
    );
    let checked = pharmacy::check_unchecked(store.conn(), &key, &code).expect("genuine");
    assert_eq!(checked.lines.len(), 10);
    assert!(checked.lines.iter().all(|l| l.name.is_some()));

    c.bench_function("pharmacy verify + look-up, 10 lines, 30k snapshot", |b| {
        b.iter(|| {
            black_box(
                pharmacy::check_unchecked(store.conn(), &key, black_box(&code)).expect("genuine"),
            )
        })
    });
    let forged = code.replacen("MZ01-00000017", "MZ01-00000018", 1);
    c.bench_function("pharmacy verify, forged code refused", |b| {
        b.iter(|| {
            black_box(pharmacy::check_unchecked(store.conn(), &key, black_box(&forged)).is_err())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
