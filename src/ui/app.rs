//! The application shell: one [`App`] holding the open store, the session,
//! the current [`Route`] and each screen's state. Screens never touch the
//! database; they push [`Command`]s, which the app applies once per frame
//! after drawing (the pattern of egui_demo_app's `wrap_app`). Work that can
//! take long (checking and importing a list, indexing a month) runs on
//! worker threads, each opening its own connection.

use super::browser::BrowserScreen;
use super::cashier::{self, CashierScreen, LastReceipt};
use super::jobs::{Job, Poll};
use super::login::LoginScreen;
use super::prices_admin::{self, PricesAdminScreen};
use super::ranges::RangesScreen;
use super::sample::{self, SampleList};
use super::setup::SetupScreen;
use super::status::StatusLine;
use super::users::UsersScreen;
use super::widgets;
use crate::auth::{self, Role, Session};
use crate::clock::Clock;
use crate::domain::Month;
use crate::error::{ErrorKind, Failure};
use crate::i18n::{Lang, tr};
use crate::keys::SigningKey;
use crate::prices::search::SearchIndex;
use crate::prices::{self, ImportOutcome, ImportProgress, ImportReport, ImportStage};
use crate::setup::SetupParams;
use crate::store::{DataDir, Store};
use eframe::egui;
use std::path::PathBuf;
use std::sync::Arc;

/// Which screen is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Setup,
    /// Right after setup: offer the sample price list.
    OfferSample,
    Login,
    Cashier,
    PriceBrowser,
    AdminPrices,
    Users,
    /// Receipt books (number ranges) of this terminal; admin only.
    Ranges,
    /// The finance station: journals, exchange desk, deadlines, reconciliation.
    Finance,
}

/// What a screen asks the app to do; applied after the frame is drawn.
#[derive(Debug)]
pub enum Command {
    SetLang(Lang),
    Setup(SetupParams),
    ImportSample,
    SkipSample,
    Login {
        user: String,
        pin: String,
    },
    Logout,
    Go(Route),
    BrowseSnapshot(i64),
    PreviewPrices(PathBuf),
    RecheckPrices(String),
    ImportPrices,
    OpenEpisode {
        level: String,
        reason: String,
        drill: bool,
    },
    /// The cashier's lines changed: price them again.
    CashierTotal,
    CashierSettle,
    CashierPrint,
    CashierVoid {
        number: String,
        reason: String,
        supervisor: String,
        pin: String,
    },
    CashierReprint(String),
    CashierShiftClose {
        cash: String,
        supervisor: String,
        pin: String,
    },
    UserAdd {
        name: String,
        roles: Vec<Role>,
        pin: String,
    },
    UserSetRoles {
        name: String,
        roles: Vec<Role>,
    },
    UserResetPin {
        name: String,
        pin: String,
    },
    UserSetDisabled {
        name: String,
        disabled: bool,
    },
    /// Add a receipt book; the numbers as typed (checked when applied).
    RangeAdd {
        terminal: String,
        from: String,
        to: String,
    },
    /// The PIN typed on the idle-lock screen.
    Unlock(String),
    DismissFailure,
    DismissNotice,
    DismissVerify,
}

type Outcome<T> = Result<T, Failure>;

/// Work running off the UI thread.
#[derive(Default)]
struct Jobs {
    index: Option<(i64, Job<Outcome<SearchIndex>>)>,
    preview: Option<Job<Outcome<prices_admin::Preview>>>,
    verify: Option<Job<Outcome<crate::verify::Report>>>,
    import: Option<Job<Outcome<ImportReport>>>,
}

