//! Small widgets every screen uses, so labels, failures and inputs look and
//! behave the same everywhere (and every input carries an accessible name,
//! which screen readers and the egui_kittest tests find it by).

use crate::error::Failure;
use crate::i18n::Lang;
use eframe::egui;

pub const RED: egui::Color32 = egui::Color32::from_rgb(0xC0, 0x1C, 0x1C);
pub const AMBER: egui::Color32 = egui::Color32::from_rgb(0xB8, 0x6E, 0x00);
pub const GREEN: egui::Color32 = egui::Color32::from_rgb(0x1E, 0x7B, 0x34);

/// A label followed by a single-line text field named by that label.
pub fn labelled_text(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut String,
    password: bool,
    width: f32,
) -> egui::Response {
    let l = ui.label(label);
    // An id of its own: an automatic one would shift whenever something
    // (a banner) appears above, and the cursor would leave the field.
    let id = ui.scope_id().with(("field", label));
    ui.add(
        egui::TextEdit::singleline(value)
            .id(id)
            .password(password)
            .desired_width(width),
    )
    .labelled_by(l.id)
}

/// A failure from the library, shown in red in the chosen language, with a
/// way to dismiss it. Returns true when the person dismissed it.
pub fn failure_banner(ui: &mut egui::Ui, lang: Lang, failure: &Failure, close: &str) -> bool {
    let mut dismissed = false;
    egui::Frame::new()
        .fill(egui::Color32::from_rgb(0xFD, 0xEC, 0xEC))
        .stroke(egui::Stroke::new(1.0, RED))
        .inner_margin(8.0)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    egui::RichText::new(failure.message(lang))
                        .color(RED)
                        .strong(),
                );
                if let Some(r) = &failure.remedy {
                    ui.label(egui::RichText::new(remedy_hint(r, lang)).color(RED));
                }
                if ui.small_button(close).clicked() {
                    dismissed = true;
                }
            });
        });
    dismissed
}

/// The GUI's wording of what can be done about a failure: the screen or
/// field to use.
fn remedy_hint(r: &crate::error::Remedy, lang: Lang) -> &'static str {
    use crate::error::Remedy;
    match r {
        Remedy::OpenEpisode => lang.pick(
            "在收费界面开启应急事件",
            "declare the outage episode on the cashier screen",
        ),
        Remedy::AddRange { .. } => lang.pick(
            "管理员在“票据号段”界面添加号段",
            "an admin adds one on the Receipt books screen",
        ),
        Remedy::ImportPrices => lang.pick(
            "管理员在“价格表导入”界面导入",
            "an admin imports it on the Price-list import screen",
        ),
        Remedy::Supervisor => lang.pick(
            "请填写主管用户名及其 PIN",
            "fill in a supervisor's name and PIN",
        ),
        Remedy::ReplaceHeld => lang.pick(
            "确认替换后再导入（旧的保留在历史中）",
            "confirm the replacement and import again (the old one stays in the history)",
        ),
        Remedy::GiveMonth => lang.pick("请填写价格表的月份", "fill in the price list's month"),
        Remedy::SetUp => lang.pick("请先完成本终端的设置", "set this terminal up first"),
        Remedy::KnownSettings => lang.pick("从设置列表中选择", "pick one from the settings list"),
        Remedy::RestoreBackup => lang.pick(
            "请管理员恢复最近的备份",
            "an admin restores the latest backup",
        ),
        Remedy::AcknowledgeVerify => lang.pick(
            "请管理员在红色提示栏中查看问题并填写原因确认",
            "an admin reviews the problems in the red banner and acknowledges them with a reason",
        ),
    }
}

/// A notice that something worked (green), dismissable like a failure.
pub fn notice_banner(ui: &mut egui::Ui, text: &str, close: &str) -> bool {
    let mut dismissed = false;
    egui::Frame::new()
        .fill(egui::Color32::from_rgb(0xE8, 0xF5, 0xEA))
        .stroke(egui::Stroke::new(1.0, GREEN))
        .inner_margin(8.0)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(egui::RichText::new(text).color(GREEN));
                if ui.small_button(close).clicked() {
                    dismissed = true;
                }
            });
        });
    dismissed
}

/// An item's name with its aliases, as lists show it:
/// 血细胞分析(五分类)（血常规）.
pub fn named(item: &crate::prices::PriceItem) -> String {
    if item.aliases.trim().is_empty() {
        item.name.clone()
    } else {
        format!(
            "{}（{}）",
            item.name,
            item.alias_list().collect::<Vec<_>>().join("、")
        )
    }
}

