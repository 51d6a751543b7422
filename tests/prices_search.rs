//! Item search over the shared 30k list and hand-made items: the ranking
//! tiers, polyphonic names, one-character queries, and agreement with a
//! plain reference implementation of the same ranking rules.

mod cli_support;

use downtime_billing::money::UnitPrice;
use downtime_billing::prices::pinyin::{initials, initials_list, initials_without_latin};
use downtime_billing::prices::search::{Hit, MatchKind, SearchIndex};
use downtime_billing::prices::{Category, PriceItem};

const LIST_30K: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/price_list_2026-12_30k.csv"
);

fn load_30k() -> Vec<PriceItem> {
    let mut rd = csv::Reader::from_path(LIST_30K).unwrap();
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            PriceItem {
                code: r[0].to_string(),
                name: r[1].to_string(),
                pinyin: r[2].to_string(),
                spec: r[3].to_string(),
                unit: r[4].to_string(),
                unit_price: UnitPrice::parse(&r[5]).unwrap(),
                category: Category::parse(&r[6]).unwrap(),
                insurance_class: r[7].to_string(),
                barcode: r[8].to_string(),
                aliases: String::new(),
            }
        })
        .collect()
}

fn item(code: &str, name: &str, pinyin: &str, barcode: &str) -> PriceItem {
    PriceItem {
        code: code.into(),
        name: name.into(),
        pinyin: pinyin.into(),
        spec: "10mg*24片".into(),
        unit: "盒".into(),
        unit_price: UnitPrice::parse("12.50").unwrap(),
        category: Category::WesternDrug,
        insurance_class: "甲".into(),
        barcode: barcode.into(),
        aliases: String::new(),
    }
}

fn kinds_non_decreasing(hits: &[Hit]) -> bool {
    hits.windows(2).all(|w| w[0].kind <= w[1].kind)
}

#[test]
fn amxl_finds_amoxicillin_first_with_spec_unit_price() {
    let ix = SearchIndex::build(load_30k());
    assert_eq!(ix.len(), 30_000);
    for q in ["amxl", "AMXL", " amxl\t"] {
        let hits = ix.search(q, 50);
        assert_eq!(hits.len(), 50, "{q}");
        let first = ix.item(hits[0].index);
        assert!(first.name.starts_with("阿莫西林"), "{}", first.name);
        assert_eq!(hits[0].kind, MatchKind::PinyinPrefix);
        for h in hits.iter().take(10) {
            let it = ix.item(h.index);
            assert!(it.name.starts_with("阿莫西林"), "{}", it.name);
            assert!(!it.spec.is_empty() && !it.unit.is_empty());
            assert!(!it.unit_price.is_zero());
        }
        assert!(kinds_non_decreasing(&hits));
    }
}

#[test]
fn exact_code_barcode_and_code_prefix_on_30k() {
    let items = load_30k();
    let target = items
        .iter()
        .position(|i| !i.barcode.is_empty() && i.code.starts_with('X'))
        .unwrap();
    let code = items[target].code.clone();
    let barcode = items[target].barcode.clone();
    let ix = SearchIndex::build(items);

    let hits = ix.search(&code.to_lowercase(), 50);
    assert_eq!(hits[0].index, target);
    assert_eq!(hits[0].kind, MatchKind::ExactCode);

    let hits = ix.search(&barcode, 50);
    assert_eq!(hits[0].index, target);
    assert_eq!(hits[0].kind, MatchKind::ExactBarcode);

    let prefix = &code[..4];
    let hits = ix.search(prefix, 50);
    assert!(!hits.is_empty());
    let codes: Vec<String> = hits.iter().map(|h| ix.item(h.index).code).collect();
    assert!(codes.iter().all(|c| c.starts_with(prefix)), "{codes:?}");
    assert!(hits.iter().all(|h| h.kind == MatchKind::CodePrefix));
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "code prefix hits come in code order");
}

