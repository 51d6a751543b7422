//! The records of a price list.

use crate::domain::Month;
use crate::i18n::Lang;
use crate::money::UnitPrice;

/// Fee categories a price list may use. A row with any other category is
/// refused at import, naming the row and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Category {
    /// 西药
    WesternDrug,
    /// 中成药
    PatentChineseDrug,
    /// 中草药 (quantities in grams, up to 2 decimals)
    ChineseHerb,
    /// 检查
    Examination,
    /// 检验 (化验)
    LabTest,
    /// 治疗
    Treatment,
    /// 材料
    Material,
    /// 挂号
    Registration,
    /// 诊查
    Consultation,
    /// 手术
    Surgery,
    /// 护理
    Nursing,
    /// 床位
    Bed,
}

impl Category {
    pub const ALL: [Category; 12] = [
        Category::WesternDrug,
        Category::PatentChineseDrug,
        Category::ChineseHerb,
        Category::Examination,
        Category::LabTest,
        Category::Treatment,
        Category::Material,
        Category::Registration,
        Category::Consultation,
        Category::Surgery,
        Category::Nursing,
        Category::Bed,
    ];

    /// The name used in price lists and stored in the database.
    pub fn zh(self) -> &'static str {
        match self {
            Category::WesternDrug => "西药",
            Category::PatentChineseDrug => "中成药",
            Category::ChineseHerb => "中草药",
            Category::Examination => "检查",
            Category::LabTest => "检验",
            Category::Treatment => "治疗",
            Category::Material => "材料",
            Category::Registration => "挂号",
            Category::Consultation => "诊查",
            Category::Surgery => "手术",
            Category::Nursing => "护理",
            Category::Bed => "床位",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Category::WesternDrug => "Western drug",
            Category::PatentChineseDrug => "Chinese patent drug",
            Category::ChineseHerb => "Chinese herb",
            Category::Examination => "Examination",
            Category::LabTest => "Lab test",
            Category::Treatment => "Treatment",
            Category::Material => "Material",
            Category::Registration => "Registration",
            Category::Consultation => "Consultation",
            Category::Surgery => "Surgery",
            Category::Nursing => "Nursing",
            Category::Bed => "Bed",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh(),
            Lang::En => self.en(),
        }
    }

    /// The subtotal line on a receipt: 西药费, 中成药费, 化验费 …
    pub fn fee_label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Category::WesternDrug, Lang::Zh) => "西药费",
            (Category::PatentChineseDrug, Lang::Zh) => "中成药费",
            (Category::ChineseHerb, Lang::Zh) => "中草药费",
            (Category::Examination, Lang::Zh) => "检查费",
            (Category::LabTest, Lang::Zh) => "化验费",
            (Category::Treatment, Lang::Zh) => "治疗费",
            (Category::Material, Lang::Zh) => "材料费",
            (Category::Registration, Lang::Zh) => "挂号费",
            (Category::Consultation, Lang::Zh) => "诊查费",
            (Category::Surgery, Lang::Zh) => "手术费",
            (Category::Nursing, Lang::Zh) => "护理费",
            (Category::Bed, Lang::Zh) => "床位费",
            (c, Lang::En) => c.en(),
        }
    }

    /// Accepts the Chinese names (and 化验 for 检验, 诊查费-style suffixes) and
    /// the English codes.
    pub fn parse(s: &str) -> Option<Category> {
        let t = s.trim();
        let t = t.strip_suffix('费').unwrap_or(t);
        let c = match t {
            "西药" => Category::WesternDrug,
            "中成药" => Category::PatentChineseDrug,
            "中草药" | "中药饮片" => Category::ChineseHerb,
            "检查" => Category::Examination,
            "检验" | "化验" => Category::LabTest,
            "治疗" => Category::Treatment,
            "材料" | "卫生材料" => Category::Material,
            "挂号" => Category::Registration,
            "诊查" => Category::Consultation,
            "手术" => Category::Surgery,
            "护理" => Category::Nursing,
            "床位" => Category::Bed,
            other => {
                return Category::ALL
                    .into_iter()
                    .find(|c| c.en().eq_ignore_ascii_case(other));
            }
        };
        Some(c)
    }

    /// Drugs are what the pharmacy dispenses.
    pub fn is_drug(self) -> bool {
        matches!(
            self,
            Category::WesternDrug | Category::PatentChineseDrug | Category::ChineseHerb
        )
    }
}

/// One item of a monthly price list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PriceItem {
    pub code: String,
    pub name: String,
    /// Pinyin initials, upper case; every reading of polyphonic characters,
    /// space-separated (人参 → "RS RC RX …" as the index needs).
    pub pinyin: String,
    pub spec: String,
    pub unit: String,
    pub unit_price: UnitPrice,
    pub category: Category,
    /// 甲 / 乙 / 丙 or empty.
    pub insurance_class: String,
    pub barcode: String,
    /// What else the item is called (别名/俗称 column: 血常规 for
    /// 血细胞分析(五分类)), as the file gave it; empty when none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub aliases: String,
}

impl PriceItem {
    /// The aliases one by one (the column separates them with 、 ; / |).
    pub fn alias_list(&self) -> impl Iterator<Item = &str> {
        alias_list(&self.aliases)
    }
}

/// The aliases in an alias column's text, one by one (separated by 、 ; /
/// | or commas).
pub fn alias_list(aliases: &str) -> impl Iterator<Item = &str> {
    aliases
        .split(['、', ';', '；', '/', '|', ',', '，'])
        .map(str::trim)
        .filter(|a| !a.is_empty())
}

/// An imported, immutable monthly price list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Snapshot {
    pub id: i64,
    #[serde(serialize_with = "ser_month")]
    pub month: Month,
    pub file_name: String,
    pub sha256: String,
    pub imported_by: String,
    pub imported_at: String,
    pub item_count: i64,
}

fn ser_month<S: serde::Serializer>(m: &Month, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&m.to_string())
}
