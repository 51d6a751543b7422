//! The page model: a sheet measured in millimetres from the top-left,
//! collecting text, rules, fills, QR codes and rotated text to draw later.

#[allow(unused_imports)]
use super::*;

/// Horizontal anchor of a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone)]
pub(super) enum Item {
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
    pub(super) items: Vec<Item>,
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
