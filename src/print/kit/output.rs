//! Output: the collected sheets turned into printpdf operations and one PDF,
//! with the font subset and one form XObject per QR code.

#[allow(unused_imports)]
use super::*;

pub(super) fn mm(v: f32) -> Pt {
    Pt(v * PT_PER_MM)
}

/// Hundredths of a point are far below what any printer resolves, and short
/// numbers keep the content stream small.
pub(super) fn round(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

pub(super) fn grey(v: f32) -> Color {
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

pub(super) fn page_ops(
    sheet: &Sheet,
    font_id: &FontId,
    forms: &[(Arc<QrMark>, XObjectId)],
) -> Vec<Op> {
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
