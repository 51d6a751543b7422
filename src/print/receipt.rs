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

impl std::str::FromStr for Layout {
    type Err = PrintError;

    /// Parses the per-terminal setting: `roll80` or `a5`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "roll80" | "80mm" | "roll" => Ok(Layout::Roll80),
            "a5" => Ok(Layout::A5),
            other => Err(PrintError::UnknownLayout(other.to_string())),
        }
    }
}

/// One printed line, all text ready to show.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DocLine {
    pub name: String,
    pub spec: String,
    pub unit: String,
    pub qty: String,
    pub unit_price: String,
    pub amount: String,
}

/// Everything printed on a receipt, display-ready (Chinese, amounts with two
/// decimals). Serializable so the same receipt can be handed to other
/// tools (the reportlab benchmark peer, a reprint from JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

use printpdf::ParsedFont;

use super::error::PrintError;
use super::kit::{self, Align, Sheet};

const PT_PER_MM: f32 = 72.0 / 25.4;

/// Page geometry and type sizes of one layout, in mm and points.
struct Geometry {
    width: f32,
    /// `None`: a roll, the page grows with the content.
    height: Option<f32>,
    margin: f32,
    body: f32,
    head: f32,
    title: f32,
    qr: f32,
    watermark: f32,
}

impl Geometry {
    fn of(layout: Layout) -> Self {
        match layout {
            // 80 mm roll, 72 mm printable.
            Layout::Roll80 => Geometry {
                width: 80.0,
                height: None,
                margin: 4.0,
                body: 7.5,
                head: 11.0,
                title: 9.5,
                // Larger than on A5: a 203 dpi thermal head needs ~4 dots
                // per module for a long signed payload to scan.
                qr: 36.0,
                watermark: 26.0,
            },
            Layout::A5 => Geometry {
                width: 148.0,
                height: Some(210.0),
                margin: 10.0,
                body: 9.0,
                head: 14.0,
                title: 12.0,
                qr: 30.0,
                watermark: 44.0,
            },
        }
    }

    fn right(&self) -> f32 {
        self.width - self.margin
    }

    fn content(&self) -> f32 {
        self.width - 2.0 * self.margin
    }

    /// Distance between baselines for text of `size` points.
    fn lh(size: f32) -> f32 {
        size * 1.45 / PT_PER_MM
    }
}

/// Places content top to bottom, starting a new sheet when an A5 page is
/// full (a roll just grows).
struct Flow<'a> {
    font: &'a ParsedFont,
    g: Geometry,
    sheets: Vec<Sheet>,
    y: f32,
}

/// Height given to a roll sheet while it is being filled; trimmed at the end.
/// Just under 200 inches, the largest page PDF 1.x readers are required to
/// handle.
const ROLL_MAX: f32 = 5000.0;

impl<'a> Flow<'a> {
    fn new(font: &'a ParsedFont, g: Geometry) -> Self {
        Flow {
            font,
            g,
            sheets: Vec::new(),
            y: 0.0,
        }
    }

    fn new_sheet(&mut self) {
        let h = self.g.height.unwrap_or(ROLL_MAX);
        self.sheets.push(Sheet::new(self.g.width, h));
        self.y = self.g.margin;
    }

    fn sheet(&mut self) -> &mut Sheet {
        if self.sheets.is_empty() {
            self.new_sheet();
        }
        let last = self.sheets.len() - 1;
        &mut self.sheets[last]
    }

    /// Makes room for `h` mm, continuing on a new sheet when an A5 page is
    /// full (or, for an absurdly long roll, when it would pass the largest
    /// page size PDF readers accept).
    fn need(&mut self, h: f32) {
        let page_h = self.g.height.unwrap_or(ROLL_MAX);
        if self.y + h > page_h - self.g.margin {
            self.new_sheet();
        }
    }

