//! Reading a price-list file into items, or into the full list of what is
//! wrong with it. Price offices send CSV exported by Excel (often GBK), XLSX
//! with a title row above the header, or JSON from an HIS; headers may be
//! English or Chinese. Every format is first turned into one shape (rows of
//! cells with the row number a spreadsheet shows), so the rules are written
//! once. Nothing here touches the database: an import validates fully before
//! it opens a write transaction.

use super::model::{Category, PriceItem};
use super::problem::{NO_COLUMN, Problem, ProblemKind};
use crate::domain::Month;
use crate::money::{MoneyError, UnitPrice};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// How many rows may stand above the header (titles, dates, notes).
pub const HEADER_SEARCH_ROWS: usize = 20;

/// The file formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    Csv,
    Spreadsheet,
    Json,
}

/// A file that passed every check: items in file order, with warnings.
#[derive(Debug, Clone)]
pub struct ParsedList {
    pub file_name: String,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    pub format: SourceFormat,
    /// The text encoding a CSV was read in ("UTF-8", "GB18030"); empty for
    /// XLSX and JSON.
    pub encoding: String,
    pub items: Vec<PriceItem>,
    /// `rows[i]` is the file row `items[i]` came from.
    pub rows: Vec<usize>,
    pub warnings: Vec<Problem>,
    /// How many items had their pinyin initials computed from the name.
    pub pinyin_computed: usize,
    /// A month found in the file name (or a title row), to propose when the
    /// admin did not give one.
    pub month_hint: Option<Month>,
}

/// Everything learnt from a file, valid or not (what a preview shows).
#[derive(Debug, Clone)]
pub struct Analysis {
    pub list: ParsedList,
    /// Empty when the file may be imported.
    pub problems: Vec<Problem>,
}

impl Analysis {
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The fields of a price-list row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    Code,
    Name,
    Pinyin,
    Spec,
    Unit,
    Price,
    Category,
    Insurance,
    Barcode,
    /// 别名/俗称: other names of the item, searched and shown.
    Aliases,
}

const REQUIRED: [Field; 5] = [
    Field::Code,
    Field::Name,
    Field::Unit,
    Field::Price,
    Field::Category,
];

impl Field {
    fn from_header(raw: &str) -> Option<Field> {
        let t = raw
            .trim()
            .trim_start_matches('\u{feff}')
            .trim_matches(|c: char| c == '*' || c == '＊' || c.is_whitespace())
            .to_ascii_lowercase()
            .replace([' ', '-'], "_");
        let f = match t.as_str() {
            "code" | "item_code" | "项目编码" | "编码" | "项目代码" => Field::Code,
            "name" | "item_name" | "项目名称" | "名称" => Field::Name,
            "pinyin" | "拼音码" | "拼音" | "拼音简码" => Field::Pinyin,
            "spec" | "specification" | "规格" => Field::Spec,
            "unit" | "单位" => Field::Unit,
            "price" | "unit_price" | "单价" | "价格" => Field::Price,
            "category" | "类别" | "项目类别" => Field::Category,
            "insurance_class" | "insurance" | "医保类别" | "医保等级" => Field::Insurance,
            "barcode" | "条形码" | "条码" => Field::Barcode,
            "aliases" | "alias" | "别名" | "俗称" | "别名/俗称" => Field::Aliases,
            _ => return None,
        };
        Some(f)
    }

    fn names(self) -> (&'static str, &'static str) {
        match self {
            Field::Code => ("code", "项目编码"),
            Field::Name => ("name", "项目名称"),
            Field::Pinyin => ("pinyin", "拼音码"),
            Field::Spec => ("spec", "规格"),
            Field::Unit => ("unit", "单位"),
            Field::Price => ("price", "单价"),
            Field::Category => ("category", "类别"),
            Field::Insurance => ("insurance_class", "医保类别"),
            Field::Barcode => ("barcode", "条形码"),
            Field::Aliases => ("aliases", "别名"),
        }
    }
}

