//! Text measurement: which face draws a character (the CJK font or the
//! standard Helvetica), how wide a run is, and wrapping to a width.

#[allow(unused_imports)]
use super::*;

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

pub(super) const WIN_ANSI_EXTRA: &str = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";

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
pub(super) const HELVETICA: [u16; 95] = [
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

pub(super) fn char_width_em(font: &ParsedFont, c: char) -> f32 {
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
pub(super) fn runs<'t>(font: &ParsedFont, text: &'t str, size: f32) -> Vec<(Face, &'t str, f32)> {
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
pub(super) fn tokens(text: &str) -> Vec<&str> {
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
