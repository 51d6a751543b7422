//! The application shell: one [`App`] holding the open store, the session,
//! the current [`Route`] and each screen's state. Screens never touch the
//! database; they push [`Command`]s, which the app applies once per frame
//! after drawing (the pattern of egui_demo_app's `wrap_app`).

use super::login::LoginScreen;
use super::setup::SetupScreen;
use super::status::StatusLine;
use super::widgets;
use crate::auth::{self, Role, Session};
use crate::clock::Clock;
use crate::error::Failure;
use crate::i18n::{Lang, tr};
use crate::setup::SetupParams;
use crate::store::{DataDir, Store};
use eframe::egui;
use std::sync::Arc;

/// Which screen is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Setup,
    Login,
    Home,
}

/// What a screen asks the app to do; applied after the frame is drawn.
#[derive(Debug)]
pub enum Command {
    SetLang(Lang),
    Setup(SetupParams),
    Login { user: String, pin: String },
    Logout,
    Go(Route),
    DismissFailure,
    DismissNotice,
}

pub struct App {
    lang: Lang,
    data_dir: DataDir,
    clock: Arc<dyn Clock>,
    store: Option<Store>,
    session: Option<Session>,
    route: Route,
    status: StatusLine,
    hospital: String,
    failure: Option<Failure>,
    /// A success message (Chinese, English).
    notice: Option<(String, String)>,
    setup: SetupScreen,
    login: LoginScreen,
}

impl App {
    /// Builds the shell for a data directory: the setup form when it holds
    /// no database yet, else the login screen. Installs the CJK font.
    pub fn new(ctx: &egui::Context, data_dir: DataDir, lang: Lang, clock: Arc<dyn Clock>) -> App {
        super::fonts::install(ctx);
        let mut app = App {
            lang,
            data_dir,
            clock,
            store: None,
            session: None,
            route: Route::Setup,
            status: StatusLine::default(),
            hospital: String::new(),
            failure: None,
            notice: None,
            setup: SetupScreen::new(),
            login: LoginScreen::default(),
        };
        if app.data_dir.is_set_up() {
            app.route = Route::Login;
            app.open_store();
        }
        app
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn route(&self) -> Route {
        self.route
    }

    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    pub fn failure(&self) -> Option<&Failure> {
        self.failure.as_ref()
    }

    fn open_store(&mut self) {
        match Store::open(&self.data_dir) {
            Ok(store) => {
                self.store = Some(store);
                self.refresh_status();
            }
            Err(e) => self.failure = Some(e.into()),
        }
    }

    /// Re-reads what the status bar shows; called after anything that may
    /// change it, never from inside a widget.
    fn refresh_status(&mut self) {
        let Some(store) = &self.store else {
            self.status = StatusLine::default();
            return;
        };
        match StatusLine::read(store, self.session.as_ref(), self.clock.as_ref()) {
            Ok(s) => {
                self.hospital = s.hospital.clone();
                self.status = s;
            }
            Err(f) => self.failure = Some(f),
        }
    }

    fn apply(&mut self, ctx: &egui::Context, cmd: Command) {
        match cmd {
            Command::SetLang(lang) => {
                self.lang = lang;
                ctx.send_viewport_cmd(egui::ViewportCommand::Title(
                    tr(lang, "app.title").to_string(),
                ));
            }
            Command::Setup(params) => self.run_setup(params),
            Command::Login { user, pin } => self.run_login(&user, &pin),
            Command::Logout => {
                self.session = None;
                self.login.reset();
                self.route = Route::Login;
                self.refresh_status();
            }
            Command::Go(route) => {
                if self.session.is_some() {
                    self.route = route;
                }
            }
            Command::DismissFailure => self.failure = None,
            Command::DismissNotice => self.notice = None,
        }
    }

    fn run_setup(&mut self, params: SetupParams) {
        let pin = params.admin_pin.clone();
        let admin = params.admin.clone();
        match crate::setup::setup(&self.data_dir, &params, self.clock.as_ref()) {
            Ok(report) => {
                self.setup.clear_pins();
                self.failure = None;
                self.notice = Some((
                    format!(
                        "已完成初始设置：终端 {}，医院 {}，管理员 {}",
                        report.terminal, report.hospital, report.admin
                    ),
                    format!(
                        "Set up: terminal {}, hospital {}, admin {}",
                        report.terminal, report.hospital, report.admin
                    ),
                ));
                self.open_store();
                self.route = Route::Login;
                // The admin just chose this PIN: log them in rather than
                // asking for it again a second later.
                self.run_login(&admin, &pin);
            }
            Err(e) => self.failure = Some(e.into()),
        }
    }

    fn run_login(&mut self, user: &str, pin: &str) {
        let Some(store) = self.store.as_mut() else {
            return;
        };
        let terminal = match crate::setup::terminal_code(store) {
            Ok(t) => t,
            Err(e) => {
                self.failure = Some(e.into());
                return;
            }
        };
        match auth::login(store.conn_mut(), user, pin, &terminal, self.clock.as_ref()) {
            Ok(session) => {
                tracing::info!(user = %session.user, "logged in");
                self.session = Some(session);
                self.failure = None;
                self.route = Route::Home;
                self.refresh_status();
            }
            Err(e) => self.failure = Some(e.into()),
        }
    }

    fn top_bar(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        let lang = self.lang;
        ui.horizontal(|ui| {
            ui.strong(tr(lang, "app.title"));
            ui.separator();
            if let Some(session) = &self.session {
                let mut nav = |ui: &mut egui::Ui, route: Route, key: &str| {
                    if ui
                        .selectable_label(self.route == route, tr(lang, key))
                        .clicked()
                    {
                        cmds.push(Command::Go(route));
                    }
                };
                nav(ui, Route::Home, "nav.home");
                let _ = session.has(Role::Admin);
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if self.session.is_some() && ui.button(tr(lang, "nav.logout")).clicked() {
                    cmds.push(Command::Logout);
                }
                // The language switch is always on screen, whatever the route.
                let mut chosen = lang;
                ui.selectable_value(&mut chosen, Lang::En, "English");
                ui.selectable_value(&mut chosen, Lang::Zh, "中文");
                if chosen != lang {
                    cmds.push(Command::SetLang(chosen));
                }
            });
        });
    }

    fn home_ui(&self, ui: &mut egui::Ui) {
        let lang = self.lang;
        if let Some(session) = &self.session {
            ui.heading(format!("{} {}", tr(lang, "home.welcome"), session.user));
            let roles: Vec<&str> = session.roles.iter().map(|r| r.label(lang)).collect();
            ui.label(format!("{}: {}", tr(lang, "home.roles"), roles.join(", ")));
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let lang = self.lang;
        let mut cmds = Vec::new();
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar(ui, &mut cmds));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status.ui(ui, lang));
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(f) = &self.failure
                && widgets::failure_banner(ui, lang, f, tr(lang, "common.close"))
            {
                cmds.push(Command::DismissFailure);
            }
            if let Some((zh, en)) = &self.notice
                && widgets::notice_banner(ui, lang.pick(zh, en), tr(lang, "common.close"))
            {
                cmds.push(Command::DismissNotice);
            }
            match self.route {
                Route::Setup => self.setup.ui(ui, lang, false, &mut cmds),
                Route::Login => {
                    let can_login = self.store.is_some();
                    self.login
                        .ui(ui, lang, &self.hospital, can_login, &mut cmds);
                }
                Route::Home => self.home_ui(ui),
            }
        });
        let ctx = ui.ctx().clone();
        for cmd in cmds {
            self.apply(&ctx, cmd);
        }
    }
}
