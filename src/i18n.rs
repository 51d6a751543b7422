//! Languages. Every user-facing text exists in Chinese (the default) and
//! English. Library messages pick with [`Lang::pick`]; the GUI's labels come
//! from the string table in `assets/strings.json` via [`tr`].

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "zh" | "zh-cn" | "cn" => Ok(Lang::Zh),
            "en" | "en-us" | "en-gb" => Ok(Lang::En),
            other => Err(format!("unknown language '{other}' (use zh or en)")),
        }
    }
}

const STRINGS_JSON: &str = include_str!("../assets/strings.json");

type Table = HashMap<String, (String, String)>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The table is compiled in and checked by a unit test, so a parse
        // failure here can only come from a broken build; fall back to empty
        // so the keys themselves are shown rather than crashing a window.
        let raw: HashMap<String, [String; 2]> =
            serde_json::from_str(STRINGS_JSON).unwrap_or_default();
        raw.into_iter().map(|(k, [zh, en])| (k, (zh, en))).collect()
    })
}

/// The UI string for `key` in `lang`; the key itself when it is missing
/// (a unit test keeps every key used in `src/ui` present).
pub fn tr(lang: Lang, key: &str) -> &str {
    match table().get(key) {
        Some((zh, en)) => match lang {
            Lang::Zh => zh,
            Lang::En => en,
        },
        None => key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_table_parses_and_every_entry_has_both_languages() {
        let raw: HashMap<String, [String; 2]> =
            serde_json::from_str(STRINGS_JSON).expect("assets/strings.json parses");
        for (k, [zh, en]) in raw {
            assert!(!zh.trim().is_empty(), "{k} has no Chinese text");
            assert!(!en.trim().is_empty(), "{k} has no English text");
        }
    }
}