pub struct App {
    lang: Lang,
    data_dir: DataDir,
    clock: Arc<dyn Clock>,
    store: Option<Store>,
    session: Option<Session>,
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
    cashier: CashierScreen,
    users: UsersScreen,
    ranges: RangesScreen,
    finance: super::finance::FinanceScreen,
    /// What `verify` found wrong at start (shown as a red banner).
    verify_problems: Vec<crate::verify::Problem>,
    /// Idle lock: when the person last touched the window (egui input
    /// time, seconds), whether the screen is locked, and the PIN typed.
    last_activity: f64,
    locked: bool,
    unlock_pin: String,
    lock_focus: bool,
    idle_lock_secs: f64,
    /// The hospital key receipts are signed with, loaded at login.
    key: Option<SigningKey>,
    jobs: Jobs,
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
        let mut app = App {
            lang,
            data_dir,
            clock,
            store: None,
            session: None,
            route: Route::Setup,
            status: StatusLine::default(),
            failure: None,
            notice: None,
            sample: None,
            setup: SetupScreen::new(),
            login: LoginScreen::default(),
            browser: BrowserScreen::default(),
            admin: PricesAdminScreen::default(),
            cashier: CashierScreen::new(),
            users: UsersScreen::default(),
            ranges: RangesScreen::default(),
            finance: super::finance::FinanceScreen::new(),
            verify_problems: Vec::new(),
            last_activity: 0.0,
            locked: false,
            unlock_pin: String::new(),
            lock_focus: false,
            idle_lock_secs: 300.0,
            key: None,
            jobs: Jobs::default(),
        };
        if app.data_dir.is_set_up() {
            app.route = Route::Login;
            app.open_store();
            app.start_verify(ctx);
        }
        app
    }

    /// Runs `verify` off the UI thread at start; anything wrong becomes a
    /// red banner naming each record.
    fn start_verify(&mut self, ctx: &egui::Context) {
        if self.store.is_none() {
            return;
        }
        let data_dir = self.data_dir.clone();
        self.jobs.verify = Some(Job::spawn(ctx, move |_| {
            let store = Store::open(&data_dir)?;
            Ok(crate::verify::run(&store)?)
        }));
    }

    /// True while the idle lock covers the screen.
    pub fn locked(&self) -> bool {
        self.locked
    }

    /// What verify found at start.
    pub fn verify_problems(&self) -> &[crate::verify::Problem] {
        &self.verify_problems
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
        self.jobs.index.is_some()
            || self.jobs.preview.is_some()
            || self.jobs.import.is_some()
            || self.jobs.verify.is_some()
            || self.finance.busy()
    }

    /// The finance screen's state (tests read its lists).
    pub fn finance(&self) -> &super::finance::FinanceScreen {
        &self.finance
    }

    /// The price browser's state (tests read its results).
    pub fn browser(&self) -> &BrowserScreen {
        &self.browser
    }

    pub fn prices_admin(&self) -> &PricesAdminScreen {
        &self.admin
    }

    pub fn cashier(&self) -> &CashierScreen {
        &self.cashier
    }

    pub fn ranges(&self) -> &RangesScreen {
        &self.ranges
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

    fn today(&self) -> chrono::NaiveDate {
        self.clock.now().date_naive()
    }

    /// Re-reads what the status bar and the snapshot lists show; called
    /// after anything that may change them, never from inside a widget.
    fn refresh_status(&mut self) {
        let Some(store) = &self.store else {
            self.status = StatusLine::default();
            return;
        };
        match StatusLine::read(store, self.session.as_ref(), self.clock.as_ref()) {
            Ok(s) => self.status = s,
            Err(f) => self.failure = Some(f),
        }
        self.ranges.set_terminal(&self.status.terminal);
        match crate::auth::settings::idle_lock_minutes(store.conn()) {
            Ok(m) => self.idle_lock_secs = f64::from(m) * 60.0,
            Err(e) => self.failure = Some(e.into()),
        }
        if let Some(session) = &self.session {
            if session.has(Role::Admin) {
                match crate::auth::users::list_users(store.conn(), session) {
                    Ok(users) => {
                        self.users.users = users;
                    }
                    Err(e) => self.failure = Some(e.into()),
                }
                match crate::receipts::ranges::list(store.conn(), &self.status.terminal) {
                    Ok(list) => self.ranges.ranges = list,
                    Err(e) => self.failure = Some(e.into()),
                }
            }
            match cashier_context(store, session) {
                Ok((ctx, recent)) => {
                    self.cashier.ctx = ctx;
                    self.cashier.recent = recent;
                }
                Err(f) => self.failure = Some(f),
            }
        }
        match prices::snapshots(store.conn()) {
            Ok(mut list) => {
                list.reverse();
                self.browser.snapshots = list.clone();
                self.admin.snapshots = list;
            }
            Err(e) => self.failure = Some(e.into()),
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
            Command::ImportSample => self.import_sample(ctx),
            Command::SkipSample => self.enter_home(ctx),
            Command::Login { user, pin } => self.run_login(ctx, &user, &pin),
            Command::Logout => {
                self.locked = false;
                self.session = None;
                self.key = None;
                self.cashier = CashierScreen::new();
                self.notice = None;
                self.failure = None;
                self.login.reset();
                self.admin = PricesAdminScreen::default();
                self.ranges = RangesScreen::default();
                self.finance = super::finance::FinanceScreen::new();
                self.route = Route::Login;
                self.refresh_status();
            }
            Command::Go(route) => {
                let allowed = match (&self.session, route) {
                    (Some(s), Route::AdminPrices) => s.has(Role::Admin),
                    (Some(s), Route::Cashier) => s.has(Role::Cashier),
                    (Some(s), Route::Users) => s.has(Role::Admin),
                    (Some(s), Route::Ranges) => s.has(Role::Admin),
                    (Some(s), Route::Finance) => s.has(Role::Finance),
                    (Some(_), Route::PriceBrowser) => true,
                    _ => false,
                };
                if allowed {
                    self.route = route;
                    if route == Route::PriceBrowser || route == Route::Cashier {
                        self.ensure_index(ctx);
                    }
                }
            }
            Command::BrowseSnapshot(id) => self.load_index(ctx, id),
            Command::PreviewPrices(path) => self.preview_prices(ctx, path, None),
            Command::RecheckPrices(month) => match Month::parse(&month) {
                Ok(m) => {
                    if let Some(p) = self.admin.preview.take() {
                        self.repreview(ctx, p, m);
                    }
                }
                Err(e) => self.failure = Some(e.into()),
            },
            Command::ImportPrices => self.import_prices(ctx),
            Command::OpenEpisode {
                level,
                reason,
                drill,
            } => self.open_episode(&level, &reason, drill),
            Command::CashierTotal => self.cashier_total(),
            Command::CashierSettle => self.cashier_settle(),
            Command::CashierPrint => self.cashier_print(),
            Command::CashierVoid {
                number,
                reason,
                supervisor,
                pin,
            } => self.cashier_void(&number, &reason, &supervisor, &pin),
            Command::CashierReprint(number) => self.cashier_reprint(&number),
            Command::CashierShiftClose {
                cash,
                supervisor,
                pin,
            } => self.cashier_shift_close(&cash, &supervisor, &pin),
            Command::UserAdd { name, roles, pin } => self.user_op(|store, session, clock| {
                crate::auth::users::add_user(store, session, clock, &name, &roles, &pin)
            }),
            Command::UserSetRoles { name, roles } => self.user_op(|store, session, clock| {
                crate::auth::users::set_roles(store, session, clock, &name, &roles)
            }),
            Command::UserResetPin { name, pin } => self.user_op(|store, session, clock| {
                crate::auth::users::reset_pin(store, session, clock, &name, &pin)
            }),
            Command::UserSetDisabled { name, disabled } => self.user_op(|store, session, clock| {
                crate::auth::users::set_disabled(store, session, clock, &name, disabled)
            }),
            Command::RangeAdd { terminal, from, to } => self.range_add(&terminal, &from, &to),
            Command::Unlock(pin) => self.unlock(ctx, &pin),
            Command::DismissVerify => self.verify_problems.clear(),
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
                // asking for it again a second later, then offer the sample.
                if self.login_session(&admin, &pin) {
                    self.sample = Some(sample::find());
                    self.route = Route::OfferSample;
                }
            }
            Err(e) => self.failure = Some(e.into()),
        }
    }

    /// Logs in; true on success (the failure is shown otherwise).
    fn login_session(&mut self, user: &str, pin: &str) -> bool {
        let Some(store) = self.store.as_mut() else {
            return false;
        };
        let terminal = match crate::setup::terminal_code(store) {
            Ok(t) => t,
            Err(e) => {
                self.failure = Some(e.into());
                return false;
            }
        };
        match auth::login(store.conn_mut(), user, pin, &terminal, self.clock.as_ref()) {
            Ok(session) => {
                tracing::info!(user = %session.user, "logged in");
                match SigningKey::load(&self.data_dir.key_path()) {
                    Ok(k) => self.key = Some(k),
                    // Searching still works without it; issuing says why not.
                    Err(e) => self.failure = Some(e.into()),
                }
                self.session = Some(session);
                self.failure = None;
                self.refresh_status();
                true
            }
            Err(e) => {
                self.failure = Some(e.into());
                false
            }
        }
    }

    fn run_login(&mut self, ctx: &egui::Context, user: &str, pin: &str) {
        if self.login_session(user, pin) {
            self.enter_home(ctx);
        }
    }

    /// Where a person lands after logging in: the cashier screen for a
    /// cashier, else the price browser.
    fn enter_home(&mut self, ctx: &egui::Context) {
        let cashier = self.session.as_ref().is_some_and(|s| s.has(Role::Cashier));
        let finance = self.session.as_ref().is_some_and(|s| s.has(Role::Finance));
        self.route = if cashier {
            Route::Cashier
        } else if finance {
            Route::Finance
        } else {
            Route::PriceBrowser
        };
        self.cashier.new_receipt();
        self.ensure_index(ctx);
    }

    /// Loads the month in force today unless it is already loaded.
    fn ensure_index(&mut self, ctx: &egui::Context) {
        if self.jobs.index.is_some()
            || (self.browser.index.is_some() && self.cashier.index.is_some())
        {
            return;
        }
        let Some(store) = &self.store else { return };
        match prices::snapshot_in_force(store.conn(), self.today()) {
            Ok(Some(s)) => self.load_index(ctx, s.id),
            Ok(None) => {
                // No month in force yet (only future lists): show the newest.
                if let Some(s) = self.browser.snapshots.first() {
                    let id = s.id;
                    self.load_index(ctx, id);
                }
            }
            Err(e) => self.failure = Some(e.into()),
        }
    }

    /// Reads a snapshot's items and builds its search index off the UI
    /// thread (a 30k list takes a moment to index).
    fn load_index(&mut self, ctx: &egui::Context, id: i64) {
        let data_dir = self.data_dir.clone();
        self.browser.loading = Some(None);
        self.browser.selected = Some(id);
        self.jobs.index = Some((
            id,
            Job::spawn(ctx, move |_| {
                let store = Store::open(&data_dir)?;
                let items = prices::items(store.conn(), id)?;
                Ok(SearchIndex::build(items))
            }),
        ));
    }

    fn preview_prices(&mut self, ctx: &egui::Context, path: PathBuf, month: Option<Month>) {
        let data_dir = self.data_dir.clone();
        let next_month = next_month(self.today());
        self.admin.preview = None;
        self.notice = None;
        self.admin.busy = Some(("admin.prices.checking", None));
        self.jobs.preview = Some(Job::spawn(ctx, move |_| {
            let analysis = prices::analyse_file(&path).map_err(|source| {
                Failure::from(prices::PriceError::Io {
                    path: path.clone(),
                    source,
                })
            })?;
            let month = month.or(analysis.list.month_hint).unwrap_or(next_month);
            let store = Store::open(&data_dir)?;
            let preview = prices::preview_analysis(store.conn(), analysis, month)?;
            Ok(prices_admin::Preview { path, preview })
        }));
    }

    /// The same file, compared again for another month.
    fn repreview(&mut self, ctx: &egui::Context, p: prices_admin::Preview, month: Month) {
        let data_dir = self.data_dir.clone();
        self.admin.busy = Some(("admin.prices.checking", None));
        self.jobs.preview = Some(Job::spawn(ctx, move |_| {
            let store = Store::open(&data_dir)?;
            let preview = prices::preview_analysis(store.conn(), p.preview.analysis, month)?;
            Ok(prices_admin::Preview {
                path: p.path,
                preview,
            })
        }));
    }

    fn import_prices(&mut self, ctx: &egui::Context) {
        let (Some(p), Some(session)) = (&self.admin.preview, &self.session) else {
            return;
        };
        if !p.preview.can_import() {
            return;
        }
        let list = p.preview.analysis.list.clone();
        let month = p.preview.month;
        self.admin.busy = Some(("admin.prices.importing", Some(0.0)));
        self.jobs.import = Some(self.spawn_import(ctx, session.clone(), list, month));
    }

    fn import_sample(&mut self, ctx: &egui::Context) {
        let (Some(sample), Some(session)) = (&self.sample, &self.session) else {
            return;
        };
        let analysis = prices::analyse_bytes(&sample.file_name, &sample.bytes);
        if !analysis.is_valid() {
            let first = analysis
                .problems
                .first()
                .map(|p| (p.render(Lang::Zh), p.render(Lang::En)))
                .unwrap_or_default();
            self.failure = Some(Failure::new(ErrorKind::Invalid, first.0, first.1));
            return;
        }
        // The sample is imported for the current month so receipts can be
        // issued today, whatever month its file name says.
        let month = Month::of(self.today());
        self.admin.busy = Some(("admin.prices.importing", Some(0.0)));
        self.jobs.import = Some(self.spawn_import(ctx, session.clone(), analysis.list, month));
    }

    fn spawn_import(
        &self,
        ctx: &egui::Context,
        session: Session,
        list: prices::ParsedList,
        month: Month,
    ) -> Job<Outcome<ImportReport>> {
        let data_dir = self.data_dir.clone();
        let clock = Arc::clone(&self.clock);
        let wake = ctx.clone();
        Job::spawn(ctx, move |progress| {
            let mut store = Store::open(&data_dir)?;
            let mut on_progress = |p: ImportProgress| {
                if p.stage == ImportStage::Writing || p.stage == ImportStage::Done {
                    progress.set(p.done as u64, p.total.max(1) as u64);
                    wake.request_repaint();
                }
            };
            Ok(prices::import_parsed(
                &mut store,
                &session,
                clock.as_ref(),
                &list,
                month,
                &mut on_progress,
            )?)
        })
    }

    /// Picks up finished work; called once per frame before drawing.
    fn poll_jobs(&mut self, ctx: &egui::Context) {
        if let Some(job) = &self.jobs.verify {
            match job.poll(ctx) {
                Poll::Running => {}
                Poll::Done(result) => {
                    self.jobs.verify = None;
                    match result {
                        Ok(report) => {
                            if !report.ok {
                                tracing::warn!(
                                    problems = report.problems.len(),
                                    "verify failed at start"
                                );
                            }
                            self.verify_problems = report.problems;
                        }
                        Err(f) => self.failure = Some(f),
                    }
                }
                Poll::Lost => {
                    self.jobs.verify = None;
                    self.failure = Some(lost());
                }
            }
        }
        if let Some((id, job)) = &self.jobs.index {
            let id = *id;
            match job.poll(ctx) {
                Poll::Running => self.browser.loading = Some(job.fraction()),
                Poll::Done(result) => {
                    self.jobs.index = None;
                    self.browser.loading = None;
                    match result {
                        Ok(index) => {
                            let index = Arc::new(index);
                            // The cashier prices from the list in force today.
                            if self.status.snapshot_id == Some(id) {
                                self.cashier.index = Some(Arc::clone(&index));
                            }
                            self.browser.set_index(id, index);
                        }
                        Err(f) => self.failure = Some(f),
                    }
                }
                Poll::Lost => {
                    self.jobs.index = None;
                    self.browser.loading = None;
                    self.failure = Some(lost());
                }
            }
        }
        if let Some(job) = &self.jobs.preview {
            match job.poll(ctx) {
                Poll::Running => {}
                Poll::Done(result) => {
                    self.jobs.preview = None;
                    self.admin.busy = None;
                    match result {
                        Ok(p) => {
                            self.failure = None;
                            self.admin.set_preview(p);
                        }
                        Err(f) => self.failure = Some(f),
                    }
                }
                Poll::Lost => {
                    self.jobs.preview = None;
                    self.admin.busy = None;
                    self.failure = Some(lost());
                }
            }
        }
        if let Some(job) = &self.jobs.import {
            match job.poll(ctx) {
                Poll::Running => {
                    if let Some((_, fraction)) = &mut self.admin.busy {
                        *fraction = job.fraction();
                    }
                }
                Poll::Done(result) => {
                    self.jobs.import = None;
                    self.admin.busy = None;
                    match result {
                        Ok(report) => self.imported(ctx, &report),
                        Err(f) => self.failure = Some(f),
                    }
                }
                Poll::Lost => {
                    self.jobs.import = None;
                    self.admin.busy = None;
                    self.failure = Some(lost());
                }
            }
        }
    }

    fn imported(&mut self, ctx: &egui::Context, report: &ImportReport) {
        let s = &report.snapshot;
        self.failure = None;
        self.notice = Some(match report.outcome {
            ImportOutcome::Imported => (
                format!(
                    "已导入 {} 价格表：{}，{} 项",
                    s.month, s.file_name, s.item_count
                ),
                format!(
                    "Imported the {} price list: {}, {} items",
                    s.month, s.file_name, s.item_count
                ),
            ),
            ImportOutcome::AlreadyHeld => (
                format!("{} 已有同一文件 {}，未做改动", s.month, s.file_name),
                format!(
                    "{} already holds this very file {}; nothing changed",
                    s.month, s.file_name
                ),
            ),
        });
        self.admin.preview = None;
        self.admin.path.clear();
        // A new month may now be in force: re-read and re-index.
        self.browser.index = None;
        self.cashier.index = None;
        self.refresh_status();
        if self.route == Route::OfferSample {
            self.sample = None;
            self.enter_home(ctx);
        } else {
            self.ensure_index(ctx);
        }
    }

    fn top_bar(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        let lang = self.lang;
        ui.horizontal(|ui| {
            ui.strong(tr(lang, "app.title"));
            ui.separator();
            // Locked: nothing to navigate to until the PIN is given again.
            if let Some(session) = &self.session
                && self.route != Route::OfferSample
                && !self.locked
            {
                let mut nav = |ui: &mut egui::Ui, route: Route, key: &str| {
                    if ui
                        .selectable_label(self.route == route, tr(lang, key))
                        .clicked()
                    {
                        cmds.push(Command::Go(route));
                    }
                };
                if session.has(Role::Cashier) {
                    nav(ui, Route::Cashier, "nav.cashier");
                }
                nav(ui, Route::PriceBrowser, "nav.browser");
                // Hidden, not just disabled, for people without the role.
                if session.has(Role::Admin) {
                    nav(ui, Route::AdminPrices, "nav.admin_prices");
                    nav(ui, Route::Users, "nav.users");
                    nav(ui, Route::Ranges, "nav.ranges");
                }
                if session.has(Role::Finance)
                    && ui
                        .selectable_label(
                            self.route == Route::Finance,
                            lang.pick("财务", "Finance"),
                        )
                        .clicked()
                {
                    cmds.push(Command::Go(Route::Finance));
                }
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

    fn offer_sample_ui(&self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        let lang = self.lang;
        let Some(sample) = &self.sample else { return };
        ui.heading(tr(lang, "sample.title"));
        ui.label(tr(lang, "sample.offer"));
        ui.strong(format!(
            "{}  ({} {})",
            sample.file_name,
            tr(lang, "sample.as_month"),
            Month::of(self.today())
        ));
        if let Some(src) = &sample.source {
            let shown = std::fs::canonicalize(src).unwrap_or_else(|_| src.clone());
            ui.weak(shown.display().to_string());
        } else {
            ui.weak(tr(lang, "sample.embedded"));
        }
        ui.add_space(8.0);
        let idle = self.jobs.import.is_none();
        ui.horizontal(|ui| {
            if ui
                .add_enabled(idle, egui::Button::new(tr(lang, "sample.import")))
                .clicked()
            {
                cmds.push(Command::ImportSample);
            }
            if ui
                .add_enabled(idle, egui::Button::new(tr(lang, "sample.skip")))
                .clicked()
            {
                cmds.push(Command::SkipSample);
            }
        });
        if let Some((key, fraction)) = self.admin.busy {
            super::jobs::progress_bar(ui, fraction, tr(lang, key));
        }
    }
}

/// The cashier's episode, next number and recent receipts.
fn cashier_context(
    store: &Store,
    session: &Session,
) -> Result<(cashier::Context, Vec<crate::receipts::query::ReceiptRow>), Failure> {
    use crate::receipts::{episodes, query, ranges};
    let terminal = session.terminal.as_str();
    let episode = episodes::current(store.conn(), terminal)?;
    let next = ranges::next_number(store.conn(), terminal)?;
    let recent = query::recent(store.conn(), terminal, 12)?;
    Ok((
        cashier::Context {
            episode: episode.map(|e| (e.level, e.reason, e.drill, e.opened_at)),
            numbers_left: next.as_ref().map(|n| n.left).unwrap_or(0),
            next_number: next.map(|n| n.number),
        },
        recent,
    ))
}

impl App {
    fn open_episode(&mut self, level: &str, reason: &str, drill: bool) {
        use crate::receipts::episodes;
        let (Some(store), Some(session)) = (self.store.as_mut(), &self.session) else {
            return;
        };
        let result = episodes::Level::parse(level).and_then(|level| {
            episodes::open(store, session, self.clock.as_ref(), level, reason, drill)
        });
        match result {
            Ok(_) => {
                self.failure = None;
                self.cashier.new_receipt();
            }
            Err(e) => self.failure = Some(e.into()),
        }
        self.refresh_status();
    }

    fn cashier_total(&mut self) {
        let Some(store) = &self.store else { return };
        let lines = self.cashier.line_requests();
        if lines.is_empty() {
            self.cashier.total = None;
            return;
        }
        match crate::receipts::issue::preview(store.conn(), self.clock.as_ref(), &lines) {
            Ok(p) => {
                self.cashier.total = Some((p.total, p.total_in_words));
            }
            Err(e) => {
                self.cashier.total = None;
                self.failure = Some(e.into());
            }
        }
    }

    /// Issues the receipt (one durable transaction), then prints it: the
    /// receipt exists before any paper does.
    fn cashier_settle(&mut self) {
        let (Some(store), Some(session)) = (self.store.as_mut(), &self.session) else {
            return;
        };
        let Some(key) = &self.key else {
            self.failure = Some(Failure::new(
                ErrorKind::Internal,
                "未能载入医院签名密钥，不能开票",
                "the hospital signing key could not be loaded: cannot issue",
            ));
            return;
        };
        let req = self.cashier.request();
        let issued = match crate::receipts::issue(store, session, self.clock.as_ref(), key, &req) {
            Ok(r) => r,
            Err(e) => {
                self.failure = Some(e.into());
                return;
            }
        };
        self.failure = None;
        tracing::info!(number = %issued.receipt.number, "receipt issued");
        // The backup policy counts receipts; a failed backup is said, the
        // receipt stands.
        let terminal = session.terminal.to_string();
        let count = crate::receipts::query::count_issued(store.conn(), &terminal);
        if let Ok(n) = count
            && let Err(e) = crate::backup::maybe_backup_after_receipt(store, self.clock.as_ref(), n)
        {
            self.failure = Some(e.into());
        }
        self.cashier.new_receipt();
        self.cashier.last = Some(LastReceipt {
            number: issued.receipt.number.clone(),
            total: issued.receipt.total,
            change: issued.receipt.change,
            warning: issued.warning.clone(),
            printed: None,
        });
        self.print_receipt(&issued.receipt);
        self.refresh_status();
    }

    /// Saves the receipt's PDF and hands it to the terminal's print command.
    fn print_receipt(&mut self, v: &crate::receipts::ReceiptView) {
        let Some(store) = &self.store else { return };
        let saved = crate::receipts::save_pdf(store, v, false);
        let command = store.setting("print.command");
        match (saved, command) {
            (Ok((_, path)), Ok(command)) => {
                match crate::print::deliver(&path, command.as_deref()) {
                    Ok(_) => {
                        if let Some(last) = &mut self.cashier.last {
                            last.printed = Some(path.display().to_string());
                        }
                    }
                    Err(e) => self.failure = Some(e.into()),
                }
            }
            (Err(e), _) => self.failure = Some(e.into()),
            (_, Err(e)) => self.failure = Some(e.into()),
        }
    }

    /// F5: prints the receipt just issued when its printing failed; with
    /// no print command configured, opens its saved PDF in the viewer. A
    /// receipt already printed is printed again only as a counted copy (F9).
    fn cashier_print(&mut self) {
        let Some(last) = &self.cashier.last else {
            return;
        };
        if let Some(path) = &last.printed {
            let command = self
                .store
                .as_ref()
                .and_then(|s| s.setting("print.command").ok().flatten())
                .filter(|c| !c.trim().is_empty());
            if command.is_none() {
                open_in_viewer(std::path::Path::new(path));
                return;
            }
            self.notice = Some((
                "该票据已打印；如需再打印请用 F9 重打（标注“重打”）".into(),
                "This receipt was printed; use F9 to reprint a copy marked COPY".into(),
            ));
            return;
        }
        let number = last.number.clone();
        let Some(store) = &self.store else { return };
        match crate::receipts::show(store.conn(), &number) {
            Ok(v) => self.print_receipt(&v),
            Err(e) => self.failure = Some(e.into()),
        }
    }

    fn cashier_void(&mut self, number: &str, reason: &str, supervisor: &str, pin: &str) {
        let (Some(store), Some(session)) = (self.store.as_mut(), &self.session) else {
            return;
        };
        match crate::receipts::void(
            store,
            session,
            self.clock.as_ref(),
            number,
            reason,
            supervisor,
            pin,
        ) {
            Ok(v) => {
                self.failure = None;
                self.notice = Some((
                    format!("已作废 {}（主管 {}）", v.number, supervisor),
                    format!("Voided {} (supervisor {})", v.number, supervisor),
                ));
            }
            Err(e) => self.failure = Some(e.into()),
        }
        self.refresh_status();
    }

    fn cashier_reprint(&mut self, number: &str) {
        let (Some(store), Some(session)) = (self.store.as_mut(), &self.session) else {
            return;
        };
        let result = crate::receipts::reprint_pdf(store, session, self.clock.as_ref(), number)
            .map_err(Failure::from)
            .and_then(|(v, _, path)| {
                let command = store.setting("print.command")?;
                crate::print::deliver(&path, command.as_deref())?;
                Ok((v, path))
            });
        match result {
            Ok((v, path)) => {
                self.failure = None;
                self.notice = Some((
                    format!(
                        "已重打 {}（第 {} 份副本）：{}",
                        v.number,
                        v.reprints,
                        path.display()
                    ),
                    format!(
                        "Reprinted {} (copy {}): {}",
                        v.number,
                        v.reprints,
                        path.display()
                    ),
                ));
            }
            Err(f) => self.failure = Some(f),
        }
        self.refresh_status();
    }

    fn cashier_shift_close(&mut self, cash: &str, supervisor: &str, pin: &str) {
        use crate::receipts::shift;
        let (Some(store), Some(session)) = (self.store.as_mut(), &self.session) else {
            return;
        };
        let declared = if cash.is_empty() {
            None
        } else {
            match crate::money::Money::parse(cash) {
                Ok(m) => Some(m),
                Err(e) => {
                    self.failure = Some(Failure::new(
                        ErrorKind::Invalid,
                        format!("实收现金：{}", e.message(Lang::Zh)),
                        format!("cash declared: {}", e.message(Lang::En)),
                    ));
                    return;
                }
            }
        };
        let sup = (!supervisor.is_empty()).then_some(shift::SupervisorPin {
            name: supervisor,
            pin,
        });
        let dir = store.data_dir().reports_dir();
        let out = dir.join(format!(
            "shift-{}-{}.pdf",
            session.user,
            self.clock.now().format("%Y%m%d-%H%M%S")
        ));
        let result = (|| -> Result<shift::ShiftSummary, Failure> {
            let s = shift::close(
                store,
                session,
                self.clock.as_ref(),
                declared,
                sup,
                Some(&out),
            )?;
            let hospital = store.setting("hospital.name")?.unwrap_or_default();
            let pdf = crate::print::render_report(&shift::report_doc(&s, &hospital))?;
            std::fs::create_dir_all(&dir)
                .and_then(|_| std::fs::write(&out, pdf))
                .map_err(|e| {
                    Failure::new(
                        ErrorKind::Internal,
                        format!("{}：{e}", out.display()),
                        format!("{}: {e}", out.display()),
                    )
                })?;
            // The procedures require a backup at every shift close.
            crate::backup::backup_now(
                store,
                self.clock.as_ref(),
                crate::backup::BackupReason::ShiftClose,
            )?;
            Ok(s)
        })();
        match result {
            Ok(s) => {
                self.failure = None;
                self.notice = Some((
                    format!(
                        "已交班：{} 张，应有现金 {}；报表 {}",
                        s.count,
                        s.cash_expected,
                        out.display()
                    ),
                    format!(
                        "Shift closed: {} receipts, cash expected {}; report {}",
                        s.count,
                        s.cash_expected,
                        out.display()
                    ),
                ));
            }
            Err(f) => self.failure = Some(f),
        }
        self.refresh_status();
    }
}

/// The red banner of a failed start-up verify; true when dismissed.
fn verify_banner(ui: &mut egui::Ui, lang: Lang, problems: &[crate::verify::Problem]) -> bool {
    let mut dismissed = false;
    egui::Frame::new()
        .fill(widgets::RED)
        .inner_margin(8.0)
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(
                    egui::RichText::new(format!(
                        "{} ({})",
                        tr(lang, "verify.banner"),
                        problems.len()
                    ))
                    .color(egui::Color32::WHITE)
                    .strong(),
                );
                if ui.small_button(tr(lang, "common.close")).clicked() {
                    dismissed = true;
                }
            });
            for p in problems.iter().take(12) {
                ui.label(egui::RichText::new(p.line(lang)).color(egui::Color32::WHITE));
            }
            if problems.len() > 12 {
                ui.label(
                    egui::RichText::new(format!("… {}", tr(lang, "verify.more")))
                        .color(egui::Color32::WHITE),
                );
            }
        });
    dismissed
}

