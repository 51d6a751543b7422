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
        None => {
            release_own_console();
            downtime_billing::ui::run(data_dir, lang)
        }
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

/// The GUI started from Explorer or a desktop shortcut gets a console
/// window of its own (the binary is a console program so that the CLI
/// prints in a terminal): let it go, so no black window sits behind the
/// cashier screen. A console shared with the terminal that started the
/// program (a script, `cmd`) is kept.
#[cfg(windows)]
fn release_own_console() {
    #[link(name = "kernel32")]
    unsafe extern "system" {
        fn GetConsoleProcessList(list: *mut u32, count: u32) -> u32;
        fn FreeConsole() -> i32;
    }
    let mut ids = [0u32; 2];
    // SAFETY: `ids` holds the 2 entries the call is told it may write.
    let attached = unsafe { GetConsoleProcessList(ids.as_mut_ptr(), 2) };
    if attached == 1 {
        // SAFETY: detaching from a console has no preconditions.
        unsafe {
            FreeConsole();
        }
    }
}

#[cfg(not(windows))]
fn release_own_console() {}
