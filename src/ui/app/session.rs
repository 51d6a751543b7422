//! Who is logged in, and the idle lock: after `ui.idle_lock_minutes`
//! without input the screens stay as they are under a PIN prompt that only
//! the same person can answer.

use super::App;
use super::nav::{Command, Route};
use crate::auth::{self, Session};
use crate::clock::Clock;
use crate::error::Failure;
use crate::i18n::{Lang, tr};
use crate::store::{DataDir, Store};
use eframe::egui;

/// Logs `user` in at this terminal. The second value is a warning to show
/// (the user holds no wrapped signing key: searching works, issuing will
/// say why).
pub fn login(
    store: &mut Store,
    data_dir: &DataDir,
    user: &str,
    pin: &str,
    clock: &dyn Clock,
) -> Result<(Session, Option<Failure>), Failure> {
    let terminal = crate::setup::terminal_code(store)?;
    let session = auth::login(store.conn_mut(), user, pin, &terminal, clock)?;
    tracing::info!(user = %session.user(), "logged in");
    let warning = crate::keys::wrap::session_key(&session, data_dir)
        .err()
        .map(Failure::from);
    Ok((session, warning))
}

/// The idle lock's state.
#[derive(Debug)]
pub struct IdleLock {
    /// When the person last touched the window (egui input time, seconds).
    last_activity: f64,
    locked: bool,
    pin: String,
    /// Once per lock the PIN field takes the cursor.
    focus: bool,
    idle_secs: f64,
}

impl Default for IdleLock {
    fn default() -> Self {
        IdleLock {
            last_activity: 0.0,
            locked: false,
            pin: String::new(),
            focus: false,
            idle_secs: 300.0,
        }
    }
}

impl IdleLock {
    pub fn locked(&self) -> bool {
        self.locked
    }

    pub fn set_minutes(&mut self, minutes: u32) {
        self.idle_secs = f64::from(minutes) * 60.0;
    }

    /// Logged out: nothing to lock.
    pub fn release(&mut self) {
        self.locked = false;
    }

    /// The right PIN was given at `now`.
    pub fn unlocked(&mut self, now: f64) {
        self.locked = false;
        self.last_activity = now;
    }

    /// Locks the screen after the idle time; wakes the window in time to
    /// do so even when nothing else repaints it. Returns the input time and
    /// whether there was input this frame.
    pub fn track(&mut self, ctx: &egui::Context, logged_in: bool) -> (f64, bool) {
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
        if !logged_in || self.idle_secs <= 0.0 {
            self.last_activity = now;
            return (now, active);
        }
        if active && !self.locked {
            self.last_activity = now;
        }
        let idle = now - self.last_activity;
        if !self.locked && idle >= self.idle_secs {
            tracing::info!("idle lock");
            self.locked = true;
            self.focus = true;
            self.pin.clear();
        }
        if !self.locked {
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(
                (self.idle_secs - idle).max(1.0),
            ));
        }
        (now, active)
    }

    /// The PIN prompt over the locked screens.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, user: &str, cmds: &mut Vec<Command>) {
        ui.vertical_centered(|ui| {
            ui.add_space(40.0);
            ui.heading(tr(lang, "lock.title"));
            ui.label(format!("{} {}", tr(lang, "lock.user"), user));
            ui.add_space(8.0);
            let l = ui.label(tr(lang, "lock.pin"));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.pin)
                        .password(true)
                        .id(egui::Id::unique("unlock_pin"))
                        .desired_width(160.0),
                )
                .labelled_by(l.id);
            // Once per lock: the field is the only thing on screen.
            if std::mem::take(&mut self.focus) {
                r.request_focus();
            }
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button(tr(lang, "lock.unlock")).clicked() || enter {
                cmds.push(Command::Unlock(std::mem::take(&mut self.pin)));
            }
            if ui.button(tr(lang, "nav.logout")).clicked() {
                cmds.push(Command::Logout);
            }
        });
    }
}

impl App {
    /// Logs in; true on success (the failure is shown otherwise).
    pub(super) fn login_session(&mut self, user: &str, pin: &str) -> bool {
        let Some(store) = self.store.as_mut() else {
            return false;
        };
        match login(store, &self.data_dir, user, pin, self.clock.as_ref()) {
            Ok((s, warning)) => {
                self.session = Some(s);
                self.failure = warning;
                self.refresh_status();
                true
            }
            Err(f) => {
                self.failure = Some(f);
                false
            }
        }
    }

    /// Where a person lands after logging in.
    pub(super) fn enter_home(&mut self, ctx: &egui::Context) {
        if let Some(s) = &self.session {
            self.route = Route::home(s);
        }
        self.screens.cashier.new_receipt();
        self.ensure_index(ctx);
        self.entered(ctx);
    }

    pub(super) fn unlock(&mut self, ctx: &egui::Context, pin: &str) {
        let (Some(store), Some(session)) = (self.store.as_mut(), &self.session) else {
            return;
        };
        match crate::auth::unlock(store.conn_mut(), session, pin, self.clock.as_ref()) {
            Ok(fresh) => {
                self.session = Some(fresh);
                self.lock.unlocked(ctx.input(|i| i.time));
                self.failure = None;
                self.refresh_status();
            }
            Err(e) => self.failure = Some(e.into()),
        }
    }
}

/// The users screen's check box as the library's choice.
pub fn access(disabled: bool) -> auth::users::Access {
    if disabled {
        auth::users::Access::Disabled
    } else {
        auth::users::Access::Enabled
    }
}

/// What this window did, for the exit steps.
pub fn since_open(checkpoints: &crate::workflows::IdleCheckpoint) -> crate::workflows::SinceOpen {
    if checkpoints.wrote_anything() {
        crate::workflows::SinceOpen::Wrote
    } else {
        crate::workflows::SinceOpen::NothingWritten
    }
}
