//! The reports on A4, through the print kit's generic report layout (paged
//! tables, "第 N 页 / 共 M 页") and its bar chart for receipts per hour.
//! Headings are bilingual, as the shift-close slip is.

use super::ReportError;
use super::data::{
    DailyReport, DayTotals, Header, OutageReport, Report, ShiftReport, category_label, method_label,
};
use crate::money::Money;
use crate::print::report::{Align, BarChart, Column, ReportDoc, ReportTable};

/// At most this many open receipts are listed one by one in the PDF; the
/// CSV always lists them all.
pub const OPEN_LISTED: usize = 300;

pub fn render(report: &Report) -> Result<Vec<u8>, ReportError> {
    Ok(match report {
        Report::Shift(r) => crate::print::render_report(&shift_doc(r))?,
        Report::Daily(r) => crate::print::render_report(&daily_doc(r))?,
        Report::Outage(r) => {
            crate::print::render_report_with_chart(&outage_doc(r), Some(&hourly_chart(r)))?
        }
    })
}

fn meta(h: &Header) -> Vec<String> {
    vec![
        h.hospital.clone(),
        format!(
            "打印 Printed {}  终端 Terminal {}  操作员 By {}",
            h.printed_at, h.terminal, h.printed_by
        ),
    ]
}

/// `2026-11-22 10:15` of an RFC 3339 stamp (the offset is the hospital's).
fn short(at: &str) -> String {
    match (at.get(..10), at.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t}"),
        _ => at.to_string(),
    }
}

fn pair(k: impl Into<String>, v: impl Into<String>) -> Vec<String> {
    vec![k.into(), v.into()]
}

fn opt_money(m: Option<Money>) -> String {
    m.map(|m| m.to_string()).unwrap_or_else(|| "—".into())
}

fn two_cols(title: &str, rows: Vec<Vec<String>>) -> ReportTable {
    ReportTable {
        title: title.into(),
        columns: vec![
            Column::new("项目 Item", Align::Left, 2.0),
            Column::new("金额 / 数量 Amount / count", Align::Right, 1.0),
        ],
        rows,
    }
}

/// Totals of a set of receipts: by category, by method, the whole.
fn totals_tables(label: &str, t: &DayTotals) -> Vec<ReportTable> {
    let mut cats: Vec<Vec<String>> = t
        .by_category
        .iter()
        .map(|a| pair(category_label(&a.key), a.amount.to_string()))
        .collect();
    cats.push(pair("合计 Total", t.total.to_string()));
    let mut methods: Vec<Vec<String>> = t
        .by_method
        .iter()
        .map(|a| pair(method_label(&a.key), a.amount.to_string()))
        .collect();
    methods.push(pair("合计 Total", t.total.to_string()));
    vec![
        two_cols(&format!("{label}：按费用类别 / by fee category"), cats),
        two_cols(&format!("{label}：按支付方式 / by payment method"), methods),
        two_cols(
            &format!("{label}：张数 / counts"),
            vec![
                pair(
                    "计入合计的票据（含退费凭证） Receipts in the totals",
                    t.receipts.to_string(),
                ),
                pair(
                    "其中退费凭证 of which credit notes",
                    format!("{} / {}", t.credit_notes.count, t.credit_notes.amount),
                ),
                pair(
                    "作废（不计入合计） Voided, not in the totals",
                    format!("{} / {}", t.voided.count, t.voided.amount),
                ),
            ],
        ),
    ]
}

