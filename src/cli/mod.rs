//! The scripting face: parses arguments (clap), turns a script's intent into
//! library calls and prints the result, as text or `--json`. Errors leave as
//! one line on stderr in the chosen language, with the documented exit code
//! (see `docs` in README: 0 done, 2 invalid, 3 not allowed, 4 verification,
//! 5 conflict, 1 internal).

mod backup;
mod calendar;
mod deadline;
mod demo;
mod episode;
mod exchange;
mod his;
mod journal;
mod key;
mod pharmacy;
mod prices;
mod range;
mod receipt;
mod reconcile;
mod report;
mod setup;
mod shift;
mod user;
mod verify;

use crate::auth::{self, AuthError, Session};
use crate::clock::SystemClock;
use crate::error::{ErrorKind, Failure};
use crate::i18n::Lang;
use crate::store::{DataDir, Store};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

pub const ENV_PIN: &str = "DOWNTIME_BILLING_PIN";
pub const ENV_SUPERVISOR_PIN: &str = "DOWNTIME_BILLING_SUPERVISOR_PIN";
pub const ENV_NEW_PIN: &str = "DOWNTIME_BILLING_NEW_PIN";

#[derive(Debug, Parser)]
#[command(
    name = "downtime-billing",
    version,
    about = "Manual receipts, price lists and reconciliation while the HIS is down. Without a subcommand it opens the GUI."
)]
pub struct Cli {
    /// Where the database, backups, PDFs and exports live.
    #[arg(
        long,
        global = true,
        env = "DOWNTIME_BILLING_DATA_DIR",
        value_name = "DIR"
    )]
    pub data_dir: Option<PathBuf>,
    /// Language of messages and of the GUI: zh or en.
    #[arg(
        long,
        global = true,
        env = "DOWNTIME_BILLING_LANG",
        default_value = "zh"
    )]
    pub lang: Lang,
    /// The user acting (PIN from DOWNTIME_BILLING_PIN or a prompt).
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// First run: database, terminal, hospital, admin user, signing key.
    Setup(setup::Args),
    /// Holiday calendar and exchange deadlines.
    #[command(subcommand)]
    Calendar(calendar::Args),
    /// Monthly price lists: import, months, diff, search.
    Prices(prices::Args),
    /// Outage episodes: open, close, list.
    #[command(subcommand)]
    Episode(episode::EpisodeCmd),
    /// Receipt number ranges (receipt books): add, list.
    #[command(subcommand)]
    Range(range::RangeCmd),
    /// Receipts: issue, show, list, pdf (reprint), void, refund.
    #[command(subcommand)]
    Receipt(receipt::ReceiptCmd),
    /// Shift close per cashier.
    #[command(subcommand)]
    Shift(shift::ShiftCmd),
    /// Users of this terminal (admin): add, disable, enable, reset-pin, roles, list.
    #[command(subcommand)]
    User(user::UserCmd),
    /// Security and backup settings: list, set (admin).
    #[command(subcommand)]
    Settings(user::SettingsCmd),
    /// The hospital signing key: export, import (admin).
    #[command(subcommand)]
    Key(key::KeyCmd),
    /// Integrity, audit chain, triggers, key and record checks; exit 4 if anything is wrong.
    Verify(verify::Args),
    /// An online backup, checked after writing (admin or finance).
    Backup(backup::BackupArgs),
    /// Verifies a backup, moves the current database aside and restores (admin).
    Restore(backup::RestoreArgs),
    /// The audit log (admin).
    #[command(subcommand)]
    Audit(backup::AuditCmd),
    /// Posting to the HIS: export (csv, json, hl7, fhir), send-hl7, send-fhir, history (finance).
    #[command(subcommand)]
    His(his::HisCmd),
    /// The pharmacy: verify a receipt's QR code, dispense, confirm returns.
    #[command(subcommand)]
    Pharmacy(pharmacy::PharmacyCmd),
    /// Finance reports (finance or admin): shift, daily, outage; PDF or CSV.
    Report(report::Args),
    /// Terminal journals: export here, import at the finance station.
    #[command(subcommand)]
    Journal(journal::JournalCmd),
    /// Records the HIS invoice a manual receipt was exchanged for (finance).
    Exchange(exchange::Args),
    /// Records an insured patient's re-settlement under insurance (finance).
    Resettle(exchange::Args),
    /// Exchange deadlines: the worklist with working days left.
    #[command(subcommand)]
    Deadline(deadline::DeadlineCmd),
    /// Reconciles an HIS results file against our receipts (finance).
    Reconcile(reconcile::Args),
    /// A throw-away hospital filled with receipts, journals and users; prints its path.
    Demo(demo::Args),
}

/// What every command gets: where the data is, the language, who acts.
pub struct Ctx {
    pub data_dir: DataDir,
    pub lang: Lang,
    pub user: Option<String>,
    pub clock: SystemClock,
}

