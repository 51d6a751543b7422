//! The drawing kit every printed document shares: the bundled CJK font parsed
//! once per process and embedded as a subset, a page model measured in
//! millimetres from the top-left corner (the way people lay out paper), text
//! measurement for right alignment and wrapping, rules, a light watermark and
//! QR codes drawn as merged filled rectangles so the PDF stays small.
//!
//! Pages are collected first and turned into printpdf operations at the end,
//! because a roll's height and a report's page count are only known once
//! everything has been placed.

use std::sync::OnceLock;

use printpdf::{
    Color, FontId, Greyscale, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Pt, Rect, TextItem, TextMatrix,
};
use qrcode::{EcLevel, QrCode};

use super::error::PrintError;
use crate::fonts::CJK_FONT;

const PT_PER_MM: f32 = 72.0 / 25.4;

static FONT: OnceLock<Result<ParsedFont, String>> = OnceLock::new();

/// The bundled font, parsed on first use and kept for the life of the
/// process: parsing the 4 MB face costs far more than laying out a receipt.
pub fn font() -> Result<&'static ParsedFont, PrintError> {
    FONT.get_or_init(|| {
        let mut warnings = Vec::new();
        ParsedFont::from_bytes(CJK_FONT, 0, &mut warnings).ok_or_else(|| {
            let detail: Vec<String> = warnings.iter().map(|w| w.message.clone()).collect();
            format!("{} ({})", crate::fonts::CJK_FONT_NAME, detail.join("; "))
        })
    })
    .as_ref()
    .map_err(|e| PrintError::Font(e.clone()))
}

/// Width of `text` in millimetres at `size` points, from the font's advances.
pub fn text_width(font: &ParsedFont, text: &str, size: f32) -> f32 {
    let upem = f32::from(font.pdf_font_metrics.units_per_em.max(1));
    let units: u32 = text
        .chars()
        .map(|c| {
            let gid = font.lookup_glyph_index(c as u32).unwrap_or(0);
            u32::from(font.get_horizontal_advance(gid))
        })
        .sum();
    units as f32 / upem * size / PT_PER_MM
}

/// Breaks `text` into lines no wider than `width` mm. CJK text has no spaces,
/// so lines break between any two characters; a run of Latin letters or
/// digits is kept whole when it fits on a line of its own.
pub fn wrap(font: &ParsedFont, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0;
        for token in tokens(paragraph) {
            let w = text_width(font, token, size);
            if line_w + w <= width || line.is_empty() && w <= width {
                line.push_str(token);
                line_w += w;
                continue;
            }
            if w <= width {
                lines.push(std::mem::take(&mut line).trim_end().to_string());
                let token = if token == " " { "" } else { token };
                line.push_str(token);
                line_w = text_width(font, token, size);
                continue;
            }
            // A token wider than a whole line: break it between characters.
            for c in token.chars() {
                let cw = text_width(font, c.encode_utf8(&mut [0; 4]), size);
                if line_w + cw > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                line.push(c);
                line_w += cw;
            }
        }
        lines.push(line);
    }
    lines
}

/// Splits into breakable pieces: each CJK character alone, each run of
/// ASCII alphanumerics (and . - / : %) together, each space alone.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let word = c.is_ascii_alphanumeric() || ".-/:%*+()".contains(c);
        match (word, start) {
            (true, None) => start = Some(i),
            (true, Some(_)) => {}
            (false, s) => {
                if let Some(s) = s {
                    out.push(&text[s..i]);
                    start = None;
                }
                out.push(&text[i..i + c.len_utf8()]);
            }
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// Horizontal anchor of a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone)]
enum Item {
    /// `y` is the baseline, in mm from the top.
    Text {
        x: f32,
        y: f32,
        size: f32,
        grey: f32,
        text: String,
    },
    /// A filled rectangle, `y` its top edge.
    Fill { x: f32, y: f32, w: f32, h: f32 },
    /// Text rotated counter-clockwise by `angle` degrees around its start.
    Rotated {
        x: f32,
        y: f32,
        size: f32,
        angle: f32,
        grey: f32,
        text: String,
    },
}

/// One page being laid out. Coordinates are millimetres from the top-left.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub width: f32,
    pub height: f32,
    items: Vec<Item>,
}

