//! The paper price binder (价格本) the procedures require at every month
//! end, printed from the month's snapshot: an index of categories with the
//! page each starts on, then every category on its own pages, items sorted
//! by pinyin, columns code / name / spec / unit / price, and the month and
//! "第 N 页 / 共 M 页" on every page (A4 portrait). The cashier office keeps
//! it at hand for when every screen is dark.
//!
//! Layout is done once in memory (the page count is known before the page
//! numbers are drawn), and the font is the print kit's, parsed once per
//! process.

use std::path::{Path, PathBuf};

use ::pinyin::ToPinyin;
use rusqlite::Connection;

use super::{Category, PriceError, PriceItem, Snapshot};
use crate::domain::Month;
use crate::error::{ErrorKind, UserFacing};
use crate::i18n::Lang;
use crate::print::PrintError;
use crate::print::kit::{self, Align, Sheet};

const W: f32 = 210.0;
const H: f32 = 297.0;
const M: f32 = 12.0;
const SIZE: f32 = 8.0;
const PT_PER_MM: f32 = 72.0 / 25.4;
/// Top of the first row under the page header and column titles.
const BODY_TOP: f32 = M + 13.0;
/// Lowest baseline a row may use; the page number sits under it.
const BODY_BOTTOM: f32 = H - M - 7.0;

/// (title, x, width, alignment) of the five columns.
const COLUMNS: [(&str, f32, f32, Align); 5] = [
    ("编码 Code", M, 34.0, Align::Left),
    ("名称 Name", M + 35.0, 62.0, Align::Left),
    ("规格 Spec", M + 98.0, 48.0, Align::Left),
    ("单位 Unit", M + 147.0, 13.0, Align::Left),
    ("单价 Price", W - M, 25.0, Align::Right),
];

fn line_height() -> f32 {
    SIZE * 1.4 / PT_PER_MM
}

/// Why the price book was not printed.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error("no price list is held for {0}: import it first (prices import FILE --month {0})")]
    NoSnapshot(Month),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--out {0}: the price book is a PDF, the file name must end in .pdf")]
    NotPdf(PathBuf),
    #[error(transparent)]
    Price(#[from] PriceError),
    #[error(transparent)]
    Print(#[from] PrintError),
}

impl UserFacing for BookError {
    fn kind(&self) -> ErrorKind {
        match self {
            BookError::NoSnapshot(_) | BookError::NotPdf(_) => ErrorKind::Invalid,
            BookError::Write { .. } => ErrorKind::Internal,
            BookError::Price(e) => e.kind(),
            BookError::Print(e) => e.kind(),
        }
    }

    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (BookError::Price(e), _) => e.message(lang),
            (BookError::Print(e), _) => e.message(lang),
            (e, Lang::En) => e.to_string(),
            (BookError::NoSnapshot(m), Lang::Zh) => {
                format!("没有 {m} 的价格表：请先导入（prices import 文件 --month {m}）")
            }
            (BookError::Write { path, source }, Lang::Zh) => {
                format!("无法写入 {}：{source}", path.display())
            }
            (BookError::NotPdf(p), Lang::Zh) => {
                format!("--out {}：价格本为 PDF，文件名须以 .pdf 结尾", p.display())
            }
        }
    }
}

/// The sort key of a name: the full pinyin of each character (first
/// reading), space-separated, Latin letters and digits lower-cased as they
/// are; other marks are left out. 阿莫西林胶囊 → "a mo xi lin jiao nang".
pub fn pinyin_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() * 2);
    let mut latin = false;
    for c in name.chars() {
        if let Some(p) = c.to_pinyin() {
            if !key.is_empty() {
                key.push(' ');
            }
            key.push_str(p.plain());
            latin = false;
        } else if c.is_alphanumeric() {
            let c = fold_fullwidth(c).to_ascii_lowercase();
            if !latin && !key.is_empty() {
                key.push(' ');
            }
            key.push(c);
            latin = true;
        }
    }
    key
}

