//! The drawing kit every printed document shares: the bundled CJK font parsed
//! once per process and embedded as a subset, a page model measured in
//! millimetres from the top-left corner (the way people lay out paper), text
//! measurement for right alignment and wrapping, rules, a light watermark and
//! QR codes drawn as merged filled rectangles so the PDF stays small.
//!
//! Pages are collected first and turned into printpdf operations at the end,
//! because a roll's height and a report's page count are only known once
//! everything has been placed.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use printpdf::{
    BuiltinFont, Color, DictItem, ExternalStream, ExternalXObject, FontId, Greyscale, Mm, Op,
    PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Pt, Rect, TextItem,
    TextMatrix, XObjectId, XObjectTransform,
};
use qrcode::EcLevel;

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

/// Which face draws a character. The bundled Droid Sans Fallback has no
/// Latin letters or digits, so ASCII and Latin-1 (and the few other WinAnsi
/// characters the CJK face lacks) are drawn with the PDF standard Helvetica,
/// which every viewer and printer driver has and which costs nothing to
/// embed; everything else comes from the embedded CJK subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Latin,
    Cjk,
}

const WIN_ANSI_EXTRA: &str = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";

pub fn face_of(font: &ParsedFont, c: char) -> Face {
    if (c as u32) <= 0xFF {
        return Face::Latin;
    }
    if WIN_ANSI_EXTRA.contains(c) && font.lookup_glyph_index(c as u32).is_none() {
        return Face::Latin;
    }
    Face::Cjk
}

/// Helvetica advance widths (AFM, 1/1000 em) for ASCII 32..=126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0-9
    278, 278, 584, 584, 584, 556, 1015, // :;<=>?@
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, // A-M
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, // N-Z
    278, 278, 278, 469, 556, 333, // [\]^_`
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, // a-m
    556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, // n-z
    334, 260, 334, 584, // {|}~
];

fn char_width_em(font: &ParsedFont, c: char) -> f32 {
    match face_of(font, c) {
        Face::Latin => {
            let code = c as u32;
            let w = if (32..=126).contains(&code) {
                HELVETICA[(code - 32) as usize]
            } else {
                556
            };
            f32::from(w) / 1000.0
        }
        Face::Cjk => {
            let upem = f32::from(font.pdf_font_metrics.units_per_em.max(1));
            let gid = font.lookup_glyph_index(c as u32).unwrap_or(0);
            f32::from(font.get_horizontal_advance(gid)) / upem
        }
    }
}

/// Width of `text` in millimetres at `size` points.
pub fn text_width(font: &ParsedFont, text: &str, size: f32) -> f32 {
    let em: f32 = text.chars().map(|c| char_width_em(font, c)).sum();
    em * size / PT_PER_MM
}

/// Splits `text` into runs drawn with one face each: (face, run, offset of
/// the run from the start in mm).
fn runs<'t>(font: &ParsedFont, text: &'t str, size: f32) -> Vec<(Face, &'t str, f32)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut offset = 0.0;
    let mut run_w = 0.0;
    let mut cur: Option<Face> = None;
    for (i, c) in text.char_indices() {
        let f = face_of(font, c);
        if cur.is_some_and(|cf| cf != f) {
            if let Some(cf) = cur {
                out.push((cf, &text[start..i], offset));
            }
            offset += run_w;
            run_w = 0.0;
            start = i;
        }
        cur = Some(f);
        run_w += char_width_em(font, c) * size / PT_PER_MM;
    }
    if let Some(cf) = cur {
        out.push((cf, &text[start..], offset));
    }
    out
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
        face: Face,
        text: String,
    },
    /// A filled rectangle, `y` its top edge.
    Fill { x: f32, y: f32, w: f32, h: f32 },
    /// A QR code, its top-left module at (`x`, `y`), modules `module` mm.
    Qr {
        x: f32,
        y: f32,
        module: f32,
        mark: Arc<QrMark>,
    },
    /// Text rotated counter-clockwise by `angle` degrees around its start.
    Rotated {
        x: f32,
        y: f32,
        size: f32,
        angle: f32,
        grey: f32,
        face: Face,
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
        // Tabs or stray control characters from pasted data would print as
        // boxes or nothing at all; show them as spaces.
        let cleaned: String;
        let text = if text.chars().any(char::is_control) {
            cleaned = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            cleaned.as_str()
        } else {
            text
        };
        let x = match align {
            Align::Left => x,
            Align::Center => x - text_width(font, text, size) / 2.0,
            Align::Right => x - text_width(font, text, size),
        };
        for (face, run, dx) in runs(font, text, size) {
            self.items.push(Item::Text {
                x: x + dx,
                y,
                size,
                grey: 0.0,
                face,
                text: run.to_string(),
            });
        }
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
        let rad = angle.to_radians();
        // Shrink a long mark ("演练 DRILL 重打 COPY") until it fits across.
        let natural = text_width(font, text, size) * rad.cos();
        let size = if natural > self.width * 0.9 {
            size * self.width * 0.9 / natural
        } else {
            size
        };
        let w = text_width(font, text, size);
        let dy = w * rad.sin() + size / PT_PER_MM * 2.5;
        let count = ((self.height / dy).floor() as usize).max(1);
        let span = count as f32 * dy;
        let top = (self.height - span) / 2.0;
        let mut items = Vec::with_capacity(count);
        for i in 0..count {
            let cy = top + dy * (i as f32 + 0.5);
            let x = self.width / 2.0 - w / 2.0 * rad.cos();
            let y = cy + w / 2.0 * rad.sin();
            for (face, run, d) in runs(font, text, size) {
                items.push(Item::Rotated {
                    x: x + d * rad.cos(),
                    y: y - d * rad.sin(),
                    size,
                    angle,
                    grey: 0.82,
                    face,
                    text: run.to_string(),
                });
            }
        }
        items.append(&mut self.items);
        self.items = items;
    }

    /// Draws `qr` with its top-left corner at (`x`, `y`), `size` mm square
    /// including the 4-module quiet zone.
    pub fn qr(&mut self, qr: &Arc<QrMark>, x: f32, y: f32, size: f32) {
        let module = size / f32::from(qr.n + 8);
        self.items.push(Item::Qr {
            x: x + 4.0 * module,
            y: y + 4.0 * module,
            module,
            mark: Arc::clone(qr),
        });
    }
}