/// One cell, already decoded.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    /// Bytes that are not text in the file's encoding.
    Undecodable,
    /// A value that is neither text nor a number (error cells, arrays).
    Bad(String),
    /// Not present at all (a short CSV row, a key missing from a JSON object).
    Absent,
}

impl Cell {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Text(s) => s.trim().is_empty(),
            Cell::Absent => true,
            _ => false,
        }
    }
}

struct RawRow {
    /// As the spreadsheet shows it (1-based).
    row: usize,
    cells: Vec<Cell>,
}

/// A file turned into rows: either a grid (CSV, XLSX) whose header is still
/// to be found, or keyed records (JSON) whose keys are the header.
enum Table {
    Grid(Vec<RawRow>),
    Keyed {
        header: Vec<String>,
        rows: Vec<RawRow>,
    },
}

/// Reads and checks a file from disk.
pub fn analyse_file(path: &std::path::Path) -> std::io::Result<Analysis> {
    let bytes = std::fs::read(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok(analyse_bytes(&name, &bytes))
}

/// Reads and checks a file's bytes; `file_name` decides the format (by its
/// extension, else by sniffing) and names the file in every problem.
pub fn analyse_bytes(file_name: &str, bytes: &[u8]) -> Analysis {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let format = detect_format(file_name, bytes);
    let mut list = ParsedList {
        file_name: file_name.to_string(),
        sha256,
        format,
        encoding: String::new(),
        items: Vec::new(),
        rows: Vec::new(),
        warnings: Vec::new(),
        pinyin_computed: 0,
        month_hint: month_in_text(file_name),
    };
    let mut problems = Vec::new();
    let file = file_name;
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        problems.push(Problem::new(file, 1, NO_COLUMN, ProblemKind::EmptyFile));
        return Analysis { list, problems };
    }
    let table = match format {
        SourceFormat::Csv => {
            let (table, encoding) = read_csv(bytes);
            list.encoding = encoding.to_string();
            Ok(table)
        }
        SourceFormat::Spreadsheet => read_spreadsheet(bytes),
        SourceFormat::Json => read_json(bytes),
    };
    let table = match table {
        Ok(t) => t,
        Err(p) => {
            problems.push(Problem::new(file, p.0, NO_COLUMN, p.1));
            return Analysis { list, problems };
        }
    };
    let (header_row, header, rows, titles) = match table {
        Table::Keyed { header, rows } => (1, header, rows, Vec::new()),
        Table::Grid(grid) => match find_header(grid) {
            Ok(found) => found,
            Err(kind) => {
                problems.push(Problem::new(file, 1, NO_COLUMN, kind));
                return Analysis { list, problems };
            }
        },
    };
    if list.month_hint.is_none() {
        list.month_hint = titles.iter().find_map(|t| month_in_text(t));
    }
    validate(file, header_row, &header, rows, &mut list, &mut problems);
    Analysis { list, problems }
}

fn detect_format(file_name: &str, bytes: &[u8]) -> SourceFormat {
    let ext = std::path::Path::new(file_name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "txt" | "tsv" => SourceFormat::Csv,
        "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => SourceFormat::Spreadsheet,
        "json" => SourceFormat::Json,
        _ => {
            let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
            if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
                SourceFormat::Spreadsheet
            } else if first == Some(&b'[') {
                SourceFormat::Json
            } else {
                SourceFormat::Csv
            }
        }
    }
}

