//! What changed between two monthly lists, by item code: the admin sees it
//! before confirming an import, and `prices diff` prints it for scripts.
//! A price is "changed" when its value differs (12.5 and 12.50 are the same
//! price); other fields are carried along so a screen can show them.

use super::model::PriceItem;
use crate::money::UnitPrice;
use std::collections::HashMap;

/// One item whose unit price differs between the two lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceChange {
    pub code: String,
    pub old: PriceItem,
    pub new: PriceItem,
}

impl PriceChange {
    pub fn old_price(&self) -> UnitPrice {
        self.old.unit_price
    }
    pub fn new_price(&self) -> UnitPrice {
        self.new.unit_price
    }
}

/// Added, removed and price-changed items, each sorted by code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceDiff {
    pub added: Vec<PriceItem>,
    pub removed: Vec<PriceItem>,
    pub changed: Vec<PriceChange>,
}

impl PriceDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// The documented shape of `prices diff --json`:
    /// `{"added": [item…], "removed": [item…], "changed": [{"code",
    /// "old_price", "new_price"}…]}`; items are objects with `code` first,
    /// the category by its Chinese name, unit prices as strings with the
    /// decimals the list gave.
    pub fn to_json(&self) -> DiffJson<'_> {
        DiffJson {
            added: self.added.iter().map(ItemJson::from).collect(),
            removed: self.removed.iter().map(ItemJson::from).collect(),
            changed: self
                .changed
                .iter()
                .map(|c| ChangeJson {
                    code: &c.code,
                    old_price: c.old.unit_price.as_text(),
                    new_price: c.new.unit_price.as_text(),
                })
                .collect(),
        }
    }
}

/// [`PriceDiff`] as printed (field order is the printed order).
#[derive(Debug, serde::Serialize)]
pub struct DiffJson<'a> {
    pub added: Vec<ItemJson<'a>>,
    pub removed: Vec<ItemJson<'a>>,
    pub changed: Vec<ChangeJson<'a>>,
}

#[derive(Debug, serde::Serialize)]
pub struct ChangeJson<'a> {
    pub code: &'a str,
    pub old_price: String,
    pub new_price: String,
}

/// A price item as every `prices` command prints it: `code` first, the
/// category by its Chinese name, the unit price as a string.
#[derive(Debug, serde::Serialize)]
pub struct ItemJson<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub spec: &'a str,
    pub unit: &'a str,
    pub unit_price: String,
    pub category: &'static str,
    pub insurance_class: &'a str,
    pub barcode: &'a str,
    pub pinyin: &'a str,
}

impl<'a> From<&'a PriceItem> for ItemJson<'a> {
    fn from(i: &'a PriceItem) -> Self {
        ItemJson {
            code: &i.code,
            name: &i.name,
            spec: &i.spec,
            unit: &i.unit,
            unit_price: i.unit_price.as_text(),
            category: i.category.zh(),
            insurance_class: &i.insurance_class,
            barcode: &i.barcode,
            pinyin: &i.pinyin,
        }
    }
}

/// The difference from `old` to `new`, matched by code.
pub fn diff(old: &[PriceItem], new: &[PriceItem]) -> PriceDiff {
    let old_by_code: HashMap<&str, &PriceItem> = old.iter().map(|i| (i.code.as_str(), i)).collect();
    let new_by_code: HashMap<&str, &PriceItem> = new.iter().map(|i| (i.code.as_str(), i)).collect();
    let mut d = PriceDiff::default();
    for n in new {
        match old_by_code.get(n.code.as_str()) {
            None => d.added.push(n.clone()),
            Some(o) if o.unit_price.decimal() != n.unit_price.decimal() => {
                d.changed.push(PriceChange {
                    code: n.code.clone(),
                    old: (*o).clone(),
                    new: n.clone(),
                })
            }
            Some(_) => {}
        }
    }
    d.removed = old
        .iter()
        .filter(|o| !new_by_code.contains_key(o.code.as_str()))
        .cloned()
        .collect();
    d.added.sort_by(|a, b| a.code.cmp(&b.code));
    d.removed.sort_by(|a, b| a.code.cmp(&b.code));
    d.changed.sort_by(|a, b| a.code.cmp(&b.code));
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prices::Category;

    fn item(code: &str, price: &str) -> PriceItem {
        PriceItem {
            code: code.into(),
            name: format!("项目{code}"),
            pinyin: "XM".into(),
            spec: String::new(),
            unit: "次".into(),
            unit_price: UnitPrice::parse(price).unwrap(),
            category: Category::Treatment,
            insurance_class: String::new(),
            barcode: String::new(),
            aliases: String::new(),
        }
    }

    #[test]
    fn added_removed_changed_by_code_and_value() {
        let old = vec![item("B", "1.00"), item("A", "2.5"), item("C", "3")];
        let new = vec![item("A", "2.50"), item("C", "3.1"), item("D", "4")];
        let d = diff(&old, &new);
        assert_eq!(d.added.iter().map(|i| &i.code).collect::<Vec<_>>(), ["D"]);
        assert_eq!(d.removed.iter().map(|i| &i.code).collect::<Vec<_>>(), ["B"]);
        assert_eq!(d.changed.len(), 1);
        let j = serde_json::to_value(d.to_json()).unwrap();
        assert_eq!(j["changed"][0]["code"], "C");
        assert_eq!(j["changed"][0]["old_price"], "3");
        assert_eq!(j["changed"][0]["new_price"], "3.1");
        assert_eq!(j["added"][0]["unit_price"], "4");
        assert_eq!(j["added"][0]["category"], "治疗");
        assert!(diff(&new, &new).is_empty());
        let text = serde_json::to_string(&d.to_json()).unwrap();
        assert!(
            text.starts_with(r#"{"added":[{"code":"D","name""#),
            "{text}"
        );
    }
}
