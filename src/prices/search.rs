//! Item search as the cashier types, over one price-list snapshot.
//!
//! The search box answers on every keystroke, so a query must cost well
//! under a millisecond on 50k items. The index is built once per snapshot
//! and keeps each field in one contiguous buffer laid out in the order
//! results are shown within a tier (shorter name first, then code). The
//! tiers are searched best first (exact code, exact barcode, exact name,
//! code prefix, a Latin abbreviation in the name, pinyin-initials prefix,
//! name substring, pinyin substring, and last code substring so that a
//! digit always finds something): prefix tiers
//! by binary search over sorted keys, substring tiers with `memchr::memmem`
//! over the buffers. Because the buffers are already in display order, the
//! scan stops as soon as `limit` hits are found: those are certain to be the
//! top ones. Each buffer is cut into ~16 KiB blocks with a bitmap of their
//! byte trigrams, so a query that matches little or nothing skips most of
//! the bytes instead of reading megabytes.
//!
//! Latin abbreviations are words cashiers type (CT, DR, MR, MRI): a query
//! of two or more letters found in a name as a word of its own (not inside
//! a longer Latin word) ranks above the pinyin-initials matches, so `ct`
//! finds the CT scans before 穿刺.
//!
//! Pinyin readings come in two layers: the likely ones (the file's column,
//! the first computed combination, the HIS-style one without Latin
//! abbreviations) and the other combinations of polyphonic characters; in
//! a pinyin tier every likely match ranks before any other one.

use std::collections::HashMap;

use memchr::memmem;

use super::model::{Category, PriceItem};
use super::pinyin::{initials_list, initials_without_latin};
use crate::money::UnitPrice;

/// Why an item matched, best first; the order of the variants is the
/// ranking order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The query is the item code.
    ExactCode,
    /// The query is the item's barcode (a scanner typed it).
    ExactBarcode,
    /// The query is the item's whole name.
    ExactName,
    /// The item code starts with the query.
    CodePrefix,
    /// The item name holds the query as a Latin word of its own (CT, DR,
    /// MRI in 「X线计算机体层(CT)平扫」).
    NameAbbreviation,
    /// One of the item's pinyin-initials readings starts with the query.
    PinyinPrefix,
    /// The item name contains the query.
    NameSubstring,
    /// One of the item's pinyin-initials readings contains the query.
    PinyinSubstring,
    /// The item code contains the query (last resort, so that any digit
    /// typed finds something).
    CodeSubstring,
}

impl MatchKind {
    /// A short label for lists and JSON consumers that want text.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::ExactCode => "exact_code",
            MatchKind::ExactBarcode => "exact_barcode",
            MatchKind::ExactName => "exact_name",
            MatchKind::CodePrefix => "code_prefix",
            MatchKind::NameAbbreviation => "name_abbreviation",
            MatchKind::PinyinPrefix => "pinyin_prefix",
            MatchKind::NameSubstring => "name_substring",
            MatchKind::PinyinSubstring => "pinyin_substring",
            MatchKind::CodeSubstring => "code_substring",
        }
    }
}

/// One result: the item's position in the list given to
/// [`SearchIndex::build`] and why it matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Hit {
    pub index: usize,
    pub kind: MatchKind,
}

/// Separates entries in the substring buffers; never part of a query (a
/// query is trimmed and control characters cannot be typed into it).
const SEP: u8 = b'\n';
/// Separates a name from its aliases, and the aliases, in the name buffer.
const ALIAS_SEP: u8 = 0x1F;
/// Separates readings of one item in the pinyin buffer.
const READING_SEP: u8 = b' ';
/// Above this many matching keys a pinyin prefix is looked up by scanning
/// the rank-ordered buffer (which stops early) instead of ranking the keys.
const DENSE_RANGE: usize = 2048;

/// The search index of one snapshot. Immutable once built; share it
/// behind an `Arc` between the UI and workers.
#[derive(Debug)]
pub struct SearchIndex {
    items: ItemTable,
    /// Display order within a tier: `order[rank] = item index`.
    order: Vec<u32>,
    /// `rank_of[item index] = rank`.
    rank_of: Vec<u32>,
    /// Upper-cased barcodes, one buffer, and `(start, len, item)` into it
    /// sorted by barcode then rank (empty barcodes left out).
    barcode_buf: Vec<u8>,
    barcode_keys: Vec<(u32, u32, u32)>,
    /// Upper-cased codes in rank order separated by `SEP`, with their
    /// starts (one extra entry at the end).
    code_buf: Vec<u8>,
    code_starts: Vec<u32>,
    code_blocks: Blocks,
    /// Item indices sorted by upper-cased code, then rank: exact codes and
    /// code prefixes are ranges of it.
    code_sorted: Vec<u32>,
    /// Pinyin readings in two layers: the likely ones (the file's column
    /// and the first computed combination) and the other combinations of
    /// polyphonic characters. Within a pinyin tier a likely reading beats
    /// an unlikely one (导尿 read dǎo-suī must not push 丹参 out of "ds").
    likely: Readings,
    other: Readings,
    /// Upper-cased names in rank order separated by `SEP`, with their
    /// starts (one extra entry at the end).
    name_buf: Vec<u8>,
    name_starts: Vec<u32>,
    name_blocks: Blocks,
    /// Item indices sorted by upper-cased name, then rank: an exact name is
    /// a range of it.
    name_sorted: Vec<u32>,
}

