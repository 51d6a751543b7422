//! Issuing a receipt: the request body (`cli.md`), its validation with every
//! problem named by field, pricing from the snapshot in force, and the one
//! durable transaction that takes the number and writes the receipt, its
//! lines, payments and the audit entry. Nothing is printed before that
//! transaction is committed (and fsync'd: WAL with `synchronous=FULL`).

use super::query::{self, Kind, ReceiptView, qty_text};
use super::{ReceiptError, episodes, links, numbering, qr, ranges};
use crate::audit::{self, Actor};
use crate::auth::{Role, Session};
use crate::clock::{Clock, stamp};
use crate::domain::{PayerType, PaymentMethod};
use crate::keys::SigningKey;
use crate::money::{Money, Quantity};
use crate::prices::Category;
use crate::store::Store;
use rusqlite::Connection;
use rust_decimal::Decimal;

/// A number or a string holding one (`"2"` and `2` are both accepted).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum NumText {
    Text(String),
    Int(i64),
    Float(serde_json::Number),
}

impl NumText {
    pub fn text(&self) -> String {
        match self {
            NumText::Text(s) => s.clone(),
            NumText::Int(i) => i.to_string(),
            NumText::Float(n) => n.to_string(),
        }
    }
}

impl From<&str> for NumText {
    fn from(s: &str) -> Self {
        NumText::Text(s.to_string())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientRequest {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age: Option<NumText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outpatient_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inpatient_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_no: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerRequest {
    /// `self_pay` or `insured_full_pay`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insurance_no: Option<String>,
}

impl Default for PayerRequest {
    fn default() -> Self {
        PayerRequest {
            kind: PayerType::SelfPay.code().into(),
            insurance_no: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    pub code: String,
    pub qty: NumText,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// `cash`, `card` or `mobile`.
    pub method: String,
    pub amount: NumText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tendered: Option<NumText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// The `receipt issue` body, as in `cli.md`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// `outpatient`, `registration` or `deposit`.
    pub kind: String,
    pub patient: PatientRequest,
    #[serde(default)]
    pub payer: PayerRequest,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub doctor: String,
    #[serde(default)]
    pub lines: Vec<LineRequest>,
    /// Deposits only: the amount paid in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<NumText>,
    #[serde(default)]
    pub payments: Vec<PaymentRequest>,
}

impl IssueRequest {
    /// Parses a body, naming the JSON problem (line and column).
    pub fn from_json(text: &str) -> Result<IssueRequest, ReceiptError> {
        serde_json::from_str(text).map_err(|e| {
            ReceiptError::invalid(
                format!("body (line {}, column {})", e.line(), e.column()),
                format!("请求内容无效：{e}"),
                format!("invalid body: {e}"),
            )
        })
    }
}

/// A receipt just issued: the stored receipt plus what the cashier must be
/// told now.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IssuedReceipt {
    #[serde(flatten)]
    pub receipt: ReceiptView,
    /// Numbers left on this terminal after this receipt.
    pub numbers_left: u64,
    /// Set when 20 or fewer numbers are left.
    pub warning: Option<String>,
    /// Where the PDF was saved, when one was produced.
    pub pdf: Option<String>,
}

/// A validated payment, ready to store.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub method: PaymentMethod,
    pub amount: Money,
    pub tendered: Option<Money>,
    pub reference: Option<String>,
}

/// A priced line, ready to store.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub code: String,
    pub name: String,
    pub spec: String,
    pub unit: String,
    pub unit_price: String,
    pub qty: Decimal,
    pub amount: Money,
    pub category: Category,
    pub refers_line: Option<u32>,
}

/// Everything a new receipt row needs (issue and credit notes).
pub(crate) struct NewReceipt<'a> {
    pub kind: Kind,
    pub episode_id: i64,
    pub drill: bool,
    pub original_number: Option<&'a str>,
    pub patient: serde_json::Value,
    pub patient_name: String,
    pub temp_patient: bool,
    pub payer: &'a PayerRequest,
    pub department: &'a str,
    pub doctor: &'a str,
    pub snapshot: Option<(i64, String)>,
    pub lines: Vec<Line>,
    pub payments: Vec<Payment>,
    pub total: Money,
    pub change: Money,
    pub deadline: (Option<String>, Option<String>),
    pub reason: Option<&'a str>,
    pub supervisor: Option<&'a str>,
}

pub(crate) fn field_err(field: String, e: crate::money::MoneyError) -> ReceiptError {
    ReceiptError::invalid(
        field,
        e.message(crate::i18n::Lang::Zh),
        e.message(crate::i18n::Lang::En),
    )
}

fn parse_money(field: String, v: &NumText) -> Result<Money, ReceiptError> {
    let m = Money::parse(&v.text()).map_err(|e| field_err(field.clone(), e))?;
    if m.is_negative() || m.is_zero() {
        return Err(ReceiptError::invalid(
            field,
            format!("金额 {m} 必须大于零"),
            format!("the amount {m} must be greater than zero"),
        ));
    }
    Ok(m)
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().map(str::trim).unwrap_or("").is_empty()
}

/// Validates the payments against the total; returns them and the change.
pub(crate) fn check_payments(
    reqs: &[PaymentRequest],
    total: Money,
) -> Result<(Vec<Payment>, Money), ReceiptError> {
    let mut out = Vec::with_capacity(reqs.len());
    let mut change = Money::ZERO;
    for (i, p) in reqs.iter().enumerate() {
        let amount = parse_money(format!("payments[{i}].amount"), &p.amount)?;
        let Some(method) = PaymentMethod::parse(&p.method) else {
            let other = p.method.trim();
            return Err(ReceiptError::invalid(
                format!("payments[{i}].method"),
                format!("未知支付方式“{other}”（cash、card、mobile）"),
                format!("unknown payment method '{other}' (cash, card, mobile)"),
            ));
        };
        let mut tendered = None;
        if method.is_cash() {
            let t = match &p.tendered {
                Some(t) => parse_money(format!("payments[{i}].tendered"), t)?,
                None => amount,
            };
            if t < amount {
                return Err(ReceiptError::invalid(
                    format!("payments[{i}].tendered"),
                    format!("实收现金 {t} 少于支付金额 {amount}"),
                    format!("cash tendered {t} is less than the amount {amount}"),
                ));
            }
            change += Money::change(t, amount);
            tendered = Some(t);
        } else if blank(&p.reference) {
            return Err(ReceiptError::invalid(
                format!("payments[{i}].reference"),
                "银行卡和移动支付必须填写参考号",
                "card and mobile payments need a reference",
            ));
        } else if p.tendered.is_some() {
            return Err(ReceiptError::invalid(
                format!("payments[{i}].tendered"),
                "只有现金可以填写实收金额",
                "only cash can be tendered",
            ));
        }
        out.push(Payment {
            method,
            amount,
            tendered,
            reference: p.reference.as_ref().map(|r| r.trim().to_string()),
        });
    }
    let got =
        Money::total(out.iter().map(|p| p.amount)).map_err(|e| field_err("payments".into(), e))?;
    if got != total {
        return Err(ReceiptError::PaymentsMismatch {
            expected: total.to_string(),
            got: got.to_string(),
        });
    }
    Ok((out, change))
}

fn check_quantity(i: usize, raw: &NumText) -> Result<Quantity, ReceiptError> {
    Quantity::parse(&raw.text()).map_err(|e| field_err(format!("lines[{i}].qty"), e))
}

/// Prices the lines from a snapshot; unknown codes are named by index.
pub(crate) fn price_lines(
    conn: &Connection,
    snapshot: &(i64, String),
    reqs: &[LineRequest],
) -> Result<Vec<Line>, ReceiptError> {
    let mut out = Vec::with_capacity(reqs.len());
    for (i, l) in reqs.iter().enumerate() {
        let qty = check_quantity(i, &l.qty)?;
        let code = l.code.trim();
        let item =
            links::find_item(conn, snapshot.0, code)?.ok_or_else(|| ReceiptError::UnknownCode {
                field: format!("lines[{i}].code"),
                code: code.to_string(),
                month: snapshot.1.clone(),
            })?;
        if item.category != Category::ChineseHerb && !qty.is_whole() {
            return Err(ReceiptError::invalid(
                format!("lines[{i}].qty"),
                format!(
                    "{}（{}）只能按整数计量，收到 {qty}；只有中草药可带小数",
                    item.name,
                    item.category.zh()
                ),
                format!(
                    "{} ({}) is counted in whole units, got {qty}; only 中草药 takes decimals",
                    item.name,
                    item.category.en()
                ),
            ));
        }
        let amount = item
            .unit_price
            .line_amount(qty)
            .map_err(|e| field_err(format!("lines[{i}].qty"), e))?;
        out.push(Line {
            amount,
            code: item.code,
            name: item.name,
            spec: item.spec,
            unit: item.unit,
            unit_price: item.unit_price.as_text(),
            qty: qty.decimal(),
            category: item.category,
            refers_line: None,
        });
    }
    Ok(out)
}

/// The running total the cashier screen shows while lines are added.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Preview {
    pub snapshot_month: String,
    pub lines: Vec<PreviewLine>,
    pub total: Money,
    /// 大写, without the 人民币 prefix.
    pub total_in_words: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PreviewLine {
    pub code: String,
    pub name: String,
    pub spec: String,
    pub unit: String,
    pub unit_price: String,
    pub qty: String,
    pub amount: Money,
    pub category: String,
}

/// Prices lines from the snapshot in force at `clock`'s date without
/// writing anything.
pub fn preview(
    conn: &Connection,
    clock: &dyn Clock,
    lines: &[LineRequest],
) -> Result<Preview, ReceiptError> {
    let date = clock.now().date_naive();
    let snapshot = links::snapshot_in_force(conn, date)?
        .ok_or_else(|| ReceiptError::NoSnapshot(date.to_string()))?;
    let priced = price_lines(conn, &snapshot, lines)?;
    let total =
        Money::total(priced.iter().map(|l| l.amount)).map_err(|e| field_err("lines".into(), e))?;
    Ok(Preview {
        snapshot_month: snapshot.1,
        lines: priced
            .into_iter()
            .map(|l| PreviewLine {
                code: l.code,
                name: l.name,
                spec: l.spec,
                unit: l.unit,
                unit_price: l.unit_price,
                qty: qty_text(l.qty),
                amount: l.amount,
                category: l.category.zh().to_string(),
            })
            .collect(),
        total,
        total_in_words: total.in_words(),
    })
}

/// The longest value of each free-text field of a request, in characters.
pub const NAME_MAX: usize = 50;
const FIELD_MAX: usize = 50;
const NUMBER_MAX: usize = 30;

/// Every text field of a request: no control character or bidirectional
/// override, within its length; the age a number of years 0–150, the ID
/// number a resident ID (18 characters with its check digit, or the old
/// 15 digits), the phone digits.
fn check_text_fields(req: &IssueRequest) -> Result<(), ReceiptError> {
    let p = &req.patient;
    let fields: [(&str, Option<&str>, usize); 9] = [
        ("patient.name", Some(p.name.as_str()), NAME_MAX),
        ("patient.sex", p.sex.as_deref(), 10),
        (
            "patient.outpatient_no",
            p.outpatient_no.as_deref(),
            NUMBER_MAX,
        ),
        (
            "patient.inpatient_no",
            p.inpatient_no.as_deref(),
            NUMBER_MAX,
        ),
        ("patient.id_no", p.id_no.as_deref(), 18),
        ("patient.phone", p.phone.as_deref(), 20),
        (
            "payer.insurance_no",
            req.payer.insurance_no.as_deref(),
            NUMBER_MAX,
        ),
        ("department", Some(req.department.as_str()), FIELD_MAX),
        ("doctor", Some(req.doctor.as_str()), FIELD_MAX),
    ];
    for (field, value, max) in fields {
        if let Some(v) = value
            && let Err((en, zh)) = crate::text::check(v, max)
        {
            return Err(ReceiptError::invalid(field, zh, en));
        }
    }
    if let Some(age) = &p.age {
        let t = age.text();
        let ok = t
            .trim()
            .parse::<Decimal>()
            .is_ok_and(|a| a >= Decimal::ZERO && a <= Decimal::from(150) && a.scale() <= 2);
        if !ok {
            return Err(ReceiptError::invalid(
                "patient.age",
                format!("年龄“{t}”无效：须为 0–150 的数字（岁）"),
                format!("age '{t}' is invalid: a number of years from 0 to 150"),
            ));
        }
    }
    if let Some(id) = p.id_no.as_deref().map(str::trim).filter(|s| !s.is_empty())
        && !resident_id_ok(id)
    {
        return Err(ReceiptError::invalid(
            "patient.id_no",
            "身份证号无效：须为 18 位（含校验位）或 15 位数字",
            "the ID number is invalid: 18 characters with a correct check digit, or 15 digits",
        ));
    }
    if let Some(ph) = p.phone.as_deref().map(str::trim).filter(|s| !s.is_empty())
        && !ph
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' '))
    {
        return Err(ReceiptError::invalid(
            "patient.phone",
            "电话号码只能包含数字、+ 和 -",
            "a phone number holds digits, + and - only",
        ));
    }
    Ok(())
}

