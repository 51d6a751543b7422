//! Least privilege in what the CLI prints (issue 10, point 12): each role
//! sees what its work needs. Full resident ID, phone and insurance numbers
//! only for finance and admin, who key them into the HIS; settings only
//! for an admin.

mod receipts_support;
use receipts_support::*;
use serde_json::json;

const ID_NO: &str = "330102199001011234";
const PHONE: &str = "13812345678";
const INSURANCE: &str = "3301000000987654";

/// A pharmacist's and a cashier's `receipt show` (JSON and text) and the
/// cashier's `receipt issue` output carry the identifiers masked; finance
/// and admin see them in full. Catches:
/// `ReceiptView::for_viewer` not masking (or `receipt show` not calling it)
/// — before, every role got the full numbers.
#[test]
fn receipt_show_masks_identifiers_for_roles_that_do_not_key_them_into_the_his() {
    let env = ready();
    env.cmd("admin", PIN)
        .env("DOWNTIME_BILLING_NEW_PIN", PIN)
        .args(["user", "add", "fin1", "--role", "finance"])
        .assert()
        .success();
    let mut b = simple();
    b["patient"]["id_no"] = json!(ID_NO);
    b["patient"]["phone"] = json!(PHONE);
    b["payer"] = json!({"type": "insured_full_pay", "insurance_no": INSURANCE});
    let (code, r, err) = env.issue("cash1", &b);
    assert_eq!(code, 0, "{err}");
    let number = r["number"].as_str().unwrap().to_string();
    // The cashier's own issue output is masked too.
    assert_eq!(r["patient"]["id_no"], "330102********1234", "{r}");
    assert_eq!(r["payer"]["insurance_no"], "************7654", "{r}");

    for user in ["pharm", "cash1"] {
        for args in [
            vec!["receipt", "show", number.as_str(), "--json"],
            vec!["receipt", "show", number.as_str()],
        ] {
            let out = env.ok(user, &args);
            for full in [ID_NO, PHONE, INSURANCE] {
                assert!(!out.contains(full), "{user} {args:?} shows {full}: {out}");
            }
        }
        let v: serde_json::Value =
            serde_json::from_str(&env.ok(user, &["receipt", "show", &number, "--json"])).unwrap();
        assert_eq!(v["patient"]["id_no"], "330102********1234", "{user}");
        assert_eq!(v["patient"]["phone"], "138****5678", "{user}");
        assert_eq!(v["payer"]["insurance_no"], "************7654", "{user}");
        assert_eq!(v["patient"]["name"], "张三", "{user}");
    }
    for user in ["fin1", "admin"] {
        let v: serde_json::Value =
            serde_json::from_str(&env.ok(user, &["receipt", "show", &number, "--json"])).unwrap();
        assert_eq!(v["patient"]["id_no"], ID_NO, "{user}");
        assert_eq!(v["patient"]["phone"], PHONE, "{user}");
        assert_eq!(v["payer"]["insurance_no"], INSURANCE, "{user}");
    }
}

/// `settings list` needs an admin: a cashier, a pharmacist and a caller
/// with no user at all are refused (exit 3). Catches: `settings::list`
/// without its role check (before, anyone could read it, even with no
/// `--user`).
#[test]
fn settings_list_needs_an_admin() {
    let env = setup();
    for user in ["cash1", "pharm"] {
        let (code, out, err) = env.run(user, &["settings", "list", "--json"]);
        assert_eq!(code, 3, "{user}: {out} {err}");
        assert!(out.is_empty(), "{user}: {out}");
    }
    let o = std::process::Command::new(bin())
        .env_clear()
        .env("DOWNTIME_BILLING_DATA_DIR", env.data_dir().root())
        .env("DOWNTIME_BILLING_LANG", "en")
        .args(["settings", "list"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    let out = env.ok("admin", &["settings", "list", "--json"]);
    assert!(out.contains("backup.dir"), "{out}");
}