impl SearchIndex {
    /// Builds the index of one snapshot's items. Each item is indexed by
    /// the pinyin its file gave (any whitespace-separated readings) and
    /// by every reading [`initials_list`] computes from its name, so
    /// polyphonic names are found even when the file gave one reading.
    pub fn build(items: Vec<PriceItem>) -> SearchIndex {
        let mut table = ItemTable::default();
        for it in items {
            table.push(it);
        }
        SearchIndex::build_table(table)
    }

    /// Builds the index of a stored snapshot's items, read one by one into
    /// the compact table (see [`super::for_each_item`]): the whole list is
    /// never held as separate strings, which keeps the window's peak
    /// memory down while a 30k month is indexed.
    pub fn for_snapshot(
        conn: &rusqlite::Connection,
        snapshot_id: i64,
    ) -> Result<SearchIndex, super::PriceError> {
        let mut table = ItemTable::default();
        super::for_each_item(conn, snapshot_id, |it| table.push(it))?;
        Ok(SearchIndex::build_table(table))
    }

    fn build_table(mut items: ItemTable) -> SearchIndex {
        items.shrink_to_fit();
        let n = items.len();
        let upper_names: Vec<String> = (0..n).map(|i| clean_upper(items.name(i))).collect();
        let upper_codes: Vec<String> = (0..n).map(|i| clean_upper(items.code(i))).collect();

        let name_len: Vec<usize> = (0..n).map(|i| items.name(i).chars().count()).collect();
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            name_len[a]
                .cmp(&name_len[b])
                .then_with(|| upper_codes[a].cmp(&upper_codes[b]))
                .then_with(|| upper_names[a].cmp(&upper_names[b]))
                .then_with(|| a.cmp(&b))
        });
        let mut rank_of = vec![0u32; n];
        for (rank, &i) in order.iter().enumerate() {
            rank_of[i as usize] = rank as u32;
        }

        let mut barcode_buf = Vec::new();
        let mut barcode_keys = Vec::new();
        for &i in &order {
            let bc = clean_upper(items.barcode(i as usize));
            if !bc.is_empty() {
                barcode_keys.push((barcode_buf.len() as u32, bc.len() as u32, i));
                barcode_buf.extend_from_slice(bc.as_bytes());
            }
        }
        // Stable: equal barcodes stay in rank order.
        barcode_keys
            .sort_by(|a, b| slice(&barcode_buf, a.0, a.1).cmp(slice(&barcode_buf, b.0, b.1)));

        let mut code_buf = Vec::with_capacity(upper_codes.iter().map(|c| c.len() + 1).sum());
        let mut code_starts = Vec::with_capacity(n + 1);
        for &i in &order {
            code_starts.push(code_buf.len() as u32);
            code_buf.extend_from_slice(upper_codes[i as usize].as_bytes());
            code_buf.push(SEP);
        }
        code_starts.push(code_buf.len() as u32);
        let mut code_sorted: Vec<u32> = order.clone();
        code_sorted.sort_by(|&a, &b| upper_codes[a as usize].cmp(&upper_codes[b as usize]));

        let mut name_buf = Vec::with_capacity(upper_names.iter().map(|s| s.len() + 1).sum());
        let mut name_starts = Vec::with_capacity(n + 1);
        let mut likely = Readings::default();
        let mut other = Readings::default();
        // Lists repeat names a lot (one per package or department): compute
        // a repeated name's readings once, and keep them only until its
        // last item (keeping every name's readings to the end would hold
        // all 30k of them at once).
        let mut left: HashMap<&str, u32> = HashMap::new();
        for i in 0..n {
            *left.entry(items.name(i)).or_default() += 1;
        }
        let mut computed: HashMap<&str, (Vec<String>, Option<String>)> = HashMap::new();
        let compute = |name: &str| (initials_list(name), initials_without_latin(name));
        let mut scratch = Vec::new();
        for (rank, &i) in order.iter().enumerate() {
            let idx = i as usize;
            name_starts.push(name_buf.len() as u32);
            name_buf.extend_from_slice(upper_names[idx].as_bytes());
            // Aliases follow the name in its entry: found by the name
            // tiers, never part of the exact name.
            let mut alias_readings = Vec::new();
            for alias in super::model::alias_list(items.aliases(idx)) {
                name_buf.push(ALIAS_SEP);
                name_buf.extend_from_slice(clean_upper(alias).as_bytes());
                alias_readings.extend(initials_list(alias).into_iter().take(1));
            }
            name_buf.push(SEP);
            let name = items.name(idx);
            let once;
            let (from_name, his_style) = match left.get_mut(name) {
                Some(n) if *n > 1 => {
                    *n -= 1;
                    &*computed.entry(name).or_insert_with(|| compute(name))
                }
                _ => {
                    once = computed.remove(name).unwrap_or_else(|| compute(name));
                    &once
                }
            };
            push_readings(
                &mut likely,
                &mut other,
                rank as u32,
                items.pinyin(idx),
                (from_name, his_style.as_deref()),
                &alias_readings,
                &mut scratch,
            );
        }
        name_starts.push(name_buf.len() as u32);
        likely.finish();
        other.finish();

        let code_blocks = Blocks::build(&code_buf, &code_starts);
        let name_blocks = Blocks::build(&name_buf, &name_starts);
        let mut name_sorted: Vec<u32> = order.clone();
        name_sorted.sort_by(|&a, &b| upper_names[a as usize].cmp(&upper_names[b as usize]));

        SearchIndex {
            items,
            order,
            rank_of,
            barcode_buf,
            barcode_keys,
            code_buf,
            code_starts,
            code_blocks,
            code_sorted,
            likely,
            other,
            name_buf,
            name_starts,
            name_blocks,
            name_sorted,
        }
    }

    /// Number of items indexed.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.len() == 0
    }

    /// The item at `index` as given to [`SearchIndex::build`] (a
    /// [`Hit::index`]), as its own copy. Panics when out of range, like
    /// slice indexing.
    pub fn item(&self, index: usize) -> PriceItem {
        self.items.get(index)
    }

    /// The item at `index`, or `None` when out of range (an index kept
    /// from another snapshot's index).
    pub fn get(&self, index: usize) -> Option<PriceItem> {
        (index < self.items.len()).then(|| self.items.get(index))
    }

    /// The best `limit` items for `query`, best first. Case-insensitive,
    /// surrounding whitespace ignored; an empty query finds nothing. Each
    /// item appears once, under the best way it matched.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let q = clean_upper(query.trim());
        let q = q.trim();
        if q.is_empty() || limit == 0 || self.items.len() == 0 {
            return Vec::new();
        }
        let mut run = Run {
            hits: Vec::with_capacity(limit.min(64)),
            seen: vec![0u64; self.items.len().div_ceil(64)],
            limit,
        };
        let qb = q.as_bytes();

        // Codes equal to the query open the range of codes starting with it.
        let codes_from = self.code_sorted.partition_point(|&i| self.code_of(i) < qb);
        for &i in &self.code_sorted[codes_from..] {
            if self.code_of(i) != qb {
                break;
            }
            if run.push(i, MatchKind::ExactCode) {
                return run.hits;
            }
        }
        let bc_from = self
            .barcode_keys
            .partition_point(|k| slice(&self.barcode_buf, k.0, k.1) < qb);
        for k in &self.barcode_keys[bc_from..] {
            if slice(&self.barcode_buf, k.0, k.1) != qb {
                break;
            }
            if run.push(k.2, MatchKind::ExactBarcode) {
                return run.hits;
            }
        }
        let names_from = self.name_sorted.partition_point(|&i| self.name_of(i) < qb);
        for &i in &self.name_sorted[names_from..] {
            if self.name_of(i) != qb {
                break;
            }
            if run.push(i, MatchKind::ExactName) {
                return run.hits;
            }
        }
        if self.code_prefix(codes_from, qb, &mut run) {
            return run.hits;
        }
        // Readings hold only letters and digits: other queries cannot match.
        let pinyin_like = qb.iter().all(u8::is_ascii_alphanumeric);
        if pinyin_like
            && qb.len() >= 2
            && qb.iter().any(u8::is_ascii_alphabetic)
            && Self::scan(
                Text::new(&self.name_buf, &self.name_starts, &self.name_blocks),
                &self.order,
                qb,
                Boundary::LatinWord,
                MatchKind::NameAbbreviation,
                &mut run,
            )
        {
            return run.hits;
        }
        if pinyin_like
            && (self.pinyin_prefix(&self.likely, qb, &mut run)
                || self.pinyin_prefix(&self.other, qb, &mut run))
        {
            return run.hits;
        }
        if Self::scan(
            Text::new(&self.name_buf, &self.name_starts, &self.name_blocks),
            &self.order,
            qb,
            Boundary::Any,
            MatchKind::NameSubstring,
            &mut run,
        ) {
            return run.hits;
        }
        if pinyin_like {
            for layer in [&self.likely, &self.other] {
                if Self::scan(
                    layer.text(),
                    &self.order,
                    qb,
                    Boundary::Any,
                    MatchKind::PinyinSubstring,
                    &mut run,
                ) {
                    return run.hits;
                }
            }
        }
        Self::scan(
            Text::new(&self.code_buf, &self.code_starts, &self.code_blocks),
            &self.order,
            qb,
            Boundary::Any,
            MatchKind::CodeSubstring,
            &mut run,
        );
        run.hits
    }

    /// How many items match `query`, counted up to `cap` (a list cut off
    /// says "first 50 of 312"; past the cap it says "of 1000+"). Costs a
    /// search with `cap` as its limit.
    pub fn count(&self, query: &str, cap: usize) -> usize {
        self.search(query, cap).len()
    }

    /// The item's upper-cased name (without its aliases).
    fn name_of(&self, item: u32) -> &[u8] {
        let rank = self.rank_of[item as usize] as usize;
        let (from, to) = (self.name_starts[rank], self.name_starts[rank + 1] - 1);
        let entry = &self.name_buf[from as usize..to as usize];
        let end = memchr::memchr(ALIAS_SEP, entry).unwrap_or(entry.len());
        &entry[..end]
    }

    fn code_of(&self, item: u32) -> &[u8] {
        let rank = self.rank_of[item as usize] as usize;
        let (from, to) = (self.code_starts[rank], self.code_starts[rank + 1] - 1);
        &self.code_buf[from as usize..to as usize]
    }

    /// Codes starting with the query, in code order, from `from` (the
    /// first code not below the query). True when full.
    fn code_prefix(&self, from: usize, q: &[u8], run: &mut Run) -> bool {
        for &i in &self.code_sorted[from..] {
            if !self.code_of(i).starts_with(q) {
                break;
            }
            if run.push(i, MatchKind::CodePrefix) {
                return true;
            }
        }
        false
    }

    /// Readings starting with the query, in rank order. The matching keys
    /// form one range of the sorted keys. A short range is ranked directly;
    /// a long one (a one-letter query) means matches are dense, so scanning
    /// the rank-ordered buffer finds the best ones after a short way and
    /// stops. True when full.
    fn pinyin_prefix(&self, layer: &Readings, q: &[u8], run: &mut Run) -> bool {
        let key = |k: &(u32, u32, u32)| slice(&layer.buf, k.0, k.1);
        let from = layer.keys.partition_point(|k| key(k) < q);
        let to = from + layer.keys[from..].partition_point(|k| key(k).starts_with(q));
        if from == to {
            return false;
        }
        if to - from > DENSE_RANGE {
            return Self::scan(
                layer.text(),
                &self.order,
                q,
                Boundary::WordStart,
                MatchKind::PinyinPrefix,
                run,
            );
        }
        let mut ranks: Vec<u32> = layer.keys[from..to]
            .iter()
            .map(|k| k.2)
            .filter(|&r| !run.is_seen(self.order[r as usize]))
            .collect();
        // Several readings of one item may share the prefix.
        ranks.sort_unstable();
        ranks.dedup();
        for &r in &ranks {
            if run.push(self.order[r as usize], MatchKind::PinyinPrefix) {
                return true;
            }
        }
        false
    }

    /// Entries of a rank-ordered buffer containing the query (or, with
    /// `at_word_start`, having a reading that starts with it), in rank
    /// order, stopping as soon as the hits are full. True when full.
    fn scan(
        text: Text<'_>,
        order: &[u32],
        q: &[u8],
        boundary: Boundary,
        kind: MatchKind,
        run: &mut Run,
    ) -> bool {
        let Text {
            buf,
            starts,
            blocks,
        } = text;
        let finder = memmem::Finder::new(q);
        let grams = Blocks::grams(q);
        let mut pos = 0usize;
        let mut rank = 0usize;
        for (b, &end) in blocks.ends.iter().enumerate() {
            let end = end as usize;
            if pos >= end {
                continue;
            }
            if !blocks.may_contain(b, &grams) {
                pos = end;
                continue;
            }
            while pos < end {
                let Some(off) = finder.find(&buf[pos..end]) else {
                    break;
                };
                let at = pos + off;
                let fits = match boundary {
                    Boundary::Any => true,
                    Boundary::WordStart => at == 0 || matches!(buf[at - 1], SEP | READING_SEP),
                    Boundary::LatinWord => {
                        (at == 0 || !buf[at - 1].is_ascii_alphabetic())
                            && buf
                                .get(at + q.len())
                                .is_none_or(|b| !b.is_ascii_alphabetic())
                    }
                };
                if !fits {
                    pos = at + 1;
                    continue;
                }
                let at = at as u32;
                // Forward only: matches come in buffer order.
                rank += starts[rank..].partition_point(|&s| s <= at) - 1;
                let item = order[rank];
                if run.push(item, kind) {
                    return true;
                }
                // One hit per entry: continue with the next entry.
                rank += 1;
                pos = starts[rank] as usize;
            }
            pos = pos.max(end);
        }
        false
    }
}

