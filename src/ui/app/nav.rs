//! The shell's vocabulary, private to it: which screen shows ([`Route`]),
//! who may see it and where a person lands, and what the shell's own
//! screens ask it to do ([`Command`]). Screens of the contract in
//! `ui/screen.rs` have their own action types instead.

use crate::auth::{Role, Session};
use crate::i18n::Lang;
use crate::setup::SetupParams;
use std::path::PathBuf;

/// Which screen is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Setup,
    /// Right after setup: offer the sample price list.
    OfferSample,
    Login,
    Cashier,
    /// Receipt history (收费记录): find, open, void, reprint, refund.
    History,
    PriceBrowser,
    AdminPrices,
    Users,
    /// Receipt books (number ranges) of this terminal; admin only.
    Ranges,
    /// Every setting `settings set` changes, with test print and backup;
    /// admin only.
    Settings,
    /// Scan, dispense, confirm returns; pharmacists (and admins).
    Pharmacy,
    /// The finance station: journals, exchange desk, deadlines,
    /// reconciliation, reports, posting to the HIS.
    Finance,
}

impl Route {
    /// Whether `session` may go to this screen from the menu.
    pub fn allowed(self, session: &Session) -> bool {
        match self {
            Route::Cashier | Route::History => session.has(Role::Cashier),
            Route::AdminPrices | Route::Users | Route::Ranges | Route::Settings => {
                session.has(Role::Admin)
            }
            Route::PriceBrowser => !pharmacist_only(session),
            Route::Pharmacy => session.has(Role::Pharmacist) || session.has(Role::Admin),
            Route::Finance => session.has(Role::Finance),
            Route::Setup | Route::OfferSample | Route::Login => false,
        }
    }

    /// Where a person lands after logging in.
    pub fn home(session: &Session) -> Route {
        if session.has(Role::Cashier) {
            Route::Cashier
        } else if session.has(Role::Pharmacist) {
            Route::Pharmacy
        } else if session.has(Role::Finance) {
            Route::Finance
        } else {
            Route::PriceBrowser
        }
    }

    /// The menu, in order, with each entry's label key; entries a person
    /// may not use are hidden, not just disabled.
    pub fn menu(session: &Session) -> Vec<(Route, &'static str)> {
        [
            (Route::Cashier, "nav.cashier"),
            (Route::History, "nav.history"),
            (Route::PriceBrowser, "nav.browser"),
            (Route::AdminPrices, "nav.admin_prices"),
            (Route::Users, "nav.users"),
            (Route::Ranges, "nav.ranges"),
            (Route::Settings, "nav.settings"),
            (Route::Pharmacy, "nav.pharmacy"),
            (Route::Finance, "nav.finance"),
        ]
        .into_iter()
        .filter(|(r, _)| r.allowed(session))
        .collect()
    }

    /// Screens that price from the month in force (its index is loaded).
    pub fn needs_index(self) -> bool {
        matches!(self, Route::Cashier | Route::PriceBrowser)
    }
}

/// A pharmacist with no other role sees the pharmacy screen and nothing else.
fn pharmacist_only(s: &Session) -> bool {
    s.has(Role::Pharmacist) && !s.has(Role::Cashier) && !s.has(Role::Finance) && !s.has(Role::Admin)
}

/// What one of the shell's screens asks it to do; applied after the frame
/// is drawn.
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
    /// An admin acknowledges the failed verify, with the reason typed.
    AcknowledgeVerify(String),
}
