//! Shared pieces of the fault tests (`tests/faults_*.rs`): the binary run
//! with a clean environment on a data directory, a child killed with
//! SIGKILL at a moment keyed off what the test sees it write, a probe that
//! asks SQLite whether another process is inside a write transaction, and a
//! small seeded generator for the kill moments (the seed is printed, and
//! `FAULT_SEED` replays it). Needs `mod cli_support;` in the test crate.
#![allow(dead_code)]

use crate::cli_support::{ADMIN_PIN, binary};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The binary on `data_dir` with no inherited DOWNTIME_BILLING_* variable,
/// messages in English, the admin's PIN in the environment.
pub fn cmd(data_dir: &Path) -> Command {
    let mut c = Command::new(binary());
    for (k, _) in std::env::vars() {
        if k.starts_with("DOWNTIME_BILLING_") {
            c.env_remove(k);
        }
    }
    c.env("DOWNTIME_BILLING_DATA_DIR", data_dir)
        .env("DOWNTIME_BILLING_LANG", "en")
        .env("DOWNTIME_BILLING_PIN", ADMIN_PIN);
    c
}

/// Runs to the end: (exit code, stdout, stderr).
pub fn run(data_dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = cmd(data_dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs as `admin` and insists on exit 0.
pub fn ok(data_dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["--user", "admin"];
    all.extend_from_slice(args);
    let (code, out, err) = run(data_dir, &all);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// `verify` on the data directory: (exit code, stdout + stderr).
pub fn verify(data_dir: &Path) -> (i32, String) {
    let (code, out, err) = run(data_dir, &["verify"]);
    (code, format!("{out}{err}"))
}

/// A child started with its output collected on threads (so a full pipe
/// never blocks it).
pub struct Spawned {
    child: Child,
    out: std::thread::JoinHandle<String>,
    err: std::thread::JoinHandle<String>,
}

impl Spawned {
    pub fn start(mut c: Command) -> Spawned {
        let mut child = c
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut so = child.stdout.take().unwrap();
        let mut se = child.stderr.take().unwrap();
        let out = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut so, &mut s);
            s
        });
        let err = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = std::io::Read::read_to_string(&mut se, &mut s);
            s
        });
        Spawned { child, out, err }
    }

    /// Whether it has ended (and how).
    pub fn ended(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().unwrap()
    }

    /// SIGKILL when still running. Returns `None` when it was still
    /// running (the kill landed), else how it had ended; and its stderr.
    pub fn kill(mut self) -> (Option<std::process::ExitStatus>, String) {
        let ended = self.child.try_wait().unwrap();
        let _ = self.child.kill(); // SIGKILL on Unix
        self.child.wait().unwrap();
        let _ = self.out.join();
        (ended, self.err.join().unwrap_or_default())
    }

    /// Waits for the end: (exit status, stdout, stderr).
    pub fn wait(mut self) -> (std::process::ExitStatus, String, String) {
        let st = self.child.wait().unwrap();
        (
            st,
            self.out.join().unwrap_or_default(),
            self.err.join().unwrap_or_default(),
        )
    }
}

/// A second connection asking, without waiting, whether another process
/// holds the database's write lock (is between `BEGIN IMMEDIATE` and its
/// `COMMIT`). It never checkpoints on close, so the next process finds the
/// WAL as the killed one left it.
pub struct Probe(pub rusqlite::Connection);

impl Probe {
    pub fn open(db: &Path) -> Probe {
        let c = rusqlite::Connection::open(db).unwrap();
        c.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
            true,
        )
        .unwrap();
        c.busy_timeout(Duration::ZERO).unwrap();
        Probe(c)
    }

    pub fn writer_inside(&self) -> bool {
        match self.0.execute_batch("BEGIN IMMEDIATE") {
            Ok(()) => {
                self.0.execute_batch("ROLLBACK").unwrap();
                false
            }
            Err(e) => {
                assert_eq!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy),
                    "{e}"
                );
                true
            }
        }
    }
}

/// xorshift: random kill moments without a dependency.
pub struct Rng(pub u64);

impl Rng {
    /// Seeded from `FAULT_SEED` or the clock; prints the seed.
    pub fn seeded(what: &str) -> Rng {
        let seed = std::env::var("FAULT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("{what}: FAULT_SEED={seed}");
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `0..=max`.
    pub fn upto(&mut self, max: Duration) -> Duration {
        max.mul_f64((self.next() % 10_001) as f64 / 10_000.0)
    }
}

/// Row counts of `tables` in the database file, read-only.
pub fn counts(db: &Path, tables: &[&str]) -> Vec<(String, i64)> {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    tables
        .iter()
        .map(|t| {
            let n = c
                .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            (t.to_string(), n)
        })
        .collect()
}

/// Every file directly in `dir` whose name contains `part`.
pub fn files_named(dir: &Path, part: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().contains(part))
                })
                .collect()
        })
        .unwrap_or_default()
}