/// Where a match must sit in a scanned entry.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Boundary {
    /// Anywhere.
    Any,
    /// At the start of an entry or of one of its readings.
    WordStart,
    /// As a Latin word of its own: no ASCII letter right before or after.
    LatinWord,
}

/// A rank-ordered buffer to scan: entries separated by `SEP`, their
/// starts, and the block filter that lets a scan skip most of it.
#[derive(Clone, Copy)]
struct Text<'a> {
    buf: &'a [u8],
    starts: &'a [u32],
    blocks: &'a Blocks,
}

impl<'a> Text<'a> {
    fn new(buf: &'a [u8], starts: &'a [u32], blocks: &'a Blocks) -> Text<'a> {
        Text {
            buf,
            starts,
            blocks,
        }
    }
}

/// Bytes per block of a scanned buffer (blocks end on entry boundaries).
const BLOCK_BYTES: usize = 16 * 1024;
/// Bits of each block's trigram filter (a power of two).
const BLOCK_FILTER_BITS: u32 = 1 << 15;

/// The items of one snapshot, compactly: every text field of every item
/// in one buffer, with where each field ends. A 30k list takes ~4 MB this
/// way instead of ~13 MB as separate strings, and the window keeps its
/// month's items all day.
#[derive(Debug, Default)]
struct ItemTable {
    text: String,
    /// `ends[item * FIELDS + field]`: where the field ends in `text`; it
    /// begins where the one before it ends.
    ends: Vec<u32>,
    prices: Vec<UnitPrice>,
    categories: Vec<Category>,
}

impl ItemTable {
    /// Text fields per item, in the order [`ItemTable::push`] stores them.
    const FIELDS: usize = 8;
    const CODE: usize = 0;
    const NAME: usize = 1;
    const PINYIN: usize = 2;
    const BARCODE: usize = 6;
    const ALIASES: usize = 7;