    /// One line of text; returns nothing, advances the cursor.
    fn line(&mut self, size: f32, align: Align, text: &str) {
        let lh = Geometry::lh(size);
        self.need(lh);
        self.y += lh;
        let x = match align {
            Align::Left => self.g.margin,
            Align::Center => self.g.width / 2.0,
            Align::Right => self.g.right(),
        };
        let (font, y) = (self.font, self.y - lh * 0.25);
        self.sheet().text(font, x, y, size, align, text);
    }

    /// A paragraph wrapped to `width` mm starting at `x`.
    fn para(&mut self, size: f32, x: f32, width: f32, text: &str) {
        for l in kit::wrap(self.font, text, size, width) {
            let lh = Geometry::lh(size);
            self.need(lh);
            self.y += lh;
            let (font, y) = (self.font, self.y - lh * 0.25);
            self.sheet().text(font, x, y, size, Align::Left, &l);
        }
    }

    fn rule(&mut self, thick: f32) {
        self.y += 1.0;
        let (x1, x2, y) = (self.g.margin, self.g.right(), self.y);
        self.sheet().rule(x1, x2, y, thick);
        self.y += 0.6;
    }

    /// Several pieces of text on one baseline, each at its own anchor.
    fn row(&mut self, size: f32, cells: &[(f32, Align, &str)]) {
        let lh = Geometry::lh(size);
        self.need(lh);
        self.y += lh;
        let (font, y) = (self.font, self.y - lh * 0.25);
        let sheet = self.sheet();
        for (x, align, text) in cells {
            sheet.text(font, *x, y, size, *align, text);
        }
    }
}

/// Columns of the item table, as x positions (mm from the page's left edge).
struct Columns {
    name: (f32, f32),
    spec: (f32, f32),
    /// Right edge of the quantity (with its unit on the roll).
    qty: f32,
    /// Left edge of the unit column (A5 only).
    unit: Option<f32>,
    price: f32,
    amount: f32,
}

impl Columns {
    fn of(layout: Layout, g: &Geometry) -> Self {
        let m = g.margin;
        match layout {
            Layout::Roll80 => Columns {
                name: (m, g.content()),
                spec: (m, 30.0),
                qty: m + 43.0,
                unit: None,
                price: m + 57.0,
                amount: g.right(),
            },
            Layout::A5 => Columns {
                name: (m, 42.0),
                spec: (m + 44.0, 28.0),
                qty: m + 86.0,
                unit: Some(m + 88.0),
                price: m + 113.0,
                amount: g.right(),
            },
        }
    }
}

/// Renders the receipt: the patient copy (患者联) then the stub copy (存根联),
/// each starting on its own page, with the watermark on every page when
/// `doc.watermark` is set. Text stays extractable (`pdftotext`), the font is
/// embedded as a subset, and the QR code (level M, 30 mm) decodes from a
/// 300 dpi scan.
pub fn render(doc: &ReceiptDoc, layout: Layout) -> Result<Vec<u8>, PrintError> {
    let font = kit::font()?;
    if doc.qr_payload.is_empty() {
        return Err(PrintError::EmptyQr {
            number: doc.number.clone(),
        });
    }
    let qr = kit::QrMark::new(&doc.qr_payload).ok_or_else(|| PrintError::QrTooLong {
        number: doc.number.clone(),
        len: doc.qr_payload.len(),
    })?;
    let mut flow = Flow::new(font, Geometry::of(layout));
    let mut sheets = Vec::new();
    for copy in ["患者联", "存根联"] {
        flow.new_sheet();
        copy_body(&mut flow, doc, layout, copy, &qr);
        if flow.g.height.is_none() {
            let h = flow.y + flow.g.margin + 6.0;
            if let Some(s) = flow.sheets.last_mut() {
                s.height = h;
            }
        }
        sheets.append(&mut flow.sheets);
    }
    if let Some(mark) = doc.watermark.as_deref().filter(|m| !m.is_empty()) {
        let size = flow.g.watermark;
        for s in &mut sheets {
            s.watermark(font, mark, size);
        }
    }
    kit::to_pdf(&format!("{} {}", doc.title, doc.number), &sheets)
}

