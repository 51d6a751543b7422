//! Item search per keystroke on 50k items (the shared 30k list plus 20k
//! generated variants), 1–4 character queries, top 50: our `SearchIndex`
//! side by side in the same run with SQLite FTS5 trigram over the same rows
//! (`MATCH … ORDER BY rank LIMIT 50`). Criterion measures the mean of a
//! round of all queries; per-query timings are also collected here,
//! interleaved between the two engines, for p50/p99. Index build time on
//! 30k and 50k items is measured too.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use downtime_billing::money::UnitPrice;
use downtime_billing::prices::pinyin::initials;
use downtime_billing::prices::search::SearchIndex;
use downtime_billing::prices::{Category, PriceItem};
use rusqlite::Connection;

const LIST_30K: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/price_list_2026-12_30k.csv"
);

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

/// Queries that match nothing scan every buffer to the end: the worst
/// case, reported apart from the keystroke set.
const MISSES: &[&str] = &["qqq", "vvvv", "龘", "xyzw"];

const LIMIT: usize = 50;
const ROUNDS: usize = 300;

fn load_30k() -> Vec<PriceItem> {
    let mut rd = csv::Reader::from_path(LIST_30K).expect("the shared 30k list");
    rd.records()
        .map(|r| {
            let r = r.expect("a csv row");
            PriceItem {
                code: r[0].to_string(),
                name: r[1].to_string(),
                pinyin: r[2].to_string(),
                spec: r[3].to_string(),
                unit: r[4].to_string(),
                unit_price: UnitPrice::parse(&r[5]).expect("a price"),
                category: Category::parse(&r[6]).expect("a category"),
                insurance_class: r[7].to_string(),
                barcode: r[8].to_string(),
                aliases: String::new(),
            }
        })
        .collect()
}

/// 30k real-looking items plus 20k variants of them: another package or
/// department suffix, a new code and barcode, pinyin recomputed.
fn load_50k() -> Vec<PriceItem> {
    let base = load_30k();
    let suffixes = [
        "(儿童)",
        "(急诊)",
        "(加收)",
        "(进口)",
        "(国产)",
        "(小包装)",
        "(大包装)",
        "(夜间)",
    ];
    let mut items = base.clone();
    for k in 0..20_000usize {
        let b = &base[(k * 7919) % base.len()];
        let name = format!("{}{}", b.name, suffixes[k % suffixes.len()]);
        let cut = b.code.len().saturating_sub(4);
        let code = format!("{}{:04}", &b.code[..cut], k % 10_000);
        let barcode = if b.barcode.len() > 4 {
            format!("{}{:04}", &b.barcode[..b.barcode.len() - 4], k % 10_000)
        } else {
            String::new()
        };
        items.push(PriceItem {
            code,
            pinyin: initials(&name)
                .split(' ')
                .next()
                .unwrap_or_default()
                .to_string(),
            name,
            barcode,
            aliases: String::new(),
            ..b.clone()
        });
    }
    items
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
            // The same readings our index holds: the file's and the computed.
            let py = format!("{} {}", it.pinyin, initials(&it.name));
            ins.execute(rusqlite::params![i as i64, it.code, it.name, py])
                .expect("row");
        }
    }
    tx.commit().expect("commit");
    conn
}