    fn push(&mut self, it: PriceItem) {
        for field in [
            &it.code,
            &it.name,
            &it.pinyin,
            &it.spec,
            &it.unit,
            &it.insurance_class,
            &it.barcode,
            &it.aliases,
        ] {
            self.text.push_str(field);
            self.ends.push(self.text.len() as u32);
        }
        self.prices.push(it.unit_price);
        self.categories.push(it.category);
    }

    fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.prices.shrink_to_fit();
        self.categories.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.prices.len()
    }

    fn field(&self, item: usize, field: usize) -> &str {
        let k = item * Self::FIELDS + field;
        let start = if k == 0 { 0 } else { self.ends[k - 1] as usize };
        &self.text[start..self.ends[k] as usize]
    }

    fn code(&self, item: usize) -> &str {
        self.field(item, Self::CODE)
    }

    fn name(&self, item: usize) -> &str {
        self.field(item, Self::NAME)
    }

    fn pinyin(&self, item: usize) -> &str {
        self.field(item, Self::PINYIN)
    }

    fn barcode(&self, item: usize) -> &str {
        self.field(item, Self::BARCODE)
    }

    fn aliases(&self, item: usize) -> &str {
        self.field(item, Self::ALIASES)
    }

    /// The item as its own copy. Panics when out of range.
    fn get(&self, item: usize) -> PriceItem {
        let f = |field| self.field(item, field).to_owned();
        PriceItem {
            code: f(Self::CODE),
            name: f(Self::NAME),
            pinyin: f(Self::PINYIN),
            spec: f(3),
            unit: f(4),
            unit_price: self.prices[item],
            category: self.categories[item],
            insurance_class: f(5),
            barcode: f(Self::BARCODE),
            aliases: f(Self::ALIASES),
        }
    }
}

