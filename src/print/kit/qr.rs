//! QR codes as merged filled rectangles: encoding with the mask of least
//! penalty, then modules merged into blocks so a receipt's PDF stays small.

#[allow(unused_imports)]
use super::*;

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
    pub(super) fn from_code(code: &qrcode::QrCode) -> QrMark {
        let dark: Vec<bool> = code
            .to_colors()
            .iter()
            .map(|c| *c == qrcode::Color::Dark)
            .collect();
        QrMark::from_modules(code.width(), &dark)
    }

    pub(super) fn from_modules(n: usize, dark: &[bool]) -> QrMark {
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
    pub(super) fn xobject(&self) -> ExternalXObject {
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
pub(super) fn encode_qr(data: &[u8]) -> Option<(usize, Vec<bool>)> {
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
pub(super) fn penalty(n: usize, dark: &[bool]) -> u32 {
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
pub(super) fn line_penalty(line: &[bool]) -> u32 {
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