fn fts_query(conn: &Connection, q: &str) -> Vec<i64> {
    let mut st = conn
        .prepare_cached("SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rank LIMIT 50")
        .expect("select");
    // A phrase in double quotes: the query as typed, no FTS syntax.
    let phrase = format!("\"{}\"", q.replace('"', "\"\""));
    st.query_map([phrase], |r| r.get::<_, i64>(0))
        .expect("query")
        .map(|r| r.expect("rowid"))
        .collect()
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn bench(c: &mut Criterion) {
    let items30 = load_30k();
    let items50 = load_50k();

    // Build times (best of 5, so a neighbour's burst does not count).
    let best_build = |items: &Vec<PriceItem>| {
        (0..5)
            .map(|_| {
                let v = items.clone();
                let t = Instant::now();
                black_box(SearchIndex::build(v));
                t.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    let b30 = best_build(&items30);
    let b50 = best_build(&items50);
    let t = Instant::now();
    let conn = fts5(&items50);
    let fts_build = t.elapsed();
    println!(
        "build: SearchIndex 30k {:.1} ms, 50k {:.1} ms; FTS5 trigram 50k {:.1} ms",
        b30.as_secs_f64() * 1e3,
        b50.as_secs_f64() * 1e3,
        fts_build.as_secs_f64() * 1e3
    );

    let ix = SearchIndex::build(items50.clone());

    // Per-query timings, the two engines interleaved query by query.
    let mut ours_all = Vec::new();
    let mut fts_all = Vec::new();
    let mut per_query: Vec<(Vec<Duration>, Vec<Duration>)> =
        vec![(Vec::new(), Vec::new()); QUERIES.len()];
    for _ in 0..ROUNDS {
        for (qi, q) in QUERIES.iter().enumerate() {
            let t = Instant::now();
            black_box(ix.search(q, LIMIT));
            let d = t.elapsed();
            ours_all.push(d);
            per_query[qi].0.push(d);
            let t = Instant::now();
            black_box(fts_query(&conn, q));
            let d = t.elapsed();
            fts_all.push(d);
            per_query[qi].1.push(d);
        }
    }
    println!(
        "\n{:<8} {:>6} {:>10} {:>10} {:>6} {:>10} {:>10}",
        "query", "ours n", "ours p50", "ours p99", "fts n", "fts p50", "fts p99"
    );
    for (qi, q) in QUERIES.iter().enumerate() {
        let (o, f) = &mut per_query[qi];
        o.sort();
        f.sort();
        println!(
            "{:<8} {:>6} {:>8.1}µs {:>8.1}µs {:>6} {:>8.1}µs {:>8.1}µs",
            q,
            ix.search(q, LIMIT).len(),
            us(pct(o, 0.5)),
            us(pct(o, 0.99)),
            fts_query(&conn, q).len(),
            us(pct(f, 0.5)),
            us(pct(f, 0.99)),
        );
    }
    ours_all.sort();
    fts_all.sort();
    let (o50, o99) = (pct(&ours_all, 0.5), pct(&ours_all, 0.99));
    let (f50, f99) = (pct(&fts_all, 0.5), pct(&fts_all, 0.99));
    println!(
        "\nall {} queries x {} rounds on {} items, top {}:",
        QUERIES.len(),
        ROUNDS,
        ix.len(),
        LIMIT
    );
    println!(
        "  SearchIndex  p50 {:.1} µs  p99 {:.1} µs  max {:.1} µs",
        us(o50),
        us(o99),
        us(*ours_all.last().unwrap_or(&Duration::ZERO))
    );
    println!(
        "  FTS5 trigram p50 {:.1} µs  p99 {:.1} µs  max {:.1} µs",
        us(f50),
        us(f99),
        us(*fts_all.last().unwrap_or(&Duration::ZERO))
    );
    println!(
        "  ratio FTS5/ours: p50 {:.1}x, p99 {:.1}x\n",
        f50.as_secs_f64() / o50.as_secs_f64(),
        f99.as_secs_f64() / o99.as_secs_f64()
    );

    for q in MISSES {
        let mut o = Vec::with_capacity(ROUNDS);
        let mut f = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            let t = Instant::now();
            black_box(ix.search(q, LIMIT));
            o.push(t.elapsed());
            let t = Instant::now();
            black_box(fts_query(&conn, q));
            f.push(t.elapsed());
        }
        o.sort();
        f.sort();
        println!(
            "no match {:<6} ours n {} p50 {:.1} µs p99 {:.1} µs | fts n {} p50 {:.1} µs p99 {:.1} µs",
            q,
            ix.search(q, LIMIT).len(),
            us(pct(&o, 0.5)),
            us(pct(&o, 0.99)),
            fts_query(&conn, q).len(),
            us(pct(&f, 0.5)),
            us(pct(&f, 0.99)),
        );
    }
    println!();

    let mut g = c.benchmark_group("search_50k_round_of_queries");
    g.sample_size(30);
    g.measurement_time(Duration::from_secs(4));
    g.bench_function("search_index", |b| {
        b.iter(|| {
            for q in QUERIES {
                black_box(ix.search(q, LIMIT));
            }
        })
    });
    g.bench_function("fts5_trigram", |b| {
        b.iter(|| {
            for q in QUERIES {
                black_box(fts_query(&conn, q));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("search_index_30k", |b| {
        b.iter_batched(
            || items30.clone(),
            |v| black_box(SearchIndex::build(v)),
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
