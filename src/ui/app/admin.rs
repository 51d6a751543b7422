//! The shell's own administrative commands: the first-run setup, users and
//! receipt books. Each calls the library once and turns the answer into a
//! banner.

use super::{App, Route};
use crate::auth::Session;
use crate::clock::Clock;
use crate::error::{ErrorKind, Failure};
use crate::setup::SetupParams;
use crate::store::Store;

impl App {
    pub(super) fn run_setup(&mut self, params: SetupParams) {
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
                    self.sample = Some(crate::ui::sample::find());
                    self.route = Route::OfferSample;
                }
            }
            Err(e) => self.failure = Some(e.into()),
        }
    }

    /// Adds a receipt book through the library; the status bar's next
    /// number is read again afterwards.
    pub(super) fn range_add(&mut self, terminal: &str, from: &str, to: &str) {
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

    pub(super) fn user_op(
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
}
