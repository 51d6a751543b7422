//! A rolling log file in the data directory. Logs name records and actions,
//! never PINs, keys or full ID numbers: PINs are never passed to `tracing`
//! (they live only in the login call), the signing key's `Debug` shows its
//! fingerprint only, and every line goes through
//! [`crate::mask::redact_identifiers`] on its way to the file, so an ID or
//! phone number that slips into a message is masked anyway.

use crate::store::DataDir;

/// Lines the log queue holds before a caller waits for the file.
const LOG_QUEUE_LINES: usize = 4096;

/// Starts logging to `DATA_DIR/logs/downtime-billing.log.YYYY-MM-DD` when the
/// data directory exists; returns the guard that flushes it at exit.
pub fn init(data_dir: &DataDir) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    if !data_dir.root().exists() {
        return None;
    }
    let dir = data_dir.logs_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("downtime-billing.log")
        .max_log_files(30)
        .build(&dir)
        .ok()?;
    // The default queue holds 128k lines (4 MB, every slot touched at
    // start-up, so resident all day). A terminal logs a few lines per
    // action: 4,096 lines is ample, and when it is full the caller waits
    // for the file instead of dropping lines.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(false)
        .finish(appender);
    let writer = move || Redacting(writer.clone());
    let filter = tracing_subscriber::EnvFilter::try_from_env("DOWNTIME_BILLING_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}

/// Masks personal identifiers in each formatted log line before it is
/// written (the formatter hands over one whole event per write).
struct Redacting<W: std::io::Write>(W);

impl<W: std::io::Write> std::io::Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0
            .write_all(crate::mask::redact_identifiers(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
