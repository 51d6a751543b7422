//! `demo`: what a newcomer opens to see every screen filled. It builds a
//! throw-away hospital through the same library flows people use: setup of
//! five terminals sharing one signing key (MZ01, MZ02 outpatient windows,
//! ZY01 admission, YF01 pharmacy, CW01 finance), users for each role, the
//! sample price list, receipt books, two outage episodes (one past its
//! exchange deadlines, one recent), N receipts across the three cashier
//! terminals with voids and refunds, dispensings at the pharmacy, every
//! terminal's journal exported and imported at finance, a few exchanges at
//! the desk, and an HIS results file to reconcile.

use crate::auth::{self, Role, Session};
use crate::clock::{Clock, FixedClock, stamp};
use crate::domain::Month;
use crate::error::{ErrorKind, Failure};
use crate::keys::SigningKey;
use crate::receipts::{self, IssueRequest, LineRequest, PatientRequest, PaymentRequest};
use crate::store::{DataDir, Store};
use chrono::{DateTime, Duration, FixedOffset};
use std::path::{Path, PathBuf};

/// Every demo user's PIN (a demo, never a hospital).
pub const PIN: &str = "739146";
pub const ADMIN: &str = "admin";

static SAMPLE: &[u8] = include_bytes!("../../price_lists/sample_2026-11.csv");

/// Terminals of the demo hospital.
pub const CASHIER_TERMINALS: [&str; 3] = ["MZ01", "MZ02", "ZY01"];
pub const PHARMACY: &str = "YF01";
pub const FINANCE: &str = "CW01";

/// A user made for the newcomer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DemoUser {
    pub terminal: String,
    pub name: String,
    pub pin: String,
    pub roles: String,
}

/// What the demo made.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DemoReport {
    pub root: PathBuf,
    /// The finance station's data directory (open the GUI on it).
    pub finance_dir: PathBuf,
    pub terminal_dirs: Vec<(String, PathBuf)>,
    pub users: Vec<DemoUser>,
    pub receipts: usize,
    pub voided: usize,
    pub refunded: usize,
    pub dispensed: usize,
    pub exchanged: usize,
    pub journals: Vec<PathBuf>,
    pub his_results: PathBuf,
}

fn fail(what: &str) -> impl Fn(Failure) -> Failure + '_ {
    move |f| {
        Failure::new(
            f.kind,
            format!("演示数据（{what}）：{}", f.zh),
            format!("demo ({what}): {}", f.en),
        )
    }
}

fn login(store: &mut Store, user: &str, clock: &dyn Clock) -> Result<Session, Failure> {
    let t = crate::setup::terminal_code(store)?;
    Ok(auth::login(store.conn_mut(), user, PIN, &t, clock)?)
}

/// A fresh directory under the system's temporary folder.
pub fn fresh_root() -> PathBuf {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    std::env::temp_dir().join(format!(
        "downtime-billing-demo-{stamp}-{}",
        std::process::id()
    ))
}

fn setup_terminal(
    root: &Path,
    code: &str,
    key_file: Option<&Path>,
    clock: &dyn Clock,
) -> Result<(DataDir, Store), Failure> {
    let dir = DataDir::new(root.join(code));
    crate::setup::setup(
        &dir,
        &crate::setup::SetupParams {
            terminal: code.into(),
            hospital: "演示医院 Demo Hospital".into(),
            admin: ADMIN.into(),
            admin_pin: PIN.into(),
            signing_key_file: key_file.map(Path::to_path_buf),
        },
        clock,
    )?;
    let store = Store::open(&dir)?;
    Ok((dir, store))
}

fn add_user(
    store: &mut Store,
    admin: &Session,
    clock: &dyn Clock,
    name: &str,
    roles: &[Role],
) -> Result<(), Failure> {
    auth::users::add_user(store, admin, clock, name, roles, PIN)?;
    Ok(())
}

/// Item codes of the sample list used by the demo receipts: drugs (the
/// pharmacy hands them out) and services.
const DRUGS: [&str; 3] = ["XA01AB001A00001", "XJ01CA004A00002", "XA02BC001A00010"];