impl Sheet {
    pub fn new(width: f32, height: f32) -> Self {
        Sheet {
            width,
            height,
            items: Vec::new(),
        }
    }

    /// Text with its baseline at `y`, anchored at `x` as `align` says.
    pub fn text(&mut self, font: &ParsedFont, x: f32, y: f32, size: f32, align: Align, text: &str) {
        if text.is_empty() {
            return;
        }
        let x = match align {
            Align::Left => x,
            Align::Center => x - text_width(font, text, size) / 2.0,
            Align::Right => x - text_width(font, text, size),
        };
        self.items.push(Item::Text {
            x,
            y,
            size,
            grey: 0.0,
            text: text.to_string(),
        });
    }

    /// A horizontal rule from `x1` to `x2` at `y`, `thick` mm thick.
    pub fn rule(&mut self, x1: f32, x2: f32, y: f32, thick: f32) {
        self.fill(x1, y - thick / 2.0, x2 - x1, thick);
    }

    /// A dashed horizontal rule (the tear line between copies).
    pub fn dashed_rule(&mut self, x1: f32, x2: f32, y: f32, thick: f32, dash: f32) {
        let mut x = x1;
        while x < x2 {
            let w = dash.min(x2 - x);
            self.fill(x, y - thick / 2.0, w, thick);
            x += dash * 2.0;
        }
    }

    pub fn fill(&mut self, x: f32, y: f32, w: f32, h: f32) {
        self.items.push(Item::Fill { x, y, w, h });
    }

    /// Large, light text repeated diagonally down the page, so a copy or a
    /// drill receipt can never pass for an original. Drawn under the content.
    pub fn watermark(&mut self, font: &ParsedFont, text: &str, size: f32) {
        let angle: f32 = 30.0;
        let w = text_width(font, text, size);
        let rad = angle.to_radians();
        let dy = w * rad.sin() + size / PT_PER_MM * 2.5;
        let count = ((self.height / dy).floor() as usize).max(1);
        let span = count as f32 * dy;
        let top = (self.height - span) / 2.0;
        let mut items = Vec::with_capacity(count);
        for i in 0..count {
            let cy = top + dy * (i as f32 + 0.5);
            let x = self.width / 2.0 - w / 2.0 * rad.cos();
            let y = cy + w / 2.0 * rad.sin();
            items.push(Item::Rotated {
                x,
                y,
                size,
                angle,
                grey: 0.82,
                text: text.to_string(),
            });
        }
        items.append(&mut self.items);
        self.items = items;
    }