/// A buffer cut into blocks, each with a bitmap of the hashed byte
/// trigrams it contains. A query of three bytes or more (one Chinese
/// character, three letters) skips every block lacking one of its
/// trigrams, so a query that matches little does not scan megabytes:
/// without it a query matching nothing cost ~0.2–0.45 ms on 50k items.
#[derive(Debug, Default)]
struct Blocks {
    /// End offset of each block.
    ends: Vec<u32>,
    /// `BLOCK_FILTER_BITS / 64` words per block.
    bits: Vec<u64>,
}

impl Blocks {
    const WORDS: usize = (BLOCK_FILTER_BITS / 64) as usize;

    fn build(buf: &[u8], starts: &[u32]) -> Blocks {
        let mut ends = Vec::new();
        let mut from = 0usize;
        // Entry boundaries only: a block never splits an entry.
        for &s in starts.iter().skip(1) {
            let s = s as usize;
            if s - from >= BLOCK_BYTES || (s == buf.len() && s > from) {
                ends.push(s as u32);
                from = s;
            }
        }
        if from < buf.len() {
            ends.push(buf.len() as u32);
        }
        let mut bits = vec![0u64; ends.len() * Self::WORDS];
        let mut from = 0usize;
        for (b, &end) in ends.iter().enumerate() {
            let block = &mut bits[b * Self::WORDS..(b + 1) * Self::WORDS];
            for w in buf[from..end as usize].windows(3) {
                let h = Self::hash(w);
                block[(h / 64) as usize] |= 1u64 << (h % 64);
            }
            from = end as usize;
        }
        Blocks { ends, bits }
    }