impl App {
    /// Adds a receipt book through the library; the status bar's next
    /// number is read again afterwards.
    fn range_add(&mut self, terminal: &str, from: &str, to: &str) {
        let (Some(store), Some(session)) = (self.store.as_mut(), &self.session) else {
            return;
        };
        let parse = |value: &str, zh: &str, en: &str| {
            value.parse::<u64>().map_err(|_| {
                Failure::new(
                    ErrorKind::Invalid,
                    format!("{zh}：“{value}”不是正整数"),
                    format!("{en}: '{value}' is not a whole number"),
                )
            })
        };
        let result = parse(from, "起始号", "from")
            .and_then(|f| Ok((f, parse(to, "终止号", "to")?)))
            .and_then(|(f, t)| {
                Ok(crate::receipts::ranges::add(
                    store,
                    session,
                    self.clock.as_ref(),
                    terminal,
                    f,
                    t,
                )?)
            });
        match result {
            Ok(g) => {
                let first = crate::receipts::ranges::format_number(&g.terminal, g.from);
                let last = crate::receipts::ranges::format_number(&g.terminal, g.to);
                self.failure = None;
                self.notice = Some((
                    format!("已添加号段 {first} – {last}"),
                    format!("Range added: {first} – {last}"),
                ));
                self.ranges.added();
            }
            Err(f) => {
                self.notice = None;
                self.failure = Some(f);
            }
        }
        self.refresh_status();
    }