fn copy_body(
    flow: &mut Flow,
    doc: &ReceiptDoc,
    layout: Layout,
    copy: &str,
    qr: &std::sync::Arc<kit::QrMark>,
) {
    let (body, font) = (flow.g.body, flow.font);
    let (m, right, content) = (flow.g.margin, flow.g.right(), flow.g.content());
    let head = flow.g.head;
    flow.para_centered(head, &doc.hospital);
    flow.para_centered(flow.g.title, &doc.title);
    // Thermal printers drop light grey, so the mark is also printed in black
    // under the title, where it cannot fade away.
    if let Some(mark) = doc.watermark.as_deref().filter(|m| !m.is_empty()) {
        flow.para_centered(flow.g.body + 1.5, &format!("【{mark}】"));
    }
    flow.y += 1.0;
    let number = format!("No. {}", doc.number);
    let label = format!("【{copy}】");
    flow.row(
        body,
        &[(m, Align::Left, &number), (right, Align::Right, &label)],
    );

    // A5 keeps the QR code in the top-right corner beside the header fields;
    // the roll is too narrow and puts it at the bottom.
    let qr_top = flow.y + 1.0;
    let meta_width = match layout {
        Layout::A5 => content - flow.g.qr - 2.0,
        Layout::Roll80 => content,
    };
    let meta = [
        format!("时间：{}", doc.issued_at),
        format!("终端：{}    收款员：{}", doc.terminal, doc.cashier),
        format!("患者：{}", doc.patient),
        format!("费别：{}", doc.payer),
        format!("科室：{}    医生：{}", doc.department, doc.doctor),
    ];
    for text in &meta {
        flow.para(body, m, meta_width, text);
    }
    if layout == Layout::A5 {
        let size = flow.g.qr;
        let caption = flow.g.body - 1.0;
        let sheet = flow.sheet();
        sheet.qr(qr, right - size, qr_top, size);
        let below = qr_top + size + Geometry::lh(caption) * 0.6;
        sheet.text(
            font,
            right - size / 2.0,
            below,
            caption,
            Align::Center,
            QR_CAPTION,
        );
        flow.y = flow.y.max(below + 1.0);
    }
    flow.rule(0.3);

    let cols = Columns::of(layout, &flow.g);
    match cols.unit {
        Some(unit_x) => flow.row(
            body,
            &[
                (cols.name.0, Align::Left, "项目名称"),
                (cols.spec.0, Align::Left, "规格"),
                (cols.qty, Align::Right, "数量"),
                (unit_x, Align::Left, "单位"),
                (cols.price, Align::Right, "单价"),
                (cols.amount, Align::Right, "金额"),
            ],
        ),
        None => flow.row(
            body,
            &[
                (cols.name.0, Align::Left, "项目/规格"),
                (cols.qty, Align::Right, "数量"),
                (cols.price, Align::Right, "单价"),
                (cols.amount, Align::Right, "金额"),
            ],
        ),
    }
    flow.rule(0.15);
    for line in &doc.lines {
        item_rows(flow, &cols, line);
    }
    flow.rule(0.15);

    // Subtotals by fee category, two (roll) or three (A5) to a row.
    let per_row = if layout == Layout::A5 { 3 } else { 2 };
    let cell = content / per_row as f32;
    for chunk in doc.subtotals.chunks(per_row) {
        let mut cells = Vec::new();
        for (i, (name, amount)) in chunk.iter().enumerate() {
            let x0 = m + cell * i as f32;
            cells.push((x0, Align::Left, name.as_str()));
            cells.push((x0 + cell - 3.0, Align::Right, amount.as_str()));
        }
        flow.row(body, &cells);
    }
    flow.rule(0.3);
    let total_size = body + 2.0;
    let total = format!("¥{}", doc.total);
    flow.row(
        total_size,
        &[(m, Align::Left, "合计"), (right, Align::Right, &total)],
    );
    flow.para(body, m, content, &format!("大写：{}", doc.total_in_words));
    for p in &doc.payments {
        flow.para(body, m, content, p);
    }
    flow.rule(0.15);
    flow.para(body, m, content, &doc.deadline_note);
    for n in &doc.notes {
        flow.para(body, m, content, n);
    }
    if layout == Layout::Roll80 {
        let size = flow.g.qr;
        flow.need(size + 4.0);
        flow.y += 1.0;
        let (x, y) = ((flow.g.width - size) / 2.0, flow.y);
        flow.sheet().qr(qr, x, y, size);
        flow.y += size;
        flow.line(body - 1.0, Align::Center, QR_CAPTION);
    }
}