#[test]
fn polyphonic_names_found_by_their_drug_reading() {
    // The file's pinyin column gives the crate's wrong first reading; the
    // index adds the computed readings.
    let ix = SearchIndex::build(vec![
        item("A1", "人参", "RC", ""),
        item("A2", "重组人胰岛素注射液", "ZZRYDSZSY", ""),
        item("A3", "长春西汀注射液", "ZCXTZSY", ""),
        item("A4", "参麦注射液", "CMZSY", ""),
        item("A5", "阿莫西林胶囊", "", ""),
        item("A6", "X线计算机体层(CT)平扫", "", ""),
    ]);
    for (q, name) in [
        ("rs", "人参"),
        ("cz", "重组人胰岛素注射液"),
        ("czry", "重组人胰岛素注射液"),
        ("cc", "长春西汀注射液"),
        ("ccxt", "长春西汀注射液"),
        ("sm", "参麦注射液"),
        ("amxl", "阿莫西林胶囊"),
        // The file's reading still finds it.
        ("zzry", "重组人胰岛素注射液"),
        // HIS style: the abbreviation left out.
        ("xxjsjtcps", "X线计算机体层(CT)平扫"),
        ("xxjsjtcctps", "X线计算机体层(CT)平扫"),
    ] {
        let hits = ix.search(q, 50);
        assert!(!hits.is_empty(), "{q}");
        assert_eq!(ix.item(hits[0].index).name, name, "{q}");
        assert_eq!(hits[0].kind, MatchKind::PinyinPrefix, "{q}");
    }
}

#[test]
fn likely_readings_rank_before_other_readings() {
    // The import stores every combination `initials` gives; 导尿 can also
    // be read dǎo-suī (DS), which must not rank it with 丹参 (DS).
    let ix = SearchIndex::build(vec![
        item("B1", "导尿", &initials("导尿"), ""),
        item("B2", "丹参片", &initials("丹参片"), ""),
    ]);
    assert!(initials("导尿").split(' ').any(|r| r == "DS"));
    let hits = ix.search("ds", 50);
    assert_eq!(ix.item(hits[0].index).name, "丹参片");
    assert_eq!(ix.item(hits[1].index).name, "导尿");
    assert!(hits.iter().all(|h| h.kind == MatchKind::PinyinPrefix));
    assert_eq!(ix.item(ix.search("dn", 50)[0].index).name, "导尿");
}

#[test]
fn polyphonic_names_on_30k() {
    let ix = SearchIndex::build(load_30k());
    // The list spells 参麦 as CM; the drug reading SM must find it too
    // (next to 生脉注射液, also SMZSY).
    let hits = ix.search("smzsy", 50);
    assert!(hits.iter().any(|h| ix.item(h.index).name == "参麦注射液"));
    assert!(hits.iter().all(|h| h.kind == MatchKind::PinyinPrefix));
    let hits = ix.search("rs", 50);
    assert!(
        hits.iter()
            .any(|h| ix.item(h.index).name.starts_with("人参"))
    );
    let hits = ix.search("ds", 50);
    assert!(
        hits.iter()
            .any(|h| ix.item(h.index).name.starts_with("丹参"))
    );
}

#[test]
fn every_one_character_query_answers() {
    let ix = SearchIndex::build(load_30k());
    let letters = "ABCDEFGHJKLMNOPQRSTWXYZ".chars();
    let digits = "0123456789".chars();
    let chinese = "阿注片胶血参黄丸液检查费针药".chars();
    for c in letters.chain(digits).chain(chinese) {
        for q in [c.to_string(), c.to_lowercase().to_string()] {
            let hits = ix.search(&q, 50);
            assert_eq!(hits.len(), 50, "query {q:?}");
            assert!(kinds_non_decreasing(&hits), "query {q:?}");
        }
    }
    // A Chinese character matches names only.
    let hits = ix.search("注", 50);
    assert!(hits.iter().all(|h| h.kind == MatchKind::NameSubstring));
    assert!(hits.iter().all(|h| ix.item(h.index).name.contains('注')));
    // Shorter names first within the tier.
    let lens: Vec<usize> = hits
        .iter()
        .map(|h| ix.item(h.index).name.chars().count())
        .collect();
    assert!(lens.windows(2).all(|w| w[0] <= w[1]), "{lens:?}");
}

#[test]
fn empty_and_blank_queries_find_nothing() {
    let ix = SearchIndex::build(load_30k());
    assert!(ix.search("", 50).is_empty());
    assert!(ix.search(" \t ", 50).is_empty());
    assert!(ix.search("amxl", 0).is_empty());
    assert!(SearchIndex::build(Vec::new()).search("a", 50).is_empty());
}