    fn user_op(
        &mut self,
        op: impl FnOnce(
            &mut Store,
            &Session,
            &dyn Clock,
        ) -> Result<crate::auth::users::UserInfo, crate::auth::AuthError>,
    ) {
        let (Some(store), Some(session)) = (self.store.as_mut(), &self.session) else {
            return;
        };
        match op(store, session, self.clock.as_ref()) {
            Ok(u) => {
                self.failure = None;
                self.notice = Some((
                    format!("已保存用户 {}", u.name),
                    format!("Saved user {}", u.name),
                ));
                self.refresh_status();
                self.users.changed();
            }
            Err(e) => self.failure = Some(e.into()),
        }
    }

    /// Locks the screen after the configured idle time; wakes the window
    /// in time to do so even when nothing else repaints it.
    fn track_idle(&mut self, ctx: &egui::Context) {
        let (now, active) = ctx.input(|i| {
            let active = i.events.iter().any(|e| {
                matches!(
                    e,
                    egui::Event::Key { .. }
                        | egui::Event::Text(_)
                        | egui::Event::PointerButton { .. }
                        | egui::Event::MouseWheel { .. }
                )
            });
            (i.time, active)
        });
        if self.session.is_none() || self.idle_lock_secs <= 0.0 {
            self.last_activity = now;
            return;
        }
        if active && !self.locked {
            self.last_activity = now;
        }
        let idle = now - self.last_activity;
        if !self.locked && idle >= self.idle_lock_secs {
            tracing::info!("idle lock");
            self.locked = true;
            self.lock_focus = true;
            self.unlock_pin.clear();
        }
        if !self.locked {
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(
                (self.idle_lock_secs - idle).max(1.0),
            ));
        }
    }

    fn lock_ui(&mut self, ui: &mut egui::Ui, cmds: &mut Vec<Command>) {
        let lang = self.lang;
        let user = self
            .session
            .as_ref()
            .map(|s| s.user.to_string())
            .unwrap_or_default();
        ui.vertical_centered(|ui| {
            ui.add_space(40.0);
            ui.heading(tr(lang, "lock.title"));
            ui.label(format!("{} {}", tr(lang, "lock.user"), user));
            ui.add_space(8.0);
            let l = ui.label(tr(lang, "lock.pin"));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.unlock_pin)
                        .password(true)
                        .id(egui::Id::unique("unlock_pin"))
                        .desired_width(160.0),
                )
                .labelled_by(l.id);
            // Once per lock: the field is the only thing on screen.
            if std::mem::take(&mut self.lock_focus) {
                r.request_focus();
            }
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button(tr(lang, "lock.unlock")).clicked() || enter {
                cmds.push(Command::Unlock(std::mem::take(&mut self.unlock_pin)));
            }
            if ui.button(tr(lang, "nav.logout")).clicked() {
                cmds.push(Command::Logout);
            }
        });
    }

    fn unlock(&mut self, ctx: &egui::Context, pin: &str) {
        let (Some(store), Some(session)) = (self.store.as_mut(), &self.session) else {
            return;
        };
        match crate::auth::unlock(store.conn_mut(), session, pin, self.clock.as_ref()) {
            Ok(fresh) => {
                self.session = Some(fresh);
                self.locked = false;
                self.failure = None;
                self.last_activity = ctx.input(|i| i.time);
                self.refresh_status();
            }
            Err(e) => self.failure = Some(e.into()),
        }
    }
}

