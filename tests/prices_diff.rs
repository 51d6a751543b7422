//! `prices diff` on the shared 30k lists, through the binary: the December
//! → January difference is exactly 295 removed, 300 added, 1416 re-priced,
//! printed in the documented JSON shape.

mod cli_support;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn shared(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(name)
}

fn bin(dir: &Path) -> Command {
    let mut c = cli_support::command();
    c.env("DOWNTIME_BILLING_PIN", "739146")
        .env("DOWNTIME_BILLING_NOW", "2027-01-05T09:00:00+08:00")
        .arg("--data-dir")
        .arg(dir);
    c
}

#[test]
fn december_to_january_30k() {
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
    for (file, month) in [
        ("price_list_2026-12_30k.csv", "2026-12"),
        ("price_list_2027-01_30k.csv", "2027-01"),
    ] {
        bin(dir.path())
            .args(["--user", "admin", "prices", "import"])
            .arg(shared(file))
            .args(["--month", month, "--json"])
            .assert()
            .success();
    }
    let out = bin(dir.path())
        .args(["prices", "diff", "2026-12", "2027-01", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let obj = v.as_object().unwrap();
    assert_eq!(
        obj.keys().collect::<Vec<_>>(),
        ["added", "changed", "removed"]
    );
    assert_eq!(v["removed"].as_array().unwrap().len(), 295);
    assert_eq!(v["added"].as_array().unwrap().len(), 300);
    let changed = v["changed"].as_array().unwrap();
    assert_eq!(changed.len(), 1416);
    for c in changed {
        let keys: Vec<&String> = c.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["code", "new_price", "old_price"]);
        assert!(c["old_price"].is_string() && c["new_price"].is_string());
        assert_ne!(c["old_price"], c["new_price"]);
    }
    for item in v["added"]
        .as_array()
        .unwrap()
        .iter()
        .chain(v["removed"].as_array().unwrap())
    {
        for k in ["code", "name", "spec", "unit", "unit_price", "category"] {
            assert!(item.get(k).is_some(), "{k} missing in {item}");
        }
        assert!(item["unit_price"].is_string());
    }
    // Text output printed in the document's order: code first.
    let text = String::from_utf8(out).unwrap();
    let first_added = text.find("\"added\"").unwrap();
    let first_code = text[first_added..].find("\"code\"").unwrap();
    let first_name = text[first_added..].find("\"name\"").unwrap();
    assert!(first_code < first_name);

    // A price the list wrote with 4 decimals keeps them.
    let dec = std::fs::read_to_string(shared("price_list_2026-12_30k.csv")).unwrap();
    let four = dec
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[5].split('.').nth(1).is_some_and(|d| d.len() == 4))
        .unwrap();
    let out = bin(dir.path())
        .args([
            "prices", "search", four[0], "--month", "2026-12", "--limit", "1", "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let hits: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(hits[0]["code"], four[0]);
    assert_eq!(hits[0]["unit_price"], four[5]);
    assert_eq!(hits[0]["match"], "exact_code");
}
