//! Power loss, not only process death: receipts are issued through the
//! library's normal path (`Store::open`, `workflows::issue`) on a store
//! whose files go through a VFS that forgets every write not yet synced
//! when the "power goes" (`powercut_vfs`). After each cut the store is
//! reopened the normal way (integrity check, WAL recovery) and every
//! receipt that was reported issued must be there, numbered without gap,
//! complete and in the audit chain. SIGKILL (tests/crash.rs) keeps the page
//! cache and cannot tell `synchronous=FULL` from `OFF`; this can.

mod powercut_vfs;
mod receipts_support;

use downtime_billing::clock::FixedClock;
use downtime_billing::receipts::{IssueDraft, IssueRequest};
use downtime_billing::store::Store;
use downtime_billing::workflows::{self, PdfStep};
use receipts_support::*;
use std::collections::BTreeSet;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

fn seed() -> u64 {
    std::env::var("POWER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        })
}

/// Reopens the store the normal way and checks it; returns the numbers held.
fn check_after_power(env: &Env, reported: &BTreeSet<String>) -> BTreeSet<String> {
    let store = Store::open(&env.data_dir()).expect("the store opens after the power cut");
    let c = store.conn();
    let seqs: Vec<i64> = c
        .prepare("SELECT seq FROM receipts WHERE terminal = 'MZ01' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (i, s) in seqs.iter().enumerate() {
        assert_eq!(*s, i as i64 + 1, "gap or duplicate at position {i}");
    }
    let stored: BTreeSet<String> = c
        .prepare("SELECT number FROM receipts")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let missing: Vec<_> = reported.difference(&stored).collect();
    assert!(
        missing.is_empty(),
        "reported issued, lost in the power cut: {missing:?}"
    );
    let incomplete: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM receipts r
              WHERE NOT EXISTS (SELECT 1 FROM receipt_lines l WHERE l.receipt_id = r.id)
                 OR NOT EXISTS (SELECT 1 FROM receipt_payments p WHERE p.receipt_id = r.id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(incomplete, 0);
    let problems = downtime_billing::audit::check_chain(c).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    stored
}

/// Cuts the power at a random write or sync during issuance, 40 times;
/// every other cut also lets a random half of the unsynced writes reach
/// the disk (a drive cache flushing some of them). Every receipt reported
/// issued survives; the numbering has no gap; the store opens and verifies.
///
/// Break it catches: `PRAGMA synchronous=NORMAL` or `OFF` in
/// `store::configure` (a commit reported before the WAL is synced: the cut
/// loses reported receipts), and an issue that reports a number before its
/// transaction commits.
#[test]
fn every_receipt_reported_issued_survives_a_power_cut() {
    powercut_vfs::install();
    let env = ready_with("II", 99999999);
    env.ok(
        "admin",
        &["settings", "set", "backup.every_receipts", "100000"],
    );
    let seed = seed();
    eprintln!("power loss: POWER_SEED={seed}");
    let mut rng = Rng(seed);
    let clock = FixedClock::at(NOW);
    let key = downtime_billing::keys::wrap::unlock_dir(&env.data_dir(), "admin", PIN).unwrap();
    let req = IssueRequest::from_json(&simple().to_string()).unwrap();
    let root = env.data_dir().root().to_path_buf();
    let mut reported = BTreeSet::new();
    let (cycles, mut lost_writes, mut cut_mid_issue) = (40, 0, 0);
    for cycle in 0..cycles {
        let mut store = env.store();
        let session = env.session(&mut store, "cash1", CASH_PIN);
        let draft = IssueDraft::build(store.conn(), &clock, &req).unwrap();
        powercut_vfs::arm(&root, 1 + rng.next() % 120);
        let mut issued_now = 0;
        loop {
            match workflows::issue(&mut store, &session, &clock, &key, &draft, &PdfStep::Skip) {
                Ok(r) => {
                    assert!(reported.insert(r.receipt.receipt.number.clone()));
                    issued_now += 1;
                }
                Err(e) => {
                    assert!(
                        powercut_vfs::is_out(&root),
                        "cycle {cycle}: issue failed with the power on: {e:?}"
                    );
                    break;
                }
            }
            assert!(issued_now < 1000, "the power never went out");
        }
        cut_mid_issue += 1;
        drop(store);
        let keep_some = cycle % 2 == 1;
        lost_writes +=
            powercut_vfs::power_cut(&root, &mut |_| keep_some && rng.next().is_multiple_of(2));
        check_after_power(&env, &reported);
    }
    eprintln!(
        "power loss: {cycles} cuts during issuance, {} receipts reported, {lost_writes} unsynced writes lost",
        reported.len()
    );
    assert!(
        lost_writes > 0,
        "no cut lost a write: the test tests nothing"
    );
    assert_eq!(cut_mid_issue, cycles);
    // the terminal goes on, and verify (another process, plain VFS) agrees
    let stored = check_after_power(&env, &reported);
    let (code, v, err) = env.issue("cash1", &simple());
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["number"], format!("MZ01-{:08}", stored.len() + 1));
    let (code, out, err) = env.run("admin", &["verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

/// The connection the library issues on is `synchronous=FULL`, and issuing
/// one receipt syncs the WAL before `workflows::issue` returns.
///
/// Break it catches: `synchronous` other than FULL in `store::configure`
/// (NORMAL syncs the WAL only at checkpoints, OFF never), or a later
/// `PRAGMA synchronous` on the issuing path.
#[test]
fn the_issuing_connection_is_synchronous_full_and_syncs_each_commit() {
    powercut_vfs::install();
    let env = ready();
    let mut store = env.store();
    let session = env.session(&mut store, "cash1", CASH_PIN);
    let clock = FixedClock::at(NOW);
    let key = downtime_billing::keys::wrap::unlock_dir(&env.data_dir(), "admin", PIN).unwrap();
    let req = IssueRequest::from_json(&simple().to_string()).unwrap();
    let draft = IssueDraft::build(store.conn(), &clock, &req).unwrap();
    let wal = env.data_dir().db_path().with_extension("sqlite3-wal");
    for _ in 0..3 {
        let before = powercut_vfs::syncs(&wal);
        workflows::issue(&mut store, &session, &clock, &key, &draft, &PdfStep::Skip).unwrap();
        assert!(
            powercut_vfs::syncs(&wal) > before,
            "a receipt was reported issued with its WAL frames not synced"
        );
    }
    let sync: i64 = store
        .conn()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "synchronous is {sync}, not FULL (2)");
    let mode: String = store
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

/// The month's items held and the item count its snapshot row declares.
fn month_state(conn: &rusqlite::Connection, month: &str) -> (i64, Option<i64>) {
    let items = conn
        .query_row(
            "SELECT COUNT(*) FROM price_items i JOIN price_snapshots s ON s.id = i.snapshot_id
              WHERE s.month = ?1",
            [month],
            |r| r.get(0),
        )
        .unwrap();
    let declared = conn
        .query_row(
            "SELECT item_count FROM price_snapshots WHERE month = ?1",
            [month],
            |r| r.get(0),
        )
        .ok();
    (items, declared)
}

/// A disk that fails (I/O error on a write or sync, the program carrying
/// on) or loses power at a random moment inside a price import of the
/// shared 30k list: the month is absent afterwards — never half there — and
/// the same import then goes through whole. Cycles alternate the two.
///
/// Break it catches: an import written in several transactions (e.g. the
/// snapshot row committed before its items, or items in batches): the
/// failure leaves a month with its row and part of its items.
#[test]
fn a_disk_failure_during_a_price_import_leaves_the_month_absent() {
    use downtime_billing::domain::Month;
    powercut_vfs::install();
    let env = setup();
    let root = env.data_dir().root().to_path_buf();
    let list = std::path::Path::new(SHARED_30K);
    let rows = std::fs::read_to_string(list)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count() as i64;
    let clock = FixedClock::at(NOW);
    let seed = seed();
    eprintln!("import failures: POWER_SEED={seed}");
    let mut rng = Rng(seed);
    let mut store = env.store();
    let mut session = env.session(&mut store, "admin", PIN);
    let import = |store: &mut Store, session: &downtime_billing::auth::Session, month: &str| {
        downtime_billing::prices::import(
            store,
            session,
            &clock,
            list,
            Month::parse(month).unwrap(),
            &mut |_| {},
        )
    };
    // how many writes and syncs a whole import makes
    let before = powercut_vfs::ops_under(&root);
    import(&mut store, &session, "2027-01").unwrap();
    let span = powercut_vfs::ops_under(&root) - before;
    assert_eq!(month_state(store.conn(), "2027-01"), (rows, Some(rows)));
    let (cycles, mut absent, mut whole) = (6, 0, 0);
    for cycle in 0..cycles {
        let month = format!("2027-{:02}", cycle + 2);
        powercut_vfs::arm(&root, 1 + rng.next() % span);
        let result = import(&mut store, &session, &month);
        let failed = powercut_vfs::is_out(&root);
        if let Err(e) = &result {
            assert!(
                failed,
                "cycle {cycle}: import failed with the disk fine: {e:?}"
            );
        }
        if cycle % 2 == 0 {
            // an I/O error: the program goes on with the same connection
            powercut_vfs::disarm(&root);
        } else {
            drop(store);
            powercut_vfs::power_cut(&root, &mut |_| false);
            store = env.store();
            session = env.session(&mut store, "admin", PIN);
        }
        match month_state(store.conn(), &month) {
            (0, None) => {
                assert!(result.is_err(), "cycle {cycle}: reported imported, absent");
                absent += 1;
                import(&mut store, &session, &month).unwrap();
                assert_eq!(month_state(store.conn(), &month), (rows, Some(rows)));
            }
            (n, Some(d)) if n == rows && d == rows => whole += 1,
            other => panic!("cycle {cycle}: {month} half there: {other:?} of {rows}"),
        }
    }
    eprintln!(
        "import failures: a whole import makes {span} writes/syncs; {cycles} failures, {absent} left the month absent, {whole} after its commit"
    );
    assert!(
        absent * 2 >= cycles,
        "only {absent} of {cycles} failures landed inside the import"
    );
    drop(store);
    let (code, out, err) = env.run("admin", &["verify"]);
    assert_eq!(code, 0, "{out}{err}");
}
