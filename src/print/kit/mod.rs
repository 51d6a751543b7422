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

pub(super) const PT_PER_MM: f32 = 72.0 / 25.4;

pub(super) static FONT: OnceLock<Result<ParsedFont, String>> = OnceLock::new();

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

mod output;
mod page;
mod qr;
mod text;

pub use output::*;
pub use page::*;
pub use qr::*;
pub use text::*;

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
