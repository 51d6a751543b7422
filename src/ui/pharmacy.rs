//! The pharmacy screen: the scanner types the receipt's QR code into a
//! field that always has the focus and presses Enter; the answer fills the
//! window, green with the drug lines and what is left to hand out, or red
//! with the reason in plain words, large enough to read from a step away on
//! a 1024×600 screen. Dispensing all (F2) or the chosen lines (Alt+N
//! toggles line N, F3 hands out the ticked ones) works without the mouse;
//! the day's dispensings are listed below; returns are confirmed in a small
//! form. The rules are the library's ([`crate::pharmacy`]); this screen
//! collects and shows (the screen contract of [`super::screen`]).

use super::screen::ScreenEnv;
use super::widgets::{self, GREEN, RED};
use crate::error::Failure;
use crate::i18n::Lang;
use crate::keys::SigningKey;
use crate::pharmacy::{self, Check, Dispensed, LineQty, Recorded};
use eframe::egui;
use rust_decimal::Decimal;

/// What the pharmacist asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PharmacyAction {
    /// The text the scanner typed (or a typed receipt number).
    Scan(String),
    /// Hand out these lines of the code last scanned; all that is left of
    /// every drug line when empty.
    Dispense(Vec<LineQty>),
    /// Confirm drugs coming back: the receipt number, `N[:QTY]` items
    /// separated by spaces or commas, and why.
    Return {
        number: String,
        lines: String,
        reason: String,
    },
    /// Read the day's dispensings again (on entering the screen).
    Refresh,
}

/// What the big panel shows.
#[derive(Debug, Clone)]
pub enum Shown {
    Nothing,
    /// Genuine (or found here, for a typed number): green.
    Ok(Check),
    /// Genuine but not to dispense against (drill, voided …): red.
    Refused(Check),
    /// Forged, altered, unknown number: red with the reason.
    Bad(Failure),
    /// Just dispensed: green, with what was handed out.
    Done(Dispensed),
}

/// One drug line's choice: ticked, and the quantity to hand out.
#[derive(Debug, Clone)]
struct Choice {
    line: u32,
    ticked: bool,
    qty: String,
}

const SCAN_ID: &str = "pharmacy_scan";

pub struct PharmacyScreen {
    scan: String,
    /// The code behind what is shown (dispensing acts on it).
    code: String,
    shown: Shown,
    choices: Vec<Choice>,
    today: Vec<Recorded>,
    /// A failure of an action (dispense, return), under the result.
    failure: Option<Failure>,
    notice: Option<(String, String)>,
    ret_number: String,
    ret_lines: String,
    ret_reason: String,
    key: Option<SigningKey>,
    /// The digit of an Alt+N just handled, whose text event is dropped.
    swallow: Option<String>,
}

impl Default for PharmacyScreen {
    fn default() -> Self {
        Self::new()
    }
}

impl PharmacyScreen {
    pub fn new() -> PharmacyScreen {
        PharmacyScreen {
            scan: String::new(),
            code: String::new(),
            shown: Shown::Nothing,
            choices: Vec::new(),
            today: Vec::new(),
            failure: None,
            notice: None,
            ret_number: String::new(),
            ret_lines: String::new(),
            ret_reason: String::new(),
            key: None,
            swallow: None,
        }
    }

    pub fn shown(&self) -> &Shown {
        &self.shown
    }

    /// What is typed in the scan field now.
    pub fn scan_text(&self) -> &str {
        &self.scan
    }

    pub fn today(&self) -> &[Recorded] {
        &self.today
    }

    pub fn failure(&self) -> Option<&Failure> {
        self.failure.as_ref()
    }

