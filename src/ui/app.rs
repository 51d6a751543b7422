//! The application shell, in the manner of egui_demo_app's `wrap_app`: it
//! holds the open store, the session, the current [`Route`] and the
//! screens, draws the chrome around them, and applies what they asked for
//! once per frame, after drawing, so no database call runs inside a widget.
//!
//! Two kinds of screen live here. The shell's own (setup, login, browser,
//! price import, users, ranges) push a [`Command`]; screens of the contract
//! in [`super::screen`] (the cashier; pharmacy and finance plug in the same
//! way) return their own actions from `ui`, which the shell hands back to
//! their `apply` with a [`ScreenEnv`]. Hosting one takes a field in
//! [`Screens`], a `Route` variant (with its entry in `nav.rs`) and one
//! match arm in [`App::screen_ui`].

mod admin;
mod chrome;
mod hosted;
mod nav;
mod prices;
mod refresh;
mod session;

pub use hosted::Screens;
pub(crate) use nav::Command;
pub use nav::Route;

use super::browser::BrowserScreen;
use super::cashier::CashierScreen;
use super::finance::FinanceScreen;
use super::pharmacy::PharmacyScreen;

use super::login::LoginScreen;

use super::prices_admin::PricesAdminScreen;
use super::ranges::RangesScreen;
use super::sample::SampleList;
use super::setup::SetupScreen;
use super::status::StatusLine;
use super::users::UsersScreen;
use super::widgets;
use crate::auth::Session;
use crate::clock::Clock;
use crate::error::Failure;
use crate::i18n::{Lang, tr};
use crate::store::{DataDir, Store};
use crate::workflows::IdleCheckpoint;
use eframe::egui;
use hosted::{Deferred, host};
use session::IdleLock;
use std::sync::Arc;

pub struct App {
    lang: Lang,
    data_dir: DataDir,
    clock: Arc<dyn Clock>,
    store: Option<Store>,
    session: Option<Session>,
    lock: IdleLock,
    checkpoints: IdleCheckpoint,
    route: Route,
    status: StatusLine,
    failure: Option<Failure>,
    /// A success message (Chinese, English).
    notice: Option<(String, String)>,
    sample: Option<SampleList>,
    setup: SetupScreen,
    login: LoginScreen,
    browser: BrowserScreen,
    admin: PricesAdminScreen,
    users: UsersScreen,
    ranges: RangesScreen,
    screens: Screens,
    /// What `verify` found wrong at start (shown as a red banner).
    verify_problems: Vec<crate::verify::Problem>,
    /// The hold a failed verify put on issuing; the banner stays until an
    /// admin acknowledges it with a reason.
    verify_hold: Option<crate::verify::hold::Hold>,
    /// The reason typed into the banner.
    verify_reason: String,
    jobs: prices::Jobs,
    /// The widget with the cursor at the end of the last frame.
    last_focus: Option<egui::Id>,
}

impl App {
    /// Builds the shell for a data directory: the setup form when it holds
    /// no database yet, else the login screen. Installs the CJK font and the
    /// look.
    pub fn new(ctx: &egui::Context, data_dir: DataDir, lang: Lang, clock: Arc<dyn Clock>) -> App {
        super::fonts::install(ctx);
        // Cashier windows are bright rooms: a light theme, larger text.
        ctx.set_theme(egui::Theme::Light);
        ctx.all_styles_mut(|style| {
            for font in style.text_styles.values_mut() {
                font.size = (font.size * 1.15).round();
            }
        });
        let screens = Screens::new(&clock);
        let mut app = App {
            lang,
            data_dir,
            clock,
            store: None,
            session: None,
            lock: IdleLock::default(),
            checkpoints: IdleCheckpoint::default(),
            route: Route::Setup,
            status: StatusLine::default(),
            failure: None,
            notice: None,
            sample: None,
            setup: SetupScreen::new(),
            login: LoginScreen::default(),
            browser: BrowserScreen::default(),
            admin: PricesAdminScreen::default(),
            users: UsersScreen::default(),
            ranges: RangesScreen::default(),
            screens,
            verify_problems: Vec::new(),
            verify_hold: None,
            verify_reason: String::new(),
            jobs: prices::Jobs::default(),
            last_focus: None,
        };
        if app.data_dir.is_set_up() {
            app.route = Route::Login;
            app.open_store();
            app.start_verify(ctx);
        }
        app
    }

    /// True while the idle lock covers the screen.
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// What verify found at start.
    pub fn verify_problems(&self) -> &[crate::verify::Problem] {
        &self.verify_problems
    }

