//! What each cashier action does, between frames, through the library and
//! the workflows; its outcome is left as [`Feedback`] for the shell's
//! banners and in the screen's own fields (the last receipt, the total).

use super::{CashierScreen, Context, Feedback, Field, Hint, LastReceipt, Pricing};
use crate::auth::Session;
use crate::error::{ErrorKind, Failure};
use crate::i18n::Lang;
use crate::receipts::{episodes, query, ranges};
use crate::store::Store;
use crate::ui::screen::ScreenEnv;
use crate::workflows::{self, PdfOutcome, PdfStep};

/// What the cashier asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum CashierAction {
    OpenEpisode {
        level: String,
        reason: String,
        drill: bool,
    },
    /// The lines changed: price them again.
    Total,
    Settle,
    /// F5: print the receipt just issued (or open its PDF).
    Print,
    Void {
        number: String,
        reason: String,
        supervisor: String,
        pin: String,
    },
    Reprint(String),
    ShiftClose {
        cash: String,
        supervisor: String,
        pin: String,
    },
    /// F12, confirmed: end this terminal's outage episode.
    CloseEpisode,
}

impl CashierScreen {
    /// Re-reads the episode, the next number and the recent receipts.
    pub fn refresh(&mut self, store: &Store, session: &Session) -> Result<(), Failure> {
        let terminal = session.terminal().as_str();
        let episode = episodes::current(store.conn(), terminal)?;
        let next = ranges::next_number(store.conn(), terminal)?;
        // A cashier sees their own receipts; an admin (a supervisor) sees
        // the whole terminal's.
        self.recent = query::recent(store.conn(), terminal, 12)?;
        if !session.has(crate::auth::Role::Admin) {
            let me = session.user().as_str();
            self.recent.retain(|r| r.cashier == me);
        }
        self.recent_highlight = self
            .recent_highlight
            .min(self.recent.len().saturating_sub(1));
        self.ctx = Context {
            episode: episode.map(|e| (e.level, e.reason, e.drill, e.opened_at)),
            numbers_left: next.as_ref().map(|n| n.left).unwrap_or(0),
            next_number: next.map(|n| n.number),
        };
        Ok(())
    }

    fn fail(&mut self, f: impl Into<Failure>) {
        self.feedback.push(Feedback::Failure(f.into()));
    }

    fn notice(&mut self, zh: String, en: String) {
        self.feedback.push(Feedback::Clear);
        self.feedback.push(Feedback::Notice(zh, en));
    }

    /// Runs one action; the shell re-reads the status afterwards.
    pub fn apply(&mut self, action: CashierAction, env: &mut ScreenEnv<'_>) {
        match action {
            CashierAction::OpenEpisode {
                level,
                reason,
                drill,
            } => {
                let result = episodes::Level::parse(&level).and_then(|level| {
                    episodes::open(
                        env.store,
                        env.session,
                        env.clock,
                        level,
                        &reason,
                        episode_kind(drill),
                    )
                });
                match result {
                    Ok(_) => {
                        self.feedback.push(Feedback::Clear);
                        self.new_receipt();
                    }
                    Err(e) => self.fail(e),
                }
            }
            CashierAction::Total => self.price(env),
            CashierAction::Settle => self.settle_now(env),
            CashierAction::Print => self.print_last(env),
            CashierAction::Void {
                number,
                reason,
                supervisor,
                pin,
            } => match crate::receipts::void(
                env.store,
                env.session,
                env.clock,
                &number,
                &reason,
                &supervisor,
                &pin,
            ) {
                Ok(v) => self.notice(
                    format!("已作废 {}（主管 {}）", v.number, supervisor),
                    format!("Voided {} (supervisor {})", v.number, supervisor),
                ),
                Err(e) => self.fail(e),
            },
            CashierAction::Reprint(number) => self.reprint(env, &number),
            CashierAction::ShiftClose {
                cash,
                supervisor,
                pin,
            } => self.close_shift(env, &cash, &supervisor, &pin),
            CashierAction::CloseEpisode => {
                match episodes::close(env.store, env.session, env.clock) {
                    Ok(e) => {
                        let minutes = episode_minutes(&e.opened_at, env.clock);
                        self.notice(
                            format!(
                                "应急事件已结束（持续 {} 小时 {:02} 分）",
                                minutes / 60,
                                minutes % 60
                            ),
                            format!(
                                "Outage episode ended (lasted {} h {:02} min)",
                                minutes / 60,
                                minutes % 60
                            ),
                        );
                        self.ctx.episode = None;
                    }
                    Err(e) => self.fail(e),
                }
            }
        }
    }