pub fn daily_doc(r: &DailyReport) -> ReportDoc {
    let mut tables = totals_tables("实际收费 Real", &r.real);
    tables.push(ReportTable {
        title: "按终端 / by terminal".into(),
        columns: vec![
            Column::new("终端 Terminal", Align::Left, 1.0),
            Column::new("票据号 Numbers", Align::Left, 2.6),
            Column::new("张数 Issued", Align::Right, 0.8),
            Column::new("作废 Voided", Align::Right, 0.8),
            Column::new("退费 Credit notes", Align::Right, 0.9),
            Column::new("合计 Total", Align::Right, 1.2),
        ],
        rows: r
            .terminals
            .iter()
            .map(|t| {
                vec![
                    t.terminal.clone(),
                    format!("{} – {}", t.first_number, t.last_number),
                    t.issued.to_string(),
                    t.voided.to_string(),
                    t.credit_notes.to_string(),
                    t.total.to_string(),
                ]
            })
            .collect(),
    });
    if r.drill.receipts + r.drill.voided.count > 0 {
        tables.extend(totals_tables("演练（不计入实际） Drill, apart", &r.drill));
    }
    ReportDoc {
        title: format!("收费日报 / Daily totals {}", r.date),
        meta: meta(&r.header),
        tables,
        notes: vec![
            "退费凭证以负数计入；作废票据不计入合计，单独列示；演练票据与实际收费分开。".into(),
            "Credit notes count as negatives; voided receipts are counted apart; drill receipts are kept apart from real ones.".into(),
            "财务签字 Finance：________".into(),
        ],
        watermark: None,
    }
}

pub fn shift_doc(r: &ShiftReport) -> ReportDoc {
    let sum = r.sum();
    let numbers = |a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => format!("{a} – {b}"),
        _ => "—".into(),
    };
    let mut rows: Vec<Vec<String>> = r
        .closes
        .iter()
        .map(|c| {
            vec![
                format!("{} / {}", c.cashier, c.terminal),
                c.closed_at.get(11..16).unwrap_or(&c.closed_at).to_string(),
                format!("{}\n{}", c.count, numbers(&c.first_number, &c.last_number)),
                c.cash.to_string(),
                c.card.to_string(),
                c.mobile.to_string(),
                c.total.to_string(),
                format!("{} / {}", c.voids.count, c.voids.amount),
                format!("{} / {}", c.refunds.count, c.refunds.amount),
                c.cash_expected.to_string(),
                opt_money(c.cash_declared),
                opt_money(c.variance),
            ]
        })
        .collect();
    rows.push(vec![
        "合计 Total".into(),
        String::new(),
        sum.count.to_string(),
        sum.cash.to_string(),
        sum.card.to_string(),
        sum.mobile.to_string(),
        sum.total.to_string(),
        format!("{} / {}", sum.voids.count, sum.voids.amount),
        format!("{} / {}", sum.refunds.count, sum.refunds.amount),
        sum.cash_expected.to_string(),
        opt_money(sum.cash_declared),
        opt_money(sum.variance),
    ]);
    let col = |h: &str, w: f32| Column::new(h, Align::Right, w);
    ReportDoc {
        title: format!("交班汇总 / Shift closes {}", r.date),
        meta: meta(&r.header),
        tables: vec![ReportTable {
            title: format!("{} 次交班 / shift closes", r.closes.len()),
            columns: vec![
                Column::new("收费员/终端 Cashier", Align::Left, 1.5),
                col("交班 At", 0.8),
                Column::new("张数/号段 Receipts", Align::Left, 2.4),
                col("现金 Cash", 1.0),
                col("银行卡 Card", 1.0),
                col("移动 Mobile", 1.0),
                col("合计 Total", 1.1),
                col("作废 Voids", 1.1),
                col("退费 Refunds", 1.1),
                col("应有现金 Expected", 1.1),
                col("实点 Declared", 1.1),
                col("差额 Variance", 1.0),
            ],
            rows,
        }],
        notes: vec![
            "作废、退费为张数 / 金额；合计已扣除退费，不含作废与演练票据。".into(),
            "Voids and refunds are count / amount; totals are net of refunds, without voided and drill receipts.".into(),
            "财务签字 Finance：________".into(),
        ],
        watermark: None,
    }
}

