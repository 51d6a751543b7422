//! A rolling log file in the data directory. Logs name records and actions,
//! never PINs, keys or full ID numbers.

use crate::store::DataDir;

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
    let (writer, guard) = tracing_appender::non_blocking(appender);
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
