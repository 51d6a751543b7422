//! The WAL is never checkpointed inside a commit (one fsync per receipt);
//! it is folded into the database here: when the window has been idle for
//! a moment after a write, before and after a CLI command, and at exit
//! (with a backup when anything was written).

use crate::backup::BackupReason;
use crate::clock::Clock;
use crate::error::Failure;
use crate::store::Store;

/// Moves the WAL into the database file and truncates it.
pub fn checkpoint(store: &Store) -> Result<(), Failure> {
    Ok(crate::receipts::checkpoint(store.conn())?)
}

/// Seconds without input after a write before the GUI checkpoints.
pub const IDLE_SECS: f64 = 2.0;

/// Tracks writes and input in the window, to checkpoint once it is quiet.
#[derive(Debug, Default)]
pub struct IdleCheckpoint {
    /// Time (egui seconds) of the last write not yet checkpointed.
    dirty_since: Option<f64>,
    last_input: f64,
    /// Anything written since the window opened (the exit backup).
    wrote: bool,
}

impl IdleCheckpoint {
    /// Something was committed at `now`.
    pub fn wrote(&mut self, now: f64) {
        self.dirty_since.get_or_insert(now);
        self.wrote = true;
    }

    pub fn input(&mut self, now: f64) {
        self.last_input = now;
    }

    /// True when a write waits and nothing was typed for [`IDLE_SECS`].
    pub fn due(&self, now: f64) -> bool {
        self.dirty_since.is_some() && now - self.last_input >= IDLE_SECS
    }

    /// Checkpoints when due; returns when to look again (seconds), if a
    /// write is still waiting.
    pub fn tick(&mut self, store: &Store, now: f64) -> Option<f64> {
        self.dirty_since?;
        if !self.due(now) {
            return Some(IDLE_SECS - (now - self.last_input));
        }
        match checkpoint(store) {
            Ok(()) => self.dirty_since = None,
            Err(f) => tracing::warn!("idle checkpoint: {}", f.en),
        }
        None
    }

    pub fn wrote_anything(&self) -> bool {
        self.wrote
    }
}

/// What a window did while it was open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinceOpen {
    NothingWritten,
    Wrote,
}

/// At exit: a backup when anything was written, then the WAL folded in.
pub fn at_exit(store: &mut Store, clock: &dyn Clock, since: SinceOpen) -> Result<(), Failure> {
    let backup = if since == SinceOpen::Wrote {
        crate::backup::backup_now(store, clock, BackupReason::Exit)
            .and_then(|_| Ok(crate::verify::witness::record(store, clock).map(|_| ())?))
            .map_err(Failure::from)
    } else {
        Ok(())
    };
    checkpoint(store)?;
    backup
}
