//! Generic A4 reports (shift close, daily summary, outage report): a title,
//! meta lines, titled tables whose headers repeat on every page they run
//! onto, footer notes, and "第 N 页 / 共 M 页" on every page. Callers fill a
//! [`ReportDoc`] with display-ready text; this module only lays it out.

use printpdf::ParsedFont;

use super::error::PrintError;
pub use super::kit::Align;
use super::kit::{self, Sheet};

/// One column of a report table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    pub align: Align,
    /// Relative width; the table spreads the page width by these weights
    /// (0 everywhere means equal widths).
    pub weight: f32,
}

impl Column {
    pub fn new(header: impl Into<String>, align: Align, weight: f32) -> Self {
        Column {
            header: header.into(),
            align,
            weight,
        }
    }
}

/// A titled table. Every row has one cell per column; long cells wrap.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportTable {
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

/// Everything printed on a report, display-ready.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportDoc {
    pub title: String,
    /// Lines under the title: hospital, terminal, period, who printed it…
    pub meta: Vec<String>,
    pub tables: Vec<ReportTable>,
    /// Lines after the last table: signatures, remarks.
    pub notes: Vec<String>,
    /// 演练 DRILL and the like, drawn across every page.
    pub watermark: Option<String>,
}

const W: f32 = 210.0;
const H: f32 = 297.0;
const M: f32 = 15.0;
/// Space kept free at the bottom for the page number.
const FOOT: f32 = 12.0;
const BODY: f32 = 9.0;
const PT_PER_MM: f32 = 72.0 / 25.4;

fn lh(size: f32) -> f32 {
    size * 1.5 / PT_PER_MM
}

struct Pages<'a> {
    font: &'a ParsedFont,
    sheets: Vec<Sheet>,
    y: f32,
}

impl Pages<'_> {
    fn new_page(&mut self) {
        self.sheets.push(Sheet::new(W, H));
        self.y = M;
    }

    fn fits(&self, h: f32) -> bool {
        self.y + h <= H - M - FOOT
    }

    fn sheet(&mut self) -> &mut Sheet {
        if self.sheets.is_empty() {
            self.new_page();
        }
        let last = self.sheets.len() - 1;
        &mut self.sheets[last]
    }

    fn text(&mut self, size: f32, x: f32, align: Align, text: &str) {
        let step = lh(size);
        if !self.fits(step) {
            self.new_page();
        }
        self.y += step;
        let (font, y) = (self.font, self.y - step * 0.25);
        self.sheet().text(font, x, y, size, align, text);
    }

    fn para(&mut self, size: f32, text: &str) {
        for l in kit::wrap(self.font, text, size, W - 2.0 * M) {
            self.text(size, M, Align::Left, &l);
        }
    }

    fn rule(&mut self, thick: f32) {
        self.y += 0.8;
        let y = self.y;
        self.sheet().rule(M, W - M, y, thick);
        self.y += 0.6;
    }
}

/// Lays out one table row of already wrapped cells.
fn draw_row(p: &mut Pages, cols: &[(f32, f32, Align)], cells: &[Vec<String>]) {
    let rows = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let step = lh(BODY);
    let top = p.y;
    let font = p.font;
    let sheet = p.sheet();
    for ((x, w, align), lines) in cols.iter().zip(cells) {
        let ax = match align {
            Align::Left => *x + 1.0,
            Align::Center => *x + w / 2.0,
            Align::Right => *x + w - 1.0,
        };
        for (j, l) in lines.iter().enumerate() {
            let y = top + step * (j as f32 + 1.0) - step * 0.25;
            sheet.text(font, ax, y, BODY, *align, l);
        }
    }
    p.y = top + step * rows as f32;
}

/// A bar chart drawn under the meta lines with filled rectangles (no image
/// library): one bar per label, e.g. receipts per hour of an outage.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BarChart {
    pub title: String,
    /// (label under the bar, value).
    pub bars: Vec<(String, u64)>,
    /// A line under the axis: the period, the unit.
    pub caption: String,
}

/// Renders `doc` on A4 portrait pages.
pub fn render_report(doc: &ReportDoc) -> Result<Vec<u8>, PrintError> {
    render_report_with_chart(doc, None)
}

