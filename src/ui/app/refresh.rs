//! Re-reading what the screens and the status bar show, after anything
//! that may have changed it; never from inside a widget.

use super::App;
use crate::auth::Role;
use crate::store::Store;
use crate::ui::status::StatusLine;

impl App {
    pub(super) fn open_store(&mut self) {
        match Store::open(&self.data_dir) {
            Ok(store) => {
                self.store = Some(store);
                self.refresh_status();
            }
            Err(e) => self.failure = Some(e.into()),
        }
    }

    /// Re-reads what the status bar and the screens' lists show; called
    /// after anything that may change them, never from inside a widget.
    pub(super) fn refresh_status(&mut self) {
        let Some(store) = &self.store else {
            self.status = StatusLine::default();
            return;
        };
        let mut failures = Vec::new();
        match StatusLine::read(store, self.session.as_ref(), self.clock.as_ref()) {
            Ok(s) => self.status = s,
            Err(f) => failures.push(f),
        }
        self.ranges.set_terminal(&self.status.terminal);
        match crate::auth::settings::idle_lock_minutes(store.conn()) {
            Ok(m) => self.lock.set_minutes(m),
            Err(e) => failures.push(e.into()),
        }
        if let Some(session) = &self.session {
            if session.has(Role::Admin) {
                match crate::auth::users::list_users(store.conn(), session) {
                    Ok(users) => self.users.users = users,
                    Err(e) => failures.push(e.into()),
                }
                match crate::receipts::ranges::list(store.conn(), &self.status.terminal) {
                    Ok(list) => self.ranges.ranges = list,
                    Err(e) => failures.push(e.into()),
                }
            }
            if let Err(f) = self.screens.cashier.refresh(store, session) {
                failures.push(f);
            }
        }
        match crate::prices::snapshots(store.conn()) {
            Ok(mut list) => {
                list.reverse();
                self.browser.snapshots = list.clone();
                self.admin.snapshots = list;
            }
            Err(e) => failures.push(e.into()),
        }
        if let Some(f) = failures.pop() {
            self.failure = Some(f);
        }
    }
}