/// A QR code reduced to filled blocks. Dark modules next to each other on a
/// row form one block, and a block repeated exactly on the next row grows
/// downwards. It is written once per PDF as a form XObject that every copy
/// of the receipt reuses.
#[derive(Debug, PartialEq, Eq)]
pub struct QrMark {
    /// Modules per side, without the quiet zone.
    pub n: u16,
    /// (row, column, width, height) in modules, rows counted from the top.
    pub blocks: Vec<(u16, u16, u16, u16)>,
}

impl QrMark {
    /// Encodes `payload` at error-correction level M (survives a smudged or
    /// creased thermal print); `None` when it is too long for any QR version.
    pub fn new(payload: &str) -> Option<Arc<QrMark>> {
        let (n, dark) = encode_qr(payload.as_bytes())?;
        Some(Arc::new(QrMark::from_modules(n, &dark)))
    }

    #[cfg(test)]
    fn from_code(code: &qrcode::QrCode) -> QrMark {
        let dark: Vec<bool> = code
            .to_colors()
            .iter()
            .map(|c| *c == qrcode::Color::Dark)
            .collect();
        QrMark::from_modules(code.width(), &dark)
    }

    fn from_modules(n: usize, dark: &[bool]) -> QrMark {
        let mut blocks: Vec<(u16, u16, u16, u16)> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        for row in 0..n {
            let mut next_open = Vec::new();
            let mut col = 0;
            while col < n {
                if !dark[row * n + col] {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < n && dark[row * n + col] {
                    col += 1;
                }
                let (c, w) = (start as u16, (col - start) as u16);
                match open.iter().find(|&&i| blocks[i].1 == c && blocks[i].2 == w) {
                    Some(&i) => {
                        blocks[i].3 += 1;
                        next_open.push(i);
                    }
                    None => {
                        blocks.push((row as u16, c, w, 1));
                        next_open.push(blocks.len() - 1);
                    }
                }
            }
            open = next_open;
        }
        QrMark {
            n: n as u16,
            blocks,
        }
    }

    /// The form XObject: one path of rectangles in module units (y up, as
    /// PDF wants), filled once; small integers compress well.
    fn xobject(&self) -> ExternalXObject {
        let mut content = Vec::with_capacity(self.blocks.len() * 14);
        for &(r, c, w, h) in &self.blocks {
            let y = self.n - r - h;
            content.extend_from_slice(format!("{c} {y} {w} {h} re\n").as_bytes());
        }
        content.extend_from_slice(b"f\n");
        let n = i64::from(self.n);
        let mut dict = BTreeMap::new();
        dict.insert("Type".into(), DictItem::Name(b"XObject".to_vec()));
        dict.insert("Subtype".into(), DictItem::Name(b"Form".to_vec()));
        dict.insert(
            "BBox".into(),
            DictItem::Array(vec![
                DictItem::Int(0),
                DictItem::Int(0),
                DictItem::Int(n),
                DictItem::Int(n),
            ]),
        );
        ExternalXObject {
            stream: ExternalStream {
                dict,
                content,
                compress: true,
            },
            width: None,
            height: None,
            dpi: None,
        }
    }
}

/// QR encoding at level M with the mask chosen by the ISO 18004 penalty
/// rules, scored here on a plain bit grid: the `qrcode` crate's own mask
/// scoring took about 40 % of a whole receipt render.
fn encode_qr(data: &[u8]) -> Option<(usize, Vec<bool>)> {
    use qrcode::canvas::{Canvas, MaskPattern};
    let bits = qrcode::bits::encode_auto(data, EcLevel::M).ok()?;
    let version = bits.version();
    let raw = bits.into_bytes();
    let (codewords, ec) = qrcode::ec::construct_codewords(&raw, version, EcLevel::M).ok()?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&codewords, &ec);
    let n = usize::try_from(version.width()).ok()?;
    [
        MaskPattern::Checkerboard,
        MaskPattern::HorizontalLines,
        MaskPattern::VerticalLines,
        MaskPattern::DiagonalLines,
        MaskPattern::LargeCheckerboard,
        MaskPattern::Fields,
        MaskPattern::Diamonds,
        MaskPattern::Meadow,
    ]
    .into_iter()
    .map(|mask| {
        let mut c = canvas.clone();
        c.apply_mask(mask);
        let dark: Vec<bool> = c
            .into_colors()
            .into_iter()
            .map(|m| m == qrcode::Color::Dark)
            .collect();
        (penalty(n, &dark), dark)
    })
    .min_by_key(|(score, _)| *score)
    .map(|(_, dark)| (n, dark))
}

