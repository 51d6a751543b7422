//! The binary: no subcommand opens the GUI, otherwise the CLI. Maps every
//! failure to one line on stderr and the documented exit code.

use clap::Parser;
use downtime_billing::cli::{self, Cli, Ctx};
use downtime_billing::clock::SystemClock;
use downtime_billing::store::DataDir;
use std::process::ExitCode;

fn main() -> ExitCode {
    restore_sigpipe();
    let args = Cli::parse();
    let data_dir = DataDir::resolve(args.data_dir.as_deref());
    let lang = args.lang;
    let _log_guard = downtime_billing::logging::init(&data_dir);
    let result = match args.command {
        None => downtime_billing::ui::run(data_dir, lang),
        Some(command) => cli::run(
            Ctx {
                data_dir,
                lang,
                user: args.user,
                clock: SystemClock,
            },
            command,
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            tracing::warn!(kind = ?f.kind, "{}", f.en);
            // One line, whatever a file name or a value in the message
            // holds (a newline, an escape sequence).
            let line = format!("{}{}", f.message(lang), cli::remedy_hint(&f, lang));
            eprintln!("{}", downtime_billing::text::inert(&line));
            ExitCode::from(f.kind.exit_code())
        }
    }
}

/// A listing piped into `head` ends quietly when the reader goes away, as
/// every Unix tool does, instead of panicking on the closed pipe (Rust
/// ignores SIGPIPE by default).
#[cfg(unix)]
fn restore_sigpipe() {
    // SAFETY: resetting a signal to its default disposition before any
    // thread is started has no preconditions.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_sigpipe() {}