#[test]
fn ranking_between_tiers_on_hand_made_items() {
    let ix = SearchIndex::build(vec![
        item("D1", "叶酸片", "", ""),                 // pinyin prefix YSP
        item("YS1", "头孢", "", ""),                  // code prefix
        item("B100", "盐酸小檗碱片", "", "YS"),       // barcode YS
        item("YS", "维生素C", "", ""),                // exact code
        item("YS20", "碘伏", "", ""),                 // code prefix
        item("C9", "含YS字样的材料", "", ""),         // abbreviation: YS as a word
        item("C12", "含AYSB字样的材料", "", ""),      // name substring (inside a word)
        item("C10", "复方甘草片", "FFGCP FFYSP", ""), // file reading: substring
        item("C11", "阿莫西林", "", ""),              // no match
        item("AYS", "阿莫西林", "", ""),              // code substring
    ]);
    let got: Vec<(String, MatchKind)> = ix
        .search("ys", 50)
        .iter()
        .map(|h| (ix.item(h.index).code, h.kind))
        .collect();
    let got: Vec<(&str, MatchKind)> = got.iter().map(|(c, k)| (c.as_str(), *k)).collect();
    assert_eq!(
        got,
        vec![
            ("YS", MatchKind::ExactCode),
            ("B100", MatchKind::ExactBarcode),
            ("YS1", MatchKind::CodePrefix),
            ("YS20", MatchKind::CodePrefix),
            ("C9", MatchKind::NameAbbreviation),
            ("D1", MatchKind::PinyinPrefix),
            ("C12", MatchKind::NameSubstring),
            ("C10", MatchKind::PinyinSubstring),
            ("AYS", MatchKind::CodeSubstring),
        ]
    );
}

/// The ranking rules written plainly: each item's best match, then tier,
/// then within the tier code order (code prefix), likely readings before
/// other readings (pinyin tiers), then shorter name, code.
/// Each item's readings as the ranking rules see them: (likely, other).
fn readings_of(items: &[PriceItem]) -> Vec<(Vec<String>, Vec<String>)> {
    items
        .iter()
        .map(|it| {
            let computed = initials_list(&it.name);
            let unlikely = &computed[1.min(computed.len())..];
            let mut likely: Vec<String> = Vec::new();
            let mut other: Vec<String> = unlikely.to_vec();
            for (k, r) in it.pinyin.split_whitespace().enumerate() {
                let r = r.to_uppercase();
                if k > 0 && unlikely.contains(&r) {
                    continue;
                }
                other.retain(|o| *o != r);
                likely.push(r);
            }
            likely.extend(computed.first().cloned());
            likely.extend(initials_without_latin(&it.name));
            (likely, other)
        })
        .collect()
}

/// `q` in `name` with no ASCII letter right before or after it.
fn latin_word(name: &str, q: &str) -> bool {
    let b = name.as_bytes();
    name.match_indices(q).any(|(at, _)| {
        (at == 0 || !b[at - 1].is_ascii_alphabetic())
            && b.get(at + q.len()).is_none_or(|c| !c.is_ascii_alphabetic())
    })
}

