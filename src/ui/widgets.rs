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
