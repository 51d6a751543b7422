//! From a stored receipt to what is printed on it: display-ready text with
//! personal identifiers masked (only the last four characters of an ID,
//! insurance or phone number show), subtotals by fee category, payments and
//! change, the exchange deadline, and the watermark (演练/DRILL, 重打/COPY,
//! 作废/VOID).

use super::query::{Kind, ReceiptView};
use super::{ReceiptError, links};
use crate::money::Money;
use crate::print::{DocLine, ReceiptDoc};
use crate::store::Store;
use std::path::PathBuf;

/// Identifiers on a printed receipt keep their last four characters
/// (fewer when short); the one masking policy is [`crate::mask`].
fn mask(s: &str) -> String {
    crate::mask::mask_tail(s, 4)
}

fn s(v: &serde_json::Value, k: &str) -> Option<String> {
    match v.get(k)? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn method_label(m: &str) -> &'static str {
    crate::domain::PaymentMethod::parse(m).map_or("其他", |m| m.label_zh())
}

/// Which paper a PDF is: the receipt itself, or a counted reprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printing {
    Original,
    /// A reprint, marked 重打 COPY.
    Copy,
}

/// The printed form of a receipt.
pub fn build(v: &ReceiptView, hospital: &str, printing: Printing) -> ReceiptDoc {
    let copy = printing == Printing::Copy;
    let p = &v.patient;
    let mut patient = vec![s(p, "name").unwrap_or_default()];
    if let Some(x) = s(p, "sex") {
        patient.push(x);
    }
    if let Some(x) = s(p, "age") {
        patient.push(format!("{x}岁"));
    }
    if let Some(x) = s(p, "outpatient_no") {
        patient.push(format!("门诊号 {x}"));
    }
    if let Some(x) = s(p, "inpatient_no") {
        patient.push(format!("住院号 {x}"));
    }
    if let Some(x) = &v.temp_patient_no {
        patient.push(format!("临时号 {x}"));
    }
    if let Some(x) = s(p, "id_no") {
        patient.push(format!("身份证 {}", mask(&x)));
    }
    if let Some(x) = s(p, "phone") {
        patient.push(format!("电话 {}", mask(&x)));
    }
    use crate::domain::PayerType;
    let payer = match (PayerType::parse(&v.payer.kind), &v.payer.insurance_no) {
        (Some(PayerType::InsuredFullPay), Some(no)) => {
            format!("医保（全额自付，待重新结算） 医保号 {}", mask(no))
        }
        (Some(PayerType::InsuredFullPay), None) => "医保（全额自付，待重新结算）".to_string(),
        _ => "自费".to_string(),
    };
    let mut subtotals: Vec<(String, Money)> = Vec::new();
    for l in &v.lines {
        let label = l
            .fee_category()
            .map(|c| c.fee_label(crate::i18n::Lang::Zh).to_string())
            .unwrap_or_else(|| format!("{}费", l.category));
        match subtotals.iter_mut().find(|(k, _)| *k == label) {
            Some((_, m)) => *m += l.amount,
            None => subtotals.push((label, l.amount)),
        }
    }
    let mut payments: Vec<String> = v
        .payments
        .iter()
        .map(|p| {
            let mut t = format!("{} {}", method_label(&p.method), p.amount);
            if let Some(td) = p.tendered
                && td != p.amount
            {
                t.push_str(&format!("（实收 {td}）"));
            }
            if let Some(r) = &p.reference {
                t.push_str(&format!(" 参考号 {r}"));
            }
            t
        })
        .collect();
    if !v.change.is_zero() {
        payments.push(format!("找零 {}", v.change));
    }
    let deadline_note = match &v.deadline {
        Some(d) => format!("请于 {d} 前凭本票据到收费窗口换取正式发票"),
        None => v
            .deadline_note
            .clone()
            .unwrap_or_else(|| "换票截止日期待确认".into()),
    };
    let mut notes = Vec::new();
    if let Some(t) = &v.temp_patient_no {
        notes.push(format!("临时患者号：{t}"));
    }
    if let Some(o) = &v.original_number {
        notes.push(format!("原票据号：{o}"));
    }
    if let Some(r) = &v.reason {
        notes.push(format!("退费原因：{r}"));
    }
    if v.payer.resettle {
        notes.push("医保患者：请于期限内持本票据办理医保重新结算".into());
    }
    if v.drill {
        notes.push("演练票据，不入 HIS / DRILL receipt, never posted to the HIS".into());
    }
    if copy {
        notes.push(format!(
            "重打 COPY：第 {} 次重打 / copy no. {}",
            v.reprints, v.reprints
        ));
    }
    if v.is_voided() {
        notes.push("作废 VOID：本票据已作废 / this receipt is void".into());
    }
    let mut marks = Vec::new();
    if v.drill {
        marks.push("演练 DRILL");
    }
    if v.is_voided() {
        marks.push("作废 VOID");
    }
    if copy {
        marks.push("重打 COPY");
    }
    ReceiptDoc {
        hospital: hospital.to_string(),
        title: v.kind.title().to_string(),
        number: v.number.clone(),
        issued_at: v.issued_at.replacen('T', " ", 1),
        terminal: v.terminal.clone(),
        cashier: v.cashier.clone(),
        patient: patient.join(" "),
        payer,
        department: v.department.clone(),
        doctor: v.doctor.clone(),
        lines: v
            .lines
            .iter()
            .map(|l| DocLine {
                name: l.name.clone(),
                spec: l.spec.clone(),
                unit: l.unit.clone(),
                qty: l.qty.clone(),
                unit_price: l.unit_price.clone(),
                amount: l.amount.to_string(),
            })
            .collect(),
        subtotals: subtotals
            .into_iter()
            .map(|(k, m)| (k, m.to_string()))
            .collect(),
        total: v.total.to_string(),
        total_in_words: format!("人民币{}", v.total_in_words),
        payments,
        deadline_note: if v.kind == Kind::CreditNote {
            String::new()
        } else {
            deadline_note
        },
        notes,
        qr_payload: v.qr_payload.clone(),
        watermark: (!marks.is_empty()).then(|| marks.join(" ")),
    }
}

/// Renders a stored receipt in the terminal's layout and saves it under the
/// data directory's `receipts/` folder (`NUMBER.pdf`, copies
/// `NUMBER-copyN.pdf`). Returns the bytes and where they were saved.
pub fn save_pdf(
    store: &Store,
    v: &ReceiptView,
    printing: Printing,
) -> Result<(Vec<u8>, PathBuf), ReceiptError> {
    let hospital = crate::settings::hospital_name(store.conn())?;
    let layout = links::layout(store.conn())?;
    let bytes = links::render(&build(v, &hospital, printing), layout)?;
    let dir = store.data_dir().receipts_dir();
    std::fs::create_dir_all(&dir).map_err(|source| ReceiptError::Io {
        path: dir.clone(),
        source,
    })?;
    let name = if printing == Printing::Copy {
        format!("{}-copy{}.pdf", v.number, v.reprints)
    } else if v.is_voided() {
        format!("{}-void.pdf", v.number)
    } else {
        format!("{}.pdf", v.number)
    };
    let path = dir.join(name);
    std::fs::write(&path, &bytes).map_err(|source| ReceiptError::Io {
        path: path.clone(),
        source,
    })?;
    Ok((bytes, path))
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masks_all_but_last_four() {
        assert_eq!(mask("3301000000123456"), "************3456");
        // Short values keep at most half: never printed in full.
        assert_eq!(mask("123"), "**3");
        assert_eq!(mask("手机13812345678"), "*********5678");
    }
}