    fn hash(w: &[u8]) -> u32 {
        let x = u32::from(w[0]) | (u32::from(w[1]) << 8) | (u32::from(w[2]) << 16);
        x.wrapping_mul(0x9E37_79B1) >> (32 - BLOCK_FILTER_BITS.trailing_zeros())
    }

    /// The query's trigram hashes (none below three bytes: no filtering).
    fn grams(q: &[u8]) -> Vec<u32> {
        q.windows(3).map(Self::hash).collect()
    }

    fn may_contain(&self, block: usize, grams: &[u32]) -> bool {
        let words = &self.bits[block * Self::WORDS..(block + 1) * Self::WORDS];
        grams
            .iter()
            .all(|&h| words[(h / 64) as usize] & (1u64 << (h % 64)) != 0)
    }
}

/// One layer of pinyin readings for all items.
#[derive(Debug, Default)]
struct Readings {
    /// Readings of all items in rank order: readings of one item joined by
    /// `READING_SEP`, items separated by `SEP`.
    buf: Vec<u8>,
    /// `starts[rank]`: where the item's readings begin (one extra entry at
    /// the end).
    starts: Vec<u32>,
    /// Every reading as `(start, len, rank)` into `buf`, sorted by reading
    /// then rank.
    keys: Vec<(u32, u32, u32)>,
    blocks: Blocks,
}

impl Readings {
    /// Opens the entry of the item of the next rank; returns where its
    /// keys begin.
    fn begin(&mut self) -> usize {
        self.starts.push(self.buf.len() as u32);
        self.keys.len()
    }

    /// Whether the open entry (keys from `first`) already holds `r`.
    fn holds(&self, first: usize, r: &[u8]) -> bool {
        self.keys[first..]
            .iter()
            .any(|k| slice(&self.buf, k.0, k.1) == r)
    }

    /// Adds a reading to the open entry.
    fn add(&mut self, first: usize, rank: u32, r: &[u8]) {
        if self.keys.len() > first {
            self.buf.push(READING_SEP);
        }
        self.keys
            .push((self.buf.len() as u32, r.len() as u32, rank));
        self.buf.extend_from_slice(r);
    }

    fn end(&mut self) {
        self.buf.push(SEP);
    }

    fn text(&self) -> Text<'_> {
        Text::new(&self.buf, &self.starts, &self.blocks)
    }

    fn finish(&mut self) {
        self.starts.push(self.buf.len() as u32);
        self.blocks = Blocks::build(&self.buf, &self.starts);
        let buf = &self.buf;
        // The first 8 bytes as a number settle most comparisons without
        // touching the buffer again.
        let head = |k: &(u32, u32, u32)| {
            let s = slice(buf, k.0, k.1);
            let mut h = [0u8; 8];
            let n = s.len().min(8);
            h[..n].copy_from_slice(&s[..n]);
            u64::from_be_bytes(h)
        };
        let mut keyed: Vec<(u64, (u32, u32, u32))> =
            self.keys.iter().map(|k| (head(k), *k)).collect();
        keyed.sort_unstable_by(|(ha, a), (hb, b)| {
            ha.cmp(hb)
                .then_with(|| slice(buf, a.0, a.1).cmp(slice(buf, b.0, b.1)))
                .then_with(|| a.2.cmp(&b.2))
        });
        // Back into the same allocation: a second vector of keys would
        // raise the peak while a 30k list is indexed.
        self.keys.clear();
        self.keys.extend(keyed.into_iter().map(|(_, k)| k));
        self.keys.shrink_to_fit();
    }
}

