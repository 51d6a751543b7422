//! The finance screen's Reports tab alone in a window, on a data directory
//! given as the first argument (user `admin` of that directory, finance
//! rights assumed): for trying the tab and taking its screenshot before the
//! finance screen hosts it.
//!
//! `cargo run --example reports_tab -- /path/to/data-dir`

use downtime_billing::auth::{Role, Session};
use downtime_billing::clock::SystemClock;
use downtime_billing::domain::UserName;
use downtime_billing::i18n::Lang;
use downtime_billing::store::{DataDir, Store};
use downtime_billing::ui::finance::reports::ReportsTab;
use downtime_billing::ui::screen::ScreenEnv;
use eframe::egui;

struct Host {
    tab: ReportsTab,
    store: Store,
    session: Session,
    dir: DataDir,
}

impl eframe::App for Host {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            for a in self.tab.ui(ui, Lang::Zh) {
                let mut env = ScreenEnv {
                    store: &mut self.store,
                    session: &self.session,
                    clock: &SystemClock,
                    lang: Lang::Zh,
                    data_dir: &self.dir,
                };
                self.tab.apply(a, &mut env);
            }
        });
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args()
        .nth(1)
        .ok_or("usage: reports_tab DATA_DIR")?;
    let dir = DataDir::new(root);
    let store = Store::open(&dir)?;
    let terminal = downtime_billing::setup::terminal_code(&store)?;
    let session = Session::new(UserName::parse("admin")?, &[Role::Finance], terminal);
    eframe::run_native(
        "Reports",
        eframe::NativeOptions {
            viewport: egui::ViewportBuilder::default().with_inner_size([1000.0, 760.0]),
            ..Default::default()
        },
        Box::new(move |cc| {
            downtime_billing::ui::fonts::install(&cc.egui_ctx);
            Ok(Box::new(Host {
                tab: ReportsTab::default(),
                store,
                session,
                dir,
            }))
        }),
    )?;
    Ok(())
}
