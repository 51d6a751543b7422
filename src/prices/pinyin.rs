//! Pinyin initials (拼音码) for item names, the way cashiers type them.
//!
//! Cashiers find items by the first letters of each syllable ("amxl" for
//! 阿莫西林). Many characters have several readings, and the `pinyin` crate's
//! first reading is often not the one used in drug names (人参 is rén shēn,
//! not rén cān). So every combination of readings is produced (capped, most
//! likely first), and a small dictionary of pharmacy words puts the right
//! reading first or adds one the crate lacks.

use std::collections::HashMap;
use std::sync::OnceLock;

use ::pinyin::ToPinyinMulti;

/// At most this many reading combinations per name; a name with many
/// polyphonic characters would otherwise explode (2^n).
pub const MAX_COMBINATIONS: usize = 32;

/// Words whose reading in a hospital list differs from the crate's first
/// reading, or whose reading the crate lacks. Each entry gives the initial
/// letters of the word, in order; they are tried before the crate's
/// readings for the same characters. Longer words win over shorter ones at
/// the same position.
const OVERRIDES: &[(&str, &str)] = &[
    // 参 read shēn in herbs (crate: cān first)
    ("人参", "RS"),
    ("党参", "DS"),
    ("丹参", "DS"),
    ("玄参", "XS"),
    ("苦参", "KS"),
    ("沙参", "SS"),
    ("太子参", "TZS"),
    ("西洋参", "XYS"),
    ("红参", "HS"),
    ("海参", "HS"),
    ("参麦", "SM"),
    ("参芪", "SQ"),
    ("参苓", "SL"),
    ("参附", "SF"),
    ("参松", "SS"),
    ("参芍", "SS"),
    ("参茸", "SR"),
    ("参蛤", "SG"),
    ("参考", "CK"),
    // 重 read chóng
    ("重组", "CZ"),
    ("重复", "CF"),
    ("重建", "CJ"),
    ("重新", "CX"),
    ("重庆", "CQ"),
    ("重酒石酸", "CJSS"),
    ("重楼", "CL"),
    // 长 read cháng
    ("长春", "CC"),
    ("长效", "CX"),
    ("长期", "CQ"),
    ("长度", "CD"),
    ("长链", "CL"),
    // herbs and common drug words
    ("地黄", "DH"),
    ("当归", "DG"),
    ("附子", "FZ"),
    ("厚朴", "HP"),
    ("朴硝", "PX"),
    ("芒硝", "MX"),
    ("大黄", "DH"),
    ("大枣", "DZ"),
    ("甘草", "GC"),
    ("葛根", "GG"),
    ("柴胡", "CH"),
    ("白术", "BZ"),
    ("苍术", "CZ"),
    ("莪术", "EZ"),
    ("术后", "SH"),
    ("手术", "SS"),
    ("藏红花", "ZHH"),
    ("藏药", "ZY"),
    ("蛤蚧", "GJ"),
    ("蛤壳", "GQ"),
    ("薄荷", "BH"),
    ("荷叶", "HY"),
    ("枸杞", "GQ"),
    ("杜仲", "DZ"),
    ("牛膝", "NX"),
    ("降香", "JX"),
    ("降压", "JY"),
    ("降糖", "JT"),
    ("降脂", "JZ"),
    ("血", "X"),
    ("血管", "XG"),
    ("血液", "XY"),
    ("血常规", "XCG"),
    ("行", "XH"),
    ("行气", "XQ"),
    ("朴", "P"),
    ("乐", "LY"),
    ("可乐定", "KLD"),
    ("阿胶", "EJ"),
    ("阿司匹林", "ASPL"),
    ("阿莫西林", "AMXL"),
    ("阿奇霉素", "AQMS"),
    ("阿托品", "ATP"),
    ("奇异", "QY"),
    ("单位", "DW"),
    ("单抗", "DK"),
    ("调节", "TJ"),
    ("调经", "TJ"),
    ("着色", "ZS"),
    ("没药", "MY"),
    ("车前", "CQ"),
    ("卡因", "KY"),
    ("卡那", "KN"),
    ("卡马", "KM"),
    ("卡托普利", "KTPL"),
    ("咖啡", "KF"),
    ("便秘", "BM"),
    ("大便", "DB"),
    ("小便", "XB"),
    ("尿素", "NS"),
    ("尿常规", "NCG"),
    ("正常", "ZC"),
    ("脉冲", "MC"),
    ("冲剂", "CJ"),
    ("冲洗", "CX"),
    ("传导", "CD"),
    ("胃肠", "WC"),
    ("肠道", "CD"),
    ("瘤", "L"),
    ("颈", "J"),
    ("椎", "Z"),
    ("脏", "Z"),
    ("膀胱", "PG"),
    ("肺", "F"),
    ("宿", "S"),
    ("给药", "GY"),
    ("供给", "GJ"),
    ("称量", "CL"),
    ("剂量", "JL"),
    ("量", "L"),
    ("处方", "CF"),
    ("处理", "CL"),
    ("处置", "CZ"),
    ("更换", "GH"),
    ("还原", "HY"),
    ("数", "S"),
    ("曲", "Q"),
    ("神曲", "SQ"),
    ("仔", "Z"),
    ("茜草", "QC"),
    ("蕃", "F"),
    ("番泻", "FX"),
    ("番茄", "FQ"),
    ("纤维", "XW"),
    ("几丁", "JD"),
    ("系统", "XT"),
    ("系列", "XL"),
    ("缝合", "FH"),
    ("合剂", "HJ"),
    ("片", "P"),
    ("石", "S"),
    ("斗", "D"),
    ("的", "D"),
    ("弹力", "TL"),
    ("弹性", "TX"),
    ("夹板", "JB"),
    ("夹", "J"),
    ("露", "L"),
];

