//! From what the cashier typed to the library's [`IssueDraft`]: the one
//! place the screen's fields become a request, validated and priced by
//! [`IssueDraft::build`] as the CLI's body is. Every check (prices,
//! quantities, payments) and every figure (line amounts, total, change) is
//! the library's; this only shapes the text.

use super::{CashierScreen, Method, ReceiptKind};
use crate::domain::PayerType;
use crate::error::Failure;
use crate::money::Money;
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
    ) -> Result<IssueDraft, Failure> {
        Ok(IssueDraft::build(
            env.store.conn(),
            env.clock,
            &self.request(),
        )?)
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
