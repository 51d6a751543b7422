//! The numbering rules driven through the library, no binary: which range
//! the next number comes from (`ranges::next_number`, `Range::left`,
//! `ranges::list`), which ranges an admin may add (`ranges::add`), and the
//! high-water mark with the numbers recorded as lost (`numbering::*`).
//! Written to kill what mutation testing (`cargo mutants` on
//! `src/receipts/ranges.rs` and `src/receipts/numbering.rs`) found alive:
//! the CLI tests of these rules relink the binary per mutant, these run in
//! a second.

#[path = "finance_support/mod.rs"]
mod finance_support;

use downtime_billing::audit::Actor;
use downtime_billing::auth::Session;
use downtime_billing::receipts::ReceiptError;
use downtime_billing::receipts::numbering::{self, LostReason, LostRun};
use downtime_billing::receipts::ranges::{self, MAX_SEQ};
use downtime_billing::store::Store;
use finance_support::{Hospital, NOW, at};

fn add(
    store: &mut Store,
    s: &Session,
    terminal: &str,
    from: u64,
    to: u64,
) -> Result<ranges::Range, ReceiptError> {
    ranges::add(store, s, &at(NOW), terminal, from, to)
}

/// Records as lost what `terminal` has not accounted for up to `mark`.
fn lose(store: &mut Store, s: &Session, terminal: &str, mark: u64) -> Vec<(u64, u64, u64)> {
    let tx = store.write().unwrap();
    let runs = numbering::account_for(
        &tx,
        &Actor::of(s),
        &at(NOW),
        terminal,
        mark,
        LostReason::Restore,
    )
    .unwrap();
    tx.commit().unwrap();
    runs.iter().map(seqs).collect()
}

fn seqs(r: &LostRun) -> (u64, u64, u64) {
    let n = |t: &str| t.rsplit('-').next().unwrap().parse::<u64>().unwrap();
    assert_eq!(r.reason, LostReason::Restore);
    (n(&r.first), n(&r.last), r.count)
}

/// Breaks it catches: the bounds check of `ranges::add` loosened or
/// tightened at either end (0, `to < from`, `MAX_SEQ`), the overlap test
/// `&&` → `||` or `<=` → `>` (adjacent books refused, touching ones
/// accepted), and the added range not the one returned.
#[test]
fn an_admin_adds_books_within_bounds_that_do_not_overlap() {
    let (_h, mut t) = Hospital::new();
    let s = t.session("admin");
    for (from, to) in [(0, 5), (6, 5), (1, MAX_SEQ + 1), (0, 0)] {
        let e = add(&mut t.store, &s, "MZ01", from, to).unwrap_err();
        assert!(
            matches!(e, ReceiptError::Invalid { .. }),
            "{from}–{to}: {e:?}"
        );
    }
    let g = add(&mut t.store, &s, "MZ01", 10, 20).unwrap();
    assert_eq!(
        (g.terminal.as_str(), g.from, g.to, g.used, g.left()),
        ("MZ01", 10, 20, 0, 11)
    );
    // touching either end overlaps
    for (from, to) in [(20, 25), (5, 10), (12, 14), (1, 30)] {
        let e = add(&mut t.store, &s, "MZ01", from, to).unwrap_err();
        assert!(
            matches!(
                e,
                ReceiptError::RangeOverlap {
                    other_from: 10,
                    other_to: 20,
                    ..
                }
            ),
            "{from}–{to}: {e:?}"
        );
    }
    // next to it, on both sides, a single number, the very last number
    for (from, to) in [(21, 30), (1, 9), (40, 40), (MAX_SEQ, MAX_SEQ)] {
        let g2 = add(&mut t.store, &s, "MZ01", from, to).unwrap();
        assert_eq!((g2.from, g2.to, g2.used), (from, to, 0), "{from}–{to}");
        assert_ne!(g2.id, g.id);
    }
    // another terminal's books do not overlap this one's
    let other = add(&mut t.store, &s, "MZ02", 10, 20).unwrap();
    assert_eq!(
        (other.terminal.as_str(), other.from, other.to),
        ("MZ02", 10, 20)
    );
    let all = ranges::list(t.store.conn(), "MZ01").unwrap();
    let spans: Vec<_> = all.iter().map(|g| (g.from, g.to)).collect();
    assert_eq!(
        spans,
        [(1, 9), (10, 20), (21, 30), (40, 40), (MAX_SEQ, MAX_SEQ)]
    );
}

