//! Loads the bundled CJK font into egui. egui's default fonts have no Chinese
//! glyphs, so without this every label would render as boxes (and
//! egui_kittest panics on missing glyphs).

use eframe::egui;
use std::sync::Arc;

/// Adds the CJK font as a fallback after egui's own fonts, for both the
/// proportional and the monospace families, keeping Latin text in egui's
/// look and every Chinese character readable.
pub fn install(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        crate::fonts::CJK_FONT_NAME.to_owned(),
        Arc::new(egui::FontData::from_static(crate::fonts::CJK_FONT)),
    );
    for family in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
        fonts
            .families
            .entry(family)
            .or_default()
            .push(crate::fonts::CJK_FONT_NAME.to_owned());
    }
    ctx.set_fonts(fonts);
}