/// The hits of one query and which items they already hold.
struct Run {
    hits: Vec<Hit>,
    seen: Vec<u64>,
    limit: usize,
}

impl Run {
    fn is_seen(&self, item: u32) -> bool {
        self.seen[(item / 64) as usize] & (1u64 << (item % 64)) != 0
    }

    /// Adds the item unless a better tier holds it. True when full.
    fn push(&mut self, item: u32, kind: MatchKind) -> bool {
        if !self.is_seen(item) {
            self.seen[(item / 64) as usize] |= 1u64 << (item % 64);
            self.hits.push(Hit {
                index: item as usize,
                kind,
            });
        }
        self.hits.len() >= self.limit
    }
}

fn slice(buf: &[u8], start: u32, len: u32) -> &[u8] {
    &buf[start as usize..(start + len) as usize]
}

/// Upper case (ASCII and full-width Latin folded to ASCII) with control
/// characters turned into spaces, so a name cannot contain the buffers'
/// separators and queries compare the same way as the index.
fn clean_upper(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() || fold_fullwidth(c) != c) {
        return s.to_uppercase();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                ' '
            } else {
                fold_fullwidth(c)
            }
        })
        .flat_map(char::to_uppercase)
        .collect()
}

/// Full-width Latin letters and digits (Ｂ６) as typed by some Chinese IMEs.
fn fold_fullwidth(c: char) -> char {
    match c {
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    }
}

