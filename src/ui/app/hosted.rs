//! Hosting the screens of the contract in `ui/screen.rs`: their state
//! ([`Screens`]), their actions kept for after the frame, the refresh a
//! screen gets when it comes into view, and running what they asked for
//! with the store and the session.

use super::super::cashier::{CashierScreen, Feedback};
use super::super::finance::{FinanceAction, FinanceScreen};
use super::super::history::{HistoryAction, HistoryScreen};
use super::super::pharmacy::{PharmacyAction, PharmacyScreen};
use super::super::screen::ScreenEnv;
use super::super::settings::{SettingsAction, SettingsScreen};
use super::{App, Route};
use crate::clock::Clock;
use eframe::egui;
use std::sync::Arc;

/// The screens that follow the contract of [`super::screen`].
pub struct Screens {
    pub cashier: CashierScreen,
    pub pharmacy: PharmacyScreen,
    pub finance: FinanceScreen,
    pub history: HistoryScreen,
    pub settings: SettingsScreen,
}

impl Screens {
    pub(super) fn new(clock: &Arc<dyn Clock>) -> Self {
        Screens {
            cashier: CashierScreen::new(),
            pharmacy: PharmacyScreen::new(),
            finance: FinanceScreen::with_clock(clock.clone()),
            history: HistoryScreen::new(),
            settings: SettingsScreen::new(),
        }
    }
}

/// A hosted screen's actions of this frame, applied after drawing.
pub(super) type Deferred = Box<dyn FnOnce(&mut Screens, &mut ScreenEnv<'_>)>;

/// Keeps a hosted screen's actions with the `apply` that runs them.
pub(super) fn host<A: 'static>(
    actions: Vec<A>,
    apply: fn(&mut Screens, A, &mut ScreenEnv<'_>),
) -> Option<Deferred> {
    (!actions.is_empty()).then(|| {
        Box::new(move |screens: &mut Screens, env: &mut ScreenEnv<'_>| {
            for a in actions {
                apply(screens, a, env);
            }
        }) as Deferred
    })
}

impl App {
    /// A hosted screen just came into view: let it read what changed
    /// while it was away (today's dispensings, the worklists).
    pub(super) fn entered(&mut self, ctx: &egui::Context) {
        // The admin's price-list screen is the shell's own: the cursor
        // goes to its file field, so a path can be typed at once.
        if self.route == Route::AdminPrices {
            self.admin.focus_file = true;
        }
        let refresh: Option<Deferred> = match self.route {
            Route::Pharmacy => Some(Box::new(|s: &mut Screens, env: &mut ScreenEnv<'_>| {
                s.pharmacy.apply(PharmacyAction::Refresh, env)
            })),
            Route::Finance => Some(Box::new(|s: &mut Screens, env: &mut ScreenEnv<'_>| {
                let tab = s.finance.tab;
                s.finance.apply(FinanceAction::Tab(tab), env)
            })),
            // The cursor goes back to the form's first field.
            Route::Cashier => Some(Box::new(|s: &mut Screens, _: &mut ScreenEnv<'_>| {
                s.cashier.focus_first()
            })),
            Route::History => Some(Box::new(|s: &mut Screens, env: &mut ScreenEnv<'_>| {
                s.history.apply(HistoryAction::Entered, env)
            })),
            Route::Settings => Some(Box::new(|s: &mut Screens, env: &mut ScreenEnv<'_>| {
                s.settings.apply(SettingsAction::Load, env)
            })),
            _ => None,
        };
        if let Some(run) = refresh {
            self.run_hosted(ctx, run);
        }
    }

    /// Runs a hosted screen's actions with the store and session, then
    /// shows what they left and re-reads the status.
    pub(super) fn run_hosted(&mut self, ctx: &egui::Context, run: Deferred) {
        let (Some(store), Some(session)) = (self.store.as_mut(), self.session.as_ref()) else {
            return;
        };
        let mut env = ScreenEnv {
            store,
            session,
            clock: self.clock.as_ref(),
            lang: self.lang,
            data_dir: &self.data_dir,
        };
        run(&mut self.screens, &mut env);
        let mut feedback = self.screens.cashier.take_feedback();
        feedback.extend(self.screens.history.take_feedback());
        feedback.extend(self.screens.settings.take_feedback());
        for f in feedback {
            match f {
                Feedback::Clear => self.failure = None,
                // One message at a time: the newest replaces the last.
                Feedback::Notice(zh, en) => {
                    self.failure = None;
                    self.notice = Some((zh, en));
                }
                Feedback::Failure(f) => {
                    self.notice = None;
                    self.failure = Some(super::super::widgets::in_plain_words(f));
                }
            }
        }
        self.checkpoints.wrote(ctx.input(|i| i.time));
        self.refresh_status();
    }
}