    fn keys(&mut self, ui: &mut egui::Ui, acts: &mut Vec<PharmacyAction>) {
        // Alt+N ticks a line; the window system may also send the digit as
        // text (in the same frame or the next), which must not land in the
        // scan field. A scanner never types with Alt held.
        let swallow = self.swallow.take();
        ui.input_mut(|i| {
            let alt = i.modifiers.alt
                || i.events.iter().any(|e| {
                    matches!(e, egui::Event::Key { modifiers, pressed: true, .. } if modifiers.alt)
                });
            i.events.retain(|e| match e {
                egui::Event::Text(t) => !alt && swallow.as_deref() != Some(t.as_str()),
                _ => true,
            });
        });
        let pressed =
            |ui: &mut egui::Ui, key| ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, key));
        if !matches!(self.shown, Shown::Ok(_)) {
            if pressed(ui, egui::Key::Escape) {
                self.clear();
            }
            return;
        }
        if pressed(ui, egui::Key::F2) {
            acts.push(PharmacyAction::Dispense(Vec::new()));
        }
        if pressed(ui, egui::Key::F3)
            && let Some(lines) = self.chosen()
        {
            acts.push(PharmacyAction::Dispense(lines));
        }
        if pressed(ui, egui::Key::Escape) {
            self.clear();
        }
        const DIGITS: [egui::Key; 9] = [
            egui::Key::Num1,
            egui::Key::Num2,
            egui::Key::Num3,
            egui::Key::Num4,
            egui::Key::Num5,
            egui::Key::Num6,
            egui::Key::Num7,
            egui::Key::Num8,
            egui::Key::Num9,
        ];
        for (i, k) in DIGITS.iter().enumerate() {
            if ui.input_mut(|inp| inp.consume_key(egui::Modifiers::ALT, *k)) {
                self.swallow = Some((i + 1).to_string());
                if let Some(c) = self.choices.iter_mut().find(|c| c.line == i as u32 + 1) {
                    c.ticked = !c.ticked;
                }
            }
        }
    }

    fn clear(&mut self) {
        self.shown = Shown::Nothing;
        self.choices.clear();
        self.code.clear();
        self.failure = None;
        self.notice = None;
    }

    /// The ticked lines with their quantities; a bad quantity is shown.
    fn chosen(&mut self) -> Option<Vec<LineQty>> {
        let mut out = Vec::new();
        for c in self.choices.iter().filter(|c| c.ticked) {
            match LineQty::parse(&format!("{}:{}", c.line, c.qty.trim())) {
                Ok(l) => out.push(l),
                Err(e) => {
                    self.failure = Some(e.into());
                    return None;
                }
            }
        }
        if out.is_empty() {
            self.failure = Some(Failure::new(
                crate::error::ErrorKind::Invalid,
                "没有勾选要发的药品行（Alt+行号 勾选）",
                "no line is ticked (Alt+line number ticks one)",
            ));
            return None;
        }
        Some(out)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Vec<PharmacyAction> {
        let mut acts = Vec::new();
        self.keys(ui, &mut acts);
        let scan_id = egui::Id::unique(SCAN_ID);
        ui.horizontal(|ui| {
            let l = ui.label(
                egui::RichText::new(lang.pick("扫码或输入票号", "Scan QR or type receipt number"))
                    .size(20.0)
                    .strong(),
            );
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.scan)
                        .id(scan_id)
                        .font(egui::FontId::proportional(22.0))
                        .desired_width(ui.available_width()),
                )
                .labelled_by(l.id);
            if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                let text = std::mem::take(&mut self.scan);
                if !text.trim().is_empty() {
                    acts.push(PharmacyAction::Scan(text));
                }
            }
        });
        ui.weak(lang.pick(
            "Enter 核验 · F2 发全部药品 · Alt+行号 勾选 · F3 发勾选行 · Esc 清除",
            "Enter verify · F2 dispense all drugs · Alt+line tick · F3 dispense ticked · Esc clear",
        ));
        self.result_ui(ui, lang, &mut acts);
        if let Some(f) = &self.failure
            && widgets::failure_banner(ui, lang, f, lang.pick("关闭", "Close"))
        {
            self.failure = None;
        }
        if let Some((zh, en)) = &self.notice
            && widgets::notice_banner(ui, lang.pick(zh, en), lang.pick("关闭", "Close"))
        {
            self.notice = None;
        }
        ui.separator();
        ui.columns(2, |cols| {
            self.today_ui(&mut cols[0], lang);
            self.return_ui(&mut cols[1], lang, &mut acts);
        });
        // The scanner types into whatever has the focus: keep it on the
        // scan field unless the person is in another field of this screen.
        let elsewhere = ui.memory(|m| m.focused()).is_some_and(|f| f != scan_id);
        if !elsewhere {
            ui.memory_mut(|m| m.request_focus(scan_id));
        }
        acts
    }

    fn result_ui(&mut self, ui: &mut egui::Ui, lang: Lang, acts: &mut Vec<PharmacyAction>) {
        let (fill, stroke) = match &self.shown {
            Shown::Nothing => return,
            Shown::Ok(_) | Shown::Done(_) => (egui::Color32::from_rgb(0xE6, 0xF4, 0xEA), GREEN),
            Shown::Refused(_) | Shown::Bad(_) => (egui::Color32::from_rgb(0xFD, 0xEC, 0xEC), RED),
        };
        egui::Frame::new()
            .fill(fill)
            .stroke(egui::Stroke::new(4.0, stroke))
            .inner_margin(12.0)
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                match &self.shown {
                    Shown::Nothing => {}
                    Shown::Bad(f) => {
                        big(ui, lang.pick("不能发药", "DO NOT DISPENSE"), RED);
                        ui.label(
                            egui::RichText::new(f.message(lang))
                                .size(24.0)
                                .color(RED)
                                .strong(),
                        );
                    }
                    Shown::Refused(c) => {
                        big(ui, lang.pick("不能发药", "DO NOT DISPENSE"), RED);
                        if let Some(m) = &c.message {
                            ui.label(
                                egui::RichText::new(m.text(lang))
                                    .size(24.0)
                                    .color(RED)
                                    .strong(),
                            );
                        }
                        summary(ui, lang, c);
                        // What the receipt covers and what was handed out.
                        lines_ui(ui, lang, c, &mut []);
                    }
                    Shown::Ok(c) => {
                        let head = if c.verified {
                            lang.pick("真实票据 · 可以发药", "GENUINE · dispense")
                        } else {
                            lang.pick(
                                "本机有此票据（手输票号，未经签名核验）",
                                "ON RECORD HERE (typed number, not signature-verified)",
                            )
                        };
                        big(ui, head, GREEN);
                        summary(ui, lang, c);
                        lines_ui(ui, lang, c, &mut self.choices);
                        ui.horizontal(|ui| {
                            if ui
                                .button(
                                    egui::RichText::new(
                                        lang.pick("F2 发全部药品", "F2 Dispense all drugs"),
                                    )
                                    .size(20.0),
                                )
                                .clicked()
                            {
                                acts.push(PharmacyAction::Dispense(Vec::new()));
                            }
                            if ui
                                .button(
                                    egui::RichText::new(
                                        lang.pick("F3 发勾选行", "F3 Dispense ticked"),
                                    )
                                    .size(20.0),
                                )
                                .clicked()
                                && let Some(l) = self.chosen()
                            {
                                acts.push(PharmacyAction::Dispense(l));
                            }
                        });
                    }
                    Shown::Done(d) => {
                        let head = if d.complete {
                            lang.pick("已发药", "DISPENSED")
                        } else {
                            lang.pick("已部分发药", "PARTLY DISPENSED")
                        };
                        big(ui, head, GREEN);
                        summary(ui, lang, &d.check);
                        for r in &d.recorded {
                            ui.label(
                                egui::RichText::new(format!(
                                    "{}  {}  {} × {}",
                                    r.line,
                                    r.code,
                                    r.name.as_deref().unwrap_or(""),
                                    r.qty.normalize()
                                ))
                                .size(20.0),
                            );
                        }
                        if !d.complete {
                            ui.label(
                                egui::RichText::new(lang.pick(
                                    "仍有药品待发：缺药补发时再次扫码",
                                    "drugs still to hand out: scan again when in stock",
                                ))
                                .size(18.0)
                                .color(widgets::AMBER),
                            );
                        }
                    }
                }
            });
    }

    fn today_ui(&self, ui: &mut egui::Ui, lang: Lang) {
        ui.strong(lang.pick("今日发药", "Today's dispensings"));
        if self.today.is_empty() {
            ui.weak(lang.pick("今日尚无记录", "nothing recorded today"));
            return;
        }
        egui::ScrollArea::vertical()
            .id_salt("pharmacy_today")
            .max_height(180.0)
            .show(ui, |ui| {
                egui::Grid::new("pharmacy_today_grid")
                    .striped(true)
                    .num_columns(5)
                    .show(ui, |ui| {
                        for r in &self.today {
                            ui.label(r.at.get(11..16).unwrap_or(&r.at));
                            ui.label(if r.kind == "dispensed" {
                                lang.pick("发药", "dispensed")
                            } else {
                                lang.pick("退回", "returned")
                            });
                            ui.label(&r.receipt_number);
                            ui.label(format!("{} {}", r.line, r.code));
                            ui.label(r.qty.normalize().to_string());
                            ui.end_row();
                        }
                    });
            });
    }

    fn return_ui(&mut self, ui: &mut egui::Ui, lang: Lang, acts: &mut Vec<PharmacyAction>) {
        ui.strong(lang.pick("退药确认", "Return confirmation"));
        egui::Grid::new("pharmacy_return")
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                widgets::labelled_text(
                    ui,
                    lang.pick("退药票号", "Return: receipt number"),
                    &mut self.ret_number,
                    false,
                    180.0,
                );
                ui.end_row();
                widgets::labelled_text(
                    ui,
                    lang.pick("退回行（行号:数量）", "Lines returned (N:QTY)"),
                    &mut self.ret_lines,
                    false,
                    180.0,
                );
                ui.end_row();
                widgets::labelled_text(
                    ui,
                    lang.pick("退药原因", "Return reason"),
                    &mut self.ret_reason,
                    false,
                    180.0,
                );
                ui.end_row();
            });
        if ui.button(lang.pick("确认退回", "Confirm return")).clicked() {
            acts.push(PharmacyAction::Return {
                number: self.ret_number.trim().to_string(),
                lines: self.ret_lines.clone(),
                reason: self.ret_reason.clone(),
            });
        }
    }

    fn key(&mut self, env: &ScreenEnv<'_>) -> Result<SigningKey, Failure> {
        if let Some(k) = &self.key {
            return Ok(k.clone());
        }
        let k = crate::keys::wrap::session_key(env.session, env.data_dir)?;
        self.key = Some(k.clone());
        Ok(k)
    }

    fn refresh(&mut self, env: &mut ScreenEnv<'_>) {
        let date = env.clock.now().date_naive();
        match pharmacy::day(env.store.conn(), env.session.terminal().as_str(), date) {
            Ok(rows) => self.today = rows,
            Err(e) => self.failure = Some(e.into()),
        }
    }

    fn show_check(&mut self, c: Check) {
        self.choices = c
            .drug_lines()
            .filter(|l| l.to_dispense > Decimal::ZERO)
            .map(|l| Choice {
                line: l.line,
                ticked: true,
                qty: l.to_dispense.normalize().to_string(),
            })
            .collect();
        self.shown = if c.is_ok() {
            Shown::Ok(c)
        } else {
            Shown::Refused(c)
        };
    }

    pub fn apply(&mut self, action: PharmacyAction, env: &mut ScreenEnv<'_>) {
        match action {
            PharmacyAction::Refresh => self.refresh(env),
            PharmacyAction::Scan(text) => {
                self.clear();
                let key = match self.key(env) {
                    Ok(k) => k,
                    Err(f) => {
                        self.shown = Shown::Bad(f);
                        return;
                    }
                };
                self.code = text.clone();
                match pharmacy::check(env.store.conn(), env.session, &key, &text) {
                    Ok(c) => self.show_check(c),
                    Err(e) => self.shown = Shown::Bad(e.into()),
                }
            }
            PharmacyAction::Dispense(lines) => {
                if !matches!(self.shown, Shown::Ok(_)) {
                    return;
                }
                let key = match self.key(env) {
                    Ok(k) => k,
                    Err(f) => {
                        self.failure = Some(f);
                        return;
                    }
                };
                match pharmacy::dispense(
                    env.store,
                    env.session,
                    env.clock,
                    &key,
                    &self.code,
                    &lines,
                ) {
                    Ok(d) => {
                        self.failure = None;
                        self.choices.clear();
                        self.shown = Shown::Done(d);
                    }
                    Err(e) => self.failure = Some(e.into()),
                }
                self.refresh(env);
            }
            PharmacyAction::Return {
                number,
                lines,
                reason,
            } => {
                let parsed: Result<Vec<LineQty>, _> = lines
                    .split([' ', ',', '，'])
                    .filter(|s| !s.trim().is_empty())
                    .map(LineQty::parse)
                    .collect();
                let result = self.key(env).and_then(|key| {
                    pharmacy::confirm_return(
                        env.store,
                        env.session,
                        env.clock,
                        &key,
                        &number,
                        &parsed?,
                        Some(&reason),
                    )
                    .map_err(Failure::from)
                });
                match result {
                    Ok(rows) => {
                        let total: Decimal = rows.iter().map(|r| r.qty).sum();
                        self.notice = Some((
                            format!(
                                "已确认 {number} 退回 {} 行，共 {}",
                                rows.len(),
                                total.normalize()
                            ),
                            format!(
                                "return of {} line(s) of {number} confirmed ({} in all)",
                                rows.len(),
                                total.normalize()
                            ),
                        ));
                        self.failure = None;
                        self.ret_number.clear();
                        self.ret_lines.clear();
                        self.ret_reason.clear();
                    }
                    Err(f) => self.failure = Some(f),
                }
                self.refresh(env);
            }
        }
    }
}

