//! Data for the finance benchmarks (`benches/finance.rs`) and the
//! 100-terminal scale run (`examples/journal_scale.rs`): terminals set up
//! through the library (setup, range, episode) and then filled by a
//! prepared-statement bulk path that exists only here, so 100k receipts are
//! made in seconds rather than issued one by one.

#![allow(dead_code)]

use downtime_billing::auth::{self, Role, Session};
use downtime_billing::clock::FixedClock;
use downtime_billing::keys::SigningKey;
use downtime_billing::receipts;
use downtime_billing::setup::{SetupParams, setup};
use downtime_billing::store::{DataDir, Store};
use std::path::{Path, PathBuf};

pub const NOW: &str = "2026-11-22T10:15:03+08:00";
/// Not a trivial PIN (those are refused at setup).
pub const PIN: &str = "739146";

pub fn clock() -> FixedClock {
    FixedClock::at(NOW)
}

pub fn terminal(root: &Path, code: &str, key: Option<&Path>) -> (DataDir, Store, Session) {
    let dd = DataDir::new(root.join(code));
    setup(
        &dd,
        &SetupParams {
            terminal: code.into(),
            hospital: "测试医院".into(),
            admin: "admin".into(),
            admin_pin: PIN.into(),
            signing_key_file: key.map(Path::to_path_buf),
        },
        &clock(),
    )
    .unwrap();
    let mut store = Store::open(&dd).unwrap();
    let t = downtime_billing::setup::terminal_code(&store).unwrap();
    let s = auth::login(store.conn_mut(), "admin", PIN, &t, &clock()).unwrap();
    (dd, store, s)
}

/// A terminal holding `n` receipts (2 lines, 1 payment each; every 50th
/// voided), bulk-inserted in one transaction; `key_file`: the hospital key
/// to set it up with (None: a new one). Returns its data directory, the
/// key, and the key's file.
pub fn bulk_terminal(
    root: &Path,
    code: &str,
    n: u64,
    key_file: Option<&Path>,
) -> (DataDir, SigningKey, PathBuf) {
    let (dd, mut store, s) = terminal(root, code, key_file);
    receipts::ranges::add(&mut store, &s, &clock(), code, 1, n + 10).unwrap();
    receipts::episodes::open(
        &mut store,
        &s,
        &clock(),
        receipts::episodes::Level::II,
        "bench",
        receipts::episodes::EpisodeKind::Real,
    )
    .unwrap();
    let tx = store.write().unwrap();
    {
        let mut r = tx
            .prepare(
                "INSERT INTO receipts(number, terminal, seq, range_id, episode_id, drill, kind,
                    issued_at, cashier, patient_name, patient_json, payer_type, department, doctor,
                    snapshot_month, total_fen, change_fen, deadline, qr_payload)
                 VALUES (?1, ?2, ?3, 1, 1, 0, 'outpatient', ?4, 'admin', ?5, ?6, 'self_pay',
                         '内科', '李明', '2026-11', ?7, 0, '2026-12-14', ?8)",
            )
            .unwrap();
        let mut l = tx
            .prepare(
                "INSERT INTO receipt_lines(receipt_id, line_no, code, name, spec, unit, unit_price,
                    qty, amount_fen, category)
                 VALUES (?1, ?2, ?3, '阿莫西林胶囊', '0.25g*24粒', '盒', '6.80', '2', 1360, '西药')",
            )
            .unwrap();
        let mut p = tx
            .prepare(
                "INSERT INTO receipt_payments(receipt_id, pay_no, method, amount_fen)
                 VALUES (?1, 1, 'cash', 2720)",
            )
            .unwrap();
        let mut e = tx
            .prepare(
                "INSERT INTO receipt_events(receipt_id, kind, at, user, supervisor, reason)
                 VALUES (?1, 'void', ?2, 'admin', 'boss', 'bench')",
            )
            .unwrap();
        for i in 1..=n {
            let number = format!("{code}-{i:08}");
            let name = format!("患者{i}");
            r.execute(rusqlite::params![
                number,
                code,
                i as i64,
                NOW,
                name,
                format!("{{\"name\":\"{name}\"}}"),
                2720,
                format!("DTB1|{number}|{code}|{NOW}|XA01AB001A00001*2;XJ01CA004A00002*2|27.20|0123456789abcdef0123456789abcdef"),
            ])
            .unwrap();
            let id = tx.last_insert_rowid();
            l.execute(rusqlite::params![id, 1, "XA01AB001A00001"])
                .unwrap();
            l.execute(rusqlite::params![id, 2, "XJ01CA004A00002"])
                .unwrap();
            p.execute([id]).unwrap();
            if i % 50 == 0 {
                e.execute(rusqlite::params![id, NOW]).unwrap();
            }
        }
    }
    tx.commit().unwrap();
    let key = downtime_billing::keys::wrap::unlock_dir(&dd, "admin", PIN).unwrap();
    let key_file = match key_file {
        Some(f) => f.to_path_buf(),
        None => {
            let f = root.join(format!("{code}.key"));
            std::fs::write(&f, key.export_text()).unwrap();
            f
        }
    };
    (dd, key, key_file)
}

pub fn finance_station(root: &Path, name: &str, key_file: &Path) -> (DataDir, Store, Session) {
    let (dd, mut store, admin) = terminal(root, name, Some(key_file));
    auth::users::add_user(&mut store, &admin, &clock(), "fin", &[Role::Finance], PIN).unwrap();
    let t = downtime_billing::setup::terminal_code(&store).unwrap();
    let s = auth::login(store.conn_mut(), "fin", PIN, &t, &clock()).unwrap();
    (dd, store, s)
}

pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Exports the terminal's journal to `out` as its admin.
pub fn export(
    dd: &DataDir,
    key: &SigningKey,
    out: &Path,
) -> downtime_billing::finance::journal::ExportOutcome {
    let mut store = Store::open(dd).unwrap();
    let t = downtime_billing::setup::terminal_code(&store).unwrap();
    let s = auth::login(store.conn_mut(), "admin", PIN, &t, &clock()).unwrap();
    downtime_billing::finance::journal::export(&mut store, &s, &clock(), key, out).unwrap()
}

/// CPU time this thread has run so far (`/proc/thread-self/schedstat`):
/// on a shared machine wall time also counts other people's builds.
pub fn cpu_time() -> std::time::Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map(std::time::Duration::from_nanos)
        .unwrap_or_default()
}