/// Renders `doc` with `chart` drawn between the meta lines and the tables.
pub fn render_report_with_chart(
    doc: &ReportDoc,
    chart: Option<&BarChart>,
) -> Result<Vec<u8>, PrintError> {
    let font = kit::font()?;
    for t in &doc.tables {
        if t.columns.is_empty() {
            return Err(PrintError::NoColumns {
                table: t.title.clone(),
            });
        }
        if let Some((i, r)) = t
            .rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != t.columns.len())
        {
            return Err(PrintError::RowWidth {
                table: t.title.clone(),
                row: i + 1,
                found: r.len(),
                expected: t.columns.len(),
            });
        }
    }
    let mut p = Pages {
        font,
        sheets: Vec::new(),
        y: M,
    };
    p.new_page();
    for l in kit::wrap(font, &doc.title, 16.0, W - 2.0 * M) {
        p.text(16.0, W / 2.0, Align::Center, &l);
    }
    p.y += 1.5;
    for m in &doc.meta {
        p.para(BODY + 1.0, m);
    }
    if let Some(c) = chart {
        bar_chart(&mut p, c);
    }
    for t in &doc.tables {
        table(&mut p, t);
    }
    if !doc.notes.is_empty() {
        p.y += 3.0;
        for n in &doc.notes {
            p.para(BODY + 1.0, n);
        }
    }
    let total = p.sheets.len();
    for (i, s) in p.sheets.iter_mut().enumerate() {
        let label = format!("第 {} 页 / 共 {} 页", i + 1, total);
        s.text(font, W / 2.0, H - M, BODY, Align::Center, &label);
        if let Some(mark) = doc.watermark.as_deref().filter(|m| !m.is_empty()) {
            s.watermark(font, mark, 60.0);
        }
    }
    kit::to_pdf(&doc.title, &p.sheets)
}

/// Height of the plotting area of a chart, in mm.
const CHART_H: f32 = 55.0;

/// A round step for the value axis: 1, 2 or 5 times a power of ten, so
/// that about four gridlines cover `max`.
fn nice_step(max: u64) -> u64 {
    let raw = (max as f64 / 4.0).max(1.0);
    let pow = 10f64.powi(raw.log10().floor() as i32);
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * pow)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * pow);
    (step as u64).max(1)
}

fn bar_chart(p: &mut Pages, c: &BarChart) {
    let font = p.font;
    let axis_w = 12.0;
    let label_h = lh(BODY - 2.0) * 2.0 + 2.0;
    let need = lh(BODY + 2.0) + 6.0 + CHART_H + label_h + lh(BODY);
    if !p.fits(need) {
        p.new_page();
    }
    p.y += 2.0;
    p.text(BODY + 2.0, M, Align::Left, &c.title);
    p.y += 4.0;
    let top = p.y;
    let bottom = top + CHART_H;
    let left = M + axis_w;
    let right = W - M;
    let max = c.bars.iter().map(|b| b.1).max().unwrap_or(0);
    let step = nice_step(max);
    let ticks = max.div_ceil(step).max(1);
    let scale_max = (ticks * step) as f32;
    let small = BODY - 2.0;
    let sheet = p.sheet();
    for i in 0..=ticks {
        let v = i * step;
        let y = bottom - CHART_H * v as f32 / scale_max;
        if i > 0 {
            sheet.dashed_rule(left, right, y, 0.08, 1.0);
        }
        sheet.text(
            font,
            left - 1.5,
            y + 1.0,
            small,
            Align::Right,
            &v.to_string(),
        );
    }
    sheet.rule(left, right, bottom, 0.3);
    sheet.fill(left - 0.15, top, 0.3, CHART_H);
    let n = c.bars.len().max(1);
    let slot = (right - left) / n as f32;
    let bar_w = slot * 0.7;
    // Label every k-th bar so labels never overlap.
    let widest = c
        .bars
        .iter()
        .map(|(l, _)| kit::text_width(font, l, small))
        .fold(0.0f32, f32::max);
    let every = ((widest + 1.0) / slot).ceil().max(1.0) as usize;
    for (i, (label, v)) in c.bars.iter().enumerate() {
        let x = left + slot * i as f32 + (slot - bar_w) / 2.0;
        let h = CHART_H * *v as f32 / scale_max;
        if *v > 0 {
            sheet.fill(x, bottom - h, bar_w, h);
            if n <= 48 && kit::text_width(font, &v.to_string(), small) <= slot {
                sheet.text(
                    font,
                    x + bar_w / 2.0,
                    bottom - h - 0.8,
                    small,
                    Align::Center,
                    &v.to_string(),
                );
            }
        }
        if i % every == 0 {
            sheet.text(
                font,
                x + bar_w / 2.0,
                bottom + lh(small),
                small,
                Align::Center,
                label,
            );
        }
    }
    p.y = bottom + label_h;
    if !c.caption.is_empty() {
        p.para(BODY, &c.caption);
    }
}

