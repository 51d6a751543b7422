//! What the HIS posting tests share: a data directory holding every case a
//! batch must handle (delimiters and Chinese in names, a formula-looking
//! name, an insured patient, a deposit, a credit note, a voided receipt, a
//! drill receipt), the third-party validators' Python, and the Python test
//! servers started on a free 127.0.0.1 port that stop by themselves.
#![allow(dead_code)]

use crate::receipts_support::*;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The name with every HL7 delimiter in it.
pub const DELIM_NAME: &str = "王|小^明~A\\B&C";
pub const FORMULA_NAME: &str = "=HYPERLINK(\"http://x\")";

/// Numbers of the scenario's receipts.
pub struct Scenario {
    pub env: Env,
    /// Three lines, delimiters in the name; line 1 partly refunded.
    pub charge: String,
    /// Insured patient, formula-looking name.
    pub insured: String,
    pub deposit: String,
    pub voided: String,
    /// The credit note refunding one of `charge`'s line 1.
    pub credit_note: String,
    pub drill: String,
}

impl Scenario {
    /// The receipts a batch must carry, in order of issue.
    pub fn posted(&self) -> Vec<String> {
        vec![
            self.charge.clone(),
            self.insured.clone(),
            self.deposit.clone(),
            self.credit_note.clone(),
        ]
    }
}

fn number(v: &serde_json::Value) -> String {
    v["number"].as_str().expect("issued").to_string()
}

/// Builds the scenario over the binary, as a cashier and an admin would.
pub fn scenario() -> Scenario {
    let env = ready();
    let three = body(
        &[
            ("XN72DG587P95754", "2"),
            ("430161610-d", "1"),
            ("T65124405", "12.5"),
        ],
        json!([{"method": "cash", "amount": "509.88", "tendered": "510"}]),
    );
    let mut b = three.clone();
    b["patient"]["name"] = json!(DELIM_NAME);
    let (code, v, err) = env.issue("admin", &b);
    assert_eq!(code, 0, "{err}");
    let charge = number(&v);

    let mut b = simple();
    b["patient"] = json!({"name": FORMULA_NAME, "sex": "女", "outpatient_no": "MZ2026112200018"});
    b["payer"] = json!({"type": "insured_full_pay", "insurance_no": "3301000000123456"});
    let (code, v, err) = env.issue("admin", &b);
    assert_eq!(code, 0, "{err}");
    let insured = number(&v);

    let dep = json!({
        "kind": "deposit",
        "patient": {"name": "李四", "inpatient_no": "ZY2026001"},
        "amount": "1000",
        "payments": [{"method": "card", "amount": "1000.00", "reference": "POS1"}]
    });
    let (code, v, err) = env.issue("admin", &dep);
    assert_eq!(code, 0, "{err}");
    let deposit = number(&v);

    let (code, v, err) = env.issue("admin", &simple());
    assert_eq!(code, 0, "{err}");
    let voided = number(&v);
    env.ok(
        "admin",
        &[
            "receipt",
            "void",
            &voided,
            "--reason",
            "写错",
            "--supervisor",
            "boss",
        ],
    );

    env.ok(
        "admin",
        &[
            "receipt",
            "refund",
            &charge,
            "--line",
            "1:1",
            "--reason",
            "退一盒",
            "--supervisor",
            "boss",
        ],
    );
    let shown = env.show(&charge);
    let credit_note = shown["credit_notes"][0]
        .as_str()
        .expect("a credit note")
        .to_string();

    env.ok("admin", &["episode", "close"]);
    env.ok(
        "admin",
        &[
            "episode", "open", "--level", "IV", "--reason", "演练", "--drill",
        ],
    );
    let (code, v, err) = env.issue("admin", &simple());
    assert_eq!(code, 0, "{err}");
    let drill = number(&v);
    Scenario {
        env,
        charge,
        insured,
        deposit,
        voided,
        credit_note,
        drill,
    }
}

/// The validators' Python: env DOWNTIME_BILLING_PY (set by .ci/run), else
/// the venv .ci/run makes. `None` (with a loud note) when neither exists;
/// in CI that is a failure.
pub fn python() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("DOWNTIME_BILLING_PY") {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-ci/bin/python");
    if venv.exists() {
        return Some(venv);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("the Python validators are required in CI: .ci/run sets DOWNTIME_BILLING_PY");
    }
    eprintln!(
        "\n!!! SKIPPED: no Python venv with hl7apy / hl7 / fhir.resources \
         (run `bash .ci/run` once, or set DOWNTIME_BILLING_PY) !!!\n"
    );
    None
}

pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

/// Runs a validator on `files`; returns its JSON report (panics with the
/// report when it failed).
pub fn validate(py: &Path, validator: &str, files: &[&Path]) -> serde_json::Value {
    let out = Command::new(py)
        .arg(script(validator))
        .args(files)
        .output()
        .expect("run the validator");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{validator} failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&text).expect("a JSON report")
}

/// A Python test server, killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    /// Starts `script` with `args` and `--port 0`, reading "PORT n".
    pub fn start(py: &Path, name: &str, args: &[&str]) -> Server {
        let mut child = Command::new(py)
            .arg(script(name))
            .args(args)
            .args(["--port", "0", "--max-seconds", "120"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the test server");
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server's port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{name} did not start: {line:?}"));
        Server { child, port }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The MLLP listener's log: one JSON object per line.
pub fn read_log(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
