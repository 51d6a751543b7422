//! Search that finds what cashiers type: a table of realistic queries with
//! the first result a cashier expects, on the bundled sample list and on
//! the shared 30k list; aliases (别名/俗称) imported, stored, verified and
//! found; a cut-off list counted.

use downtime_billing::auth::{Role, Session};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::{Month, TerminalCode, UserName};
use downtime_billing::prices::{self, search::MatchKind, search::SearchIndex};
use downtime_billing::setup::{SetupParams, setup};
use downtime_billing::store::{DataDir, Store};

fn index_of(path: &str) -> SearchIndex {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let a = prices::analyse_bytes(path, &bytes);
    assert!(a.is_valid(), "{path}: {:?}", a.problems);
    SearchIndex::build(a.list.items)
}

/// `(query, what the first result's name must contain)`.
fn check(index: &SearchIndex, table: &[(&str, &str)]) {
    for (q, want) in table {
        let hits = index.search(q, 8);
        let first = hits
            .first()
            .map(|h| index.item(h.index).name.clone())
            .unwrap_or_default();
        assert!(
            first.contains(want),
            "'{q}': first is '{first}' ({:?}), expected one with '{want}'",
            hits.first().map(|h| h.kind)
        );
    }
}

/// Catches: Latin abbreviations ranked below pinyin-initial matches (`ct`
/// finding 穿刺/纯音测听 first), exact code or exact name not first, and
/// ordinary pinyin-initial queries broken by the new tiers.
#[test]
fn the_sample_list_answers_what_cashiers_type() {
    let index = index_of("price_lists/sample_2026-11.csv");
    check(
        &index,
        &[
            ("ct", "(CT)"),
            ("CT", "(CT)"),
            ("dr", "(DR)"),
            ("mr", "(MR)"),
            ("bc", "B超"),
            ("b超", "B超"),
            ("amxl", "阿莫西林"),
            ("tbfx", "头孢呋辛"),
            ("xxbfx", "血细胞分析"),
            ("250101015", "血细胞分析(五分类)"),
            ("血细胞分析(五分类)", "血细胞分析(五分类)"),
            ("glmn", "格列美脲"),
        ],
    );
    let code = index.search("250101015", 1)[0];
    assert_eq!(code.kind, MatchKind::ExactCode);
    let name = index.search("血细胞分析(五分类)", 1)[0];
    assert_eq!(name.kind, MatchKind::ExactName);
}

/// The same on the 30k list (many items share names and abbreviations).
/// Catches: the abbreviation tier matching inside longer Latin words, or
/// the ranking only working on the small list.
#[test]
fn the_30k_list_answers_what_cashiers_type() {
    let index = index_of("../shared/data/price_list_2026-12_30k.csv");
    check(
        &index,
        &[
            ("ct", "(CT)"),
            ("dr", "(DR)"),
            ("mr", "(MR)"),
            ("amxl", "阿莫西林"),
            ("xxbfx", "血细胞分析"),
            ("血细胞分析(五分类)", "血细胞分析(五分类)"),
            ("glmn", "格列美脲"),
            ("tbfx", "头孢呋辛"),
        ],
    );
    // Every CT hit before any other kind of match.
    let hits = index.search("ct", 50);
    assert!(hits.iter().all(|h| h.kind == MatchKind::NameAbbreviation));
    // A cut-off list is counted: 50 shown of many more.
    let n = index.count("ct", 1000);
    assert!(n > 50, "{n}");
    assert_eq!(
        index.count("血细胞分析(五分类)", 1000),
        index.search("血细胞分析(五分类)", 1000).len()
    );
}

/// Catches: the 别名 column not read, aliases lost on import (not stored
/// or not read back), not searched by text or by pinyin initials, or
/// breaking the snapshot's integrity check.
#[test]
fn aliases_are_imported_stored_verified_and_searched() {
    let csv = "项目编码,项目名称,拼音码,规格,单位,单价,类别,医保类别,别名\n\
               250101015,血细胞分析(五分类),XXBFXWFL,全血,次,20.00,检验,甲,血常规\n\
               250103001,粪便常规,FBCG,,次,5.00,检验,甲,\n\
               220201001,B超常规检查-腹部,BCCGJCFB,一个部位,次,90.00,检查,甲,腹部彩超、肝胆B超\n";
    let a = prices::analyse_bytes("aliases.csv", csv.as_bytes());
    assert!(a.is_valid(), "{:?}", a.problems);
    assert_eq!(a.list.items[0].aliases, "血常规");
    assert_eq!(
        a.list.items[2].alias_list().collect::<Vec<_>>(),
        ["腹部彩超", "肝胆B超"]
    );

    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let clock = FixedClock::at("2026-11-22T09:00:00+08:00");
    setup(
        &dir,
        &SetupParams {
            terminal: "MZ01".into(),
            hospital: "测试医院".into(),
            admin: "admin".into(),
            admin_pin: "739146".into(),
            signing_key_file: None,
        },
        &clock,
    )
    .unwrap();
    let mut store = Store::open(&dir).unwrap();
    let admin = Session::new(
        UserName::parse("admin").unwrap(),
        &Role::ALL,
        TerminalCode::parse("MZ01").unwrap(),
    );
    prices::import_parsed(
        &mut store,
        &admin,
        &clock,
        &a.list,
        Month::parse("2026-11").unwrap(),
        &mut |_| {},
    )
    .unwrap();
    let snapshot = prices::snapshot_in_force(store.conn(), clock_date())
        .unwrap()
        .unwrap();
    let items = prices::items(store.conn(), snapshot.id).unwrap();
    assert_eq!(items[0].aliases, "血常规");
    let report = downtime_billing::verify::run(&store).unwrap();
    assert!(report.ok, "{:?}", report.problems);

    let index = SearchIndex::build(items);
    check(
        &index,
        &[
            ("血常规", "血细胞分析(五分类)"),
            ("xcg", "血细胞分析(五分类)"),
            ("彩超", "B超常规检查"),
            ("fbcc", "B超常规检查"),
            ("血细胞分析(五分类)", "血细胞分析(五分类)"),
        ],
    );
    // The alias is not the name: the exact-name tier stays the name's.
    assert_ne!(index.search("血常规", 1)[0].kind, MatchKind::ExactName);
}

fn clock_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}