/// Adds the pinyin-initials readings of the item of rank `rank` to the two
/// layers, each reading once: likely are the file's column (split on
/// whitespace, commas, semicolons, slashes or bars) and the first
/// combination computed from the name; other are the remaining
/// combinations of polyphonic characters, also when the column repeats
/// them after its first reading. The HIS-style reading without Latin
/// abbreviations ([`initials_without_latin`]) counts as likely. Written straight into the
/// layers' buffers, since this runs for every item of a 30k list.
fn push_readings(
    likely: &mut Readings,
    other: &mut Readings,
    rank: u32,
    pinyin_column: &str,
    (from_name, his_style): (&[String], Option<&str>),
    aliases: &[String],
    scratch: &mut Vec<u8>,
) {
    let l0 = likely.begin();
    let o0 = other.begin();
    let tokens = pinyin_column
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '/' | '|' | '，' | '；'));
    let mut first = true;
    for token in tokens {
        scratch.clear();
        for c in token.chars().map(fold_fullwidth) {
            if c.is_ascii_alphanumeric() {
                scratch.push(c.to_ascii_uppercase() as u8);
            }
        }
        if scratch.is_empty() || likely.holds(l0, scratch) || other.holds(o0, scratch) {
            continue;
        }
        // A column written by `initials` at import lists every combination:
        // past its first, the ones computed as unlikely stay unlikely.
        let unlikely = !first
            && from_name[1.min(from_name.len())..]
                .iter()
                .any(|r| r.as_bytes() == scratch.as_slice());
        if unlikely {
            other.add(o0, rank, scratch);
        } else {
            likely.add(l0, rank, scratch);
        }
        first = false;
    }
    for (k, r) in from_name.iter().enumerate() {
        let r = r.as_bytes();
        if likely.holds(l0, r) || other.holds(o0, r) {
            continue;
        }
        if k == 0 {
            likely.add(l0, rank, r);
        } else {
            other.add(o0, rank, r);
        }
    }
    if let Some(r) = his_style.map(str::as_bytes)
        && !likely.holds(l0, r)
        && !other.holds(o0, r)
    {
        likely.add(l0, rank, r);
    }
    // An alias is a name people use: its reading is a likely one.
    for r in aliases.iter().map(String::as_bytes) {
        if !r.is_empty() && !likely.holds(l0, r) && !other.holds(o0, r) {
            likely.add(l0, rank, r);
        }
    }
    likely.end();
    other.end();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::UnitPrice;
    use crate::prices::model::Category;

    fn item(code: &str, name: &str, barcode: &str) -> PriceItem {
        PriceItem {
            code: code.into(),
            name: name.into(),
            pinyin: String::new(),
            spec: String::new(),
            unit: "盒".into(),
            unit_price: UnitPrice::parse("1.00").unwrap(),
            category: Category::WesternDrug,
            insurance_class: String::new(),
            barcode: barcode.into(),
            aliases: String::new(),
        }
    }

    fn sample() -> SearchIndex {
        SearchIndex::build(vec![
            item("X001", "阿莫西林胶囊", "6901234567890"),
            item("X002", "阿莫西林克拉维酸钾片", ""),
            item("X010", "人参归脾丸", ""),
            item("AMXL", "盐酸氨溴索片", ""),
            item("X003", "注射用阿莫西林", ""),
            item("Z100", "维生素B6片", ""),
        ])
    }

    fn names(ix: &SearchIndex, q: &str) -> Vec<(String, MatchKind)> {
        ix.search(q, 50)
            .into_iter()
            .map(|h| (ix.item(h.index).name.clone(), h.kind))
            .collect()
    }

    #[test]
    fn tiers_in_order() {
        let ix = sample();
        let got = names(&ix, "amxl");
        assert_eq!(got[0], ("盐酸氨溴索片".into(), MatchKind::ExactCode));
        assert_eq!(got[1], ("阿莫西林胶囊".into(), MatchKind::PinyinPrefix));
        assert_eq!(
            got[2],
            ("阿莫西林克拉维酸钾片".into(), MatchKind::PinyinPrefix)
        );
        assert_eq!(
            got[3],
            ("注射用阿莫西林".into(), MatchKind::PinyinSubstring)
        );
        assert_eq!(got.len(), 4);
    }

    #[test]
    fn code_barcode_and_prefix() {
        let ix = sample();
        assert_eq!(names(&ix, " x001 ")[0].1, MatchKind::ExactCode);
        let bc = names(&ix, "6901234567890");
        assert_eq!(bc, vec![("阿莫西林胶囊".into(), MatchKind::ExactBarcode)]);
        let pre = ix.search("x00", 50);
        let codes: Vec<String> = pre.iter().map(|h| ix.item(h.index).code).collect();
        assert_eq!(codes, vec!["X001", "X002", "X003"]);
        assert!(pre.iter().all(|h| h.kind == MatchKind::CodePrefix));
    }

    #[test]
    fn one_character_and_empty() {
        let ix = sample();
        assert!(ix.search("", 50).is_empty());
        assert!(ix.search("   ", 50).is_empty());
        let a = names(&ix, "阿");
        assert_eq!(a.len(), 3);
        assert!(a.iter().all(|(_, k)| *k == MatchKind::NameSubstring));
        assert_eq!(a[0].0, "阿莫西林胶囊");
        let r = names(&ix, "r");
        assert_eq!(r[0], ("人参归脾丸".into(), MatchKind::PinyinPrefix));
        // A Latin word of its own in the name (维生素B6) ranks as an
        // abbreviation.
        assert_eq!(names(&ix, "b6")[0].1, MatchKind::NameAbbreviation);
        assert_eq!(names(&ix, "rsg")[0].0, "人参归脾丸");
    }

    #[test]
    fn limit_is_respected_and_no_duplicates() {
        let ix = sample();
        assert_eq!(ix.search("x", 2).len(), 2);
        let all = ix.search("x", 50);
        let mut idx: Vec<usize> = all.iter().map(|h| h.index).collect();
        idx.sort();
        idx.dedup();
        assert_eq!(idx.len(), all.len());
    }

    #[test]
    fn block_filter_never_hides_a_match() {
        // Enough items for many blocks in every buffer; each code's middle
        // and each name's rare tail must still be found wherever it lies.
        let items: Vec<PriceItem> = (0..6000)
            .map(|k| {
                item(
                    &format!("Q{k:05}W{}", k * 7 % 1000),
                    &format!("药品{k}号{}", k % 97),
                    "",
                )
            })
            .collect();
        let ix = SearchIndex::build(items);
        assert!(ix.code_blocks.ends.len() > 1 && ix.name_blocks.ends.len() > 1);
        for k in (0..6000).step_by(397) {
            let mid = format!("{k:05}W");
            let hits = ix.search(&mid, 50);
            assert!(hits.iter().any(|h| h.index == k), "code part {mid}");
            let name = format!("药品{k}号{}", k % 97);
            let hits = ix.search(&name, 50);
            assert_eq!(hits[0].index, k, "name {name}");
        }
        assert!(ix.search("药品6000号", 50).is_empty());
    }
}