/// Pinyin initials of `name`: upper case, every combination of the
/// readings of polyphonic characters (most likely first, at most
/// [`MAX_COMBINATIONS`]), space-separated and de-duplicated. ASCII letters
/// and digits (also full-width ones) are kept upper-cased; other characters
/// are dropped. 维生素B6片 → `WSSB6P`; 人参 → `RS RC …`.
pub fn initials(name: &str) -> String {
    initials_list(name).join(" ")
}

/// The same as [`initials`], one combination per entry, most likely first.
pub fn initials_list(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let slots = letter_slots(&chars);
    combine(&slots)
}

/// The most likely initials written the way many HIS price lists write
/// them: Latin abbreviations (runs of two or more letters: CT, DR, ml) left
/// out, single letters and digits kept (X线…(CT)平扫 → `XXJSJTCPS…` rather
/// than `XXJSJTCCTPS…`, 注射器5ml → `ZSQ5`, 维生素B6 → `WSSB6`). `None`
/// when the name has no such abbreviation (the reading would be the same).
pub fn initials_without_latin(name: &str) -> Option<String> {
    let chars: Vec<char> = name.chars().map(fold_fullwidth).collect();
    let latin = |i: usize| chars.get(i).is_some_and(char::is_ascii_alphabetic);
    let mut kept = Vec::with_capacity(chars.len());
    let mut dropped = false;
    for (i, &c) in chars.iter().enumerate() {
        let in_run = latin(i) && ((i > 0 && latin(i - 1)) || latin(i + 1));
        if in_run {
            dropped = true;
        } else {
            kept.push(c);
        }
    }
    if !dropped {
        return None;
    }
    let out: String = letter_slots(&kept)
        .iter()
        .map(|s| char::from(s.letters[0]))
        .collect();
    (!out.is_empty()).then_some(out)
}

/// Candidate initial letters of one character, most likely first, without
/// repeats. No character has more than a handful of distinct initials; any
/// beyond the capacity are dropped as the least likely.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    letters: [u8; 8],
    len: u8,
}