/// The four penalty rules of ISO/IEC 18004 §7.8.3: runs of five or more
/// modules of one colour, 2×2 blocks of one colour, finder-like
/// 1:1:3:1:1 patterns next to four light modules, and imbalance of dark
/// and light.
fn penalty(n: usize, dark: &[bool]) -> u32 {
    let mut transposed = vec![false; n * n];
    for r in 0..n {
        for c in 0..n {
            transposed[c * n + r] = dark[r * n + c];
        }
    }
    let mut score: u32 = dark
        .chunks_exact(n)
        .chain(transposed.chunks_exact(n))
        .map(line_penalty)
        .sum();
    for (top, bottom) in dark.chunks_exact(n).zip(dark.chunks_exact(n).skip(1)) {
        for c in 0..n - 1 {
            let v = top[c];
            if top[c + 1] == v && bottom[c] == v && bottom[c + 1] == v {
                score += 3;
            }
        }
    }
    let dark_count = dark.iter().filter(|d| **d).count();
    let percent = dark_count * 100 / dark.len().max(1);
    score + 10 * (percent.abs_diff(50) / 5) as u32
}

/// Rules 1 and 3 along one row or column.
fn line_penalty(line: &[bool]) -> u32 {
    const FINDER: [bool; 7] = [true, false, true, true, true, false, true];
    let n = line.len();
    let mut score = 0;
    let mut run = 1;
    for c in 1..=n {
        if c < n && line[c] == line[c - 1] {
            run += 1;
        } else {
            if run >= 5 {
                score += 3 + (run - 5);
            }
            run = 1;
        }
    }
    let light = |from: usize, to: usize| line[from.min(n)..to.min(n)].iter().all(|d| !d);
    for (c, window) in line.windows(7).enumerate() {
        if window == FINDER {
            if light(c.saturating_sub(4), c) {
                score += 40;
            }
            if light(c + 7, c + 11) {
                score += 40;
            }
        }
    }
    score
}

fn mm(v: f32) -> Pt {
    Pt(v * PT_PER_MM)
}