/// The string keys of the columns every price-item table shows, in order
/// (the cells are drawn by [`item_cells`]).
pub const ITEM_COLUMNS: [&str; 7] = [
    "col.code",
    "col.name",
    "col.spec",
    "col.unit",
    "col.unit_price",
    "col.category",
    "col.insurance",
];

/// One price item's cells, matching [`ITEM_COLUMNS`]: the code in
/// monospace, the unit price right-aligned so decimals line up.
pub fn item_cells(
    row: &mut egui_extras::TableRow<'_, '_>,
    item: &crate::prices::PriceItem,
    lang: Lang,
) {
    row.col(|ui| {
        ui.monospace(&item.code);
    });
    row.col(|ui| {
        ui.label(named(item));
    });
    for text in [&item.spec, &item.unit] {
        row.col(|ui| {
            ui.label(text);
        });
    }
    row.col(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            ui.monospace(item.unit_price.as_text());
        });
    });
    row.col(|ui| {
        ui.label(item.category.label(lang));
    });
    row.col(|ui| {
        ui.label(&item.insurance_class);
    });
}

/// A library message in the user's words: a leading request path
/// (`reason：`, `lines[1].qty: `, `payments[0].reference：`) becomes the
/// label a person knows, or goes when there is none to say.
pub fn in_plain_words(mut f: Failure) -> Failure {
    f.zh = plain(&f.zh, "：", Lang::Zh);
    f.en = plain(&f.en, ": ", Lang::En);
    f
}

fn plain(text: &str, sep: &str, lang: Lang) -> String {
    let Some((head, rest)) = text.split_once(sep) else {
        return text.to_string();
    };
    let is_path = !head.is_empty()
        && head.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '[' | ']')
        });
    if !is_path {
        return text.to_string();
    }
    let line = head
        .strip_prefix("lines[")
        .and_then(|r| r.split(']').next())
        .and_then(|n| n.parse::<usize>().ok());
    let label = match (head, line) {
        (h, Some(i)) if h.ends_with(".qty") => {
            format!(
                "{}{}{}",
                lang.pick("第 ", "line "),
                i + 1,
                lang.pick(" 行数量", " quantity")
            )
        }
        (_, Some(i)) => format!(
            "{}{}{}",
            lang.pick("第 ", "line "),
            i + 1,
            lang.pick(" 行", "")
        ),
        ("reason", _) => lang.pick("原因", "reason").into(),
        ("line" | "lines", _) => lang.pick("收费项目", "items").into(),
        ("qty", _) => lang.pick("数量", "quantity").into(),
        ("amount", _) => lang.pick("金额", "amount").into(),
        ("patient.name", _) => lang.pick("患者姓名", "patient name").into(),
        ("payer.insurance_no", _) => lang.pick("医保号", "insurance no.").into(),
        (h, _) if h.ends_with(".tendered") => lang.pick("实收现金", "cash tendered").into(),
        (h, _) if h.ends_with(".reference") => lang.pick("交易参考号", "reference no.").into(),
        (h, _) if h.starts_with("payments") => lang.pick("付款", "payment").into(),
        // Another dotted path: said without it; a plain word (a user's
        // name) is part of the sentence and stays.
        (h, _) if h.contains(['.', '[']) => return rest.to_string(),
        _ => return text.to_string(),
    };
    format!("{label}{sep}{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn request_paths_become_words() {
        let f = in_plain_words(Failure::new(
            ErrorKind::Invalid,
            "reason：必须填写原因",
            "lines[1].qty: got 1.5",
        ));
        assert_eq!(f.zh, "原因：必须填写原因");
        assert_eq!(f.en, "line 2 quantity: got 1.5");
        let f = in_plain_words(Failure::new(
            ErrorKind::Invalid,
            "x_y.z：好",
            "boss: wrong PIN",
        ));
        assert_eq!((f.zh.as_str(), f.en.as_str()), ("好", "boss: wrong PIN"));
        // Ordinary sentences are left alone.
        let f = in_plain_words(Failure::new(
            ErrorKind::Invalid,
            "票据 MZ01：已作废",
            "Note: fine",
        ));
        assert_eq!(
            (f.zh.as_str(), f.en.as_str()),
            ("票据 MZ01：已作废", "Note: fine")
        );
    }
}