impl Ctx {
    pub fn open_store(&self) -> Result<Store, Failure> {
        Ok(Store::open(&self.data_dir)?)
    }

    /// Logs in the `--user` with the PIN from the environment or a prompt.
    pub fn session(&self, store: &mut Store) -> Result<Session, Failure> {
        let Some(name) = self.user.as_deref() else {
            return Err(Failure::new(
                ErrorKind::NotAllowed,
                "此命令需要 --user 用户名（PIN 由环境变量 DOWNTIME_BILLING_PIN 或提示输入）",
                "this command needs --user NAME (PIN from env DOWNTIME_BILLING_PIN or a prompt)",
            ));
        };
        let pin = read_pin(ENV_PIN, self.lang.pick("PIN：", "PIN: "))?;
        let terminal = crate::setup::terminal_code(store)?;
        Ok(auth::login(
            store.conn_mut(),
            name,
            &pin,
            &terminal,
            &self.clock,
        )?)
    }

    pub fn say(&self, zh: &str, en: &str) {
        println!("{}", self.lang.pick(zh, en));
    }
}

/// A PIN from `var`, or a hidden prompt when stdin is a terminal. Never from
/// an argument (it would show in the process list and shell history).
pub fn read_pin(var: &'static str, prompt: &str) -> Result<String, Failure> {
    if let Ok(p) = std::env::var(var) {
        return Ok(p.trim().to_string());
    }
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt)
            .map(|p| p.trim().to_string())
            .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string(), e.to_string()));
    }
    Err(AuthError::NoPin(var).into())
}

/// The CLI's wording of what can be done about a failure: the command or
/// flag to use, appended to the one line on stderr.
pub fn remedy_hint(f: &Failure, lang: Lang) -> String {
    use crate::error::Remedy;
    let Some(r) = &f.remedy else {
        return String::new();
    };
    let hint = match r {
        Remedy::OpenEpisode => "episode open --level I|II|III|IV --reason TEXT".to_string(),
        Remedy::AddRange { terminal } => format!("range add --terminal {terminal} --from N --to N"),
        Remedy::ImportPrices => "prices import FILE --month YYYY-MM".to_string(),
        Remedy::Supervisor => format!("--supervisor USER, {ENV_SUPERVISOR_PIN}"),
        Remedy::ReplaceHeld => lang
            .pick("加 --replace 重新导入", "re-run with --replace")
            .to_string(),
        Remedy::GiveMonth => "--month YYYY-MM".to_string(),
        Remedy::SetUp => "downtime-billing setup".to_string(),
        Remedy::KnownSettings => "settings list".to_string(),
        Remedy::RestoreBackup => "downtime-billing restore FILE".to_string(),
        Remedy::AcknowledgeVerify => "verify acknowledge --reason TEXT".to_string(),
    };
    format!("{}`{hint}`{}", lang.pick("（", " ("), lang.pick("）", ")"))
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(v: &T) -> Result<(), Failure> {
    let s = serde_json::to_string_pretty(v)
        .map_err(|e| Failure::new(ErrorKind::Internal, e.to_string(), e.to_string()))?;
    println!("{s}");
    Ok(())
}

pub fn run(ctx: Ctx, command: Command) -> Result<(), Failure> {
    match command {
        Command::Setup(a) => setup::run(&ctx, a),
        Command::Calendar(a) => calendar::run(&ctx, a),
        Command::Prices(a) => prices::run(&ctx, a),
        Command::Episode(c) => episode::run(&ctx, c),
        Command::Range(c) => range::run(&ctx, c),
        Command::Receipt(c) => receipt::run(&ctx, c),
        Command::Shift(c) => shift::run(&ctx, c),
        Command::User(c) => user::run(&ctx, c),
        Command::Settings(c) => user::run_settings(&ctx, c),
        Command::Key(c) => key::run(&ctx, c),
        Command::Verify(a) => verify::run(&ctx, a),
        Command::Backup(a) => backup::run_backup(&ctx, a),
        Command::Restore(a) => backup::run_restore(&ctx, a),
        Command::Audit(c) => backup::run_audit(&ctx, c),
        Command::His(c) => his::run(&ctx, c),
        Command::Pharmacy(c) => pharmacy::run(&ctx, c),
        Command::Report(a) => report::run(&ctx, a),
        Command::Journal(c) => journal::run(&ctx, c),
        Command::Exchange(a) => exchange::run(&ctx, a, false),
        Command::Resettle(a) => exchange::run(&ctx, a, true),
        Command::Deadline(c) => deadline::run(&ctx, c),
        Command::Reconcile(a) => reconcile::run(&ctx, a),
        Command::Demo(a) => demo::run(&ctx, a),
    }
}