impl Slot {
    fn push(&mut self, b: u8) {
        let len = usize::from(self.len);
        if len < self.letters.len() && !self.letters[..len].contains(&b) {
            self.letters[len] = b;
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[u8] {
        &self.letters[..usize::from(self.len)]
    }
}

/// For each kept character, its candidate initial letters in order of
/// likelihood (many readings share an initial: 参 → C S).
fn letter_slots(chars: &[char]) -> Vec<Slot> {
    let overrides = override_letters(chars);
    let mut slots = Vec::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        let c = fold_fullwidth(c);
        if c.is_ascii_alphanumeric() {
            let mut slot = Slot::default();
            slot.push(c.to_ascii_uppercase() as u8);
            slots.push(slot);
            continue;
        }
        let (mut slot, settled) = overrides[i];
        if !settled && let Some(multi) = c.to_pinyin_multi() {
            for reading in multi {
                if let Some(b) = reading.plain().bytes().next() {
                    slot.push(b.to_ascii_uppercase());
                }
            }
        }
        if slot.len > 0 {
            slots.push(slot);
        }
    }
    slots
}

/// Letters the dictionary prescribes for each character position (empty
/// where no word matches), and whether they settle the reading. A word of
/// two or more characters settles its characters (阿莫西林 is never read
/// ē-mò-xī-lín); a single-character entry only puts its letters first and
/// leaves the crate's readings as alternatives (行 → X, H). Longest word
/// first at each position; overlapping words add their letters as
/// alternatives.
fn override_letters(chars: &[char]) -> Vec<(Slot, bool)> {
    let mut out: Vec<(Slot, bool)> = vec![(Slot::default(), false); chars.len()];
    let dict = override_dict();
    for start in 0..chars.len() {
        let Some(words) = dict.get(&chars[start]) else {
            continue;
        };
        // Sorted longest first when the dictionary was built.
        let matches = words
            .iter()
            .filter(|(word, _)| chars[start..].starts_with(word));
        for (word, letters) in matches {
            if word.len() == 1 {
                // A single character lists its alternatives: 行 → X, H.
                for b in letters.bytes() {
                    out[start].0.push(b);
                }
            } else {
                for (k, b) in letters.bytes().enumerate() {
                    if let Some(slot) = out.get_mut(start + k) {
                        slot.0.push(b);
                        slot.1 = true;
                    }
                }
            }
        }
    }
    out
}

/// Dictionary words as characters with their letters, keyed by first
/// character.
type OverrideDict = HashMap<char, Vec<(Vec<char>, &'static str)>>;

/// The dictionary keyed by first character, built once per process.
fn override_dict() -> &'static OverrideDict {
    static DICT: OnceLock<OverrideDict> = OnceLock::new();
    DICT.get_or_init(|| {
        let mut map = OverrideDict::new();
        for &(word, letters) in OVERRIDES {
            let w: Vec<char> = word.chars().collect();
            if let Some(&first) = w.first() {
                map.entry(first).or_default().push((w, letters));
            }
        }
        for words in map.values_mut() {
            words.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        }
        map
    })
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

/// Cartesian product of the slots, ordered by the sum of reading ranks
/// (0 = most likely), keeping at most [`MAX_COMBINATIONS`] at every step.
/// Keeping the best prefixes is enough: a prefix outside the best
/// `MAX_COMBINATIONS` can never extend into a combination inside it.
/// Combinations are distinct by construction (distinct prefixes, distinct
/// letters per slot). Prefixes live in one flat buffer, `width` bytes each,
/// since this runs for every item of a 30k list at import.
fn combine(slots: &[Slot]) -> Vec<String> {
    if slots.is_empty() {
        return Vec::new();
    }
    if slots.iter().all(|s| s.len == 1) {
        let one: String = slots.iter().map(|s| char::from(s.letters[0])).collect();
        return vec![one];
    }
    let mut costs: Vec<u32> = vec![0];
    let mut flat: Vec<u8> = Vec::new();
    let mut cand: Vec<(u32, u32, u8)> = Vec::new();
    let mut next_flat: Vec<u8> = Vec::new();
    for (width, slot) in slots.iter().enumerate() {
        cand.clear();
        for (p, &cost) in costs.iter().enumerate() {
            for (rank, &b) in slot.as_slice().iter().enumerate() {
                cand.push((cost + rank as u32, p as u32, b));
            }
        }
        // Stable: among equal costs, earlier characters' first readings win.
        cand.sort_by_key(|c| c.0);
        cand.truncate(MAX_COMBINATIONS);
        next_flat.clear();
        costs.clear();
        for &(cost, p, b) in &cand {
            let from = p as usize * width;
            next_flat.extend_from_slice(&flat[from..from + width]);
            next_flat.push(b);
            costs.push(cost);
        }
        std::mem::swap(&mut flat, &mut next_flat);
    }
    flat.chunks(slots.len())
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(name: &str, code: &str) -> bool {
        initials_list(name).iter().any(|c| c == code)
    }

    #[test]
    fn plain_drug_names() {
        assert_eq!(initials("阿莫西林"), "AMXL");
        assert_eq!(initials_list("阿胶")[0], "EJ");
        assert_eq!(initials_list("阿莫西林胶囊")[0], "AMXLJN");
    }

    #[test]
    fn polyphonic_drug_words_first() {
        assert_eq!(initials_list("人参")[0], "RS");
        assert_eq!(initials_list("重组人胰岛素")[0], "CZRYDS");
        assert_eq!(initials_list("长春西汀注射液")[0], "CCXTZSY");
        assert_eq!(initials_list("参麦注射液")[0], "SMZSY");
        assert_eq!(initials_list("党参")[0], "DS");
        assert_eq!(initials_list("丹参滴丸")[0], "DSDW");
        assert_eq!(initials_list("附子理中丸")[0], "FZLZW");
    }

    #[test]
    fn every_reading_is_indexed() {
        assert!(has("人参", "RS"));
        assert!(has("重组", "CZ"));
        assert!(has("长春", "CC"));
        // Outside the dictionary's words every reading is kept.
        assert!(has("参", "C"));
        assert!(has("参", "S"));
        assert!(has("重", "Z"));
        assert!(has("重", "C"));
        assert!(has("长", "Z"));
        assert!(has("长", "C"));
        assert!(has("银行", "YX"));
        assert!(has("银行", "YH"));
    }

    #[test]
    fn ascii_kept_punctuation_dropped() {
        assert_eq!(initials("维生素B6片"), "WSSB6P");
        assert_eq!(initials("维生素Ｂ６片"), "WSSB6P");
        assert_eq!(initials("0.9%氯化钠(100ml)"), "09LHN100ML");
        assert_eq!(initials("  "), "");
        assert_eq!(initials("（）、，"), "");
    }

    #[test]
    fn his_style_without_latin_letters() {
        assert_eq!(
            initials_without_latin("X线计算机体层(CT)平扫-头颅").as_deref(),
            Some("XXJSJTCPSTL")
        );
        assert_eq!(initials_without_latin("注射器5ml").as_deref(), Some("ZSQ5"));
        assert_eq!(initials_without_latin("维生素Ｂ６片"), None);
        assert_eq!(initials_without_latin("阿莫西林"), None);
    }

    #[test]
    fn capped_and_unique() {
        let many = "重长参行重长参行重长参行";
        let list = initials_list(many);
        assert!(list.len() <= MAX_COMBINATIONS);
        let mut sorted = list.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), list.len());
        assert_eq!(list[0].len(), 12);
    }
}
