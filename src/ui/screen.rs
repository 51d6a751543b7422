//! The contract between the shell and a screen. A screen owns its state;
//! it draws in `ui` and returns what the person asked for as its own
//! action type, never touching the database while drawing. The shell then
//! hands each action back to the screen's `apply` with a [`ScreenEnv`]:
//! the open store, the session, the clock, the language and the data
//! directory. Long work (imports, exports) is started from `apply` on a
//! [`super::jobs::Job`] that opens its own connection from `data_dir`.
//!
//! ```ignore
//! impl PharmacyScreen {
//!     pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) -> Vec<PharmacyAction>;
//!     pub fn apply(&mut self, action: PharmacyAction, env: &mut ScreenEnv<'_>);
//! }
//! ```

use crate::auth::Session;
use crate::clock::Clock;
use crate::i18n::Lang;
use crate::store::{DataDir, Store};

/// What a screen's `apply` may use.
pub struct ScreenEnv<'a> {
    pub store: &'a mut Store,
    pub session: &'a Session,
    pub clock: &'a dyn Clock,
    pub lang: Lang,
    pub data_dir: &'a DataDir,
}
