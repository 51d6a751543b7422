//! Growth curves for `docs/performance.md`: how the per-keystroke search,
//! a durable receipt issue, the pharmacy's verify and the price import grow
//! from 1k to 1M items or receipts. The single-size benches (search, issue,
//! pharmacy, import) give the criterion figures at the target sizes; this
//! one answers "and with ten or a hundred times more?". It writes one CSV
//! per curve into `GROWTH_OUT` (default `docs/performance/`), which
//! `scripts/perf_plot.py` turns into tables and log–log charts.
//!
//! Env: `GROWTH_MAX` (default 500000): the largest size measured, 1000000
//! for the full curve (about ten minutes more); `GROWTH_PARTS` (default
//! `search,issue,pharmacy`): which curves to measure (`pharmacy` includes
//! the import curve: each list is imported, timed, then verified against);
//! `GROWTH_ISSUE_MAX` (default 100000, capped by `GROWTH_MAX`): the
//! largest pre-filled receipt count for the issue curve.
//!
//! Lists larger than the shared 30k list are that list plus variants of its
//! items (another package or department suffix, a new unique code), as
//! `benches/search.rs` makes its 50k list; smaller ones are evenly spaced
//! rows of it. Databases for the issue curve are pre-filled by the finance
//! benches' direct-SQL bulk path (plausible 2-line receipts), then 5-line
//! receipts are issued through the library, each paired with a bare 4 KiB
//! append + fsync on the same disk (the floor), interleaved.

#[path = "support/finance_data.rs"]
mod finance_data;

use downtime_billing::auth::{self, Role, Session};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::{Month, TerminalCode, UserName};
use downtime_billing::money::UnitPrice;
use downtime_billing::pharmacy;
use downtime_billing::prices::pinyin::initials;
use downtime_billing::prices::search::SearchIndex;
use downtime_billing::prices::{self, Category, PriceItem};
use downtime_billing::receipts::qr::{self, QrMeta, QrPayload};
use downtime_billing::receipts::query::Kind;
use downtime_billing::receipts::{self, IssueRequest};
use downtime_billing::setup::{SetupParams, setup};
use downtime_billing::store::{DataDir, Store};
use rusqlite::Connection;
use rust_decimal::Decimal;
use std::collections::HashSet;
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const LIST_30K: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/price_list_2026-12_30k.csv"
);

/// The keystroke set of `benches/search.rs`: 1–4 characters, pinyin, code,
/// Chinese.
const QUERIES: &[&str] = &[
    "a",
    "am",
    "amx",
    "amxl",
    "x",
    "xa",
    "25",
    "2501",
    "阿",
    "阿莫",
    "注射",
    "胶囊",
    "z",
    "zs",
    "zsy",
    "smzs",
    "c",
    "3",
    "31",
    "片",
    "注射液",
    "血",
];
const LIMIT: usize = 50;
const SIZES: &[usize] = &[1_000, 10_000, 50_000, 100_000, 500_000, 1_000_000];
const RECEIPTS: &[u64] = &[1_000, 10_000, 100_000, 1_000_000];
const SUFFIXES: &[&str] = &[
    "(儿童)",
    "(急诊)",
    "(加收)",
    "(进口)",
    "(国产)",
    "(小包装)",
    "(大包装)",
    "(夜间)",
];