/// The month a file name or title speaks of: `2026-12`, `2026_12`,
/// `202612`, `2026年12月`.
pub fn month_in_text(text: &str) -> Option<Month> {
    let chars: Vec<char> = text.chars().collect();
    let digit = |i: usize| chars.get(i).is_some_and(|c| c.is_ascii_digit());
    for start in 0..chars.len() {
        if !(digit(start) && digit(start + 1) && digit(start + 2) && digit(start + 3)) {
            continue;
        }
        if start > 0 && digit(start - 1) {
            continue;
        }
        let year: String = chars[start..start + 4].iter().collect();
        let mut i = start + 4;
        if matches!(chars.get(i), Some('-' | '_' | '.' | '/' | '年')) {
            i += 1;
        }
        let mut month = String::new();
        while digit(i) && month.len() < 2 {
            month.push(chars[i]);
            i += 1;
        }
        if digit(i) || month.is_empty() {
            continue;
        }
        if month.len() == 1 && chars.get(i) != Some(&'月') {
            continue;
        }
        if let Ok(m) = Month::parse(&format!("{year}-{month:0>2}")) {
            return Some(m);
        }
    }
    None
}

mod csv;
mod json;
mod validate;
mod xlsx;

use self::csv::read_csv;
use self::json::read_json;
pub use self::validate::parse_price;
use self::validate::{find_header, validate};
#[cfg(test)]
use self::xlsx::float_text;
use self::xlsx::read_spreadsheet;

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "code,name,pinyin,spec,unit,price,category,insurance_class,barcode\n";

    fn analyse(name: &str, text: &str) -> Analysis {
        analyse_bytes(name, text.as_bytes())
    }

    fn locations(a: &Analysis) -> Vec<String> {
        a.problems.iter().map(|p| p.location()).collect()
    }

    fn only_problem(name: &str, text: &str) -> Problem {
        let a = analyse(name, text);
        assert_eq!(a.problems.len(), 1, "{:?}", a.problems);
        assert!(a.list.items.is_empty());
        a.problems[0].clone()
    }

    fn row_with_price(price: &str) -> String {
        format!(
            "{HEADER}A1,阿莫西林胶囊,AMXLJN,0.25g,盒,12.50,西药,甲,\nA2,布洛芬片,BLFP,0.2g,盒,{price},西药,乙,\n"
        )
    }

    #[test]
    fn a_good_utf8_file_with_bom_reads_every_field() {
        let text = format!("\u{feff}{HEADER}A1,阿莫西林胶囊,,0.25g*24粒,盒,12.50,西药,甲,690001\n");
        let a = analyse("list.csv", &text);
        assert!(a.is_valid(), "{:?}", a.problems);
        let l = a.list;
        assert_eq!(l.encoding, "UTF-8");
        assert_eq!(l.items.len(), 1);
        assert_eq!(l.rows, [2]);
        let i = &l.items[0];
        assert_eq!(i.code, "A1");
        assert_eq!(i.spec, "0.25g*24粒");
        assert_eq!(i.unit_price.as_text(), "12.50");
        assert_eq!(i.category, Category::WesternDrug);
        assert_eq!(i.barcode, "690001");
        assert!(i.pinyin.split(' ').any(|p| p == "AMXLJN"), "{}", i.pinyin);
        assert_eq!(l.pinyin_computed, 1);
    }

    #[test]
    fn gbk_with_chinese_headers_is_detected() {
        let text = "项目编码,项目名称,规格,单位,单价,类别,医保类别\nZ1,人参片,1g,袋,3.1000,中草药,乙\nZ2,重组人胰岛素注射液,3ml,支,45.6,西药,甲\n";
        let (bytes, _, _) = encoding_rs::GBK.encode(text);
        let a = analyse_bytes("价格表.csv", &bytes);
        assert!(a.is_valid(), "{:?}", a.problems);
        assert_eq!(a.list.encoding, "GB18030");
        assert_eq!(a.list.items[0].name, "人参片");
        assert_eq!(a.list.items[0].unit_price.as_text(), "3.1000");
        assert!(a.list.items[0].pinyin.split(' ').any(|p| p == "RSP"));
        assert!(
            a.list.items[1]
                .pinyin
                .split(' ')
                .any(|p| p.starts_with("CZ"))
        );
    }

    #[test]
    fn undecodable_bytes_are_named_by_row_and_column() {
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice("A1,阿莫西林胶囊,,0.25g,盒,12.50,西药,甲,\nA2,布洛芬".as_bytes());
        bytes.extend_from_slice(&[0xFF, 0xFE]);
        bytes.extend_from_slice("片,,0.2g,盒,3.00,西药,乙,\n".as_bytes());
        let a = analyse_bytes("u.csv", &bytes);
        assert_eq!(locations(&a), ["u.csv:3:name"]);
        assert!(matches!(
            a.problems[0].kind,
            ProblemKind::Undecodable { .. }
        ));
        // The same in a GBK file: a lead byte followed by a comma.
        let text =
            "项目编码,项目名称,单位,单价,类别\nZ1,人参片,袋,3.10,中草药\nZ2,参麦,袋,2.00,中草药\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        let mut gbk = gbk.into_owned();
        let pos = gbk.iter().rposition(|&b| b == b',').unwrap();
        gbk.insert(pos, 0x81);
        let a = analyse_bytes("g.csv", &gbk);
        assert_eq!(locations(&a), ["g.csv:3:单价"]);
    }

    #[test]
    fn json_array_of_objects() {
        let text = r#"[{"code":"A1","name":"阿莫西林胶囊","unit":"盒","unit_price":"12.50","category":"西药"},
                       {"code":"A2","name":"布洛芬片","unit":"盒","unit_price":3.25,"category":"西药","barcode":"69"}]"#;
        let a = analyse("list.json", text);
        assert!(a.is_valid(), "{:?}", a.problems);
        assert_eq!(a.list.format, SourceFormat::Json);
        assert_eq!(a.list.items[1].unit_price.as_text(), "3.25");
        assert_eq!(a.list.items[0].unit_price.as_text(), "12.50");
        assert_eq!(a.list.items[1].barcode, "69");

        let bad = r#"[{"code":"A1","name":"x","unit":"盒","price":"-1","category":"西药"},
                      {"code":"A2","name":"y","price":"1","category":"西药"}]"#;
        let a = analyse("bad.json", bad);
        assert_eq!(locations(&a), ["bad.json:1:price", "bad.json:2:unit"]);

        let missing = r#"[{"code":"A1","name":"x","unit":"盒","category":"西药"}]"#;
        assert_eq!(only_problem("m.json", missing).location(), "m.json:1:price");
        assert!(matches!(
            only_problem("s.json", "{\"code\": 1}").kind,
            ProblemKind::Unreadable { .. }
        ));
        assert!(matches!(
            only_problem("s.json", "[{\"code\": ").kind,
            ProblemKind::Unreadable { .. }
        ));
    }

    #[test]
    fn price_problems_each_named() {
        type IsKind = fn(&ProblemKind) -> bool;
        let cases: &[(&str, IsKind)] = &[
            ("-3.20", |k| matches!(k, ProblemKind::NegativePrice { .. })),
            ("abc", |k| matches!(k, ProblemKind::NotANumber { .. })),
            ("NaN", |k| matches!(k, ProblemKind::NanOrInfinity { .. })),
            ("-inf", |k| matches!(k, ProblemKind::NanOrInfinity { .. })),
            ("Infinity", |k| {
                matches!(k, ProblemKind::NanOrInfinity { .. })
            }),
            ("1e3", |k| matches!(k, ProblemKind::Exponent { .. })),
            ("1.5E+02", |k| matches!(k, ProblemKind::Exponent { .. })),
            ("1.23456", |k| {
                matches!(k, ProblemKind::TooManyDecimals { .. })
            }),
            ("1000000.01", |k| matches!(k, ProblemKind::TooLarge { .. })),
            ("", |k| matches!(k, ProblemKind::Missing)),
        ];
        for (price, is) in cases {
            let p = only_problem("p.csv", &row_with_price(price));
            assert_eq!(p.location(), "p.csv:3:price", "{price}");
            assert!(is(&p.kind), "{price}: {:?}", p.kind);
        }
        for ok in ["1000000", "0.0001", "\"1,234.5\"", "¥8"] {
            let a = analyse("p.csv", &row_with_price(ok));
            assert!(a.is_valid(), "{ok}: {:?}", a.problems);
        }
    }

    #[test]
    fn zero_price_is_a_warning_not_a_problem() {
        let a = analyse("z.csv", &row_with_price("0.00"));
        assert!(a.is_valid());
        assert_eq!(a.list.items.len(), 2);
        assert_eq!(a.list.warnings.len(), 1);
        assert_eq!(a.list.warnings[0].location(), "z.csv:3:price");
        assert_eq!(a.list.warnings[0].kind, ProblemKind::ZeroPrice);
    }

    #[test]
    fn every_problem_is_listed_not_just_the_first() {
        let text = format!(
            "{HEADER}A1,阿莫西林胶囊,,0.25g,盒,12.50,西药,甲,\n,无编码,,x,盒,1,西药,,\nA3,,,x,盒,1,西药,,\nA1,重复,,x,盒,1,西药,,\nA5,未知类别,,x,盒,1,保健品,,\nA6,短行\nA7,长行,,x,盒,1,西药,,,多余\n"
        );
        let a = analyse("many.csv", &text);
        assert_eq!(
            locations(&a),
            [
                "many.csv:3:code",
                "many.csv:4:name",
                "many.csv:5:code",
                "many.csv:6:category",
                "many.csv:7:pinyin",
                "many.csv:8:#10",
            ]
        );
        assert_eq!(
            a.problems[2].kind,
            ProblemKind::DuplicateCode {
                code: "A1".into(),
                first_row: 2
            }
        );
        assert!(a.list.items.is_empty());
    }

    #[test]
    fn file_level_problems() {
        assert_eq!(only_problem("e.csv", "").kind, ProblemKind::EmptyFile);
        assert_eq!(
            only_problem("e.csv", "\n\n  \n").kind,
            ProblemKind::EmptyFile
        );
        let p = only_problem("h.csv", HEADER);
        assert_eq!(
            (p.location(), p.kind),
            ("h.csv:2:-".to_string(), ProblemKind::HeaderOnly)
        );
        let p = only_problem("h.csv", &format!("{HEADER},,,,,,,,\n"));
        assert_eq!(p.kind, ProblemKind::HeaderOnly);
        let p = only_problem("n.csv", "hello,world\n1,2\n");
        assert!(matches!(p.kind, ProblemKind::NoHeader { .. }));
        let a = analyse("c.csv", "code,name,spec,unit,category\nA1,x,y,盒,西药\n");
        assert_eq!(locations(&a), ["c.csv:1:price"]);
        let a = analyse("c.csv", "项目编码,项目名称,规格,单价\nA1,x,y,1\n");
        assert_eq!(locations(&a), ["c.csv:1:单位", "c.csv:1:类别"]);
        let a = analyse(
            "d.csv",
            "code,name,unit,price,unit_price,category\nA,x,盒,1,1,西药\n",
        );
        assert_eq!(locations(&a), ["d.csv:1:unit_price"]);
    }

    #[test]
    fn title_rows_above_the_header_are_skipped_and_counted() {
        let text =
            format!("某医院 2026年11月 价格表\n\n{HEADER}A1,阿莫西林胶囊,,0.25g,盒,-1,西药,甲,\n");
        let a = analyse("t.csv", &text);
        assert_eq!(locations(&a), ["t.csv:4:price"]);
        assert_eq!(a.list.month_hint, Month::parse("2026-11").ok());
    }

    #[test]
    fn months_in_file_names() {
        let m = |s: &str| month_in_text(s).map(|m| m.to_string());
        assert_eq!(m("price_list_2026-12_30k.csv").as_deref(), Some("2026-12"));
        assert_eq!(m("价格表202701.xlsx").as_deref(), Some("2027-01"));
        assert_eq!(m("2026年3月价格.csv").as_deref(), Some("2026-03"));
        assert_eq!(m("list_2026-13.csv"), None);
        assert_eq!(m("good_title_row.xlsx"), None);
        assert_eq!(m("12026-12.csv"), None);
    }

    #[test]
    fn spreadsheet_numbers_read_as_typed() {
        // What the corpus XLSX stores for 79.57.
        assert_eq!(float_text("79.56999999999999".parse().unwrap()), "79.57");
        assert_eq!(float_text(6_942_648_009_393.0), "6942648009393");
        assert_eq!(float_text(0.1850), "0.185");
        assert_eq!(float_text(1.23456), "1.23456");
        assert_eq!(float_text(f64::NAN), "NaN");
    }
}