fn reference(
    items: &[PriceItem],
    readings: &[(Vec<String>, Vec<String>)],
    query: &str,
    limit: usize,
) -> Vec<Hit> {
    let q = query.trim().to_uppercase();
    if q.is_empty() {
        return Vec::new();
    }
    let alnum = q.bytes().all(|b| b.is_ascii_alphanumeric());
    let mut scored = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let code = it.code.to_uppercase();
        let (likely, other) = &readings[i];
        let pinyin = |f: &dyn Fn(&String) -> bool| {
            if likely.iter().any(f) {
                Some(0)
            } else if other.iter().any(f) {
                Some(1)
            } else {
                None
            }
        };
        let found = if code == q {
            Some((MatchKind::ExactCode, 0))
        } else if !it.barcode.is_empty() && it.barcode.to_uppercase() == q {
            Some((MatchKind::ExactBarcode, 0))
        } else if it.name.to_uppercase() == q {
            Some((MatchKind::ExactName, 0))
        } else if code.starts_with(&q) {
            Some((MatchKind::CodePrefix, 0))
        } else if alnum
            && q.len() >= 2
            && q.bytes().any(|b| b.is_ascii_alphabetic())
            && latin_word(&it.name.to_uppercase(), &q)
        {
            Some((MatchKind::NameAbbreviation, 0))
        } else if let Some(layer) = pinyin(&|r| alnum && r.starts_with(&q)) {
            Some((MatchKind::PinyinPrefix, layer))
        } else if it.name.to_uppercase().contains(&q) {
            Some((MatchKind::NameSubstring, 0))
        } else if let Some(layer) = pinyin(&|r| alnum && r.contains(&q)) {
            Some((MatchKind::PinyinSubstring, layer))
        } else if code.contains(&q) {
            Some((MatchKind::CodeSubstring, 0))
        } else {
            None
        };
        if let Some((kind, layer)) = found {
            let code_key = if kind == MatchKind::CodePrefix {
                code.clone()
            } else {
                String::new()
            };
            let name_len = it.name.chars().count();
            let name = it.name.to_uppercase();
            scored.push((kind, code_key, layer, name_len, code, name, i));
        }
    }
    scored.sort();
    scored
        .into_iter()
        .take(limit)
        .map(|s| Hit {
            index: s.6,
            kind: s.0,
        })
        .collect()
}

#[test]
fn agrees_with_the_plain_reference_on_30k() {
    let items = load_30k();
    let ix = SearchIndex::build(items.clone());
    let readings = readings_of(&items);
    let queries = [
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
        "j",
        "jn",
        "p",
        "1",
        "3",
        "c",
        "t",
        "sm",
        "rs",
        "ds",
        "yp",
        "b6",
        "ml",
        "急诊",
        "(",
        "xyz",
        "qq",
        "gw",
        "e",
        "o",
        "qqq",
        "龘",
        "xyzw",
        "F52065",
        "DF322",
        "6950965676060",
        "ZSYJZ",
        "SMZSY",
        "饮片",
        "(加收)",
        "2501209",
    ];
    for q in queries {
        for limit in [1, 10, 50, 200] {
            let got = ix.search(q, limit);
            let want = reference(&items, &readings, q, limit);
            assert_eq!(got, want, "query {q:?} limit {limit}");
        }
    }
}

#[test]
fn stored_snapshot_index_matches_the_cli() {
    use downtime_billing::prices;
    use downtime_billing::store::{DataDir, Store};

    let dir = tempfile::tempdir().unwrap();
    let bin = || {
        let mut c = cli_support::command();
        c.arg("--data-dir")
            .arg(dir.path())
            .env("DOWNTIME_BILLING_PIN", "739146")
            .env("DOWNTIME_BILLING_NOW", "2026-12-03T09:00:00+08:00")
            .env_remove("DOWNTIME_BILLING_DATA_DIR");
        c
    };
    bin()
        .args(["setup", "--terminal", "MZ01", "--hospital", "测试医院"])
        .args(["--admin", "admin"])
        .assert()
        .success();
    bin()
        .args(["--user", "admin", "prices", "import", LIST_30K])
        .args(["--month", "2026-12"])
        .assert()
        .success();

    let store = Store::open(&DataDir::new(dir.path())).unwrap();
    let snap = prices::snapshot_for_month(
        store.conn(),
        downtime_billing::domain::Month::parse("2026-12").unwrap(),
    )
    .unwrap()
    .unwrap();
    let ix = SearchIndex::for_snapshot(store.conn(), snap.id).unwrap();
    assert_eq!(ix.len(), 30_000);
    let hits = ix.search("amxl", 10);
    assert!(
        hits.iter()
            .all(|h| ix.item(h.index).name.starts_with("阿莫西林"))
    );

    let out = bin()
        .args(["prices", "search", "amxl", "--limit", "10", "--json"])
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let cli: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["code"].as_str().unwrap())
        .collect();
    let lib: Vec<String> = hits.iter().map(|h| ix.item(h.index).code).collect();
    assert_eq!(cli, lib);
    assert_eq!(v[0]["match"], "pinyin_prefix");
}