/// A mainland resident ID: 17 digits and a check digit (ISO 7064 MOD
/// 11-2, `X` for 10), or the old 15 digits.
fn resident_id_ok(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() == 15 {
        return b.iter().all(u8::is_ascii_digit);
    }
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = b[..17]
        .iter()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    b[17].to_ascii_uppercase() == check
}

fn patient_json(p: &PatientRequest) -> Result<serde_json::Value, ReceiptError> {
    let mut v = serde_json::to_value(p).map_err(|e| {
        ReceiptError::invalid("patient", format!("患者信息无效：{e}"), e.to_string())
    })?;
    if let (Some(age), Some(obj)) = (&p.age, v.as_object_mut()) {
        obj.insert("age".into(), serde_json::Value::String(age.text()));
    }
    Ok(v)
}

/// An issue request validated once and priced: the lines with their
/// amounts ([`crate::money::UnitPrice::line_amount`]), the total
/// ([`Money::total`]), the payments checked against it and the change
/// ([`Money::change`]). Only [`IssueDraft::build`] makes one, so
/// [`issue`] trusts it and checks nothing again but the price list still
/// being the one in force.
#[derive(Debug, Clone)]
pub struct IssueDraft {
    kind: Kind,
    patient: serde_json::Value,
    patient_name: String,
    temp_patient: bool,
    payer: PayerRequest,
    department: String,
    doctor: String,
    snapshot: Option<(i64, String)>,
    lines: Vec<Line>,
    payments: Vec<Payment>,
    total: Money,
    change: Money,
}