fn table(p: &mut Pages, t: &ReportTable) {
    let font = p.font;
    let total_weight: f32 = t.columns.iter().map(|c| c.weight.max(0.0)).sum();
    let width = W - 2.0 * M;
    let mut x = M;
    let cols: Vec<(f32, f32, Align)> = t
        .columns
        .iter()
        .map(|c| {
            let w = if total_weight > 0.0 {
                width * c.weight.max(0.0) / total_weight
            } else {
                width / t.columns.len() as f32
            };
            let col = (x, w, c.align);
            x += w;
            col
        })
        .collect();
    let wrap_cells = |cells: &[String]| -> Vec<Vec<String>> {
        cells
            .iter()
            .zip(&cols)
            .map(|(c, (_, w, _))| kit::wrap(font, c, BODY, (w - 2.0).max(3.0)))
            .collect()
    };
    let headers: Vec<String> = t.columns.iter().map(|c| c.header.clone()).collect();
    let header_cells = wrap_cells(&headers);
    let header_h = header_cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * lh(BODY) + 3.0;
    let title_h = lh(BODY + 2.0) + 2.0;

    let head = |p: &mut Pages, cont: bool| {
        p.y += 2.0;
        let title = if cont {
            format!("{}（续）", t.title)
        } else {
            t.title.clone()
        };
        if !title.is_empty() {
            p.text(BODY + 2.0, M, Align::Left, &title);
        }
        p.rule(0.35);
        draw_row(p, &cols, &header_cells);
        p.rule(0.2);
    };

    let first_row_h = t
        .rows
        .first()
        .map(|r| wrap_cells(r).iter().map(Vec::len).max().unwrap_or(1) as f32 * lh(BODY))
        .unwrap_or(0.0);
    if !p.fits(title_h + header_h + first_row_h + 2.0) {
        p.new_page();
    }
    head(p, false);
    for row in &t.rows {
        let cells = wrap_cells(row);
        let h = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * lh(BODY);
        if !p.fits(h) {
            p.new_page();
            head(p, true);
        }
        draw_row(p, &cols, &cells);
    }
    p.rule(0.35);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_report_is_one_numbered_page() {
        let doc = ReportDoc {
            title: "停机报告".into(),
            tables: vec![ReportTable {
                title: "无记录".into(),
                columns: vec![Column::new("票据号", Align::Left, 0.0)],
                rows: vec![],
            }],
            ..Default::default()
        };
        let pdf = render_report(&doc).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        assert_eq!(
            render_report(&ReportDoc {
                tables: vec![ReportTable::default()],
                ..Default::default()
            })
            .map_err(|e| matches!(e, PrintError::NoColumns { .. })),
            Err(true)
        );
    }

    #[test]
    fn chart_axis_steps_are_round_and_cover_the_tallest_bar() {
        for (max, step) in [(0, 1), (3, 1), (9, 5), (40, 10), (130, 50), (2_000, 500)] {
            assert_eq!(nice_step(max), step, "max {max}");
            assert!(max.div_ceil(step).max(1) * step >= max);
        }
        let doc = ReportDoc {
            title: "停机报告".into(),
            ..Default::default()
        };
        let chart = BarChart {
            title: "每小时开票数".into(),
            bars: (0..30).map(|h| (format!("{h:02}"), h * 7)).collect(),
            caption: String::new(),
        };
        let plain = render_report(&doc).unwrap();
        let with = render_report_with_chart(&doc, Some(&chart)).unwrap();
        assert!(with.starts_with(b"%PDF") && with.len() > plain.len());
    }

    #[test]
    fn rows_of_the_wrong_width_are_refused_naming_the_row() {
        let doc = ReportDoc {
            title: "交班报表".into(),
            tables: vec![ReportTable {
                title: "收款".into(),
                columns: vec![
                    Column::new("方式", Align::Left, 1.0),
                    Column::new("金额", Align::Right, 1.0),
                ],
                rows: vec![vec!["现金".into(), "1.00".into()], vec!["银行卡".into()]],
            }],
            ..Default::default()
        };
        match render_report(&doc) {
            Err(PrintError::RowWidth { row, found, .. }) => assert_eq!((row, found), (2, 1)),
            other => panic!("{other:?}"),
        }
    }
}