fn env_num(k: &str, d: u64) -> u64 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`, exact to the
/// nanosecond, where `/proc/thread-self/schedstat` only moves at scheduler
/// ticks): on the shared machine wall time also counts the neighbours'
/// builds.
fn cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec we own.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Appends one row to `dir/name.csv`, writing the header first when the
/// file is new.
fn csv_row(dir: &Path, name: &str, header: &str, row: String) {
    let path = dir.join(format!("{name}.csv"));
    let new = !path.exists();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .expect("the growth CSV opens for appending");
    if new {
        writeln!(f, "{header}").expect("a CSV header");
    }
    writeln!(f, "{row}").expect("a CSV row");
    println!("  {name}: {row}");
}

/// `n` price-list rows (the shared file's columns): evenly spaced rows of
/// the 30k list, or all of it plus variants with unique codes.
fn rows(base: &[csv::StringRecord], n: usize) -> Vec<csv::StringRecord> {
    if n <= base.len() {
        let step = base.len() as f64 / n as f64;
        return (0..n)
            .map(|i| base[(i as f64 * step) as usize].clone())
            .collect();
    }
    let suffix_py: Vec<String> = SUFFIXES
        .iter()
        .map(|s| {
            initials(s)
                .split(' ')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    let mut codes: HashSet<String> = base.iter().map(|r| r[0].to_uppercase()).collect();
    let mut out = base.to_vec();
    for k in 0..n - base.len() {
        let b = &base[(k * 7919) % base.len()];
        let cut = b[0].len().saturating_sub(7);
        let mut code = format!("{}{:07}", &b[0][..cut], k);
        while !codes.insert(code.to_uppercase()) {
            code.push('V');
        }
        let s = k % SUFFIXES.len();
        let name = format!("{}{}", &b[1], SUFFIXES[s]);
        let pinyin = format!("{}{}", &b[2], suffix_py[s]);
        let mut r = csv::StringRecord::new();
        r.push_field(&code);
        r.push_field(&name);
        r.push_field(&pinyin);
        for f in b.iter().skip(3).take(5) {
            r.push_field(f);
        }
        r.push_field("");
        out.push(r);
    }
    out
}

fn items(rows: &[csv::StringRecord]) -> Vec<PriceItem> {
    rows.iter()
        .map(|r| PriceItem {
            code: r[0].to_string(),
            name: r[1].to_string(),
            pinyin: r[2].to_string(),
            spec: r[3].to_string(),
            unit: r[4].to_string(),
            unit_price: UnitPrice::parse(&r[5]).expect("a price from the shared list"),
            category: Category::parse(&r[6]).expect("a category from the shared list"),
            insurance_class: r[7].to_string(),
            barcode: r[8].to_string(),
            aliases: String::new(),
        })
        .collect()
}

fn write_list(path: &Path, header: &csv::StringRecord, rows: &[csv::StringRecord]) {
    let mut w = csv::Writer::from_path(path).expect("a scratch list file");
    w.write_record(header).expect("header");
    for r in rows {
        w.write_record(r).expect("row");
    }
    w.flush().expect("flush");
}

fn fts5(items: &[PriceItem]) -> Connection {
    let conn = Connection::open_in_memory().expect("in-memory sqlite");
    conn.execute_batch(
        "CREATE VIRTUAL TABLE t USING fts5(code, name, pinyin, tokenize='trigram');",
    )
    .expect("fts5 trigram");
    let tx = conn.unchecked_transaction().expect("tx");
    {
        let mut ins = tx
            .prepare("INSERT INTO t(rowid, code, name, pinyin) VALUES (?1, ?2, ?3, ?4)")
            .expect("insert");
        for (i, it) in items.iter().enumerate() {
            ins.execute(rusqlite::params![i as i64, it.code, it.name, it.pinyin])
                .expect("row");
        }
    }
    tx.commit().expect("commit");
    conn
}

fn fts_query(conn: &Connection, q: &str) -> usize {
    let mut st = conn
        .prepare_cached("SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rank LIMIT 50")
        .expect("select");
    let phrase = format!("\"{}\"", q.replace('"', "\"\""));
    st.query_map([phrase], |r| r.get::<_, i64>(0))
        .expect("query")
        .count()
}

/// Search: index build (ours, FTS5) and per-keystroke p50/p99 of both,
/// interleaved query by query.
fn search_curve(out: &Path, base: &[csv::StringRecord], max: usize) {
    println!("\nsearch growth (22 queries of 1–4 chars, top {LIMIT}, interleaved with FTS5)");
    for &n in SIZES.iter().filter(|&&n| n <= max) {
        let list = items(&rows(base, n));
        let t = Instant::now();
        let ix = SearchIndex::build(list.clone());
        let build = t.elapsed();
        let t = Instant::now();
        let conn = fts5(&list);
        let fts_build = t.elapsed();
        drop(list);
        let rounds = (3_000_000 / n).clamp(20, 300);
        let (mut o, mut f) = (Vec::new(), Vec::new());
        let (mut o_cpu, mut f_cpu) = (Vec::new(), Vec::new());
        // FTS5 trigram cannot answer a query shorter than 3 characters.
        let short: Vec<&&str> = QUERIES.iter().filter(|q| q.chars().count() <= 2).collect();
        let short_empty = short.iter().filter(|q| fts_query(&conn, q) == 0).count();
        let ours_short_empty = short
            .iter()
            .filter(|q| ix.search(q, LIMIT).is_empty())
            .count();
        for _ in 0..rounds {
            for q in QUERIES {
                let (t, c) = (Instant::now(), cpu_time());
                black_box(ix.search(q, LIMIT));
                o.push(t.elapsed());
                o_cpu.push(cpu_time().saturating_sub(c));
                let (t, c) = (Instant::now(), cpu_time());
                black_box(fts_query(&conn, q));
                f.push(t.elapsed());
                f_cpu.push(cpu_time().saturating_sub(c));
            }
        }
        let (o50, o99) = (pct(&mut o, 0.5), pct(&mut o, 0.99));
        let (f50, f99) = (pct(&mut f, 0.5), pct(&mut f, 0.99));
        let oc99 = pct(&mut o_cpu, 0.99);
        let fc99 = pct(&mut f_cpu, 0.99);
        csv_row(
            out,
            "search",
            "items,ours_p50_us,ours_p99_us,ours_cpu_p99_us,fts5_p50_us,fts5_p99_us,fts5_cpu_p99_us,ratio_p99,ours_build_ms,fts5_build_ms,short_queries,fts5_short_empty,ours_short_empty,samples",
            format!(
                "{n},{:.1},{:.1},{:.1},{:.1},{:.1},{:.1},{:.1},{:.0},{:.0},{},{short_empty},{ours_short_empty},{}",
                us(o50),
                us(o99),
                us(oc99),
                us(f50),
                us(f99),
                us(fc99),
                f99.as_secs_f64() / o99.as_secs_f64(),
                ms(build),
                ms(fts_build),
                short.len(),
                o.len()
            ),
        );
    }
}

fn admin_session(terminal: &str) -> Session {
    Session::new(
        UserName::parse("admin").expect("name"),
        &Role::ALL,
        TerminalCode::parse(terminal).expect("terminal"),
    )
}

/// Import time of a fresh database for lists of each size, then the
/// pharmacy's verify of a 10-line code against that snapshot.
fn import_pharmacy_curve(
    out: &Path,
    base: &[csv::StringRecord],
    header: &csv::StringRecord,
    max: usize,
) {
    println!("\nimport and pharmacy verify growth (list size)");
    let now = "2026-12-05T10:15:03+08:00";
    for &n in SIZES.iter().filter(|&&n| n <= max) {
        let scratch = tempfile::Builder::new()
            .prefix("bench-growth-")
            .tempdir_in(env!("CARGO_MANIFEST_DIR"))
            .expect("a scratch dir on the project's disk");
        let list_rows = rows(base, n);
        let list = scratch.path().join(format!("list_{n}.csv"));
        write_list(&list, header, &list_rows);
        let runs = match n {
            ..=100_000 => 5,
            100_001..=500_000 => 3,
            _ => 1,
        };
        let clock = FixedClock::at(now);
        let mut walls = Vec::new();
        let mut cpus = Vec::new();
        let mut kept = None;
        for r in 0..runs {
            let dir = DataDir::new(scratch.path().join(format!("data{r}")));
            setup(
                &dir,
                &SetupParams {
                    terminal: "YF01".into(),
                    hospital: "测试医院".into(),
                    admin: "admin".into(),
                    admin_pin: finance_data::PIN.into(),
                    signing_key_file: None,
                },
                &clock,
            )
            .expect("setup");
            let mut store = Store::open(&dir).expect("store");
            let (t, c) = (Instant::now(), cpu_time());
            let report = prices::import(
                &mut store,
                &admin_session("YF01"),
                &clock,
                &list,
                Month::parse("2026-12").expect("month"),
                &mut |_| {},
            )
            .expect("the generated list imports");
            walls.push(t.elapsed());
            cpus.push(cpu_time().saturating_sub(c));
            assert_eq!(report.snapshot.item_count as usize, n);
            kept = Some((dir, store));
        }
        let Some((dir, store)) = kept else { continue };
        let bytes = std::fs::metadata(&list).map(|m| m.len()).unwrap_or(0);
        csv_row(
            out,
            "import",
            "items,wall_p50_ms,wall_max_ms,cpu_p50_ms,list_mb,runs",
            format!(
                "{n},{:.0},{:.0},{:.0},{:.1},{runs}",
                ms(pct(&mut walls, 0.5)),
                ms(pct(&mut walls, 1.0)),
                ms(pct(&mut cpus, 0.5)),
                bytes as f64 / 1e6
            ),
        );

        // Ten codes spread over the list, signed with this terminal's key.
        // The key is kept only wrapped under the admin's PIN.
        let key = downtime_billing::keys::wrap::unlock_dir(&dir, "admin", finance_data::PIN)
            .expect("key");
        let step = (n / 10).max(1);
        let codes: Vec<String> = list_rows
            .iter()
            .step_by(step)
            .take(10)
            .map(|r| r[0].to_string())
            .collect();
        let code = qr::build(
            &QrPayload {
                number: "MZ01-00000017".into(),
                terminal: "MZ01".into(),
                issued_at: chrono::DateTime::parse_from_rfc3339(now).expect("time"),
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
        let mut v = Vec::new();
        let mut c = Vec::new();
        for _ in 0..2_000 {
            let (t, c0) = (Instant::now(), cpu_time());
            black_box(pharmacy::check_unchecked(store.conn(), &key, black_box(&code)).is_ok());
            v.push(t.elapsed());
            c.push(cpu_time().saturating_sub(c0));
        }
        csv_row(
            out,
            "pharmacy",
            "items,p50_us,p99_us,cpu_p99_us,samples",
            format!(
                "{n},{:.1},{:.1},{:.1},{}",
                us(pct(&mut v, 0.5)),
                us(pct(&mut v, 0.99)),
                us(pct(&mut c, 0.99)),
                v.len()
            ),
        );
    }
}

/// The five items the receipts are made of, as a small list for the month
/// the bulk receipts belong to.
const CODES: [&str; 5] = [
    "XN72DG587P95754",
    "XA88DF322F52065",
    "430161610-d",
    "T65124405",
    "110275556-d",
];

fn five_item_list(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(LIST_30K).expect("the shared 30k list");
    let mut lines = text.lines();
    let mut out = vec![lines.next().unwrap_or_default().to_string()];
    out.extend(
        lines
            .filter(|l| CODES.iter().any(|c| l.starts_with(&format!("{c},"))))
            .map(str::to_string),
    );
    let list = dir.join("five.csv");
    std::fs::write(&list, out.join("\n")).expect("the five-item list");
    list
}

/// Issue p50/p99 of a 5-line durable receipt with the database already
/// holding `n` receipts, each issue paired with the fsync floor.
fn issue_curve(out: &Path, max: u64) {
    println!(
        "\nissue growth (database pre-filled with n receipts; paired with a 4 KiB append + fsync)"
    );
    let pairs = env_num("GROWTH_ISSUE_PAIRS", 300) as usize;
    for &n in RECEIPTS.iter().filter(|&&n| n <= max) {
        let scratch = tempfile::Builder::new()
            .prefix("bench-growth-")
            .tempdir_in(env!("CARGO_MANIFEST_DIR"))
            .expect("a scratch dir on the project's disk");
        let t = Instant::now();
        let (dd, key, _key_file) = finance_data::bulk_terminal(scratch.path(), "MZ01", n, None);
        let fill = t.elapsed();
        let clock = finance_data::clock();
        let mut store = Store::open(&dd).expect("store");
        let admin = admin_session("MZ01");
        receipts::ranges::add(&mut store, &admin, &clock, "MZ01", n + 11, n + 1_000_000)
            .expect("a second range");
        prices::import(
            &mut store,
            &admin,
            &clock,
            &five_item_list(scratch.path()),
            Month::parse("2026-11").expect("month"),
            &mut |_| {},
        )
        .expect("five items");
        let t = downtime_billing::setup::terminal_code(&store).expect("terminal");
        let session =
            auth::login(store.conn_mut(), "admin", finance_data::PIN, &t, &clock).expect("login");
        let lines: Vec<_> = CODES
            .iter()
            .map(|c| serde_json::json!({"code": c, "qty": "1"}))
            .collect();
        let mut req: IssueRequest = serde_json::from_value(serde_json::json!({
            "kind": "outpatient",
            "patient": {"name": "张三"},
            "lines": lines,
            "payments": [],
        }))
        .expect("a request");
        let total = receipts::preview(store.conn(), &clock, &req.lines)
            .expect("preview")
            .total;
        req.payments = vec![receipts::PaymentRequest {
            method: "cash".into(),
            amount: receipts::issue::NumText::Text(total.to_string()),
            tendered: None,
            reference: None,
        }];
        let mut floor = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(scratch.path().join("floor.bin"))
            .expect("the floor file");
        let mut issue = || {
            let draft = receipts::IssueDraft::build(store.conn(), &clock, &req).expect("draft");
            receipts::issue(&mut store, &session, &clock, &key, &draft).expect("issued");
        };
        let mut fsync = || {
            floor.write_all(&[7u8; 4096]).expect("write");
            floor.sync_all().expect("fsync");
        };
        for _ in 0..10 {
            issue();
            fsync();
        }
        let (mut a, mut f, mut ac, mut ratios) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..pairs {
            let (t, c) = (Instant::now(), cpu_time());
            issue();
            let d = t.elapsed();
            ac.push(cpu_time().saturating_sub(c));
            let t = Instant::now();
            fsync();
            let g = t.elapsed();
            ratios.push(d.as_secs_f64() / g.as_secs_f64());
            a.push(d);
            f.push(g);
        }
        ratios.sort_by(f64::total_cmp);
        let db_mb = std::fs::metadata(dd.db_path())
            .map(|m| m.len() as f64 / 1e6)
            .unwrap_or(0.0);
        csv_row(
            out,
            "issue",
            "receipts,issue_p50_ms,issue_p99_ms,issue_cpu_p50_ms,floor_p50_ms,floor_p99_ms,paired_ratio_median,db_mb,fill_s,pairs",
            format!(
                "{n},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.0},{:.1},{pairs}",
                ms(pct(&mut a, 0.5)),
                ms(pct(&mut a, 0.99)),
                ms(pct(&mut ac, 0.5)),
                ms(pct(&mut f, 0.5)),
                ms(pct(&mut f, 0.99)),
                ratios[ratios.len() / 2],
                db_mb,
                fill.as_secs_f64()
            ),
        );
    }
}

fn main() {
    let out = std::env::var_os("GROWTH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/performance"));
    std::fs::create_dir_all(&out).expect("the output directory");
    let max = env_num("GROWTH_MAX", 500_000) as usize;
    let issue_max = env_num("GROWTH_ISSUE_MAX", 100_000).min(max as u64);
    let parts = std::env::var("GROWTH_PARTS").unwrap_or_else(|_| "search,issue,pharmacy".into());
    let mut rd = csv::Reader::from_path(LIST_30K).expect("the shared 30k list");
    let header = rd.headers().expect("a header").clone();
    let base: Vec<csv::StringRecord> = rd
        .records()
        .collect::<Result<_, _>>()
        .expect("the shared 30k list reads");
    // A fresh run replaces the curves it measures.
    for part in parts.split(',') {
        let files: &[&str] = match part.trim() {
            "search" => &["search"],
            "issue" => &["issue"],
            "pharmacy" => &["import", "pharmacy"],
            other => panic!("GROWTH_PARTS: unknown part '{other}' (search, issue, pharmacy)"),
        };
        for f in files {
            let _ = std::fs::remove_file(out.join(format!("{f}.csv")));
        }
    }
    for part in parts.split(',') {
        match part.trim() {
            "search" => search_curve(&out, &base, max),
            "issue" => issue_curve(&out, issue_max),
            "pharmacy" => import_pharmacy_curve(&out, &base, &header, max),
            _ => {}
        }
    }
}