fn hourly_chart(r: &OutageReport) -> BarChart {
    let first = r.hourly.first().map(|h| h.hour.clone()).unwrap_or_default();
    let last = r.hourly.last().map(|h| h.hour.clone()).unwrap_or_default();
    BarChart {
        title: "每小时开票数 / Receipts per hour".into(),
        bars: r
            .hourly
            .iter()
            .map(|h| (h.hour.get(11..13).unwrap_or(&h.hour).to_string(), h.count))
            .collect(),
        caption: if r.hourly.is_empty() {
            "本次停机未开具票据 / No receipts were issued in this outage".into()
        } else {
            format!("{first}:00 – {last}:59（横轴为小时 / hours on the axis）")
        },
    }
}

pub fn outage_doc(r: &OutageReport) -> ReportDoc {
    let e = &r.episode;
    let mut tables = vec![ReportTable {
        title: "事件经过 / Episode timeline".into(),
        columns: vec![
            Column::new("事件 Episode", Align::Left, 0.9),
            Column::new("终端 Terminal", Align::Left, 0.9),
            Column::new("级别 Level", Align::Left, 0.6),
            Column::new("原因 Reason", Align::Left, 2.2),
            Column::new("宣布 Declared", Align::Left, 2.0),
            Column::new("结束 Closed", Align::Left, 2.0),
        ],
        rows: r
            .timeline
            .iter()
            .map(|t| {
                vec![
                    format!("#{}{}", t.id, if t.drill { " 演练" } else { "" }),
                    t.terminal.clone(),
                    t.level.clone(),
                    t.reason.clone(),
                    format!("{} {}", short(&t.opened_at), t.opened_by),
                    match (&t.closed_at, &t.closed_by) {
                        (Some(at), Some(by)) => format!("{} {by}", short(at)),
                        (Some(at), None) => short(at),
                        _ => "未结束 still open".into(),
                    },
                ]
            })
            .collect(),
    }];
    tables.push(ReportTable {
        title: "各终端票据 / Receipts per terminal".into(),
        columns: vec![
            Column::new("终端 Terminal", Align::Left, 1.0),
            Column::new("票据号 Numbers", Align::Left, 2.6),
            Column::new("张数 Issued", Align::Right, 0.8),
            Column::new("作废 Voided", Align::Right, 0.8),
            Column::new("退费 Credit notes", Align::Right, 0.9),
            Column::new("合计 Total", Align::Right, 1.2),
        ],
        rows: r
            .terminals
            .iter()
            .map(|t| {
                vec![
                    t.terminal.clone(),
                    format!("{} – {}", t.first_number, t.last_number),
                    t.issued.to_string(),
                    t.voided.to_string(),
                    t.credit_notes.to_string(),
                    t.total.to_string(),
                ]
            })
            .chain(std::iter::once(vec![
                "合计 Total".into(),
                String::new(),
                r.issued().to_string(),
                r.totals.voided.count.to_string(),
                r.totals.credit_notes.count.to_string(),
                r.totals.total.to_string(),
            ]))
            .collect(),
    });
    tables.extend(totals_tables("本次停机 Outage", &r.totals));
    let d = &r.dispensing;
    let mut disp = vec![
        pair("已发药票据 Receipts dispensed", d.receipts.to_string()),
        pair("发药行 Lines dispensed", d.lines_dispensed.to_string()),
        pair("退药确认行 Lines returned", d.lines_returned.to_string()),
    ];
    for (t, n, back) in &d.by_pharmacy {
        disp.push(pair(
            format!("药房终端 Pharmacy {t}"),
            format!("{n} / {back}"),
        ));
    }
    disp.push(pair(
        "重复发药 Dispensed twice",
        if d.double_dispensed.is_empty() {
            "0".into()
        } else {
            d.double_dispensed
                .iter()
                .map(|(n, l)| format!("{n}#{l}"))
                .collect::<Vec<_>>()
                .join(" ")
        },
    ));
    tables.push(two_cols("发药 / Dispensing", disp));
    let x = &r.exchange;
    let cm = |c: &super::data::CountMoney| format!("{} / {}", c.count, c.amount);
    tables.push(two_cols(
        "换票进度 / Exchange progress（张数 / 金额 count / amount）",
        vec![
            pair("已换 HIS 发票 Exchanged", cm(&x.exchanged)),
            pair(
                "已按自费录入 HIS Posted as self-pay",
                cm(&x.self_pay_posted),
            ),
            pair(
                "已医保重新结算 Re-settled under insurance",
                cm(&x.insurance_resettled),
            ),
            pair("已全额退费 Refunded in full", cm(&x.refunded)),
            pair("未完成 Still open", cm(&x.open)),
            pair(
                format!("其中已逾期（截至 {}） of which overdue", r.today),
                cm(&x.overdue),
            ),
        ],
    ));
    tables.push(ReportTable {
        title: "未完成票据到期日 / Still open, due when".into(),
        columns: vec![
            Column::new("换票截止日 Deadline", Align::Left, 2.0),
            Column::new("张数 Count", Align::Right, 1.0),
            Column::new("金额 Amount", Align::Right, 1.0),
        ],
        rows: r
            .due
            .iter()
            .map(|d| {
                vec![
                    match &d.deadline {
                        Some(day) if d.overdue => format!("{day}（已逾期 overdue）"),
                        Some(day) => day.clone(),
                        None => "待确认 to be confirmed".into(),
                    },
                    d.count.to_string(),
                    d.amount.to_string(),
                ]
            })
            .collect(),
    });
    let listed = r.open.len().min(OPEN_LISTED);
    tables.push(ReportTable {
        title: if listed < r.open.len() {
            format!(
                "未完成票据 / Open receipts（前 {listed} 张，共 {} 张；全部见 CSV / first {listed} of {}, all in the CSV）",
                r.open.len(),
                r.open.len()
            )
        } else {
            "未完成票据 / Open receipts".into()
        },
        columns: vec![
            Column::new("票据号 Number", Align::Left, 1.5),
            Column::new("开具 Issued", Align::Left, 1.9),
            Column::new("患者 Patient", Align::Left, 1.3),
            Column::new("医保 Insured", Align::Left, 0.6),
            Column::new("金额 Amount", Align::Right, 1.0),
            Column::new("截止 Deadline", Align::Left, 1.3),
        ],
        rows: r
            .open
            .iter()
            .take(listed)
            .map(|o| {
                vec![
                    o.number.clone(),
                    short(&o.issued_at),
                    o.patient.clone(),
                    if o.insured { "是" } else { "" }.into(),
                    o.amount.to_string(),
                    o.deadline
                        .clone()
                        .unwrap_or_else(|| "待确认 to be confirmed".into()),
                ]
            })
            .collect(),
    });
    let mut meta = meta(&r.header);
    meta.push(format!(
        "事件 Episode #{}（{}，{} 级 level {}）{} – {}",
        e.id,
        e.terminal,
        e.level,
        e.level,
        short(&e.opened_at),
        e.closed_at
            .as_deref()
            .map(short)
            .unwrap_or_else(|| "未结束 still open".into())
    ));
    meta.push(format!(
        "票据 {} 张，合计 {}；作废 {} 张；退费 {} 张 {} / Receipts {}, total {}; voided {}; refunds {} {}",
        r.issued(),
        r.totals.total,
        r.totals.voided.count,
        r.refunds.count,
        r.refunds.amount,
        r.issued(),
        r.totals.total,
        r.totals.voided.count,
        r.refunds.count,
        r.refunds.amount,
    ));
    ReportDoc {
        title: if r.drill {
            "应急演练总结报告 / Drill after-action report".into()
        } else {
            "HIS 停机应急总结报告 / Outage after-action report".into()
        },
        meta,
        tables,
        notes: vec![
            "本报告含同一时段内其他终端宣布的应急事件（经日志导入）。演练票据不计入换票与 HIS 录入。".into(),
            "This report covers the other terminals' episodes open at the same time (imported journals). Drill receipts are never exchanged or posted.".into(),
            "信息科签字 IT：________    财务科签字 Finance：________".into(),
        ],
        watermark: r.drill.then(|| "演练 DRILL".to_string()),
    }
}