/// Breaks it catches: `next_number` taking a range with nothing left
/// (`> 0` → `>= 0`/`== 0`), a wrong sequence (`from + used` → `-`/`*`),
/// `None` while numbers remain; `Range::left` and the `used` count of
/// `ranges::list` (`+ 1`) off by one or reversed.
#[test]
fn the_next_number_comes_from_the_lowest_book_with_numbers_left() {
    let (_h, mut t) = Hospital::new();
    let s = t.session("admin");
    // added out of order: the lowest book is used first
    add(&mut t.store, &s, "MZ01", 10, 12).unwrap();
    add(&mut t.store, &s, "MZ01", 1, 3).unwrap();
    let n = ranges::next_number(t.store.conn(), "MZ01")
        .unwrap()
        .unwrap();
    assert_eq!((n.seq, n.number.as_str(), n.left), (1, "MZ01-00000001", 6));
    // 1–3 and 10 gone (recorded as lost: numbers are taken in order)
    assert_eq!(lose(&mut t.store, &s, "MZ01", 10), [(1, 3, 3), (10, 10, 1)]);
    let g = ranges::list(t.store.conn(), "MZ01").unwrap();
    let used_left: Vec<_> = g.iter().map(|g| (g.used, g.left())).collect();
    assert_eq!(used_left, [(3, 0), (1, 2)]);
    let n = ranges::next_number(t.store.conn(), "MZ01")
        .unwrap()
        .unwrap();
    assert_eq!(
        (n.range_id, n.seq, n.number.as_str(), n.left),
        (g[1].id, 11, "MZ01-00000011", 2)
    );
    assert_eq!(lose(&mut t.store, &s, "MZ01", 12), [(11, 12, 2)]);
    assert_eq!(ranges::next_number(t.store.conn(), "MZ01").unwrap(), None);
    let left: Vec<_> = ranges::list(t.store.conn(), "MZ01")
        .unwrap()
        .iter()
        .map(|g| (g.used, g.left()))
        .collect();
    assert_eq!(left, [(3, 0), (3, 0)]);
}

/// Breaks it catches in `numbering::account_for`: nothing recorded
/// (`mark <= stored` → `>`, `Ok(vec![])`), runs starting one too early
/// (`stored + 1` → `* 1`), runs outside the terminal's books (`a <= b`
/// → `>`), the run above the highest book misplaced (`hi > top` →
/// `>=`/`==`/`<`, `top + 1` → `-`/`*`), wrong counts; `stored_mark`,
/// `lost_count` and `high_water` answering a constant, the reason
/// stored other than `restore` (`LostReason::code`).
#[test]
fn numbers_between_what_is_stored_and_the_mark_are_recorded_lost_by_run() {
    let (_h, mut t) = Hospital::new();
    let s = t.session("admin");
    add(&mut t.store, &s, "MZ01", 1, 5).unwrap();
    add(&mut t.store, &s, "MZ01", 11, 15).unwrap();
    assert_eq!(numbering::stored_mark(t.store.conn(), "MZ01").unwrap(), 0);
    assert_eq!(lose(&mut t.store, &s, "MZ01", 0), []);
    // inside the books only: the gap 6–10 was never this terminal's
    assert_eq!(lose(&mut t.store, &s, "MZ01", 13), [(1, 5, 5), (11, 13, 3)]);
    assert_eq!(numbering::stored_mark(t.store.conn(), "MZ01").unwrap(), 13);
    assert_eq!(lose(&mut t.store, &s, "MZ01", 13), []);
    assert_eq!(lose(&mut t.store, &s, "MZ01", 9), []);
    // up to the top of the highest book exactly: nothing above it
    assert_eq!(lose(&mut t.store, &s, "MZ01", 15), [(14, 15, 2)]);
    // above every book (a book added after the backup)
    assert_eq!(lose(&mut t.store, &s, "MZ01", 18), [(16, 18, 3)]);
    assert_eq!(numbering::stored_mark(t.store.conn(), "MZ01").unwrap(), 18);
    assert_eq!(
        numbering::lost_count(t.store.conn(), "MZ01", None).unwrap(),
        18 - 5
    );
    assert_eq!(
        numbering::lost_count(t.store.conn(), "MZ01", Some("2099-01-01T00:00:00+08:00")).unwrap(),
        0
    );

    // a mark reaching past the only book from inside it
    add(&mut t.store, &s, "MZ02", 1, 5).unwrap();
    assert_eq!(lose(&mut t.store, &s, "MZ02", 2), [(1, 2, 2)]);
    assert_eq!(lose(&mut t.store, &s, "MZ02", 8), [(3, 5, 3), (6, 8, 3)]);
    assert_eq!(
        numbering::lost_count(t.store.conn(), "MZ02", None).unwrap(),
        8
    );
    assert_eq!(
        numbering::lost_count(t.store.conn(), "MZ03", None).unwrap(),
        0
    );

    let reasons: Vec<String> = t
        .store
        .conn()
        .prepare("SELECT DISTINCT reason FROM lost_numbers")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(reasons, ["restore"]);

    // the high-water mark is the larger of the file's and the database's
    let dir = t.dir.clone();
    assert_eq!(
        numbering::high_water(t.store.conn(), &dir, "MZ01").unwrap(),
        18
    );
    numbering::raise_file_mark(&dir, "MZ01", 30).unwrap();
    assert_eq!(
        numbering::high_water(t.store.conn(), &dir, "MZ01").unwrap(),
        30
    );
    assert_eq!(
        numbering::high_water(t.store.conn(), &dir, "MZ03").unwrap(),
        0
    );
}