fn items(conn: &rusqlite::Connection) -> Result<(Vec<String>, Vec<String>), Failure> {
    let mut st = conn
        .prepare("SELECT code, category FROM price_items ORDER BY snapshot_id, row_no")
        .map_err(crate::store::StoreError::from)?;
    let rows: Vec<(String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(crate::store::StoreError::from)?
        .collect::<Result<_, _>>()
        .map_err(crate::store::StoreError::from)?;
    let mut drugs: Vec<String> = rows
        .iter()
        .filter(|(c, cat)| cat == "西药" && DRUGS.contains(&c.as_str()))
        .map(|(c, _)| c.clone())
        .collect();
    if drugs.is_empty() {
        drugs = rows
            .iter()
            .filter(|(_, cat)| cat == "西药")
            .map(|(c, _)| c.clone())
            .take(3)
            .collect();
    }
    let services = rows
        .iter()
        .filter(|(_, cat)| matches!(cat.as_str(), "检查" | "检验" | "治疗" | "诊查"))
        .map(|(c, _)| c.clone())
        .take(12)
        .collect();
    Ok((drugs, services))
}

/// Drug lines of one receipt to hand out: (line, code, qty).
/// A receipt's scanned QR text, to be dispensed at the pharmacy.
type ToDispense = String;

const NAMES: [&str; 12] = [
    "张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴霞", "徐明", "孙丽",
];

/// Builds the demo under `root` (which must not exist yet) with `n`
/// receipts, "now" being `clock`'s time.
pub fn build(root: &Path, n: usize, clock: &dyn Clock) -> Result<DemoReport, Failure> {
    if root.exists() {
        return Err(Failure::new(
            ErrorKind::Conflict,
            format!("{} 已存在", root.display()),
            format!("{} already exists", root.display()),
        ));
    }
    std::fs::create_dir_all(root).map_err(|e| {
        Failure::new(
            ErrorKind::Internal,
            format!("{}：{e}", root.display()),
            format!("{}: {e}", root.display()),
        )
    })?;
    let now = clock.now();
    // Two outages: one whose receipts are past their exchange deadline,
    // one recent enough that its receipts are still due.
    let old = FixedClock(now - Duration::days(30));
    let recent = FixedClock(now - Duration::days(6));
    let mut users = Vec::new();
    let mut dirs = Vec::new();

    // The first terminal makes the hospital key; the others import it.
    let (first_dir, mut first) = setup_terminal(root, CASHIER_TERMINALS[0], None, &old)?;
    let key_file = root.join("hospital.key");
    let key = {
        let s = login(&mut first, ADMIN, &old)?;
        crate::keys::transfer::export_key(&mut first, &s, &old, &key_file)
            .map_err(|e| fail("key export")(e.into()))?;
        s.key()?.clone()
    };
    let mut stores = vec![(CASHIER_TERMINALS[0].to_string(), first_dir, first)];
    for code in &CASHIER_TERMINALS[1..] {
        let (d, s) = setup_terminal(root, code, Some(&key_file), &old)?;
        stores.push((code.to_string(), d, s));
    }
    let month = Month::of(old.now().date_naive());
    let sample = root.join("sample_2026-11.csv");
    std::fs::write(&sample, SAMPLE).map_err(|e| {
        Failure::new(
            ErrorKind::Internal,
            format!("{}：{e}", sample.display()),
            format!("{}: {e}", sample.display()),
        )
    })?;

    let per = n.div_ceil(CASHIER_TERMINALS.len()).max(1);
    let mut issued: Vec<(String, String, bool)> = Vec::new(); // number, terminal, insured
    let (mut voided, mut refunded) = (0, 0);
    let mut to_dispense: Vec<ToDispense> = Vec::new();
    let mut made = 0usize;
    for (ti, (code, _, store)) in stores.iter_mut().enumerate() {
        let admin = login(store, ADMIN, &old)?;
        let cashier = format!("cashier{}", ti + 1);
        add_user(store, &admin, &old, &cashier, &[Role::Cashier])?;
        users.push(DemoUser {
            terminal: code.clone(),
            name: ADMIN.into(),
            pin: PIN.into(),
            roles: "cashier,pharmacist,finance,admin".into(),
        });
        users.push(DemoUser {
            terminal: code.clone(),
            name: cashier.clone(),
            pin: PIN.into(),
            roles: "cashier".into(),
        });
        crate::prices::import::import(store, &admin, &old, &sample, month, &mut |_| {})
            .map_err(|e| fail("price list")(e.into()))?;
        let base = (ti as u64) * 10_000 + 1;
        receipts::ranges::add(store, &admin, &old, code, base, base + 4_999)
            .map_err(|e| fail("range")(e.into()))?;
        let (drugs, services) = items(store.conn())?;
        if drugs.is_empty() {
            return Err(Failure::new(
                ErrorKind::Internal,
                "示例价格表中没有西药",
                "the sample price list has no western drugs",
            ));
        }
        let count = per.min(n.saturating_sub(made));
        for half in 0..2 {
            let t0 = if half == 0 { old.0 } else { recent.0 };
            let c0 = FixedClock(t0);
            let session = login(store, &cashier, &c0)?;
            receipts::episodes::open(
                store,
                &session,
                &c0,
                if half == 0 {
                    receipts::episodes::Level::II
                } else {
                    receipts::episodes::Level::III
                },
                if half == 0 {
                    "HIS 数据库宕机"
                } else {
                    "HIS 网络中断"
                },
                receipts::episodes::EpisodeKind::Real,
            )
            .map_err(|e| fail("episode")(e.into()))?;
            let this = if half == 0 {
                count / 2
            } else {
                count - count / 2
            };
            for i in 0..this {
                let at: DateTime<FixedOffset> = t0 + Duration::minutes(3 * i as i64 + 1);
                let c = FixedClock(at);
                let k = made + i;
                let insured = k.is_multiple_of(5);
                let mut lines = vec![LineRequest {
                    code: drugs[k % drugs.len()].clone(),
                    qty: receipts::issue::NumText::Text(format!("{}", 1 + k % 3)),
                }];
                if !services.is_empty() {
                    lines.push(LineRequest {
                        code: services[k % services.len()].clone(),
                        qty: receipts::issue::NumText::Text("1".into()),
                    });
                }
                let preview = receipts::preview(store.conn(), &c, &lines)
                    .map_err(|e| fail("price")(e.into()))?;
                let method = ["cash", "card", "mobile"][k % 3];
                let req = IssueRequest {
                    kind: "outpatient".into(),
                    patient: PatientRequest {
                        name: NAMES[k % NAMES.len()].into(),
                        ..Default::default()
                    },
                    payer: receipts::issue::PayerRequest {
                        kind: if insured {
                            "insured_full_pay".into()
                        } else {
                            "self_pay".into()
                        },
                        insurance_no: insured.then(|| format!("33010000{:08}", k)),
                    },
                    department: "内科".into(),
                    doctor: "李明".into(),
                    lines,
                    amount: None,
                    payments: vec![PaymentRequest {
                        method: method.into(),
                        amount: receipts::issue::NumText::Text(preview.total.to_string()),
                        tendered: None,
                        reference: (method != "cash").then(|| format!("REF{k:06}")),
                    }],
                };
                let draft = receipts::IssueDraft::build(store.conn(), &c, &req)
                    .map_err(|e| fail("issue")(e.into()))?;
                let r = receipts::issue(store, &session, &c, &key, &draft)
                    .map_err(|e| fail("issue")(e.into()))?;
                let number = r.receipt.number.clone();
                // Every 17th is voided (same shift, supervisor: the admin);
                // every 11th refunded in part; every 4th dispensed.
                if k % 17 == 3 {
                    receipts::void(store, &session, &c, &number, "开错项目", ADMIN, PIN)
                        .map_err(|e| fail("void")(e.into()))?;
                    voided += 1;
                } else if k % 11 == 5 && r.receipt.lines.len() > 1 {
                    let req = receipts::RefundRequest {
                        number: number.clone(),
                        lines: vec![receipts::RefundLine { line: 2, qty: None }],
                        reason: "检查取消".into(),
                    };
                    receipts::refund(store, &session, &c, &key, &req, ADMIN, PIN)
                        .map_err(|e| fail("refund")(e.into()))?;
                    refunded += 1;
                } else if k % 4 == 1
                    && r.receipt.lines.iter().any(|l| {
                        l.fee_category()
                            .is_some_and(crate::prices::Category::is_drug)
                    })
                {
                    to_dispense.push(r.receipt.qr_payload.clone());
                }
                issued.push((number, code.clone(), insured));
            }
            made += this;
            // The HIS came back some hours later.
            let end = FixedClock(t0 + Duration::hours(6));
            receipts::episodes::close(store, &session, &end)
                .map_err(|e| fail("episode close")(e.into()))?;
        }
    }

    // The pharmacy hands out the drug lines.
    let (yf_dir, mut yf) = setup_terminal(root, PHARMACY, Some(&key_file), &old)?;
    {
        let admin = login(&mut yf, ADMIN, &old)?;
        add_user(&mut yf, &admin, &old, "pharm1", &[Role::Pharmacist])?;
        // The pharmacy holds the key and the month's price list, nothing else.
        crate::prices::import::import(&mut yf, &admin, &old, &sample, month, &mut |_| {})
            .map_err(|e| fail("price list")(e.into()))?;
        users.push(DemoUser {
            terminal: PHARMACY.into(),
            name: "pharm1".into(),
            pin: PIN.into(),
            roles: "pharmacist".into(),
        });
    }
    let dispensed = to_dispense.len();
    dispense(&mut yf, &old, &key, &to_dispense)?;

    // Every terminal exports its journal; finance imports them all.
    let mut journals = Vec::new();
    for (code, _, store) in stores.iter_mut() {
        let s = login(store, ADMIN, clock)?;
        let out = root.join(format!("{code}.journal"));
        crate::finance::journal::export(store, &s, clock, &key, &out)?;
        journals.push(out);
    }
    {
        let s = login(&mut yf, ADMIN, clock)?;
        let out = root.join(format!("{PHARMACY}.journal"));
        crate::finance::journal::export(&mut yf, &s, clock, &key, &out)?;
        journals.push(out);
    }
    dirs.extend(
        stores
            .iter()
            .map(|(c, d, _)| (c.clone(), d.root().to_path_buf())),
    );
    dirs.push((PHARMACY.into(), yf_dir.root().to_path_buf()));
    drop(stores);

    let (cw_dir, mut cw) = setup_terminal(root, FINANCE, Some(&key_file), &old)?;
    // Every station holds the key (wrapped): the plain export goes.
    crate::keys::wrap::shred(&key_file)?;
    {
        let admin = login(&mut cw, ADMIN, &old)?;
        add_user(&mut cw, &admin, &old, "finance1", &[Role::Finance])?;
        // The finance station prints the month's price book too.
        crate::prices::import::import(&mut cw, &admin, &old, &sample, month, &mut |_| {})
            .map_err(|e| fail("price list")(e.into()))?;
        users.push(DemoUser {
            terminal: FINANCE.into(),
            name: ADMIN.into(),
            pin: PIN.into(),
            roles: "cashier,pharmacist,finance,admin".into(),
        });
        users.push(DemoUser {
            terminal: FINANCE.into(),
            name: "finance1".into(),
            pin: PIN.into(),
            roles: "finance".into(),
        });
    }
    let fin = login(&mut cw, "finance1", clock)?;
    for j in &journals {
        crate::finance::journal::import(&mut cw, &fin, clock, &key, j, &mut |_, _| {})?;
    }
    // A few patients came back to the exchange desk.
    let mut exchanged = 0;
    for (i, (number, _, _)) in issued.iter().enumerate().filter(|(i, _)| i % 6 == 2) {
        let inv = format!("HIS{:010}", 100_000 + i);
        if crate::finance::exchange::exchange(&mut cw, &fin, clock, number, &inv).is_ok() {
            exchanged += 1;
        }
    }
    // What the HIS will report back: most open receipts posted, one
    // mistyped amount, one receipt the HIS invented, one row twice.
    let his_results = root.join("his_results.csv");
    let open = crate::finance::deadlines::list(
        cw.conn(),
        clock.now().date_naive(),
        crate::finance::deadlines::Filter::All,
    )?;
    let mut csv = String::from("manual_receipt_no,his_invoice_no,amount,posted_at,kind\n");
    let posted = stamp(clock.now());
    for (i, r) in open.iter().enumerate().skip(2) {
        let amount = if i == 3 {
            crate::money::Money::from_fen(r.amount.fen() + 100)
        } else {
            r.amount
        };
        let kind = if r.overdue { "self_pay" } else { "exchange" };
        csv.push_str(&format!(
            "{},HISR{:09},{},{},{}\n",
            r.number, i, amount, posted, kind
        ));
        if i == 4 {
            csv.push_str(&format!(
                "{},HISR{:09},{},{},{}\n",
                r.number,
                900_000 + i,
                amount,
                posted,
                kind
            ));
        }
    }
    csv.push_str(&format!(
        "MZ09-00000001,HISX000000001,12.00,{posted},exchange\n"
    ));
    std::fs::write(&his_results, csv).map_err(|e| {
        Failure::new(
            ErrorKind::Internal,
            format!("{}：{e}", his_results.display()),
            format!("{}: {e}", his_results.display()),
        )
    })?;
    dirs.push((FINANCE.into(), cw_dir.root().to_path_buf()));
    Ok(DemoReport {
        root: root.to_path_buf(),
        finance_dir: cw_dir.root().to_path_buf(),
        terminal_dirs: dirs,
        users,
        receipts: issued.len(),
        voided,
        refunded,
        dispensed,
        exchanged,
        journals,
        his_results,
    })
}

/// The pharmacy scans each receipt's QR code and hands out its drug lines,
/// through the pharmacy's own flow (verify, then dispense).
fn dispense(
    store: &mut Store,
    clock: &dyn Clock,
    key: &SigningKey,
    codes: &[ToDispense],
) -> Result<(), Failure> {
    let at = FixedClock(clock.now() + Duration::hours(1));
    let session = login(store, "pharm1", &at)?;
    for code in codes {
        crate::pharmacy::dispense(store, &session, &at, key, code, &[])?;
    }
    Ok(())
}