#[cfg(test)]
mod round_trip {
    use super::*;
    use proptest::prelude::*;

    fn item() -> impl Strategy<Value = PriceItem> {
        (
            "[A-Z0-9]{1,12}",
            "[阿莫西林胶囊人参重组布洛芬a-z ,\"]{1,12}",
            "[0-9a-z*/,\"]{0,10}",
            prop::sample::select(vec!["盒", "支", "g", "次"]),
            (0u64..=1_000_000, 0u32..=4),
            prop::sample::select(Category::ALL.to_vec()),
            prop::sample::select(vec!["", "甲", "乙", "丙"]),
        )
            .prop_filter("a name needs a visible character", |t| {
                !t.1.trim().is_empty()
            })
            .prop_map(|(code, name, spec, unit, (yuan, scale), category, ins)| {
                let frac = if scale == 0 {
                    String::new()
                } else {
                    format!(
                        ".{:0width$}",
                        yuan % 10u64.pow(scale),
                        width = scale as usize
                    )
                };
                let price = format!("{}{frac}", yuan / 10);
                PriceItem {
                    pinyin: "XM".into(),
                    spec: spec.trim().to_string(),
                    unit: unit.into(),
                    unit_price: UnitPrice::parse(&price).unwrap(),
                    category,
                    insurance_class: ins.into(),
                    barcode: String::new(),
                    aliases: String::new(),
                    name: name.trim().to_string(),
                    code,
                }
            })
    }

