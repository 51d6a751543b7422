//! Terminal journals at the finance station: merged side by side, imported
//! idempotently, refused when altered, truncated or foreign, with number
//! collisions and double dispensings reported, and `verify` still passing.

mod finance_support;

use downtime_billing::error::{ErrorKind, Failure};
use downtime_billing::finance::journal;
use finance_support::*;

const T1: &str = "2026-11-02T09:10:00+08:00";
const T2: &str = "2026-11-02T09:20:00+08:00";
const T3: &str = "2026-11-02T09:30:00+08:00";

fn import(cw: &mut Term, file: &std::path::Path) -> Result<journal::ImportOutcome, Failure> {
    let s = cw.session("fin");
    let key = cw.key.clone();
    journal::import(&mut cw.store, &s, &at(NOW), &key, file, &mut |_, _| {}).map_err(Failure::from)
}

fn verify_ok(t: &Term) {
    let r = downtime_billing::verify::run(&t.store).unwrap();
    assert!(r.ok, "{:?}", r.problems);
}

#[test]
fn three_terminals_merge_side_by_side_and_a_second_import_changes_nothing() {
    let (h, mut cw) = Hospital::new();
    let mut files = Vec::new();
    let mut numbers = Vec::new();
    for (i, code) in ["MZ01", "MZ02", "ZY01"].iter().enumerate() {
        let mut t = h.terminal(code, code);
        let base = 1 + 1000 * i as u64;
        t.ready(base, base + 99, "2026-11-02T09:00:00+08:00", false);
        let a = t.issue(T1, &[(DRUG, "2"), (DRUG2, "1")], false, "张三");
        let b = t.issue(T2, &[(DRUG, "1")], true, "李四");
        t.void(T3, &b);
        let c = t.issue(T3, &[(DRUG, "3"), (DRUG2, "1")], false, "王五");
        t.refund_all(T3, &c, &[2]);
        numbers.extend([a, b, c]);
        files.push(t.export(&h.path(&format!("{code}.journal"))));
    }
    for f in &files {
        let o = import(&mut cw, f).unwrap();
        assert!(!o.already_imported);
        assert_eq!(o.receipts_added, 4, "3 receipts and a credit note");
        assert!(o.collisions.is_empty());
    }
    // One set of tables: every terminal's receipts with their own code.
    let terminals: Vec<String> = {
        let mut st = cw
            .store
            .conn()
            .prepare("SELECT DISTINCT terminal FROM receipts ORDER BY terminal")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(terminals, ["MZ01", "MZ02", "ZY01"]);
    for n in &numbers {
        let v = downtime_billing::receipts::show(cw.store.conn(), n).unwrap();
        assert!(!v.lines.is_empty(), "{n} has its lines");
    }
    let voided = downtime_billing::receipts::show(cw.store.conn(), &numbers[1]).unwrap();
    assert_eq!(voided.status, downtime_billing::receipts::Status::Voided);
    let refunded = downtime_billing::receipts::show(cw.store.conn(), &numbers[2]).unwrap();
    assert_eq!(
        refunded.status,
        downtime_billing::receipts::Status::PartlyRefunded
    );
    verify_ok(&cw);

    // The same journals again: nothing changes, and it says so.
    let before = cw.counts();
    for f in &files {
        let o = import(&mut cw, f).unwrap();
        assert!(o.already_imported, "{o:?}");
        assert!(o.added.is_empty());
    }
    assert_eq!(cw.counts(), before);
    verify_ok(&cw);
}

#[test]
fn a_newer_export_adds_only_what_is_new_and_an_older_one_nothing() {
    let (h, mut cw) = Hospital::new();
    let mut t = h.terminal("MZ01", "MZ01");
    t.ready(1, 100, "2026-11-02T09:00:00+08:00", false);
    t.issue(T1, &[(DRUG, "1")], false, "甲");
    let old = t.export(&h.path("old.journal"));
    let second = t.issue(T2, &[(DRUG, "2")], false, "乙");
    t.void(T3, &second);
    let new = t.export(&h.path("new.journal"));

    assert_eq!(import(&mut cw, &old).unwrap().receipts_added, 1);
    let o = import(&mut cw, &new).unwrap();
    assert_eq!(o.receipts_added, 1);
    assert_eq!(o.added.get("receipt_events"), Some(&1));
    let before = cw.counts();
    assert!(import(&mut cw, &old).unwrap().already_imported);
    assert!(import(&mut cw, &new).unwrap().already_imported);
    assert_eq!(cw.counts(), before);
    assert_eq!(cw.count("receipts"), 2);
    verify_ok(&cw);
}

fn small_journal() -> (Hospital, Term, std::path::PathBuf) {
    let (h, cw) = Hospital::new();
    let mut t = h.terminal("MZ01", "MZ01");
    t.ready(1, 100, "2026-11-02T09:00:00+08:00", false);
    let a = t.issue(T1, &[(DRUG, "1"), (DRUG2, "2")], false, "张三");
    t.issue(T2, &[(DRUG, "2")], true, "李四");
    t.dispense(&a, 1, DRUG, "1", "dispensed");
    let f = t.export(&h.path("mz01.journal"));
    (h, cw, f)
}

#[test]
fn an_altered_byte_anywhere_is_refused_and_nothing_is_imported() {
    let (h, mut cw, f) = small_journal();
    let good = std::fs::read(&f).unwrap();
    let before = cw.counts();
    let bad = h.path("bad.journal");
    // ~150 positions spread over the header, every table and the end record.
    let step = (good.len() / 150).max(1);
    let mut tried = 0;
    for pos in (0..good.len()).step_by(step).chain([good.len() - 2]) {
        let mut b = good.clone();
        b[pos] ^= if b[pos] == b'\n' { 0x20 } else { 0x01 };
        std::fs::write(&bad, &b).unwrap();
        let e = import(&mut cw, &bad).expect_err(&format!(
            "byte {pos} altered: {}",
            String::from_utf8_lossy(&b[pos.saturating_sub(40)..(pos + 40).min(b.len())])
        ));
        assert_eq!(e.kind, ErrorKind::Verification, "byte {pos}: {}", e.en);
        tried += 1;
    }
    assert!(tried >= 150);
    assert_eq!(cw.counts(), before, "nothing was written");
    // The untouched file still imports.
    assert_eq!(import(&mut cw, &f).unwrap().receipts_added, 2);
}

#[test]
fn a_truncated_journal_is_refused() {
    let (h, mut cw, f) = small_journal();
    let good = std::fs::read(&f).unwrap();
    let bad = h.path("cut.journal");
    for cut in [
        0,
        10,
        good.len() / 3,
        good.len() / 2,
        good.len() - 40,
        good.len() - 1,
    ] {
        std::fs::write(&bad, &good[..cut]).unwrap();
        let e = import(&mut cw, &bad).expect_err("truncated");
        assert_eq!(e.kind, ErrorKind::Verification, "cut at {cut}: {}", e.en);
    }
    // A whole line dropped from the middle is refused too.
    let text = String::from_utf8(good).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dropped: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != lines.len() / 2)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    std::fs::write(&bad, dropped).unwrap();
    assert_eq!(
        import(&mut cw, &bad).unwrap_err().kind,
        ErrorKind::Verification
    );
    assert_eq!(cw.count("receipts"), 0);
}