impl IssueDraft {
    /// Validates `req` (every problem named by its field) and prices its
    /// lines from the list in force at `clock`'s date. Writes nothing.
    pub fn build(
        conn: &Connection,
        clock: &dyn Clock,
        req: &IssueRequest,
    ) -> Result<IssueDraft, ReceiptError> {
        let kind = match Kind::parse(req.kind.trim()) {
            Some(k) if k != Kind::CreditNote => k,
            _ => {
                let other = req.kind.trim();
                return Err(ReceiptError::invalid(
                    "kind",
                    format!("未知票据类型“{other}”（outpatient、registration、deposit）"),
                    format!("unknown kind '{other}' (outpatient, registration, deposit)"),
                ));
            }
        };
        check_text_fields(req)?;
        let name = req.patient.name.trim();
        if name.is_empty() {
            return Err(ReceiptError::invalid(
                "patient.name",
                "必须填写患者姓名",
                "the patient's name is required",
            ));
        }
        let payer = match PayerType::parse(&req.payer.kind) {
            Some(PayerType::SelfPay) => PayerRequest::default(),
            Some(PayerType::InsuredFullPay) => {
                if blank(&req.payer.insurance_no) {
                    return Err(ReceiptError::invalid(
                        "payer.insurance_no",
                        "医保患者全额自付时必须填写医保号",
                        "an insured patient paying in full needs the insurance number",
                    ));
                }
                PayerRequest {
                    kind: PayerType::InsuredFullPay.code().into(),
                    insurance_no: req
                        .payer
                        .insurance_no
                        .as_ref()
                        .map(|n| n.trim().to_string()),
                }
            }
            None => {
                let other = req.payer.kind.trim();
                return Err(ReceiptError::invalid(
                    "payer.type",
                    format!("未知付费方式“{other}”（self_pay、insured_full_pay）"),
                    format!("unknown payer type '{other}' (self_pay, insured_full_pay)"),
                ));
            }
        };
        let deposit = match kind {
            Kind::Deposit => {
                if !req.lines.is_empty() {
                    return Err(ReceiptError::invalid(
                        "lines",
                        "预交金收据没有明细行",
                        "a deposit has no lines",
                    ));
                }
                let amount = req.amount.as_ref().ok_or_else(|| {
                    ReceiptError::invalid(
                        "amount",
                        "预交金必须填写金额",
                        "a deposit needs an amount",
                    )
                })?;
                Some(parse_money("amount".into(), amount)?)
            }
            _ => {
                if req.amount.is_some() {
                    return Err(ReceiptError::invalid(
                        "amount",
                        "只有预交金填写金额；其他票据按明细计价",
                        "only a deposit has an amount; other receipts are priced by line",
                    ));
                }
                if req.lines.is_empty() {
                    return Err(ReceiptError::invalid(
                        "lines",
                        "票据必须逐项列明收费项目",
                        "a receipt must itemize its lines",
                    ));
                }
                for (i, l) in req.lines.iter().enumerate() {
                    check_quantity(i, &l.qty)?;
                }
                None
            }
        };
        let patient = patient_json(&req.patient)?;
        let (snapshot, lines, total) = match deposit {
            Some(amount) => (None, vec![], amount),
            None => {
                let date = clock.now().date_naive();
                let s = links::snapshot_in_force(conn, date)?
                    .ok_or_else(|| ReceiptError::NoSnapshot(date.to_string()))?;
                let lines = price_lines(conn, &s, &req.lines)?;
                let total = Money::total(lines.iter().map(|l| l.amount))
                    .map_err(|e| field_err("lines".into(), e))?;
                (Some(s), lines, total)
            }
        };
        let (payments, change) = check_payments(&req.payments, total)?;
        Ok(IssueDraft {
            kind,
            patient,
            patient_name: name.to_string(),
            temp_patient: kind == Kind::Registration && blank(&req.patient.outpatient_no),
            payer,
            department: req.department.trim().to_string(),
            doctor: req.doctor.trim().to_string(),
            snapshot,
            lines,
            payments,
            total,
            change,
        })
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// What the patient owes.
    pub fn total(&self) -> Money {
        self.total
    }

    /// Cash to hand back.
    pub fn change(&self) -> Money {
        self.change
    }

    /// The priced lines' amounts, in order.
    pub fn line_amounts(&self) -> Vec<Money> {
        self.lines.iter().map(|l| l.amount).collect()
    }

    /// The month of the price list the lines were priced from (none on a
    /// deposit).
    pub fn snapshot_month(&self) -> Option<&str> {
        self.snapshot.as_ref().map(|s| s.1.as_str())
    }
}

/// Issues one receipt durably from a validated draft. The number is taken
/// inside the same IMMEDIATE transaction that writes the receipt; on any
/// error nothing is written and no number is used.
pub fn issue(
    store: &mut Store,
    session: &Session,
    clock: &dyn Clock,
    key: &SigningKey,
    draft: &IssueDraft,
) -> Result<IssuedReceipt, ReceiptError> {
    session.require(Role::Cashier, "issue receipts")?;
    let terminal = session.terminal().to_string();
    super::prepare_for_issuing(store.conn())?;
    let mark = numbering::file_mark(store.data_dir(), &terminal);

    let tx = store.write()?;
    let episode = episodes::current(&tx, &terminal)?
        .ok_or_else(|| ReceiptError::NoOpenEpisode(terminal.clone()))?;
    let now = clock.now();
    let date = now.date_naive();
    if let Some((id, month)) = &draft.snapshot {
        let in_force = links::snapshot_in_force(&tx, date)?;
        if in_force.as_ref().map(|s| s.0) != Some(*id) {
            return Err(ReceiptError::invalid(
                "lines",
                format!("计价后价目表已变更（原为 {month}），请重新计价"),
                format!("the price list in force changed since pricing ({month}): price again"),
            ));
        }
    }
    let (d, note) = links::deadline(&tx, date)?;
    let new = NewReceipt {
        kind: draft.kind,
        episode_id: episode.id,
        drill: episode.drill,
        original_number: None,
        patient: draft.patient.clone(),
        patient_name: draft.patient_name.clone(),
        temp_patient: draft.temp_patient,
        payer: &draft.payer,
        department: &draft.department,
        doctor: &draft.doctor,
        snapshot: draft.snapshot.clone(),
        lines: draft.lines.clone(),
        payments: draft.payments.clone(),
        total: draft.total,
        change: draft.change,
        deadline: (d.map(|d| d.format("%Y-%m-%d").to_string()), note),
        reason: None,
        supervisor: None,
    };
    let (view, left) = insert(&tx, session, clock, key, now, mark, new)?;
    tx.commit()?;
    raise_mark(store, &view);
    Ok(issued(view, left))
}

pub(crate) fn issued(receipt: ReceiptView, left: u64) -> IssuedReceipt {
    let warning = (left <= ranges::WARN_LEFT).then(|| {
        format!(
            "本终端只剩 {left} 个票据号，请管理员尽快添加号段 / only {left} receipt numbers left on this terminal: ask an admin to add a range"
        )
    });
    IssuedReceipt {
        receipt,
        numbers_left: left,
        warning,
        pdf: None,
    }
}

/// A receipt is never dated before the newest receipt of its terminal,
/// the start of the episode it belongs to, or the newest audit entry this
/// terminal wrote since that episode opened (a void, a range, a login
/// lock-out …): the PC's clock went backwards (or was set back to backdate
/// a receipt). Entries from before the episode are not compared: set-up
/// and price imports may come from another machine's clock.
fn refuse_clock_backwards(
    tx: &Connection,
    terminal: &str,
    episode_id: i64,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<(), ReceiptError> {
    use rusqlite::OptionalExtension;
    let newest: Option<String> = tx
        .prepare_cached(
            "SELECT issued_at FROM receipts WHERE terminal = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([terminal], |r| r.get(0))
        .optional()?;
    let opened: Option<String> = tx
        .prepare_cached("SELECT opened_at FROM episodes WHERE id = ?1")?
        .query_row([episode_id], |r| r.get(0))
        .optional()?;
    let records =
        serde_json::to_string(&[format!("episode:{episode_id}")]).unwrap_or_else(|_| "[]".into());
    let audited: Option<String> = tx
        .prepare_cached(
            "SELECT at FROM audit_log
              WHERE terminal = ?1
                AND seq >= (SELECT min(seq) FROM audit_log
                             WHERE action = 'episode.open' AND records = ?2)
              ORDER BY seq DESC LIMIT 1",
        )?
        .query_row(rusqlite::params![terminal, records], |r| r.get(0))
        .optional()?;
    for (at, what, what_zh) in [
        (newest, "the newest stored receipt", "最新一张票据的时间"),
        (opened, "the start of the open episode", "应急事件开始时间"),
        (audited, "the newest audit entry", "最新一条审计记录的时间"),
    ] {
        if let Some(at) = at
            && let Ok(t) = chrono::DateTime::parse_from_rfc3339(&at)
            && now < t
        {
            return Err(ReceiptError::ClockBackwards {
                now: stamp(now),
                what,
                what_zh,
                at,
            });
        }
    }
    Ok(())
}

/// Raises the terminal's high-water mark outside the database to the
/// receipt just committed. A failure is logged, not returned: the receipt
/// is issued, and the database holds the same mark.
pub(crate) fn raise_mark(store: &Store, view: &ReceiptView) {
    let seq = view
        .number
        .rsplit_once('-')
        .and_then(|(_, n)| n.parse::<u64>().ok())
        .unwrap_or(0);
    if let Err(e) = numbering::raise_file_mark(store.data_dir(), &view.terminal, seq) {
        tracing::warn!(error = %e, number = %view.number, "could not raise the numbering high-water mark");
    }
}

/// Takes the next number and writes one receipt, its lines, payments and
/// the audit entry, inside the caller's transaction. Numbers between what
/// the database holds and `mark` (the high-water mark kept outside it) are
/// first recorded as lost, so none is handed out twice. Returns the stored
/// receipt and the numbers left after it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert(
    tx: &Connection,
    session: &Session,
    clock: &dyn Clock,
    key: &SigningKey,
    now: chrono::DateTime<chrono::FixedOffset>,
    mark: u64,
    r: NewReceipt<'_>,
) -> Result<(ReceiptView, u64), ReceiptError> {
    let terminal = session.terminal().as_str();
    refuse_clock_backwards(tx, terminal, r.episode_id, now)?;
    numbering::account_for(
        tx,
        &Actor::of(session),
        clock,
        terminal,
        mark,
        numbering::LostReason::Missing,
    )?;
    let next = ranges::next_number(tx, terminal)?
        .ok_or_else(|| ReceiptError::NoNumbersLeft(terminal.to_string()))?;
    let (temp_seq, temp_no) = if r.temp_patient {
        let max: Option<i64> = tx.query_row(
            "SELECT MAX(temp_seq) FROM receipts WHERE terminal = ?1",
            [terminal],
            |row| row.get(0),
        )?;
        let seq = max.unwrap_or(0) + 1;
        (Some(seq), Some(format!("LS-{terminal}-{seq:06}")))
    } else {
        (None, None)
    };
    let mut patient = r.patient;
    if let (Some(t), Some(obj)) = (&temp_no, patient.as_object_mut()) {
        obj.insert(
            "temp_patient_no".into(),
            serde_json::Value::String(t.clone()),
        );
    }
    let qr_text = qr::build(
        &qr::QrPayload {
            number: next.number.clone(),
            terminal: terminal.to_string(),
            issued_at: now,
            items: r.lines.iter().map(|l| (l.code.clone(), l.qty)).collect(),
            total: r.total.decimal(),
            meta: Some(qr::QrMeta {
                kind: r.kind,
                insured: r.payer.kind.trim() == "insured_full_pay",
                drill: r.drill,
            }),
        },
        key,
    );
    if !qr::fits(&qr_text) {
        // Refused before anything is written: a committed receipt that
        // cannot be printed would be worse than none.
        let n = r.lines.len();
        return Err(ReceiptError::invalid(
            "lines",
            format!("{n} 行明细超出一张票据二维码的容量（约 170 行）：请分开开具两张票据"),
            format!(
                "{n} lines are more than one receipt's QR code can hold (about 170): split them over two receipts"
            ),
        ));
    }
    let issued_at = stamp(now);
    let insurance_no = if r.payer.kind == "insured_full_pay" {
        r.payer.insurance_no.as_deref().map(str::trim)
    } else {
        None
    };
    tx.prepare_cached(
        "INSERT INTO receipts(number, terminal, seq, range_id, episode_id, drill, kind,
            original_number, issued_at, cashier, patient_name, patient_json, temp_seq,
            temp_patient_no, payer_type, insurance_no, department, doctor, snapshot_id,
            snapshot_month, total_fen, change_fen, deadline, deadline_note, reason, supervisor,
            qr_payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
    )?
    .execute(rusqlite::params![
        next.number,
        terminal,
        next.seq as i64,
        next.range_id,
        r.episode_id,
        r.drill as i64,
        r.kind.as_str(),
        r.original_number,
        issued_at,
        session.user().as_str(),
        r.patient_name,
        patient.to_string(),
        temp_seq,
        temp_no,
        r.payer.kind.trim(),
        insurance_no,
        r.department,
        r.doctor,
        r.snapshot.as_ref().map(|s| s.0),
        r.snapshot.as_ref().map(|s| s.1.clone()),
        r.total.fen(),
        r.change.fen(),
        r.deadline.0,
        r.deadline.1,
        r.reason,
        r.supervisor,
        qr_text,
    ])?;
    let id = tx.last_insert_rowid();
    let mut st = tx.prepare_cached(
        "INSERT INTO receipt_lines(receipt_id, line_no, code, name, spec, unit, unit_price, qty,
            amount_fen, category, refers_line)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for (i, l) in r.lines.iter().enumerate() {
        st.execute(rusqlite::params![
            id,
            (i + 1) as i64,
            l.code,
            l.name,
            l.spec,
            l.unit,
            l.unit_price,
            qty_text(l.qty),
            l.amount.fen(),
            l.category.zh(),
            l.refers_line,
        ])?;
    }
    let mut st = tx.prepare_cached(
        "INSERT INTO receipt_payments(receipt_id, pay_no, method, amount_fen, tendered_fen, reference)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (i, p) in r.payments.iter().enumerate() {
        st.execute(rusqlite::params![
            id,
            (i + 1) as i64,
            p.method.code(),
            p.amount.fen(),
            p.tendered.map(Money::fen),
            p.reference,
        ])?;
    }
    let digest = super::integrity::receipt_digest(tx, id)?;
    audit::record(
        tx,
        &Actor::of(session),
        clock,
        if r.kind == Kind::CreditNote {
            "receipt.refund"
        } else {
            "receipt.issue"
        },
        &[format!("receipt:{}", next.number)],
        serde_json::json!({
            "kind": r.kind.as_str(),
            "total": r.total.to_string(),
            "episode": r.episode_id,
            "drill": r.drill,
            "original": r.original_number,
            "content_sha256": digest,
        }),
    )?;
    let view = query::load(tx, &next.number)?
        .ok_or_else(|| ReceiptError::NotFound(next.number.clone()))?;
    Ok((view, next.left - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pay(
        method: &str,
        amount: &str,
        tendered: Option<&str>,
        reference: Option<&str>,
    ) -> PaymentRequest {
        PaymentRequest {
            method: method.into(),
            amount: amount.into(),
            tendered: tendered.map(Into::into),
            reference: reference.map(Into::into),
        }
    }

    #[test]
    fn payments_must_add_up_and_cash_may_be_over_tendered() {
        let total = Money::parse("45.00").unwrap();
        let (p, change) = check_payments(
            &[
                pay("cash", "25.00", Some("50"), None),
                pay("mobile", "20", None, Some("WX1")),
            ],
            total,
        )
        .unwrap();
        assert_eq!(change.to_string(), "25.00");
        assert_eq!(p.len(), 2);
        match check_payments(&[pay("cash", "44.99", None, None)], total) {
            Err(ReceiptError::PaymentsMismatch { expected, got }) => {
                assert_eq!((expected.as_str(), got.as_str()), ("45.00", "44.99"))
            }
            other => panic!("{other:?}"),
        }
        for (bad, field) in [
            (pay("card", "45", None, None), "payments[0].reference"),
            (
                pay("card", "45", Some("50"), Some("R")),
                "payments[0].tendered",
            ),
            (pay("cash", "45", Some("40"), None), "payments[0].tendered"),
            (pay("cash", "-45", None, None), "payments[0].amount"),
            (pay("cash", "45.001", None, None), "payments[0].amount"),
            (pay("gold", "45", None, None), "payments[0].method"),
        ] {
            match check_payments(&[bad], total) {
                Err(ReceiptError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        // a free receipt needs no payment
        assert!(check_payments(&[], Money::ZERO).is_ok());
    }

    #[test]
    fn quantities_accept_numbers_and_strings() {
        let r: IssueRequest = serde_json::from_str(
            r#"{"kind":"outpatient","patient":{"name":"A","age":3},
                "lines":[{"code":"X","qty":2},{"code":"Y","qty":"1.5"},{"code":"Z","qty":0.25}],
                "payments":[]}"#,
        )
        .unwrap();
        let q: Vec<String> = r.lines.iter().map(|l| l.qty.text()).collect();
        assert_eq!(q, ["2", "1.5", "0.25"]);
        assert_eq!(r.payer.kind, "self_pay");
        assert!(IssueRequest::from_json(r#"{"kind":"outpatient"}"#).is_err());
    }
}
