//! Settings (设置), for an admin: every setting `settings set` can change —
//! print command and layout, backup folder, how many backups are kept and
//! when they are taken, idle lock, lock-out, the shift variance limit —
//! checked by the same rules (`settings::SettingSpec::check`, then
//! `settings::set`, audited). A test print sends a test page through the
//! print command as typed; a test backup writes a real backup into the
//! folder as typed. The folder picker is a convenience: the path can
//! always be typed, and is when the desktop has no file dialog service.
//!
//! Keyboard: Tab walks the fields, Ctrl+S saves, Ctrl+P test print,
//! Ctrl+B test backup. The screen follows the contract of
//! [`crate::ui::screen`].

use crate::error::{ErrorKind, Failure};
use crate::i18n::Lang;
use crate::settings::{self, KNOWN, SettingKind, SettingSpec};
use crate::ui::cashier::Feedback;
use crate::ui::screen::ScreenEnv;
use eframe::egui;

/// What the admin asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingsAction {
    /// Read the values in force (entering the screen).
    Load,
    /// Save every changed value: all are checked first, none is saved
    /// when one is refused.
    Save(Vec<(String, String)>),
    /// A test page through this print command and layout.
    TestPrint { command: String, layout: String },
    /// A backup into this folder (empty: the configured one).
    TestBackup(String),
}

#[derive(Default)]
pub struct SettingsScreen {
    /// (key, value in force, value as typed), in the order of [`KNOWN`].
    rows: Vec<(String, String, String)>,
    focus: Option<String>,
    feedback: Vec<Feedback>,
    /// A note under the form (the picker found no dialog service).
    note: Option<(String, String)>,
}

/// The field's label: short, in the user's words.
fn label(spec: &SettingSpec, lang: Lang) -> &'static str {
    match spec.key {
        settings::PRINT_COMMAND => lang.pick("打印命令", "Print command"),
        settings::PRINT_LAYOUT => lang.pick("票据版式", "Receipt layout"),
        settings::BACKUP_DIR => lang.pick("备份文件夹", "Backup folder"),
        settings::BACKUP_KEEP => lang.pick("保留备份个数", "Backups kept"),
        settings::BACKUP_EVERY_RECEIPTS => lang.pick("每多少张票据备份", "Backup every N receipts"),
        settings::BACKUP_MAX_AGE_HOURS => {
            lang.pick("备份过期（小时）", "Backup too old after (hours)")
        }
        settings::IDLE_LOCK_MINUTES => lang.pick("无操作锁屏（分钟）", "Idle lock (minutes)"),
        settings::LOCKOUT_MINUTES => lang.pick("输错 PIN 锁定（分钟）", "Lock-out (minutes)"),
        settings::SHIFT_VARIANCE_LIMIT => {
            lang.pick("交班差额限额（元）", "Shift variance limit (yuan)")
        }
        _ => lang.pick(spec.zh, spec.en),
    }
}

fn field_id(key: &str) -> egui::Id {
    egui::Id::unique(("setting", key))
}

impl SettingsScreen {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn take_feedback(&mut self) -> Vec<Feedback> {
        std::mem::take(&mut self.feedback)
    }

    /// The value typed for `key`.
    fn typed(&self, key: &str) -> String {
        self.rows
            .iter()
            .find(|(k, ..)| k == key)
            .map(|(.., t)| t.clone())
            .unwrap_or_default()
    }

