//! The `prices` command group as a script uses it: exit codes (2 refused,
//! 3 not allowed, 5 month already held, 0 for an identical re-import),
//! `--dry-run`, `--month` required without a terminal, `months`, `search`.

mod cli_support;

use assert_cmd::Command;
use downtime_billing::auth::{self, Role};
use downtime_billing::clock::FixedClock;
use downtime_billing::domain::UserName;
use downtime_billing::store::{DataDir, Store};
use std::path::{Path, PathBuf};

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/import")
        .join(name)
}

fn bin(dir: &Path) -> Command {
    let mut c = cli_support::command();
    c.env("DOWNTIME_BILLING_PIN", "739146")
        .env("DOWNTIME_BILLING_NOW", "2026-12-10T09:00:00+08:00")
        .env("DOWNTIME_BILLING_LANG", "en")
        .arg("--data-dir")
        .arg(dir);
    c
}

fn set_up() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    bin(dir.path())
        .args([
            "setup",
            "--terminal",
            "MZ01",
            "--hospital",
            "测试医院",
            "--admin",
            "admin",
        ])
        .assert()
        .success();
    dir
}

fn import(dir: &Path, file: &Path, month: &str) -> assert_cmd::assert::Assert {
    bin(dir)
        .args(["--user", "admin", "prices", "import"])
        .arg(file)
        .args(["--month", month])
        .assert()
}

fn json(out: &assert_cmd::assert::Assert) -> serde_json::Value {
    serde_json::from_slice(&out.get_output().stdout).unwrap()
}

fn stderr(out: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&out.get_output().stderr).into_owned()
}

#[test]
fn second_list_for_a_month_is_refused_and_the_same_file_is_a_no_op() {
    let dir = set_up();
    let gbk = corpus("good_gbk_chinese_headers.csv");
    let xlsx = corpus("good_title_row.xlsx");
    let first = bin(dir.path())
        .args(["--user", "admin", "prices", "import"])
        .arg(&gbk)
        .args(["--month", "2026-12", "--json"])
        .assert()
        .success();
    let v = json(&first);
    assert_eq!(v["status"], "imported");
    assert_eq!(v["items"], 2000);
    assert_eq!(v["month"], "2026-12");
    assert_eq!(v["sha256"].as_str().unwrap().len(), 64);

    let refused = import(dir.path(), &xlsx, "2026-12").code(5);
    assert!(
        stderr(&refused).contains("already held"),
        "{}",
        stderr(&refused)
    );

    let same = import(dir.path(), &gbk, "2026-12").success();
    let out = String::from_utf8_lossy(&same.get_output().stdout).into_owned();
    assert!(out.contains("already holds this very file"), "{out}");

    let months = json(
        &bin(dir.path())
            .args(["prices", "months", "--json"])
            .assert()
            .success(),
    );
    let months = months.as_array().unwrap();
    assert_eq!(months.len(), 1);
    assert_eq!(months[0]["month"], "2026-12");
    assert_eq!(months[0]["item_count"], 2000);
    assert_eq!(months[0]["file_name"], "good_gbk_chinese_headers.csv");
    assert_eq!(months[0]["imported_by"], "admin");
}

#[test]
fn only_an_admin_imports_and_dry_run_writes_nothing() {
    let dir = set_up();
    {
        let clock = FixedClock::at("2026-12-10T09:00:00+08:00");
        let mut store = Store::open(&DataDir::new(dir.path())).unwrap();
        let tx = store.write().unwrap();
        let name = UserName::parse("cashier1").unwrap();
        auth::insert_user(&tx, &name, &[Role::Cashier], "739146", &clock).unwrap();
        tx.commit().unwrap();
    }
    let gbk = corpus("good_gbk_chinese_headers.csv");
    for dry in [false, true] {
        let mut c = bin(dir.path());
        c.args(["--user", "cashier1", "prices", "import"])
            .arg(&gbk)
            .args(["--month", "2026-12"]);
        if dry {
            c.arg("--dry-run");
        }
        c.assert().code(3);
    }
    // No --user at all: not allowed either.
    bin(dir.path())
        .args(["prices", "import"])
        .arg(&gbk)
        .args(["--month", "2026-12"])
        .assert()
        .code(3);

    let dry = bin(dir.path())
        .args(["--user", "admin", "prices", "import"])
        .arg(&gbk)
        .args(["--month", "2026-12", "--dry-run", "--json"])
        .assert()
        .success();
    let v = json(&dry);
    assert_eq!(v["status"], "dry_run");
    assert_eq!(v["items"], 2000);
    assert_eq!(v["pinyin_computed"], 2000);
    assert!(v["snapshot_id"].is_null());
    let months = json(
        &bin(dir.path())
            .args(["prices", "months", "--json"])
            .assert()
            .success(),
    );
    assert_eq!(months.as_array().unwrap().len(), 0);
}

