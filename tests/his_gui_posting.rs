//! The finance screen's Posting tab, hosted directly in egui_kittest and
//! operated by label as a finance clerk would: export a CSV batch, send
//! over HL7 to a local MLLP listener, see the summary and the history, send
//! again and see nothing re-sent.

mod his_support;
mod receipts_support;

use downtime_billing::auth::Session;
use downtime_billing::clock::{Clock, FixedClock};
use downtime_billing::i18n::Lang;
use downtime_billing::store::Store;
use downtime_billing::ui::finance::posting::{PostingAction, PostingTab};
use downtime_billing::ui::screen::ScreenEnv;
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use his_support::*;
use receipts_support::*;
use std::sync::Arc;

struct State {
    tab: PostingTab,
    actions: Vec<PostingAction>,
}

struct Host {
    h: Harness<'static, State>,
    store: Store,
    session: Session,
    env: Env,
    clock: FixedClock,
}

impl Host {
    fn new(env: Env) -> Host {
        let clock = FixedClock::at(NOW);
        let tab = PostingTab::new(Arc::new(clock) as Arc<dyn Clock>);
        let h = Harness::builder()
            .with_size([1200.0, 800.0])
            .build_ui_state(
                |ui: &mut egui::Ui, s: &mut State| {
                    let a = s.tab.ui(ui, Lang::En);
                    s.actions.extend(a);
                },
                State {
                    tab,
                    actions: Vec::new(),
                },
            );
        downtime_billing::ui::fonts::install(&h.ctx);
        let mut store = env.store();
        let session = env.session(&mut store, "admin", PIN);
        let mut host = Host {
            h,
            store,
            session,
            env,
            clock,
        };
        host.pump();
        host
    }

    /// Runs frames, applying the tab's actions as the shell would, until
    /// no job is running and no action is pending.
    fn pump(&mut self) {
        for _ in 0..2000 {
            self.h.step();
            let actions: Vec<PostingAction> = self.h.state_mut().actions.drain(..).collect();
            let data_dir = self.env.data_dir();
            for a in actions {
                let mut env = ScreenEnv {
                    store: &mut self.store,
                    session: &self.session,
                    clock: &self.clock,
                    lang: Lang::En,
                    data_dir: &data_dir,
                };
                self.h.state_mut().tab.apply(a, &mut env);
            }
            if !self.h.state().tab.busy() && self.h.state().actions.is_empty() {
                self.h.step();
                if self.h.state().actions.is_empty() && !self.h.state().tab.busy() {
                    self.h.run();
                    return;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("the posting job did not finish");
    }

    fn fill(&mut self, label: &str, text: &str) {
        self.h.get_by_label(label).focus();
        self.h.run();
        self.h.event(egui::Event::Text(text.to_string()));
        self.h.run();
        assert_eq!(self.h.get_by_label(label).value().as_deref(), Some(text));
    }

    fn click(&mut self, label: &str) {
        self.h.get_by_label(label).click();
        self.pump();
    }
}

#[test]
fn export_then_send_over_hl7_and_see_the_history() {
    let env = ready();
    for _ in 0..2 {
        let (code, _, err) = env.issue("admin", &simple());
        assert_eq!(code, 0, "{err}");
    }
    let mut host = Host::new(env);
    host.h.get_by_label("nothing posted yet");

    // export a CSV batch to a file
    let out = host.env.root().join("batch.csv");
    host.fill("Export file", out.to_str().unwrap());
    host.click("Export");
    assert!(out.exists());
    host.h.get_by_label_contains("2 receipts");
    let text = String::from_utf8(std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(text.lines().count(), 3, "header and two rows: {text}");

    let Some(py) = python() else { return };
    let log = host.env.root().join("gui.log");
    let srv = Server::start(&py, "mllp_listener.py", &["--log", log.to_str().unwrap()]);
    host.fill("HL7 listener HOST:PORT", &srv.addr());
    host.click("Send over HL7");
    host.h
        .get_by_label_contains("accepted 2 · refused 0 · not delivered 0");
    assert_eq!(read_log(&log).len(), 2);
    // the history shows the send (and the export) from the records
    let tab = &host.h.state().tab;
    assert_eq!(tab.history.len(), 2);
    assert_eq!(tab.history[0].channel, "hl7");
    assert_eq!(tab.history[0].accepted, 2);
    assert_eq!(tab.history[1].channel, "csv");

    // sending again sends nothing: both were accepted
    host.click("Send over HL7");
    host.h.get_by_label_contains("sent 0 ·");
    host.h.get_by_label_contains("accepted before 2");
    assert_eq!(read_log(&log).len(), 2);
}

#[test]
fn a_bad_episode_and_an_unreachable_his_are_shown_in_red() {
    let env = ready();
    let (code, _, err) = env.issue("admin", &simple());
    assert_eq!(code, 0, "{err}");
    let mut host = Host::new(env);
    host.fill("Episode (empty: all)", "abc");
    host.click("Send over HL7");
    host.h
        .get_by_label_contains("episode 'abc' is not a number");
    host.h.get_by_label("close").click();
    host.h.run();
    // clear the episode, point at a port nobody listens on
    host.h.get_by_label("Episode (empty: all)").focus();
    host.h.run();
    for _ in 0..3 {
        host.h.key_press(egui::Key::Backspace);
    }
    host.h.run();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    host.fill("HL7 listener HOST:PORT", &format!("127.0.0.1:{port}"));
    host.click("Send over HL7");
    host.h.get_by_label_contains("cannot reach the HIS");
}