    fn changed(&self) -> Vec<(String, String)> {
        self.rows
            .iter()
            .filter(|(_, was, now)| was != now)
            .map(|(k, _, now)| (k.clone(), now.clone()))
            .collect()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Vec<SettingsAction> {
        let mut acts = Vec::new();
        let ctrl =
            |ui: &mut egui::Ui, key| ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, key));
        let (save, print, backup) = (
            ctrl(ui, egui::Key::S),
            ctrl(ui, egui::Key::P),
            ctrl(ui, egui::Key::B),
        );
        ui.heading(lang.pick("设置", "Settings"));
        ui.add(
            egui::Label::new(
                egui::RichText::new(lang.pick(
                    "Tab 在各项之间移动；Ctrl+S 保存  Ctrl+P 测试打印  Ctrl+B 测试备份",
                    "Tab walks the fields; Ctrl+S saves  Ctrl+P test print  Ctrl+B test backup",
                ))
                .weak(),
            )
            .truncate(),
        );
        let mut pick_folder = false;
        egui::ScrollArea::vertical()
            .max_height((ui.available_height() - 60.0).max(120.0))
            .show(ui, |ui| {
                egui::Grid::new("settings_form")
                    .num_columns(3)
                    .spacing([10.0, 8.0])
                    .show(ui, |ui| {
                        for spec in KNOWN {
                            let Some(row) = self.rows.iter_mut().find(|(k, ..)| k == spec.key)
                            else {
                                continue;
                            };
                            let l = ui.label(label(spec, lang));
                            match spec.kind {
                                SettingKind::Choice(words) => {
                                    ui.horizontal(|ui| {
                                        for w in words {
                                            ui.selectable_value(&mut row.2, w.to_string(), *w)
                                                .labelled_by(l.id);
                                        }
                                    });
                                }
                                _ => {
                                    let width = match spec.kind {
                                        SettingKind::Command | SettingKind::Folder => 360.0,
                                        _ => 90.0,
                                    };
                                    ui.horizontal(|ui| {
                                        ui.add(
                                            egui::TextEdit::singleline(&mut row.2)
                                                .id(field_id(spec.key))
                                                .desired_width(width),
                                        )
                                        .labelled_by(l.id);
                                        if spec.kind == SettingKind::Folder
                                            && ui
                                                .button(lang.pick("选择…", "Choose…"))
                                                .on_hover_text(lang.pick(
                                                    "没有文件对话框时，直接在框中输入路径",
                                                    "Without a file dialog, type the path in the box",
                                                ))
                                                .clicked()
                                        {
                                            pick_folder = true;
                                        }
                                    });
                                }
                            }
                            let desc = lang.pick(spec.zh, spec.en);
                            ui.add(egui::Label::new(egui::RichText::new(desc).weak()).truncate());
                            ui.end_row();
                        }
                    });
            });
        if pick_folder {
            self.pick_backup_folder();
        }
        if let Some((zh, en)) = &self.note {
            ui.colored_label(crate::ui::widgets::AMBER, lang.pick(zh, en));
        }
        ui.horizontal(|ui| {
            let changed = !self.changed().is_empty();
            if ui
                .add_enabled(
                    changed,
                    egui::Button::new(lang.pick("保存 (Ctrl+S)", "Save (Ctrl+S)")),
                )
                .clicked()
                || (save && changed)
            {
                acts.push(SettingsAction::Save(self.changed()));
            }
            if ui
                .button(lang.pick("测试打印 (Ctrl+P)", "Test print (Ctrl+P)"))
                .clicked()
                || print
            {
                acts.push(SettingsAction::TestPrint {
                    command: self.typed(settings::PRINT_COMMAND),
                    layout: self.typed(settings::PRINT_LAYOUT),
                });
            }
            if ui
                .button(lang.pick("测试备份 (Ctrl+B)", "Test backup (Ctrl+B)"))
                .clicked()
                || backup
            {
                acts.push(SettingsAction::TestBackup(self.typed(settings::BACKUP_DIR)));
            }
        });
        if let Some(key) = self.focus.take() {
            ui.memory_mut(|m| m.request_focus(field_id(&key)));
        }
        acts
    }

    /// The desktop's folder dialog; without one (no portal service) the
    /// path is typed, and the screen says so.
    fn pick_backup_folder(&mut self) {
        match rfd::FileDialog::new().pick_folder() {
            Some(p) => {
                if let Some(row) = self
                    .rows
                    .iter_mut()
                    .find(|(k, ..)| k == settings::BACKUP_DIR)
                {
                    row.2 = p.display().to_string();
                }
                self.note = None;
            }
            None => {
                self.note = Some((
                    "未选择文件夹。若没有弹出选择窗口（本机没有文件对话框服务），请直接在“备份文件夹”框中输入完整路径。".into(),
                    "No folder chosen. If no window opened (this desktop has no file dialog service), type the full path in the Backup folder box.".into(),
                ));
                self.focus = Some(settings::BACKUP_DIR.to_string());
            }
        }
    }

    fn fail(&mut self, f: impl Into<Failure>) {
        self.feedback.push(Feedback::Failure(f.into()));
    }

    fn notice(&mut self, zh: String, en: String) {
        self.feedback.push(Feedback::Notice(zh, en));
    }

    fn load(&mut self, env: &ScreenEnv<'_>) {
        let mut rows = Vec::new();
        for spec in KNOWN {
            match settings::value(env.store.conn(), spec.key) {
                Ok(v) => rows.push((spec.key.to_string(), v.clone(), v)),
                Err(e) => return self.fail(Failure::from(crate::auth::AuthError::from(e))),
            }
        }
        self.rows = rows;
    }

    pub fn apply(&mut self, action: SettingsAction, env: &mut ScreenEnv<'_>) {
        match action {
            SettingsAction::Load => self.load(env),
            SettingsAction::Save(changes) => self.save(env, &changes),
            SettingsAction::TestPrint { command, layout } => {
                self.test_print(env, &command, &layout)
            }
            SettingsAction::TestBackup(dir) => self.test_backup(env, &dir),
        }
    }

    /// The setting's refusal, named by its label; the cursor goes to it.
    fn refused(&mut self, key: &str, e: crate::auth::AuthError) {
        let f = Failure::from(e);
        let spec = settings::spec(key);
        let (zh, en) = match spec {
            Some(s) => (label(s, Lang::Zh), label(s, Lang::En)),
            None => (key, key),
        };
        self.focus = Some(key.to_string());
        self.fail(Failure {
            zh: format!("{zh}：{}", f.zh),
            en: format!("{en}: {}", f.en),
            ..f
        });
    }

    fn save(&mut self, env: &mut ScreenEnv<'_>, changes: &[(String, String)]) {
        // Every value checked before any is written.
        for (key, value) in changes {
            let Some(spec) = settings::spec(key) else {
                continue;
            };
            if let Err(e) = spec.check(value) {
                return self.refused(key, e);
            }
        }
        for (key, value) in changes {
            if let Err(e) = settings::set(env.store, env.session, env.clock, key, value) {
                return self.refused(key, e);
            }
        }
        self.load(env);
        let names: Vec<&str> = changes
            .iter()
            .filter_map(|(k, _)| settings::spec(k))
            .map(|s| label(s, env.lang))
            .collect();
        self.notice(
            format!("已保存：{}", names.join("、")),
            format!("Saved: {}", names.join(", ")),
        );
    }

    fn test_print(&mut self, env: &ScreenEnv<'_>, command: &str, layout: &str) {
        for (key, value) in [
            (settings::PRINT_COMMAND, command),
            (settings::PRINT_LAYOUT, layout),
        ] {
            if let Some(spec) = settings::spec(key)
                && let Err(e) = spec.check(value)
            {
                return self.refused(key, e);
            }
        }
        let layout: crate::print::Layout = layout.parse().unwrap_or_default();
        let hospital = settings::hospital_name(env.store.conn()).unwrap_or_default();
        let now = env.clock.now();
        let doc = crate::print::ReceiptDoc {
            hospital,
            title: "打印测试页（非票据） TEST PAGE".into(),
            number: "TEST".into(),
            issued_at: now.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
            terminal: env.session.terminal().to_string(),
            cashier: env.session.user().to_string(),
            patient: "—".into(),
            payer: "—".into(),
            lines: vec![crate::print::DocLine {
                name: "测试项目 中文字体".into(),
                spec: "1 盒".into(),
                unit: "盒".into(),
                qty: "1".into(),
                unit_price: "0.00".into(),
                amount: "0.00".into(),
            }],
            total: "0.00".into(),
            total_in_words: "人民币零元整".into(),
            deadline_note: "本页仅用于检查打印机，不是票据".into(),
            qr_payload: "TEST-PAGE".into(),
            watermark: Some("测试 TEST".into()),
            ..Default::default()
        };
        let bytes = match crate::print::render(&doc, layout) {
            Ok(b) => b,
            Err(e) => return self.fail(Failure::from(e)),
        };
        let dir = env.data_dir.receipts_dir();
        let path = dir.join("test-page.pdf");
        if let Err(e) = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, bytes)) {
            return self.fail(Failure::new(
                ErrorKind::Internal,
                format!("无法写入测试页 {}：{e}", path.display()),
                format!("cannot write the test page {}: {e}", path.display()),
            ));
        }
        let command = command.trim();
        match crate::print::deliver(&path, (!command.is_empty()).then_some(command)) {
            Ok(crate::print::Delivery::Sent { argv, .. }) => self.notice(
                format!("测试页已交给打印命令：{}", argv.join(" ")),
                format!("Test page handed to the print command: {}", argv.join(" ")),
            ),
            Ok(crate::print::Delivery::Saved { path }) => self.notice(
                format!(
                    "未设置打印命令，没有打印：测试页 PDF 已保存在 {}",
                    path.display()
                ),
                format!(
                    "No print command set, nothing printed: the test page PDF is saved at {}",
                    path.display()
                ),
            ),
            Err(e) => self.fail(Failure::from(e)),
        }
    }

    fn test_backup(&mut self, env: &mut ScreenEnv<'_>, dir: &str) {
        if let Some(spec) = settings::spec(settings::BACKUP_DIR)
            && let Err(e) = spec.check(dir)
        {
            return self.refused(settings::BACKUP_DIR, e);
        }
        let dir = dir.trim();
        let target = (!dir.is_empty()).then(|| std::path::PathBuf::from(dir));
        match crate::backup::backup_to(env.store, env.session, env.clock, target.as_deref()) {
            Ok(b) => self.notice(
                format!("测试备份成功：{}", b.file.display()),
                format!("Test backup written: {}", b.file.display()),
            ),
            Err(e) => self.fail(Failure::from(e)),
        }
    }
}
