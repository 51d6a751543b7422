//! One receipt as opened in the history: who, when, for whom, its lines
//! (with what was refunded and what the pharmacy handed out), its payments
//! and its events, times as a cashier reads them.

use super::Opened;
use crate::i18n::Lang;
use crate::receipts::query::Kind;
use crate::ui::status::short_time;
use crate::ui::widgets::{AMBER, RED};
use eframe::egui;
use egui_extras::{Column, TableBuilder};

fn kind_label(k: Kind, lang: Lang) -> &'static str {
    match k {
        Kind::Outpatient => lang.pick("门诊收费", "Outpatient"),
        Kind::Registration => lang.pick("挂号", "Registration"),
        Kind::Deposit => lang.pick("住院预交金", "Inpatient deposit"),
        Kind::CreditNote => lang.pick("红字退费凭证", "Credit note"),
    }
}

fn event_label(kind: &str, lang: Lang) -> String {
    match kind {
        "void" => lang.pick("作废", "voided"),
        "reprint" => lang.pick("重打", "reprinted"),
        "refund" => lang.pick("退费", "refunded"),
        "dispensed" => lang.pick("发药", "dispensed"),
        "return_confirmed" => lang.pick("药房确认退药", "return confirmed"),
        "exchanged" => lang.pick("换票", "exchanged"),
        "self_pay_posted" => lang.pick("按自费入账", "posted as self-pay"),
        "insurance_resettled" => lang.pick("医保重新结算", "re-settled"),
        other => other,
    }
    .to_string()
}

fn method_label(code: &str, lang: Lang) -> String {
    match crate::domain::PaymentMethod::parse(code) {
        Some(crate::domain::PaymentMethod::Cash) => lang.pick("现金", "Cash"),
        Some(crate::domain::PaymentMethod::Card) => lang.pick("银行卡", "Bank card"),
        Some(crate::domain::PaymentMethod::Mobile) => lang.pick("扫码支付", "Mobile QR"),
        None => code,
    }
    .to_string()
}

pub(super) fn ui(ui: &mut egui::Ui, lang: Lang, o: &Opened) {
    let v = &o.view;
    ui.add(
        egui::Label::new(
            egui::RichText::new(lang.pick(
                "F7 退费  F8 作废  F9 重打  Esc 返回列表",
                "F7 refund  F8 void  F9 reprint  Esc back to the list",
            ))
            .weak(),
        )
        .truncate(),
    );
    ui.horizontal_wrapped(|ui| {
        ui.heading(&v.number);
        ui.label(kind_label(v.kind, lang));
        let status = v.status.label(lang);
        if v.is_voided() {
            ui.colored_label(RED, status);
        } else {
            ui.strong(status);
        }
        if v.drill {
            ui.colored_label(AMBER, lang.pick("演练", "drill"));
        }
    });
    let patient = v
        .patient
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or_default();
    ui.label(format!(
        "{} {}   {} {}   {} {}   {} {} / {}",
        lang.pick("时间", "Time"),
        short_time(&v.issued_at),
        lang.pick("收费员", "Cashier"),
        v.cashier,
        lang.pick("患者", "Patient"),
        patient,
        lang.pick("科室/医生", "Department/doctor"),
        v.department,
        v.doctor
    ));
    if let Some(orig) = &v.original_number {
        ui.label(format!(
            "{} {orig}",
            lang.pick("原票据", "Original receipt")
        ));
    }
    if !v.credit_notes.is_empty() {
        ui.label(format!(
            "{} {}",
            lang.pick("红字凭证", "Credit notes"),
            v.credit_notes.join(", ")
        ));
    }
    ui.horizontal(|ui| {
        ui.strong(format!("{} ¥{}", lang.pick("合计", "Total"), v.total));
        ui.label(&v.total_in_words);
    });
    ui.separator();
    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
    let height = (ui.available_height() * 0.5).max(80.0);
    TableBuilder::new(ui)
        .id_salt("history_lines")
        .striped(true)
        .auto_shrink([false, true])
        .max_scroll_height(height)
        .column(Column::exact(28.0))
        .column(Column::remainder().at_least(120.0).clip(true))
        .column(Column::initial(70.0))
        .column(Column::initial(70.0))
        .column(Column::initial(80.0))
        .column(Column::initial(80.0))
        .column(Column::initial(200.0).clip(true))
        .header(20.0, |mut h| {
            for (zh, en) in [
                ("行", "Line"),
                ("项目", "Item"),
                ("单价", "Price"),
                ("数量", "Qty"),
                ("已退", "Refunded"),
                ("金额", "Amount"),
                ("药房", "Pharmacy"),
            ] {
                h.col(|ui| {
                    ui.strong(lang.pick(zh, en));
                });
            }
        })
        .body(|mut body| {
            for l in &v.lines {
                body.row(20.0, |mut row| {
                    row.col(|ui| {
                        ui.label(l.line.to_string());
                    });
                    row.col(|ui| {
                        ui.label(format!("{} {}", l.name, l.spec));
                    });
                    row.col(|ui| {
                        ui.monospace(&l.unit_price);
                    });
                    row.col(|ui| {
                        ui.monospace(format!("{}{}", l.qty, l.unit));
                    });
                    row.col(|ui| {
                        ui.monospace(&l.refunded_qty);
                    });
                    row.col(|ui| {
                        ui.monospace(l.amount.to_string());
                    });
                    row.col(|ui| {
                        if let Some(p) = o.pharmacy.get(&l.line) {
                            let text = format!(
                                "{} {}  {} {}",
                                lang.pick("已发", "dispensed"),
                                p.dispensed.normalize(),
                                lang.pick("已退回", "returned"),
                                p.returned.normalize()
                            );
                            if p.dispensed > p.returned {
                                ui.colored_label(AMBER, text);
                            } else {
                                ui.label(text);
                            }
                        }
                    });
                });
            }
        });
    ui.separator();
    for p in &v.payments {
        let mut text = format!("{} ¥{}", method_label(&p.method, lang), p.amount);
        if let Some(t) = p.tendered {
            text.push_str(&format!("  {} ¥{t}", lang.pick("实收", "tendered")));
        }
        if let Some(r) = &p.reference {
            text.push_str(&format!("  {} {r}", lang.pick("参考号", "ref.")));
        }
        ui.label(text);
    }
    if !v.change.is_zero() {
        ui.label(format!("{} ¥{}", lang.pick("找零", "Change"), v.change));
    }
    if !v.events.is_empty() {
        ui.separator();
        ui.strong(lang.pick("记录", "Events"));
        for e in &v.events {
            let mut text = format!(
                "{}  {}  {}",
                short_time(&e.at),
                event_label(&e.kind, lang),
                e.user
            );
            if let Some(line) = e.line {
                text.push_str(&format!("  {} {line}", lang.pick("行", "line")));
            }
            if let Some(s) = &e.supervisor {
                text.push_str(&format!("  {} {s}", lang.pick("主管", "supervisor")));
            }
            if let Some(r) = &e.reason {
                text.push_str(&format!("  {r}"));
            }
            ui.label(text);
        }
    }
}