    /// The hold on issuing a failed verify put, until acknowledged.
    pub fn verify_hold(&self) -> Option<&crate::verify::hold::Hold> {
        self.verify_hold.as_ref()
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

    pub fn status(&self) -> &StatusLine {
        &self.status
    }

    /// True while any worker is running (tests wait on it).
    pub fn busy(&self) -> bool {
        self.jobs.busy() || self.screens.finance.busy()
    }

    /// The price browser's state (tests read its results).
    pub fn browser(&self) -> &BrowserScreen {
        &self.browser
    }

    pub fn prices_admin(&self) -> &PricesAdminScreen {
        &self.admin
    }

    pub fn cashier(&self) -> &CashierScreen {
        &self.screens.cashier
    }

    /// The finance screen's state (tests read its lists).
    pub fn finance(&self) -> &FinanceScreen {
        &self.screens.finance
    }

    /// The receipt history's state (tests read what it found).
    pub fn history(&self) -> &super::history::HistoryScreen {
        &self.screens.history
    }

    pub fn pharmacy(&self) -> &PharmacyScreen {
        &self.screens.pharmacy
    }

    pub fn ranges(&self) -> &RangesScreen {
        &self.ranges
    }

    fn today(&self) -> chrono::NaiveDate {
        self.clock.now().date_naive()
    }

    fn apply(&mut self, ctx: &egui::Context, cmd: Command) {
        use crate::auth::users;
        match cmd {
            Command::SetLang(lang) => {
                self.lang = lang;
                let title = tr(lang, "app.title").to_string();
                ctx.send_viewport_cmd(egui::ViewportCommand::Title(title));
            }
            Command::Setup(params) => self.run_setup(params),
            Command::ImportSample => self.import_sample(ctx),
            Command::SkipSample => self.enter_home(ctx),
            Command::Login { user, pin } => {
                if self.login_session(&user, &pin) {
                    self.enter_home(ctx);
                }
            }
            Command::Logout => {
                self.lock.release();
                self.session = None;
                // The key stays in memory only during a session.
                crate::keys::wrap::release(self.data_dir.root());
                self.screens = Screens::new(&self.clock);
                (self.notice, self.failure) = (None, None);
                self.login.reset();
                self.admin = PricesAdminScreen::default();
                self.ranges = RangesScreen::default();
                self.route = Route::Login;
                self.refresh_status();
            }
            Command::Go(route) => {
                if self.session.as_ref().is_some_and(|s| route.allowed(s)) {
                    // A message belongs to the screen it came from.
                    if route != self.route {
                        (self.notice, self.failure) = (None, None);
                    }
                    self.route = route;
                    if route.needs_index() {
                        self.ensure_index(ctx);
                    }
                    self.entered(ctx);
                }
            }
            Command::BrowseSnapshot(id) => self.load_index(ctx, id),
            Command::PreviewPrices(path) => self.preview_prices(ctx, path, None),
            Command::RecheckPrices(month) => self.recheck_prices(ctx, &month),
            Command::ImportPrices => self.import_prices(ctx),
            Command::UserAdd { name, roles, pin } => self.user_op(|store, session, clock| {
                users::add_user(store, session, clock, &name, &roles, &pin)
            }),
            Command::UserSetRoles { name, roles } => self.user_op(|store, session, clock| {
                users::set_roles(store, session, clock, &name, &roles)
            }),
            Command::UserResetPin { name, pin } => self.user_op(|store, session, clock| {
                users::reset_pin(store, session, clock, &name, &pin)
            }),
            Command::UserSetDisabled { name, disabled } => self.user_op(|store, session, clock| {
                users::set_access(store, session, clock, &name, session::access(disabled))
            }),
            Command::RangeAdd { terminal, from, to } => self.range_add(&terminal, &from, &to),
            Command::Unlock(pin) => self.unlock(ctx, &pin),
            Command::AcknowledgeVerify(reason) => self.acknowledge_verify(&reason),
            Command::DismissFailure => self.failure = None,
            Command::DismissNotice => self.notice = None,
        }
    }

    /// An admin acknowledges the failed verify with a reason: audited, the
    /// hold on issuing lifted, the banner gone.
    fn acknowledge_verify(&mut self, reason: &str) {
        let (Some(store), Some(session)) = (self.store.as_mut(), &self.session) else {
            return;
        };
        match crate::verify::hold::acknowledge(store, session, self.clock.as_ref(), reason) {
            Ok(ack) => {
                self.verify_problems.clear();
                self.verify_hold = None;
                self.verify_reason.clear();
                self.failure = None;
                self.notice = Some((
                    format!("已确认 {} 个校验问题，恢复开票", ack.problems),
                    format!(
                        "{} verify problem(s) acknowledged; issuing resumes",
                        ack.problems
                    ),
                ));
            }
            Err(crate::verify::hold::HoldError::NothingHeld) => {
                self.verify_problems.clear();
                self.verify_reason.clear();
            }
            Err(e) => self.failure = Some(e.into()),
        }
    }

    /// Draws the screen of the current route: the shell's own push
    /// commands, hosted screens return actions kept for after the frame.
    fn screen_ui(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) -> Option<Deferred> {
        let lang = self.lang;
        match self.route {
            Route::Setup => self.setup.ui(ui, lang, false, cmds),
            Route::OfferSample => self.offer_sample_ui(ui, cmds),
            Route::Login => {
                let can_login = self.store.is_some();
                (self.login).ui(ui, lang, &self.status.hospital, can_login, cmds);
            }
            Route::Cashier => {
                return host(self.screens.cashier.ui(ui, lang), |s, a, env| {
                    s.cashier.apply(a, env)
                });
            }
            Route::History => {
                return host(self.screens.history.ui(ui, lang), |s, a, env| {
                    s.history.apply(a, env)
                });
            }
            Route::Settings => {
                return host(self.screens.settings.ui(ui, lang), |s, a, env| {
                    s.settings.apply(a, env)
                });
            }
            Route::Pharmacy => {
                return host(self.screens.pharmacy.ui(ui, lang), |s, a, env| {
                    s.pharmacy.apply(a, env)
                });
            }
            Route::Finance => {
                return host(self.screens.finance.ui(ui, lang), |s, a, env| {
                    s.finance.apply(a, env)
                });
            }
            Route::PriceBrowser => self.browser.ui(ui, lang, cmds),
            Route::AdminPrices => self.admin.ui(ui, lang, cmds),
            Route::Users => self.users.ui(ui, lang, cmds),
            Route::Ranges => self.ranges.ui(ui, lang, cmds),
        }
        None
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        super::trace_startup(&ctx);
        self.poll_jobs(&ctx);
        let (now, active) = self.lock.track(&ctx, self.session.is_some());
        if active {
            self.checkpoints.input(now);
        }
        if let Some(store) = &self.store
            && let Some(wait) = self.checkpoints.tick(store, now)
        {
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(wait.max(0.1)));
        }
        // The status bar's clock: the episode's duration ticks on its own,
        // not only after an action.
        if self.session.is_some() {
            self.status.now = Some(self.clock.now());
            if self.status.episode.is_some() {
                ctx.request_repaint_after(std::time::Duration::from_secs(15));
            }
        }
        let lang = self.lang;
        let mut cmds = Vec::new();
        let mut hosted = None;
        // Where the cursor was last frame: Esc on a message gives it back
        // there (egui drops the focus on Esc before the frame is drawn).
        let focused = self.last_focus;
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar(ui, &mut cmds));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status.ui(ui, lang));
        egui::CentralPanel::default().show(ui, |ui| {
            if !self.verify_problems.is_empty() || self.verify_hold.is_some() {
                let is_admin = self
                    .session
                    .as_ref()
                    .is_some_and(|s| s.has(crate::auth::Role::Admin));
                if let Some(reason) = chrome::verify_banner(
                    ui,
                    lang,
                    &self.verify_problems,
                    self.verify_hold.as_ref(),
                    is_admin,
                    &mut self.verify_reason,
                ) {
                    cmds.push(Command::AcknowledgeVerify(reason));
                }
            }
            if let Some(f) = &self.failure
                && widgets::failure_banner(ui, lang, f, tr(lang, "common.close"))
                && !self.lock.locked()
            {
                cmds.push(Command::DismissFailure);
            }
            if self.lock.locked() {
                // The screens keep their state underneath; only the PIN
                // of the same person opens them again.
                let user = self.session.as_ref().map(|s| s.user().to_string());
                self.lock.ui(ui, lang, &user.unwrap_or_default(), &mut cmds);
                return;
            }
            if let Some((zh, en)) = &self.notice
                && widgets::notice_banner(ui, lang.pick(zh, en), tr(lang, "common.close"))
            {
                cmds.push(Command::DismissNotice);
            }
            hosted = self.screen_ui(ui, &mut cmds);
            // Esc closes the message when the screen did not use it (a
            // dialog or a field takes it first).
            if (self.failure.is_some() || self.notice.is_some())
                && !self.lock.locked()
                && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape))
            {
                (self.notice, self.failure) = (None, None);
                if let Some(id) = focused {
                    ui.memory_mut(|m| m.request_focus(id));
                }
            }
        });
        self.last_focus = ctx.memory(|m| m.focused());
        if let Some(run) = hosted {
            self.run_hosted(&ctx, run);
        }
        for cmd in cmds {
            self.apply(&ctx, cmd);
        }
    }

    /// At exit: a backup when anything was written, and the WAL folded in.
    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Some(store) = &mut self.store {
            let wrote = session::since_open(&self.checkpoints);
            if let Err(f) = crate::workflows::at_exit(store, self.clock.as_ref(), wrote) {
                tracing::warn!("at exit: {}", f.en);
            }
        }
    }
}
