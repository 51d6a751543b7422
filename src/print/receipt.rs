//! The printed receipt: 80 mm roll or A5, a patient copy (患者联) and a stub
//! copy (存根联), everything `product.md` §3 lists, and the signed QR code.
//! The caller (receipts) fills a [`ReceiptDoc`] with display-ready text; this
//! module only lays it out.

/// Paper layout, chosen per terminal (setting `print.layout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// 80 mm thermal roll.
    #[default]
    Roll80,
    /// A5 sheet.
    A5,
}

/// One printed line, all text ready to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocLine {
    pub name: String,
    pub spec: String,
    pub unit: String,
    pub qty: String,
    pub unit_price: String,
    pub amount: String,
}

/// Everything printed on a receipt, display-ready (Chinese, amounts with two
/// decimals).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiptDoc {
    pub hospital: String,
    /// 门诊收费票据（应急手工）, 挂号收费票据（应急手工）, 住院预交金收据（应急手工）,
    /// or the credit-note title.
    pub title: String,
    pub number: String,
    /// e.g. "2026-11-22 10:15:03 +08:00"
    pub issued_at: String,
    pub terminal: String,
    pub cashier: String,
    /// Name, sex, age, outpatient/inpatient number (identifiers masked).
    pub patient: String,
    /// 自费, or 医保（全额自付，待重新结算） with the masked insurance number.
    pub payer: String,
    pub department: String,
    pub doctor: String,
    pub lines: Vec<DocLine>,
    /// (西药费, "45.00") … in print order.
    pub subtotals: Vec<(String, String)>,
    pub total: String,
    /// 大写 with the 人民币 prefix.
    pub total_in_words: String,
    /// "现金 50.00", "找零 5.00", "银行卡 20.00 参考号 …"
    pub payments: Vec<String>,
    /// "请于 YYYY-MM-DD 前凭本票据到收费窗口换取正式发票" or the to-be-confirmed text.
    pub deadline_note: String,
    /// Further lines: temporary patient number, link to the original receipt…
    pub notes: Vec<String>,
    /// The signed QR text (QR alphanumeric character set only).
    pub qr_payload: String,
    /// 演练 DRILL, 重打 COPY, 作废 VOID — drawn across every page.
    pub watermark: Option<String>,
}