/// Hundredths of a point are far below what any printer resolves, and short
/// numbers keep the content stream small.
fn round(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

fn grey(v: f32) -> Color {
    Color::Greyscale(Greyscale::new(v, None))
}

/// Turns laid-out sheets into PDF bytes with the font embedded as a subset.
pub fn to_pdf(title: &str, sheets: &[Sheet]) -> Result<Vec<u8>, PrintError> {
    let font = font()?;
    let mut doc = PdfDocument::new(title);
    let font_id = doc.add_font(font);
    let mut forms: Vec<(Arc<QrMark>, XObjectId)> = Vec::new();
    for item in sheets.iter().flat_map(|s| &s.items) {
        if let Item::Qr { mark, .. } = item
            && !forms.iter().any(|(m, _)| Arc::ptr_eq(m, mark))
        {
            forms.push((Arc::clone(mark), doc.add_xobject(&mark.xobject())));
        }
    }
    let pages = sheets
        .iter()
        .map(|s| PdfPage::new(Mm(s.width), Mm(s.height), page_ops(s, &font_id, &forms)))
        .collect();
    doc.with_pages(pages);
    let opts = PdfSaveOptions {
        subset_fonts: true,
        ..PdfSaveOptions::default()
    };
    let mut warnings = Vec::new();
    Ok(doc.save(&opts, &mut warnings))
}

fn page_ops(sheet: &Sheet, font_id: &FontId, forms: &[(Arc<QrMark>, XObjectId)]) -> Vec<Op> {
    let h = sheet.height;
    let handle = PdfFontHandle::External(font_id.clone());
    let mut ops = Vec::with_capacity(sheet.items.len() * 3 + 8);
    let mut in_text = false;
    let mut cur_size = -1.0f32;
    let mut cur_grey = 0.0f32;
    let mut cur_face: Option<Face> = None;
    for item in &sheet.items {
        match item {
            Item::Text {
                x,
                y,
                size,
                grey: g,
                face,
                text,
            }
            | Item::Rotated {
                x,
                y,
                size,
                grey: g,
                face,
                text,
                ..
            } => {
                if !in_text {
                    ops.push(Op::StartTextSection);
                    in_text = true;
                    cur_size = -1.0;
                    cur_face = None;
                }
                if *size != cur_size || Some(*face) != cur_face {
                    let font = match face {
                        Face::Cjk => handle.clone(),
                        Face::Latin => PdfFontHandle::Builtin(BuiltinFont::Helvetica),
                    };
                    ops.push(Op::SetFont {
                        font,
                        size: Pt(*size),
                    });
                    cur_size = *size;
                    cur_face = Some(*face);
                }
                if *g != cur_grey {
                    ops.push(Op::SetFillColor { col: grey(*g) });
                    cur_grey = *g;
                }
                let matrix = match item {
                    Item::Rotated { angle, .. } => {
                        let r = angle.to_radians();
                        let (s, c) = r.sin_cos();
                        TextMatrix::Raw([c, s, -s, c, round(mm(*x).0), round(mm(h - *y).0)])
                    }
                    _ => TextMatrix::Translate(Pt(round(mm(*x).0)), Pt(round(mm(h - *y).0))),
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
                let r = |v: f32| Pt(round(mm(v).0));
                let mut rect = Rect::from_xywh(r(*x), r(h - *y - *rh), r(*w), r(*rh));
                rect.mode = Some(PaintMode::Fill);
                ops.push(Op::DrawRectangle { rectangle: rect });
            }
            Item::Qr { x, y, module, mark } => {
                if in_text {
                    ops.push(Op::EndTextSection);
                    in_text = false;
                }
                if cur_grey != 0.0 {
                    ops.push(Op::SetFillColor { col: grey(0.0) });
                    cur_grey = 0.0;
                }
                let Some((_, id)) = forms.iter().find(|(m, _)| Arc::ptr_eq(m, mark)) else {
                    continue;
                };
                let bottom = *y + *module * f32::from(mark.n);
                ops.push(Op::UseXobject {
                    id: id.clone(),
                    transform: XObjectTransform {
                        translate_x: Some(mm(*x)),
                        translate_y: Some(mm(h - bottom)),
                        scale_x: Some(mm(*module).0),
                        scale_y: Some(mm(*module).0),
                        ..XObjectTransform::default()
                    },
                });
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
    use qrcode::QrCode;

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
    fn qr_mask_choice_is_the_lowest_penalty_and_keeps_the_code_size() {
        for payload in ["DB1:MZ01-00000042", "A", &"DB1:MZ01-00000042:".repeat(12)] {
            let reference = QrCode::with_error_correction_level(payload, EcLevel::M).unwrap();
            let (n, dark) = encode_qr(payload.as_bytes()).unwrap();
            assert_eq!(n, reference.width());
            let theirs: Vec<bool> = reference
                .to_colors()
                .iter()
                .map(|c| *c == qrcode::Color::Dark)
                .collect();
            // Either the same mask as the crate, or one our scoring ranks
            // at least as good.
            assert!(dark == theirs || penalty(n, &dark) <= penalty(n, &theirs));
        }
        // Rule 4 alone: an all-dark grid is maximally imbalanced.
        assert!(penalty(21, &[true; 441]) >= 100);
    }

    #[test]
    fn qr_blocks_cover_exactly_the_dark_modules() {
        let code = QrCode::with_error_correction_level(b"DB1:MZ01-00000042", EcLevel::M).unwrap();
        let mark = QrMark::from_code(&code);
        let blocks = &mark.blocks;
        let dark = code
            .to_colors()
            .iter()
            .filter(|c| **c == qrcode::Color::Dark)
            .count();
        assert!(
            blocks.len() < dark / 2,
            "{} blocks for {dark}",
            blocks.len()
        );
        // Every dark module is covered exactly once, and nothing else.
        let n = code.width();
        let mut cover = vec![0u8; n * n];
        for &(r, c, w, h) in blocks {
            for y in r..r + h {
                for x in c..c + w {
                    cover[y as usize * n + x as usize] += 1;
                }
            }
        }
        for (i, col) in code.to_colors().iter().enumerate() {
            assert_eq!(
                cover[i],
                u8::from(*col == qrcode::Color::Dark),
                "module {i}"
            );
        }
    }
}