/// Ａ６ → A6: full-width letters and digits sort as their ASCII forms.
fn fold_fullwidth(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// One category's place in the book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub category: Category,
    pub items: usize,
    /// 1-based page where the category starts.
    pub first_page: usize,
}

/// What was printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookSummary {
    pub month: Month,
    pub items: usize,
    pub pages: usize,
    pub index: Vec<IndexEntry>,
}

/// Items grouped by category (in the price list's category order), sorted
/// by pinyin within each, then by name and code.
pub fn ordered(items: &[PriceItem]) -> Vec<(Category, Vec<&PriceItem>)> {
    let mut out = Vec::new();
    for cat in Category::ALL {
        let mut keyed: Vec<(String, &PriceItem)> = items
            .iter()
            .filter(|i| i.category == cat)
            .map(|i| (pinyin_key(&i.name), i))
            .collect();
        if keyed.is_empty() {
            continue;
        }
        keyed.sort_by(|a, b| (&a.0, &a.1.name, &a.1.code).cmp(&(&b.0, &b.1.name, &b.1.code)));
        out.push((cat, keyed.into_iter().map(|(_, i)| i).collect()));
    }
    out
}

struct Page {
    sheet: Sheet,
    category: Option<Category>,
}

/// Lays out the book and returns the PDF with its summary.
pub fn render(
    snapshot: &Snapshot,
    items: &[PriceItem],
    hospital: &str,
) -> Result<(Vec<u8>, BookSummary), BookError> {
    let font = kit::font()?;
    let groups = ordered(items);
    let lh = line_height();
    // Page 1 is the index; categories start on a page of their own.
    let mut pages: Vec<Page> = vec![Page {
        sheet: Sheet::new(W, H),
        category: None,
    }];
    let mut index = Vec::new();
    for (cat, list) in &groups {
        index.push(IndexEntry {
            category: *cat,
            items: list.len(),
            first_page: pages.len() + 1,
        });
        let mut y = BODY_BOTTOM + 1.0;
        for item in list {
            let cells: [Vec<String>; 5] = [
                kit::wrap(font, &item.code, SIZE, COLUMNS[0].2),
                kit::wrap(font, &item.name, SIZE, COLUMNS[1].2),
                kit::wrap(font, &item.spec, SIZE, COLUMNS[2].2),
                kit::wrap(font, &item.unit, SIZE, COLUMNS[3].2),
                vec![item.unit_price.as_text()],
            ];
            let rows = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            if y + lh * rows as f32 > BODY_BOTTOM {
                pages.push(Page {
                    sheet: Sheet::new(W, H),
                    category: Some(*cat),
                });
                y = BODY_TOP;
            }
            let Some(page) = pages.last_mut() else {
                continue;
            };
            for (col, lines) in COLUMNS.iter().zip(&cells) {
                for (j, l) in lines.iter().enumerate() {
                    page.sheet
                        .text(font, col.1, y + lh * (j as f32 + 0.8), SIZE, col.3, l);
                }
            }
            y += lh * rows as f32;
        }
    }
    let total = pages.len();
    let month = snapshot.month;
    for (i, page) in pages.iter_mut().enumerate() {
        let s = &mut page.sheet;
        let title = format!("{hospital} 价格本 Price book {month}");
        s.text(font, M, M + 3.0, 10.0, Align::Left, &title);
        if let Some(cat) = page.category {
            let label = format!("{} {}", cat.zh(), cat.en());
            s.text(font, W - M, M + 3.0, 10.0, Align::Right, &label);
            s.rule(M, W - M, M + 5.0, 0.35);
            for (name, x, _, align) in COLUMNS {
                s.text(font, x, M + 9.5, SIZE, align, name);
            }
            s.rule(M, W - M, M + 11.0, 0.2);
        } else {
            s.rule(M, W - M, M + 5.0, 0.35);
        }
        s.rule(M, W - M, H - M - 5.0, 0.2);
        s.text(font, M, H - M, SIZE, Align::Left, &format!("{month}"));
        let n = format!("第 {} 页 / 共 {} 页", i + 1, total);
        s.text(font, W / 2.0, H - M, SIZE, Align::Center, &n);
        s.text(
            font,
            W - M,
            H - M,
            SIZE,
            Align::Right,
            &format!("Page {} of {}", i + 1, total),
        );
    }
    // The index on page 1.
    if let Some(first) = pages.first_mut() {
        let s = &mut first.sheet;
        let mut y = M + 22.0;
        s.text(
            font,
            W / 2.0,
            y,
            18.0,
            Align::Center,
            &format!("价格本 {month}"),
        );
        y += 8.0;
        s.text(font, W / 2.0, y, 11.0, Align::Center, hospital);
        y += 7.0;
        let meta = format!(
            "{} 项 items · {} · {} {} · sha256 {}",
            items.len(),
            snapshot.file_name,
            snapshot.imported_at,
            snapshot.imported_by,
            snapshot.sha256.get(..12).unwrap_or(&snapshot.sha256),
        );
        for l in kit::wrap(font, &meta, SIZE, W - 2.0 * M) {
            s.text(font, W / 2.0, y, SIZE, Align::Center, &l);
            y += lh;
        }
        y += 6.0;
        s.text(font, M, y, 12.0, Align::Left, "目录 Index");
        y += 3.0;
        s.rule(M, W - M, y, 0.35);
        y += 6.0;
        s.text(font, M, y, 9.0, Align::Left, "类别 Category");
        s.text(font, W - M - 40.0, y, 9.0, Align::Right, "项数 Items");
        s.text(font, W - M, y, 9.0, Align::Right, "起始页 Page");
        y += 2.0;
        s.rule(M, W - M, y, 0.2);
        for e in &index {
            y += 7.0;
            let label = format!("{} {}", e.category.zh(), e.category.en());
            s.text(font, M, y, 10.0, Align::Left, &label);
            s.dashed_rule(M + 55.0, W - M - 60.0, y, 0.1, 0.8);
            s.text(
                font,
                W - M - 40.0,
                y,
                10.0,
                Align::Right,
                &e.items.to_string(),
            );
            s.text(
                font,
                W - M,
                y,
                10.0,
                Align::Right,
                &e.first_page.to_string(),
            );
        }
        y += 10.0;
        for l in kit::wrap(
            font,
            "各类别内按名称拼音排序；价格为该月价格表快照的单价（元）。Items are sorted by the pinyin of their name within each category; prices are the snapshot's unit prices in yuan.",
            SIZE,
            W - 2.0 * M,
        ) {
            s.text(font, M, y, SIZE, Align::Left, &l);
            y += lh;
        }
    }
    let sheets: Vec<Sheet> = pages.into_iter().map(|p| p.sheet).collect();
    let pdf = kit::to_pdf(&format!("价格本 {month}"), &sheets)?;
    Ok((
        pdf,
        BookSummary {
            month,
            items: items.len(),
            pages: total,
            index,
        },
    ))
}

/// The price book of `month` from the database, written to `out`.
pub fn write(conn: &Connection, month: Month, out: &Path) -> Result<BookSummary, BookError> {
    if !out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"))
    {
        return Err(BookError::NotPdf(out.to_path_buf()));
    }
    let snapshot = super::snapshot_for_month(conn, month)?.ok_or(BookError::NoSnapshot(month))?;
    let items = super::items(conn, snapshot.id)?;
    let hospital = crate::store::get_setting(conn, "hospital.name")
        .map_err(PriceError::from)?
        .unwrap_or_default();
    let (pdf, summary) = render(&snapshot, &items, &hospital)?;
    std::fs::write(out, pdf).map_err(|source| BookError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_key_reads_whole_syllables_and_keeps_latin() {
        assert_eq!(pinyin_key("阿莫西林胶囊"), "a mo xi lin jiao nang");
        assert_eq!(pinyin_key("维生素B6片"), "wei sheng su b6 pian");
        assert_eq!(pinyin_key("（CT）平扫"), "ct ping sao");
        assert!(pinyin_key("阿司匹林") < pinyin_key("奥美拉唑"));
    }
}