const QR_CAPTION: &str = "扫码核验本票据";

/// One item: on the roll the name takes the full width and spec, quantity,
/// price and amount follow on the next row; on A5 each field has a column
/// and long names or specs wrap within it.
fn item_rows(flow: &mut Flow, cols: &Columns, line: &DocLine) {
    let (body, font) = (flow.g.body, flow.font);
    let names = kit::wrap(font, &line.name, body, cols.name.1);
    let specs = kit::wrap(font, &line.spec, body, cols.spec.1);
    match cols.unit {
        Some(unit_x) => {
            let rows = names.len().max(specs.len());
            for i in 0..rows {
                let name = names.get(i).map(String::as_str).unwrap_or("");
                let spec = specs.get(i).map(String::as_str).unwrap_or("");
                if i == 0 {
                    flow.row(
                        body,
                        &[
                            (cols.name.0, Align::Left, name),
                            (cols.spec.0, Align::Left, spec),
                            (cols.qty, Align::Right, &line.qty),
                            (unit_x, Align::Left, &line.unit),
                            (cols.price, Align::Right, &line.unit_price),
                            (cols.amount, Align::Right, &line.amount),
                        ],
                    );
                } else {
                    flow.row(
                        body,
                        &[
                            (cols.name.0, Align::Left, name),
                            (cols.spec.0, Align::Left, spec),
                        ],
                    );
                }
            }
        }
        None => {
            let qty = format!("{}{}", line.qty, line.unit);
            let small = body - 0.5;
            // Without a spec, a short name shares its row with the figures.
            let last = names.last().map(String::as_str).unwrap_or("");
            if line.spec.trim().is_empty() && kit::text_width(font, last, body) <= cols.spec.1 {
                for name in &names[..names.len().saturating_sub(1)] {
                    flow.row(body, &[(cols.name.0, Align::Left, name)]);
                }
                flow.row(
                    body,
                    &[
                        (cols.name.0, Align::Left, last),
                        (cols.qty, Align::Right, &qty),
                        (cols.price, Align::Right, &line.unit_price),
                        (cols.amount, Align::Right, &line.amount),
                    ],
                );
                return;
            }
            for name in &names {
                flow.row(body, &[(cols.name.0, Align::Left, name)]);
            }
            let first = specs.first().map(String::as_str).unwrap_or("");
            flow.row(
                small,
                &[
                    (cols.spec.0 + 2.0, Align::Left, first),
                    (cols.qty, Align::Right, &qty),
                    (cols.price, Align::Right, &line.unit_price),
                    (cols.amount, Align::Right, &line.amount),
                ],
            );
            for spec in specs.iter().skip(1) {
                flow.row(small, &[(cols.spec.0 + 2.0, Align::Left, spec)]);
            }
        }
    }
}

impl Flow<'_> {
    /// A centred heading, wrapped when it is wider than the page.
    fn para_centered(&mut self, size: f32, text: &str) {
        for l in kit::wrap(self.font, text, size, self.g.content()) {
            self.line(size, Align::Center, &l);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_setting_parses_and_refuses_unknown_names() {
        assert_eq!("roll80".parse::<Layout>().unwrap(), Layout::Roll80);
        assert_eq!(" A5 ".parse::<Layout>().unwrap(), Layout::A5);
        assert!(matches!(
            "a4".parse::<Layout>(),
            Err(PrintError::UnknownLayout(s)) if s == "a4"
        ));
    }
}
