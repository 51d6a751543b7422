//! A realistic 10-line outpatient receipt shared by the PDF tests and the
//! render benchmark (which also hands it to the reportlab peer as JSON).

use downtime_billing::print::{DocLine, ReceiptDoc};

/// QR alphanumeric charset only, the length of a real signed payload.
pub const PAYLOAD: &str = "DB1:MZ01-00000042:MZ01:20261122T101503:XA01AB001A00001*2+250101015*1+250301001*1+XC01DA001B01001*3+ZA09AA011A01001*2+250203035*1+310100009*1+XB05BA010B01001*2+HC001*4+ZB01CB012C01001*30:425.23:ABCDEF0123456789ABCDEF0123456789";

fn line(name: &str, spec: &str, qty: &str, unit: &str, price: &str, amount: &str) -> DocLine {
    DocLine {
        name: name.into(),
        spec: spec.into(),
        unit: unit.into(),
        qty: qty.into(),
        unit_price: price.into(),
        amount: amount.into(),
    }
}

pub fn receipt() -> ReceiptDoc {
    ReceiptDoc {
        hospital: "测试市第一人民医院".into(),
        title: "门诊收费票据（应急手工）".into(),
        number: "MZ01-00000042".into(),
        issued_at: "2026-11-22 10:15:03 +08:00".into(),
        terminal: "MZ01".into(),
        cashier: "张晓红".into(),
        patient: "王建国 男 58岁 门诊号 MZ2026****1187".into(),
        payer: "医保（全额自付，待重新结算） 医保号 3101****5678".into(),
        department: "心血管内科门诊".into(),
        doctor: "李明华".into(),
        lines: vec![
            line("阿莫西林胶囊", "0.25g*24粒/盒", "2", "盒", "18.50", "37.00"),
            line("血常规（五分类）", "", "1", "次", "25.00", "25.00"),
            line("肝功能十一项", "", "1", "项", "95.00", "95.00"),
            line("复方丹参滴丸", "27mg*180丸/瓶", "3", "瓶", "32.80", "98.40"),
            line("连花清瘟胶囊", "0.35g*36粒/盒", "2", "盒", "27.90", "55.80"),
            line("心电图（十二导联）", "", "1", "次", "30.00", "30.00"),
            line("静脉输液（第一组）", "", "1", "组", "12.00", "12.00"),
            line(
                "硝苯地平控释片（拜新同）",
                "30mg*7片/盒",
                "2",
                "盒",
                "31.53",
                "63.06",
            ),
            line(
                "一次性使用无菌注射器带针",
                "5ml 0.7*32TWLB",
                "4",
                "支",
                "0.62",
                "2.48",
            ),
            line("丹参（饮片）", "净制 产地四川", "30", "g", "0.2163", "6.49"),
        ],
        subtotals: vec![
            ("西药费".into(), "100.06".into()),
            ("中成药费".into(), "154.20".into()),
            ("中草药费".into(), "6.49".into()),
            ("化验费".into(), "120.00".into()),
            ("检查费".into(), "30.00".into()),
            ("治疗费".into(), "12.00".into()),
            ("材料费".into(), "2.48".into()),
        ],
        total: "425.23".into(),
        total_in_words: "人民币肆佰贰拾伍元贰角叁分".into(),
        payments: vec!["现金 430.00".into(), "找零 4.77".into()],
        deadline_note: "请于 2026-12-14 前凭本票据到收费窗口换取正式发票".into(),
        notes: vec!["系统停机应急票据，恢复后以正式发票为准".into()],
        qr_payload: PAYLOAD.into(),
        watermark: None,
    }
}