#[test]
fn without_month_and_terminal_the_import_asks_for_month() {
    let dir = set_up();
    let file = dir.path().join("价格表_2027-02.csv");
    std::fs::write(
        &file,
        "code,name,unit,price,category\nA1,阿莫西林胶囊,盒,12.50,西药\n",
    )
    .unwrap();
    let out = bin(dir.path())
        .args(["--user", "admin", "prices", "import"])
        .arg(&file)
        .write_stdin("")
        .assert()
        .code(2);
    let err = stderr(&out);
    assert!(err.contains("--month") && err.contains("2027-02"), "{err}");
    bin(dir.path())
        .args(["prices", "import"])
        .arg(&file)
        .args(["--month", "2027-13"])
        .assert()
        .code(2);
}

#[test]
fn refused_file_lists_every_problem_in_json_and_on_stderr() {
    let dir = set_up();
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        "code,name,unit,price,category\nA1,甲,盒,NaN,西药\nA2,乙,盒,1e3,西药\nA3,丙,盒,1.23456,西药\nA4,丁,盒,1000001,西药\nA5,戊,盒,0,西药\n",
    )
    .unwrap();
    let out = bin(dir.path())
        .args(["--user", "admin", "prices", "import"])
        .arg(&file)
        .args(["--month", "2026-12", "--json"])
        .assert()
        .code(2);
    let v = json(&out);
    assert_eq!(v["status"], "refused");
    let locations: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["location"].as_str().unwrap())
        .collect();
    assert_eq!(
        locations,
        [
            "bad.csv:2:price",
            "bad.csv:3:price",
            "bad.csv:4:price",
            "bad.csv:5:price"
        ]
    );
    let err = stderr(&out);
    for l in &locations {
        assert!(err.contains(l), "{err}");
    }
    let zh = bin(dir.path())
        .args(["--lang", "zh", "prices", "import"])
        .arg(&file)
        .args(["--month", "2026-12"])
        .assert()
        .code(2);
    assert!(
        stderr(&zh).contains("bad.csv:3:price: 单价“1e3”使用了科学计数法"),
        "{}",
        stderr(&zh)
    );
}

#[test]
fn json_list_imports_and_search_finds_by_initials() {
    let dir = set_up();
    let file = dir.path().join("list.json");
    std::fs::write(
        &file,
        r#"[
  {"项目编码": "XA01", "项目名称": "阿莫西林胶囊", "规格": "0.25g*24粒", "单位": "盒", "单价": "12.50", "类别": "西药"},
  {"项目编码": "XA02", "项目名称": "阿莫西林克拉维酸钾片", "规格": "0.375g*12片", "单位": "盒", "单价": "28.6", "类别": "西药"},
  {"项目编码": "T01", "项目名称": "人参", "规格": "切片", "单位": "g", "单价": "2.3954", "类别": "中草药"},
  {"项目编码": "G01", "项目名称": "普通门诊诊查费", "规格": "", "单位": "次", "单价": 0, "类别": "挂号"}
]"#,
    )
    .unwrap();
    let v = json(
        &bin(dir.path())
            .args(["--user", "admin", "prices", "import"])
            .arg(&file)
            .args(["--month", "2026-12", "--json"])
            .assert()
            .success(),
    );
    assert_eq!(v["items"], 4);
    assert_eq!(v["warnings"][0]["location"], "list.json:4:单价");

    let hits = json(
        &bin(dir.path())
            .args(["prices", "search", "amxl", "--json"])
            .assert()
            .success(),
    );
    let codes: Vec<&str> = hits
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes.len(), 2);
    assert!(codes.contains(&"XA01") && codes.contains(&"XA02"));
    assert_eq!(hits[0]["spec"].as_str().map(|s| !s.is_empty()), Some(true));

    let rs = json(
        &bin(dir.path())
            .args(["prices", "search", "RS", "--month", "2026-12", "--json"])
            .assert()
            .success(),
    );
    assert_eq!(rs[0]["code"], "T01");
    assert_eq!(rs[0]["unit_price"], "2.3954");

    let text = bin(dir.path())
        .args(["prices", "search", "XA01", "--limit", "1"])
        .assert()
        .success();
    let out = String::from_utf8_lossy(&text.get_output().stdout).into_owned();
    assert!(
        out.contains("XA01") && out.contains("0.25g*24粒") && out.contains("12.50"),
        "{out}"
    );

    // Before any list is in force, search says so (exit 2).
    bin(dir.path())
        .env("DOWNTIME_BILLING_NOW", "2026-11-01T09:00:00+08:00")
        .args(["prices", "search", "amxl"])
        .assert()
        .code(2);
    bin(dir.path())
        .args(["prices", "diff", "2026-11", "2026-12", "--json"])
        .assert()
        .code(2);
}