    fn csv_of(items: &[PriceItem], gbk: bool) -> Vec<u8> {
        let mut w = ::csv::Writer::from_writer(Vec::new());
        w.write_record([
            "项目编码",
            "项目名称",
            "拼音码",
            "规格",
            "单位",
            "单价",
            "类别",
            "医保类别",
            "条形码",
        ])
        .unwrap();
        for i in items {
            w.write_record([
                &i.code,
                &i.name,
                &i.pinyin,
                &i.spec,
                &i.unit,
                &i.unit_price.as_text(),
                i.category.zh(),
                &i.insurance_class,
                &i.barcode,
            ])
            .unwrap();
        }
        let bytes = w.into_inner().unwrap();
        if gbk {
            let text = String::from_utf8(bytes).unwrap();
            encoding_rs::GBK.encode(&text).0.into_owned()
        } else {
            bytes
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn csv_in_utf8_and_gbk_reads_back_what_was_written(
            items in prop::collection::vec(item(), 1..30),
            gbk in any::<bool>(),
        ) {
            let mut seen = std::collections::HashSet::new();
            let items: Vec<PriceItem> =
                items.into_iter().filter(|i| seen.insert(i.code.clone())).collect();
            let a = analyse_bytes("rt.csv", &csv_of(&items, gbk));
            prop_assert!(a.problems.is_empty(), "{:?}", a.problems);
            prop_assert_eq!(&a.list.items, &items);
            prop_assert_eq!(a.list.rows, (2..items.len() + 2).collect::<Vec<_>>());
        }
    }
}