#[test]
fn a_journal_from_another_hospital_is_refused_saying_so() {
    let (h, cw) = Hospital::new();
    let mut other = h.foreign_terminal("MZ01", "other");
    other.ready(1, 100, "2026-11-02T09:00:00+08:00", false);
    other.issue(T1, &[(DRUG, "1")], false, "张三");
    let f = other.export(&h.path("other.journal"));
    drop(other);
    let (code, _, err) = run(
        &cw.dir,
        "fin",
        NOW,
        &["journal", "import", f.to_str().unwrap()],
    );
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("another hospital"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert_eq!(cw.count("receipts"), 0);
}

#[test]
fn number_collisions_between_two_installations_are_reported() {
    let (h, mut cw) = Hospital::new();
    // Two PCs both set up as MZ01 with the same receipt book.
    let (mut a, mut b) = two_pcs_as_mz01(&h, (1, 100), (1, 100));
    a.issue(T1, &[(DRUG, "1")], false, "A1");
    a.issue(T2, &[(DRUG, "1")], false, "A2");
    b.issue(T1, &[(DRUG, "2")], false, "B1");
    b.issue(T2, &[(DRUG, "2")], false, "B2");
    b.issue(T3, &[(DRUG, "2")], false, "B3");
    let fa = a.export(&h.path("a.journal"));
    let fb = b.export(&h.path("b.journal"));
    assert!(import(&mut cw, &fa).unwrap().collisions.is_empty());
    let o = import(&mut cw, &fb).unwrap();
    let numbers = number_collisions(&o);
    assert_eq!(numbers, ["MZ01-00000001", "MZ01-00000002"]);
    assert!(
        o.collisions
            .iter()
            .all(|c| !c.detail_zh.is_empty() && !c.detail_zh.is_ascii()),
        "each collision is told in Chinese too: {o:?}"
    );
    assert!(o.collisions.iter().any(|c| c.kind == "range"), "{o:?}");
    assert_eq!(o.receipts_added, 1, "only MZ01-00000003 is new");
    // The colliding receipts keep the first installation's content.
    let v = downtime_billing::receipts::show(cw.store.conn(), "MZ01-00000001").unwrap();
    assert_eq!(v.patient["name"], "A1");
    // Through the binary, as JSON.
    let (code, out, err) = run(
        &cw.dir,
        "fin",
        NOW,
        &["journal", "import", fb.to_str().unwrap(), "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j[0]["already_imported"], true);
    verify_ok(&cw);
}

/// Receipts beyond everything the station holds for their terminal go in
/// many to a statement; any other goes in alone, where its UNIQUE
/// constraints tell a collision. Two PCs set up as MZ01 with different
/// receipt books: B's numbers are all beyond A's, but its temporary patient
/// numbers are not. Fails when the batched path takes a receipt whose
/// temporary patient number is already held (the import then fails on the
/// constraint instead of reporting the collision).
#[test]
fn a_temporary_patient_number_held_from_another_installation_is_a_collision() {
    let (h, mut cw) = Hospital::new();
    let (mut a, mut b) = two_pcs_as_mz01(&h, (1, 100), (101, 200));
    a.register(T1, "A1");
    a.register(T1, "A2");
    b.issue(T2, &[(DRUG, "1")], false, "B0");
    let b1 = b.register(T2, "B1");
    let b2 = b.register(T2, "B2");
    let b3 = b.register(T2, "B3");
    assert_eq!(b1, "MZ01-00000102");
    import(&mut cw, &a.export(&h.path("a.journal"))).unwrap();
    let o = import(&mut cw, &b.export(&h.path("b.journal"))).unwrap();
    let numbers = number_collisions(&o);
    assert_eq!(numbers, [b1.as_str(), b2.as_str()], "{o:?}");
    assert!(
        o.collisions[0].detail.contains("temporary patient number"),
        "{o:?}"
    );
    // MZ01-00000101 (no temporary number) and B3 (LS-MZ01-000003) are new.
    assert_eq!(o.receipts_added, 2, "{o:?}");
    let v = downtime_billing::receipts::show(cw.store.conn(), &b3).unwrap();
    assert_eq!(v.patient["name"], "B3");
    assert_eq!(cw.count("receipts"), 4);
    verify_ok(&cw);
}

/// The receipt numbers an import reported as collisions, in order.
fn number_collisions(o: &journal::ImportOutcome) -> Vec<&str> {
    o.collisions
        .iter()
        .filter(|c| c.kind == "number")
        .map(|c| c.record.as_str())
        .collect()
}

/// Two PCs both set up as MZ01, with the receipt books `a` and `b`, each
/// in an episode opened at the same time.
fn two_pcs_as_mz01(h: &Hospital, a: (u64, u64), b: (u64, u64)) -> (Term, Term) {
    let mut pa = h.terminal("MZ01", "pc-a");
    let mut pb = h.terminal("MZ01", "pc-b");
    pa.ready(a.0, a.1, "2026-11-02T09:00:00+08:00", false);
    pb.ready(b.0, b.1, "2026-11-02T09:00:00+08:00", false);
    (pa, pb)
}

/// The id map holds receipts as runs (one `journal_map` row for receipts
/// whose source and local ids both follow each other). A later export's
/// void must still find its receipt inside a run, and one of a receipt
/// that collided must still find nothing. Fails when a run is read as a
/// single id (the void of MZ01-00000004 is then dropped) or when the run
/// does not stop at a collision.
#[test]
fn a_later_void_finds_its_receipt_inside_a_run_of_the_id_map() {
    let (h, mut cw) = Hospital::new();
    let (mut a, mut b) = two_pcs_as_mz01(&h, (1, 100), (1, 100));
    a.issue(T1, &[(DRUG, "1")], false, "A1");
    a.issue(T1, &[(DRUG, "1")], false, "A2");
    for name in ["B1", "B2", "B3", "B4", "B5"] {
        b.issue(T2, &[(DRUG, "2")], false, name);
    }
    import(&mut cw, &a.export(&h.path("a.journal"))).unwrap();
    let first = import(&mut cw, &b.export(&h.path("b1.journal"))).unwrap();
    assert_eq!(first.receipts_added, 3);
    // B's receipts: two collisions (one row each), then one run of three.
    let rows: i64 = cw
        .store
        .conn()
        .query_row(
            "SELECT count(*) FROM journal_map WHERE tbl = 'receipts' AND origin = ?1",
            [&first.origin],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 3);
    b.void(T3, "MZ01-00000004");
    b.void(T3, "MZ01-00000002");
    let o = import(&mut cw, &b.export(&h.path("b2.journal"))).unwrap();
    assert_eq!(o.added.get("receipt_events"), Some(&1), "{o:?}");
    let show = |n: &str| downtime_billing::receipts::show(cw.store.conn(), n).unwrap();
    let v = show("MZ01-00000004");
    assert_eq!(v.patient["name"], "B4");
    assert_eq!(v.status, downtime_billing::receipts::Status::Voided);
    let kept = show("MZ01-00000002");
    assert_eq!(kept.patient["name"], "A2");
    assert_ne!(kept.status, downtime_billing::receipts::Status::Voided);
    assert_ne!(
        show("MZ01-00000005").status,
        downtime_billing::receipts::Status::Voided
    );
    verify_ok(&cw);
}

/// Lines, payments and receipt digests go in many rows to a statement
/// (groups of 64), flushed at the end of each batch of lines the reading
/// thread hands over (512 lines). A journal spanning several batches, with
/// full groups and remainders, must land whole: fails when a flush drops
/// or repeats rows (the counts) or binds a row to another receipt (verify's
/// digests).
#[test]
fn a_journal_of_many_receipts_lands_whole_across_reading_batches() {
    let (h, mut cw) = Hospital::new();
    let mut t = h.terminal("MZ01", "MZ01");
    t.ready(1, 500, "2026-11-02T09:00:00+08:00", false);
    for i in 0..150 {
        let lines: &[(&str, &str)] = match i % 3 {
            0 => &[(DRUG, "1")],
            1 => &[(DRUG, "2"), (DRUG2, "1")],
            _ => &[(DRUG2, "3"), (DRUG, "1"), (DRUG2, "1")],
        };
        t.issue(T1, lines, false, &format!("P{i}"));
    }
    let o = import(&mut cw, &t.export(&h.path("many.journal"))).unwrap();
    assert_eq!(o.receipts_added, 150);
    for table in ["receipts", "receipt_lines", "receipt_payments"] {
        assert_eq!(cw.count(table), t.count(table), "{table}");
    }
    assert_eq!(cw.count("journal_receipt_digests"), 150);
    verify_ok(&cw);
}

#[test]
fn double_dispensing_at_two_pharmacies_is_reported() {
    let (h, mut cw) = Hospital::new();
    let mut mz = h.terminal("MZ01", "MZ01");
    mz.ready(1, 100, "2026-11-02T09:00:00+08:00", false);
    let n = mz.issue(T1, &[(DRUG, "2"), (DRUG2, "1")], false, "张三");
    let ok = mz.issue(T2, &[(DRUG, "2")], false, "李四");
    let mut yf1 = h.terminal("YF01", "YF01");
    let mut yf2 = h.terminal("YF02", "YF02");
    yf1.dispense(&n, 1, DRUG, "2", "dispensed");
    yf2.dispense(&n, 1, DRUG, "2", "dispensed");
    // Split across two pharmacies but within what was paid: not reported.
    yf1.dispense(&ok, 1, DRUG, "1", "dispensed");
    yf2.dispense(&ok, 1, DRUG, "1", "dispensed");
    let files = [
        mz.export(&h.path("mz.journal")),
        yf1.export(&h.path("yf1.journal")),
        yf2.export(&h.path("yf2.journal")),
    ];
    let mut last = None;
    for f in &files {
        last = Some(import(&mut cw, f).unwrap());
    }
    let d = last.unwrap().double_dispensings;
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].receipt, n);
    assert_eq!(d[0].line, 1);
    assert_eq!(d[0].paid_qty, "2");
    assert_eq!(d[0].dispensed_qty, "4");
    assert_eq!(d[0].terminals, ["YF01", "YF02"]);
    assert_eq!(cw.count("dispensings"), 4);
    let (code, out, _) = run(
        &cw.dir,
        "fin",
        NOW,
        &["journal", "import", files[2].to_str().unwrap()],
    );
    assert_eq!(code, 0);
    assert!(out.contains("double dispensing"), "{out}");
}

#[test]
fn the_cli_exports_and_refuses_an_altered_file_with_exit_4() {
    let (h, cw, f) = small_journal();
    let mut b = std::fs::read(&f).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x01;
    let bad = h.path("x.journal");
    std::fs::write(&bad, &b).unwrap();
    let (code, _, err) = run(
        &cw.dir,
        "fin",
        NOW,
        &["journal", "import", bad.to_str().unwrap()],
    );
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("altered"), "{err}");
    let (code, out, err) = run(
        &cw.dir,
        "fin",
        NOW,
        &["journal", "import", f.to_str().unwrap(), "--json"],
    );
    assert_eq!(code, 0, "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j[0]["receipts_added"], 2);
    assert_eq!(j[0]["terminal"], "MZ01");
    // A cashier-only user may not import.
    let out = h.path("again.journal");
    let (code, _, _) = run(
        &cw.dir,
        "fin",
        NOW,
        &["journal", "export", "--out", out.to_str().unwrap()],
    );
    assert_eq!(code, 0);
    assert!(out.exists());
}

/// Rewrites a journal's body with `edit` (header and rows; the end record
/// is made anew) and signs it again with the hospital key, as the program
/// would have: what is tested is the layout, not the signature.
fn resign(
    key: &downtime_billing::keys::SigningKey,
    good: &std::path::Path,
    out: &std::path::Path,
    edit: impl FnOnce(&mut Vec<String>),
) {
    use sha2::{Digest, Sha256};
    let text = std::fs::read_to_string(good).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let end: serde_json::Value = serde_json::from_str(&lines.pop().unwrap()).unwrap();
    let rows: std::collections::BTreeMap<String, u64> =
        serde_json::from_value(end["end"]["rows"].clone()).unwrap();
    edit(&mut lines);
    let body = lines.join("\n") + "\n";
    let digest = Sha256::digest(body.as_bytes());
    let mut msg = b"downtime-billing journal v1\n".to_vec();
    msg.extend_from_slice(&digest);
    msg.extend_from_slice(serde_json::to_string(&rows).unwrap().as_bytes());
    let end = serde_json::json!({"end": {
        "rows": rows,
        "sha256": hex::encode(digest),
        "hmac": hex::encode(key.sign(&msg)),
    }});
    std::fs::write(out, format!("{body}{end}\n")).unwrap();
}

fn table_of(line: &str) -> String {
    serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v.get(0)?.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A journal written before the `by_receipt` layout (receipts, then all
/// lines, then all payments, no `layout` in the header) still imports, and
/// its receipts' digests (read back at the end of the import) satisfy
/// `verify`. Catches: the read-back pass skipped or run for the wrong rows
/// (`verify` then names the receipts), or the old order refused.
#[test]
fn a_journal_in_the_earlier_table_by_table_layout_still_imports_and_verifies() {
    let (h, mut cw) = Hospital::new();
    let mut t = h.terminal("MZ01", "MZ01");
    t.ready(1, 100, "2026-11-02T09:00:00+08:00", false);
    let a = t.issue(T1, &[(DRUG, "1"), (DRUG2, "2")], false, "张三");
    t.issue(T2, &[(DRUG, "2")], true, "李四");
    t.void(T3, &a);
    let f = t.export(&h.path("new.journal"));
    let old = h.path("old.journal");
    let key = cw.key.clone();
    resign(&key, &f, &old, |lines| {
        let mut header: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(header["layout"], "by_receipt", "new journals say so");
        header.as_object_mut().unwrap().remove("layout");
        lines[0] = header.to_string();
        let block: Vec<usize> = (1..lines.len())
            .filter(|&i| {
                matches!(
                    table_of(&lines[i]).as_str(),
                    "receipts" | "receipt_lines" | "receipt_payments"
                )
            })
            .collect();
        let mut grouped: Vec<String> = Vec::new();
        for t in ["receipts", "receipt_lines", "receipt_payments"] {
            grouped.extend(
                block
                    .iter()
                    .map(|&i| lines[i].clone())
                    .filter(|l| table_of(l) == t),
            );
        }
        for (&i, l) in block.iter().zip(grouped) {
            lines[i] = l;
        }
    });
    let o = import(&mut cw, &old).unwrap();
    assert_eq!(o.receipts_added, 2);
    assert_eq!(o.added.get("receipt_lines"), Some(&3));
    assert_eq!(o.added.get("receipt_events"), Some(&1));
    verify_ok(&cw);
    assert!(import(&mut cw, &f).unwrap().already_imported);
}

/// In a `by_receipt` journal a line that is not right after its receipt
/// (its digest could not be taken while inserting) refuses the file as
/// altered, even when signed, and nothing is imported. Catches: the
/// placement check dropped (the import would then succeed with a receipt
/// digest missing a line).
#[test]
fn a_line_out_of_its_receipts_place_is_refused() {
    let (h, mut cw, f) = small_journal();
    let bad = h.path("moved.journal");
    let key = cw.key.clone();
    resign(&key, &f, &bad, |lines| {
        let first = (0..lines.len())
            .find(|&i| table_of(&lines[i]) == "receipts")
            .unwrap();
        assert_eq!(table_of(&lines[first + 1]), "receipt_lines");
        // The first receipt's first line moved after the second receipt.
        let second = (first + 1..lines.len())
            .find(|&i| table_of(&lines[i]) == "receipts")
            .unwrap();
        let moved = lines.remove(first + 1);
        lines.insert(second, moved);
    });
    let before = cw.counts();
    let e = import(&mut cw, &bad).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Verification, "{}", e.en);
    assert!(e.en.contains("not right after its receipt"), "{}", e.en);
    assert_eq!(cw.counts(), before);
    assert_eq!(import(&mut cw, &f).unwrap().receipts_added, 2);
    verify_ok(&cw);
}

/// The import records the SHA-256 of the whole file, byte for byte as
/// `sha256sum` gives it (the reading thread hashes it while the rows are
/// inserted). Catches a file digest that misses the header, the end record
/// or any line (break tried: the reader's `whole.update` removed — the
/// digest is then the header's alone and differs).
#[test]
fn the_import_records_the_whole_files_sha256() {
    use sha2::{Digest, Sha256};
    let (_h, mut cw, file) = small_journal();
    let o = import(&mut cw, &file).unwrap();
    let id = o.import_id.unwrap();
    let recorded: String = cw
        .store
        .conn()
        .query_row(
            "SELECT file_sha256 FROM journal_imports WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(recorded, hex::encode(Sha256::digest(&bytes)));
}