fn big(ui: &mut egui::Ui, text: &str, color: egui::Color32) {
    ui.label(egui::RichText::new(text).size(40.0).color(color).strong());
}

fn summary(ui: &mut egui::Ui, lang: Lang, c: &Check) {
    let payer = match c.payer_type.as_deref() {
        Some("insured_full_pay") => lang.pick(
            "医保患者（全额自付，待重新结算）",
            "insured (paid in full, to be re-settled)",
        ),
        Some("self_pay") => lang.pick("自费", "self-pay"),
        _ => lang.pick("付费类型未知", "payer type unknown"),
    };
    ui.label(
        egui::RichText::new(format!(
            "{}   {}   {}   {}",
            c.number,
            c.issued_at
                .get(..16)
                .unwrap_or(&c.issued_at)
                .replace('T', " "),
            c.total,
            payer
        ))
        .size(22.0)
        .strong(),
    );
    for n in &c.notes {
        ui.label(
            egui::RichText::new(n.text(lang))
                .size(16.0)
                .color(widgets::AMBER),
        );
    }
}

fn lines_ui(ui: &mut egui::Ui, lang: Lang, c: &Check, choices: &mut [Choice]) {
    egui::Grid::new("pharmacy_lines")
        .striped(true)
        .num_columns(6)
        .spacing([14.0, 6.0])
        .show(ui, |ui| {
            for h in [
                lang.pick("发", "Give"),
                lang.pick("行", "Line"),
                lang.pick("品名 规格", "Item"),
                lang.pick("数量", "Qty"),
                lang.pick("已发", "Given"),
                lang.pick("本次发", "Now"),
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for l in &c.lines {
                let choice = choices.iter_mut().find(|ch| ch.line == l.line);
                let drug = l.drug == Some(true);
                match (drug, choice) {
                    (true, Some(ch)) => {
                        ui.checkbox(
                            &mut ch.ticked,
                            lang.pick(&format!("第{}行", l.line), &format!("line {}", l.line)),
                        );
                    }
                    (true, None) if l.dispensed > Decimal::ZERO && l.to_dispense.is_zero() => {
                        ui.label(lang.pick("已发完", "done"));
                    }
                    (true, None) => {
                        ui.label(lang.pick("药品", "drug"));
                    }
                    (false, _) => {
                        ui.weak(match l.drug {
                            Some(false) => lang.pick("非药品", "not a drug"),
                            _ => lang.pick("未知", "unknown"),
                        });
                    }
                }
                ui.label(egui::RichText::new(l.line.to_string()).size(20.0));
                let what = match (&l.name, &l.problem) {
                    (Some(n), _) => format!(
                        "{n}  {}  [{}]",
                        l.spec.as_deref().unwrap_or(""),
                        l.category.as_deref().unwrap_or("")
                    ),
                    (None, Some(p)) => p.text(lang).to_string(),
                    (None, None) => l.code.clone(),
                };
                let text = egui::RichText::new(what).size(20.0);
                if drug {
                    ui.label(text.strong());
                } else if l.name.is_none() {
                    ui.label(text.color(RED));
                } else {
                    ui.label(text.weak());
                }
                ui.label(
                    egui::RichText::new(format!(
                        "{} {}",
                        l.qty.normalize(),
                        l.unit.as_deref().unwrap_or("")
                    ))
                    .size(20.0),
                );
                ui.label(egui::RichText::new(l.dispensed.normalize().to_string()).size(20.0));
                if let Some(ch) = choices.iter_mut().find(|ch| ch.line == l.line) {
                    let label = lang
                        .pick(
                            &format!("第{}行本次发药数量", l.line),
                            &format!("Quantity now, line {}", l.line),
                        )
                        .to_string();
                    ui.add(
                        egui::TextEdit::singleline(&mut ch.qty)
                            .id(egui::Id::unique(("pharmacy_qty", l.line)))
                            .desired_width(60.0)
                            .font(egui::FontId::proportional(20.0)),
                    )
                    .on_hover_text(&label)
                    .widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, &label));
                } else {
                    ui.label("");
                }
                ui.end_row();
            }
        });
}