    /// The running total, priced by the library from the list in force.
    fn price(&mut self, env: &ScreenEnv<'_>) {
        let lines = self.line_requests();
        if lines.is_empty() {
            self.total = None;
            return;
        }
        let change = self.just_added.take();
        match crate::receipts::issue::preview(env.store.conn(), env.clock, &lines) {
            Ok(p) => self.total = Some((p.total, p.total_in_words)),
            Err(e) => {
                // What was just typed is refused for its item (1.5 of a lab
                // test): it goes back to the quantity box, never into the
                // cart with no total.
                let said = super::request::in_words(e);
                match change {
                    Some(Pricing::Added { item }) => {
                        let line = self.lines.pop();
                        self.pending = Some(item);
                        self.qty = line
                            .map(|l| l.qty.decimal().normalize().to_string())
                            .unwrap_or_default();
                        self.focus = Some(Field::Qty);
                        self.hint = Some(Hint {
                            zh: said.zh,
                            en: said.en,
                        });
                        self.price(env);
                    }
                    Some(Pricing::Changed { line, before }) => {
                        if let Some(l) = self.lines.get_mut(line) {
                            self.qty = l.qty.decimal().normalize().to_string();
                            l.qty = before;
                            self.editing = Some(line);
                        }
                        self.focus = Some(Field::Qty);
                        self.hint = Some(Hint {
                            zh: said.zh,
                            en: said.en,
                        });
                        self.price(env);
                    }
                    None => {
                        self.total = None;
                        self.fail(said.failure);
                    }
                }
            }
        }
    }

    /// Issues the receipt (one durable transaction), then the workflow's
    /// backup, PDF and print: the receipt exists before any paper does.
    fn settle_now(&mut self, env: &mut ScreenEnv<'_>) {
        let key = match crate::keys::wrap::session_key(env.session, env.data_dir) {
            Ok(k) => k,
            Err(e) => return self.fail(Failure::from(e)),
        };
        let draft = match self.draft(env) {
            Ok(d) => d,
            Err(e) => {
                // Said in the form's words, and the cursor goes back to
                // the field at fault.
                let said = super::request::in_words(e);
                if let Some(field) = said.field {
                    self.focus = Some(field);
                }
                if let Some(line) = said.line {
                    self.line_cursor = Some(line);
                }
                return self.fail(said.failure);
            }
        };
        let issued = match workflows::issue(
            env.store,
            env.session,
            env.clock,
            &key,
            &draft,
            &PdfStep::Print,
        ) {
            Ok(r) => r,
            Err(f) => return self.fail(f),
        };
        self.feedback.push(Feedback::Clear);
        if let Err(f) = issued.backup {
            self.fail(f);
        }
        self.new_receipt();
        let r = &issued.receipt;
        self.last = Some(LastReceipt {
            number: r.receipt.number.clone(),
            total: r.receipt.total,
            change: r.receipt.change,
            warning: r.warning.clone(),
            printed: None,
            delivery: None,
        });
        self.printed(issued.pdf);
    }

    /// Notes where the last receipt's PDF went, or why it did not.
    fn printed(&mut self, pdf: PdfOutcome) {
        match pdf {
            PdfOutcome::Failed(f) => self.fail(f),
            done => {
                if let (Some(last), Some(path)) = (&mut self.last, done.path()) {
                    last.printed = Some(path.display().to_string());
                    last.delivery = Some(super::where_pdf_went(&done));
                }
            }
        }
    }

    /// F5: prints the receipt just issued when its printing failed; with
    /// no print command configured, opens its saved PDF in the viewer. A
    /// receipt already printed is printed again only as a counted copy (F9).
    fn print_last(&mut self, env: &ScreenEnv<'_>) {
        let Some(last) = &self.last else { return };
        if let Some(path) = &last.printed {
            let command = crate::auth::settings::print_command(env.store.conn())
                .ok()
                .flatten();
            if command.is_none() {
                let path = path.clone();
                if let Err((zh, en)) = open_in_viewer(std::path::Path::new(&path)) {
                    self.fail(Failure::new(ErrorKind::FollowUp, zh, en));
                }
                return;
            }
            return self.notice(
                "该票据已打印；如需再打印请用 F9 重打（标注“重打”）".into(),
                "This receipt was printed; use F9 to reprint a copy marked COPY".into(),
            );
        }
        let number = last.number.clone();
        match workflows::print_issued(env.store, &number, &PdfStep::Print) {
            Ok(pdf) => self.printed(pdf),
            Err(f) => self.fail(f),
        }
    }