    /// Draws `code` with its top-left corner at (`x`, `y`), `size` mm square
    /// including the 4-module quiet zone. Dark modules next to each other on
    /// a row become one rectangle.
    pub fn qr(&mut self, code: &QrCode, x: f32, y: f32, size: f32) {
        let n = code.width();
        let module = size / (n + 8) as f32;
        let colors = code.to_colors();
        for row in 0..n {
            let mut col = 0;
            while col < n {
                if colors[row * n + col] != qrcode::Color::Dark {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < n && colors[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                self.fill(
                    x + (start + 4) as f32 * module,
                    y + (row + 4) as f32 * module,
                    (col - start) as f32 * module,
                    module,
                );
            }
        }
    }
}

/// Encodes `payload` at error-correction level M (survives a smudged or
/// creased thermal print); `None` when it is too long for any QR version.
pub fn qr_code(payload: &str) -> Option<QrCode> {
    QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).ok()
}

fn mm(v: f32) -> Pt {
    Pt(v * PT_PER_MM)
}

fn grey(v: f32) -> Color {
    Color::Greyscale(Greyscale::new(v, None))
}

/// Turns laid-out sheets into PDF bytes with the font embedded as a subset.
pub fn to_pdf(title: &str, sheets: &[Sheet]) -> Result<Vec<u8>, PrintError> {
    let font = font()?;
    let mut doc = PdfDocument::new(title);
    let font_id = doc.add_font(font);
    let pages = sheets
        .iter()
        .map(|s| PdfPage::new(Mm(s.width), Mm(s.height), page_ops(s, &font_id)))
        .collect();
    doc.with_pages(pages);
    let opts = PdfSaveOptions {
        subset_fonts: true,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    Ok(doc.save(&opts, &mut warnings))
}

fn page_ops(sheet: &Sheet, font_id: &FontId) -> Vec<Op> {
    let h = sheet.height;
    let handle = PdfFontHandle::External(font_id.clone());
    let mut ops = Vec::with_capacity(sheet.items.len() * 3 + 8);
    let mut in_text = false;
    let mut cur_size = -1.0f32;
    let mut cur_grey = 0.0f32;
    for item in &sheet.items {
        match item {
            Item::Text {
                x,
                y,
                size,
                grey: g,
                text,
            }
            | Item::Rotated {
                x,
                y,
                size,
                grey: g,
                text,
                ..
            } => {
                if !in_text {
                    ops.push(Op::StartTextSection);
                    in_text = true;
                    cur_size = -1.0;
                }
                if *size != cur_size {
                    ops.push(Op::SetFont {
                        font: handle.clone(),
                        size: Pt(*size),
                    });
                    cur_size = *size;
                }
                if *g != cur_grey {
                    ops.push(Op::SetFillColor { col: grey(*g) });
                    cur_grey = *g;
                }
                let matrix = match item {
                    Item::Rotated { angle, .. } => {
                        let r = angle.to_radians();
                        let (s, c) = r.sin_cos();
                        TextMatrix::Raw([c, s, -s, c, mm(*x).0, mm(h - *y).0])
                    }
                    _ => TextMatrix::Translate(mm(*x), mm(h - *y)),
                };
                ops.push(Op::SetTextMatrix { matrix });
                ops.push(Op::ShowText {
                    items: vec![TextItem::Text(text.clone())],
                });
            }
            Item::Fill { x, y, w, h: rh } => {
                if in_text {
                    ops.push(Op::EndTextSection);
                    in_text = false;
                }
                if cur_grey != 0.0 {
                    ops.push(Op::SetFillColor { col: grey(0.0) });
                    cur_grey = 0.0;
                }
                let mut rect = Rect::from_xywh(mm(*x), mm(h - *y - *rh), mm(*w), mm(*rh));
                rect.mode = Some(printpdf::PaintMode::Fill);
                ops.push(Op::DrawRectangle { rectangle: rect });
            }
        }
    }
    if in_text {
        ops.push(Op::EndTextSection);
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_is_parsed_once_and_measures_cjk_wider_than_digits() {
        let f1 = font().unwrap() as *const ParsedFont;
        let f2 = font().unwrap() as *const ParsedFont;
        assert_eq!(f1, f2);
        let f = font().unwrap();
        let han = text_width(f, "药", 10.0);
        let one = text_width(f, "1", 10.0);
        assert!(han > one && one > 0.0, "han {han} digit {one}");
    }

    #[test]
    fn wrap_keeps_lines_within_width_and_loses_nothing() {
        let f = font().unwrap();
        let text = "阿莫西林胶囊（阿莫仙）0.25g*24粒 Amoxicillin Capsules 复方甘草酸苷注射液";
        let lines = wrap(f, text, 8.0, 30.0);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(text_width(f, l, 8.0) <= 30.0 + 0.01, "{l}");
        }
        let joined: String = lines.concat().chars().filter(|c| *c != ' ').collect();
        let orig: String = text.chars().filter(|c| *c != ' ').collect();
        assert_eq!(joined, orig);
        assert!(lines.iter().any(|l| l.contains("Amoxicillin")));
    }

    #[test]
    fn qr_runs_are_merged() {
        let code = qr_code("DB1:MZ01-00000042").unwrap();
        let mut s = Sheet::new(80.0, 80.0);
        s.qr(&code, 0.0, 0.0, 30.0);
        let dark = code
            .to_colors()
            .iter()
            .filter(|c| **c == qrcode::Color::Dark)
            .count();
        assert!(
            s.items.len() < dark / 2,
            "{} rects for {dark}",
            s.items.len()
        );
    }
}