/// Breaks it catches in `numbering::raise_file_mark`: nothing written
/// (`Ok(())`, `>=` → `<`), other terminals' lines dropped or taken as this
/// one's (match guard `true`/`==` → `!=`), the mark lowered or a second
/// line per terminal kept (guard `false`).
#[test]
fn the_file_mark_only_rises_one_line_per_terminal() {
    let (_h, t) = Hospital::new();
    let d = t.dir.clone();
    assert_eq!(numbering::file_mark(&d, "MZ01"), 0);
    numbering::raise_file_mark(&d, "MZ01", 7).unwrap();
    numbering::raise_file_mark(&d, "ZY01", 3).unwrap();
    numbering::raise_file_mark(&d, "MZ01", 5).unwrap();
    assert_eq!(numbering::file_mark(&d, "MZ01"), 7);
    assert_eq!(numbering::file_mark(&d, "ZY01"), 3);
    numbering::raise_file_mark(&d, "MZ01", 9).unwrap();
    numbering::raise_file_mark(&d, "ZY01", 4).unwrap();
    assert_eq!(numbering::file_mark(&d, "MZ01"), 9);
    assert_eq!(numbering::file_mark(&d, "ZY01"), 4);
    assert_eq!(numbering::file_mark(&d, "MZ0"), 0);
    let text = std::fs::read_to_string(d.root().join("numbering-high-water")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    assert_eq!(lines, ["MZ01 9", "ZY01 4"]);
}

/// Breaks it catches in `numbering::verify_lost` (the `verify` check):
/// audited runs reported or hand-inserted ones passed (`!=` → `==`), a
/// restore's loss reported as a vanishing or the reverse (`== Missing` →
/// `!=`), the count of lost numbers wrong (`+=`, `last - first + 1`), the
/// table taken as absent (`!` deleted), the live database not compared
/// with the file mark or a mark equal to the database's reported (`>` →
/// `>=`/`==`/`<`, the name test `==` → `!=`), the first missing number
/// misnamed (`stored + 1`).
#[test]
fn verify_names_lost_numbers_no_one_recorded_and_a_mark_above_the_database() {
    let (_h, mut t) = Hospital::new();
    let s = t.session("admin");
    add(&mut t.store, &s, "MZ01", 1, 50).unwrap();
    let key = t.key.clone();
    let check =
        |t: &finance_support::Term| numbering::verify_lost(t.store.conn(), Some(&key)).unwrap();
    let c = check(&t);
    assert_eq!((c.records, c.problems.len()), (0, 0));
    // a restore's loss, audited: counted, not a problem
    assert_eq!(lose(&mut t.store, &s, "MZ01", 10), [(1, 10, 10)]);
    let c = check(&t);
    assert_eq!(c.records, 10);
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    // numbers that vanished without a restore: named
    let tx = t.store.write().unwrap();
    numbering::account_for(
        &tx,
        &Actor::of(&s),
        &at(NOW),
        "MZ01",
        14,
        LostReason::Missing,
    )
    .unwrap();
    tx.commit().unwrap();
    let c = check(&t);
    assert_eq!(c.records, 14);
    assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
    assert!(
        c.problems[0]
            .problem
            .contains("MZ01-00000011–MZ01-00000014"),
        "{:?}",
        c.problems
    );
    // a run inserted behind the program's back: no audit entry
    t.store
        .conn()
        .execute(
            "INSERT INTO lost_numbers(terminal, first_seq, last_seq, reason, at, user)
             VALUES ('MZ01', 20, 22, 'restore', '2026-11-02T09:00:00+08:00', 'admin')",
            [],
        )
        .unwrap();
    let c = check(&t);
    assert_eq!((c.records, c.problems.len()), (17, 2), "{:?}", c.problems);
    assert!(
        c.problems[1].problem.contains("20–22 of MZ01"),
        "{:?}",
        c.problems
    );
    // the high-water file beside the live database: equal is fine, above
    // it names the numbers the database no longer holds
    let dir = t.dir.clone();
    numbering::raise_file_mark(&dir, "MZ01", 22).unwrap();
    assert_eq!(check(&t).problems.len(), 2);
    numbering::raise_file_mark(&dir, "MZ01", 25).unwrap();
    let c = check(&t);
    assert_eq!(c.problems.len(), 3, "{:?}", c.problems);
    assert_eq!(c.problems[2].record, "numbering-high-water MZ01");
    assert!(
        c.problems[2]
            .problem
            .contains("MZ01-00000023–MZ01-00000025"),
        "{:?}",
        c.problems
    );
}
