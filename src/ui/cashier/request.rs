//! From what the cashier typed to the library's [`IssueDraft`]: the one
//! place the screen's fields become a request, validated and priced by
//! [`IssueDraft::build`] as the CLI's body is. Every check (prices,
//! quantities, payments) and every figure (line amounts, total, change) is
//! the library's; this only shapes the text.

use super::Field;
use super::{CashierScreen, Method, ReceiptKind};
use crate::domain::PayerType;
use crate::error::Failure;
use crate::money::Money;
use crate::receipts::ReceiptError;
use crate::receipts::issue::{
    IssueDraft, IssueRequest, LineRequest, NumText, PatientRequest, PayerRequest, PaymentRequest,
};

/// A trimmed field, `None` when blank.
fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl CashierScreen {
    /// The validated, priced draft of what was typed (read-only).
    pub(super) fn draft(
        &self,
        env: &crate::ui::screen::ScreenEnv<'_>,
    ) -> Result<IssueDraft, ReceiptError> {
        IssueDraft::build(env.store.conn(), env.clock, &self.request())
    }

    /// The request to issue, from what was typed; the library checks it.
    pub fn request(&self) -> IssueRequest {
        let amount = self.amount_due().map(|t| NumText::Text(t.to_string()));
        let payment = PaymentRequest {
            method: self.method.code().into(),
            amount: amount.unwrap_or(NumText::Text(String::new())),
            tendered: match self.method {
                Method::Cash => opt(&self.tendered).map(NumText::Text),
                _ => None,
            },
            reference: match self.method {
                Method::Cash => None,
                _ => opt(&self.reference),
            },
        };
        IssueRequest {
            kind: self.kind.as_str().into(),
            patient: PatientRequest {
                name: self.patient.trim().to_string(),
                sex: opt(&self.sex),
                age: opt(&self.age).map(NumText::Text),
                outpatient_no: opt(&self.outpatient_no),
                ..Default::default()
            },
            payer: if self.insured {
                PayerRequest {
                    kind: PayerType::InsuredFullPay.code().into(),
                    insurance_no: opt(&self.insurance_no),
                }
            } else {
                PayerRequest::default()
            },
            department: self.department.trim().to_string(),
            doctor: self.doctor.trim().to_string(),
            lines: self.line_requests(),
            amount: match self.kind {
                ReceiptKind::Deposit => opt(&self.deposit).map(NumText::Text),
                _ => None,
            },
            payments: vec![payment],
        }
    }

    /// Line requests for the running total (none on a deposit).
    pub fn line_requests(&self) -> Vec<LineRequest> {
        match self.kind {
            ReceiptKind::Deposit => vec![],
            _ => self
                .lines
                .iter()
                .map(|l| LineRequest {
                    code: l.code.clone(),
                    qty: NumText::Text(l.qty.decimal().normalize().to_string()),
                })
                .collect(),
        }
    }

    /// What the patient owes: the deposit typed, or the library's total.
    pub(super) fn amount_due(&self) -> Option<Money> {
        match self.kind {
            ReceiptKind::Deposit => Money::parse(self.deposit.trim()).ok(),
            _ => self.total.as_ref().map(|(t, _)| *t),
        }
    }

    /// The change shown while the cash tendered is typed (the receipt's
    /// own change is the library's, shown once issued).
    pub(super) fn change_due(&self) -> Option<Money> {
        if self.method != Method::Cash {
            return None;
        }
        let tendered = Money::parse(self.tendered.trim()).ok()?;
        let due = self.amount_due()?;
        Some(Money::change(tendered, due))
    }
}

/// A refusal of the library said in the form's words: the request's field
/// path (`lines[1].qty`, `payments[0].reference`) becomes the label the
/// cashier sees, and names the field the cursor goes back to.
pub(super) struct Said {
    pub failure: Failure,
    pub zh: String,
    pub en: String,
    pub field: Option<Field>,
    /// The cart line at fault (0-based).
    pub line: Option<usize>,
}

pub(super) fn in_words(e: ReceiptError) -> Said {
    let ReceiptError::Invalid { field, zh, en } = &e else {
        let failure = Failure::from(e);
        return Said {
            zh: failure.zh.clone(),
            en: failure.en.clone(),
            failure,
            field: None,
            line: None,
        };
    };
    let line = field
        .strip_prefix("lines[")
        .and_then(|r| r.split(']').next())
        .and_then(|n| n.parse::<usize>().ok());
    let (label_zh, label_en, focus): (String, String, Option<Field>) = match (field.as_str(), line)
    {
        (f, Some(i)) if f.ends_with(".qty") => (
            format!("第 {} 行数量", i + 1),
            format!("Line {} quantity", i + 1),
            Some(Field::Search),
        ),
        (_, Some(i)) => (
            format!("第 {} 行", i + 1),
            format!("Line {}", i + 1),
            Some(Field::Search),
        ),
        ("lines", _) => ("收费项目".into(), "Items".into(), Some(Field::Search)),
        ("patient.name", _) => (
            "患者姓名".into(),
            "Patient name".into(),
            Some(Field::Patient),
        ),
        ("patient.sex", _) => ("性别".into(), "Sex".into(), None),
        ("patient.age", _) => ("年龄".into(), "Age".into(), None),
        ("patient.outpatient_no", _) => ("门诊号".into(), "Outpatient no.".into(), None),
        ("payer.insurance_no", _) => ("医保号".into(), "Insurance no.".into(), None),
        ("department", _) => ("科室".into(), "Department".into(), None),
        ("doctor", _) => ("医生".into(), "Doctor".into(), None),
        ("amount", _) => (
            "预交金额".into(),
            "Deposit amount".into(),
            Some(Field::Deposit),
        ),
        (f, _) if f.ends_with(".tendered") => (
            "实收现金".into(),
            "Cash tendered".into(),
            Some(Field::Tendered),
        ),
        (f, _) if f.ends_with(".reference") => (
            "交易参考号".into(),
            "Reference no.".into(),
            Some(Field::Reference),
        ),
        (f, _) if f.starts_with("payments") => ("付款".into(), "Payment".into(), None),
        _ => (String::new(), String::new(), None),
    };
    let join = |label: &str, text: &str, sep: &str| {
        if label.is_empty() {
            text.to_string()
        } else {
            format!("{label}{sep}{text}")
        }
    };
    let (zh, en) = (join(&label_zh, zh, "："), join(&label_en, en, ": "));
    let mut failure = Failure::from(e);
    failure.zh = zh.clone();
    failure.en = en.clone();
    Said {
        failure,
        zh,
        en,
        field: focus,
        line,
    }
}