    fn reprint(&mut self, env: &mut ScreenEnv<'_>, number: &str) {
        let result = workflows::reprint(env.store, env.session, env.clock, number, &PdfStep::Print);
        match result {
            Ok(r) => match r.pdf {
                PdfOutcome::Failed(f) => self.fail(f),
                pdf => {
                    let (zh, en) = super::where_pdf_went(&pdf);
                    let v = r.receipt;
                    self.notice(
                        format!("已重打 {}（第 {} 份副本）：{zh}", v.number, v.reprints),
                        format!("Reprinted {} (copy {}): {en}", v.number, v.reprints),
                    );
                }
            },
            Err(f) => self.fail(f),
        }
    }

    fn close_shift(&mut self, env: &mut ScreenEnv<'_>, cash: &str, supervisor: &str, pin: &str) {
        let declared = if cash.is_empty() {
            None
        } else {
            match crate::money::Money::parse(cash) {
                Ok(m) => Some(m),
                Err(e) => {
                    return self.fail(Failure::new(
                        ErrorKind::Invalid,
                        format!("实收现金：{}", e.message(Lang::Zh)),
                        format!("cash declared: {}", e.message(Lang::En)),
                    ));
                }
            }
        };
        let sup = (!supervisor.is_empty()).then_some(crate::receipts::shift::SupervisorPin {
            name: supervisor,
            pin,
        });
        let closed = workflows::close_shift(
            env.store,
            env.session,
            env.clock,
            workflows::ShiftClose {
                cash_declared: declared,
                supervisor: sup,
                report: None,
            },
        );
        match closed {
            Ok(c) => {
                let s = &c.summary;
                let report = match &c.report {
                    Ok(p) => p.display().to_string(),
                    Err(_) => "—".into(),
                };
                self.notice(
                    format!(
                        "已交班：{} 张，应有现金 {}；报表 {report}",
                        s.count, s.cash_expected
                    ),
                    format!(
                        "Shift closed: {} receipts, cash expected {}; report {report}",
                        s.count, s.cash_expected
                    ),
                );
                // The shift stands; a report or backup that failed is said.
                for f in [c.report.err(), c.backup.err()].into_iter().flatten() {
                    self.fail(f);
                }
            }
            Err(f) => self.fail(f),
        }
    }
}

/// Opens a saved PDF with the desktop's viewer, without waiting for it;
/// when there is no viewer to run, says what to do instead.
fn open_in_viewer(path: &std::path::Path) -> Result<(), (String, String)> {
    let opener = if cfg!(target_os = "windows") {
        "explorer"
    } else if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let missing = || {
        (
            format!(
                "本机没有可打开 PDF 的程序。票据已保存在 {}：请管理员在“设置”中填写打印命令，或将文件复制到可打印的电脑",
                path.display()
            ),
            format!(
                "No PDF viewer on this machine. The receipt is saved at {}: an admin sets a print command on the Settings screen, or copy the file to a computer that prints",
                path.display()
            ),
        )
    };
    if !cfg!(target_os = "windows") && !on_path(opener) {
        return Err(missing());
    }
    match std::process::Command::new(opener).arg(path).spawn() {
        // Reaped on a thread of its own so no zombie is left behind.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
            Ok(())
        }
        Err(e) => {
            tracing::warn!(%e, "cannot open {}", path.display());
            Err(missing())
        }
    }
}

/// Whether a program of this name is on the PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

/// Whole minutes since an episode opened (its RFC 3339 time).
pub(crate) fn episode_minutes(opened_at: &str, clock: &dyn crate::clock::Clock) -> i64 {
    chrono::DateTime::parse_from_rfc3339(opened_at)
        .map(|t| (clock.now() - t).num_minutes().max(0))
        .unwrap_or(0)
}

/// The drill check box as the library's choice.
fn episode_kind(drill: bool) -> episodes::EpisodeKind {
    if drill {
        episodes::EpisodeKind::Drill
    } else {
        episodes::EpisodeKind::Real
    }
}
