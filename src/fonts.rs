//! The bundled CJK font (Droid Sans Fallback, Apache-2.0; license under
//! `assets/fonts/`). The same bytes are loaded into egui and embedded,
//! subset, into every PDF, so text looks and prints the same on any machine.

pub const CJK_FONT_NAME: &str = "DroidSansFallbackFull";
pub static CJK_FONT: &[u8] = include_bytes!("../assets/fonts/DroidSansFallbackFull.ttf");