/// Opens a saved PDF with the desktop's viewer, without waiting for it.
fn open_in_viewer(path: &std::path::Path) {
    let opener = if cfg!(target_os = "windows") {
        "explorer"
    } else if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(opener).arg(path).spawn() {
        // Reaped on a thread of its own so no zombie is left behind.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => tracing::warn!(%e, "cannot open {}", path.display()),
    }
}

fn lost() -> Failure {
    Failure::new(
        ErrorKind::Internal,
        "后台任务意外中止（详见日志）",
        "a background task stopped unexpectedly (see the log)",
    )
}

/// The month after `date`'s: what a new list is usually for.
fn next_month(date: chrono::NaiveDate) -> Month {
    let m = Month::of(date);
    if m.month == 12 {
        Month {
            year: m.year + 1,
            month: 1,
        }
    } else {
        Month {
            year: m.year,
            month: m.month + 1,
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.poll_jobs(&ctx);
        self.track_idle(&ctx);
        let lang = self.lang;
        let mut cmds = Vec::new();
        let mut finance_acts = Vec::new();
        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar(ui, &mut cmds));
        egui::Panel::bottom("status_bar").show(ui, |ui| self.status.ui(ui, lang));
        egui::CentralPanel::default().show(ui, |ui| {
            if !self.verify_problems.is_empty() && verify_banner(ui, lang, &self.verify_problems) {
                cmds.push(Command::DismissVerify);
            }
            if self.locked {
                // The screens keep their state underneath; only the PIN
                // of the same person opens them again.
                if let Some(f) = &self.failure {
                    widgets::failure_banner(ui, lang, f, tr(lang, "common.close"));
                }
                self.lock_ui(ui, &mut cmds);
                return;
            }
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
                Route::OfferSample => self.offer_sample_ui(ui, &mut cmds),
                Route::Login => {
                    let can_login = self.store.is_some();
                    self.login
                        .ui(ui, lang, &self.status.hospital, can_login, &mut cmds);
                }
                Route::Cashier => self.cashier.ui(ui, lang, &mut cmds),
                Route::PriceBrowser => self.browser.ui(ui, lang, &mut cmds),
                Route::AdminPrices => self.admin.ui(ui, lang, &mut cmds),
                Route::Users => self.users.ui(ui, lang, &mut cmds),
                Route::Ranges => self.ranges.ui(ui, lang, &mut cmds),
                Route::Finance => finance_acts = self.finance.ui(ui, lang),
            }
        });
        for cmd in cmds {
            self.apply(&ctx, cmd);
        }
        if let (Some(store), Some(session)) = (self.store.as_mut(), self.session.as_ref()) {
            let mut env = super::screen::ScreenEnv {
                store,
                session,
                clock: self.clock.as_ref(),
                lang: self.lang,
                data_dir: &self.data_dir,
            };
            for a in finance_acts {
                self.finance.apply(a, &mut env);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_month_rolls_over_the_year() {
        let d = |y, m| chrono::NaiveDate::from_ymd_opt(y, m, 15).unwrap();
        assert_eq!(next_month(d(2026, 12)).to_string(), "2027-01");
        assert_eq!(next_month(d(2026, 11)).to_string(), "2026-12");
    }
}
